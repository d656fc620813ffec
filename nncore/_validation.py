"""Every check on what users pass in. Kernels run without bounds checks, so
nothing reaches them that has not passed through here.

Messages name the argument, say what was given and what was expected.
Arrays that pass are fresh copies, so the caller's data is never modified.
"""
import numbers
import operator

import numpy as np

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_NUMERIC_KINDS = "biuf"
# BLAS takes 32-bit dimensions.
_MAX_DIMENSION = 2**31 - 1


def check_dtype(dtype):
    """The float dtype to compute in: float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype: got {dtype!r}, expected numpy.float32 or numpy.float64") from exc
    if resolved not in SUPPORTED_DTYPES:
        raise TypeError(f"dtype: got {resolved}, expected float32 or float64")
    return resolved


def as_float_array(name, value, dtype, ndim):
    """A C-contiguous, finite copy of ``value`` with ``ndim`` dimensions and the given dtype."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name}: could not be read as an array ({exc}); expected a rectangular "
            f"{ndim}-D array of numbers, not a ragged list"
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"{name}: got an array of dtype {array.dtype}, expected real numbers "
            "(bool, int or float)"
        )
    if array.ndim != ndim:
        raise ValueError(f"{name}: got a {array.ndim}-D array of shape {array.shape}, expected {ndim}-D")
    if array.size == 0:
        raise ValueError(f"{name}: got shape {array.shape}, expected at least one element in every dimension")
    if max(array.shape) > _MAX_DIMENSION:
        raise ValueError(f"{name}: got shape {array.shape}, expected every dimension below 2**31")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{name}: contains NaN or infinity, expected finite values")
    with np.errstate(over="ignore"):  # reported just below, by name
        converted = np.array(array, dtype=dtype, order="C", copy=True)
    if not np.isfinite(converted).all():
        raise ValueError(f"{name}: has values too large for {np.dtype(dtype)}, expected finite values")
    return converted


def check_same_samples(x_name, x, y_name, y):
    """x and y have one row per sample, the same number of rows."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{y_name}: got {y.shape[0]} samples (shape {y.shape}), expected "
            f"{x.shape[0]} to match {x_name} (shape {x.shape})"
        )


def check_length(name, array, expected, what):
    """A 1-D array of the expected length."""
    if array.shape[0] != expected:
        raise ValueError(f"{name}: got length {array.shape[0]}, expected {expected} ({what})")


def check_scalar(name, value, dtype=np.float64):
    """A real number that is finite in ``dtype``, returned as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: got {value!r} of type {type(value).__name__}, expected a real number")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name}: got {number}, expected a finite number")
    if abs(number) > float(np.finfo(dtype).max):
        raise ValueError(f"{name}: got {number}, too large for {np.dtype(dtype)}; expected a finite {np.dtype(dtype)} value")
    return number


def check_positive_int(name, value, minimum=1):
    """An integer of at least ``minimum``, returned as an int."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: got {value!r}, expected an integer")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: got {value!r} of type {type(value).__name__}, expected an integer") from None
    if number < minimum:
        raise ValueError(f"{name}: got {number}, expected an integer >= {minimum}")
    if number > _MAX_DIMENSION:
        raise ValueError(f"{name}: got {number}, expected an integer below 2**31")
    return number


def check_learning_rate(value, dtype=np.float64):
    """A positive step size, finite in ``dtype``."""
    rate = check_scalar("learning_rate", value, dtype)
    if rate <= 0:
        raise ValueError(f"learning_rate: got {rate}, expected a positive number")
    return rate


def check_assignment(name, value, current):
    """A new value for attribute ``name``: same shape and dtype as ``current``."""
    array = as_float_array(name, value, current.dtype, current.ndim)
    if array.shape != current.shape:
        raise ValueError(
            f"{name}: got shape {array.shape}, expected {current.shape}; the network's "
            "sizes are fixed when it is created"
        )
    return array


def check_bound_array(name, array, shape, dtype):
    """Internal invariant for buffers handed to kernels: exact shape, dtype, C order."""
    if (
        not isinstance(array, np.ndarray)
        or array.shape != tuple(shape)
        or array.dtype != dtype
        or not array.flags.c_contiguous
    ):
        raise ValueError(
            f"{name}: got {type(array).__name__} "
            f"{getattr(array, 'shape', None)} {getattr(array, 'dtype', None)}, "
            f"expected a C-contiguous {np.dtype(dtype)} array of shape {tuple(shape)}"
        )
    return array


def check_kernel_dtypes(kernel, **operands):
    """Every operand (None aside) is a NumPy array of one supported float dtype."""
    first = None
    for name, array in operands.items():
        if array is None:
            continue
        if not isinstance(array, np.ndarray):
            raise TypeError(f"{kernel}: {name} is a {type(array).__name__}, expected a numpy array")
        if array.dtype not in SUPPORTED_DTYPES:
            raise TypeError(f"{kernel}: {name} has dtype {array.dtype}, expected float32 or float64")
        if first is None:
            first = (name, array.dtype)
        elif array.dtype != first[1]:
            raise TypeError(f"{kernel}: {name} has dtype {array.dtype}, expected {first[1]} like {first[0]}")


def check_kernel_shapes(kernel, shapes):
    """Each operand's shape, given as {name: (actual, expected)}, matches and is non-empty."""
    for name, (actual, expected) in shapes.items():
        actual, expected = tuple(actual), tuple(expected)
        if actual != expected or 0 in actual:
            raise ValueError(f"{kernel}: {name} has shape {actual}, expected {expected} (non-empty)")
