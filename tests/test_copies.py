"""copy.copy, copy.deepcopy and pickle of the tutorial classes: each gives an
independent object with the same bits, whose attributes are live views of its
own buffers."""
import copy
import pickle

import numpy as np
import pytest

import nncore
from nncore.neuron import OurNeuralNetwork

COPIERS = {
    "pickle": lambda obj: pickle.loads(pickle.dumps(obj)),
    "pickle-protocol-0": lambda obj: pickle.loads(pickle.dumps(obj, protocol=0)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}
NETWORK_ARRAYS = ("input", "y", "weights1", "weights2", "output")


def network(xor_data, dtype=np.float64, epochs=0):
    np.random.seed(7)
    nn = nncore.NeuralNetwork(*xor_data, dtype=dtype)
    if epochs:
        nn.train(epochs)
    return nn


def assert_same_network(a, b):
    for name in NETWORK_ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), strict=True)
    assert a.dtype == b.dtype
    assert a.learning_rate == b.learning_rate
    assert a.epochs_done == b.epochs_done
    assert a.loss == b.loss or (np.isnan(a.loss) and np.isnan(b.loss))


# --- NeuralNetwork --------------------------------------------------------------------

@pytest.mark.parametrize("copier", COPIERS)
@pytest.mark.parametrize("epochs", [0, 30])
def test_network_copy_is_equal_and_independent(copier, epochs, xor_data, dtype):
    nn = network(xor_data, dtype, epochs)
    before = {name: getattr(nn, name).copy() for name in NETWORK_ARRAYS}
    duplicate = COPIERS[copier](nn)
    assert_same_network(duplicate, nn)
    for name in NETWORK_ARRAYS:
        assert not np.shares_memory(getattr(duplicate, name), getattr(nn, name)), name

    duplicate.train(20)
    for name in NETWORK_ARRAYS:
        np.testing.assert_array_equal(getattr(nn, name), before[name], strict=True)
    # The original trains to the same bits from the same state.
    nn.train(20)
    assert_same_network(duplicate, nn)
    np.testing.assert_array_equal(duplicate.layer1, nn.layer1, strict=True)


@pytest.mark.parametrize("copier", COPIERS)
def test_network_copy_keeps_the_last_forward_pass(copier, xor_data):
    nn = network(xor_data)
    nn.feedforward()
    duplicate = COPIERS[copier](nn)
    np.testing.assert_array_equal(duplicate.layer1, nn.layer1, strict=True)
    np.testing.assert_array_equal(duplicate.output, nn.output, strict=True)
    # backprop() on the copy uses the copied forward pass, as on the original.
    duplicate.backprop()
    nn.backprop()
    assert_same_network(duplicate, nn)


@pytest.mark.parametrize("copier", COPIERS)
def test_network_copy_before_feedforward_still_refuses_backprop(copier, xor_data):
    duplicate = COPIERS[copier](network(xor_data))
    with pytest.raises(RuntimeError, match="call feedforward"):
        duplicate.backprop()
    with pytest.raises(AttributeError, match="call feedforward"):
        duplicate.layer1


@pytest.mark.parametrize("copier", COPIERS)
def test_network_copy_attributes_are_live_views(copier, xor_data):
    nn = network(xor_data, epochs=5)
    original = nn.weights1.copy()
    duplicate = COPIERS[copier](nn)
    weights1 = duplicate.weights1
    output = duplicate.output
    duplicate.weights1 = np.full((3, 4), 0.5)
    np.testing.assert_array_equal(duplicate.weights1, np.full((3, 4), 0.5))
    assert weights1 is duplicate.weights1
    np.testing.assert_array_equal(nn.weights1, original, strict=True)
    duplicate.y = np.array([[1], [0], [0], [1]])
    duplicate.input = np.array([[1, 1, 1], [0, 1, 1], [1, 0, 1], [0, 0, 1]])
    duplicate.feedforward()
    # The same computation on a fresh network with those values.
    fresh = network(([[1, 1, 1], [0, 1, 1], [1, 0, 1], [0, 0, 1]], [[1], [0], [0], [1]]))
    fresh.weights1 = duplicate.weights1
    fresh.weights2 = duplicate.weights2
    fresh.feedforward()
    np.testing.assert_array_equal(output, fresh.output, strict=True)
    duplicate.train(3)
    assert not np.array_equal(weights1, np.full((3, 4), 0.5))


def test_network_copy_of_a_copy(xor_data):
    nn = network(xor_data, epochs=10)
    twice = pickle.loads(pickle.dumps(copy.deepcopy(nn)))
    nn.train(5)
    twice.train(5)
    assert_same_network(twice, nn)


# --- Neuron and OurNeuralNetwork --------------------------------------------------------

@pytest.mark.parametrize("copier", COPIERS)
def test_neuron_copy_is_equal_and_independent(copier, dtype):
    neuron = nncore.Neuron(np.array([0.5, -1.5, 2.0]), 0.25, dtype=dtype)
    duplicate = COPIERS[copier](neuron)
    np.testing.assert_array_equal(duplicate.weights, neuron.weights, strict=True)
    assert duplicate.bias == neuron.bias
    x = np.array([1.0, 2.0, 3.0])
    assert duplicate.feedforward(x).tobytes() == neuron.feedforward(x).tobytes()

    duplicate.weights = [1.0, 1.0, 1.0]
    duplicate.bias = -3.0
    np.testing.assert_array_equal(duplicate.weights, np.ones(3, dtype=dtype))
    assert duplicate.bias == -3.0
    # The new values reach the computation, and only on the copy.
    assert duplicate.feedforward(x) == nncore.Neuron([1, 1, 1], -3.0, dtype=dtype).feedforward(x)
    np.testing.assert_array_equal(neuron.weights, np.array([0.5, -1.5, 2.0], dtype=dtype))
    assert neuron.bias == 0.25


@pytest.mark.parametrize("copier", COPIERS)
def test_neuron_copy_weights_is_a_live_view(copier):
    duplicate = COPIERS[copier](nncore.Neuron([0.0, 1.0], 0.0))
    weights = duplicate.weights
    duplicate.weights = [3.0, 4.0]
    np.testing.assert_array_equal(weights, [3.0, 4.0])


@pytest.mark.parametrize("copier", COPIERS)
def test_our_network_copy_is_equal_and_independent(copier):
    network = OurNeuralNetwork()
    x = np.array([2.0, 3.0])
    duplicate = COPIERS[copier](network)
    assert duplicate.feedforward(x) == network.feedforward(x)
    duplicate.h1.weights = [1.0, -1.0]
    duplicate.o1.bias = 2.0
    changed = OurNeuralNetwork()
    changed.h1.weights = [1.0, -1.0]
    changed.o1.bias = 2.0
    assert duplicate.feedforward(x) == changed.feedforward(x)
    assert network.feedforward(x) == OurNeuralNetwork().feedforward(x)
    np.testing.assert_array_equal(network.h1.weights, [0.0, 1.0])
    assert network.o1.bias == 0.0
