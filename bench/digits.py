"""W4: an epoch of Adam, batches of 32, on scikit-learn's digits, for
nncore, scikit-learn and PyTorch; and the digits that the other workloads
on them (threads, estimators) load too."""
import numpy as np
from threadpoolctl import threadpool_limits

import nncore
import sklearn_peer
import torch_peer
from checks import AGREE_F64, AGREE_TORCH_ADAM, agreement, check
from timing import timed_runs
from workload import System, Workload, copies, peer

W4_SIZES = (64, 32, 10)
W4_BATCH = 32
W4_LEARNING_RATE = 1e-3
# --smoke: fewer samples, so the slow systems finish quickly.
SMOKE_SAMPLES = 160


def digits_data(smoke):
    """scikit-learn's digits (the first SMOKE_SAMPLES of them with ``smoke``)."""
    x, y = sklearn_peer.digits()
    if smoke:
        x, y = x[:SMOKE_SAMPLES], y[:SMOKE_SAMPLES]
    return x, y


def w4_workload(smoke):
    available, reason = peer("scikit-learn")
    if not available:
        return reason
    x, y = digits_data(smoke)
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
