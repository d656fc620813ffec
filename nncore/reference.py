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
6. The functions named like the compiled kernels (``dense_forward``,
   ``dense_backward_*``, ``sigmoid_forward``, ``sigmoid_backward``,
   ``sse_backward``, ``sgd_update``) are additions: each is one step of the tutorial's
   methods, so the kernels can be checked one by one. The classes keep the
   text's own one-liners; a test checks that the steps compose to them.
"""
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
    """weights -= learning_rate * gradient, in place."""
    weights -= learning_rate * gradient


class Neuron:
    def __init__(self, weights, bias):
        self.weights = weights
        self.bias = bias

    def feedforward(self, inputs):
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

    def __init__(self):
        weights = np.array([0, 1])
        bias = 0
        self.h1 = Neuron(weights, bias)
        self.h2 = Neuron(weights, bias)
        self.o1 = Neuron(weights, bias)

    def feedforward(self, x):
        out_h1 = self.h1.feedforward(x)
        out_h2 = self.h2.feedforward(x)
        # Inputs for o1 are outputs h1 and h2
        out_o1 = self.o1.feedforward(np.array([out_h1, out_h2]))
        return out_o1


class NeuralNetwork:
    def __init__(self, x, y):
        self.input = x
        self.weights1 = np.random.rand(self.input.shape[1], 4)
        self.weights2 = np.random.rand(4, 1)
        self.y = y
        self.output = np.zeros(self.y.shape)

    def feedforward(self):
        self.layer1 = sigmoid(np.dot(self.input, self.weights1))
        self.output = sigmoid(np.dot(self.layer1, self.weights2))

    def backprop(self):
        # application of the chain rule to find derivative of the loss
        # function with respect to weights2 and weights1
        d_weights2 = np.dot(self.layer1.T, (2 * (self.y - self.output) * sigmoid_derivative(self.output)))
        d_weights1 = np.dot(self.input.T, (np.dot(2 * (self.y - self.output) * sigmoid_derivative(self.output), self.weights2.T) * sigmoid_derivative(self.layer1)))

        # update the weights with the derivative (slope) of the loss function
        self.weights1 += d_weights1
        self.weights2 += d_weights2
