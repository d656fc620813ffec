"""The training recipes on the engine: the activations GELU, SiLU, ELU and
softplus (whose backward passes read the kept pre-activations), the losses
absolute_error and huber, at both dtypes, through the batch path, the fused
per-sample path and sparse inputs, against the NumPy reference."""
import numpy as np
import pytest
import scipy.sparse as sp

import nncore
from nncore import reference

NEW_ACTIVATIONS = ("gelu", "silu", "elu", "softplus")
REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber")
RTOL = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 2e-5}


def reference_gradients(model, x, y, weights):
    """The loss and flat gradient of a squared_error, absolute_error or huber
    model, from nncore.reference's kernels, in the model's dtype."""
    dtype = model.dtype.type
    slope = dtype(model.negative_slope)
    n_layers = len(model.coefs_)
    totals, outputs = [], [x]
    for l in range(n_layers):
        total = reference.dense_forward(outputs[-1], model.coefs_[l], model.intercepts_[l])
        name = model.output_activation if l == n_layers - 1 else model.activation
        totals.append(total)
        outputs.append(reference.activation_forward(name, total, slope))
    factor = dtype(1 / weights.astype(np.float64).sum())
    if model.loss_name == "absolute_error":
        grad, loss = reference.absolute_error_backward(outputs[-1], y, weights, factor)
    elif model.loss_name == "huber":
        grad, loss = reference.huber_backward(outputs[-1], y, weights, factor,
                                              dtype(model.huber_delta))
    else:
        grad, loss = reference.weighted_squared_error_backward(outputs[-1], y, weights, factor)
        loss *= 0.5
    parts = []
    for l in range(n_layers - 1, -1, -1):
        name = model.output_activation if l == n_layers - 1 else model.activation
        delta = reference.activation_backward(name, grad, totals[l], outputs[l + 1], slope)
        parts = [reference.dense_backward_weights(outputs[l], delta).ravel(),
                 reference.dense_backward_bias(delta)] + parts
        grad = reference.dense_backward_input(delta, model.coefs_[l])
    return loss / weights.astype(np.float64).sum(), np.concatenate(parts)


def problem(dtype, seed=0, n_samples=12):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, 3)).astype(dtype)
    y = (rng.standard_normal((n_samples, 2)) * 2).astype(dtype)
    weights = rng.uniform(0.5, 2.0, n_samples).astype(dtype)
    return x, y, weights


@pytest.mark.parametrize("hidden", NEW_ACTIVATIONS)
@pytest.mark.parametrize("output", ("identity",) + NEW_ACTIVATIONS)
@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_gradients_match_the_reference(hidden, output, loss, dtype):
    x, y, weights = problem(dtype)
    model = nncore.MLP((3, 5, 4, 2), activation=hidden, output_activation=output, loss=loss,
                       huber_delta=0.7, dtype=dtype, random_state=1)
    model.params_[...] = np.random.default_rng(2).uniform(-1.5, 1.5, model.params_.size)
    expected_loss, expected = reference_gradients(model, x, y, weights)
    gradients = model.gradients(x, y, sample_weight=weights)
    actual = np.concatenate([part for coef, intercept in zip(gradients.coefs, gradients.intercepts)
                             for part in (coef.ravel(), intercept)])
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)
    assert gradients.loss == pytest.approx(expected_loss, rel=RTOL[dtype])


@pytest.mark.parametrize("activation", NEW_ACTIVATIONS)
@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
@pytest.mark.parametrize("optimizer", ["adam", nncore.SGD(0.05, momentum=0.9)], ids=["adam", "momentum"])
def test_fused_per_sample_steps_give_the_batch_paths_bits(activation, loss, optimizer, dtype):
    # batch_size=1 runs the fused per-sample step; one-row data sets run as a
    # whole batch, through the batch path.
    x, y, weights = problem(dtype, seed=3, n_samples=7)
    fused, batched = (nncore.MLP((3, 6, 2), activation=activation, output_activation=activation,
                                 loss=loss, huber_delta=0.5, dtype=dtype, random_state=5)
                      for _ in range(2))
    fused.fit(x, y, epochs=1, batch_size=1, shuffle=False, sample_weight=weights,
              optimizer=optimizer, warm_start=True, l2=0.01)
    for i in range(len(x)):
        batched.fit(x[i:i + 1], y[i:i + 1], epochs=1, shuffle=False, sample_weight=weights[i:i + 1],
                    optimizer=optimizer, warm_start=True, l2=0.01)
    assert np.any(fused.params_ != nncore.MLP((3, 6, 2), activation=activation, dtype=dtype,
                                              random_state=5).params_)
    np.testing.assert_array_equal(fused.params_, batched.params_, strict=True)


@pytest.mark.parametrize("activation", NEW_ACTIVATIONS)
@pytest.mark.parametrize("batch_size", [1, 5, 40])
def test_sparse_inputs_match_dense(activation, batch_size, dtype):
    rng = np.random.default_rng(7)
    X = sp.random(40, 30, density=0.1, format="csr", random_state=7,
                  data_rvs=lambda n: rng.normal(size=n)).astype(dtype)
    y = rng.standard_normal((40, 2))
    models = [nncore.MLP((30, 8, 2), activation=activation, output_activation=activation,
                         loss="huber", dtype=dtype, random_state=2) for _ in range(2)]
    options = dict(epochs=3, batch_size=batch_size, optimizer="adam", random_state=4)
    models[0].fit(X, y, **options)
    models[1].fit(X.toarray(), y, **options)
    scale = np.abs(models[1].params_).max()
    np.testing.assert_allclose(models[0].params_, models[1].params_, rtol=0,
                               atol=RTOL[dtype] * scale)
    np.testing.assert_allclose(models[0].predict(X), models[1].predict(X.toarray()),
                               rtol=RTOL[dtype], atol=RTOL[dtype])


@pytest.mark.parametrize("loss", ["absolute_error", "huber"])
def test_losses_default_to_an_identity_output(loss):
    model = nncore.MLP((2, 3, 1), loss=loss)
    assert model.output_activation == "identity"


def test_huber_is_squared_error_for_small_errors_and_linear_beyond():
    x = np.zeros((2, 1))
    model = nncore.MLP((1, 1), loss="huber", huber_delta=2.0)
    model.coefs_[0][...] = 0.0
    model.intercepts_[0][...] = 0.0
    # Errors 1 (quadratic: 1/2) and 5 (linear: 2 * (5 - 1) = 8); their mean.
    assert model.loss(x, np.array([[1.0], [5.0]])) == 0.5 * (0.5 + 8.0)
    absolute = nncore.MLP((1, 1), loss="absolute_error")
    absolute.params_[...] = 0.0
    assert absolute.loss(x, np.array([[1.0], [-5.0]])) == 0.5 * (1.0 + 5.0)


@pytest.mark.parametrize("value, error, match", [
    (0.0, ValueError, "huber_delta: got 0.0, expected a positive number"),
    (-1.0, ValueError, "huber_delta: got -1.0, expected a positive number"),
    (float("nan"), ValueError, "huber_delta: got nan, expected a finite number"),
    (float("inf"), ValueError, "huber_delta: got inf, expected a finite number"),
    ("1", TypeError, "huber_delta: got '1' of type str, expected a real number"),
])
def test_bad_huber_delta(value, error, match):
    with pytest.raises(error, match=match):
        nncore.MLP((2, 1), loss="huber", huber_delta=value)
