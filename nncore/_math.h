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
 */
#ifndef NNCORE_MATH_H
#define NNCORE_MATH_H

#include <stdint.h>
#include <string.h>
#include <stddef.h>

#include <math.h>

#include "_dispatch.h"

/* Two dispatch sets (_dispatch.h): AVX-512 has the best throughput on long
 * arrays, but on a few elements its longer division latency and tail
 * handling lose to AVX2 (measured: AVX2 wins below 32 elements). No set
 * enables FMA, so both give the same bits. */
#define NNCORE_WIDE_MIN 32

/* The shared reduction: t = k ln2 + r with |r| <= ln2/2 (Cody-Waite, k*ln2_hi
 * exact for |k| < 2^11); returns expm1(r) = r + r^2 q(r), q the Taylor series
 * to r^13 in Estrin's form (a third of Horner's dependency chain, which is
 * what bounds the time on small layers), and sets *k. */
static inline double nncore_reduce_f64(double t, int64_t *k)
{
    const double log2e = 0x1.71547652b82fep0;
    const double shift = 0x1.8p52;            /* rounds t*log2e to an integer */
    const double ln2_hi = 0x1.62e42fee00000p-1;
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    double kf, kd, r, r2, r4, q;
    int64_t kbits, sbits;

    kf = t * log2e + shift;
    kd = kf - shift;
    r = (t - kd * ln2_hi) - kd * ln2_lo;
    r2 = r * r;
    r4 = r2 * r2;
    q = ((1.0 / 2 + r * (1.0 / 6)) + r2 * (1.0 / 24 + r * (1.0 / 120)))
        + r4 * ((1.0 / 720 + r * (1.0 / 5040)) + r2 * (1.0 / 40320 + r * (1.0 / 362880)))
        + (r4 * r4) * ((1.0 / 3628800 + r * (1.0 / 39916800))
                       + r2 * (1.0 / 479001600 + r * (1.0 / 6227020800.0)));
    memcpy(&kbits, &kf, sizeof kbits);
    memcpy(&sbits, &shift, sizeof sbits);
    *k = kbits - sbits;
    return r + r2 * q;
}

/* The same for float32 (k*ln2_hi exact for |k| < 2^9; Taylor to r^7). */
static inline float nncore_reduce_f32(float t, int32_t *k)
{
    const float log2e = 0x1.715476p0f;
    const float shift = 0x1.8p23f;
    const float ln2_hi = 0x1.62e400p-1f;
    const float ln2_lo = 0x1.7f7d1cp-20f;
    float kf, kd, r, r2, q;
    int32_t kbits, sbits;

    kf = t * log2e + shift;
    kd = kf - shift;
    r = (t - kd * ln2_hi) - kd * ln2_lo;
    r2 = r * r;
    q = (0.5f + r * (1.0f / 6)) + r2 * ((1.0f / 24 + r * (1.0f / 120))
                                      + r2 * (1.0f / 720 + r * (1.0f / 5040)));
    memcpy(&kbits, &kf, sizeof kbits);
    memcpy(&sbits, &shift, sizeof sbits);
    *k = kbits - sbits;
    return r + r2 * q;
}

/* exp(t) for t in [-708, 710] (inf above 709.78). */
static inline double nncore_exp_f64(double t)
{
    int64_t k, bits;
    double p = 1.0 + nncore_reduce_f64(t, &k), scale;
    /* 2^(k-1) then *2: k reaches 1024, one past the largest exponent */
    bits = (k + 1022) << 52;
    memcpy(&scale, &bits, sizeof scale);
    return (p * scale) * 2.0;
}

/* exp(t) for t in [-86, 89] (inf above 88.72). */
static inline float nncore_exp_f32(float t)
{
    int32_t k, bits;
    float p = 1.0f + nncore_reduce_f32(t, &k), scale;
    bits = (k + 126) << 23;
    memcpy(&scale, &bits, sizeof scale);
    return (p * scale) * 2.0f;
}

/* exp(t) for t in [-746, 710] (float32: [-104, 89]): 0 and inf at the
 * ends, subnormal results rounded once. 2^k is applied in two halves, each
 * a normal number for every k there (k from -1076 to 1024; float32 -150 to
 * 128), so p * 2^k1 is exact and only the last product rounds. The
 * unsigned shift halves k without a 64-bit arithmetic shift, which AVX2
 * lacks. */
static inline double nncore_exp_full_f64(double t)
{
    int64_t k, k1;
    uint64_t bits1, bits2;
    double p = 1.0 + nncore_reduce_f64(t, &k), scale1, scale2;
    k1 = (int64_t) ((uint64_t) (k + 1100) >> 1) - 550;
    bits1 = (uint64_t) (k1 + 1023) << 52;
    bits2 = (uint64_t) (k - k1 + 1023) << 52;
    memcpy(&scale1, &bits1, sizeof scale1);
    memcpy(&scale2, &bits2, sizeof scale2);
    return (p * scale1) * scale2;
}

static inline float nncore_exp_full_f32(float t)
{
    int32_t k, k1;
    uint32_t bits1, bits2;
    float p = 1.0f + nncore_reduce_f32(t, &k), scale1, scale2;
    k1 = (int32_t) ((uint32_t) (k + 160) >> 1) - 80;
    bits1 = (uint32_t) (k1 + 127) << 23;
    bits2 = (uint32_t) (k - k1 + 127) << 23;
    memcpy(&scale1, &bits1, sizeof scale1);
    memcpy(&scale2, &bits2, sizeof scale2);
    return (p * scale1) * scale2;
}

/* expm1(t) for t in [-40, 0] (float32: [-20, 0]): with t = k ln2 + r,
 * expm1(t) = 2^k expm1(r) + (2^k - 1), so small t keep their relative
 * accuracy (tanh needs that). */
static inline double nncore_expm1_f64(double t)
{
    int64_t k, bits;
    double u = nncore_reduce_f64(t, &k), scale;
    bits = (k + 1023) << 52;
    memcpy(&scale, &bits, sizeof scale);
    return scale * u + (scale - 1.0);
}

static inline float nncore_expm1_f32(float t)
{
    int32_t k, bits;
    float u = nncore_reduce_f32(t, &k), scale;
    bits = (k + 127) << 23;
    memcpy(&scale, &bits, sizeof scale);
    return scale * u + (scale - 1.0f);
}

/* Clamping in its own pass over a small block lets GCC vectorize both
 * loops; fused into one loop the clamp defeats if-conversion. */
#define NNCORE_BLOCK 256

#define NNCORE_SIGMOID_BODY(type, lo, hi, exp_fn, one)                  \
    type t[NNCORE_BLOCK];                                               \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {       \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK; \
        for (ptrdiff_t j = 0; j < m; j++) {                             \
            type u = -z[start + j];                                     \
            u = u < lo ? lo : u;                                        \
            t[j] = u > hi ? hi : u;                                     \
        }                                                               \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            out[start + j] = one / (one + exp_fn(t[j]));                \
    }

#define NNCORE_SIGMOID_VARIANT(name, set, type, lo, hi, exp_fn, one)   \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n), \
                  NNCORE_SIGMOID_BODY(type, lo, hi, exp_fn, one))

NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f64_wide, WIDE, double, -708.0, 710.0, nncore_exp_f64, 1.0)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f64_short, SHORT, double, -708.0, 710.0, nncore_exp_f64, 1.0)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f32_wide, WIDE, float, -86.0f, 89.0f, nncore_exp_f32, 1.0f)
NNCORE_SIGMOID_VARIANT(nncore_sigmoid_f32_short, SHORT, float, -86.0f, 89.0f, nncore_exp_f32, 1.0f)

/* tanh(z) = -expm1(-2|z|) / (2 + expm1(-2|z|)) with z's sign: exact
 * algebra, and expm1 keeps small |z| accurate. |z| is clamped where tanh
 * is already 1 to the last bit (from 19.1 in float64, 9.1 in float32; the
 * clamps are 20 and 10). */
#define NNCORE_TANH_BODY(type, limit, expm1_fn, abs_fn, sign_fn, two)    \
    type t[NNCORE_BLOCK];                                               \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {       \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK; \
        for (ptrdiff_t j = 0; j < m; j++) {                             \
            type a = abs_fn(z[start + j]);                              \
            t[j] = -two * (a > limit ? limit : a);                      \
        }                                                               \
        for (ptrdiff_t j = 0; j < m; j++) {                             \
            type e = expm1_fn(t[j]);                                    \
            out[start + j] = sign_fn(-e / (two + e), z[start + j]);     \
        }                                                               \
    }

#define NNCORE_TANH_VARIANT(name, set, type, limit, expm1_fn, abs_fn, sign_fn, two) \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n), \
                  NNCORE_TANH_BODY(type, limit, expm1_fn, abs_fn, sign_fn, two))

NNCORE_TANH_VARIANT(nncore_tanh_f64_wide, WIDE, double, 20.0, nncore_expm1_f64, fabs, copysign, 2.0)
NNCORE_TANH_VARIANT(nncore_tanh_f64_short, SHORT, double, 20.0, nncore_expm1_f64, fabs, copysign, 2.0)
NNCORE_TANH_VARIANT(nncore_tanh_f32_wide, WIDE, float, 10.0f, nncore_expm1_f32, fabsf, copysignf, 2.0f)
NNCORE_TANH_VARIANT(nncore_tanh_f32_short, SHORT, float, 10.0f, nncore_expm1_f32, fabsf, copysignf, 2.0f)

/* exp(z), z clamped to [lo, hi]. For softmax, whose inputs are shifted to
 * be <= 0, lo is -708 (float32: -86), near the smallest normal number,
 * which a softmax then divides into a probability of 0 to working
 * precision. For the exp output, the clamps are where exp is already 0
 * and inf. NaN passes through. */
#define NNCORE_EXP_BODY(type, lo, hi, exp_fn)                           \
    type t[NNCORE_BLOCK];                                               \
    for (ptrdiff_t start = 0; start < n; start += NNCORE_BLOCK) {       \
        ptrdiff_t m = n - start < NNCORE_BLOCK ? n - start : NNCORE_BLOCK; \
        for (ptrdiff_t j = 0; j < m; j++) {                             \
            type u = z[start + j];                                      \
            u = u < lo ? lo : u;                                        \
            t[j] = u > hi ? hi : u;                                     \
        }                                                               \
        for (ptrdiff_t j = 0; j < m; j++)                               \
            out[start + j] = exp_fn(t[j]);                              \
    }

#define NNCORE_EXP_VARIANT(name, set, type, lo, hi, exp_fn)            \
    NNCORE_CLONES(set, void, name, (const type *z, type *out, ptrdiff_t n), \
                  NNCORE_EXP_BODY(type, lo, hi, exp_fn))

NNCORE_EXP_VARIANT(nncore_exp_f64_short, SHORT, double, -708.0, 710.0, nncore_exp_f64)
NNCORE_EXP_VARIANT(nncore_exp_f32_short, SHORT, float, -86.0f, 89.0f, nncore_exp_f32)
NNCORE_EXP_VARIANT(nncore_exp_any_f64_short, SHORT, double, -746.0, 710.0, nncore_exp_full_f64)
NNCORE_EXP_VARIANT(nncore_exp_any_f64_wide, WIDE, double, -746.0, 710.0, nncore_exp_full_f64)
NNCORE_EXP_VARIANT(nncore_exp_any_f32_short, SHORT, float, -104.0f, 89.0f, nncore_exp_full_f32)
NNCORE_EXP_VARIANT(nncore_exp_any_f32_wide, WIDE, float, -104.0f, 89.0f, nncore_exp_full_f32)

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
