"""The report: results.json and RESULTS.md, and on a full run the README's
tables (the results, and the estimators' rows again)."""
import json
import os
import pathlib
import platform
from collections import namedtuple

import numpy as np
from threadpoolctl import threadpool_info

import nncore
import sklearn_peer
import torch_peer
from digits import W4_BATCH
from estimators import ESTIMATOR_WORKLOADS
from fann_peer import fann_available
from onnx_peer import onnxruntime_available
from nncore._kernels import COMPILE_ARGS
from threads import W9_EPOCHS
from tutorial import TUTORIAL, XOR_LOOP, XOR_STEPS

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
README_MARKERS = ("<!-- bench-table -->", "<!-- /bench-table -->")
# The estimators' rows again, in the README's "From scikit-learn" section.
README_ESTIMATOR_MARKERS = ("<!-- sklearn-bench -->", "<!-- /sklearn-bench -->")

MLP_WORKLOADS = ("W3", "W4", "W6", "W9", "W4-fit", "W8", "W12", "W10", "W10-f32", "W11", "W11-f32")

Target = namedtuple("Target", "workload system baseline factor at_most", defaults=(None,))

# system must be >= factor x faster than baseline; or (baseline None) take at most at_most seconds.
TARGETS = [
    Target("W1", "nncore train()", "reference", 100),
    Target("W1", "nncore train()", "FANN", 5),
    Target("W1", "nncore per call", "reference", 30),
    Target("W2", "nncore train()", "reference", 2),
    Target("W3", "nncore", "scikit-learn", 150),
    Target("W3", "nncore", "PyTorch eager", 50),
    Target("W3", "nncore", "FANN", 5),
    Target("W4", "nncore", "scikit-learn", 10),
    Target("W4", "nncore", "PyTorch eager", 10),
    Target("W9", "nncore 2 threads", "nncore", 1.8),
    Target("W4-fit", "nncore", "scikit-learn", 10),
    Target("W8", "nncore", "scikit-learn", 4),
    Target("W12", "nncore", "scikit-learn", 5),
    Target("W5", "nncore train()", "reference", 1.0),
    Target("W5-f32", "nncore train()", "reference", 1.8),
    Target("W5", "nncore train() 2 threads", "nncore train()", 1.8),
    Target("W5", "nncore train() deterministic 2 threads", "nncore train() deterministic", 1.8),
    # deterministic=True may cost at most 1.5x the default mode's time.
    Target("W2", "nncore train() deterministic", "nncore train()", 1 / 1.5),
    Target("W5", "nncore train() deterministic", "nncore train()", 1 / 1.5),
    Target("W5-f32", "nncore train() deterministic", "nncore train()", 1 / 1.5),
    Target("W8", "nncore deterministic", "nncore", 1 / 1.5),
    Target("W6", "nncore", None, None, 1e-6),
    Target("W6", "nncore", "NumPy", 10),
    Target("W6", "nncore", "PyTorch eager", 10),
    Target("W6", "nncore", "ONNX Runtime", 10),
    Target("W10", "nncore", "ONNX Runtime", 1),
    Target("W10", "nncore 2 threads", "ONNX Runtime 2 threads", 1),
    Target("W10-f32", "nncore", "ONNX Runtime", 1),
    Target("W10-f32", "nncore 2 threads", "ONNX Runtime 2 threads", 1),
    Target("W11", "nncore", "PyTorch eager", 5),
    Target("W11-f32", "nncore", "PyTorch eager", 5),
]

TUTORIAL_COLUMNS = ["reference", "nncore per call", "nncore train()", "nncore train() deterministic",
                    "PyTorch eager", "FANN", "nncore train() 2 threads",
                    "nncore train() deterministic 2 threads", "reference f32"]
MLP_COLUMNS = ["nncore", "nncore deterministic", "nncore 2 threads", "scikit-learn", "PyTorch eager", "FANN",
               "NumPy", "ONNX Runtime", "ONNX Runtime 2 threads", "C export (ctypes)"]


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
        "sklearn": installed(sklearn_peer.sklearn_available()),
        "torch": installed(torch_peer.torch_available()),
        "fann": "libdoublefann, gcc -O2" if fann_available()[0] else "not available",
        "onnxruntime": installed(onnxruntime_available()),
    }


def installed(availability):
    available, detail = availability
    return detail if available else "not installed"


def ratio(results, workload, system, baseline):
    systems = results.get(workload, {})
    if system not in systems or baseline not in systems:
        return None
    return systems[baseline]["median_s"] / systems[system]["median_s"]


def target_rows(results):
    rows = []
    for target in TARGETS:
        if target.baseline is None:
            measured = results.get(target.workload, {}).get(target.system, {}).get("median_s")
            met = None if measured is None else measured <= target.at_most
        else:
            measured = ratio(results, target.workload, target.system, target.baseline)
            met = None if measured is None else measured >= target.factor
        rows.append((target, measured, met))
    return rows


def format_seconds(t):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def table(results, meta, workloads, columns, baseline, speedup_of_baseline):
    """One row per workload; each cell the median and, in brackets, how many
    times faster than the baseline (speedup_of_baseline False) or how many
    times faster the baseline is (True)."""
    present = [c for c in columns if any(c in results[w] or c in meta[w]["skipped"] for w in workloads)]
    lines = ["| workload | " + " | ".join(present) + " |", "|---" * (len(present) + 1) + "|"]
    for w in workloads:
        systems, cells = results[w], []
        for name in present:
            if name in systems:
                t, base = systems[name]["median_s"], systems[baseline]["median_s"]
                factor = t / base if speedup_of_baseline else base / t
                cells.append(f"{format_seconds(t)} ({factor:.3g}×)")
            elif name in meta[w]["skipped"]:
                cells.append("skipped")
            else:
                cells.append("—")
        lines.append(f"| {meta[w]['label']} | " + " | ".join(cells) + " |")
    return lines


def markdown(results, meta, env, smoke, with_checks=True):
    lines = ["# Benchmark results", ""]
    if smoke:
        lines += ["**Smoke run: smaller data and too short to mean anything.**", ""]
    lines += [
        f"CPU: {env['cpu']} ({env['logical_cpus']} logical CPUs). Python {env['python']}, NumPy {env['numpy']}, "
        f"scikit-learn {env['sklearn']}, PyTorch {env['torch']}, ONNX Runtime "
        f"{env.get('onnxruntime', 'not recorded')}. nncore kernels built with "
        f"`{env['nncore_compile_args']}`.",
        "",
        "BLAS: " + "; ".join(f"{b['internal_api']} {b['version']} (`{os.path.basename(b['filepath'])}`, "
                             f"{b['architecture']} kernels, {b['threading_layer']})"
                             for b in env["blas"] if b["user_api"] == "blas") + ". "
        "NumPy (the reference, scikit-learn) loads the `openblas64_` build, SciPy (nncore) the other; "
        "PyTorch uses MKL.",
        f"Threads: {env['threads']}.",
        "",
    ]
    tutorial = [w for w in results if w == XOR_LOOP or w in TUTORIAL]
    if tutorial:
        lines += [
            "**The tutorial's step.** Median seconds per training step (feedforward + backprop over the whole "
            "batch; sigmoid, no biases, the sum of squared errors, step size 1), and how many times faster than "
            f"the reference, measured in the same run. The first row times the tutorial's whole XOR loop "
            f"({XOR_STEPS} steps from a fresh network) instead.",
            "",
            "- *reference*: `nncore.reference.NeuralNetwork`, the tutorial in NumPy (with the workload's widths). "
            "On float32 data it computes in float64, as written (its weights come from `np.random.rand`); "
            "*reference f32* is the same code with float32 weights.",
            "- *nncore per call*: `feedforward()` + `backprop()` called from Python; *nncore train()*: the same "
            "loop in compiled code.",
            "- *PyTorch eager*: the same tensor operations written out, no autograd (its fastest eager form).",
            "- *FANN*: `fann_train_epoch` with `FANN_TRAIN_BATCH`, double precision, from C, learning rate "
            "2 × n_samples (FANN averages the gradient and drops the 2); its networks also have biases, "
            "which start at zero and are trained too.",
            "- Every system starts from the same weights: W1 from the tutorial's `np.random.rand` draws, W2 and "
            "W5 from the same draws centred and scaled by 1/√fan-in. W1 trains on from round to round. On W2 "
            "and W5 one step of the tutorial's rule saturates every output (after which all gradients are "
            "zero), so each timed step there starts from the starting weights again, put back untimed.",
            "",
        ]
        lines += table(results, meta, tutorial, TUTORIAL_COLUMNS, "reference", False)
        lines.append("")
    mlp = [w for w in results if w in MLP_WORKLOADS]
    if mlp:
        lines += [
            "**MLP workloads** (`nncore.MLP`, float64 unless marked f32, biases). Median time per sample (W3), "
            "per epoch (W4, W11), per call (W6, W10), per pair of fits (W9) or per whole fit (W4-fit, W8, W12), and in brackets that time over nncore's: how many times faster nncore is.",
            "",
            "- *W3*: synthetic regression samples, squared error, plain SGD, learning rate "
            "2⁻⁷, one sample per step in order. *nncore*: `MLP.fit(epochs=1, batch_size=1, shuffle=False, "
            "warm_start=True)`; *scikit-learn*: `MLPRegressor(solver=\"sgd\", batch_size=1, momentum=0, "
            "alpha=0, shuffle=False).partial_fit`; *PyTorch eager*: `nn.Linear`/`nn.Tanh`, autograd and "
            "`torch.optim.SGD`, a Python loop over the samples; *FANN*: `fann_train_epoch` with "
            "`FANN_TRAIN_INCREMENTAL`, `FANN_SIGMOID_SYMMETRIC` hidden (steepness 1: tanh), `FANN_LINEAR` "
            "output, from C. Each timed epoch starts from the same weights, put back untimed.",
            "- *W4*: scikit-learn's digits (1,797 images, scaled to [0, 1]), cross-entropy, Adam (learning rate "
            f"0.001), batches of {W4_BATCH} in order. *nncore*: `MLP.fit(epochs=1, batch_size=32, "
            "optimizer=\"adam\", shuffle=False, warm_start=True)`; *scikit-learn*: `MLPClassifier(solver="
            "\"adam\", batch_size=32, alpha=0, shuffle=False).partial_fit`; *PyTorch eager*: `nn.Linear`/"
            "`nn.ReLU`, `nn.CrossEntropyLoss`, `torch.optim.Adam`, a Python loop over the batches. They "
            "train on from epoch to epoch.",
            f"- *W9*: two networks of W4's shape train {W9_EPOCHS} epochs each (`MLP.fit(epochs={W9_EPOCHS}, ...)`), one after "
            "the other (*nncore*) or at once in two Python threads (*nncore 2 threads*; `fit` releases the "
            "GIL for its compiled epochs); BLAS on one thread in both.",
            "- *W4-fit*, *W8*: the whole `fit` of `nncore.MLPClassifier` and of scikit-learn's, the same "
            "parameters (`random_state=0`, shuffling, `alpha=1e-4`, the stopping rule) on the same digits; "
            "each must end with scikit-learn's `coefs_`. W4-fit: `hidden_layer_sizes=(32,), solver=\"adam\", "
            "batch_size=32, max_iter=30`; W8: scikit-learn's defaults (`(100,)`, relu, adam, batches of 200) "
            "with `max_iter=50`.",
            "- *W12*: the same on sparse text features: 20,000 synthetic documents of about 200 words "
            "from a Zipf vocabulary of 50,000, each class favouring 300 words of its own, as TF-IDF "
            "(scikit-learn's default weighting) in a CSR matrix of about 0.3% density; "
            "`MLPClassifier(hidden_layer_sizes=(64,), max_iter=5)`, adam, batches of 200. The peak "
            "memory of each fit is measured in a fresh process (memory.py).",
            "- *W6*: *nncore*: `MLP.predict(x, out=out)` on one sample with `out` preallocated; *NumPy*: "
            "`np.tanh(np.tanh(x @ W1 + b1) @ W2 + b2) @ W3 + b3`; *PyTorch eager*: the `nn.Sequential` "
            "called on a 1-row tensor inside one `torch.no_grad()` block per timed batch; *ONNX Runtime*: "
            "`InferenceSession.run` on a 1-row array, the model from `MLP.to_onnx()`, one intra-op and one "
            "inter-op thread; *C export (ctypes)*: `MLP.to_c()` built with `gcc -std=c99 -O2 "
            "-ffp-contract=off` as a shared library, `net_predict` called through ctypes.",
            "- *W10*, *W10-f32*: one `MLP.predict(X, out=out)` of 100,000 rows (nncore's BLAS on one "
            "or two threads; *nncore deterministic*: `deterministic=True`, nncore's own fixed-order "
            "products) against `InferenceSession.run` on the same rows with one or two intra-op "
            "threads, and the C export's `net_predict_batch` (one thread, no BLAS: its own loops).",
            "- *W11*, *W11-f32*, the modern recipe: digits, a 64-256-256-10 GELU network with dropout "
            "0.1 on both hidden layers, cross-entropy, AdamW (weight decay 0.01 on the weights), a "
            "one-cycle schedule (max rate 0.01, cosine, stepped per batch), batches of 128 in order, one "
            "thread. *nncore*: `MLP(..., dropout=0.1).fit(epochs=1, batch_size=128, optimizer=AdamW(...), "
            "schedule=OneCycle(...), shuffle=False, warm_start=True)`; *PyTorch eager*: `nn.Linear`/"
            "`nn.GELU`/`nn.Dropout`, `nn.CrossEntropyLoss`, `torch.optim.AdamW` with the biases in a "
            "group without decay, `OneCycleLR(cycle_momentum=False)` stepped per batch. Before the "
            "timing, one epoch of the same recipe without dropout from the same start must take the "
            "same steps in both.",
            "",
        ]
        lines += table(results, meta, mlp, MLP_COLUMNS, "nncore", True)
        lines.append("")
        lines += memory_lines(meta)
    lines += instruction_lines(meta)
    skipped = {}
    for w in results:
        skipped.update(meta[w]["skipped"])
    for w, reason in meta.items():
        if w not in results and reason.get("not_run"):
            skipped[w] = reason["not_run"]
    if skipped:
        lines += ["Skipped: " + "; ".join(f"{name}: {reason}" for name, reason in skipped.items()) + ".", ""]
    lines += ["Targets:", "", "| workload | system | vs | target | measured | |", "|---|---|---|---|---|---|"]
    for target, measured, met in target_rows(results):
        verdict = "not measured" if met is None else ("met" if met else "missed")
        if target.baseline is None:
            goal, shown, vs = f"≤ {format_seconds(target.at_most)}", \
                "—" if measured is None else format_seconds(measured), "(time per call)"
        else:
            goal, shown, vs = f"≥ {target.factor:.3g}×", "—" if measured is None else f"{measured:.2f}×", \
                target.baseline
        lines.append(f"| {target.workload} | {target.system} | {vs} | {goal} | {shown} | {verdict} |")
    lines.append("")
    if with_checks:
        lines += ["Checks, run after the timing (the script stops if one fails):", ""]
        lines += [f"- {line}" for w in meta.values() for line in w.get("checks", [])]
        lines += [
            "",
            "Where systems differ by more than rounding: FANN clips the derivative of its tanh at |tanh| = 0.98 "
            "(a NumPy copy of the W3 loop with that clip matches FANN to 4e-8), and torch.optim.Adam adds "
            "epsilon after the bias correction where scikit-learn and nncore add it before (with epsilon = "
            "1e-30 the three agree to 1e-15 after W4's first epoch).",
            "",
        ]
    else:
        lines += ["`bench/RESULTS.md` also lists the checks that every system did the same, real work.", ""]
    return "\n".join(lines)


def instruction_lines(meta):
    """The instruction counts (instructions.py), a table after the MLP rows."""
    rows, reasons = [], set()
    for name, entry in meta.items():
        counted = entry.get("instructions")
        if isinstance(counted, dict):
            per_multiply_add = counted["instructions"] / counted["multiply_adds"]
            rows.append(f"| {name} | {entry['unit']} | {counted['instructions']:,.0f} | "
                        f"{counted['multiply_adds']:,} | {counted['activations']:,} | {per_multiply_add:.2f} |")
        elif counted:
            reasons.add(counted)
    if not rows:
        return [f"Instruction counts: not measured ({'; '.join(sorted(reasons))}).", ""] if reasons else []
    return ["nncore's instructions per unit (callgrind, the difference of two runs), beside the floor: the "
            "multiply-adds (forward products; in training, the gradients and one update per parameter) and "
            "activations the unit must do.", "",
            "| workload | unit | instructions | multiply-adds | activations | instructions per multiply-add |",
            "|---|---|---|---|---|---|", *rows, ""]


def memory_lines(meta):
    """One line per workload whose fits' peak memory was measured."""
    lines = []
    for name, entry in meta.items():
        memory = entry.get("memory") or {}
        if memory:
            parts = [f"{system} {m['peak_mb']:.0f} MB ({m['growth_mb']:.0f} MB above the "
                     f"{m['before_mb']:.0f} MB before the fit)" for system, m in memory.items()]
            lines += [f"Peak resident memory of one {name} fit, each in a fresh process: "
                      + "; ".join(parts) + ".", ""]
    return lines


def write_results(folder, env, smoke, meta, results):
    """results.json and RESULTS.md in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    document = {"environment": env, "smoke": smoke, "workloads": meta, "results": results}
    (folder / "results.json").write_text(json.dumps(document, indent=1))
    (folder / "RESULTS.md").write_text(markdown(results, meta, env, smoke))


def update_readme(results, meta, env):
    """Put the results of a full run (without their title and the checks)
    between the README's markers, and the estimators' rows between theirs."""
    results_markdown = markdown(results, meta, env, smoke=False, with_checks=False)
    text = README.read_text()
    text = replace_between(text, README_MARKERS, results_markdown.split("\n", 2)[2].strip())
    text = replace_between(text, README_ESTIMATOR_MARKERS, estimator_rows(results, meta, env))
    README.write_text(text)


def replace_between(text, markers, body):
    start, end = markers
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    return f"{before}{start}\n{body}\n{end}{after}"


def estimator_rows(results, meta, env):
    """The estimators' whole-fit rows and their targets, for the README."""
    lines = [f"Measured by `bench/run.py` (median of interleaved rounds, one BLAS thread, "
             f"{env['cpu']}); the fitted `coefs_` match scikit-learn's (checked after the timing):",
             "", "| workload | nncore | scikit-learn | nncore is | target |", "|---|---|---|---|---|"]
    for target in TARGETS:
        if target.workload not in ESTIMATOR_WORKLOADS or target.workload not in results:
            continue
        if (target.system, target.baseline) != ("nncore", "scikit-learn"):
            continue  # the deterministic mode's cost is in the main table's targets
        systems = results[target.workload]
        factor = ratio(results, target.workload, target.system, target.baseline)
        verdict = "met" if factor >= target.factor else "missed"
        lines.append(f"| {meta[target.workload]['label']} | {format_seconds(systems['nncore']['median_s'])} "
                     f"| {format_seconds(systems['scikit-learn']['median_s'])} | {factor:.1f}× faster "
                     f"| ≥ {target.factor}× ({verdict}) |")
    return "\n".join(lines + [""] + memory_lines(meta)).rstrip()
