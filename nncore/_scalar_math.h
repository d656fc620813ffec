/* Scalar exp, expm1 and the element formulas of nncore's activations.
 *
 * One source for two users: _math.h builds its vectorized loops from these
 * functions, and nncore.export.c embeds this file and _erfcx_table.h,
 * unchanged, in the C it writes, so exported models compute every
 * activation with the same operations in the same order and get the same
 * bits. Hence: C99, the C
 * standard library only (no libm: fabs and copysign are done on the bits
 * where the compiler has no builtin), and no dispatch attributes.
 */
#ifndef NNCORE_SCALAR_MATH_H
#define NNCORE_SCALAR_MATH_H

#include <stdint.h>
#include <string.h>

/* The C export embeds the table before this file, so it is included only
 * where it is not there yet. */
#ifndef NNCORE_ERFCX_TABLE_H
#include "_erfcx_table.h"
#endif

/* |x| and copysign(x, y): GCC and clang inline their builtins (one
 * instruction, vectorizable); elsewhere the sign bit is set by hand. Both
 * are exact, so the bits are the same either way. */
#if defined(__GNUC__) || defined(__clang__)
#define nncore_fabs_f64 __builtin_fabs
#define nncore_fabs_f32 __builtin_fabsf
#define nncore_copysign_f64 __builtin_copysign
#define nncore_copysign_f32 __builtin_copysignf
#else
static inline double nncore_copysign_f64(double x, double y)
{
    uint64_t bx, by;
    memcpy(&bx, &x, sizeof bx);
    memcpy(&by, &y, sizeof by);
    bx = (bx & ~((uint64_t) 1 << 63)) | (by & ((uint64_t) 1 << 63));
    memcpy(&x, &bx, sizeof x);
    return x;
}

static inline float nncore_copysign_f32(float x, float y)
{
    uint32_t bx, by;
    memcpy(&bx, &x, sizeof bx);
    memcpy(&by, &y, sizeof by);
    bx = (bx & ~((uint32_t) 1 << 31)) | (by & ((uint32_t) 1 << 31));
    memcpy(&x, &bx, sizeof x);
    return x;
}

static inline double nncore_fabs_f64(double x) { return nncore_copysign_f64(x, 0.0); }
static inline float nncore_fabs_f32(float x) { return nncore_copysign_f32(x, 0.0f); }
#endif

/* The shared reduction: t = k ln2 + r with |r| <= ln2/2 (Cody-Waite, k*ln2_hi
 * exact for |k| < 2^11); returns expm1(r) = r + r^2 q(r), q the Taylor series
 * to r^13 in Estrin's form (a third of Horner's dependency chain, which is
 * what bounds the time on small layers), and sets *k. */
static inline double nncore_reduce2_f64(double t, double tail, int64_t *k);

static inline double nncore_reduce_f64(double t, int64_t *k)
{
    return nncore_reduce2_f64(t, 0.0, k);
}

/* The same for t + tail, |tail| at most half an ulp of t: the tail joins
 * the reduced argument, where it is not lost (GELU's exp(-x*x/2) needs
 * x*x to the last bit). With tail = 0 the bits are those of t alone:
 * (tail - kd*ln2_lo) is then exactly -(kd*ln2_lo). */
static inline double nncore_reduce2_f64(double t, double tail, int64_t *k)
{
    const double log2e = 0x1.71547652b82fep0;
    const double shift = 0x1.8p52;            /* rounds t*log2e to an integer */
    const double ln2_hi = 0x1.62e42fee00000p-1;
    const double ln2_lo = 0x1.a39ef35793c76p-33;
    double kf, kd, r, r2, r4, q;
    int64_t kbits, sbits;

    kf = t * log2e + shift;
    kd = kf - shift;
    r = (t - kd * ln2_hi) + (tail - kd * ln2_lo);
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
static inline double nncore_exp_full2_f64(double t, double tail)
{
    int64_t k, k1;
    uint64_t bits1, bits2;
    double p = 1.0 + nncore_reduce2_f64(t, tail, &k), scale1, scale2;
    k1 = (int64_t) ((uint64_t) (k + 1100) >> 1) - 550;
    bits1 = (uint64_t) (k1 + 1023) << 52;
    bits2 = (uint64_t) (k - k1 + 1023) << 52;
    memcpy(&scale1, &bits1, sizeof scale1);
    memcpy(&scale2, &bits2, sizeof scale2);
    return (p * scale1) * scale2;
}

static inline double nncore_exp_full_f64(double t)
{
    return nncore_exp_full2_f64(t, 0.0);
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

/* The clamps: where each function is already exact, 0 or inf (see _math.h). */
#define NNCORE_SIGMOID_LO_f64 (-708.0)
#define NNCORE_SIGMOID_HI_f64 710.0
#define NNCORE_SIGMOID_LO_f32 (-86.0f)
#define NNCORE_SIGMOID_HI_f32 89.0f
#define NNCORE_TANH_LIMIT_f64 20.0
#define NNCORE_TANH_LIMIT_f32 10.0f
#define NNCORE_EXP_ANY_LO_f64 (-746.0)
#define NNCORE_EXP_ANY_HI_f64 710.0
#define NNCORE_EXP_ANY_LO_f32 (-104.0f)
#define NNCORE_EXP_ANY_HI_f32 89.0f

/* u clamped to [lo, hi]; NaN passes through. */
static inline double nncore_clamp_f64(double u, double lo, double hi)
{
    u = u < lo ? lo : u;
    return u > hi ? hi : u;
}

static inline float nncore_clamp_f32(float u, float lo, float hi)
{
    u = u < lo ? lo : u;
    return u > hi ? hi : u;
}

/* sigmoid(z) = 1 / (1 + exp(t)) from t = -z clamped to the sigmoid range. */
static inline double nncore_sigmoid_of_f64(double t)
{
    return 1.0 / (1.0 + nncore_exp_f64(t));
}

static inline float nncore_sigmoid_of_f32(float t)
{
    return 1.0f / (1.0f + nncore_exp_f32(t));
}

/* tanh(z) = -expm1(t) / (2 + expm1(t)) with z's sign, t = -2 min(|z|, limit). */
static inline double nncore_tanh_arg_f64(double z)
{
    double a = nncore_fabs_f64(z);
    return -2.0 * (a > NNCORE_TANH_LIMIT_f64 ? NNCORE_TANH_LIMIT_f64 : a);
}

static inline float nncore_tanh_arg_f32(float z)
{
    float a = nncore_fabs_f32(z);
    return -2.0f * (a > NNCORE_TANH_LIMIT_f32 ? NNCORE_TANH_LIMIT_f32 : a);
}

static inline double nncore_tanh_of_f64(double e, double z)
{
    return nncore_copysign_f64(-e / (2.0 + e), z);
}

static inline float nncore_tanh_of_f32(float e, float z)
{
    return nncore_copysign_f32(-e / (2.0f + e), z);
}

/* The element formulas of GELU, SiLU, ELU and softplus: each is
 * from(x, arg(x), lead(x)) with x in the type it computes in (float64 for
 * float32 GELU and softplus, rounded once); _math.h computes arg and lead
 * in one pass over a block and from in a second. */
/* No lead term. */
static inline double nncore_no_lead_f64(double x) { (void) x; return 0.0; }
static inline float nncore_no_lead_f32(float x) { (void) x; return 0.0f; }
/* max(x, 0), NaN to 0 (its NaN comes through t). */
static inline double nncore_positive_part_f64(double x) { return x > 0 ? x : 0.0; }
static inline float nncore_positive_part_f32(float x) { return x > 0 ? x : 0.0f; }
/* -x clamped as in the sigmoid: exp(-x) from exp(-708) up to inf. */
static inline double nncore_minus_clamped_f64(double x)
{
    double u = -x;
    u = u < -708.0 ? -708.0 : u;
    return u > 710.0 ? 710.0 : u;
}

static inline float nncore_minus_clamped_f32(float x)
{
    float u = -x;
    u = u < -86.0f ? -86.0f : u;
    return u > 89.0f ? 89.0f : u;
}

/* cond ? a : b on the bits: exact, and with no branch for GCC to thread
 * or to sink an operand's arithmetic into, which would leave that
 * arithmetic conditional and the loop around it unvectorized (GELU's, with
 * a dozen selects on a few conditions). */
static inline double nncore_select_f64(int cond, double a, double b)
{
    uint64_t bits_a, bits_b, mask = (uint64_t) 0 - (uint64_t) (cond != 0);
    memcpy(&bits_a, &a, sizeof bits_a);
    memcpy(&bits_b, &b, sizeof bits_b);
    bits_a = (bits_a & mask) | (bits_b & ~mask);
    memcpy(&a, &bits_a, sizeof a);
    return a;
}

/* m(v) = exp(v*v/2) Phi(-v) = erfcx(v/sqrt2) / 2 for v in [0, 48], Phi the
 * standard normal distribution, from the table of tools/fit_erfcx.py:
 * below 12 a polynomial in v, above it one in 1/v of v m(v), which far
 * says (so that callers with a use for v m(v) take it unscaled). The
 * constant term is two doubles: relative error about half an ulp.
 *
 * In two steps, which the kernels run as two passes over a block:
 * nncore_mills_arg_f64 picks the row (*at, the index of its first
 * coefficient) and returns the polynomial's argument t, computing both
 * regions' and selecting one; nncore_mills_poly_f64 evaluates the row at t.
 * Alone in its loop, the polynomial's table loads are gathers and its
 * Horner chain overlaps the next elements'. */
static inline double nncore_mills_arg_f64(double v, int64_t *at, int *far)
{
    /* A NaN v reads row 48's polynomial: the row index stays in range, and
     * the caller's arithmetic with its NaN input keeps the NaN. */
    double s = nncore_select_f64(v < 48.0, v, 48.0), u, t_far, t_near;
    int row, row_far, is_far;
    s = nncore_select_f64(s > 0.0, s, 0.0);
    is_far = s >= 12.0;
    u = 1.0 / nncore_select_f64(is_far, s, 12.0);
    row = (int) nncore_select_f64(is_far, u * 48.0, s * 4.0);
    row_far = NNCORE_ERFCX_ROWS_NEAR + (row > 3 ? 3 : row);
    t_far = u - (row_far - NNCORE_ERFCX_ROWS_NEAR + 0.5) / 48.0;
    t_near = s - (row + 0.5) / 4.0;
    row += (row_far - row) & -is_far;
    /* 64 bits and one flat index: GCC gathers table[at + j] (not
     * table[row][j]), and best from 64-bit offsets. */
    *at = (int64_t) row * (NNCORE_ERFCX_DEGREE + 2);
    *far = is_far;
    return nncore_select_f64(is_far, t_far, t_near);
}

static inline double nncore_mills_poly_f64(int64_t at, double t)
{
    const double *table = nncore_erfcx_table[0];
    double q = table[at + NNCORE_ERFCX_DEGREE + 1];
    for (int j = NNCORE_ERFCX_DEGREE; j >= 2; j--)
        q = q * t + table[at + j];
    return table[at] + (table[at + 1] + q * t);
}

/* exp(-x*x/2) for |x| <= 40, x*x split exactly into two doubles (Dekker's
 * product, no FMA), so the large exponent loses nothing; 0 from x*x/2 >
 * 746 on, where it underflows. */
static inline double nncore_gauss_f64(double x)
{
    double square = x * x, big = x * 134217729.0, high, low, half, tail;
    int under;
    high = big - (big - x);
    low = x - high;
    half = -0.5 * square;
    tail = -0.5 * (((high * high - square) + 2.0 * high * low) + low * low);
    under = half < -746.0;
    return nncore_exp_full2_f64(nncore_select_f64(under, -746.0, half),
                                nncore_select_f64(under, 0.0, tail));
}

/* GELU, x Phi(x) = x erfc(-x/sqrt2) / 2, with v = |x|, Phi(-v) = m(v)
 * exp(-v*v/2): for x <= 0, x m(v) exp(-v*v/2), and far out, where the
 * table holds v m(v), -(v m(v)) exp(-v*v/2); for x > 0, x (1 - Phi(-v)),
 * with no cancelling. The exp factor comes last, so a subnormal result
 * rounds once. |x| is clamped to 40, where that factor is 0. Every
 * candidate is computed and the result selected (see nncore_select_f64). */
static inline double nncore_gelu_arg_f64(double x)
{
    return x < -40.0 ? -40.0 : x > 40.0 ? 40.0 : x;
}

/* GELU from x, c = x clamped and p = m(|c|) (or |c| m(|c|) when far). */
static inline double nncore_gelu_of_f64(double x, double c, double p, int far)
{
    double v = nncore_fabs_f64(c), scaled;
    int left = x <= 0;
    scaled = nncore_select_f64(far, nncore_select_f64(left, -p, p / v),
                               nncore_select_f64(left, c * p, p));
    scaled = scaled * nncore_gauss_f64(c);
    return nncore_select_f64(left, scaled, x * (1.0 - scaled));
}

static inline double nncore_gelu_from_f64(double x, double c, double unused)
{
    int64_t at;
    int far;
    double t = nncore_mills_arg_f64(nncore_fabs_f64(c), &at, &far);
    (void) unused;
    return nncore_gelu_of_f64(x, c, nncore_mills_poly_f64(at, t), far);
}

/* SiLU, x sigmoid(x) = x / (1 + exp(-x)), from t = -x clamped as in the
 * sigmoid (below x = -709.78 the result flushes to -0). */
static inline double nncore_silu_from_f64(double x, double t, double unused)
{
    (void) unused;
    return x / (1.0 + nncore_exp_f64(t));
}

static inline float nncore_silu_from_f32(float x, float t, float unused)
{
    (void) unused;
    return x / (1.0f + nncore_exp_f32(t));
}

/* ELU (alpha 1): x for x > 0, else expm1(x), as max(x, 0) + expm1(t), t = x
 * clamped to [-40, 0] (float32 [-20, 0]), where expm1 is already -1 to the
 * last bit; expm1(0) is exactly 0. */
static inline double nncore_elu_arg_f64(double x) { return x < -40.0 ? -40.0 : x > 0.0 ? 0.0 : x; }
static inline float nncore_elu_arg_f32(float x) { return x < -20.0f ? -20.0f : x > 0.0f ? 0.0f : x; }

static inline double nncore_elu_from_f64(double x, double t, double lead)
{
    (void) x;
    return lead + nncore_expm1_f64(t);
}

static inline float nncore_elu_from_f32(float x, float t, float lead)
{
    (void) x;
    return lead + nncore_expm1_f32(t);
}

/* log1p(t) for t in [0, 1]: 2 atanh(s), s = t / (2 + t) <= 1/3, its
 * series to s^33 (the next term is below 2^-54 of the sum). */
static inline double nncore_log1p_unit_f64(double t)
{
    double s = t / (2.0 + t), s2 = s * s, s4 = s2 * s2, s8 = s4 * s4, q;
    q = ((2.0 / 3 + s2 * (2.0 / 5)) + s4 * (2.0 / 7 + s2 * (2.0 / 9)))
        + s8 * ((2.0 / 11 + s2 * (2.0 / 13)) + s4 * (2.0 / 15 + s2 * (2.0 / 17)))
        + (s8 * s8) * (((2.0 / 19 + s2 * (2.0 / 21)) + s4 * (2.0 / 23 + s2 * (2.0 / 25)))
                       + s8 * ((2.0 / 27 + s2 * (2.0 / 29)) + s4 * (2.0 / 31 + s2 * (2.0 / 33))));
    return 2.0 * s + s * (s2 * q);
}

/* softplus (beta 1, threshold 20, as PyTorch): x above 20, else
 * log1p(exp(x)) = max(x, 0) + log1p(exp(-|x|)); t = -|x| is clamped at
 * -746, and set there above 20, where exp(t) is 0 and leaves x. float32
 * is computed in float64 and rounded once. */
static inline double nncore_softplus_arg_f64(double x)
{
    double a = nncore_fabs_f64(x);
    return x > 20.0 || a > 746.0 ? -746.0 : -a;
}

static inline double nncore_softplus_from_f64(double x, double t, double lead)
{
    (void) x;
    return lead + nncore_log1p_unit_f64(nncore_exp_full_f64(t));
}

#endif
