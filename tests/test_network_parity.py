"""nncore.NeuralNetwork against nncore.reference.NeuralNetwork over 1,500
iterations of feedforward() + backprop(), at each dtype."""
import numpy as np
import pytest

import nncore
from nncore import reference

ITERATIONS = 1500
SHAPES = [(1, 1), (1, 7), (4, 3), (20, 2), (64, 8), (128, 16), (300, 30), (500, 40)]
ATTRIBUTES = ("layer1", "output", "weights1", "weights2")


def problem(n_samples, n_features):
    """A learnable task: is the mean of the features above one half?"""
    rng = np.random.default_rng(100 * n_samples + n_features)
    x = rng.random((n_samples, n_features))
    return x, (x.mean(axis=1, keepdims=True) > 0.5).astype(float)


def run(network, iterations=ITERATIONS):
    for _ in range(iterations):
        network.feedforward()
        network.backprop()
    network.feedforward()
    return network


def max_relative_gap(a, b):
    return max(np.max(np.abs(getattr(a, k) - getattr(b, k)) / np.abs(getattr(a, k))) for k in ATTRIBUTES)


def seeded(cls, *args, **kwargs):
    np.random.seed(2024)
    return cls(*args, **kwargs)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float64_within_1e9_of_reference(shape):
    x, y = problem(*shape)
    expected = run(seeded(reference.NeuralNetwork, x, y))
    # Gradient descent with step 1 on a sum of squares can be chaotic; then no
    # implementation can agree. Show this trajectory is not: one ulp of change
    # in the reference's own start moves its end by almost nothing.
    nudged = seeded(reference.NeuralNetwork, x, y)
    nudged.weights1[0, 0] = np.nextafter(nudged.weights1[0, 0], 2)
    assert max_relative_gap(expected, run(nudged)) < 1e-12
    actual = run(seeded(nncore.NeuralNetwork, x, y))
    assert max_relative_gap(expected, actual) < 1e-9


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_same_starting_weights(shape, dtype):
    x, y = problem(*shape)
    expected = seeded(reference.NeuralNetwork, x, y)
    actual = seeded(nncore.NeuralNetwork, x, y, dtype=dtype)
    np.testing.assert_array_equal(actual.weights1, expected.weights1.astype(dtype))
    np.testing.assert_array_equal(actual.weights2, expected.weights2.astype(dtype))
    np.testing.assert_array_equal(actual.output, np.zeros(y.shape))
    assert actual.input.dtype == actual.weights1.dtype == dtype


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_float32_as_close_as_float32_numpy(shape):
    """float32 nncore stays as close to the float64 reference as the reference
    itself does when it computes in float32.

    Justification of the bound: both runs round every operation to float32
    (eps 6e-8); they differ only in the order of sums and in the last bit of
    exp, so their distance to the float64 truth is of the same size. We allow
    4x the reference's own float32 drift, plus 1e-5 absolute for values that
    training drives towards zero.
    """
    x, y = problem(*shape)
    truth = run(seeded(reference.NeuralNetwork, x, y))
    ref32 = seeded(reference.NeuralNetwork, x.astype(np.float32), y.astype(np.float32))
    ref32.weights1 = ref32.weights1.astype(np.float32)
    ref32.weights2 = ref32.weights2.astype(np.float32)
    run(ref32)
    assert ref32.output.dtype == np.float32
    actual = run(seeded(nncore.NeuralNetwork, x, y, dtype=np.float32))
    for name in ATTRIBUTES:
        drift = np.abs(getattr(ref32, name) - getattr(truth, name)).max()
        gap = np.abs(getattr(actual, name) - getattr(truth, name)).max()
        assert gap <= 4 * drift + 1e-5, (name, gap, drift)


@pytest.mark.parametrize("hidden, learning_rate", [(1, 0.5), (9, 0.1), (4, 2.0)])
def test_options_match_the_reference_steps(hidden, learning_rate, dtype, rng):
    """hidden= and learning_rate= against the reference's kernel-named steps."""
    x = rng.random((10, 3))
    y = rng.random((10, 2))
    np.random.seed(5)
    w1 = np.random.rand(3, hidden).astype(dtype)
    w2 = np.random.rand(hidden, 2).astype(dtype)
    np.random.seed(5)
    network = nncore.NeuralNetwork(x, y, hidden=hidden, learning_rate=learning_rate, dtype=dtype)
    xd, yd = x.astype(dtype), y.astype(dtype)
    rate = dtype.type(learning_rate)
    for _ in range(50):
        layer1 = reference.sigmoid_forward(reference.dense_forward(xd, w1))
        output = reference.sigmoid_forward(reference.dense_forward(layer1, w2))
        delta2 = reference.sigmoid_backward(reference.sse_backward(output, yd), output)
        delta1 = reference.sigmoid_backward(reference.dense_backward_input(delta2, w2), layer1)
        reference.sgd_update(w1, reference.dense_backward_weights(xd, delta1), rate)
        reference.sgd_update(w2, reference.dense_backward_weights(layer1, delta2), rate)
        network.feedforward()
        network.backprop()
    rtol = 1e-11 if dtype == np.float64 else 1e-4
    np.testing.assert_allclose(network.weights1, w1, rtol=rtol)
    np.testing.assert_allclose(network.weights2, w2, rtol=rtol)
    np.testing.assert_allclose(network.output, output, rtol=rtol)
