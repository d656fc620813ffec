"""Every error path of MLP's public API, and of the optimizer and
early-stopping classes: the exception type, and a message that names the
argument and says what was given or expected. A failed call changes
neither the model nor the caller's arrays."""
import copy

import numpy as np
import pytest

import nncore

NAN, INF = float("nan"), float("inf")
N_SAMPLES = 7


def problem(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N_SAMPLES, 3)), rng.standard_normal((N_SAMPLES, 2))


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def assert_unchanged(before, after):
    if isinstance(before, np.ndarray):
        assert type(after) is np.ndarray
        np.testing.assert_array_equal(after, before, strict=True)
    elif isinstance(before, tuple):
        assert type(after) is tuple and len(after) == len(before)
        for a, b in zip(before, after):
            assert_unchanged(a, b)
    else:
        assert after == before


# --- MLP(...) ------------------------------------------------------------------------

CONSTRUCTOR_CASES = {
    "layer_sizes str": (dict(layer_sizes="3,2"), TypeError,
                        r"layer_sizes: got '3,2', expected a sequence of integers"),
    "layer_sizes int": (dict(layer_sizes=3), TypeError,
                        r"layer_sizes: got 3, expected a sequence of integers"),
    "layer_sizes None": (dict(layer_sizes=None), TypeError,
                         r"layer_sizes: got None, expected a sequence of integers"),
    "layer_sizes empty": (dict(layer_sizes=()), ValueError,
                          r"layer_sizes: got \(\), expected at least two widths"),
    "one layer size": (dict(layer_sizes=(3,)), ValueError,
                       r"layer_sizes: got \(3,\), expected at least two widths \(inputs and outputs\)"),
    "zero width": (dict(layer_sizes=(3, 0, 2)), ValueError,
                   r"layer_sizes\[1\]: got 0, expected an integer >= 1"),
    "negative width": (dict(layer_sizes=(-3, 2)), ValueError,
                       r"layer_sizes\[0\]: got -3, expected an integer >= 1"),
    "float width": (dict(layer_sizes=(3, 2.0)), TypeError,
                    r"layer_sizes\[1\]: got 2.0 of type float, expected an integer"),
    "bool width": (dict(layer_sizes=(3, True)), TypeError,
                   r"layer_sizes\[1\]: got True, expected an integer"),
    "str width": (dict(layer_sizes=(3, "2")), TypeError,
                  r"layer_sizes\[1\]: got '2' of type str, expected an integer"),
    "huge width": (dict(layer_sizes=(2**31, 1)), ValueError,
                   r"layer_sizes\[0\]: got 2147483648, expected an integer below 2\*\*31"),
    "too many parameters": (dict(layer_sizes=(2**20, 2**20, 1)), ValueError,
                            r"layer_sizes: got \(1048576, 1048576, 1\), expected fewer than 2\*\*40 parameters"),
    "unknown activation": (dict(activation="sigmoid"), ValueError,
                           r"activation: got 'sigmoid', expected one of 'identity', 'logistic', "
                           r"'tanh', 'relu', 'leaky_relu'"),
    "softmax hidden": (dict(activation="softmax"), ValueError, r"activation: got 'softmax', expected one of"),
    "activation None": (dict(activation=None), ValueError, r"activation: got None, expected one of"),
    "unknown output activation": (dict(output_activation="sigmoid"), ValueError,
                                  r"output_activation: got 'sigmoid', expected one of 'identity', "
                                  r"'logistic', 'tanh', 'relu', 'leaky_relu', 'gelu', 'silu', 'elu', "
                                  r"'softplus', 'softmax', 'exp'"),
    "unknown loss": (dict(loss="mse"), ValueError,
                     r"loss: got 'mse', expected one of 'sse', 'squared_error', "
                     r"'binary_cross_entropy', 'cross_entropy'"),
    "loss not a string": (dict(loss=1), ValueError, r"loss: got 1, expected one of"),
    "cross_entropy with logistic": (dict(loss="cross_entropy", output_activation="logistic"),
                                    ValueError,
                                    r"loss: got 'cross_entropy' with output_activation='logistic', "
                                    r"expected output_activation='softmax'"),
    "cross_entropy with identity": (dict(loss="cross_entropy", output_activation="identity"),
                                    ValueError, r"loss: got 'cross_entropy' with "
                                    r"output_activation='identity', expected output_activation='softmax'"),
    "binary_cross_entropy with softmax": (dict(loss="binary_cross_entropy",
                                               output_activation="softmax"), ValueError,
                                          r"loss: got 'binary_cross_entropy' with "
                                          r"output_activation='softmax', expected "
                                          r"output_activation='logistic'"),
    "binary_cross_entropy with tanh": (dict(loss="binary_cross_entropy", output_activation="tanh"),
                                       ValueError, r"expected output_activation='logistic'"),
    "poisson with identity": (dict(loss="poisson", output_activation="identity"), ValueError,
                              r"loss: got 'poisson' with output_activation='identity', expected "
                              r"output_activation='exp'"),
    "exp hidden": (dict(activation="exp"), ValueError, r"activation: got 'exp', expected one of"),
    "softmax with one output": (dict(layer_sizes=(3, 1), output_activation="softmax"), ValueError,
                                r"output_activation: got 'softmax' with 1 output, expected at least 2 "
                                r"outputs"),
    "cross_entropy with one output": (dict(layer_sizes=(3, 4, 1), loss="cross_entropy"), ValueError,
                                      r"output_activation: got 'softmax' with 1 output"),
    "bias int": (dict(bias=1), TypeError, r"bias: got 1 of type int, expected True or False"),
    "bias None": (dict(bias=None), TypeError, r"bias: got None of type NoneType, expected True or False"),
    "dtype float16": (dict(dtype=np.float16), TypeError, r"dtype: got float16, expected float32 or float64"),
    "dtype int": (dict(dtype=int), TypeError, r"dtype: got int64, expected float32 or float64"),
    "dtype complex": (dict(dtype=np.complex128), TypeError, r"dtype: got complex128, expected float32 or float64"),
    "dtype name": (dict(dtype="banana"), TypeError,
                   r"dtype: got 'banana', expected numpy.float32 or numpy.float64"),
    "negative seed": (dict(random_state=-1), ValueError, r"random_state: got -1, expected a seed >= 0"),
    "float seed": (dict(random_state=1.5), TypeError,
                   r"random_state: got 1.5 of type float, expected None, an int seed, a "
                   r"numpy.random.Generator or a numpy.random.RandomState"),
    "bool seed": (dict(random_state=True), TypeError, r"random_state: got True of type bool"),
    "str seed": (dict(random_state="42"), TypeError, r"random_state: got '42' of type str"),
    "negative slope": (dict(negative_slope=-0.1), ValueError,
                       r"negative_slope: got -0.1, expected a number >= 0"),
    "NaN slope": (dict(negative_slope=NAN), ValueError, r"negative_slope: got nan, expected a finite number"),
    "inf slope": (dict(negative_slope=INF), ValueError, r"negative_slope: got inf, expected a finite number"),
    "str slope": (dict(negative_slope="0.1"), TypeError,
                  r"negative_slope: got '0.1' of type str, expected a real number"),
    "slope too large for float32": (dict(negative_slope=1e39, dtype=np.float32), ValueError,
                                    r"negative_slope: .*float32"),
}


@pytest.mark.parametrize("case", CONSTRUCTOR_CASES.values(), ids=CONSTRUCTOR_CASES.keys())
def test_bad_constructor_argument(case):
    override, error, message = case
    arguments = dict(layer_sizes=(3, 4, 2), activation="tanh")
    arguments.update(override)
    layer_sizes = arguments.pop("layer_sizes")
    with pytest.raises(error, match=message):
        nncore.MLP(layer_sizes, **arguments)


def test_layer_sizes_list_is_not_modified():
    sizes = [3, 0, 2]
    with pytest.raises(ValueError, match=r"layer_sizes\[1\]"):
        nncore.MLP(sizes)
    assert sizes == [3, 0, 2]


# --- data: fit, partial_fit, loss, gradients, score ------------------------------------

X, Y = problem()
LABELS = np.array([0, 1, 2, 2, 1, 0, 1])

# name: (override of X, y or sample_weight, head, error, message)
DATA_CASES = {
    "X 1-D with 7 rows of y": (dict(X=X[0]), "regression", ValueError,
                               r"y: got 7 samples, expected 1 to match X"),
    "X 3-D": (dict(X=X.reshape(7, 3, 1)), "regression", ValueError,
              r"X: got a 3-D array of shape \(7, 3, 1\), expected 2-D"),
    "X wrong width": (dict(X=X[:, :2]), "regression", ValueError,
                      r"X: got 2 features \(shape \(7, 2\)\), expected 3, the model's input width"),
    "X no rows": (dict(X=np.zeros((0, 3))), "regression", ValueError,
                  r"X: got shape \(0, 3\), expected at least one element in every dimension"),
    "X NaN": (dict(X=with_value(X, (2, 1), NAN)), "regression", ValueError,
              r"X: contains NaN or infinity, expected finite values"),
    "X inf": (dict(X=with_value(X, (0, 0), INF)), "regression", ValueError,
              r"X: contains NaN or infinity, expected finite values"),
    "X -inf": (dict(X=with_value(X, (6, 2), -INF)), "regression", ValueError,
               r"X: contains NaN or infinity, expected finite values"),
    "X strings": (dict(X=X.astype(str)), "regression", TypeError,
                  r"X: got an array of dtype <U\d+, expected real numbers"),
    "X objects": (dict(X=X.astype(object)), "regression", TypeError,
                  r"X: got an array of dtype object, expected real numbers"),
    "X complex": (dict(X=X + 0j), "regression", TypeError,
                  r"X: got an array of dtype complex128, expected real numbers"),
    "X None": (dict(X=None), "regression", TypeError, r"X: got an array of dtype object"),
    "X ragged": (dict(X=[[1.0, 2.0, 3.0], [1.0, 2.0]] + X[2:].tolist()), "regression", ValueError,
                 r"X: could not be read as an array .*ragged"),
    "y wrong width": (dict(y=np.zeros((7, 3))), "regression", ValueError,
                      r"y: got 3 columns \(shape \(7, 3\)\), expected 2, the model's output width"),
    "y fewer rows": (dict(y=Y[:6]), "regression", ValueError,
                     r"y: got 6 samples.* expected 7 to match X"),
    "y more rows": (dict(y=np.vstack([Y, Y[:1]])), "regression", ValueError,
                    r"y: got 8 samples.* expected 7 to match X"),
    "y 1-D for two outputs": (dict(y=Y[:, 0]), "regression", ValueError,
                              r"y: got a 1-D array of shape \(7,\), expected 2-D"),
    "y 3-D": (dict(y=Y.reshape(7, 2, 1)), "regression", ValueError, r"y: got a 3-D array"),
    "y NaN": (dict(y=with_value(Y, (3, 1), NAN)), "regression", ValueError,
              r"y: contains NaN or infinity, expected finite values"),
    "y inf": (dict(y=with_value(Y, (3, 1), -INF)), "regression", ValueError,
              r"y: contains NaN or infinity, expected finite values"),
    "y strings": (dict(y=Y.astype(str)), "regression", TypeError,
                  r"y: got an array of dtype <U\d+, expected real numbers"),
    "y None": (dict(y=None), "regression", TypeError, r"y: got an array of dtype object"),
    "class index too large": (dict(y=np.array([0, 1, 2, 3, 1, 0, 1])), "cross_entropy", ValueError,
                              r"y: got class indices from 0 to 3, expected 0 to 2 \(one per output\)"),
    "negative class index": (dict(y=np.array([0, 1, -1, 2, 1, 0, 1])), "cross_entropy", ValueError,
                             r"y: got class indices from -1 to 2, expected 0 to 2"),
    "float class indices": (dict(y=LABELS.astype(float)), "cross_entropy", TypeError,
                            r"y: got a 1-D array of dtype float64, expected integer class indices "
                            r"or 2-D one-hot \(or probability\) rows"),
    "bool class indices": (dict(y=LABELS > 0), "cross_entropy", TypeError,
                           r"y: got a 1-D array of dtype bool, expected integer class indices"),
    "class indices wrong count": (dict(y=LABELS[:5]), "cross_entropy", ValueError,
                                  r"y: got 5 samples, expected 7 to match X"),
    "negative probability": (dict(y=with_value(np.eye(3)[LABELS], (1, 1), -0.5)), "cross_entropy",
                             ValueError, r"y: has negative values, expected class probabilities >= 0 "
                             r"for cross_entropy"),
    "one-hot wrong width": (dict(y=np.eye(4)[LABELS]), "cross_entropy", ValueError,
                            r"y: got 4 columns \(shape \(7, 4\)\), expected 3"),
    "BCE target above 1": (dict(y=with_value(np.ones((7, 2)) / 2, (4, 0), 1.5)), "binary", ValueError,
                           r"y: has values above 1, expected probabilities in \[0, 1\] for "
                           r"binary_cross_entropy"),
    "BCE negative target": (dict(y=with_value(np.ones((7, 2)) / 2, (4, 1), -0.1)), "binary",
                            ValueError, r"y: has negative values, expected class probabilities >= 0 "
                            r"for binary_cross_entropy"),
    "poisson negative target": (dict(y=with_value(np.ones((7, 2)), (4, 1), -0.5)), "poisson",
                                ValueError, r"y: got a negative value \(-0.5\), expected counts or "
                                r"rates >= 0 for poisson"),
    "poisson NaN target": (dict(y=with_value(np.ones((7, 2)), (2, 0), NAN)), "poisson", ValueError,
                           r"y: contains NaN or infinity, expected finite values"),
    "poisson inf target": (dict(y=with_value(np.ones((7, 2)), (2, 0), INF)), "poisson", ValueError,
                           r"y: contains NaN or infinity, expected finite values"),
    "sample_weight too short": (dict(sample_weight=np.ones(6)), "regression", ValueError,
                                r"sample_weight: got 6 weights, expected 7, one per sample"),
    "sample_weight 2-D": (dict(sample_weight=np.ones((7, 1))), "regression", ValueError,
                          r"sample_weight: got a 2-D array of shape \(7, 1\), expected 1-D"),
    "sample_weight negative": (dict(sample_weight=with_value(np.ones(7), 3, -1.0)), "regression",
                               ValueError, r"sample_weight: got negative weights or weights summing "
                               r"to 0, expected weights >= 0 with a positive sum"),
    "sample_weight all zero": (dict(sample_weight=np.zeros(7)), "regression", ValueError,
                               r"sample_weight: got negative weights or weights summing to 0"),
    "sample_weight NaN": (dict(sample_weight=with_value(np.ones(7), 0, NAN)), "regression",
                          ValueError, r"sample_weight: contains NaN or infinity"),
    "sample_weight inf": (dict(sample_weight=with_value(np.ones(7), 0, INF)), "regression",
                          ValueError, r"sample_weight: contains NaN or infinity"),
    "sample_weight strings": (dict(sample_weight=np.array(["1"] * 7)), "regression", TypeError,
                              r"sample_weight: got an array of dtype <U1, expected real numbers"),
    "sample_weight scalar": (dict(sample_weight=1.0), "regression", ValueError,
                             r"sample_weight: got a 0-D array of shape \(\), expected 1-D"),
}

HEAD_OPTIONS = {
    "regression": dict(layer_sizes=(3, 4, 2)),
    "cross_entropy": dict(layer_sizes=(3, 4, 3), loss="cross_entropy"),
    "binary": dict(layer_sizes=(3, 4, 2), loss="binary_cross_entropy"),
    "poisson": dict(layer_sizes=(3, 4, 2), loss="poisson"),
}
GOOD_TARGETS = {"regression": Y, "cross_entropy": LABELS, "binary": (Y > 0).astype(float),
                "poisson": np.floor(np.abs(Y) * 2)}


def make_model(head="regression", dtype=np.float64, **options):
    options = dict(HEAD_OPTIONS[head], **options)
    layer_sizes = options.pop("layer_sizes")
    return nncore.MLP(layer_sizes, activation="tanh", random_state=0, dtype=dtype, **options)


def trained_model(head="regression", dtype=np.float64):
    """A model with parameters, Adam state and a history to lose."""
    model = make_model(head, dtype)
    model.fit(X, GOOD_TARGETS[head], epochs=2, batch_size=3, optimizer="adam", random_state=0)
    return model


def model_state(model):
    state = model._get_state()
    return (state["params"], state["first_moment"], state["second_moment"],
            state["step_count"], state["l2"], model.optimizer_, model.history_)


def assert_model_unchanged(model, state, head="regression", dtype=np.float64):
    """The model's state is ``state``; and it trains on exactly as a twin
    that never saw the failed call (so the call drew nothing from the
    model's random generator either)."""
    now = model_state(model)
    for a, b in zip(state[:3], now[:3]):
        np.testing.assert_array_equal(b, a, strict=True)
    assert now[3:5] == state[3:5]
    assert now[5] is state[5] and now[6] is state[6]
    twin = trained_model(head, dtype)
    model.partial_fit(X, GOOD_TARGETS[head], batch_size=3)
    twin.partial_fit(X, GOOD_TARGETS[head], batch_size=3)
    np.testing.assert_array_equal(model.params_, twin.params_, strict=True)


METHODS = ["fit", "partial_fit", "loss", "gradients", "score"]


def call(model, method, X, y, sample_weight=None):
    if method == "fit":
        return model.fit(X, y, epochs=2, sample_weight=sample_weight)
    return getattr(model, method)(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", DATA_CASES.values(), ids=DATA_CASES.keys())
def test_bad_data(case, method):
    override, head, error, message = case
    arguments = dict(X=X.copy(), y=np.array(GOOD_TARGETS[head]), sample_weight=None)
    arguments.update(override)
    before = copy.deepcopy(arguments)
    model = trained_model(head)
    state = model_state(model)
    with pytest.raises(error, match=message):
        call(model, method, arguments["X"], arguments["y"], arguments["sample_weight"])
    for name in arguments:
        assert_unchanged(before[name], arguments[name])
    assert_model_unchanged(model, state, head)


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["X", "y", "sample_weight"])
def test_values_too_large_for_float32(name, method):
    arguments = dict(X=X.copy(), y=Y.copy(), sample_weight=np.ones(7))
    arguments[name][0] = 1e300
    model = trained_model(dtype=np.float32)
    state = model_state(model)
    with pytest.raises(ValueError, match=rf"{name}: has values too large for float32, expected "
                                         "finite values"):
        call(model, method, arguments["X"], arguments["y"], arguments["sample_weight"])
    assert_model_unchanged(model, state, dtype=np.float32)


# --- fit and partial_fit: the options ----------------------------------------------------

VALIDATION = (X[:4], Y[:4])

FIT_CASES = {
    "epochs missing": (dict(epochs=None), TypeError, r"epochs: got None of type NoneType, expected an integer"),
    "negative epochs": (dict(epochs=-1), ValueError, r"epochs: got -1, expected an integer >= 0"),
    "float epochs": (dict(epochs=2.0), TypeError, r"epochs: got 2.0 of type float, expected an integer"),
    "bool epochs": (dict(epochs=True), TypeError, r"epochs: got True, expected an integer"),
    "huge epochs": (dict(epochs=2**31), ValueError, r"epochs: got 2147483648, expected an integer below 2\*\*31"),
    "zero batch_size": (dict(batch_size=0), ValueError, r"batch_size: got 0, expected an integer >= 1"),
    "batch_size above n_samples": (dict(batch_size=8), ValueError,
                                   r"batch_size: got 8, expected 1 to 7 \(the number of samples\) or "
                                   r"None for the full batch"),
    "float batch_size": (dict(batch_size=2.5), TypeError,
                         r"batch_size: got 2.5 of type float, expected an integer"),
    "bool batch_size": (dict(batch_size=True), TypeError, r"batch_size: got True, expected an integer"),
    "unknown optimizer": (dict(optimizer="rmsprop"), ValueError,
                          r"optimizer: got 'rmsprop', expected one of 'sgd', 'adam'"),
    "optimizer class": (dict(optimizer=nncore.Adam), TypeError,
                        r"optimizer: got <class 'nncore.optimizers.Adam'>, expected 'sgd', 'adam', "
                        r"'adamw', nncore.SGD\(...\), nncore.Adam\(...\) or nncore.AdamW\(...\)"),
    "optimizer None": (dict(optimizer=None), TypeError, r"optimizer: got None, expected 'sgd', 'adam'"),
    "learning_rate with an object": (dict(optimizer=nncore.SGD(0.1), learning_rate=0.2), ValueError,
                                     r"learning_rate: got 0.2 with an optimizer object "
                                     r"\(SGD\(learning_rate=0.1, .*\)\), expected None; set the "
                                     r"object's learning_rate"),
    "zero learning_rate": (dict(learning_rate=0), ValueError,
                           r"learning_rate: got 0.0, expected a positive number"),
    "negative learning_rate": (dict(learning_rate=-0.1), ValueError,
                               r"learning_rate: got -0.1, expected a positive number"),
    "NaN learning_rate": (dict(learning_rate=NAN), ValueError,
                          r"learning_rate: got nan, expected a finite number"),
    "inf learning_rate": (dict(learning_rate=INF), ValueError,
                          r"learning_rate: got inf, expected a finite number"),
    "str learning_rate": (dict(learning_rate="0.1"), TypeError,
                          r"learning_rate: got '0.1' of type str, expected a real number"),
    "Adam learning_rate 0": (dict(optimizer="adam", learning_rate=0.0), ValueError,
                             r"learning_rate: got 0.0, expected a positive number"),
    "negative l2": (dict(l2=-0.1), ValueError, r"l2: got -0.1, expected a number >= 0"),
    "NaN l2": (dict(l2=NAN), ValueError, r"l2: got nan, expected a finite number"),
    "str l2": (dict(l2="0"), TypeError, r"l2: got '0' of type str, expected a real number"),
    "None l2": (dict(l2=None), TypeError, r"l2: got None of type NoneType, expected a real number"),
    "shuffle int": (dict(shuffle=1), TypeError, r"shuffle: got 1 of type int, expected True or False"),
    "shuffle None": (dict(shuffle=None), TypeError, r"shuffle: got None of type NoneType, expected True or False"),
    "negative random_state": (dict(random_state=-5), ValueError,
                              r"random_state: got -5, expected a seed >= 0"),
    "str random_state": (dict(random_state="5"), TypeError, r"random_state: got '5' of type str"),
    "validation_data list": (dict(validation_data=list(VALIDATION)), TypeError,
                             r"validation_data: got list, expected a tuple \(X_val, y_val\) or "
                             r"\(X_val, y_val, sample_weight_val\)"),
    "validation_data of one": (dict(validation_data=(X,)), TypeError,
                               r"validation_data: got tuple, expected a tuple \(X_val, y_val\)"),
    "validation_data of four": (dict(validation_data=VALIDATION + (None, None)), TypeError,
                                r"validation_data: got tuple, expected a tuple"),
    "validation X width": (dict(validation_data=(X[:4, :2], Y[:4])), ValueError,
                           r"validation_data X: got 2 features \(shape \(4, 2\)\), expected 3"),
    "validation y width": (dict(validation_data=(X[:4], Y[:4, :1])), ValueError,
                           r"validation_data y: got 1 columns \(shape \(4, 1\)\), expected 2"),
    "validation rows": (dict(validation_data=(X[:4], Y[:3])), ValueError,
                        r"validation_data y: got 3 samples.* expected 4 to match X"),
    "validation NaN": (dict(validation_data=(with_value(X[:4], (0, 0), NAN), Y[:4])), ValueError,
                       r"validation_data X: contains NaN or infinity"),
    "validation strings": (dict(validation_data=(X[:4], Y[:4].astype(str))), TypeError,
                           r"validation_data y: got an array of dtype <U\d+"),
    "validation weights length": (dict(validation_data=VALIDATION + (np.ones(3),)), ValueError,
                                  r"validation_data sample_weight: got 3 weights, expected 4"),
    "validation weights negative": (dict(validation_data=VALIDATION + (-np.ones(4),)), ValueError,
                                    r"validation_data sample_weight: got negative weights"),
    "early_stopping str": (dict(early_stopping="yes"), TypeError,
                           r"early_stopping: got 'yes', expected None, True or "
                           r"nncore.EarlyStopping\(...\)"),
    "early_stopping int": (dict(early_stopping=3), TypeError, r"early_stopping: got 3, expected None"),
    "early_stopping class": (dict(early_stopping=nncore.EarlyStopping), TypeError,
                             r"early_stopping: got <class 'nncore.training.EarlyStopping'>"),
    "val_loss without validation": (dict(early_stopping=nncore.EarlyStopping(monitor="val_loss")),
                                    ValueError, r"early_stopping: monitor='val_loss' needs "
                                    r"validation_data"),
    "callback not callable": (dict(callback=3), TypeError, r"callback: got 3, expected a callable or None"),
    "callback str": (dict(callback="print"), TypeError, r"callback: got 'print', expected a callable"),
    "progress int": (dict(progress=1), TypeError, r"progress: got 1 of type int, expected True or False"),
    "warm_start str": (dict(warm_start="yes"), TypeError,
                       r"warm_start: got 'yes' of type str, expected True or False"),
    "zero clip_norm": (dict(clip_norm=0.0), ValueError, r"clip_norm: got 0.0, expected a positive number"),
    "negative clip_norm": (dict(clip_norm=-1), ValueError,
                           r"clip_norm: got -1.0, expected a positive number"),
    "NaN clip_norm": (dict(clip_norm=NAN), ValueError, r"clip_norm: got nan, expected a finite number"),
    "inf clip_norm": (dict(clip_norm=INF), ValueError, r"clip_norm: got inf, expected a finite number"),
    "str clip_norm": (dict(clip_norm="1"), TypeError,
                      r"clip_norm: got '1' of type str, expected a real number"),
    "bool clip_norm": (dict(clip_norm=True), TypeError,
                       r"clip_norm: got True of type bool, expected a real number"),
}

PARTIAL_FIT_OPTIONS = {"batch_size", "optimizer", "learning_rate", "shuffle", "random_state", "l2",
                       "clip_norm"}


@pytest.mark.parametrize("case", FIT_CASES.values(), ids=FIT_CASES.keys())
def test_bad_fit_option(case):
    override, error, message = case
    options = dict(epochs=2)
    options.update(override)
    model = trained_model()
    state = model_state(model)
    with pytest.raises(error, match=message):
        model.fit(X, Y, **options)
    assert_model_unchanged(model, state)


PARTIAL_FIT_CASES = {name: case for name, case in FIT_CASES.items()
                     if set(case[0]) <= PARTIAL_FIT_OPTIONS and case[0].get("optimizer", 0) is not None}


@pytest.mark.parametrize("case", PARTIAL_FIT_CASES.values(), ids=PARTIAL_FIT_CASES.keys())
def test_bad_partial_fit_option(case):
    override, error, message = case
    model = trained_model()
    state = model_state(model)
    with pytest.raises(error, match=message):
        model.partial_fit(X, Y, **override)
    assert_model_unchanged(model, state)


@pytest.mark.parametrize("learning_rate, error, message", [
    (0.0, ValueError, r"learning_rate: got 0.0, expected a positive number"),
    (-1.0, ValueError, r"learning_rate: got -1.0, expected a positive number"),
    ("fast", TypeError, r"learning_rate: got 'fast' of type str, expected a real number"),
])
def test_bad_partial_fit_learning_rate_for_the_last_optimizer(learning_rate, error, message):
    # With no optimizer given, partial_fit applies the rate to the last one.
    model = trained_model()
    state = model_state(model)
    with pytest.raises(error, match=message):
        model.partial_fit(X, Y, learning_rate=learning_rate)
    assert_model_unchanged(model, state)


# --- hyperparameters that do not survive float32 ------------------------------------------

@pytest.mark.parametrize("optimizer, learning_rate", [
    ("sgd", 1e-50), ("adam", 1e-46), (nncore.SGD(learning_rate=1e-50), None),
    (nncore.Adam(learning_rate=1e-50), None),
])
def test_learning_rate_that_is_zero_in_float32(optimizer, learning_rate):
    model = trained_model(dtype=np.float32)
    state = model_state(model)
    with pytest.raises(ValueError, match=r"learning_rate: got 1e-(50|46), which is 0 in float32; "
                                         r"expected a positive float32 value"):
        model.fit(X, Y, epochs=1, optimizer=optimizer, learning_rate=learning_rate, warm_start=True)
    assert_model_unchanged(model, state, dtype=np.float32)
    # The same rates are fine in float64.
    make_model().fit(X, Y, epochs=1, optimizer=optimizer, learning_rate=learning_rate)


def test_learning_rate_too_large_for_float32():
    model = trained_model(dtype=np.float32)
    with pytest.raises(ValueError, match=r"learning_rate: got 1e\+300, too large for float32"):
        model.fit(X, Y, epochs=1, learning_rate=1e300)


@pytest.mark.parametrize("optimizer, name", [
    (nncore.Adam(epsilon=1e-50), "epsilon"),     # 0 in float32: 0 / 0 for a zero gradient
    (nncore.Adam(beta_1=1 - 1e-9), "beta_1"),    # 1 in float32: the first moment stays 0
    (nncore.Adam(beta_2=1 - 1e-9), "beta_2"),    # 1 in float32: the second moment stays 0
    (nncore.SGD(momentum=1 - 1e-9), "momentum"),  # 1 in float32: outside [0, 1)
], ids=["epsilon", "beta_1", "beta_2", "momentum"])
def test_optimizer_hyperparameters_are_checked_in_the_model_dtype(optimizer, name):
    # As learning_rate is: a value that is valid in float64 but becomes 0
    # (epsilon) or 1 (the decay rates) in the float32 the update runs in.
    model = trained_model(dtype=np.float32)
    state = model_state(model)
    with pytest.raises(ValueError, match=rf"{name}: .*float32"):
        model.fit(X, Y, epochs=1, optimizer=optimizer, warm_start=True)
    assert_model_unchanged(model, state, dtype=np.float32)


def test_clip_norm_checked_in_the_model_dtype():
    model = trained_model(dtype=np.float32)
    state = model_state(model)
    with pytest.raises(ValueError, match=r"clip_norm: got 1e-50, which is 0 in float32"):
        model.fit(X, Y, epochs=1, clip_norm=1e-50, warm_start=True)
    with pytest.raises(ValueError, match=r"clip_norm: .*too large for float32"):
        model.fit(X, Y, epochs=1, clip_norm=1e40, warm_start=True)
    assert_model_unchanged(model, state, dtype=np.float32)


@pytest.mark.parametrize("optimizer", [nncore.SGD(weight_decay=1e40), nncore.AdamW(weight_decay=1e40)],
                         ids=["sgd", "adamw"])
def test_weight_decay_too_large_for_float32(optimizer):
    model = trained_model(dtype=np.float32)
    state = model_state(model)
    with pytest.raises(ValueError, match=r"weight_decay: .*too large for float32"):
        model.fit(X, Y, epochs=1, optimizer=optimizer, warm_start=True)
    assert_model_unchanged(model, state, dtype=np.float32)


def test_l2_too_large_for_float32():
    model = trained_model(dtype=np.float32)
    state = model_state(model)
    with pytest.raises(ValueError, match=r"l2: .*float32"):
        model.fit(X, Y, epochs=1, l2=1e40, warm_start=True)
    assert_model_unchanged(model, state, dtype=np.float32)


# --- loss, gradients, score: the options ------------------------------------------------

@pytest.mark.parametrize("method", ["loss", "gradients"])
@pytest.mark.parametrize("l2, error, message", [
    (-1.0, ValueError, r"l2: got -1.0, expected a number >= 0"),
    (NAN, ValueError, r"l2: got nan, expected a finite number"),
    (INF, ValueError, r"l2: got inf, expected a finite number"),
    ("0", TypeError, r"l2: got '0' of type str, expected a real number"),
])
def test_bad_l2_for_loss_and_gradients(method, l2, error, message):
    model = trained_model()
    state = model_state(model)
    with pytest.raises(error, match=message):
        getattr(model, method)(X, Y, l2=l2)
    assert_model_unchanged(model, state)


# --- predict ----------------------------------------------------------------------------

PREDICT_X_CASES = {
    "wrong width": (X[:, :2], ValueError, r"X: got 2 features \(shape \(7, 2\)\), expected 3"),
    "1-D wrong width": (X[0, :2], ValueError, r"X: got 2 features \(shape \(2,\)\), expected 3"),
    "3-D": (X.reshape(7, 3, 1), ValueError, r"X: got a 3-D array of shape \(7, 3, 1\), expected 2-D"),
    "0-D": (np.float64(1.0), ValueError, r"X: got a 0-D array of shape \(\), expected 2-D"),
    "empty": (np.zeros((0, 3)), ValueError, r"X: got shape \(0, 3\), expected at least one element"),
    "NaN": (with_value(X, (1, 1), NAN), ValueError, r"X: contains NaN or infinity, expected finite values"),
    "1-D NaN": (with_value(X[0], 1, NAN), ValueError, r"X: contains NaN or infinity"),
    "strings": (X.astype(str), TypeError, r"X: got an array of dtype <U\d+, expected real numbers"),
    "None": (None, TypeError, r"X: got an array of dtype object, expected real numbers"),
    "ragged": ([[1.0, 2.0, 3.0], [1.0]], ValueError, r"X: could not be read as an array"),
}


@pytest.mark.parametrize("with_out", [False, True], ids=["no-out", "out"])
@pytest.mark.parametrize("case", PREDICT_X_CASES.values(), ids=PREDICT_X_CASES.keys())
def test_bad_predict_input(case, with_out):
    value, error, message = case
    before = copy.deepcopy(value)
    model = trained_model()
    state = model_state(model)
    one_sample = isinstance(value, np.ndarray) and value.ndim == 1
    out = np.full((2,) if one_sample else (7, 2), -7.0) if with_out else None
    with pytest.raises(error, match=message):
        model.predict(value, out=out)
    assert_unchanged(before, value)
    if with_out:
        assert (out == -7.0).all()
    assert_model_unchanged(model, state)


def read_only(array):
    array = array.copy()
    array.flags.writeable = False
    return array


OUT_CASES = {
    "list": (X, lambda: [[0.0, 0.0]] * 7, TypeError, r"out: got list, expected a numpy array"),
    "float32": (X, lambda: np.zeros((7, 2), np.float32), TypeError,
                r"out: got dtype float32, expected float64, the model's dtype"),
    "int": (X, lambda: np.zeros((7, 2), int), TypeError, r"out: got dtype int64, expected float64"),
    "wrong shape": (X, lambda: np.zeros((7, 3)), ValueError,
                    r"out: got shape \(7, 3\), expected \(7, 2\)"),
    "transposed shape": (X, lambda: np.zeros((2, 7)), ValueError,
                         r"out: got shape \(2, 7\), expected \(7, 2\)"),
    "1-D for 2-D X": (X, lambda: np.zeros(14), ValueError, r"out: got shape \(14,\), expected \(7, 2\)"),
    "2-D for 1-D X": (X[0], lambda: np.zeros((1, 2)), ValueError,
                      r"out: got shape \(1, 2\), expected \(2,\)"),
    "1-D wrong length": (X[0], lambda: np.zeros(3), ValueError, r"out: got shape \(3,\), expected \(2,\)"),
    "one row float32": (X[:1], lambda: np.zeros((1, 2), np.float32), TypeError,
                        r"out: got dtype float32, expected float64"),
    "Fortran order": (X, lambda: np.zeros((7, 2), order="F"), ValueError,
                      r"out: got a non-contiguous or read-only array, expected a writeable "
                      r"C-contiguous one"),
    "strided": (X, lambda: np.zeros((7, 4))[:, ::2], ValueError,
                r"out: got a non-contiguous or read-only array"),
    "read-only": (X, lambda: read_only(np.zeros((7, 2))), ValueError,
                  r"out: got a non-contiguous or read-only array"),
    "read-only one sample": (X[0], lambda: read_only(np.zeros(2)), ValueError,
                             r"out: got a non-contiguous or read-only array"),
}


@pytest.mark.parametrize("case", OUT_CASES.values(), ids=OUT_CASES.keys())
def test_bad_out(case):
    inputs, make_out, error, message = case
    inputs = inputs.copy()
    out = make_out()
    before = copy.deepcopy(out), inputs.copy()
    model = trained_model()
    with pytest.raises(error, match=message):
        model.predict(inputs, out=out)
    assert_unchanged(before[1], inputs)
    if isinstance(out, np.ndarray):
        np.testing.assert_array_equal(out, before[0], strict=True)


def test_out_overlapping_the_inputs():
    model = make_model(layer_sizes=(3, 3))
    data = np.arange(21.0).reshape(7, 3) / 10
    before = data.copy()
    with pytest.raises(ValueError, match=r"out: overlaps X, expected separate memory"):
        model.predict(data, out=data)
    np.testing.assert_array_equal(data, before)
    # Partly overlapping: out is the last rows of the buffer X starts in.
    buffer = np.arange(30.0) / 10
    with pytest.raises(ValueError, match=r"out: overlaps X"):
        model.predict(buffer[:21].reshape(7, 3), out=buffer[9:30].reshape(7, 3))


@pytest.mark.parametrize("shape", [(3,), (1, 3)], ids=["1-D", "one row"])
def test_out_overlapping_the_inputs_for_one_sample(shape):
    # One sample of the model's dtype takes a faster path; the same rule applies.
    model = make_model(layer_sizes=(3, 3))
    data = np.array([0.1, 0.2, 0.3]).reshape(shape)
    before = data.copy()
    with pytest.raises(ValueError, match=r"out: overlaps X, expected separate memory"):
        model.predict(data, out=data)
    np.testing.assert_array_equal(data, before)


# --- attribute assignment ------------------------------------------------------------------

ASSIGNMENT_CASES = {
    "coefs_ item shape": (lambda m: m.coefs_.__setitem__(0, np.zeros((4, 3))), ValueError,
                          r"coefs_\[0\]: got shape \(4, 3\), expected \(3, 4\); the network's sizes "
                          r"are fixed"),
    "coefs_ item NaN": (lambda m: m.coefs_.__setitem__(1, with_value(np.zeros((4, 2)), (0, 0), NAN)),
                        ValueError, r"coefs_\[1\]: contains NaN or infinity"),
    "coefs_ item strings": (lambda m: m.coefs_.__setitem__(0, np.full((3, 4), "1")), TypeError,
                            r"coefs_\[0\]: got an array of dtype <U1, expected real numbers"),
    "coefs_ item 1-D": (lambda m: m.coefs_.__setitem__(0, np.zeros(12)), ValueError,
                        r"coefs_\[0\]: got a 1-D array of shape \(12,\), expected 2-D"),
    "coefs_ str index": (lambda m: m.coefs_.__setitem__("0", np.zeros((3, 4))), TypeError,
                         r"coefs_: got index '0', expected an int"),
    "coefs_ slice index": (lambda m: m.coefs_.__setitem__(slice(0, 1), [np.zeros((3, 4))]), TypeError,
                           r"coefs_: got index slice\(0, 1, None\), expected an int"),
    "coefs_ index out of range": (lambda m: m.coefs_.__setitem__(2, np.zeros((3, 4))), IndexError,
                                  r"list index out of range"),
    "coefs_ too few": (lambda m: setattr(m, "coefs_", [np.zeros((3, 4))]), ValueError,
                       r"(?s)coefs_: got \[array.*\], expected a sequence of 2 arrays"),
    "coefs_ a string": (lambda m: setattr(m, "coefs_", "ab"), ValueError,
                        r"coefs_: got 'ab', expected a sequence of 2 arrays"),
    "coefs_ a number": (lambda m: setattr(m, "coefs_", 5), (TypeError, ValueError),
                        r"coefs_: got 5, expected a sequence of 2 arrays"),
    "coefs_ second wrong": (lambda m: setattr(m, "coefs_", [np.ones((3, 4)), np.ones((2, 4))]),
                            ValueError, r"coefs_\[1\]: got shape \(2, 4\), expected \(4, 2\)"),
    "intercepts_ item shape": (lambda m: m.intercepts_.__setitem__(0, np.zeros(5)), ValueError,
                               r"intercepts_\[0\]: got shape \(5,\), expected \(4,\)"),
    "intercepts_ item inf": (lambda m: m.intercepts_.__setitem__(1, [0.0, INF]), ValueError,
                             r"intercepts_\[1\]: contains NaN or infinity"),
    "intercepts_ too many": (lambda m: setattr(m, "intercepts_", [np.zeros(4)] * 3), ValueError,
                             r"(?s)intercepts_: got .*, expected a sequence of 2 arrays"),
    "intercepts_ second wrong": (lambda m: setattr(m, "intercepts_", [np.ones(4), np.ones(3)]),
                                 ValueError, r"intercepts_\[1\]: got shape \(3,\), expected \(2,\)"),
    "coefs_ too large for float32": (lambda m: m.coefs_.__setitem__(0, np.full((3, 4), 1e39)),
                                     ValueError, r"coefs_\[0\]: has values too large for float32"),
}


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("case", ASSIGNMENT_CASES.values(), ids=ASSIGNMENT_CASES.keys())
def test_bad_assignment(case):
    assign, error, message = case
    dtype = np.float32 if "float32" in message else np.float64
    model = trained_model(dtype=dtype)
    state = model_state(model)
    with pytest.raises(error, match=message):
        assign(model)
    assert_model_unchanged(model, state, dtype=dtype)


def test_no_bias_model_has_no_intercepts_to_assign():
    model = make_model(bias=False)
    assert len(model.intercepts_) == 0
    with pytest.raises(IndexError):
        model.intercepts_[0] = np.zeros(4)
    with pytest.raises(ValueError, match=r"(?s)intercepts_: got .*, expected a sequence of 0 arrays"):
        model.intercepts_ = [np.zeros(4), np.zeros(2)]


# --- optimizers and early stopping ---------------------------------------------------------

OPTIMIZER_CASES = {
    "SGD zero rate": (nncore.SGD, dict(learning_rate=0), ValueError,
                      r"learning_rate: got 0.0, expected a positive number"),
    "SGD negative rate": (nncore.SGD, dict(learning_rate=-1), ValueError,
                          r"learning_rate: got -1.0, expected a positive number"),
    "SGD NaN rate": (nncore.SGD, dict(learning_rate=NAN), ValueError,
                     r"learning_rate: got nan, expected a finite number"),
    "SGD str rate": (nncore.SGD, dict(learning_rate="0.1"), TypeError,
                     r"learning_rate: got '0.1' of type str, expected a real number"),
    "SGD bool rate": (nncore.SGD, dict(learning_rate=True), TypeError,
                      r"learning_rate: got True of type bool, expected a real number"),
    "SGD negative momentum": (nncore.SGD, dict(momentum=-0.1), ValueError,
                              r"momentum: got -0.1, expected a number in \[0, 1\)"),
    "SGD momentum 1": (nncore.SGD, dict(momentum=1.0), ValueError,
                       r"momentum: got 1.0, expected a number in \[0, 1\)"),
    "SGD momentum above 1": (nncore.SGD, dict(momentum=1.5), ValueError,
                             r"momentum: got 1.5, expected a number in \[0, 1\)"),
    "SGD NaN momentum": (nncore.SGD, dict(momentum=NAN), ValueError,
                         r"momentum: got nan, expected a finite number"),
    "SGD str momentum": (nncore.SGD, dict(momentum="0.9"), TypeError,
                         r"momentum: got '0.9' of type str, expected a real number"),
    "SGD nesterov int": (nncore.SGD, dict(momentum=0.9, nesterov=1), TypeError,
                         r"nesterov: got 1, expected True or False"),
    "SGD nesterov str": (nncore.SGD, dict(nesterov="yes"), TypeError,
                         r"nesterov: got 'yes', expected True or False"),
    "Adam zero rate": (nncore.Adam, dict(learning_rate=0), ValueError,
                       r"learning_rate: got 0.0, expected a positive number"),
    "Adam inf rate": (nncore.Adam, dict(learning_rate=INF), ValueError,
                      r"learning_rate: got inf, expected a finite number"),
    "Adam beta_1 1": (nncore.Adam, dict(beta_1=1.0), ValueError,
                      r"beta_1: got 1.0, expected a number in \[0, 1\)"),
    "Adam negative beta_1": (nncore.Adam, dict(beta_1=-0.5), ValueError,
                             r"beta_1: got -0.5, expected a number in \[0, 1\)"),
    "Adam beta_2 1": (nncore.Adam, dict(beta_2=1), ValueError,
                      r"beta_2: got 1.0, expected a number in \[0, 1\)"),
    "Adam beta_2 str": (nncore.Adam, dict(beta_2="0.999"), TypeError,
                        r"beta_2: got '0.999' of type str, expected a real number"),
    "Adam zero epsilon": (nncore.Adam, dict(epsilon=0.0), ValueError,
                          r"epsilon: got 0.0, expected a positive number"),
    "Adam negative epsilon": (nncore.Adam, dict(epsilon=-1e-8), ValueError,
                              r"epsilon: got -1e-08, expected a positive number"),
    "Adam NaN epsilon": (nncore.Adam, dict(epsilon=NAN), ValueError,
                         r"epsilon: got nan, expected a finite number"),
    "Adam None epsilon": (nncore.Adam, dict(epsilon=None), TypeError,
                          r"epsilon: got None of type NoneType, expected a real number"),
    "SGD negative weight_decay": (nncore.SGD, dict(weight_decay=-0.1), ValueError,
                                  r"weight_decay: got -0.1, expected a number >= 0"),
    "SGD NaN weight_decay": (nncore.SGD, dict(weight_decay=NAN), ValueError,
                             r"weight_decay: got nan, expected a finite number"),
    "SGD str weight_decay": (nncore.SGD, dict(weight_decay="0.1"), TypeError,
                             r"weight_decay: got '0.1' of type str, expected a real number"),
    "AdamW negative weight_decay": (nncore.AdamW, dict(weight_decay=-1), ValueError,
                                    r"weight_decay: got -1.0, expected a number >= 0"),
    "AdamW inf weight_decay": (nncore.AdamW, dict(weight_decay=INF), ValueError,
                               r"weight_decay: got inf, expected a finite number"),
    "AdamW None weight_decay": (nncore.AdamW, dict(weight_decay=None), TypeError,
                                r"weight_decay: got None of type NoneType, expected a real number"),
    "AdamW beta_1 1": (nncore.AdamW, dict(beta_1=1.0), ValueError,
                       r"beta_1: got 1.0, expected a number in \[0, 1\)"),
    "AdamW zero epsilon": (nncore.AdamW, dict(epsilon=0.0), ValueError,
                           r"epsilon: got 0.0, expected a positive number"),
    "EarlyStopping zero patience": (nncore.EarlyStopping, dict(patience=0), ValueError,
                                    r"patience: got 0, expected an integer >= 1"),
    "EarlyStopping float patience": (nncore.EarlyStopping, dict(patience=2.5), TypeError,
                                     r"patience: got 2.5 of type float, expected an integer"),
    "EarlyStopping negative min_delta": (nncore.EarlyStopping, dict(min_delta=-1e-3), ValueError,
                                         r"min_delta: got -0.001, expected a number >= 0"),
    "EarlyStopping NaN min_delta": (nncore.EarlyStopping, dict(min_delta=NAN), ValueError,
                                    r"min_delta: got nan, expected a finite number"),
    "EarlyStopping restore_best int": (nncore.EarlyStopping, dict(restore_best=1), TypeError,
                                       r"restore_best: got 1 of type int, expected True or False"),
    "EarlyStopping unknown monitor": (nncore.EarlyStopping, dict(monitor="accuracy"), ValueError,
                                      r"monitor: got 'accuracy', expected one of 'auto', 'val_loss', "
                                      r"'loss'"),
}


@pytest.mark.parametrize("case", OPTIMIZER_CASES.values(), ids=OPTIMIZER_CASES.keys())
def test_bad_optimizer_or_early_stopping_argument(case):
    cls, arguments, error, message = case
    with pytest.raises(error, match=message):
        cls(**arguments)


# --- the caller's arrays ---------------------------------------------------------------------

@pytest.mark.parametrize("head", ["regression", "cross_entropy", "binary", "poisson"])
def test_no_call_modifies_the_callers_arrays(head, dtype):
    # Arrays already of the model's dtype and layout are used without a copy:
    # the ones most at risk.
    rng = np.random.default_rng(3)
    inputs = rng.standard_normal((N_SAMPLES, 3)).astype(dtype)
    targets = np.array(GOOD_TARGETS[head])
    if targets.dtype.kind == "f":
        targets = targets.astype(dtype)
    weights = rng.uniform(0.5, 2.0, N_SAMPLES).astype(dtype)
    validation = (inputs[:4].copy(), targets[:4].copy(), weights[:4].copy())
    one_sample = inputs[0].copy()
    arrays = [inputs, targets, weights, *validation, one_sample]
    before = [array.copy() for array in arrays]

    model = make_model(head, dtype)
    model.fit(inputs, targets, epochs=3, batch_size=3, optimizer="adam", sample_weight=weights,
              l2=0.1, validation_data=validation, early_stopping=True,
              callback=lambda epoch, logs: None)
    model.fit(inputs, targets, epochs=2, batch_size=1, sample_weight=weights, warm_start=True)
    model.partial_fit(inputs, targets, sample_weight=weights, shuffle=False)
    model.loss(inputs, targets, sample_weight=weights, l2=0.1)
    model.gradients(inputs, targets, sample_weight=weights, l2=0.1)
    model.score(inputs, targets, sample_weight=weights)
    model.predict(inputs)
    model.predict(one_sample)
    model.predict(one_sample, out=np.empty(model.n_outputs, dtype=dtype))
    model.predict(inputs, out=np.empty((N_SAMPLES, model.n_outputs), dtype=dtype))
    for array, original in zip(arrays, before):
        np.testing.assert_array_equal(array, original, strict=True)


def test_returned_arrays_are_the_callers():
    # What a call returns is not overwritten by later calls or training.
    model = make_model()
    gradients = model.gradients(X, Y)
    predicted = model.predict(X)
    one = model.predict(X[0])
    saved = [array.copy() for array in (*gradients.coefs, *gradients.intercepts, predicted, one)]
    model.gradients(X[:3], Y[:3] + 1.0)
    model.predict(X[:3] * 2)
    model.predict(X[1])
    model.fit(X, Y, epochs=2, warm_start=True)
    for array, original in zip((*gradients.coefs, *gradients.intercepts, predicted, one), saved):
        np.testing.assert_array_equal(array, original, strict=True)
    params = model.params_.copy()
    for array in (*gradients.coefs, *gradients.intercepts):
        assert not np.shares_memory(array, model.params_)
        array[...] = 0.0  # the caller's to write; the model does not see it
    np.testing.assert_array_equal(model.params_, params, strict=True)
