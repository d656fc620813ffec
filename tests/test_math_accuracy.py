"""The compiled sigmoid, tanh, softmax and exp (_math.h): within a few ulp of
the exact value over a dense sweep, and stable (no NaN; for exp, overflow to
inf only where exp overflows) for every finite input."""
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


def compiled_tanh(x):
    out = np.empty_like(x)
    kernels.tanh_forward(x, out)
    return out


def compiled_softmax(x):
    out = np.empty_like(x)
    kernels.softmax_forward(x, out)
    return out


def compiled_exp(x):
    out = np.empty_like(x)
    kernels.exp_forward(x, out)
    return out


def ulp_error(value, exact, dtype):
    """|value - exact| in units of the spacing of dtype at exact."""
    spacing = np.spacing(np.abs(exact).astype(dtype)).astype(exact.dtype)
    return np.abs(value.astype(exact.dtype) - exact) / spacing


def test_sigmoid_float64_within_few_ulp_of_exact():
    # Exact enough: 80-bit long double carries 11 more bits than float64.
    x = np.concatenate([np.linspace(-708, 40, 2_000_003), np.linspace(-2, 2, 1_000_001)])
    exact = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    errors = ulp_error(compiled_sigmoid(x), exact, np.float64)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])


def test_sigmoid_float32_within_few_ulp_of_exact():
    x = np.concatenate([np.linspace(-87, 17, 2_000_003), np.linspace(-2, 2, 1_000_001)]).astype(np.float32)
    exact = 1 / (1 + np.exp(-x.astype(np.float64)))
    errors = ulp_error(compiled_sigmoid(x), exact, np.float32)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_stable_at_the_extremes(dtype):
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
def test_sigmoid_monotone(dtype):
    x = np.linspace(-30, 30, 200_001).astype(dtype)
    assert np.all(np.diff(compiled_sigmoid(x)) >= 0)


def test_sigmoid_agrees_with_the_reference_formula():
    x = np.linspace(-700, 700, 1_400_001)
    np.testing.assert_allclose(compiled_sigmoid(x), reference.sigmoid(x), rtol=MAX_ULP * np.finfo(float).eps, atol=0)


def test_sigmoid_nan_passes_through():
    assert np.isnan(compiled_sigmoid(np.array([np.nan, 1.0]))[0])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_short_and_long_arrays_give_the_same_bits(dtype):
    # Short arrays take a different CPU dispatch set than long ones.
    x = np.linspace(-40, 40, 301).astype(dtype)
    whole = compiled_sigmoid(x)
    for n in range(1, 70):
        np.testing.assert_array_equal(compiled_sigmoid(x[:n].copy()), whole[:n])


def tiny(low, high, n):
    """n magnitudes from 10**low to 10**high, with both signs."""
    magnitudes = np.logspace(low, high, n)
    return np.concatenate([-magnitudes, magnitudes])


def test_tanh_float64_within_few_ulp_of_exact():
    # Measured: at most 2.6 ulp, near |x| = 0.195, just past |x| = 0.173 where
    # expm1's reduction moves to k = -1 and its two terms, 2**k expm1(r) and
    # 2**k - 1, partly cancel. Exact enough: long double has 11 more bits.
    x = np.concatenate([np.linspace(-25, 25, 2_000_003), np.linspace(-2, 2, 1_000_001), tiny(-8, 1.4, 500_001)])
    errors = ulp_error(compiled_tanh(x), np.tanh(x.astype(np.longdouble)), np.float64)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])


def test_tanh_float64_tiny_inputs_keep_their_relative_accuracy():
    # tanh(x) ~ x: a formula with 1 - exp(-2x) in it would lose every digit here.
    x = tiny(-300, -8, 1_000_001)
    errors = ulp_error(compiled_tanh(x), np.tanh(x.astype(np.longdouble)), np.float64)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])
    # Subnormal inputs are their own tanh.
    subnormal = np.array([5e-324, 1e-320, 2e-310, -5e-324, -2e-310])
    np.testing.assert_array_equal(compiled_tanh(subnormal), subnormal)


def test_tanh_float32_within_few_ulp_of_exact():
    # Measured: at most 2.5 ulp over every float32 in [0, 10] (not run here:
    # a billion values). float64 is exact enough for float32.
    x = np.concatenate([np.linspace(-12, 12, 2_000_003), np.linspace(-2, 2, 1_000_001),
                        tiny(-37, -4, 500_001), tiny(-4, 1.1, 500_001)]).astype(np.float32)
    errors = ulp_error(compiled_tanh(x), np.tanh(x.astype(np.float64)), np.float32)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])
    subnormal = np.array([1e-45, 1e-40, -1e-45, -1e-40], dtype=np.float32)
    np.testing.assert_array_equal(compiled_tanh(subnormal), subnormal)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_is_odd(dtype):
    x = np.concatenate([np.linspace(0, 30, 300_001), tiny(-30, -1, 10_001)[10_001:]]).astype(dtype)
    np.testing.assert_array_equal(compiled_tanh(-x), -compiled_tanh(x))
    zeros = compiled_tanh(np.array([0.0, -0.0], dtype=dtype))
    assert list(np.signbit(zeros)) == [False, True]


@pytest.mark.parametrize("dtype, saturated", [(np.float64, 19.1), (np.float32, 9.1)])
def test_tanh_is_exactly_one_for_large_inputs(dtype, saturated):
    # From about 19.1 (float32: 9.1) on, tanh rounds to 1 to the last bit.
    big = np.finfo(dtype).max
    x = np.concatenate([np.linspace(saturated, 1000, 100_001), [1e30, big, np.inf]]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        positive, negative = compiled_tanh(x), compiled_tanh(-x)
    np.testing.assert_array_equal(positive, 1)
    np.testing.assert_array_equal(negative, -1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_stable_and_bounded(dtype):
    big = np.finfo(dtype).max
    x = np.array([-big, -1e30, -1000, -20, -1, 0, 1, 20, 1000, 1e30, big], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = compiled_tanh(x)
    assert not np.isnan(t).any()
    assert np.all((t >= -1) & (t <= 1))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_monotone(dtype):
    x = np.linspace(-30, 30, 200_001).astype(dtype)
    assert np.all(np.diff(compiled_tanh(x)) >= 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_nan_passes_through(dtype):
    for n in (3, 300):  # short and wide dispatch
        x = np.linspace(-2, 2, n).astype(dtype)
        x[1] = np.nan
        t = compiled_tanh(x)
        assert np.isnan(t[1])
        assert not np.isnan(np.delete(t, 1)).any()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tanh_short_and_long_arrays_give_the_same_bits(dtype):
    # Short arrays take a different CPU dispatch set than long ones, and long
    # ones go in blocks of 256.
    x = np.concatenate([np.linspace(-25, 25, 601), tiny(-30, -1, 50)]).astype(dtype)
    whole = compiled_tanh(x)
    for n in [*range(1, 70), 255, 256, 257, 511, 512, 513]:
        np.testing.assert_array_equal(compiled_tanh(x[:n].copy()), whole[:n])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_out", [1, 2, 3, 10, 40])
def test_softmax_rows_sum_to_one(n_out, dtype):
    rng = np.random.default_rng(7)
    total = (rng.standard_normal((500, n_out)) * 10).astype(dtype)
    a = compiled_softmax(total)
    assert np.all((a >= 0) & (a <= 1))
    # The row's sum of n_out exps errs by n_out / 2 eps at most, each quotient by eps / 2.
    sums = a.astype(np.longdouble).sum(axis=1)
    assert np.abs(sums - 1).max() <= n_out * np.finfo(dtype).eps


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_stable_for_huge_logits(dtype):
    big = np.finfo(dtype).max
    total = np.array([
        [big, big, big],        # equal, however large: a third each
        [-big, -big, -big],
        [big, -big, 0],         # differences overflow to -inf: one winner
        [1e30, 0, -1e30],
        [1000, 999, -1000],     # exp(1000) would overflow
        [-1000, -1001, -5000],  # exp(-1000) would underflow to 0 in every entry
    ], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = compiled_softmax(total)
    assert np.isfinite(a).all()
    assert np.all((a >= 0) & (a <= 1))
    np.testing.assert_allclose(a.sum(axis=1), 1, rtol=3 * np.finfo(dtype).eps)
    np.testing.assert_array_equal(a[:2], dtype(1) / 3)
    assert a[2, 0] == 1 and a[3, 0] == 1
    for row in (4, 5):  # only the differences count: 1 / (1 + e**-1), e**-1 / (1 + e**-1)
        np.testing.assert_allclose(a[row, :2], [1 / (1 + np.exp(-1)), np.exp(-1) / (1 + np.exp(-1))],
                                   rtol=4 * np.finfo(dtype).eps)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_depends_only_on_differences(dtype):
    # Multiples of 1/8 shifted by 10**6 stay exact in both dtypes, so the
    # shifted rows have the same differences and must give the same bits.
    rng = np.random.default_rng(8)
    total = (rng.integers(-64, 65, (50, 7)) / 8).astype(dtype)
    np.testing.assert_array_equal(compiled_softmax(total + dtype(1e6)), compiled_softmax(total))


# exp's range: where it overflows and where it rounds to 0 (subnormal down
# to half the smallest one).
EXP_LIMITS = {np.float64: (709.78, -745.13), np.float32: (88.72, -103.97)}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_within_few_ulp_of_exact(dtype):
    # Exact enough: long double for float64, float64 for float32. The
    # spacing of subnormal numbers is fixed, so they are checked in it too.
    top, bottom = EXP_LIMITS[dtype]
    x = np.concatenate([np.linspace(bottom, top, 2_000_003), np.linspace(-2, 2, 1_000_001),
                        tiny(-30, -1, 10_001)]).astype(dtype)
    wider = np.longdouble if dtype == np.float64 else np.float64
    errors = ulp_error(compiled_exp(x), np.exp(x.astype(wider)), dtype)
    assert errors.max() <= MAX_ULP, (errors.max(), x[errors.argmax()])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_overflows_and_underflows_where_exp_does(dtype):
    big = np.finfo(dtype).max
    top, bottom = EXP_LIMITS[dtype]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        above = compiled_exp(np.array([top + 0.01, 1000, 1e30, big, np.inf], dtype=dtype))
        below = compiled_exp(np.array([bottom - 0.01, -1000, -1e30, -big, -np.inf], dtype=dtype))
        np.testing.assert_array_equal(above, np.inf)
        np.testing.assert_array_equal(below, 0)
        assert np.isfinite(compiled_exp(np.array([top - 0.01], dtype=dtype))[0])
        assert compiled_exp(np.array([bottom + 0.01], dtype=dtype))[0] > 0
    assert compiled_exp(np.array([0.0], dtype=dtype))[0] == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exp_nan_passes_through_and_short_and_long_arrays_agree(dtype):
    x = np.concatenate([np.linspace(-800, 800, 601), tiny(-30, -1, 50)]).astype(dtype)
    whole = compiled_exp(x)
    for n in [*range(1, 70), 255, 256, 257, 511, 512, 513]:
        np.testing.assert_array_equal(compiled_exp(x[:n].copy()), whole[:n])
    for n in (3, 300):  # short and wide dispatch
        y = np.linspace(-2, 2, n).astype(dtype)
        y[1] = np.nan
        e = compiled_exp(y)
        assert np.isnan(e[1]) and not np.isnan(np.delete(e, 1)).any()
