"""Every error path of the public API: the exception type, and a message that
names the argument and says what was given or expected. A failed call
leaves both the caller's values and the object's state as they were."""
import copy
import re

import numpy as np
import pytest

import nncore
from nncore import _kernel_views as kernels
from nncore import _kernels

X = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
Y = [[0], [1], [1], [0]]
NAN, INF = float("nan"), float("inf")


def assert_unchanged(before, after):
    if isinstance(before, np.ndarray):
        assert after.dtype == before.dtype and after.shape == before.shape
        if before.dtype.kind in "fc":
            np.testing.assert_array_equal(after, before)  # NaN == NaN here
        else:
            assert (after == before).all()
    else:
        assert after == before


def network(x=X, y=Y, **kwargs):
    np.random.seed(0)
    return nncore.NeuralNetwork(np.array(x, dtype=float), np.array(y, dtype=float), **kwargs)


def with_value(rows, row, col, value):
    rows = [list(r) for r in rows]
    rows[row][col] = value
    return rows


# --- NeuralNetwork(x, y): the data -----------------------------------------

DATA_CASES = {
    "x 1-D": (dict(x=np.zeros(4)), ValueError, r"x: got a 1-D array of shape \(4,\), expected 2-D"),
    "x 3-D": (dict(x=np.zeros((4, 3, 1))), ValueError, r"x: got a 3-D array of shape \(4, 3, 1\), expected 2-D"),
    "y 1-D": (dict(y=np.zeros(4)), ValueError, r"y: got a 1-D array of shape \(4,\), expected 2-D"),
    "y 3-D": (dict(y=np.zeros((4, 1, 1))), ValueError, r"y: got a 3-D array of shape \(4, 1, 1\), expected 2-D"),
    "fewer y samples": (dict(y=np.zeros((3, 1))), ValueError,
                        r"y: got 3 samples \(shape \(3, 1\)\), expected 4 to match x \(shape \(4, 3\)\)"),
    "more y samples": (dict(y=np.zeros((5, 1))), ValueError, r"y: got 5 samples .*expected 4 to match x"),
    "zero samples": (dict(x=np.zeros((0, 3)), y=np.zeros((0, 1))), ValueError,
                     r"x: got shape \(0, 3\), expected at least one element in every dimension"),
    "zero y samples": (dict(y=np.zeros((0, 1))), ValueError, r"y: got shape \(0, 1\), expected at least one element"),
    "zero features": (dict(x=np.zeros((4, 0))), ValueError, r"x: got shape \(4, 0\), expected at least one element"),
    "zero outputs": (dict(y=np.zeros((4, 0))), ValueError, r"y: got shape \(4, 0\), expected at least one element"),
    "x strings": (dict(x=[["0", "0", "1"]] * 4), TypeError, r"x: got an array of dtype <U1, expected real numbers"),
    "y strings": (dict(y=[["a"]] * 4), TypeError, r"y: got an array of dtype <U1, expected real numbers"),
    "x object array": (dict(x=np.array(X, dtype=object)), TypeError, r"x: got an array of dtype object, expected real numbers"),
    "None inside x": (dict(x=with_value(X, 1, 2, None)), TypeError, r"x: got an array of dtype object, expected real numbers"),
    "None inside y": (dict(y=with_value(Y, 0, 0, None)), TypeError, r"y: got an array of dtype object, expected real numbers"),
    "x is None": (dict(x=None), TypeError, r"x: got an array of dtype object, expected real numbers"),
    "x complex": (dict(x=np.array(X) * 1j), TypeError, r"x: got an array of dtype complex128, expected real numbers"),
    "y complex": (dict(y=np.array(Y) + 0j), TypeError, r"y: got an array of dtype complex128, expected real numbers"),
    "NaN in x": (dict(x=with_value(X, 2, 0, NAN)), ValueError, r"x: contains NaN or infinity, expected finite values"),
    "inf in x": (dict(x=with_value(X, 2, 0, INF)), ValueError, r"x: contains NaN or infinity, expected finite values"),
    "-inf in x": (dict(x=with_value(X, 0, 1, -INF)), ValueError, r"x: contains NaN or infinity, expected finite values"),
    "NaN in y": (dict(y=with_value(Y, 3, 0, NAN)), ValueError, r"y: contains NaN or infinity, expected finite values"),
    "inf in y": (dict(y=with_value(Y, 3, 0, INF)), ValueError, r"y: contains NaN or infinity, expected finite values"),
    "-inf in y": (dict(y=with_value(Y, 0, 0, -INF)), ValueError, r"y: contains NaN or infinity, expected finite values"),
    "ragged x": (dict(x=[[0, 0, 1], [0, 1], [1, 0, 1], [1, 1, 1]]), ValueError,
                 r"x: could not be read as an array .*expected a rectangular 2-D array .*ragged"),
    "ragged y": (dict(y=[[0], [1, 1], [1], [0]]), ValueError,
                 r"y: could not be read as an array .*expected a rectangular 2-D array .*ragged"),
}


@pytest.mark.parametrize("case", DATA_CASES.values(), ids=DATA_CASES.keys())
def test_bad_data(case, dtype):
    override, error, message = case
    args = dict(x=np.array(X), y=np.array(Y))
    args.update(override)
    before = copy.deepcopy(args)
    with pytest.raises(error, match=message):
        nncore.NeuralNetwork(args["x"], args["y"], hidden=4, learning_rate=1.0, dtype=dtype)
    for name in args:
        assert_unchanged(before[name], args[name])


@pytest.mark.parametrize("name", ["x", "y"])
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_values_too_large_for_float32(name):
    args = dict(x=np.array(X, dtype=float), y=np.array(Y, dtype=float))
    args[name][0, 0] = 1e300
    before = copy.deepcopy(args)
    with pytest.raises(ValueError, match=rf"{name}: has values too large for float32, expected finite values"):
        nncore.NeuralNetwork(args["x"], args["y"], dtype=np.float32)
    for key in args:
        assert_unchanged(before[key], args[key])


# --- NeuralNetwork(...): the options ----------------------------------------

@pytest.mark.parametrize("bad, message", [
    (int, r"dtype: got int64, expected float32 or float64"),
    ("float16", r"dtype: got float16, expected float32 or float64"),
    (np.complex128, r"dtype: got complex128, expected float32 or float64"),
    ("banana", r"dtype: got 'banana', expected numpy.float32 or numpy.float64"),
])
def test_bad_dtype(bad, message):
    with pytest.raises(TypeError, match=message):
        nncore.NeuralNetwork(X, Y, dtype=bad)


@pytest.mark.parametrize("bad, error, message", [
    (0, ValueError, r"hidden: got 0, expected an integer >= 1"),
    (-1, ValueError, r"hidden: got -1, expected an integer >= 1"),
    (2**31, ValueError, r"hidden: got 2147483648, expected an integer below 2\*\*31"),
    (2.5, TypeError, r"hidden: got 2.5 of type float, expected an integer"),
    (True, TypeError, r"hidden: got True, expected an integer"),
    ("4", TypeError, r"hidden: got '4' of type str, expected an integer"),
    (None, TypeError, r"hidden: got None of type NoneType, expected an integer"),
])
def test_bad_hidden(bad, error, message):
    with pytest.raises(error, match=message):
        nncore.NeuralNetwork(X, Y, hidden=bad)


LEARNING_RATE_CASES = [
    (0, ValueError, r"learning_rate: got 0.0, expected a positive number"),
    (-0.5, ValueError, r"learning_rate: got -0.5, expected a positive number"),
    (NAN, ValueError, r"learning_rate: got nan, expected a finite number"),
    (INF, ValueError, r"learning_rate: got inf, expected a finite number"),
    (-INF, ValueError, r"learning_rate: got -inf, expected a finite number"),
    ("1", TypeError, r"learning_rate: got '1' of type str, expected a real number"),
    (True, TypeError, r"learning_rate: got True of type bool, expected a real number"),
    (None, TypeError, r"learning_rate: got None of type NoneType, expected a real number"),
]


@pytest.mark.parametrize("bad, error, message", LEARNING_RATE_CASES)
def test_bad_learning_rate(bad, error, message):
    with pytest.raises(error, match=message):
        nncore.NeuralNetwork(X, Y, learning_rate=bad)


@pytest.mark.parametrize("bad, error, message", LEARNING_RATE_CASES)
def test_bad_learning_rate_assignment(bad, error, message):
    nn = network(learning_rate=0.5)
    with pytest.raises(error, match=message):
        nn.learning_rate = bad
    assert nn.learning_rate == 0.5


def test_learning_rate_too_large_for_float32():
    # The step is taken in float32, where 1e300 is inf: every weight it touches becomes inf or NaN.
    with pytest.raises(ValueError, match=r"learning_rate: .*(too large for float32|finite)"):
        nncore.NeuralNetwork(X, Y, learning_rate=1e300, dtype=np.float32)


# --- NeuralNetwork attributes: reassignment ---------------------------------

SHAPES = {"weights1": (3, 4), "weights2": (4, 1), "input": (4, 3), "y": (4, 1)}


def wrong_values(name):
    rows, cols = SHAPES[name]
    nan = np.full((rows, cols), 0.5)
    nan[-1, -1] = NAN
    inf = np.full((rows, cols), 0.5)
    inf[0, 0] = -INF
    return {
        "wrong shape": (np.ones((cols + 1, rows)), ValueError,
                        rf"{name}: got shape \({cols + 1}, {rows}\), expected \({rows}, {cols}\); "
                        "the network's sizes are fixed"),
        "extra row": (np.ones((rows + 1, cols)), ValueError,
                      rf"{name}: got shape \({rows + 1}, {cols}\), expected \({rows}, {cols}\)"),
        "1-D": (np.ones(rows * cols), ValueError, rf"{name}: got a 1-D array of shape \({rows * cols},\), expected 2-D"),
        "3-D": (np.ones((rows, cols, 1)), ValueError, rf"{name}: got a 3-D array .*expected 2-D"),
        "NaN": (nan, ValueError, rf"{name}: contains NaN or infinity, expected finite values"),
        "-inf": (inf, ValueError, rf"{name}: contains NaN or infinity, expected finite values"),
        "strings": (np.full((rows, cols), "1"), TypeError, rf"{name}: got an array of dtype <U1, expected real numbers"),
        "empty": (np.ones((0, cols)), ValueError, rf"{name}: got shape \(0, {cols}\), expected at least one element"),
    }


ASSIGNMENT_CASES = [(name, case) for name in SHAPES for case in wrong_values(name)]


@pytest.mark.parametrize("name, case", ASSIGNMENT_CASES, ids=[f"{n}-{c}" for n, c in ASSIGNMENT_CASES])
def test_bad_assignment(name, case, dtype):
    value, error, message = wrong_values(name)[case]
    nn = network(dtype=dtype)
    current = getattr(nn, name).copy()
    before = value.copy()
    with pytest.raises(error, match=message):
        setattr(nn, name, value)
    assert_unchanged(current, getattr(nn, name))
    assert_unchanged(before, value)


@pytest.mark.parametrize("name", SHAPES)
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_assignment_too_large_for_float32(name):
    nn = network(dtype=np.float32)
    value = np.full(SHAPES[name], 1e300)
    current = getattr(nn, name).copy()
    with pytest.raises(ValueError, match=rf"{name}: has values too large for float32"):
        setattr(nn, name, value)
    assert_unchanged(current, getattr(nn, name))
    assert (value == 1e300).all()


# --- NeuralNetwork methods --------------------------------------------------

@pytest.mark.parametrize("bad, error, message", [
    (-1, ValueError, r"epochs: got -1, expected an integer >= 0"),
    (1.5, TypeError, r"epochs: got 1.5 of type float, expected an integer"),
    ("3", TypeError, r"epochs: got '3' of type str, expected an integer"),
    (True, TypeError, r"epochs: got True, expected an integer"),
    (None, TypeError, r"epochs: got None of type NoneType, expected an integer"),
])
def test_bad_epochs(bad, error, message):
    nn = network()
    weights1, weights2 = nn.weights1.copy(), nn.weights2.copy()
    with pytest.raises(error, match=message):
        nn.train(epochs=bad)
    assert_unchanged(weights1, nn.weights1)
    assert_unchanged(weights2, nn.weights2)


def test_backprop_before_feedforward():
    nn = network()
    weights1 = nn.weights1.copy()
    with pytest.raises(RuntimeError, match=r"backprop\(\): call feedforward\(\) first"):
        nn.backprop()
    assert_unchanged(weights1, nn.weights1)


def test_layer1_before_feedforward():
    nn = network()
    with pytest.raises(AttributeError, match=r"layer1: not computed yet; call feedforward\(\) first"):
        nn.layer1


# --- Divergence: a non-finite loss stops the step before it changes anything --

DIVERGED = r"diverged at step {step}: the loss is (nan|inf), expected a finite value"


def huge_weights(dtype):
    """x @ weights1 is +inf + -inf = NaN, so the loss is NaN."""
    nn = network(x=[[2.0, -2.0]] * 4, y=np.zeros((4, 1)), dtype=dtype)
    nn.weights1 = np.full((2, 4), np.finfo(dtype).max)
    return nn


def huge_targets(dtype):
    """The squared error of a 1e200 target overflows to inf (float64 only: the
    loss is summed in double, where no float32 target's square overflows)."""
    assert dtype == np.float64
    return network(y=np.array(Y) * 1e200, dtype=dtype)


DIVERGING = [(huge_weights, np.float64), (huge_weights, np.float32), (huge_targets, np.float64)]
DIVERGING_IDS = ["huge_weights-float64", "huge_weights-float32", "huge_targets-float64"]


@pytest.mark.parametrize("make, dtype", DIVERGING, ids=DIVERGING_IDS)
def test_backprop_divergence_leaves_weights_unchanged(make, dtype):
    nn = make(dtype)
    nn.feedforward()
    weights1, weights2 = nn.weights1.copy(), nn.weights2.copy()
    with pytest.raises(ValueError, match=DIVERGED.format(step=0)):
        nn.backprop()
    assert_unchanged(weights1, nn.weights1)
    assert_unchanged(weights2, nn.weights2)


@pytest.mark.parametrize("record_loss", [False, True])
@pytest.mark.parametrize("make, dtype", DIVERGING, ids=DIVERGING_IDS)
def test_train_divergence_at_the_first_step(make, record_loss, dtype):
    nn = make(dtype)
    weights1, weights2 = nn.weights1.copy(), nn.weights2.copy()
    with pytest.raises(ValueError, match=DIVERGED.format(step=0)):
        nn.train(5, record_loss=record_loss)
    assert_unchanged(weights1, nn.weights1)
    assert_unchanged(weights2, nn.weights2)


@pytest.mark.parametrize("record_loss", [False, True])
def test_train_divergence_reports_the_loss(record_loss):
    # backprop() says "the loss is inf" here; train() must report the same value.
    with pytest.raises(ValueError, match=r"diverged at step 0: the loss is inf, expected a finite value"):
        huge_targets(np.float64).train(3, record_loss=record_loss)


@pytest.mark.parametrize("record_loss", [False, True])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_train_divergence_stops_where_the_python_loop_stops(record_loss):
    # A learning rate of 1e300 would drive the weights to inf: that update is
    # refused, and train() must stop where the Python loop stops.
    def make():
        return network(y=np.array(Y) * 1e10, learning_rate=1e300)

    twin = make()
    for step in range(50):
        twin.feedforward()
        try:
            twin.backprop()
        except ValueError:
            break
    else:
        pytest.fail("the setup did not diverge")

    nn = make()
    with pytest.raises(ValueError, match=rf"diverged at step {step}: the update made a parameter "
                                         r"infinite or NaN \(the loss before it was [0-9.e+]+\)"):
        nn.train(50, record_loss=record_loss)
    assert_unchanged(twin.weights1, nn.weights1)
    assert_unchanged(twin.weights2, nn.weights2)
    assert np.isfinite(nn.weights1).all() and np.isfinite(nn.weights2).all()


# --- Neuron -------------------------------------------------------------------

NEURON_CASES = {
    "2-D weights": (dict(weights=[[0, 1]]), ValueError, r"weights: got a 2-D array of shape \(1, 2\), expected 1-D"),
    "0-D weights": (dict(weights=1.0), ValueError, r"weights: got a 0-D array .*expected 1-D"),
    "no weights": (dict(weights=[]), ValueError, r"weights: got shape \(0,\), expected at least one element"),
    "NaN weight": (dict(weights=[0, NAN]), ValueError, r"weights: contains NaN or infinity, expected finite values"),
    "inf weight": (dict(weights=[INF, 1]), ValueError, r"weights: contains NaN or infinity, expected finite values"),
    "string weights": (dict(weights=["0", "1"]), TypeError, r"weights: got an array of dtype <U1, expected real numbers"),
    "string bias": (dict(bias="0"), TypeError, r"bias: got '0' of type str, expected a real number"),
    "nan bias": (dict(bias=NAN), ValueError, r"bias: got nan, expected a finite number"),
    "inf bias": (dict(bias=-INF), ValueError, r"bias: got -inf, expected a finite number"),
    "bool bias": (dict(bias=True), TypeError, r"bias: got True of type bool, expected a real number"),
    "None bias": (dict(bias=None), TypeError, r"bias: got None of type NoneType, expected a real number"),
    "array bias": (dict(bias=np.array([0.0])), TypeError, r"bias: got array\(\[0.\]\) of type ndarray, expected a real number"),
    "bad dtype": (dict(dtype="float16"), TypeError, r"dtype: got float16, expected float32 or float64"),
}


@pytest.mark.parametrize("case", NEURON_CASES.values(), ids=NEURON_CASES.keys())
def test_neuron_bad_arguments(case):
    override, error, message = case
    args = dict(weights=np.array([0.0, 1.0]), bias=0.0)
    args.update(override)
    before = copy.deepcopy(args)
    with pytest.raises(error, match=message):
        nncore.Neuron(**args)
    for name in ("weights", "bias"):
        if isinstance(before[name], float) and before[name] != before[name]:
            continue  # NaN bias: nothing to compare
        assert_unchanged(before[name], args[name])


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_neuron_bias_too_large_for_float32():
    # float32 would store 1e300 as inf, a bias the neuron promises is finite.
    with pytest.raises(ValueError, match=r"bias: .*(too large for float32|finite)"):
        nncore.Neuron([0, 1], 1e300, dtype=np.float32)
    neuron = nncore.Neuron([0, 1], 0.0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"bias: .*(too large for float32|finite)"):
        neuron.bias = 1e300
    assert neuron.bias == 0.0


@pytest.mark.parametrize("inputs, error, message", [
    ([2.0, 3.0, 4.0], ValueError, r"inputs: got length 3, expected 2 \(one value per weight\)"),
    ([2.0], ValueError, r"inputs: got length 1, expected 2"),
    ([[2.0, 3.0]], ValueError, r"inputs: got a 2-D array of shape \(1, 2\), expected 1-D"),
    ([NAN, 3.0], ValueError, r"inputs: contains NaN or infinity, expected finite values"),
    (np.array([2.0, INF]), ValueError, r"inputs: contains NaN or infinity, expected finite values"),
    (["2", "3"], TypeError, r"inputs: got an array of dtype <U1, expected real numbers"),
    ([2.0, None], TypeError, r"inputs: got an array of dtype object, expected real numbers"),
    ([], ValueError, r"inputs: got shape \(0,\), expected at least one element"),
])
def test_neuron_bad_inputs(inputs, error, message, dtype):
    neuron = nncore.Neuron([0, 1], 4, dtype=dtype)
    before = copy.deepcopy(inputs)
    with pytest.raises(error, match=message):
        neuron.feedforward(inputs)
    assert_unchanged(before, inputs)


@pytest.mark.parametrize("value, error, message", [
    ([1.0, 2.0, 3.0], ValueError, r"weights: got shape \(3,\), expected \(2,\)"),
    ([[1.0, 2.0]], ValueError, r"weights: got a 2-D array .*expected 1-D"),
    ([1.0, NAN], ValueError, r"weights: contains NaN or infinity, expected finite values"),
])
def test_neuron_bad_weights_assignment(value, error, message):
    neuron = nncore.Neuron([0, 1], 4)
    with pytest.raises(error, match=message):
        neuron.weights = value
    np.testing.assert_array_equal(neuron.weights, [0, 1])


@pytest.mark.parametrize("value, error, message", [
    (NAN, ValueError, r"bias: got nan, expected a finite number"),
    ("4", TypeError, r"bias: got '4' of type str, expected a real number"),
    (False, TypeError, r"bias: got False of type bool, expected a real number"),
])
def test_neuron_bad_bias_assignment(value, error, message):
    neuron = nncore.Neuron([0, 1], 4)
    with pytest.raises(error, match=message):
        neuron.bias = value
    assert neuron.bias == 4


# --- Kernel entry points ----------------------------------------------------

def z(*shape, dtype=np.float64):
    return np.zeros(shape, dtype=dtype)


# kernel, operand, the operand's wrong shape, the shape expected, the call.
KERNEL_SHAPE_CASES = [
    ("dense_forward", "weights", (4, 2), (3, 2),
     lambda d: kernels.dense_forward(z(2, 3, dtype=d), z(4, 2, dtype=d), None, z(2, 2, dtype=d))),
    ("dense_forward", "bias", (3,), (2,),
     lambda d: kernels.dense_forward(z(2, 3, dtype=d), z(3, 2, dtype=d), z(3, dtype=d), z(2, 2, dtype=d))),
    ("dense_forward", "outputs", (3, 2), (2, 2),
     lambda d: kernels.dense_forward(z(2, 3, dtype=d), z(3, 2, dtype=d), None, z(3, 2, dtype=d))),
    ("dense_forward", "outputs", (2, 3), (2, 2),
     lambda d: kernels.dense_forward(z(2, 3, dtype=d), z(3, 2, dtype=d), z(2, dtype=d), z(2, 3, dtype=d), True)),
    ("dense_backward_input", "delta", (2, 3), (2, 2),
     lambda d: kernels.dense_backward_input(z(2, 3, dtype=d), z(3, 2, dtype=d), z(2, 3, dtype=d))),
    ("dense_backward_input", "grad_inputs", (2, 2), (2, 3),
     lambda d: kernels.dense_backward_input(z(2, 2, dtype=d), z(3, 2, dtype=d), z(2, 2, dtype=d))),
    ("dense_backward_weights", "delta", (3, 2), (2, 2),
     lambda d: kernels.dense_backward_weights(z(2, 3, dtype=d), z(3, 2, dtype=d), z(3, 2, dtype=d))),
    ("dense_backward_weights", "grad_weights", (2, 2), (3, 2),
     lambda d: kernels.dense_backward_weights(z(2, 3, dtype=d), z(2, 2, dtype=d), z(2, 2, dtype=d))),
    ("dense_backward_bias", "grad_bias", (2,), (3,),
     lambda d: kernels.dense_backward_bias(z(2, 3, dtype=d), z(2, dtype=d))),
    ("sigmoid_forward", "outputs", (2,), (3,),
     lambda d: kernels.sigmoid_forward(z(3, dtype=d), z(2, dtype=d))),
    ("sigmoid_backward", "outputs", (4,), (3,),
     lambda d: kernels.sigmoid_backward(z(3, dtype=d), z(4, dtype=d), z(3, dtype=d))),
    ("sigmoid_backward", "delta", (2,), (3,),
     lambda d: kernels.sigmoid_backward(z(3, dtype=d), z(3, dtype=d), z(2, dtype=d))),
    ("sse_backward", "targets", (2,), (3,),
     lambda d: kernels.sse_backward(z(3, dtype=d), z(2, dtype=d), z(3, dtype=d))),
    ("sse_backward", "grad_outputs", (4,), (3,),
     lambda d: kernels.sse_backward(z(3, dtype=d), z(3, dtype=d), z(4, dtype=d))),
    ("sgd_update", "grads", (2,), (3,),
     lambda d: kernels.sgd_update(z(3, dtype=d), z(2, dtype=d), 1.0)),
]


@pytest.mark.parametrize("kernel, operand, actual, expected, call", KERNEL_SHAPE_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in KERNEL_SHAPE_CASES])
def test_kernel_shape_mismatch(kernel, operand, actual, expected, call, dtype):
    message = re.escape(f"{kernel}: {operand} has shape {actual}, expected {expected}")
    with pytest.raises(ValueError, match=message):
        call(dtype)


# Shapes that agree with each other but hold no element: the kernels take
# &operand[0] without bounds checks, so these must not get through.
KERNEL_EMPTY_CASES = [
    ("dense_forward", lambda d: kernels.dense_forward(z(0, 3, dtype=d), z(3, 2, dtype=d), None, z(0, 2, dtype=d))),
    ("dense_forward", lambda d: kernels.dense_forward(z(2, 0, dtype=d), z(0, 2, dtype=d), None, z(2, 2, dtype=d))),
    ("dense_backward_input", lambda d: kernels.dense_backward_input(z(0, 2, dtype=d), z(3, 2, dtype=d), z(0, 3, dtype=d))),
    ("dense_backward_weights", lambda d: kernels.dense_backward_weights(z(0, 3, dtype=d), z(0, 2, dtype=d), z(3, 2, dtype=d))),
    ("dense_backward_bias", lambda d: kernels.dense_backward_bias(z(0, 3, dtype=d), z(3, dtype=d))),
    ("dense_backward_bias", lambda d: kernels.dense_backward_bias(z(2, 0, dtype=d), z(0, dtype=d))),
    ("sigmoid_forward", lambda d: kernels.sigmoid_forward(z(0, dtype=d), z(0, dtype=d))),
    ("sigmoid_backward", lambda d: kernels.sigmoid_backward(z(0, dtype=d), z(0, dtype=d), z(0, dtype=d))),
    ("sse_backward", lambda d: kernels.sse_backward(z(0, dtype=d), z(0, dtype=d), z(0, dtype=d))),
    ("sgd_update", lambda d: kernels.sgd_update(z(0, dtype=d), z(0, dtype=d), 1.0)),
]


@pytest.mark.parametrize("kernel, call", KERNEL_EMPTY_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(KERNEL_EMPTY_CASES)])
def test_kernel_empty_operand(kernel, call, dtype):
    with pytest.raises(ValueError, match=rf"{kernel}: \w+ has shape \(.*\), expected .*\(non-empty\)"):
        call(dtype)


F64, F32 = np.float64, np.float32
# Each call has matching shapes; one operand is float32 among float64s, or the reverse.
KERNEL_MIXED_CASES = {
    "dense_forward": lambda: kernels.dense_forward(z(2, 3), z(3, 2, dtype=F32), None, z(2, 2)),
    "dense_forward-bias": lambda: kernels.dense_forward(z(2, 3, dtype=F32), z(3, 2, dtype=F32), z(2), z(2, 2, dtype=F32)),
    "dense_backward_input": lambda: kernels.dense_backward_input(z(2, 2), z(3, 2), z(2, 3, dtype=F32)),
    "dense_backward_weights": lambda: kernels.dense_backward_weights(z(2, 3, dtype=F32), z(2, 2), z(3, 2, dtype=F32)),
    "dense_backward_bias": lambda: kernels.dense_backward_bias(z(2, 3), z(3, dtype=F32)),
    "sigmoid_forward": lambda: kernels.sigmoid_forward(z(3, dtype=F32), z(3)),
    "sigmoid_backward": lambda: kernels.sigmoid_backward(z(3), z(3, dtype=F32), z(3)),
    "sse_backward": lambda: kernels.sse_backward(z(3), z(3), z(3, dtype=F32)),
    "sgd_update": lambda: kernels.sgd_update(z(3, dtype=F32), z(3), 1.0),
}


@pytest.mark.parametrize("call", KERNEL_MIXED_CASES.values(), ids=KERNEL_MIXED_CASES.keys())
def test_kernel_mixed_float32_and_float64(call):
    # Cython reports "Buffer dtype mismatch, expected 'const double' but got 'float'".
    with pytest.raises(TypeError, match=r"dtype"):
        call()


# --- numbers beyond float, deletion, objects NumPy cannot convert -------------

HUGE = 10**400


@pytest.mark.parametrize("make, name", [
    (lambda: network(learning_rate=HUGE), "learning_rate"),
    (lambda: network(learning_rate=-HUGE), "learning_rate"),
    (lambda: nncore.Neuron([0, 1], bias=HUGE), "bias"),
    (lambda: nncore.Neuron([0, 1], bias=-HUGE, dtype=np.float32), "bias"),
], ids=["learning_rate", "negative learning_rate", "bias", "negative bias float32"])
def test_integer_beyond_float_is_a_value_error(make, name):
    with pytest.raises(ValueError, match=rf"{name}: got an integer of about 10\*\*400, too large "
                                         r"for float(64|32); expected a finite float(64|32) value"):
        make()


def test_assigning_an_integer_beyond_float(dtype):
    nn = network(dtype=dtype)
    with pytest.raises(ValueError, match=r"learning_rate: got an integer of about 10\*\*400"):
        nn.learning_rate = HUGE
    assert nn.learning_rate == 1.0
    neuron = nncore.Neuron([0, 1], 0.5, dtype=dtype)
    with pytest.raises(ValueError, match=r"bias: got an integer of about 10\*\*400"):
        neuron.bias = HUGE
    assert neuron.bias == 0.5


@pytest.mark.parametrize("name", ["input", "y", "weights1", "weights2"])
def test_network_buffers_cannot_be_deleted(name):
    nn = network()
    before = getattr(nn, name).copy()
    with pytest.raises(AttributeError, match=rf"{name}: cannot be deleted; .*assign new values "
                                             "of the same shape instead"):
        delattr(nn, name)
    np.testing.assert_array_equal(getattr(nn, name), before)


def test_neuron_weights_cannot_be_deleted():
    neuron = nncore.Neuron([0, 1], 0)
    with pytest.raises(AttributeError, match=r"weights: cannot be deleted; .*assign new values"):
        del neuron.weights
    np.testing.assert_array_equal(neuron.weights, [0.0, 1.0])


class Unconvertible:
    """An array-like whose conversion fails, as some tensor types' do."""

    def __init__(self, error):
        self.error = error

    def __array__(self, dtype=None, copy=None):
        raise self.error


@pytest.mark.parametrize("error", [TypeError("unsupported scalar type"),
                                   RuntimeError("cannot convert this tensor")],
                         ids=["TypeError", "RuntimeError"])
def test_object_numpy_cannot_convert(error):
    expected = (r"got a (tests\.)?test_errors\.Unconvertible that NumPy cannot convert \(\w+Error: .+\); "
                r"expected a {ndim}-D NumPy array or nested lists of real numbers")
    with pytest.raises(TypeError, match="x: " + expected.format(ndim=2)):
        nncore.NeuralNetwork(Unconvertible(error), Y)
    with pytest.raises(TypeError, match="y: " + expected.format(ndim=2)):
        nncore.NeuralNetwork(X, Unconvertible(error))
    with pytest.raises(TypeError, match="weights: " + expected.format(ndim=1)):
        nncore.Neuron(Unconvertible(error), 0)
    with pytest.raises(TypeError, match="inputs: " + expected.format(ndim=1)):
        nncore.Neuron([0, 1], 0).feedforward(Unconvertible(error))
    nn = network()
    before = nn.weights1.copy()
    with pytest.raises(TypeError, match="weights1: " + expected.format(ndim=2)):
        nn.weights1 = Unconvertible(error)
    np.testing.assert_array_equal(nn.weights1, before)


# Under a preloaded AddressSanitizer runtime, any C++ exception torch throws
# aborts the process (the interceptor for __cxa_throw finds no real one).
@pytest.mark.skipif("-fsanitize=address" in _kernels.COMPILE_ARGS,
                    reason="torch's C++ exceptions abort under a preloaded AddressSanitizer")
def test_bfloat16_tensor_names_its_type():
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match=r"x: got a torch\.Tensor that NumPy cannot convert "
                                        r"\(TypeError: .*BFloat16.*\); expected a 2-D NumPy array"):
        nncore.NeuralNetwork(x, Y)
    with pytest.raises(TypeError, match=r"weights: got a torch\.Tensor that NumPy cannot convert"):
        nncore.Neuron(torch.ones(2, dtype=torch.bfloat16), 0)
