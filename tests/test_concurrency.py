"""One model used from two threads at once.

The promise: every public call holds its model for its whole run, so a
second thread's call is refused with RuntimeError (and changes nothing),
and the first thread's work ends exactly as it would have alone, bit for
bit. Each test makes sure the first call really is running when the second
one comes (a callback that waits, or its guard seen held), so it can tell
"the second caller is refused" from "the first caller was broken".
"""
import copy
import pickle
import threading
import time

import numpy as np
import pytest

import nncore

CONCURRENT = r"already training or predicting in another thread"


def wait_until_held(guard, worker, seconds=30.0):
    """Until ``worker``'s call holds ``guard`` (an ``_in_use``)."""
    deadline = time.monotonic() + seconds
    while not guard.held:
        assert worker.is_alive() and time.monotonic() < deadline, "the first call never started"
        time.sleep(0.0002)


class Worker(threading.Thread):
    """Runs ``call()`` and keeps its result or its exception."""

    def __init__(self, call):
        super().__init__()
        self.call, self.result, self.error = call, None, None

    def run(self):
        try:
            self.result = self.call()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def assert_refused(probe):
    with pytest.raises(RuntimeError, match=CONCURRENT):
        probe()


# -- MLP: a fit in thread A, every kind of call from thread B ------------------------

def mlp_problem():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 16))
    y = rng.standard_normal((256, 4))
    return x, y


FIT = dict(epochs=40, batch_size=16, optimizer="adam", learning_rate=1e-3, random_state=1)


def new_mlp():
    return nncore.MLP((16, 32, 4), activation="tanh", random_state=0)


def mlp_probes(model, x, y, tmp_path):
    out = np.empty(4)
    return {
        "predict": lambda: model.predict(x),
        "predict one": lambda: model.predict(x[0], out=out),
        "loss": lambda: model.loss(x, y),
        "gradients": lambda: model.gradients(x, y),
        "score": lambda: model.score(x, y),
        "fit": lambda: model.fit(x[:8], y[:8], epochs=1),
        "fit warm": lambda: model.fit(x[:8], y[:8], epochs=1, warm_start=True),
        "partial_fit": lambda: model.partial_fit(x[:8], y[:8]),
        "save": lambda: model.save(tmp_path / "model.npz"),
        "pickle": lambda: pickle.dumps(model),
        "deepcopy": lambda: copy.deepcopy(model),
        "assign coefs": lambda: model.coefs_.__setitem__(0, np.zeros((16, 32))),
    }


PROBES = list(mlp_probes(None, None, None, None))


@pytest.mark.parametrize("probe", PROBES)
@pytest.mark.parametrize("window", ["between epochs", "anywhere"])
def test_mlp_call_during_a_fit_is_refused_and_the_fit_unchanged(probe, window, tmp_path):
    """'between epochs': A's callback waits while B calls, so B comes between
    two compiled chunks, where a read once broke the next chunk. 'anywhere':
    B calls as soon as A holds the model, most likely mid-chunk."""
    x, y = mlp_problem()
    model, alone = new_mlp(), new_mlp()
    b_done, a_waiting = threading.Event(), threading.Event()

    def callback(epoch, logs):
        if epoch == 3 and window == "between epochs":
            a_waiting.set()
            assert b_done.wait(30)

    # 'anywhere' runs without a callback, in chunks of many epochs, and long
    # enough for B to come mid-fit.
    options = dict(FIT, callback=callback) if window == "between epochs" else dict(FIT, epochs=4000)
    a = Worker(lambda: model.fit(x, y, **options))
    a.start()
    if window == "between epochs":
        assert a_waiting.wait(30)
    else:
        wait_until_held(model._in_use, a)
    try:
        assert_refused(mlp_probes(model, x, y, tmp_path)[probe])
        assert a.is_alive()
    finally:
        b_done.set()
        a.join()
    assert a.error is None
    assert not (tmp_path / "model.npz").exists()
    history = alone.fit(x, y, **options)
    assert a.result.loss == history.loss
    for name, value in alone._get_state().items():
        np.testing.assert_equal(model._get_state()[name], value, err_msg=name)


def test_mlp_predicting_in_a_loop_never_sees_a_mixed_state():
    """A predicts a large batch over and over while B fits: each of A's
    outputs is wholly the old or wholly the new weights' (never rows of
    both), and a refused fit leaves the model exactly as it was."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6000, 16))  # several of predict's slices
    y = rng.standard_normal((6000, 4))
    model = new_mlp()
    model.params_[...] += 0.5  # not the state fit starts from
    before = model.predict(x)
    twin = new_mlp()
    twin.fit(x[:64], y[:64], epochs=3)
    after = twin.predict(x)
    stop = threading.Event()
    seen, refused_a = [], []

    def predict_loop():
        while not stop.is_set():
            try:
                seen.append(model.predict(x))
            except RuntimeError as exc:
                refused_a.append(exc)
            time.sleep(0.001)  # a window for B's fit

    a = Worker(predict_loop)
    a.start()
    refused_b = fitted = 0
    try:
        deadline = time.monotonic() + 30
        while (refused_b < 3 or fitted < 1) and time.monotonic() < deadline:
            snapshot = model.params_.copy()
            try:
                model.fit(x[:64], y[:64], epochs=3)
                fitted += 1
            except RuntimeError as exc:
                assert CONCURRENT in str(exc)
                refused_b += 1
                np.testing.assert_array_equal(model.params_, snapshot)
    finally:
        stop.set()
        a.join()
    assert a.error is None
    assert refused_b >= 3 and fitted >= 1, (refused_b, fitted)
    assert all(CONCURRENT in str(exc) for exc in refused_a)
    for output in seen:
        assert np.array_equal(output, before) or np.array_equal(output, after)


# -- the estimators --------------------------------------------------------------------


def estimator_problem():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((400, 20))
    labels = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int) + (x[:, 3] > 1)
    return x, labels


def new_classifier():
    return nncore.MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, tol=0.0,
                                n_iter_no_change=1000, random_state=0)


def estimator_probes(estimator, x, labels):
    return {
        "predict": lambda: estimator.predict(x),
        "predict_proba": lambda: estimator.predict_proba(x),
        "score": lambda: estimator.score(x, labels),
        "partial_fit": lambda: estimator.partial_fit(x, labels),
        "fit": lambda: estimator.fit(x[:50], labels[:50]),
        "pickle": lambda: pickle.dumps(estimator),
        "deepcopy": lambda: copy.deepcopy(estimator),
    }


@pytest.mark.parametrize("probe", list(estimator_probes(None, None, None)))
@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")  # max_iter is reached on purpose
def test_estimator_call_during_a_fit_is_refused_and_the_fit_unchanged(probe):
    pytest.importorskip("sklearn")
    x, labels = estimator_problem()
    estimator, alone = new_classifier(), new_classifier()
    estimator.fit(x[:50], labels[:50])  # fitted, so the reads have something to read
    alone.fit(x[:50], labels[:50])
    a = Worker(lambda: estimator.fit(x, labels))
    a.start()
    wait_until_held(estimator._in_use, a)
    try:
        assert_refused(estimator_probes(estimator, x, labels)[probe])
        assert a.is_alive()
    finally:
        a.join()
    assert a.error is None, a.error
    alone.fit(x, labels)
    assert estimator.n_iter_ == alone.n_iter_ == 400
    assert estimator.loss_curve_ == alone.loss_curve_
    for ours, theirs in zip(estimator.coefs_ + estimator.intercepts_,
                            alone.coefs_ + alone.intercepts_):
        np.testing.assert_array_equal(ours, theirs, strict=True)


# -- the tutorial's classes ------------------------------------------------------------

def tutorial_network():
    rng = np.random.default_rng(3)
    x, y = rng.random((256, 16)), rng.random((256, 1))
    np.random.seed(0)
    return nncore.NeuralNetwork(x, y, hidden=32, learning_rate=1e-3)


@pytest.mark.parametrize("probe", ["feedforward", "backprop", "train", "pickle", "deepcopy",
                                   "assign weights1", "learning_rate"])
def test_tutorial_network_call_during_train_is_refused(probe):
    network, alone = tutorial_network(), tutorial_network()
    probes = {
        "feedforward": network.feedforward,
        "backprop": network.backprop,
        "train": lambda: network.train(1),
        "pickle": lambda: pickle.dumps(network),
        "deepcopy": lambda: copy.deepcopy(network),
        "assign weights1": lambda: setattr(network, "weights1", np.zeros((16, 32))),
        "learning_rate": lambda: setattr(network, "learning_rate", 0.5),
    }
    network.feedforward()  # so that backprop would otherwise run
    alone.feedforward()
    a = Worker(lambda: network.train(40000))
    a.start()
    wait_until_held(network._in_use, a)
    try:
        assert_refused(probes[probe])
        assert a.is_alive()
    finally:
        a.join()
    assert a.error is None
    alone.train(40000)
    np.testing.assert_array_equal(network.weights1, alone.weights1, strict=True)
    np.testing.assert_array_equal(network.weights2, alone.weights2, strict=True)
    assert network.learning_rate == alone.learning_rate


def test_copies_are_free_to_use_in_another_thread():
    x, y = mlp_problem()
    model = new_mlp()
    clone = copy.deepcopy(model)
    a = Worker(lambda: model.fit(x, y, **dict(FIT, epochs=2000)))
    a.start()
    wait_until_held(model._in_use, a)
    clone.fit(x[:32], y[:32], epochs=2)  # a copy shares no lock and no buffer
    assert a.is_alive()
    a.join()
    assert a.error is None
