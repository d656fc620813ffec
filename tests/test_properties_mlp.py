"""Properties of MLP on random architectures, heads, dtypes, batches and
inputs (Hypothesis, derandomized: the same cases on every run).

predict and loss equal a forward pass written here in NumPy from coefs_ and
intercepts_; the same values in any layout give the same bits; the caller's
arrays are never modified; NaN, infinity and mismatched shapes are a
ValueError naming the argument; huge and subnormal values train to finite
parameters or raise ValueError, and a refused call changes nothing."""
import copy
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import nncore
from nncore import reference
from nncore._config import HIDDEN_ACTIVATIONS, VALID_HEADS

PROPERTY = settings(derandomize=True, deadline=None, max_examples=100,
                    suppress_health_check=[HealthCheck.too_slow])
TOLERANCE = {np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12),
             np.dtype(np.float32): dict(rtol=2e-4, atol=1e-5)}


@st.composite
def models(draw):
    output, loss = draw(st.sampled_from(VALID_HEADS))
    n_out = draw(st.integers(2 if output == "softmax" else 1, 4))
    sizes = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    return nncore.MLP(
        sizes + [n_out], activation=draw(st.sampled_from(HIDDEN_ACTIVATIONS)),
        output_activation=output, loss=loss, bias=draw(st.booleans()),
        dtype=draw(st.sampled_from([np.float64, np.float32])),
        random_state=draw(st.integers(0, 2**16)))


def targets(model, n_samples, rng):
    """Targets of the right kind for the model's loss, as float64."""
    n_out = model.n_outputs
    if model.loss_name == "cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, n_samples)]
    if model.loss_name == "binary_cross_entropy":
        return rng.integers(0, 2, (n_samples, n_out)).astype(float)
    if model.loss_name == "poisson":
        return rng.poisson(1.5, (n_samples, n_out)).astype(float)
    return rng.standard_normal((n_samples, n_out))


@st.composite
def problems(draw, values=st.floats(-3, 3, allow_nan=False, allow_infinity=False, width=32)):
    """(model, X, y, sample_weight): X and y float64, C-contiguous."""
    model = draw(models())
    n_samples = draw(st.integers(1, 8))
    X = draw(hnp.arrays(np.float64, (n_samples, model.n_inputs), elements=values))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    weights = rng.uniform(0.5, 2.0, n_samples) if draw(st.booleans()) else None
    return model, X, targets(model, n_samples, rng), weights


def numpy_forward(model, X):
    """The output layer's values, in float64, from coefs_ and intercepts_."""
    a = np.asarray(X, dtype=np.float64)
    n_layers = len(model.coefs_)
    for layer, coef in enumerate(model.coefs_):
        z = a @ coef.astype(np.float64)
        if model.bias:
            z = z + model.intercepts_[layer].astype(np.float64)
        activation = model.output_activation if layer == n_layers - 1 else model.activation
        a = reference.activation_forward(activation, z, model.negative_slope)
    return a, z


def numpy_loss(model, X, y, sample_weight, l2):
    """The loss as MLP documents it: the reference's summed data term,
    divided by the weight sum (but for sse), plus the L2 term scaled alike."""
    output, total = numpy_forward(model, X)
    weights = np.ones(len(X)) if sample_weight is None else sample_weight
    if model.loss_name in ("squared_error", "sse"):
        _, summed = reference.weighted_squared_error_backward(output, y, weights, 1.0)
        summed /= 2 if model.loss_name == "squared_error" else 1
    elif model.loss_name == "absolute_error":
        _, summed = reference.absolute_error_backward(output, y, weights, 1.0)
    elif model.loss_name == "huber":
        _, summed = reference.huber_backward(output, y, weights, 1.0, model.huber_delta)
    else:
        backward = {"binary_cross_entropy": reference.logistic_cross_entropy_backward,
                    "cross_entropy": reference.softmax_cross_entropy_backward,
                    "poisson": reference.poisson_backward}[model.loss_name]
        _, summed = backward(total, output, y, weights, 1.0)
    scale = 1.0 if model.loss_name == "sse" else 1.0 / weights.sum()
    squares = sum(np.sum(coef.astype(np.float64) ** 2) for coef in model.coefs_)
    return scale * summed + 0.5 * l2 * scale * squares


@PROPERTY
@given(problems(), st.sampled_from([0.0, 0.1]))
def test_predict_and_loss_equal_a_numpy_forward_pass(problem, l2):
    model, X, y, weights = problem
    tolerance = TOLERANCE[model.dtype]
    X = X.astype(model.dtype).astype(np.float64)  # the values the model computes on
    expected, _ = numpy_forward(model, X)
    predicted = model.predict(X)
    assert predicted.dtype == model.dtype and predicted.shape == expected.shape
    np.testing.assert_allclose(predicted, expected, **tolerance)
    np.testing.assert_allclose(model.predict(X[0]), expected[0], **tolerance)
    loss = model.loss(X, y, sample_weight=weights, l2=l2)
    np.testing.assert_allclose(loss, numpy_loss(model, X, y, weights, l2), **tolerance)


# Each layout of the same (integer-valued for "int") values.
LAYOUTS = {
    "list": lambda a: a.tolist(),
    "int": lambda a: a.astype(np.int64),
    "fortran": np.asfortranarray,
    "strided": lambda a: np.repeat(a, 2, axis=-1)[..., ::2],
    "read-only": lambda a: np.lib.stride_tricks.as_strided(a, writeable=False),
    "big-endian": lambda a: a.astype(">f8"),
    "float32": lambda a: a.astype(np.float32),
}


def exercise(model, X, y, weights):
    """Everything the model computes from (X, y, sample_weight), then a fit."""
    results = {"predict": model.predict(X), "loss": model.loss(X, y, sample_weight=weights),
               "score": model.score(X, y, sample_weight=weights)}
    gradients = model.gradients(X, y, sample_weight=weights, l2=0.01)
    results["gradients"] = np.concatenate([g.ravel() for g in gradients.coefs + gradients.intercepts])
    history = model.fit(X, y, epochs=2, batch_size=max(1, len(X) // 2), sample_weight=weights,
                        random_state=0, optimizer="adam")
    results["fit loss"] = history.loss
    results["params"] = model.params_.copy()
    return results


@PROPERTY
@given(problems(), st.sampled_from(sorted(LAYOUTS)), st.sampled_from(["X", "y", "sample_weight"]))
def test_any_layout_gives_the_same_bits_and_is_not_modified(problem, layout, argument):
    model, X, y, weights = problem
    if argument == "sample_weight" and weights is None:
        weights = np.ones(len(X))
    values = {"X": X, "y": y, "sample_weight": weights}
    if layout == "int" or (layout == "float32" and model.dtype == np.float64):
        values[argument] = np.round(values[argument])  # exact in the layout
    given_ = dict(values, **{argument: LAYOUTS[layout](values[argument])})
    before = copy.deepcopy(given_)
    writeable = {k: v.flags.writeable for k, v in given_.items() if isinstance(v, np.ndarray)}
    twin = copy.deepcopy(model)

    actual = exercise(model, given_["X"], given_["y"], given_["sample_weight"])
    plain = {k: None if v is None else np.ascontiguousarray(v, dtype=model.dtype)
             for k, v in values.items()}
    expected = exercise(twin, plain["X"], plain["y"], plain["sample_weight"])
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], strict=True, err_msg=key)
    for key, value in given_.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, before[key], strict=True)
            assert value.flags.writeable == writeable[key]
        else:
            assert value == before[key]


def with_non_finite(problem, argument, value, where):
    model, X, y, weights = problem
    values = {"X": X.copy(), "y": y.copy(),
              "sample_weight": np.ones(len(X)) if weights is None else weights.copy()}
    bad = values[argument].reshape(-1)
    bad[where % bad.size] = value
    return model, values


def assert_refused_without_change(model, call, match):
    params = model.params_.copy()
    optimizer = model.optimizer_
    with pytest.raises(ValueError, match=match):
        call()
    np.testing.assert_array_equal(model.params_, params, strict=True)
    assert model.optimizer_ is optimizer


METHODS = {
    "fit": lambda m, v: m.fit(v["X"], v["y"], epochs=1, sample_weight=v["sample_weight"]),
    "partial_fit": lambda m, v: m.partial_fit(v["X"], v["y"], sample_weight=v["sample_weight"]),
    "loss": lambda m, v: m.loss(v["X"], v["y"], sample_weight=v["sample_weight"]),
    "gradients": lambda m, v: m.gradients(v["X"], v["y"], sample_weight=v["sample_weight"]),
    "score": lambda m, v: m.score(v["X"], v["y"], sample_weight=v["sample_weight"]),
}


@PROPERTY
@given(problems(), st.sampled_from(["X", "y", "sample_weight"]),
       st.sampled_from([np.nan, np.inf, -np.inf]), st.integers(0, 100), st.sampled_from(sorted(METHODS)))
def test_non_finite_values_are_refused_by_name(problem, argument, value, where, method):
    model, values = with_non_finite(problem, argument, value, where)
    if argument == "y" and model.loss_name == "cross_entropy":
        values["y"] = values["y"].astype(float)  # one-hot rows, so NaN can be one
    assert_refused_without_change(model, lambda: METHODS[method](model, values),
                                  f"^{argument}: .*(NaN or infinity|negative weights)")
    if argument == "X":
        row = values["X"][~np.isfinite(values["X"]).all(axis=1)][0]
        with pytest.raises(ValueError, match="^X: contains NaN or infinity"):
            model.predict(values["X"])
        with pytest.raises(ValueError, match="^X: contains NaN or infinity"):
            model.predict(row, out=np.empty(model.n_outputs, dtype=model.dtype))


EXTREMES = st.sampled_from([1e300, -1e300, 1e30, -1e30, 3e38, 5e-324, -1e-310, 1e-40, 0.0, 1.0])


@PROPERTY
@given(problems(values=EXTREMES), st.sampled_from(["sgd", "adam"]), st.sampled_from([None, 1]))
def test_huge_and_subnormal_values_train_to_finite_results_or_are_refused(problem, optimizer,
                                                                          batch_size):
    model, X, y, weights = problem
    try:
        model.fit(X, y, epochs=3, sample_weight=weights, optimizer=optimizer,
                  batch_size=batch_size, random_state=0)
    except ValueError as exc:
        # Too large for float32 (X), or a step whose loss or update is not finite.
        assert str(exc).startswith("X: has values too large") or "step" in str(exc), exc
    assert np.isfinite(model.params_).all()
    try:
        predicted = model.predict(X)
    except ValueError as exc:
        assert re.match("X: (has values too large|got values whose outputs overflow)", str(exc)), exc
    else:
        assert np.isfinite(predicted).all()


@PROPERTY
@given(problems(), st.sampled_from(["X columns", "y rows", "y columns", "sample_weight length"]),
       st.sampled_from([-1, 1]), st.sampled_from(sorted(METHODS)))
def test_shape_mismatches_are_refused_by_name(problem, mismatch, change, method):
    model, X, y, weights = problem
    values = {"X": X, "y": y, "sample_weight": np.ones(len(X)) if weights is None else weights}
    argument, axis = {"X columns": ("X", 1), "y rows": ("y", 0), "y columns": ("y", 1),
                      "sample_weight length": ("sample_weight", 0)}[mismatch]
    array = values[argument]
    size = array.shape[axis] + change
    if size == 0:
        size = array.shape[axis] + 1
    shape = list(array.shape)
    shape[axis] = size
    values[argument] = np.resize(array, shape)
    if argument == "y" and model.loss_name == "cross_entropy" and axis == 1:
        values["y"] = np.abs(values["y"])
    assert_refused_without_change(model, lambda: METHODS[method](model, values), f"^{argument}: ")
    if argument == "X":
        with pytest.raises(ValueError, match="^X: got .* features"):
            model.predict(values["X"])
