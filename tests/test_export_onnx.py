"""The ONNX export, run by ONNX Runtime: the network's outputs match predict
(float64 to 1e-12, float32 to 1e-6, relative to the outputs' scale; float64
GELU to 1e-7, its erf being float32's) for every activation, with and
without biases; the estimators' outputs have the names,
types and shapes of skl2onnx's converters for scikit-learn's MLPs; and a
pipeline with an nncore estimator converts through skl2onnx."""
import subprocess
import sys

import numpy as np
import pytest

import nncore
from nncore._config import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = {np.dtype(np.float64): 1e-12, np.dtype(np.float32): 1e-6}
# ONNX Runtime has Erf in float32 only, so a float64 GELU's erf is float32's
# (measured: 2.7e-8 on these networks, 8.2e-8 on z in [-40, 40]).
GELU_FLOAT64_TOLERANCE = 1e-7


def run(onnx_model, X):
    session = ort.InferenceSession(onnx_model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


def assert_close(actual, expected, tolerance=None):
    """Equal to the dtype's tolerance, relative to the largest output (a sum
    that cancels to near 0 keeps only absolute accuracy)."""
    tolerance = TOLERANCE[expected.dtype] if tolerance is None else tolerance
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance * scale)


def _cases():
    n = len(OUTPUT_ACTIVATIONS)
    cases = [(hidden, output, bias) for hidden in HIDDEN_ACTIVATIONS
             for output, bias in ((OUTPUT_ACTIVATIONS[len(hidden) % n], True),
                                  (OUTPUT_ACTIVATIONS[(len(hidden) + 3) % n], False))]
    cases += [("tanh", output, bias) for output in OUTPUT_ACTIVATIONS for bias in (True, False)]
    return cases


@pytest.mark.parametrize("hidden, output, bias", _cases())
def test_onnx_runtime_matches_predict(dtype, hidden, output, bias):
    model = nncore.MLP([6, 9, 8, 3], activation=hidden, output_activation=output, bias=bias,
                       dtype=dtype, random_state=1, negative_slope=0.2)
    if dtype == np.float64:
        # Weights large enough that tanh and the sigmoid saturate. Not in
        # float32: the sums cancel more there, and the two summation orders
        # (ONNX Runtime's kernels use FMA) then differ by more than 1e-6.
        model.coefs_ = [c * 4 for c in model.coefs_]
    X = np.random.default_rng(2).normal(0, 2, (50, 6)).astype(dtype)
    onnx_model = model.to_onnx()
    (Y,) = run(onnx_model, X)
    gelu_in_float64 = "gelu" in (hidden, output) and dtype == np.float64
    assert_close(Y, model.predict(X), GELU_FLOAT64_TOLERANCE if gelu_in_float64 else None)
    assert [i.name for i in onnx_model.graph.input] == ["X"]
    assert [o.name for o in onnx_model.graph.output] == ["Y"]


def test_float64_stays_float64_throughout():
    model = nncore.MLP([3, 4, 2], activation="leaky_relu", output_activation="softmax")
    graph = model.to_onnx().graph
    assert {init.data_type for init in graph.initializer} == {onnx.TensorProto.DOUBLE}
    assert "Cast" not in {node.op_type for node in graph.node}
    assert "LeakyRelu" not in {node.op_type for node in graph.node}


def test_default_opset_and_path(tmp_path):
    model = nncore.MLP([3, 4, 1], activation="tanh", random_state=0)
    onnx_model = model.to_onnx(tmp_path / "model.onnx")
    assert onnx_model.opset_import[0].version == 17
    assert onnx.load(str(tmp_path / "model.onnx")) == onnx_model
    assert model.to_onnx(opset=13).opset_import[0].version == 13


@pytest.mark.parametrize("opset, error, match", [
    (12, ValueError, "opset: got 12, expected an integer >= 13"),
    ("17", TypeError, "opset: got '17' of type str, expected an integer"),
])
def test_bad_opset(opset, error, match):
    with pytest.raises(error, match=match):
        nncore.MLP([2, 1]).to_onnx(opset=opset)


# -- estimators ----------------------------------------------------------------------


@pytest.fixture
def data():
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    return X, X[:, 0] + X[:, 1] > 0, rng


def fit(estimator, X, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short fit is enough here
        return estimator.fit(X, y)


def classifier(**options):
    return nncore.MLPClassifier(hidden_layer_sizes=(7,), activation="tanh", max_iter=30,
                                random_state=0, **options)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "strings", "multilabel"])
def test_classifier_outputs(data, dtype, kind):
    X, positive, rng = data
    X = X.astype(dtype)
    y = {"binary": positive.astype(int) * 3,
         "multiclass": rng.integers(0, 4, len(X)),
         "strings": np.array(["cat", "dog", "emu"])[rng.integers(0, 3, len(X))],
         "multilabel": rng.integers(0, 2, (len(X), 3))}[kind]
    estimator = fit(classifier(), X, y)
    onnx_model = estimator.to_onnx()
    outputs = {o.name: o for o in onnx_model.graph.output}
    assert list(outputs) == ["label", "probabilities"]
    label_type = outputs["label"].type.tensor_type.elem_type
    assert label_type == (onnx.TensorProto.STRING if kind == "strings" else onnx.TensorProto.INT64)
    label, probabilities = run(onnx_model, X)
    np.testing.assert_array_equal(label, estimator.predict(X))
    assert_close(probabilities, estimator.predict_proba(X))


def test_regressor_outputs(data, dtype):
    X, _, _ = data
    X = X.astype(dtype)
    for y in (X[:, 0] * 2, X[:, :2] - 1):
        estimator = fit(nncore.MLPRegressor(hidden_layer_sizes=(5, 4), max_iter=30,
                                            random_state=0), X, y)
        onnx_model = estimator.to_onnx()
        assert [o.name for o in onnx_model.graph.output] == ["variable"]
        (variable,) = run(onnx_model, X)
        assert_close(variable, estimator.predict(X).reshape(len(X), -1))


def test_unfitted_estimator_refuses():
    pytest.importorskip("sklearn")
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        nncore.MLPRegressor().to_onnx()


# -- skl2onnx ------------------------------------------------------------------------


@pytest.fixture
def registered():
    pytest.importorskip("skl2onnx")
    nncore.register_onnx_converters()


@pytest.mark.parametrize("zipmap", [True, False])
def test_pipeline_converts_through_skl2onnx(data, registered, zipmap):
    import skl2onnx
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, _, rng = data
    # ONNX Runtime's ZipMap takes float32 probabilities only, so with ZipMap
    # (skl2onnx's default) the input is float32, as for scikit-learn's MLPs.
    X = (X * 10 + 3).astype(np.float32 if zipmap else np.float64)
    y = rng.integers(0, 3, len(X))
    pipeline = fit(Pipeline([("scale", StandardScaler()), ("mlp", classifier())]), X, y)
    options = None if zipmap else {id(pipeline.steps[-1][1]): {"zipmap": False}}
    onnx_model = skl2onnx.to_onnx(pipeline, X[:1], options=options)
    label, probabilities = run(onnx_model, X)
    np.testing.assert_array_equal(label, pipeline.predict(X))
    if zipmap:  # skl2onnx's default: one {class: probability} per row
        probabilities = np.array([[row[c] for c in pipeline.classes_] for row in probabilities],
                                 dtype=np.float32)
    assert_close(probabilities, pipeline.predict_proba(X))


def test_regressor_pipeline_converts_through_skl2onnx(data, registered):
    import skl2onnx
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, _, _ = data
    y = X[:, :2] * 3
    pipeline = fit(Pipeline([("scale", StandardScaler()),
                             ("mlp", nncore.MLPRegressor(hidden_layer_sizes=(6,), max_iter=30,
                                                         random_state=0))]), X, y)
    onnx_model = skl2onnx.to_onnx(pipeline, X[:1])
    (variable,) = run(onnx_model, X)
    assert_close(variable, pipeline.predict(X))


def test_onnx_is_imported_only_when_used():
    import subprocess
    import sys

    code = ("import sys, nncore; nncore.MLP([2, 1]).to_c(sys.argv[1]); "
            "print(sorted({'onnx', 'onnxruntime', 'skl2onnx'} & set(sys.modules)))")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = subprocess.run([sys.executable, "-I", "-c", code, folder],
                                capture_output=True, text=True, check=True)
    assert result.stdout == "[]\n"


def test_float64_gelu_casts_only_its_erf():
    model = nncore.MLP([3, 4, 2], activation="gelu", output_activation="gelu")
    nodes = model.to_onnx().graph.node
    casts = [node for node in nodes if node.op_type == "Cast"]
    erfs = [node for node in nodes if node.op_type == "Erf"]
    assert len(erfs) == 2 and len(casts) == 4
    assert {cast.output[0] for cast in casts[::2]} == {erf.input[0] for erf in erfs}
    assert {cast.input[0] for cast in casts[1::2]} == {erf.output[0] for erf in erfs}


@pytest.mark.parametrize("activation", ["softplus", "elu"])
def test_softplus_and_elu_are_exact_where_predicts_are(activation):
    # softplus is z itself above 20 (PyTorch's threshold), where log1p(exp(z))
    # is not yet z in float64; ELU and softplus keep their relative accuracy
    # near 0 and far into the negative tail.
    model = nncore.MLP([1, 1], output_activation=activation)
    model.coefs_, model.intercepts_ = [np.ones((1, 1))], [np.zeros(1)]
    z = np.array([[20.25], [20.5], [1e3], [20.0], [-1e-12], [1e-12], [-30.0], [-700.0], [0.0]])
    (Y,) = run(model.to_onnx(), z)
    expected = model.predict(z)
    np.testing.assert_allclose(Y, expected, rtol=1e-14, atol=0)
    if activation == "softplus":
        assert (Y[:3] == z[:3]).all()
