# Dense-layer kernels on C-contiguous row-major buffers.
#
# The bodies live here, as inline functions, so that the training loop in
# _stack.pyx compiles them into its own code: a function cimported from
# another module is called through a pointer and cannot be inlined, which
# cost about 6% of a step on the tutorial's 4x3 -> 4 -> 1 network.
#
# Each takes pointers plus its shape; the caller has validated shapes and
# allocated every output. All are noexcept nogil and allocate nothing.
# Weights are (n_in, n_out); a batch is (n_samples, n_in).
from cython cimport floating
from scipy.linalg.cython_blas cimport dgemm, sgemm

cdef extern from "_sigmoid.h" nogil:
    void nncore_sigmoid_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_sigmoid_f32(const float* z, float* out, Py_ssize_t n)


cdef inline void _gemm_rowmajor(char trans_a, char trans_b, int m, int n, int k,
                               const floating* a, int lda,
                               const floating* b, int ldb,
                               floating* c, int ldc) noexcept nogil:
    """C := op(A) @ op(B), row-major. C:(m,n); BLAS is column-major, so it sees C.T = op(B).T @ op(A).T."""
    cdef floating one = 1.0
    cdef floating zero = 0.0
    if floating is double:
        dgemm(&trans_b, &trans_a, &n, &m, &k, &one, <double*> b, &ldb,
              <double*> a, &lda, &zero, c, &ldc)
    else:
        sgemm(&trans_b, &trans_a, &n, &m, &k, &one, <float*> b, &ldb,
              <float*> a, &lda, &zero, c, &ldc)


cdef inline void _small_matmul(const floating* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                               const floating* b, Py_ssize_t b_sum, Py_ssize_t b_col,
                               floating* c, Py_ssize_t m, Py_ssize_t n,
                               Py_ssize_t k) noexcept nogil:
    """C[r, q] := sum over t of A[r, t] * B[t, q], C:(m,n) row-major; A and B by strides.

    Four outputs at a time in registers, each summed over t in order, so the
    bits do not depend on the blocking. For layers too small for BLAS.
    """
    cdef Py_ssize_t r, q, t
    cdef floating a_rt, c0, c1, c2, c3
    cdef const floating* b_t
    for r in range(m):
        q = 0
        while q + 4 <= n:
            c0 = c1 = c2 = c3 = 0
            for t in range(k):
                a_rt = a[r * a_row + t * a_sum]
                b_t = b + t * b_sum + q * b_col
                c0 += a_rt * b_t[0]
                c1 += a_rt * b_t[b_col]
                c2 += a_rt * b_t[2 * b_col]
                c3 += a_rt * b_t[3 * b_col]
            c[r * n + q] = c0
            c[r * n + q + 1] = c1
            c[r * n + q + 2] = c2
            c[r * n + q + 3] = c3
            q += 4
        while q < n:
            c0 = 0
            for t in range(k):
                c0 += a[r * a_row + t * a_sum] * b[t * b_sum + q * b_col]
            c[r * n + q] = c0
            q += 1


cdef inline void dense_forward(const floating* inputs, const floating* weights,
                        const floating* bias, floating* outputs,
                        Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                        bint use_blas) noexcept nogil:
    """Z := X @ W (+ b). X:(n_samples,n_in) W:(n_in,n_out) b:(n_out,) or NULL Z:(n_samples,n_out)."""
    cdef Py_ssize_t i, j
    cdef floating* row
    if use_blas:
        _gemm_rowmajor(c'N', c'N', <int> n_samples, <int> n_out, <int> n_in,
                      inputs, <int> n_in, weights, <int> n_out, outputs, <int> n_out)
    else:
        _small_matmul(inputs, n_in, 1, weights, n_out, 1, outputs, n_samples, n_out, n_in)
    if bias != NULL:
        for i in range(n_samples):
            row = outputs + i * n_out
            for j in range(n_out):
                row[j] += bias[j]


cdef inline void dense_backward_input(const floating* delta, const floating* weights,
                               floating* grad_inputs,
                               Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                               bint use_blas) noexcept nogil:
    """dX := D @ W.T. D:(n_samples,n_out) W:(n_in,n_out) dX:(n_samples,n_in)."""
    if use_blas:
        _gemm_rowmajor(c'N', c'T', <int> n_samples, <int> n_in, <int> n_out,
                      delta, <int> n_out, weights, <int> n_out, grad_inputs, <int> n_in)
        return
    _small_matmul(delta, n_out, 1, weights, 1, n_out, grad_inputs, n_samples, n_in, n_out)


cdef inline void dense_backward_weights(const floating* inputs, const floating* delta,
                                 floating* grad_weights,
                                 Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                                 bint use_blas) noexcept nogil:
    """dW := X.T @ D. X:(n_samples,n_in) D:(n_samples,n_out) dW:(n_in,n_out)."""
    if use_blas:
        _gemm_rowmajor(c'T', c'N', <int> n_in, <int> n_out, <int> n_samples,
                      inputs, <int> n_in, delta, <int> n_out, grad_weights, <int> n_out)
        return
    _small_matmul(inputs, 1, n_in, delta, n_out, 1, grad_weights, n_in, n_out, n_samples)


cdef inline void dense_backward_bias(const floating* delta, floating* grad_bias,
                              Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """db := sum of D over samples. D:(n_samples,n_out) db:(n_out,)."""
    cdef Py_ssize_t i, j
    for j in range(n_out):
        grad_bias[j] = 0
    for i in range(n_samples):
        for j in range(n_out):
            grad_bias[j] += delta[i * n_out + j]


cdef inline void sigmoid_forward(const floating* total, floating* outputs,
                          Py_ssize_t size) noexcept nogil:
    """S := 1 / (1 + exp(-Z)), element-wise over size values; Z and S may alias."""
    if floating is double:
        nncore_sigmoid_f64(total, outputs, size)
    else:
        nncore_sigmoid_f32(total, outputs, size)


cdef inline void sigmoid_backward(const floating* grad_outputs, const floating* outputs,
                           floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G * (S * (1 - S)), element-wise; G and D may alias."""
    cdef Py_ssize_t i
    cdef floating s
    cdef floating one = 1  # typed, so float32 math stays in float32
    for i in range(size):
        s = outputs[i]
        delta[i] = grad_outputs[i] * (s * (one - s))


cdef inline double sse_backward(const floating* outputs, const floating* targets,
                         floating* grad_outputs, Py_ssize_t size) noexcept nogil:
    """G := 2 * (S - Y); returns sum((Y - S)**2), accumulated in double."""
    cdef Py_ssize_t i
    cdef floating error
    cdef floating minus_two = -2
    cdef double loss = 0
    for i in range(size):
        error = targets[i] - outputs[i]
        loss += <double> error * error
        grad_outputs[i] = minus_two * error
    return loss


cdef inline void sgd_update(floating* params, const floating* grads, floating learning_rate,
                     Py_ssize_t size) noexcept nogil:
    """P := P - learning_rate * G, element-wise over size values."""
    cdef Py_ssize_t i
    for i in range(size):
        params[i] -= learning_rate * grads[i]
