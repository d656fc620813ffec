"""FANN as a benchmark peer: the C harness (bench/fann_harness.c) as a
process that stays up, so its timed runs take turns with the other systems'.

The harness trains the same network on the same data from the same starting
parameters; it times itself, so the pipe's latency is not counted.
"""
import functools
import hashlib
import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile

import numpy as np

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fann_harness.c")
LIBS = ["-ldoublefann", "-lm"]
CFLAGS = ["-O2"]


def _compiler():
    cc = shlex.split(sysconfig.get_config_var("CC") or "")
    if cc and shutil.which(cc[0]):
        return cc
    return ["gcc"]


@functools.lru_cache(maxsize=None)
def _build():
    """Compile once; returns (exe_path or None, error_message)."""
    cc = _compiler()
    with open(HARNESS, "rb") as f:
        src = f.read()
    # Key the binary on source, compiler and flags so edits trigger a rebuild.
    key = hashlib.sha256(src + " ".join(cc + CFLAGS + LIBS).encode()).hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), "nncore-bench-fann")
    os.makedirs(cache, exist_ok=True)
    exe = os.path.join(cache, "fann_harness-" + key)
    if os.path.exists(exe):
        return exe, ""
    tmp = exe + ".%d.tmp" % os.getpid()
    cmd = cc + CFLAGS + [HARNESS, "-o", tmp] + LIBS
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        return None, "cannot run compiler %r: %s" % (cc[0], exc)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        detail = [ln for ln in lines if "error" in ln or "cannot" in ln][:3] or lines[-3:]
        return None, ("cannot compile/link against doublefann.h "
                      "(is libfann-dev installed?): " + " | ".join(detail))
    os.replace(tmp, exe)  # atomic, so concurrent runs never see a partial file
    return exe, ""


def fann_available():
    """Return (True, "") if the harness builds, else (False, reason)."""
    exe, err = _build()
    return exe is not None, err


class FannNetwork:
    """One FANN network (double precision) in a harness process.

    Parameters
    ----------
    x, y : ndarray, shape (n_samples, n_in) and (n_samples, n_out)
    coefs, intercepts : lists of ndarray
        Starting parameters in nncore's shapes, (n_in, n_out) and (n_out,).
        FANN networks always have biases: pass zeros for a network without.
    algorithm : "batch" or "incremental"
    hidden, output : "sigmoid", "sigmoid_symmetric" or "linear"
    steepness_hidden, steepness_output : float
        FANN computes sigmoid(2 s x) for "sigmoid" and tanh(s x) for
        "sigmoid_symmetric"; s = 0.5 gives the logistic function, s = 1 tanh.
    learning_rate : float
        FANN stores it as a float. Batch training steps by
        learning_rate / n_samples times the summed gradient.
    """

    def __init__(self, x, y, coefs, intercepts, *, algorithm, hidden, output,
                 steepness_hidden, steepness_output, learning_rate):
        exe, err = _build()
        if exe is None:
            raise RuntimeError("FANN peer unavailable: " + err)
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64).reshape(x.shape[0], -1)
        self.sizes = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
        self._dir = tempfile.mkdtemp(prefix="nncore-bench-fann-")
        self._data = os.path.join(self._dir, "data.f64")
        self._params = os.path.join(self._dir, "params.f64")
        with open(self._data, "wb") as f:
            f.write(x.tobytes())
            f.write(y.tobytes())
            f.write(flatten(coefs, intercepts).tobytes())
        args = [exe, self._data, algorithm, hidden, output, repr(float(steepness_hidden)),
                repr(float(steepness_output)), repr(float(learning_rate)), str(x.shape[0])]
        self._proc = subprocess.Popen(args + [str(s) for s in self.sizes], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, bufsize=1)

    def _ask(self, command):
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        if not answer:
            code = self._proc.wait()
            raise RuntimeError(f"fann_harness exited ({code}) on {command!r}")
        return answer.split()

    def train(self, count, epochs=1, restore=False):
        """``count`` x (restore the starting parameters if asked, untimed;
        ``epochs`` x fann_train_epoch, timed). Returns (seconds, last MSE)."""
        seconds, mse = self._ask(f"train {int(count)} {int(epochs)} {int(bool(restore))}")
        return float(seconds), float(mse)

    def params(self):
        """The current parameters, flat, in nncore's layout."""
        self._ask(f"params {self._params}")
        return np.fromfile(self._params, dtype=np.float64)

    def coefs(self):
        """The current weights (without biases), as nncore's coefs_."""
        flat, out, at = self.params(), [], 0
        for n_in, n_out in zip(self.sizes, self.sizes[1:]):
            out.append(flat[at:at + n_in * n_out].reshape(n_in, n_out))
            at += (n_in + 1) * n_out
        return out

    def outputs(self, i):
        """The network's outputs for sample ``i``."""
        return np.array([float(v) for v in self._ask(f"outputs {int(i)}")])

    def close(self):
        if self._proc.poll() is None:
            self._proc.stdin.write("quit\n")
            self._proc.stdin.close()
            self._proc.wait()
        for name in (self._data, self._params):
            if os.path.exists(name):
                os.remove(name)
        os.rmdir(self._dir)


def flatten(coefs, intercepts):
    """Per layer, the weights (row major) then the biases: nncore's layout."""
    parts = []
    for w, b in zip(coefs, intercepts):
        parts += [np.asarray(w, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()]
    return np.concatenate(parts)
