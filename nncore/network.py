"""The tutorial's trainable network, ``NeuralNetwork(x, y)``, on the compiled core."""
from __future__ import annotations

import copy
from typing import Any, Optional

import numpy as np

from nncore._buffers import BufferAttribute, ComputedAttribute
from nncore._engine import BLAS_THRESHOLD, NEVER_BLAS, engine_class
from nncore._exclusive import Exclusive
from nncore._kernels import ACTIVATION_CODES, LOSS_CODES
from nncore._typing import ArrayLike, DTypeLike, FloatArray
from nncore._validation import (
    as_float_array,
    check_bool,
    check_dtype,
    check_learning_rate,
    check_positive_int,
    check_same_samples,
)


class NeuralNetwork:
    """Two sigmoid layers without biases, trained by gradient descent on the
    sum of squared errors: the tutorial's network.

    ``weights1`` is drawn with ``np.random.rand(n_features, hidden)`` and then
    ``weights2`` with ``np.random.rand(hidden, n_outputs)``, so the same
    ``np.random.seed`` gives the reference's starting weights.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
    y : array_like, shape (n_samples, n_outputs)
        Targets; the tutorial has one output column.
    hidden : int, default 4
        Width of the hidden layer.
    learning_rate : float, default 1.0
        Step size of gradient descent; 1.0 is the tutorial's.
    dtype : {numpy.float64, numpy.float32}, default numpy.float64
    deterministic : bool, default False
        Whether the matrix products run in nncore's own kernels with a fixed
        summation order instead of BLAS, for the same bits on every x86-64
        CPU and thread count (see ``nncore.MLP``).

    Attributes
    ----------
    input, y, weights1, weights2 : ndarray
        As in the tutorial, updated in place. Assigning one copies the new
        values in after checking shape and values.
    layer1, output : ndarray, read-only
        What ``feedforward()`` computes, updated in place by every forward
        pass (``layer1`` exists after the first one). Assigning or deleting
        them raises AttributeError; copy ``output`` to keep a snapshot.

    No attribute can be deleted. ``copy.copy``, ``copy.deepcopy`` and
    ``pickle`` give an independent network with the same state.
    """

    input = BufferAttribute("_input")
    y = BufferAttribute("_y")
    weights1 = BufferAttribute("_weights1")
    weights2 = BufferAttribute("_weights2")
    # The forward pass's values, read-only: the engine writes them in place.
    output = ComputedAttribute("_output")
    layer1 = ComputedAttribute("_layer1", ready_flag="_forward_done")

    def __init__(self, x: ArrayLike, y: ArrayLike, hidden: int = 4, learning_rate: float = 1.0,
                 dtype: DTypeLike = np.float64, *, deterministic: bool = False) -> None:
        dtype = check_dtype(dtype)
        deterministic = check_bool("deterministic", deterministic)
        inputs = as_float_array("x", x, dtype, ndim=2)
        targets = as_float_array("y", y, dtype, ndim=2)
        check_same_samples("x", inputs, "y", targets)
        hidden = check_positive_int("hidden", hidden)
        learning_rate = check_learning_rate(learning_rate, dtype)
        n_samples, n_features = inputs.shape
        # The engine's configuration for the tutorial: two logistic layers, no
        # biases, the sum of squared errors, plain SGD; the full batch.
        logistic = ACTIVATION_CODES["logistic"]
        engine = engine_class(dtype)(
            (n_features, hidden, targets.shape[1]), (False, False), (logistic, logistic),
            LOSS_CODES["sse"], 0.0, n_samples, NEVER_BLAS if deterministic else BLAS_THRESHOLD)
        engine.learning_rate = learning_rate
        engine.weights(0)[...] = np.random.rand(n_features, hidden)
        engine.weights(1)[...] = np.random.rand(hidden, targets.shape[1])
        # Everything that can fail (a MemoryError, Ctrl-C in the draws) has
        # run: only now does the object change, so it is never half-built.
        self._engine = engine
        self._in_use = Exclusive()
        self._n_samples = n_samples
        self._forward_done = False
        self._epochs_done = 0
        self._attach(inputs, targets)

    def _attach(self, x, y):
        """Bind (x, y) to the engine and take the views of its buffers."""
        self._weights1 = self._engine.weights(0)
        self._weights2 = self._engine.weights(1)
        self._layer1 = self._engine.outputs(0, self._n_samples)
        self._output = self._engine.outputs(1, self._n_samples)
        self._engine.bind(x, y)
        self._input = x.view()
        self._y = y.view()

    def __getstate__(self):
        with self._in_use:  # one snapshot, taken while no other thread trains
            state = self.__dict__.copy()
            for name in ("_weights1", "_weights2", "_layer1", "_output"):
                del state[name]  # views: rebuilt from the new engine
            # The engine pickles its parameters and optimizer, not its
            # workspace, so the last forward pass (which backprop() uses)
            # travels here.
            state["_engine"] = copy.deepcopy(self._engine)
            state["_layer1"] = self._layer1.copy()
            state["_output"] = self._output.copy()
            state["_input"] = self._input.copy()
            state["_y"] = self._y.copy()
        return state

    def __setstate__(self, state):
        state = dict(state)
        layer1, output = state.pop("_layer1"), state.pop("_output")
        x = np.ascontiguousarray(state.pop("_input"))
        y = np.ascontiguousarray(state.pop("_y"))
        self.__dict__.update(state)
        self._attach(x, y)
        self._layer1[...] = layer1
        self._output[...] = output

    def __copy__(self):
        # A shallow copy would share the engine, and train the original too.
        return copy.deepcopy(self)

    def feedforward(self) -> None:
        """Compute ``layer1`` and ``output`` from ``input``."""
        with self._in_use:
            self._engine.forward_bound()
            self._forward_done = True

    def backprop(self) -> None:
        """One gradient-descent step on ``weights1`` and ``weights2``, using the
        ``layer1`` and ``output`` of the last ``feedforward()``.

        Raises
        ------
        RuntimeError
            If ``feedforward()`` has not run yet.
        ValueError
            If the loss is not finite (the weights are then left unchanged).
        """
        with self._in_use:
            if not self._forward_done:
                raise RuntimeError("backprop(): call feedforward() first; it computes the "
                                   "outputs backprop() uses")
            self._engine.step_bound()

    def train(self, epochs: int, record_loss: bool = False) -> Optional[FloatArray]:
        """Run ``epochs`` x (``feedforward()`` + ``backprop()``) in compiled code.

        The result is bit for bit that of the Python loop. The GIL is released,
        so other threads run meanwhile (but must not use this network); Ctrl-C
        stops the loop after a whole step (KeyboardInterrupt), and
        ``epochs_done`` then says how many steps were taken.

        Parameters
        ----------
        epochs : int
            Number of steps, >= 0.
        record_loss : bool, default False
            Also return the sum of squared errors before each step.

        Returns
        -------
        ndarray of shape (epochs,) or None

        Raises
        ------
        TypeError, ValueError
            If ``epochs`` or ``record_loss`` is not valid; nothing has changed then.
        ValueError
            If a step's loss is not finite; that step's forward pass has run,
            its weights update has not.
        """
        with self._in_use:
            return self._train(epochs, record_loss)

    def _train(self, epochs, record_loss):
        epochs = check_positive_int("epochs", epochs, minimum=0)
        record_loss = check_bool("record_loss", record_loss)
        # Checked and allocated before any state changes: a failure here
        # leaves the network as it was.
        losses = np.zeros(epochs) if record_loss else None
        ran_forward = False
        try:
            self._engine.fit_epochs(self._input, self._y, None, None, epochs,
                                    self._n_samples, losses)
            ran_forward = epochs > 0
            return losses
        except ValueError:
            # With the arguments sized here, the engine's only ValueError is a
            # diverged step, and that step ran its forward pass.
            ran_forward = epochs > 0
            raise
        finally:
            self._epochs_done = self._engine.epochs_done
            # Every step starts with a forward pass; only steps that ran count.
            ran_forward = ran_forward or self._epochs_done > 0
            self._forward_done = self._forward_done or ran_forward

    @property
    def epochs_done(self) -> int:
        """Steps completed by the last ``train()`` call."""
        return self._epochs_done

    @property
    def loss(self) -> float:
        """Sum of squared errors at the last ``backprop()`` or ``train()`` step."""
        return self._engine.loss

    @property
    def learning_rate(self) -> float:
        return self._engine.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        with self._in_use:
            self._engine.learning_rate = check_learning_rate(value, self.dtype)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._weights1.dtype
