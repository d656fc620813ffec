"""nncore: small, fast dense neural networks on typed Cython kernels.

``nncore.reference`` is the tutorial in plain NumPy; ``Neuron``,
``OurNeuralNetwork`` and ``NeuralNetwork`` are the same classes on the
compiled core. ``MLP`` is the general engine: any depth, activations,
losses, optimizers and batch sizes, with ``save``/``load``.
"""
from nncore._serialize import load
from nncore.model import MLP, Gradients
from nncore.network import NeuralNetwork
from nncore.neuron import Neuron, OurNeuralNetwork
from nncore.optimizers import SGD, Adam
from nncore.training import EarlyStopping, History

__all__ = [
    "Neuron", "OurNeuralNetwork", "NeuralNetwork",
    "MLP", "Gradients", "SGD", "Adam", "EarlyStopping", "History", "load",
]
__version__ = "0.1.0"
