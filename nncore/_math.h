/* Vectorized exp, sigmoid and tanh for float64 and float32, and the
 * activations GELU, SiLU, ELU and softplus with their derivatives.
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

#define NNCORE_SIGMOID_BODY(type, sfx)                                                 \
    type t[NNCORE_BLOCK];                                                              \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {                      \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK;             \
        for (ptrdiff_t j = 0; j < m; j++)                                              \
            t[j] = nncore_clamp_##sfx(-z[start + j], NNCORE_SIGMOID_LO_##sfx,          \
                                      NNCORE_SIGMOID_HI_##sfx);                        \
        for (ptrdiff_t j = 0; j < m; j++)                                              \
            out[start + j] = nncore_sigmoid_of_##sfx(t[j]);                            \
    }

#define NNCORE_SIGMOID_VARIANT(name, set, type, sfx)                                   \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n),            \
                  NNCORE_SIGMOID_BODY(type, sfx))

NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f64_wide, WIDE, double, f64)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f64_short, SHORT, double, f64)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f32_wide, WIDE, float, f32)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f32_short, SHORT, float, f32)

/* tanh(z) = -expm1(-2|z|) / (2 + expm1(-2|z|)) with z's sign: exact
 * algebra, and expm1 keeps small |z| accurate. |z| is clamped where tanh
 * is already 1 to the last bit (from 19.1 in float64, 9.1 in float32; the
 * clamps are 20 and 10). */
#define NNCORE_TANH_BODY(type, sfx)                                                    \
    type t[NNCORE_BLOCK];                                                              \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {                      \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK;             \
        for (ptrdiff_t j = 0; j < m; j++)                                              \
            t[j] = nncore_tanh_arg_##sfx(z[start + j]);                                \
        for (ptrdiff_t j = 0; j < m; j++)                                              \
            out[start + j] = nncore_tanh_of_##sfx(nncore_expm1_##sfx(t[j]), z[start + j]); \
    }

#define NNCORE_TANH_VARIANT(name, set, type, sfx)                                      \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n),            \
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
#define NNCORE_EXP_BODY(type, lo, hi, exp_fn, sfx)                                     \
    type t[NNCORE_BLOCK];                                                              \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {                      \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK;             \
        for (ptrdiff_t j = 0; j < m; j++)                                              \
            t[j] = nncore_clamp_##sfx(z[start + j], lo, hi);                           \
        for (ptrdiff_t j = 0; j < m; j++)                                              \
            out[start + j] = exp_fn(t[j]);                                             \
    }

#define NNCORE_EXP_VARIANT(name, set, type, lo, hi, exp_fn, sfx)                       \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n),            \
                  NNCORE_EXP_BODY(type, lo, hi, exp_fn, sfx))

NNCORE_EXP_VARIANT(nncore_exp_f64_short, SHORT, double, NNCORE_SIGMOID_LO_f64, NNCORE_SIGMOID_HI_f64, nncore_exp_f64, f64)
NNCORE_EXP_VARIANT(nncore_exp_f32_short, SHORT, float, NNCORE_SIGMOID_LO_f32, NNCORE_SIGMOID_HI_f32, nncore_exp_f32, f32)
NNCORE_EXP_VARIANT(nncore_exp_any_f64_short, SHORT, double, NNCORE_EXP_ANY_LO_f64, NNCORE_EXP_ANY_HI_f64, nncore_exp_full_f64, f64)
NNCORE_EXP_VARIANT(nncore_exp_any_f64_wide, WIDE, double, NNCORE_EXP_ANY_LO_f64, NNCORE_EXP_ANY_HI_f64, nncore_exp_full_f64, f64)
NNCORE_EXP_VARIANT(nncore_exp_any_f32_short, SHORT, float, NNCORE_EXP_ANY_LO_f32, NNCORE_EXP_ANY_HI_f32, nncore_exp_full_f32, f32)
NNCORE_EXP_VARIANT(nncore_exp_any_f32_wide, WIDE, float, NNCORE_EXP_ANY_LO_f32, NNCORE_EXP_ANY_HI_f32, nncore_exp_full_f32, f32)

/* name(z, out, n): the short set below NNCORE_WIDE_MIN elements, else the wide one. */
#define NNCORE_BY_LENGTH_AS(storage, name, type)                                       \
    storage void name(const type *z, type *out, ptrdiff_t n)                           \
    {                                                                                  \
        if (n < NNCORE_WIDE_MIN)                                                       \
            NNCORE_PICK(name##_short)(z, out, n);                                      \
        else                                                                           \
            NNCORE_PICK(name##_wide)(z, out, n);                                       \
    }
#define NNCORE_BY_LENGTH(name, type) NNCORE_BY_LENGTH_AS(static inline, name, type)

/* Out of line for the activations the engine's hot loops rarely meet: inlined,
 * their choices made activation_forward and activation_backward too large
 * for GCC to inline into the training loop (measured with callgrind: 8% more
 * instructions per tutorial step, 9% per W3 sample, 19% per W6 call). */
#if defined(__GNUC__)
#define NNCORE_OUT_OF_LINE static __attribute__((noinline, unused))
#else
#define NNCORE_OUT_OF_LINE static
#endif

NNCORE_BY_LENGTH(nncore_sigmoid_f64, double)
NNCORE_BY_LENGTH(nncore_sigmoid_f32, float)
NNCORE_BY_LENGTH(nncore_tanh_f64, double)
NNCORE_BY_LENGTH(nncore_tanh_f32, float)
NNCORE_BY_LENGTH(nncore_exp_any_f64, double)
NNCORE_BY_LENGTH(nncore_exp_any_f32, float)

/* name(g, z, out, n): the same choice for the derivatives. */
#define NNCORE_GRAD_BY_LENGTH(name, type)                                              \
    NNCORE_OUT_OF_LINE void name(const type *g, const type *z, type *out, ptrdiff_t n) \
    {                                                                                  \
        if (n < NNCORE_WIDE_MIN)                                                       \
            NNCORE_PICK(name##_short)(g, z, out, n);                                   \
        else                                                                           \
            NNCORE_PICK(name##_wide)(g, z, out, n);                                    \
    }

/* The activations below are element-wise maps in two passes over a block,
 * as the sigmoid: the first takes each input's clamped argument t and, for
 * some, a lead term p (the selects: a loop with them does not vectorize),
 * the second computes from (z, t, p) with arithmetic alone, so GCC
 * vectorizes it (GELU has passes of its own, below). work is the type
 * they compute in. f_backward(g, z, out, n) is out = g * f'(z); g and out
 * may alias. */
#define NNCORE_MAP_VARIANT(name, set, type, work, arg_fn, lead_fn, from_fn)            \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n),            \
        work t[NNCORE_BLOCK], p[NNCORE_BLOCK];                                         \
        for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {                  \
            ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK;         \
            for (ptrdiff_t j = 0; j < m; j++) {                                        \
                t[j] = arg_fn((work) z[start + j]);                                    \
                p[j] = lead_fn((work) z[start + j]);                                   \
            }                                                                          \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                out[start + j] = (type) from_fn((work) z[start + j], t[j], p[j]);      \
        }                                                                              \
    )

#define NNCORE_GRAD_VARIANT(name, set, type, work, arg_fn, lead_fn, from_fn)           \
    NNCORE_CLONES(set, void, name, (const type *g, const type *z, type *out, ptrdiff_t n), \
        work t[NNCORE_BLOCK], p[NNCORE_BLOCK];                                         \
        for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {                  \
            ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK;         \
            for (ptrdiff_t j = 0; j < m; j++) {                                        \
                t[j] = arg_fn((work) z[start + j]);                                    \
                p[j] = lead_fn((work) z[start + j]);                                   \
            }                                                                          \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                out[start + j] = g[start + j]                                          \
                    * (type) from_fn((work) z[start + j], t[j], p[j]);                 \
        }                                                                              \
    )

/* GELU in passes over a block (see nncore_mills_arg_f64): the input as a
 * double, then clamped (c); the table row and argument t; the polynomial
 * p at t; then out = scale f(z, c, p, far) (scale: nothing, or the
 * derivative's g[start + j] *). Each of the
 * first three in its own loop, or GCC threads the clamps' constants and the
 * float32 conversion through what follows and the loop has branches. */
#define NNCORE_GELU_VARIANT(name, set, type, params, of_fn, scale)                     \
    NNCORE_CLONES(set, void, name, params,                                             \
        double c[NNCORE_BLOCK], t[NNCORE_BLOCK];                                       \
        int64_t at[NNCORE_BLOCK];                                                      \
        int far[NNCORE_BLOCK];                                                         \
        for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {                  \
            ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK;         \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                c[j] = (double) z[start + j];                                          \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                c[j] = nncore_gelu_arg_f64(c[j]);                                      \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                t[j] = nncore_mills_arg_f64(nncore_fabs_f64(c[j]), &at[j], &far[j]);   \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                t[j] = nncore_mills_poly_f64(at[j], t[j]);                             \
            for (ptrdiff_t j = 0; j < m; j++)                                          \
                out[start + j] = scale (type) of_fn((double) z[start + j], c[j], t[j], far[j]); \
        }                                                                              \
    )

/* The derivatives of the activations below; their forward element
 * formulas are in _scalar_math.h. */
/* GELU'(x) = Phi(x) + x phi(x), phi(x) = exp(-x*x/2) / sqrt(2 pi), from
 * x, c and p as nncore_gelu_of_f64. */
static inline double nncore_gelu_grad_of_f64(double x, double c, double p, int far)
{
    double v = nncore_fabs_f64(c), gauss = nncore_gauss_f64(c), tail;
    tail = nncore_select_f64(far, p / v, p) * gauss;
    return nncore_select_f64(x <= 0, tail, 1.0 - tail) + c * (gauss * 0x1.9884533d43651p-2);
}

/* SiLU'(x) = s (1 + x (1 - s)), s = sigmoid(x). */
static inline double nncore_silu_grad_from_f64(double x, double t, double unused)
{
    double s = 1.0 / (1.0 + nncore_exp_f64(t));
    (void) unused;
    return s * (1.0 + x * (1.0 - s));
}

static inline float nncore_silu_grad_from_f32(float x, float t, float unused)
{
    float s = 1.0f / (1.0f + nncore_exp_f32(t));
    (void) unused;
    return s * (1.0f + x * (1.0f - s));
}

/* ELU'(x) = 1 for x > 0, else exp(x) (PyTorch's, from the input): exp(t), t
 * = x clamped to [-746, 0] (float32 [-104, 0]), and exp(0) is exactly 1. */
static inline double nncore_elu_grad_arg_f64(double x) { return x < -746.0 ? -746.0 : x > 0.0 ? 0.0 : x; }
static inline float nncore_elu_grad_arg_f32(float x) { return x < -104.0f ? -104.0f : x > 0.0f ? 0.0f : x; }

static inline double nncore_elu_grad_from_f64(double x, double t, double unused)
{
    (void) x;
    (void) unused;
    return nncore_exp_full_f64(t);
}

static inline float nncore_elu_grad_from_f32(float x, float t, float unused)
{
    (void) x;
    (void) unused;
    return nncore_exp_full_f32(t);
}

/* softplus'(x) = 1 above 20, else sigmoid(x) = 1 / (1 + exp(t)), t = -x
 * clamped, and above 20 the smallest t, where 1 + exp(t) is 1. */
static inline double nncore_softplus_grad_arg_f64(double x)
{
    return x > 20.0 ? -708.0 : nncore_minus_clamped_f64(x);
}

static inline float nncore_softplus_grad_arg_f32(float x)
{
    return x > 20.0f ? -86.0f : nncore_minus_clamped_f32(x);
}

static inline double nncore_softplus_grad_from_f64(double x, double t, double unused)
{
    (void) x;
    (void) unused;
    return 1.0 / (1.0 + nncore_exp_f64(t));
}

static inline float nncore_softplus_grad_from_f32(float x, float t, float unused)
{
    (void) x;
    (void) unused;
    return 1.0f / (1.0f + nncore_exp_f32(t));
}

/* Each (short, wide) pair and its choice by length: activation, dtype
 * suffix, in/out type, the type computed in, then the first pass's (argument, lead) and the second's
 * function, forward and backward. */
#define NNCORE_ACTIVATION_VARIANTS(act, suffix, type, work, arg, lead, from, grad_arg, grad_lead, grad_from) \
    NNCORE_MAP_VARIANT(nncore_##act##_##suffix##_short, SHORT, type, work, arg, lead, from) \
    NNCORE_MAP_VARIANT(nncore_##act##_##suffix##_wide, WIDE, type, work, arg, lead, from) \
    NNCORE_GRAD_VARIANT(nncore_##act##_grad_##suffix##_short, SHORT, type, work,       \
                        grad_arg, grad_lead, grad_from)                                \
    NNCORE_GRAD_VARIANT(nncore_##act##_grad_##suffix##_wide, WIDE, type, work,         \
                        grad_arg, grad_lead, grad_from)                                \
    NNCORE_BY_LENGTH_AS(NNCORE_OUT_OF_LINE, nncore_##act##_##suffix, type)             \
    NNCORE_GRAD_BY_LENGTH(nncore_##act##_grad_##suffix, type)

/* GELU's (short, wide) pairs and choices, forward and backward. */
#define NNCORE_GELU_VARIANTS(suffix, type)                                             \
    NNCORE_GELU_VARIANT(nncore_gelu_##suffix##_short, SHORT, type,                     \
                        (const type *z, type *out, ptrdiff_t n), nncore_gelu_of_f64, ) \
    NNCORE_GELU_VARIANT(nncore_gelu_##suffix##_wide, WIDE, type,                       \
                        (const type *z, type *out, ptrdiff_t n), nncore_gelu_of_f64, ) \
    NNCORE_GELU_VARIANT(nncore_gelu_grad_##suffix##_short, SHORT, type,                \
                        (const type *g, const type *z, type *out, ptrdiff_t n),        \
                        nncore_gelu_grad_of_f64, g[start + j] *)                       \
    NNCORE_GELU_VARIANT(nncore_gelu_grad_##suffix##_wide, WIDE, type,                  \
                        (const type *g, const type *z, type *out, ptrdiff_t n),        \
                        nncore_gelu_grad_of_f64, g[start + j] *)                       \
    NNCORE_BY_LENGTH_AS(NNCORE_OUT_OF_LINE, nncore_gelu_##suffix, type)                \
    NNCORE_GRAD_BY_LENGTH(nncore_gelu_grad_##suffix, type)

/* float32 GELU and softplus through float64, rounded once: the table and
 * the log1p are float64's. */
NNCORE_GELU_VARIANTS(f64, double)
NNCORE_GELU_VARIANTS(f32, float)
NNCORE_ACTIVATION_VARIANTS(silu, f64, double, double, nncore_minus_clamped_f64, nncore_no_lead_f64,
                           nncore_silu_from_f64, nncore_minus_clamped_f64, nncore_no_lead_f64,
                           nncore_silu_grad_from_f64)
NNCORE_ACTIVATION_VARIANTS(silu, f32, float, float, nncore_minus_clamped_f32, nncore_no_lead_f32,
                           nncore_silu_from_f32, nncore_minus_clamped_f32, nncore_no_lead_f32,
                           nncore_silu_grad_from_f32)
NNCORE_ACTIVATION_VARIANTS(elu, f64, double, double, nncore_elu_arg_f64, nncore_positive_part_f64,
                           nncore_elu_from_f64, nncore_elu_grad_arg_f64, nncore_no_lead_f64,
                           nncore_elu_grad_from_f64)
NNCORE_ACTIVATION_VARIANTS(elu, f32, float, float, nncore_elu_arg_f32, nncore_positive_part_f32,
                           nncore_elu_from_f32, nncore_elu_grad_arg_f32, nncore_no_lead_f32,
                           nncore_elu_grad_from_f32)
NNCORE_ACTIVATION_VARIANTS(softplus, f64, double, double, nncore_softplus_arg_f64,
                           nncore_positive_part_f64, nncore_softplus_from_f64,
                           nncore_softplus_grad_arg_f64, nncore_no_lead_f64,
                           nncore_softplus_grad_from_f64)
/* softplus' in float32 is float32's own sigmoid. */
NNCORE_ACTIVATION_VARIANTS(softplus, f32, float, double, nncore_softplus_arg_f64,
                           nncore_positive_part_f64, nncore_softplus_from_f64,
                           nncore_softplus_grad_arg_f32, nncore_no_lead_f32,
                           nncore_softplus_grad_from_f32)
/* The derivatives read from the outputs alone: D := G * (S * (1 - S)) for
 * the sigmoid and D := G * (1 - A * A) for tanh, element-wise; G and D may
 * alias. Here rather than in Cython for the AVX2 build (the Cython modules
 * are built for the baseline); the same operations, so the same bits. */
#define NNCORE_GRAD_FROM_OUTPUTS(name, type, formula)                                  \
    NNCORE_CLONES(SHORT, void, name, (const type *g, const type *a, type *d, ptrdiff_t n), \
        for (ptrdiff_t i = 0; i < n; i++) {                                            \
            type s = a[i];                                                             \
            d[i] = g[i] * (formula);                                                   \
        }                                                                              \
    )

NNCORE_GRAD_FROM_OUTPUTS(nncore_sigmoid_grad_f64, double, s * (1.0 - s))
NNCORE_GRAD_FROM_OUTPUTS(nncore_sigmoid_grad_f32, float, s * (1.0f - s))
NNCORE_GRAD_FROM_OUTPUTS(nncore_tanh_grad_f64, double, 1.0 - s * s)
NNCORE_GRAD_FROM_OUTPUTS(nncore_tanh_grad_f32, float, 1.0f - s * s)
#define nncore_sigmoid_grad_f64 NNCORE_PICK(nncore_sigmoid_grad_f64)
#define nncore_sigmoid_grad_f32 NNCORE_PICK(nncore_sigmoid_grad_f32)
#define nncore_tanh_grad_f64 NNCORE_PICK(nncore_tanh_grad_f64)
#define nncore_tanh_grad_f32 NNCORE_PICK(nncore_tanh_grad_f32)

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
