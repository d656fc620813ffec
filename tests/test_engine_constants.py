"""The engine's own counts: parameters, work per step, the work between checks, the optimizer codes."""
import numpy as np
import pytest

from nncore import _engine
from nncore._kernels import ACTIVATION_CODES, LOSS_CODES

WIDTHS = [(1, 1), (3, 4, 1), (10, 32, 32, 1), (7, 5, 9, 2, 3)]


def make_engine(dtype, widths, biases):
    n_layers = len(widths) - 1
    return _engine.engine_class(dtype)(widths, biases, [ACTIVATION_CODES["tanh"]] * n_layers,
                                       LOSS_CODES["squared_error"], 0.01, 1)


@pytest.mark.parametrize("widths", WIDTHS)
@pytest.mark.parametrize("with_bias", [False, True])
def test_count_parameters_is_the_engine_buffer_size(widths, with_bias, dtype):
    biases = [with_bias] * (len(widths) - 1)
    engine = make_engine(dtype, widths, biases)
    expected = sum(a * b + (b if with_bias else 0) for a, b in zip(widths, widths[1:]))
    assert _engine.count_parameters(widths, biases) == engine.n_params == expected
    assert engine.params.shape == (expected,)


def test_count_parameters_with_mixed_biases():
    assert _engine.count_parameters((3, 4, 2), (True, False)) == 3 * 4 + 4 + 4 * 2
    assert _engine.count_parameters((3, 4, 2), (False, True)) == 3 * 4 + 4 * 2 + 2


def test_count_parameters_is_exact_beyond_machine_integers():
    # Saved files are checked against it: a count must not wrap around.
    huge = 2**70
    assert _engine.count_parameters([huge, huge], [True]) == huge * huge + huge


@pytest.mark.parametrize("widths", WIDTHS)
@pytest.mark.parametrize("with_bias", [False, True])
def test_work_per_row_counts_three_products_per_layer(widths, with_bias, dtype):
    engine = make_engine(dtype, widths, [with_bias] * (len(widths) - 1))
    assert engine.work_per_row == 3 * sum((a + 1) * b for a, b in zip(widths, widths[1:]))


def test_chunk_work_and_optimizer_codes():
    assert _engine.CHUNK_WORK == 20_000_000
    # Saved states hold these codes: they never change.
    assert _engine.OPTIMIZER_CODES == {"sgd": 0, "adam": 1, "adamw": 2}
