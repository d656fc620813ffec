"""Every error path of nncore.MLPClassifier and nncore.MLPRegressor: the
exception type and message scikit-learn's own estimators give for the same
input, or, where nncore refuses what scikit-learn lets through (negative
sample weights, a changed network under warm_start), nncore's own
message. No call changes the arrays it was given."""
import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.neural_network import MLPClassifier as SklearnClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SklearnRegressor  # noqa: E402
from sklearn.utils._param_validation import InvalidParameterError  # noqa: E402

import nncore  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_SAMPLES = 20
FAST = {"hidden_layer_sizes": (4,), "max_iter": 3, "random_state": 0}
SKLEARN = {nncore.MLPClassifier: SklearnClassifier, nncore.MLPRegressor: SklearnRegressor}


def problem():
    rng = np.random.RandomState(0)
    X = rng.standard_normal((N_SAMPLES, 3))
    labels = np.arange(N_SAMPLES) % 2
    values = X.sum(axis=1) + 0.1 * rng.standard_normal(N_SAMPLES)
    return X, labels, values


def data_for(estimator_class):
    X, labels, values = problem()
    return X, labels if estimator_class is nncore.MLPClassifier else values


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


def assert_as_sklearn(estimator_class, call, exception, match):
    """call(estimator_class) and call(scikit-learn's class) raise the same
    exception type with the same message, and it is ``exception`` matching
    ``match``."""
    with pytest.raises(exception, match=match) as mine:
        call(estimator_class)
    reference = raised(lambda: call(SKLEARN[estimator_class]))
    assert type(mine.value) is type(reference)
    assert str(mine.value) == str(reference)


ESTIMATORS = pytest.mark.parametrize("estimator_class",
                                     [nncore.MLPClassifier, nncore.MLPRegressor],
                                     ids=["classifier", "regressor"])


# --- constructor parameters, checked by fit ------------------------------------------------

# One value per constraint of scikit-learn's _parameter_constraints, and the
# start of the message that names it.
INVALID_PARAMETERS = [
    ("hidden_layer_sizes", 0, "an array-like or an int in the range \\[1, inf\\)"),
    ("hidden_layer_sizes", 2.5, "an array-like or an int"),
    ("activation", "softmax", "a str among"),
    ("solver", "x", "a str among"),
    ("alpha", -1, "a float in the range \\[0.0, inf\\)"),
    ("batch_size", 0, "a str among {'auto'} or an int in the range \\[1, inf\\)"),
    ("batch_size", "x", "a str among {'auto'}"),
    ("learning_rate", "x", "a str among"),
    ("learning_rate_init", 0, "a float in the range \\(0.0, inf\\)"),
    ("power_t", -1, "a float in the range \\[0.0, inf\\)"),
    ("max_iter", 0, "an int in the range \\[1, inf\\)"),
    ("shuffle", "yes", "an instance of 'bool'"),
    ("random_state", "seed", "an int in the range \\[0, 4294967295\\]"),
    ("tol", -1, "a float in the range \\[0.0, inf\\)"),
    ("verbose", "loud", "an int in the range \\[0, inf\\)"),
    ("warm_start", "yes", "an instance of 'bool'"),
    ("momentum", 2, "a float in the range \\[0.0, 1.0\\]"),
    ("nesterovs_momentum", "yes", "an instance of 'bool'"),
    ("early_stopping", "yes", "an instance of 'bool'"),
    ("validation_fraction", 1, "a float in the range \\[0.0, 1.0\\)"),
    ("beta_1", 1, "a float in the range \\[0.0, 1.0\\)"),
    ("beta_2", 1, "a float in the range \\[0.0, 1.0\\)"),
    ("epsilon", 0, "a float in the range \\(0.0, inf\\)"),
    ("n_iter_no_change", 0, "an int in the range \\[1, inf\\) or a float among {inf}"),
    ("max_fun", 0, "an int in the range \\[1, inf\\)"),
]


@ESTIMATORS
@pytest.mark.parametrize("name, value, expected", INVALID_PARAMETERS,
                         ids=[f"{name}={value!r}" for name, value, _ in INVALID_PARAMETERS])
def test_invalid_parameter(estimator_class, name, value, expected):
    X, y = data_for(estimator_class)
    match = (f"The '{name}' parameter of {estimator_class.__name__} must be {expected}.* "
             f"Got {value!r} instead")
    assert_as_sklearn(estimator_class, lambda cls: cls(**{name: value}).fit(X, y),
                      InvalidParameterError, match)


@pytest.mark.parametrize("loss", ["log_loss", "absolute_error"])
def test_invalid_regression_loss(loss):
    X, _, y = problem()
    assert_as_sklearn(nncore.MLPRegressor, lambda cls: cls(loss=loss).fit(X, y),
                      InvalidParameterError, "The 'loss' parameter of MLPRegressor must be a "
                                             f"str among .* Got '{loss}' instead")


def test_invalid_parameter_is_a_value_error():
    assert issubclass(InvalidParameterError, ValueError)


@ESTIMATORS
def test_invalid_parameter_in_partial_fit(estimator_class):
    X, y = data_for(estimator_class)
    kwargs = {"classes": [0, 1]} if estimator_class is nncore.MLPClassifier else {}
    estimator = estimator_class(**FAST, momentum=-0.5, solver="sgd")
    assert_as_sklearn(estimator_class,
                      lambda cls: cls(**FAST, momentum=-0.5).partial_fit(X, y, **kwargs),
                      InvalidParameterError, "The 'momentum' parameter")
    with pytest.raises(InvalidParameterError):
        estimator.partial_fit(X, y, **kwargs)
    assert not hasattr(estimator, "n_iter_")


@ESTIMATORS
@pytest.mark.parametrize("sizes", [[3, 0], (5, -2), [0]], ids=str)
def test_hidden_layer_sizes_with_a_non_positive_layer(estimator_class, sizes):
    X, y = data_for(estimator_class)
    assert_as_sklearn(estimator_class,
                      lambda cls: cls(**dict(FAST, hidden_layer_sizes=sizes)).fit(X, y),
                      ValueError, "hidden_layer_sizes must be > 0, got \\[")


# --- X and y -----------------------------------------------------------------------------

def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


NON_FINITE = [("X", np.nan, "Input X contains NaN"),
              ("X", np.inf, "Input X contains infinity"),
              ("X", -np.inf, "Input X contains infinity"),
              ("y", np.nan, "Input y contains NaN"),
              ("y", np.inf, "Input y contains infinity")]


@ESTIMATORS
@pytest.mark.parametrize("where, value, match", NON_FINITE,
                         ids=[f"{where}-{value}" for where, value, _ in NON_FINITE])
def test_non_finite_data(estimator_class, where, value, match):
    X, y = data_for(estimator_class)
    if where == "X":
        X = with_value(X, (3, 1), value)
    else:
        y = with_value(y, 3, value)
    assert_as_sklearn(estimator_class, lambda cls: cls(**FAST).fit(X, y), ValueError, match)


@ESTIMATORS
def test_non_finite_X_at_predict(estimator_class):
    X, y = data_for(estimator_class)
    assert_as_sklearn(estimator_class,
                      lambda cls: cls(**FAST).fit(X, y).predict(with_value(X, (0, 0), np.nan)),
                      ValueError, "Input X contains NaN")


# Each estimator with each of its checking methods: the regressor has no
# predict_proba or predict_log_proba (test_regressor_has_no_probabilities).
CLASSIFIER_ONLY = ("predict_proba", "predict_log_proba")


def estimator_methods(methods):
    return pytest.mark.parametrize(
        "estimator_class, method",
        [(cls, method) for cls in (nncore.MLPClassifier, nncore.MLPRegressor) for method in methods
         if cls is nncore.MLPClassifier or method not in CLASSIFIER_ONLY],
        ids=lambda value: value if isinstance(value, str) else
        {nncore.MLPClassifier: "classifier", nncore.MLPRegressor: "regressor"}[value])


@pytest.mark.parametrize("method", CLASSIFIER_ONLY)
def test_regressor_has_no_probabilities(method):
    assert not hasattr(SklearnRegressor, method)
    assert not hasattr(nncore.MLPRegressor, method)
    X, _, y = problem()
    assert not hasattr(nncore.MLPRegressor(**FAST).fit(X, y), method)


@estimator_methods(["predict", "predict_proba", "predict_log_proba", "partial_fit", "score"])
@pytest.mark.parametrize("n_features", [2, 4])
def test_wrong_number_of_features(estimator_class, method, n_features):
    X, y = data_for(estimator_class)
    X_wrong = np.random.RandomState(1).standard_normal((N_SAMPLES, n_features))

    def call(cls):
        estimator = cls(**FAST).fit(X, y)
        if method in ("partial_fit", "score"):
            return getattr(estimator, method)(X_wrong, y)
        return getattr(estimator, method)(X_wrong)

    assert_as_sklearn(estimator_class, call, ValueError,
                      f"X has {n_features} features, but {estimator_class.__name__} is "
                      "expecting 3 features as input")


@ESTIMATORS
@pytest.mark.parametrize("at", ["fit", "predict"])
def test_one_dimensional_X(estimator_class, at):
    X, y = data_for(estimator_class)

    def call(cls):
        if at == "fit":
            return cls(**FAST).fit(X[:, 0], y)
        return cls(**FAST).fit(X, y).predict(X[0])

    assert_as_sklearn(estimator_class, call, ValueError, "Expected 2D array, got 1D array")


@ESTIMATORS
def test_three_dimensional_X(estimator_class):
    X, y = data_for(estimator_class)
    assert_as_sklearn(estimator_class, lambda cls: cls(**FAST).fit(X[:, :, None], y),
                      ValueError, "Found array with dim 3")


@estimator_methods(["predict", "predict_proba", "predict_log_proba", "score"])
def test_not_fitted(estimator_class, method):
    X, y = data_for(estimator_class)

    def call(cls):
        estimator = cls(**FAST)
        return estimator.score(X, y) if method == "score" else getattr(estimator, method)(X)

    assert_as_sklearn(estimator_class, call, NotFittedError,
                      f"This {estimator_class.__name__} instance is not fitted yet")


@ESTIMATORS
def test_coefs_before_fit(estimator_class):
    with pytest.raises(AttributeError, match="is not fitted: coefs_ and intercepts_ exist after "
                                             "fit or partial_fit"):
        estimator_class().coefs_
    assert not hasattr(estimator_class(), "intercepts_")


@ESTIMATORS
@pytest.mark.parametrize("n_samples, n_features, match", [
    (0, 3, "Found array with 0 sample\\(s\\) \\(shape=\\(0, 3\\)\\) while a minimum of 1 is "
           "required"),
    (N_SAMPLES, 0, "Found array with 0 feature\\(s\\) \\(shape=\\(20, 0\\)\\) while a minimum "
                   "of 1 is required"),
])
def test_empty_X(estimator_class, n_samples, n_features, match):
    X, y = data_for(estimator_class)
    assert_as_sklearn(estimator_class,
                      lambda cls: cls(**FAST).fit(X[:n_samples, :n_features], y[:n_samples]),
                      ValueError, match)


@ESTIMATORS
def test_inconsistent_numbers_of_samples(estimator_class):
    X, y = data_for(estimator_class)
    assert_as_sklearn(estimator_class, lambda cls: cls(**FAST).fit(X, y[:5]), ValueError,
                      "Found input variables with inconsistent numbers of samples: \\[20, 5\\]")


@ESTIMATORS
def test_non_numeric_X(estimator_class):
    X, y = data_for(estimator_class)
    strings = np.array([["a", "b", "c"]] * N_SAMPLES)
    assert_as_sklearn(estimator_class, lambda cls: cls(**FAST).fit(strings, y), ValueError,
                      "could not convert string to float")
    assert_as_sklearn(estimator_class, lambda cls: cls(**FAST).fit(X + 1j, y), ValueError,
                      "Complex data not supported")


def test_regression_y_not_numeric():
    X, _, _ = problem()
    words = np.array(["1.5", "b"] * (N_SAMPLES // 2), dtype=object)
    assert_as_sklearn(nncore.MLPRegressor, lambda cls: cls(**FAST).fit(X, words), ValueError,
                      "could not convert string to float: 'b'")
    # A string array is not converted (scikit-learn's y_numeric converts only
    # object arrays); nncore refuses it before training, scikit-learn fails
    # in the loss, both with a TypeError.
    strings = words.astype(str)
    with pytest.raises(TypeError, match="y: got an array of dtype <U3, expected real numbers"):
        nncore.MLPRegressor(**FAST).fit(X, strings)
    assert isinstance(raised(lambda: SklearnRegressor(**FAST).fit(X, strings)), TypeError)


@pytest.mark.parametrize("y, match", [
    (np.linspace(-1, 1, N_SAMPLES), "Unknown label type"),
    (np.linspace(-1, 1, 2 * N_SAMPLES).reshape(N_SAMPLES, 2),
     "Multioutput target data is not supported with label binarization"),
], ids=["continuous", "continuous-multioutput"])
def test_classifier_y_continuous(y, match):
    X, _, _ = problem()
    assert_as_sklearn(nncore.MLPClassifier, lambda cls: cls(**FAST).fit(X, y), ValueError, match)


# --- sample_weight ---------------------------------------------------------------------------

@ESTIMATORS
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sample_weight_of_the_wrong_length(estimator_class, solver):
    X, y = data_for(estimator_class)
    assert_as_sklearn(
        estimator_class,
        lambda cls: cls(**FAST, solver=solver).fit(X, y, sample_weight=np.ones(N_SAMPLES - 1)),
        ValueError, "sample_weight.shape == \\(19,\\), expected \\(20,\\)!")


@ESTIMATORS
def test_sample_weight_two_dimensional_or_non_finite(estimator_class):
    X, y = data_for(estimator_class)
    assert_as_sklearn(
        estimator_class,
        lambda cls: cls(**FAST).fit(X, y, sample_weight=np.ones((N_SAMPLES, 1))),
        ValueError, "Sample weights must be 1D array or scalar")
    assert_as_sklearn(
        estimator_class,
        lambda cls: cls(**FAST).fit(X, y, sample_weight=with_value(np.ones(N_SAMPLES), 2, np.nan)),
        ValueError, "Input sample_weight contains NaN")


@ESTIMATORS
def test_sample_weight_all_zero(estimator_class):
    X, y = data_for(estimator_class)
    assert_as_sklearn(estimator_class,
                      lambda cls: cls(**FAST).fit(X, y, sample_weight=np.zeros(N_SAMPLES)),
                      ValueError, "Sample weights must contain at least one non-zero number")


@ESTIMATORS
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_sample_weight_negative(estimator_class, solver):
    # scikit-learn trains on negative weights; nncore refuses them.
    X, y = data_for(estimator_class)
    weights = with_value(np.ones(N_SAMPLES), 0, -1.0)
    estimator = estimator_class(**FAST, solver=solver)
    with pytest.raises(ValueError, match="sample_weight: got negative weights or weights "
                                         "summing to 0, expected weights >= 0 with a positive "
                                         "sum"):
        estimator.fit(X, y, sample_weight=weights)


# --- early stopping, partial_fit and warm_start ---------------------------------------------

@ESTIMATORS
def test_early_stopping_with_a_validation_set_too_small(estimator_class):
    X, y = data_for(estimator_class)
    X, y = X[:10], y[:10]  # a validation set of ceil(0.1 * 10) = 1 sample
    if estimator_class is nncore.MLPRegressor:
        match = ("The validation set is too small. Increase 'validation_fraction' or the size "
                 "of your dataset.")
    else:  # the stratified split refuses it first
        match = "The test_size = 1 should be greater or equal to the number of classes = 2"
    assert_as_sklearn(estimator_class,
                      lambda cls: cls(**FAST, early_stopping=True).fit(X, y), ValueError, match)


def test_early_stopping_too_small_for_multilabel():
    X, _, _ = problem()
    y = np.column_stack([np.arange(10) % 2, np.arange(10) % 3 == 0])
    assert_as_sklearn(nncore.MLPClassifier,
                      lambda cls: cls(**FAST, early_stopping=True).fit(X[:10], y), ValueError,
                      "The validation set is too small")


@ESTIMATORS
def test_partial_fit_with_early_stopping(estimator_class):
    X, y = data_for(estimator_class)
    kwargs = {"classes": [0, 1]} if estimator_class is nncore.MLPClassifier else {}
    assert_as_sklearn(
        estimator_class,
        lambda cls: cls(**FAST, early_stopping=True).partial_fit(X, y, **kwargs),
        ValueError, "partial_fit does not support early_stopping=True")


@ESTIMATORS
def test_partial_fit_with_lbfgs(estimator_class):
    X, y = data_for(estimator_class)
    with pytest.raises(AttributeError, match=f"'{estimator_class.__name__}' has no attribute "
                                             "'partial_fit'"):
        estimator_class(solver="lbfgs").partial_fit(X, y)


@ESTIMATORS
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.parametrize("sizes", [(5,), (4, 4)], ids=str)
def test_changed_hidden_layer_sizes(estimator_class, how, sizes):
    # scikit-learn fails or trains on with a network of the old shape here.
    X, y = data_for(estimator_class)
    kwargs = {"classes": [0, 1]} if estimator_class is nncore.MLPClassifier else {}
    estimator = estimator_class(**FAST, warm_start=how == "warm_start")
    if how == "warm_start":
        estimator.fit(X, y)
    else:
        estimator.partial_fit(X, y, **kwargs)
    coefs = [c.copy() for c in estimator.coefs_]
    estimator.set_params(hidden_layer_sizes=sizes)
    with pytest.raises(ValueError, match="hidden_layer_sizes: got \\[.*\\], expected the "
                                         "fitted network's \\[4\\]"):
        if how == "warm_start":
            estimator.fit(X, y)
        else:
            estimator.partial_fit(X, y)
    for before, after in zip(coefs, estimator.coefs_):
        np.testing.assert_array_equal(after, before)
    estimator.set_params(hidden_layer_sizes=(4,))  # the fitted model goes on
    estimator.partial_fit(X, y) if how == "partial_fit" else estimator.fit(X, y)


def test_warm_start_with_another_number_of_outputs():
    X, y = data_for(nncore.MLPRegressor)
    estimator = nncore.MLPRegressor(**FAST, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="y: got 2 outputs, expected 1 as in the fitted network"):
        estimator.fit(X, np.column_stack([y, y]))


def test_warm_start_with_changed_classes():
    X, y, _ = problem()
    assert_as_sklearn(nncore.MLPClassifier,
                      lambda cls: cls(**FAST, warm_start=True).fit(X, y).fit(X, y + 1),
                      ValueError, "warm_start can only be used where `y` has the same classes "
                                  "as in the previous call to fit. Previously got \\[0 1\\], "
                                  "`y` has \\[1 2\\]")


def test_partial_fit_classes():
    X, y, _ = problem()
    assert_as_sklearn(nncore.MLPClassifier, lambda cls: cls(**FAST).partial_fit(X, y),
                      ValueError, "classes must be passed on the first call to partial_fit.")
    assert_as_sklearn(
        nncore.MLPClassifier,
        lambda cls: cls(**FAST).partial_fit(X, y, classes=[0, 1]).partial_fit(X, y + 1),
        ValueError, "`y` has classes not in `self.classes_`. `self.classes_` has \\[0 1\\]. "
                    "'y' has \\[1 2\\].")
    assert_as_sklearn(
        nncore.MLPClassifier,
        lambda cls: cls(**FAST).partial_fit(X, y, classes=[0, 1]).partial_fit(X, y,
                                                                               classes=[0, 2]),
        ValueError, "`classes=\\[0, 2\\]` is not the same as on last call to partial_fit, "
                    "was: array\\(\\[0, 1\\]\\)")


def test_divergence():
    X, _, y = problem()
    with pytest.raises(ValueError, match="diverged"):
        nncore.MLPRegressor(solver="sgd", learning_rate_init=1e10, max_iter=5,
                            random_state=0).fit(X, y * 1e10)


# --- the caller's arrays -----------------------------------------------------------------------

CASES = [(cls, solver, early_stopping)
         for cls in (nncore.MLPClassifier, nncore.MLPRegressor)
         for solver in ("sgd", "adam", "lbfgs")
         for early_stopping in (False, True) if not (early_stopping and solver == "lbfgs")]


@pytest.mark.parametrize("estimator_class, solver, early_stopping", CASES,
                         ids=[f"{c.__name__}-{s}-{'es' if e else 'plain'}" for c, s, e in CASES])
@pytest.mark.parametrize("read_only", [False, True], ids=["writeable", "read-only"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_inputs_are_not_modified(estimator_class, solver, early_stopping, read_only, dtype):
    X, y = data_for(estimator_class)
    X = X.astype(dtype)
    weights = np.linspace(0.5, 1.5, N_SAMPLES).astype(dtype)
    if estimator_class is nncore.MLPRegressor:
        y = y.astype(dtype)
    arrays = (X, y, weights)
    copies = tuple(a.copy() for a in arrays)
    if read_only:
        for a in arrays:
            a.flags.writeable = False
    estimator = estimator_class(**FAST, solver=solver, early_stopping=early_stopping)
    estimator.fit(X, y, sample_weight=weights)
    if solver != "lbfgs" and not early_stopping:
        estimator.partial_fit(X, y, sample_weight=weights)
    estimator.predict(X)
    estimator.score(X, y, sample_weight=weights)
    for array, original in zip(arrays, copies):
        np.testing.assert_array_equal(array, original, strict=True)
        assert array.flags.writeable is not read_only


@ESTIMATORS
def test_failed_fit_leaves_inputs(estimator_class):
    X, y = data_for(estimator_class)
    weights = with_value(np.ones(N_SAMPLES), 0, -1.0)
    copies = (X.copy(), y.copy(), weights.copy())
    with pytest.raises(ValueError):
        estimator_class(**FAST).fit(X, y, sample_weight=weights)
    for array, original in zip((X, y, weights), copies):
        np.testing.assert_array_equal(array, original, strict=True)
