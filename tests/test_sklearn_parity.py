"""nncore's MLPClassifier and MLPRegressor give scikit-learn's results.

Each case fits scikit-learn's estimator and nncore's with the same
parameters and compares what they learned: coefs_, intercepts_,
loss_curve_ and n_iter_ to rtol 1e-6 in float64 (they agree to about
1e-13 on these well-conditioned problems; the difference is the order of
floating-point sums), looser in float32 and for L-BFGS.
"""
import contextlib
import io
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn import neural_network as reference  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import nncore  # noqa: E402

RTOL = 1e-6
ATOL = 1e-9  # parameters that pass near zero


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def classification(n_classes=3, n_samples=60, n_features=5, seed=0):
    X, y = make_classification(n_samples=n_samples, n_features=n_features, n_informative=3,
                               n_redundant=0, n_classes=n_classes, random_state=seed)
    return X, y


def regression(n_targets=1, n_samples=60, seed=0):
    X, y = make_regression(n_samples=n_samples, n_features=5, n_informative=4,
                           n_targets=n_targets, noise=0.1, random_state=seed)
    return X, y / np.abs(y).max()


def fit_both(kind, X, y, sample_weight=None, **params):
    ours = getattr(nncore, kind)(**params).fit(X, y, sample_weight=sample_weight)
    theirs = getattr(reference, kind)(**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs


def assert_same_model(ours, theirs, rtol=RTOL, atol=ATOL):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for mine, expected in zip(list(ours.coefs_) + list(ours.intercepts_),
                              theirs.coefs_ + theirs.intercepts_):
        assert mine.dtype == expected.dtype
        np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    if hasattr(theirs, "loss_curve_"):
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=rtol)
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=rtol) \
            if theirs.best_loss_ is not None else ours.best_loss_ is None
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=rtol)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("batch_size", [1, 7, "auto"])
@pytest.mark.parametrize("shuffle", [True, False])
def test_classifier_matches(solver, activation, batch_size, shuffle):
    X, y = classification()
    ours, theirs = fit_both("MLPClassifier", X, y, hidden_layer_sizes=(6, 4), solver=solver,
                            activation=activation, batch_size=batch_size, shuffle=shuffle,
                            learning_rate_init=0.01, max_iter=8, random_state=3)
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=RTOL, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


def fit_verbose(estimator):
    """Fit with verbose=True; what the stopping rule printed, line by line."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        estimator.fit(*classification())
    return [line for line in output.getvalue().splitlines() if line.startswith("Training loss")]


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("momentum, nesterovs_momentum", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_schedules_and_momentum(learning_rate, momentum, nesterovs_momentum):
    # tol and n_iter_no_change small enough that the stopping rule fires
    # within max_iter in every case, and for the adaptive schedule only after
    # it has divided the rate by 5 seven times, down to 0.05 / 5**7 < 1e-6.
    params = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate=learning_rate,
                  learning_rate_init=0.05, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
                  power_t=0.3, batch_size=16, tol=1e-2, n_iter_no_change=2, max_iter=60,
                  random_state=0, verbose=True)
    ours, theirs = nncore.MLPClassifier(**params), reference.MLPClassifier(**params)
    our_messages, their_messages = fit_verbose(ours), fit_verbose(theirs)
    assert theirs.n_iter_ < 60  # the rule, not max_iter, ended the fit
    assert_same_model(ours, theirs)  # at the same epoch
    assert our_messages == their_messages
    if learning_rate == "adaptive":
        assert theirs._optimizer.learning_rate == pytest.approx(0.05 / 5**7)
        divisions = [m for m in their_messages if m.endswith("Setting learning rate to %f" % (0.05 / 5**7))]
        assert len(divisions) == 1 and len(their_messages) == 8
        assert their_messages[-1].endswith("Learning rate too small. Stopping.")
    else:
        assert their_messages == ["Training loss did not improve more than tol=0.010000 for 2 "
                                  "consecutive epochs. Stopping."]


def test_stopping_rule_stops_where_scikit_learn_stops():
    X, y = classification()
    ours, theirs = fit_both("MLPClassifier", X, y, hidden_layer_sizes=(5,), tol=1e-2,
                            n_iter_no_change=3, max_iter=500, random_state=1)
    assert theirs.n_iter_ < 500  # the rule, not max_iter, ended the fit
    assert_same_model(ours, theirs)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_classes_and_output_layer(n_classes):
    X, y = classification(n_classes=n_classes)
    labels = np.array(["cat", "dog", "emu", "gnu"])[y]
    ours, theirs = fit_both("MLPClassifier", X, labels, hidden_layer_sizes=(4,), max_iter=5,
                            random_state=0)
    assert ours.out_activation_ == theirs.out_activation_
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert_same_model(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=RTOL)


def test_multilabel():
    X, _ = classification()
    rng = np.random.RandomState(0)
    Y = (X[:, :3] + 0.3 * rng.standard_normal((X.shape[0], 3)) > 0).astype(int)
    ours, theirs = fit_both("MLPClassifier", X, Y, hidden_layer_sizes=(6,), batch_size=10,
                            max_iter=10, random_state=0)
    assert ours.out_activation_ == "logistic"
    assert_same_model(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_regressor_matches(n_targets, solver, alpha):
    X, y = regression(n_targets)
    ours, theirs = fit_both("MLPRegressor", X, y, hidden_layer_sizes=(8,), solver=solver,
                            alpha=alpha, batch_size=8, learning_rate_init=0.01, max_iter=10,
                            random_state=2)
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_early_stopping(kind):
    X, y = classification(n_samples=100) if kind == "MLPClassifier" else regression(n_samples=100)
    ours, theirs = fit_both(kind, X, y, hidden_layer_sizes=(6,), early_stopping=True,
                            validation_fraction=0.2, n_iter_no_change=3, tol=1e-3,
                            learning_rate_init=0.02, max_iter=60, random_state=4)
    assert theirs.n_iter_ < 60  # the validation score, not max_iter, ended the fit
    assert ours.best_loss_ is None
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=RTOL)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=RTOL)
    # The best parameters are restored, as scikit-learn restores them.
    assert_same_model(ours, theirs)


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_sample_weight(kind, solver):
    X, y = classification() if kind == "MLPClassifier" else regression()
    weights = np.random.RandomState(1).uniform(0, 3, X.shape[0])
    ours, theirs = fit_both(kind, X, y, sample_weight=weights, hidden_layer_sizes=(5,),
                            solver=solver, batch_size=9, alpha=1e-3, max_iter=8, random_state=0)
    assert_same_model(ours, theirs)


def test_sample_weight_with_early_stopping():
    X, y = classification(n_samples=100)
    weights = np.random.RandomState(2).uniform(0.5, 2, X.shape[0])
    ours, theirs = fit_both("MLPClassifier", X, y, sample_weight=weights, hidden_layer_sizes=(5,),
                            early_stopping=True, max_iter=15, random_state=0)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=RTOL)
    assert_same_model(ours, theirs)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit(solver):
    X, y = classification()
    params = dict(hidden_layer_sizes=(5,), solver=solver, batch_size=12, random_state=0)
    ours, theirs = nncore.MLPClassifier(**params), reference.MLPClassifier(**params)
    for start in (0, 20, 40, 0):
        rows = slice(start, start + 20)
        ours.partial_fit(X[rows], y[rows], classes=np.unique(y))
        theirs.partial_fit(X[rows], y[rows], classes=np.unique(y))
    assert_same_model(ours, theirs)


def test_partial_fit_after_fit_keeps_the_optimizer():
    X, y = regression()
    params = dict(hidden_layer_sizes=(5,), solver="sgd", learning_rate="invscaling", max_iter=4,
                  random_state=0)
    ours, theirs = fit_both("MLPRegressor", X, y, **params)
    for _ in range(3):
        ours.partial_fit(X, y)
        theirs.partial_fit(X, y)
    assert_same_model(ours, theirs)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start(solver):
    X, y = classification()
    params = dict(hidden_layer_sizes=(5,), solver=solver, warm_start=True, max_iter=5,
                  random_state=0)
    ours, theirs = fit_both("MLPClassifier", X, y, **params)
    ours.set_params(max_iter=3).fit(X, y)
    theirs.set_params(max_iter=3).fit(X, y)
    assert_same_model(ours, theirs)


def test_refit_without_warm_start_starts_afresh():
    X, y = classification()
    model = nncore.MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    first = [c.copy() for c in model.fit(X, y).coefs_]
    model.fit(X, y)
    for a, b in zip(first, model.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_float32(kind, solver):
    X, y = classification() if kind == "MLPClassifier" else regression()
    X = X.astype(np.float32)
    ours, theirs = fit_both(kind, X, y, hidden_layer_sizes=(6,), solver=solver, batch_size=10,
                            max_iter=5, random_state=0)
    assert ours.coefs_[0].dtype == np.float32
    # float32 rounding differs with the order of the sums: about 1e-7 a step.
    assert_same_model(ours, theirs, rtol=2e-4, atol=1e-5)
    prediction = ours.predict_proba(X) if kind == "MLPClassifier" else ours.predict(X)
    assert prediction.dtype == np.float32


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_lbfgs(kind, activation):
    X, y = classification() if kind == "MLPClassifier" else regression(2)
    ours, theirs = fit_both(kind, X, y, hidden_layer_sizes=(6,), solver="lbfgs",
                            activation=activation, max_iter=50, random_state=0)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-3)
    if kind == "MLPClassifier":
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    else:
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-2, atol=1e-3)
    assert ours.n_iter_ == pytest.approx(theirs.n_iter_, abs=5)


def test_lbfgs_loss_is_the_loss_of_the_final_parameters():
    X, y = regression(2)
    model = nncore.MLPRegressor(hidden_layer_sizes=(6,), solver="lbfgs", alpha=0.01,
                                max_iter=30, random_state=0).fit(X, y)
    residual = model.predict(X) - y
    squares = sum((c ** 2).sum() for c in model.coefs_)
    expected = 0.5 * (residual ** 2).mean() + 0.5 * 0.01 * squares / X.shape[0]
    assert model.loss_ == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_poisson_regression(solver, n_targets):
    X, _ = regression()
    rng = np.random.RandomState(0)
    rates = np.exp(0.5 * X[:, :n_targets] + 0.2)
    y = rng.poisson(rates).astype(float)
    y = y.ravel() if n_targets == 1 else y
    ours, theirs = fit_both("MLPRegressor", X, y, loss="poisson", hidden_layer_sizes=(6,),
                            solver=solver, batch_size=10, learning_rate_init=0.01, max_iter=10,
                            random_state=0)
    assert ours.out_activation_ == "exp"
    assert_same_model(ours, theirs)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=RTOL)
