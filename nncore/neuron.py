"""The tutorial's single neuron and its 2-2-1 network, on the compiled kernels."""
from __future__ import annotations

import copy

import numpy as np

from nncore import _kernel_views as kernels
from nncore import reference
from nncore._buffers import BufferAttribute
from nncore._exclusive import Exclusive
from nncore._typing import ArrayLike, DTypeLike
from nncore._validation import as_float_array, check_dtype, check_length, check_scalar


class Neuron:
    """A sigmoid neuron: ``sigmoid(weights . inputs + bias)``.

    Parameters
    ----------
    weights : array_like, shape (n_inputs,)
    bias : float
    dtype : {numpy.float64, numpy.float32}, optional
        Precision of the arithmetic.
    """

    weights = BufferAttribute("_weights_row")

    def __init__(self, weights: ArrayLike, bias: float, dtype: DTypeLike = np.float64) -> None:
        dtype = check_dtype(dtype)
        # Stored as a (n_inputs, 1) column: one dense layer of width 1.
        self._weights = as_float_array("weights", weights, dtype, ndim=1).reshape(-1, 1)
        self._weights_row = self._weights[:, 0]
        self._bias = np.array([check_scalar("bias", bias, dtype)], dtype=dtype)
        self._in_use = Exclusive()

    def __getstate__(self):
        with self._in_use:
            state = self.__dict__.copy()
            del state["_weights_row"]  # a view: rebuilt on the copy's own buffer
            state["_weights"] = self._weights.copy()
            state["_bias"] = self._bias.copy()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._weights_row = self._weights[:, 0]

    def __copy__(self):
        # A shallow copy would share the buffers that assignment writes into.
        return copy.deepcopy(self)

    @property
    def bias(self) -> float:
        """The bias, a float."""
        return self._bias[0]

    @bias.setter
    def bias(self, value: float) -> None:
        with self._in_use:
            self._bias[0] = check_scalar("bias", value, self._bias.dtype)

    def feedforward(self, inputs: ArrayLike) -> float:
        """Output for one sample.

        Parameters
        ----------
        inputs : array_like, shape (n_inputs,)

        Returns
        -------
        numpy scalar of the neuron's dtype, in (0, 1).
        """
        with self._in_use:
            x = as_float_array("inputs", inputs, self._weights.dtype, ndim=1)
            check_length("inputs", x, self._weights.shape[0], "one value per weight")
            total = np.empty((1, 1), dtype=x.dtype)
            kernels.dense_forward(x.reshape(1, -1), self._weights, self._bias, total)
            kernels.sigmoid_forward(total.reshape(-1), total.reshape(-1))
        return total[0, 0]


class OurNeuralNetwork(reference.OurNeuralNetwork):
    """The tutorial's 2-2-1 network, its three neurons compiled ones.

    h1, h2 and o1 all have weights [0, 1] and bias 0; ``feedforward(x)``
    is the reference's own method, run on these neurons.
    """

    def __init__(self) -> None:
        # Compiled neurons in place of the reference's (the same interface).
        self.h1 = Neuron(np.array([0, 1]), 0)  # type: ignore[assignment]
        self.h2 = Neuron(np.array([0, 1]), 0)  # type: ignore[assignment]
        self.o1 = Neuron(np.array([0, 1]), 0)  # type: ignore[assignment]

    def __copy__(self):
        # The neurons hold buffers; a copy gets its own.
        return copy.deepcopy(self)
