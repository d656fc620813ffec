# Dense-layer kernels on C-contiguous row-major buffers.
#
# The bodies live here, as inline functions, so that the training loop in
# _stack.pyx compiles them into its own code: a function cimported from
# another module is called through a pointer and cannot be inlined, which
# cost about a third of a step on the smallest networks.
#
# Each takes pointers plus its shape; the caller has validated shapes and
# allocated every output. All are noexcept nogil and allocate nothing.
# Weights are (n_in, n_out); a batch is (n_samples, n_in).
from cython cimport floating
from scipy.linalg.cython_blas cimport dgemm, sgemm

cdef extern from "_sigmoid.h" nogil:
    void nncore_sigmoid_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_sigmoid_f32(const float* z, float* out, Py_ssize_t n)


# Below this many output columns a row is shorter than a vector register, so
# plain dot products beat vectorized row updates (and sum in the same order).
cdef enum:
    NARROW = 8


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


cdef inline void dense_forward(const floating* inputs, const floating* weights,
                        const floating* bias, floating* outputs,
                        Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                        bint use_blas) noexcept nogil:
    """Z := X @ W (+ b). X:(n_samples,n_in) W:(n_in,n_out) b:(n_out,) or NULL Z:(n_samples,n_out)."""
    cdef Py_ssize_t i, p, j
    cdef floating x, total
    cdef floating* row
    cdef const floating* w_row
    if use_blas:
        _gemm_rowmajor(c'N', c'N', <int> n_samples, <int> n_out, <int> n_in,
                      inputs, <int> n_in, weights, <int> n_out, outputs, <int> n_out)
    elif n_out < NARROW:
        for i in range(n_samples):
            for j in range(n_out):
                total = 0
                for p in range(n_in):
                    total += inputs[i * n_in + p] * weights[p * n_out + j]
                outputs[i * n_out + j] = total
    else:
        for i in range(n_samples):
            row = outputs + i * n_out
            for j in range(n_out):
                row[j] = 0
            for p in range(n_in):
                x = inputs[i * n_in + p]
                w_row = weights + p * n_out
                for j in range(n_out):
                    row[j] += x * w_row[j]
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
    cdef Py_ssize_t i, p, j
    cdef floating total
    cdef const floating* d_row
    cdef const floating* w_row
    if use_blas:
        _gemm_rowmajor(c'N', c'T', <int> n_samples, <int> n_in, <int> n_out,
                      delta, <int> n_out, weights, <int> n_out, grad_inputs, <int> n_in)
        return
    for i in range(n_samples):
        d_row = delta + i * n_out
        for p in range(n_in):
            w_row = weights + p * n_out
            total = 0
            for j in range(n_out):
                total += d_row[j] * w_row[j]
            grad_inputs[i * n_in + p] = total


cdef inline void dense_backward_weights(const floating* inputs, const floating* delta,
                                 floating* grad_weights,
                                 Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                                 bint use_blas) noexcept nogil:
    """dW := X.T @ D. X:(n_samples,n_in) D:(n_samples,n_out) dW:(n_in,n_out)."""
    cdef Py_ssize_t i, p, j
    cdef floating x, total
    cdef floating* g_row
    cdef const floating* d_row
    if use_blas:
        _gemm_rowmajor(c'T', c'N', <int> n_in, <int> n_out, <int> n_samples,
                      inputs, <int> n_in, delta, <int> n_out, grad_weights, <int> n_out)
        return
    if n_out < NARROW:
        for p in range(n_in):
            for j in range(n_out):
                total = 0
                for i in range(n_samples):
                    total += inputs[i * n_in + p] * delta[i * n_out + j]
                grad_weights[p * n_out + j] = total
        return
    for p in range(n_in * n_out):
        grad_weights[p] = 0
    for i in range(n_samples):
        d_row = delta + i * n_out
        for p in range(n_in):
            x = inputs[i * n_in + p]
            g_row = grad_weights + p * n_out
            for j in range(n_out):
                g_row[j] += x * d_row[j]


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
