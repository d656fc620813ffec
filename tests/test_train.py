"""NeuralNetwork.train(): the compiled loop's extras: recorded losses,
zero epochs, Ctrl-C, and the loss attribute."""
import os
import signal
import threading

import numpy as np
import pytest

import nncore


def network(xor_data, dtype=np.float64, **options):
    np.random.seed(4)
    return nncore.NeuralNetwork(*xor_data, dtype=dtype, **options)


def test_recorded_losses_are_the_loss_before_each_step(xor_data, dtype):
    trained = network(xor_data, dtype)
    losses = trained.train(25, record_loss=True)
    stepped = network(xor_data, dtype)
    for expected in losses:
        stepped.feedforward()
        stepped.backprop()
        assert stepped.loss == expected
    assert trained.loss == losses[-1]
    assert losses.dtype == np.float64 and losses.shape == (25,)


def test_loss_is_the_sum_of_squared_errors(xor_data):
    trained = network(xor_data)
    trained.train(10)
    before = trained.output.copy()
    trained.backprop()
    assert trained.loss == pytest.approx(np.sum((trained.y - before) ** 2), rel=1e-15)


def test_zero_epochs_changes_nothing(xor_data):
    trained = network(xor_data)
    weights = trained.weights1.copy()
    assert trained.train(0) is None
    assert trained.train(0, record_loss=True).shape == (0,)
    np.testing.assert_array_equal(trained.weights1, weights)


def test_train_allows_backprop_afterwards(xor_data, dtype):
    # backprop() after train(1) is a second step on train's forward pass:
    # the Python loop's feedforward(), backprop(), backprop().
    trained = network(xor_data, dtype)
    trained.train(1)
    after_train = trained.weights1.copy()
    trained.backprop()
    stepped = network(xor_data, dtype)
    stepped.feedforward()
    stepped.backprop()
    stepped.backprop()
    assert not np.array_equal(trained.weights1, after_train)
    for name in ("weights1", "weights2", "layer1", "output"):
        assert getattr(trained, name).tobytes() == getattr(stepped, name).tobytes(), name
    assert trained.loss == stepped.loss


def test_ctrl_c_stops_a_long_run_after_a_whole_step(rng):
    x = rng.random((64, 16))
    y = rng.random((64, 1))
    np.random.seed(0)
    trained = nncore.NeuralNetwork(x, y, hidden=32, learning_rate=1e-3)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            trained.train(10**9)
    finally:
        timer.cancel()
    done = trained.epochs_done
    assert 0 < done < 10**9
    # The weights are those of exactly `done` steps.
    np.random.seed(0)
    replay = nncore.NeuralNetwork(x, y, hidden=32, learning_rate=1e-3)
    replay.train(done)
    np.testing.assert_array_equal(trained.weights1, replay.weights1)
    np.testing.assert_array_equal(trained.weights2, replay.weights2)
