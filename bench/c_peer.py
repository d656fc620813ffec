"""nncore's C export as a benchmark peer: ``MLP.to_c`` compiled with
``gcc -std=c99 -O2 -ffp-contract=off`` into a shared library, called
through ctypes with the argument pointers prepared once."""
import ctypes
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np

COMPILER = shutil.which("gcc") or shutil.which("cc")
FLAGS = ["-std=c99", "-O2", "-ffp-contract=off", "-fPIC", "-shared"]


def c_export_available():
    if COMPILER is None:
        return False, "no C compiler (gcc or cc) on PATH"
    return True, f"{pathlib.Path(COMPILER).name} {' '.join(FLAGS[:3])}"


class CompiledNetwork:
    """The exported network in a shared library: ``predict_one`` on the
    bound row, ``predict_batch`` on the bound rows."""

    def __init__(self, model):
        self.folder = tempfile.TemporaryDirectory(prefix="nncore-bench-c-")
        folder = pathlib.Path(self.folder.name)
        model.to_c(folder, "net")
        library = folder / "libnet.so"
        subprocess.run([COMPILER, *FLAGS, str(folder / "net.c"), "-o", str(library)], check=True)
        self.library = ctypes.CDLL(str(library))
        self.dtype = np.dtype(model.dtype)
        self.n_outputs = model.n_outputs
        self._predict = self.library.net_predict
        self._predict.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._predict.restype = None
        self._batch = self.library.net_predict_batch
        self._batch.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
        self._batch.restype = None

    def bind(self, X):
        """Rows to predict from now on; returns the output array they go to."""
        self.x = np.ascontiguousarray(X, dtype=self.dtype)
        self.y = np.empty((len(self.x) if self.x.ndim == 2 else 1, self.n_outputs), dtype=self.dtype)
        self._x_address, self._y_address = self.x.ctypes.data, self.y.ctypes.data
        return self.y

    def predict_one(self):
        self._predict(self._x_address, self._y_address)

    def predict_batch(self):
        self._batch(self._x_address, len(self.x), self._y_address)

    def close(self):
        self.folder.cleanup()


def add_c_export(workload, model, X, batch):
    """The "C export (ctypes)" system of ``workload``: ``predict_batch`` on
    the rows X if ``batch``, else ``predict`` on the one row X; skipped
    without a compiler."""
    from workload import System, peer
    from timing import timed_runs

    available, reason = peer("C export")
    if not available:
        workload.skip("C export (ctypes)", reason)
        return
    compiled = CompiledNetwork(model)
    workload.on_close(compiled.close)
    y = compiled.bind(X)
    call = compiled.predict_batch if batch else compiled.predict_one
    workload.add("C export (ctypes)", System(timed_runs(call), lambda: call() or y.copy()))
