"""NNCORE_ISA forces every dispatched kernel onto one instruction set. Each
build must give the same bits: a child process per set this CPU runs trains
and predicts with the tutorial's network, deterministic MLPs of the W2, W4
and W8 sizes (dense and sparse input, every optimizer, dropout) and
evaluates the activations (GELU's also around every row boundary of its
erfc table) and the dropout masks over sweeps, and all must hash alike."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from nncore import _engine, _kernel_views, _kernels

CHILD = textwrap.dedent("""
    import hashlib, json
    import numpy as np
    import scipy.sparse
    import nncore
    from nncore import _kernels, _kernel_views

    digest = {}

    def record(name, *arrays):
        digest[name] = hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()

    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        tag = np.dtype(dtype).name
        x = rng.random((256, 64)).astype(dtype)
        y = rng.random((256, 1)).astype(dtype)
        np.random.seed(1)
        tutorial = nncore.NeuralNetwork(x, y, hidden=128, learning_rate=0.01, dtype=dtype)
        tutorial.train(20)
        record(f"tutorial train {tag}", tutorial.weights1, tutorial.weights2, tutorial.output)

        for name, sizes, n_samples, batch, optimizer, activation in (
                ("W2", (64, 128, 10), 256, 256, "sgd", "logistic"),
                ("W4", (64, 32, 10), 600, 32, "adam", "relu"),
                ("W8", (64, 100, 10), 600, 200, nncore.SGD(momentum=0.9, nesterov=True), "tanh"),
                ("per-sample", (10, 32, 32, 10), 200, 1, nncore.SGD(momentum=0.9), "tanh")):
            x = rng.random((n_samples, sizes[0])).astype(dtype)
            labels = rng.integers(0, sizes[-1], n_samples)
            model = nncore.MLP(sizes, activation=activation, output_activation="softmax",
                               dtype=dtype, random_state=0, deterministic=True)
            model.fit(x, labels, epochs=3, batch_size=batch, optimizer=optimizer, l2=1e-3)
            record(f"{name} fit {tag}", model.params_, model.predict(x), model.predict(x[:1]))

        model = nncore.MLP((64, 96, 96, 10), activation="gelu", output_activation="softmax",
                           dtype=dtype, random_state=0, deterministic=True, dropout=0.1)
        model.fit(rng.random((300, 64)).astype(dtype), rng.integers(0, 10, 300), epochs=2,
                  batch_size=64, optimizer="adamw")
        record(f"dropout fit {tag}", model.params_)
        keep = np.empty(100_001, dtype)
        _kernel_views.dropout_keep(7, 1, 2, 0, 0.3, keep)
        record(f"dropout masks {tag}", keep)

        dense = rng.random((300, 500)) * (rng.random((300, 500)) < 0.05)
        sparse = scipy.sparse.csr_matrix(dense.astype(dtype))
        model = nncore.MLP((500, 40, 3), dtype=dtype, random_state=0)
        model.fit(sparse, rng.random((300, 3)).astype(dtype), epochs=2, batch_size=50, optimizer="adam")
        record(f"sparse fit {tag}", model.params_, model.predict(sparse))

        sweep = np.linspace(-60, 60, 100_003).astype(dtype)
        for activation in ("logistic", "tanh", "exp", "gelu", "silu", "elu", "softplus"):
            code = _kernels.ACTIVATION_CODES[activation]
            for n in (7, 31, 100_003):  # the short and the wide builds
                out = np.empty((1, n), dtype)
                _kernel_views._activation_forward(code, sweep[None, :n] / (10 if activation == "exp" else 1),
                                                  out, 0.01)
                record(f"{activation} {n} {tag}", out)
                if activation in ("gelu", "silu", "elu", "softplus"):  # their derivatives too
                    grad = np.empty((1, n), dtype)
                    _kernel_views._activation_backward(code, np.ones((1, n), dtype), sweep[None, :n].copy(),
                                                       out, grad, 0.01)
                    record(f"{activation} derivative {n} {tag}", grad)

        # GELU's table: 512 neighbours of every row boundary (v = k/4 below
        # 12, 1/v = k/48 above), of the clamps at 40 and 48, both signs.
        edges = np.array([k / 4 for k in range(49)] + [48 / k for k in range(1, 5)] + [40.0], dtype)
        steps = np.arange(-256, 256)
        near = edges[:, None] + steps * np.spacing(np.maximum(edges, 1))[:, None]
        near = np.concatenate([near.ravel(), -near.ravel()]).astype(dtype)
        for n in (7, near.size):
            out, grad = np.empty(n, dtype), np.empty(n, dtype)
            _kernel_views._gelu_forward(near[:n], out)
            _kernel_views._gelu_backward(np.ones(n, dtype), near[:n], grad)
            record(f"gelu table edges {n} {tag}", out, grad)
    print(json.dumps({"isa": _kernels.isa_in_use(), "digest": digest}))
""")


def run_child(isa):
    env = dict(os.environ, NNCORE_ISA=isa)
    return subprocess.run([sys.executable, "-I", "-c", CHILD], env=env, capture_output=True, text=True,
                          timeout=600)


def test_every_module_runs_the_same_set():
    in_use = {_kernels.isa_in_use(), _engine.isa_in_use(), _kernel_views.isa_in_use()}
    assert len(in_use) == 1
    expected = os.environ.get("NNCORE_ISA") or _kernels.ISA_SUPPORTED[-1]
    assert in_use == {expected}


def test_every_instruction_set_gives_the_same_bits():
    pytest.importorskip("scipy.sparse")
    runs = {}
    for isa in _kernels.ISA_SUPPORTED:
        result = run_child(isa)
        assert result.returncode == 0, result.stderr
        runs[isa] = json.loads(result.stdout)
        assert runs[isa]["isa"] == isa
    digests = {isa: run["digest"] for isa, run in runs.items()}
    first = next(iter(digests.values()))
    for isa, digest in digests.items():
        assert digest == first, {name: isa for name in digest if digest[name] != first[name]}


def test_an_unknown_set_is_a_clear_error():
    result = run_child("sse9")
    assert result.returncode != 0
    assert "ValueError: NNCORE_ISA must be one of baseline, avx2, avx512" in result.stderr
    assert "got 'sse9'" in result.stderr


def test_a_set_the_cpu_lacks_is_a_clear_error():
    lacking = [isa for isa in _kernels.ISA_NAMES if isa not in _kernels.ISA_SUPPORTED]
    if not lacking:
        pytest.skip("this CPU runs every instruction set nncore is built for")
    result = run_child(lacking[-1])
    assert result.returncode != 0
    assert f"NNCORE_ISA={lacking[-1]} asks for an instruction set this CPU lacks" in result.stderr
