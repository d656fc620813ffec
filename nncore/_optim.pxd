# Optimizer updates over flat parameter buffers: one pass each, in place.
# Each saves the values it overwrites and reports whether the new parameters
# are all finite, so the caller can undo a step that overflowed, exactly.
#
# The formulas are scikit-learn's (sklearn/neural_network/_stochastic_optimizers.py),
# so its estimators can be reproduced: momentum as v := mu v - lr g, Nesterov
# as a second look-ahead step, and Adam in the paper's efficient form, whose
# bias corrections the caller folds into the step size (nncore_adam_step_size).
# Weight decay is torch.optim's: SGD's adds wd * p to the gradient, AdamW
# (torch.optim.AdamW, operation by operation) scales p by 1 - lr * wd.
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
        NNCORE_ADAMW
    ctypedef struct nncore_adamw_constants_f64:
        double decay
    ctypedef struct nncore_adamw_constants_f32:
        float decay
    nncore_adamw_constants_f64 nncore_adamw_step_f64(double lr, double beta_1, double beta_2,
                                           double epsilon, double weight_decay, int64_t t)
    nncore_adamw_constants_f32 nncore_adamw_step_f32(double lr, double beta_1, double beta_2,
                                           double epsilon, double weight_decay, int64_t t)
    bint nncore_adamw_f64(double* params, double* grads, double* first, double* second,
                          double* saved_first, double* saved_second,
                          const nncore_adamw_constants_f64* constants, Py_ssize_t n)
    bint nncore_adamw_f32(float* params, float* grads, float* first, float* second,
                          float* saved_first, float* saved_second,
                          const nncore_adamw_constants_f32* constants, Py_ssize_t n)
    double nncore_clip_coefficient_f64(double total_norm, double max_norm)
    float nncore_clip_coefficient_f32(float total_norm, float max_norm)
    void nncore_scale_f64(double* x, double factor, Py_ssize_t n)
    void nncore_scale_f32(float* x, float factor, Py_ssize_t n)
    double nncore_adam_step_size(double lr, double beta_1, double beta_2, int64_t t)
    double nncore_sum_squares_f64(const double* x, Py_ssize_t n)
    double nncore_sum_squares_f32(const float* x, Py_ssize_t n)
    bint nncore_sgd_f64(double* params, double* grads, double lr, double weight_decay,
                        Py_ssize_t n)
    bint nncore_sgd_f32(float* params, float* grads, float lr, float weight_decay,
                        Py_ssize_t n)
    bint nncore_momentum_f64(double* params, double* grads, double* velocity,
                             double* saved_velocity, double lr, double momentum,
                             bint nesterov, double weight_decay, Py_ssize_t n)
    bint nncore_momentum_f32(float* params, float* grads, float* velocity,
                             float* saved_velocity, float lr, float momentum,
                             bint nesterov, float weight_decay, Py_ssize_t n)
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
                            floating weight_decay, Py_ssize_t size) noexcept nogil:
    """P := P - learning_rate * (G + weight_decay * P), element-wise over size
    values (G alone at weight_decay 0); then G := the old P.

    Returns whether every new P is finite. Keeping the old P in G (each G is
    read before it is overwritten) lets a failed step be undone exactly.
    """
    if floating is double:
        return nncore_sgd_f64(params, grads, learning_rate, weight_decay, size)
    else:
        return nncore_sgd_f32(params, grads, learning_rate, weight_decay, size)


cdef inline bint momentum_update(floating* params, floating* grads, floating* velocity,
                                 floating learning_rate, floating momentum, bint nesterov,
                                 floating weight_decay, floating* saved_velocity,
                                 Py_ssize_t size) noexcept nogil:
    """G := G + weight_decay * P (not at weight_decay 0); V := mu V - lr G;
    P := P + V, or P + (mu V - lr G) with Nesterov.

    Then G := the old P, and saved_velocity gets the old V; returns whether
    every new P is finite.
    """
    if floating is double:
        return nncore_momentum_f64(params, grads, velocity, saved_velocity, learning_rate,
                                   momentum, nesterov, weight_decay, size)
    else:
        return nncore_momentum_f32(params, grads, velocity, saved_velocity, learning_rate,
                                   momentum, nesterov, weight_decay, size)


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


cdef inline void _scale(floating* values, floating factor, Py_ssize_t size) noexcept nogil:
    """values := factor * values."""
    if floating is double:
        nncore_scale_f64(values, factor, size)
    else:
        nncore_scale_f32(values, factor, size)


cdef inline floating _clip_coefficient(floating total_norm, floating max_norm) noexcept nogil:
    """torch.nn.utils.clip_grad_norm_'s factor: max_norm / (total_norm + 1e-6), in its order."""
    if floating is double:
        return nncore_clip_coefficient_f64(total_norm, max_norm)
    else:
        return nncore_clip_coefficient_f32(total_norm, max_norm)
