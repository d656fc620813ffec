"""scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` on nncore's engine.

The same parameters, defaults, attributes and results as scikit-learn's
estimators (its initial draws, shuffles, validation split, updates, learning
rate schedules and stopping rule), with every epoch in compiled code. Only
scikit-learn's per-epoch bookkeeping runs in Python: the stopping rule, the
learning rate schedule, the validation score and the warnings.

scikit-learn is an optional dependency: ``pip install "nncore-cython[sklearn]"``.
"""
from __future__ import annotations

import copy
import numbers
import os
import warnings
from typing import Any, Optional, Sequence, TypeVar, Union

import numpy as np
from numpy.typing import NDArray

try:
    from sklearn.base import (
        BaseEstimator,
        ClassifierMixin,
        RegressorMixin,
        is_classifier,
    )
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as _SklearnClassifier
    from sklearn.neural_network import MLPRegressor as _SklearnRegressor
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state, column_or_1d
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import (
        _check_partial_fit_first_call,
        type_of_target,
        unique_labels,
    )
    from sklearn.utils.validation import (
        _check_sample_weight,
        check_is_fitted,
        validate_data,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "nncore.MLPClassifier and nncore.MLPRegressor need scikit-learn >= 1.6: "
        'pip install "nncore-cython[sklearn]"'
    ) from exc

from nncore._buffers import ParameterList
from nncore._exclusive import Exclusive
from nncore._typing import ArrayLike, FloatArray, RandomStateLike
from nncore._validation import (
    check_class_weight, check_inputs, check_sample_weight, check_targets,
)
from nncore.model import MLP, class_sample_weight
from nncore.optimizers import SGD, Adam

# scikit-learn's output layer and loss for each kind of target, as nncore's
# (output activation, loss) pairs.
_REGRESSION_HEADS = {"squared_error": ("identity", "squared_error"), "poisson": ("exp", "poisson")}
_CLASSIFICATION_HEADS = {"multiclass": ("softmax", "cross_entropy")}
_BINARY_HEAD = ("logistic", "binary_cross_entropy")


def _store_parameters(estimator, arguments):
    """What scikit-learn's __init__ does: keep each argument, unchecked, under its name."""
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


def _binarize(label_binarizer, y):
    """``label_binarizer.transform(y).astype(bool)`` (bool, so that float32 X
    is not upcast by the targets), without its repeated checks of y (several
    milliseconds a fit) for one column of labels, all of them known."""
    classes = label_binarizer.classes_
    if label_binarizer.y_type_ not in ("binary", "multiclass") or y.ndim != 1:
        return label_binarizer.transform(y).astype(bool)
    if len(classes) == 1:
        return np.zeros((y.shape[0], 1), dtype=bool)
    if len(classes) == 2 and label_binarizer.y_type_ == "binary":
        return (y == classes[1]).reshape(-1, 1)
    targets = np.zeros((y.shape[0], len(classes)), dtype=bool)
    targets[np.arange(y.shape[0]), np.searchsorted(classes, y)] = True
    return targets


def _shuffle(sample_idx, random_state):
    """``sklearn.utils.shuffle(sample_idx, random_state=random_state)``: the
    same draw, without its input checks (a tenth of a millisecond an epoch)."""
    permutation = np.arange(sample_idx.shape[0])
    random_state.shuffle(permutation)
    return sample_idx[permutation]


_Estimator = TypeVar("_Estimator", bound="_BaseMLP")

# Where an unfitted estimator keeps the coefs_ and intercepts_ assigned to it.
_INITIAL = {"coefs_": "_initial_coefs", "intercepts_": "_initial_intercepts"}

# scikit-learn's error for a fit that ends with non-finite weights; code
# written for scikit-learn matches it.
_NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may "
                       "contain large values and need to be preprocessed.")


class _Schedule:
    """scikit-learn's optimizer bookkeeping between epochs (its learning rate
    schedule and what happens when the loss stops improving); the updates
    themselves, and the moments, live in the engine. The estimators' fitted
    ``_optimizer``, as scikit-learn's own tests read it."""

    def __init__(self, estimator):
        self.solver = estimator.solver
        self.learning_rate_init = estimator.learning_rate_init
        self.rate = float(estimator.learning_rate_init)  # the engine's, for the next epoch
        self.lr_schedule = estimator.learning_rate if self.solver == "sgd" else "constant"
        self.power_t = estimator.power_t
        self.steps = 0
        if self.solver == "sgd":
            self.hyperparameters = {"momentum": float(estimator.momentum),
                                    "nesterov": bool(estimator.nesterovs_momentum)}
        else:
            self.hyperparameters = {"beta_1": float(estimator.beta_1), "beta_2": float(estimator.beta_2),
                                    "epsilon": float(estimator.epsilon)}

    @property
    def learning_rate(self):
        """scikit-learn's ``_optimizer.learning_rate``: SGD's current rate;
        for Adam, the bias-corrected step size of the last step."""
        if self.solver == "sgd" or self.steps == 0:
            return self.rate
        beta_1, beta_2 = self.hyperparameters["beta_1"], self.hyperparameters["beta_2"]
        return self.learning_rate_init * np.sqrt(1 - beta_2**self.steps) / (1 - beta_1**self.steps)

    def optimizer(self):
        """The engine's optimizer for the next epoch, at the current learning rate."""
        kind = SGD if self.solver == "sgd" else Adam
        return kind(self.rate, **self.hyperparameters)

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.rate = float(self.learning_rate_init) / (time_step + 1) ** self.power_t

    def trigger_stopping(self, msg, verbose):
        """True to stop; False after dividing an adaptive learning rate by 5."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.rate /= 5.0
        if verbose:
            print(msg + " Setting learning rate to %f" % self.rate)
        return False


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: fitting, the forward pass
    and the fitted attributes. The network is an ``nncore.MLP`` in ``_model``."""

    # -- fitted parameters: live views of the engine's buffers ----------------------

    @property
    def coefs_(self) -> Union[ParameterList, list[Any]]:
        """``coefs_[i]``: the weights from layer i to layer i + 1, (n_in, n_out).

        Fitted: live views of the engine's buffers; assigning checks the new
        values and copies them in. Before the first fit, assigned arrays
        (with ``intercepts_``) are kept as given, as scikit-learn keeps them:
        ``partial_fit``, and ``fit`` with ``warm_start=True``, start from
        them instead of the random draw, once their shapes are checked
        against the data.
        """
        return self._parameters("coefs_")

    @coefs_.setter
    def coefs_(self, values: Sequence[ArrayLike]) -> None:
        with self._exclusive():
            self._assign_parameters("coefs_", values)

    @property
    def intercepts_(self) -> Union[ParameterList, list[Any]]:
        """``intercepts_[i]``: the bias of layer i + 1, (n_out,); see ``coefs_``."""
        return self._parameters("intercepts_")

    @intercepts_.setter
    def intercepts_(self, values: Sequence[ArrayLike]) -> None:
        with self._exclusive():
            self._assign_parameters("intercepts_", values)

    def _parameters(self, name):
        model = self.__dict__.get("_model")
        if model is not None:
            return getattr(model, name)
        try:
            return self.__dict__[_INITIAL[name]]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} is not fitted: coefs_ and intercepts_ "
                                 "exist after fit or partial_fit (or once assigned)") from None

    def _assign_parameters(self, name, values):
        model = self.__dict__.get("_model")
        if model is not None:
            setattr(model, name, values)
            return
        # Unfitted: kept as a plain list (item assignment works on it, as on
        # scikit-learn's); checked against the data by the next fit.
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{name}: got {type(values).__name__}, expected a list of arrays, "
                            "one per layer")
        self.__dict__[_INITIAL[name]] = list(values)

    def _fitted_model(self):
        try:
            return self.__dict__["_model"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} is not fitted: coefs_ and intercepts_ "
                                 "exist after fit or partial_fit") from None

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once a network is trained: assigned initial ``coefs_`` and
        ``intercepts_`` alone do not make a model to predict with."""
        return "_model" in self.__dict__

    @property
    def _optimizer(self) -> _Schedule:
        """scikit-learn's ``_optimizer`` for the stochastic solvers: its
        ``learning_rate`` is the current rate of the schedule (none for lbfgs)."""
        try:
            return self.__dict__["_schedule"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no _optimizer: it exists after "
                                 "fit or partial_fit with solver='sgd' or 'adam'") from None

    # -- one caller at a time ------------------------------------------------------

    def _exclusive(self):
        """This estimator to one thread at a time: a second is refused with
        RuntimeError (see ``nncore._exclusive``). Made on first use, as
        scikit-learn's __init__ stores the parameters only."""
        return self.__dict__.setdefault("_in_use", Exclusive())

    def __getstate__(self):
        with self._exclusive():
            state = super().__getstate__()
            # Copied now, under the guard: pickle reads them after we return.
            for name in ("_model", *_INITIAL.values()):
                if name in state:
                    state[name] = copy.deepcopy(state[name])
        return state

    # -- fitting ---------------------------------------------------------------

    def fit(self: _Estimator, X: ArrayLike, y: ArrayLike,
            sample_weight: Optional[ArrayLike] = None) -> _Estimator:
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Class labels for the classifier, real numbers for the regressor.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights >= 0 with a positive sum.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            On bad input, and, without early stopping, when training
            diverges: scikit-learn's "Solver produced non-finite parameter
            weights" message, the diverging step undone. With early stopping
            the fit goes on as scikit-learn's, recording NaN losses and
            validation scores, and ends with the best weights.
        """
        with self._exclusive():
            self._validate_params()
            return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental):
        hidden_layer_sizes = self.hidden_layer_sizes
        if not hasattr(hidden_layer_sizes, "__iter__"):
            hidden_layer_sizes = [hidden_layer_sizes]
        hidden_layer_sizes = list(hidden_layer_sizes)
        if np.any(np.array(hidden_layer_sizes) <= 0):
            raise ValueError("hidden_layer_sizes must be > 0, got %s." % hidden_layer_sizes)
        if self.solver == "lbfgs" and np.any(np.asarray(self.dropout, dtype=object) != 0):
            raise ValueError(f"dropout: got {self.dropout!r} with solver='lbfgs', expected 0: "
                             "L-BFGS needs a deterministic objective (use solver 'sgd' or 'adam')")
        fitted = "_model" in self.__dict__
        assigned = not fitted and any(name in self.__dict__ for name in _INITIAL.values())
        # scikit-learn's rule: continue from coefs_ (fitted or assigned) in
        # partial_fit and with warm_start, draw afresh otherwise.
        first_pass = not (fitted or assigned) or (not self.warm_start and not incremental)

        # Assigned weights come without n_features_in_ unless it was set too.
        reset = first_pass or "n_features_in_" not in self.__dict__
        X, y = self._validate_input(X, y, incremental, reset=reset)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        if y.ndim == 1:
            y = y.reshape((-1, 1))
        sample_weight = self._class_weighted(y, sample_weight, incremental)
        layer_units = [X.shape[1]] + hidden_layer_sizes + [y.shape[1]]
        initial = None
        if first_pass:
            for name in _INITIAL.values():
                self.__dict__.pop(name, None)  # replaced by the draw, as in scikit-learn
        elif assigned:
            initial = self._initial_parameters(layer_units)
        else:
            self._check_same_network(layer_units)
        self.n_outputs_ = y.shape[1]
        random_state = check_random_state(self.random_state)
        if first_pass or assigned:
            self._initialize(y, layer_units, X.dtype, random_state, initial)
        with self._model._in_use:  # between epochs too: no one else gets in
            if self.solver == "lbfgs":
                self._fit_lbfgs(X, y, sample_weight)
            else:
                self._fit_stochastic(X, y, sample_weight, random_state, incremental)
        return self

    def _class_weighted(self, y, sample_weight, incremental):
        """The sample weights training uses, from the binarized targets y."""
        return sample_weight

    def _initial_parameters(self, layer_units):
        """The assigned coefs_ and intercepts_, their shapes checked against the
        network that X, hidden_layer_sizes and y make."""
        network = (f"the network of X's {layer_units[0]} features, hidden_layer_sizes="
                   f"{layer_units[1:-1]} and y's {layer_units[-1]} output(s)")
        expected = {"coefs_": list(zip(layer_units, layer_units[1:])),
                    "intercepts_": [(n_out,) for n_out in layer_units[1:]]}
        arrays = {}
        for name, stored in _INITIAL.items():
            other = "intercepts_" if name == "coefs_" else "coefs_"
            if stored not in self.__dict__:
                raise ValueError(f"{name}: got none with {other} assigned, expected both "
                                 f"assigned to start from given weights")
            values = self.__dict__[stored]
            shapes = expected[name]
            if len(values) != len(shapes):
                raise ValueError(f"{name}: got {len(values)} arrays, expected {len(shapes)}, one "
                                 f"per layer of {network}")
            for i, (value, shape) in enumerate(zip(values, shapes)):
                try:
                    got = np.shape(value)
                except (ValueError, TypeError):
                    continue  # not an array: the model's assignment says so
                if got != shape:
                    raise ValueError(f"{name}[{i}]: got shape {got}, expected {shape} for "
                                     f"{network}")
            arrays[name] = values
        return arrays["coefs_"], arrays["intercepts_"]

    def _check_same_network(self, layer_units):
        """warm_start and partial_fit continue the fitted network: its widths stay."""
        fitted = list(self._model.layer_sizes)
        if layer_units[-1] != fitted[-1]:
            raise ValueError(f"y: got {layer_units[-1]} outputs, expected {fitted[-1]} as in the "
                             "fitted network, which warm_start and partial_fit continue "
                             "(set warm_start=False to fit afresh)")
        if layer_units != fitted:
            raise ValueError(f"hidden_layer_sizes: got {layer_units[1:-1]}, expected the fitted "
                             f"network's {fitted[1:-1]}: warm_start and partial_fit continue it "
                             "(set warm_start=False to fit afresh)")

    def _initialize(self, y, layer_units, dtype, random_state, initial=None):
        """A new network: scikit-learn's first draw, or ``initial`` (coefs,
        intercepts, checked for shape) copied in; fresh bookkeeping."""
        output_activation, loss = self._head()
        # scikit-learn's L-BFGS works on float64 parameters whatever X's dtype.
        dtype = np.float64 if self.solver == "lbfgs" else dtype
        # MLP draws Glorot-uniform weights as scikit-learn does, from the same
        # RandomState, so the shuffles and the split draw on after them.
        # scikit-learn draws nothing when it starts from given weights, so
        # neither does random_state then.
        model = MLP(layer_units, activation=self.activation, output_activation=output_activation,
                    loss=loss, dtype=dtype, random_state=random_state if initial is None else 0,
                    deterministic=self.deterministic, dropout=self.dropout)
        if initial is not None:
            model.coefs_, model.intercepts_ = initial  # each checked, then copied in
            for name in _INITIAL.values():
                del self.__dict__[name]
        self._model = model
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = output_activation
        self._best_params = self._model.params_.copy()
        self.__dict__.pop("_schedule", None)
        if self.solver != "lbfgs":
            self.loss_curve_ = []
            self._no_improvement_count = 0
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _engine_data(self, X, y, sample_weight):
        """X, y and sample_weight as the engine reads them: checked, C-contiguous, its dtype."""
        model = self._model
        inputs, _ = check_inputs("X", X, model.n_inputs, model.dtype)
        targets = check_targets("y", y, inputs.shape[0], model.n_outputs, model.loss_name, model.dtype)
        weights = check_sample_weight(sample_weight, inputs.shape[0], model.dtype)
        return inputs, targets, weights

    def _data_loss_factor(self):
        """scikit-learn reports the squared error averaged over outputs (not
        its gradient, nor the L2 term), and stops on that value."""
        return 1.0 / self.n_outputs_ if self.loss == "squared_error" else 1.0

    def _fit_stochastic(self, X, y, sample_weight, random_state, incremental):
        model = self._model
        if not incremental or "_schedule" not in self.__dict__:
            self._schedule = _Schedule(self)
            model._reset_optimizer()
        schedule = self._schedule
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            X, X_val, y, y_val, sample_weight, sample_weight_val = self._split(
                X, y, sample_weight, random_state)
        else:
            X_val = y_val = sample_weight_val = None
        inputs, targets, weights = self._engine_data(X, y, sample_weight)

        n_samples = inputs.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is "
                              "going to be clipped")
            batch_size = int(np.clip(self.batch_size, 1, n_samples))

        sample_idx = np.arange(n_samples, dtype=np.int64)
        order = None
        losses = np.empty(1)
        diverged = False
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    sample_idx = _shuffle(sample_idx, random_state)
                    order = sample_idx.reshape(1, -1)
                if not diverged:
                    diverged = self._epoch(inputs, targets, weights, order, batch_size, losses,
                                           schedule, early_stopping)
                # Counted after divergence too, as scikit-learn steps on.
                schedule.steps += -(-n_samples // batch_size)
                self.n_iter_ += 1
                self.loss_ = np.nan if diverged else float(losses[0])
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                self._update_no_improvement_count(early_stopping, X_val, y_val, sample_weight_val,
                                                  diverged)
                schedule.iteration_ends(self.t_)
                if self._no_improvement_count > self.n_iter_no_change:
                    if early_stopping:
                        msg = ("Validation score did not improve more than tol=%f for %d "
                               "consecutive epochs." % (self.tol, self.n_iter_no_change))
                    else:
                        msg = ("Training loss did not improve more than tol=%f for %d "
                               "consecutive epochs." % (self.tol, self.n_iter_no_change))
                    if schedule.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn("Stochastic Optimizer: Maximum iterations (%d) reached and the "
                                  "optimization hasn't converged yet." % self.max_iter,
                                  ConvergenceWarning)
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")
        if early_stopping:
            self._model.params_[...] = self._best_params

    def _epoch(self, inputs, targets, weights, order, batch_size, losses, schedule,
               early_stopping):
        """One epoch in the engine; True if it diverged (with early stopping).

        The engine undoes a step that makes the loss or a parameter
        non-finite, and raises. Without early stopping that ends the fit with
        scikit-learn's error (scikit-learn trains on and raises it at the end).
        With early stopping, scikit-learn trains on with NaN weights, records
        NaN losses and validation scores, and ends with its best weights: the
        caller does the same bookkeeping, without training on NaN.
        """
        try:
            self._model._fit_epochs(inputs, targets, weights, order, 1, batch_size, losses,
                                    optimizer=schedule.optimizer(), l2=self.alpha,
                                    data_loss_factor=self._data_loss_factor())
        except ValueError as exc:
            # The data are checked already: a ValueError here is divergence.
            if not early_stopping:
                raise ValueError(f"{_NON_FINITE_WEIGHTS} In iteration {self.n_iter_ + 1}, "
                                 f"{exc}") from exc
            return True
        return False

    def _split(self, X, y, sample_weight, random_state):
        """scikit-learn's validation split: the same call, so the same draw."""
        stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None
        if sample_weight is None:
            X, X_val, y, y_val = train_test_split(
                X, y, random_state=random_state, test_size=self.validation_fraction,
                stratify=stratify)
            sample_weight_val = None
        else:
            X, X_val, y, y_val, sample_weight, sample_weight_val = train_test_split(
                X, y, sample_weight, random_state=random_state,
                test_size=self.validation_fraction, stratify=stratify)
        if X_val.shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' or "
                             "the size of your dataset.")
        if is_classifier(self):
            y_val = self._label_binarizer.inverse_transform(y_val)
        return X, X_val, y, y_val, sample_weight, sample_weight_val

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sample_weight_val,
                                     diverged=False):
        if early_stopping:
            # Diverged, scikit-learn's weights are NaN, and so is its score.
            score = np.nan if diverged else self._score(X_val, y_val, sample_weight_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print("Validation score: %f" % score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_params = self._model.params_.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]

    def _fit_lbfgs(self, X, y, sample_weight):
        import scipy.optimize  # only L-BFGS needs it, and it is slow to import

        inputs, targets, weights = self._engine_data(X, y, sample_weight)
        model = self._model
        params = model.params_
        data_loss_factor = self._data_loss_factor()

        def loss_and_gradient(packed):
            params[...] = packed
            return model._evaluate(inputs, targets, weights, gradients=True, l2=self.alpha,
                                   data_loss_factor=data_loss_factor)

        start = params.astype(np.float64)
        result = scipy.optimize.minimize(
            loss_and_gradient, start, method="L-BFGS-B", jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol})
        if result.status != 0:
            warnings.warn(f"lbfgs failed to converge after {result.nit} iteration(s) (status="
                          f"{result.status}): {result.message}. Increase the number of iterations "
                          "(max_iter) or scale the data.", ConvergenceWarning)
        self.n_iter_ = min(int(result.nit), self.max_iter)
        self.loss_ = float(result.fun)
        if not np.isfinite(result.x).all():
            params[...] = start
            raise ValueError(f"{_NON_FINITE_WEIGHTS} L-BFGS-B ended with non-finite parameters "
                             f"(the loss was {result.fun}); the parameters are left as they "
                             "were before this fit")
        params[...] = result.x

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, activations, deltas,
                         coef_grads, intercept_grads):
        """scikit-learn's loss and gradient for L-BFGS at ``packed_coef_inter``.

        The packing is scikit-learn's: every layer's coefs (row major), then
        every layer's intercepts; so is the returned gradient. The model's
        parameters are left at ``packed_coef_inter``. ``coef_grads`` and
        ``intercept_grads`` get the gradient per layer; ``activations`` and
        ``deltas`` (scikit-learn's work space) are not used.
        """
        with self._exclusive():
            model = self._fitted_model()
            inputs, targets, weights = self._engine_data(X, y, sample_weight)
            order = self._sklearn_order()
            params = model.params_
            with model._in_use:
                params[order] = packed_coef_inter
                loss, grads = model._evaluate(inputs, targets, weights, gradients=True,
                                              l2=self.alpha,
                                              data_loss_factor=self._data_loss_factor())
            packed = grads[order]
            at = 0
            for grad_list, views in ((coef_grads, model.coefs_),
                                     (intercept_grads, model.intercepts_)):
                for i, view in enumerate(views):
                    grad_list[i] = packed[at:at + view.size].reshape(view.shape)
                    at += view.size
            return loss, packed

    def _sklearn_order(self):
        """Indices into ``params_`` in scikit-learn's packing: every layer's
        coefs (row major), then every layer's intercepts. Read from where the
        live views sit in ``params_``."""
        model = self._model
        start = model.params_.__array_interface__["data"][0]
        indices = []
        for view in [*model.coefs_, *model.intercepts_]:
            offset = (view.__array_interface__["data"][0] - start) // view.itemsize
            indices.append(np.arange(offset, offset + view.size))
        return np.concatenate(indices)

    # -- prediction --------------------------------------------------------------

    def to_onnx(self, path: Optional[Union[str, os.PathLike[str]]] = None) -> Any:
        """The fitted estimator as an ONNX model (``onnx.ModelProto``), also
        written to ``path`` if given; needs ``pip install "nncore-cython[onnx]"``.

        Input ``"X"``: (N, n_features) in the dtype the estimator was fitted
        on. Outputs as skl2onnx's converters for scikit-learn's MLPs give
        them with ``options={"zipmap": False}``: the classifier's
        ``"label"`` (int64, or strings for string classes; (N, n_classes)
        indicators for a multilabel target) and ``"probabilities"`` (N,
        n_classes), the regressor's ``"variable"`` (N, n_outputs). Inside a
        pipeline, use ``skl2onnx.to_onnx`` after
        ``nncore.register_onnx_converters()``.
        """
        from nncore.export.onnx import estimator_model, save_model

        with self._exclusive():
            check_is_fitted(self)
            onnx_model = estimator_model(self)
        if path is not None:
            save_model(onnx_model, path)
        return onnx_model

    def to_c(self, directory: Union[str, os.PathLike[str]], name: str = "model") -> None:
        """Write the fitted network as C99 source (see ``nncore.MLP.to_c``):
        its outputs are ``predict_proba``'s positive-class column for a
        binary target, the class probabilities, or the predictions."""
        with self._exclusive():
            check_is_fitted(self)
            self._model.to_c(directory, name)

    def _forward(self, X, check_input=True):
        """The output layer's values for X (the engine's dtype)."""
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                              dtype=(np.float64, np.float32))
        return self._model.predict(X)

    def _score(self, X, y, sample_weight):
        """The validation score, NaN for non-finite predictions (as scikit-learn)."""
        try:
            y_pred = self._predict(X, check_input=False)
        except ValueError:
            # X is checked already: predict refuses outputs that overflow,
            # which in fit means the model diverged. scikit-learn scores it NaN.
            return np.nan
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _check_solver(self):
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(f"partial_fit is only available for stochastic optimizers. "
                                 f"{self.solver} is not stochastic.")
        return True


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: scikit-learn's ``MLPClassifier`` on
    nncore's compiled engine.

    The parameters, their defaults and validation, the fitted attributes and
    the results are scikit-learn's (see its documentation); for the same
    ``random_state`` the same initial weights, shuffles, validation split and
    updates give the same ``coefs_``, ``intercepts_``, ``loss_curve_`` and
    ``n_iter_``. As in scikit-learn, ``coefs_`` and ``intercepts_`` assigned
    before the first fit are where ``partial_fit``, and ``fit`` with
    ``warm_start=True``, start (their shapes are checked against the data
    then).

    When training diverges (a step would make the loss or a parameter
    infinite or NaN), the step is undone. Without early stopping, ``fit``
    and ``partial_fit`` then raise ``ValueError`` with scikit-learn's message
    ("Solver produced non-finite parameter weights. ...") followed by
    nncore's account of the step; scikit-learn trains on with NaN weights
    and raises the same error at the end. With ``early_stopping=True``, the
    fit goes on as scikit-learn's does: every epoch from there records a NaN
    loss and a NaN validation score (as does an epoch whose validation
    outputs overflow), and the fit ends with the weights of the best
    validation score.

    X may be sparse (any SciPy sparse matrix or array; CSR is read in place,
    other formats are converted to CSR): the first layer's products read
    only the stored values, and X is never densified.

    ``deterministic=True`` (nncore's own parameter) runs every matrix
    product in nncore's kernels, with a fixed summation order, so the fit
    gives the same bits on every x86-64 CPU and for any number of BLAS
    threads (``nncore.MLP`` says what it costs). With ``solver="lbfgs"``
    the promise covers the loss and gradient evaluations; SciPy's L-BFGS
    does its own vector arithmetic. At the default, results are
    scikit-learn's.

    Differences: sample weights must be >= 0 with a positive sum, and
    diverging steps are undone rather than trained on (above).

    ``dropout`` (nncore's own parameter) is ``nncore.MLP``'s: a rate in
    [0, 1) for every hidden layer, or one per hidden layer, for the
    stochastic solvers (L-BFGS needs a deterministic objective). The masks
    are drawn from ``random_state`` after the weights, one per row of a
    batch, so with dropout an integer sample weight is no longer the same as
    repeating the row. At 0, results are scikit-learn's.

    One more parameter scikit-learn's MLPClassifier lacks: ``class_weight``
    (None, "balanced" or a dict from class label to weight >= 0, 1 for the
    classes it leaves out), which trains as ``sample_weight`` set to each
    sample's class weight (times the ``sample_weight`` given) would, bit for
    bit. "balanced" is n_samples / (n_classes * the class's count), as
    scikit-learn's ``compute_class_weight``; ``partial_fit`` takes a dict
    only. At its default, None, results are scikit-learn's.
    """

    _parameter_constraints = dict(_SklearnClassifier._parameter_constraints)
    _parameter_constraints["deterministic"] = ["boolean"]
    _parameter_constraints["dropout"] = [numbers.Real, "array-like"]  # checked by MLP
    # Checked in full (the classes are known) by _class_weighted.
    _parameter_constraints["class_weight"] = [None, str, dict]
    loss = "log_loss"  # its one loss; a class attribute, as it is no parameter

    def __init__(self, hidden_layer_sizes: Union[int, Sequence[int]] = (100,),
                 activation: str = "relu", *, solver: str = "adam",
                 alpha: float = 0.0001, batch_size: Union[int, str] = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: RandomStateLike = None, tol: float = 1e-4,
                 verbose: Union[bool, int] = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: Union[int, float] = 10, max_fun: int = 15000,
                 class_weight: Union[None, str, dict[Any, float]] = None,
                 deterministic: bool = False,
                 dropout: Union[float, Sequence[float]] = 0.0) -> None:
        _store_parameters(self, locals())

    def _score_function(self, y, y_pred, sample_weight):
        return accuracy_score(y, y_pred, sample_weight=sample_weight)

    def _class_weighted(self, y, sample_weight, incremental):
        """``class_weight`` as sample weights: each sample's class weight times
        its ``sample_weight`` (the bits of passing that product as
        ``sample_weight``). "balanced" is scikit-learn's, over the classes in
        y; partial_fit takes a dict only (it sees a part of the data)."""
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight: got a class weighting with multilabel targets, "
                             "expected binary or multiclass targets (one class per sample)")
        class_weight = check_class_weight(self.class_weight, self.classes_,
                                          allow_balanced=not incremental)
        if isinstance(class_weight, dict):
            class_weight = {int(np.flatnonzero(self.classes_ == label)[0]): weight
                            for label, weight in class_weight.items()}
        labels = y.argmax(axis=1) if y.shape[1] > 1 else y[:, 0].astype(np.intp)
        return class_sample_weight(labels, len(self.classes_), class_weight, sample_weight)

    def _head(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return _CLASSIFICATION_HEADS["multiclass"]
        return _BINARY_HEAD

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(f"`y` has classes not in `self.classes_`. `self.classes_` has "
                                 f"{self.classes_}. 'y' has {classes}.")
        return X, _binarize(self._label_binarizer, y)

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: Optional[ArrayLike] = None,
                    classes: Optional[ArrayLike] = None) -> MLPClassifier:
        """One epoch over (X, y) from the current state.

        ``classes`` (all the labels ``y`` may take, or for a multilabel
        indicator ``y`` its column indices) is required on the first call.
        """
        with self._exclusive():
            self._validate_params()
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The predicted classes, shape (n_samples,) or (n_samples, n_classes) for multilabel."""
        with self._exclusive():
            check_is_fitted(self)
            return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward(X, check_input)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        """Class probabilities, shape (n_samples, n_classes), in the order of ``classes_``."""
        with self._exclusive():
            check_is_fitted(self)
            y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        if y_pred.ndim == 1:
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        """The log of ``predict_proba(X)``."""
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: scikit-learn's ``MLPRegressor`` on
    nncore's compiled engine.

    ``loss`` is ``"squared_error"`` (half the squared error, averaged over
    outputs as scikit-learn reports it) or ``"poisson"`` (half the Poisson
    deviance, with an exponential output; targets must be >= 0). Everything
    else is as ``nncore.MLPClassifier`` says.
    """

    _parameter_constraints = dict(_SklearnRegressor._parameter_constraints)
    _parameter_constraints["deterministic"] = ["boolean"]
    _parameter_constraints["dropout"] = [numbers.Real, "array-like"]  # checked by MLP

    def __init__(self, loss: str = "squared_error",
                 hidden_layer_sizes: Union[int, Sequence[int]] = (100,),
                 activation: str = "relu", *, solver: str = "adam",
                 alpha: float = 0.0001, batch_size: Union[int, str] = "auto",
                 learning_rate: str = "constant", learning_rate_init: float = 0.001,
                 power_t: float = 0.5, max_iter: int = 200, shuffle: bool = True,
                 random_state: RandomStateLike = None, tol: float = 1e-4,
                 verbose: Union[bool, int] = False, warm_start: bool = False,
                 momentum: float = 0.9, nesterovs_momentum: bool = True,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 n_iter_no_change: Union[int, float] = 10, max_fun: int = 15000,
                 deterministic: bool = False,
                 dropout: Union[float, Sequence[float]] = 0.0) -> None:
        _store_parameters(self, locals())

    def _score_function(self, y, y_pred, sample_weight):
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def _head(self):
        return _REGRESSION_HEADS[self.loss]

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=(np.float64, np.float32), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    @available_if(lambda estimator: estimator._check_solver())
    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: Optional[ArrayLike] = None) -> MLPRegressor:
        """One epoch over (X, y) from the current state."""
        with self._exclusive():
            self._validate_params()
            return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """The predictions, shape (n_samples,) or (n_samples, n_outputs)."""
        with self._exclusive():
            check_is_fitted(self)
            return self._predict(X)

    def _predict(self, X, check_input=True):
        y_pred = self._forward(X, check_input)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred
