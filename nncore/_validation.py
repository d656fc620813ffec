"""Every check on what users pass in. Kernels run without bounds checks, so
nothing reaches them that has not passed through here.

Messages name the argument, say what was given and what was expected.
Arrays that pass are fresh copies, so the caller's data is never modified.
"""
import math
import numbers
import operator
import sys
from collections.abc import Sequence

import numpy as np

from nncore._engine import count_parameters

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


def as_float_array(name, value, dtype, ndim, copy=True):
    """A C-contiguous, finite copy of ``value`` with ``ndim`` dimensions and the given dtype.

    With ``copy=False`` an array that already qualifies is returned as it is;
    callers that take this option only ever read it.
    """
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, RuntimeError) as exc:
        if isinstance(value, (list, tuple)) and isinstance(exc, ValueError):
            raise ValueError(
                f"{name}: could not be read as an array ({exc}); expected a rectangular "
                f"{ndim}-D array of numbers, not a ragged list"
            ) from None
        # An object NumPy cannot convert at all, such as a bfloat16 tensor.
        kind = type(value)
        raise TypeError(
            f"{name}: got a {kind.__module__}.{kind.__qualname__} that NumPy cannot convert "
            f"({type(exc).__name__}: {exc}); expected a {ndim}-D NumPy array or nested lists "
            "of real numbers"
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
    if not copy and array.dtype == dtype and array.flags.c_contiguous:
        return array
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
    try:
        number = float(value)
    except OverflowError:
        given = (f"an integer of about 10**{math.floor(math.log10(abs(int(value))))}"
                 if isinstance(value, numbers.Integral) else
                 f"a {type(value).__name__} beyond the float range")
        raise ValueError(f"{name}: got {given}, too large for {np.dtype(dtype)}; "
                         f"expected a finite {np.dtype(dtype)} value") from None
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


def check_uint64(name, value):
    """An integer from 0 to 2**64 - 1 (a seed or a counter), returned as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: got {value!r} of type {type(value).__name__}, expected an integer")
    if not 0 <= value < 2**64:
        raise ValueError(f"{name}: got {value}, expected an integer from 0 to 2**64 - 1")
    return int(value)


def check_learning_rate(value, dtype=np.float64):
    """A positive step size, finite and nonzero in ``dtype``."""
    return check_positive_scalar("learning_rate", value, dtype)


def check_positive_scalar(name, value, dtype=np.float64):
    """A real number > 0 that stays > 0 and finite in ``dtype``."""
    number = check_scalar(name, value, dtype)
    if number <= 0:
        raise ValueError(f"{name}: got {number}, expected a positive number")
    if np.dtype(dtype).type(number) == 0:
        raise ValueError(f"{name}: got {number}, which is 0 in {np.dtype(dtype)}; expected a "
                         f"positive {np.dtype(dtype)} value")
    return number


def check_nonnegative_scalar(name, value, dtype=np.float64):
    """A real number >= 0, finite in ``dtype``."""
    number = check_scalar(name, value, dtype)
    if number < 0:
        raise ValueError(f"{name}: got {number}, expected a number >= 0")
    return number


def check_clip_norm(value, dtype=np.float64):
    """None (no gradient clipping), or a positive global norm, finite and
    nonzero in ``dtype``."""
    if value is None:
        return None
    return check_positive_scalar("clip_norm", value, dtype)


def check_fraction(name, value, closed_right=True):
    """A real number in [0, 1], or [0, 1) when not ``closed_right``."""
    number = check_scalar(name, value)
    if not (0 <= number <= 1) or (not closed_right and number == 1):
        expected = "[0, 1]" if closed_right else "[0, 1)"
        raise ValueError(f"{name}: got {number}, expected a number in {expected}")
    return number


def check_dropout(value, n_hidden):
    """The dropout rate of each hidden layer, a tuple of floats in [0, 1):
    one number for every hidden layer, or a sequence of one per hidden layer."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        rate = check_fraction("dropout", value, closed_right=False)
        if rate and not n_hidden:
            raise ValueError(f"dropout: got {rate} for a network without hidden layers, "
                             "expected 0 (dropout acts on hidden layers)")
        return (rate,) * n_hidden
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"dropout: got {value!r:.60} of type {type(value).__name__}, expected a "
                        "number in [0, 1) or a sequence of one per hidden layer")
    if len(value) != n_hidden:
        raise ValueError(f"dropout: got {len(value)} rates, expected {n_hidden} "
                         "(one per hidden layer)")
    return tuple(check_fraction(f"dropout[{l}]", rate, closed_right=False)
                 for l, rate in enumerate(value))


def check_dropout_masks(masks, rates, n_samples, widths, dtype):
    """One 0/1 mask per hidden layer, (n_samples, its width), for a model whose
    hidden layers drop at ``rates``: None where the rate is 0. Returns fresh
    C-contiguous arrays of ``dtype`` (None kept), never the caller's."""
    if not any(rates):
        raise ValueError("dropout_masks: got masks for a model without dropout, expected None "
                         "(give the model dropout > 0 to use them)")
    if isinstance(masks, (str, bytes, np.ndarray)) or not isinstance(masks, Sequence):
        raise TypeError(f"dropout_masks: got {type(masks).__name__}, expected a sequence of "
                        f"{len(rates)} arrays (one per hidden layer) or None")
    if len(masks) != len(rates):
        raise ValueError(f"dropout_masks: got {len(masks)} masks, expected {len(rates)} "
                         "(one per hidden layer)")
    checked = []
    for l, (mask, rate) in enumerate(zip(masks, rates)):
        name = f"dropout_masks[{l}]"
        if rate == 0:
            if mask is not None:
                raise ValueError(f"{name}: got a mask for a hidden layer with dropout 0, expected None")
            checked.append(None)
            continue
        if mask is None:
            raise ValueError(f"{name}: got None for a hidden layer with dropout {rate}, "
                             "expected its 0/1 mask")
        array = as_float_array(name, mask, dtype, 2)
        if array.shape != (n_samples, widths[l]):
            raise ValueError(f"{name}: got shape {array.shape}, expected ({n_samples}, {widths[l]}) "
                             "(samples, the hidden layer's width)")
        if not ((array == 0) | (array == 1)).all():
            raise ValueError(f"{name}: got values other than 0 and 1, expected a 0/1 mask")
        checked.append(array)
    return checked


def check_positive_fraction(name, value, include_one=False):
    """A real number in (0, 1), or (0, 1] with ``include_one``, as a float."""
    number = check_scalar(name, value)
    if not (0 < number < 1 or (include_one and number == 1)):
        interval = "(0, 1]" if include_one else "(0, 1)"
        raise ValueError(f"{name}: got {number}, expected a number in {interval}")
    return number


def check_schedule(value, schedule_class):
    """None or an instance of ``schedule_class`` (nncore's schedules' base)."""
    if value is not None and not isinstance(value, schedule_class):
        raise TypeError(f"schedule: got {value!r}, expected None or a schedule: "
                        "nncore.StepDecay, ExponentialDecay, CosineDecay, OneCycle or "
                        "ReduceOnPlateau(...)")
    return value


def check_below_one_in(name, value, dtype):
    """A number already checked to be in [0, 1) that stays below 1 in ``dtype``."""
    if np.dtype(dtype).type(value) >= 1:
        raise ValueError(f"{name}: got {value}, which rounds to 1 in {np.dtype(dtype)}; "
                         f"expected a value below 1 in {np.dtype(dtype)}")
    return value


def check_isa(value, supported, names):
    """NNCORE_ISA: None when unset or empty, else one of ``names`` that the CPU runs (``supported``)."""
    if not value:
        return None
    if value not in names:
        raise ValueError(f"NNCORE_ISA must be one of {', '.join(names)} (or unset for the best this CPU "
                         f"runs), got {value!r}")
    if value not in supported:
        raise ValueError(f"NNCORE_ISA={value} asks for an instruction set this CPU lacks: it runs "
                         f"{', '.join(supported)}")
    return value


def check_bool(name, value):
    """True or False (NumPy's bool too), as a Python bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: got {value!r} of type {type(value).__name__}, expected True or False")
    return bool(value)


def check_choice(name, value, choices):
    """One of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: got {value!r}, expected one of {', '.join(map(repr, choices))}")
    return value


# C99's keywords: an exported model's name may not be one of them.
_C_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto if
    inline int long register restrict return short signed sizeof static struct switch typedef
    union unsigned void volatile while _Bool _Complex _Imaginary""".split())


def check_c_identifier(name, value):
    """A C identifier that names an exported model: a letter, then letters,
    digits and underscores (no leading underscore: those names are the C
    implementation's), and no C keyword."""
    if not isinstance(value, str):
        raise TypeError(f"{name}: got {value!r} of type {type(value).__name__}, expected a str")
    if (not value.isascii() or not value[:1].isalpha()
            or not value.replace("_", "a").isalnum() or value in _C_KEYWORDS):
        raise ValueError(f"{name}: got {value!r}, expected a C identifier: an ASCII letter, then "
                         "letters, digits or underscores, and not a C keyword")
    return value


def check_layer_sizes(value):
    """Two or more positive layer widths, inputs first, as a tuple of ints."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise TypeError(f"layer_sizes: got {value!r}, expected a sequence of integers "
                        "such as (n_features, 32, n_outputs)")
    if len(value) < 2:
        raise ValueError(f"layer_sizes: got {tuple(value)!r}, expected at least two widths "
                         "(inputs and outputs)")
    sizes = tuple(check_positive_int(f"layer_sizes[{i}]", width) for i, width in enumerate(value))
    if count_parameters(sizes, [True] * (len(sizes) - 1)) > 2**40:
        raise ValueError(f"layer_sizes: got {sizes}, expected fewer than 2**40 parameters")
    return sizes


def check_random_state(value):
    """A NumPy Generator or RandomState to draw from: None (fresh entropy), an
    int seed, or an existing Generator/RandomState (used as it is)."""
    if value is None or (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))):
        if value is not None and value < 0:
            raise ValueError(f"random_state: got {value}, expected a seed >= 0")
        return np.random.default_rng(value)
    if isinstance(value, (np.random.Generator, np.random.RandomState)):
        return value
    raise TypeError(f"random_state: got {value!r} of type {type(value).__name__}, expected "
                    "None, an int seed, a numpy.random.Generator or a numpy.random.RandomState")


def check_inputs(name, value, n_features, dtype):
    """Samples as a finite C-contiguous 2-D array (a 1-D array is one sample),
    or a SciPy sparse matrix as a ``CheckedCSR``; returns (inputs,
    was_one_sample). Qualifying arrays are not copied."""
    if isinstance(value, CheckedCSR):
        return value, False
    if _is_scipy_sparse(value):
        return check_sparse_inputs(name, value, n_features, dtype), False
    try:
        ndim = np.ndim(value)
    except (ValueError, TypeError, RuntimeError):
        ndim = 2  # as_float_array names the problem
    one_sample = ndim == 1
    array = as_float_array(name, value, dtype, ndim=1 if one_sample else 2, copy=False)
    if one_sample:
        array = array.reshape(1, -1)
    if array.shape[1] != n_features:
        raise ValueError(f"{name}: got {array.shape[1]} features (shape {np.shape(value)}), "
                         f"expected {n_features}, the model's input width")
    return array, one_sample


class CheckedCSR:
    """A checked CSR matrix as the engine reads it: ``data`` (the model's
    dtype, finite), ``indices`` (int32, each in range) and ``indptr`` (int64,
    from 0, never decreasing, ending at the number of stored values), all
    contiguous, and ``shape``."""

    __slots__ = ("data", "indices", "indptr", "shape")

    def __init__(self, data, indices, indptr, shape):
        self.data, self.indices, self.indptr, self.shape = data, indices, indptr, shape


def _is_scipy_sparse(value):
    # A sparse matrix exists only if its program imported scipy.sparse, so
    # dense calls never pay for importing it.
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and sparse.issparse(value)


def check_sparse_inputs(name, value, n_features, dtype):
    """A SciPy sparse matrix or array of samples as a ``CheckedCSR``. CSR
    input of the dtype shares its data and int32 indices; other formats are
    converted to CSR (a copy). The caller's matrix is never modified: its
    indices need not be sorted, and duplicates add up."""
    if value.ndim != 2:
        raise ValueError(f"{name}: got a {value.ndim}-D sparse array of shape {value.shape}, "
                         "expected 2-D")
    shape = tuple(int(n) for n in value.shape)
    if min(shape) == 0:
        raise ValueError(f"{name}: got shape {shape}, expected at least one element in every "
                         "dimension")
    if max(shape) > _MAX_DIMENSION:
        raise ValueError(f"{name}: got shape {shape}, expected every dimension below 2**31")
    if shape[1] != n_features:
        raise ValueError(f"{name}: got {shape[1]} features (shape {shape}), expected "
                         f"{n_features}, the model's input width")
    csr = value if value.format == "csr" else value.tocsr()
    data, indices = np.asarray(csr.data), np.asarray(csr.indices)
    indptr = np.ascontiguousarray(csr.indptr, dtype=np.int64)
    if data.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(f"{name}: got a sparse matrix of dtype {data.dtype}, expected real "
                        "numbers (bool, int or float)")
    if indptr.shape != (shape[0] + 1,) or indptr[0] != 0 or (np.diff(indptr) < 0).any():
        raise ValueError(f"{name}: has an invalid index pointer (indptr), expected {shape[0] + 1} "
                         "values from 0 that never decrease")
    stored = int(indptr[-1])
    if stored > min(data.shape[0], indices.shape[0]):
        raise ValueError(f"{name}: its index pointer (indptr) ends at {stored}, expected at most "
                         f"{min(data.shape[0], indices.shape[0])}, the number of stored values")
    data, indices = data[:stored], indices[:stored]
    if indices.dtype.kind not in "iu" or (
            stored and (indices.min() < 0 or indices.max() >= shape[1])):
        raise ValueError(f"{name}: has column indices outside 0 to {shape[1] - 1}, expected a "
                         "valid sparse matrix")
    if data.dtype.kind == "f" and not np.isfinite(data).all():
        raise ValueError(f"{name}: contains NaN or infinity, expected finite values")
    with np.errstate(over="ignore"):  # reported just below, by name
        converted = np.ascontiguousarray(data, dtype=dtype)
    if converted is not data and not np.isfinite(converted).all():
        raise ValueError(f"{name}: has values too large for {np.dtype(dtype)}, expected finite "
                         "values")
    # Column indices are below n_features, itself below 2**31.
    return CheckedCSR(converted, np.ascontiguousarray(indices, dtype=np.int32), indptr, shape)


def check_targets(name, value, n_samples, n_outputs, loss, dtype):
    """Targets as a finite C-contiguous (n_samples, n_outputs) array.

    For ``cross_entropy``, a 1-D array of integer class indices becomes
    one-hot rows; for one output, a 1-D array is one column. Cross-entropy
    and Poisson targets must be >= 0, binary cross-entropy targets in [0, 1].
    """
    raw = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray)) else value
    if loss == "cross_entropy" and np.ndim(raw) == 1:
        indices = np.asarray(raw)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"{name}: got a 1-D array of dtype {indices.dtype}, expected "
                            "integer class indices or 2-D one-hot (or probability) rows")
        if indices.size and (indices.min() < 0 or indices.max() >= n_outputs):
            raise ValueError(f"{name}: got class indices from {indices.min()} to {indices.max()}, "
                             f"expected 0 to {n_outputs - 1} (one per output)")
        targets = np.zeros((indices.shape[0], n_outputs), dtype=dtype)
        targets[np.arange(indices.shape[0]), indices] = 1
    else:
        ndim = np.ndim(raw) if isinstance(raw, np.ndarray) else 2
        if ndim == 1 and n_outputs == 1:
            targets = as_float_array(name, raw, dtype, ndim=1, copy=False).reshape(-1, 1)
        else:
            targets = as_float_array(name, raw, dtype, ndim=2, copy=False)
    if targets.shape[0] != n_samples:
        raise ValueError(f"{name}: got {targets.shape[0]} samples, expected {n_samples} to match X")
    if targets.shape[1] != n_outputs:
        raise ValueError(f"{name}: got {targets.shape[1]} columns (shape {targets.shape}), "
                         f"expected {n_outputs}, the model's output width")
    if loss in ("cross_entropy", "binary_cross_entropy") and targets.min() < 0:
        raise ValueError(f"{name}: has negative values, expected class probabilities >= 0 for {loss}")
    if loss == "poisson" and targets.min() < 0:
        raise ValueError(f"{name}: got a negative value ({targets.min()}), expected counts or "
                         f"rates >= 0 for {loss}")
    if loss == "binary_cross_entropy" and targets.max() > 1:
        raise ValueError(f"{name}: has values above 1, expected probabilities in [0, 1] for {loss}")
    return targets


def check_sample_weight(value, n_samples, dtype, name="sample_weight"):
    """None, or n_samples finite weights >= 0 with a positive sum."""
    if value is None:
        return None
    weights = as_float_array(name, value, dtype, ndim=1, copy=False)
    if weights.shape[0] != n_samples:
        raise ValueError(f"{name}: got {weights.shape[0]} weights, expected {n_samples}, "
                         "one per sample")
    if weights.min() < 0 or not weights.sum() > 0:
        raise ValueError(f"{name}: got negative weights or weights summing to 0, "
                         "expected weights >= 0 with a positive sum")
    return weights


CLASSIFICATION_LOSSES = ("cross_entropy", "binary_cross_entropy")


def check_class_targets(targets, loss):
    """Each sample's class index, from checked targets: the column of a one-hot
    row for cross_entropy, the 0 or 1 of one column for binary_cross_entropy."""
    if loss not in CLASSIFICATION_LOSSES:
        raise ValueError(f"class_weight: got a class weighting with loss={loss!r}, expected one "
                         f"of the classification losses {CLASSIFICATION_LOSSES}")
    if loss == "binary_cross_entropy":
        if targets.shape[1] != 1:
            raise ValueError(f"class_weight: got {targets.shape[1]} binary_cross_entropy outputs, "
                             "expected 1 (one class per sample)")
        labels = targets[:, 0]
    else:
        labels = targets.argmax(axis=1)
        if not np.array_equal(targets, np.eye(targets.shape[1], dtype=targets.dtype)[labels]):
            raise ValueError("y: got cross_entropy targets that are not one-hot rows, expected one "
                             "class per sample for class_weight")
        return labels
    if not np.all((labels == 0) | (labels == 1)):
        raise ValueError("y: got binary_cross_entropy targets other than 0 and 1, expected one "
                         "class per sample for class_weight")
    return labels.astype(np.intp)


def check_class_weight(value, classes, allow_balanced=True):
    """None, "balanced" (if allowed) or a dict from classes (a sequence of the
    possible labels) to finite weights >= 0; a dict comes back with float values."""
    if value is None or (allow_balanced and isinstance(value, str) and value == "balanced"):
        return value
    if not isinstance(value, dict):
        expected = "None, 'balanced' or a dict" if allow_balanced else (
            "None or a dict ('balanced' needs the whole data set's class counts: compute them "
            "once, e.g. with sklearn.utils.class_weight.compute_class_weight, and pass a dict)")
        raise (ValueError if isinstance(value, str) else TypeError)(
            f"class_weight: got {value!r}, expected {expected}")
    known = list(classes)
    unknown = [key for key in value if not any(_same_label(key, label) for label in known)]
    if unknown:
        raise ValueError(f"class_weight: got weights for unknown classes {unknown}, expected "
                         f"keys among the classes {known}")
    weights = {}
    for key, weight in value.items():
        number = check_scalar(f"class_weight[{key!r}]", weight)
        if number < 0:
            raise ValueError(f"class_weight[{key!r}]: got {number}, expected a weight >= 0")
        weights[key] = number
    return weights


def _same_label(key, label):
    try:
        return bool(key == label) and type(key) is not bool
    except (TypeError, ValueError):
        return False


def check_out(out, shape, dtype, inputs):
    """An array predict() may write into: this shape and dtype, C-contiguous,
    writeable, and not overlapping the inputs."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out: got {type(out).__name__}, expected a numpy array")
    if out.dtype != dtype:
        raise TypeError(f"out: got dtype {out.dtype}, expected {np.dtype(dtype)}, the model's dtype")
    if out.shape != tuple(shape):
        raise ValueError(f"out: got shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out: got a non-contiguous or read-only array, expected a writeable "
                         "C-contiguous one")
    parts = (inputs.data, inputs.indices, inputs.indptr) if isinstance(inputs, CheckedCSR) else (inputs,)
    if any(np.may_share_memory(out, part) for part in parts):
        raise ValueError("out: overlaps X, expected separate memory")
    return out


def check_outputs(name, outputs):
    """Outputs computed from finite inputs ``name`` that are finite too: huge
    inputs or weights can overflow the model's dtype on the way."""
    if not np.isfinite(outputs).all():
        raise ValueError(f"{name}: got values whose outputs overflow {outputs.dtype} (NaN or "
                         "infinity), expected inputs on a scale the model's weights can compute")
    return outputs


def check_batch_size(value, n_samples):
    """None (the full batch) or 1..n_samples."""
    if value is None:
        return n_samples
    size = check_positive_int("batch_size", value)
    if size > n_samples:
        raise ValueError(f"batch_size: got {size}, expected 1 to {n_samples} (the number of "
                         "samples) or None for the full batch")
    return size


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
