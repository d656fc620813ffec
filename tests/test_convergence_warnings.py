"""MLPClassifier and MLPRegressor warn, as scikit-learn's estimators do, with
ConvergenceWarning when a fit ends before it has converged: SGD and Adam at
max_iter, L-BFGS when scipy's minimizer stops without converging. A fit that
stops on its own rule, or partial_fit, does not warn."""
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import nncore  # noqa: E402

ESTIMATORS = pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])


def data_for(kind):
    rng = np.random.RandomState(0)
    X = rng.standard_normal((40, 4))
    return X, (X[:, 0] > 0).astype(int) if kind == "MLPClassifier" else X.sum(axis=1)


@ESTIMATORS
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_stochastic_solvers_warn_at_max_iter(kind, solver):
    X, y = data_for(kind)
    estimator = getattr(nncore, kind)(hidden_layer_sizes=(5,), solver=solver, max_iter=3,
                                      random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Stochastic Optimizer: Maximum iterations \(3\) "
                                                r"reached and the optimization hasn't converged yet"):
        estimator.fit(X, y)
    assert estimator.n_iter_ == 3


@ESTIMATORS
def test_lbfgs_warns_when_it_does_not_converge(kind):
    X, y = data_for(kind)
    estimator = getattr(nncore, kind)(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=2,
                                      random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"lbfgs failed to converge after 2 iteration\(s\)"):
        estimator.fit(X, y)
    assert estimator.n_iter_ == 2


@ESTIMATORS
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_no_warning_when_the_fit_converges(kind, solver):
    X, y = data_for(kind)
    # A loose tolerance: the stopping rule (or L-BFGS's gradient test) ends
    # the fit long before max_iter.
    estimator = getattr(nncore, kind)(hidden_layer_sizes=(5,), solver=solver, tol=0.5,
                                      n_iter_no_change=1, learning_rate_init=0.01, max_iter=200,
                                      random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        estimator.fit(X, y)
    assert estimator.n_iter_ < 200


@ESTIMATORS
def test_partial_fit_does_not_warn(kind):
    X, y = data_for(kind)
    estimator = getattr(nncore, kind)(hidden_layer_sizes=(5,), max_iter=1, random_state=0)
    extra = {"classes": [0, 1]} if kind == "MLPClassifier" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for _ in range(3):
            estimator.partial_fit(X, y, **extra)
