"""nncore: small, fast dense neural networks on typed Cython kernels.

``nncore.reference`` is the tutorial in plain NumPy; ``Neuron``,
``OurNeuralNetwork`` and ``NeuralNetwork`` are the same classes on the
compiled core. ``MLP`` is the general engine: any depth, activations,
losses, optimizers and batch sizes, with ``save``/``load``.
"""
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
