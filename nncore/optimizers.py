"""Optimizers: their hyperparameters. Their state (SGD's velocities, Adam's
and AdamW's moments and step count) lives in the model's engine, next to the
parameters, and is kept across ``fit(..., warm_start=True)``,
``partial_fit``, pickling and ``save``/``load``.

The updates of SGD and Adam are scikit-learn's, so its MLP estimators can be
reproduced; weight decay and AdamW are PyTorch's:

- ``SGD``: ``g := g + weight_decay * p`` (weights only; skipped at 0);
  ``v := momentum * v - learning_rate * g``; ``p := p + v``, or with
  Nesterov ``p := p + momentum * v - learning_rate * g``. This is
  ``torch.optim.SGD``'s ``b := momentum * b + g``, ``p := p - lr * b``
  (Nesterov: ``p - lr * (g + momentum * b)``) with ``v = -lr * b``, the same
  update at a constant learning rate.
- ``Adam``: ``m := b1 m + (1 - b1) g``, ``s := b2 s + (1 - b2) g**2``,
  ``p := p - lr_t m / (sqrt(s) + epsilon)`` with
  ``lr_t = learning_rate * sqrt(1 - b2**t) / (1 - b1**t)``, the paper's
  efficient form.
- ``AdamW``: ``torch.optim.AdamW``, operation by operation:
  ``p := p * (1 - learning_rate * weight_decay)`` (weights only), then
  ``m`` and ``s`` as Adam's and
  ``p := p - (learning_rate / (1 - b1**t)) m / (sqrt(s) / sqrt(1 - b2**t) + epsilon)``.
  Epsilon is added after the bias correction, so at ``weight_decay=0`` it
  is ``torch.optim.Adam``, which differs slightly from ``Adam``.
"""
from __future__ import annotations

from typing import Any, Union

from nncore._validation import (
    check_fraction,
    check_learning_rate,
    check_nonnegative_scalar,
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
    weight_decay : float >= 0, default 0.0
        ``torch.optim.SGD``'s: ``weight_decay * p`` is added to the weights'
        gradients (not the biases') before the step. Unlike ``fit``'s
        ``l2``, it is not scaled as the loss is and not part of the loss.
    """

    name = "sgd"

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        self.learning_rate = check_learning_rate(learning_rate)
        self.momentum = check_fraction("momentum", momentum, closed_right=False)
        if not isinstance(nesterov, bool):
            raise TypeError(f"nesterov: got {nesterov!r}, expected True or False")
        self.nesterov = nesterov
        self.weight_decay = check_nonnegative_scalar("weight_decay", weight_decay)

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters as a dict (for saving and comparing)."""
        return {"name": self.name, "learning_rate": self.learning_rate,
                "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}

    def __repr__(self):
        return (f"SGD(learning_rate={self.learning_rate!r}, momentum={self.momentum!r}, "
                f"nesterov={self.nesterov!r}, weight_decay={self.weight_decay!r})")

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


class AdamW(Adam):
    """AdamW (Loshchilov and Hutter, 2019), as ``torch.optim.AdamW``: Adam
    with weight decay decoupled from the gradient.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1, beta_2 : float in [0, 1), default 0.9 and 0.999
    epsilon : float > 0, default 1e-8
        Added to ``sqrt(s)`` after its bias correction, as torch does.
    weight_decay : float >= 0, default 0.01
        Each step first multiplies the weights (not the biases) by
        ``1 - learning_rate * weight_decay``.
    """

    name = "adamw"

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = check_nonnegative_scalar("weight_decay", weight_decay)

    def get_config(self) -> dict[str, Any]:
        """The hyperparameters as a dict (for saving and comparing)."""
        return {**super().get_config(), "weight_decay": self.weight_decay}

    def __repr__(self):
        return (f"AdamW(learning_rate={self.learning_rate!r}, beta_1={self.beta_1!r}, "
                f"beta_2={self.beta_2!r}, epsilon={self.epsilon!r}, "
                f"weight_decay={self.weight_decay!r})")


OPTIMIZER_CLASSES: dict[str, type[Union[SGD, Adam]]] = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def optimizer_from_config(config: dict[str, Any]) -> Union[SGD, Adam]:
    """An optimizer from ``get_config()``'s dict (validated as the constructor does)."""
    options = dict(config)
    name = options.pop("name", None)
    if name not in OPTIMIZER_CLASSES:
        raise ValueError(f"optimizer: got {name!r}, expected one of {sorted(OPTIMIZER_CLASSES)}")
    return OPTIMIZER_CLASSES[name](**options)
