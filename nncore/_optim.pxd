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


cdef inline bint sgd_update(floating* params, const floating* grads, floating learning_rate,
                            floating* saved, Py_ssize_t size) noexcept nogil:
    """P := P - learning_rate * G, element-wise over size values; saved := the old P.

    Returns whether every new P is finite. saved may alias grads (each G is
    read before saved is written), so a failed step can be undone exactly.
    """
    cdef Py_ssize_t i
    cdef floating old, new
    cdef bint finite = True
    for i in range(size):
        old = params[i]
        new = old - learning_rate * grads[i]
        saved[i] = old
        params[i] = new
        finite = finite & (new - new == 0)
    return finite


cdef inline bint momentum_update(floating* params, const floating* grads, floating* velocity,
                                 floating learning_rate, floating momentum, bint nesterov,
                                 floating* saved, floating* saved_velocity,
                                 Py_ssize_t size) noexcept nogil:
    """V := mu V - lr G; P := P + V, or P + (mu V - lr G) with Nesterov.

    saved and saved_velocity get the old P and V; returns whether every new
    P is finite. saved may alias grads.
    """
    cdef Py_ssize_t i
    cdef floating old, new, step, v
    cdef bint finite = True
    for i in range(size):
        old = params[i]
        saved_velocity[i] = velocity[i]
        v = momentum * velocity[i] - learning_rate * grads[i]
        step = momentum * v - learning_rate * grads[i] if nesterov else v
        new = old + step
        velocity[i] = v
        saved[i] = old
        params[i] = new
        finite = finite & (new - new == 0)
    return finite


cdef inline bint adam_update(floating* params, const floating* grads, floating* first_moment,
                             floating* second_moment, floating step_size, floating beta_1,
                             floating beta_2, floating epsilon, floating* saved,
                             floating* saved_first, floating* saved_second,
                             Py_ssize_t size) noexcept nogil:
    """M := b1 M + (1 - b1) G; S := b2 S + (1 - b2) G**2; P := P - step_size M / (sqrt(S) + eps).

    step_size is lr * sqrt(1 - b2**t) / (1 - b1**t) at step t. The saved_*
    arrays get the old P, M and S; returns whether every new P is finite.
    saved may alias grads.
    """
    cdef Py_ssize_t i
    cdef floating one = 1
    cdef floating g, old, new, m, v
    cdef bint finite = True
    for i in range(size):
        g = grads[i]
        old = params[i]
        saved_first[i] = first_moment[i]
        saved_second[i] = second_moment[i]
        m = beta_1 * first_moment[i] + (one - beta_1) * g
        v = beta_2 * second_moment[i] + (one - beta_2) * (g * g)
        # <floating>: float32 stays float32 (sqrt is the double one; rounding it
        # gives sqrtf's bits).
        new = old + (-step_size * m) / (<floating> sqrt(v) + epsilon)
        first_moment[i] = m
        second_moment[i] = v
        saved[i] = old
        params[i] = new
        finite = finite & (new - new == 0)
    return finite


cdef inline double l2_backward(const floating* weights, floating* grads, floating factor,
                               Py_ssize_t size) noexcept nogil:
    """G := G + factor * W; returns sum(W**2), accumulated in double."""
    cdef Py_ssize_t i
    cdef double total = 0
    for i in range(size):
        total += <double> weights[i] * weights[i]
        grads[i] += factor * weights[i]
    return total
