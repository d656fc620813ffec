/* The first layer's products on sparse inputs: a batch of rows of a CSR
 * matrix (data, indices, indptr), its row numbers in rows, or first,
 * first + 1, ... when rows is NULL.
 *
 * A batch of several rows is first regrouped by column (a counting sort,
 * stable, so each column keeps the batch's row order). The products then
 * visit each weight row once, in increasing order, where the row-by-row
 * loop read them in the data's order: on text features that was a cache
 * miss per stored value, and the regrouped loop is about twice as fast
 * (bench W12). A single row is read as it is.
 *
 * Each output element is summed from 0, columns in increasing order, with
 * the bias last, and each weight gradient element from its L2 term, rows
 * in batch order: for CSR input with sorted indices those are the dense
 * loops' sums with the zeros left out. Vectorized across outputs only, so
 * every CPU gives the same bits (no FMA: -ffp-contract=off).
 */
#ifndef NNCORE_SPARSE_H
#define NNCORE_SPARSE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "_dispatch.h"

/* The batch by column: column j's entries are entry_rows[e] (0 to
 * n_rows - 1) and entry_values[e] for e from col_ptr[j] to col_ptr[j + 1].
 * col_ptr holds n_in + 1 values; the entries, the batch's stored values. */
typedef struct {
    int64_t *col_ptr;
    int32_t *entry_rows;
    void *entry_values;
} nncore_by_column;

static inline ptrdiff_t nncore_batch_row(const int64_t *rows, ptrdiff_t first, ptrdiff_t i)
{
    return rows != NULL ? (ptrdiff_t) rows[i] : first + i;
}

#define NNCORE_SPARSE_KERNELS(suffix, type)                                            \
    static void nncore_group_by_column_##suffix(                                       \
        const type *data, const int32_t *indices, const int64_t *indptr,               \
        const int64_t *rows, ptrdiff_t first, ptrdiff_t n_rows, ptrdiff_t n_in,        \
        nncore_by_column *by_column)                                                   \
    {                                                                                  \
        int64_t *col_ptr = by_column->col_ptr;                                         \
        type *entry_values = (type *) by_column->entry_values;                         \
        memset(col_ptr, 0, (size_t) (n_in + 1) * sizeof *col_ptr);                     \
        for (ptrdiff_t i = 0; i < n_rows; i++) {                                       \
            ptrdiff_t row = nncore_batch_row(rows, first, i);                          \
            for (int64_t p = indptr[row]; p < indptr[row + 1]; p++)                    \
                col_ptr[indices[p] + 1]++;                                             \
        }                                                                              \
        for (ptrdiff_t j = 0; j < n_in; j++)                                           \
            col_ptr[j + 1] += col_ptr[j];                                              \
        /* col_ptr[j] is where column j's next entry goes; afterwards, where           \
         * column j + 1 starts, so the pointers move up by one. */                     \
        for (ptrdiff_t i = 0; i < n_rows; i++) {                                       \
            ptrdiff_t row = nncore_batch_row(rows, first, i);                          \
            for (int64_t p = indptr[row]; p < indptr[row + 1]; p++) {                  \
                int64_t at = col_ptr[indices[p]]++;                                    \
                by_column->entry_rows[at] = (int32_t) i;                               \
                entry_values[at] = data[p];                                            \
            }                                                                          \
        }                                                                              \
        memmove(col_ptr + 1, col_ptr, (size_t) n_in * sizeof *col_ptr);                \
        col_ptr[0] = 0;                                                                \
    }                                                                                  \
                                                                                       \
    /* Z := X @ W (+ b) from the batch by column. Z:(n_rows, n_out). */                \
    NNCORE_CLONES(SHORT, void, nncore_sparse_forward_##suffix, (                       \
        const nncore_by_column *by_column, const type *restrict weights,               \
        const type *restrict bias, type *restrict outputs, ptrdiff_t n_rows,           \
        ptrdiff_t n_in, ptrdiff_t n_out),                                              \
        const int64_t *col_ptr = by_column->col_ptr;                                   \
        const type *entry_values = (const type *) by_column->entry_values;             \
        memset(outputs, 0, (size_t) (n_rows * n_out) * sizeof *outputs);               \
        for (ptrdiff_t j = 0; j < n_in; j++) {                                         \
            const type *restrict w = weights + j * n_out;                              \
            for (int64_t e = col_ptr[j]; e < col_ptr[j + 1]; e++) {                    \
                type value = entry_values[e];                                          \
                type *restrict out = outputs + by_column->entry_rows[e] * n_out;       \
                for (ptrdiff_t q = 0; q < n_out; q++)                                  \
                    out[q] += value * w[q];                                            \
            }                                                                          \
        }                                                                              \
        if (bias != NULL)                                                              \
            for (ptrdiff_t i = 0; i < n_rows; i++)                                     \
                for (ptrdiff_t q = 0; q < n_out; q++)                                  \
                    outputs[i * n_out + q] += bias[q];                                 \
    )                                                                                  \
                                                                                       \
    /* Z := X[row] @ W (+ b) for one row, in its stored order. */                      \
    NNCORE_CLONES(SHORT, void, nncore_sparse_forward_row_##suffix, (                   \
        const type *data, const int32_t *indices, const int64_t *indptr, ptrdiff_t row, \
        const type *restrict weights, const type *restrict bias, type *restrict outputs, \
        ptrdiff_t n_out),                                                              \
        memset(outputs, 0, (size_t) n_out * sizeof *outputs);                          \
        for (int64_t p = indptr[row]; p < indptr[row + 1]; p++) {                      \
            type value = data[p];                                                      \
            const type *restrict w = weights + (ptrdiff_t) indices[p] * n_out;         \
            for (ptrdiff_t q = 0; q < n_out; q++)                                      \
                outputs[q] += value * w[q];                                            \
        }                                                                              \
        if (bias != NULL)                                                              \
            for (ptrdiff_t q = 0; q < n_out; q++)                                      \
                outputs[q] += bias[q];                                                 \
    )                                                                                  \
                                                                                       \
    /* dW := X.T @ D (+ l2 * W; weights NULL for none) from the batch by column,       \
     * in one pass over dW. D:(n_rows, n_out), W and dW:(n_in, n_out). */              \
    NNCORE_CLONES(SHORT, void, nncore_sparse_backward_weights_##suffix, (              \
        const nncore_by_column *by_column, const type *restrict delta,                 \
        const type *restrict weights, type l2, type *restrict grad_weights,            \
        ptrdiff_t n_in, ptrdiff_t n_out),                                              \
        const int64_t *col_ptr = by_column->col_ptr;                                   \
        const type *entry_values = (const type *) by_column->entry_values;             \
        for (ptrdiff_t j = 0; j < n_in; j++) {                                         \
            type *restrict g = grad_weights + j * n_out;                               \
            if (weights != NULL)                                                       \
                for (ptrdiff_t q = 0; q < n_out; q++)                                  \
                    g[q] = l2 * weights[j * n_out + q];                                \
            else                                                                       \
                memset(g, 0, (size_t) n_out * sizeof *g);                              \
            for (int64_t e = col_ptr[j]; e < col_ptr[j + 1]; e++) {                    \
                type value = entry_values[e];                                          \
                const type *restrict d = delta + by_column->entry_rows[e] * n_out;     \
                for (ptrdiff_t q = 0; q < n_out; q++)                                  \
                    g[q] += value * d[q];                                              \
            }                                                                          \
        }                                                                              \
    )                                                                                  \
                                                                                       \
    /* dense := X[row] as a dense row of n_in values; duplicates add up. */            \
    static void nncore_sparse_densify_row_##suffix(                                    \
        const type *data, const int32_t *indices, const int64_t *indptr, ptrdiff_t row, \
        type *dense, ptrdiff_t n_in)                                                   \
    {                                                                                  \
        memset(dense, 0, (size_t) n_in * sizeof *dense);                               \
        for (int64_t p = indptr[row]; p < indptr[row + 1]; p++)                        \
            dense[indices[p]] += data[p];                                              \
    }

NNCORE_SPARSE_KERNELS(f64, double)
NNCORE_SPARSE_KERNELS(f32, float)
#define nncore_sparse_forward_f64 NNCORE_PICK(nncore_sparse_forward_f64)
#define nncore_sparse_forward_row_f64 NNCORE_PICK(nncore_sparse_forward_row_f64)
#define nncore_sparse_backward_weights_f64 NNCORE_PICK(nncore_sparse_backward_weights_f64)
#define nncore_sparse_forward_f32 NNCORE_PICK(nncore_sparse_forward_f32)
#define nncore_sparse_forward_row_f32 NNCORE_PICK(nncore_sparse_forward_row_f32)
#define nncore_sparse_backward_weights_f32 NNCORE_PICK(nncore_sparse_backward_weights_f32)

#endif
