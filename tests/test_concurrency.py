"""One network used from two threads at once: the second caller gets a
RuntimeError, and the first one's training is not disturbed."""
import threading
import time

import numpy as np
import pytest

import nncore

CONCURRENT = r"already training or predicting in another thread"


def call_while_busy(run, probe, seconds=20.0):
    """Run ``run()`` in a thread and call ``probe()`` until one of the two
    meets the concurrent-use error; returns (probe's error, run's error).

    A probe that claims the network itself (fit, loss, ...) may instead be
    the one that makes ``run()`` fail, when ``run()`` starts its next
    compiled call in that moment: either way one caller is refused.
    """
    done = threading.Event()
    failures = []

    def target():
        try:
            run()
        except RuntimeError as exc:
            failures.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=target)
    worker.start()
    caught = None
    deadline = time.monotonic() + seconds
    try:
        while not done.is_set() and time.monotonic() < deadline:
            try:
                probe()
            except RuntimeError as exc:
                caught = exc
                break
            time.sleep(0.0005)
    finally:
        worker.join()
    return caught, (failures[0] if failures else None)


def test_mlp_refuses_a_second_thread_and_trains_as_if_alone(rng):
    x = rng.standard_normal((512, 16))
    y = rng.standard_normal((512, 4))
    model = nncore.MLP((16, 64, 4), activation="tanh", random_state=0)
    alone = nncore.MLP((16, 64, 4), activation="tanh", random_state=0)
    options = dict(epochs=300, batch_size=16, learning_rate=1e-3, random_state=1)
    out = np.empty(4)
    # A one-sample predict only checks (it never releases the GIL), so the
    # training thread is never the one refused.
    error, failure = call_while_busy(lambda: model.fit(x, y, **options),
                                     lambda: model.predict(x[0], out=out))
    assert failure is None
    assert error is not None and CONCURRENT in str(error)
    alone.fit(x, y, **options)
    np.testing.assert_array_equal(model.params_, alone.params_)


@pytest.mark.parametrize("probe", ["fit", "predict one", "loss", "save"])
def test_every_entry_point_refuses_while_busy(probe, rng, tmp_path):
    x = rng.standard_normal((512, 16))
    y = rng.standard_normal((512, 4))
    model = nncore.MLP((16, 64, 4), activation="tanh", random_state=0)
    out = np.empty(4)
    probes = {
        "fit": lambda: model.fit(x[:8], y[:8], epochs=1, warm_start=True),
        "predict one": lambda: model.predict(x[0], out=out),
        "loss": lambda: model.loss(x, y),
        "save": lambda: model.save(tmp_path / "model.npz"),
    }
    error, failure = call_while_busy(
        lambda: model.fit(x, y, epochs=300, batch_size=16, learning_rate=1e-3), probes[probe])
    refused = error or failure
    assert refused is not None and CONCURRENT in str(refused)


def test_tutorial_network_refuses_a_second_thread(rng):
    x = rng.random((256, 16))
    y = rng.random((256, 1))
    np.random.seed(0)
    network = nncore.NeuralNetwork(x, y, hidden=32, learning_rate=1e-3)
    error, failure = call_while_busy(lambda: network.train(20000), network.feedforward)
    # train() is one compiled call: feedforward() can only be the one refused.
    assert failure is None
    assert error is not None and CONCURRENT in str(error)
    np.random.seed(0)
    alone = nncore.NeuralNetwork(x, y, hidden=32, learning_rate=1e-3)
    alone.train(20000)
    np.testing.assert_array_equal(network.weights1, alone.weights1)
