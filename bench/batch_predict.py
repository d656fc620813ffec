"""Batch prediction (W10): 100,000 rows through one ``predict`` call, nncore
(BLAS at one and two threads, and ``deterministic=True``) against ONNX
Runtime (the same weights, exported by ``MLP.to_onnx``) at one and two
threads, and nncore's C export (``predict_batch``, one thread)."""
import numpy as np

import nncore
from c_peer import add_c_export
from onnx_peer import OnnxNetwork
from timing import timed_runs
from workload import System, Workload, peer

W10_ROWS = 100_000
W10_SMOKE_ROWS = 1_000
# name: (widths, hidden activation, output activation, dtype, agreement with nncore)
W10 = {
    "W10": ((10, 32, 32, 1), "tanh", "identity", np.float64, 1e-12),
    "W10-f32": ((784, 256, 10), "relu", "softmax", np.float32, 1e-5),
}


def w10_workload(name, threads, smoke):
    sizes, activation, output, dtype, rtol = W10[name]
    n_rows = W10_SMOKE_ROWS if smoke else W10_ROWS
    workload = Workload(name, f"{name}: predict {n_rows:,} rows, {'-'.join(map(str, sizes))} "
                        f"{activation}, {np.dtype(dtype).name}", "call", kind="predict",
                        predict_rtol=rtol)
    model = nncore.MLP(sizes, activation=activation, output_activation=output, dtype=dtype,
                       random_state=0)
    X = np.random.default_rng(0).standard_normal((n_rows, sizes[0])).astype(dtype)
    out = np.empty((n_rows, sizes[-1]), dtype=dtype)

    def nncore_call():
        model.predict(X, out=out)
    for count, label in ((1, "nncore"), (threads, f"nncore {threads} threads")):
        workload.add(label, System(timed_runs(nncore_call), lambda: out.copy(), blas_threads=count))

    # The same weights with deterministic=True: every product in nncore's
    # own fixed-order kernels, no BLAS (the bits of the C export's loops).
    fixed = nncore.MLP(sizes, activation=activation, output_activation=output, dtype=dtype,
                       deterministic=True)
    fixed.coefs_, fixed.intercepts_ = model.coefs_, model.intercepts_
    fixed_out = np.empty_like(out)
    workload.add("nncore deterministic", System(
        timed_runs(lambda: fixed.predict(X, out=fixed_out)), lambda: fixed_out.copy()))

    available, reason = peer("ONNX Runtime")
    for count, label in ((1, "ONNX Runtime"), (threads, f"ONNX Runtime {threads} threads")):
        if available:
            session = OnnxNetwork(model, threads=count)
            workload.add(label, System(timed_runs(lambda session=session: session.run(X)),
                                       lambda session=session: session.run(X)))
        else:
            workload.skip(label, reason)

    add_c_export(workload, model, X, batch=True)
    return workload
