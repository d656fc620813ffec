"""predict raises ValueError when finite inputs or weights overflow the
model's outputs to infinity or NaN, naming X and the dtype, and leaves the
model's parameters and the caller's X as they were. (The one-sample
``predict(x, out=)`` path, which allocates nothing, does not check: README,
"Errors and guarantees".)"""
import numpy as np
import pytest

import nncore

MESSAGE = (r"X: got values whose outputs overflow {dtype} \(NaN or infinity\), expected inputs on "
           r"a scale the model's weights can compute")


def exp_model(dtype):
    """A linear layer into exp: exp(x . w + b) overflows once x . w + b > log(max)."""
    model = nncore.MLP((2, 1), output_activation="exp", loss="poisson", dtype=dtype, random_state=0)
    model.coefs_ = [np.array([[1.0], [2.0]])]
    model.intercepts_ = [np.array([0.5])]
    return model


def assert_overflow_refused(model, X, out=None):
    """predict(X) raises; the model's parameters and X are as they were."""
    params = model.params_.copy()
    given = X.copy()
    with pytest.raises(ValueError, match=MESSAGE.format(dtype=model.dtype.name)):
        model.predict(X) if out is None else model.predict(X, out=out)
    np.testing.assert_array_equal(model.params_, params, strict=True)
    np.testing.assert_array_equal(X, given, strict=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_exp_output_overflows(dtype):
    model = exp_model(dtype)
    fine = np.array([[0.0, 0.0], [1.0, -1.0]], dtype=dtype)
    expected = np.exp(fine.astype(np.float64) @ [[1.0], [2.0]] + 0.5)
    np.testing.assert_allclose(model.predict(fine), expected, rtol=4 * np.finfo(dtype).eps)
    # 1000 is far past exp's range in either dtype (log(max) is 709.8 and 88.7).
    huge = np.array([[0.0, 0.0], [1000.0, 0.0]], dtype=dtype)
    assert_overflow_refused(model, huge)
    np.testing.assert_allclose(model.predict(fine), expected, rtol=4 * np.finfo(dtype).eps)


def test_huge_weights_overflow_a_linear_output():
    model = nncore.MLP((3, 4, 2), activation="relu", random_state=0)
    model.coefs_ = [np.full((3, 4), 1e200), np.full((4, 2), 1e200)]
    X = np.ones((5, 3))  # relu(3e200) @ 1e200 = inf
    assert_overflow_refused(model, X)


def test_overflow_with_out_given():
    # Several samples with out= take the checked path, as without it.
    model = exp_model(np.float64)
    X = np.array([[0.0, 0.0], [800.0, 0.0]])
    assert_overflow_refused(model, X, out=np.empty((2, 1)))
    out = np.empty((1, 1))
    assert model.predict(X[:1], out=out) is out
    assert out[0, 0] == pytest.approx(np.exp(0.5), rel=1e-15)


def test_estimators_refuse_overflowing_predictions():
    pytest.importorskip("sklearn")
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20, 3))
    regressor = nncore.MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    from sklearn.exceptions import ConvergenceWarning

    with pytest.warns(ConvergenceWarning):
        regressor.fit(X, X.sum(axis=1))
    regressor.coefs_ = [np.full((3, 4), 1e200), np.full((4, 1), 1e200)]
    coefs = [c.copy() for c in regressor.coefs_]
    with pytest.raises(ValueError, match=MESSAGE.format(dtype="float64")):
        regressor.predict(np.ones((2, 3)))
    for actual, expected in zip(regressor.coefs_, coefs):
        np.testing.assert_array_equal(actual, expected)
