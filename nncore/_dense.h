/* Small matrix products for layers too small for BLAS, vectorized by hand.
 *
 * C[r, q] = sum over t of A[r*a_row + t*a_sum] * B[t*b_sum + q], with the
 * rows of B contiguous: the forward pass (X @ W) and the weight gradient
 * (X.T @ D). Each C[r, q] is summed over t in order, starting from 0, one
 * multiply and one add per term (no FMA: -ffp-contract=off), so every
 * vector width gives the bits of the plain scalar loop.
 *
 * Also the fused per-sample step (nncore_sample_update_*): backward and
 * optimizer update of one layer for one sample in one pass over its weights.
 *
 * Why C: GCC's vector extensions keep a block of 4 vectors of C in
 * registers across the whole sum, and each kernel is built for AVX2 and the
 * baseline, one picked at load time (_dispatch.h); Cython can express
 * neither. Measured on a
 * 10-32-32-1 network: about half the instructions of the scalar loops.
 */
#ifndef NNCORE_DENSE_H
#define NNCORE_DENSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_optim.h"

#include "_dispatch.h"

typedef double nncore_v4d __attribute__((vector_size(32)));
typedef float nncore_v8f __attribute__((vector_size(32)));

#define NNCORE_MATMUL_ROWS(name, type, vec, lanes)                                     \
    NNCORE_CLONES(SHORT, void, name, (                                                 \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, const type *b, ptrdiff_t b_sum, \
        type *c, ptrdiff_t m, ptrdiff_t n, ptrdiff_t k),                               \
        for (ptrdiff_t r = 0; r < m; r++) {                                            \
            const type *a_r = a + r * a_row;                                           \
            type *c_r = c + r * n;                                                     \
            ptrdiff_t q = 0;                                                           \
            for (; q + 4 * lanes <= n; q += 4 * lanes) {                               \
                vec s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0}, v;                         \
                for (ptrdiff_t t = 0; t < k; t++) {                                    \
                    const type *b_t = b + t * b_sum + q;                               \
                    vec x = (vec){0} + a_r[t * a_sum];                                 \
                    memcpy(&v, b_t, sizeof v); s0 = s0 + x * v;                        \
                    memcpy(&v, b_t + lanes, sizeof v); s1 = s1 + x * v;                \
                    memcpy(&v, b_t + 2 * lanes, sizeof v); s2 = s2 + x * v;            \
                    memcpy(&v, b_t + 3 * lanes, sizeof v); s3 = s3 + x * v;            \
                }                                                                      \
                memcpy(c_r + q, &s0, sizeof s0);                                       \
                memcpy(c_r + q + lanes, &s1, sizeof s1);                               \
                memcpy(c_r + q + 2 * lanes, &s2, sizeof s2);                           \
                memcpy(c_r + q + 3 * lanes, &s3, sizeof s3);                           \
            }                                                                          \
            for (; q + lanes <= n; q += lanes) {                                       \
                vec s0 = {0}, v;                                                       \
                for (ptrdiff_t t = 0; t < k; t++) {                                    \
                    vec x = (vec){0} + a_r[t * a_sum];                                 \
                    memcpy(&v, b + t * b_sum + q, sizeof v);                           \
                    s0 = s0 + x * v;                                                   \
                }                                                                      \
                memcpy(c_r + q, &s0, sizeof s0);                                       \
            }                                                                          \
            for (; q < n; q++) {                                                       \
                type s = 0;                                                            \
                for (ptrdiff_t t = 0; t < k; t++)                                      \
                    s += a_r[t * a_sum] * b[t * b_sum + q];                            \
                c_r[q] = s;                                                            \
            }                                                                          \
        }                                                                              \
    )

NNCORE_MATMUL_ROWS(nncore_matmul_rows_f64, double, nncore_v4d, 4)
NNCORE_MATMUL_ROWS(nncore_matmul_rows_f32, float, nncore_v8f, 8)
#define nncore_matmul_rows_f64 NNCORE_PICK(nncore_matmul_rows_f64)
#define nncore_matmul_rows_f32 NNCORE_PICK(nncore_matmul_rows_f32)

/* Z[r, q] += b[q] for every row r < m: the bias, added after the product
 * (whose sums start from 0). */
#define NNCORE_ADD_BIAS(name, type)                                                    \
    NNCORE_CLONES(SHORT, void, name, (type *restrict z, const type *restrict b,        \
                                      ptrdiff_t m, ptrdiff_t n),                       \
        for (ptrdiff_t r = 0; r < m; r++)                                              \
            for (ptrdiff_t q = 0; q < n; q++)                                          \
                z[r * n + q] += b[q];                                                  \
    )

NNCORE_ADD_BIAS(nncore_add_bias_f64, double)
NNCORE_ADD_BIAS(nncore_add_bias_f32, float)
#define nncore_add_bias_f64 NNCORE_PICK(nncore_add_bias_f64)
#define nncore_add_bias_f32 NNCORE_PICK(nncore_add_bias_f32)

/* y[r] = sum over t of A[r*lda + t] * x[t], for r < m: a matrix-vector
 * product along A's contiguous rows. Each y[r] is summed over t in order
 * from 0, one multiply and one add per term, as the scalar loop does; four
 * rows at a time, their products are transposed in registers (4x4) so that
 * one vector add takes the next term of four sums: a dot product cannot
 * be vectorized along its own terms without changing their order. */
#define NNCORE_MATVEC(name, type, vec, index)                                                 \
    NNCORE_ALWAYS_INLINE void name##_body(const type *a, ptrdiff_t lda, const type *x, \
                                          type *y, ptrdiff_t m, ptrdiff_t k)           \
    {                                                                                  \
        const index lo = {0, 4, 2, 6}, hi = {1, 5, 3, 7}, first = {0, 1, 4, 5},          \
                  second = {2, 3, 6, 7};                                               \
        ptrdiff_t r = 0;                                                               \
        for (; r + 4 <= m; r += 4) {                                                   \
            const type *a0 = a + r * lda, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda; \
            vec sum = {0}, p0, p1, p2, p3, xt;                                     \
            ptrdiff_t t = 0;                                                           \
            for (; t + 4 <= k; t += 4) {                                               \
                memcpy(&xt, x + t, sizeof xt);                                         \
                memcpy(&p0, a0 + t, sizeof p0); p0 = p0 * xt;                          \
                memcpy(&p1, a1 + t, sizeof p1); p1 = p1 * xt;                          \
                memcpy(&p2, a2 + t, sizeof p2); p2 = p2 * xt;                          \
                memcpy(&p3, a3 + t, sizeof p3); p3 = p3 * xt;                          \
                vec even01 = __builtin_shuffle(p0, p1, lo);                        \
                vec odd01 = __builtin_shuffle(p0, p1, hi);                         \
                vec even23 = __builtin_shuffle(p2, p3, lo);                        \
                vec odd23 = __builtin_shuffle(p2, p3, hi);                         \
                sum = sum + __builtin_shuffle(even01, even23, first);                  \
                sum = sum + __builtin_shuffle(odd01, odd23, first);                    \
                sum = sum + __builtin_shuffle(even01, even23, second);                 \
                sum = sum + __builtin_shuffle(odd01, odd23, second);                   \
            }                                                                          \
            for (; t < k; t++) {                                                       \
                vec column = {a0[t], a1[t], a2[t], a3[t]};                         \
                sum = sum + column * x[t];                                             \
            }                                                                          \
            memcpy(y + r, &sum, sizeof sum);                                           \
        }                                                                              \
        for (; r < m; r++) {                                                           \
            type s = 0;                                                                \
            for (ptrdiff_t t = 0; t < k; t++)                                          \
                s += a[r * lda + t] * x[t];                                            \
            y[r] = s;                                                                  \
        }                                                                              \
    }                                                                                  \
                                                                                       \
    NNCORE_CLONES(SHORT, void, name, (const type *a, ptrdiff_t lda, const type *x,     \
                                      type *y, ptrdiff_t m, ptrdiff_t k),              \
        name##_body(a, lda, x, y, m, k);                                               \
    )

/* Four lanes for both dtypes, for the 4x4 transpose; shuffle masks are
 * integer vectors of the same size. */
typedef float nncore_v4f __attribute__((vector_size(16)));
typedef long long nncore_v4l __attribute__((vector_size(32)));
typedef int nncore_v4i __attribute__((vector_size(16)));
NNCORE_MATVEC(nncore_matvec_f64, double, nncore_v4d, nncore_v4l)
NNCORE_MATVEC(nncore_matvec_f32, float, nncore_v4f, nncore_v4i)
#define nncore_matvec_f64 NNCORE_PICK(nncore_matvec_f64)
#define nncore_matvec_f32 NNCORE_PICK(nncore_matvec_f32)

/* One dense layer's backward pass and update for one sample, in one pass
 * over its weights: for each row i,
 *     grad_inputs[i] := sum over j of delta[j] * W[i, j]   (W before the update)
 *     g := inputs[i] * delta[j] (+ l2 * W[i, j])
 * then W[i, j] is updated from g by _optim.h's element update for `kind`
 * (NNCORE_SGD, with momentum if momentum > 0 and weight decay if
 * weight_decay > 0; NNCORE_ADAM, lr its step size; or NNCORE_ADAMW, from
 * the step's constants in adamw), as the general path does after summing
 * the gradient into a buffer, so both give the same bits. The old weights and moments go to
 * saved_w, saved_v and saved_s, so a step whose new weights are not all
 * finite (the return value) can be undone exactly.
 * With inputs NULL the row is a bias: g := delta[j], no L2; the caller
 * gives it no weight decay (weight_decay 0, adamw's decay 1). grad_inputs may
 * be NULL; it is computed first, from the old weights, by nncore_matvec. */
/* One loop per optimizer and per L2 on/off, so each vectorizes. Each
 * weight is read once, as old. With `pair` (a constant once inlined) the
 * loop updates two rows, inputs x0 and x1, sharing each delta[j] and the
 * row's loop and finiteness overheads: weight e of the block is row
 * e / n_out's. */
#define NNCORE_ELEMENT(type, x_row, e_, gradient, update)                              \
    {                                                                                  \
        const ptrdiff_t e = (e_);                                                      \
        const type x = (x_row);                                                        \
        type old = w[e];                                                               \
        type g = gradient;                                                             \
        update;                                                                        \
    }

#define NNCORE_ROW_LOOP(type, l2, update)                                              \
    if (l2 != 0) {                                                                     \
        for (ptrdiff_t j = 0; j < n_out; j++) {                                        \
            NNCORE_ELEMENT(type, x0, j, ((type)0 + x * delta[j]) + l2 * old, update)   \
            if (pair)                                                                  \
                NNCORE_ELEMENT(type, x1, n_out + j, ((type)0 + x * delta[j]) + l2 * old, \
                               update)                                                 \
        }                                                                              \
    } else {                                                                           \
        /* (type)0 + ...: as the general path's sums, which start from 0 */          \
        for (ptrdiff_t j = 0; j < n_out; j++) {                                        \
            NNCORE_ELEMENT(type, x0, j, (type)0 + x * delta[j], update)                \
            if (pair)                                                                  \
                NNCORE_ELEMENT(type, x1, n_out + j, (type)0 + x * delta[j], update)    \
        }                                                                              \
    }

/* Notes whether v is finite: v - v is +0, all bits clear, for every finite
 * v and NaN otherwise, so OR-ing the bits of those into nonfinite leaves it
 * 0 exactly when all were finite. Integer ORs vectorize at the floats'
 * width, where a comparison's int result had to be narrowed lane by lane. */
#define NNCORE_NOTE_FINITE(type, bits, v)                                              \
    do {                                                                               \
        type zero_ = (v) - (v);                                                        \
        bits zero_bits_;                                                               \
        memcpy(&zero_bits_, &zero_, sizeof zero_bits_);                                \
        nonfinite |= zero_bits_;                                                       \
    } while (0)

/* Save the old weight, write the new one, note whether it is finite. */
#define NNCORE_NEW_WEIGHT(type, bits, value)                                           \
    do {                                                                               \
        type new_ = (value);                                                           \
        saved_w[e] = old;                                                              \
        w[e] = new_;                                                                   \
        NNCORE_NOTE_FINITE(type, bits, new_);                                          \
    } while (0)

#define NNCORE_SAMPLE_UPDATE(name, suffix, type, bits)                                     \
    NNCORE_ALWAYS_INLINE int name##_row(type x0, type x1, int pair,                 \
                                 const type *restrict delta, type *restrict w,         \
                                 type *restrict v, type *restrict s,                   \
                                 type *restrict saved_w, type *restrict saved_v,       \
                                 type *restrict saved_s, ptrdiff_t n_out, int kind,    \
                                 type lr, type momentum, int nesterov, type beta_1,    \
                                 type beta_2, type epsilon, type l2, type weight_decay, \
                                 nncore_adamw_constants_##suffix adamw)                \
    {                                                                                  \
        bits nonfinite = 0;                                                            \
        if (kind == NNCORE_ADAMW) {                                                    \
            NNCORE_ROW_LOOP(type, l2,                                                  \
                saved_v[e] = v[e];                                                     \
                saved_s[e] = s[e];                                                     \
                NNCORE_NEW_WEIGHT(type, bits, nncore_adamw_element_##suffix(           \
                    old, g, &v[e], &s[e], adamw));                                     \
                NNCORE_NOTE_FINITE(type, bits, s[e]))                                  \
        } else if (kind == NNCORE_ADAM) {                                              \
            NNCORE_ROW_LOOP(type, l2,                                                  \
                saved_v[e] = v[e];                                                     \
                saved_s[e] = s[e];                                                     \
                NNCORE_NEW_WEIGHT(type, bits, nncore_adam_element_##suffix(            \
                    old, g, &v[e], &s[e], lr, beta_1, beta_2, epsilon));               \
                /* An overflowed s would freeze w[e]: diverged too. */                 \
                NNCORE_NOTE_FINITE(type, bits, s[e]))                                  \
        } else if (momentum > 0 && nesterov) {                                         \
            NNCORE_ROW_LOOP(type, l2,                                                  \
                saved_v[e] = v[e];                                                     \
                NNCORE_NEW_WEIGHT(type, bits, nncore_momentum_element_##suffix(        \
                    old, g, &v[e], lr, momentum, 1, weight_decay)))                    \
        } else if (momentum > 0) {                                                     \
            NNCORE_ROW_LOOP(type, l2,                                                  \
                saved_v[e] = v[e];                                                     \
                NNCORE_NEW_WEIGHT(type, bits, nncore_momentum_element_##suffix(        \
                    old, g, &v[e], lr, momentum, 0, weight_decay)))                    \
        } else {                                                                       \
            NNCORE_ROW_LOOP(type, l2,                                                  \
                NNCORE_NEW_WEIGHT(type, bits, nncore_sgd_element_##suffix(old, g, lr,  \
                                                                          weight_decay))) \
        }                                                                              \
        return nonfinite == 0;                                                         \
    }                                                                                  \
                                                                                       \
    NNCORE_ALWAYS_INLINE int name##_layer(                                             \
        const type *inputs, const type *delta, type *w, type *v, type *s,              \
        type *saved_w, type *saved_v, type *saved_s, type *grad_inputs,                \
        ptrdiff_t n_in, ptrdiff_t n_out, int kind, type lr, type momentum,             \
        int nesterov, type beta_1, type beta_2, type epsilon, type l2,                 \
        type weight_decay, nncore_adamw_constants_##suffix adamw)                      \
    {                                                                                  \
        ptrdiff_t i = 0;                                                               \
        int finite = 1;                                                                \
        if (inputs == NULL)                                                            \
            return name##_row(1, 0, 0, delta, w, v, s, saved_w, saved_v, saved_s, n_out, kind, \
                              lr, momentum, nesterov, beta_1, beta_2, epsilon, 0,      \
                              weight_decay, adamw);                                    \
        if (grad_inputs != NULL)                                                       \
            nncore_matvec_##suffix##_body(w, n_out, delta, grad_inputs, n_in, n_out);   \
        /* One output: the weights are one contiguous column, updated as one      \
         * row with inputs and delta swapping roles (x * d == d * x exactly),     \
         * not n_in rows of one weight each. */                                   \
        if (n_out == 1)                                                                \
            return name##_row(delta[0], 0, 0, inputs, w, v, s, saved_w, saved_v, saved_s, n_in, \
                              kind, lr, momentum, nesterov, beta_1, beta_2, epsilon, l2, \
                              weight_decay, adamw);                                    \
        for (; i + 2 <= n_in; i += 2)                                                  \
            finite &= name##_row(inputs[i], inputs[i + 1], 1, delta, w + i * n_out,    \
                                 v + i * n_out, s + i * n_out, saved_w + i * n_out,    \
                                 saved_v + i * n_out, saved_s + i * n_out, n_out, kind, \
                                 lr, momentum, nesterov, beta_1, beta_2, epsilon, l2,  \
                                 weight_decay, adamw);                                 \
        if (i < n_in)                                                                  \
            finite &= name##_row(inputs[i], 0, 0, delta, w + i * n_out, v + i * n_out, \
                                 s + i * n_out, saved_w + i * n_out, saved_v + i * n_out, \
                                 saved_s + i * n_out, n_out, kind, lr, momentum, nesterov, \
                                 beta_1, beta_2, epsilon, l2, weight_decay, adamw);    \
        return finite;                                                                 \
    }                                                                                  \
                                                                                       \
    /* A copy of the layer loop per optimizer: the arguments that pick the             \
     * update are constants in each, so no row tests them. */                          \
    NNCORE_CLONES(SHORT, int, name, (                                                  \
        const type *inputs, const type *delta, type *w, type *v, type *s,              \
        type *saved_w, type *saved_v, type *saved_s, type *grad_inputs,                \
        ptrdiff_t n_in, ptrdiff_t n_out, int kind, type lr, type momentum,             \
        int nesterov, type beta_1, type beta_2, type epsilon, type l2,                 \
        type weight_decay, const nncore_adamw_constants_##suffix *adamw),              \
        const nncore_adamw_constants_##suffix unused = {0};                            \
        if (kind == NNCORE_ADAMW)                                                      \
            return name##_layer(inputs, delta, w, v, s, saved_w, saved_v, saved_s,     \
                                grad_inputs, n_in, n_out, NNCORE_ADAMW, 0, 0, 0,       \
                                0, 0, 0, l2, 0, *adamw);                               \
        if (kind == NNCORE_ADAM)                                                       \
            return name##_layer(inputs, delta, w, v, s, saved_w, saved_v, saved_s,     \
                                grad_inputs, n_in, n_out, NNCORE_ADAM, lr, 0, 0,       \
                                beta_1, beta_2, epsilon, l2, 0, unused);               \
        if (weight_decay != 0)                                                         \
            return name##_layer(inputs, delta, w, v, s, saved_w, saved_v, saved_s,     \
                                grad_inputs, n_in, n_out, NNCORE_SGD, lr, momentum,    \
                                nesterov, 0, 0, 0, l2, weight_decay, unused);          \
        if (!(momentum > 0))                                                           \
            return name##_layer(inputs, delta, w, v, s, saved_w, saved_v, saved_s,     \
                                grad_inputs, n_in, n_out, NNCORE_SGD, lr, 0, 0,        \
                                0, 0, 0, l2, 0, unused);                               \
        if (nesterov)                                                                  \
            return name##_layer(inputs, delta, w, v, s, saved_w, saved_v, saved_s,     \
                                grad_inputs, n_in, n_out, NNCORE_SGD, lr, momentum, 1, \
                                0, 0, 0, l2, 0, unused);                               \
        return name##_layer(inputs, delta, w, v, s, saved_w, saved_v, saved_s,         \
                            grad_inputs, n_in, n_out, NNCORE_SGD, lr, momentum, 0,     \
                            0, 0, 0, l2, 0, unused);                                   \
    )

NNCORE_SAMPLE_UPDATE(nncore_sample_update_f64, f64, double, uint64_t)
NNCORE_SAMPLE_UPDATE(nncore_sample_update_f32, f32, float, uint32_t)
#define nncore_sample_update_f64 NNCORE_PICK(nncore_sample_update_f64)
#define nncore_sample_update_f32 NNCORE_PICK(nncore_sample_update_f32)

#endif
