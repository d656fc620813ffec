"""Benchmark: one training step (feedforward + backprop over the full batch)
with the NumPy reference, nncore and the peers, all measured in one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/run.py

Systems take turns, one timed batch each per round, so the machine's noise
falls on all of them alike; each result is the median over the rounds of
seconds per step. Writes results.json and RESULTS.md next to this file (or
to --output). ``--smoke`` runs a few short rounds, only to prove the script
works.
"""
import argparse
import json
import os
import pathlib
import platform
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import nncore
from nncore import reference
from nncore._data import XOR_X, XOR_Y
from nncore._kernels import COMPILE_ARGS

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fann_peer import fann_available, run_fann  # noqa: E402
from torch_peer import TorchNetwork, torch_available  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
README = HERE.parent / "README.md"
README_MARKERS = ("<!-- bench-table -->", "<!-- /bench-table -->")

# name: (n_samples, n_in, hidden, n_out, dtype)
WORKLOADS = {
    "W1": (4, 3, 4, 1, np.float64),
    "W2": (256, 64, 128, 10, np.float64),
    "W5": (2048, 784, 256, 10, np.float64),
    "W5-f32": (2048, 784, 256, 10, np.float32),
}

XOR_LOOP = "XOR-1500"
XOR_STEPS = 1500

# (workload, system, baseline, factor): system must be >= factor x faster than baseline.
TARGETS = [
    ("W1", "nncore train()", "reference", 100),
    ("W1", "nncore train()", "FANN", 5),
    ("W1", "nncore per call", "reference", 30),
    ("W2", "nncore train()", "reference", 2),
    ("W5", "nncore train()", "reference", 1.0),
    ("W5-f32", "nncore train()", "reference", 1.8),
    ("W5", "nncore train() 2 threads", "nncore train()", 1.7),
]


def make_data(workload, seed=0):
    n_samples, n_in, hidden, n_out, dtype = WORKLOADS[workload]
    if workload == "W1":
        return XOR_X.astype(dtype), XOR_Y.astype(dtype)
    rng = np.random.default_rng(seed)
    return rng.random((n_samples, n_in)).astype(dtype), rng.random((n_samples, n_out)).astype(dtype)


def reference_network(x, y, hidden):
    """The reference with ``hidden`` units and y's width: its methods take any
    shapes, only its constructor fixes 4 and 1. Draws as nncore does."""
    network = reference.NeuralNetwork(x, y)
    np.random.seed(0)
    network.weights1 = np.random.rand(x.shape[1], hidden)
    network.weights2 = np.random.rand(hidden, y.shape[1])
    return network


def python_steps(network):
    def run(steps):
        for _ in range(steps):
            network.feedforward()
            network.backprop()
    return run


def systems_for(workload, threads):
    """{name: (run(steps), blas_threads)} for every system available here."""
    n_samples, n_in, hidden, n_out, dtype = WORKLOADS[workload]
    x, y = make_data(workload)
    ref = reference_network(x, y, hidden)
    if dtype == np.float32:
        # As written, the tutorial computes in float64 here (rand() weights);
        # "reference f32" is the same code with float32 weights.
        ref32 = reference_network(x, y, hidden)
        ref32.weights1 = ref32.weights1.astype(dtype)
        ref32.weights2 = ref32.weights2.astype(dtype)
    np.random.seed(0)
    per_call = nncore.NeuralNetwork(x, y, hidden=hidden, dtype=dtype)
    np.random.seed(0)
    trained = nncore.NeuralNetwork(x, y, hidden=hidden, dtype=dtype)
    systems = {
        "reference": (python_steps(ref), 1),
        "nncore per call": (python_steps(per_call), 1),
        "nncore train()": (trained.train, 1),
    }
    if dtype == np.float32:
        systems["reference f32"] = (python_steps(ref32), 1)
    if threads > 1 and workload.startswith("W5"):
        systems[f"nncore train() {threads} threads"] = (trained.train, threads)
    if torch_available()[0]:
        import torch
        torch.set_num_threads(1)
        peer = TorchNetwork(x, y, ref.weights1.astype(dtype), ref.weights2.astype(dtype))
        systems["PyTorch eager"] = (lambda steps: [peer.step() for _ in range(steps)], 1)
    return systems


def calibrate(run, batch_seconds):
    """Steps per timed batch so that a batch takes about batch_seconds."""
    steps = 1
    while True:
        start = time.perf_counter()
        run(steps)
        elapsed = time.perf_counter() - start
        if elapsed >= batch_seconds / 4 or steps >= 10**7:
            return max(1, int(steps * batch_seconds / max(elapsed, 1e-9)))
        steps *= 4


def measure(workload, rounds, batch_seconds, threads):
    systems = systems_for(workload, threads)
    steps = {}
    for name, (run, blas_threads) in systems.items():
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            steps[name] = calibrate(run, batch_seconds)
    samples = {name: [] for name in systems}
    for _ in range(rounds):
        for name, (run, blas_threads) in systems.items():
            with threadpool_limits(limits=blas_threads, user_api="blas"):
                start = time.perf_counter()
                run(steps[name])
                samples[name].append((time.perf_counter() - start) / steps[name])
    results = {name: {"median_s": statistics.median(s), "steps_per_batch": steps[name], "samples_s": s}
               for name, s in samples.items()}
    n_samples, n_in, hidden, n_out, dtype = WORKLOADS[workload]
    if dtype == np.float64 and fann_available()[0]:
        fann_steps = max(1, int(batch_seconds / max(results["nncore per call"]["median_s"] * 3, 1e-9)))
        s = run_fann(n_samples, n_in, hidden, n_out, epochs=fann_steps, repeats=rounds)
        results["FANN"] = {"median_s": statistics.median(s), "steps_per_batch": fann_steps, "samples_s": s}
    return results


def measure_xor_loop(rounds):
    """The tutorial's own loop, 1,500 x feedforward() + backprop() from a fresh
    network, timed whole (construction excluded), systems taking turns."""
    x, y = make_data("W1")
    systems = {
        "reference": lambda network: python_steps(network)(XOR_STEPS),
        "nncore per call": lambda network: python_steps(network)(XOR_STEPS),
        "nncore train()": lambda network: network.train(XOR_STEPS),
    }
    classes = {"reference": reference.NeuralNetwork}
    samples = {name: [] for name in systems}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(rounds):
            for name, run in systems.items():
                np.random.seed(1)
                network = classes.get(name, nncore.NeuralNetwork)(x, y)
                start = time.perf_counter()
                run(network)
                samples[name].append(time.perf_counter() - start)
    return {name: {"median_s": statistics.median(s), "steps_per_batch": XOR_STEPS, "samples_s": s}
            for name, s in samples.items()}


def label(workload):
    if workload == XOR_LOOP:
        return f"tutorial XOR loop: {XOR_STEPS} steps, whole loop"
    n_samples, n_in, hidden, n_out, dtype = WORKLOADS[workload]
    return f"{workload}: {n_samples}x{n_in} → {hidden} → {n_out}, {np.dtype(dtype).name}"


def environment():
    blas = [
        {k: info.get(k) for k in ("user_api", "internal_api", "prefix", "version", "num_threads",
                                  "threading_layer", "architecture", "filepath")}
        for info in threadpool_info()
    ]
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "nncore": nncore.__version__,
        "nncore_compile_args": COMPILE_ARGS,
        "blas": blas,
        "threads": "1 for every system unless its name says otherwise (threadpoolctl; torch.set_num_threads(1))",
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS")},
        "torch": torch_available()[1],
        "fann": "libdoublefann, gcc -O2" if fann_available()[0] else fann_available()[1],
    }


def target_rows(results):
    rows = []
    for workload, system, baseline, factor in TARGETS:
        systems = results.get(workload, {})
        if system not in systems or baseline not in systems:
            rows.append((workload, system, baseline, factor, None))
            continue
        ratio = systems[baseline]["median_s"] / systems[system]["median_s"]
        rows.append((workload, system, baseline, factor, ratio))
    return rows


def markdown(results, env, smoke):
    lines = ["# Benchmark results", ""]
    if smoke:
        lines += ["**Smoke run: too short to mean anything.**", ""]
    lines += [
        f"CPU: {env['cpu']} ({env['logical_cpus']} logical CPUs). Python {env['python']}, NumPy {env['numpy']}, "
        f"PyTorch {env['torch']}. nncore kernels built with `{env['nncore_compile_args']}`.",
        "",
        "BLAS: " + "; ".join(f"{b['internal_api']} {b['version']} (`{os.path.basename(b['filepath'])}`, "
                             f"{b['architecture']} kernels, {b['threading_layer']})"
                             for b in env["blas"] if b["user_api"] == "blas") + ". "
        "NumPy (the reference) loads the `openblas64_` build, SciPy (nncore) the other; PyTorch uses MKL.",
        f"Threads: {env['threads']}.",
        "",
        "Median seconds per training step (feedforward + backprop over the whole batch; sigmoid, no biases), "
        "and how many times faster than the reference, measured in the same run. The first row times the "
        f"tutorial's whole XOR loop ({XOR_STEPS} steps from a fresh network) instead.",
        "",
        "- *reference*: `nncore.reference.NeuralNetwork`, the tutorial in NumPy (with the workload's widths). "
        "On float32 data it computes in float64, as written (its weights come from `np.random.rand`); "
        "*reference f32* is the same code with float32 weights.",
        "- *nncore per call*: `feedforward()` + `backprop()` called from Python; *nncore train()*: the same "
        "loop in compiled code.",
        "- *PyTorch eager*: the same tensor operations written out, no autograd (its fastest eager form).",
        "- *FANN*: `fann_train_epoch` with `FANN_TRAIN_BATCH`, double precision, from C; its networks also "
        "have biases.",
        "",
    ]
    names = []
    for systems in results.values():
        names += [n for n in systems if n not in names]
    lines.append("| workload | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    for workload, systems in results.items():
        base = systems["reference"]["median_s"]
        cells = []
        for name in names:
            if name not in systems:
                cells.append("—")
                continue
            t = systems[name]["median_s"]
            cells.append(f"{format_seconds(t)} ({base / t:.3g}×)")
        lines.append(f"| {label(workload)} | " + " | ".join(cells) + " |")
    lines += ["", "Targets:", "", "| workload | system | vs | target | measured | |", "|---|---|---|---|---|---|"]
    for workload, system, baseline, factor, ratio in target_rows(results):
        verdict = "not measured" if ratio is None else ("met" if ratio >= factor else "missed")
        shown = "—" if ratio is None else f"{ratio:.2f}×"
        lines.append(f"| {workload} | {system} | {baseline} | ≥ {factor}× | {shown} | {verdict} |")
    lines.append("")
    return "\n".join(lines)


def update_readme(results_markdown):
    """Put the results (without their title) between the README's markers."""
    start, end = README_MARKERS
    text = README.read_text()
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    body = results_markdown.split("\n", 2)[2].strip()
    README.write_text(f"{before}{start}\n{body}\n{end}{after}")


def format_seconds(t):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few short rounds, only to check the script runs")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per system (default 15; smoke 3)")
    parser.add_argument("--batch-seconds", type=float, default=None, help="length of one timed batch (default 0.2)")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for the multi-thread row (default 2)")
    parser.add_argument("--output", type=pathlib.Path, default=HERE, help="folder for results.json and RESULTS.md")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.smoke else 15)
    batch_seconds = args.batch_seconds or (0.01 if args.smoke else 0.2)

    env = environment()
    results = {XOR_LOOP: measure_xor_loop(rounds)}
    for workload in args.workloads:
        results[workload] = measure(workload, rounds, batch_seconds, args.threads)
    for workload, systems in results.items():
        base = systems["reference"]["median_s"]
        for name, r in systems.items():
            print(f"{workload:8} {name:28} {format_seconds(r['median_s']):>10}  {base / r['median_s']:8.2f}x reference")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps({"environment": env, "smoke": args.smoke, "results": results},
                                                         indent=1))
    (args.output / "RESULTS.md").write_text(markdown(results, env, args.smoke))
    print(f"wrote {args.output / 'results.json'} and {args.output / 'RESULTS.md'}")
    if not args.smoke and args.output == HERE:
        update_readme(markdown(results, env, args.smoke))
        print(f"updated the table in {README}")


if __name__ == "__main__":
    main()
