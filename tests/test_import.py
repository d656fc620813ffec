"""`import nncore` stays cheap: SciPy's BLAS, and with it scipy.linalg, is
looked up when the first engine is built, not when nncore loads.

Each check runs in a fresh interpreter, where nothing has been imported yet.
"""
import subprocess
import sys

import pytest

import nncore._kernels

# How much longer `import nncore` (numpy included) may take than `import numpy`.
MAX_RATIO = 1.5
RUNS = 7
ROUNDS = 3

TIME_IMPORT = "import time; start = time.perf_counter(); import {}; print(time.perf_counter() - start)"

# Under AddressSanitizer and -O0 the timings say nothing about a release build.
DEBUG_BUILD = "-fsanitize=address" in nncore._kernels.COMPILE_ARGS or "-O0" in nncore._kernels.COMPILE_ARGS


def run(code, folder):
    # -I and an empty folder: the installed package, never a source checkout.
    result = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=folder)
    assert result.returncode == 0, result.stderr
    return result.stdout


def import_seconds(module, folder):
    # Timed inside the child, so the interpreter's own start-up is left out.
    return float(run(TIME_IMPORT.format(module), folder))


def test_importing_nncore_does_not_import_scipy_linalg(tmp_path):
    code = "import sys, {}; print('scipy.linalg' in sys.modules, 'scipy.optimize' in sys.modules)"
    for module in ("nncore", "nncore.cli"):  # nncore.cli: every run of the command
        assert run(code.format(module), tmp_path).split() == ["False", "False"], module


@pytest.mark.skipif(DEBUG_BUILD, reason="timings of a debug (-O0, AddressSanitizer) build")
def test_import_costs_at_most_one_and_a_half_numpy_imports(tmp_path):
    # The minimum over interleaved runs is the run least disturbed by other
    # work on the machine; a noisy machine gets further rounds. A regression
    # such as importing scipy.linalg again costs several numpy imports.
    ratios = []
    for _ in range(ROUNDS):
        numpy_times, nncore_times = [], []
        for _ in range(RUNS):
            numpy_times.append(import_seconds("numpy", tmp_path))
            nncore_times.append(import_seconds("nncore", tmp_path))
        ratios.append(min(nncore_times) / min(numpy_times))
        if ratios[-1] <= MAX_RATIO:
            return
    pytest.fail(f"import nncore took {min(ratios):.2f}x as long as import numpy at best "
                f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}), expected at most {MAX_RATIO}x")


ENGINE_AFTER_LAZY_LOAD = """
import sys
import numpy as np
import nncore

assert "scipy.linalg" not in sys.modules
dtype = np.{dtype}
rng = np.random.default_rng(0)
x = rng.standard_normal((512, 200)).astype(dtype)
y = np.tanh(x[:, :3]).astype(dtype)
model = nncore.MLP((200, 128, 3), activation="tanh", dtype=dtype, random_state=0)
assert "scipy.linalg" in sys.modules  # building the engine found the BLAS
assert model._engine.uses_blas(0, 512) and model._engine.uses_blas(1, 512)
history = model.fit(x, y, epochs=3)
assert history.loss[-1] < history.loss[0], history.loss
(w0, w1), (b0, b1) = model.coefs_, model.intercepts_
expected = np.tanh(x @ w0 + b0) @ w1 + b1
np.testing.assert_allclose(model.predict(x), expected, rtol={rtol}, atol={rtol})
"""


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-10), ("float32", 1e-4)])
def test_engine_fits_and_predicts_through_blas_found_on_first_use(tmp_path, dtype, rtol):
    run(ENGINE_AFTER_LAZY_LOAD.format(dtype=dtype, rtol=rtol), tmp_path)


KERNEL_VIEW_AFTER_LAZY_LOAD = """
import sys
import numpy as np
from nncore import _kernel_views as kernels

assert "scipy.linalg" not in sys.modules
dtype = np.{dtype}
rng = np.random.default_rng(0)
x = rng.standard_normal((64, 32)).astype(dtype)
w = rng.standard_normal((32, 16)).astype(dtype)
b = rng.standard_normal(16).astype(dtype)
delta = rng.standard_normal((64, 16)).astype(dtype)
{call}
np.testing.assert_allclose(out, expected, rtol={rtol}, atol={rtol})
"""

KERNEL_CALLS = {
    "dense_forward": "out = np.empty((64, 16), dtype); expected = x @ w + b\n"
                     "kernels.dense_forward(x, w, b, out, use_blas=True)",
    "dense_backward_input": "out = np.empty((64, 32), dtype); expected = delta @ w.T\n"
                            "kernels.dense_backward_input(delta, w, out, use_blas=True)",
    "dense_backward_weights": "out = np.empty((32, 16), dtype); expected = x.T @ delta\n"
                              "kernels.dense_backward_weights(x, delta, out, use_blas=True)",
}


@pytest.mark.parametrize("kernel", sorted(KERNEL_CALLS))
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-4)])
def test_kernel_views_find_blas_on_first_use(tmp_path, kernel, dtype, rtol):
    # Each dense kernel view, as the first call into BLAS, loads the
    # pointers itself before its nogil block.
    run(KERNEL_VIEW_AFTER_LAZY_LOAD.format(call=KERNEL_CALLS[kernel], dtype=dtype, rtol=rtol), tmp_path)


TRAIN_BITS = """
import numpy as np
{first}
import nncore
rng = np.random.default_rng(1)
x = rng.standard_normal((300, 40)).astype(np.{dtype})
y = rng.standard_normal((300, 20)).astype(np.{dtype})
model = nncore.MLP((40, 30, 20), dtype=np.{dtype}, random_state=1)
assert model._engine.uses_blas(0, 300)
model.fit(x, y, epochs=2)
print(model.predict(x).tobytes().hex())
"""


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bits_are_those_of_blas_loaded_at_import(tmp_path, dtype):
    # SciPy's BLAS imported before nncore, as the compiled modules once did,
    # and found by the first engine: the same bits.
    eager = run(TRAIN_BITS.format(first="import scipy.linalg.cython_blas", dtype=dtype), tmp_path)
    lazy = run(TRAIN_BITS.format(first="", dtype=dtype), tmp_path)
    assert eager == lazy
