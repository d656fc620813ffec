"""Nothing leaks: not one copy of the parameters per call, in training,
prediction, estimator updates or a save/load cycle.

Each model has about 1 MiB of parameters (float64), so one copy per call is
far above the noise of either measure:
- tracemalloc sees every NumPy array and Python object allocated in the
  rounds and still alive after them; a leak of one parameter copy per call
  grows that by 1 MiB a round, and the bound is one copy over all rounds;
- the resident size, read after every round, catches what tracemalloc
  cannot see (malloc in the compiled engine). Its slope over the rounds is
  the median of the slopes between every pair of rounds (Theil-Sen), so a
  one-off step (the allocator taking a new arena, a page of the heap) does
  not count, while a steady leak sets the slope; the bound is half a copy a
  round.
Each loop first runs a few rounds to warm up (allocator pools, caches,
lazily built buffers)."""
import gc
import os
import tracemalloc
import warnings

import numpy as np
import pytest

import nncore
from nncore import _kernels

PAGE = os.sysconf("SC_PAGE_SIZE")
ROUNDS = 24
WARM_UP = 4
# 16 inputs, 1,024 hidden units, 112 outputs: 132,208 parameters, 1.0 MiB.
LAYERS = (16, 1024, 112)
N_PARAMS = LAYERS[0] * LAYERS[1] + LAYERS[1] + LAYERS[1] * LAYERS[2] + LAYERS[2]
COPY = 8 * N_PARAMS

pytestmark = pytest.mark.skipif(
    "-fsanitize=address" in _kernels.COMPILE_ARGS or "asan" in os.environ.get("LD_PRELOAD", ""),
    reason="AddressSanitizer's allocator holds freed memory back")


def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def theil_sen_slope(values):
    """The median over all pairs i < j of (values[j] - values[i]) / (j - i)."""
    values = np.asarray(values, dtype=np.float64)
    i, j = np.triu_indices(len(values), k=1)
    return float(np.median((values[j] - values[i]) / (j - i)))


def assert_no_leak(step, rounds=ROUNDS):
    for _ in range(WARM_UP):
        step()
    gc.collect()
    tracemalloc.start()
    try:
        traced_before = tracemalloc.get_traced_memory()[0]
        sizes = []
        for _ in range(rounds):
            step()
            sizes.append(resident())
        gc.collect()
        traced_growth = tracemalloc.get_traced_memory()[0] - traced_before
    finally:
        tracemalloc.stop()
    assert traced_growth < COPY, (
        f"{traced_growth / 2**20:.2f} MiB of Python objects and arrays allocated over {rounds} "
        f"rounds are still alive; one parameter copy is {COPY / 2**20:.2f} MiB")
    slope = theil_sen_slope(sizes)
    assert slope < COPY / 2, (
        f"the resident size grows by {slope / 2**20:.2f} MiB a round; one parameter copy is "
        f"{COPY / 2**20:.2f} MiB")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, LAYERS[0]))
    return X, np.arange(32) % LAYERS[-1], X[:, :1].copy()


def test_the_model_is_large_enough():
    model = nncore.MLP(LAYERS, random_state=0)
    assert model.params_.nbytes == COPY >= 2**20


@pytest.mark.parametrize("batch_size", [1, 32], ids=["per-sample", "batches"])
def test_fit_epochs(data, batch_size):
    X, labels, _ = data
    model = nncore.MLP(LAYERS, output_activation="softmax", random_state=0)
    assert_no_leak(lambda: model.fit(X, labels, epochs=2, batch_size=batch_size, optimizer="adam",
                                     learning_rate=1e-4, validation_data=(X[:8], labels[:8]),
                                     warm_start=True))


def test_predict(data):
    X, _, _ = data
    model = nncore.MLP(LAYERS[:2] + (1,), random_state=0)
    wide = nncore.MLP(LAYERS, random_state=0)
    out = np.empty(1)
    y = X[:, :1]

    def step():
        wide.predict(X)
        model.predict(X[0], out=out)
        model.loss(X, y)
        model.gradients(X, y)

    assert_no_leak(step)


def test_estimator_partial_fit(data):
    pytest.importorskip("sklearn")
    X, labels, target = data
    classifier = nncore.MLPClassifier(hidden_layer_sizes=(LAYERS[1],), batch_size=16,
                                      random_state=0)
    regressor = nncore.MLPRegressor(hidden_layer_sizes=(LAYERS[1],), batch_size=16,
                                    random_state=0)
    Y = np.eye(LAYERS[-1])[labels]  # as many outputs as the MLP's, so as many parameters

    def step():
        classifier.partial_fit(X, labels % 2, classes=[0, 1])
        regressor.partial_fit(X, Y)
        classifier.predict_proba(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn's notices about partial_fit
        assert_no_leak(step)


def test_save_and_load(data, tmp_path):
    X, labels, _ = data
    model = nncore.MLP(LAYERS, output_activation="softmax", random_state=0)
    model.fit(X, labels, epochs=1, optimizer="adam", learning_rate=1e-4)
    path = tmp_path / "model.npz"

    def step():
        model.save(path)
        nncore.load(path).predict(X[:2])

    assert_no_leak(step)
