"""MLPClassifier and MLPRegressor against scikit-learn's on random small
problems (Hypothesis, derandomized): either both fit and learn the same
coefs_ and intercepts_, or both raise the same exception type."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

pytest.importorskip("sklearn")
from sklearn import neural_network as reference  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

import nncore  # noqa: E402

PROPERTY = settings(derandomize=True, deadline=None, max_examples=200,
                    suppress_health_check=[HealthCheck.too_slow])
# float64: the same operations, summed in another order; float32 rounds
# each step, and the differences grow with the steps.
TOLERANCE = {np.float64: dict(rtol=1e-6, atol=1e-9), np.float32: dict(rtol=2e-3, atol=2e-4)}


@st.composite
def problems(draw):
    """(estimator name, X, y, parameters) of a small, well-conditioned problem."""
    kind = draw(st.sampled_from(["MLPClassifier", "MLPRegressor"]))
    n_samples = draw(st.integers(3, 40))
    n_features = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    if kind == "MLPClassifier":
        # Labels drawn at random: a class may be missing; one class is an error.
        y = rng.integers(0, draw(st.integers(1, 4)), n_samples)
    else:
        n_targets = draw(st.integers(1, 3))
        y = np.tanh(X @ rng.standard_normal((n_features, n_targets))).astype(dtype)
        y = y[:, 0] if n_targets == 1 else y
    # Now and then a value both must refuse.
    damage = draw(st.sampled_from([None] * 8 + [np.nan, np.inf]))
    if damage is not None:
        X[rng.integers(n_samples), rng.integers(n_features)] = damage
    parameters = {
        "hidden_layer_sizes": tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=2))),
        "solver": draw(st.sampled_from(["sgd", "adam"])),
        "batch_size": draw(st.one_of(st.just("auto"), st.integers(1, n_samples))),
        "activation": draw(st.sampled_from(["identity", "logistic", "tanh", "relu"])),
        "alpha": draw(st.sampled_from([0.0, 1e-4, 0.1])),
        "shuffle": draw(st.booleans()),
        "max_iter": draw(st.integers(1, 5)),
        "learning_rate_init": draw(st.sampled_from([0.001, 0.01, 0.05])),
        "random_state": draw(st.integers(0, 100)),
    }
    return kind, X, y, parameters


def fit(estimator, X, y):
    """The fitted estimator, or the type of the exception fit raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            return estimator.fit(X, y)
        except Exception as exc:  # compared with the other library's below
            return type(exc)


@PROPERTY
@given(problems())
def test_same_model_as_scikit_learn_or_the_same_error(problem):
    kind, X, y, parameters = problem
    ours = fit(getattr(nncore, kind)(**parameters), X, y)
    theirs = fit(getattr(reference, kind)(**parameters), X, y)
    if isinstance(theirs, type) or isinstance(ours, type):
        assert ours == theirs
        return
    tolerance = TOLERANCE[X.dtype.type]
    assert ours.n_iter_ == theirs.n_iter_
    assert len(ours.coefs_) == len(theirs.coefs_)
    for mine, expected in zip(list(ours.coefs_) + list(ours.intercepts_),
                              theirs.coefs_ + theirs.intercepts_):
        assert mine.dtype == expected.dtype
        np.testing.assert_allclose(mine, expected, **tolerance)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=tolerance["rtol"])
