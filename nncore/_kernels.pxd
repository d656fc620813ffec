# Dense-layer kernels on C-contiguous row-major buffers.
#
# The bodies live here, as inline functions, so that the training loop in
# _engine.pyx compiles them into its own code: a function cimported from
# another module is called through a pointer and cannot be inlined, which
# cost about 6% of a step on the tutorial's 4x3 -> 4 -> 1 network.
#
# Each takes pointers plus its shape; the caller has validated shapes and
# allocated every output. All are noexcept nogil and allocate nothing.
# Weights are (n_in, n_out); a batch is (n_samples, n_in).
from cython cimport floating
from libc.math cimport exp, fabs, log, log1p
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy, memset

# SciPy's BLAS through pointers set on first use (see _blas.h), so that
# loading these modules does not import scipy.linalg. Entry points that can
# reach a BLAS call run load_blas() first, with the GIL.
cdef extern from "_blas.h" nogil:
    void dgemm "nncore_dgemm"(char* transa, char* transb, int* m, int* n, int* k,
                              double* alpha, double* a, int* lda, double* b, int* ldb,
                              double* beta, double* c, int* ldc)
    void sgemm "nncore_sgemm"(char* transa, char* transb, int* m, int* n, int* k,
                              float* alpha, float* a, int* lda, float* b, int* ldb,
                              float* beta, float* c, int* ldc)

cdef extern from "_blas.h":
    int load_blas "nncore_load_blas"() except -1

# The instruction set the dispatched kernels of this module run (0 baseline,
# 1 AVX2, 2 AVX-512), and the best the CPU has.
cdef extern from "_dispatch.h" nogil:
    int nncore_isa
    int nncore_isa_supported()

cdef extern from "_math.h" nogil:
    void nncore_sigmoid_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_sigmoid_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_tanh_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_tanh_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_exp_nonpositive_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_exp_nonpositive_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_exp_any_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_exp_any_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_gelu_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_gelu_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_gelu_grad_f64(const double* g, const double* z, double* out, Py_ssize_t n)
    void nncore_gelu_grad_f32(const float* g, const float* z, float* out, Py_ssize_t n)
    void nncore_silu_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_silu_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_silu_grad_f64(const double* g, const double* z, double* out, Py_ssize_t n)
    void nncore_silu_grad_f32(const float* g, const float* z, float* out, Py_ssize_t n)
    void nncore_elu_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_elu_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_elu_grad_f64(const double* g, const double* z, double* out, Py_ssize_t n)
    void nncore_elu_grad_f32(const float* g, const float* z, float* out, Py_ssize_t n)
    void nncore_softplus_f64(const double* z, double* out, Py_ssize_t n)
    void nncore_softplus_f32(const float* z, float* out, Py_ssize_t n)
    void nncore_softplus_grad_f64(const double* g, const double* z, double* out, Py_ssize_t n)
    void nncore_softplus_grad_f32(const float* g, const float* z, float* out, Py_ssize_t n)
    void nncore_sigmoid_grad_f64(const double* g, const double* a, double* d, Py_ssize_t n)
    void nncore_sigmoid_grad_f32(const float* g, const float* a, float* d, Py_ssize_t n)
    void nncore_tanh_grad_f64(const double* g, const double* a, double* d, Py_ssize_t n)
    void nncore_tanh_grad_f32(const float* g, const float* a, float* d, Py_ssize_t n)

cdef extern from "_dense.h" nogil:
    void nncore_add_bias_f64(double* z, const double* b, Py_ssize_t m, Py_ssize_t n)
    void nncore_add_bias_f32(float* z, const float* b, Py_ssize_t m, Py_ssize_t n)
    void nncore_matmul_rows_f64(const double* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                                const double* b, Py_ssize_t b_sum, double* c,
                                Py_ssize_t m, Py_ssize_t n, Py_ssize_t k)
    void nncore_matmul_rows_f32(const float* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                                const float* b, Py_ssize_t b_sum, float* c,
                                Py_ssize_t m, Py_ssize_t n, Py_ssize_t k)
    void nncore_matvec_f64(const double* a, Py_ssize_t lda, const double* x, double* y,
                           Py_ssize_t m, Py_ssize_t k)
    void nncore_matvec_f32(const float* a, Py_ssize_t lda, const float* x, float* y,
                           Py_ssize_t m, Py_ssize_t k)

cdef extern from "_gemm.h" nogil:

    void nncore_gemm_parts_f64(const double* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                               const double* b, Py_ssize_t b_sum, Py_ssize_t b_col, double* c,
                               Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t parts)
    void nncore_gemm_parts_f32(const float* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                               const float* b, Py_ssize_t b_sum, Py_ssize_t b_col, float* c,
                               Py_ssize_t m, Py_ssize_t n, Py_ssize_t k, Py_ssize_t parts)

# Large passes split over threads (see _threads.h): only where each output
# is computed as on one thread, so the bits never depend on the count.
cdef extern from "_threads.h" nogil:
    enum: NNCORE_MAX_THREADS
    ctypedef void (*nncore_part_fn)(void* ctx, Py_ssize_t part, Py_ssize_t parts) noexcept nogil
    void nncore_run_parts(nncore_part_fn fn, void* ctx, Py_ssize_t parts)
    Py_ssize_t nncore_parts_for(Py_ssize_t work, Py_ssize_t min_work)
    void nncore_part_range(Py_ssize_t n, Py_ssize_t grain, Py_ssize_t part, Py_ssize_t parts,
                           Py_ssize_t* begin, Py_ssize_t* end)

cdef extern from "_dropout.h" nogil:
    uint64_t nncore_dropout_key(uint64_t seed, uint64_t epoch, uint64_t step, uint64_t layer)
    uint32_t nncore_dropout_threshold(double rate)
    void nncore_dropout_keep_f64(uint64_t key, uint32_t threshold, double scale, double* keep,
                                 Py_ssize_t size)
    void nncore_dropout_keep_f32(uint64_t key, uint32_t threshold, float scale, float* keep,
                                 Py_ssize_t size)

# Codes shared with Python through _kernels.pyx (ACTIVATION_CODES, LOSS_CODES).
cdef enum Activation:
    IDENTITY = 0
    LOGISTIC = 1
    TANH = 2
    RELU = 3
    LEAKY_RELU = 4
    SOFTMAX = 5
    EXP = 6
    GELU = 7
    SILU = 8
    ELU = 9
    SOFTPLUS = 10

cdef enum Loss:
    SSE = 0
    SQUARED_ERROR = 1
    BINARY_CROSS_ENTROPY = 2
    CROSS_ENTROPY = 3
    POISSON = 4
    ABSOLUTE_ERROR = 5
    HUBER = 6


cdef inline void _gemm_rowmajor(char trans_a, char trans_b, int m, int n, int k,
                               const floating* a, int lda,
                               const floating* b, int ldb,
                               floating* c, int ldc) noexcept nogil:
    """C := C + op(A) @ op(B), row-major. C:(m,n); BLAS is column-major, so it sees C.T = op(B).T @ op(A).T.

    Callers fill C first. With beta = 0 OpenBLAS zeroes C one column at a
    time before the product, which cost more than a quarter of the products
    on the digits networks; beta = 1 skips that pass, and one prefill (the
    bias, the L2 term or a single memset) replaces it. The product is added
    to C once per block of k, so for k in one block C + sum gives the bits
    of sum + C.
    """
    cdef floating one = 1.0
    if floating is double:
        dgemm(&trans_b, &trans_a, &n, &m, &k, &one, <double*> b, &ldb,
              <double*> a, &lda, &one, c, &ldc)
    else:
        sgemm(&trans_b, &trans_a, &n, &m, &k, &one, <float*> b, &ldb,
              <float*> a, &lda, &one, c, &ldc)


# From this many rows and multiply-adds _small_matmul uses _gemm.h's blocked
# product, which copies B in strips: worth it only when many rows reuse them.
# Large passes split over threads only when each part gets at least: 2M
# multiply-adds of a product; 32,768 elements of an activation pass or
# parameters of a step with moments (momentum, Adam); 262,144 elements of
# the memory-bound ones (ReLU, copies, plain SGD). Below those, waking a
# worker cost more than the second core saved (bench/split_thresholds.py).
cdef enum:
    GEMM_MIN_ROWS = 16
    GEMM_MIN = 32768
    PARALLEL_MIN_MACS = 2097152
    PARALLEL_MIN_ELEMENTS = 32768
    PARALLEL_MIN_CHEAP = 262144
    PARALLEL_MIN_PARAMS = 32768


cdef inline void _small_matmul(const floating* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                               const floating* b, Py_ssize_t b_sum, Py_ssize_t b_col,
                               floating* c, Py_ssize_t m, Py_ssize_t n,
                               Py_ssize_t k) noexcept nogil:
    """C[r, q] := sum over t of A[r, t] * B[t, q], C:(m,n) row-major; A and B by strides.

    Every C[r, q] is summed over t in order from 0, so the bits do not depend
    on the loop shape chosen. For layers too small for BLAS.
    """
    # Below 8 outputs a row the call into _dense.h costs more than it saves;
    # above the GEMM_MIN sizes the blocked product of _gemm.h pays.
    cdef Py_ssize_t parts
    if m >= GEMM_MIN_ROWS and m * n * k >= GEMM_MIN:
        parts = nncore_parts_for(m * n * k, PARALLEL_MIN_MACS)
        if floating is double:
            nncore_gemm_parts_f64(a, a_row, a_sum, b, b_sum, b_col, c, m, n, k, parts)
        else:
            nncore_gemm_parts_f32(a, a_row, a_sum, b, b_sum, b_col, c, m, n, k, parts)
    elif b_col == 1 and n >= 8:
        if floating is double:
            nncore_matmul_rows_f64(a, a_row, a_sum, b, b_sum, c, m, n, k)
        else:
            nncore_matmul_rows_f32(a, a_row, a_sum, b, b_sum, c, m, n, k)
    # One output column (a layer of one output), or one output row (one
    # sample's input gradient): dot products along contiguous rows, four at
    # a time (nncore_matvec).
    elif n == 1 and m >= 4 and a_sum == 1 and b_sum == 1:
        if floating is double:
            nncore_matvec_f64(a, a_row, b, c, m, k)
        else:
            nncore_matvec_f32(a, a_row, b, c, m, k)
    elif m == 1 and n >= 4 and a_sum == 1 and b_sum == 1:
        if floating is double:
            nncore_matvec_f64(b, b_col, a, c, n, k)
        else:
            nncore_matvec_f32(b, b_col, a, c, n, k)
    # One output column with A's columns contiguous (the weight gradient of
    # a layer of one output): C.T = B.T @ A.T, the same sums.
    elif n == 1 and m >= 4 and a_row == 1:
        if floating is double:
            nncore_matmul_rows_f64(b, 0, b_sum, a, a_sum, c, 1, m, k)
        else:
            nncore_matmul_rows_f32(b, 0, b_sum, a, a_sum, c, 1, m, k)
    else:
        _small_matmul_blocked(a, a_row, a_sum, b, b_sum, b_col, c, m, n, k)


cdef inline void _small_matmul_blocked(const floating* a, Py_ssize_t a_row, Py_ssize_t a_sum,
                                       const floating* b, Py_ssize_t b_sum, Py_ssize_t b_col,
                                       floating* c, Py_ssize_t m, Py_ssize_t n,
                                       Py_ssize_t k) noexcept nogil:
    """_small_matmul for strided columns of B: four outputs at a time in registers."""
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
        # BLAS adds the product to Z's rows filled with the bias.
        if bias == NULL:
            memset(outputs, 0, n_samples * n_out * sizeof(floating))
        else:
            for i in range(n_samples):
                row = outputs + i * n_out
                for j in range(n_out):
                    row[j] = bias[j]
        _gemm_rowmajor(c'N', c'N', <int> n_samples, <int> n_out, <int> n_in,
                      inputs, <int> n_in, weights, <int> n_out, outputs, <int> n_out)
        return
    _small_matmul(inputs, n_in, 1, weights, n_out, 1, outputs, n_samples, n_out, n_in)
    if bias != NULL:
        if floating is double:
            nncore_add_bias_f64(outputs, bias, n_samples, n_out)
        else:
            nncore_add_bias_f32(outputs, bias, n_samples, n_out)


cdef inline void dense_backward_input(const floating* delta, const floating* weights,
                               floating* grad_inputs,
                               Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                               bint use_blas) noexcept nogil:
    """dX := D @ W.T. D:(n_samples,n_out) W:(n_in,n_out) dX:(n_samples,n_in)."""
    if use_blas:
        memset(grad_inputs, 0, n_samples * n_in * sizeof(floating))
        _gemm_rowmajor(c'N', c'T', <int> n_samples, <int> n_in, <int> n_out,
                      delta, <int> n_out, weights, <int> n_out, grad_inputs, <int> n_in)
        return
    _small_matmul(delta, n_out, 1, weights, 1, n_out, grad_inputs, n_samples, n_in, n_out)


cdef inline void dense_backward_weights(const floating* inputs, const floating* delta,
                                 const floating* weights, floating l2, floating* grad_weights,
                                 Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                                 bint use_blas) noexcept nogil:
    """dW := X.T @ D (+ l2 * W). X:(n_samples,n_in) D:(n_samples,n_out) W, dW:(n_in,n_out); W NULL for no L2 term."""
    cdef Py_ssize_t i, size = n_in * n_out
    if use_blas:
        # BLAS adds the product to the L2 term (or zeros) already in dW.
        if weights == NULL:
            memset(grad_weights, 0, size * sizeof(floating))
        else:
            for i in range(size):
                grad_weights[i] = l2 * weights[i]
        _gemm_rowmajor(c'T', c'N', <int> n_in, <int> n_out, <int> n_samples,
                      inputs, <int> n_in, delta, <int> n_out, grad_weights, <int> n_out)
        return
    _small_matmul(inputs, 1, n_in, delta, n_out, 1, grad_weights, n_in, n_out, n_samples)
    if weights != NULL:
        for i in range(size):
            grad_weights[i] += l2 * weights[i]


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
    if floating is double:
        nncore_sigmoid_grad_f64(grad_outputs, outputs, delta, size)
    else:
        nncore_sigmoid_grad_f32(grad_outputs, outputs, delta, size)


cdef inline void tanh_forward(const floating* total, floating* outputs,
                              Py_ssize_t size) noexcept nogil:
    """A := tanh(Z), element-wise; Z and A may alias."""
    if floating is double:
        nncore_tanh_f64(total, outputs, size)
    else:
        nncore_tanh_f32(total, outputs, size)


cdef inline void tanh_backward(const floating* grad_outputs, const floating* outputs,
                               floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G * (1 - A**2), element-wise; G and D may alias."""
    if floating is double:
        nncore_tanh_grad_f64(grad_outputs, outputs, delta, size)
    else:
        nncore_tanh_grad_f32(grad_outputs, outputs, delta, size)


cdef inline void relu_forward(const floating* total, floating* outputs,
                              Py_ssize_t size) noexcept nogil:
    """A := max(Z, 0), element-wise, NaN kept; Z and A may alias."""
    cdef Py_ssize_t i
    for i in range(size):
        outputs[i] = 0 if total[i] <= 0 else total[i]


cdef inline void relu_backward(const floating* grad_outputs, const floating* outputs,
                               floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G where A > 0, else 0; G and D may alias."""
    cdef Py_ssize_t i
    for i in range(size):
        delta[i] = grad_outputs[i] if outputs[i] > 0 else 0


cdef inline void leaky_relu_forward(const floating* total, floating* outputs,
                                    floating slope, Py_ssize_t size) noexcept nogil:
    """A := Z where Z > 0, else slope * Z, NaN kept; Z and A may alias."""
    cdef Py_ssize_t i
    for i in range(size):
        outputs[i] = slope * total[i] if total[i] <= 0 else total[i]


cdef inline void leaky_relu_backward(const floating* grad_outputs, const floating* outputs,
                                     floating* delta, floating slope,
                                     Py_ssize_t size) noexcept nogil:
    """D := G where A > 0, else slope * G (slope >= 0, so A > 0 exactly where Z > 0); G and D may alias."""
    cdef Py_ssize_t i
    for i in range(size):
        delta[i] = grad_outputs[i] if outputs[i] > 0 else slope * grad_outputs[i]


cdef inline void softmax_forward(const floating* total, floating* outputs,
                                 Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """A[i] := exp(Z[i] - max Z[i]) / sum of the same, row by row; Z and A may alias."""
    cdef Py_ssize_t i, j
    cdef floating top, row_sum
    cdef floating* row
    for i in range(n_samples):
        row = outputs + i * n_out
        top = total[i * n_out]
        for j in range(1, n_out):
            if total[i * n_out + j] > top:
                top = total[i * n_out + j]
        for j in range(n_out):
            row[j] = total[i * n_out + j] - top
        if floating is double:
            nncore_exp_nonpositive_f64(row, row, n_out)
        else:
            nncore_exp_nonpositive_f32(row, row, n_out)
        row_sum = 0
        for j in range(n_out):
            row_sum += row[j]
        for j in range(n_out):
            row[j] /= row_sum


cdef inline void softmax_backward(const floating* grad_outputs, const floating* outputs,
                                  floating* delta, Py_ssize_t n_samples,
                                  Py_ssize_t n_out) noexcept nogil:
    """D[i] := A[i] * (G[i] - G[i] . A[i]), row by row; G and D may alias."""
    cdef Py_ssize_t i, j
    cdef floating dot
    for i in range(n_samples):
        dot = 0
        for j in range(n_out):
            dot += grad_outputs[i * n_out + j] * outputs[i * n_out + j]
        for j in range(n_out):
            delta[i * n_out + j] = outputs[i * n_out + j] * (grad_outputs[i * n_out + j] - dot)


cdef inline void exp_forward(const floating* total, floating* outputs,
                             Py_ssize_t size) noexcept nogil:
    """A := exp(Z), element-wise, 0 and inf where exp under- and overflows; Z and A may alias."""
    if floating is double:
        nncore_exp_any_f64(total, outputs, size)
    else:
        nncore_exp_any_f32(total, outputs, size)


cdef inline void exp_backward(const floating* grad_outputs, const floating* outputs,
                              floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G * A, element-wise (exp is its own derivative); G and D may alias."""
    cdef Py_ssize_t i
    for i in range(size):
        delta[i] = grad_outputs[i] * outputs[i]


cdef inline void gelu_forward(const floating* total, floating* outputs,
                              Py_ssize_t size) noexcept nogil:
    """A := Z Phi(Z) = Z erfc(-Z / sqrt2) / 2, element-wise; Z and A may alias."""
    if floating is double:
        nncore_gelu_f64(total, outputs, size)
    else:
        nncore_gelu_f32(total, outputs, size)


cdef inline void gelu_backward(const floating* grad_outputs, const floating* total,
                               floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G * (Phi(Z) + Z phi(Z)), from the pre-activations Z; G and D may alias."""
    if floating is double:
        nncore_gelu_grad_f64(grad_outputs, total, delta, size)
    else:
        nncore_gelu_grad_f32(grad_outputs, total, delta, size)


cdef inline void silu_forward(const floating* total, floating* outputs,
                              Py_ssize_t size) noexcept nogil:
    """A := Z / (1 + exp(-Z)), element-wise; Z and A may alias."""
    if floating is double:
        nncore_silu_f64(total, outputs, size)
    else:
        nncore_silu_f32(total, outputs, size)


cdef inline void silu_backward(const floating* grad_outputs, const floating* total,
                               floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G * (S * (1 + Z * (1 - S))), S = sigmoid(Z); G and D may alias."""
    if floating is double:
        nncore_silu_grad_f64(grad_outputs, total, delta, size)
    else:
        nncore_silu_grad_f32(grad_outputs, total, delta, size)


cdef inline void elu_forward(const floating* total, floating* outputs,
                             Py_ssize_t size) noexcept nogil:
    """A := Z where Z > 0, else expm1(Z), element-wise; Z and A may alias."""
    if floating is double:
        nncore_elu_f64(total, outputs, size)
    else:
        nncore_elu_f32(total, outputs, size)


cdef inline void elu_backward(const floating* grad_outputs, const floating* total,
                              floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G where Z > 0, else G * exp(Z); G and D may alias."""
    if floating is double:
        nncore_elu_grad_f64(grad_outputs, total, delta, size)
    else:
        nncore_elu_grad_f32(grad_outputs, total, delta, size)


cdef inline void softplus_forward(const floating* total, floating* outputs,
                                  Py_ssize_t size) noexcept nogil:
    """A := Z where Z > 20, else log1p(exp(Z)), element-wise; Z and A may alias."""
    if floating is double:
        nncore_softplus_f64(total, outputs, size)
    else:
        nncore_softplus_f32(total, outputs, size)


cdef inline void softplus_backward(const floating* grad_outputs, const floating* total,
                                   floating* delta, Py_ssize_t size) noexcept nogil:
    """D := G where Z > 20, else G * sigmoid(Z); G and D may alias."""
    if floating is double:
        nncore_softplus_grad_f64(grad_outputs, total, delta, size)
    else:
        nncore_softplus_grad_f32(grad_outputs, total, delta, size)


cdef inline bint activation_needs_total(int kind) noexcept nogil:
    """Whether the backward pass of activation ``kind`` reads its pre-activations
    Z (the others read only their outputs A)."""
    return kind == GELU or kind == SILU or kind == ELU or kind == SOFTPLUS


cdef struct ActivationPass:
    # One activation pass over a batch, for the threads to split by rows:
    # forward A := f(Z) (outputs from total), or backward D := G * f'(Z or A).
    bint backward
    int kind
    const void* grad_outputs
    const void* total
    void* outputs
    void* delta
    Py_ssize_t n_samples
    Py_ssize_t n_out
    double slope


cdef inline Py_ssize_t _activation_parts(int kind, Py_ssize_t n_samples,
                                         Py_ssize_t n_out) noexcept nogil:
    """How many threads an activation pass of this size is worth."""
    cdef Py_ssize_t parts = nncore_parts_for(
        n_samples * n_out,
        PARALLEL_MIN_CHEAP if kind == RELU or kind == LEAKY_RELU or kind == IDENTITY
        else PARALLEL_MIN_ELEMENTS)
    return parts if parts < n_samples else n_samples


cdef inline void _activation_rows(void* ctx, Py_ssize_t part, Py_ssize_t parts,
                                  floating unused) noexcept nogil:
    """The part'th band of rows of an ActivationPass, in the dtype of ``unused``."""
    cdef const ActivationPass* job = <const ActivationPass*> ctx
    cdef Py_ssize_t begin, end, at
    cdef const floating* total = <const floating*> job.total
    cdef floating* outputs = <floating*> job.outputs
    nncore_part_range(job.n_samples, 1, part, parts, &begin, &end)
    at = begin * job.n_out
    if total != NULL:
        total += at
    if outputs != NULL:
        outputs += at
    if job.backward:
        _activation_backward(job.kind, <const floating*> job.grad_outputs + at, total,
                             outputs, <floating*> job.delta + at, end - begin, job.n_out,
                             <floating> job.slope)
    else:
        _activation_forward(job.kind, total, outputs, end - begin, job.n_out,
                            <floating> job.slope)


cdef inline void _activation_rows_f64(void* ctx, Py_ssize_t part, Py_ssize_t parts) noexcept nogil:
    _activation_rows(ctx, part, parts, <double> 0)


cdef inline void _activation_rows_f32(void* ctx, Py_ssize_t part, Py_ssize_t parts) noexcept nogil:
    _activation_rows(ctx, part, parts, <float> 0)


cdef inline void _split_activation(bint backward, int kind, const floating* grad_outputs,
                                   const floating* total, floating* outputs, floating* delta,
                                   Py_ssize_t n_samples, Py_ssize_t n_out, floating slope,
                                   Py_ssize_t parts) noexcept nogil:
    """An activation pass (see ActivationPass) split by rows into ``parts``."""
    cdef ActivationPass job
    job.backward = backward
    job.kind = kind
    job.grad_outputs = grad_outputs
    job.total = total
    job.outputs = outputs
    job.delta = delta
    job.n_samples = n_samples
    job.n_out = n_out
    job.slope = slope
    if floating is double:
        nncore_run_parts(_activation_rows_f64, &job, parts)
    else:
        nncore_run_parts(_activation_rows_f32, &job, parts)


cdef inline void activation_forward(int kind, const floating* total, floating* outputs,
                                    Py_ssize_t n_samples, Py_ssize_t n_out,
                                    floating slope) noexcept nogil:
    """A := f(Z) for the activation ``kind``. Z, A:(n_samples,n_out); they may
    alias. Large batches are split by rows over threads."""
    cdef Py_ssize_t parts = _activation_parts(kind, n_samples, n_out)
    if parts > 1:
        _split_activation(False, kind, <floating*> NULL, total, outputs, <floating*> NULL,
                          n_samples, n_out, slope, parts)
    else:
        _activation_forward(kind, total, outputs, n_samples, n_out, slope)


cdef inline void activation_backward(int kind, const floating* grad_outputs,
                                     const floating* total, const floating* outputs,
                                     floating* delta, Py_ssize_t n_samples, Py_ssize_t n_out,
                                     floating slope) noexcept nogil:
    """D := G * f'(Z), from the pre-activations Z where activation_needs_total,
    else from the outputs A = f(Z) (Z may then be NULL). G, Z, A, D:(n_samples,n_out);
    G and D may alias. Large batches are split by rows over threads."""
    cdef Py_ssize_t parts = _activation_parts(kind, n_samples, n_out)
    if parts > 1:
        _split_activation(True, kind, grad_outputs, total, <floating*> outputs, delta,
                          n_samples, n_out, slope, parts)
    else:
        _activation_backward(kind, grad_outputs, total, outputs, delta, n_samples, n_out, slope)


cdef inline void _activation_forward(int kind, const floating* total, floating* outputs,
                                     Py_ssize_t n_samples, Py_ssize_t n_out,
                                     floating slope) noexcept nogil:
    """activation_forward on one thread."""
    cdef Py_ssize_t size = n_samples * n_out
    if kind == LOGISTIC:
        sigmoid_forward(total, outputs, size)
    elif kind == TANH:
        tanh_forward(total, outputs, size)
    elif kind == RELU:
        relu_forward(total, outputs, size)
    elif kind == LEAKY_RELU:
        leaky_relu_forward(total, outputs, slope, size)
    elif kind == SOFTMAX:
        softmax_forward(total, outputs, n_samples, n_out)
    elif kind == EXP:
        exp_forward(total, outputs, size)
    elif kind == GELU:
        gelu_forward(total, outputs, size)
    elif kind == SILU:
        silu_forward(total, outputs, size)
    elif kind == ELU:
        elu_forward(total, outputs, size)
    elif kind == SOFTPLUS:
        softplus_forward(total, outputs, size)
    elif total != outputs:
        memcpy(outputs, total, size * sizeof(floating))


cdef inline void _activation_backward(int kind, const floating* grad_outputs,
                                      const floating* total, const floating* outputs,
                                      floating* delta, Py_ssize_t n_samples, Py_ssize_t n_out,
                                      floating slope) noexcept nogil:
    """activation_backward on one thread."""
    cdef Py_ssize_t size = n_samples * n_out
    if kind == LOGISTIC:
        sigmoid_backward(grad_outputs, outputs, delta, size)
    elif kind == TANH:
        tanh_backward(grad_outputs, outputs, delta, size)
    elif kind == RELU:
        relu_backward(grad_outputs, outputs, delta, size)
    elif kind == LEAKY_RELU:
        leaky_relu_backward(grad_outputs, outputs, delta, slope, size)
    elif kind == SOFTMAX:
        softmax_backward(grad_outputs, outputs, delta, n_samples, n_out)
    elif kind == EXP:
        exp_backward(grad_outputs, outputs, delta, size)
    elif kind == GELU:
        gelu_backward(grad_outputs, total, delta, size)
    elif kind == SILU:
        silu_backward(grad_outputs, total, delta, size)
    elif kind == ELU:
        elu_backward(grad_outputs, total, delta, size)
    elif kind == SOFTPLUS:
        softplus_backward(grad_outputs, total, delta, size)
    elif grad_outputs != delta:
        memcpy(delta, grad_outputs, size * sizeof(floating))


cdef inline floating _dropout_scale(double rate, floating unused) noexcept nogil:
    """1 / (1 - rate) in the dtype, 1 - rate rounded first (torch's noise.div_(1 - p))."""
    return <floating> 1 / <floating> (1 - rate)


cdef inline void dropout_keep(uint64_t seed, uint64_t epoch, uint64_t step, uint64_t layer,
                              double rate, floating* keep, Py_ssize_t size) noexcept nogil:
    """M := 1 / (1 - rate) for kept units, 0 for dropped ones (see _dropout.h):
    the masks of layer ``layer`` at ``step`` of ``epoch``. M:(size,) = (n_samples*n_out,)."""
    cdef uint64_t key = nncore_dropout_key(seed, epoch, step, layer)
    cdef floating scale = _dropout_scale(rate, <floating> 0)
    if floating is double:
        nncore_dropout_keep_f64(key, nncore_dropout_threshold(rate), scale, keep, size)
    else:
        nncore_dropout_keep_f32(key, nncore_dropout_threshold(rate), scale, keep, size)


cdef inline void dropout_forward(const floating* outputs, const floating* keep,
                                 floating* dropped, Py_ssize_t size) noexcept nogil:
    """D := A * M, element-wise: inverted dropout with the masks M of dropout_keep."""
    cdef Py_ssize_t i
    for i in range(size):
        dropped[i] = outputs[i] * keep[i]


cdef inline void dropout_backward(const floating* grad_dropped, const floating* keep,
                                  floating* grad_outputs, Py_ssize_t size) noexcept nogil:
    """G := G_D * M, element-wise; G_D and G may alias."""
    cdef Py_ssize_t i
    for i in range(size):
        grad_outputs[i] = grad_dropped[i] * keep[i]


cdef inline double sse_backward(const floating* outputs, const floating* targets,
                                floating* grad_outputs, Py_ssize_t size) noexcept nogil:
    """G := 2 * (A - Y); returns sum((Y - A)**2), accumulated in double."""
    cdef Py_ssize_t i
    cdef floating error
    cdef floating minus_two = -2
    cdef double loss = 0
    for i in range(size):
        error = targets[i] - outputs[i]
        loss += <double> error * error
        grad_outputs[i] = minus_two * error
    return loss


cdef inline double weighted_squared_error_backward(
        const floating* outputs, const floating* targets, const floating* sample_weight,
        floating factor, floating* grad_outputs,
        Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """G[i] := factor * w[i] * (A[i] - Y[i]); returns sum over i of w[i] * sum((A[i] - Y[i])**2).

    w is NULL for unit weights. sse is factor 2, squared_error factor 1
    with the mean's 1/sum(w) folded in by the caller.
    """
    cdef Py_ssize_t i, j
    cdef floating error, row_factor
    cdef double row_loss, loss = 0
    for i in range(n_samples):
        row_factor = factor if sample_weight == NULL else factor * sample_weight[i]
        row_loss = 0
        for j in range(n_out):
            error = outputs[i * n_out + j] - targets[i * n_out + j]
            row_loss += <double> error * error
            grad_outputs[i * n_out + j] = row_factor * error
        loss += row_loss if sample_weight == NULL else sample_weight[i] * row_loss
    return loss


cdef inline double absolute_error_backward(
        const floating* outputs, const floating* targets, const floating* sample_weight,
        floating factor, floating* grad_outputs,
        Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """G[i] := factor * w[i] * sign(A[i] - Y[i]), sign(0) = 0; returns sum over i
    of w[i] * sum(|A[i] - Y[i]|). w is NULL for unit weights."""
    cdef Py_ssize_t i, j
    cdef floating error, row_factor
    cdef double row_loss, loss = 0
    for i in range(n_samples):
        row_factor = factor if sample_weight == NULL else factor * sample_weight[i]
        row_loss = 0
        for j in range(n_out):
            error = outputs[i * n_out + j] - targets[i * n_out + j]
            row_loss += fabs(<double> error)
            grad_outputs[i * n_out + j] = (row_factor if error > 0
                                           else -row_factor if error < 0 else 0)
        loss += row_loss if sample_weight == NULL else sample_weight[i] * row_loss
    return loss


cdef inline double huber_backward(
        const floating* outputs, const floating* targets, const floating* sample_weight,
        floating factor, floating delta, floating* grad_outputs,
        Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """G[i] := factor * w[i] * clip(A[i] - Y[i], -delta, delta); returns sum over i
    of w[i] * sum(huber(A[i] - Y[i])), huber(e) = e**2 / 2 for |e| <= delta,
    else delta * (|e| - delta / 2). w is NULL for unit weights."""
    cdef Py_ssize_t i, j
    cdef floating error, row_factor
    cdef double size, row_loss, loss = 0
    for i in range(n_samples):
        row_factor = factor if sample_weight == NULL else factor * sample_weight[i]
        row_loss = 0
        for j in range(n_out):
            error = outputs[i * n_out + j] - targets[i * n_out + j]
            size = fabs(<double> error)
            if size <= delta:
                row_loss += 0.5 * size * size
            else:
                row_loss += delta * (size - 0.5 * delta)
            grad_outputs[i * n_out + j] = row_factor * (delta if error > delta
                                                        else -delta if error < -delta else error)
        loss += row_loss if sample_weight == NULL else sample_weight[i] * row_loss
    return loss


cdef inline double logistic_cross_entropy_backward(
        const floating* total, const floating* outputs, const floating* targets,
        const floating* sample_weight, floating factor, floating* delta,
        Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """D[i] := factor * w[i] * (A[i] - Y[i]), the gradient in Z of the binary
    cross-entropy through a logistic output A = sigmoid(Z); returns the
    weighted sum of sum_j max(Z,0) - Y Z + log1p(exp(-|Z|)), which is finite
    for every finite Z. Z and D may alias (each Z is read before D is written).
    """
    cdef Py_ssize_t i, j, k
    cdef floating z, row_factor
    cdef double row_loss, loss = 0
    for i in range(n_samples):
        row_factor = factor if sample_weight == NULL else factor * sample_weight[i]
        row_loss = 0
        for j in range(n_out):
            k = i * n_out + j
            z = total[k]
            row_loss += (z if z > 0 else 0) - <double> targets[k] * z + log1p(exp(-fabs(<double> z)))
            delta[k] = row_factor * (outputs[k] - targets[k])
        loss += row_loss if sample_weight == NULL else sample_weight[i] * row_loss
    return loss


cdef inline double softmax_cross_entropy_backward(
        const floating* total, const floating* outputs, const floating* targets,
        const floating* sample_weight, floating factor, floating* delta,
        floating* scratch, Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """D[i] := factor * w[i] * (A[i] * sum(Y[i]) - Y[i]), the gradient in Z of
    -sum_j Y log(softmax(Z)); returns the weighted sum of sum_j Y (logsumexp(Z) - Z),
    finite for every finite Z. scratch:(n_out,). Z and D may alias.
    """
    cdef Py_ssize_t i, j
    cdef floating top, row_factor, target_sum
    cdef double exp_sum, log_sum_exp, row_loss, loss = 0
    for i in range(n_samples):
        top = total[i * n_out]
        for j in range(1, n_out):
            if total[i * n_out + j] > top:
                top = total[i * n_out + j]
        for j in range(n_out):
            scratch[j] = total[i * n_out + j] - top
        if floating is double:
            nncore_exp_nonpositive_f64(scratch, scratch, n_out)
        else:
            nncore_exp_nonpositive_f32(scratch, scratch, n_out)
        exp_sum = 0
        target_sum = 0
        for j in range(n_out):
            exp_sum += scratch[j]
            target_sum += targets[i * n_out + j]
        log_sum_exp = top + log(exp_sum)
        row_factor = factor if sample_weight == NULL else factor * sample_weight[i]
        row_loss = 0
        for j in range(n_out):
            row_loss += targets[i * n_out + j] * (log_sum_exp - total[i * n_out + j])
            delta[i * n_out + j] = row_factor * (outputs[i * n_out + j] * target_sum
                                                 - targets[i * n_out + j])
        loss += row_loss if sample_weight == NULL else sample_weight[i] * row_loss
    return loss


cdef inline double poisson_backward(
        const floating* total, const floating* outputs, const floating* targets,
        const floating* sample_weight, floating factor, floating* delta,
        Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil:
    """D[i] := factor * w[i] * (A[i] - Y[i]), the gradient in Z of the half
    Poisson deviance through an exp output A = exp(Z); returns the weighted
    sum of sum_j Y log(Y) - Y Z - Y + A (Y log(Y) = 0 at Y = 0), which is
    Y log(Y / A) - Y + A without the rounding of Y / A. Targets >= 0
    (validated by the caller). Z and D may alias.
    """
    cdef Py_ssize_t i, j, k
    cdef floating row_factor
    cdef double y, row_loss, loss = 0
    for i in range(n_samples):
        row_factor = factor if sample_weight == NULL else factor * sample_weight[i]
        row_loss = 0
        for j in range(n_out):
            k = i * n_out + j
            y = targets[k]
            row_loss += (y * log(y) if y > 0 else 0) - y * total[k] - y + outputs[k]
            delta[k] = row_factor * (outputs[k] - targets[k])
        loss += row_loss if sample_weight == NULL else sample_weight[i] * row_loss
    return loss
