"""The same seed gives the same bits: across runs, across processes, between
train() and the Python loop, and across BLAS thread counts."""
import os
import subprocess
import sys

import numpy as np
import pytest
# SciPy's OpenBLAS (nncore's BLAS) loaded now, so threadpoolctl can limit it.
import scipy.linalg  # noqa: F401

import nncore

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


# A fresh interpreter (-I: no user site, no PYTHONPATH from the environment)
# trains and prints the bits; the path to the package under test comes in argv.
TRAIN_IN_A_PROCESS = """
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import nncore
dtype = np.dtype(sys.argv[2])
x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
y = np.array([[0], [1], [1], [0]])
np.random.seed(99)
network = nncore.NeuralNetwork(x, y, dtype=dtype)
network.train(300)
print(nncore.__file__)
for name in ("weights1", "weights2", "layer1", "output"):
    print(getattr(network, name).tobytes().hex())
"""


def bits_from_a_fresh_process(dtype):
    package_root = os.path.dirname(os.path.dirname(nncore.__file__))
    result = subprocess.run(
        [sys.executable, "-I", "-c", TRAIN_IN_A_PROCESS, package_root, dtype.name],
        capture_output=True, text=True, check=True, timeout=120)
    location, *lines = result.stdout.split()
    assert location == nncore.__file__  # the package under test, not another install
    return dict(zip(STATE, lines))


def test_same_seed_same_bits_across_processes(xor_data, dtype):
    first = bits_from_a_fresh_process(dtype)
    second = bits_from_a_fresh_process(dtype)
    assert first == second
    here = trained(*xor_data, dtype, 300, False)
    assert first == {name: getattr(here, name).tobytes().hex() for name in STATE}


@pytest.mark.parametrize("shape, hidden", [((4, 3), 4), ((64, 20), 16), ((256, 64), 128)], ids=str)
def test_train_equals_python_loop(shape, hidden, dtype, rng):
    x = rng.random(shape)
    y = rng.random((shape[0], 3))
    a = trained(x, y, dtype, 40, per_call=True, hidden=hidden, learning_rate=0.05)
    b = trained(x, y, dtype, 40, per_call=False, hidden=hidden, learning_rate=0.05)
    assert_same_bits(a, b)


def test_deterministic_same_bits_on_one_and_two_blas_threads(dtype, rng):
    # The default mode promises this only for one machine, kernel set and
    # thread count (README, Determinism); deterministic=True for any.
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = rng.random((512, 200))
    y = rng.random((512, 10))
    results = []
    for threads in (1, 2):
        with threadpoolctl.threadpool_limits(limits=threads, user_api="blas"):
            network = trained(x, y, dtype, 5, per_call=False, hidden=128, learning_rate=0.001,
                              deterministic=True)
            assert not network._engine.uses_blas(0, x.shape[0])
            results.append(network)
    assert_same_bits(*results)
