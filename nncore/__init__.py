"""nncore: small, fast dense neural networks on typed Cython kernels.

``nncore.reference`` is the tutorial in plain NumPy; ``Neuron``,
``OurNeuralNetwork`` and ``NeuralNetwork`` are the same classes on the
compiled core. ``MLP`` is the general engine: any depth, activations,
losses, optimizers and batch sizes, with ``save``/``load``.
``MLPClassifier`` and ``MLPRegressor`` are scikit-learn's estimators on the
same engine (they need scikit-learn, imported only when they are used).
"""
from typing import TYPE_CHECKING

from nncore._serialize import load
from nncore.model import MLP, Gradients
from nncore.network import NeuralNetwork
from nncore.neuron import Neuron, OurNeuralNetwork
from nncore.optimizers import SGD, Adam
from nncore.training import EarlyStopping, History

__all__ = [
    "Neuron", "OurNeuralNetwork", "NeuralNetwork",
    "MLP", "Gradients", "SGD", "Adam", "EarlyStopping", "History", "load",
    "MLPClassifier", "MLPRegressor",
]

_ESTIMATORS = ("MLPClassifier", "MLPRegressor")
if TYPE_CHECKING:  # imported on first use at run time (see __getattr__)
    from nncore.sklearn import MLPClassifier, MLPRegressor


def __getattr__(name):
    # The estimators import scikit-learn, which is optional and slow to load.
    if name in _ESTIMATORS:
        from nncore import sklearn
        return getattr(sklearn, name)
    raise AttributeError(f"module 'nncore' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))
__version__ = "0.1.0"
