# Optimizer updates over flat parameter buffers: one pass each, in place.
# Each saves the values it overwrites and reports whether the new parameters
# are all finite, so the caller can undo a step that overflowed, exactly.
#
# The formulas are scikit-learn's (sklearn/neural_network/_stochastic_optimizers.py),
# so its estimators can be reproduced: momentum as v := mu v - lr g, Nesterov
# as a second look-ahead step, and Adam in the paper's efficient form, whose
# bias corrections the caller folds into the step size (nncore_adam_step_size).
# The loops are in _optim.h, built for AVX2 and the baseline, around the one
# per-element update of each optimizer that the fused per-sample step
# (_dense.h) uses too; the wrappers here are inline for the same reason as
# _kernels.pxd: the training loop compiles them into its own code.
from cython cimport floating
from libc.stdint cimport int64_t

cdef extern from "_optim.h" nogil:
    enum:
        NNCORE_SGD
        NNCORE_ADAM
    double nncore_adam_step_size(double lr, double beta_1, double beta_2, int64_t t)
    double nncore_sum_squares_f64(const double* x, Py_ssize_t n)
    double nncore_sum_squares_f32(const float* x, Py_ssize_t n)
    bint nncore_sgd_f64(double* params, double* grads, double lr, Py_ssize_t n)
    bint nncore_sgd_f32(float* params, float* grads, float lr, Py_ssize_t n)
    bint nncore_momentum_f64(double* params, double* grads, double* velocity,
                             double* saved_velocity, double lr, double momentum,
                             bint nesterov, Py_ssize_t n)
    bint nncore_momentum_f32(float* params, float* grads, float* velocity,
                             float* saved_velocity, float lr, float momentum,
                             bint nesterov, Py_ssize_t n)
    bint nncore_adam_f64(double* params, double* grads, double* first, double* second,
                         double* saved_first, double* saved_second, double step_size,
                         double beta_1, double beta_2, double epsilon, Py_ssize_t n)
    bint nncore_adam_f32(float* params, float* grads, float* first, float* second,
                         float* saved_first, float* saved_second, float step_size,
                         float beta_1, float beta_2, float epsilon, Py_ssize_t n)


cdef inline double _sum_squares(const floating* values, Py_ssize_t size) noexcept nogil:
    """sum(values**2), accumulated in double in a fixed order (see _optim.h)."""
    if floating is double:
        return nncore_sum_squares_f64(values, size)
    else:
        return nncore_sum_squares_f32(values, size)


cdef inline bint sgd_update(floating* params, floating* grads, floating learning_rate,
                            Py_ssize_t size) noexcept nogil:
    """P := P - learning_rate * G, element-wise over size values; then G := the old P.

    Returns whether every new P is finite. Keeping the old P in G (each G is
    read before it is overwritten) lets a failed step be undone exactly.
    """
    if floating is double:
        return nncore_sgd_f64(params, grads, learning_rate, size)
    else:
        return nncore_sgd_f32(params, grads, learning_rate, size)


cdef inline bint momentum_update(floating* params, floating* grads, floating* velocity,
                                 floating learning_rate, floating momentum, bint nesterov,
                                 floating* saved_velocity, Py_ssize_t size) noexcept nogil:
    """V := mu V - lr G; P := P + V, or P + (mu V - lr G) with Nesterov.

    Then G := the old P, and saved_velocity gets the old V; returns whether
    every new P is finite.
    """
    if floating is double:
        return nncore_momentum_f64(params, grads, velocity, saved_velocity, learning_rate,
                                   momentum, nesterov, size)
    else:
        return nncore_momentum_f32(params, grads, velocity, saved_velocity, learning_rate,
                                   momentum, nesterov, size)


cdef inline bint adam_update(floating* params, floating* grads, floating* first_moment,
                             floating* second_moment, floating step_size, floating beta_1,
                             floating beta_2, floating epsilon, floating* saved_first,
                             floating* saved_second, Py_ssize_t size) noexcept nogil:
    """M := b1 M + (1 - b1) G; S := b2 S + (1 - b2) G**2; P := P - step_size M / (sqrt(S) + eps).

    step_size is lr * sqrt(1 - b2**t) / (1 - b1**t) at step t. Then G := the
    old P, and saved_first, saved_second get the old M and S; returns whether
    every new P and S is finite (an S that overflowed would freeze its P).
    """
    if floating is double:
        return nncore_adam_f64(params, grads, first_moment, second_moment, saved_first,
                               saved_second, step_size, beta_1, beta_2, epsilon, size)
    else:
        return nncore_adam_f32(params, grads, first_moment, second_moment, saved_first,
                               saved_second, step_size, beta_1, beta_2, epsilon, size)


cdef inline double l2_backward(const floating* weights, floating* grads, floating factor,
                               Py_ssize_t size) noexcept nogil:
    """G := G + factor * W; returns sum(W**2), accumulated in double as _sum_squares does."""
    cdef Py_ssize_t i
    for i in range(size):
        grads[i] += factor * weights[i]
    return _sum_squares(weights, size)
