"""A diverging step of MLPClassifier or MLPRegressor raises ValueError and is
undone: coefs_, intercepts_ and the optimizer's state (moments, step count,
rate) are bit for bit those before the step. Each case calls partial_fit with
one full batch per call, so a call is one step, and keeps a pickled snapshot
of the estimator from before each call to compare the failing one with."""
import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

import nncore  # noqa: E402

N_SAMPLES = 30


def problem():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((N_SAMPLES, 4))
    return X, (X[:, 0] > 0).astype(int), 3 * X.sum(axis=1)


def training_state(estimator):
    """Everything training changes, without the last (failed) loss it reports."""
    model = estimator._model
    state = model._get_state() if hasattr(model, "_get_state") else model._engine.get_state()
    state = dict(state)
    state.pop("loss", None)
    return state


def assert_same_state(actual, expected):
    assert actual.keys() == expected.keys()
    for key in expected:
        if isinstance(expected[key], np.ndarray):
            np.testing.assert_array_equal(actual[key], expected[key], strict=True, err_msg=key)
        else:
            assert actual[key] == expected[key], key


# (estimator, solver, learning rate, the call that diverges): rates that
# diverge after some steps that succeed, so the optimizer has a state to keep.
CASES = [
    ("MLPRegressor", "sgd", 0.3, 8),
    ("MLPRegressor", "adam", 1e308, 2),
    ("MLPClassifier", "sgd", 1e306, 2),
    ("MLPClassifier", "adam", 1e308, 2),
]


@pytest.mark.parametrize("kind, solver, learning_rate, diverging_call", CASES,
                         ids=[f"{kind}-{solver}" for kind, solver, _, _ in CASES])
def test_diverging_step_is_undone(kind, solver, learning_rate, diverging_call):
    X, labels, values = problem()
    estimator = getattr(nncore, kind)(hidden_layer_sizes=(8,), solver=solver, momentum=0.9,
                                      learning_rate_init=learning_rate, batch_size=N_SAMPLES,
                                      random_state=0)
    y, extra = (labels, {"classes": [0, 1]}) if kind == "MLPClassifier" else (values, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy on the huge values
        for call in range(1, diverging_call + 1):
            snapshot = pickle.dumps(estimator)
            coefs = [c.copy() for c in estimator.coefs_] if call > 1 else None
            intercepts = [b.copy() for b in estimator.intercepts_] if call > 1 else None
            state = training_state(estimator) if call > 1 else None
            if call < diverging_call:
                estimator.partial_fit(X, y, **extra)
                continue
            with pytest.raises(ValueError, match="diverged at step 0: the loss is (inf|nan), "
                                                 "expected a finite value; the parameters are "
                                                 "left as they were before that step"):
                estimator.partial_fit(X, y, **extra)
    before = pickle.loads(snapshot)
    assert before.t_ == estimator.t_ == (diverging_call - 1) * N_SAMPLES > 0
    assert np.any(state["first_moment"] != 0)  # a velocity or moment to keep
    for actual, expected, copied in zip(estimator.coefs_, before.coefs_, coefs):
        np.testing.assert_array_equal(actual, expected, strict=True)
        np.testing.assert_array_equal(actual, copied, strict=True)
    for actual, expected, copied in zip(estimator.intercepts_, before.intercepts_, intercepts):
        np.testing.assert_array_equal(actual, expected, strict=True)
        np.testing.assert_array_equal(actual, copied, strict=True)
    np.testing.assert_array_equal(estimator._model.params_, before._model.params_, strict=True)
    assert_same_state(training_state(estimator), training_state(before))
    assert_same_state(training_state(estimator), state)
    assert np.isfinite(estimator._model.params_).all()
