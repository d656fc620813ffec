"""Benchmark: nncore against the tutorial's NumPy reference and the peers
(scikit-learn, PyTorch eager, FANN), every system measured in the same run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/run.py

Workloads:

- XOR-1500, W1, W2, W5, W5-f32: the tutorial's training step (feedforward +
  backprop over the whole batch) at several sizes, and its whole XOR loop.
- W3: per-sample SGD on a 10-32-32-1 tanh regression network, 10,000 samples.
- W4: scikit-learn's digits, 64-32-10 ReLU/softmax, Adam, batches of 32.
- W6: one prediction of the W3 network, called from Python; also in ONNX
  Runtime and through nncore's C export (ctypes).
- W10, W10-f32: one ``predict`` of 100,000 rows (the W3 network in float64,
  W5's 784-256-10 in float32), against ONNX Runtime at one and two threads
  and the C export's ``predict_batch``.
- W11, W11-f32: the modern recipe, an epoch of 64-256-256-10 GELU with
  dropout 0.1, AdamW and one-cycle, batches of 128, on the digits, against
  PyTorch eager with the same recipe (recipe.py).
- W9: two W4 networks trained (10 epochs each) at once in two threads, against one after the other.
- W4-fit, W8, W12: whole ``fit`` calls of ``nncore.MLPClassifier`` and
  scikit-learn's, with the same parameters (W4's network; scikit-learn's
  defaults; a (64,) network on sparse TF-IDF text features, whose peak
  memory is measured too), which must end with the same ``coefs_``.

For W1, W3 and W6, callgrind also counts nncore's instructions per unit,
beside the multiply-adds and activations the unit must do (instructions.py):
a measure of progress that the machine's load does not move.

Systems take turns, one timed batch each per round, so the machine's noise
falls on all of them alike; each result is the median over the rounds.
Within a workload every system starts from the same parameters, and after
the timing the script checks that each did real work (its weights moved)
and, where runs start from the same parameters, the same work (they agree);
it stops if a check fails. Peers that are not installed are skipped, and
the tables say so.

Writes results.json and RESULTS.md next to this file (or to --output), and
on a full run the README's table. ``--smoke`` runs a few short rounds on
smaller data, only to prove the script works.

This script runs the workloads in turn. Beside it, tutorial.py,
per_sample.py, digits.py, threads.py, estimators.py and batch_predict.py
build them, one family each (onnx_peer.py and c_peer.py run the exported
models) (sparse_text.py makes W12's data, memory.py measures its memory); timing.py times them, checks.py checks them and report.py
writes the results.
"""
import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import report  # noqa: E402
import torch_peer  # noqa: E402
from checks import check_after  # noqa: E402
from batch_predict import W10, w10_workload  # noqa: E402
from digits import w4_workload  # noqa: E402
from estimators import ESTIMATOR_WORKLOADS, estimator_workload  # noqa: E402
from instructions import PROGRAMS as INSTRUCTION_WORKLOADS, instruction_count  # noqa: E402
from per_sample import w3_workload, w6_workload  # noqa: E402
from recipe import W11, w11_workload  # noqa: E402
from threads import w9_workload  # noqa: E402
from timing import measure  # noqa: E402
from tutorial import TUTORIAL, XOR_LOOP, measure_xor_loop, tutorial_workload  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W5-f32", "W6", "W9", "W4-fit", "W8", "W12", "W10",
             "W10-f32", "W11", "W11-f32")


def build(name, threads, smoke):
    """The workload, or a string saying why it cannot run here."""
    if name in TUTORIAL:
        return tutorial_workload(name, threads, smoke)
    if name == "W3":
        return w3_workload(smoke)
    if name == "W4":
        return w4_workload(smoke)
    if name == "W9":
        return w9_workload(smoke)
    if name in ESTIMATOR_WORKLOADS:
        return estimator_workload(name, smoke)
    if name in W10:
        return w10_workload(name, threads, smoke)
    if name in W11:
        return w11_workload(name, smoke)
    return w6_workload()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few short rounds on smaller data, only to check "
                                                             "the script runs")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per system (default 15; smoke 3)")
    parser.add_argument("--batch-seconds", type=float, default=None, help="length of one timed batch (default 0.2)")
    parser.add_argument("--budget-seconds", type=float, default=90.0,
                        help="fewer rounds (at least 5) for a workload whose rounds would take longer (default 90)")
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS), choices=list(WORKLOADS))
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads for the multi-thread row (default 2)")
    parser.add_argument("--output", type=pathlib.Path, default=HERE, help="folder for results.json and RESULTS.md")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.smoke else 15)
    batch_seconds = args.batch_seconds or (0.01 if args.smoke else 0.2)
    if torch_peer.torch is not None:
        torch_peer.torch.set_num_threads(1)

    env = report.environment()
    results, meta = {}, {}
    results[XOR_LOOP], meta[XOR_LOOP] = measure_xor_loop(rounds)
    for name in args.workloads:
        began = time.perf_counter()
        workload = build(name, args.threads, args.smoke)
        if isinstance(workload, str):
            meta[name] = {"not_run": workload}
            print(f"{name:8} skipped: {workload}")
            continue
        try:
            results[name], used_rounds = measure(workload, rounds, batch_seconds, args.budget_seconds)
            check_after(workload)
        finally:
            workload.close()
        meta[name] = {"label": workload.label, "unit": workload.unit, "rounds": used_rounds,
                      "skipped": workload.skipped, "checks": workload.checks,
                      "memory": workload.memory}
        if name in INSTRUCTION_WORKLOADS:
            meta[name]["instructions"] = instruction_count(name, args.smoke)
        for system, r in results[name].items():
            print(f"{name:8} {system:28} {report.format_seconds(r['median_s']):>10} per {workload.unit}")
        for line in workload.checks:
            print(f"{name:8} check: {line}")
        counted = meta[name].get("instructions")
        if isinstance(counted, dict):
            print(f"{name:8} nncore: {counted['instructions']:,.0f} instructions per {workload.unit} "
                  f"({counted['multiply_adds']:,} multiply-adds, {counted['activations']:,} activations)")
        for system, memory in workload.memory.items():
            print(f"{name:8} {system:28} peak {memory['peak_mb']:.0f} MB, "
                  f"{memory['growth_mb']:.0f} MB above the RSS before the fit")
        print(f"{name:8} {used_rounds} rounds, {time.perf_counter() - began:.1f} s in all")
    report.write_results(args.output, env, args.smoke, meta, results)
    print(f"wrote {args.output / 'results.json'} and {args.output / 'RESULTS.md'}")
    if not args.smoke and args.output == HERE:
        report.update_readme(results, meta, env)
        print(f"updated the table in {report.README}")


if __name__ == "__main__":
    main()
