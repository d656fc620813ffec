"""Learning-rate schedules: each turns (epoch, steps per epoch, the
optimizer's learning rate, the last epoch's monitored loss) into the
coming epoch's per-step rates, PyTorch's formulas in PyTorch's order."""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from nncore._validation import (
    check_positive_fraction, check_nonnegative_scalar, check_positive_int, check_positive_scalar,
)


class Schedule:
    """The base of the schedules: hyperparameters (``get_config``) and the
    state training changes (``get_state``), which ``fit`` continues on a warm
    start, ``partial_fit`` and after ``save``/``load`` or pickling."""

    name = ""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Back to the start of the schedule."""
        self.epoch = 0           # epochs scheduled so far (PyTorch's last_epoch)
        self.rate: Optional[float] = None  # the current rate (a param group's "lr")
        # The last epoch's monitored loss, which ``fit`` records for the next
        # epoch's rates (ReduceOnPlateau's input), kept across calls.
        self.monitored_loss: Optional[float] = None

    def rates(self, steps: int, learning_rate: float,
              monitored_loss: Optional[float] = None) -> np.ndarray:
        """The coming epoch's ``steps`` rates (float64), from the optimizer's
        ``learning_rate`` and the last epoch's monitored loss (None before the
        first epoch); advances the state by one epoch."""
        rate = self._epoch_rate(learning_rate, monitored_loss)
        self.rate = rate
        self.epoch += 1
        return np.full(steps, rate)

    def check_room(self, epochs: int, steps: int) -> None:
        """Raise ValueError if ``epochs`` more epochs of ``steps`` steps go
        past the schedule's end (only OneCycle has one)."""

    def _epoch_rate(self, learning_rate, monitored_loss):
        if self.rate is None:
            return float(learning_rate)
        return self._next_rate(self.rate, learning_rate)

    def _next_rate(self, rate, learning_rate):
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """``name`` and the constructor's arguments."""
        raise NotImplementedError

    def get_state(self) -> dict[str, Any]:
        """Copies of everything training changes (JSON types)."""
        return {"epoch": self.epoch, "rate": self.rate, "monitored_loss": self.monitored_loss}

    def set_state(self, state: dict[str, Any]) -> None:
        """Copy in a state of ``get_state``'s schema (checked by the caller)."""
        self.epoch = int(state["epoch"])
        self.rate = None if state["rate"] is None else float(state["rate"])
        loss = state["monitored_loss"]
        self.monitored_loss = None if loss is None else float(loss)

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and self.get_config() == other.get_config()  # type: ignore[attr-defined]
                and self.get_state() == other.get_state())  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        config = self.get_config()
        config.pop("name")
        arguments = ", ".join(f"{key}={value!r}" for key, value in config.items())
        return f"{type(self).__name__}({arguments})"


class StepDecay(Schedule):
    """The rate times ``gamma`` every ``step_size`` epochs (PyTorch's StepLR).

    Parameters
    ----------
    step_size : int >= 1
    gamma : float in (0, 1], default 0.1
    """

    name = "step"

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = check_positive_int("step_size", step_size)
        self.gamma = check_positive_fraction("gamma", gamma, include_one=True)
        super().__init__()

    def _next_rate(self, rate, learning_rate):
        # PyTorch's chained form: the group's rate times gamma on each boundary.
        return rate * self.gamma if self.epoch % self.step_size == 0 else rate

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(Schedule):
    """The rate times ``gamma`` every epoch (PyTorch's ExponentialLR).

    Parameters
    ----------
    gamma : float in (0, 1]
    """

    name = "exponential"

    def __init__(self, gamma: float) -> None:
        self.gamma = check_positive_fraction("gamma", gamma, include_one=True)
        super().__init__()

    def _next_rate(self, rate, learning_rate):
        return rate * self.gamma

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "gamma": self.gamma}


class CosineDecay(Schedule):
    """Half a cosine from the optimizer's rate down to ``min_learning_rate``
    over ``epochs`` epochs (PyTorch's CosineAnnealingLR with T_max=epochs,
    eta_min=min_learning_rate; past ``epochs`` it climbs back, as PyTorch's does).

    Parameters
    ----------
    epochs : int >= 1
    min_learning_rate : float >= 0, default 0.0
    """

    name = "cosine"

    def __init__(self, epochs: int, min_learning_rate: float = 0.0) -> None:
        self.epochs = check_positive_int("epochs", epochs)
        self.min_learning_rate = check_nonnegative_scalar("min_learning_rate", min_learning_rate)
        super().__init__()

    def _next_rate(self, rate, learning_rate):
        # PyTorch's recursive form, term for term (its rounding is the reference).
        e, t, low = self.epoch, self.epochs, self.min_learning_rate
        if (e - 1 - t) % (2 * t) == 0:
            return rate + (learning_rate - low) * (1 - math.cos(math.pi / t)) / 2
        return ((1 + math.cos(math.pi * e / t)) / (1 + math.cos(math.pi * (e - 1) / t))
                * (rate - low) + low)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "epochs": self.epochs,
                "min_learning_rate": self.min_learning_rate}


class OneCycle(Schedule):
    """One cycle per batch step (PyTorch's OneCycleLR, cosine annealing,
    two phases, no momentum cycling): from ``max_learning_rate /
    div_factor`` up to ``max_learning_rate`` over the first ``pct_start`` of
    the ``epochs`` x (steps per epoch) steps, then down to the start
    divided by ``final_div_factor``. The optimizer's own rate is not used;
    steps per epoch are fixed by the first epoch.

    Parameters
    ----------
    max_learning_rate : float > 0
    epochs : int >= 1
    pct_start : float in (0, 1), default 0.3
    div_factor : float > 0, default 25.0
    final_div_factor : float > 0, default 1e4
    """

    name = "onecycle"

    def __init__(self, max_learning_rate: float, epochs: int, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4) -> None:
        self.max_learning_rate = check_positive_scalar("max_learning_rate", max_learning_rate)
        self.epochs = check_positive_int("epochs", epochs)
        self.pct_start = check_positive_fraction("pct_start", pct_start)
        self.div_factor = check_positive_scalar("div_factor", div_factor)
        self.final_div_factor = check_positive_scalar("final_div_factor", final_div_factor)
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.step = 0                               # steps scheduled so far
        self.total_steps: Optional[int] = None      # epochs x the first epoch's steps

    def check_room(self, epochs: int, steps: int) -> None:
        total = self.total_steps if self.total_steps is not None else self.epochs * steps
        if self.step + epochs * steps > total:
            raise ValueError(
                f"schedule: got {self.step + epochs * steps} steps of OneCycle, expected at most "
                f"its {total} (epochs={self.epochs} x {total // self.epochs} steps per epoch); "
                "give a fresh schedule to train on")

    def rates(self, steps: int, learning_rate: float,
              monitored_loss: Optional[float] = None) -> np.ndarray:
        self.check_room(1, steps)
        total = self.total_steps if self.total_steps is not None else self.epochs * steps
        self.total_steps = total
        initial = self.max_learning_rate / self.div_factor
        final = initial / self.final_div_factor
        phases = ((float(self.pct_start * total) - 1, initial, self.max_learning_rate),
                  (total - 1, self.max_learning_rate, final))
        out = np.empty(steps)
        for i in range(steps):
            out[i] = _one_cycle_rate(self.step + i, phases)
        self.step += steps
        self.epoch += 1
        self.rate = float(out[-1]) if steps else self.rate
        return out

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "max_learning_rate": self.max_learning_rate,
                "epochs": self.epochs, "pct_start": self.pct_start,
                "div_factor": self.div_factor, "final_div_factor": self.final_div_factor}

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "step": self.step, "total_steps": self.total_steps}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.step = int(state["step"])
        self.total_steps = None if state["total_steps"] is None else int(state["total_steps"])


def _one_cycle_rate(step, phases):
    """PyTorch's OneCycleLR.get_lr at step_num ``step``, with _annealing_cos."""
    start_step = 0.0
    for i, (end_step, start, end) in enumerate(phases):
        if step <= end_step or i == len(phases) - 1:
            pct = (step - start_step) / (end_step - start_step)
            cos_out = math.cos(math.pi * pct) + 1
            return end + (start - end) / 2.0 * cos_out
        start_step = end_step
    raise AssertionError("unreachable: the last phase always matches")


class ReduceOnPlateau(Schedule):
    """The rate times ``factor`` when the monitored loss (the validation
    loss when ``fit`` has validation data, else the training loss) has not
    improved, relative to its best by more than ``threshold``, for more than
    ``patience`` epochs (PyTorch's ReduceLROnPlateau: mode "min",
    threshold_mode "rel", no cooldown, eps 1e-8).

    Parameters
    ----------
    factor : float in (0, 1), default 0.1
    patience : int >= 0, default 10
    threshold : float >= 0, default 1e-4
    min_learning_rate : float >= 0, default 0.0
    """

    name = "plateau"
    _EPS = 1e-8  # PyTorch's: smaller changes of the rate are ignored

    def __init__(self, factor: float = 0.1, patience: int = 10, threshold: float = 1e-4,
                 min_learning_rate: float = 0.0) -> None:
        self.factor = check_positive_fraction("factor", factor)
        self.patience = check_positive_int("patience", patience, minimum=0)
        self.threshold = check_nonnegative_scalar("threshold", threshold)
        self.min_learning_rate = check_nonnegative_scalar("min_learning_rate", min_learning_rate)
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.best = math.inf
        self.bad_epochs = 0

    def _epoch_rate(self, learning_rate, monitored_loss):
        if self.rate is None or monitored_loss is None:
            # The first epoch, or one after an interrupted epoch: no loss to judge.
            return float(learning_rate) if self.rate is None else self.rate
        rate = self.rate
        current = float(monitored_loss)  # type: ignore[arg-type]
        if current < self.best * (1.0 - self.threshold):
            self.best = current
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            reduced = max(rate * self.factor, self.min_learning_rate)
            if rate - reduced > self._EPS:
                rate = reduced
            self.bad_epochs = 0
        return rate

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "factor": self.factor, "patience": self.patience,
                "threshold": self.threshold, "min_learning_rate": self.min_learning_rate}

    def get_state(self) -> dict[str, Any]:
        # math.inf is not JSON: None stands for "no loss seen yet".
        best = None if math.isinf(self.best) else self.best
        return {**super().get_state(), "best": best, "bad_epochs": self.bad_epochs}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.best = math.inf if state["best"] is None else float(state["best"])
        self.bad_epochs = int(state["bad_epochs"])


SCHEDULE_CLASSES = {cls.name: cls for cls in
                    (StepDecay, ExponentialDecay, CosineDecay, OneCycle, ReduceOnPlateau)}


def schedule_from_config(config: dict[str, Any]) -> Schedule:
    """The schedule a ``get_config()`` describes (at its start)."""
    config = dict(config)
    name = config.pop("name", None)
    if name not in SCHEDULE_CLASSES:
        raise ValueError(f"schedule: got name {name!r}, expected one of {sorted(SCHEDULE_CLASSES)}")
    return SCHEDULE_CLASSES[name](**config)


def schedule_from_state(saved: dict[str, Any]) -> Schedule:
    """The schedule of ``{"config": get_config(), "state": get_state()}``
    (as ``MLP._get_state`` keeps it), each value checked: a ValueError or
    TypeError for a damaged one."""
    if not isinstance(saved, dict) or set(saved) != {"config", "state"}:
        raise ValueError(f"schedule is {saved!r:.60}, expected an object of config and state")
    config, state = saved["config"], saved["state"]
    if not isinstance(config, dict) or not isinstance(state, dict):
        raise ValueError("schedule config and state must be objects")
    schedule = schedule_from_config(config)
    expected = schedule.get_state()
    if set(state) != set(expected):
        raise ValueError(f"schedule state has {sorted(state)}, expected {sorted(expected)}")
    for key, value in state.items():
        counts = key in ("epoch", "step", "total_steps", "bad_epochs")
        if value is None and key in ("epoch", "step", "bad_epochs"):
            raise ValueError(f"schedule state {key} is null, expected a number")
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, int if counts else (int, float)) or not math.isfinite(value) or value < 0):
            raise ValueError(f"schedule state {key} is {value!r:.40}, expected a finite "
                             f"{'integer' if counts else 'number'} >= 0")
    schedule.set_state(state)
    return schedule
