"""The checks that every system did real work: its weights moved, they stay
finite and, where systems start from the same parameters, they agree. A
failed check stops the benchmark.
"""
import numpy as np

from timing import run_once

# How closely systems that ran the same work from the same parameters must
# agree: max |their change - the baseline's change| / max |the baseline's change|.
AGREE_F64 = 1e-6
AGREE_F32 = 1e-3
# FANN clips the derivative of its tanh at |tanh| = 0.98, so its per-sample
# epoch drifts from the exact gradient's (by 3% of the largest change on
# W3); a NumPy copy of the loop with that clip matches FANN to 4e-8.
AGREE_FANN_TANH = 5e-2
# torch.optim.Adam adds epsilon after the bias correction, scikit-learn and
# nncore before it, which matters where the squared gradients are tiny (the
# digits' nearly blank pixels), and most in the first steps (4% of the largest
# change after the 5 steps of a smoke run, 0.4% after the 57 of an epoch).
# With epsilon = 1e-30 the three agree to 1e-15.
AGREE_TORCH_ADAM = 1e-1


def check(condition, message):
    """Stop the benchmark: a system did not do the work it is timed for."""
    if not condition:
        raise AssertionError(message)


def agreement(what, states, baseline, start):
    """Every system's change from ``start`` must be nonzero and finite, and
    match the baseline's within its tolerance. states: {name: (state, agree)}."""
    base = flat(states[baseline][0]) - flat(start)
    scale = np.abs(base).max()
    worst = {}
    for name, (state, agree) in states.items():
        change = flat(state) - flat(start)
        check(np.isfinite(change).all(), f"{what}: {name}'s weights are not finite")
        check(np.abs(change).max() > 0, f"{what}: {name}'s weights did not move (zero gradient)")
        if agree is not None and name != baseline:
            worst[name] = np.abs(change - base).max() / scale
            check(worst[name] <= agree, f"{what}: {name} differs from {baseline} by {worst[name]:.2g} "
                                        f"(relative to the largest change), more than {agree:g}")
    others = ", ".join(f"{name} {error:.1g}" for name, error in worst.items())
    return (f"{what}, every system's weights moved (largest change {scale:.3g} for {baseline}); "
            f"relative difference from {baseline}'s change: {others or 'no other system'}")


def flat(arrays):
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def check_after(workload):
    """After the timing: one more run of every system, then the checks."""
    name = workload.name
    if workload.kind == "fit":
        # Each run is a whole fit from the same initial draw: the fitted
        # weights must match nncore's.
        workload.checks.append(agreement(f"{name}: after the whole fit from the same initial draw",
                                         states_after_one_run(workload), "nncore", workload.start))
        return
    if workload.kind == "predict":
        outputs = {system_name: flat([system.state()]) for system_name, system in workload.systems.items()}
        base = outputs["nncore"]
        rtol = workload.predict_rtol
        scale = max(1.0, float(np.abs(base).max()))
        for system_name, output in outputs.items():
            check(np.allclose(output, base, rtol=rtol, atol=rtol * scale),
                  f"{name}: {system_name} predicts {output}, nncore {base}")
        workload.checks.append(f"{name}: every system predicts nncore's outputs to {rtol:g} "
                               f"(nncore's first: {base[0]:.15g})")
        return
    if workload.restore:
        # Every run starts from the same weights: after one more, all have
        # taken the same step (or epoch) from them.
        baseline = next(iter(workload.systems))
        what = f"{name}: after one {'epoch' if workload.unit == 'sample' else 'step'} from the same start"
        workload.checks.append(agreement(what, states_after_one_run(workload), baseline, workload.start))
        return
    moved = []
    for system_name, system in workload.systems.items():
        before = system.state()
        run_once(system, 1)
        after = system.state()
        change = np.abs(flat(after) - flat(before)).max()
        check(np.isfinite(flat(after)).all(), f"{name}: {system_name}'s weights are not finite")
        check(change > 0, f"{name}: {system_name}'s last {workload.unit} did not move its weights (zero gradient)")
        moved.append(f"{system_name} {change:.2g}")
    workload.checks.append(f"{name}: after the timing, one more {workload.unit} moves every system's weights "
                           f"(largest change: {', '.join(moved)}; each system ran as many {workload.unit}s as "
                           "its timed batches needed, so they are at different points of training)")


def states_after_one_run(workload):
    """{system: (state, agree)} after one more run of every system."""
    states = {}
    for name, system in workload.systems.items():
        run_once(system, 1)
        states[name] = (system.state(), system.agree)
    return states
