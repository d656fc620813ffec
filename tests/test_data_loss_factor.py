"""The engine's data_loss_factor: it multiplies the data term of every loss
the engine reports (each step's, each epoch's, evaluate's), and nothing
else: not the L2 term, not the gradient, so training gives the same bits.

scikit-learn reports its squared error averaged over the outputs (nncore's
divided by n_outputs) while its gradient and L2 term are not divided, and
stops on the value it reports; the factor lets the engine report that.
"""
import copy
import pickle

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


def make_model(loss="squared_error", dtype=np.float64, factor=1.0):
    model = nncore.MLP((3, 4, 2), activation="tanh", loss=loss, dtype=dtype, random_state=1)
    model._engine.data_loss_factor = factor
    return model


def test_default_is_one_and_settable():
    model = make_model()
    assert model._engine.data_loss_factor == 1.0
    model._engine.data_loss_factor = 0.5
    assert model._engine.data_loss_factor == 0.5


@pytest.mark.parametrize("value", [0.0, -1.0, np.nan, np.inf, -np.inf])
def test_bad_values_are_refused(value):
    model = make_model()
    with pytest.raises(ValueError, match=r"data_loss_factor: got .*, expected a finite number > 0"):
        model._engine.data_loss_factor = value
    assert model._engine.data_loss_factor == 1.0


@pytest.mark.parametrize("loss", ["squared_error", "sse", "poisson"])
@pytest.mark.parametrize("l2", [0.0, 0.3], ids=["no-l2", "l2"])
def test_evaluate_scales_the_data_term_only(loss, l2):
    x, y, weights = problem(loss)
    plain, scaled = make_model(loss), make_model(loss, factor=0.5)
    data = plain.loss(x, y, sample_weight=weights)
    penalty = plain.loss(x, y, sample_weight=weights, l2=l2) - data
    expected = 0.5 * data + penalty
    assert scaled.loss(x, y, sample_weight=weights, l2=l2) == pytest.approx(expected, rel=1e-14)
    reported = scaled.gradients(x, y, sample_weight=weights, l2=l2)
    assert reported.loss == pytest.approx(expected, rel=1e-14)
    unscaled = plain.gradients(x, y, sample_weight=weights, l2=l2)
    for ours, theirs in zip(reported.coefs + reported.intercepts,
                            unscaled.coefs + unscaled.intercepts):
        np.testing.assert_array_equal(ours, theirs, strict=True)


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("batch_size", [1, 3, N_SAMPLES])  # 1: the fused one-sample path
def test_training_gives_the_same_bits_and_scaled_losses(loss, optimizer, batch_size, dtype):
    x, y, weights = problem(loss)
    options = dict(epochs=4, batch_size=batch_size, optimizer=optimizer, learning_rate=0.01,
                   random_state=5, sample_weight=weights)
    plain, halved, third = (make_model(loss, dtype, factor) for factor in (1.0, 0.5, 1 / 3))
    history = plain.fit(x, y, **options)
    # A power of two scales every sum exactly.
    assert halved.fit(x, y, **options).loss == [0.5 * value for value in history.loss]
    scaled = third.fit(x, y, **options).loss
    np.testing.assert_allclose(scaled, np.array(history.loss) / 3, rtol=1e-14 if dtype == np.float64 else 1e-6)
    for model in (halved, third):
        np.testing.assert_array_equal(model.params_, plain.params_, strict=True)
        np.testing.assert_array_equal(model._engine.first_moment, plain._engine.first_moment, strict=True)
        assert model._engine.loss != plain._engine.loss


def test_with_l2_only_the_data_term_of_the_epoch_loss_scales():
    # One full batch: the epoch's loss is the step's, data * factor + penalty.
    x, y, weights = problem()
    plain, scaled = make_model(), make_model(factor=0.25)
    options = dict(epochs=1, optimizer="sgd", learning_rate=0.01, shuffle=False,
                   sample_weight=weights, l2=0.3)
    data = plain.loss(x, y, sample_weight=weights)
    penalty = plain.loss(x, y, sample_weight=weights, l2=0.3) - data
    reported = scaled.fit(x, y, **options).loss[0]
    assert plain.fit(x, y, **options).loss[0] == pytest.approx(data + penalty, rel=1e-14)
    assert reported == pytest.approx(0.25 * data + penalty, rel=1e-14)
    np.testing.assert_array_equal(scaled.params_, plain.params_, strict=True)


COPIERS = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("copier", COPIERS.values(), ids=COPIERS.keys())
def test_copies_keep_the_factor(copier):
    x, y, _ = problem()
    model = make_model(factor=0.5)
    clone = copier(model)
    assert clone._engine.data_loss_factor == 0.5
    assert clone.loss(x, y) == model.loss(x, y)
    engine = copier(model._engine)
    assert engine.data_loss_factor == 0.5


def test_a_state_without_the_factor_sets_it_to_one():
    # States saved before the factor existed have no entry for it.
    model = make_model(factor=0.5)
    state = model._engine.get_state()
    assert state["data_loss_factor"] == 0.5
    del state["data_loss_factor"]
    model._engine.set_state(state)
    assert model._engine.data_loss_factor == 1.0


def test_divergence_is_still_detected():
    model = make_model("poisson", factor=0.5)
    model.coefs_[-1][...] = 0.0
    model.intercepts_[-1][...] = 800.0  # exp(800) overflows
    x, y, _ = problem("poisson")
    with pytest.raises(ValueError, match=r"training diverged at step 0: the loss is (inf|nan)"):
        model.fit(x, y, epochs=2, warm_start=True)
