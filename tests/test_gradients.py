"""MLP.gradients() against five-point finite differences of MLP.loss(), for
every activation x loss x bias, at depths 1 to 3, with sample weights and L2.

The gradient must be that of the loss that loss() reports, including its
scaling (sum or mean, halving, weights, L2), so the two are checked together.
"""
import itertools
import zlib

import numpy as np
import pytest

import nncore
from nncore._config import HIDDEN_ACTIVATIONS, VALID_HEADS

# Every hidden activation, and every (output activation, loss) pair a model may have.
HIDDEN = list(HIDDEN_ACTIVATIONS)
HEADS = list(VALID_HEADS)
DEPTH_WIDTHS = {1: (3, 2), 2: (3, 4, 2), 3: (3, 4, 3, 2)}


def make_problem(depth, hidden, head, bias, rng, n_samples=6):
    output_activation, loss = head
    model = nncore.MLP(DEPTH_WIDTHS[depth], activation=hidden, output_activation=output_activation,
                       loss=loss, bias=bias, random_state=int(rng.integers(1 << 30)),
                       negative_slope=0.1)
    # Larger weights than Glorot's, so activations are well inside their
    # curved parts, and no ReLU input sits near its kink.
    model.params_[...] = rng.uniform(-1.5, 1.5, model.params_.size)
    if output_activation == "exp":
        # exp's derivatives grow with it: keep the outputs within e**±3 or
        # so, where a five-point difference is still accurate.
        model.coefs_[-1][...] /= 3
        if bias:
            model.intercepts_[-1][...] /= 3
    x = rng.standard_normal((n_samples, 3))
    if loss == "cross_entropy":
        y = rng.dirichlet(np.ones(2), size=n_samples)
    elif loss == "poisson":  # counts >= 0, zeros among them (y log y = 0 there)
        y = rng.poisson(1.5, (n_samples, 2)).astype(float)
    else:
        y = rng.random((n_samples, 2))
    return model, x, y


def flat(gradients, model):
    out = np.empty_like(model.params_)
    for (weights_at, bias_at), coef, intercept in itertools.zip_longest(
            model._engine.weight_slices(), gradients.coefs, gradients.intercepts):
        out[weights_at] = coef.ravel()
        if bias_at is not None:
            out[bias_at] = intercept
    return out


def near_kink(model, x):
    """Whether some ReLU-family input is within 1e-3 of 0, where differences jump."""
    inputs = x
    for l, (coef, intercept) in enumerate(itertools.zip_longest(model.coefs_, model.intercepts_)):
        total = inputs @ coef + (intercept if intercept is not None else 0)
        if np.abs(total).min() < 1e-3:
            return True
        probe = nncore.MLP(model.layer_sizes[: l + 2], activation=model.activation,
                           output_activation=model.activation, bias=model.bias,
                           negative_slope=model.negative_slope)
        probe.coefs_ = model.coefs_[: l + 1]
        if model.bias:
            probe.intercepts_ = model.intercepts_[: l + 1]
        inputs = probe.predict(x)
    return False


# Depth 1 has no hidden layer, so its hidden activation is moot.
CASES = [(depth, hidden) for depth in (1, 2, 3) for hidden in HIDDEN
         if depth > 1 or hidden == "relu"]


@pytest.mark.parametrize("depth, hidden", CASES)
@pytest.mark.parametrize("head", HEADS, ids=lambda head: "-".join(head))
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_gradient_matches_finite_differences(depth, hidden, head, bias, five_point_gradient):
    rng = np.random.default_rng(zlib.crc32(repr((depth, hidden, head, bias)).encode()))
    for _ in range(20):
        model, x, y = make_problem(depth, hidden, head, bias, rng)
        if not near_kink(model, x):
            break
    weights = rng.uniform(0.5, 2.0, x.shape[0])
    analytic = model.gradients(x, y, sample_weight=weights, l2=0.3)
    assert analytic.loss == pytest.approx(model.loss(x, y, sample_weight=weights, l2=0.3), rel=1e-13)
    numeric = five_point_gradient(
        model.params_, lambda: model.loss(x, y, sample_weight=weights, l2=0.3))
    np.testing.assert_allclose(flat(analytic, model), numeric, rtol=1e-6, atol=1e-8)


def test_gradient_is_not_trivially_zero():
    rng = np.random.default_rng(0)
    model, x, y = make_problem(2, "tanh", ("identity", "squared_error"), True, rng)
    gradients = model.gradients(x, y)
    assert np.abs(flat(gradients, model)).min() > 0


def test_unweighted_mean_loss_is_half_the_mean_squared_error_per_sample():
    rng = np.random.default_rng(1)
    model, x, y = make_problem(2, "tanh", ("identity", "squared_error"), True, rng)
    expected = 0.5 * np.mean(np.sum((model.predict(x) - y) ** 2, axis=1))
    assert model.loss(x, y) == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_of_saturated_outputs_is_finite():
    model = nncore.MLP((2, 3), output_activation="softmax", random_state=0)
    model.coefs_[0][...] = [[900.0, -900.0, 0.0], [0.0, 0.0, 0.0]]
    model.intercepts_[0][...] = 0.0
    x = np.array([[1.0, 0.0]])
    for label in range(3):
        gradients = model.gradients(x, np.array([label]))
        assert np.isfinite(gradients.loss) and all(np.isfinite(c).all() for c in gradients.coefs)
    assert model.loss(x, np.array([0])) == pytest.approx(0.0, abs=1e-300)
    assert model.loss(x, np.array([1])) == pytest.approx(1800.0, rel=1e-14)


def test_binary_cross_entropy_of_saturated_outputs_is_finite():
    model = nncore.MLP((1, 1), output_activation="logistic", random_state=0)
    model.coefs_[0][...] = 1000.0
    model.intercepts_[0][...] = 0.0
    x = np.array([[1.0]])
    assert model.loss(x, np.array([[1.0]])) == pytest.approx(0.0, abs=1e-300)
    assert model.loss(x, np.array([[0.0]])) == pytest.approx(1000.0, rel=1e-14)
    gradients = model.gradients(x, np.array([[0.0]]))
    np.testing.assert_allclose(gradients.coefs[0], [[1.0]])
