"""The loss factor of ``MLP._fit_epochs`` and ``MLP._evaluate``: it
multiplies the data term of every loss reported (each step's, each epoch's,
the evaluation's), and nothing else: not the L2 term, not the gradient, so
training gives the same bits.

scikit-learn reports its squared error averaged over the outputs (nncore's
divided by n_outputs) while its gradient and L2 term are not divided, and
stops on the value it reports; the factor lets the estimators report that.
It is an argument of each call, never state the model keeps.
"""
import numpy as np
import pytest

import nncore

N_SAMPLES = 7


def problem(loss="squared_error", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N_SAMPLES, 3))
    y = rng.standard_normal((N_SAMPLES, 2))
    if loss == "poisson":
        y = np.floor(np.abs(y) * 2)
    return x, y, rng.uniform(0.5, 2.0, N_SAMPLES)


def make_model(loss="squared_error", dtype=np.float64):
    return nncore.MLP((3, 4, 2), activation="tanh", loss=loss, dtype=dtype, random_state=1)


def fit(model, x, y, weights, factor, *, epochs, batch_size, optimizer, l2=0.0):
    """Epoch losses of ``_fit_epochs`` in shuffled order, as ``fit`` would run them."""
    inputs, targets, weights = model._check_data(x, y, weights)
    order = np.stack([np.random.default_rng(5 + e).permutation(N_SAMPLES)
                      for e in range(epochs)]).astype(np.int64)
    losses = np.full(epochs, np.nan)
    model._fit_epochs(inputs, targets, weights, order, epochs, batch_size, losses,
                      optimizer=optimizer, l2=l2, data_loss_factor=factor)
    return losses


@pytest.mark.parametrize("loss", ["squared_error", "sse", "poisson"])
@pytest.mark.parametrize("l2", [0.0, 0.3], ids=["no-l2", "l2"])
def test_evaluate_scales_the_data_term_only(loss, l2):
    x, y, weights = problem(loss)
    model = make_model(loss)
    data = model.loss(x, y, sample_weight=weights)
    penalty = model.loss(x, y, sample_weight=weights, l2=l2) - data
    expected = 0.5 * data + penalty
    checked = model._check_data(x, y, weights)
    assert model._evaluate(*checked, l2=l2, data_loss_factor=0.5) == pytest.approx(expected, rel=1e-14)
    reported, grads = model._evaluate(*checked, gradients=True, l2=l2, data_loss_factor=0.5)
    assert reported == pytest.approx(expected, rel=1e-14)
    unscaled = model.gradients(x, y, sample_weight=weights, l2=l2)
    np.testing.assert_array_equal(
        grads, np.concatenate([np.concatenate([c.ravel(), b]) for c, b in
                               zip(unscaled.coefs, unscaled.intercepts)]), strict=True)
    # An argument, not state: the next call without it is unscaled.
    assert model.loss(x, y, sample_weight=weights, l2=l2) == data + penalty


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("optimizer", [nncore.SGD(0.01), nncore.Adam(0.01)], ids=["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [1, 3, N_SAMPLES])  # 1: the fused one-sample path
def test_training_gives_the_same_bits_and_scaled_losses(loss, optimizer, batch_size, dtype):
    x, y, weights = problem(loss)
    options = dict(epochs=4, batch_size=batch_size, optimizer=optimizer)
    plain, halved, third = (make_model(loss, dtype) for _ in range(3))
    losses = fit(plain, x, y, weights, 1.0, **options)
    # A power of two scales every sum exactly.
    np.testing.assert_array_equal(fit(halved, x, y, weights, 0.5, **options), 0.5 * losses)
    np.testing.assert_allclose(fit(third, x, y, weights, 1 / 3, **options), losses / 3,
                               rtol=1e-14 if dtype == np.float64 else 1e-6)
    reference = plain._get_state()
    for model in (halved, third):
        state = model._get_state()
        for name in ("params", "first_moment", "second_moment"):
            np.testing.assert_array_equal(state[name], reference[name], strict=True)
        assert state["loss"] != reference["loss"]


def test_with_l2_only_the_data_term_of_the_epoch_loss_scales():
    # One full batch: the epoch's loss is the step's, data * factor + penalty.
    x, y, weights = problem()
    plain, scaled = make_model(), make_model()
    data = plain.loss(x, y, sample_weight=weights)
    penalty = plain.loss(x, y, sample_weight=weights, l2=0.3) - data
    options = dict(epochs=1, batch_size=N_SAMPLES, optimizer=nncore.SGD(0.01), l2=0.3)
    assert fit(plain, x, y, weights, 1.0, **options)[0] == pytest.approx(data + penalty, rel=1e-14)
    assert fit(scaled, x, y, weights, 0.25, **options)[0] == pytest.approx(0.25 * data + penalty,
                                                                           rel=1e-14)
    np.testing.assert_array_equal(scaled.params_, plain.params_, strict=True)


def test_divergence_is_still_detected():
    model = make_model("poisson")
    model.coefs_[-1][...] = 0.0
    model.intercepts_[-1][...] = 800.0  # exp(800) overflows
    x, y, weights = problem("poisson")
    with pytest.raises(ValueError, match=r"training diverged at step 0: the loss is (inf|nan)"):
        fit(model, x, y, weights, 0.5, epochs=2, batch_size=N_SAMPLES, optimizer=nncore.SGD())
