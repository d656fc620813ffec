"""The compiled sigmoid: within a few ulp of the exact value over a dense sweep,
and stable (no overflow, no NaN) for every finite input."""
import warnings

import numpy as np
import pytest

from nncore import _kernel_views as kernels
from nncore import reference

MAX_ULP = 3


def compiled_sigmoid(x):
    out = np.empty_like(x)
    kernels.sigmoid_forward(x, out)
    return out


def ulp_error(value, exact, dtype):
    """|value - exact| in units of the spacing of dtype at exact."""
    spacing = np.spacing(np.abs(exact).astype(dtype)).astype(exact.dtype)
    return np.abs(value.astype(exact.dtype) - exact) / spacing


def test_float64_within_few_ulp_of_exact():
    # Exact enough: 80-bit long double carries 11 more bits than float64.
    x = np.concatenate([np.linspace(-708, 40, 2_000_003), np.linspace(-2, 2, 1_000_001)])
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    errors = ulp_error(compiled_sigmoid(x), exact, np.float64)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])


def test_float32_within_few_ulp_of_exact():
    x = np.concatenate([np.linspace(-87, 17, 2_000_003), np.linspace(-2, 2, 1_000_001)]).astype(np.float32)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    errors = ulp_error(compiled_sigmoid(x), exact, np.float32)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_at_the_extremes(dtype):
    big = np.finfo(dtype).max
    x = np.array([-big, -1e30, -1000, -100, 0, 100, 1000, 1e30, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = compiled_sigmoid(x)
    assert not np.isnan(s).any()
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_array_equal(s[[0, 1, 2]], 0)
    np.testing.assert_array_equal(s[[-1, -2, -3]], 1)
    assert s[4] == 0.5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_monotone(dtype):
    x = np.linspace(-30, 30, 200_001).astype(dtype)
    assert np.all(np.diff(compiled_sigmoid(x)) >= 0)


def test_agrees_with_the_reference_formula():
    x = np.linspace(-700, 700, 1_400_001)
    np.testing.assert_allclose(compiled_sigmoid(x), reference.sigmoid(x), rtol=MAX_ULP * np.finfo(float).eps, atol=0)


def test_nan_passes_through():
    assert np.isnan(compiled_sigmoid(np.array([np.nan, 1.0]))[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_short_and_long_arrays_give_the_same_bits(dtype):
    # Short arrays take a different CPU dispatch set than long ones.
    x = np.linspace(-40, 40, 301).astype(dtype)
    whole = compiled_sigmoid(x)
    for n in range(1, 70):
        np.testing.assert_array_equal(compiled_sigmoid(x[:n].copy()), whole[:n])
