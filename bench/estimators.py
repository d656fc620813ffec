"""W4-fit, W8: whole ``fit`` calls of ``nncore.MLPClassifier`` and
scikit-learn's, with the same parameters, on the digits; both must end with
the same ``coefs_``."""
import numpy as np

import nncore
import sklearn_peer
from digits import digits_data
from timing import timed_runs
from workload import System, Workload, copies, peer

# name: (label, MLPClassifier parameters)
ESTIMATOR_WORKLOADS = {
    "W4-fit": ("hidden (32,), adam, batch 32",
               dict(hidden_layer_sizes=(32,), solver="adam", batch_size=32, max_iter=30, random_state=0)),
    "W8": ("scikit-learn's defaults (hidden (100,), relu, adam, batch 200)",
           dict(max_iter=50, random_state=0)),
}
SMOKE_MAX_ITER = 3


def estimator_workload(name, smoke):
    available, reason = peer("scikit-learn")
    if not available:
        return reason
    x, y = digits_data(smoke)
    label, params = ESTIMATOR_WORKLOADS[name]
    if smoke:
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
