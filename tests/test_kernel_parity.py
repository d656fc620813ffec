"""Each compiled kernel against its namesake in nncore.reference, per dtype,
through both the fused loops and BLAS."""
import pathlib
import re

import numpy as np
import pytest

from nncore import _kernel_views as kernels
from nncore import reference

SHAPES = [(1, 1, 1), (4, 3, 4), (7, 5, 1), (33, 17, 9)]
RTOL = {np.dtype(np.float64): 1e-13, np.dtype(np.float32): 2e-6}


def kernel_names():
    # The declarations the stack compiles against, read from the source .pxd.
    pxd = pathlib.Path(__file__).resolve().parent.parent / "nncore" / "_kernels.pxd"
    declarations = pxd.read_text()
    return sorted(set(re.findall(r"^cdef (?:inline )?\w+ ([a-z]\w*)\(", declarations, flags=re.M)))


def test_every_kernel_has_a_reference_and_an_entry_point():
    names = kernel_names()
    assert "dense_forward" in names and len(names) >= 8
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
