"""The tutorial "Neural Networks in Python: How to Write and Train", in plain NumPy.

This module is the specification: the compiled classes in :mod:`nncore` must
give the same numbers. It is written to be read, so it does the obvious thing
in the obvious way.

Where this module departs from the printed text, and why:

1. ``init`` is ``__init__`` and ``np. dot`` is ``np.dot`` (formatting damage).
2. The text calls ``sigmoid_derivative`` but never defines it. Its backprop
   passes sigmoid *outputs*, so it is ``s * (1 - s)`` of an output ``s``.
3. ``np.random.rand(self.input.shape, 4)`` cannot run (a tuple is not a
   size); ``self.input.shape[1]`` (the number of features) is meant.
4. ``d_weights2`` has an unbalanced parenthesis in the text; the closing one
   is added where the formula needs it.
5. ``sigmoid`` is evaluated as the text writes it, ``1 / (1 + exp(-x))``,
   with NumPy's overflow warning silenced: for ``x < -709`` ``exp(-x)`` is
   ``inf`` and ``1 / (1 + inf)`` is exactly 0, the correctly rounded limit.
   So the formula is stable for any finite input without changing any
   value it returns.
6. The functions named like the compiled kernels are additions, so the
   kernels can be checked one by one. ``dense_forward``,
   ``dense_backward_*``, ``sigmoid_forward``, ``sigmoid_backward``,
   ``sse_backward`` and ``sgd_update`` are each one step of the tutorial's
   methods; the classes keep the text's own one-liners, and a test checks
   that the steps compose to them. The others go beyond the tutorial: the
   activations ``tanh_*``, ``relu_*``, ``leaky_relu_*`` (with a ``slope``
   for negative inputs), ``softmax_*``, ``exp_*``, ``gelu_*``, ``silu_*``,
   ``elu_*``, ``softplus_*`` (whose backward passes take the pre-activations,
   not the outputs) and ``activation_forward`` / ``activation_backward``
   (which pick one by name); the losses
   ``weighted_squared_error_backward``, ``absolute_error_backward``,
   ``huber_backward``, ``logistic_cross_entropy_backward``,
   ``softmax_cross_entropy_backward`` and ``poisson_backward`` (optional per-sample weights and a
   scale ``factor``); the optimizer steps ``momentum_update`` and
   ``adam_update``; the L2 penalty ``l2_backward``; and inverted dropout,
   ``dropout_keep`` (the masks, from a counter-based generator),
   ``dropout_forward`` and ``dropout_backward``. Each has the
   argument order of its kernel without the output arrays, and returns the
   outputs, with the loss second where the kernel returns one. The
   optimizer steps and ``l2_backward`` update their arrays in place, as the
   kernels do; losses are summed in float64, as the kernels do. Scalars are
   used as given: the kernels round them to the arrays' dtype first, so
   pass them in that dtype to get the kernels' bits.
"""
from typing import Any

import math

import numpy as np

__all__ = [
    "sigmoid",
    "sigmoid_derivative",
    "dense_forward",
    "dense_backward_input",
    "dense_backward_weights",
    "dense_backward_bias",
    "sigmoid_forward",
    "sigmoid_backward",
    "sse_backward",
    "sgd_update",
    "tanh_forward",
    "tanh_backward",
    "relu_forward",
    "relu_backward",
    "leaky_relu_forward",
    "leaky_relu_backward",
    "softmax_forward",
    "softmax_backward",
    "exp_forward",
    "exp_backward",
    "gelu_forward",
    "gelu_backward",
    "silu_forward",
    "silu_backward",
    "elu_forward",
    "elu_backward",
    "softplus_forward",
    "softplus_backward",
    "activation_needs_total",
    "activation_forward",
    "activation_backward",
    "weighted_squared_error_backward",
    "absolute_error_backward",
    "huber_backward",
    "logistic_cross_entropy_backward",
    "softmax_cross_entropy_backward",
    "poisson_backward",
    "momentum_update",
    "adam_update",
    "l2_backward",
    "dropout_keep",
    "dropout_forward",
    "dropout_backward",
    "Neuron",
    "OurNeuralNetwork",
    "NeuralNetwork",
]


def sigmoid(x):
    """Activation function: f(x) = 1 / (1 + e^(-x))."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def sigmoid_derivative(s):
    """Derivative of the sigmoid, given its output s = sigmoid(x)."""
    return s * (1 - s)


def dense_forward(inputs, weights, bias=None):
    """inputs @ weights (+ bias)."""
    total = np.dot(inputs, weights)
    return total if bias is None else total + bias


def dense_backward_input(delta, weights):
    """Gradient with respect to a dense layer's inputs: delta @ weights.T."""
    return np.dot(delta, weights.T)


def dense_backward_weights(inputs, delta):
    """Gradient with respect to a dense layer's weights: inputs.T @ delta."""
    return np.dot(inputs.T, delta)


def dense_backward_bias(delta):
    """Gradient with respect to a dense layer's bias: delta summed over samples."""
    return delta.sum(axis=0)


def sigmoid_forward(total):
    """sigmoid(total)."""
    return sigmoid(total)


def sigmoid_backward(grad_output, output):
    """Chain rule through the sigmoid: grad_output * s * (1 - s)."""
    return grad_output * sigmoid_derivative(output)


def sse_backward(output, target):
    """Gradient of the sum of squared errors sum((target - output)**2)."""
    return 2 * (output - target)


def sgd_update(weights, gradient, learning_rate=1.0):
    """weights -= learning_rate * gradient, in place; whether all stay finite."""
    weights -= learning_rate * gradient
    return bool(np.isfinite(weights).all())


# Beyond the tutorial: the other layers, losses and optimizer steps of the
# compiled engine, one function per kernel (item 6 above).


def tanh_forward(total):
    """tanh(total)."""
    return np.tanh(total)


def tanh_backward(grad_output, output):
    """Chain rule through tanh, given its output a = tanh(z): grad_output * (1 - a * a)."""
    return grad_output * (1 - output * output)


def relu_forward(total):
    """max(total, 0)."""
    return np.maximum(total, 0)


def relu_backward(grad_output, output):
    """Chain rule through ReLU: grad_output where the output is positive, else 0."""
    return np.where(output > 0, grad_output, 0)


def leaky_relu_forward(total, slope):
    """total where total > 0, else slope * total."""
    return np.where(total > 0, total, slope * total)


def leaky_relu_backward(grad_output, output, slope):
    """Chain rule through leaky ReLU: grad_output where the output is positive,
    else slope * grad_output. With slope >= 0 the output is positive exactly
    where the input is."""
    return np.where(output > 0, grad_output, slope * grad_output)


def softmax_forward(total):
    """exp(total) / the sum of exp(total), row by row.

    Each row's maximum is subtracted first: the result is the same, and exp
    cannot overflow.
    """
    exp_total = np.exp(total - total.max(axis=1, keepdims=True))
    return exp_total / exp_total.sum(axis=1, keepdims=True)


def softmax_backward(grad_output, output):
    """Chain rule through softmax, given its output a: a * (g - g . a), row by row."""
    dot = np.sum(grad_output * output, axis=1, keepdims=True)
    return output * (grad_output - dot)


def exp_forward(total):
    """exp(total), element-wise: 0 where it underflows, inf where it overflows."""
    with np.errstate(over="ignore"):
        return np.exp(total)


def exp_backward(grad_output, output):
    """Chain rule through exp, given its output a: g * a."""
    return grad_output * output


def _erfc(x):
    """erfc, element-wise (the standard library's), in x's dtype."""
    return np.vectorize(math.erfc, otypes=[np.float64])(x).astype(x.dtype)


def gelu_forward(total):
    """GELU (PyTorch's exact form): total * Phi(total), Phi the standard normal
    distribution, Phi(z) = erfc(-z / sqrt(2)) / 2."""
    wide = total.astype(np.float64)
    return (wide * 0.5 * _erfc(-wide / np.sqrt(2))).astype(total.dtype)


def gelu_backward(grad_output, total):
    """Chain rule through GELU, given its input z: grad_output * (Phi(z) + z phi(z)),
    phi(z) = exp(-z**2 / 2) / sqrt(2 pi)."""
    z = total.astype(np.float64)
    derivative = 0.5 * _erfc(-z / np.sqrt(2)) + z * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return grad_output * derivative.astype(total.dtype)


def silu_forward(total):
    """SiLU: total * sigmoid(total), written total / (1 + exp(-total))."""
    with np.errstate(over="ignore"):
        return total / (1 + np.exp(-total))


def silu_backward(grad_output, total):
    """Chain rule through SiLU, given its input z: grad_output * s * (1 + z (1 - s)), s = sigmoid(z)."""
    s = sigmoid(total)
    return grad_output * (s * (1 + total * (1 - s)))


def elu_forward(total):
    """ELU with alpha 1: total where total > 0, else exp(total) - 1 (as expm1)."""
    return np.where(total > 0, total, np.expm1(np.minimum(total, 0)))


def elu_backward(grad_output, total):
    """Chain rule through ELU, given its input z: grad_output where z > 0, else grad_output * exp(z)."""
    return np.where(total > 0, grad_output, grad_output * np.exp(np.minimum(total, 0)))


def softplus_forward(total):
    """softplus with PyTorch's defaults (beta 1, threshold 20): total where
    total > 20, else log(1 + exp(total)), written max(total, 0) + log1p(exp(-|total|))."""
    return np.where(total > 20, total, np.maximum(total, 0) + np.log1p(np.exp(-np.abs(total))))


def softplus_backward(grad_output, total):
    """Chain rule through softplus, given its input z: grad_output where z > 20,
    else grad_output * sigmoid(z)."""
    return np.where(total > 20, grad_output, grad_output * sigmoid(total))


ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "leaky_relu", "softmax", "exp", "gelu", "silu",
               "elu", "softplus")
# Activations whose backward pass reads the pre-activations, not the outputs.
FROM_TOTAL = {"gelu": gelu_backward, "silu": silu_backward, "elu": elu_backward,
              "softplus": softplus_backward}


def activation_needs_total(activation):
    """Whether the backward pass of the activation named ``activation`` reads its pre-activations."""
    return activation in FROM_TOTAL


def activation_forward(activation, total, slope):
    """The activation named ``activation`` applied to total; slope is leaky ReLU's."""
    if activation == "identity":
        return total.copy()
    if activation == "logistic":
        return sigmoid_forward(total)
    if activation == "tanh":
        return tanh_forward(total)
    if activation == "relu":
        return relu_forward(total)
    if activation == "leaky_relu":
        return leaky_relu_forward(total, slope)
    if activation == "softmax":
        return softmax_forward(total)
    if activation == "exp":
        return exp_forward(total)
    if activation == "gelu":
        return gelu_forward(total)
    if activation == "silu":
        return silu_forward(total)
    if activation == "elu":
        return elu_forward(total)
    if activation == "softplus":
        return softplus_forward(total)
    raise ValueError(f"activation: got {activation!r}, expected one of {ACTIVATIONS}")


def activation_backward(activation, grad_output, total, output, slope):
    """Chain rule through the activation named ``activation``, given its input
    total and its output (each activation reads one of them)."""
    if activation in FROM_TOTAL:
        return FROM_TOTAL[activation](grad_output, total)
    if activation == "identity":
        return grad_output.copy()
    if activation == "logistic":
        return sigmoid_backward(grad_output, output)
    if activation == "tanh":
        return tanh_backward(grad_output, output)
    if activation == "relu":
        return relu_backward(grad_output, output)
    if activation == "leaky_relu":
        return leaky_relu_backward(grad_output, output, slope)
    if activation == "softmax":
        return softmax_backward(grad_output, output)
    if activation == "exp":
        return exp_backward(grad_output, output)
    raise ValueError(f"activation: got {activation!r}, expected one of {ACTIVATIONS}")


def weighted_squared_error_backward(output, target, sample_weight, factor):
    """Gradient factor * w * (output - target), and the loss
    sum over samples of w * sum((output - target)**2).

    output, target: (n_samples, n_out); sample_weight: (n_samples,), or None
    for weights of 1. Returns (gradient, loss).
    """
    if sample_weight is None:
        sample_weight = np.ones(len(output), dtype=output.dtype)
    gradient = (factor * sample_weight)[:, np.newaxis] * (output - target)
    error = output.astype(np.float64) - target.astype(np.float64)
    loss = np.sum(sample_weight * np.sum(error**2, axis=1))
    return gradient, float(loss)


def absolute_error_backward(output, target, sample_weight, factor):
    """Gradient factor * w * sign(output - target) (sign(0) = 0, as PyTorch's),
    and the loss sum over samples of w * sum(|output - target|).

    Returns (gradient, loss), as weighted_squared_error_backward.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(output), dtype=output.dtype)
    gradient = (factor * sample_weight)[:, np.newaxis] * np.sign(output - target)
    error = output.astype(np.float64) - target.astype(np.float64)
    loss = np.sum(sample_weight * np.sum(np.abs(error), axis=1))
    return gradient, float(loss)


def huber_backward(output, target, sample_weight, factor, delta):
    """Gradient factor * w * clip(output - target, -delta, delta), and the loss
    sum over samples of w * sum(huber(output - target)), huber(e) = e**2 / 2
    where |e| <= delta, else delta * (|e| - delta / 2) (PyTorch's HuberLoss).

    Returns (gradient, loss), as weighted_squared_error_backward.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(output), dtype=output.dtype)
    gradient = (factor * sample_weight)[:, np.newaxis] * np.clip(output - target, -delta, delta)
    size = np.abs(output.astype(np.float64) - target.astype(np.float64))
    losses = np.where(size <= delta, 0.5 * size * size, delta * (size - 0.5 * delta))
    loss = np.sum(sample_weight * np.sum(losses, axis=1))
    return gradient, float(loss)


def logistic_cross_entropy_backward(total, output, target, sample_weight, factor):
    """Binary cross-entropy through a logistic output, output = sigmoid(total).

    Returns the gradient in total, factor * w * (output - target), and the
    loss, the sum over samples of w * sum(-target log(output) - (1 - target)
    log(1 - output)), written as max(z, 0) - target z + log(1 + exp(-|z|)),
    which is the same and finite for every finite z.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(output), dtype=output.dtype)
    gradient = (factor * sample_weight)[:, np.newaxis] * (output - target)
    z = total.astype(np.float64)
    losses = np.maximum(z, 0) - target.astype(np.float64) * z + np.log1p(np.exp(-np.abs(z)))
    loss = np.sum(sample_weight * np.sum(losses, axis=1))
    return gradient, float(loss)


def softmax_cross_entropy_backward(total, output, target, sample_weight, factor):
    """Cross-entropy -sum(target log(softmax(total))) through a softmax output.

    Returns the gradient in total, factor * w * (output * sum(target) -
    target), row by row, and the loss, the sum over samples of
    w * sum(target * (logsumexp(total) - total)), which is the same and
    finite for every finite total.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(output), dtype=output.dtype)
    target_sum = np.sum(target, axis=1, keepdims=True)
    gradient = (factor * sample_weight)[:, np.newaxis] * (output * target_sum - target)
    z = total.astype(np.float64)
    top = z.max(axis=1, keepdims=True)
    log_sum_exp = top + np.log(np.sum(np.exp(z - top), axis=1, keepdims=True))
    loss = np.sum(sample_weight * np.sum(target * (log_sum_exp - z), axis=1))
    return gradient, float(loss)


def poisson_backward(total, output, target, sample_weight, factor):
    """Half the Poisson deviance through an exp output, output = exp(total).

    Returns the gradient in total, factor * w * (output - target), and the
    loss, the sum over samples of w * sum(target log(target / output) -
    target + output), written as target log(target) - target total - target
    + output (target log(target) = 0 at target = 0), which is the same
    without dividing. Targets are >= 0.
    """
    if sample_weight is None:
        sample_weight = np.ones(len(output), dtype=output.dtype)
    gradient = (factor * sample_weight)[:, np.newaxis] * (output - target)
    y = target.astype(np.float64)
    y_log_y = y * np.log(np.where(y > 0, y, 1))
    losses = y_log_y - y * total.astype(np.float64) - y + output.astype(np.float64)
    loss = np.sum(sample_weight * np.sum(losses, axis=1))
    return gradient, float(loss)


def momentum_update(weights, gradient, velocity, learning_rate, momentum, nesterov):
    """velocity := momentum * velocity - learning_rate * gradient, then
    weights += velocity, or with Nesterov weights += momentum * velocity -
    learning_rate * gradient (a second step, looking ahead). In place;
    returns whether every weight stays finite."""
    velocity[...] = momentum * velocity - learning_rate * gradient
    if nesterov:
        weights += momentum * velocity - learning_rate * gradient
    else:
        weights += velocity
    return bool(np.isfinite(weights).all())


def adam_update(weights, gradient, first_moment, second_moment, step_size, beta_1, beta_2, epsilon):
    """One Adam step, in place: the moments' running averages, then
    weights -= step_size * first_moment / (sqrt(second_moment) + epsilon).

    The bias corrections are folded into step_size, which at step t is
    learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t). Returns whether
    every weight, and every second moment, stays finite: a gradient whose
    square overflows leaves the weight as it was but the second moment at
    inf, and every later step of that weight would be 0.
    """
    first_moment[...] = beta_1 * first_moment + (1 - beta_1) * gradient
    second_moment[...] = beta_2 * second_moment + (1 - beta_2) * (gradient * gradient)
    weights -= step_size * first_moment / (np.sqrt(second_moment) + epsilon)
    return bool(np.isfinite(weights).all() and np.isfinite(second_moment).all())


def l2_backward(weights, gradient, factor):
    """gradient += factor * weights, in place; returns sum(weights**2) in float64."""
    gradient += factor * weights
    return float(np.sum(weights.astype(np.float64) ** 2))


_GOLDEN = 0x9E3779B97F4A7C15
_MASK64 = 2**64 - 1


def _mix64(z):
    """SplitMix64's mixer on uint64 arrays (NumPy's unsigned arithmetic wraps)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _mix64_int(value):
    return int(_mix64(np.array([value & _MASK64], dtype=np.uint64))[0])


def dropout_keep(seed, epoch, step, layer, rate, size, dtype=np.float64):
    """The dropout masks of layer ``layer`` at ``step`` of ``epoch``, for
    ``size`` units (a batch's rows times the layer's width, row by row):
    1 / (1 - rate) (in ``dtype``) where a unit is kept, 0 where it is dropped.

    Units go in pairs: pair p's 64 random bits are SplitMix64's mixer of
    key + golden * (p + 1), the key the mixer chained over seed, epoch, step
    and layer the same way; unit u takes the low 32 of pair u // 2 when
    even, the high 32 when odd, and is kept when they are at least
    floor(rate * 2**32).
    """
    key = seed
    for count in (epoch, step, layer):
        key = _mix64_int(key + _GOLDEN * (count + 1))
    pairs = np.arange(1, (size + 1) // 2 + 1, dtype=np.uint64)
    bits = _mix64(np.uint64(key) + np.uint64(_GOLDEN) * pairs)
    halves = np.stack([bits & np.uint64(0xFFFFFFFF), bits >> np.uint64(32)], axis=1).ravel()[:size]
    kept = halves >= np.uint64(int(rate * 2**32))
    scale = np.asarray(1, dtype) / np.asarray(1 - rate, dtype)
    return np.where(kept, scale, np.asarray(0, dtype))


def dropout_forward(output, keep):
    """Inverted dropout: the outputs times the masks of ``dropout_keep``."""
    return output * keep


def dropout_backward(grad_dropped, keep):
    """The gradient in a layer's outputs from that in their dropped values."""
    return grad_dropped * keep


class Neuron:
    def __init__(self, weights: Any, bias: Any) -> None:
        self.weights = weights
        self.bias = bias

    def feedforward(self, inputs: Any) -> Any:
        total = np.dot(self.weights, inputs) + self.bias
        return sigmoid(total)


class OurNeuralNetwork:
    """
    Neural network data:
    two entrances
    two neurons in hidden layers (h1, h2)
    output (o1)
    Neurons have identical weights and thresholds:
    w = [0, 1]
    b = 0
    """

    def __init__(self) -> None:
        weights = np.array([0, 1])
        bias = 0
        self.h1 = Neuron(weights, bias)
        self.h2 = Neuron(weights, bias)
        self.o1 = Neuron(weights, bias)

    def feedforward(self, x: Any) -> Any:
        out_h1 = self.h1.feedforward(x)
        out_h2 = self.h2.feedforward(x)
        # Inputs for o1 are outputs h1 and h2
        out_o1 = self.o1.feedforward(np.array([out_h1, out_h2]))
        return out_o1


class NeuralNetwork:
    def __init__(self, x: Any, y: Any) -> None:
        self.input = x
        self.weights1 = np.random.rand(self.input.shape[1], 4)
        self.weights2 = np.random.rand(4, 1)
        self.y = y
        self.output = np.zeros(self.y.shape)

    def feedforward(self) -> None:
        self.layer1 = sigmoid(np.dot(self.input, self.weights1))
        self.output = sigmoid(np.dot(self.layer1, self.weights2))

    def backprop(self) -> None:
        # application of the chain rule to find derivative of the loss
        # function with respect to weights2 and weights1
        d_weights2 = np.dot(self.layer1.T, (2 * (self.y - self.output) * sigmoid_derivative(self.output)))
        d_weights1 = np.dot(self.input.T, (np.dot(2 * (self.y - self.output) * sigmoid_derivative(self.output), self.weights2.T) * sigmoid_derivative(self.layer1)))

        # update the weights with the derivative (slope) of the loss function
        self.weights1 += d_weights1
        self.weights2 += d_weights2
