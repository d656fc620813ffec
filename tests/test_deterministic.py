"""deterministic=True: every matrix product in nncore's own kernels, each
output summed in a fixed order, so the bits depend on neither the BLAS
kernels, nor the thread count, nor the CPU.

Across CPUs: the kernels' sums are those of the plain loop (test_gemm.py
checks every product bit for bit), and here a deterministic network's
outputs are those of the plain loop too. Across BLAS kernel sets and thread
counts: fits in fresh processes under each OPENBLAS_CORETYPE this CPU can
run, at 1 and 2 threads, give one hash."""
import hashlib
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nncore


def in_order_product(a, b):
    total = np.zeros((a.shape[0], b.shape[1]), dtype=a.dtype)
    for t in range(a.shape[1]):
        total = total + a[:, t:t + 1] * b[t:t + 1, :]
    return total


def test_no_product_goes_to_blas():
    model = nncore.MLP((784, 256, 10), deterministic=True, random_state=0)
    for layer in range(2):
        for rows in (2, 200, 2048):
            assert not model._engine.uses_blas(layer, rows)
    default = nncore.MLP((784, 256, 10), random_state=0)
    assert default._engine.uses_blas(0, 2048)


def test_outputs_are_the_plain_loops(dtype):
    rng = np.random.default_rng(3)
    model = nncore.MLP((300, 130, 7), activation="identity", deterministic=True, dtype=dtype, random_state=0)
    x = rng.standard_normal((150, 300)).astype(dtype)
    hidden = in_order_product(x, np.asarray(model.coefs_[0])) + model.intercepts_[0]
    expected = in_order_product(hidden, np.asarray(model.coefs_[1])) + model.intercepts_[1]
    np.testing.assert_array_equal(model.predict(x), expected, strict=True)


def test_tutorial_network_keeps_off_blas(dtype):
    rng = np.random.default_rng(4)
    x = rng.random((256, 64)).astype(dtype)
    y = rng.random((256, 1)).astype(dtype)
    np.random.seed(0)
    network = nncore.NeuralNetwork(x, y, hidden=130, dtype=dtype, deterministic=True)
    assert not network._engine.uses_blas(0, 256)
    np.random.seed(0)
    assert nncore.NeuralNetwork(x, y, hidden=130, dtype=dtype)._engine.uses_blas(0, 256)


def test_small_networks_keep_the_default_bits(dtype):
    # Below the BLAS threshold both modes run the same loops.
    rng = np.random.default_rng(5)
    x = rng.random((8, 3)).astype(dtype)
    y = rng.random((8, 1)).astype(dtype)
    fits = []
    for deterministic in (False, True):
        model = nncore.MLP((3, 4, 1), dtype=dtype, random_state=0, deterministic=deterministic)
        model.fit(x, y, epochs=20, batch_size=2, optimizer="adam", shuffle=False)
        fits.append(model.params_.copy())
    np.testing.assert_array_equal(*fits, strict=True)


def test_deterministic_must_be_a_bool():
    with pytest.raises(TypeError, match="deterministic"):
        nncore.MLP((2, 3, 1), deterministic="yes")
    with pytest.raises(TypeError, match="deterministic"):
        nncore.NeuralNetwork(np.ones((2, 2)), np.ones((2, 1)), deterministic=1.0)


def test_kept_by_save_load_pickle_and_config(tmp_path):
    model = nncore.MLP((300, 40, 3), deterministic=True, random_state=0)
    assert model.get_config()["deterministic"] is True
    assert "deterministic=True" in repr(model)
    model.save(tmp_path / "model.npz")
    for copy in (nncore.load(tmp_path / "model.npz"), pickle.loads(pickle.dumps(model))):
        assert copy.deterministic
        assert not copy._engine.uses_blas(0, 1000)


def test_a_file_without_the_setting_loads_in_the_default_mode(tmp_path):
    model = nncore.MLP((300, 40, 3), random_state=0)
    config = model.get_config()
    del config["deterministic"]
    from nncore import _serialize
    _serialize.write(tmp_path / "old.npz", config, model._get_state(), {})
    loaded = nncore.load(tmp_path / "old.npz")
    assert loaded.deterministic is False
    np.testing.assert_array_equal(loaded.params_, model.params_)


def test_estimators_take_the_parameter():
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    assert nncore.MLPClassifier().get_params()["deterministic"] is False
    estimator = nncore.MLPRegressor(hidden_layer_sizes=(40,), max_iter=3, deterministic=True, random_state=0,
                                    n_iter_no_change=1, tol=1e9)  # stops after one epoch: no warning
    x = np.random.default_rng(0).random((300, 200))
    estimator.fit(x, x[:, 0])
    assert estimator._model.deterministic
    assert not estimator._model._engine.uses_blas(0, 200)
    with pytest.raises(ValueError, match="deterministic"):
        nncore.MLPClassifier(deterministic="no").fit(x, x[:, 0] > 0.5)


# One fit per family of products: the digits' shapes with Adam (W4), a
# large layer's full batch (W5), scikit-learn's defaults (W8), each large
# enough that the default mode sends it to BLAS.
CHILD = textwrap.dedent("""
    import hashlib, json, sys
    import numpy as np
    import scipy.linalg  # SciPy's OpenBLAS (nncore's) loaded first, so the limit reaches it
    import nncore
    from threadpoolctl import threadpool_limits

    deterministic = sys.argv[1] == "1"
    rng = np.random.default_rng(0)
    hashes = {}
    with threadpool_limits(limits=int(sys.argv[2]), user_api="blas"):
        for name, sizes, n_samples, batch in (("W4", (64, 32, 10), 600, 32),
                                              ("W5", (784, 256, 10), 512, 512),
                                              ("W8", (64, 100, 10), 600, 200)):
            x = rng.random((n_samples, sizes[0]))
            y = rng.integers(0, sizes[-1], n_samples)
            model = nncore.MLP(sizes, output_activation="softmax", random_state=0,
                               deterministic=deterministic)
            model.fit(x, y, epochs=2, batch_size=batch, optimizer="adam")
            outputs = model.predict(x)
            hashes[name] = hashlib.sha256(model.params_.tobytes() + outputs.tobytes()).hexdigest()
    print(json.dumps(hashes))
""")


def runnable_coretypes():
    """OpenBLAS kernel sets this CPU can run, from the baseline up."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next(line for line in cpuinfo if line.startswith("flags")).split()
    except (OSError, StopIteration):
        return ["Prescott"]
    coretypes = ["Prescott"]
    if "avx" in flags:
        coretypes.append("Sandybridge")
    if "avx2" in flags:
        coretypes.append("Haswell")
    if "avx512f" in flags:
        coretypes.append("SkylakeX")
    return coretypes


def fit_hashes(deterministic, threads, coretype):
    env = dict(os.environ, OPENBLAS_CORETYPE=coretype)
    env.pop("OPENBLAS_NUM_THREADS", None)
    result = subprocess.run([sys.executable, "-I", "-c", CHILD, str(int(deterministic)), str(threads)],
                            env=env, capture_output=True, text=True, check=True, timeout=600)
    return json.loads(result.stdout)


def test_same_bits_under_every_blas_kernel_set_and_thread_count():
    pytest.importorskip("threadpoolctl")
    runs = {(coretype, threads): fit_hashes(True, threads, coretype)
            for coretype in runnable_coretypes() for threads in (1, 2)}
    assert len({json.dumps(hashes, sort_keys=True) for hashes in runs.values()}) == 1, runs
