"""The same seed gives the same bits: across runs, between train() and the
Python loop, and across BLAS thread counts."""
import numpy as np
import pytest

import nncore

threadpoolctl = pytest.importorskip("threadpoolctl")

STATE = ("weights1", "weights2", "layer1", "output")


def trained(x, y, dtype, epochs, per_call, **options):
    np.random.seed(99)
    network = nncore.NeuralNetwork(x, y, dtype=dtype, **options)
    if per_call:
        for _ in range(epochs):
            network.feedforward()
            network.backprop()
    else:
        network.train(epochs)
    return network


def assert_same_bits(a, b):
    for name in STATE:
        assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name


def test_same_seed_same_bits(xor_data, dtype):
    x, y = xor_data
    assert_same_bits(trained(x, y, dtype, 300, False), trained(x, y, dtype, 300, False))


@pytest.mark.parametrize("shape, hidden", [((4, 3), 4), ((64, 20), 16), ((256, 64), 128)], ids=str)
def test_train_equals_python_loop(shape, hidden, dtype, rng):
    x = rng.random(shape)
    y = rng.random((shape[0], 3))
    a = trained(x, y, dtype, 40, per_call=True, hidden=hidden, learning_rate=0.05)
    b = trained(x, y, dtype, 40, per_call=False, hidden=hidden, learning_rate=0.05)
    assert_same_bits(a, b)


def test_blas_layers_same_bits_on_one_and_two_threads(dtype, rng):
    x = rng.random((512, 200))
    y = rng.random((512, 10))
    results = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            network = trained(x, y, dtype, 5, per_call=False, hidden=128, learning_rate=0.001)
            assert network._engine.uses_blas(0, x.shape[0])
            results.append(network)
    assert_same_bits(*results)
