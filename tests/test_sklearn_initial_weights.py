"""coefs_ and intercepts_ assigned to an unfitted estimator: partial_fit, and
fit with warm_start=True, start from them as scikit-learn's do (nothing drawn
from random_state); fit without warm_start draws afresh. Shapes are checked
against the data at that call."""
import pickle

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnRegressor  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

import nncore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y_CLASSES = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)  # three classes
Y_REGRESSION = np.column_stack([X @ [1.0, -2.0, 0.5], np.sin(X[:, 0])])
HIDDEN = (4, 3)


def _weights(layer_units, seed=1):
    rng = np.random.default_rng(seed)
    coefs = [rng.normal(scale=0.5, size=shape) for shape in zip(layer_units, layer_units[1:])]
    intercepts = [rng.normal(scale=0.5, size=n_out) for n_out in layer_units[1:]]
    return coefs, intercepts


def _start(estimator, coefs, intercepts, out_activation):
    """Assign the weights, and the bookkeeping scikit-learn's own estimator
    needs to continue from them (nncore's needs none of it)."""
    estimator.coefs_ = [c.copy() for c in coefs]
    estimator.intercepts_ = [b.copy() for b in intercepts]
    if not isinstance(estimator, (nncore.MLPClassifier, nncore.MLPRegressor)):
        estimator.n_layers_ = len(coefs) + 1
        estimator.out_activation_ = out_activation
        estimator.t_ = 0
        estimator.loss_curve_ = []
        estimator.best_loss_ = np.inf
        estimator._no_improvement_count = 0
    return estimator


CASES = [
    (nncore.MLPClassifier, SklearnClassifier, Y_CLASSES, 3, "softmax"),
    (nncore.MLPRegressor, SklearnRegressor, Y_REGRESSION, 2, "identity"),
]
CASE_IDS = ["classifier", "regressor"]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("ours, theirs, y, n_outputs, out_activation", CASES, ids=CASE_IDS)
def test_partial_fit_starts_from_assigned_weights_as_scikit_learn(
        ours, theirs, y, n_outputs, out_activation, solver):
    coefs, intercepts = _weights([3, *HIDDEN, n_outputs])
    params = dict(hidden_layer_sizes=HIDDEN, solver=solver, batch_size=8, random_state=3,
                  learning_rate_init=0.05)
    extra = {"classes": np.unique(y)} if ours is nncore.MLPClassifier else {}
    fitted = []
    for kind in (ours, theirs):
        estimator = _start(kind(**params), coefs, intercepts, out_activation)
        for _ in range(3):
            estimator.partial_fit(X, y, **extra)
        fitted.append(estimator)
    mine, reference = fitted
    for got, expected in zip([*mine.coefs_, *mine.intercepts_],
                             [*reference.coefs_, *reference.intercepts_]):
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mine.loss_curve_, reference.loss_curve_, rtol=1e-9)
    assert mine.n_features_in_ == 3 and mine.t_ == reference.t_
    # The given arrays are the user's: copied in, never trained in place.
    np.testing.assert_array_equal(coefs[0], _weights([3, *HIDDEN, n_outputs])[0][0])


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("ours, theirs, y, n_outputs, out_activation", CASES, ids=CASE_IDS)
def test_warm_start_fit_starts_from_assigned_weights_as_scikit_learn(
        ours, theirs, y, n_outputs, out_activation, solver):
    coefs, intercepts = _weights([3, *HIDDEN, n_outputs])
    params = dict(hidden_layer_sizes=HIDDEN, solver=solver, max_iter=5, random_state=3,
                  warm_start=True, batch_size=16)
    mine = _start(ours(**params), coefs, intercepts, out_activation).fit(X, y)
    reference = _start(theirs(**params), coefs, intercepts, out_activation).fit(X, y)
    rtol = 1e-5 if solver == "lbfgs" else 1e-9
    for got, expected in zip([*mine.coefs_, *mine.intercepts_],
                             [*reference.coefs_, *reference.intercepts_]):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=1e-9)
    assert mine.n_iter_ == reference.n_iter_
    np.testing.assert_allclose(mine.predict(X), reference.predict(X), rtol=rtol, atol=1e-9)


@pytest.mark.parametrize("ours, theirs, y, n_outputs, out_activation", CASES, ids=CASE_IDS)
def test_fit_without_warm_start_draws_afresh(ours, theirs, y, n_outputs, out_activation):
    coefs, intercepts = _weights([3, *HIDDEN, n_outputs])
    params = dict(hidden_layer_sizes=HIDDEN, max_iter=5, random_state=3)
    started = _start(ours(**params), coefs, intercepts, out_activation).fit(X, y)
    fresh = ours(**params).fit(X, y)
    for got, expected in zip(started.coefs_, fresh.coefs_):
        np.testing.assert_array_equal(got, expected)


def test_item_assignment_on_the_assigned_list():
    """scikit-learn's worked example sets coefs_ = [0] * 2, then each item."""
    estimator = nncore.MLPRegressor(hidden_layer_sizes=2, solver="sgd", random_state=0)
    estimator.coefs_ = [0] * 2
    estimator.intercepts_ = [0] * 2
    estimator.coefs_[0] = np.ones((3, 2))
    estimator.coefs_[1] = np.ones((2, 1))
    estimator.intercepts_[0] = np.zeros(2)
    estimator.intercepts_[1] = np.zeros(1)
    assert isinstance(estimator.coefs_, list) and estimator.coefs_[1].shape == (2, 1)
    estimator.partial_fit(X, X[:, 0])
    assert estimator.coefs_[0].shape == (3, 2) and estimator.n_iter_ == 1
    assert "_initial_coefs" not in vars(estimator)  # now the network's live views


def test_assigned_weights_do_not_make_a_fitted_estimator():
    estimator = nncore.MLPClassifier(hidden_layer_sizes=HIDDEN)
    coefs, intercepts = _weights([3, *HIDDEN, 3])
    estimator.coefs_, estimator.intercepts_ = coefs, intercepts
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    with pytest.raises(NotFittedError):
        estimator.predict(X)
    assert clone(estimator).__dict__.get("_initial_coefs") is None
    assert not hasattr(clone(estimator), "coefs_")


def test_assigned_weights_pickle_and_start_the_same():
    coefs, intercepts = _weights([3, *HIDDEN, 2])
    estimator = _start(nncore.MLPRegressor(hidden_layer_sizes=HIDDEN, solver="sgd",
                                           random_state=0), coefs, intercepts, "identity")
    copy = pickle.loads(pickle.dumps(estimator))
    for fitted in (estimator, copy):
        fitted.partial_fit(X, Y_REGRESSION)
    for got, expected in zip(copy.coefs_, estimator.coefs_):
        np.testing.assert_array_equal(got, expected)


def _started(coefs, intercepts, **params):
    estimator = nncore.MLPRegressor(hidden_layer_sizes=HIDDEN, solver="sgd", **params)
    estimator.coefs_, estimator.intercepts_ = coefs, intercepts
    return estimator


@pytest.mark.parametrize("change, match", [
    (lambda c, b: (c[:2], b), r"coefs_: got 2 arrays, expected 3, one per layer of the network of "
                              r"X's 3 features, hidden_layer_sizes=\[4, 3\] and y's 2 output"),
    (lambda c, b: (c, b + [np.zeros(2)]), r"intercepts_: got 4 arrays, expected 3"),
    (lambda c, b: ([c[0], c[1].T, c[2]], b), r"coefs_\[1\]: got shape \(3, 4\), expected \(4, 3\)"),
    (lambda c, b: (c, [b[0], b[1], b[2][:1]]),
     r"intercepts_\[2\]: got shape \(1,\), expected \(2,\)"),
    (lambda c, b: ([c[0], c[1], np.full((3, 2), np.nan)], b), r"coefs_\[2\]"),
])
def test_assigned_weights_are_checked_against_the_data(change, match):
    coefs, intercepts = change(*_weights([3, *HIDDEN, 2]))
    estimator = _started(coefs, intercepts)
    with pytest.raises(ValueError, match=match):
        estimator.partial_fit(X, Y_REGRESSION)
    assert not hasattr(estimator, "n_iter_")  # refused before anything was trained


def test_both_must_be_assigned():
    estimator = nncore.MLPRegressor(hidden_layer_sizes=HIDDEN, solver="sgd")
    estimator.coefs_ = _weights([3, *HIDDEN, 2])[0]
    with pytest.raises(ValueError,
                       match="intercepts_: got none with coefs_ assigned, expected both"):
        estimator.partial_fit(X, Y_REGRESSION)


def test_assigning_something_not_a_list_is_refused():
    estimator = nncore.MLPRegressor()
    with pytest.raises(TypeError, match="coefs_: got float, expected a list of arrays"):
        estimator.coefs_ = 1.0
    with pytest.raises(AttributeError, match="not fitted"):
        estimator.intercepts_  # noqa: B018
