"""Benchmark: nncore against the tutorial's NumPy reference and the peers
(scikit-learn, PyTorch eager, FANN), every system measured in the same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/run.py

Workloads:

- XOR-1500, W1, W2, W5, W5-f32: the tutorial's training step (feedforward +
  backprop over the whole batch) at several sizes, and its whole XOR loop.
- W3: per-sample SGD on a 10-32-32-1 tanh regression network, 10,000 samples.
- W4: scikit-learn's digits, 64-32-10 ReLU/softmax, Adam, batches of 32.
- W6: one prediction of the W3 network, called from Python.
- W9: two W4 networks trained (10 epochs each) at once in two threads, against one after the other.
- W4-fit, W8: whole ``fit`` calls of ``nncore.MLPClassifier`` and
  scikit-learn's, with the same parameters (W4's network; scikit-learn's
  defaults), which must end with the same ``coefs_``.

Systems take turns, one timed batch each per round, so the machine's noise
falls on all of them alike; each result is the median over the rounds.
Within a workload every system starts from the same parameters, and after
the timing the script checks that each did real work (its weights moved)
and, where runs start from the same parameters, the same work (they agree);
it stops if a check fails. Peers that are not installed are skipped, and
the tables say so.

Writes results.json and RESULTS.md next to this file (or to --output), and
on a full run the README's table. ``--smoke`` runs a few short rounds on
smaller data, only to prove the script works.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import nncore
from nncore import reference
from nncore._data import XOR_X, XOR_Y
from nncore._kernels import COMPILE_ARGS

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import sklearn_peer  # noqa: E402
import torch_peer  # noqa: E402
from fann_peer import FannNetwork, fann_available  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
README = HERE.parent / "README.md"
README_MARKERS = ("<!-- bench-table -->", "<!-- /bench-table -->")
# The estimators' rows again, in the README's "From scikit-learn" section.
README_ESTIMATOR_MARKERS = ("<!-- sklearn-bench -->", "<!-- /sklearn-bench -->")

# The tutorial's step. name: (n_samples, n_in, hidden, n_out, dtype)
TUTORIAL = {
    "W1": (4, 3, 4, 1, np.float64),
    "W2": (256, 64, 128, 10, np.float64),
    "W5": (2048, 784, 256, 10, np.float64),
    "W5-f32": (2048, 784, 256, 10, np.float32),
}
MLP_WORKLOADS = ("W3", "W4", "W6", "W9", "W4-fit", "W8")
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W5-f32", "W6", "W9", "W4-fit", "W8")
# --smoke: fewer samples, so the slow systems finish quickly.
SMOKE_SAMPLES = {"W2": 64, "W3": 200, "W4": 160, "W5": 128, "W5-f32": 128, "W9": 160, "W4-fit": 160,
                 "W8": 160}

XOR_LOOP = "XOR-1500"
XOR_STEPS = 1500

W3_SIZES = (10, 32, 32, 1)
W3_SAMPLES = 10_000
# A power of two, so FANN (which keeps its learning rate as a float) steps
# by exactly the same amount as the others.
W3_LEARNING_RATE = 2.0 ** -7
W4_SIZES = (64, 32, 10)
W4_BATCH = 32
W4_LEARNING_RATE = 1e-3
# W9: epochs per fit call, enough that the call's Python work (argument
# checks, holding the GIL) is small beside its compiled epochs.
W9_EPOCHS = 10
# The estimators' whole fit: (label, MLPClassifier parameters).
ESTIMATOR_WORKLOADS = {
    "W4-fit": ("hidden (32,), adam, batch 32",
               dict(hidden_layer_sizes=(32,), solver="adam", batch_size=32, max_iter=30, random_state=0)),
    "W8": ("scikit-learn's defaults (hidden (100,), relu, adam, batch 200)",
           dict(max_iter=50, random_state=0)),
}
SMOKE_MAX_ITER = 3

# How closely systems that ran the same work from the same parameters must
# agree: max |their change - the baseline's change| / max |the baseline's change|.
AGREE_F64 = 1e-6
AGREE_F32 = 1e-3
# FANN clips the derivative of its tanh at |tanh| = 0.98, so its per-sample
# epoch drifts from the exact gradient's (by 3% of the largest change on
# W3); a NumPy copy of the loop with that clip matches FANN to 4e-8.
AGREE_FANN_TANH = 5e-2
# torch.optim.Adam adds epsilon after the bias correction, scikit-learn and
# nncore before it, which matters where the squared gradients are tiny (the
# digits' nearly blank pixels), and most in the first steps (4% of the largest
# change after the 5 steps of a smoke run, 0.4% after the 57 of an epoch).
# With epsilon = 1e-30 the three agree to 1e-15.
AGREE_TORCH_ADAM = 1e-1

Target = namedtuple("Target", "workload system baseline factor at_most", defaults=(None,))

# system must be >= factor x faster than baseline; or (baseline None) take at most at_most seconds.
TARGETS = [
    Target("W1", "nncore train()", "reference", 100),
    Target("W1", "nncore train()", "FANN", 5),
    Target("W1", "nncore per call", "reference", 30),
    Target("W2", "nncore train()", "reference", 2),
    Target("W3", "nncore", "scikit-learn", 200),
    Target("W3", "nncore", "PyTorch eager", 50),
    Target("W3", "nncore", "FANN", 1),
    Target("W4", "nncore", "scikit-learn", 10),
    Target("W4", "nncore", "PyTorch eager", 10),
    Target("W9", "nncore 2 threads", "nncore", 1.7),
    Target("W4-fit", "nncore", "scikit-learn", 10),
    Target("W8", "nncore", "scikit-learn", 3),
    Target("W5", "nncore train()", "reference", 1.0),
    Target("W5-f32", "nncore train()", "reference", 1.8),
    Target("W5", "nncore train() 2 threads", "nncore train()", 1.7),
    Target("W6", "nncore", None, None, 1e-6),
    Target("W6", "nncore", "NumPy", 10),
    Target("W6", "nncore", "PyTorch eager", 10),
]

TUTORIAL_COLUMNS = ["reference", "nncore per call", "nncore train()", "PyTorch eager", "FANN",
                    "nncore train() 2 threads", "reference f32"]
MLP_COLUMNS = ["nncore", "nncore 2 threads", "scikit-learn", "PyTorch eager", "FANN", "NumPy"]
PEERS = {"scikit-learn": sklearn_peer.sklearn_available, "PyTorch eager": torch_peer.torch_available,
         "FANN": fann_available}


class System:
    """One system of a workload.

    run(count) does ``count`` runs (a step, an epoch or a call each). If it
    times them itself, leaving out untimed work such as putting starting
    parameters back, it returns those seconds; otherwise None, and the
    caller times the whole call. state() gives what the checks compare: the
    weights, as nncore's coefs_, or a prediction. agree: how closely its
    change must match the workload's baseline (None: not compared).
    """

    def __init__(self, run, state, blas_threads=1, agree=AGREE_F64):
        self.run = run
        self.state = state
        self.blas_threads = blas_threads
        self.agree = agree


class Workload:
    """The systems of one workload and how to read their times.

    unit: what one reported time is for ("step", "sample", "epoch", "call");
    per: units in one run (samples in an epoch for W3). restore: every run
    starts from the same starting parameters, so after the timing all
    systems must agree. kind: "train" or "predict", for the checks.
    """

    def __init__(self, name, label, unit, per=1, restore=False, kind="train"):
        self.name = name
        self.label = label
        self.unit = unit
        self.per = per
        self.restore = restore
        self.kind = kind
        self.systems = {}
        self.skipped = {}
        self.checks = []
        self.start = None   # the starting weights (list of arrays) when restore is set
        self._closers = []

    def add(self, name, system):
        self.systems[name] = system

    def skip(self, name, reason):
        self.skipped[name] = reason

    def on_close(self, close):
        self._closers.append(close)

    def close(self):
        for close in self._closers:
            close()


def check(condition, message):
    """Stop the benchmark: a system did not do the work it is timed for."""
    if not condition:
        raise AssertionError(message)


def peer(name):
    """(available, reason) for an optional peer."""
    available, detail = PEERS[name]()
    return available, (None if available else detail)


def timed_runs(step, restore=None):
    """run(count) for a System: ``count`` x step(). With ``restore``, each
    step starts from the starting parameters, put back untimed, and run
    returns the seconds of the steps alone."""
    if restore is None:
        def run(count):
            for _ in range(count):
                step()
        return run

    def run(count):
        timer = time.perf_counter
        total = 0.0
        for _ in range(count):
            restore()
            start = timer()
            step()
            total += timer() - start
        return total
    return run


def copies(arrays):
    return [np.array(a, copy=True) for a in arrays]


# -- the tutorial's step: W1, W2, W5, W5-f32 -------------------------------------------------

def tutorial_shape(name, smoke):
    n_samples, n_in, hidden, n_out, dtype = TUTORIAL[name]
    if smoke:
        n_samples = SMOKE_SAMPLES.get(name, n_samples)
    return n_samples, n_in, hidden, n_out, dtype


def make_data(name, n_samples, n_in, n_out, dtype, seed=0):
    if name == "W1":
        return XOR_X.astype(dtype), XOR_Y.astype(dtype)
    rng = np.random.default_rng(seed)
    return rng.random((n_samples, n_in)).astype(dtype), rng.random((n_samples, n_out)).astype(dtype)


def starting_weights(name, n_in, hidden, n_out):
    """W1: the tutorial's own np.random.rand draws. The larger networks: the
    same draws centred and scaled by 1/sqrt(fan-in). Uncentred, all-positive
    weights put every output of W2 and W5 at exactly 1.0 (zero gradient)."""
    np.random.seed(0)
    weights1 = np.random.rand(n_in, hidden)
    weights2 = np.random.rand(hidden, n_out)
    if name == "W1":
        return weights1, weights2
    return (2 * weights1 - 1) / np.sqrt(n_in), (2 * weights2 - 1) / np.sqrt(hidden)


def tutorial_workload(name, threads, smoke):
    n_samples, n_in, hidden, n_out, dtype = tutorial_shape(name, smoke)
    x, y = make_data(name, n_samples, n_in, n_out, dtype)
    weights1, weights2 = starting_weights(name, n_in, hidden, n_out)
    # W1 trains on, as the tutorial does. On W2 and W5 the tutorial's step
    # (step size 1, gradient summed over the batch) saturates every output
    # from any start within one step, so every timed step there starts from
    # the starting weights again.
    restore = name != "W1"
    workload = Workload(name, tutorial_label(name, n_samples, n_in, hidden, n_out, dtype), "step",
                        restore=restore)
    workload.start = [weights1, weights2]
    agree = AGREE_F32 if dtype == np.float32 else AGREE_F64

    def python_system(network, agree_with=AGREE_F64, blas_threads=1, compiled=False):
        w1, w2 = weights1.astype(network.weights1.dtype), weights2.astype(network.weights2.dtype)

        def put_back():
            # Fresh copies: the reference updates its arrays in place.
            network.weights1, network.weights2 = w1.copy(), w2.copy()

        if compiled:
            step = lambda: network.train(1)  # noqa: E731
            run = network.train if not restore else timed_runs(step, put_back)
        else:
            def step():
                network.feedforward()
                network.backprop()
            run = timed_runs(step, put_back if restore else None)
        state = lambda: copies([network.weights1, network.weights2])  # noqa: E731
        put_back()
        return System(run, state, blas_threads=blas_threads, agree=agree_with)

    def ours():
        return nncore.NeuralNetwork(x, y, hidden=hidden, dtype=dtype)

    ref = reference.NeuralNetwork(x, y)
    ref.weights1, ref.weights2 = weights1.copy(), weights2.copy()
    workload.add("reference", python_system(ref))
    workload.add("nncore per call", python_system(ours(), agree))
    workload.add("nncore train()", python_system(ours(), agree, compiled=True))
    if dtype == np.float32:
        # As written, the tutorial computes in float64 here (rand() weights);
        # "reference f32" is the same code with float32 weights.
        ref32 = reference.NeuralNetwork(x, y)
        ref32.weights1, ref32.weights2 = weights1.astype(dtype), weights2.astype(dtype)
        workload.add("reference f32", python_system(ref32, AGREE_F32))
    if threads > 1 and name.startswith("W5"):
        workload.add(f"nncore train() {threads} threads",
                     python_system(ours(), agree, blas_threads=threads, compiled=True))

    available, reason = peer("PyTorch eager")
    if available:
        net = torch_peer.TorchNetwork(x, y, weights1.astype(dtype), weights2.astype(dtype))
        w1, w2 = weights1.astype(dtype), weights2.astype(dtype)
        workload.add("PyTorch eager", System(
            timed_runs(net.step, (lambda: net.set_weights(w1, w2)) if restore else None), net.coefs, agree=agree))
    else:
        workload.skip("PyTorch eager", reason)

    if dtype == np.float64:
        available, reason = peer("FANN")
        if available:
            # FANN steps by learning_rate / n_samples times the summed
            # gradient of the squared error without the tutorial's factor 2.
            fann = FannNetwork(x, y, [weights1, weights2], [np.zeros(hidden), np.zeros(n_out)],
                               algorithm="batch", hidden="sigmoid", output="sigmoid",
                               steepness_hidden=0.5, steepness_output=0.5, learning_rate=2 * n_samples)
            workload.on_close(fann.close)
            if restore:
                run = lambda count: fann.train(count, 1, restore=True)[0]  # noqa: E731
            else:
                run = lambda count: fann.train(1, count)[0]  # noqa: E731
            workload.add("FANN", System(run, fann.coefs))
        else:
            workload.skip("FANN", reason)
    return workload


def tutorial_label(name, n_samples, n_in, hidden, n_out, dtype):
    return f"{name}: {n_samples}x{n_in} → {hidden} → {n_out}, {np.dtype(dtype).name}"


def measure_xor_loop(rounds):
    """The tutorial's own loop, 1,500 x feedforward() + backprop() from a fresh
    network, timed whole (construction excluded), systems taking turns."""
    x, y = make_data("W1", 4, 3, 1, np.float64)
    systems = {
        "reference": lambda network: [(network.feedforward(), network.backprop()) for _ in range(XOR_STEPS)],
        "nncore per call": lambda network: [(network.feedforward(), network.backprop()) for _ in range(XOR_STEPS)],
        "nncore train()": lambda network: network.train(XOR_STEPS),
    }
    classes = {"reference": reference.NeuralNetwork}
    samples = {name: [] for name in systems}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(rounds):
            for name, run in systems.items():
                np.random.seed(1)
                network = classes.get(name, nncore.NeuralNetwork)(x, y)
                start = time.perf_counter()
                run(network)
                samples[name].append(time.perf_counter() - start)
    results = {name: {"median_s": statistics.median(s), "runs_per_batch": 1, "samples_s": s}
               for name, s in samples.items()}
    meta = {"label": f"tutorial XOR loop: {XOR_STEPS} steps, whole loop", "unit": "loop", "rounds": rounds,
            "skipped": {}, "checks": []}
    return results, meta


# -- W3: per-sample SGD ------------------------------------------------------------------------

def regression_data(n_samples, n_in=10, seed=0):
    """A smooth nonlinear target with a little noise: the networks can fit it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, n_in))
    direction = rng.standard_normal(n_in) / np.sqrt(n_in)
    y = np.sin(2 * x @ direction) + 0.3 * np.tanh(x[:, 0] * x[:, 1]) + 0.05 * rng.standard_normal(n_samples)
    return x, y


def w3_workload(smoke):
    n_samples = SMOKE_SAMPLES["W3"] if smoke else W3_SAMPLES
    x, y = regression_data(n_samples)
    workload = Workload("W3", f"W3: per-sample SGD, {n_samples:,} samples, "
                        f"{'-'.join(map(str, W3_SIZES))} tanh, float64", "sample", per=n_samples, restore=True)
    model = nncore.MLP(W3_SIZES, activation="tanh", random_state=0)
    coefs, intercepts = copies(model.coefs_), copies(model.intercepts_)
    workload.start = coefs

    def put_back():
        model.coefs_ = coefs
        model.intercepts_ = intercepts

    def epoch():
        model.fit(x, y, epochs=1, batch_size=1, shuffle=False, warm_start=True, learning_rate=W3_LEARNING_RATE)
    workload.add("nncore", System(timed_runs(epoch, put_back), lambda: copies(model.coefs_)))

    available, reason = peer("scikit-learn")
    if available:
        estimator = sklearn_peer.sgd_regressor(x, y, coefs, intercepts, W3_LEARNING_RATE, batch_size=1)
        workload.add("scikit-learn", System(
            timed_runs(lambda: sklearn_peer.quietly(estimator.partial_fit, x, y),
                       lambda: sklearn_peer.set_params(estimator, coefs, intercepts)),
            lambda: sklearn_peer.coefs_of(estimator)))
    else:
        workload.skip("scikit-learn", reason)

    available, reason = peer("PyTorch eager")
    if available:
        torch = torch_peer.torch
        net = torch_peer.mlp(coefs, intercepts, "tanh")
        trainer = torch_peer.TorchTrainer(net, x, y[:, None], 1, torch_peer.half_squared_error,
                                          torch.optim.SGD(net.parameters(), lr=W3_LEARNING_RATE))
        workload.add("PyTorch eager", System(
            timed_runs(trainer.epoch, lambda: torch_peer.set_params(net, coefs, intercepts)),
            lambda: torch_peer.coefs_of(net)))
    else:
        workload.skip("PyTorch eager", reason)

    available, reason = peer("FANN")
    if available:
        fann = FannNetwork(x, y[:, None], coefs, intercepts, algorithm="incremental",
                           hidden="sigmoid_symmetric", output="linear", steepness_hidden=1.0,
                           steepness_output=1.0, learning_rate=W3_LEARNING_RATE)
        workload.on_close(fann.close)
        workload.add("FANN", System(lambda count: fann.train(count, 1, restore=True)[0], fann.coefs,
                                    agree=AGREE_FANN_TANH))
    else:
        workload.skip("FANN", reason)
    return workload


# -- W4: digits, Adam, batches of 32 -------------------------------------------------------

def w4_workload(smoke):
    available, reason = peer("scikit-learn")
    if not available:
        return reason
    x, y = sklearn_peer.digits()
    if smoke:
        x, y = x[:SMOKE_SAMPLES["W4"]], y[:SMOKE_SAMPLES["W4"]]
    workload = Workload("W4", f"W4: digits, {x.shape[0]:,} samples, {'-'.join(map(str, W4_SIZES))} "
                        f"relu/softmax, Adam, batch {W4_BATCH}, float64", "epoch")
    model = nncore.MLP(W4_SIZES, activation="relu", output_activation="softmax", random_state=0)
    coefs, intercepts = copies(model.coefs_), copies(model.intercepts_)

    def epoch():
        model.fit(x, y, epochs=1, batch_size=W4_BATCH, optimizer="adam", shuffle=False, warm_start=True)

    systems = {"nncore": (epoch, lambda: copies(model.coefs_))}
    estimator = sklearn_peer.adam_classifier(x, y, coefs, intercepts, W4_LEARNING_RATE, W4_BATCH)
    check(np.allclose(estimator.predict_proba(x), model.predict(x), rtol=0, atol=1e-12),
          "W4: scikit-learn does not start from nncore's parameters")
    first_epochs = {"nncore": epoch, "scikit-learn": lambda: sklearn_peer.quietly(estimator.fit, x, y)}
    systems["scikit-learn"] = (lambda: sklearn_peer.quietly(estimator.partial_fit, x, y),
                               lambda: sklearn_peer.coefs_of(estimator))

    available, reason = peer("PyTorch eager")
    if available:
        torch = torch_peer.torch
        net = torch_peer.mlp(coefs, intercepts, "relu")
        with torch.no_grad():
            probabilities = torch.softmax(net(torch.from_numpy(x)), dim=1).numpy()
        check(np.allclose(probabilities, model.predict(x), rtol=0, atol=1e-12),
              "W4: PyTorch does not start from nncore's parameters")
        trainer = torch_peer.TorchTrainer(net, x, y.astype(np.int64), W4_BATCH, torch.nn.CrossEntropyLoss(),
                                          torch.optim.Adam(net.parameters(), lr=W4_LEARNING_RATE))
        first_epochs["PyTorch eager"] = trainer.epoch
        systems["PyTorch eager"] = (trainer.epoch, lambda: torch_peer.coefs_of(net))
    else:
        workload.skip("PyTorch eager", reason)

    # The first epoch, from the same parameters with fresh optimizers, is
    # the same work everywhere; the timed epochs continue from it.
    with threadpool_limits(limits=1, user_api="blas"):
        for run in first_epochs.values():
            run()
    tolerances = {"PyTorch eager": AGREE_TORCH_ADAM}
    workload.checks.append(agreement("W4: after one epoch from the same start",
                                     {name: (systems[name][1](), tolerances.get(name, AGREE_F64))
                                      for name in first_epochs}, "nncore", coefs))
    for name, (run, state) in systems.items():
        workload.add(name, System(timed_runs(run), state))
    return workload


# -- W9: two networks in two threads --------------------------------------------------------

def w9_workload(smoke):
    available, reason = peer("scikit-learn")  # for the digits
    if not available:
        return reason
    x, y = sklearn_peer.digits()
    if smoke:
        x, y = x[:SMOKE_SAMPLES["W9"]], y[:SMOKE_SAMPLES["W9"]]
    workload = Workload("W9", f"W9: two W4 networks ({x.shape[0]:,} samples, Adam, batch {W4_BATCH}), "
                              f"{W9_EPOCHS} epochs each", "fit pair")
    models = [nncore.MLP(W4_SIZES, activation="relu", output_activation="softmax", random_state=seed)
              for seed in (0, 1)]
    pool = ThreadPoolExecutor(max_workers=2)
    workload.on_close(pool.shutdown)

    def train(model):
        model.fit(x, y, epochs=W9_EPOCHS, batch_size=W4_BATCH, optimizer="adam", shuffle=False,
                  warm_start=True)

    def one_after_the_other():
        for model in models:
            train(model)

    def in_two_threads():
        for done in [pool.submit(train, model) for model in models]:
            done.result()

    def state():
        return copies([*models[0].coefs_, *models[1].coefs_])
    workload.add("nncore", System(timed_runs(one_after_the_other), state))
    workload.add("nncore 2 threads", System(timed_runs(in_two_threads), state))
    return workload


# -- W4-fit, W8: the estimators' whole fit ---------------------------------------------------

def estimator_workload(name, smoke):
    available, reason = peer("scikit-learn")
    if not available:
        return reason
    x, y = sklearn_peer.digits()
    label, params = ESTIMATOR_WORKLOADS[name]
    if smoke:
        x, y = x[:SMOKE_SAMPLES[name]], y[:SMOKE_SAMPLES[name]]
        params = dict(params, max_iter=SMOKE_MAX_ITER)
    workload = Workload(name, f"{name}: digits, {x.shape[0]:,} samples, `MLPClassifier` {label}, "
                              f"max_iter={params['max_iter']}, float64", "fit", kind="fit")
    fitted = {}
    for system, estimator_class in (("nncore", nncore.MLPClassifier),
                                    ("scikit-learn", sklearn_peer.MLPClassifier)):
        def fit(estimator_class=estimator_class, system=system):
            fitted[system] = sklearn_peer.quietly(estimator_class(**params).fit, x, y)
        workload.add(system, System(timed_runs(fit), lambda system=system: copies(fitted[system].coefs_)))
    # The estimators' initial draw, for the check that the fits did real work.
    sizes = [x.shape[1], *params.get("hidden_layer_sizes", (100,)), len(np.unique(y))]
    workload.start = copies(nncore.MLP(sizes, random_state=np.random.RandomState(params["random_state"])).coefs_)
    return workload


# -- W6: one prediction from Python -------------------------------------------------------

def w6_workload():
    workload = Workload("W6", f"W6: predict one sample, {'-'.join(map(str, W3_SIZES))} tanh, float64", "call",
                        kind="predict")
    model = nncore.MLP(W3_SIZES, activation="tanh", random_state=0)
    x = np.ascontiguousarray(regression_data(1)[0][0])
    out = np.empty(1)

    def nncore_call():
        model.predict(x, out=out)
    workload.add("nncore", System(timed_runs(nncore_call), lambda: out.copy()))

    (w1, w2, w3), (b1, b2, b3) = copies(model.coefs_), copies(model.intercepts_)

    def numpy_call():
        return np.tanh(np.tanh(x @ w1 + b1) @ w2 + b2) @ w3 + b3
    workload.add("NumPy", System(timed_runs(numpy_call), numpy_call))

    available, reason = peer("PyTorch eager")
    if available:
        torch = torch_peer.torch
        net = torch_peer.mlp(copies(model.coefs_), copies(model.intercepts_), "tanh")
        row = torch.from_numpy(x[None, :])

        def torch_calls(count):
            with torch.no_grad():
                for _ in range(count):
                    net(row)

        def torch_state():
            with torch.no_grad():
                return net(row).numpy()[0]
        workload.add("PyTorch eager", System(torch_calls, torch_state))
    else:
        workload.skip("PyTorch eager", reason)
    return workload


# -- measuring and checking -----------------------------------------------------------------

def run_once(system, count):
    """Seconds for ``count`` runs: the system's own timing, else the whole call's."""
    with threadpool_limits(limits=system.blas_threads, user_api="blas"):
        start = time.perf_counter()
        seconds = system.run(count)
        elapsed = time.perf_counter() - start
    return elapsed if seconds is None else seconds


def calibrate(system, batch_seconds):
    """(runs per timed batch so that a batch takes about batch_seconds, seconds per run)."""
    count = 1
    while True:
        elapsed = run_once(system, count)
        if elapsed >= batch_seconds / 4 or count >= 10**7:
            per_run = max(elapsed, 1e-9) / count
            return max(1, int(batch_seconds / per_run)), per_run
        count *= 4


def measure(workload, rounds, batch_seconds, budget_seconds):
    """Median seconds per unit for every system, systems taking turns. The
    rounds are cut (to no fewer than 5) when one round takes so long that
    they would not fit in ``budget_seconds``."""
    counts, round_seconds = {}, 0.0
    for name, system in workload.systems.items():
        counts[name], per_run = calibrate(system, batch_seconds)
        round_seconds += counts[name] * per_run
    rounds = max(min(rounds, 5), min(rounds, int(budget_seconds / max(round_seconds, 1e-9))))
    samples = {name: [] for name in workload.systems}
    for _ in range(rounds):
        for name, system in workload.systems.items():
            seconds = run_once(system, counts[name])
            samples[name].append(seconds / (counts[name] * workload.per))
    results = {name: {"median_s": statistics.median(s), "runs_per_batch": counts[name], "samples_s": s}
               for name, s in samples.items()}
    return results, rounds


def agreement(what, states, baseline, start):
    """Every system's change from ``start`` must be nonzero and finite, and
    match the baseline's within its tolerance. states: {name: (state, agree)}."""
    base = flat(states[baseline][0]) - flat(start)
    scale = np.abs(base).max()
    worst = {}
    for name, (state, agree) in states.items():
        change = flat(state) - flat(start)
        check(np.isfinite(change).all(), f"{what}: {name}'s weights are not finite")
        check(np.abs(change).max() > 0, f"{what}: {name}'s weights did not move (zero gradient)")
        if agree is not None and name != baseline:
            worst[name] = np.abs(change - base).max() / scale
            check(worst[name] <= agree, f"{what}: {name} differs from {baseline} by {worst[name]:.2g} "
                                        f"(relative to the largest change), more than {agree:g}")
    others = ", ".join(f"{name} {error:.1g}" for name, error in worst.items())
    return (f"{what}, every system's weights moved (largest change {scale:.3g} for {baseline}); "
            f"relative difference from {baseline}'s change: {others or 'no other system'}")


def flat(arrays):
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def check_after(workload):
    """After the timing: one more run of every system, then the checks."""
    name = workload.name
    if workload.kind == "fit":
        # Each run is a whole fit from the same initial draw: the fitted
        # weights must match nncore's.
        states = {}
        for system_name, system in workload.systems.items():
            run_once(system, 1)
            states[system_name] = (system.state(), system.agree)
        workload.checks.append(agreement(f"{name}: after the whole fit from the same initial draw",
                                         states, "nncore", workload.start))
        return
    if workload.kind == "predict":
        outputs = {system_name: flat([system.state()]) for system_name, system in workload.systems.items()}
        base = outputs["nncore"]
        for system_name, output in outputs.items():
            check(np.allclose(output, base, rtol=1e-12, atol=1e-12),
                  f"{name}: {system_name} predicts {output}, nncore {base}")
        workload.checks.append(f"{name}: every system predicts {base[0]:.15g} for the sample")
        return
    if workload.restore:
        # Every run starts from the same weights: after one more, all have
        # taken the same step (or epoch) from them.
        states = {}
        for system_name, system in workload.systems.items():
            run_once(system, 1)
            states[system_name] = (system.state(), system.agree)
        baseline = next(iter(workload.systems))
        what = f"{name}: after one {'epoch' if workload.unit == 'sample' else 'step'} from the same start"
        workload.checks.append(agreement(what, states, baseline, workload.start))
        return
    moved = []
    for system_name, system in workload.systems.items():
        before = system.state()
        run_once(system, 1)
        after = system.state()
        change = np.abs(flat(after) - flat(before)).max()
        check(np.isfinite(flat(after)).all(), f"{name}: {system_name}'s weights are not finite")
        check(change > 0, f"{name}: {system_name}'s last {workload.unit} did not move its weights (zero gradient)")
        moved.append(f"{system_name} {change:.2g}")
    workload.checks.append(f"{name}: after the timing, one more {workload.unit} moves every system's weights "
                           f"(largest change: {', '.join(moved)}; each system ran as many {workload.unit}s as "
                           "its timed batches needed, so they are at different points of training)")


def build(name, threads, smoke):
    """The workload, or a string saying why it cannot run here."""
    if name in TUTORIAL:
        return tutorial_workload(name, threads, smoke)
    if name == "W3":
        return w3_workload(smoke)
    if name == "W4":
        return w4_workload(smoke)
    if name == "W9":
        return w9_workload(smoke)
    if name in ESTIMATOR_WORKLOADS:
        return estimator_workload(name, smoke)
    return w6_workload()


# -- reporting ------------------------------------------------------------------------------

def environment():
    blas = [
        {k: info.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads",
                                  "threading_layer", "architecture", "filepath")}
        for info in threadpool_info()
    ]
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "nncore": nncore.__version__,
        "nncore_compile_args": COMPILE_ARGS,
        "blas": blas,
        "threads": "1 for every system unless its name says otherwise (threadpoolctl; torch.set_num_threads(1))",
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")},
        "sklearn": installed(sklearn_peer.sklearn_available()),
        "torch": installed(torch_peer.torch_available()),
        "fann": "libdoublefann, gcc -O2" if fann_available()[0] else "not available",
    }


def installed(availability):
    available, detail = availability
    return detail if available else "not installed"


def ratio(results, workload, system, baseline):
    systems = results.get(workload, {})
    if system not in systems or baseline not in systems:
        return None
    return systems[baseline]["median_s"] / systems[system]["median_s"]


def target_rows(results):
    rows = []
    for target in TARGETS:
        if target.baseline is None:
            measured = results.get(target.workload, {}).get(target.system, {}).get("median_s")
            met = None if measured is None else measured <= target.at_most
        else:
            measured = ratio(results, target.workload, target.system, target.baseline)
            met = None if measured is None else measured >= target.factor
        rows.append((target, measured, met))
    return rows


def format_seconds(t):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def table(results, meta, workloads, columns, baseline, speedup_of_baseline):
    """One row per workload; each cell the median and, in brackets, how many
    times faster than the baseline (speedup_of_baseline False) or how many
    times faster the baseline is (True)."""
    present = [c for c in columns if any(c in results[w] or c in meta[w]["skipped"] for w in workloads)]
    lines = ["| workload | " + " | ".join(present) + " |", "|---" * (len(present) + 1) + "|"]
    for w in workloads:
        systems, cells = results[w], []
        for name in present:
            if name in systems:
                t, base = systems[name]["median_s"], systems[baseline]["median_s"]
                factor = t / base if speedup_of_baseline else base / t
                cells.append(f"{format_seconds(t)} ({factor:.3g}×)")
            elif name in meta[w]["skipped"]:
                cells.append("skipped")
            else:
                cells.append("—")
        lines.append(f"| {meta[w]['label']} | " + " | ".join(cells) + " |")
    return lines


def markdown(results, meta, env, smoke, with_checks=True):
    lines = ["# Benchmark results", ""]
    if smoke:
        lines += ["**Smoke run: smaller data and too short to mean anything.**", ""]
    lines += [
        f"CPU: {env['cpu']} ({env['logical_cpus']} logical CPUs). Python {env['python']}, NumPy {env['numpy']}, "
        f"scikit-learn {env['sklearn']}, PyTorch {env['torch']}. nncore kernels built with "
        f"`{env['nncore_compile_args']}`.",
        "",
        "BLAS: " + "; ".join(f"{b['internal_api']} {b['version']} (`{os.path.basename(b['filepath'])}`, "
                             f"{b['architecture']} kernels, {b['threading_layer']})"
                             for b in env["blas"] if b["user_api"] == "blas") + ". "
        "NumPy (the reference, scikit-learn) loads the `openblas64_` build, SciPy (nncore) the other; "
        "PyTorch uses MKL.",
        f"Threads: {env['threads']}.",
        "",
    ]
    tutorial = [w for w in results if w == XOR_LOOP or w in TUTORIAL]
    if tutorial:
        lines += [
            "**The tutorial's step.** Median seconds per training step (feedforward + backprop over the whole "
            "batch; sigmoid, no biases, the sum of squared errors, step size 1), and how many times faster than "
            f"the reference, measured in the same run. The first row times the tutorial's whole XOR loop "
            f"({XOR_STEPS} steps from a fresh network) instead.",
            "",
            "- *reference*: `nncore.reference.NeuralNetwork`, the tutorial in NumPy (with the workload's widths). "
            "On float32 data it computes in float64, as written (its weights come from `np.random.rand`); "
            "*reference f32* is the same code with float32 weights.",
            "- *nncore per call*: `feedforward()` + `backprop()` called from Python; *nncore train()*: the same "
            "loop in compiled code.",
            "- *PyTorch eager*: the same tensor operations written out, no autograd (its fastest eager form).",
            "- *FANN*: `fann_train_epoch` with `FANN_TRAIN_BATCH`, double precision, from C, learning rate "
            "2 × n_samples (FANN averages the gradient and drops the 2); its networks also have biases, "
            "which start at zero and are trained too.",
            "- Every system starts from the same weights: W1 from the tutorial's `np.random.rand` draws, W2 and "
            "W5 from the same draws centred and scaled by 1/√fan-in. W1 trains on from round to round. On W2 "
            "and W5 one step of the tutorial's rule saturates every output (after which all gradients are "
            "zero), so each timed step there starts from the starting weights again, put back untimed.",
            "",
        ]
        lines += table(results, meta, tutorial, TUTORIAL_COLUMNS, "reference", False)
        lines.append("")
    mlp = [w for w in results if w in MLP_WORKLOADS]
    if mlp:
        lines += [
            "**MLP workloads** (`nncore.MLP`, float64, biases). Median time per sample (W3), per epoch (W4), "
            "per call (W6), per pair of fits (W9) or per whole fit (W4-fit, W8), and in brackets that time over nncore's: how many times faster nncore is.",
            "",
            f"- *W3*: synthetic regression samples, squared error, plain SGD, learning rate "
            f"2⁻⁷, one sample per step in order. *nncore*: `MLP.fit(epochs=1, batch_size=1, shuffle=False, "
            "warm_start=True)`; *scikit-learn*: `MLPRegressor(solver=\"sgd\", batch_size=1, momentum=0, "
            "alpha=0, shuffle=False).partial_fit`; *PyTorch eager*: `nn.Linear`/`nn.Tanh`, autograd and "
            "`torch.optim.SGD`, a Python loop over the samples; *FANN*: `fann_train_epoch` with "
            "`FANN_TRAIN_INCREMENTAL`, `FANN_SIGMOID_SYMMETRIC` hidden (steepness 1: tanh), `FANN_LINEAR` "
            "output, from C. Each timed epoch starts from the same weights, put back untimed.",
            "- *W4*: scikit-learn's digits (1,797 images, scaled to [0, 1]), cross-entropy, Adam (learning rate "
            f"0.001), batches of {W4_BATCH} in order. *nncore*: `MLP.fit(epochs=1, batch_size=32, "
            "optimizer=\"adam\", shuffle=False, warm_start=True)`; *scikit-learn*: `MLPClassifier(solver="
            "\"adam\", batch_size=32, alpha=0, shuffle=False).partial_fit`; *PyTorch eager*: `nn.Linear`/"
            "`nn.ReLU`, `nn.CrossEntropyLoss`, `torch.optim.Adam`, a Python loop over the batches. They "
            "train on from epoch to epoch.",
            f"- *W9*: two networks of W4's shape train {W9_EPOCHS} epochs each (`MLP.fit(epochs={W9_EPOCHS}, ...)`), one after "
            "the other (*nncore*) or at once in two Python threads (*nncore 2 threads*; `fit` releases the "
            "GIL for its compiled epochs); BLAS on one thread in both.",
            "- *W4-fit*, *W8*: the whole `fit` of `nncore.MLPClassifier` and of scikit-learn's, the same "
            "parameters (`random_state=0`, shuffling, `alpha=1e-4`, the stopping rule) on the same digits; "
            "each must end with scikit-learn's `coefs_`. W4-fit: `hidden_layer_sizes=(32,), solver=\"adam\", "
            "batch_size=32, max_iter=30`; W8: scikit-learn's defaults (`(100,)`, relu, adam, batches of 200) "
            "with `max_iter=50`.",
            "- *W6*: *nncore*: `MLP.predict(x, out=out)` on one sample with `out` preallocated; *NumPy*: "
            "`np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2) @ W3 + b3`; *PyTorch eager*: the `nn.Sequential` "
            "called on a 1-row tensor inside one `torch.no_grad()` block per timed batch.",
            "",
        ]
        lines += table(results, meta, mlp, MLP_COLUMNS, "nncore", True)
        lines.append("")
    skipped = {}
    for w in results:
        skipped.update(meta[w]["skipped"])
    for w, reason in meta.items():
        if w not in results and reason.get("not_run"):
            skipped[w] = reason["not_run"]
    if skipped:
        lines += ["Skipped: " + "; ".join(f"{name}: {reason}" for name, reason in skipped.items()) + ".", ""]
    lines += ["Targets:", "", "| workload | system | vs | target | measured | |", "|---|---|---|---|---|---|"]
    for target, measured, met in target_rows(results):
        verdict = "not measured" if met is None else ("met" if met else "missed")
        if target.baseline is None:
            goal, shown, vs = f"≤ {format_seconds(target.at_most)}", \
                "—" if measured is None else format_seconds(measured), "(time per call)"
        else:
            goal, shown, vs = f"≥ {target.factor}×", "—" if measured is None else f"{measured:.2f}×", \
                target.baseline
        lines.append(f"| {target.workload} | {target.system} | {vs} | {goal} | {shown} | {verdict} |")
    lines.append("")
    if with_checks:
        lines += ["Checks, run after the timing (the script stops if one fails):", ""]
        lines += [f"- {line}" for w in meta.values() for line in w.get("checks", [])]
        lines += [
            "",
            "Where systems differ by more than rounding: FANN clips the derivative of its tanh at |tanh| = 0.98 "
            "(a NumPy copy of the W3 loop with that clip matches FANN to 4e-8), and torch.optim.Adam adds "
            "epsilon after the bias correction where scikit-learn and nncore add it before (with epsilon = "
            "1e-30 the three agree to 1e-15 after W4's first epoch).",
            "",
        ]
    else:
        lines += ["`bench/RESULTS.md` also lists the checks that every system did the same, real work.", ""]
    return "\n".join(lines)


def update_readme(results_markdown, estimator_markdown):
    """Put the results (without their title) between the README's markers,
    and the estimators' rows between theirs."""
    text = README.read_text()
    text = replace_between(text, README_MARKERS, results_markdown.split("\n", 2)[2].strip())
    text = replace_between(text, README_ESTIMATOR_MARKERS, estimator_markdown)
    README.write_text(text)


def replace_between(text, markers, body):
    start, end = markers
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    return f"{before}{start}\n{body}\n{end}{after}"


def estimator_rows(results, meta, env):
    """The estimators' whole-fit rows and their targets, for the README."""
    lines = [f"Measured by `bench/run.py` (median of interleaved rounds, one BLAS thread, "
             f"{env['cpu']}); the fitted `coefs_` match scikit-learn's (checked after the timing):",
             "", "| workload | nncore | scikit-learn | nncore is | target |", "|---|---|---|---|---|"]
    for target in TARGETS:
        if target.workload not in ESTIMATOR_WORKLOADS or target.workload not in results:
            continue
        systems = results[target.workload]
        factor = ratio(results, target.workload, target.system, target.baseline)
        verdict = "met" if factor >= target.factor else "missed"
        lines.append(f"| {meta[target.workload]['label']} | {format_seconds(systems['nncore']['median_s'])} "
                     f"| {format_seconds(systems['scikit-learn']['median_s'])} | {factor:.1f}× faster "
                     f"| ≥ {target.factor}× ({verdict}) |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few short rounds on smaller data, only to check "
                                                             "the script runs")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per system (default 15; smoke 3)")
    parser.add_argument("--batch-seconds", type=float, default=None, help="length of one timed batch (default 0.2)")
    parser.add_argument("--budget-seconds", type=float, default=90.0,
                        help="fewer rounds (at least 5) for a workload whose rounds would take longer (default 90)")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for the multi-thread row (default 2)")
    parser.add_argument("--output", type=pathlib.Path, default=HERE, help="folder for results.json and RESULTS.md")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.smoke else 15)
    batch_seconds = args.batch_seconds or (0.01 if args.smoke else 0.2)
    if torch_peer.torch is not None:
        torch_peer.torch.set_num_threads(1)

    env = environment()
    results, meta = {}, {}
    results[XOR_LOOP], meta[XOR_LOOP] = measure_xor_loop(rounds)
    for name in args.workloads:
        began = time.perf_counter()
        workload = build(name, args.threads, args.smoke)
        if isinstance(workload, str):
            meta[name] = {"not_run": workload}
            print(f"{name:8} skipped: {workload}")
            continue
        try:
            results[name], used_rounds = measure(workload, rounds, batch_seconds, args.budget_seconds)
            check_after(workload)
        finally:
            workload.close()
        meta[name] = {"label": workload.label, "unit": workload.unit, "rounds": used_rounds,
                      "skipped": workload.skipped, "checks": workload.checks}
        for system, r in results[name].items():
            print(f"{name:8} {system:28} {format_seconds(r['median_s']):>10} per {workload.unit}")
        for line in workload.checks:
            print(f"{name:8} check: {line}")
        print(f"{name:8} {used_rounds} rounds, {time.perf_counter() - began:.1f} s in all")
    args.output.mkdir(parents=True, exist_ok=True)
    document = {"environment": env, "smoke": args.smoke, "workloads": meta, "results": results}
    (args.output / "results.json").write_text(json.dumps(document, indent=1))
    (args.output / "RESULTS.md").write_text(markdown(results, meta, env, args.smoke))
    print(f"wrote {args.output / 'results.json'} and {args.output / 'RESULTS.md'}")
    if not args.smoke and args.output == HERE:
        update_readme(markdown(results, meta, env, args.smoke, with_checks=False),
                      estimator_rows(results, meta, env))
        print(f"updated the table in {README}")


if __name__ == "__main__":
    main()
