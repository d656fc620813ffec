"""The tutorial's printed numbers, exactly, from the compiled classes."""
import numpy as np

import nncore
from nncore import reference


def test_neuron_number():
    neuron = nncore.Neuron(np.array([0, 1]), 4)
    assert neuron.feedforward(np.array([2, 3])) == 0.9990889488055994


def test_our_neural_network_number():
    network = nncore.OurNeuralNetwork()
    assert network.feedforward(np.array([2, 3])) == 0.7216325609518421


def test_reference_gives_the_same_numbers():
    assert reference.Neuron(np.array([0, 1]), 4).feedforward(np.array([2, 3])) == 0.9990889488055994
    assert reference.OurNeuralNetwork().feedforward(np.array([2, 3])) == 0.7216325609518421


def test_our_neural_network_structure():
    network = nncore.OurNeuralNetwork()
    for neuron in (network.h1, network.h2, network.o1):
        assert isinstance(neuron, nncore.Neuron)
        np.testing.assert_array_equal(neuron.weights, [0, 1])
        assert neuron.bias == 0
