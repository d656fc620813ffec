# The first layer's kernels on sparse inputs: rows of a CSR matrix.
#
# Inline, as _kernels.pxd's are, for the same reason. A batch is a list of
# rows of one CSR matrix (data, indices, indptr): ``rows`` holds their row
# numbers, or is NULL for rows first, first + 1, ... Only the stored values
# are read, in their stored order; each output element is summed from 0 as
# the dense loops sum it and gets the bias last, so canonical CSR input
# (sorted indices) gives the dense path's sums with the zeros left out.
from cython cimport floating
from libc.stdint cimport int32_t, int64_t


cdef inline Py_ssize_t _row(const int64_t* rows, Py_ssize_t first, Py_ssize_t i) noexcept nogil:
    return rows[i] if rows != NULL else first + i


cdef inline void sparse_forward(const floating* data, const int32_t* indices,
                                const int64_t* indptr, const int64_t* rows, Py_ssize_t first,
                                const floating* weights, const floating* bias,
                                floating* outputs, Py_ssize_t n_samples,
                                Py_ssize_t n_out) noexcept nogil:
    """Z := X[rows] @ W (+ b). W:(n_in,n_out) b:(n_out,) or NULL Z:(n_samples,n_out)."""
    cdef Py_ssize_t i, j, p, row
    cdef floating value
    cdef floating* out
    cdef const floating* weights_row
    for i in range(n_samples):
        row = _row(rows, first, i)
        out = outputs + i * n_out
        for j in range(n_out):
            out[j] = 0
        for p in range(indptr[row], indptr[row + 1]):
            value = data[p]
            weights_row = weights + indices[p] * n_out
            for j in range(n_out):
                out[j] += value * weights_row[j]
        if bias != NULL:
            for j in range(n_out):
                out[j] += bias[j]


cdef inline void sparse_backward_weights(const floating* data, const int32_t* indices,
                                         const int64_t* indptr, const int64_t* rows,
                                         Py_ssize_t first, const floating* delta,
                                         const floating* weights, floating l2,
                                         floating* grad_weights, Py_ssize_t n_samples,
                                         Py_ssize_t n_in, Py_ssize_t n_out) noexcept nogil:
    """dW := X[rows].T @ D (+ l2 * W), from the stored values only. D:(n_samples,n_out)
    W, dW:(n_in,n_out); W NULL for no L2 term."""
    cdef Py_ssize_t i, j, p, row, size = n_in * n_out
    cdef floating value
    cdef floating* grad_row
    cdef const floating* delta_row
    if weights == NULL:
        for i in range(size):
            grad_weights[i] = 0
    else:
        for i in range(size):
            grad_weights[i] = l2 * weights[i]
    for i in range(n_samples):
        row = _row(rows, first, i)
        delta_row = delta + i * n_out
        for p in range(indptr[row], indptr[row + 1]):
            value = data[p]
            grad_row = grad_weights + indices[p] * n_out
            for j in range(n_out):
                grad_row[j] += value * delta_row[j]


cdef inline void sparse_scatter_row(const floating* data, const int32_t* indices,
                                    const int64_t* indptr, Py_ssize_t row,
                                    floating* dense) noexcept nogil:
    """dense[indices] += data over one row's stored values; dense starts all 0.
    Duplicate entries add up, as scipy reads them."""
    cdef Py_ssize_t p
    for p in range(indptr[row], indptr[row + 1]):
        dense[indices[p]] += data[p]


cdef inline void sparse_clear_row(const int32_t* indices, const int64_t* indptr,
                                  Py_ssize_t row, floating* dense) noexcept nogil:
    """Undo sparse_scatter_row: dense back to all 0."""
    cdef Py_ssize_t p
    for p in range(indptr[row], indptr[row + 1]):
        dense[indices[p]] = 0
