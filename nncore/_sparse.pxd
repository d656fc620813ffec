# The first layer's kernels on sparse inputs (rows of a CSR matrix): the
# loops are in _sparse.h (see there why, and in what order they sum); the
# wrappers pick the dtype's, inline for the same reason as _kernels.pxd's.
from cython cimport floating
from libc.stdint cimport int32_t, int64_t

cdef extern from "_sparse.h" nogil:
    ctypedef struct nncore_by_column:
        int64_t* col_ptr
        int32_t* entry_rows
        void* entry_values
    void nncore_group_by_column_f64(const double* data, const int32_t* indices,
                                    const int64_t* indptr, const int64_t* rows, Py_ssize_t first,
                                    Py_ssize_t n_rows, Py_ssize_t n_in, nncore_by_column* by_column)
    void nncore_group_by_column_f32(const float* data, const int32_t* indices,
                                    const int64_t* indptr, const int64_t* rows, Py_ssize_t first,
                                    Py_ssize_t n_rows, Py_ssize_t n_in, nncore_by_column* by_column)
    void nncore_sparse_forward_f64(const nncore_by_column* by_column, const double* weights,
                                   const double* bias, double* outputs, Py_ssize_t n_rows,
                                   Py_ssize_t n_in, Py_ssize_t n_out)
    void nncore_sparse_forward_f32(const nncore_by_column* by_column, const float* weights,
                                   const float* bias, float* outputs, Py_ssize_t n_rows,
                                   Py_ssize_t n_in, Py_ssize_t n_out)
    void nncore_sparse_forward_row_f64(const double* data, const int32_t* indices,
                                       const int64_t* indptr, Py_ssize_t row,
                                       const double* weights, const double* bias,
                                       double* outputs, Py_ssize_t n_out)
    void nncore_sparse_forward_row_f32(const float* data, const int32_t* indices,
                                       const int64_t* indptr, Py_ssize_t row,
                                       const float* weights, const float* bias,
                                       float* outputs, Py_ssize_t n_out)
    void nncore_sparse_backward_weights_f64(const nncore_by_column* by_column,
                                            const double* delta, const double* weights,
                                            double l2, double* grad_weights, Py_ssize_t n_in,
                                            Py_ssize_t n_out)
    void nncore_sparse_backward_weights_f32(const nncore_by_column* by_column,
                                            const float* delta, const float* weights,
                                            float l2, float* grad_weights, Py_ssize_t n_in,
                                            Py_ssize_t n_out)
    void nncore_sparse_densify_row_f64(const double* data, const int32_t* indices,
                                       const int64_t* indptr, Py_ssize_t row, double* dense,
                                       Py_ssize_t n_in)
    void nncore_sparse_densify_row_f32(const float* data, const int32_t* indices,
                                       const int64_t* indptr, Py_ssize_t row, float* dense,
                                       Py_ssize_t n_in)


cdef inline void group_by_column(const floating* data, const int32_t* indices,
                                 const int64_t* indptr, const int64_t* rows, Py_ssize_t first,
                                 Py_ssize_t n_rows, Py_ssize_t n_in,
                                 nncore_by_column* by_column) noexcept nogil:
    """The batch's stored values regrouped by column, for the two products below."""
    if floating is double:
        nncore_group_by_column_f64(data, indices, indptr, rows, first, n_rows, n_in, by_column)
    else:
        nncore_group_by_column_f32(data, indices, indptr, rows, first, n_rows, n_in, by_column)


cdef inline void sparse_forward(const nncore_by_column* by_column, const floating* weights,
                                const floating* bias, floating* outputs, Py_ssize_t n_rows,
                                Py_ssize_t n_in, Py_ssize_t n_out) noexcept nogil:
    """Z := X @ W (+ b), X grouped by column. W:(n_in,n_out) b:(n_out,) or NULL Z:(n_rows,n_out)."""
    if floating is double:
        nncore_sparse_forward_f64(by_column, weights, bias, outputs, n_rows, n_in, n_out)
    else:
        nncore_sparse_forward_f32(by_column, weights, bias, outputs, n_rows, n_in, n_out)


cdef inline void sparse_forward_row(const floating* data, const int32_t* indices,
                                    const int64_t* indptr, Py_ssize_t row,
                                    const floating* weights, const floating* bias,
                                    floating* outputs, Py_ssize_t n_out) noexcept nogil:
    """z := X[row] @ W (+ b) for one row."""
    if floating is double:
        nncore_sparse_forward_row_f64(data, indices, indptr, row, weights, bias, outputs, n_out)
    else:
        nncore_sparse_forward_row_f32(data, indices, indptr, row, weights, bias, outputs, n_out)


cdef inline void sparse_backward_weights(const nncore_by_column* by_column,
                                         const floating* delta, const floating* weights,
                                         floating l2, floating* grad_weights, Py_ssize_t n_in,
                                         Py_ssize_t n_out) noexcept nogil:
    """dW := X.T @ D (+ l2 * W), X grouped by column; W NULL for no L2 term."""
    if floating is double:
        nncore_sparse_backward_weights_f64(by_column, delta, weights, l2, grad_weights, n_in, n_out)
    else:
        nncore_sparse_backward_weights_f32(by_column, delta, weights, l2, grad_weights, n_in, n_out)


cdef inline void sparse_densify_row(const floating* data, const int32_t* indices,
                                    const int64_t* indptr, Py_ssize_t row, floating* dense,
                                    Py_ssize_t n_in) noexcept nogil:
    """dense := X[row], n_in values (duplicates add up, as SciPy reads them)."""
    if floating is double:
        nncore_sparse_densify_row_f64(data, indices, indptr, row, dense, n_in)
    else:
        nncore_sparse_densify_row_f32(data, indices, indptr, row, dense, n_in)
