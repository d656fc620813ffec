"""The reference itself: its sigmoid is stable, and its kernel-named steps
compose to exactly what the tutorial's one-line methods compute."""
import warnings

import numpy as np
import pytest

from nncore import reference


def test_sigmoid_has_no_overflow_warning_or_nan():
    x = np.array([-1e308, -1e4, -745.0, -709.8, 0.0, 709.8, 1e4, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = reference.sigmoid(x)
    assert not np.isnan(s).any()
    np.testing.assert_array_equal(s[[0, 1, 2]], 0.0)
    np.testing.assert_array_equal(s[[-3, -2, -1]], 1.0)
    assert s[4] == 0.5


def test_sigmoid_is_the_formula_where_it_does_not_overflow():
    x = np.linspace(-700, 700, 100_001)
    np.testing.assert_array_equal(reference.sigmoid(x), 1 / (1 + np.exp(-x)))


def test_sigmoid_derivative_takes_outputs():
    s = reference.sigmoid(np.linspace(-5, 5, 11))
    np.testing.assert_array_equal(reference.sigmoid_derivative(s), s * (1 - s))


@pytest.mark.parametrize("shape", [(4, 3), (1, 1), (30, 7)])
def test_steps_compose_to_the_tutorial_methods(shape, rng):
    x = rng.random(shape)
    y = rng.integers(0, 2, size=(shape[0], 1)).astype(float)
    np.random.seed(3)
    network = reference.NeuralNetwork(x, y)
    weights1, weights2 = network.weights1.copy(), network.weights2.copy()
    for _ in range(5):
        layer1 = reference.sigmoid_forward(reference.dense_forward(x, weights1))
        output = reference.sigmoid_forward(reference.dense_forward(layer1, weights2))
        delta2 = reference.sigmoid_backward(reference.sse_backward(output, y), output)
        delta1 = reference.sigmoid_backward(reference.dense_backward_input(delta2, weights2), layer1)
        reference.sgd_update(weights1, reference.dense_backward_weights(x, delta1))
        reference.sgd_update(weights2, reference.dense_backward_weights(layer1, delta2))
        network.feedforward()
        network.backprop()
        np.testing.assert_array_equal(network.layer1, layer1)
        np.testing.assert_array_equal(network.output, output)
        np.testing.assert_array_equal(network.weights1, weights1)
        np.testing.assert_array_equal(network.weights2, weights2)
