"""Nothing leaks: the process's resident memory stays flat over thousands of
training epochs, predictions, estimator updates and save/load cycles.

Each loop first runs a tenth of its rounds to warm up (allocator pools,
caches, lazily built buffers); then the resident size is measured before and
after the rounds. It grows by about 0.1 MiB at most; the bound is 8 MiB, so
a leak of 50 kB per round fails every loop, and one of 10 kB (a copy of the
data or of the parameters) the fit and predict loops."""
import gc
import os
import warnings

import numpy as np
import pytest

import nncore
from nncore import _kernels

MAX_GROWTH = 8 * 2**20
PAGE = os.sysconf("SC_PAGE_SIZE")

pytestmark = pytest.mark.skipif(
    "-fsanitize=address" in _kernels.COMPILE_ARGS or "asan" in os.environ.get("LD_PRELOAD", ""),
    reason="AddressSanitizer's allocator holds freed memory back")


def resident():
    gc.collect()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def assert_flat(step, rounds):
    for _ in range(max(1, rounds // 10)):  # warm-up
        step()
    before = resident()
    for _ in range(rounds):
        step()
    growth = resident() - before
    assert growth < MAX_GROWTH, f"resident memory grew by {growth / 2**20:.1f} MiB over {rounds} rounds"


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 8))
    return X, (X[:, 0] > 0).astype(np.int64), X[:, :2].sum(axis=1)


@pytest.mark.parametrize("batch_size", [1, 32], ids=["per-sample", "batches"])
def test_fit_epochs(data, batch_size):
    X, labels, _ = data
    model = nncore.MLP((8, 16, 2), output_activation="softmax", random_state=0)
    assert_flat(lambda: model.fit(X, labels, epochs=2, batch_size=batch_size, optimizer="adam",
                                  validation_data=(X[:64], labels[:64]), warm_start=True),
                1000)


def test_predict(data):
    X, _, _ = data
    model = nncore.MLP((8, 16, 1), random_state=0)
    out = np.empty(1)

    def step():
        model.predict(X)
        model.predict(X[0], out=out)
        model.loss(X, X[:, :1])
        model.gradients(X, X[:, :1])

    assert_flat(step, 4000)


def test_estimator_partial_fit(data):
    pytest.importorskip("sklearn")
    X, labels, target = data
    classifier = nncore.MLPClassifier(hidden_layer_sizes=(128,), batch_size=64, random_state=0)
    regressor = nncore.MLPRegressor(hidden_layer_sizes=(128,), batch_size=64, random_state=0)

    def step():
        classifier.partial_fit(X, labels, classes=[0, 1])
        regressor.partial_fit(X, target)
        classifier.predict_proba(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's notices about partial_fit
        assert_flat(step, 200)


def test_save_and_load(data, tmp_path):
    X, labels, _ = data
    model = nncore.MLP((8, 128, 2), output_activation="softmax", random_state=0)
    model.fit(X, labels, epochs=2, optimizer="adam")
    path = tmp_path / "model.npz"

    def step():
        model.save(path)
        nncore.load(path).predict(X[:2])

    assert_flat(step, 400)
