/* The optimizer steps of _optim.pxd, and the reductions around them, for
 * float64 and float32.
 *
 * Why C: target_clones builds each loop for AVX2 as well as for the
 * baseline, where the Cython loops ran two doubles at a time. Every element
 * goes through the same operations in the same order in every clone (no
 * FMA: -ffp-contract=off), so each gives the bits of the plain scalar loop.
 *
 * The two reductions keep NNCORE_LANES partial sums, element i going to sum
 * i % NNCORE_LANES, and add them up in a fixed order at the end: GCC
 * vectorizes that without -ffast-math, and the result is the same on every
 * CPU.
 */
#ifndef NNCORE_OPTIM_H
#define NNCORE_OPTIM_H

#include <stddef.h>
#include <string.h>

#include "_dense.h"
#include "_math.h"

#define NNCORE_LANES 16

/* The sum over i of TERM(x[i]), in sum_type, with NNCORE_LANES partial sums. */
#define NNCORE_LANE_SUM(name, type, sum_type, TERM)                           \
    NNCORE_ALWAYS_INLINE sum_type name(const type *x, ptrdiff_t n)           \
    {                                                                         \
        sum_type sums[NNCORE_LANES] = {0}, total = 0;                         \
        ptrdiff_t i = 0;                                                      \
        for (; i + NNCORE_LANES <= n; i += NNCORE_LANES)                      \
            for (int l = 0; l < NNCORE_LANES; l++)                            \
                sums[l] += TERM(x[i + l]);                                    \
        for (int l = 0; l < NNCORE_LANES; l++)                                \
            total += sums[l];                                                 \
        for (; i < n; i++)                                                    \
            total += TERM(x[i]);                                              \
        return total;                                                         \
    }

#define NNCORE_ZERO_IF_FINITE(v) ((v) - (v))
#define NNCORE_SQUARE_IN_DOUBLE(v) ((double) (v) * (double) (v))

NNCORE_LANE_SUM(nncore_finite_sum_f64, double, double, NNCORE_ZERO_IF_FINITE)
NNCORE_LANE_SUM(nncore_finite_sum_f32, float, float, NNCORE_ZERO_IF_FINITE)
NNCORE_LANE_SUM(nncore_square_sum_f64, double, double, NNCORE_SQUARE_IN_DOUBLE)
NNCORE_LANE_SUM(nncore_square_sum_f32, float, double, NNCORE_SQUARE_IN_DOUBLE)

/* Whether no x[i] is infinite or NaN: x - x is 0 for every finite x and
 * NaN otherwise, so the sum of those is 0 exactly when all are finite, in
 * any order. */
NNCORE_DISPATCH_SHORT static int nncore_all_finite_f64(const double *x, ptrdiff_t n)
{
    return nncore_finite_sum_f64(x, n) == 0;
}

NNCORE_DISPATCH_SHORT static int nncore_all_finite_f32(const float *x, ptrdiff_t n)
{
    return nncore_finite_sum_f32(x, n) == 0;
}

/* sum(x**2), accumulated in double. */
NNCORE_DISPATCH_SHORT static double nncore_sum_squares_f64(const double *x, ptrdiff_t n)
{
    return nncore_square_sum_f64(x, n);
}

NNCORE_DISPATCH_SHORT static double nncore_sum_squares_f32(const float *x, ptrdiff_t n)
{
    return nncore_square_sum_f32(x, n);
}

/* P := P - lr G; G := the old P. */
#define NNCORE_SGD(name, type)                                                \
    NNCORE_DISPATCH_SHORT static void name(type *params, type *grads, type lr, \
                                           ptrdiff_t n)                       \
    {                                                                         \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            type old = params[i];                                             \
            type new_ = old - lr * grads[i];                                  \
            grads[i] = old;                                                   \
            params[i] = new_;                                                 \
        }                                                                     \
    }

NNCORE_SGD(nncore_sgd_f64, double)
NNCORE_SGD(nncore_sgd_f32, float)

/* V := mu V - lr G; P := P + V, or P + (mu V - lr G) with Nesterov;
 * G := the old P, saved_v := the old V. */
#define NNCORE_MOMENTUM_STEP(name, type)                                      \
    NNCORE_DISPATCH_SHORT static void name(type *params, type *grads, type *velocity, \
                                           type *saved_velocity, type lr,     \
                                           type momentum, int nesterov, ptrdiff_t n) \
    {                                                                         \
        /* nesterov is the same for every i: GCC unswitches the loop on it. */ \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            type old = params[i], g = grads[i], v = velocity[i];              \
            saved_velocity[i] = v;                                            \
            v = momentum * v - lr * g;                                        \
            velocity[i] = v;                                                  \
            grads[i] = old;                                                   \
            params[i] = old + (nesterov ? momentum * v - lr * g : v);         \
        }                                                                     \
    }

NNCORE_MOMENTUM_STEP(nncore_momentum_f64, double)
NNCORE_MOMENTUM_STEP(nncore_momentum_f32, float)

/* M := b1 M + (1 - b1) G; S := b2 S + (1 - b2) G**2;
 * P := P + (-step_size M) / (sqrt(S) + eps); G := the old P, saved_m and
 * saved_s := the old M and S. */
#define NNCORE_ADAM_STEP(name, type, sqrt_fn)                                 \
    NNCORE_DISPATCH_SHORT static void name(type *params, type *grads, type *first, \
                                           type *second, type *saved_first,   \
                                           type *saved_second, type step_size, \
                                           type beta_1, type beta_2, type epsilon, \
                                           ptrdiff_t n)                       \
    {                                                                         \
        const type one = 1;                                                   \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            type g = grads[i], old = params[i], m = first[i], s = second[i];  \
            saved_first[i] = m;                                               \
            saved_second[i] = s;                                              \
            m = beta_1 * m + (one - beta_1) * g;                              \
            s = beta_2 * s + (one - beta_2) * (g * g);                        \
            first[i] = m;                                                     \
            second[i] = s;                                                    \
            grads[i] = old;                                                   \
            params[i] = old + (-step_size * m) / (sqrt_fn(s) + epsilon);      \
        }                                                                     \
    }

NNCORE_ADAM_STEP(nncore_adam_f64, double, sqrt)
NNCORE_ADAM_STEP(nncore_adam_f32, float, sqrtf)

#endif
