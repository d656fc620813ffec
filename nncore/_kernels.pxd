# Dense-layer kernels on C-contiguous row-major buffers.
#
# Each takes pointers plus its shape; the caller has validated shapes and
# allocated every output. All are noexcept nogil and allocate nothing.
# Weights are (n_in, n_out); a batch is (n_samples, n_in).
from cython cimport floating

cdef void dense_forward(const floating* inputs, const floating* weights,
                        const floating* bias, floating* outputs,
                        Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                        bint use_blas) noexcept nogil

cdef void dense_backward_input(const floating* delta, const floating* weights,
                               floating* grad_inputs,
                               Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                               bint use_blas) noexcept nogil

cdef void dense_backward_weights(const floating* inputs, const floating* delta,
                                 floating* grad_weights,
                                 Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_out,
                                 bint use_blas) noexcept nogil

cdef void dense_backward_bias(const floating* delta, floating* grad_bias,
                              Py_ssize_t n_samples, Py_ssize_t n_out) noexcept nogil

cdef void sigmoid_forward(const floating* total, floating* outputs,
                          Py_ssize_t size) noexcept nogil

cdef void sigmoid_backward(const floating* grad_outputs, const floating* outputs,
                           floating* delta, Py_ssize_t size) noexcept nogil

cdef double sse_backward(const floating* outputs, const floating* targets,
                           floating* grad_outputs, Py_ssize_t size) noexcept nogil

cdef void sgd_update(floating* params, const floating* grads, floating learning_rate,
                     Py_ssize_t size) noexcept nogil
