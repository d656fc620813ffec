"""nncore: small, fast dense neural networks on typed Cython kernels.

``nncore.reference`` is the tutorial in plain NumPy; ``Neuron``,
``OurNeuralNetwork`` and ``NeuralNetwork`` are the same classes on the
compiled core.
"""
from nncore.network import NeuralNetwork
from nncore.neuron import Neuron, OurNeuralNetwork

__all__ = ["Neuron", "OurNeuralNetwork", "NeuralNetwork"]
__version__ = "0.1.0"
