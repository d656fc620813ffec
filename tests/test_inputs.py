"""What the API accepts, and the promise that the caller's arrays are never
modified or kept: any array-like of real numbers, in any memory layout, gives
bit for bit the result of the same values as a C-contiguous float array."""
import copy

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import nncore
from nncore import reference


def read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def strided(a):
    """A view taking every second element along every axis."""
    big = np.zeros(tuple(2 * n for n in a.shape), dtype=a.dtype)
    view = big[tuple(slice(None, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def reversed_strides(a):
    return a[(slice(None, None, -1),) * a.ndim].copy()[(slice(None, None, -1),) * a.ndim]


# name: (make the variant from a float64 array, data it needs)
VARIANTS = {
    "list": (lambda a: a.tolist(), "float"),
    "int": (lambda a: a.astype(np.int64), "int"),
    "int8": (lambda a: a.astype(np.int8), "int"),
    "uint": (lambda a: a.astype(np.uint32), "bool"),
    "bool": (lambda a: a.astype(bool), "bool"),
    "read-only": (read_only, "float"),
    "strided": (strided, "float"),
    "reversed": (reversed_strides, "float"),
    # The other byte order (big-endian on the usual little-endian machines).
    "byte-swapped": (lambda a: a.astype(a.dtype.newbyteorder()), "float"),
    "byte-swapped int": (lambda a: a.astype(np.dtype(np.int32).newbyteorder()), "int"),
}
VARIANTS_2D = dict(VARIANTS, **{
    "fortran": (np.asfortranarray, "float"),
    "transposed": (lambda a: np.ascontiguousarray(a.T).T, "float"),
    "read-only fortran": (lambda a: read_only(np.asfortranarray(a)), "float"),
    "byte-swapped fortran": (lambda a: np.asfortranarray(a).astype(a.dtype.newbyteorder(), order="F"),
                             "float"),
})


def data(kind, shape, rng):
    if kind == "bool":
        return rng.integers(0, 2, size=shape).astype(float)
    if kind == "int":
        return rng.integers(-3, 4, size=shape).astype(float)
    return rng.standard_normal(shape)


def plain(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


def assert_unchanged(before, after):
    """The caller's value, compared with the deep copy taken before the call."""
    if isinstance(before, np.ndarray):
        assert type(after) is np.ndarray
        assert after.dtype == before.dtype and after.shape == before.shape
        np.testing.assert_array_equal(after, before, strict=True)
    else:
        assert after == before


def assert_not_kept(held, given):
    if isinstance(given, np.ndarray):
        assert not np.shares_memory(held, given)


def seeded_network(x, y, **kwargs):
    np.random.seed(7)
    return nncore.NeuralNetwork(x, y, **kwargs)


def exercise(nn, check=lambda: None):
    """feedforward, backprop and train; ``check`` after each. Returns the state."""
    check()
    nn.feedforward()
    check()
    nn.backprop()
    check()
    losses = nn.train(6, record_loss=True)
    check()
    return {"losses": losses, **{k: getattr(nn, k).copy() for k in
                                 ("input", "y", "weights1", "weights2", "layer1", "output")}}


def assert_same_state(actual, expected):
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], strict=True, err_msg=key)


# --- NeuralNetwork ----------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS_2D)
@pytest.mark.parametrize("argument", ["x", "y", "both"])
def test_network_data_variants(variant, argument, dtype, rng):
    make, kind = VARIANTS_2D[variant]
    x, y = data(kind, (7, 3), rng), data(kind, (7, 1), rng)
    given = {"x": make(x) if argument in ("x", "both") else x,
             "y": make(y) if argument in ("y", "both") else y}
    before = copy.deepcopy(given)

    def check():
        for key in given:
            assert_unchanged(before[key], given[key])

    nn = seeded_network(given["x"], given["y"], hidden=5, dtype=dtype)
    assert_not_kept(nn.input, given["x"])
    assert_not_kept(nn.y, given["y"])
    actual = exercise(nn, check)
    expected = exercise(seeded_network(plain(x, dtype), plain(y, dtype), hidden=5, dtype=dtype))
    assert_same_state(actual, expected)


@pytest.mark.parametrize("variant", VARIANTS_2D)
@pytest.mark.parametrize("name, shape", [("weights1", (3, 5)), ("weights2", (5, 1)),
                                         ("input", (7, 3)), ("y", (7, 1))])
def test_network_assignment_variants(variant, name, shape, dtype, rng):
    make, kind = VARIANTS_2D[variant]
    x, y = rng.standard_normal((7, 3)), rng.random((7, 1))
    value = data(kind, shape, rng)
    given = make(value)
    before = copy.deepcopy(given)

    nn = seeded_network(x, y, hidden=5, dtype=dtype)
    setattr(nn, name, given)
    assert_not_kept(getattr(nn, name), given)
    actual = exercise(nn, lambda: assert_unchanged(before, given))

    twin = seeded_network(x, y, hidden=5, dtype=dtype)
    setattr(twin, name, plain(value, dtype))
    assert_same_state(actual, exercise(twin))


def test_network_keeps_no_reference_to_exact_arrays(dtype, rng):
    # Arrays already of the network's dtype and layout are the ones most
    # tempting to keep without a copy.
    x, y = plain(rng.random((6, 2)), dtype), plain(rng.random((6, 1)), dtype)
    w1, w2 = plain(rng.random((2, 4)), dtype), plain(rng.random((4, 1)), dtype)
    copies = [a.copy() for a in (x, y, w1, w2)]
    nn = nncore.NeuralNetwork(x, y, dtype=dtype)
    nn.weights1, nn.weights2 = w1, w2
    for held, given in [(nn.input, x), (nn.y, y), (nn.weights1, w1), (nn.weights2, w2)]:
        assert held is not given
        assert not np.shares_memory(held, given)
    nn.train(3)
    nn.feedforward()
    nn.backprop()
    for before, after in zip(copies, (x, y, w1, w2)):
        assert_unchanged(before, after)
    # And the caller may change their arrays without touching the network.
    weights1 = nn.weights1.copy()
    w1 += 1
    x += 1
    np.testing.assert_array_equal(nn.weights1, weights1)
    np.testing.assert_array_equal(nn.input, copies[0])


def test_network_accepts_numpy_scalars_for_options():
    x, y = [[0, 1], [1, 0]], [[1], [0]]
    expected = exercise(seeded_network(x, y, hidden=3, learning_rate=0.5))
    actual = exercise(seeded_network(x, y, hidden=np.int64(3), learning_rate=np.float32(0.5),
                                     dtype="float64"))
    assert_same_state(actual, expected)


# --- Neuron -----------------------------------------------------------------

@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("argument", ["weights", "inputs", "both"])
def test_neuron_variants(variant, argument, dtype, rng):
    make, kind = VARIANTS[variant]
    weights, inputs = data(kind, 5, rng), data(kind, 5, rng)
    given = {"weights": make(weights) if argument in ("weights", "both") else weights,
             "inputs": make(inputs) if argument in ("inputs", "both") else inputs}
    before = copy.deepcopy(given)

    neuron = nncore.Neuron(given["weights"], 0.25, dtype=dtype)
    assert_not_kept(neuron.weights, given["weights"])
    actual = neuron.feedforward(given["inputs"])
    for key in given:
        assert_unchanged(before[key], given[key])

    expected = nncore.Neuron(plain(weights, dtype), 0.25, dtype=dtype).feedforward(plain(inputs, dtype))
    assert actual.dtype == expected.dtype == dtype
    assert actual == expected


@pytest.mark.parametrize("variant", VARIANTS)
def test_neuron_weights_assignment_variants(variant, dtype, rng):
    make, kind = VARIANTS[variant]
    weights, inputs = data(kind, 4, rng), rng.standard_normal(4)
    given = make(weights)
    before = copy.deepcopy(given)
    neuron = nncore.Neuron(np.zeros(4), 0.0, dtype=dtype)
    neuron.weights = given
    assert_not_kept(neuron.weights, given)
    actual = neuron.feedforward(inputs)
    assert_unchanged(before, given)
    assert actual == nncore.Neuron(plain(weights, dtype), 0.0, dtype=dtype).feedforward(inputs)


@pytest.mark.parametrize("bias", [3, np.int64(3), np.float32(3), np.float64(3), 3.0, np.uint8(3)])
def test_neuron_bias_types(bias, dtype):
    expected = nncore.Neuron([1.0, -2.0], 3.0, dtype=dtype).feedforward([0.5, 1.5])
    assert nncore.Neuron([1.0, -2.0], bias, dtype=dtype).feedforward([0.5, 1.5]) == expected
    neuron = nncore.Neuron([1.0, -2.0], 0.0, dtype=dtype)
    neuron.bias = bias
    assert neuron.feedforward([0.5, 1.5]) == expected


def test_neuron_keeps_no_reference_to_exact_array(dtype):
    weights = np.array([0.5, -1.0, 2.0], dtype=dtype)
    neuron = nncore.Neuron(weights, 1.0, dtype=dtype)
    assert not np.shares_memory(neuron.weights, weights)
    weights[0] = 100
    assert neuron.weights[0] == 0.5
    replacement = np.array([1.0, 1.0, 1.0], dtype=dtype)
    neuron.weights = replacement
    assert not np.shares_memory(neuron.weights, replacement)
    replacement[0] = 100
    assert neuron.weights[0] == 1.0


# --- The tutorial's classes on big-endian data ----------------------------

def big_endian(a):
    return np.asarray(a, dtype=">f8")


def test_tutorial_classes_on_big_endian_inputs(dtype, rng):
    """'>f8' arrays (the byte order NumPy reads from many files) give the
    bits of the same values in native order, for every tutorial class."""
    weights, inputs = rng.standard_normal(3), rng.standard_normal(3)
    native = nncore.Neuron(weights, 0.5, dtype=dtype).feedforward(inputs)
    swapped = nncore.Neuron(big_endian(weights), 0.5, dtype=dtype)
    assert swapped.weights.dtype == dtype  # the model's own, native dtype
    assert swapped.feedforward(big_endian(inputs)) == native

    x = np.array([2.0, 3.0])
    expected = nncore.OurNeuralNetwork().feedforward(x)
    assert expected == reference.OurNeuralNetwork().feedforward(x)
    assert nncore.OurNeuralNetwork().feedforward(big_endian(x)) == expected

    x, y = rng.standard_normal((7, 3)), rng.random((7, 1))
    given = {"x": big_endian(x), "y": big_endian(y)}
    before = copy.deepcopy(given)
    nn = seeded_network(given["x"], given["y"], hidden=5, dtype=dtype)
    assert nn.input.dtype == nn.y.dtype == dtype
    actual = exercise(nn)
    for key in given:
        assert_unchanged(before[key], given[key])
    assert_same_state(actual, exercise(seeded_network(plain(x, dtype), plain(y, dtype),
                                                      hidden=5, dtype=dtype)))
    # And assigned: weights and data in the other byte order.
    nn = seeded_network(plain(x, dtype), plain(y, dtype), hidden=5, dtype=dtype)
    twin = seeded_network(plain(x, dtype), plain(y, dtype), hidden=5, dtype=dtype)
    w1 = rng.standard_normal((3, 5))
    nn.weights1 = big_endian(w1)
    twin.weights1 = plain(w1, dtype)
    assert_same_state(exercise(nn), exercise(twin))


# --- Against the reference, on random shapes and data -----------------------

@st.composite
def problems(draw):
    n_samples = draw(st.integers(1, 20))
    n_features = draw(st.integers(1, 6))
    hidden = draw(st.integers(1, 6))
    # Bounded so that no product overflows and no run diverges.
    x = draw(hnp.arrays(np.float64, (n_samples, n_features),
                        elements=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)))
    y = draw(hnp.arrays(np.float64, (n_samples, 1),
                        elements=st.floats(-10, 10, allow_nan=False, allow_infinity=False)))
    return x, y, hidden


def reference_network(x, y, hidden, nudge=0):
    np.random.seed(11)
    network = reference.NeuralNetwork(x.copy(), y.copy())
    if hidden != 4:
        # The reference's hidden width is fixed at 4; give it the same draws the
        # compiled network makes for this width, in the same order.
        np.random.seed(11)
        network.weights1 = np.random.rand(x.shape[1], hidden)
        network.weights2 = np.random.rand(hidden, 1)
    if nudge:
        # One ulp on every weight, not one weight: a saturated hidden unit
        # hides a nudge to its own weights, while the output depends on the
        # rest. The caller tries both directions, since the first step's
        # rounding can absorb a nudge in one of them.
        network.weights1 = np.nextafter(network.weights1, nudge * np.inf)
        network.weights2 = np.nextafter(network.weights2, nudge * np.inf)
    return network


def run(network, iterations=20):
    for _ in range(iterations):
        network.feedforward()
        network.backprop()
    return network


def within(a, b, rtol):
    """Every attribute the two runs compute agrees to rtol (zeros exactly)."""
    return all(np.all(np.abs(getattr(a, name) - getattr(b, name)) <= rtol * np.abs(getattr(a, name)))
               for name in ("layer1", "output", "weights1", "weights2"))


# Fixed examples (derandomize): the same cases on every run, so the test
# cannot pass one day and fail the next.
@settings(max_examples=50, deadline=None, derandomize=True)
@given(problems())
def test_matches_reference_on_random_problems(problem):
    x, y, hidden = problem
    expected = run(reference_network(x, y, hidden))
    # Gradient descent with step 1 on a sum of squares can be chaotic; then no
    # two implementations that round differently can agree. Keep the problems
    # whose trajectory is not: one ulp of change in the reference's own start
    # weights, up or down, moves its end by almost nothing (the guard of
    # test_network_parity.py, applied to every weight).
    for direction in (1, -1):
        assume(within(expected, run(reference_network(x, y, hidden, nudge=direction)), 1e-12))
    np.random.seed(11)
    actual = nncore.NeuralNetwork(x, y, hidden=hidden)
    start = reference_network(x, y, hidden)
    np.testing.assert_array_equal(actual.weights1, start.weights1)
    np.testing.assert_array_equal(actual.weights2, start.weights2)
    run(actual)
    np.testing.assert_allclose(actual.output, expected.output, rtol=1e-9, atol=0)


def test_buffers_the_kernels_write_cannot_be_resized():
    # The compiled core holds raw pointers to these arrays.
    np.random.seed(0)
    network = nncore.NeuralNetwork([[0.0, 1.0], [1.0, 0.0]], [[1.0], [0.0]])
    for array in (network.input, network.y, network.weights1, network.output):
        with pytest.raises(ValueError):
            array.resize(100, refcheck=False)
