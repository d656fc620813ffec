"""The one description of a network that every export format reads."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import numpy as np


@dataclass(frozen=True)
class Layer:
    """One dense layer: outputs = activation(inputs @ weights + bias)."""

    weights: np.ndarray            # (n_in, n_out), the model's dtype
    bias: Optional[np.ndarray]     # (n_out,) or None
    activation: str


@dataclass(frozen=True)
class Network:
    """A trained MLP's layers, dtype and leaky ReLU slope, copied out of the model."""

    layers: tuple[Layer, ...]
    dtype: np.dtype[Any]
    negative_slope: float

    @property
    def n_inputs(self) -> int:
        return int(self.layers[0].weights.shape[0])

    @property
    def n_outputs(self) -> int:
        return int(self.layers[-1].weights.shape[1])


def network_of(model: Any) -> Network:
    """Copies of ``model``'s parameters (an ``nncore.MLP``), so that training
    it afterwards does not change an export in progress."""
    n_layers = len(model.layer_sizes) - 1
    activations = [model.activation] * (n_layers - 1) + [model.output_activation]
    layers = tuple(
        Layer(np.array(model.coefs_[l], copy=True),
              np.array(model.intercepts_[l], copy=True) if model.bias else None,
              activations[l])
        for l in range(n_layers))
    return Network(layers, np.dtype(model.dtype), float(model.negative_slope))
