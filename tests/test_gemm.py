"""The blocked product of _gemm.h (behind deterministic=True and the larger
own-loop products) against the plain sum over t in order, bit for bit.

Each C[r, q] must be 0 + A[r, 0] * B[0, q] + A[r, 1] * B[1, q] + ..., one
rounding per multiply and per add. NumPy's element-wise multiply and add
round the same way, so a loop over t gives the exact expected bits. The
shapes cross every block edge: k past one and two k blocks (256), columns
past a column block (128 or 256) and not a multiple of a strip, rows past a
row block (96) and not a multiple of a tile (6). The small shapes take
_dense.h's products instead: one output column or one sample (nncore_matvec,
whole blocks of four and the rest), and widths below a vector."""
import numpy as np
import pytest

from nncore import _kernel_views as kernels

# (n_samples, n_in, n_out): the forward product is (m, k) @ (k, n).
SHAPES = [(16, 128, 16), (17, 300, 19), (103, 70, 131), (200, 64, 100), (97, 600, 9), (16, 513, 300),
          (300, 41, 262),
          (4, 3, 4), (4, 4, 1), (9, 7, 1), (6, 9, 1), (1, 13, 6), (1, 5, 4), (1, 32, 32), (5, 1, 7),
          (3, 4, 1), (7, 2, 3)]


def in_order_product(a, b):
    total = np.zeros((a.shape[0], b.shape[1]), dtype=a.dtype)
    for t in range(a.shape[1]):
        total = total + a[:, t:t + 1] * b[t:t + 1, :]
    return total


@pytest.fixture(params=SHAPES, ids=lambda shape: "x".join(map(str, shape)))
def operands(request, dtype):
    n_samples, n_in, n_out = request.param
    rng = np.random.default_rng(sum(request.param))
    x = rng.standard_normal((n_samples, n_in)).astype(dtype)
    w = rng.standard_normal((n_in, n_out)).astype(dtype)
    delta = rng.standard_normal((n_samples, n_out)).astype(dtype)
    return x, w, delta


def test_forward_sums_in_order(operands):
    x, w, _ = operands
    out = np.empty((x.shape[0], w.shape[1]), dtype=x.dtype)
    kernels.dense_forward(x, w, None, out, use_blas=False)
    np.testing.assert_array_equal(out, in_order_product(x, w), strict=True)


def test_forward_adds_the_bias_after_the_sum(operands):
    x, w, _ = operands
    bias = np.linspace(-1, 1, w.shape[1]).astype(x.dtype)
    out = np.empty((x.shape[0], w.shape[1]), dtype=x.dtype)
    kernels.dense_forward(x, w, bias, out, use_blas=False)
    np.testing.assert_array_equal(out, in_order_product(x, w) + bias, strict=True)


def test_input_gradient_sums_in_order(operands):
    x, w, delta = operands
    grad_inputs = np.empty_like(x)
    kernels.dense_backward_input(delta, w, grad_inputs, use_blas=False)
    np.testing.assert_array_equal(grad_inputs, in_order_product(delta, np.ascontiguousarray(w.T)), strict=True)


def test_weight_gradient_sums_in_order(operands):
    x, w, delta = operands
    grad_weights = np.empty_like(w)
    kernels.dense_backward_weights(x, delta, grad_weights, use_blas=False)
    np.testing.assert_array_equal(grad_weights, in_order_product(np.ascontiguousarray(x.T), delta), strict=True)


def test_non_finite_values_propagate_as_in_the_plain_sum(dtype):
    x = np.ones((32, 300), dtype=dtype)
    w = np.ones((300, 40), dtype=dtype)
    x[3, 7] = np.inf
    w[11, 5] = np.nan
    out = np.empty((32, 40), dtype=dtype)
    kernels.dense_forward(x, w, None, out, use_blas=False)
    np.testing.assert_array_equal(out, in_order_product(x, w), strict=True)
