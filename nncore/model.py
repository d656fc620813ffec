"""``MLP``: dense networks of any depth, trained and run on the compiled engine."""
from __future__ import annotations

import copy
import numbers
import os
from collections import namedtuple
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from nncore import _serialize
from nncore._buffers import ParameterList
from nncore._exclusive import Exclusive
from nncore._config import (
    DEFAULT_LOSS,
    FUSED_OUTPUT,
    HIDDEN_ACTIVATIONS,
    LOSSES,
    OUTPUT_ACTIVATIONS,
)
# CHUNK_WORK: compiled work (multiply-adds) per return to Python when no
# per-epoch hook needs control back (about 10 ms, so Ctrl-C and progress stay
# responsive and tiny epochs do not pay Python's overhead one by one).
from nncore._engine import (
    BLAS_THRESHOLD, CHUNK_WORK, NEVER_BLAS, OPTIMIZER_CODES, engine_class,
)
from nncore._kernels import ACTIVATION_CODES, LOSS_CODES
from nncore._progress import ProgressBar
from nncore._rng_state import rng_from_state, rng_state
from nncore._typing import ArrayLike, DTypeLike, FloatArray, RandomStateLike
from nncore._validation import (
    check_batch_size, check_below_one_in, check_bool, check_choice, check_class_targets,
    check_class_weight, check_dropout, check_dropout_masks, check_dtype, check_inputs,
    check_layer_sizes, check_learning_rate, check_nonnegative_scalar, check_out, check_outputs,
    check_positive_int, check_positive_scalar, check_random_state, check_sample_weight,
    check_same_samples, check_schedule, check_targets, check_clip_norm,
)
from nncore.optimizers import OPTIMIZER_CLASSES, SGD, Adam, AdamW, optimizer_from_config
from nncore.schedules import Schedule, schedule_from_state
from nncore.training import EarlyStopping, EarlyStoppingState, History

Gradients = namedtuple("Gradients", ["loss", "coefs", "intercepts"])
Gradients.__doc__ = """The loss and its gradient: one array per layer, shaped as coefs_ and intercepts_."""

# Largest permutation block (epochs x samples) drawn at once.
_MAX_ORDER_ENTRIES = 1 << 20
# Rows per compiled call in predict(); larger inputs go in slices.
_PREDICT_ROWS = 1024


class MLP:
    """A multilayer perceptron: dense layers of any depth.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from the inputs to the outputs, e.g. ``(64, 32, 10)``.
    activation : {"relu", "identity", "logistic", "tanh", "leaky_relu", "gelu", "silu", "elu", "softplus"}, default "relu"
        The hidden layers' activation. gelu is z Phi(z) (Phi the standard
        normal distribution: PyTorch's exact GELU), silu z sigmoid(z), elu
        z for z > 0 else exp(z) - 1, softplus log(1 + exp(z)), and z above
        20 (PyTorch's threshold).
    output_activation : {"identity", "logistic", "tanh", "relu", "leaky_relu", "gelu", "silu", "elu", "softplus", "softmax", "exp"}, optional
        Defaults to what ``loss`` implies: softmax for cross_entropy,
        logistic for binary_cross_entropy, exp for poisson, identity
        otherwise. exp is for the output layer only.
    loss : {"squared_error", "sse", "absolute_error", "huber", "binary_cross_entropy", "cross_entropy", "poisson"}, optional
        Defaults to what ``output_activation`` implies: cross_entropy for
        softmax, binary_cross_entropy for logistic, poisson for exp,
        squared_error otherwise.

        - ``sse``: sum over samples and outputs of (a - y)**2 (the tutorial's).
        - ``squared_error``: mean over samples of half the sum over outputs
          of (a - y)**2.
        - ``absolute_error``: mean over samples of the sum over outputs of
          |a - y|; its gradient at a == y is 0 (PyTorch's sign(0)).
        - ``huber``: mean over samples of the sum over outputs of
          (a - y)**2 / 2 where |a - y| <= huber_delta, else
          huber_delta * (|a - y| - huber_delta / 2) (PyTorch's HuberLoss;
          squared_error where the errors are small).
        - ``binary_cross_entropy``: mean over samples of the sum over outputs
          of -(y log a + (1 - y) log(1 - a)); needs a logistic output.
        - ``cross_entropy``: mean over samples of -sum y log a; needs a
          softmax output. Targets are one-hot (or probability) rows, or
          class indices.
        - ``poisson``: mean over samples of the sum over outputs of half
          the Poisson deviance, y log(y / a) - y + a (scikit-learn's
          ``loss="poisson"``); needs an exp output, a = exp(z), and
          targets >= 0.

        The cross-entropies and poisson are computed from the
        pre-activations and their gradient is fused with the output
        activation (``a - y``), so saturated outputs give finite losses and
        gradients. With sample
        weights, the means are weighted means. The L2 penalty of ``fit``
        adds ``(l2 / 2) * sum(W**2)``, divided by the batch's weight sum
        for the mean losses (scikit-learn's ``alpha``).
    bias : bool, default True
        Whether every layer has a bias.
    dtype : {numpy.float64, numpy.float32}, default numpy.float64
        Precision of the parameters and of all arithmetic.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        Source of the initial weights and, unless ``fit`` is given its own,
        of the shuffling. An int seeds a Generator afresh at every
        (re)initialisation, so fits are repeatable.
    negative_slope : float, default 0.01
        The leaky ReLU's slope for negative inputs.
    huber_delta : float, default 1.0
        Where the ``huber`` loss turns from quadratic to linear; > 0.
    deterministic : bool, default False
        Whether every matrix product runs in nncore's own kernels, which sum
        each output in a fixed order (see ``_gemm.h``), instead of going to
        BLAS from 128 multiply-adds. The same model, data and seed then give
        the same bits on every x86-64 CPU and for any number of BLAS threads.
        At one thread it costs at most about 1.3x OpenBLAS's time on large
        layers, and nothing on small ones (see the README's Determinism).
    dropout : float or sequence of float, default 0.0
        Inverted dropout on the hidden layers' outputs while training
        (``fit`` and ``partial_fit``): each unit is zeroed with this
        probability and the others scaled by 1 / (1 - rate). One rate for
        every hidden layer, or one per hidden layer, each in [0, 1).
        ``predict``, ``loss``, ``score`` and ``gradients`` run without it.
        The masks are a pure function of a seed drawn from ``random_state``
        at initialisation, the epoch, the step and the unit (``_dropout.h``):
        the same ``random_state`` gives the same bits for any thread count,
        and a model saved and loaded trains on as if never stopped.
        0 trains to exactly the bits of a model without dropout.

    Attributes
    ----------
    loss_name : str
        The loss (``loss`` is the method that computes it).
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (layer_sizes[i], layer_sizes[i + 1]): live
        views the engine trains in place. Assigning ``coefs_[i] = array`` or
        ``coefs_ = [...]`` checks shapes and values and copies them in.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` has shape (layer_sizes[i + 1],); empty without biases.
    params_ : ndarray
        Every parameter in one flat live view: per layer, the weights (row
        major) then the bias.
    history_ : History or None
        The record of the last ``fit`` or ``partial_fit``.
    optimizer_ : SGD, Adam, AdamW or None
        The optimizer of the last training call; its state is in the model.
    schedule_ : StepDecay, ExponentialDecay, CosineDecay, OneCycle, ReduceOnPlateau or None
        The learning-rate schedule of the last training call (the model's
        own copy, with its state), which a warm start continues.

    Notes
    -----
    Initialisation is Glorot uniform, as scikit-learn's MLP draws it: layer
    by layer, the weights then the bias, each from
    ``U(-b, b)`` with ``b = sqrt(f / (n_in + n_out))``, ``f = 2`` for
    logistic hidden layers and 6 otherwise. Given a
    ``numpy.random.RandomState``, the draws are scikit-learn's.
    """

    def __init__(self, layer_sizes: Sequence[int], *, activation: str = "relu",
                 output_activation: Optional[str] = None, loss: Optional[str] = None,
                 bias: bool = True, dtype: DTypeLike = np.float64,
                 random_state: RandomStateLike = None, negative_slope: float = 0.01,
                 huber_delta: float = 1.0, deterministic: bool = False,
                 dropout: Union[float, Sequence[float]] = 0.0) -> None:
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.activation = check_choice("activation", activation, HIDDEN_ACTIVATIONS)
        self.output_activation, self.loss_name = _resolve_head(
            output_activation, loss, self.layer_sizes[-1])
        self.bias = check_bool("bias", bias)
        self.dtype = check_dtype(dtype)
        self.negative_slope = check_nonnegative_scalar("negative_slope", negative_slope, self.dtype)
        self.huber_delta = check_positive_scalar("huber_delta", huber_delta, self.dtype)
        self.deterministic = check_bool("deterministic", deterministic)
        self._dropout_rates = check_dropout(dropout, len(self.layer_sizes) - 2)
        self.dropout = (float(dropout) if isinstance(dropout, numbers.Real)
                        else list(self._dropout_rates))
        check_random_state(random_state)
        self.random_state = random_state
        self._in_use = Exclusive()
        self._build_engine()
        self._initialize()
        self.history_: Optional[History] = None
        self.optimizer_: Optional[Union[SGD, Adam]] = None
        self.schedule_: Optional[Schedule] = None

    # -- structure -------------------------------------------------------------

    def _build_engine(self):
        activations = ([ACTIVATION_CODES[self.activation]] * (len(self.layer_sizes) - 2)
                       + [ACTIVATION_CODES[self.output_activation]])
        self._engine = engine_class(self.dtype)(
            self.layer_sizes, (self.bias,) * (len(self.layer_sizes) - 1), activations,
            LOSS_CODES[self.loss_name], self.negative_slope, 1,
            NEVER_BLAS if self.deterministic else BLAS_THRESHOLD, huber_delta=self.huber_delta,
            dropout=self._dropout_rates + (0.0,))
        self._attach_views()

    def _attach_views(self):
        engine = self._engine
        self._coefs = ParameterList("coefs_", [engine.weights(l) for l in range(engine.n_layers)],
                                    self._in_use)
        self._intercepts = ParameterList(
            "intercepts_", [engine.bias(l) for l in range(engine.n_layers)] if self.bias else [],
            self._in_use)

    def _initialize(self):
        """Glorot-uniform weights and biases from ``random_state``; a fresh optimizer."""
        self._rng = check_random_state(self.random_state)
        factor = 2.0 if self.activation == "logistic" else 6.0
        for l, (fan_in, fan_out) in enumerate(zip(self.layer_sizes, self.layer_sizes[1:])):
            bound = np.sqrt(factor / (fan_in + fan_out))
            self._coefs[l][...] = self._rng.uniform(-bound, bound, (fan_in, fan_out))
            if self.bias:
                self._intercepts[l][...] = self._rng.uniform(-bound, bound, fan_out)
        # Drawn only with dropout, so that a model without it draws (and
        # shuffles) as before.
        self._dropout_seed = _draw_seed(self._rng) if any(self._dropout_rates) else 0
        self._epochs_trained = 0
        self._reset_optimizer()
        self.optimizer_ = None

    @property
    def coefs_(self) -> ParameterList:
        return self._coefs

    @coefs_.setter
    def coefs_(self, values: Sequence[ArrayLike]) -> None:
        self._coefs.assign(values)

    @property
    def intercepts_(self) -> ParameterList:
        return self._intercepts

    @intercepts_.setter
    def intercepts_(self, values: Sequence[ArrayLike]) -> None:
        self._intercepts.assign(values)

    @property
    def params_(self) -> FloatArray:
        return self._engine.params

    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments (but random_state), as saved by ``save``."""
        return {
            "layer_sizes": list(self.layer_sizes),
            "activation": self.activation,
            "output_activation": self.output_activation,
            "loss": self.loss_name,
            "bias": self.bias,
            "dtype": self.dtype.name,
            "negative_slope": self.negative_slope,
            "huber_delta": self.huber_delta,
            "deterministic": self.deterministic,
            "dropout": self.dropout,
        }

    def __repr__(self):
        huber = f", huber_delta={self.huber_delta}" if self.loss_name == "huber" else ""
        return (f"MLP({self.layer_sizes}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}, loss={self.loss_name!r}{huber}, "
                f"bias={self.bias}, dtype={self.dtype.name}"
                + (f", dropout={self.dropout}" if any(self._dropout_rates) else "")
                + (", deterministic=True)" if self.deterministic else ")"))

    # -- copying and pickling: a copy never shares buffers -------------------------

    def __getstate__(self):
        with self._in_use:  # one consistent snapshot, never mid-fit
            state = self.__dict__.copy()
            del state["_coefs"], state["_intercepts"], state["_engine"]  # rebuilt
            state.pop("schedule_", None)  # in the training state
            state["_state"] = self._get_state()
        return state

    def __setstate__(self, state):
        state = dict(state)
        training = state.pop("_state")
        # The generator comes as the object itself, which a pickle may
        # share with others (an estimator's random_state), not as a copy.
        training.pop("rng", None)
        self.__dict__.update(state)
        self._build_engine()
        self._set_state(training)

    def __copy__(self):
        return copy.deepcopy(self)

    # -- the engine's one owner: the estimators, the command and the file format
    #    reach the engine through these, with per-call options as arguments ---

    def _get_state(self) -> dict[str, Any]:
        """Copies of everything training changes: the one schema of a model's
        training state, which pickling, ``save`` and ``load`` all use.

        ``params``, ``first_moment`` and ``second_moment`` (arrays shaped as
        ``params_``), ``optimizer`` (the last optimizer's ``get_config()``, or
        None), ``step_count`` (Adam's and AdamW's t), ``l2`` (the last
        training call's penalty), ``clip_norm`` (its gradient clipping, or
        None), ``loss`` (the last step's), ``schedule`` (None, or the
        schedule's ``{"config": get_config(), "state": get_state()}``),
        ``dropout_seed`` (the masks' seed, an int below 2**64),
        ``epochs_trained`` (since initialisation: the masks' epoch count)
        and ``rng`` (the generator shuffles draw from, as JSON data).
        """
        with self._in_use:
            state = self._engine.get_state()
            state["dropout_seed"] = self._dropout_seed
            state["epochs_trained"] = self._epochs_trained
            state["rng"] = rng_state(self._rng)
        state["optimizer"] = self.optimizer_.get_config() if self.optimizer_ is not None else None
        state["clip_norm"] = state["clip_norm"] or None
        schedule = self.schedule_
        state["schedule"] = None if schedule is None else {
            "config": schedule.get_config(), "state": schedule.get_state()}
        return state

    def _set_state(self, state: dict[str, Any]) -> None:
        """Copy in a state of ``_get_state``'s schema; its arrays must already be
        checked (shape, dtype, finite). The optimizer, the clipping and the
        schedule are checked here, in this model's dtype, before anything
        changes. A state without ``clip_norm`` or ``schedule`` (from before
        they were kept) has none; one without ``dropout_seed`` and
        ``epochs_trained``, 0 for both; one without ``rng`` keeps the
        model's generator."""
        optimizer = state["optimizer"]
        if optimizer is not None:
            optimizer = _resolve_optimizer(optimizer_from_config(optimizer), None, self.dtype)
        clip_norm = check_clip_norm(state.get("clip_norm"), self.dtype)
        schedule = state.get("schedule")
        schedule = None if schedule is None else schedule_from_state(schedule)
        rng = None if state.get("rng") is None else rng_from_state(state["rng"])
        with self._in_use:
            engine_state = dict(state)
            engine_state["optimizer"] = _engine_optimizer(optimizer)
            engine_state["clip_norm"] = clip_norm or 0.0
            self._engine.set_state(engine_state)
            self.optimizer_ = optimizer
            self.schedule_ = schedule
            self._dropout_seed = state.get("dropout_seed") or 0
            self._epochs_trained = state.get("epochs_trained") or 0
            if rng is not None:
                self._rng = rng

    def _reset_optimizer(self) -> None:
        """Zero the optimizer's moments and step count (its kind and
        hyperparameters, ``optimizer_``, stay)."""
        with self._in_use:
            self._engine.reset_optimizer()

    def _fit_epochs(self, inputs, targets, weights, order, epochs, batch_size, losses, *,
                    optimizer, l2=0.0, data_loss_factor=1.0, clip_norm=None, rates=None):
        """``epochs`` epochs in compiled code on checked arrays (the engine's
        dtype, C-contiguous), with ``optimizer`` (an SGD, Adam or AdamW,
        checked) from the current moments, clipping each step's gradient to
        the global norm ``clip_norm`` (checked) unless it is None, at the
        per-step learning ``rates`` (float64) if given, else the optimizer's. Each
        epoch's loss goes to ``losses``; on an exception, ``_epochs_done``
        says how many whole epochs ran."""
        with self._in_use:
            engine = self._engine
            kind, *hyperparameters = _engine_optimizer(optimizer)
            engine.configure_optimizer(kind, *hyperparameters)
            self.optimizer_ = optimizer
            engine.reserve(batch_size)
            try:
                engine.fit_epochs(inputs, targets, weights, order, epochs, batch_size, losses,
                                  l2, data_loss_factor, clip_norm or 0.0, rates,
                                  self._dropout_seed, self._epochs_trained)
            finally:
                self._epochs_trained += engine.epochs_done

    @property
    def _epochs_done(self) -> int:
        """Whole epochs run by the last ``_fit_epochs``."""
        return self._engine.epochs_done

    def _evaluate(self, inputs, targets, weights, *, gradients=False, l2=0.0,
                  data_loss_factor=1.0, dropout_masks=None):
        """The loss on checked arrays as ``fit`` minimises it (its data term
        times ``data_loss_factor``); with ``gradients``, ``(loss, grads)``,
        grads a fresh flat array shaped as ``params_``, with the checked
        ``dropout_masks`` applied if given."""
        with self._in_use:
            engine = self._engine
            if not gradients:
                engine.reserve(min(inputs.shape[0], _PREDICT_ROWS))
                return engine.evaluate(inputs, targets, weights, False, l2, data_loss_factor)
            engine.reserve(inputs.shape[0])
            masks = None if dropout_masks is None else tuple(dropout_masks) + (None,)
            loss = engine.evaluate(inputs, targets, weights, True, l2, data_loss_factor, masks)
            return loss, engine.grads.copy()

    def _save(self, path, extra=None):
        """``save``, with ``extra`` (a dict) as the file's extra member."""
        _serialize.write(path, self.get_config(), self._get_state(), extra)

    # -- training ----------------------------------------------------------------

    def fit(self, X: ArrayLike, y: ArrayLike, *, epochs: int, batch_size: Optional[int] = None,
            optimizer: Union[str, SGD, Adam] = "sgd", learning_rate: Optional[float] = None,
            shuffle: bool = True, random_state: RandomStateLike = None,
            sample_weight: Optional[ArrayLike] = None, l2: float = 0.0,
            clip_norm: Optional[float] = None,
            validation_data: Optional[tuple[ArrayLike, ...]] = None,
            early_stopping: Union[None, bool, EarlyStopping] = None,
            callback: Optional[Callable[[int, dict[str, float]], Optional[bool]]] = None,
            progress: bool = False, warm_start: bool = False,
            class_weight: Union[None, str, dict[int, float]] = None,
            schedule: Optional[Schedule] = None) -> History:
        """Train on (X, y) for ``epochs`` passes over the data.

        Every epoch runs in compiled code without the GIL: shuffling by a
        permutation, gathering each batch, forward, backward, the optimizer
        step and the loss. Python gets control back between epochs only
        when something needs it (validation, early stopping, a callback),
        and otherwise every ~10 ms of work (progress, Ctrl-C).

        Parameters
        ----------
        X : array_like or SciPy sparse matrix, shape (n_samples, n_inputs)
        y : array_like, shape (n_samples, n_outputs)
            For ``cross_entropy``, also 1-D integer class indices; for one
            output, also 1-D.
        epochs : int
            Passes over the data, >= 0.
        batch_size : int, optional
            Samples per step, 1 to n_samples; the last batch of an epoch
            may be smaller. None is the full batch.
        optimizer : "sgd", "adam", "adamw", SGD, Adam or AdamW, default "sgd"
        learning_rate : float, optional
            With an optimizer given by name: its step size (default 0.01
            for SGD, 0.001 for Adam and AdamW). Give an optimizer object its own.
        shuffle : bool, default True
            Visit the samples in a new random order every epoch.
        random_state : None, int, Generator or RandomState, optional
            Source of the shuffling; by default the model's own.
        sample_weight : array_like, shape (n_samples,), optional
            Weights >= 0; the mean losses become weighted means per batch.
        l2 : float, default 0.0
            L2 penalty on the weights (not the biases); see ``MLP``.
        clip_norm : float > 0, optional
            Clip each step's gradient to this global L2 norm, over every
            weight and bias, as ``torch.nn.utils.clip_grad_norm_`` does:
            scaled by ``clip_norm / (norm + 1e-6)`` when that is below 1.
            Recorded in the model's state with ``l2``.
        validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val), optional
            Scored after every epoch (without the L2 term) into the history.
        early_stopping : True or EarlyStopping, optional
            Stop when the validation loss (or, without validation data, the
            training loss) stops improving. True is ``EarlyStopping()``.
        callback : callable, optional
            ``callback(epoch, logs)`` after every epoch, with ``logs`` a dict
            of ``loss`` (and ``val_loss``, ``val_score``); return True to stop.
        progress : bool, default False
            Show a progress bar (epochs and loss) on stderr.
        warm_start : bool, default False
            Continue from the current parameters and optimizer state
            (reset if the optimizer's kind changes). Otherwise the
            parameters are drawn afresh from ``random_state`` first.
        class_weight : None, "balanced" or dict, optional
            For the classification losses: each sample's weight is its
            class's weight, times ``sample_weight`` if given (the same bits
            as passing that product as ``sample_weight``). A dict maps class
            indices (the output column for cross_entropy, 0 or 1 for one
            binary_cross_entropy output) to weights >= 0, 1 for classes it
            leaves out; "balanced" is n_samples / (n_classes * the class's
            count), n_classes the classes present (scikit-learn's).
            Needs one class per sample: one-hot cross_entropy targets.
        schedule : StepDecay, ExponentialDecay, CosineDecay, OneCycle or ReduceOnPlateau, optional
            Vary the learning rate from the optimizer's: per epoch (per step
            for OneCycle), as PyTorch's schedulers do; ``history_.learning_rate``
            records it. ReduceOnPlateau watches the validation loss when
            there is validation data, the training loss otherwise. The
            model trains a copy, kept as ``schedule_``; with ``warm_start``
            and a schedule of the same hyperparameters, that copy goes on
            where it stopped (also after ``save``/``load`` or pickling).

        Returns
        -------
        History
            Also kept as ``history_``.

        Raises
        ------
        ValueError
            On bad arguments (before anything changes), or if a step's loss
            is not finite: the parameters are then those before that step.
        KeyboardInterrupt
            On Ctrl-C, after a whole step; ``history_`` holds the whole epochs run.
        """
        epochs = check_positive_int("epochs", epochs, minimum=0)
        warm_start = check_bool("warm_start", warm_start)
        return self._train(X, y, epochs=epochs, batch_size=batch_size, optimizer=optimizer,
                           learning_rate=learning_rate, shuffle=shuffle,
                           random_state=random_state, sample_weight=sample_weight, l2=l2,
                           clip_norm=clip_norm, validation_data=validation_data,
                           early_stopping=early_stopping, callback=callback, progress=progress,
                           reinitialize=not warm_start, class_weight=class_weight,
                           schedule=schedule)

    def partial_fit(self, X: ArrayLike, y: ArrayLike, *, batch_size: Optional[int] = None,
                    optimizer: Union[None, str, SGD, Adam] = None,
                    learning_rate: Optional[float] = None, shuffle: bool = True,
                    random_state: RandomStateLike = None,
                    sample_weight: Optional[ArrayLike] = None, l2: float = 0.0,
                    class_weight: Optional[dict[int, float]] = None,
                    clip_norm: Optional[float] = None,
                    schedule: Optional[Schedule] = None) -> History:
        """One epoch from the current parameters and optimizer state.

        ``optimizer`` defaults to the last one used (SGD if none), and
        ``schedule`` to the model's (``schedule_``): each call is one epoch
        of it, monitoring the training loss. Other
        arguments are those of ``fit``, but ``class_weight`` is None or a
        dict: "balanced" needs the whole data set's class counts. Returns a
        ``History`` of one epoch.
        """
        if optimizer is None:
            optimizer = self.optimizer_ if self.optimizer_ is not None else "sgd"
            if learning_rate is not None and not isinstance(optimizer, str):
                optimizer = _with_rate(optimizer, learning_rate)
                learning_rate = None
        return self._train(X, y, epochs=1, batch_size=batch_size, optimizer=optimizer,
                           learning_rate=learning_rate, shuffle=shuffle,
                           random_state=random_state, sample_weight=sample_weight, l2=l2,
                           clip_norm=clip_norm, validation_data=None, early_stopping=None,
                           callback=None, progress=False, reinitialize=False, class_weight=class_weight,
                           whole_data=False,
                           schedule=schedule if schedule is not None else self.schedule_)

    def _train(self, X, y, **options):
        # The lock first: a refused call changes nothing, not even by a check.
        with self._in_use:
            return self._train_alone(X, y, **options)

    def _train_alone(self, X, y, *, epochs, batch_size, optimizer, learning_rate, shuffle,
                     random_state, sample_weight, l2, clip_norm, validation_data,
                     early_stopping, callback, progress, reinitialize, class_weight, schedule,
                     whole_data=True):
        # Every check comes before the first change of state.
        inputs, targets, weights = self._check_data(X, y, sample_weight)
        if class_weight is not None:
            weights = self._class_weighted(targets, sample_weight, class_weight, whole_data)
        n_samples = inputs.shape[0]
        batch_size = check_batch_size(batch_size, n_samples)
        optimizer = _resolve_optimizer(optimizer, learning_rate, self.dtype)
        shuffle = check_bool("shuffle", shuffle)
        l2 = check_nonnegative_scalar("l2", l2, self.dtype)
        clip_norm = check_clip_norm(clip_norm, self.dtype)
        validation = self._check_validation(validation_data)
        stopping = _resolve_early_stopping(early_stopping, validation is not None)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback: got {callback!r}, expected a callable or None")
        progress = check_bool("progress", progress)
        shuffle_rng = check_random_state(random_state) if random_state is not None else None
        schedule = self._continued_schedule(check_schedule(schedule, Schedule), reinitialize)
        if schedule is not None:  # before anything changes
            schedule.check_room(epochs, -(-n_samples // batch_size))

        if reinitialize:
            self._initialize()
        shuffle_rng = shuffle_rng if shuffle_rng is not None else self._rng
        if self.optimizer_ is None or self.optimizer_.name != optimizer.name:
            self._reset_optimizer()
        self.optimizer_ = optimizer  # recorded even when no epoch runs
        self.schedule_ = schedule

        history = self.history_ = History()
        per_epoch = (validation is not None or stopping is not None or callback is not None
                     or schedule is not None)
        chunk = 1 if per_epoch else self._epochs_per_chunk(n_samples, shuffle)
        bar = ProgressBar(epochs) if progress else None
        best_params = None
        logs = {}
        try:
            while history.epochs < epochs:
                count = min(chunk, epochs - history.epochs)
                order = _permutations(shuffle_rng, n_samples, count) if shuffle else None
                losses = np.full(count, np.nan)
                rates = None
                if schedule is not None:
                    before = schedule.get_state()
                    rates = schedule.rates(-(-n_samples // batch_size), optimizer.learning_rate,
                                           schedule.monitored_loss)
                try:
                    self._fit_epochs(inputs, targets, weights, order, count, batch_size, losses,
                                     optimizer=optimizer, l2=l2, clip_norm=clip_norm, rates=rates)
                finally:
                    done = self._epochs_done
                    if schedule is not None and done == 0:
                        schedule.set_state(before)  # the epoch did not happen
                    history.loss.extend(losses[:done].tolist())
                    history.learning_rate.extend(
                        [optimizer.learning_rate if rates is None else float(rates[0])] * done)
                epoch = history.epochs - 1
                logs = {"loss": history.loss[-1]}
                if validation is not None:
                    logs["val_loss"] = self._evaluate(*validation)
                    logs["val_score"] = self._score(*validation)
                    history.val_loss.append(logs["val_loss"])
                    history.val_score.append(logs["val_score"])
                if schedule is not None:
                    schedule.monitored_loss = logs.get("val_loss", logs["loss"])
                if stopping is not None and stopping.update(epoch, logs):
                    history.best_epoch = epoch
                    if stopping.rule.restore_best:
                        best_params = self.params_.copy()
                if bar is not None:
                    bar.update(history.epochs, logs)
                if callback is not None and callback(epoch, dict(logs)) is True:
                    history.stopped_early = True
                    break
                if stopping is not None and stopping.should_stop:
                    history.stopped_early = True
                    break
        finally:
            if bar is not None:
                bar.close(history.epochs, logs)
        if best_params is not None:
            self.params_[...] = best_params
        return history

    def _continued_schedule(self, schedule, reinitialize):
        """The model's schedule for this call: its own, going on, when not
        reinitialising and ``schedule`` has its hyperparameters (or is it);
        else a copy of ``schedule`` (never the caller's object, which
        training would change)."""
        if schedule is None:
            return None
        own = self.schedule_
        if schedule is own or (not reinitialize and own is not None and type(own) is type(schedule)
                               and own.get_config() == schedule.get_config()):
            if reinitialize:
                own.reset()
            return own
        schedule = copy.deepcopy(schedule)
        if reinitialize:
            schedule.reset()
        return schedule

    def _epochs_per_chunk(self, n_samples, shuffle):
        chunk = max(1, CHUNK_WORK // max(1, n_samples * self._engine.work_per_row))
        if shuffle:
            chunk = min(chunk, max(1, _MAX_ORDER_ENTRIES // n_samples))
        return chunk

    # -- inference and inspection --------------------------------------------------

    def predict(self, X: ArrayLike, out: Optional[FloatArray] = None) -> FloatArray:
        """The output layer's values for X: probabilities for softmax and
        logistic outputs.

        Parameters
        ----------
        X : array_like or SciPy sparse matrix, shape (n_samples, n_inputs) or (n_inputs,)
            A 1-D array is one sample, and gets a 1-D result.
        out : ndarray, optional
            Written in place and returned: the model's dtype, C-contiguous,
            shape (n_samples, n_outputs) (or (n_outputs,) for 1-D X). For one
            sample of the model's dtype, this path allocates nothing.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs) or (n_outputs,)
        """
        with self._in_use:
            if out is not None and self._engine.predict_one(X, out):
                return out
            return self._predict(X, out)

    def _predict(self, X, out):
        inputs, one_sample = check_inputs("X", X, self.layer_sizes[0], self.dtype)
        n_samples, n_outputs = inputs.shape[0], self.layer_sizes[-1]
        shape = (n_outputs,) if one_sample else (n_samples, n_outputs)
        if out is None:
            out = np.empty(shape, dtype=self.dtype)
        else:
            check_out(out, shape, self.dtype, inputs)
        self._engine.reserve(min(n_samples, _PREDICT_ROWS))
        self._engine.predict(inputs, out.reshape(n_samples, n_outputs))
        return check_outputs("X", out)

    predict_proba = predict

    def loss(self, X: ArrayLike, y: ArrayLike, *, sample_weight: Optional[ArrayLike] = None,
             l2: float = 0.0) -> float:
        """The loss on (X, y), as ``fit`` minimises it (with this L2 penalty)."""
        with self._in_use:
            inputs, targets, weights = self._check_data(X, y, sample_weight)
            l2 = check_nonnegative_scalar("l2", l2, self.dtype)
            return self._evaluate(inputs, targets, weights, l2=l2)

    def gradients(self, X: ArrayLike, y: ArrayLike, *, sample_weight: Optional[ArrayLike] = None,
                  l2: float = 0.0,
                  dropout_masks: Optional[Sequence[Optional[ArrayLike]]] = None) -> Gradients:
        """The gradient of ``loss(X, y, sample_weight=..., l2=...)`` in every
        parameter, with X as one batch; nothing is updated.

        Without ``dropout_masks`` there is no dropout. With them, one per
        hidden layer, each a 0/1 array (n_samples, the layer's width) (None
        for a layer whose rate is 0), the hidden outputs are multiplied by
        mask / (1 - rate) as in a training step, through the same kernels:
        the loss and gradient are those of that step.

        Returns
        -------
        Gradients
            ``(loss, coefs, intercepts)``: the loss, and fresh arrays shaped
            as ``coefs_`` and ``intercepts_``.
        """
        with self._in_use:
            inputs, targets, weights = self._check_data(X, y, sample_weight)
            l2 = check_nonnegative_scalar("l2", l2, self.dtype)
            if dropout_masks is not None:
                dropout_masks = check_dropout_masks(dropout_masks, self._dropout_rates,
                                                    inputs.shape[0], self.layer_sizes[1:-1],
                                                    self.dtype)
            loss, grads = self._evaluate(inputs, targets, weights, gradients=True, l2=l2,
                                         dropout_masks=dropout_masks)
            slices = self._engine.weight_slices()
        coefs, intercepts = [], []
        for (weights_at, bias_at), coef in zip(slices, self._coefs):
            coefs.append(grads[weights_at].reshape(coef.shape))
            if bias_at is not None:
                intercepts.append(grads[bias_at])
        return Gradients(loss, coefs, intercepts)

    def score(self, X: ArrayLike, y: ArrayLike, *, sample_weight: Optional[ArrayLike] = None) -> float:
        """Accuracy for softmax and logistic outputs (every output of a sample
        right), R^2 averaged over outputs otherwise."""
        with self._in_use:
            return self._score(*self._check_data(X, y, sample_weight))

    def _score(self, inputs, targets, weights):
        predicted = self._predict(inputs, None)
        if self.output_activation == "softmax":
            return float(np.average(predicted.argmax(axis=1) == targets.argmax(axis=1), weights=weights))
        if self.output_activation == "logistic":
            right = ((predicted > 0.5) == (targets > 0.5)).all(axis=1)
            return float(np.average(right, weights=weights))
        return _r2_score(targets, predicted, weights)

    # -- checks ------------------------------------------------------------------

    def _check_data(self, X, y, sample_weight, prefix=""):
        inputs, _ = check_inputs(prefix + "X", X, self.layer_sizes[0], self.dtype)
        targets = check_targets(prefix + "y", y, inputs.shape[0], self.layer_sizes[-1],
                                self.loss_name, self.dtype)
        check_same_samples(prefix + "X", inputs, prefix + "y", targets)
        weights = check_sample_weight(sample_weight, inputs.shape[0], self.dtype,
                                      name=prefix + "sample_weight")
        return inputs, targets, weights

    def _class_weighted(self, targets, sample_weight, class_weight, whole_data):
        """The sample weights ``class_weight`` gives checked targets (times
        ``sample_weight``), checked in the model's dtype."""
        labels = check_class_targets(targets, self.loss_name)
        classes = range(targets.shape[1] if self.loss_name == "cross_entropy" else 2)
        class_weight = check_class_weight(class_weight, classes, allow_balanced=whole_data)
        product = class_sample_weight(labels, len(classes), class_weight,
                                      check_sample_weight(sample_weight, len(labels), np.float64))
        return check_sample_weight(product, len(labels), self.dtype, name="class_weight")

    def _check_validation(self, validation_data):
        if validation_data is None:
            return None
        if not isinstance(validation_data, tuple) or len(validation_data) not in (2, 3):
            raise TypeError(f"validation_data: got {type(validation_data).__name__}, expected a "
                            "tuple (X_val, y_val) or (X_val, y_val, sample_weight_val)")
        X, y, *rest = validation_data
        return self._check_data(X, y, rest[0] if rest else None, prefix="validation_data ")

    # -- persistence ---------------------------------------------------------------

    def save(self, path: Union[str, os.PathLike[str]]) -> None:
        """Write the model to ``path`` in nncore's ``.npz`` format (see
        ``nncore.load``). The write is atomic: ``path`` holds either its old
        contents or the whole model, even if the process dies mid-write."""
        self._save(path)

    # -- deployment ----------------------------------------------------------------

    def to_onnx(self, path: Optional[Union[str, os.PathLike[str]]] = None, *,
                opset: Optional[int] = None) -> Any:
        """The network as an ONNX model (``onnx.ModelProto``), also written to
        ``path`` if given. Needs the ``onnx`` package
        (``pip install "nncore-cython[onnx]"``).

        Input ``"X"``: (N, n_inputs) in the model's dtype; output ``"Y"``:
        (N, n_outputs), what ``predict`` returns. ``opset`` defaults to 17.
        """
        from nncore.export.onnx import mlp_model, save_model

        with self._in_use:
            onnx_model = mlp_model(self, opset=opset)
        if path is not None:
            save_model(onnx_model, path)
        return onnx_model

    def to_c(self, directory: Union[str, os.PathLike[str]], name: str = "model") -> None:
        """Write the network as C99 source, ``{name}.h`` and ``{name}.c``, into
        ``directory`` (created if missing).

        ``{name}_predict(const T *x, T *y)`` and ``{name}_predict_batch(const
        T *x, size_t n, T *y)``, T the model's dtype as ``double`` or
        ``float``, give the bits ``predict`` gives for each row alone. The
        code needs no library beyond the C standard library (not even libm),
        allocates nothing and is reentrant. ``name`` must be a C identifier.
        """
        from nncore.export.c import write_c

        with self._in_use:
            write_c(self, directory, name)


def load(path: Union[str, os.PathLike[str]]) -> MLP:
    """The model saved at ``path`` by ``MLP.save``: same parameters, bit for
    bit, and the same optimizer state, so training resumes exactly.

    Raises
    ------
    ValueError
        If the file is not a valid nncore model file (damaged, truncated,
        from another program or a newer format version).
    """
    return load_with_extra(path)[0]


def load_with_extra(path: Union[str, os.PathLike[str]]) -> tuple[MLP, Optional[dict[str, Any]]]:
    """``(load(path), extra)``: the model and its file's ``extra`` member, a
    dict (None when the file has none)."""
    config, state, extra = _serialize.read(path)
    with _serialize.invalid_file(path):
        model = MLP(**config)
        model._set_state(state)
    return model, extra


def class_sample_weight(labels, n_classes, class_weight, sample_weight=None):
    """float64 per-sample weights: the weight of each sample's class (labels
    are class indices below n_classes; class_weight "balanced" or a checked
    dict from index to weight, 1 for the classes it leaves out), times
    sample_weight (float64) if given. "balanced" is scikit-learn's
    compute_class_weight over the classes present: n_samples / (n_classes
    present * count)."""
    if isinstance(class_weight, str):
        present, index = np.unique(labels, return_inverse=True)
        per_class = len(labels) / (len(present) * np.bincount(index).astype(np.float64))
        weights = per_class[index]
    else:
        per_class = np.ones(n_classes)
        for label, weight in class_weight.items():
            per_class[int(label)] = weight
        weights = per_class[labels]
    return weights if sample_weight is None else weights * sample_weight


def _resolve_head(output_activation, loss, n_outputs):
    """The (output activation, loss) pair: each defaults from the other; checked together."""
    if output_activation is not None:
        check_choice("output_activation", output_activation, OUTPUT_ACTIVATIONS)
    if loss is not None:
        check_choice("loss", loss, LOSSES)
    if loss is None:
        loss = DEFAULT_LOSS.get(output_activation, "squared_error")
    if output_activation is None:
        output_activation = FUSED_OUTPUT.get(loss, "identity")
    if loss in FUSED_OUTPUT and output_activation != FUSED_OUTPUT[loss]:
        raise ValueError(f"loss: got {loss!r} with output_activation={output_activation!r}, "
                         f"expected output_activation={FUSED_OUTPUT[loss]!r}: the gradient is "
                         "fused with that activation")
    if output_activation == "softmax" and n_outputs < 2:
        raise ValueError(f"output_activation: got 'softmax' with {n_outputs} output, expected at "
                         "least 2 outputs (a softmax of one value is always 1; use 'logistic')")
    return output_activation, loss


def _engine_optimizer(optimizer):
    """The engine's optimizer settings for an SGD, Adam, AdamW or None: (kind,
    learning_rate, momentum, nesterov, beta_1, beta_2, epsilon, weight_decay)."""
    if optimizer is None:
        return OPTIMIZER_CODES["sgd"], 1.0, 0.0, False, 0.9, 0.999, 1e-8, 0.0
    if isinstance(optimizer, Adam):
        return (OPTIMIZER_CODES[optimizer.name], optimizer.learning_rate, 0.0, False,
                optimizer.beta_1, optimizer.beta_2, optimizer.epsilon,
                getattr(optimizer, "weight_decay", 0.0))
    return (OPTIMIZER_CODES["sgd"], optimizer.learning_rate, optimizer.momentum,
            optimizer.nesterov, 0.9, 0.999, 1e-8, optimizer.weight_decay)


def _with_rate(optimizer, learning_rate):
    config = optimizer.get_config()
    name = config.pop("name")
    config["learning_rate"] = learning_rate
    return OPTIMIZER_CLASSES[name](**config)


def _resolve_optimizer(optimizer, learning_rate, dtype):
    """An SGD, Adam or AdamW object, its learning rate positive in ``dtype``."""
    if isinstance(optimizer, str):
        check_choice("optimizer", optimizer, tuple(OPTIMIZER_CLASSES))
        resolved = OPTIMIZER_CLASSES[optimizer]() if learning_rate is None else \
            OPTIMIZER_CLASSES[optimizer](learning_rate=learning_rate)
    elif isinstance(optimizer, (SGD, Adam)):
        if learning_rate is not None:
            raise ValueError(f"learning_rate: got {learning_rate!r} with an optimizer object "
                             f"({optimizer!r}), expected None; set the object's learning_rate")
        resolved = optimizer
    else:
        raise TypeError(f"optimizer: got {optimizer!r}, expected 'sgd', 'adam', 'adamw', "
                        "nncore.SGD(...), nncore.Adam(...) or nncore.AdamW(...)")
    # Valid in float64 is not enough: the update runs in the model's dtype.
    check_learning_rate(resolved.learning_rate, dtype)
    if isinstance(resolved, Adam):
        check_positive_scalar("epsilon", resolved.epsilon, dtype)
        check_below_one_in("beta_1", resolved.beta_1, dtype)
        check_below_one_in("beta_2", resolved.beta_2, dtype)
    else:
        check_below_one_in("momentum", resolved.momentum, dtype)
    if isinstance(resolved, (SGD, AdamW)):
        check_nonnegative_scalar("weight_decay", resolved.weight_decay, dtype)
    return resolved


def _resolve_early_stopping(early_stopping, has_validation):
    if early_stopping is None or early_stopping is False:
        return None
    if early_stopping is True:
        early_stopping = EarlyStopping()
    if not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"early_stopping: got {early_stopping!r}, expected None, True or "
                        "nncore.EarlyStopping(...)")
    return EarlyStoppingState(early_stopping, has_validation)


def _draw_seed(rng):
    """A 64-bit seed from a Generator or a RandomState."""
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**64, dtype=np.uint64))
    return int(rng.randint(2**64, dtype=np.uint64))


def _permutations(rng, n_samples, count):
    """``count`` permutations of range(n_samples), one per row: the same as
    ``count`` calls of ``rng.permutation(n_samples)``, so results do not
    depend on how epochs are grouped."""
    if isinstance(rng, np.random.Generator):
        return rng.permuted(np.tile(np.arange(n_samples, dtype=np.int64), (count, 1)), axis=1)
    return np.stack([rng.permutation(n_samples) for _ in range(count)]).astype(np.int64)


def _r2_score(targets, predicted, weights):
    """R^2 per output, averaged; scikit-learn's convention for constant targets."""
    weights = np.ones(targets.shape[0]) if weights is None else weights
    weights = weights[:, None]
    residual = (weights * (targets - predicted) ** 2).sum(axis=0, dtype=np.float64)
    mean = np.average(targets, axis=0, weights=weights[:, 0])
    total = (weights * (targets - mean) ** 2).sum(axis=0, dtype=np.float64)
    scores = np.where(total > 0, 1 - residual / np.where(total > 0, total, 1),
                      np.where(residual == 0, 1.0, 0.0))
    return float(scores.mean())
