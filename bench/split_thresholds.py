"""Where splitting nncore's own passes over two threads starts to pay.

The thresholds in nncore/_kernels.pxd (PARALLEL_MIN_*) are the smallest
work per thread at which two threads beat one here: below them, waking a
worker costs more than the second core saves. For each kind of pass this
times one call at growing sizes with one and with two BLAS threads (nncore
splits over as many threads as BLAS has), interleaved, and prints the
medians and their ratio. Run it on a quiet machine:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/split_thresholds.py
"""
import argparse
import statistics
import time

import numpy as np
import scipy.linalg  # noqa: F401  SciPy's OpenBLAS loaded, so threadpoolctl reaches it
from threadpoolctl import threadpool_limits

import nncore
from nncore import _kernel_views


def median_seconds(call, threads, repeats):
    with threadpool_limits(limits=threads, user_api="blas"):
        call()  # warm: the pool's workers started, caches filled
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare(label, call, rounds, repeats):
    """Medians over interleaved rounds of one and two threads."""
    one, two = [], []
    for _ in range(rounds):
        one.append(median_seconds(call, 1, repeats))
        two.append(median_seconds(call, 2, repeats))
    one, two = statistics.median(one), statistics.median(two)
    print(f"{label:>44}  1 thread {one * 1e6:9.1f} us  2 threads {two * 1e6:9.1f} us"
          f"  speed-up {one / two:5.2f}x")


def product(rows, n=64, k=64):
    rng = np.random.default_rng(0)
    inputs, weights = rng.standard_normal((rows, k)), rng.standard_normal((k, n))
    outputs = np.empty((rows, n))
    return lambda: _kernel_views.dense_forward(inputs, weights, None, outputs), rows * n * k


def activation(kind, elements, n_out=64):
    rng = np.random.default_rng(0)
    total = rng.standard_normal((elements // n_out, n_out))
    outputs = np.empty_like(total)
    return lambda: _kernel_views.activation_forward(kind, total, outputs, 0.01)


def update(params, optimizer):
    """One step of a one-row batch: products and activations too small to
    split, so the difference is the optimizer's update of ~params values."""
    hidden = params // 64
    model = nncore.MLP((64, hidden, 1), activation="relu", random_state=0, deterministic=True)
    x = np.random.default_rng(0).standard_normal((1, 64))
    y = np.ones((1, 1))
    return lambda: model.fit(x, y, epochs=1, batch_size=1, optimizer=optimizer, learning_rate=1e-6,
                             shuffle=False, warm_start=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    _kernel_views.parallel_parts(1, 1)  # loads SciPy's BLAS, whose thread count the views follow
    print("products (nncore's own, rows x 64 x 64):")
    for rows in (64, 128, 256, 512, 1024, 2048):
        call, macs = product(rows)
        compare(f"{macs:,} multiply-adds", call, args.rounds, args.repeats)
    for kind in ("relu", "logistic", "gelu"):
        print(f"{kind} forward:")
        for elements in (8192, 16384, 32768, 65536, 262144, 524288, 1048576):
            compare(f"{elements:,} elements", activation(kind, elements), args.rounds, args.repeats)
    for optimizer in ("sgd", "adam"):
        print(f"{optimizer} step (one-row batch, whole fit call):")
        for params in (32768, 65536, 131072, 262144, 524288):
            compare(f"{params:,} parameters", update(params, optimizer), args.rounds, args.repeats)


if __name__ == "__main__":
    main()
