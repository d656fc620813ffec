"""Each kernel of ``_kernels`` and ``_optim`` called on NumPy arrays, one call at a time.

For the tests (each kernel against its namesake in ``nncore.reference``)
and for one-off calls such as ``Neuron.feedforward``. These are reachable
from Python, so the public functions check that the operands share one
dtype (TypeError) before Cython picks a specialization, and the private
fused ones check shapes (ValueError). Outputs are written in place.
"""
import numpy as np

from libc.stdint cimport uint64_t

from nncore cimport _kernels as k
from nncore._kernels cimport floating, nncore_isa
from nncore cimport _optim
from nncore._kernels import ACTIVATION_CODES, ISA_NAMES as _ISA_NAMES
from nncore._validation import (
    check_choice, check_fraction, check_kernel_dtypes, check_kernel_shapes, check_positive_int,
    check_uint64,
)


cdef dict _elementwise_backward_shapes(Py_ssize_t size, Py_ssize_t outputs_size,
                                       Py_ssize_t delta_size):
    """An element-wise backward kernel's checks: outputs and delta as long as grad_outputs."""
    return {"outputs": ((outputs_size,), (size,)), "delta": ((delta_size,), (size,))}


def isa_in_use():
    """The instruction set this module's dispatched kernels run (see _kernels.isa_in_use)."""
    return _ISA_NAMES[nncore_isa]


def parallel_parts(work, min_work):
    """How many threads nncore's own passes would split ``work`` into, with
    at least ``min_work`` each: BLAS's thread count (see _threads.h). Loads
    SciPy's BLAS first: until then the views here run on one thread (an
    engine loads it when built)."""
    work = check_positive_int("work", work, minimum=0)
    min_work = check_positive_int("min_work", min_work)
    k.load_blas()
    return k.nncore_parts_for(work, min_work)


def _regression_loss_shapes(shape, targets, sample_weight, grad_outputs):
    """A loss kernel's checks on its outputs' shape (n_samples, n_out): targets and
    grad_outputs of that shape, sample_weight (n_samples,) or None."""
    return {
        "targets": (targets.shape, shape),
        "sample_weight": (sample_weight.shape if sample_weight is not None else shape[:1], shape[:1]),
        "grad_outputs": (grad_outputs.shape, shape),
    }


def _fused_loss_shapes(shape, outputs, targets, sample_weight, delta):
    """A fused loss kernel's checks: outputs, targets and delta of total's shape
    (n_samples, n_out), sample_weight (n_samples,) or None."""
    return {
        "outputs": (outputs.shape, shape),
        "targets": (targets.shape, shape),
        "sample_weight": (sample_weight.shape if sample_weight is not None else shape[:1], shape[:1]),
        "delta": (delta.shape, shape),
    }


def _dense_forward(const floating[:, ::1] inputs, const floating[:, ::1] weights,
                  const floating[::1] bias, floating[:, ::1] outputs, bint use_blas=False):
    """outputs := inputs @ weights (+ bias); pass bias=None for none."""
    cdef Py_ssize_t n_samples, n_in, n_out
    n_samples, n_in, n_out = inputs.shape[0], inputs.shape[1], weights.shape[1]
    check_kernel_shapes("dense_forward", {
        "inputs": ((inputs.shape[0], inputs.shape[1]), (n_samples, n_in)),
        "weights": ((weights.shape[0], weights.shape[1]), (n_in, n_out)),
        "bias": ((bias.shape[0],) if bias is not None else (n_out,), (n_out,)),
        "outputs": ((outputs.shape[0], outputs.shape[1]), (n_samples, n_out)),
    })
    if use_blas:
        k.load_blas()
    with nogil:
        k.dense_forward(&inputs[0, 0], &weights[0, 0],
                        &bias[0] if bias is not None else NULL, &outputs[0, 0],
                        n_samples, n_in, n_out, use_blas)


def _dense_backward_input(const floating[:, ::1] delta, const floating[:, ::1] weights,
                         floating[:, ::1] grad_inputs, bint use_blas=False):
    """grad_inputs := delta @ weights.T."""
    cdef Py_ssize_t n_samples, n_in, n_out
    n_samples, n_in, n_out = delta.shape[0], weights.shape[0], weights.shape[1]
    check_kernel_shapes("dense_backward_input", {
        "delta": ((delta.shape[0], delta.shape[1]), (n_samples, n_out)),
        "grad_inputs": ((grad_inputs.shape[0], grad_inputs.shape[1]), (n_samples, n_in)),
    })
    if use_blas:
        k.load_blas()
    with nogil:
        k.dense_backward_input(&delta[0, 0], &weights[0, 0], &grad_inputs[0, 0],
                               n_samples, n_in, n_out, use_blas)


def _dense_backward_weights(const floating[:, ::1] inputs, const floating[:, ::1] delta,
                           floating[:, ::1] grad_weights, bint use_blas=False):
    """grad_weights := inputs.T @ delta."""
    cdef Py_ssize_t n_samples, n_in, n_out
    n_samples, n_in, n_out = inputs.shape[0], inputs.shape[1], delta.shape[1]
    check_kernel_shapes("dense_backward_weights", {
        "delta": ((delta.shape[0], delta.shape[1]), (n_samples, n_out)),
        "grad_weights": ((grad_weights.shape[0], grad_weights.shape[1]), (n_in, n_out)),
    })
    if use_blas:
        k.load_blas()
    with nogil:
        k.dense_backward_weights(&inputs[0, 0], &delta[0, 0], NULL, 0, &grad_weights[0, 0],
                                 n_samples, n_in, n_out, use_blas)


def _dense_backward_bias(const floating[:, ::1] delta, floating[::1] grad_bias):
    """grad_bias := delta summed over samples."""
    check_kernel_shapes("dense_backward_bias", {
        "grad_bias": ((grad_bias.shape[0],), (delta.shape[1],)),
        "delta": ((delta.shape[0], delta.shape[1]), (delta.shape[0], delta.shape[1])),
    })
    with nogil:
        k.dense_backward_bias(&delta[0, 0], &grad_bias[0], delta.shape[0], delta.shape[1])


def _sigmoid_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := sigmoid(total), element-wise over flat arrays."""
    check_kernel_shapes("sigmoid_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.sigmoid_forward(&total[0], &outputs[0], total.shape[0])


def _sigmoid_backward(const floating[::1] grad_outputs, const floating[::1] outputs,
                     floating[::1] delta):
    """delta := grad_outputs * outputs * (1 - outputs), element-wise."""
    check_kernel_shapes("sigmoid_backward", _elementwise_backward_shapes(
        grad_outputs.shape[0], outputs.shape[0], delta.shape[0]))
    with nogil:
        k.sigmoid_backward(&grad_outputs[0], &outputs[0], &delta[0], delta.shape[0])


def _sse_backward(const floating[::1] outputs, const floating[::1] targets,
                 floating[::1] grad_outputs):
    """grad_outputs := 2 * (outputs - targets); returns the sum of squared errors."""
    cdef double loss
    check_kernel_shapes("sse_backward", {
        "targets": ((targets.shape[0],), (outputs.shape[0],)),
        "grad_outputs": ((grad_outputs.shape[0],), (outputs.shape[0],)),
    })
    with nogil:
        loss = k.sse_backward(&outputs[0], &targets[0], &grad_outputs[0], outputs.shape[0])
    return loss


def _sgd_update(floating[::1] params, const floating[::1] grads, double learning_rate):
    """params -= learning_rate * grads, in place; whether all are finite."""
    check_kernel_shapes("sgd_update", {"grads": ((grads.shape[0],), (params.shape[0],))})
    cdef floating[::1] work = _scratch(grads)  # the kernel leaves the old params in it
    cdef bint finite
    with nogil:
        finite = _optim.sgd_update(&params[0], &work[0], <floating> learning_rate, 0,
                                   params.shape[0])
    return finite


def _scratch(array):
    """A copy of array for an update kernel to overwrite with the values it
    saves (these views do not use them), so the caller's array is kept."""
    return np.array(array, copy=True)


def _tanh_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := tanh(total), element-wise over flat arrays; they may be one array."""
    check_kernel_shapes("tanh_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.tanh_forward(&total[0], &outputs[0], total.shape[0])


def _tanh_backward(const floating[::1] grad_outputs, const floating[::1] outputs,
                  floating[::1] delta):
    """delta := grad_outputs * (1 - outputs * outputs), element-wise."""
    check_kernel_shapes("tanh_backward", _elementwise_backward_shapes(
        grad_outputs.shape[0], outputs.shape[0], delta.shape[0]))
    with nogil:
        k.tanh_backward(&grad_outputs[0], &outputs[0], &delta[0], delta.shape[0])


def _relu_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := max(total, 0), element-wise over flat arrays."""
    check_kernel_shapes("relu_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.relu_forward(&total[0], &outputs[0], total.shape[0])


def _relu_backward(const floating[::1] grad_outputs, const floating[::1] outputs,
                  floating[::1] delta):
    """delta := grad_outputs where outputs > 0, else 0."""
    check_kernel_shapes("relu_backward", _elementwise_backward_shapes(
        grad_outputs.shape[0], outputs.shape[0], delta.shape[0]))
    with nogil:
        k.relu_backward(&grad_outputs[0], &outputs[0], &delta[0], delta.shape[0])


def _leaky_relu_forward(const floating[::1] total, floating[::1] outputs, double slope):
    """outputs := total where total > 0, else slope * total."""
    check_kernel_shapes("leaky_relu_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.leaky_relu_forward(&total[0], &outputs[0], <floating> slope, total.shape[0])


def _leaky_relu_backward(const floating[::1] grad_outputs, const floating[::1] outputs,
                        floating[::1] delta, double slope):
    """delta := grad_outputs where outputs > 0, else slope * grad_outputs."""
    check_kernel_shapes("leaky_relu_backward", _elementwise_backward_shapes(
        grad_outputs.shape[0], outputs.shape[0], delta.shape[0]))
    with nogil:
        k.leaky_relu_backward(&grad_outputs[0], &outputs[0], &delta[0], <floating> slope,
                              delta.shape[0])


def _exp_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := exp(total), element-wise over flat arrays; they may be one array."""
    check_kernel_shapes("exp_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.exp_forward(&total[0], &outputs[0], total.shape[0])


def _exp_backward(const floating[::1] grad_outputs, const floating[::1] outputs,
                 floating[::1] delta):
    """delta := grad_outputs * outputs, element-wise."""
    check_kernel_shapes("exp_backward", _elementwise_backward_shapes(
        grad_outputs.shape[0], outputs.shape[0], delta.shape[0]))
    with nogil:
        k.exp_backward(&grad_outputs[0], &outputs[0], &delta[0], delta.shape[0])


def _gelu_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := Z Phi(Z) = Z erfc(-Z / sqrt2) / 2, element-wise over flat arrays; they may be one array."""
    check_kernel_shapes("gelu_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.gelu_forward(&total[0], &outputs[0], total.shape[0])


def _gelu_backward(const floating[::1] grad_outputs, const floating[::1] total,
                     floating[::1] delta):
    """delta := grad_outputs * (Phi(Z) + Z phi(Z)), from the pre-activations."""
    check_kernel_shapes("gelu_backward", {
        "total": ((total.shape[0],), (grad_outputs.shape[0],)),
        "delta": ((delta.shape[0],), (grad_outputs.shape[0],)),
    })
    with nogil:
        k.gelu_backward(&grad_outputs[0], &total[0], &delta[0], delta.shape[0])


def _silu_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := Z / (1 + exp(-Z)), element-wise over flat arrays; they may be one array."""
    check_kernel_shapes("silu_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.silu_forward(&total[0], &outputs[0], total.shape[0])


def _silu_backward(const floating[::1] grad_outputs, const floating[::1] total,
                     floating[::1] delta):
    """delta := grad_outputs * S (1 + Z (1 - S)), S = sigmoid(Z), from the pre-activations."""
    check_kernel_shapes("silu_backward", {
        "total": ((total.shape[0],), (grad_outputs.shape[0],)),
        "delta": ((delta.shape[0],), (grad_outputs.shape[0],)),
    })
    with nogil:
        k.silu_backward(&grad_outputs[0], &total[0], &delta[0], delta.shape[0])


def _elu_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := Z where Z > 0, else expm1(Z), element-wise over flat arrays; they may be one array."""
    check_kernel_shapes("elu_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.elu_forward(&total[0], &outputs[0], total.shape[0])


def _elu_backward(const floating[::1] grad_outputs, const floating[::1] total,
                     floating[::1] delta):
    """delta := grad_outputs * (1 where Z > 0, else exp(Z)), from the pre-activations."""
    check_kernel_shapes("elu_backward", {
        "total": ((total.shape[0],), (grad_outputs.shape[0],)),
        "delta": ((delta.shape[0],), (grad_outputs.shape[0],)),
    })
    with nogil:
        k.elu_backward(&grad_outputs[0], &total[0], &delta[0], delta.shape[0])


def _softplus_forward(const floating[::1] total, floating[::1] outputs):
    """outputs := Z where Z > 20, else log1p(exp(Z)), element-wise over flat arrays; they may be one array."""
    check_kernel_shapes("softplus_forward", {"outputs": ((outputs.shape[0],), (total.shape[0],))})
    with nogil:
        k.softplus_forward(&total[0], &outputs[0], total.shape[0])


def _softplus_backward(const floating[::1] grad_outputs, const floating[::1] total,
                     floating[::1] delta):
    """delta := grad_outputs * (1 where Z > 20, else sigmoid(Z)), from the pre-activations."""
    check_kernel_shapes("softplus_backward", {
        "total": ((total.shape[0],), (grad_outputs.shape[0],)),
        "delta": ((delta.shape[0],), (grad_outputs.shape[0],)),
    })
    with nogil:
        k.softplus_backward(&grad_outputs[0], &total[0], &delta[0], delta.shape[0])


def _softmax_forward(const floating[:, ::1] total, floating[:, ::1] outputs):
    """outputs := softmax of each row of total."""
    check_kernel_shapes("softmax_forward", {
        "outputs": ((outputs.shape[0], outputs.shape[1]), (total.shape[0], total.shape[1])),
    })
    with nogil:
        k.softmax_forward(&total[0, 0], &outputs[0, 0], total.shape[0], total.shape[1])


def _softmax_backward(const floating[:, ::1] grad_outputs, const floating[:, ::1] outputs,
                     floating[:, ::1] delta):
    """delta := outputs * (grad_outputs - row sums of grad_outputs * outputs)."""
    cdef Py_ssize_t n_samples = grad_outputs.shape[0], n_out = grad_outputs.shape[1]
    check_kernel_shapes("softmax_backward", {
        "outputs": ((outputs.shape[0], outputs.shape[1]), (n_samples, n_out)),
        "delta": ((delta.shape[0], delta.shape[1]), (n_samples, n_out)),
    })
    with nogil:
        k.softmax_backward(&grad_outputs[0, 0], &outputs[0, 0], &delta[0, 0], n_samples, n_out)


def _activation_forward(int kind, const floating[:, ::1] total, floating[:, ::1] outputs,
                       double slope):
    """outputs := f(total) for the activation code ``kind``."""
    check_kernel_shapes("activation_forward", {
        "outputs": ((outputs.shape[0], outputs.shape[1]), (total.shape[0], total.shape[1])),
    })
    with nogil:
        k.activation_forward(kind, &total[0, 0], &outputs[0, 0], total.shape[0], total.shape[1],
                             <floating> slope)


def _activation_backward(int kind, const floating[:, ::1] grad_outputs,
                        const floating[:, ::1] total, const floating[:, ::1] outputs,
                        floating[:, ::1] delta, double slope):
    """delta := grad_outputs * f'(total), from total or the outputs f(total), for the activation code ``kind``."""
    cdef Py_ssize_t n_samples = grad_outputs.shape[0], n_out = grad_outputs.shape[1]
    check_kernel_shapes("activation_backward", {
        "total": ((total.shape[0], total.shape[1]), (n_samples, n_out)),
        "outputs": ((outputs.shape[0], outputs.shape[1]), (n_samples, n_out)),
        "delta": ((delta.shape[0], delta.shape[1]), (n_samples, n_out)),
    })
    with nogil:
        k.activation_backward(kind, &grad_outputs[0, 0], &total[0, 0], &outputs[0, 0],
                              &delta[0, 0], n_samples, n_out, <floating> slope)


def _weighted_squared_error_backward(const floating[:, ::1] outputs, const floating[:, ::1] targets,
                                    const floating[::1] sample_weight, double factor,
                                    floating[:, ::1] grad_outputs):
    """grad_outputs := factor * w * (outputs - targets); returns sum of w * squared errors."""
    cdef Py_ssize_t n_samples = outputs.shape[0], n_out = outputs.shape[1]
    cdef double loss
    check_kernel_shapes("weighted_squared_error_backward", {
        "targets": ((targets.shape[0], targets.shape[1]), (n_samples, n_out)),
        "sample_weight": ((sample_weight.shape[0],) if sample_weight is not None else (n_samples,),
                          (n_samples,)),
        "grad_outputs": ((grad_outputs.shape[0], grad_outputs.shape[1]), (n_samples, n_out)),
    })
    with nogil:
        loss = k.weighted_squared_error_backward(
            &outputs[0, 0], &targets[0, 0], &sample_weight[0] if sample_weight is not None else NULL,
            <floating> factor, &grad_outputs[0, 0], n_samples, n_out)
    return loss


def _absolute_error_backward(const floating[:, ::1] outputs, const floating[:, ::1] targets,
                            const floating[::1] sample_weight, double factor,
                            floating[:, ::1] grad_outputs):
    """grad_outputs := factor * w * sign(outputs - targets); returns sum of w * absolute errors."""
    cdef Py_ssize_t n_samples = outputs.shape[0], n_out = outputs.shape[1]
    cdef double loss
    check_kernel_shapes("absolute_error_backward", _regression_loss_shapes(
        (n_samples, n_out), targets, sample_weight, grad_outputs))
    with nogil:
        loss = k.absolute_error_backward(
            &outputs[0, 0], &targets[0, 0], &sample_weight[0] if sample_weight is not None else NULL,
            <floating> factor, &grad_outputs[0, 0], n_samples, n_out)
    return loss


def _huber_backward(const floating[:, ::1] outputs, const floating[:, ::1] targets,
                    const floating[::1] sample_weight, double factor, double delta,
                    floating[:, ::1] grad_outputs):
    """grad_outputs := factor * w * clip(outputs - targets, -delta, delta); returns sum of w * Huber losses."""
    cdef Py_ssize_t n_samples = outputs.shape[0], n_out = outputs.shape[1]
    cdef double loss
    check_kernel_shapes("huber_backward", _regression_loss_shapes(
        (n_samples, n_out), targets, sample_weight, grad_outputs))
    with nogil:
        loss = k.huber_backward(
            &outputs[0, 0], &targets[0, 0], &sample_weight[0] if sample_weight is not None else NULL,
            <floating> factor, <floating> delta, &grad_outputs[0, 0], n_samples, n_out)
    return loss


def _logistic_cross_entropy_backward(const floating[:, ::1] total, const floating[:, ::1] outputs,
                                    const floating[:, ::1] targets,
                                    const floating[::1] sample_weight, double factor,
                                    floating[:, ::1] delta):
    """delta := factor * w * (outputs - targets); returns the weighted binary cross-entropy."""
    cdef Py_ssize_t n_samples = total.shape[0], n_out = total.shape[1]
    cdef double loss
    check_kernel_shapes("logistic_cross_entropy_backward", _fused_loss_shapes(
        (n_samples, n_out), outputs, targets, sample_weight, delta))
    with nogil:
        loss = k.logistic_cross_entropy_backward(
            &total[0, 0], &outputs[0, 0], &targets[0, 0],
            &sample_weight[0] if sample_weight is not None else NULL, <floating> factor,
            &delta[0, 0], n_samples, n_out)
    return loss


def _softmax_cross_entropy_backward(const floating[:, ::1] total, const floating[:, ::1] outputs,
                                   const floating[:, ::1] targets,
                                   const floating[::1] sample_weight, double factor,
                                   floating[:, ::1] delta):
    """delta := factor * w * (outputs * row sums of targets - targets); returns the weighted cross-entropy."""
    cdef Py_ssize_t n_samples = total.shape[0], n_out = total.shape[1]
    cdef floating[::1] scratch
    cdef double loss
    check_kernel_shapes("softmax_cross_entropy_backward", _fused_loss_shapes(
        (n_samples, n_out), outputs, targets, sample_weight, delta))
    # The kernel's workspace for one row's exponentials.
    scratch = np.empty(n_out, dtype=np.float64 if floating is double else np.float32)
    with nogil:
        loss = k.softmax_cross_entropy_backward(
            &total[0, 0], &outputs[0, 0], &targets[0, 0],
            &sample_weight[0] if sample_weight is not None else NULL, <floating> factor,
            &delta[0, 0], &scratch[0], n_samples, n_out)
    return loss


def _poisson_backward(const floating[:, ::1] total, const floating[:, ::1] outputs,
                      const floating[:, ::1] targets, const floating[::1] sample_weight,
                      double factor, floating[:, ::1] delta):
    """delta := factor * w * (outputs - targets); returns the weighted half Poisson deviance."""
    cdef Py_ssize_t n_samples = total.shape[0], n_out = total.shape[1]
    cdef double loss
    check_kernel_shapes("poisson_backward", _fused_loss_shapes(
        (n_samples, n_out), outputs, targets, sample_weight, delta))
    with nogil:
        loss = k.poisson_backward(
            &total[0, 0], &outputs[0, 0], &targets[0, 0],
            &sample_weight[0] if sample_weight is not None else NULL, <floating> factor,
            &delta[0, 0], n_samples, n_out)
    return loss


def _momentum_update(floating[::1] params, const floating[::1] grads, floating[::1] velocity,
                    double learning_rate, double momentum, bint nesterov):
    """velocity := momentum * velocity - learning_rate * grads; params += the step, in place."""
    check_kernel_shapes("momentum_update", {
        "grads": ((grads.shape[0],), (params.shape[0],)),
        "velocity": ((velocity.shape[0],), (params.shape[0],)),
    })
    cdef floating[::1] work = _scratch(grads), saved_velocity = _scratch(params)
    cdef bint finite
    with nogil:
        finite = _optim.momentum_update(&params[0], &work[0], &velocity[0], <floating> learning_rate,
                                        <floating> momentum, nesterov, 0, &saved_velocity[0],
                                        params.shape[0])
    return finite


def _adam_update(floating[::1] params, const floating[::1] grads, floating[::1] first_moment,
                floating[::1] second_moment, double step_size, double beta_1, double beta_2,
                double epsilon):
    """One Adam step on params and both moments, in place."""
    check_kernel_shapes("adam_update", {
        "grads": ((grads.shape[0],), (params.shape[0],)),
        "first_moment": ((first_moment.shape[0],), (params.shape[0],)),
        "second_moment": ((second_moment.shape[0],), (params.shape[0],)),
    })
    cdef floating[::1] work = _scratch(grads), saved_first = _scratch(params)
    cdef floating[::1] saved_second = _scratch(params)
    cdef bint finite
    with nogil:
        finite = _optim.adam_update(&params[0], &work[0], &first_moment[0], &second_moment[0],
                                    <floating> step_size, <floating> beta_1, <floating> beta_2,
                                    <floating> epsilon, &saved_first[0], &saved_second[0],
                                    params.shape[0])
    return finite


def _l2_backward(const floating[::1] weights, floating[::1] grads, double factor):
    """grads += factor * weights, in place; returns sum(weights**2)."""
    cdef double squares
    check_kernel_shapes("l2_backward", {"grads": ((grads.shape[0],), (weights.shape[0],))})
    with nogil:
        squares = _optim.l2_backward(&weights[0], &grads[0], <floating> factor, weights.shape[0])
    return squares


def _dropout_keep(uint64_t seed, uint64_t epoch, uint64_t step, uint64_t layer, double rate,
                  floating[::1] keep):
    """keep := the dropout masks times 1 / (1 - rate)."""
    with nogil:
        k.dropout_keep(seed, epoch, step, layer, rate, &keep[0], keep.shape[0])


def _dropout_forward(const floating[::1] outputs, const floating[::1] keep, floating[::1] dropped):
    """dropped := outputs * keep, element-wise."""
    check_kernel_shapes("dropout_forward", _elementwise_backward_shapes(
        outputs.shape[0], keep.shape[0], dropped.shape[0]))
    with nogil:
        k.dropout_forward(&outputs[0], &keep[0], &dropped[0], outputs.shape[0])


def _dropout_backward(const floating[::1] grad_dropped, const floating[::1] keep,
                      floating[::1] grad_outputs):
    """grad_outputs := grad_dropped * keep, element-wise."""
    check_kernel_shapes("dropout_backward", _elementwise_backward_shapes(
        grad_dropped.shape[0], keep.shape[0], grad_outputs.shape[0]))
    with nogil:
        k.dropout_backward(&grad_dropped[0], &keep[0], &grad_outputs[0], grad_dropped.shape[0])


def dropout_keep(seed, epoch, step, layer, rate, keep):
    """keep := the masks of layer ``layer`` at ``step`` of ``epoch`` (see
    nncore/_dropout.h), 1 / (1 - rate) for kept units, 0 for dropped ones."""
    for name, value in (("seed", seed), ("epoch", epoch), ("step", step), ("layer", layer)):
        check_uint64(name, value)
    check_fraction("rate", rate, closed_right=False)
    check_kernel_dtypes("dropout_keep", keep=keep)
    _dropout_keep(seed, epoch, step, layer, rate, keep)


def dropout_forward(outputs, keep, dropped):
    """dropped := outputs * keep, element-wise over flat arrays."""
    check_kernel_dtypes("dropout_forward", outputs=outputs, keep=keep, dropped=dropped)
    _dropout_forward(outputs, keep, dropped)


def dropout_backward(grad_dropped, keep, grad_outputs):
    """grad_outputs := grad_dropped * keep; they may be one array."""
    check_kernel_dtypes("dropout_backward", grad_dropped=grad_dropped, keep=keep,
                        grad_outputs=grad_outputs)
    _dropout_backward(grad_dropped, keep, grad_outputs)


def dense_forward(inputs, weights, bias, outputs, use_blas=False):
    """outputs := inputs @ weights (+ bias); pass bias=None for none."""
    check_kernel_dtypes("dense_forward", inputs=inputs, weights=weights, bias=bias, outputs=outputs)
    _dense_forward(inputs, weights, bias, outputs, use_blas)


def dense_backward_input(delta, weights, grad_inputs, use_blas=False):
    """grad_inputs := delta @ weights.T."""
    check_kernel_dtypes("dense_backward_input", delta=delta, weights=weights, grad_inputs=grad_inputs)
    _dense_backward_input(delta, weights, grad_inputs, use_blas)


def dense_backward_weights(inputs, delta, grad_weights, use_blas=False):
    """grad_weights := inputs.T @ delta."""
    check_kernel_dtypes("dense_backward_weights", inputs=inputs, delta=delta, grad_weights=grad_weights)
    _dense_backward_weights(inputs, delta, grad_weights, use_blas)


def dense_backward_bias(delta, grad_bias):
    """grad_bias := delta summed over samples."""
    check_kernel_dtypes("dense_backward_bias", delta=delta, grad_bias=grad_bias)
    _dense_backward_bias(delta, grad_bias)


def sigmoid_forward(total, outputs):
    """outputs := sigmoid(total), element-wise over flat arrays."""
    check_kernel_dtypes("sigmoid_forward", total=total, outputs=outputs)
    _sigmoid_forward(total, outputs)


def sigmoid_backward(grad_outputs, outputs, delta):
    """delta := grad_outputs * outputs * (1 - outputs), element-wise."""
    check_kernel_dtypes("sigmoid_backward", grad_outputs=grad_outputs, outputs=outputs, delta=delta)
    _sigmoid_backward(grad_outputs, outputs, delta)


def sse_backward(outputs, targets, grad_outputs):
    """grad_outputs := 2 * (outputs - targets); returns the sum of squared errors."""
    check_kernel_dtypes("sse_backward", outputs=outputs, targets=targets, grad_outputs=grad_outputs)
    return _sse_backward(outputs, targets, grad_outputs)


def sgd_update(params, grads, learning_rate):
    """params -= learning_rate * grads, in place; returns whether every new value is finite."""
    check_kernel_dtypes("sgd_update", params=params, grads=grads)
    return _sgd_update(params, grads, learning_rate)


def tanh_forward(total, outputs):
    """outputs := tanh(total), element-wise over flat arrays; they may be one array."""
    check_kernel_dtypes("tanh_forward", total=total, outputs=outputs)
    _tanh_forward(total, outputs)


def tanh_backward(grad_outputs, outputs, delta):
    """delta := grad_outputs * (1 - outputs * outputs), element-wise."""
    check_kernel_dtypes("tanh_backward", grad_outputs=grad_outputs, outputs=outputs, delta=delta)
    _tanh_backward(grad_outputs, outputs, delta)


def relu_forward(total, outputs):
    """outputs := max(total, 0), element-wise over flat arrays."""
    check_kernel_dtypes("relu_forward", total=total, outputs=outputs)
    _relu_forward(total, outputs)


def relu_backward(grad_outputs, outputs, delta):
    """delta := grad_outputs where outputs > 0, else 0."""
    check_kernel_dtypes("relu_backward", grad_outputs=grad_outputs, outputs=outputs, delta=delta)
    _relu_backward(grad_outputs, outputs, delta)


def leaky_relu_forward(total, outputs, slope):
    """outputs := total where total > 0, else slope * total."""
    check_kernel_dtypes("leaky_relu_forward", total=total, outputs=outputs)
    _leaky_relu_forward(total, outputs, slope)


def leaky_relu_backward(grad_outputs, outputs, delta, slope):
    """delta := grad_outputs where outputs > 0, else slope * grad_outputs."""
    check_kernel_dtypes("leaky_relu_backward", grad_outputs=grad_outputs, outputs=outputs, delta=delta)
    _leaky_relu_backward(grad_outputs, outputs, delta, slope)


def exp_forward(total, outputs):
    """outputs := exp(total), element-wise over flat arrays; they may be one array."""
    check_kernel_dtypes("exp_forward", total=total, outputs=outputs)
    _exp_forward(total, outputs)


def exp_backward(grad_outputs, outputs, delta):
    """delta := grad_outputs * outputs, element-wise."""
    check_kernel_dtypes("exp_backward", grad_outputs=grad_outputs, outputs=outputs, delta=delta)
    _exp_backward(grad_outputs, outputs, delta)


def softmax_forward(total, outputs):
    """outputs := softmax of each row of total, (n_samples, n_out)."""
    check_kernel_dtypes("softmax_forward", total=total, outputs=outputs)
    _softmax_forward(total, outputs)


def softmax_backward(grad_outputs, outputs, delta):
    """delta := outputs * (grad_outputs - row sums of grad_outputs * outputs)."""
    check_kernel_dtypes("softmax_backward", grad_outputs=grad_outputs, outputs=outputs, delta=delta)
    _softmax_backward(grad_outputs, outputs, delta)


def gelu_forward(total, outputs):
    """outputs := total * Phi(total), Phi the standard normal distribution, element-wise over flat arrays; they may be one array."""
    check_kernel_dtypes("gelu_forward", total=total, outputs=outputs)
    _gelu_forward(total, outputs)


def gelu_backward(grad_outputs, total, delta):
    """delta := grad_outputs * (Phi(total) + total * phi(total)), element-wise."""
    check_kernel_dtypes("gelu_backward", grad_outputs=grad_outputs, total=total, delta=delta)
    _gelu_backward(grad_outputs, total, delta)


def silu_forward(total, outputs):
    """outputs := total / (1 + exp(-total)), element-wise over flat arrays; they may be one array."""
    check_kernel_dtypes("silu_forward", total=total, outputs=outputs)
    _silu_forward(total, outputs)


def silu_backward(grad_outputs, total, delta):
    """delta := grad_outputs * s * (1 + total * (1 - s)), s = sigmoid(total), element-wise."""
    check_kernel_dtypes("silu_backward", grad_outputs=grad_outputs, total=total, delta=delta)
    _silu_backward(grad_outputs, total, delta)


def elu_forward(total, outputs):
    """outputs := total where total > 0, else expm1(total), element-wise over flat arrays; they may be one array."""
    check_kernel_dtypes("elu_forward", total=total, outputs=outputs)
    _elu_forward(total, outputs)


def elu_backward(grad_outputs, total, delta):
    """delta := grad_outputs * (1 where total > 0, else exp(total)), element-wise."""
    check_kernel_dtypes("elu_backward", grad_outputs=grad_outputs, total=total, delta=delta)
    _elu_backward(grad_outputs, total, delta)


def softplus_forward(total, outputs):
    """outputs := total where total > 20, else log1p(exp(total)), element-wise over flat arrays; they may be one array."""
    check_kernel_dtypes("softplus_forward", total=total, outputs=outputs)
    _softplus_forward(total, outputs)


def softplus_backward(grad_outputs, total, delta):
    """delta := grad_outputs * (1 where total > 20, else sigmoid(total)), element-wise."""
    check_kernel_dtypes("softplus_backward", grad_outputs=grad_outputs, total=total, delta=delta)
    _softplus_backward(grad_outputs, total, delta)


def activation_needs_total(activation):
    """Whether the backward pass of the activation named ``activation`` reads its
    pre-activations (the others read only its outputs)."""
    check_choice("activation_needs_total: activation", activation, tuple(ACTIVATION_CODES))
    return bool(k.activation_needs_total(ACTIVATION_CODES[activation]))


def activation_forward(activation, total, outputs, slope):
    """outputs := f(total) for the activation named ``activation`` (a key of
    ``_kernels.ACTIVATION_CODES``); slope is leaky ReLU's."""
    check_choice("activation_forward: activation", activation, tuple(ACTIVATION_CODES))
    check_kernel_dtypes("activation_forward", total=total, outputs=outputs)
    _activation_forward(ACTIVATION_CODES[activation], total, outputs, slope)


def activation_backward(activation, grad_outputs, total, outputs, delta, slope):
    """delta := grad_outputs * f'(total), from total or the outputs f(total), for the
    activation named ``activation``; slope is leaky ReLU's."""
    check_choice("activation_backward: activation", activation, tuple(ACTIVATION_CODES))
    check_kernel_dtypes("activation_backward", grad_outputs=grad_outputs, total=total,
                        outputs=outputs, delta=delta)
    _activation_backward(ACTIVATION_CODES[activation], grad_outputs, total, outputs, delta, slope)


def weighted_squared_error_backward(outputs, targets, sample_weight, factor, grad_outputs):
    """grad_outputs := factor * w * (outputs - targets); returns the sum over samples
    of w * sum((outputs - targets)**2). sample_weight=None weighs every sample 1."""
    check_kernel_dtypes("weighted_squared_error_backward", outputs=outputs, targets=targets,
                        sample_weight=sample_weight, grad_outputs=grad_outputs)
    return _weighted_squared_error_backward(outputs, targets, sample_weight, factor, grad_outputs)


def absolute_error_backward(outputs, targets, sample_weight, factor, grad_outputs):
    """grad_outputs := factor * w * sign(outputs - targets), sign(0) = 0; returns the sum
    over samples of w * sum(|outputs - targets|). sample_weight=None weighs every sample 1."""
    check_kernel_dtypes("absolute_error_backward", outputs=outputs, targets=targets,
                        sample_weight=sample_weight, grad_outputs=grad_outputs)
    return _absolute_error_backward(outputs, targets, sample_weight, factor, grad_outputs)


def huber_backward(outputs, targets, sample_weight, factor, delta, grad_outputs):
    """grad_outputs := factor * w * clip(outputs - targets, -delta, delta); returns the
    sum over samples of w * sum(huber(outputs - targets)). sample_weight=None weighs every sample 1."""
    check_kernel_dtypes("huber_backward", outputs=outputs, targets=targets,
                        sample_weight=sample_weight, grad_outputs=grad_outputs)
    return _huber_backward(outputs, targets, sample_weight, factor, delta, grad_outputs)


def logistic_cross_entropy_backward(total, outputs, targets, sample_weight, factor, delta):
    """delta := factor * w * (outputs - targets), outputs = sigmoid(total); returns
    the weighted binary cross-entropy. total and delta may be one array."""
    check_kernel_dtypes("logistic_cross_entropy_backward", total=total, outputs=outputs,
                        targets=targets, sample_weight=sample_weight, delta=delta)
    return _logistic_cross_entropy_backward(total, outputs, targets, sample_weight, factor, delta)


def softmax_cross_entropy_backward(total, outputs, targets, sample_weight, factor, delta):
    """delta := factor * w * (outputs * sum(targets) - targets), row by row, outputs =
    softmax(total); returns the weighted cross-entropy. total and delta may be one array."""
    check_kernel_dtypes("softmax_cross_entropy_backward", total=total, outputs=outputs,
                        targets=targets, sample_weight=sample_weight, delta=delta)
    return _softmax_cross_entropy_backward(total, outputs, targets, sample_weight, factor, delta)


def poisson_backward(total, outputs, targets, sample_weight, factor, delta):
    """delta := factor * w * (outputs - targets), outputs = exp(total); returns the
    weighted half Poisson deviance (targets >= 0). total and delta may be one array."""
    check_kernel_dtypes("poisson_backward", total=total, outputs=outputs,
                        targets=targets, sample_weight=sample_weight, delta=delta)
    return _poisson_backward(total, outputs, targets, sample_weight, factor, delta)


def momentum_update(params, grads, velocity, learning_rate, momentum, nesterov):
    """velocity := momentum * velocity - learning_rate * grads, then params += velocity,
    or with Nesterov params += momentum * velocity - learning_rate * grads; in place.
    Returns whether every new value of params is finite."""
    check_kernel_dtypes("momentum_update", params=params, grads=grads, velocity=velocity)
    return _momentum_update(params, grads, velocity, learning_rate, momentum, nesterov)


def adam_update(params, grads, first_moment, second_moment, step_size, beta_1, beta_2, epsilon):
    """One Adam step on params and both moments, in place; step_size carries the
    bias corrections (see _optim.adam_update). Returns whether every new value
    of params and of second_moment is finite."""
    check_kernel_dtypes("adam_update", params=params, grads=grads, first_moment=first_moment,
                        second_moment=second_moment)
    return _adam_update(params, grads, first_moment, second_moment, step_size, beta_1, beta_2,
                        epsilon)


def l2_backward(weights, grads, factor):
    """grads += factor * weights, in place; returns sum(weights**2)."""
    check_kernel_dtypes("l2_backward", weights=weights, grads=grads)
    return _l2_backward(weights, grads, factor)
