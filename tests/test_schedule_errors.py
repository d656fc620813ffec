"""Schedules refuse bad hyperparameters by name, and their config and state
round-trip."""
import pickle

import pytest

import nncore
from nncore.schedules import schedule_from_config

BAD = [
    (lambda: nncore.StepDecay(0), ValueError, "step_size: got 0, expected an integer >= 1"),
    (lambda: nncore.StepDecay(2.5), TypeError, "step_size: got 2.5"),
    (lambda: nncore.StepDecay(2, gamma=0.0), ValueError, r"gamma: got 0.0, expected a number in \(0, 1\]"),
    (lambda: nncore.StepDecay(2, gamma=1.5), ValueError, r"gamma: got 1.5"),
    (lambda: nncore.ExponentialDecay(float("nan")), ValueError, "gamma: got nan"),
    (lambda: nncore.ExponentialDecay("0.5"), TypeError, "gamma: got '0.5'"),
    (lambda: nncore.CosineDecay(0), ValueError, "epochs: got 0"),
    (lambda: nncore.CosineDecay(5, min_learning_rate=-1.0), ValueError, "min_learning_rate: got -1.0"),
    (lambda: nncore.OneCycle(0.0, 5), ValueError, "max_learning_rate: got 0.0"),
    (lambda: nncore.OneCycle(1.0, 0), ValueError, "epochs: got 0"),
    (lambda: nncore.OneCycle(1.0, 5, pct_start=1.0), ValueError, r"pct_start: got 1.0, expected a number in \(0, 1\)"),
    (lambda: nncore.OneCycle(1.0, 5, div_factor=-2.0), ValueError, "div_factor: got -2.0"),
    (lambda: nncore.OneCycle(1.0, 5, final_div_factor=float("inf")), ValueError, "final_div_factor: got inf"),
    (lambda: nncore.ReduceOnPlateau(factor=1.0), ValueError, r"factor: got 1.0, expected a number in \(0, 1\)"),
    (lambda: nncore.ReduceOnPlateau(patience=-1), ValueError, "patience: got -1, expected an integer >= 0"),
    (lambda: nncore.ReduceOnPlateau(threshold=-0.1), ValueError, "threshold: got -0.1"),
    (lambda: nncore.ReduceOnPlateau(min_learning_rate=None), TypeError, "min_learning_rate: got None"),
]


@pytest.mark.parametrize("make, error, message", BAD)
def test_bad_hyperparameters_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()


SCHEDULES = [nncore.StepDecay(2, gamma=0.5), nncore.ExponentialDecay(0.9),
             nncore.CosineDecay(4, min_learning_rate=0.001), nncore.OneCycle(0.5, 4),
             nncore.ReduceOnPlateau(factor=0.5, patience=0)]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.name)
def test_config_and_state_round_trip(schedule):
    for loss in (1.0, 1.0, 0.5):
        schedule.rates(4, 0.1, loss)
    copy = schedule_from_config(schedule.get_config())
    assert copy != schedule  # a fresh schedule starts over
    copy.set_state(schedule.get_state())
    assert copy == schedule and repr(copy) == repr(schedule)
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    assert (copy.rates(4, 0.1, 0.25) == schedule.rates(4, 0.1, 0.25)).all()


def test_unknown_config_name_is_refused():
    with pytest.raises(ValueError, match="schedule: got name 'linear'"):
        schedule_from_config({"name": "linear"})
