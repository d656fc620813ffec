"""nncore's own large passes split over BLAS's threads, with the same bits.

Above a size, the products of nncore's own kernels (split by bands of
rows), the activation passes (by rows) and the optimizer step (by
parameters) run on as many threads as BLAS has. Each output is computed as
on one thread, so every thread count must give the bits of one thread. The
models here are in ``deterministic=True`` mode, where every product is
nncore's own (BLAS's bits may change with its thread count), and sized so
that each pass really is split (``parallel_parts`` says so, and a test
counts the threads).
"""
import hashlib
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
# SciPy's OpenBLAS (nncore's BLAS) loaded now, so threadpoolctl can limit it.
import scipy.linalg  # noqa: F401

import nncore
from nncore import _kernel_views

threadpoolctl = pytest.importorskip("threadpoolctl")

# The thresholds of _kernels.pxd.
MIN_MACS, MIN_ELEMENTS, MIN_CHEAP, MIN_PARAMS = 2097152, 32768, 262144, 32768
THREADS = (1, 2, 3)


def limits(threads):
    return threadpoolctl.threadpool_limits(limits=threads, user_api="blas")


def bits(model, X):
    return hashlib.sha256(model.params_.tobytes() + model.predict(X).tobytes()).hexdigest()


def fit_bits(threads, sizes, X, y, dtype, **options):
    fit_options = {"epochs": 2, "batch_size": len(X), "shuffle": False, "optimizer": "sgd",
                   "learning_rate": 1e-3}
    model_options = {key: options.pop(key) for key in ("activation", "output_activation", "loss")
                     if key in options}
    fit_options.update(options)
    with limits(threads):
        model = nncore.MLP(sizes, dtype=dtype, random_state=0, deterministic=True, **model_options)
        model.fit(X, y, **fit_options)
        return bits(model, X)


def test_parts_follow_the_blas_thread_count():
    for threads in THREADS:
        with limits(threads):
            assert _kernel_views.parallel_parts(10**9, 1) == threads
            assert _kernel_views.parallel_parts(2 * MIN_MACS - 1, MIN_MACS) == min(threads, 1)
            assert _kernel_views.parallel_parts(0, MIN_MACS) == 1


@pytest.mark.parametrize("work, min_work, error", [
    (-1, 1, ValueError), (10, 0, ValueError), (1.5, 1, TypeError), (10, "1", TypeError),
])
def test_parallel_parts_rejects_bad_arguments(work, min_work, error):
    with pytest.raises(error, match="work"):
        _kernel_views.parallel_parts(work, min_work)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m, n, k", [(1100, 64, 96), (97, 300, 220), (30, 257, 1000)])
def test_products_split_by_rows_keep_the_bits(dtype, m, n, k):
    rng = np.random.default_rng(m)
    inputs = rng.standard_normal((m, k)).astype(dtype)
    weights = rng.standard_normal((k, n)).astype(dtype)
    bias = rng.standard_normal(n).astype(dtype)
    results = []
    for threads in THREADS:
        outputs = np.empty((m, n), dtype)
        with limits(threads):
            assert _kernel_views.parallel_parts(m * n * k, MIN_MACS) == threads
            _kernel_views.dense_forward(inputs, weights, bias, outputs)
        results.append(outputs.tobytes())
    assert len(set(results)) == 1
    expected = (inputs.astype(np.float64) @ weights.astype(np.float64) + bias).astype(dtype)
    np.testing.assert_allclose(np.frombuffer(results[0], dtype).reshape(m, n), expected,
                               rtol=1e-3 if dtype == np.float32 else 1e-10, atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "leaky_relu",
                                        "gelu", "silu", "elu", "softplus"])
def test_hidden_activation_passes_split_by_rows_keep_the_bits(dtype, activation):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1100, 32)).astype(dtype)
    y = rng.standard_normal((1100, 4)).astype(dtype)
    sizes = (32, 512, 4)
    # Even ReLU's pass (the cheapest) is worth two threads here.
    assert 1100 * 512 >= 2 * MIN_CHEAP
    results = {fit_bits(threads, sizes, X, y, dtype, activation=activation) for threads in THREADS}
    assert len(results) == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output_activation, loss", [("softmax", "cross_entropy"),
                                                     ("exp", "poisson")])
def test_output_activation_passes_split_by_rows_keep_the_bits(dtype, output_activation, loss):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((1100, 16)).astype(dtype)
    sizes = (16, 64, 64)
    if loss == "cross_entropy":
        y = rng.integers(0, 64, 1100)
    else:
        y = rng.poisson(1.0, (1100, 64)).astype(dtype)
    assert 1100 * 64 >= 2 * MIN_ELEMENTS
    results = {fit_bits(threads, sizes, X, y, dtype, activation="tanh",
                        output_activation=output_activation, loss=loss) for threads in THREADS}
    assert len(results) == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("optimizer, options", [
    ("sgd", {}),
    (nncore.SGD(learning_rate=1e-3, momentum=0.9), {}),
    (nncore.SGD(learning_rate=1e-3, momentum=0.9, nesterov=True, weight_decay=1e-2), {}),
    ("adam", {"l2": 1e-3}),
    (nncore.AdamW(learning_rate=1e-3, weight_decay=0.1), {"clip_norm": 1.0}),
])
def test_optimizer_steps_split_by_parameters_keep_the_bits(dtype, optimizer, options):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 64)).astype(dtype)
    y = rng.standard_normal((40, 3)).astype(dtype)
    sizes = (64, 768, 768, 3)
    # Even plain SGD's step (the cheapest) is worth two threads here.
    assert 768 * 768 >= 2 * MIN_CHEAP
    fit_options = {"optimizer": optimizer, "batch_size": 8, **options}
    if isinstance(optimizer, str):
        fit_options["learning_rate"] = 1e-3
    else:
        fit_options["learning_rate"] = None
    results = {fit_bits(threads, sizes, X, y, dtype, activation="tanh", **fit_options)
               for threads in THREADS}
    assert len(results) == 1


def test_models_in_two_threads_at_once_keep_their_bits():
    # One takes the pool, the other runs its parts itself: both keep the bits.
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1100, 32))
    y = rng.standard_normal((1100, 4))
    sizes = (32, 512, 4)
    with limits(2):
        alone = fit_bits(2, sizes, X, y, np.float64, activation="gelu", epochs=4)
        results = [None, None]
        barrier = threading.Barrier(2)

        def run(i):
            barrier.wait()
            model = nncore.MLP(sizes, activation="gelu", random_state=0, deterministic=True)
            model.fit(X, y, epochs=4, batch_size=len(X), shuffle=False, learning_rate=1e-3)
            results[i] = bits(model, X)

        workers = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=300)
    assert results == [alone, alone]


# In a fresh process: how many threads a large fit adds, and a forked child
# (which starts with no pool workers) fitting the same model.
CHILD = textwrap.dedent("""
    import hashlib, os, sys
    import numpy as np
    import scipy.linalg  # loaded first, so threadpoolctl limits it
    import nncore
    from threadpoolctl import threadpool_limits

    def fit():
        rng = np.random.default_rng(5)
        X = rng.standard_normal((1100, 32))
        y = rng.standard_normal((1100, 4))
        model = nncore.MLP((32, 512, 4), random_state=0, deterministic=True)
        model.fit(X, y, epochs=2, batch_size=len(X), shuffle=False, learning_rate=1e-3)
        return hashlib.sha256(model.params_.tobytes()).hexdigest()

    def tasks():
        return len(os.listdir("/proc/self/task"))

    with threadpool_limits(limits=int(sys.argv[1]), user_api="blas"):
        nncore.MLP((2, 2, 1)).fit([[0.0, 1.0]], [0.0], epochs=1)  # BLAS loaded
        before = tasks()
        parent = fit()
        added = tasks() - before
        if sys.argv[2] == "fork":
            reader, writer = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.write(writer, fit().encode())
                os._exit(0)
            os.close(writer)
            child = os.read(reader, 64).decode()
            assert os.waitpid(pid, 0)[1] == 0
            assert child == parent, (child, parent)
        print(added)
""")


def run_child(threads, mode):
    result = subprocess.run([sys.executable, "-I", "-c", CHILD, str(threads), mode],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


def test_one_blas_thread_starts_no_workers_and_more_do():
    assert run_child(1, "count") == 0
    # A pool per extension module that splits: at least one worker, at most
    # two (threads - 1) for each of the two.
    assert 1 <= run_child(3, "count") <= 4


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")
def test_a_forked_child_runs_its_parts_and_keeps_the_bits():
    run_child(2, "fork")
