from typing import Optional, Sequence

import numpy as np
from numpy.typing import DTypeLike, NDArray

ACTIVATIONS: dict[str, int]
BLAS_THRESHOLD: int

class DenseStack:
    n_layers: int
    n_samples: int
    n_params: int
    dtype: np.dtype
    params: NDArray[np.floating]
    grads: NDArray[np.floating]
    work: NDArray[np.floating]
    inputs: Optional[NDArray[np.floating]]
    targets: Optional[NDArray[np.floating]]
    epochs_done: int
    loss: float
    learning_rate: float
    def __init__(
        self,
        widths: Sequence[int],
        biases: Sequence[bool],
        activations: Sequence[str],
        n_samples: int,
        dtype: DTypeLike,
        blas_threshold: int = ...,
    ) -> None: ...
    def weights(self, layer: int) -> NDArray[np.floating]: ...
    def bias(self, layer: int) -> Optional[NDArray[np.floating]]: ...
    def outputs(self, layer: int) -> NDArray[np.floating]: ...
    def uses_blas(self, layer: int) -> bool: ...
    def bind(self, inputs: NDArray[np.floating], targets: NDArray[np.floating]) -> None: ...
    def forward(self) -> None: ...
    def backward(self) -> float: ...
    def step(self) -> None: ...
    def train(self, epochs: int, record_loss: bool = ...) -> Optional[NDArray[np.float64]]: ...
