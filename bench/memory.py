"""Peak memory of one whole estimator fit, measured in a fresh process per
system so that neither inherits the other's heap.

The child loads the workload's data from a file (building it there would
leave freed temporaries resident, for the fit to reuse unseen), then
resets the kernel's peak resident set size (/proc/self/clear_refs) and
fits: the fit's peak is the peak after the reset, and its growth is that
minus the resident size just before the fit (Python, the libraries and the
data).
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import scipy.sparse as sp

HERE = pathlib.Path(__file__).resolve().parent


def fit_peak_memory(system, x, y, params):
    """{"before_mb", "peak_mb", "growth_mb"} of ``system``'s fit of (x, y)
    (x sparse) with the estimator's ``params``."""
    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        sp.save_npz(folder / "x.npz", sp.csr_matrix(x), compressed=False)
        np.save(folder / "y.npy", y)
        (folder / "params.json").write_text(json.dumps(params))
        command = [sys.executable, str(HERE / "memory.py"), system, str(folder)]
        run = subprocess.run(command, capture_output=True, text=True, check=True, timeout=3600)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _status_mb(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def _measure(system, folder):
    import gc
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from threadpoolctl import threadpool_limits

    import nncore

    folder = pathlib.Path(folder)
    x, y = sp.load_npz(folder / "x.npz"), np.load(folder / "y.npy")
    params = json.loads((folder / "params.json").read_text())
    estimator_class = nncore.MLPClassifier if system == "nncore" else MLPClassifier
    gc.collect()
    pathlib.Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    before = _status_mb("VmRSS")
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator_class(**params).fit(x, y)
    peak = _status_mb("VmHWM")
    return {"before_mb": round(before, 1), "peak_mb": round(peak, 1), "growth_mb": round(peak - before, 1)}


if __name__ == "__main__":
    print(json.dumps(_measure(sys.argv[1], sys.argv[2])))
