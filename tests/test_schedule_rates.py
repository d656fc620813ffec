"""Each schedule's learning rates against torch.optim.lr_scheduler's, epoch
by epoch (OneCycle step by step), over long runs where the chained forms
could drift."""
import numpy as np
import pytest

import nncore

torch = pytest.importorskip("torch")

BASE = 0.3
RTOL = 1e-10


def torch_rates(make_scheduler, epochs, steps=1, losses=None, base=BASE):
    """The rate torch's optimizer holds at each step of ``epochs`` epochs;
    OneCycle steps per batch, the others per epoch (with ``losses[e]`` for
    ReduceLROnPlateau)."""
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=base)
    scheduler = make_scheduler(optimizer)
    rates = []
    for epoch in range(epochs):
        for _ in range(steps):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
                scheduler.step()
        if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
            scheduler.step(losses[epoch])
        elif not isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
            scheduler.step()
    return np.array(rates)


def our_rates(schedule, epochs, steps=1, losses=None, base=BASE):
    rates = []
    for epoch in range(epochs):
        monitored = losses[epoch - 1] if losses is not None and epoch > 0 else None
        epoch_rates = schedule.rates(steps, base, monitored)
        assert epoch_rates.dtype == np.float64 and epoch_rates.shape == (steps,)
        rates.extend(epoch_rates.tolist())
    return np.array(rates)


def plateau_losses(epochs):
    """Falls, stalls, falls by less than the threshold, falls again."""
    rng = np.random.default_rng(0)
    losses = np.concatenate([np.linspace(2.0, 1.0, 10), np.full(8, 1.0),
                             1.0 - 1e-6 * np.arange(12), np.linspace(0.9, 0.5, 10),
                             0.5 + 0.01 * rng.random(epochs)])
    return losses[:epochs].tolist()


SCHEDULES = {
    "step": (lambda: nncore.StepDecay(3, gamma=0.7),
             lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7)),
    "step-default": (lambda: nncore.StepDecay(5),
                     lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=5)),
    "exponential": (lambda: nncore.ExponentialDecay(0.93),
                    lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.93)),
    # Past T_max the cosine climbs back: the recursion's special case runs too.
    "cosine": (lambda: nncore.CosineDecay(7, min_learning_rate=0.01),
               lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.01)),
    "cosine-zero": (lambda: nncore.CosineDecay(40),
                    lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=40)),
    "plateau": (lambda: nncore.ReduceOnPlateau(factor=0.5, patience=2, min_learning_rate=0.02),
                lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(
                    opt, mode="min", factor=0.5, patience=2, threshold=1e-4,
                    threshold_mode="rel", cooldown=0, min_lr=0.02, eps=1e-8)),
    "plateau-threshold": (lambda: nncore.ReduceOnPlateau(patience=0, threshold=0.05),
                          lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(
                              opt, patience=0, threshold=0.05)),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_epoch_rates_match_torch(name):
    ours, theirs = SCHEDULES[name]
    epochs = 60
    losses = plateau_losses(epochs)
    expected = torch_rates(theirs, epochs, losses=losses)
    got = our_rates(ours(), epochs, losses=losses)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
    assert len(set(expected.tolist())) > 2  # the schedule moved the rate


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_epoch_rates_hold_within_an_epoch(name):
    rates = SCHEDULES[name][0]().rates(5, BASE, None)
    assert (rates == BASE).all()


@pytest.mark.parametrize("epochs, steps", [(5, 4), (3, 1), (7, 13), (1, 9)])
@pytest.mark.parametrize("pct_start, div_factor, final_div_factor",
                         [(0.3, 25.0, 1e4), (0.5, 10.0, 100.0), (0.1, 3.0, 1e3)])
def test_one_cycle_rates_match_torch(epochs, steps, pct_start, div_factor, final_div_factor):
    schedule = nncore.OneCycle(1.5, epochs, pct_start=pct_start, div_factor=div_factor,
                               final_div_factor=final_div_factor)
    expected = torch_rates(lambda opt: torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=1.5, epochs=epochs, steps_per_epoch=steps, pct_start=pct_start,
        anneal_strategy="cos", cycle_momentum=False, div_factor=div_factor,
        final_div_factor=final_div_factor, three_phase=False), epochs, steps)
    got = our_rates(schedule, epochs, steps)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
    assert epochs * steps == 1 or len(set(got.tolist())) > 1


def test_one_cycle_refuses_steps_past_its_end():
    schedule = nncore.OneCycle(1.0, 2)
    schedule.rates(3, BASE)
    schedule.rates(3, BASE)
    with pytest.raises(ValueError, match="schedule: got 9 steps of OneCycle, expected at most its 6"):
        schedule.rates(3, BASE)
