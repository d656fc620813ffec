"""The tutorial's single neuron and its 2-2-1 network, on the compiled kernels."""
import numpy as np

from nncore import _kernel_views as kernels
from nncore._validation import (
    as_float_array, check_assignment, check_dtype, check_length, check_scalar,
)


class Neuron:
    """A sigmoid neuron: ``sigmoid(weights . inputs + bias)``.

    Parameters
    ----------
    weights : array_like, shape (n_inputs,)
    bias : float
    dtype : {numpy.float64, numpy.float32}, optional
        Precision of the arithmetic.
    """

    def __init__(self, weights, bias, dtype=np.float64):
        dtype = check_dtype(dtype)
        # Stored as a (n_inputs, 1) column: one dense layer of width 1.
        self._weights = as_float_array("weights", weights, dtype, ndim=1).reshape(-1, 1)
        self._bias = np.array([check_scalar("bias", bias, dtype)], dtype=dtype)

    @property
    def weights(self):
        """The weights, shape (n_inputs,); assigning validates shape and values."""
        return self._weights[:, 0]

    @weights.setter
    def weights(self, value):
        self._weights[:, 0] = check_assignment("weights", value, self.weights)

    @property
    def bias(self):
        """The bias, a float."""
        return self._bias[0]

    @bias.setter
    def bias(self, value):
        self._bias[0] = check_scalar("bias", value, self._bias.dtype)

    def feedforward(self, inputs):
        """Output for one sample.

        Parameters
        ----------
        inputs : array_like, shape (n_inputs,)

        Returns
        -------
        numpy scalar of the neuron's dtype, in (0, 1).
        """
        x = as_float_array("inputs", inputs, self._weights.dtype, ndim=1)
        check_length("inputs", x, self._weights.shape[0], "one value per weight")
        total = np.empty((1, 1), dtype=x.dtype)
        kernels.dense_forward(x.reshape(1, -1), self._weights, self._bias, total)
        kernels.sigmoid_forward(total.reshape(-1), total.reshape(-1))
        return total[0, 0]


class OurNeuralNetwork:
    """
    Neural network data:
    two entrances
    two neurons in hidden layers (h1, h2)
    output (o1)
    Neurons have identical weights and thresholds:
    w = [0, 1]
    b = 0
    """

    def __init__(self):
        weights = np.array([0, 1])
        bias = 0
        self.h1 = Neuron(weights, bias)
        self.h2 = Neuron(weights, bias)
        self.o1 = Neuron(weights, bias)

    def feedforward(self, x):
        """Output of o1 for one sample ``x`` of two values."""
        out_h1 = self.h1.feedforward(x)
        out_h2 = self.h2.feedforward(x)
        # Inputs for o1 are outputs h1 and h2
        return self.o1.feedforward(np.array([out_h1, out_h2]))
