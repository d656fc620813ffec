"""Timing: systems take turns, one timed batch each per round, so the
machine's noise falls on all of them alike; each result is the median over
the rounds.

A result is {"median_s": seconds per unit, "runs_per_batch": runs in one
timed batch, "samples_s": every round's seconds per unit}.
"""
import statistics
import time

from threadpoolctl import threadpool_limits


def timed_runs(step, restore=None):
    """run(count) for a System: ``count`` x step(). With ``restore``, each
    step starts from the starting parameters, put back untimed, and run
    returns the seconds of the steps alone."""
    if restore is None:
        def run(count):
            for _ in range(count):
                step()
        return run

    def run(count):
        timer = time.perf_counter
        total = 0.0
        for _ in range(count):
            restore()
            start = timer()
            step()
            total += timer() - start
        return total
    return run


# After its last call OpenBLAS's idle threads spin for about 0.1 s, and
# nncore's own split passes started meanwhile got little from the second
# core (a deterministic W5 step: 69 ms right after BLAS work, 47 ms after
# 0.1 s). A system on several threads starts its batch after this pause, so
# it is not timed against the previous system's spinning threads.
SETTLE_SECONDS = 0.2


def run_once(system, count):
    """Seconds for ``count`` runs: the system's own timing, else the whole call's."""
    with threadpool_limits(limits=system.blas_threads, user_api="blas"):
        if system.blas_threads > 1:
            time.sleep(SETTLE_SECONDS)
        start = time.perf_counter()
        seconds = system.run(count)
        elapsed = time.perf_counter() - start
    return elapsed if seconds is None else seconds


def calibrate(system, batch_seconds):
    """(runs per timed batch so that a batch takes about batch_seconds, seconds per run)."""
    count = 1
    while True:
        elapsed = run_once(system, count)
        if elapsed >= batch_seconds / 4 or count >= 10**7:
            per_run = max(elapsed, 1e-9) / count
            return max(1, int(batch_seconds / per_run)), per_run
        count *= 4


def measure(workload, rounds, batch_seconds, budget_seconds):
    """Median seconds per unit for every system, systems taking turns. The
    rounds are cut (to no fewer than 5) when one round takes so long that
    they would not fit in ``budget_seconds``."""
    counts, round_seconds = {}, 0.0
    for name, system in workload.systems.items():
        counts[name], per_run = calibrate(system, batch_seconds)
        round_seconds += counts[name] * per_run
    rounds = max(min(rounds, 5), min(rounds, int(budget_seconds / max(round_seconds, 1e-9))))
    samples = {name: [] for name in workload.systems}
    for _ in range(rounds):
        for name, system in workload.systems.items():
            seconds = run_once(system, counts[name])
            samples[name].append(seconds / (counts[name] * workload.per))
    return {name: result(s, counts[name]) for name, s in samples.items()}, rounds


def measure_fresh_runs(systems, rounds):
    """Median seconds of one run for every system, systems taking turns on
    one BLAS thread. systems: {name: (start, run)}; each round, start() makes
    a fresh object, untimed, and run(it) is timed whole."""
    samples = {name: [] for name in systems}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(rounds):
            for name, (start, run) in systems.items():
                fresh = start()
                began = time.perf_counter()
                run(fresh)
                samples[name].append(time.perf_counter() - began)
    return {name: result(s, 1) for name, s in samples.items()}


def result(samples, runs_per_batch):
    return {"median_s": statistics.median(samples), "runs_per_batch": runs_per_batch, "samples_s": samples}
