"""Trained networks and estimators as ONNX graphs.

Every node is a standard ONNX operator (opset 13 and up) that ONNX Runtime
runs in both float32 and float64, so a float64 model stays float64 from
input to output, with one exception: GELU's ``Erf``, which ONNX Runtime
has in float32 only (``Gelu``, opset 20, too), so a float64 GELU computes
erf in float32 between two ``Cast`` nodes (about 1e-8 from ``predict``;
see the README). The leaky ReLU is ``Where(z <= 0, slope * z, z)`` rather
than ``LeakyRelu``, whose ``alpha`` is a float32 attribute (it would round
a float64 model's slope); ELU and softplus are composed from float64 nodes
too, as ONNX Runtime has ``Elu`` and ``Softplus`` in float32 only.

The graph is built through a small writer interface (``_Graph``), so one
set of functions serves both the stand-alone models written here and the
converters registered with skl2onnx (``register_onnx_converters``).
"""
from __future__ import annotations

import os
from typing import Any, Optional, Sequence, Union

import numpy as np

from nncore._validation import check_positive_int
from nncore.export._network import Network, network_of

DEFAULT_OPSET = 17
# Softmax over the last axis alone (older opsets flatten the trailing axes),
# and LessOrEqual: the opset the graphs need at least.
MIN_OPSET = 13

_ACTIVATION_OPS = {"logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "exp": "Exp"}


def _onnx():
    try:
        import onnx
    except ImportError as error:
        raise ImportError(
            'exporting to ONNX needs the onnx package: pip install "nncore-cython[onnx]"'
        ) from error
    return onnx


def _tensor_type(dtype: Any) -> int:
    onnx = _onnx()
    return onnx.TensorProto.FLOAT if np.dtype(dtype) == np.float32 else onnx.TensorProto.DOUBLE


class _Graph:
    """Where nodes and constants go: ``node`` adds one node and returns its
    output's name, ``constant`` adds an initializer and returns its name."""

    def node(self, op_type: str, inputs: Sequence[str], output: Optional[str] = None,
             **attributes: Any) -> str:
        raise NotImplementedError

    def constant(self, hint: str, value: np.ndarray) -> str:
        raise NotImplementedError


class _ModelGraph(_Graph):
    """Nodes and initializers for a stand-alone ``onnx.ModelProto``."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()

    def _unique(self, hint: str) -> str:
        name, count = hint, 0
        while name in self._names:
            count += 1
            name = f"{hint}_{count}"
        self._names.add(name)
        return name

    def node(self, op_type, inputs, output=None, **attributes):
        onnx = _onnx()
        output = output if output is not None else self._unique(op_type.lower())
        self._names.add(output)
        self.nodes.append(onnx.helper.make_node(op_type, list(inputs), [output],
                                                name=self._unique(f"{op_type}_node"), **attributes))
        return output

    def constant(self, hint, value):
        onnx = _onnx()
        name = self._unique(hint)
        self.initializers.append(onnx.numpy_helper.from_array(np.asarray(value), name))
        return name


class _ConverterGraph(_Graph):
    """Nodes and initializers in a skl2onnx container, with skl2onnx's unique names."""

    def __init__(self, scope: Any, container: Any) -> None:
        self.scope = scope
        self.container = container

    def node(self, op_type, inputs, output=None, **attributes):
        output = output if output is not None else self.scope.get_unique_variable_name(
            op_type.lower())
        self.container.add_node(op_type, list(inputs), output,
                                name=self.scope.get_unique_operator_name(op_type), **attributes)
        return output

    def constant(self, hint, value):
        value = np.asarray(value)
        name = self.scope.get_unique_variable_name(hint)
        if value.dtype.kind in "US":
            self.container.add_initializer(name, _onnx().TensorProto.STRING, list(value.shape),
                                           [str(v).encode("utf-8") for v in value.ravel()])
        else:
            onnx = _onnx()
            self.container.add_initializer(
                name, onnx.helper.np_dtype_to_tensor_dtype(value.dtype), list(value.shape),
                value.ravel().tolist())
        return name


def network_graph(graph: _Graph, network: Network, inputs: str,
                  output: Optional[str] = None) -> str:
    """Add the network's layers, reading ``inputs`` (N, n_inputs) in the
    network's dtype; returns the name of its (N, n_outputs) outputs."""
    dtype = network.dtype.type
    last = len(network.layers) - 1
    for l, layer in enumerate(network.layers):
        z = graph.node("MatMul", [inputs, graph.constant(f"coefficient{l}", layer.weights)])
        if layer.bias is not None:
            z = graph.node("Add", [z, graph.constant(f"intercept{l}", layer.bias)])
        target = output if l == last else None
        kind = layer.activation
        if kind in _ACTIVATION_OPS:
            z = graph.node(_ACTIVATION_OPS[kind], [z], target)
        elif kind == "softmax":
            z = graph.node("Softmax", [z], target, axis=-1)
        elif kind == "leaky_relu":
            nonpositive = graph.node("LessOrEqual", [z, graph.constant("zero", dtype(0))])
            scaled = graph.node("Mul", [z, graph.constant("negative_slope",
                                                          dtype(network.negative_slope))])
            z = graph.node("Where", [nonpositive, scaled, z], target)
        elif kind in _COMPOSED:
            z = _COMPOSED[kind](graph, z, dtype, target)
        elif target is not None:
            z = graph.node("Identity", [z], target)
        inputs = z
    return inputs


def _gelu(graph: _Graph, z: str, dtype: Any, target: Optional[str]) -> str:
    """z (1 + erf(z / sqrt 2)) / 2, erf in float32 (ONNX Runtime's only Erf)."""
    scaled = graph.node("Mul", [z, graph.constant("inverse_sqrt2", dtype(1 / np.sqrt(2)))])
    if dtype is np.float32:
        erf = graph.node("Erf", [scaled])
    else:
        single = graph.node("Cast", [scaled], to=_tensor_type(np.float32))
        erf = graph.node("Cast", [graph.node("Erf", [single])], to=_tensor_type(dtype))
    half = graph.node("Mul", [z, graph.constant("half", dtype(0.5))])
    return graph.node("Mul", [half, graph.node("Add", [graph.constant("one", dtype(1)), erf])],
                      target)


def _silu(graph: _Graph, z: str, dtype: Any, target: Optional[str]) -> str:
    """z sigmoid(z)."""
    return graph.node("Mul", [z, graph.node("Sigmoid", [z])], target)


def _elu(graph: _Graph, z: str, dtype: Any, target: Optional[str]) -> str:
    """max(z, 0) + expm1(min(z, 0)) (alpha 1), with expm1(t) = tanh(t/2)
    (exp(t) + 1), which keeps its relative accuracy near 0 where exp(t) - 1
    would cancel."""
    t = graph.node("Min", [z, graph.constant("zero", dtype(0))])
    half = graph.node("Tanh", [graph.node("Mul", [t, graph.constant("half", dtype(0.5))])])
    scale = graph.node("Add", [graph.node("Exp", [t]), graph.constant("one", dtype(1))])
    return graph.node("Add", [graph.node("Relu", [z]), graph.node("Mul", [half, scale])], target)


def _softplus(graph: _Graph, z: str, dtype: Any, target: Optional[str]) -> str:
    """PyTorch's (beta 1, threshold 20): z above 20, where log1p(exp(z))
    still differs from z in float64; else max(z, 0) + log1p(u), u =
    exp(-|z|), with log1p(u) = u log(w) / (w - 1), w = 1 + u, accurate to
    a few ulps (Goldberg's), and u itself where w rounds to 1."""
    one = graph.constant("one", dtype(1))
    u = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [z])])])
    w = graph.node("Add", [one, u])
    ratio = graph.node("Div", [graph.node("Mul", [u, graph.node("Log", [w])]),
                               graph.node("Sub", [w, one])])
    log1p = graph.node("Where", [graph.node("Equal", [w, one]), u, ratio])
    soft = graph.node("Add", [graph.node("Relu", [z]), log1p])
    linear = graph.node("Greater", [z, graph.constant("threshold", dtype(20))])
    return graph.node("Where", [linear, z, soft], target)


# The activations composed from several nodes: (graph, z, dtype, target) -> output.
_COMPOSED = {"gelu": _gelu, "silu": _silu, "elu": _elu, "softplus": _softplus}


def _model(graph: _ModelGraph, inputs: list[Any], outputs: list[Any], opset: Optional[int],
           name: str) -> Any:
    onnx = _onnx()
    opset = DEFAULT_OPSET if opset is None else check_positive_int("opset", opset, MIN_OPSET)
    body = onnx.helper.make_graph(graph.nodes, name, inputs, outputs, graph.initializers)
    model = onnx.helper.make_model(body, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="nncore")
    onnx.checker.check_model(model, full_check=True)
    return model


def mlp_model(model: Any, *, opset: Optional[int] = None) -> Any:
    """An ``nncore.MLP`` as an ``onnx.ModelProto``: "X" (N, n_inputs) -> "Y" (N, n_outputs)."""
    onnx = _onnx()
    network = network_of(model)
    elem = _tensor_type(network.dtype)
    graph = _ModelGraph()
    network_graph(graph, network, "X", "Y")
    return _model(graph, [onnx.helper.make_tensor_value_info("X", elem, [None, network.n_inputs])],
                  [onnx.helper.make_tensor_value_info("Y", elem, [None, network.n_outputs])],
                  opset, "nncore_mlp")


def save_model(onnx_model: Any, path: Union[str, os.PathLike[str]]) -> None:
    """Write ``onnx_model`` to ``path`` atomically."""
    from nncore._atomic import atomic_write

    with atomic_write(path) as file:
        file.write(onnx_model.SerializeToString())


# -- the estimators ------------------------------------------------------------------


def class_labels(classes: np.ndarray) -> np.ndarray:
    """The classes as skl2onnx writes them: int64 for integer, bool and
    integral float classes, UTF-8 strings for string classes."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f":
        if not np.all(classes == np.round(classes)):
            raise ValueError(f"classes_: got {classes!r}, expected integers or strings "
                             "(ONNX labels are int64 or strings)")
        return classes.astype(np.int64)
    if classes.dtype.kind in "OUS" and all(isinstance(c, str) for c in classes.ravel()):
        return classes.astype(str)
    raise ValueError(f"classes_: got {classes!r}, expected integers or strings "
                     "(ONNX labels are int64 or strings)")


def classifier_graph(graph: _Graph, estimator: Any, inputs: str, label: str,
                     probabilities: str, output_dtype: Any = None) -> None:
    """An ``nncore.MLPClassifier``'s "label" and "probabilities" from ``inputs``,
    as skl2onnx's converter for scikit-learn's MLPClassifier gives them:
    probabilities (N, n_classes), [1 - p, p] for a binary target; labels the
    classes at the argmax, int64 (N,) or strings, or for a multilabel
    target the int64 indicators p > 0.5, (N, n_classes)."""
    network = network_of(estimator._fitted_model())
    dtype = network.dtype.type
    output_dtype = network.dtype if output_dtype is None else np.dtype(output_dtype)
    inputs = graph.node("Cast", [inputs], to=_tensor_type(network.dtype))
    scores = network_graph(graph, network, inputs)
    multilabel = estimator._label_binarizer.y_type_ == "multilabel-indicator"
    if network.n_outputs == 1 and not multilabel:
        negative = graph.node("Sub", [graph.constant("one", dtype(1)), scores])
        scores = graph.node("Concat", [negative, scores], axis=1)
    if output_dtype != network.dtype:
        graph.node("Cast", [scores], probabilities, to=_tensor_type(output_dtype))
    else:
        graph.node("Identity", [scores], probabilities)
    if multilabel:
        positive = graph.node("Greater", [scores, graph.constant("threshold", dtype(0.5))])
        graph.node("Cast", [positive], label, to=_onnx().TensorProto.INT64)
        return
    index = graph.node("ArgMax", [scores], axis=1, keepdims=0)
    graph.node("Gather", [graph.constant("classes", class_labels(estimator.classes_)), index],
               label, axis=0)


def regressor_graph(graph: _Graph, estimator: Any, inputs: str, variable: str,
                    output_dtype: Any = None) -> None:
    """An ``nncore.MLPRegressor``'s predictions, (N, n_outputs), as "variable"."""
    network = network_of(estimator._fitted_model())
    output_dtype = network.dtype if output_dtype is None else np.dtype(output_dtype)
    inputs = graph.node("Cast", [inputs], to=_tensor_type(network.dtype))
    scores = network_graph(graph, network, inputs)
    if output_dtype != network.dtype:
        graph.node("Cast", [scores], variable, to=_tensor_type(output_dtype))
    else:
        graph.node("Identity", [scores], variable)


def estimator_model(estimator: Any) -> Any:
    """A fitted ``nncore.MLPClassifier`` or ``MLPRegressor`` as an
    ``onnx.ModelProto``, with the outputs of skl2onnx's converters for
    scikit-learn's MLPs called with ``options={"zipmap": False}``: "label"
    and "probabilities", or "variable". The input "X" is (N, n_features)
    in the dtype the estimator was fitted on."""
    from nncore.sklearn import MLPClassifier

    onnx = _onnx()
    network = network_of(estimator._fitted_model())
    elem = _tensor_type(network.dtype)
    graph = _ModelGraph()
    inputs = [onnx.helper.make_tensor_value_info("X", elem, [None, network.n_inputs])]
    if isinstance(estimator, MLPClassifier):
        classifier_graph(graph, estimator, "X", "label", "probabilities")
        labels = class_labels(estimator.classes_)
        n_classes = len(labels)
        multilabel = estimator._label_binarizer.y_type_ == "multilabel-indicator"
        label_elem = (onnx.TensorProto.STRING if labels.dtype.kind == "U"
                      else onnx.TensorProto.INT64)
        outputs = [onnx.helper.make_tensor_value_info(
                       "label", label_elem, [None, n_classes] if multilabel else [None]),
                   onnx.helper.make_tensor_value_info("probabilities", elem, [None, n_classes])]
    else:
        regressor_graph(graph, estimator, "X", "variable")
        outputs = [onnx.helper.make_tensor_value_info("variable", elem,
                                                      [None, network.n_outputs])]
    return _model(graph, inputs, outputs, None, f"nncore_{type(estimator).__name__}")


# -- skl2onnx ------------------------------------------------------------------------


def _convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.common.data_types import guess_numpy_type

    classifier_graph(_ConverterGraph(scope, container), operator.raw_operator,
                     operator.inputs[0].full_name, operator.outputs[0].full_name,
                     operator.outputs[1].full_name, guess_numpy_type(operator.outputs[1].type))


def _convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    from skl2onnx.common.data_types import guess_numpy_type

    regressor_graph(_ConverterGraph(scope, container), operator.raw_operator,
                    operator.inputs[0].full_name, operator.outputs[0].full_name,
                    guess_numpy_type(operator.outputs[0].type))


def _regressor_shapes(operator: Any) -> None:
    """skl2onnx's regressor shapes, but (N, n_outputs) for several outputs."""
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
    from skl2onnx.common.shape_calculator import calculate_linear_regressor_output_shapes

    calculate_linear_regressor_output_shapes(operator)
    kind = (DoubleTensorType if isinstance(operator.inputs[0].type, DoubleTensorType)
            else FloatTensorType)
    n_samples = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = kind([n_samples, operator.raw_operator.n_outputs_])


def register_onnx_converters() -> None:
    """Register nncore's estimators with skl2onnx, so ``skl2onnx.to_onnx``
    converts them alone or inside pipelines.

    The classifier takes skl2onnx's options for scikit-learn's
    MLPClassifier, with the same defaults: without options the labels come
    out as "output_label" and the probabilities through a ZipMap as
    "output_probability"; ``options={id(classifier): {"zipmap": False}}``
    gives the probabilities as an (N, n_classes) tensor.
    """
    try:
        from skl2onnx import update_registered_converter
        from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes
    except ImportError as error:
        raise ImportError('register_onnx_converters needs skl2onnx: '
                          'pip install "nncore-cython[skl2onnx]"') from error
    from nncore.sklearn import MLPClassifier, MLPRegressor

    update_registered_converter(
        MLPClassifier, "NncoreMLPClassifier", calculate_linear_classifier_output_shapes,
        _convert_classifier,
        options={"zipmap": [True, False, "columns"], "output_class_labels": [False, True],
                 "nocl": [True, False]})
    update_registered_converter(MLPRegressor, "NncoreMLPRegressor", _regressor_shapes,
                                _convert_regressor)
