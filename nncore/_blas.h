/* SciPy's BLAS (dgemm, sgemm), looked up on first use.
 *
 * Cimporting scipy.linalg.cython_blas makes each extension module import
 * scipy.linalg when it loads, and that was most of `import nncore`'s time.
 * Instead each module that includes this header keeps its own pointers
 * (static), filled from the capsules in cython_blas.__pyx_capi__ by
 * nncore_load_blas(). Every entry point that can reach a BLAS call calls it
 * first, with the GIL held; the nogil kernels then call through the pointers
 * with SciPy's own calling convention, exactly as the cimport did.
 */
#ifndef NNCORE_BLAS_H
#define NNCORE_BLAS_H

#include <Python.h>
#include <dlfcn.h>

typedef void (*nncore_dgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                                double *alpha, double *a, int *lda, double *b, int *ldb,
                                double *beta, double *c, int *ldc);
typedef void (*nncore_sgemm_fn)(char *transa, char *transb, int *m, int *n, int *k,
                                float *alpha, float *a, int *lda, float *b, int *ldb,
                                float *beta, float *c, int *ldc);

static nncore_dgemm_fn nncore_dgemm = NULL;
static nncore_sgemm_fn nncore_sgemm = NULL;

/* The BLAS's own thread count, read at each use so that threadpoolctl and
 * OPENBLAS_NUM_THREADS govern nncore's threads too (_threads.h). */
typedef int (*nncore_get_threads_fn)(void);
static nncore_get_threads_fn nncore_blas_get_threads = NULL;

/* OpenBLAS's thread count getter, searched for in the library SciPy's
 * dgemm lives in and its dependencies (SciPy's OpenBLAS is loaded privately,
 * so it is not among the global symbols). Not found (another BLAS), nncore's
 * own passes run on one thread. */
static void nncore_find_blas_threads(void *dgemm)
{
    static const char *const names[] = {
        "scipy_openblas_get_num_threads", "scipy_openblas_get_num_threads64_",
        "openblas_get_num_threads", "openblas_get_num_threads64_",
    };
    Dl_info info;
    void *library;
    if (dladdr(dgemm, &info) == 0 || info.dli_fname == NULL)
        return;
    /* Already loaded by SciPy, so this only takes a handle, never dropped. */
    library = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (library == NULL)
        return;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *getter = dlsym(library, names[i]);
        if (getter != NULL) {
            nncore_blas_get_threads = (nncore_get_threads_fn) getter;
            return;
        }
    }
}

/* How many threads the BLAS runs, at least 1. */
static inline int nncore_blas_threads(void)
{
    int threads = nncore_blas_get_threads != NULL ? nncore_blas_get_threads() : 1;
    return threads > 1 ? threads : 1;
}

/* The function behind one capsule of __pyx_capi__; NULL with an exception set
 * if it is missing. The capsule's own name is its C signature as SciPy's
 * Cython spelled it, which varies between Cython versions, so it is read
 * rather than compared. */
static void *nncore_blas_pointer(PyObject *capi, const char *name)
{
    PyObject *capsule = PyDict_GetItemString(capi, name); /* borrowed */
    if (capsule == NULL || !PyCapsule_CheckExact(capsule)) {
        PyErr_Format(PyExc_ImportError,
                     "scipy.linalg.cython_blas does not export %s: nncore needs SciPy's BLAS",
                     name);
        return NULL;
    }
    return PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule));
}

static int nncore_load_blas_now(void)
{
    PyObject *module, *capi;
    void *dgemm = NULL, *sgemm = NULL;

    module = PyImport_ImportModule("scipy.linalg.cython_blas");
    if (module == NULL)
        return -1;
    capi = PyObject_GetAttrString(module, "__pyx_capi__");
    Py_DECREF(module);
    if (capi == NULL)
        return -1;
    if (!PyDict_Check(capi)) {
        PyErr_SetString(PyExc_ImportError,
                        "scipy.linalg.cython_blas.__pyx_capi__ is not a dict");
    } else if ((dgemm = nncore_blas_pointer(capi, "dgemm")) != NULL) {
        sgemm = nncore_blas_pointer(capi, "sgemm");
    }
    Py_DECREF(capi);
    if (dgemm == NULL || sgemm == NULL)
        return -1;
    nncore_find_blas_threads(dgemm);
    /* dgemm last: nncore_load_blas tests it alone. */
    nncore_sgemm = (nncore_sgemm_fn) sgemm;
    nncore_dgemm = (nncore_dgemm_fn) dgemm;
    return 0;
}

/* 0 once the pointers are set, -1 with an exception set if SciPy's BLAS
 * cannot be found. Call with the GIL held; after the first call it is one
 * test of a pointer. */
static inline int nncore_load_blas(void)
{
    if (nncore_dgemm != NULL)
        return 0;
    return nncore_load_blas_now();
}

#endif /* NNCORE_BLAS_H */
