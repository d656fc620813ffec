"""Type aliases of the public API (for annotations only)."""
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

FloatArray = NDArray[np.floating[Any]]
# Quoted: numpy.random is imported on first use, not by ``import nncore``.
RandomStateLike = Union[None, int, "np.random.Generator", "np.random.RandomState"]

__all__ = ["ArrayLike", "DTypeLike", "FloatArray", "RandomStateLike"]
