"""The C export: compiled with gcc and clang as ISO C99 with every warning an
error, the exported network gives predict's bits, row by row, for every
activation, with and without biases, at depths 1 to 4, in both dtypes, with
weights large enough to saturate the activations."""
import shutil
import subprocess

import numpy as np
import pytest

import nncore
from nncore._config import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

COMPILERS = [name for name in ("gcc", "clang") if shutil.which(name)]
FLAGS = ["-std=c99", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
N_ROWS = 64

# Reads N rows from argv[1], writes predict's outputs row by row, then
# predict_batch's, to argv[2].
HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "net.h"

int main(int argc, char **argv)
{
    size_t n = (size_t) strtoul(argv[3], NULL, 10), i;
    REAL *x = malloc(n * NET_N_INPUTS * sizeof *x);
    REAL *y = malloc(2 * n * NET_N_OUTPUTS * sizeof *y);
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (argc != 4 || x == NULL || y == NULL || in == NULL || out == NULL)
        return 1;
    if (fread(x, sizeof *x, n * NET_N_INPUTS, in) != n * NET_N_INPUTS)
        return 2;
    for (i = 0; i < n; i++)
        net_predict(x + i * NET_N_INPUTS, y + i * NET_N_OUTPUTS);
    net_predict_batch(x, n, y + n * NET_N_OUTPUTS);
    if (fwrite(y, sizeof *y, 2 * n * NET_N_OUTPUTS, out) != 2 * n * NET_N_OUTPUTS)
        return 3;
    fclose(in);
    fclose(out);
    free(x);
    free(y);
    return 0;
}
"""


def _cases():
    """(hidden activation, output activation, bias, depth): every hidden
    activation at depths 2 to 4 with and without biases, and every output
    activation at depths 1 to 4."""
    cases = []
    for i, hidden in enumerate(HIDDEN_ACTIVATIONS):
        for bias in (True, False):
            cases.append((hidden, OUTPUT_ACTIVATIONS[i], bias, 2 + (i + bias) % 3))
    for i, output in enumerate(OUTPUT_ACTIVATIONS):
        for bias in (True, False):
            # exp after a bounded hidden layer, so that it cannot overflow
            hidden = "tanh" if output == "exp" else HIDDEN_ACTIVATIONS[(i + 2) % len(HIDDEN_ACTIVATIONS)]
            cases.append((hidden, output, bias, 1 + (i + bias) % 4))
    return cases


def saturating_model(hidden, output, bias, depth, dtype, seed=0):
    """A model whose weights are scaled up so that pre-activations reach the
    activations' clamps (sigmoid, tanh and softmax saturate)."""
    sizes = [5] + [7] * (depth - 1) + [3]
    model = nncore.MLP(sizes, activation=hidden, output_activation=output, bias=bias,
                       dtype=dtype, random_state=seed, negative_slope=0.1)
    scales = [12.0] * (depth - 1) + [1.0 if output == "exp" else 12.0]
    model.coefs_ = [c * s for c, s in zip(model.coefs_, scales)]
    if bias:
        model.intercepts_ = [b * 3 for b in model.intercepts_]
    return model


def run_exported(model, tmp_path, compiler, x):
    """Compile the exported model with the harness; (rows one by one, batch) outputs."""
    model.to_c(tmp_path, "net")
    real = "float" if model.dtype == np.float32 else "double"
    (tmp_path / "harness.c").write_text(HARNESS)
    binary = tmp_path / f"harness_{compiler}"
    built = subprocess.run([compiler, *FLAGS, f"-DREAL={real}", "-I", str(tmp_path),
                            str(tmp_path / "harness.c"), str(tmp_path / "net.c"), "-o", str(binary)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    x = np.ascontiguousarray(x, dtype=model.dtype)
    x.tofile(tmp_path / "x.bin")
    subprocess.run([str(binary), str(tmp_path / "x.bin"), str(tmp_path / "y.bin"), str(len(x))],
                   check=True)
    y = np.fromfile(tmp_path / "y.bin", dtype=model.dtype).reshape(2, len(x), model.n_outputs)
    return y[0], y[1]


def predict_rows(model, x):
    """predict on each row alone, with out=: nncore's one-row path."""
    out = np.empty((len(x), model.n_outputs), dtype=model.dtype)
    for i, row in enumerate(np.asarray(x, dtype=model.dtype)):
        model.predict(row, out=out[i])
    return out


@pytest.fixture(params=COMPILERS or [pytest.param(None, marks=pytest.mark.skip("no C compiler"))])
def compiler(request):
    return request.param


@pytest.mark.parametrize("hidden, output, bias, depth", _cases())
def test_exported_c_gives_predicts_bits(tmp_path, compiler, dtype, hidden, output, bias, depth):
    model = saturating_model(hidden, output, bias, depth, dtype)
    x = np.random.default_rng(depth).normal(0, 2, (N_ROWS, model.n_inputs))
    x[0] = 0  # exact zeros through every activation
    expected = predict_rows(model, x)
    one_by_one, batch = run_exported(model, tmp_path, compiler, x)
    assert one_by_one.tobytes() == expected.tobytes()
    assert batch.tobytes() == expected.tobytes()


@pytest.mark.parametrize("sizes", [(5, 7, 3), (40, 64, 64, 10)])
def test_deterministic_batches_give_the_exported_bits(tmp_path, compiler, dtype, sizes):
    # With deterministic=True every product is nncore's own fixed-order sum,
    # so predict on a whole batch (not only row by row) gives the C export's
    # bits; the default mode's BLAS products round differently.
    model = nncore.MLP(sizes, activation="tanh", output_activation="softmax", dtype=dtype,
                       random_state=0, deterministic=True)
    x = np.random.default_rng(1).normal(0, 2, (300, sizes[0]))
    _, batch = run_exported(model, tmp_path, compiler, x)
    assert batch.tobytes() == model.predict(x.astype(dtype)).tobytes()


def test_activations_saturate(dtype):
    # The scaled weights do reach the clamps: tanh gives exactly +-1, the
    # sigmoid values within 1e-12 of 0 and 1.
    x = np.random.default_rng(3).normal(0, 2, (N_ROWS, 5))
    outputs = predict_rows(saturating_model("tanh", "tanh", True, 3, dtype), x)
    assert np.any(outputs == 1) and np.any(outputs == -1)
    outputs = predict_rows(saturating_model("tanh", "logistic", True, 3, dtype), x)
    assert outputs.max() >= 1 - 1e-12 and outputs.min() <= 1e-12


@pytest.mark.filterwarnings("ignore:Stochastic Optimizer")  # a short fit is enough here
def test_estimators_export_their_network(tmp_path, compiler):
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    classifier = nncore.MLPClassifier(hidden_layer_sizes=(6,), max_iter=20, random_state=0).fit(X, y)
    regressor = nncore.MLPRegressor(hidden_layer_sizes=(6,), max_iter=20, random_state=0).fit(X, X[:, :2])
    for estimator, expected in ((classifier, classifier.predict_proba(X)[:, 1:]),
                                (regressor, regressor.predict(X))):
        one_by_one, batch = run_exported(estimator._model, tmp_path, compiler, X)
        estimator.to_c(tmp_path, "net")
        assert (tmp_path / "net.c").read_text() == _exported_text(estimator._model, tmp_path)
        np.testing.assert_allclose(one_by_one, expected, rtol=1e-12, atol=1e-15)


def _exported_text(model, tmp_path):
    model.to_c(tmp_path / "again", "net")
    return (tmp_path / "again" / "net.c").read_text()


def test_exported_code_embeds_nncores_scalar_math(tmp_path):
    import importlib.resources

    scalar = importlib.resources.files("nncore").joinpath("_scalar_math.h").read_text()
    assert "nncore_expm1_f64" in scalar
    nncore.MLP([2, 3, 1]).to_c(tmp_path, "net")
    source = (tmp_path / "net.c").read_text()
    assert scalar in source
    assert "#include <math.h>" not in source
    assert "static const double net_w0[6]" in source


def test_fast_math_is_refused(tmp_path, compiler):
    nncore.MLP([2, 3, 1], activation="tanh").to_c(tmp_path, "net")
    result = subprocess.run([compiler, "-std=c99", "-O3", "-ffast-math", "-c",
                             str(tmp_path / "net.c"), "-o", str(tmp_path / "net.o")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "-ffast-math" in result.stderr


def test_header_declares_sizes_and_entry_points(tmp_path):
    nncore.MLP([4, 3, 2], dtype=np.float32).to_c(tmp_path, "tiny_net")
    header = (tmp_path / "tiny_net.h").read_text()
    assert "#define TINY_NET_N_INPUTS 4" in header
    assert "#define TINY_NET_N_OUTPUTS 2" in header
    assert "void tiny_net_predict(const float *x, float *y);" in header
    assert "void tiny_net_predict_batch(const float *x, size_t n, float *y);" in header


@pytest.mark.parametrize("name", ["", "9lives", "has space", "_hidden", "double", "naïve", "a-b"])
def test_name_must_be_a_c_identifier(tmp_path, name):
    with pytest.raises(ValueError, match=r"name: got .*expected a C identifier"):
        nncore.MLP([2, 1]).to_c(tmp_path, name)
    assert not list(tmp_path.iterdir())


def test_name_must_be_a_string(tmp_path):
    with pytest.raises(TypeError, match="name: got 3 of type int, expected a str"):
        nncore.MLP([2, 1]).to_c(tmp_path, 3)


def test_directory_must_not_be_a_file(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="directory: got .*which is a file"):
        nncore.MLP([2, 1]).to_c(tmp_path / "file")


def test_unfitted_estimator_refuses(tmp_path):
    pytest.importorskip("sklearn")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        nncore.MLPClassifier().to_c(tmp_path)


# Applies the embedded scalar GELU to argv[3] doubles from argv[1], in the
# type REAL (float32 through float64, as the kernels), writing argv[2].
GELU_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
%s
%s
int main(int argc, char **argv)
{
    size_t n = (size_t) strtoul(argv[3], NULL, 10), i;
    REAL *x = malloc(n * sizeof *x);
    FILE *in = fopen(argv[1], "rb"), *out = fopen(argv[2], "wb");
    if (argc != 4 || x == NULL || in == NULL || out == NULL || fread(x, sizeof *x, n, in) != n)
        return 1;
    for (i = 0; i < n; i++)
        x[i] = (REAL) nncore_gelu_from_f64(x[i], nncore_gelu_arg_f64(x[i]), 0.0);
    return fwrite(x, sizeof *x, n, out) != n;
}
"""


def test_scalar_gelu_gives_the_kernels_bits(tmp_path, compiler, dtype):
    # The exported formula against the vectorized kernel, 256 neighbours of
    # every row boundary of the erfc table, of the switch at 12 and the
    # clamps at 40 and 48, both signs, and zeros, infinities, subnormals.
    from nncore import _kernel_views
    from nncore.export.c import erfcx_table_source, scalar_math_source

    edges = np.array([k / 4 for k in range(49)] + [48 / k for k in range(1, 5)] + [40.0, 38.5])
    near = (edges[:, None] + np.arange(-128, 128) * np.spacing(np.maximum(edges, 1))[:, None]).ravel()
    tiny = np.finfo(dtype).smallest_subnormal
    x = np.concatenate([near, -near, np.linspace(-60, 60, 20_001), [0.0, -0.0, np.inf, -np.inf, tiny, -tiny]])
    x = x.astype(dtype)
    real = "float" if dtype == np.float32 else "double"
    (tmp_path / "gelu.c").write_text(GELU_HARNESS % (erfcx_table_source(), scalar_math_source()))
    binary = tmp_path / "gelu"
    # The header's other formulas go unused here (clang warns of them).
    built = subprocess.run([compiler, *FLAGS, "-Wno-unused-function", f"-DREAL={real}", str(tmp_path / "gelu.c"),
                            "-o", str(binary)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    x.tofile(tmp_path / "x.bin")
    subprocess.run([str(binary), str(tmp_path / "x.bin"), str(tmp_path / "y.bin"), str(x.size)], check=True)
    expected = np.empty_like(x)
    _kernel_views._gelu_forward(x, expected)
    assert np.fromfile(tmp_path / "y.bin", dtype=dtype).tobytes() == expected.tobytes()
