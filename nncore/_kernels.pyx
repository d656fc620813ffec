"""Dense-layer kernels: the math of one layer's forward, backward and update.

The kernels are inline functions in ``_kernels.pxd`` (see there why); this
module records how they were built. Products at or above the caller's size
threshold go to BLAS (SciPy's, callable without the GIL); below it, fused
row-major loops are faster than a BLAS call.
"""

cdef extern from *:
    const char* NNCORE_COMPILE_ARGS

COMPILE_ARGS = NNCORE_COMPILE_ARGS.decode()
