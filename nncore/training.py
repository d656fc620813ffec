"""What ``MLP.fit`` reports and how it stops: ``History`` and ``EarlyStopping``."""
from __future__ import annotations

import math
from typing import Optional

from nncore._validation import (
    check_bool,
    check_choice,
    check_nonnegative_scalar,
    check_positive_int,
)


class History:
    """The record of one ``fit`` (or ``partial_fit``) call.

    Attributes
    ----------
    loss : list of float
        The training loss of each epoch: its batches' losses (each taken
        before that batch's step) weighted by their rows.
    val_loss, val_score : list of float
        With validation data: the loss and the score on it after each epoch.
        The score is the accuracy for softmax and logistic outputs (every
        output of a sample right), and R^2 (averaged over outputs) otherwise.
    learning_rate : list of float
        The learning rate of each epoch's first step: the optimizer's, or
        what the schedule gave it (OneCycle changes it every step).
    best_epoch : int or None
        With early stopping: the epoch (0-based) whose parameters were the best.
    stopped_early : bool
        Whether early stopping or the callback ended training.
    """

    def __init__(self) -> None:
        self.loss: list[float] = []
        self.val_loss: list[float] = []
        self.val_score: list[float] = []
        self.learning_rate: list[float] = []
        self.best_epoch: Optional[int] = None
        self.stopped_early = False

    @property
    def epochs(self) -> int:
        """Number of epochs run."""
        return len(self.loss)

    def __repr__(self):
        last = f", last loss {self.loss[-1]:.6g}" if self.loss else ""
        return f"<History: {self.epochs} epochs{last}>"


class EarlyStopping:
    """Stop when the monitored loss has not improved for ``patience`` epochs.

    Parameters
    ----------
    patience : int, default 10
        Epochs without improvement to wait before stopping.
    min_delta : float, default 0.0
        An improvement is a decrease of more than this.
    restore_best : bool, default True
        At the end, put back the parameters of the best epoch (the
        optimizer's state stays that of the last epoch).
    monitor : {"auto", "val_loss", "loss"}, default "auto"
        The validation loss when validation data is given, else the training loss.
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0, restore_best: bool = True,
                 monitor: str = "auto") -> None:
        self.patience = check_positive_int("patience", patience)
        self.min_delta = check_nonnegative_scalar("min_delta", min_delta)
        self.restore_best = check_bool("restore_best", restore_best)
        self.monitor = check_choice("monitor", monitor, ("auto", "val_loss", "loss"))

    def __repr__(self):
        return (f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
                f"restore_best={self.restore_best}, monitor={self.monitor!r})")


class EarlyStoppingState:
    """The running best of one fit: which epoch, and whether to stop."""

    def __init__(self, rule, has_validation):
        if rule.monitor == "val_loss" and not has_validation:
            raise ValueError("early_stopping: monitor='val_loss' needs validation_data")
        self.rule = rule
        self.key = "val_loss" if rule.monitor == "val_loss" or (
            rule.monitor == "auto" and has_validation) else "loss"
        self.best = math.inf
        self.best_epoch = None
        self.waited = 0

    def update(self, epoch, logs):
        """Record this epoch; True if it is the best so far."""
        value = logs[self.key]
        if value < self.best - self.rule.min_delta:
            self.best = value
            self.best_epoch = epoch
            self.waited = 0
            return True
        self.waited += 1
        return False

    @property
    def should_stop(self):
        return self.waited >= self.rule.patience
