"""A NeuralNetwork whose construction fails part-way is never left half-built:
the failure leaves the object as it was, and nothing can crash afterwards."""
import numpy as np
import pytest

import nncore

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
Y = np.array([[0], [1], [1], [0]], dtype=float)


def failing_second_draw(monkeypatch, error):
    draws = []
    real = np.random.rand

    def rand(*shape):
        draws.append(shape)
        if len(draws) == 2:
            raise error
        return real(*shape)

    monkeypatch.setattr(np.random, "rand", rand)


@pytest.mark.parametrize("error", [MemoryError(), KeyboardInterrupt()], ids=["memory", "ctrl-c"])
def test_failed_reinitialisation_leaves_the_network_as_it_was(monkeypatch, error):
    np.random.seed(0)
    network = nncore.NeuralNetwork(X, Y)
    network.train(10)
    weights = network.weights1.copy(), network.weights2.copy()
    failing_second_draw(monkeypatch, error)
    with pytest.raises(type(error)):
        network.__init__(X[:2], Y[:2], hidden=7)
    monkeypatch.undo()
    np.testing.assert_array_equal(network.weights1, weights[0])
    np.testing.assert_array_equal(network.weights2, weights[1])
    network.train(5)  # the old engine, still whole
    network.feedforward()
    network.backprop()
    assert network.output.shape == (4, 1)


def test_an_object_whose_construction_failed_raises_not_crashes(monkeypatch):
    network = nncore.NeuralNetwork.__new__(nncore.NeuralNetwork)
    failing_second_draw(monkeypatch, MemoryError())
    with pytest.raises(MemoryError):
        network.__init__(X, Y)
    monkeypatch.undo()
    for call in (network.feedforward, network.backprop, lambda: network.train(3)):
        with pytest.raises((AttributeError, RuntimeError)):
            call()


def test_engine_refuses_use_before_data_is_bound():
    from nncore._engine import engine_class
    from nncore._kernels import ACTIVATION_CODES, LOSS_CODES

    engine = engine_class(np.float64)((3, 4, 1), (False, False),
                                      (ACTIVATION_CODES["logistic"],) * 2, LOSS_CODES["sse"], 0.0, 4)
    with pytest.raises(RuntimeError, match="no data bound"):
        engine.forward_bound()
    with pytest.raises(RuntimeError, match="no data bound"):
        engine.step_bound()
    with pytest.raises(IndexError, match=r"layer: got 2, expected 0 to 1"):
        engine.weights(2)
    with pytest.raises(IndexError, match=r"layer: got -1, expected 0 to 1"):
        engine.bias(-1)
