"""A stack of dense layers in three flat buffers, and its training loop.

``DenseStack`` owns the memory: every weight and bias lives in one flat
``params`` array (``grads`` mirrors it) and every layer's outputs and
deltas in one flat ``work`` array. The public classes hand out NumPy views
of these, so the kernels update what users read, in place, and an
optimizer step is a single pass over ``params``. Raw pointers are taken
once, when the buffers are created or the data bound, so a call from
Python acquires nothing, allocates nothing and checks nothing.
"""
import numpy as np

from libc.math cimport isfinite
from libc.stdlib cimport calloc, free

from nncore._kernels cimport (
    dense_backward_bias, dense_backward_input, dense_backward_weights,
    dense_forward, sgd_update, sigmoid_backward, sigmoid_forward, sse_backward,
    floating,
)
from nncore._validation import check_bound_array

cdef extern from "Python.h":
    int PyErr_CheckSignals() nogil  # plain int: the loop reports, the method raises

cdef enum:
    IDENTITY = 0
    SIGMOID = 1

ACTIVATIONS = {"identity": IDENTITY, "sigmoid": SIGMOID}

# Layers with n_samples * n_in * n_out at or above this use BLAS; below it
# the fused loops win. Measured by bench/crossover.py.
BLAS_THRESHOLD = 128

cdef enum Status:
    DONE = 0
    DIVERGED = 1
    INTERRUPTED = 2

# Multiply-adds between two checks for Ctrl-C: about 10 ms of work.
cdef Py_ssize_t SIGNAL_CHECK_WORK = 20_000_000


cdef struct Layer:
    Py_ssize_t n_in
    Py_ssize_t n_out
    Py_ssize_t weights_offset   # into params and grads
    Py_ssize_t bias_offset      # into params and grads; -1 without bias
    Py_ssize_t outputs_offset   # into work: (n_samples, n_out)
    Py_ssize_t delta_offset     # into work: (n_samples, n_out)
    int activation
    bint use_blas


cdef void stack_forward(const Layer* layers, int n_layers, Py_ssize_t n_samples,
                        const floating* inputs, const floating* params,
                        floating* work) noexcept nogil:
    """A_l := f_l(A_{l-1} @ W_l + b_l) for every layer, A_0 = inputs."""
    cdef int l
    cdef const Layer* layer
    cdef floating* outputs
    for l in range(n_layers):
        layer = &layers[l]
        outputs = work + layer.outputs_offset
        dense_forward(inputs, params + layer.weights_offset,
                      params + layer.bias_offset if layer.bias_offset >= 0 else NULL,
                      outputs, n_samples, layer.n_in, layer.n_out, layer.use_blas)
        if layer.activation == SIGMOID:
            sigmoid_forward(outputs, outputs, n_samples * layer.n_out)
        inputs = outputs


cdef double stack_backward(const Layer* layers, int n_layers, Py_ssize_t n_samples,
                           const floating* inputs, const floating* targets,
                           const floating* params, floating* grads,
                           floating* work) noexcept nogil:
    """grads := d(sum of squared errors)/d(params) after stack_forward; returns the loss."""
    cdef int l
    cdef const Layer* layer
    cdef const Layer* last = &layers[n_layers - 1]
    cdef floating* delta
    cdef const floating* layer_inputs
    cdef double loss = sse_backward(work + last.outputs_offset, targets,
                                    work + last.delta_offset, n_samples * last.n_out)
    for l in range(n_layers - 1, -1, -1):
        layer = &layers[l]
        delta = work + layer.delta_offset
        if layer.activation == SIGMOID:
            sigmoid_backward(delta, work + layer.outputs_offset, delta,
                             n_samples * layer.n_out)
        layer_inputs = inputs if l == 0 else work + layers[l - 1].outputs_offset
        dense_backward_weights(layer_inputs, delta, grads + layer.weights_offset,
                               n_samples, layer.n_in, layer.n_out, layer.use_blas)
        if layer.bias_offset >= 0:
            dense_backward_bias(delta, grads + layer.bias_offset, n_samples, layer.n_out)
        if l > 0:
            dense_backward_input(delta, params + layer.weights_offset,
                                 work + layers[l - 1].delta_offset,
                                 n_samples, layer.n_in, layer.n_out, layer.use_blas)
    return loss


cdef Status stack_step(const Layer* layers, int n_layers, Py_ssize_t n_samples,
                       Py_ssize_t n_params, const floating* inputs,
                       const floating* targets, floating* params, floating* grads,
                       floating* work, floating learning_rate,
                       double* loss) noexcept nogil:
    """One gradient step after stack_forward; leaves params alone if the loss is not finite."""
    loss[0] = stack_backward(layers, n_layers, n_samples, inputs, targets,
                             params, grads, work)
    if not isfinite(loss[0]):
        return DIVERGED
    sgd_update(params, grads, learning_rate, n_params)
    return DONE


cdef Status stack_train(const Layer* layers, int n_layers, Py_ssize_t n_samples,
                        Py_ssize_t n_params, const floating* inputs,
                        const floating* targets, floating* params, floating* grads,
                        floating* work, floating learning_rate,
                        Py_ssize_t epochs, Py_ssize_t check_every,
                        double* losses, double* loss,
                        Py_ssize_t* epochs_done) noexcept nogil:
    """epochs x (stack_forward + stack_step); losses[e] is the loss before step e
    (or losses is NULL), loss the last one computed."""
    cdef Py_ssize_t epoch
    cdef Py_ssize_t until_check = check_every
    cdef Status status
    cdef int signalled
    for epoch in range(epochs):
        stack_forward(layers, n_layers, n_samples, inputs, params, work)
        status = stack_step(layers, n_layers, n_samples, n_params, inputs, targets,
                            params, grads, work, learning_rate, loss)
        if losses != NULL:
            losses[epoch] = loss[0]
        if status != DONE:
            epochs_done[0] = epoch
            return status
        until_check -= 1
        if until_check == 0:
            until_check = check_every
            with gil:
                signalled = PyErr_CheckSignals()
            if signalled:
                epochs_done[0] = epoch + 1
                return INTERRUPTED
    epochs_done[0] = epochs
    return DONE


cdef int raise_pending_error() except -1:
    # PyErr_CheckSignals left the exception (KeyboardInterrupt) set; returning
    # -1 from an ``except -1`` function makes Cython raise it.
    return -1


cdef class DenseStack:
    """Layers ``widths[0] -> widths[1] -> ... -> widths[-1]``, trained on SSE with SGD.

    Parameters
    ----------
    widths : sequence of int
        Layer widths, inputs first; validated by the caller.
    biases, activations : sequence
        One bool and one activation name per layer.
    n_samples : int
        Rows of the bound data; the workspace is sized for it once.
    dtype : numpy dtype
        float32 or float64, for every buffer.
    blas_threshold : int
        A layer whose n_samples * n_in * n_out reaches this uses BLAS.
    """
    cdef Layer* layers
    cdef readonly int n_layers
    cdef readonly Py_ssize_t n_samples
    cdef readonly Py_ssize_t n_params
    cdef readonly object dtype
    cdef readonly object params, grads, work
    cdef readonly object inputs, targets
    cdef object owners  # the arrays behind our pointers; only views of them are handed out
    cdef readonly Py_ssize_t epochs_done
    cdef readonly double loss
    cdef bint single
    cdef Py_ssize_t check_every
    cdef void* params_ptr
    cdef void* grads_ptr
    cdef void* work_ptr
    cdef void* inputs_ptr
    cdef void* targets_ptr
    cdef public double learning_rate

    def __cinit__(self, widths, biases, activations, Py_ssize_t n_samples, dtype,
                  Py_ssize_t blas_threshold=BLAS_THRESHOLD):
        cdef int l
        cdef Py_ssize_t n_work = 0, n_params = 0, work_per_epoch = 0
        cdef Layer* layer
        self.n_layers = len(widths) - 1
        self.layers = <Layer*> calloc(self.n_layers, sizeof(Layer))
        if self.layers == NULL:
            raise MemoryError()
        self.n_samples = n_samples
        for l in range(self.n_layers):
            layer = &self.layers[l]
            layer.n_in = widths[l]
            layer.n_out = widths[l + 1]
            layer.weights_offset = n_params
            n_params += layer.n_in * layer.n_out
            layer.bias_offset = n_params if biases[l] else -1
            n_params += layer.n_out if biases[l] else 0
            layer.outputs_offset = n_work
            layer.delta_offset = n_work + n_samples * layer.n_out
            n_work += 2 * n_samples * layer.n_out
            layer.activation = ACTIVATIONS[activations[l]]
            layer.use_blas = n_samples * layer.n_in * layer.n_out >= blas_threshold
            work_per_epoch += 3 * n_samples * (layer.n_in + 1) * layer.n_out
        self.n_params = n_params
        self.check_every = max(1, SIGNAL_CHECK_WORK // max(1, work_per_epoch))
        self.dtype = np.dtype(dtype)
        self.single = self.dtype == np.float32
        # Views, not the owners, go out: NumPy refuses to resize a view, so
        # no one can move the memory behind the pointers.
        self.owners = [np.zeros(size, dtype=self.dtype) for size in (n_params, n_params, n_work)]
        self.params, self.grads, self.work = [owner.view() for owner in self.owners]
        self.params_ptr = _address(self.params)
        self.grads_ptr = _address(self.grads)
        self.work_ptr = _address(self.work)
        self.learning_rate = 1.0

    def __dealloc__(self):
        free(self.layers)

    def weights(self, int layer):
        """View of layer ``layer``'s weights, shape (n_in, n_out)."""
        cdef Layer* spec = &self.layers[layer]
        start = spec.weights_offset
        return self.params[start:start + spec.n_in * spec.n_out].reshape(spec.n_in, spec.n_out)

    def bias(self, int layer):
        """View of layer ``layer``'s bias, shape (n_out,), or None."""
        cdef Layer* spec = &self.layers[layer]
        if spec.bias_offset < 0:
            return None
        return self.params[spec.bias_offset:spec.bias_offset + spec.n_out]

    def outputs(self, int layer):
        """View of layer ``layer``'s outputs after forward(), shape (n_samples, n_out)."""
        cdef Layer* spec = &self.layers[layer]
        start = spec.outputs_offset
        return self.work[start:start + self.n_samples * spec.n_out].reshape(self.n_samples, spec.n_out)

    def uses_blas(self, int layer):
        """Whether layer ``layer``'s products go to BLAS."""
        return bool(self.layers[layer].use_blas)

    def bind(self, inputs, targets):
        """Attach the data; arrays must already be C-contiguous and of this dtype."""
        last = self.layers[self.n_layers - 1]
        check_bound_array("inputs", inputs, (self.n_samples, self.layers[0].n_in), self.dtype)
        check_bound_array("targets", targets, (self.n_samples, last.n_out), self.dtype)
        self.owners[3:] = [inputs, targets]
        self.inputs = inputs.view()
        self.targets = targets.view()
        self.inputs_ptr = _address(inputs)
        self.targets_ptr = _address(targets)

    def forward(self):
        """Outputs of every layer for the bound inputs."""
        with nogil:
            if self.single:
                stack_forward(self.layers, self.n_layers, self.n_samples,
                              <float*> self.inputs_ptr, <float*> self.params_ptr,
                              <float*> self.work_ptr)
            else:
                stack_forward(self.layers, self.n_layers, self.n_samples,
                              <double*> self.inputs_ptr, <double*> self.params_ptr,
                              <double*> self.work_ptr)

    def backward(self):
        """Loss at the last forward() and its gradient in ``grads``; no update."""
        cdef double loss
        with nogil:
            if self.single:
                loss = stack_backward(self.layers, self.n_layers, self.n_samples,
                                      <float*> self.inputs_ptr, <float*> self.targets_ptr,
                                      <float*> self.params_ptr, <float*> self.grads_ptr,
                                      <float*> self.work_ptr)
            else:
                loss = stack_backward(self.layers, self.n_layers, self.n_samples,
                                      <double*> self.inputs_ptr, <double*> self.targets_ptr,
                                      <double*> self.params_ptr, <double*> self.grads_ptr,
                                      <double*> self.work_ptr)
        self.loss = loss
        return loss

    def step(self):
        """Gradients of the loss at the last forward(), then one SGD step.

        Raises ValueError, leaving the parameters unchanged, if the loss is
        not finite.
        """
        cdef Status status
        cdef double loss
        with nogil:
            if self.single:
                status = stack_step(self.layers, self.n_layers, self.n_samples, self.n_params,
                                    <float*> self.inputs_ptr, <float*> self.targets_ptr,
                                    <float*> self.params_ptr, <float*> self.grads_ptr,
                                    <float*> self.work_ptr, <float> self.learning_rate, &loss)
            else:
                status = stack_step(self.layers, self.n_layers, self.n_samples, self.n_params,
                                    <double*> self.inputs_ptr, <double*> self.targets_ptr,
                                    <double*> self.params_ptr, <double*> self.grads_ptr,
                                    <double*> self.work_ptr, self.learning_rate, &loss)
        self.loss = loss
        if status == DIVERGED:
            _raise_diverged(loss, 0)

    def train(self, Py_ssize_t epochs, bint record_loss=False):
        """``epochs`` x (forward() + step()) without the GIL; the losses or None.

        Stops early on Ctrl-C (KeyboardInterrupt) or a non-finite loss
        (ValueError); ``epochs_done`` says how many steps were taken.
        """
        cdef Status status
        cdef Py_ssize_t done = 0
        cdef double loss = self.loss
        losses = np.zeros(epochs, dtype=np.float64) if record_loss else None
        cdef double* losses_ptr = <double*> _address(losses) if record_loss and epochs > 0 else NULL
        with nogil:
            if self.single:
                status = stack_train(self.layers, self.n_layers, self.n_samples, self.n_params,
                                     <float*> self.inputs_ptr, <float*> self.targets_ptr,
                                     <float*> self.params_ptr, <float*> self.grads_ptr,
                                     <float*> self.work_ptr, <float> self.learning_rate,
                                     epochs, self.check_every, losses_ptr, &loss, &done)
            else:
                status = stack_train(self.layers, self.n_layers, self.n_samples, self.n_params,
                                     <double*> self.inputs_ptr, <double*> self.targets_ptr,
                                     <double*> self.params_ptr, <double*> self.grads_ptr,
                                     <double*> self.work_ptr, self.learning_rate,
                                     epochs, self.check_every, losses_ptr, &loss, &done)
        self.epochs_done = done
        self.loss = loss
        if status == INTERRUPTED:
            raise_pending_error()
        if status == DIVERGED:
            _raise_diverged(loss, done)
        return losses


cdef void* _address(array) except NULL:
    """Address of the first element of a C-contiguous float32/float64 array."""
    cdef double[::1] as_double
    cdef float[::1] as_float
    flat = array.reshape(-1)
    if array.dtype == np.float32:
        as_float = flat
        return &as_float[0]
    as_double = flat
    return &as_double[0]


def _raise_diverged(loss, epoch):
    raise ValueError(
        f"training diverged at step {epoch}: the loss is {loss}, expected a finite "
        "value; the parameters are left as they were before that step "
        "(try a smaller learning_rate)"
    )
