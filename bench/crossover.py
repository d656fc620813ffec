"""Where BLAS starts to beat the fused loops, for one dense sigmoid layer.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/crossover.py

For each shape, times a training step (forward, backward, update) with
every product in the fused loops and with every product in BLAS, on one
thread, in the same run, and prints the medians. The smallest
n_samples * n_in * n_out where BLAS wins is what ``BLAS_THRESHOLD`` in
``nncore/_engine.pyx.tp`` should be.
"""
import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from nncore._engine import BLAS_THRESHOLD, engine_class
from nncore._kernels import ACTIVATION_CODES, LOSS_CODES

# (n_samples, n_in, n_out): square layers, and narrow ones as output layers are.
SHAPES = [(s, s, s) for s in (2, 4, 6, 8, 12, 16, 32, 64, 128)] + [
    (s, s, w) for w in (1, 4) for s in (4, 8, 16, 32, 64, 128)
] + [(32, 64, 32), (32, 32, 10), (8, 32, 32)]
NEVER = 2**62


def step_seconds(n_samples, n_in, n_out, threshold, rounds):
    rng = np.random.default_rng(0)
    engine = engine_class(np.float64)((n_in, n_out), (False,), (ACTIVATION_CODES["logistic"],),
                                      LOSS_CODES["sse"], 0.0, n_samples, threshold)
    engine.params[...] = rng.standard_normal(engine.n_params) * 0.1
    x, y = rng.random((n_samples, n_in)), rng.random((n_samples, n_out))
    engine.learning_rate = 1e-3
    steps = max(1, int(2e6 / (n_samples * n_in * n_out)))
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        engine.fit_epochs(x, y, None, None, steps, n_samples, None)
        samples.append((time.perf_counter() - start) / steps)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"current BLAS_THRESHOLD = {BLAS_THRESHOLD}")
    print(f"{'n_samples, n_in, n_out':>24} {'product':>10} {'loops':>10} {'BLAS':>10}  faster")
    loops_wins, blas_wins = [], []
    with threadpool_limits(limits=1, user_api="blas"):
        for shape in SHAPES:
            loops = step_seconds(*shape, NEVER, args.rounds)
            blas = step_seconds(*shape, 0, args.rounds)
            product = int(np.prod(shape))
            (blas_wins if blas < loops else loops_wins).append(product)
            print(f"{str(shape):>24} {product:>10} {loops * 1e6:>8.2f}us {blas * 1e6:>8.2f}us  {'BLAS' if blas < loops else 'loops'}")
    print(f"largest product where the loops win: {max(loops_wins, default=None)}; "
          f"smallest where BLAS wins: {min(blas_wins, default=None)}")


if __name__ == "__main__":
    main()
