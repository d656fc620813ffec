"""Dense-layer kernels: the math of one layer's forward, backward and update.

The kernels are inline functions in ``_kernels.pxd`` and ``_optim.pxd`` (see
there why); this module records how they were built and the codes that name
activations and losses. Products at or above the caller's size threshold go
to BLAS (SciPy's, callable without the GIL, looked up on first use so that
importing nncore does not import scipy.linalg: see ``_blas.h``); below it,
fused row-major loops are faster than a BLAS call.
"""
from nncore._kernels cimport (
    ABSOLUTE_ERROR, BINARY_CROSS_ENTROPY, CROSS_ENTROPY, ELU, EXP, GELU, HUBER, IDENTITY,
    LEAKY_RELU, LOGISTIC, POISSON, RELU, SILU, SOFTMAX, SOFTPLUS, SSE, SQUARED_ERROR, TANH,
    nncore_isa, nncore_isa_supported,
)

cdef extern from *:
    const char* NNCORE_COMPILE_ARGS

COMPILE_ARGS = NNCORE_COMPILE_ARGS.decode()

# The instruction sets the kernels are built for, in _dispatch.h's order.
ISA_NAMES = ("baseline", "avx2", "avx512")
# Those this CPU runs.
ISA_SUPPORTED = ISA_NAMES[:nncore_isa_supported() + 1]


def isa_in_use():
    """The instruction set this module's dispatched kernels run: NNCORE_ISA's, or the best."""
    return ISA_NAMES[nncore_isa]

ACTIVATION_CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "softmax": SOFTMAX,
    "exp": EXP,
    "gelu": GELU,
    "silu": SILU,
    "elu": ELU,
    "softplus": SOFTPLUS,
}

LOSS_CODES = {
    "sse": SSE,
    "squared_error": SQUARED_ERROR,
    "binary_cross_entropy": BINARY_CROSS_ENTROPY,
    "cross_entropy": CROSS_ENTROPY,
    "poisson": POISSON,
    "absolute_error": ABSOLUTE_ERROR,
    "huber": HUBER,
}
