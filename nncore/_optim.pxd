# Optimizer updates over flat parameter buffers: one pass each, in place.
# Each saves the values it overwrites and reports whether the new parameters
# are all finite, so the caller can undo a step that overflowed, exactly.
#
# The formulas are scikit-learn's (sklearn/neural_network/_stochastic_optimizers.py),
# so its estimators can be reproduced: momentum as v := mu v - lr g, Nesterov
# as a second look-ahead step, and Adam in the paper's efficient form, whose
# bias corrections the caller folds into the step size. Inline for the same
# reason as _kernels.pxd: the training loop compiles them into its own code.
from cython cimport floating
from libc.math cimport sqrt
from libc.string cimport memcpy


cdef inline bint _all_finite(const floating* values, Py_ssize_t size) noexcept nogil:
    """Whether no value is infinite or NaN: its own pass, as folded into an
    update loop the check kept the compiler from vectorizing it."""
    cdef Py_ssize_t i
    cdef bint finite = True
    for i in range(size):
        finite = finite & (values[i] - values[i] == 0)
    return finite


cdef inline bint sgd_update(floating* params, floating* grads, floating learning_rate,
                            Py_ssize_t size) noexcept nogil:
    """P := P - learning_rate * G, element-wise over size values; then G := the old P.

    Returns whether every new P is finite. Keeping the old P in G (each G is
    read before it is overwritten) lets a failed step be undone exactly; one
    buffer rather than two that alias keeps the loop vectorized.
    """
    cdef Py_ssize_t i
    cdef floating old, new
    for i in range(size):
        old = params[i]
        new = old - learning_rate * grads[i]
        grads[i] = old
        params[i] = new
    return _all_finite(params, size)


cdef inline bint momentum_update(floating* params, floating* grads, floating* velocity,
                                 floating learning_rate, floating momentum, bint nesterov,
                                 floating* saved_velocity, Py_ssize_t size) noexcept nogil:
    """V := mu V - lr G; P := P + V, or P + (mu V - lr G) with Nesterov.

    Then G := the old P, and saved_velocity gets the old V; returns whether
    every new P is finite.
    """
    cdef Py_ssize_t i
    cdef floating old, new, step
    memcpy(saved_velocity, velocity, size * sizeof(floating))
    for i in range(size):
        old = params[i]
        velocity[i] = momentum * velocity[i] - learning_rate * grads[i]
        step = momentum * velocity[i] - learning_rate * grads[i] if nesterov else velocity[i]
        new = old + step
        grads[i] = old
        params[i] = new
    return _all_finite(params, size)


cdef inline bint adam_update(floating* params, floating* grads, floating* first_moment,
                             floating* second_moment, floating step_size, floating beta_1,
                             floating beta_2, floating epsilon, floating* saved_first,
                             floating* saved_second, Py_ssize_t size) noexcept nogil:
    """M := b1 M + (1 - b1) G; S := b2 S + (1 - b2) G**2; P := P - step_size M / (sqrt(S) + eps).

    step_size is lr * sqrt(1 - b2**t) / (1 - b1**t) at step t. Then G := the
    old P, and saved_first, saved_second get the old M and S; returns whether
    every new P is finite.
    """
    cdef Py_ssize_t i
    cdef floating one = 1
    cdef floating g, old, new
    # The moments are saved in bulk: one loop writing six arrays is too many
    # for the compiler to vectorize.
    memcpy(saved_first, first_moment, size * sizeof(floating))
    memcpy(saved_second, second_moment, size * sizeof(floating))
    for i in range(size):
        g = grads[i]
        old = params[i]
        first_moment[i] = beta_1 * first_moment[i] + (one - beta_1) * g
        second_moment[i] = beta_2 * second_moment[i] + (one - beta_2) * (g * g)
        # <floating>: float32 stays float32 (sqrt is the double one; rounding it
        # gives sqrtf's bits).
        new = old + (-step_size * first_moment[i]) / (<floating> sqrt(second_moment[i]) + epsilon)
        grads[i] = old
        params[i] = new
    return _all_finite(params, size)


cdef inline double l2_backward(const floating* weights, floating* grads, floating factor,
                               Py_ssize_t size) noexcept nogil:
    """G := G + factor * W; returns sum(W**2), accumulated in double."""
    cdef Py_ssize_t i
    cdef double total = 0
    for i in range(size):
        total += <double> weights[i] * weights[i]
        grads[i] += factor * weights[i]
    return total
