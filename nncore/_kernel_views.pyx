"""Each kernel of ``_kernels`` called on NumPy arrays, one call at a time.

For the tests (each kernel against its namesake in ``nncore.reference``)
and for one-off calls such as ``Neuron.feedforward``. These are reachable
from Python, so the public functions check that the operands share one
dtype (TypeError) before Cython picks a specialization, and the private
fused ones check shapes (ValueError). Outputs are written in place.
"""
from nncore cimport _kernels as k
from nncore._kernels cimport floating
from nncore cimport _optim
from nncore._validation import check_kernel_dtypes, check_kernel_shapes


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
    with nogil:
        k.dense_backward_weights(&inputs[0, 0], &delta[0, 0], &grad_weights[0, 0],
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
    check_kernel_shapes("sigmoid_backward", {
        "outputs": ((outputs.shape[0],), (grad_outputs.shape[0],)),
        "delta": ((delta.shape[0],), (grad_outputs.shape[0],)),
    })
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
    """params -= learning_rate * grads, in place."""
    check_kernel_shapes("sgd_update", {"grads": ((grads.shape[0],), (params.shape[0],))})
    with nogil:
        _optim.sgd_update(&params[0], &grads[0], <floating> learning_rate, params.shape[0])


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
    """params -= learning_rate * grads, in place."""
    check_kernel_dtypes("sgd_update", params=params, grads=grads)
    _sgd_update(params, grads, learning_rate)
