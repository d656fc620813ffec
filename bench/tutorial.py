"""The tutorial's training step (feedforward + backprop over the whole
batch) at several sizes, from XOR (W1) to large layers (W5, W5-f32), and
its whole XOR loop (XOR-1500)."""
import numpy as np

import nncore
import torch_peer
from checks import AGREE_F32, AGREE_F64
from fann_peer import FannNetwork
from nncore import reference
from nncore._data import XOR_X, XOR_Y
from timing import measure_fresh_runs, timed_runs
from workload import System, Workload, copies, peer

# name: (n_samples, n_in, hidden, n_out, dtype)
TUTORIAL = {
    "W1": (4, 3, 4, 1, np.float64),
    "W2": (256, 64, 128, 10, np.float64),
    "W5": (2048, 784, 256, 10, np.float64),
    "W5-f32": (2048, 784, 256, 10, np.float32),
}
# --smoke: fewer samples, so the slow systems finish quickly.
SMOKE_SAMPLES = {"W2": 64, "W5": 128, "W5-f32": 128}

XOR_LOOP = "XOR-1500"
XOR_STEPS = 1500


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

    def ours(deterministic=False):
        return nncore.NeuralNetwork(x, y, hidden=hidden, dtype=dtype, deterministic=deterministic)

    ref = reference.NeuralNetwork(x, y)
    ref.weights1, ref.weights2 = weights1.copy(), weights2.copy()
    workload.add("reference", python_system(ref))
    workload.add("nncore per call", python_system(ours(), agree))
    workload.add("nncore train()", python_system(ours(), agree, compiled=True))
    if name != "W1":  # W1's products are below BLAS's threshold: the same loops either way
        workload.add("nncore train() deterministic", python_system(ours(True), agree, compiled=True))
    if dtype == np.float32:
        # As written, the tutorial computes in float64 here (rand() weights);
        # "reference f32" is the same code with float32 weights.
        ref32 = reference.NeuralNetwork(x, y)
        ref32.weights1, ref32.weights2 = weights1.astype(dtype), weights2.astype(dtype)
        workload.add("reference f32", python_system(ref32, AGREE_F32))
    if threads > 1 and name.startswith("W5"):
        workload.add(f"nncore train() {threads} threads",
                     python_system(ours(), agree, blas_threads=threads, compiled=True))
        # nncore's own products, activations and update, split over its threads.
        workload.add(f"nncore train() deterministic {threads} threads",
                     python_system(ours(True), agree, blas_threads=threads, compiled=True))

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

    def fresh(network_class):
        def start():
            np.random.seed(1)
            return network_class(x, y)
        return start

    def steps(network):
        return [(network.feedforward(), network.backprop()) for _ in range(XOR_STEPS)]

    results = measure_fresh_runs({
        "reference": (fresh(reference.NeuralNetwork), steps),
        "nncore per call": (fresh(nncore.NeuralNetwork), steps),
        "nncore train()": (fresh(nncore.NeuralNetwork), lambda network: network.train(XOR_STEPS)),
    }, rounds)
    meta = {"label": f"tutorial XOR loop: {XOR_STEPS} steps, whole loop", "unit": "loop", "rounds": rounds,
            "skipped": {}, "checks": []}
    return results, meta
