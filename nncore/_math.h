/* Vectorized exp, sigmoid and tanh for float64 and float32.
 *
 * out[i] = exp(z[i]), 1 / (1 + exp(-z[i])) or tanh(z[i]).
 *
 * Why C and not Cython: each loop is built for AVX-512, AVX2 and the
 * baseline, and _dispatch.h picks one at load time; Cython cannot attach
 * target attributes. The exp is our own so that the loop vectorizes without
 * -ffast-math: Cody-Waite range reduction, a Taylor polynomial, and 2^k
 * built from exponent bits. Measured error of exp is below 1 ulp; the
 * build uses -ffp-contract=off, so every clone returns the same bits.
 *
 * Stable for every input: -z is clamped to a range where the result is
 * already exact (1 + exp(-708) == 1) or overflows to inf on purpose
 * (1 / (1 + inf) == 0). NaN passes through. z and out may alias.
 *
 * The scalar functions and element formulas live in _scalar_math.h, which
 * the C export embeds as it is.
 */
#ifndef NNCORE_MATH_H
#define NNCORE_MATH_H

#include <stddef.h>

#include "_scalar_math.h"

#include "_dispatch.h"

/* Two dispatch sets (_dispatch.h): AVX-512 has the best throughput on long
 * arrays, but on a few elements its longer division latency and tail
 * handling lose to AVX2 (measured: AVX2 wins below 32 elements). No set
 * enables FMA, so both give the same bits. */
#define NNCORE_WIDE_MIN 32

/* Clamping in its own pass over a small block lets GCC vectorize both
 * loops; fused into one loop the clamp defeats if-conversion. */
#define NNCORE_BLOCK 256

#define NNCORE_SIGMOID_BODY(type, sfx)                                  \
    type t[NNCORE_BLOCK];                                               \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {       \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK; \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            t[j] = nncore_clamp_##sfx(-z[start + j], NNCORE_SIGMOID_LO_##sfx, \
                                      NNCORE_SIGMOID_HI_##sfx);         \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            out[start + j] = nncore_sigmoid_of_##sfx(t[j]);             \
    }

#define NNCORE_SIGMOID_VARIANT(name, set, type, sfx)                   \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n), \
                  NNCORE_SIGMOID_BODY(type, sfx))

NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f64_wide, WIDE, double, f64)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f64_short, SHORT, double, f64)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f32_wide, WIDE, float, f32)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f32_short, SHORT, float, f32)

/* tanh(z) = -expm1(-2|z|) / (2 + expm1(-2|z|)) with z's sign: exact
 * algebra, and expm1 keeps small |z| accurate. |z| is clamped where tanh
 * is already 1 to the last bit (from 19.1 in float64, 9.1 in float32; the
 * clamps are 20 and 10). */
#define NNCORE_TANH_BODY(type, sfx)                                     \
    type t[NNCORE_BLOCK];                                               \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {       \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK; \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            t[j] = nncore_tanh_arg_##sfx(z[start + j]);                 \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            out[start + j] = nncore_tanh_of_##sfx(nncore_expm1_##sfx(t[j]), z[start + j]); \
    }

#define NNCORE_TANH_VARIANT(name, set, type, sfx)                      \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n), \
                  NNCORE_TANH_BODY(type, sfx))

NNCORE_TANH_VARIANT(nncore_tanh_f64_wide, WIDE, double, f64)
NNCORE_TANH_VARIANT(nncore_tanh_f64_short, SHORT, double, f64)
NNCORE_TANH_VARIANT(nncore_tanh_f32_wide, WIDE, float, f32)
NNCORE_TANH_VARIANT(nncore_tanh_f32_short, SHORT, float, f32)

/* exp(z), z clamped to [lo, hi]. For softmax, whose inputs are shifted to
 * be <= 0, lo is -708 (float32: -86), near the smallest normal number,
 * which a softmax then divides into a probability of 0 to working
 * precision. For the exp output, the clamps are where exp is already 0
 * and inf. NaN passes through. */
#define NNCORE_EXP_BODY(type, lo, hi, exp_fn, sfx)                      \
    type t[NNCORE_BLOCK];                                               \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {       \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK; \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            t[j] = nncore_clamp_##sfx(z[start + j], lo, hi);            \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            out[start + j] = exp_fn(t[j]);                              \
    }

#define NNCORE_EXP_VARIANT(name, set, type, lo, hi, exp_fn, sfx)       \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n), \
                  NNCORE_EXP_BODY(type, lo, hi, exp_fn, sfx))

NNCORE_EXP_VARIANT(nncore_exp_f64_short, SHORT, double, NNCORE_SIGMOID_LO_f64, NNCORE_SIGMOID_HI_f64, nncore_exp_f64, f64)
NNCORE_EXP_VARIANT(nncore_exp_f32_short, SHORT, float, NNCORE_SIGMOID_LO_f32, NNCORE_SIGMOID_HI_f32, nncore_exp_f32, f32)
NNCORE_EXP_VARIANT(nncore_exp_any_f64_short, SHORT, double, NNCORE_EXP_ANY_LO_f64, NNCORE_EXP_ANY_HI_f64, nncore_exp_full_f64, f64)
NNCORE_EXP_VARIANT(nncore_exp_any_f64_wide, WIDE, double, NNCORE_EXP_ANY_LO_f64, NNCORE_EXP_ANY_HI_f64, nncore_exp_full_f64, f64)
NNCORE_EXP_VARIANT(nncore_exp_any_f32_short, SHORT, float, NNCORE_EXP_ANY_LO_f32, NNCORE_EXP_ANY_HI_f32, nncore_exp_full_f32, f32)
NNCORE_EXP_VARIANT(nncore_exp_any_f32_wide, WIDE, float, NNCORE_EXP_ANY_LO_f32, NNCORE_EXP_ANY_HI_f32, nncore_exp_full_f32, f32)

/* name(z, out, n): the short set below NNCORE_WIDE_MIN elements, else the wide one. */
#define NNCORE_BY_LENGTH(name, type)                                    \
    static inline void name(const type *z, type *out, ptrdiff_t n)      \
    {                                                                   \
        if (n < NNCORE_WIDE_MIN)                                        \
            NNCORE_PICK(name##_short)(z, out, n);                       \
        else                                                            \
            NNCORE_PICK(name##_wide)(z, out, n);                        \
    }

NNCORE_BY_LENGTH(nncore_sigmoid_f64, double)
NNCORE_BY_LENGTH(nncore_sigmoid_f32, float)
NNCORE_BY_LENGTH(nncore_tanh_f64, double)
NNCORE_BY_LENGTH(nncore_tanh_f32, float)
NNCORE_BY_LENGTH(nncore_exp_any_f64, double)
NNCORE_BY_LENGTH(nncore_exp_any_f32, float)

/* Softmax rows are short (one value per class): the short set only. */
static inline void nncore_exp_nonpositive_f64(const double *z, double *out, ptrdiff_t n)
{
    NNCORE_PICK(nncore_exp_f64_short)(z, out, n);
}

static inline void nncore_exp_nonpositive_f32(const float *z, float *out, ptrdiff_t n)
{
    NNCORE_PICK(nncore_exp_f32_short)(z, out, n);
}

#endif
