"""The estimators' dropout: it reaches the engine for the stochastic
solvers, a fit is repeatable from random_state, and L-BFGS refuses it."""
import numpy as np
import pytest

pytest.importorskip("sklearn")

import nncore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
ESTIMATORS = [nncore.MLPClassifier, nncore.MLPRegressor]


def data(estimator):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] > 0).astype(int) if estimator is nncore.MLPClassifier else X[:, 0] * 2
    return X, y


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_dropout_trains_a_repeatable_different_model(estimator, solver):
    X, y = data(estimator)
    options = dict(hidden_layer_sizes=(8, 6), solver=solver, max_iter=5, random_state=0)
    plain = estimator(**options).fit(X, y)
    first = estimator(dropout=0.3, **options).fit(X, y)
    again = estimator(dropout=[0.3, 0.3], **options).fit(X, y)
    for a, b, c in zip(plain.coefs_, first.coefs_, again.coefs_):
        np.testing.assert_array_equal(b, c)
    assert not all(np.array_equal(a, b) for a, b in zip(plain.coefs_, first.coefs_))
    assert first._model.dropout == 0.3


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_lbfgs_refuses_dropout(estimator):
    X, y = data(estimator)
    with pytest.raises(ValueError, match=r"dropout: got 0.2 with solver='lbfgs', expected 0"):
        estimator(solver="lbfgs", dropout=0.2).fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_rates_for_other_layers_are_refused(estimator):
    X, y = data(estimator)
    with pytest.raises(ValueError, match=r"dropout: got 1 rates, expected 2"):
        estimator(hidden_layer_sizes=(4, 4), dropout=[0.1]).fit(X, y)
