"""What the estimators do when training diverges, against scikit-learn's, and
the private pieces of scikit-learn's estimators that its own tests read
(``_optimizer``, ``_loss_grad_lbfgs``)."""
import warnings

import numpy as np
import pytest
import scipy.optimize

sklearn = pytest.importorskip("sklearn")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnRegressor  # noqa: E402

import nncore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SKLEARN_SENTENCE = ("Solver produced non-finite parameter weights. The input data may contain "
                    "large values and need to be preprocessed.")
X_IRIS, Y_IRIS = load_iris(return_X_y=True)
DIVERGING = dict(hidden_layer_sizes=100, activation="identity", solver="sgd",
                 learning_rate_init=1, max_iter=20, random_state=0)


def _fit_quietly(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's overflows
        return estimator.fit(X, y)


def test_divergence_with_early_stopping_is_recorded_as_scikit_learn_does():
    params = dict(DIVERGING, early_stopping=True)
    mine = _fit_quietly(nncore.MLPRegressor(**params), X_IRIS, Y_IRIS)
    reference = _fit_quietly(SklearnRegressor(**params), X_IRIS, Y_IRIS)
    assert mine.n_iter_ == reference.n_iter_ == 20 and mine.t_ == reference.t_
    for got, expected in ((mine.validation_scores_, reference.validation_scores_),
                          (mine.loss_curve_, reference.loss_curve_)):
        assert all(isinstance(value, float) for value in got)
        np.testing.assert_allclose(got, expected, rtol=1e-9)  # NaN where scikit-learn has NaN
    assert np.isnan(mine.validation_scores_[-1]) and np.isnan(mine.loss_)
    assert mine.best_validation_score_ == pytest.approx(reference.best_validation_score_, rel=1e-9)
    # Both end with the weights of the best validation score, finite.
    for got, expected in zip(mine.coefs_, reference.coefs_):
        np.testing.assert_allclose(got, expected, rtol=1e-9)
    np.testing.assert_allclose(mine.predict(X_IRIS), reference.predict(X_IRIS), rtol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_divergence_without_early_stopping_raises_scikit_learns_error(solver):
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(10, 2))
    y = rng.standard_normal(size=10)
    estimator = nncore.MLPRegressor(solver=solver, random_state=0)
    with pytest.raises(ValueError, match=SKLEARN_SENTENCE) as error:
        estimator.fit(X, y)
    # nncore's own explanation follows: the step was undone.
    assert "training diverged at step 0" in str(error.value)
    assert all(np.isfinite(c).all() for c in estimator.coefs_)


def test_divergence_in_partial_fit_raises_scikit_learns_error():
    estimator = nncore.MLPRegressor(**dict(DIVERGING, max_iter=200))
    with pytest.raises(ValueError, match=SKLEARN_SENTENCE):
        for _ in range(50):
            estimator.partial_fit(X_IRIS, Y_IRIS)
    assert all(np.isfinite(c).all() for c in estimator.coefs_)


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_optimizer_learning_rate_is_scikit_learns(solver, learning_rate):
    params = dict(hidden_layer_sizes=4, solver=solver, learning_rate=learning_rate, tol=0.5,
                  max_iter=60, power_t=0.25, random_state=0, warm_start=True)
    X, y = [[3, 2], [1, 6], [5, 6], [-2, -4]], [1, 1, 1, 0]
    mine, reference = nncore.MLPClassifier(**params), SklearnClassifier(**params)
    for _ in range(2):
        mine.fit(X, y)
        reference.fit(X, y)
        assert mine._optimizer.learning_rate == pytest.approx(
            reference._optimizer.learning_rate, rel=1e-12)


def test_no_optimizer_for_lbfgs():
    estimator = nncore.MLPClassifier(solver="lbfgs", max_iter=5).fit([[0.0], [1.0]], [0, 1])
    assert not hasattr(estimator, "_optimizer")
    assert not hasattr(nncore.MLPClassifier(), "_optimizer")


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_loss_grad_lbfgs_is_scikit_learns(n_classes, alpha):
    rng = np.random.default_rng(1)
    X = rng.random((7, 5))
    y = np.arange(7) % n_classes
    params = dict(hidden_layer_sizes=(4, 3), activation="tanh", solver="lbfgs", alpha=alpha,
                  max_iter=1, random_state=1)
    mine = nncore.MLPClassifier(**params).fit(X, y)
    reference = SklearnClassifier(**params).fit(X, y)
    Y = reference._label_binarizer.transform(y)
    theta = rng.normal(size=sum(c.size + b.size for c, b in zip(mine.coefs_, mine.intercepts_)))
    results = []
    for estimator in (mine, reference):
        layers = [5, 4, 3, Y.shape[1]]
        coef_grads = [np.empty(shape) for shape in zip(layers, layers[1:])]
        intercept_grads = [np.empty(n) for n in layers[1:]]
        loss, grad = estimator._loss_grad_lbfgs(theta, X, Y, None, [X] + [None] * 3, [None] * 3,
                                                coef_grads, intercept_grads)
        results.append((loss, grad, coef_grads, intercept_grads))
    (loss, grad, coef_grads, intercept_grads), expected = results
    assert loss == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(grad, expected[1], rtol=1e-10, atol=1e-14)
    for got, want in zip(coef_grads + intercept_grads, expected[2] + expected[3]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    # The model is left at theta, in scikit-learn's packing.
    np.testing.assert_allclose(mine.predict_proba(X), reference.predict_proba(X), rtol=1e-10)


def test_lbfgs_ending_with_non_finite_parameters_raises_and_restores(monkeypatch):
    estimator = nncore.MLPRegressor(hidden_layer_sizes=3, solver="lbfgs", max_iter=3,
                                    random_state=0, warm_start=True).fit(X_IRIS, Y_IRIS)
    before = estimator._model.params_.copy()
    minimize = scipy.optimize.minimize

    def diverging(*args, **kwargs):
        result = minimize(*args, **kwargs)
        result.x = np.full_like(result.x, np.nan)
        return result

    monkeypatch.setattr(scipy.optimize, "minimize", diverging)
    with pytest.raises(ValueError, match=SKLEARN_SENTENCE + " L-BFGS-B ended with non-finite"):
        estimator.fit(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(estimator._model.params_, before)
