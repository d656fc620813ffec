"""nncore: small, fast dense neural networks on typed Cython kernels.

``nncore.reference`` is the tutorial in plain NumPy; ``Neuron``,
``OurNeuralNetwork`` and ``NeuralNetwork`` are the same classes on the
compiled core. ``MLP`` is the general engine: any depth, activations,
losses, optimizers and batch sizes, with ``save``/``load``.
``MLPClassifier`` and ``MLPRegressor`` are scikit-learn's estimators on the
same engine (they need scikit-learn, imported only when they are used).
"""
from typing import TYPE_CHECKING

from nncore._version import __version__


def _require_extensions():
    """A source checkout has the .pyx files but not the compiled modules: say
    what to do instead of failing deep in an import chain (as NumPy does)."""
    import importlib

    for name in ("_kernels", "_kernel_views", "_engine"):
        module = f"{__name__}.{name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
            raise ImportError(
                f"nncore's compiled extensions are not built ({module} is missing from "
                f"{__path__[0]}): install with `pip install .` (or build in place with "
                "`python setup.py build_ext --inplace`) and run from outside the source directory"
            ) from error


_require_extensions()
del _require_extensions

from nncore import _isa  # noqa: F401  (NNCORE_ISA is checked before anything runs)

from nncore.export.onnx import register_onnx_converters
from nncore.model import MLP, Gradients, load
from nncore.network import NeuralNetwork
from nncore.neuron import Neuron, OurNeuralNetwork
from nncore.optimizers import SGD, Adam, AdamW
from nncore.schedules import CosineDecay, ExponentialDecay, OneCycle, ReduceOnPlateau, StepDecay
from nncore.training import EarlyStopping, History

__all__ = [
    "Neuron", "OurNeuralNetwork", "NeuralNetwork",
    "MLP", "Gradients", "SGD", "Adam", "AdamW", "EarlyStopping", "History", "load",
    "StepDecay", "ExponentialDecay", "CosineDecay", "OneCycle", "ReduceOnPlateau",
    "MLPClassifier", "MLPRegressor", "register_onnx_converters",
]

_ESTIMATORS = ("MLPClassifier", "MLPRegressor")
if TYPE_CHECKING:  # imported on first use at run time (see __getattr__)
    from nncore.sklearn import MLPClassifier, MLPRegressor


def __getattr__(name):
    # The estimators import scikit-learn, which is optional and slow to load.
    if name in _ESTIMATORS:
        try:
            from nncore import sklearn
        except ImportError as error:
            # An AttributeError, so that hasattr() and getattr(nncore, name,
            # default) say "absent" without scikit-learn; the message keeps
            # the install hint.
            raise AttributeError(f"module 'nncore' has no attribute {name!r}: {error}") from error
        return getattr(sklearn, name)
    raise AttributeError(f"module 'nncore' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))
