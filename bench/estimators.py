"""W4-fit, W8, W12: whole ``fit`` calls of ``nncore.MLPClassifier`` and
scikit-learn's, with the same parameters, on the digits (W12: on sparse
text features); both must end with the same ``coefs_``. W12 also measures
each system's peak memory during the fit (memory.py)."""
import numpy as np

import nncore
import sklearn_peer
from digits import digits_data
from memory import fit_peak_memory
from sparse_text import sparse_text_data
from timing import timed_runs
from workload import System, Workload, copies, peer

# name: (label, MLPClassifier parameters)
ESTIMATOR_WORKLOADS = {
    "W4-fit": ("hidden (32,), adam, batch 32",
               dict(hidden_layer_sizes=(32,), solver="adam", batch_size=32, max_iter=30, random_state=0)),
    "W8": ("scikit-learn's defaults (hidden (100,), relu, adam, batch 200)",
           dict(max_iter=50, random_state=0)),
    "W12": ("hidden (64,), relu, adam, batch 200",
            dict(hidden_layer_sizes=(64,), max_iter=5, random_state=0)),
}
SMOKE_MAX_ITER = 3
# Workloads also run with deterministic=True (every product in nncore's kernels).
DETERMINISTIC_WORKLOADS = ("W8",)
# Workloads whose peak memory is measured too.
MEMORY_WORKLOADS = ("W12",)


def estimator_data(name, smoke):
    """(X, y, a description of them) for an estimator workload."""
    if name == "W12":
        x, y = sparse_text_data(smoke)
        density = x.nnz / (x.shape[0] * x.shape[1])
        return x, y, (f"sparse TF-IDF text features, {x.shape[0]:,} x {x.shape[1]:,} CSR at "
                      f"{density:.2%} density, 20 classes")
    x, y = digits_data(smoke)
    return x, y, f"digits, {x.shape[0]:,} samples"


def estimator_params(name, smoke):
    label, params = ESTIMATOR_WORKLOADS[name]
    return label, dict(params, max_iter=SMOKE_MAX_ITER) if smoke else params


def estimator_workload(name, smoke):
    available, reason = peer("scikit-learn")
    if not available:
        return reason
    x, y, data = estimator_data(name, smoke)
    label, params = estimator_params(name, smoke)
    workload = Workload(name, f"{name}: {data}, `MLPClassifier` {label}, "
                              f"max_iter={params['max_iter']}, float64", "fit", kind="fit")
    fitted = {}
    systems = [("nncore", nncore.MLPClassifier, {}), ("scikit-learn", sklearn_peer.MLPClassifier, {})]
    if name in DETERMINISTIC_WORKLOADS:
        systems.insert(1, ("nncore deterministic", nncore.MLPClassifier, {"deterministic": True}))
    for system, estimator_class, own in systems:
        def fit(estimator_class=estimator_class, system=system, own=own):
            fitted[system] = sklearn_peer.quietly(estimator_class(**params, **own).fit, x, y)
        workload.add(system, System(timed_runs(fit), lambda system=system: copies(fitted[system].coefs_)))
    # The estimators' initial draw, for the check that the fits did real work.
    sizes = [x.shape[1], *params.get("hidden_layer_sizes", (100,)), len(np.unique(y))]
    workload.start = copies(nncore.MLP(sizes, random_state=np.random.RandomState(params["random_state"])).coefs_)
    if name in MEMORY_WORKLOADS:
        workload.memory = {system: fit_peak_memory(system, x, y, params)
                           for system in ("nncore", "scikit-learn")}
    return workload
