# Optimizer updates over flat parameter buffers: one pass each, in place.
#
# The formulas are scikit-learn's (sklearn/neural_network/_stochastic_optimizers.py),
# so its estimators can be reproduced: momentum as v := mu v - lr g, Nesterov
# as a second look-ahead step, and Adam in the paper's efficient form, whose
# bias corrections the caller folds into the step size. Inline for the same
# reason as _kernels.pxd: the training loop compiles them into its own code.
from cython cimport floating
from libc.math cimport sqrt


cdef inline void sgd_update(floating* params, const floating* grads, floating learning_rate,
                            Py_ssize_t size) noexcept nogil:
    """P := P - learning_rate * G, element-wise over size values."""
    cdef Py_ssize_t i
    for i in range(size):
        params[i] -= learning_rate * grads[i]


cdef inline void momentum_update(floating* params, const floating* grads, floating* velocity,
                                 floating learning_rate, floating momentum, bint nesterov,
                                 Py_ssize_t size) noexcept nogil:
    """V := mu V - lr G; P := P + V, or P + (mu V - lr G) with Nesterov."""
    cdef Py_ssize_t i
    cdef floating step
    for i in range(size):
        velocity[i] = momentum * velocity[i] - learning_rate * grads[i]
        step = momentum * velocity[i] - learning_rate * grads[i] if nesterov else velocity[i]
        params[i] += step


cdef inline void adam_update(floating* params, const floating* grads, floating* first_moment,
                             floating* second_moment, floating step_size, floating beta_1,
                             floating beta_2, floating epsilon, Py_ssize_t size) noexcept nogil:
    """M := b1 M + (1 - b1) G; S := b2 S + (1 - b2) G**2; P := P - step_size M / (sqrt(S) + eps).

    step_size is lr * sqrt(1 - b2**t) / (1 - b1**t) at step t.
    """
    cdef Py_ssize_t i
    cdef floating one = 1
    cdef floating g
    for i in range(size):
        g = grads[i]
        first_moment[i] = beta_1 * first_moment[i] + (one - beta_1) * g
        second_moment[i] = beta_2 * second_moment[i] + (one - beta_2) * (g * g)
        # <floating>: float32 stays float32 (sqrt is the double one; rounding it
        # gives sqrtf's bits).
        params[i] += (-step_size * first_moment[i]) / (<floating> sqrt(second_moment[i]) + epsilon)


cdef inline double l2_backward(const floating* weights, floating* grads, floating factor,
                               Py_ssize_t size) noexcept nogil:
    """G := G + factor * W; returns sum(W**2), accumulated in double."""
    cdef Py_ssize_t i
    cdef double total = 0
    for i in range(size):
        total += <double> weights[i] * weights[i]
        grads[i] += factor * weights[i]
    return total
