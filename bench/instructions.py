"""Instructions per unit of work on the tiny networks (W1, W3, W6), counted
by callgrind, beside a floor: the multiply-adds and activations the unit
must do. Times there are a few hundred nanoseconds and move with the
machine's load; instruction counts do not, so they show progress through
the noise.

Each count is the difference between two runs of the same program in fresh
processes, one doing more units than the other, divided by the difference
in units: Python's start-up, the imports and the set-up cancel out.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

# name: (the network's widths, whether it has biases, samples per unit,
#        whether the unit trains, activations per sample, the program: its
#        first argument is how many units to run)
PROGRAMS = {
    "W1": ((3, 4, 1), False, 4, True, 5, """
        import sys
        import numpy as np
        import nncore
        x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
        y = np.array([[0], [1], [1], [0]], dtype=float)
        np.random.seed(1)
        network = nncore.NeuralNetwork(x, y)
        network.train(int(sys.argv[1]))
    """),
    "W3": ((10, 32, 32, 1), True, 1, True, 64, """
        import sys
        import numpy as np
        import nncore
        rng = np.random.default_rng(0)
        x = rng.standard_normal((1000, 10))
        y = np.sin(x[:, :1])
        model = nncore.MLP((10, 32, 32, 1), activation="tanh", random_state=0)
        units = int(sys.argv[1])
        model.fit(x, y, epochs=units // 1000, batch_size=1, shuffle=False, learning_rate=2.0 ** -7)
    """),
    "W6": ((10, 32, 32, 1), True, 1, False, 64, """
        import sys
        import numpy as np
        import nncore
        model = nncore.MLP((10, 32, 32, 1), activation="tanh", random_state=0)
        x = np.random.default_rng(0).standard_normal(10)
        out = np.empty(1)
        for _ in range(int(sys.argv[1])):
            model.predict(x, out=out)
    """),
}
# (fewer, more) units per workload; W3's units are samples, in whole epochs of 1,000.
UNITS = {"W1": (2_000, 22_000), "W3": (1_000, 6_000), "W6": (1_000, 11_000)}
SMOKE_UNITS = {"W1": (100, 1_100), "W3": (1_000, 2_000), "W6": (100, 1_100)}


def floor(widths, bias, samples, trains, activations):
    """The multiply-adds a unit must do (forward products; when training,
    the weight gradients, the input gradients below the top layer and one
    update per parameter), and its activations."""
    products = sum(n_in * n_out for n_in, n_out in zip(widths, widths[1:]))
    multiply_adds = samples * products
    if trains:
        below_top = products - widths[0] * widths[1]
        parameters = products + (sum(widths[1:]) if bias else 0)
        multiply_adds += samples * products + samples * below_top + parameters
    return multiply_adds, samples * activations


def callgrind_count(program, units):
    """Instructions callgrind counts in one run of ``program`` with ``units``."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable, "-I", "-c",
             textwrap.dedent(program), str(units)],
            # The same start-up work in both runs; and one BLAS thread, or
            # OpenBLAS's idle threads' spinning is counted too (1,840 and
            # 3,047 instructions per W1 step from one build, run to run).
            env=dict(os.environ, PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1"),
            capture_output=True, text=True, check=True, timeout=1800)
    match = re.search(r"Collected : (\d+)", result.stderr)
    if match is None:
        raise RuntimeError(f"callgrind printed no count: {result.stderr[-500:]}")
    return int(match[1])


def instruction_count(name, smoke):
    """{instructions, multiply_adds, activations} per unit of workload
    ``name``, or a string saying why it was not counted."""
    if shutil.which("valgrind") is None:
        return "valgrind is not installed (the instruction counts need callgrind)"
    widths, bias, samples, trains, activations, program = PROGRAMS[name]
    fewer, more = (SMOKE_UNITS if smoke else UNITS)[name]
    instructions = (callgrind_count(program, more) - callgrind_count(program, fewer)) / (more - fewer)
    multiply_adds, activation_count = floor(widths, bias, samples, trains, activations)
    return {"instructions": instructions, "multiply_adds": multiply_adds, "activations": activation_count}
