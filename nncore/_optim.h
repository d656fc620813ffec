/* The optimizer steps of _optim.pxd, and the reductions around them, for
 * float64 and float32.
 *
 * Each optimizer's update of one element is written once, below, and both
 * the batch loops here and the fused per-sample step of _dense.h call it,
 * so a new optimizer is one change and both paths give the same bits.
 *
 * Why C: each loop is built for AVX2 as well as for the baseline
 * (_dispatch.h), where the Cython loops ran two doubles at a time. Every element
 * goes through the same operations in the same order in every clone (no
 * FMA: -ffp-contract=off), so each gives the bits of the plain scalar loop.
 *
 * The reductions (the sum of squares, and the finiteness checks of the
 * steps) keep NNCORE_LANES partial sums, element i going to sum
 * i % NNCORE_LANES, and add them up in a fixed order at the end: GCC
 * vectorizes that without -ffast-math, and the result is the same on every
 * CPU.
 */
#ifndef NNCORE_OPTIM_H
#define NNCORE_OPTIM_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "_dispatch.h"
#include "_math.h"

/* Element helpers must be compiled inside each target clone of their
 * caller, or they run at the baseline instruction set. */
#if defined(__GNUC__)
#define NNCORE_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define NNCORE_ALWAYS_INLINE static inline
#endif

/* The optimizers. The codes are _engine.OPTIMIZER_CODES, which saved
 * states hold: never renumber them. SGD's momentum, Nesterov's variant and
 * weight decay are its hyperparameters. */
enum { NNCORE_SGD = 0, NNCORE_ADAM = 1, NNCORE_ADAMW = 2 };

#define NNCORE_LANES 16

/* The sum over i of TERM(x[i]), in sum_type, with NNCORE_LANES partial sums. */
#define NNCORE_LANE_SUM(name, type, sum_type, TERM)                                    \
    NNCORE_ALWAYS_INLINE sum_type name(const type *x, ptrdiff_t n)                     \
    {                                                                                  \
        sum_type sums[NNCORE_LANES] = {0}, total = 0;                                  \
        ptrdiff_t i = 0;                                                               \
        for (; i + NNCORE_LANES <= n; i += NNCORE_LANES)                               \
            for (int l = 0; l < NNCORE_LANES; l++)                                     \
                sums[l] += TERM(x[i + l]);                                             \
        for (int l = 0; l < NNCORE_LANES; l++)                                         \
            total += sums[l];                                                          \
        for (; i < n; i++)                                                             \
            total += TERM(x[i]);                                                       \
        return total;                                                                  \
    }

#define NNCORE_ZERO_IF_FINITE(v) ((v) - (v))
#define NNCORE_SQUARE_IN_DOUBLE(v) ((double) (v) * (double) (v))

NNCORE_LANE_SUM(nncore_square_sum_f64, double, double, NNCORE_SQUARE_IN_DOUBLE)
NNCORE_LANE_SUM(nncore_square_sum_f32, float, double, NNCORE_SQUARE_IN_DOUBLE)

/* sum(x**2), accumulated in double. */
NNCORE_CLONES(SHORT, double, nncore_sum_squares_f64, (const double *x, ptrdiff_t n),
    return nncore_square_sum_f64(x, n);
)

NNCORE_CLONES(SHORT, double, nncore_sum_squares_f32, (const float *x, ptrdiff_t n),
    return nncore_square_sum_f32(x, n);
)
#define nncore_sum_squares_f64 NNCORE_PICK(nncore_sum_squares_f64)
#define nncore_sum_squares_f32 NNCORE_PICK(nncore_sum_squares_f32)

/* Adam's step size at step t (counted from 1): its bias corrections folded
 * into the learning rate, as in the paper's efficient form. */
static inline double nncore_adam_step_size(double lr, double beta_1, double beta_2, int64_t t)
{
    return lr * sqrt(1 - pow(beta_2, (double) t)) / (1 - pow(beta_1, (double) t));
}

/* AdamW's constants for one step, as torch.optim.AdamW computes them:
 * in double (Python floats), then each rounded to the parameters' dtype
 * when it meets a tensor. */
#define NNCORE_ADAMW_STEP(suffix, type)                                                \
    typedef struct {                                                                   \
        type decay;           /* 1 - lr weight_decay; 1 for a bias */                  \
        type step_size;       /* lr / (1 - b1**t) */                                   \
        type root_correction; /* (1 - b2**t) ** 0.5 */                                 \
        type beta_2, epsilon;                                                          \
        type weight_1, weight_2; /* 1 - b1, 1 - b2 */                                  \
    } nncore_adamw_constants_##suffix;                                                 \
                                                                                       \
    static inline nncore_adamw_constants_##suffix nncore_adamw_step_##suffix(          \
        double lr, double beta_1, double beta_2, double epsilon,                       \
        double weight_decay, int64_t t)                                                \
    {                                                                                  \
        nncore_adamw_constants_##suffix c;                                             \
        c.decay = (type) (1 - lr * weight_decay);                                      \
        c.step_size = (type) (lr / (1 - pow(beta_1, (double) t)));                     \
        c.root_correction = (type) pow(1 - pow(beta_2, (double) t), 0.5);              \
        c.beta_2 = (type) beta_2;                                                      \
        c.epsilon = (type) epsilon;                                                    \
        c.weight_1 = (type) (1 - beta_1);                                              \
        c.weight_2 = (type) (1 - beta_2);                                              \
        return c;                                                                      \
    }

NNCORE_ADAMW_STEP(f64, double)
NNCORE_ADAMW_STEP(f32, float)

/* One element's update: from the gradient g and the old parameter p, the
 * new parameter, with the optimizer's moments updated in place.
 *   SGD:      g := g + wd p (torch.optim.SGD's weight decay; skipped at
 *             wd = 0, so the bits are plain SGD's); p - lr g
 *   momentum: the same g; v := mu v - lr g; p + v, or p + (mu v - lr g)
 *             with Nesterov. torch's b := mu b + g; p - lr b (Nesterov:
 *             p - lr (g + mu b)) is the same update with v = -lr b.
 *   Adam:     m := b1 m + (1 - b1) g; s := b2 s + (1 - b2) g**2;
 *             p + (-step_size m) / (sqrt(s) + eps)
 *   AdamW:    torch.optim.AdamW, operation by operation: p := p decay;
 *             m := lerp(m, g, 1 - b1) (torch's two forms, by the weight);
 *             s := s b2 + ((1 - b2) g) g;
 *             p + (-step_size m) / (sqrt(s) / root_correction + eps) */
#define NNCORE_ELEMENT_UPDATES(suffix, type, sqrt_fn)                                  \
    NNCORE_ALWAYS_INLINE type nncore_coupled_decay_##suffix(type g, type p,            \
                                                           type weight_decay)          \
    {                                                                                  \
        return weight_decay != 0 ? g + weight_decay * p : g;                           \
    }                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_sgd_element_##suffix(type p, type g, type lr,     \
                                                         type weight_decay)            \
    {                                                                                  \
        g = nncore_coupled_decay_##suffix(g, p, weight_decay);                         \
        return p - lr * g;                                                             \
    }                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_momentum_element_##suffix(                        \
        type p, type g, type *v, type lr, type momentum, int nesterov,                 \
        type weight_decay)                                                             \
    {                                                                                  \
        g = nncore_coupled_decay_##suffix(g, p, weight_decay);                         \
        *v = momentum * *v - lr * g;                                                   \
        return p + (nesterov ? momentum * *v - lr * g : *v);                           \
    }                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_adamw_element_##suffix(                           \
        type p, type g, type *m, type *s, nncore_adamw_constants_##suffix c)           \
    {                                                                                  \
        const type one = 1, half = 0.5;                                                \
        p = p * c.decay;                                                               \
        *m = c.weight_1 < half ? *m + c.weight_1 * (g - *m)                            \
                               : g - (g - *m) * (one - c.weight_1);                    \
        *s = *s * c.beta_2 + (c.weight_2 * g) * g;                                     \
        return p + (-c.step_size * *m) / (sqrt_fn(*s) / c.root_correction + c.epsilon); \
    }                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_adam_element_##suffix(                            \
        type p, type g, type *m, type *s, type step_size, type beta_1,                 \
        type beta_2, type epsilon)                                                     \
    {                                                                                  \
        const type one = 1;                                                            \
        *m = beta_1 * *m + (one - beta_1) * g;                                         \
        *s = beta_2 * *s + (one - beta_2) * (g * g);                                   \
        return p + (-step_size * *m) / (sqrt_fn(*s) + epsilon);                        \
    }

NNCORE_ELEMENT_UPDATES(f64, double, sqrt)
NNCORE_ELEMENT_UPDATES(f32, float, sqrtf)

/* The batch steps over flat buffers: each element as above; then G := the
 * old P, and saved_v, saved_m, saved_s := the old moments, so that a step
 * can be undone exactly. Locals carry the moments, so every array is read
 * and written once per element. Each returns whether every new P (and
 * Adam's every new S) is finite, checked in the same pass, lane by
 * lane as the reductions: x - x is 0 for every finite x and NaN otherwise, so the
 * sum of those is 0 exactly when all are finite, in any order. A second
 * pass over parameters too large for the cache cost a tenth of a step. */

/* Runs fn(..., i) for i from 0 to n - 1, each giving 0 for finite values
 * and NaN otherwise, and returns whether all gave 0. */
#define NNCORE_CHECKED_LOOP(type, n, fn, ...)                                          \
    type sums_[NNCORE_LANES] = {0}, total_ = 0;                                        \
    ptrdiff_t i_ = 0;                                                                  \
    for (; i_ + NNCORE_LANES <= (n); i_ += NNCORE_LANES)                               \
        for (int l_ = 0; l_ < NNCORE_LANES; l_++)                                      \
            sums_[l_] += fn(__VA_ARGS__, i_ + l_);                                     \
    for (int l_ = 0; l_ < NNCORE_LANES; l_++)                                          \
        total_ += sums_[l_];                                                           \
    for (; i_ < (n); i_++)                                                             \
        total_ += fn(__VA_ARGS__, i_);                                                 \
    return total_ == 0;

/* The body of Adam's and AdamW's step at element i: new_ := update, an
 * element update of old, grads[i], &m and &s; the old P and moments kept,
 * the new ones written; 0 if the new P and S are finite. */
#define NNCORE_MOMENTS_AT(type, update)                                                \
    type old = params[i], m = first[i], s = second[i];                                 \
    saved_first[i] = m;                                                                \
    saved_second[i] = s;                                                               \
    type new_ = update;                                                                \
    first[i] = m;                                                                      \
    second[i] = s;                                                                     \
    grads[i] = old;                                                                    \
    params[i] = new_;                                                                  \
    /* An S that overflowed would freeze its P: divergence too. */                     \
    return NNCORE_ZERO_IF_FINITE(new_) + NNCORE_ZERO_IF_FINITE(s);

#define NNCORE_BATCH_UPDATES(suffix, type)                                             \
    NNCORE_ALWAYS_INLINE type nncore_sgd_at_##suffix(                                  \
        type *restrict params, type *restrict grads, type lr,                          \
        type weight_decay, ptrdiff_t i)                                                \
    {                                                                                  \
        type old = params[i];                                                          \
        type new_ = nncore_sgd_element_##suffix(old, grads[i], lr, weight_decay);      \
        grads[i] = old;                                                                \
        params[i] = new_;                                                              \
        return NNCORE_ZERO_IF_FINITE(new_);                                            \
    }                                                                                  \
                                                                                       \
    /* Without weight decay, a loop of its own: the one of plain SGD. */               \
    NNCORE_CLONES(SHORT, int, nncore_sgd_##suffix, (                                   \
        type *restrict params, type *restrict grads, type lr,                          \
        type weight_decay, ptrdiff_t n),                                               \
        if (weight_decay == 0) {                                                       \
            NNCORE_CHECKED_LOOP(type, n, nncore_sgd_at_##suffix, params, grads,        \
                                lr, (type) 0)                                          \
        }                                                                              \
        NNCORE_CHECKED_LOOP(type, n, nncore_sgd_at_##suffix, params, grads, lr,        \
                            weight_decay)                                              \
    )                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_momentum_at_##suffix(                             \
        type *restrict params, type *restrict grads, type *restrict velocity,          \
        type *restrict saved_velocity, type lr, type momentum, int nesterov,           \
        type weight_decay, ptrdiff_t i)                                                \
    {                                                                                  \
        type old = params[i], v = velocity[i];                                         \
        saved_velocity[i] = v;                                                         \
        type new_ = nncore_momentum_element_##suffix(old, grads[i], &v, lr,            \
                                                     momentum, nesterov,               \
                                                     weight_decay);                    \
        velocity[i] = v;                                                               \
        grads[i] = old;                                                                \
        params[i] = new_;                                                              \
        return NNCORE_ZERO_IF_FINITE(new_);                                            \
    }                                                                                  \
                                                                                       \
    NNCORE_CLONES(SHORT, int, nncore_momentum_##suffix, (                              \
        type *restrict params, type *restrict grads, type *restrict velocity,          \
        type *restrict saved_velocity, type lr, type momentum, int nesterov,           \
        type weight_decay, ptrdiff_t n),                                               \
        /* nesterov is the same for every i: GCC unswitches the loop on it. */         \
        if (weight_decay == 0) {                                                       \
            NNCORE_CHECKED_LOOP(type, n, nncore_momentum_at_##suffix, params,          \
                                grads, velocity, saved_velocity, lr, momentum,         \
                                nesterov, (type) 0)                                    \
        }                                                                              \
        NNCORE_CHECKED_LOOP(type, n, nncore_momentum_at_##suffix, params, grads,       \
                            velocity, saved_velocity, lr, momentum, nesterov,          \
                            weight_decay)                                              \
    )                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_adam_at_##suffix(                                 \
        type *restrict params, type *restrict grads, type *restrict first,             \
        type *restrict second, type *restrict saved_first,                             \
        type *restrict saved_second, type step_size, type beta_1, type beta_2,         \
        type epsilon, ptrdiff_t i)                                                     \
    {                                                                                  \
        NNCORE_MOMENTS_AT(type, nncore_adam_element_##suffix(                          \
            old, grads[i], &m, &s, step_size, beta_1, beta_2, epsilon))                \
    }                                                                                  \
                                                                                       \
    NNCORE_CLONES(SHORT, int, nncore_adam_##suffix, (                                  \
        type *restrict params, type *restrict grads, type *restrict first,             \
        type *restrict second, type *restrict saved_first,                             \
        type *restrict saved_second, type step_size, type beta_1, type beta_2,         \
        type epsilon, ptrdiff_t n),                                                    \
        NNCORE_CHECKED_LOOP(type, n, nncore_adam_at_##suffix, params, grads,           \
                            first, second, saved_first, saved_second,                  \
                            step_size, beta_1, beta_2, epsilon)                        \
    )                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE type nncore_adamw_at_##suffix(                                \
        type *restrict params, type *restrict grads, type *restrict first,             \
        type *restrict second, type *restrict saved_first,                             \
        type *restrict saved_second, nncore_adamw_constants_##suffix c, ptrdiff_t i)   \
    {                                                                                  \
        NNCORE_MOMENTS_AT(type, nncore_adamw_element_##suffix(old, grads[i], &m, &s, c)) \
    }                                                                                  \
                                                                                       \
    NNCORE_CLONES(SHORT, int, nncore_adamw_##suffix, (                                 \
        type *restrict params, type *restrict grads, type *restrict first,             \
        type *restrict second, type *restrict saved_first,                             \
        type *restrict saved_second, const nncore_adamw_constants_##suffix *constants, \
        ptrdiff_t n),                                                                  \
        nncore_adamw_constants_##suffix c = *constants;                                \
        NNCORE_CHECKED_LOOP(type, n, nncore_adamw_at_##suffix, params, grads,          \
                            first, second, saved_first, saved_second, c)               \
    )                                                                                  \
                                                                                       \
    /* torch.nn.utils.clip_grad_norm_'s factor, from the norm of the                   \
     * per-tensor norms: max_norm / (total_norm + 1e-6), which torch                   \
     * computes as reciprocal(total_norm + 1e-6) * max_norm. */                        \
    static inline type nncore_clip_coefficient_##suffix(type total_norm,               \
                                                        type max_norm)                 \
    {                                                                                  \
        const type one = 1, tiny = 1e-6;                                               \
        return (one / (total_norm + tiny)) * max_norm;                                 \
    }                                                                                  \
                                                                                       \
    /* x := factor x, for the clipped gradients. */                                    \
    NNCORE_CLONES(SHORT, void, nncore_scale_##suffix, (                                \
        type *restrict x, type factor, ptrdiff_t n),                                   \
        for (ptrdiff_t i = 0; i < n; i++)                                              \
            x[i] = x[i] * factor;                                                      \
    )

NNCORE_BATCH_UPDATES(f64, double)
NNCORE_BATCH_UPDATES(f32, float)
#define nncore_sgd_f64 NNCORE_PICK(nncore_sgd_f64)
#define nncore_momentum_f64 NNCORE_PICK(nncore_momentum_f64)
#define nncore_adam_f64 NNCORE_PICK(nncore_adam_f64)
#define nncore_sgd_f32 NNCORE_PICK(nncore_sgd_f32)
#define nncore_momentum_f32 NNCORE_PICK(nncore_momentum_f32)
#define nncore_adam_f32 NNCORE_PICK(nncore_adam_f32)
#define nncore_adamw_f64 NNCORE_PICK(nncore_adamw_f64)
#define nncore_adamw_f32 NNCORE_PICK(nncore_adamw_f32)
#define nncore_scale_f64 NNCORE_PICK(nncore_scale_f64)
#define nncore_scale_f32 NNCORE_PICK(nncore_scale_f32)

#endif
