"""Run the FANN C harness (bench/fann_harness.c) as a benchmark peer."""
import functools
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fann_harness.c")
LIBS = ["-ldoublefann", "-lm"]


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
    # Key the binary on source, compiler and libs so edits trigger a rebuild.
    key = hashlib.sha256(src + " ".join(cc + LIBS).encode()).hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), "nncore-bench-fann")
    os.makedirs(cache, exist_ok=True)
    exe = os.path.join(cache, "fann_harness-" + key)
    if os.path.exists(exe):
        return exe, ""
    tmp = exe + ".%d.tmp" % os.getpid()
    cmd = cc + ["-O2", HARNESS, "-o", tmp] + LIBS
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as exc:
        return None, "cannot run compiler %r: %s" % (cc[0], exc)
    if proc.returncode != 0:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        detail = [ln for ln in lines
                  if "error" in ln or "cannot" in ln][:3] or lines[-3:]
        return None, ("cannot compile/link against doublefann.h "
                      "(is libfann-dev installed?): " + " | ".join(detail))
    os.replace(tmp, exe)  # atomic, so concurrent runs never see a partial file
    return exe, ""


def fann_available():
    """Return (True, "") if the harness builds, else (False, reason)."""
    exe, err = _build()
    return exe is not None, err


def run_fann(n_samples, n_in, n_hidden, n_out, epochs, repeats, seed=0):
    """Train FANN in C and return seconds per epoch for each repeat."""
    exe, err = _build()
    if exe is None:
        raise RuntimeError("FANN peer unavailable: " + err)
    args = [n_samples, n_in, n_hidden, n_out, epochs, repeats, seed]
    proc = subprocess.run([exe] + [str(int(a)) for a in args],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("fann_harness failed (%d): %s"
                           % (proc.returncode, proc.stderr.strip()))
    result = json.loads(proc.stdout)
    return [float(s) for s in result["seconds_per_epoch"]]
