"""Each compiled kernel against its namesake in nncore.reference, per dtype,
through both the fused loops and BLAS, with batch 1, width 1 and the
in-place calls each kernel's docstring allows.

Tolerances follow the arithmetic: exact where kernel and reference do the
same element-wise operations in the same order; a few ulp where the kernel
has its own exp or tanh; a bound from the length of the sum where the two
sum in different orders (NumPy sums pairwise, the kernels in order). Both
sum losses in float64."""
import importlib.resources
import re

import numpy as np
import pytest

from nncore import _kernel_views as kernels
from nncore._kernels import ACTIVATION_CODES
from nncore import reference

SHAPES = [(1, 1, 1), (4, 3, 4), (7, 5, 1), (33, 17, 9)]
RTOL = {np.dtype(np.float64): 1e-13, np.dtype(np.float32): 2e-6}


def kernel_names():
    # The declarations the engine compiles against, from the installed package.
    package = importlib.resources.files("nncore")
    declarations = "".join((package / pxd).read_text() for pxd in ("_kernels.pxd", "_optim.pxd"))
    return sorted(set(re.findall(r"^cdef (?:inline )?\w+ ([a-z]\w*)\(", declarations, flags=re.M)))


def test_every_kernel_has_a_reference_and_an_entry_point():
    names = kernel_names()
    assert {"dense_forward", "softmax_cross_entropy_backward", "sgd_update", "adam_update"} <= set(names)
    for name in names:
        assert callable(getattr(reference, name)), name
        assert callable(getattr(kernels, name)), name


@pytest.fixture(params=[False, True], ids=["loops", "blas"])
def use_blas(request):
    return request.param


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("with_bias", [False, True])
def test_dense_forward(shape, with_bias, use_blas, dtype, rng):
    n_samples, n_in, n_out = shape
    x = rng.standard_normal((n_samples, n_in)).astype(dtype)
    w = rng.standard_normal((n_in, n_out)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype) if with_bias else None
    out = np.full((n_samples, n_out), np.nan, dtype=dtype)
    kernels.dense_forward(x, w, b, out, use_blas)
    np.testing.assert_allclose(out, reference.dense_forward(x, w, b), rtol=RTOL[dtype], atol=RTOL[dtype])


# The two backward products: (kernel, its operands' shapes, output shape) from (n_samples, n_in, n_out).
BACKWARD_PRODUCTS = {
    "dense_backward_input": (lambda n, i, o: [(n, o), (i, o)], lambda n, i, o: (n, i)),
    "dense_backward_weights": (lambda n, i, o: [(n, i), (n, o)], lambda n, i, o: (i, o)),
}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", BACKWARD_PRODUCTS)
def test_dense_backward_products(name, shape, use_blas, dtype, rng):
    operand_shapes, output_shape = BACKWARD_PRODUCTS[name]
    operands = [rng.standard_normal(s).astype(dtype) for s in operand_shapes(*shape)]
    out = np.full(output_shape(*shape), np.nan, dtype=dtype)
    getattr(kernels, name)(*operands, out, use_blas)
    expected = getattr(reference, name)(*operands)
    np.testing.assert_allclose(out, expected, rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
def test_dense_backward_bias(shape, dtype, rng):
    delta = rng.standard_normal((shape[0], shape[2])).astype(dtype)
    out = np.full(shape[2], np.nan, dtype=dtype)
    kernels.dense_backward_bias(delta, out)
    np.testing.assert_allclose(out, reference.dense_backward_bias(delta), rtol=RTOL[dtype], atol=RTOL[dtype])


def test_sigmoid_forward(dtype, rng):
    total = (rng.standard_normal(1001) * 20).astype(dtype)
    out = np.empty_like(total)
    kernels.sigmoid_forward(total, out)
    np.testing.assert_allclose(out, reference.sigmoid_forward(total), rtol=4 * np.finfo(dtype).eps, atol=0)


def test_sigmoid_forward_in_place(dtype, rng):
    total = rng.standard_normal(300).astype(dtype)
    expected = np.empty_like(total)
    kernels.sigmoid_forward(total, expected)
    kernels.sigmoid_forward(total, total)
    np.testing.assert_array_equal(total, expected)


def test_sigmoid_backward_is_exact(dtype, rng):
    grad = rng.standard_normal(257).astype(dtype)
    s = rng.random(257).astype(dtype)
    out = np.empty_like(grad)
    kernels.sigmoid_backward(grad, s, out)
    np.testing.assert_array_equal(out, reference.sigmoid_backward(grad, s))


def test_sse_backward_is_exact(dtype, rng):
    outputs = rng.random(65).astype(dtype)
    targets = rng.integers(0, 2, 65).astype(dtype)
    grad = np.empty_like(outputs)
    loss = kernels.sse_backward(outputs, targets, grad)
    np.testing.assert_array_equal(grad, reference.sse_backward(outputs, targets))
    expected = np.sum((targets.astype(np.float64) - outputs.astype(np.float64)) ** 2)
    # float32 errors are rounded before they are squared (in float64).
    assert loss == pytest.approx(expected, rel=1e-12 if dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("learning_rate", [1.0, 0.3])
def test_sgd_update_is_exact(learning_rate, dtype, rng):
    params = rng.standard_normal(100).astype(dtype)
    grads = rng.standard_normal(100).astype(dtype)
    expected = params.copy()
    reference.sgd_update(expected, grads, dtype.type(learning_rate))
    kernels.sgd_update(params, grads, learning_rate)
    np.testing.assert_array_equal(params, expected)


# Beyond the tutorial: the other activations, the losses, the optimizer steps.

FLAT_SIZES = [1, 5, 31, 32, 300]  # 31 and 32 straddle tanh's short/wide dispatch
ROW_SHAPES = [(1, 1), (1, 5), (6, 1), (4, 3), (33, 9)]  # (n_samples, n_out)
SLOPES = [0.0, 0.01, 0.3]
# tanh, the logistic function and exp have their own vectorized exp: within
# 3 ulp of the exact value (test_math_accuracy.py), so within 4 of NumPy's.
OWN_EXP_ULP = 4
# The kernels' exp for softmax stops at exp(-708) (float32: exp(-86)), near the
# smallest normal number; the reference's goes on down to 0.
SOFTMAX_FLOOR = {np.dtype(np.float64): np.exp(-708.0), np.dtype(np.float32): np.exp(-86.0)}


def eps(dtype):
    return np.finfo(dtype).eps


def logits(shape, dtype, rng):
    """Pre-activations of both signs, some of them exactly 0."""
    total = rng.standard_normal(shape) * 3
    total.flat[::7] = 0
    return total.astype(dtype)


def sample_weights(n_samples, weighted, dtype, rng):
    return (rng.random(n_samples) * 2).astype(dtype) if weighted else None


def softmax_rtol(n_out, dtype):
    # An ulp or two for each exp, on each side, and n_out ulp for each side's sum.
    return (n_out + 4) * eps(dtype)


def softmax_backward_atol(grad, n_out, dtype):
    # Only the row's g . a is summed in another order: it differs by at most
    # n_out eps max|g| (a sums to 1), and delta = a * (g - g . a) by a times that.
    return n_out * eps(dtype) * np.abs(grad).max()


FLAT_FORWARD = [("tanh_forward", ()), ("relu_forward", ()), ("exp_forward", ())] + [
    ("leaky_relu_forward", (slope,)) for slope in SLOPES]


@pytest.mark.parametrize("size", FLAT_SIZES)
@pytest.mark.parametrize("name, scalars", FLAT_FORWARD)
def test_flat_forward(name, scalars, size, dtype, rng):
    total = logits(size, dtype, rng)
    out = np.full_like(total, np.nan)
    getattr(kernels, name)(total, out, *scalars)
    expected = getattr(reference, name)(total, *map(dtype.type, scalars))
    if name in ("tanh_forward", "exp_forward"):
        np.testing.assert_allclose(out, expected, rtol=OWN_EXP_ULP * eps(dtype), atol=0)
    else:
        np.testing.assert_array_equal(out, expected)
    # Z and A may be one array.
    getattr(kernels, name)(total, total, *scalars)
    np.testing.assert_array_equal(total, out)


FLAT_BACKWARD = [("tanh_backward", "tanh_forward", ()), ("relu_backward", "relu_forward", ()),
                 ("exp_backward", "exp_forward", ())] + [
    ("leaky_relu_backward", "leaky_relu_forward", (slope,)) for slope in SLOPES]


@pytest.mark.parametrize("size", FLAT_SIZES)
@pytest.mark.parametrize("name, forward, scalars", FLAT_BACKWARD)
def test_flat_backward_is_exact(name, forward, scalars, size, dtype, rng):
    grad = rng.standard_normal(size).astype(dtype)
    outputs = getattr(reference, forward)(logits(size, dtype, rng), *map(dtype.type, scalars))
    delta = np.full_like(grad, np.nan)
    getattr(kernels, name)(grad, outputs, delta, *scalars)
    np.testing.assert_array_equal(delta, getattr(reference, name)(grad, outputs, *map(dtype.type, scalars)))
    # G and D may be one array (activation_backward, which the engine calls
    # that way, promises it for each activation).
    getattr(kernels, name)(grad, outputs, grad, *scalars)
    np.testing.assert_array_equal(grad, delta)


@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_softmax_forward(shape, dtype, rng):
    total = logits(shape, dtype, rng)
    total[0] *= 1000  # a row whose smaller values fall below the kernel's floor
    out = np.full_like(total, np.nan)
    kernels.softmax_forward(total, out)
    np.testing.assert_allclose(out, reference.softmax_forward(total), rtol=softmax_rtol(shape[1], dtype),
                               atol=2 * SOFTMAX_FLOOR[dtype])
    # Z and A may be one array.
    kernels.softmax_forward(total, total)
    np.testing.assert_array_equal(total, out)


@pytest.mark.parametrize("shape", ROW_SHAPES)
def test_softmax_backward(shape, dtype, rng):
    grad = rng.standard_normal(shape).astype(dtype)
    outputs = reference.softmax_forward(logits(shape, dtype, rng))
    delta = np.full_like(grad, np.nan)
    kernels.softmax_backward(grad, outputs, delta)
    np.testing.assert_allclose(delta, reference.softmax_backward(grad, outputs), rtol=2 * eps(dtype),
                               atol=softmax_backward_atol(grad, shape[1], dtype))
    # G and D may be one array.
    kernels.softmax_backward(grad, outputs, grad)
    np.testing.assert_array_equal(grad, delta)


# Each activation's own kernel: (forward, backward), None for identity's copy.
OWN_KERNELS = {
    "identity": (None, None),
    "logistic": ("sigmoid_forward", "sigmoid_backward"),
    "tanh": ("tanh_forward", "tanh_backward"),
    "relu": ("relu_forward", "relu_backward"),
    "leaky_relu": ("leaky_relu_forward", "leaky_relu_backward"),
    "softmax": ("softmax_forward", "softmax_backward"),
    "exp": ("exp_forward", "exp_backward"),
    "gelu": ("gelu_forward", "gelu_backward"),
    "silu": ("silu_forward", "silu_backward"),
    "elu": ("elu_forward", "elu_backward"),
    "softplus": ("softplus_forward", "softplus_backward"),
}
SLOPE = 0.01
# The activations whose backward pass reads the pre-activations.
FROM_TOTAL = ("gelu", "silu", "elu", "softplus")
# Theirs against the reference's NumPy/libm formulas: a few ulp each side;
# GELU's reference rounds -z / sqrt(2) before erfc, which multiplies that
# rounding by up to z**2 (at |z| ~ 10, 100 ulp): checked to the last few
# ulp against mpmath in test_math_accuracy.py instead.
FROM_TOTAL_ULP = 16
GELU_RTOL = {np.dtype(np.float64): 1e-13, np.dtype(np.float32): 16 * np.finfo(np.float32).eps}


def own_kernel(name, step, *arrays):
    """The activation's own kernel on (n_samples, n_out) arrays; the last is the output."""
    kernel = OWN_KERNELS[name][step]
    if kernel is None:
        arrays[-1][...] = arrays[0]
    elif name in FROM_TOTAL and step == 1:  # from (G, Z, A) to D, without A
        getattr(kernels, kernel)(arrays[0].reshape(-1), arrays[1].reshape(-1), arrays[3].reshape(-1))
    elif name == "softmax":
        getattr(kernels, kernel)(*arrays)
    else:  # element-wise: on flat views of the same memory
        getattr(kernels, kernel)(*[a.reshape(-1) for a in arrays], *([SLOPE] if name == "leaky_relu" else []))


def test_every_activation_code_is_tested():
    assert set(OWN_KERNELS) == set(ACTIVATION_CODES) == set(reference.ACTIVATIONS)


@pytest.mark.parametrize("name", OWN_KERNELS)
def test_activation_needs_total(name):
    assert kernels.activation_needs_total(name) == reference.activation_needs_total(name) \
        == (name in FROM_TOTAL)


def check_from_total(name, value, expected, dtype, scale=1.0):
    rtol = GELU_RTOL[dtype] if name == "gelu" else FROM_TOTAL_ULP * eps(dtype)
    # Near a zero of f or f', the rounding of a larger term is what is left.
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("size", FLAT_SIZES)
@pytest.mark.parametrize("name", FROM_TOTAL)
def test_from_total_flat_kernels(name, size, dtype, rng):
    total = logits(size, dtype, rng)
    out = np.full_like(total, np.nan)
    getattr(kernels, f"{name}_forward")(total, out)
    check_from_total(name, out, getattr(reference, f"{name}_forward")(total), dtype,
                     np.abs(total).max())
    grad = rng.standard_normal(size).astype(dtype)
    delta = np.full_like(grad, np.nan)
    getattr(kernels, f"{name}_backward")(grad, total, delta)
    check_from_total(name, delta, getattr(reference, f"{name}_backward")(grad, total), dtype,
                     np.abs(grad).max())
    # In place: Z and A may be one array, and so may G and D.
    getattr(kernels, f"{name}_backward")(grad, total, grad)
    np.testing.assert_array_equal(grad, delta)
    getattr(kernels, f"{name}_forward")(total, total)
    np.testing.assert_array_equal(total, out)


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("name", OWN_KERNELS)
def test_activation_forward(name, shape, dtype, rng):
    total = logits(shape, dtype, rng)
    out = np.full_like(total, np.nan)
    kernels.activation_forward(name, total, out, SLOPE)
    # The dispatch adds nothing: the bits of the activation's own kernel.
    own = np.full_like(total, np.nan)
    own_kernel(name, 0, total, own)
    np.testing.assert_array_equal(out, own)
    expected = reference.activation_forward(name, total, dtype.type(SLOPE))
    if name in ("logistic", "tanh", "exp"):
        np.testing.assert_allclose(out, expected, rtol=OWN_EXP_ULP * eps(dtype), atol=0)
    elif name in FROM_TOTAL:
        check_from_total(name, out, expected, dtype, np.abs(total).max())
    elif name == "softmax":
        np.testing.assert_allclose(out, expected, rtol=softmax_rtol(shape[1], dtype), atol=0)
    else:
        np.testing.assert_array_equal(out, expected)
    # Z and A may be one array.
    kernels.activation_forward(name, total, total, SLOPE)
    np.testing.assert_array_equal(total, out)


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("name", OWN_KERNELS)
def test_activation_backward(name, shape, dtype, rng):
    grad = rng.standard_normal(shape).astype(dtype)
    total = logits(shape, dtype, rng)
    outputs = reference.activation_forward(name, total, dtype.type(SLOPE))
    delta = np.full_like(grad, np.nan)
    kernels.activation_backward(name, grad, total, outputs, delta, SLOPE)
    own = np.full_like(grad, np.nan)
    own_kernel(name, 1, grad, total, outputs, own) if name in FROM_TOTAL else \
        own_kernel(name, 1, grad, outputs, own)
    np.testing.assert_array_equal(delta, own)
    expected = reference.activation_backward(name, grad, total, outputs, dtype.type(SLOPE))
    if name == "softmax":
        np.testing.assert_allclose(delta, expected, rtol=2 * eps(dtype),
                                   atol=softmax_backward_atol(grad, shape[1], dtype))
    elif name in FROM_TOTAL:
        check_from_total(name, delta, expected, dtype, np.abs(grad).max())
    else:
        np.testing.assert_array_equal(delta, expected)
    # G and D may be one array.
    kernels.activation_backward(name, grad, total, outputs, grad, SLOPE)
    np.testing.assert_array_equal(grad, delta)


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("factor", [2.0, 0.37])
def test_weighted_squared_error_backward(shape, weighted, factor, dtype, rng):
    outputs = rng.standard_normal(shape).astype(dtype)
    targets = rng.standard_normal(shape).astype(dtype)
    weights = sample_weights(shape[0], weighted, dtype, rng)
    grad = np.full_like(outputs, np.nan)
    loss = kernels.weighted_squared_error_backward(outputs, targets, weights, factor, grad)
    expected_grad, expected_loss = reference.weighted_squared_error_backward(
        outputs, targets, weights, dtype.type(factor))
    np.testing.assert_array_equal(grad, expected_grad)
    # Both sum in float64, in different orders; the kernel squares float32
    # errors after rounding them to float32 (a relative 2**-23 at most).
    assert loss == pytest.approx(expected_loss, rel=1e-13 if dtype == np.float64 else float(2 * eps(dtype)))


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("factor", [1.0, 0.37])
def test_absolute_error_backward(shape, weighted, factor, dtype, rng):
    outputs = rng.standard_normal(shape).astype(dtype)
    targets = rng.standard_normal(shape).astype(dtype)
    targets.flat[::3] = outputs.flat[::3]  # ties: their gradient is 0, sign(0)
    weights = sample_weights(shape[0], weighted, dtype, rng)
    grad = np.full_like(outputs, np.nan)
    loss = kernels.absolute_error_backward(outputs, targets, weights, factor, grad)
    expected_grad, expected_loss = reference.absolute_error_backward(
        outputs, targets, weights, dtype.type(factor))
    np.testing.assert_array_equal(grad, expected_grad)
    assert np.all(grad.flat[::3] == 0)
    assert loss == pytest.approx(expected_loss, rel=1e-13 if dtype == np.float64 else float(2 * eps(dtype)))


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("delta", [1.0, 0.3])
def test_huber_backward(shape, weighted, delta, dtype, rng):
    factor = 0.37
    outputs = (rng.standard_normal(shape) * 2).astype(dtype)
    targets = rng.standard_normal(shape).astype(dtype)
    targets.flat[0] = outputs.flat[0] - dtype.type(delta)  # exactly at delta: quadratic there
    weights = sample_weights(shape[0], weighted, dtype, rng)
    grad = np.full_like(outputs, np.nan)
    loss = kernels.huber_backward(outputs, targets, weights, factor, delta, grad)
    expected_grad, expected_loss = reference.huber_backward(
        outputs, targets, weights, dtype.type(factor), dtype.type(delta))
    np.testing.assert_array_equal(grad, expected_grad)
    assert loss == pytest.approx(expected_loss, rel=1e-13 if dtype == np.float64 else float(4 * eps(dtype)))


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_logistic_cross_entropy_backward(shape, weighted, dtype, rng):
    factor = 0.25
    total = logits(shape, dtype, rng)
    total.flat[0] = -60  # sigmoid near 1e-26: the loss must stay finite and exact
    outputs = reference.sigmoid_forward(total)
    targets = np.where(rng.random(shape) < 0.3, rng.random(shape), rng.integers(0, 2, shape)).astype(dtype)
    targets.flat[0] = 1
    weights = sample_weights(shape[0], weighted, dtype, rng)
    delta = np.full_like(total, np.nan)
    loss = kernels.logistic_cross_entropy_backward(total, outputs, targets, weights, factor, delta)
    expected_delta, expected_loss = reference.logistic_cross_entropy_backward(
        total, outputs, targets, weights, dtype.type(factor))
    np.testing.assert_array_equal(delta, expected_delta)
    # Both evaluate the loss in float64 from the same values, whatever the
    # dtype; its terms are positive, and only exp, log1p and the order differ.
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    # Z and D may be one array.
    aliased = total.copy()
    assert kernels.logistic_cross_entropy_backward(aliased, outputs, targets, weights, factor, aliased) == loss
    np.testing.assert_array_equal(aliased, delta)


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("one_hot", [True, False], ids=["one_hot", "soft"])
def test_softmax_cross_entropy_backward(shape, weighted, one_hot, dtype, rng):
    n_samples, n_out = shape
    factor = 0.25
    total = logits(shape, dtype, rng)
    total[0] *= 1000
    outputs = reference.softmax_forward(total)
    if one_hot:
        targets = np.eye(n_out, dtype=dtype)[rng.integers(0, n_out, n_samples)]
    else:  # rows need not sum to 1: the gradient is a * sum(y) - y for any y
        targets = rng.random(shape).astype(dtype)
    weights = sample_weights(n_samples, weighted, dtype, rng)
    delta = np.full_like(total, np.nan)
    loss = kernels.softmax_cross_entropy_backward(total, outputs, targets, weights, factor, delta)
    expected_delta, expected_loss = reference.softmax_cross_entropy_backward(
        total, outputs, targets, weights, dtype.type(factor))
    unit = np.ones(n_samples) if weights is None else weights.astype(np.float64)
    target_sums = targets.astype(np.float64).sum(axis=1)
    if one_hot:
        np.testing.assert_array_equal(delta, expected_delta)
    else:
        # Only sum(y) is summed in another order: n_out eps of it at most.
        atol = n_out * eps(dtype) * factor * unit.max() * target_sums.max()
        np.testing.assert_allclose(delta, expected_delta, rtol=2 * eps(dtype), atol=atol)
    # The kernel's exps are in the working dtype: log(sum(exp)) is within
    # about (n_out + 4) eps, and the loss within that times each row's w * sum(y).
    atol = softmax_rtol(n_out, dtype) * np.sum(unit * target_sums)
    assert loss == pytest.approx(expected_loss, rel=1e-13, abs=atol)
    # Z and D may be one array.
    aliased = total.copy()
    assert kernels.softmax_cross_entropy_backward(aliased, outputs, targets, weights, factor, aliased) == loss
    np.testing.assert_array_equal(aliased, delta)


@pytest.mark.parametrize("shape", ROW_SHAPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_poisson_backward(shape, weighted, dtype, rng):
    factor = 0.25
    total = logits(shape, dtype, rng)
    total.flat[0] = -60  # exp near 1e-26: the loss must stay finite and exact
    outputs = reference.exp_forward(total)
    # Counts, with zeros (where y log y is 0), and rates.
    targets = np.where(rng.random(shape) < 0.5, rng.poisson(2.0, shape), rng.random(shape) * 5).astype(dtype)
    targets.flat[-1] = 0
    weights = sample_weights(shape[0], weighted, dtype, rng)
    delta = np.full_like(total, np.nan)
    loss = kernels.poisson_backward(total, outputs, targets, weights, factor, delta)
    expected_delta, expected_loss = reference.poisson_backward(
        total, outputs, targets, weights, dtype.type(factor))
    np.testing.assert_array_equal(delta, expected_delta)
    # Both evaluate the loss in float64 from the same values; only log and
    # the order differ, and each term of the sum is a difference of terms
    # as large as y log y, y z and a: a bound from their sizes.
    y, z, a = (v.astype(np.float64) for v in (targets, total, outputs))
    unit = np.ones(shape[0]) if weights is None else weights.astype(np.float64)
    scale = np.sum(unit * np.sum(np.abs(y * np.log(np.where(y > 0, y, 1))) + np.abs(y * z) + y + a, axis=1))
    assert loss == pytest.approx(expected_loss, rel=1e-13, abs=1e-14 * scale)
    # Z and D may be one array.
    aliased = total.copy()
    assert kernels.poisson_backward(aliased, outputs, targets, weights, factor, aliased) == loss
    np.testing.assert_array_equal(aliased, delta)


OPTIMIZER_SIZES = [1, 7, 100]


# The kernels round their scalars to the arrays' dtype, and so does the
# reference when it is given them so: then every step is exact.
@pytest.mark.parametrize("size", OPTIMIZER_SIZES)
@pytest.mark.parametrize("nesterov", [False, True], ids=["momentum", "nesterov"])
def test_momentum_update_is_exact(size, nesterov, dtype, rng):
    learning_rate, momentum = 0.1, 0.9
    params = rng.standard_normal(size).astype(dtype)
    velocity = (rng.standard_normal(size) * 0.1).astype(dtype)
    expected_params, expected_velocity = params.copy(), velocity.copy()
    for _ in range(3):
        grads = rng.standard_normal(size).astype(dtype)
        kernels.momentum_update(params, grads, velocity, learning_rate, momentum, nesterov)
        reference.momentum_update(expected_params, grads, expected_velocity,
                                  dtype.type(learning_rate), dtype.type(momentum), nesterov)
        np.testing.assert_array_equal(velocity, expected_velocity)
        np.testing.assert_array_equal(params, expected_params)


@pytest.mark.parametrize("size", OPTIMIZER_SIZES)
def test_adam_update(size, dtype, rng):
    learning_rate, beta_1, beta_2, epsilon = 0.01, 0.9, 0.999, 1e-8
    params = rng.standard_normal(size).astype(dtype)
    first_moment, second_moment = np.zeros(size, dtype), np.zeros(size, dtype)
    expected = [params.copy(), first_moment.copy(), second_moment.copy()]
    for t in range(1, 4):
        grads = rng.standard_normal(size).astype(dtype)
        step_size = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        before = expected[0].copy()
        kernels.adam_update(params, grads, first_moment, second_moment, step_size, beta_1, beta_2, epsilon)
        reference.adam_update(expected[0], grads, expected[1], expected[2],
                              *map(dtype.type, (step_size, beta_1, beta_2, epsilon)))
        np.testing.assert_array_equal(first_moment, expected[1])
        np.testing.assert_array_equal(second_moment, expected[2])
        np.testing.assert_array_equal(params, expected[0])


@pytest.mark.parametrize("size", OPTIMIZER_SIZES)
def test_l2_backward(size, dtype, rng):
    factor = 0.003
    weights = rng.standard_normal(size).astype(dtype)
    grads = rng.standard_normal(size).astype(dtype)
    expected_grads = grads.copy()
    squares = kernels.l2_backward(weights, grads, factor)
    expected_squares = reference.l2_backward(weights, expected_grads, dtype.type(factor))
    np.testing.assert_array_equal(grads, expected_grads)
    # The same float64 squares (exact ones for float32), summed in another order.
    assert squares == pytest.approx(expected_squares, rel=1e-13)


# Every new kernel with its read-only operands read-only (r) and its outputs
# writable (w): the entry points declare what they only read as const. Each
# entry is the kernel's call and its reference namesake's on the same
# operands: r and w hand out the same arrays, in the same order, to both
# (w a fresh copy of the output's starting values each time), and s gives
# the reference its scalars in the arrays' dtype, as the kernels round them.
def into(out, result):
    """The reference's result written where the kernel writes it; its loss, if any."""
    array, loss = result if isinstance(result, tuple) else (result, None)
    out[...] = array
    return loss


READ_ONLY_CALLS = {
    "tanh_forward": (lambda r, w, s: kernels.tanh_forward(r(5), w(5)),
                     lambda r, w, s: into(w(5), reference.tanh_forward(r(5)))),
    "tanh_backward": (lambda r, w, s: kernels.tanh_backward(r(5), r(5), w(5)),
                      lambda r, w, s: into(w(5), reference.tanh_backward(r(5), r(5)))),
    "relu_forward": (lambda r, w, s: kernels.relu_forward(r(5), w(5)),
                     lambda r, w, s: into(w(5), reference.relu_forward(r(5)))),
    "relu_backward": (lambda r, w, s: kernels.relu_backward(r(5), r(5), w(5)),
                      lambda r, w, s: into(w(5), reference.relu_backward(r(5), r(5)))),
    "leaky_relu_forward": (lambda r, w, s: kernels.leaky_relu_forward(r(5), w(5), 0.01),
                           lambda r, w, s: into(w(5), reference.leaky_relu_forward(r(5), s(0.01)))),
    "leaky_relu_backward": (
        lambda r, w, s: kernels.leaky_relu_backward(r(5), r(5), w(5), 0.01),
        lambda r, w, s: into(w(5), reference.leaky_relu_backward(r(5), r(5), s(0.01)))),
    "softmax_forward": (lambda r, w, s: kernels.softmax_forward(r(3, 4), w(3, 4)),
                        lambda r, w, s: into(w(3, 4), reference.softmax_forward(r(3, 4)))),
    "softmax_backward": (lambda r, w, s: kernels.softmax_backward(r(3, 4), r(3, 4), w(3, 4)),
                         lambda r, w, s: into(w(3, 4), reference.softmax_backward(r(3, 4), r(3, 4)))),
    "exp_forward": (lambda r, w, s: kernels.exp_forward(r(5), w(5)),
                    lambda r, w, s: into(w(5), reference.exp_forward(r(5)))),
    "exp_backward": (lambda r, w, s: kernels.exp_backward(r(5), r(5), w(5)),
                     lambda r, w, s: into(w(5), reference.exp_backward(r(5), r(5)))),
    "activation_forward": (
        lambda r, w, s: kernels.activation_forward("tanh", r(3, 4), w(3, 4), 0.01),
        lambda r, w, s: into(w(3, 4), reference.activation_forward("tanh", r(3, 4), s(0.01)))),
    "activation_backward": (
        lambda r, w, s: kernels.activation_backward("gelu", r(3, 4), r(3, 4), r(3, 4), w(3, 4), 0.01),
        lambda r, w, s: into(w(3, 4), reference.activation_backward("gelu", r(3, 4), r(3, 4), r(3, 4),
                                                                    s(0.01)))),
    **{f"{name}_{step}": (
        lambda r, w, s, kernel=f"{name}_{step}", n=2 if step == "forward" else 3: (
            getattr(kernels, kernel)(*[r(5) for _ in range(n - 1)], w(5))),
        lambda r, w, s, kernel=f"{name}_{step}", n=2 if step == "forward" else 3: into(
            w(5), getattr(reference, kernel)(*[r(5) for _ in range(n - 1)])))
       for name in ("gelu", "silu", "elu", "softplus") for step in ("forward", "backward")},
    "absolute_error_backward": (
        lambda r, w, s: kernels.absolute_error_backward(r(3, 4), r(3, 4), r(3), 1.0, w(3, 4)),
        lambda r, w, s: into(w(3, 4), reference.absolute_error_backward(
            r(3, 4), r(3, 4), r(3), s(1.0)))),
    "huber_backward": (
        lambda r, w, s: kernels.huber_backward(r(3, 4), r(3, 4), r(3), 1.0, 0.3, w(3, 4)),
        lambda r, w, s: into(w(3, 4), reference.huber_backward(
            r(3, 4), r(3, 4), r(3), s(1.0), s(0.3)))),
    "weighted_squared_error_backward": (
        lambda r, w, s: kernels.weighted_squared_error_backward(r(3, 4), r(3, 4), r(3), 2.0, w(3, 4)),
        lambda r, w, s: into(w(3, 4), reference.weighted_squared_error_backward(
            r(3, 4), r(3, 4), r(3), s(2.0)))),
    "logistic_cross_entropy_backward": (
        lambda r, w, s: kernels.logistic_cross_entropy_backward(r(3, 4), r(3, 4), r(3, 4), r(3), 1.0,
                                                                w(3, 4)),
        lambda r, w, s: into(w(3, 4), reference.logistic_cross_entropy_backward(
            r(3, 4), r(3, 4), r(3, 4), r(3), s(1.0)))),
    "softmax_cross_entropy_backward": (
        lambda r, w, s: kernels.softmax_cross_entropy_backward(r(3, 4), r(3, 4), r(3, 4), r(3), 1.0,
                                                               w(3, 4)),
        lambda r, w, s: into(w(3, 4), reference.softmax_cross_entropy_backward(
            r(3, 4), r(3, 4), r(3, 4), r(3), s(1.0)))),
    "poisson_backward": (
        lambda r, w, s: kernels.poisson_backward(r(3, 4), r(3, 4), r(3, 4), r(3), 1.0, w(3, 4)),
        lambda r, w, s: into(w(3, 4), reference.poisson_backward(r(3, 4), r(3, 4), r(3, 4), r(3),
                                                                 s(1.0)))),
    "momentum_update": (
        lambda r, w, s: kernels.momentum_update(w(5), r(5), w(5), 0.1, 0.9, True),
        lambda r, w, s: reference.momentum_update(w(5), r(5), w(5), s(0.1), s(0.9), True)),
    "adam_update": (
        lambda r, w, s: kernels.adam_update(w(5), r(5), w(5), w(5), 0.01, 0.9, 0.999, 1e-8),
        lambda r, w, s: reference.adam_update(w(5), r(5), w(5), w(5), s(0.01), s(0.9), s(0.999),
                                              s(1e-8))),
    "l2_backward": (lambda r, w, s: kernels.l2_backward(r(5), w(5), 0.1),
                    lambda r, w, s: reference.l2_backward(r(5), w(5), s(0.1))),
}


@pytest.mark.parametrize("name", READ_ONLY_CALLS)
def test_read_only_operands(name, dtype, rng):
    kernel_call, reference_call = READ_ONLY_CALLS[name]
    inputs, starts, outputs = [], [], []

    def read_only(*shape):
        array = rng.random(shape).astype(dtype)
        array.flags.writeable = False
        inputs.append(array)
        return array

    def writable(*shape):
        # Starting values a kernel that writes nothing would leave behind;
        # the optimizer steps and l2_backward read them.
        starts.append(np.full(shape, 0.5, dtype))
        outputs.append(starts[-1].copy())
        return outputs[-1]

    returned = kernel_call(read_only, writable, dtype.type)
    given, expected = iter(inputs), []

    def replay_input(*shape):
        array = next(given)
        assert array.shape == shape
        return array

    def replay_output(*shape):
        expected.append(starts[len(expected)].copy())
        assert expected[-1].shape == shape
        return expected[-1]

    reference_returned = reference_call(replay_input, replay_output, dtype.type)
    assert len(expected) == len(outputs)
    for out, want in zip(outputs, expected):
        # Exact for most; tanh's and exp's own exp and softmax's sums in
        # another order are within a few ulp of these O(1) values.
        np.testing.assert_allclose(out, want, rtol=16 * eps(dtype), atol=16 * eps(dtype))
    if isinstance(reference_returned, float):  # a loss or a sum of squares, both in float64
        assert returned == pytest.approx(reference_returned, rel=max(1e-12, float(16 * eps(dtype))))
    for array in inputs:
        assert not array.flags.writeable


@pytest.mark.parametrize("name", ["relu_forward", "leaky_relu_forward"])
def test_rectifiers_keep_nan(name, dtype):
    total = np.array([np.nan, -1.0, 2.0], dtype=dtype)
    out = np.zeros_like(total)
    extra = (dtype.type(0.1),) if name == "leaky_relu_forward" else ()
    getattr(kernels, name)(total, out, *extra)
    assert np.isnan(out[0]) and out[2] == 2
    assert np.isnan(getattr(reference, name)(total, *extra)[0])
