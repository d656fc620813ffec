"""The tutorial's XOR set is learned in 1,500 iterations."""
import numpy as np
import pytest

import nncore


@pytest.mark.parametrize("seed", range(5))
def test_learns_xor_per_call(seed, xor_data, dtype):
    x, y = xor_data
    np.random.seed(seed)
    network = nncore.NeuralNetwork(x, y, dtype=dtype)
    for _ in range(1500):
        network.feedforward()
        network.backprop()
    network.feedforward()
    np.testing.assert_array_equal(np.round(network.output), y)
    assert np.abs(network.output - y).max() < 0.2


@pytest.mark.parametrize("seed", range(5))
def test_learns_xor_with_train(seed, xor_data, dtype):
    x, y = xor_data
    np.random.seed(seed)
    network = nncore.NeuralNetwork(x, y, dtype=dtype)
    losses = network.train(1500, record_loss=True)
    assert losses[-1] < 0.1 < losses[0]
    network.feedforward()
    np.testing.assert_array_equal(np.round(network.output), y)
