from typing import Any, Optional, Sequence, Union

import numpy as np
from numpy.typing import DTypeLike, NDArray
from typing_extensions import disjoint_base

BLAS_THRESHOLD: int
NEVER_BLAS: int
CHUNK_WORK: int
CONCURRENT_USE: str
OPTIMIZER_CODES: dict[str, int]

_Array = NDArray[np.floating]
# A C-contiguous array, or a checked CSR matrix (nncore._validation.CheckedCSR).
_Inputs = Any

class _Engine:
    n_layers: int
    n_params: int
    capacity: int
    work_per_row: int
    params: _Array
    grads: _Array
    first_moment: _Array
    second_moment: _Array
    config: tuple[Any, ...]
    epochs_done: int
    loss: float
    learning_rate: float
    @property
    def step_count(self) -> int: ...
    def __init__(
        self,
        widths: Sequence[int],
        biases: Sequence[bool],
        activations: Sequence[int],
        loss: int,
        negative_slope: float,
        capacity: int,
        blas_threshold: int = ...,
        huber_delta: float = ...,
        dropout: Optional[Sequence[float]] = ...,
    ) -> None: ...
    def reserve(self, rows: int) -> None: ...
    def weights(self, layer: int) -> _Array: ...
    def bias(self, layer: int) -> Optional[_Array]: ...
    def weight_slices(self) -> list[tuple[slice, Optional[slice]]]: ...
    def outputs(self, layer: int, rows: int) -> _Array: ...
    def uses_blas(self, layer: int, rows: int) -> bool: ...
    def configure_optimizer(
        self,
        kind: int,
        learning_rate: float,
        momentum: float = ...,
        nesterov: bool = ...,
        beta_1: float = ...,
        beta_2: float = ...,
        epsilon: float = ...,
        weight_decay: float = ...,
    ) -> None: ...
    def reset_optimizer(self) -> None: ...
    def get_state(self) -> dict[str, Any]: ...
    def set_state(self, state: dict[str, Any]) -> None: ...
    def bind(self, inputs: _Array, targets: _Array) -> None: ...
    def forward_bound(self) -> None: ...
    def step_bound(self) -> None: ...
    def predict(self, inputs: _Inputs, outputs: _Array) -> None: ...
    def predict_one(self, inputs: object, outputs: object) -> bool: ...
    def evaluate(
        self,
        inputs: _Inputs,
        targets: _Array,
        sample_weight: Optional[_Array],
        gradients: bool,
        l2: float = ...,
        data_loss_factor: float = ...,
        dropout_masks: Optional[Sequence[Optional[_Array]]] = ...,
    ) -> float: ...
    def fit_epochs(
        self,
        inputs: _Inputs,
        targets: _Array,
        sample_weight: Optional[_Array],
        order: Optional[NDArray[np.int64]],
        epochs: int,
        batch_size: int,
        losses: Optional[NDArray[np.float64]],
        l2: float = ...,
        data_loss_factor: float = ...,
        clip_norm: float = ...,
        rates: Optional[NDArray[np.float64]] = ...,
        dropout_seed: int = ...,
        first_epoch: int = ...,
    ) -> None: ...

@disjoint_base
class Engine64(_Engine): ...
@disjoint_base
class Engine32(_Engine): ...

def count_parameters(widths: Sequence[int], biases: Sequence[bool]) -> int: ...
def engine_class(dtype: DTypeLike) -> Union[type[Engine64], type[Engine32]]: ...
def isa_in_use() -> str: ...
def rebuild_engine(dtype: DTypeLike, config: tuple[Any, ...], state: dict[str, Any]) -> _Engine: ...
