"""A step whose update would make a parameter infinite is refused: ValueError,
and the parameters and the optimizer's state are exactly those before it."""
import numpy as np
import pytest

import nncore

OVERFLOWING = r"training diverged at step {step}: the update made a parameter infinite or NaN"
OPTIMIZERS = {
    "sgd": lambda lr: nncore.SGD(lr),
    "momentum": lambda lr: nncore.SGD(lr, momentum=0.5),
    "nesterov": lambda lr: nncore.SGD(lr, momentum=0.5, nesterov=True),
    "adam": lambda lr: nncore.Adam(lr),
}


def overflowing_problem(name):
    """A float32 linear model and data whose first step at a learning rate of
    3e38 overflows the weights while the loss stays finite."""
    model = nncore.MLP((3, 2), activation="identity", dtype=np.float32, random_state=0)
    if name == "adam":
        # Adam's steps are about the learning rate: start next to the largest float32.
        model.coefs_[0][...] = 3e38
        x = np.full((3, 3), 1e-36, dtype=np.float32)
        y = np.full((3, 2), 1e6, dtype=np.float32)
    else:
        x = np.full((3, 3), 1e3, dtype=np.float32)
        y = np.zeros((3, 2), dtype=np.float32)
    return model, x, y


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [None, 1], ids=["full-batch", "per-sample"])
def test_overflowing_update_is_undone(name, batch_size):
    model, x, y = overflowing_problem(name)
    # A first, ordinary epoch, so the optimizer has state to protect.
    model.fit(x, y, epochs=1, batch_size=batch_size, optimizer=OPTIMIZERS[name](1e-6),
              warm_start=True)
    before = model._engine.get_state()
    assert np.isfinite(model.loss(x, y))
    with pytest.raises(ValueError, match=OVERFLOWING.format(step=0)):
        model.fit(x, y, epochs=1, batch_size=batch_size, optimizer=OPTIMIZERS[name](3e38),
                  warm_start=True, shuffle=False)
    after = model._engine.get_state()
    for key in ("params", "first_moment", "second_moment"):
        np.testing.assert_array_equal(after[key], before[key], strict=True)
    assert after["step_count"] == before["step_count"]
    # The model carries on from there.
    model.fit(x, y, epochs=1, batch_size=batch_size, optimizer=OPTIMIZERS[name](1e-6),
              warm_start=True)
    assert np.isfinite(model.params_).all()


def test_the_refused_step_is_the_first_that_overflows():
    # Three samples with nothing to learn, then one whose step overflows a
    # weight while its loss (about 1e300) is finite.
    x = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1e150, 0.0]])
    y = np.zeros((4, 1))
    model = nncore.MLP((2, 1), activation="identity", bias=False, random_state=0)
    before = model.params_.copy()
    with pytest.raises(ValueError, match=OVERFLOWING.format(step=3)):
        model.fit(x, y, epochs=1, batch_size=1, shuffle=False, optimizer=nncore.SGD(1e10))
    np.testing.assert_array_equal(model.params_, before, strict=True)


@pytest.mark.parametrize("name", ["sgd_update", "momentum_update", "adam_update"])
def test_update_kernels_report_non_finite_parameters(name):
    from nncore import _kernel_views as kernels
    from nncore import reference

    def run(module, params, step):
        grads = np.array([1.0, -1e30, 0.0], dtype=np.float32)
        moments = [np.zeros(3, dtype=np.float32) for _ in range(2)]
        step = np.float32(step)
        if name == "sgd_update":
            return module.sgd_update(params, grads, step)
        if name == "momentum_update":
            return module.momentum_update(params, grads, moments[0], step, np.float32(0.5), False)
        return module.adam_update(params, grads, *moments, step, np.float32(0.9),
                                  np.float32(0.999), np.float32(1e-8))

    for module in (kernels, reference):
        with np.errstate(all="ignore"):  # g**2 overflows in Adam's second moment
            # Adam: that overflow freezes the weight (its steps are 0 from
            # then on), so it counts as divergence too.
            assert run(module, np.ones(3, dtype=np.float32), 1e-3) is (name != "adam_update")
        with np.errstate(all="ignore"):  # the overflow is the point
            # A step of 1e38 or more (Adam's is about its step size) from 3e38.
            step = 1e8 if name != "adam_update" else 1e38
            assert run(module, np.full(3, 3e38, dtype=np.float32), step) is False


@pytest.mark.parametrize("batch_size", [None, 1], ids=["full-batch", "per-sample"])
def test_adam_second_moment_overflow_is_divergence(batch_size):
    """A gradient whose square overflows leaves Adam's weight finite (its
    step is m / sqrt(inf) = 0) but its second moment at inf, so the weight
    would never move again: refused and undone like any other divergence."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)), (rng.random((8, 1)) > 0.5).astype(float)
    # A logistic output's loss and delta stay finite for huge inputs (the loss
    # is computed from the logits), while the gradient's square overflows.
    model = nncore.MLP((3, 4, 1), activation="identity", output_activation="logistic",
                       random_state=0)
    model.fit(x, y, epochs=2, batch_size=batch_size, optimizer="adam")
    before = model._get_state()
    # One sample, labelled against the saturated prediction: its step, the
    # first, has a delta of +-1 and a gradient of about 1e160.
    huge = x[:1] * 1e160
    wrong = 1.0 - np.round(model.predict(huge))
    assert np.isfinite(model.loss(huge, wrong))
    with pytest.raises(ValueError, match="step 0: .*overflowed Adam's second moment"):
        model.fit(huge, wrong, epochs=1, batch_size=batch_size, optimizer="adam",
                  warm_start=True)
    after = model._get_state()
    for key in ("params", "first_moment", "second_moment"):
        np.testing.assert_array_equal(after[key], before[key], strict=True)
    assert np.isfinite(after["second_moment"]).all()
    assert after["step_count"] == before["step_count"]
