/* Matrix products of any size with a fixed summation order.
 *
 * C[r, q] = sum over t of A[r*a_row + t*a_sum] * B[t*b_sum + q*b_col], C
 * (m, n) row-major. Each C[r, q] is summed over t in order, starting from
 * 0, one multiply and one add per term (no FMA: -ffp-contract=off). That is
 * the order of _dense.h's row loops and of the plain scalar loop, so every
 * blocking, vector width and CPU gives their bits. A sum split across k
 * blocks goes on from the partial sum stored in C, which changes nothing.
 *
 * Why not BLAS: OpenBLAS picks its kernels per CPU and thread count, and
 * they sum in different orders (FMA, split k), so its bits vary between
 * machines. This is the product behind `deterministic=True`, and the one the
 * default mode uses wherever it measures faster than BLAS.
 *
 * Blocking: k in blocks of NNCORE_GEMM_KC, columns in blocks of
 * NNCORE_GEMM_NC, rows in blocks of NNCORE_GEMM_MC, so that the rows of A
 * and the columns of B in use stay in L2. A tile of 6 rows by two vectors of
 * C stays in registers for a whole k block (12 independent sums hide the
 * add's latency). B is read in place when its rows are contiguous, and
 * otherwise copied, a strip of two vectors' width at a time, into a buffer
 * on the stack; so are the strips at the right edge, padded with zeros.
 */
#ifndef NNCORE_GEMM_H
#define NNCORE_GEMM_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "_dispatch.h"
#include "_threads.h"

/* The helpers are inlined into each dispatched clone, so they are built for
 * its instruction set rather than the baseline's. */
#define NNCORE_GEMM_INLINE static inline __attribute__((always_inline))

#define NNCORE_GEMM_MR 6
#define NNCORE_GEMM_KC 256
#define NNCORE_GEMM_MC 96

typedef double nncore_gemm_v4d __attribute__((vector_size(32)));
typedef float nncore_gemm_v8f __attribute__((vector_size(32)));

/* rows x (2 * lanes) of C += A[rows, 0:k] @ strip[0:k, :], from zero when
 * `fresh`. A scalar times a vector broadcasts it without an add. */
#define NNCORE_GEMM_TILE_ROW_LOAD(i, type, lanes)                                      \
    if (fresh) { s##i##0 = zero; s##i##1 = zero; }                                     \
    else { memcpy(&s##i##0, c + i * ldc, sizeof zero);                                 \
           memcpy(&s##i##1, c + i * ldc + lanes, sizeof zero); }
#define NNCORE_GEMM_TILE_ROW_STEP(i, type, lanes)                                      \
    { type x = a[i * a_row + t * a_sum]; s##i##0 = s##i##0 + x * b0;                   \
      s##i##1 = s##i##1 + x * b1; }
#define NNCORE_GEMM_TILE_ROW_STORE(i, type, lanes)                                     \
    memcpy(c + i * ldc, &s##i##0, sizeof zero);                                        \
    memcpy(c + i * ldc + lanes, &s##i##1, sizeof zero);

#define NNCORE_GEMM(suffix, type, vec, lanes, nc)                                      \
    NNCORE_GEMM_INLINE void nncore_gemm_tile6_##suffix(                                \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, const type *b, ptrdiff_t b_step, \
        type *c, ptrdiff_t ldc, ptrdiff_t k, int fresh)                                \
    {                                                                                  \
        const vec zero = {0};                                                          \
        vec s00, s01, s10, s11, s20, s21, s30, s31, s40, s41, s50, s51, b0, b1;        \
        NNCORE_GEMM_TILE_ROW_LOAD(0, type, lanes) NNCORE_GEMM_TILE_ROW_LOAD(1, type, lanes) \
        NNCORE_GEMM_TILE_ROW_LOAD(2, type, lanes) NNCORE_GEMM_TILE_ROW_LOAD(3, type, lanes) \
        NNCORE_GEMM_TILE_ROW_LOAD(4, type, lanes) NNCORE_GEMM_TILE_ROW_LOAD(5, type, lanes) \
        for (ptrdiff_t t = 0; t < k; t++) {                                            \
            memcpy(&b0, b + t * b_step, sizeof b0);                                    \
            memcpy(&b1, b + t * b_step + lanes, sizeof b1);                            \
            NNCORE_GEMM_TILE_ROW_STEP(0, type, lanes) NNCORE_GEMM_TILE_ROW_STEP(1, type, lanes) \
            NNCORE_GEMM_TILE_ROW_STEP(2, type, lanes) NNCORE_GEMM_TILE_ROW_STEP(3, type, lanes) \
            NNCORE_GEMM_TILE_ROW_STEP(4, type, lanes) NNCORE_GEMM_TILE_ROW_STEP(5, type, lanes) \
        }                                                                              \
        NNCORE_GEMM_TILE_ROW_STORE(0, type, lanes) NNCORE_GEMM_TILE_ROW_STORE(1, type, lanes) \
        NNCORE_GEMM_TILE_ROW_STORE(2, type, lanes) NNCORE_GEMM_TILE_ROW_STORE(3, type, lanes) \
        NNCORE_GEMM_TILE_ROW_STORE(4, type, lanes) NNCORE_GEMM_TILE_ROW_STORE(5, type, lanes) \
    }                                                                                  \
                                                                                       \
    NNCORE_GEMM_INLINE void nncore_gemm_tile1_##suffix(                                \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, const type *b, ptrdiff_t b_step, \
        type *c, ptrdiff_t ldc, ptrdiff_t k, int fresh)                                \
    {                                                                                  \
        const vec zero = {0};                                                          \
        vec s00, s01, b0, b1;                                                          \
        (void) a_row;                                                                  \
        NNCORE_GEMM_TILE_ROW_LOAD(0, type, lanes)                                      \
        for (ptrdiff_t t = 0; t < k; t++) {                                            \
            memcpy(&b0, b + t * b_step, sizeof b0);                                    \
            memcpy(&b1, b + t * b_step + lanes, sizeof b1);                            \
            NNCORE_GEMM_TILE_ROW_STEP(0, type, lanes)                                  \
        }                                                                              \
        NNCORE_GEMM_TILE_ROW_STORE(0, type, lanes)                                     \
    }                                                                                  \
                                                                                       \
    /* The rows of one strip of `width` <= 2 * lanes columns, tile by tile; row        \
     * i of the tile from row r starts at a + (r / MR) * a_tile + i * a_row. A         \
     * narrower strip goes through a full-width copy of its part of C. */              \
    NNCORE_GEMM_INLINE void nncore_gemm_rows_##suffix(                                 \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, ptrdiff_t a_tile,             \
        const type *strip, type *c, ptrdiff_t n, ptrdiff_t rows, ptrdiff_t width,      \
        ptrdiff_t k, int fresh)                                                        \
    {                                                                                  \
        type edge[NNCORE_GEMM_MR * 2 * lanes] = {0};                                   \
        for (ptrdiff_t r = 0; r < rows; r += NNCORE_GEMM_MR) {                         \
            ptrdiff_t tile = rows - r < NNCORE_GEMM_MR ? rows - r : NNCORE_GEMM_MR;    \
            const type *a_r = a + (r / NNCORE_GEMM_MR) * a_tile;                       \
            type *target = c + r * n;                                                  \
            ptrdiff_t ld = n;                                                          \
            if (width < 2 * lanes) {                                                   \
                target = edge;                                                         \
                ld = 2 * lanes;                                                        \
                for (ptrdiff_t i = 0; i < tile; i++)                                   \
                    memcpy(edge + i * ld, c + (r + i) * n, width * sizeof(type));      \
            }                                                                          \
            if (tile == NNCORE_GEMM_MR)                                                \
                nncore_gemm_tile6_##suffix(a_r, a_row, a_sum, strip, 2 * lanes,        \
                                           target, ld, k, fresh);                      \
            else                                                                       \
                for (ptrdiff_t i = 0; i < tile; i++)                                   \
                    nncore_gemm_tile1_##suffix(a_r + i * a_row, a_row, a_sum, strip,   \
                                               2 * lanes, target + i * ld, ld, k,      \
                                               fresh);                                 \
            if (width < 2 * lanes)                                                     \
                for (ptrdiff_t i = 0; i < tile; i++)                                   \
                    memcpy(c + (r + i) * n, edge + i * ld, width * sizeof(type));      \
        }                                                                              \
    }                                                                                  \
                                                                                       \
    /* Rows of A copied so that each tile reads its six rows from one line per         \
     * step: panel[(i / MR) * kc * MR + t * MR + i % MR] = A[i, t]. */                 \
    NNCORE_GEMM_INLINE void nncore_gemm_pack_a_##suffix(                               \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, type *panel, ptrdiff_t rows,  \
        ptrdiff_t kc)                                                                  \
    {                                                                                  \
        for (ptrdiff_t r = 0; r < rows; r += NNCORE_GEMM_MR) {                         \
            ptrdiff_t tile = rows - r < NNCORE_GEMM_MR ? rows - r : NNCORE_GEMM_MR;    \
            type *p = panel + (r / NNCORE_GEMM_MR) * kc * NNCORE_GEMM_MR;              \
            for (ptrdiff_t t = 0; t < kc; t++)                                         \
                for (ptrdiff_t i = 0; i < tile; i++)                                   \
                    p[t * NNCORE_GEMM_MR + i] = a[(r + i) * a_row + t * a_sum];        \
        }                                                                              \
    }                                                                                  \
                                                                                       \
    /* Columns q..q+width of a k block of B, padded with zeros to 2 * lanes. */        \
    NNCORE_GEMM_INLINE void nncore_gemm_pack_b_##suffix(                               \
        const type *b, ptrdiff_t b_sum, ptrdiff_t b_col, type *strip, ptrdiff_t width, \
        ptrdiff_t kc)                                                                  \
    {                                                                                  \
        if (b_col == 1 && width == 2 * lanes) {                                        \
            for (ptrdiff_t t = 0; t < kc; t++)                                         \
                memcpy(strip + t * 2 * lanes, b + t * b_sum, 2 * lanes * sizeof(type)); \
            return;                                                                    \
        }                                                                              \
        for (ptrdiff_t j = 0; j < 2 * lanes; j++)                                      \
            for (ptrdiff_t t = 0; t < kc; t++)                                         \
                strip[t * 2 * lanes + j] = j < width ? b[t * b_sum + j * b_col] : 0;   \
    }                                                                                  \
                                                                                       \
    /* Without a copy of A (not worth it, or no memory for it), the tiles read A       \
     * in place: the same sums in the same order, so the same bits. */                 \
    NNCORE_CLONES(SHORT, void, nncore_gemm_##suffix, (                                 \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, const type *b,                \
        ptrdiff_t b_sum, ptrdiff_t b_col, type *c, ptrdiff_t m, ptrdiff_t n,           \
        ptrdiff_t k),                                                                  \
        type strip[NNCORE_GEMM_KC * 2 * lanes];                                        \
        type *panel;                                                                   \
        if (k == 0) {                                                                  \
            memset(c, 0, (size_t) (m * n) * sizeof(type));                             \
            return;                                                                    \
        }                                                                              \
        /* A copy of A pays where A is read across its rows, or by many strips. */     \
        panel = a_sum != 1 || n > 4 * lanes                                            \
            ? malloc(NNCORE_GEMM_MC * NNCORE_GEMM_KC * sizeof(type)) : NULL;           \
        for (ptrdiff_t pc = 0; pc < k; pc += NNCORE_GEMM_KC) {                         \
            ptrdiff_t kc = k - pc < NNCORE_GEMM_KC ? k - pc : NNCORE_GEMM_KC;          \
            for (ptrdiff_t jc = 0; jc < n; jc += nc) {                                 \
                ptrdiff_t jend = n - jc < nc ? n : jc + nc;                            \
                for (ptrdiff_t ic = 0; ic < m; ic += NNCORE_GEMM_MC) {                 \
                    ptrdiff_t rows = m - ic < NNCORE_GEMM_MC ? m - ic : NNCORE_GEMM_MC; \
                    const type *a_block = a + ic * a_row + pc * a_sum;                 \
                    ptrdiff_t row = a_row, sum = a_sum, tile = NNCORE_GEMM_MR * a_row; \
                    if (panel != NULL) {                                               \
                        nncore_gemm_pack_a_##suffix(a_block, a_row, a_sum, panel, rows, kc); \
                        a_block = panel;                                               \
                        row = 1;                                                       \
                        sum = NNCORE_GEMM_MR;                                          \
                        tile = kc * NNCORE_GEMM_MR;                                    \
                    }                                                                  \
                    for (ptrdiff_t q = jc; q < jend; q += 2 * lanes) {                 \
                        ptrdiff_t width = jend - q < 2 * lanes ? jend - q : 2 * lanes; \
                        nncore_gemm_pack_b_##suffix(b + pc * b_sum + q * b_col, b_sum, \
                                                    b_col, strip, width, kc);          \
                        nncore_gemm_rows_##suffix(a_block, row, sum, tile, strip,      \
                                                  c + ic * n + q, n, rows, width, kc,  \
                                                  pc == 0);                            \
                    }                                                                  \
                }                                                                      \
            }                                                                          \
        }                                                                              \
        free(panel);                                                                   \
    )

NNCORE_GEMM(f64, double, nncore_gemm_v4d, 4, 128)
NNCORE_GEMM(f32, float, nncore_gemm_v8f, 8, 256)
#define nncore_gemm_f64 NNCORE_PICK(nncore_gemm_f64)
#define nncore_gemm_f32 NNCORE_PICK(nncore_gemm_f32)

/* nncore_gemm over `parts` threads (_threads.h), each taking a band of C's
 * rows (whole tiles): every output is summed as on one thread, so the bits
 * do not depend on the thread count. */
#define NNCORE_GEMM_PARTS(suffix, type)                                                \
    typedef struct {                                                                   \
        const type *a, *b;                                                             \
        type *c;                                                                       \
        ptrdiff_t a_row, a_sum, b_sum, b_col, m, n, k;                                 \
    } nncore_gemm_job_##suffix;                                                        \
                                                                                       \
    static void nncore_gemm_part_##suffix(void *ctx, ptrdiff_t part, ptrdiff_t parts)  \
    {                                                                                  \
        const nncore_gemm_job_##suffix *job = ctx;                                     \
        ptrdiff_t begin, end;                                                          \
        nncore_part_range(job->m, NNCORE_GEMM_MR, part, parts, &begin, &end);          \
        if (end > begin)                                                               \
            nncore_gemm_##suffix(job->a + begin * job->a_row, job->a_row, job->a_sum,  \
                                 job->b, job->b_sum, job->b_col, job->c + begin * job->n, \
                                 end - begin, job->n, job->k);                         \
    }                                                                                  \
                                                                                       \
    __attribute__((noinline)) static void nncore_gemm_parts_##suffix(                  \
        const type *a, ptrdiff_t a_row, ptrdiff_t a_sum, const type *b,                \
        ptrdiff_t b_sum, ptrdiff_t b_col, type *c, ptrdiff_t m, ptrdiff_t n,           \
        ptrdiff_t k, ptrdiff_t parts)                                                  \
    {                                                                                  \
        nncore_gemm_job_##suffix job = {a, b, c, a_row, a_sum, b_sum, b_col, m, n, k}; \
        nncore_run_parts(nncore_gemm_part_##suffix, &job, parts);                      \
    }

NNCORE_GEMM_PARTS(f64, double)
NNCORE_GEMM_PARTS(f32, float)

#endif /* NNCORE_GEMM_H */
