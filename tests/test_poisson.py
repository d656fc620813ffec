"""The poisson loss through the exp output, against scikit-learn's definition.

scikit-learn's MLPRegressor(loss="poisson") minimises half the Poisson
deviance (``sklearn/neural_network/_base.py::poisson_loss``): the (weighted)
mean over samples of the sum over outputs of ``xlogy(y, y / p) - y + p``,
with p = exp(z) from an exp output, plus ``alpha / 2 * sum(W**2)`` divided
by the weight sum. Its gradient in z is ``p - y`` per sample. Both are
written out here in NumPy, with the forward and backward passes, so the
test does not need scikit-learn.
"""
import numpy as np
import pytest
from scipy.special import xlogy

import nncore

SIZES = (3, 5, 4, 2)


def numpy_forward(model, x):
    """Every layer's outputs, inputs first: tanh hidden layers, an exp output."""
    outputs = [x]
    for layer, coef in enumerate(model.coefs_):
        z = outputs[-1] @ coef + model.intercepts_[layer]
        outputs.append(np.exp(z) if layer == len(model.coefs_) - 1 else np.tanh(z))
    return outputs


def sklearn_poisson_loss(y, p, sample_weight):
    return np.average(xlogy(y, y / p) - y + p, weights=sample_weight, axis=0).sum()


def sklearn_loss_and_gradients(model, x, y, sample_weight, l2):
    outputs = numpy_forward(model, x)
    weights = np.ones(x.shape[0]) if sample_weight is None else sample_weight
    weight_sum = weights.sum()
    squares = sum(np.sum(coef**2) for coef in model.coefs_)
    loss = sklearn_poisson_loss(y, outputs[-1], sample_weight) + 0.5 * l2 * squares / weight_sum
    delta = (outputs[-1] - y) * weights[:, np.newaxis] / weight_sum
    coefs, intercepts = [], []
    for layer in range(len(model.coefs_) - 1, -1, -1):
        coefs.insert(0, outputs[layer].T @ delta + l2 * model.coefs_[layer] / weight_sum)
        intercepts.insert(0, delta.sum(axis=0))
        if layer > 0:
            delta = (delta @ model.coefs_[layer].T) * (1 - outputs[layer] ** 2)
    return loss, coefs, intercepts


def make_problem(seed, n_samples=9):
    rng = np.random.default_rng(seed)
    model = nncore.MLP(SIZES, activation="tanh", loss="poisson", random_state=seed)
    x = rng.standard_normal((n_samples, SIZES[0]))
    # Counts with zeros among them, and a rate.
    y = rng.poisson(2.0, (n_samples, SIZES[-1])).astype(float)
    y[0, 0] = 0.0
    y[1, 1] = 3.25
    return model, x, y, rng.uniform(0.5, 2.0, n_samples)


def test_poisson_pairs_with_exp_both_ways():
    assert nncore.MLP((3, 2), loss="poisson").output_activation == "exp"
    assert nncore.MLP((3, 2), output_activation="exp").loss_name == "poisson"


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("l2", [0.0, 0.4], ids=["no-l2", "l2"])
def test_loss_and_gradients_equal_scikit_learns_formula(weighted, l2):
    model, x, y, weights = make_problem(seed=3)
    weights = weights if weighted else None
    loss, coefs, intercepts = sklearn_loss_and_gradients(model, x, y, weights, l2)
    assert model.loss(x, y, sample_weight=weights, l2=l2) == pytest.approx(loss, rel=1e-13)
    gradients = model.gradients(x, y, sample_weight=weights, l2=l2)
    assert gradients.loss == pytest.approx(loss, rel=1e-13)
    for ours, theirs in zip(gradients.coefs + gradients.intercepts, coefs + intercepts):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_predictions_are_exp_of_the_pre_activations():
    model, x, _, _ = make_problem(seed=4)
    np.testing.assert_allclose(model.predict(x), numpy_forward(model, x)[-1], rtol=4e-16 * 4)


def test_perfect_counts_have_zero_loss():
    # p = y wherever y > 0: each term is y log 1 - y + y = 0; and 0 < p at y = 0 adds p.
    model = nncore.MLP((1, 2), loss="poisson", random_state=0)
    model.coefs_[0][...] = 0.0
    model.intercepts_[0][...] = [np.log(3.0), -50.0]
    loss = model.loss(np.zeros((2, 1)), np.array([[3.0, 0.0], [3.0, 0.0]]))
    assert loss == pytest.approx(np.exp(-50.0), abs=1e-15)


@pytest.mark.parametrize("dtype, z", [(np.float64, 800.0), (np.float32, 100.0)])
def test_overflowing_exp_is_a_clean_divergence(dtype, z):
    model = nncore.MLP((1, 1), loss="poisson", dtype=dtype, random_state=0)
    model.coefs_[0][...] = z
    model.intercepts_[0][...] = 0.0
    x, y = np.ones((4, 1)), np.ones((4, 1))
    assert model.loss(x, y) == np.inf
    before = model.params_.copy()
    for batch_size in (4, 1):  # the batch path and the fused one-sample path
        with pytest.raises(ValueError, match=r"training diverged at step 0: the loss is inf, "
                                             r"expected a finite value"):
            model.fit(x, y, epochs=3, batch_size=batch_size, warm_start=True)
        np.testing.assert_array_equal(model.params_, before)


def test_training_reduces_the_loss():
    model, x, y, weights = make_problem(seed=5, n_samples=40)
    before = model.loss(x, y, sample_weight=weights)
    model.fit(x, y, epochs=100, optimizer="adam", learning_rate=0.01, sample_weight=weights,
              random_state=0)
    assert model.loss(x, y, sample_weight=weights) < 0.8 * before
