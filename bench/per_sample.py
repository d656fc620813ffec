"""One sample at a time from Python, on a 10-32-32-1 tanh regression
network: per-sample SGD (W3) and one prediction (W6)."""
import numpy as np

import nncore
import sklearn_peer
import torch_peer
from c_peer import add_c_export
from checks import AGREE_FANN_TANH
from fann_peer import FannNetwork
from onnx_peer import OnnxNetwork
from timing import timed_runs
from workload import System, Workload, copies, peer

W3_SIZES = (10, 32, 32, 1)
W3_SAMPLES = 10_000
W3_SMOKE_SAMPLES = 200
# A power of two, so FANN (which keeps its learning rate as a float) steps
# by exactly the same amount as the others.
W3_LEARNING_RATE = 2.0 ** -7


def regression_data(n_samples, n_in=10, seed=0):
    """A smooth nonlinear target with a little noise: the networks can fit it."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, n_in))
    direction = rng.standard_normal(n_in) / np.sqrt(n_in)
    y = np.sin(2 * x @ direction) + 0.3 * np.tanh(x[:, 0] * x[:, 1]) + 0.05 * rng.standard_normal(n_samples)
    return x, y


def w3_workload(smoke):
    n_samples = W3_SMOKE_SAMPLES if smoke else W3_SAMPLES
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

    available, reason = peer("ONNX Runtime")
    if available:
        session = OnnxNetwork(model, threads=1)
        one_row = x[None, :]
        workload.add("ONNX Runtime", System(timed_runs(lambda: session.run(one_row)),
                                            lambda: session.run(one_row)[0]))
    else:
        workload.skip("ONNX Runtime", reason)

    add_c_export(workload, model, x, batch=False)
    return workload
