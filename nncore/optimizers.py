"""Optimizers: their hyperparameters. Their state (SGD's velocities, Adam's
moments and step count) lives in the model's engine, next to the parameters,
and is kept across ``fit(..., warm_start=True)``, ``partial_fit``, pickling
and ``save``/``load``.

The updates are scikit-learn's, so its MLP estimators can be reproduced:

- ``SGD``: ``v := momentum * v - learning_rate * g``; ``p := p + v``, or with
  Nesterov ``p := p + momentum * v - learning_rate * g``.
- ``Adam``: ``m := b1 m + (1 - b1) g``, ``s := b2 s + (1 - b2) g**2``,
  ``p := p - lr_t m / (sqrt(s) + epsilon)`` with
  ``lr_t = learning_rate * sqrt(1 - b2**t) / (1 - b1**t)``, the paper's
  efficient form.
"""
from __future__ import annotations

from typing import Any, Union

from nncore._validation import (
    check_fraction,
    check_learning_rate,
    check_positive_scalar,
)


class SGD:
    """Stochastic gradient descent, with optional (Nesterov) momentum.

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float in [0, 1), default 0.0
    nesterov : bool, default False
        Nesterov's momentum; needs momentum > 0 to differ from plain momentum.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        self.learning_rate = check_learning_rate(learning_rate)
        self.momentum = check_fraction("momentum", momentum, closed_right=False)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov: got {nesterov!r}, expected True or False")
        self.nesterov = nesterov

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters as a dict (for saving and comparing)."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov}

    def __repr__(self):
        return (f"SGD(learning_rate={self.learning_rate!r}, momentum={self.momentum!r}, "
                f"nesterov={self.nesterov!r})")

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()


class Adam:
    """Adam (Kingma and Ba, 2015).

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1, beta_2 : float in [0, 1), default 0.9 and 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float > 0, default 1e-8
    """

    name = "adam"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8) -> None:
        self.learning_rate = check_learning_rate(learning_rate)
        self.beta_1 = check_fraction("beta_1", beta_1, closed_right=False)
        self.beta_2 = check_fraction("beta_2", beta_2, closed_right=False)
        self.epsilon = check_positive_scalar("epsilon", epsilon)

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters as a dict (for saving and comparing)."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

    def __repr__(self):
        return (f"Adam(learning_rate={self.learning_rate!r}, beta_1={self.beta_1!r}, "
                f"beta_2={self.beta_2!r}, epsilon={self.epsilon!r})")

    def __eq__(self, other):
        return type(other) is type(self) and other.get_config() == self.get_config()


OPTIMIZER_CLASSES = {"sgd": SGD, "adam": Adam}


def optimizer_from_config(config: dict[str, Any]) -> Union[SGD, Adam]:
    """An optimizer from ``get_config()``'s dict (validated as the constructor does)."""
    options = dict(config)
    name = options.pop("name", None)
    if name not in OPTIMIZER_CLASSES:
        raise ValueError(f"optimizer: got {name!r}, expected one of {sorted(OPTIMIZER_CLASSES)}")
    return OPTIMIZER_CLASSES[name](**options)
