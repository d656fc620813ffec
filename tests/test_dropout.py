"""Dropout: the counter-based masks against their NumPy spec, their rate
and scaling, training against explicit masks, no dropout outside training,
finite differences with given masks, and reproducibility across thread
counts and save/load."""
import copy
import io
import json
import os
import pickle
import subprocess
import zipfile
import sys

import numpy as np
import pytest

import nncore
from nncore import _kernel_views as kernels
from nncore import reference

HIDDEN = ("logistic", "tanh", "relu", "gelu")


@pytest.mark.parametrize("key", [(0, 0, 0, 0), (1, 2, 3, 1), (2**64 - 1, 7, 0, 2), (123456789, 0, 41, 0)])
@pytest.mark.parametrize("rate", [0.0, 0.1, 0.5, 0.9])
def test_masks_are_the_references_bits(key, rate, dtype):
    keep = np.full(1000, np.nan, dtype=dtype)
    kernels.dropout_keep(*key, rate, keep)
    expected = reference.dropout_keep(*key, rate, 1000, dtype)
    assert keep.dtype == expected.dtype
    assert keep.tobytes() == expected.tobytes()


@pytest.mark.parametrize("rate", [0.05, 0.1, 0.5, 0.8])
def test_masks_drop_at_the_rate_and_scale_the_rest(rate, dtype):
    keep = np.empty(200_000, dtype=dtype)
    kernels.dropout_keep(2024, 3, 5, 1, rate, keep)
    dropped = np.mean(keep == 0)
    # A binomial count: 5 standard deviations (the seed is fixed, so this
    # is one deterministic draw, not a flaky one).
    assert abs(dropped - rate) < 5 * np.sqrt(rate * (1 - rate) / keep.size)
    assert set(np.unique(keep)) == {0, dtype.type(1) / dtype.type(1 - rate)}


def test_masks_differ_by_every_part_of_the_key():
    masks = {}
    for key in [(5, 0, 0, 0), (6, 0, 0, 0), (5, 1, 0, 0), (5, 0, 1, 0), (5, 0, 0, 1)]:
        masks[key] = reference.dropout_keep(*key, 0.5, 256).tobytes()
    assert len(set(masks.values())) == len(masks)


def test_rate_zero_keeps_every_unit_unscaled():
    assert (reference.dropout_keep(9, 1, 2, 3, 0.0, 500) == 1).all()


def test_dropout_forward_and_backward_are_exact(dtype, rng):
    values = rng.standard_normal(50).astype(dtype)
    keep = reference.dropout_keep(1, 0, 0, 0, 0.3, 50, dtype)
    out = np.empty_like(values)
    kernels.dropout_forward(values, keep, out)
    np.testing.assert_array_equal(out, reference.dropout_forward(values, keep))
    kernels.dropout_backward(values, keep, out)
    np.testing.assert_array_equal(out, reference.dropout_backward(values, keep))
    kernels.dropout_backward(out, keep, out)  # in place
    np.testing.assert_array_equal(out, values * keep * keep)


def problem(dtype, n_samples=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, 5)).astype(dtype)
    y = rng.standard_normal((n_samples, 2)).astype(dtype)
    return x, y


def masks_of(model, epoch, step, rows):
    """The 0/1 masks training draws for one step: the spec's, from the model's seed."""
    seed = model._get_state()["dropout_seed"]
    masks = []
    for layer, (rate, width) in enumerate(zip(model._dropout_rates, model.layer_sizes[1:-1])):
        if rate == 0:
            masks.append(None)
            continue
        keep = reference.dropout_keep(seed, epoch, step, layer, rate, rows * width, model.dtype)
        masks.append((keep != 0).astype(model.dtype).reshape(rows, width))
    return masks


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("dropout", [0.25, (0.4, 0.0)], ids=["one-rate", "per-layer"])
@pytest.mark.parametrize("batch_size", [24, 8, 1], ids=["full", "mini", "single"])
def test_training_steps_are_gradient_steps_at_the_drawn_masks(hidden, dropout, batch_size, dtype):
    # Every path (the full batch, minibatches in order, the fused per-sample
    # step) draws the spec's masks for (seed, epoch, step, layer) and takes
    # the step gradients() computes with them: the same bits.
    x, y = problem(dtype)
    model = nncore.MLP((5, 7, 6, 2), activation=hidden, dtype=dtype, random_state=3,
                       dropout=dropout)
    copy = nncore.MLP((5, 7, 6, 2), activation=hidden, dtype=dtype, random_state=3,
                      dropout=dropout)
    rate = dtype.type(0.05)
    model.fit(x, y, epochs=2, batch_size=batch_size, learning_rate=0.05, shuffle=False)
    for epoch in range(2):
        for step, start in enumerate(range(0, 24, batch_size)):
            rows = slice(start, start + batch_size)
            gradients = copy.gradients(x[rows], y[rows],
                                       dropout_masks=masks_of(copy, epoch, step, batch_size))
            for layer, coef in enumerate(copy.coefs_):
                coef[...] = coef - rate * gradients.coefs[layer]
                copy.intercepts_[layer][...] = (copy.intercepts_[layer]
                                                - rate * gradients.intercepts[layer])
    assert model.params_.tobytes() == copy.params_.tobytes()


def test_dropout_changes_training_and_is_absent_outside_it(dtype):
    x, y = problem(dtype)
    with_dropout = nncore.MLP((5, 8, 2), activation="tanh", dtype=dtype, random_state=1,
                              dropout=0.5)
    without = nncore.MLP((5, 8, 2), activation="tanh", dtype=dtype, random_state=1)
    np.testing.assert_array_equal(with_dropout.params_, without.params_)  # the same start
    with_dropout.fit(x, y, epochs=3, batch_size=4, shuffle=False)
    without.fit(x, y, epochs=3, batch_size=4, shuffle=False)
    assert not np.array_equal(with_dropout.params_, without.params_)
    # The same weights in a model without dropout: the same predictions,
    # losses, scores and gradients, bit for bit.
    without.params_[...] = with_dropout.params_
    assert with_dropout.predict(x).tobytes() == without.predict(x).tobytes()
    assert with_dropout.predict(x[0]).tobytes() == without.predict(x[0]).tobytes()
    assert with_dropout.loss(x, y) == without.loss(x, y)
    assert with_dropout.score(x, y) == without.score(x, y)
    for a, b in zip(with_dropout.gradients(x, y).coefs, without.gradients(x, y).coefs):
        assert a.tobytes() == b.tobytes()


def test_rate_zero_gives_the_bits_of_no_dropout(dtype):
    x, y = problem(dtype)
    trained = []
    for dropout in (0.0, (0.0, 0.0), None):
        options = {} if dropout is None else {"dropout": dropout}
        model = nncore.MLP((5, 6, 4, 2), dtype=dtype, random_state=7, **options)
        model.fit(x, y, epochs=4, batch_size=5)  # shuffled from the model's stream
        trained.append(model.params_.tobytes())
    assert trained[0] == trained[1] == trained[2]


def test_the_same_seed_gives_the_same_bits_and_another_seed_others(dtype):
    x, y = problem(dtype)
    runs = []
    for seed in (11, 11, 12):
        model = nncore.MLP((5, 9, 2), dtype=dtype, random_state=seed, dropout=0.3)
        model.fit(x, y, epochs=3, batch_size=6)
        runs.append(model.params_.tobytes())
    assert runs[0] == runs[1] != runs[2]


@pytest.mark.parametrize("batch_size", [24, 5, 1])
@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "shuffled"])
@pytest.mark.parametrize("random_state", [5, np.random.RandomState(5)], ids=["seed", "RandomState"])
def test_saving_loading_and_training_on_gives_the_bits_of_one_run(batch_size, shuffle,
                                                                  random_state, dtype, tmp_path):
    # The masks' seed, the epoch count and the shuffling generator's state
    # are all in the file.
    x, y = problem(dtype)
    options = dict(activation="relu", dtype=dtype, dropout=(0.3, 0.2))
    training = dict(batch_size=batch_size, optimizer="adam", shuffle=shuffle)
    straight = nncore.MLP((5, 8, 8, 2), random_state=copy.deepcopy(random_state), **options)
    straight.fit(x, y, epochs=5, **training)
    resumed = nncore.MLP((5, 8, 8, 2), random_state=copy.deepcopy(random_state), **options)
    resumed.fit(x, y, epochs=3, **training)
    resumed.save(tmp_path / "model.npz")
    loaded = nncore.load(tmp_path / "model.npz")
    loaded.fit(x, y, epochs=2, warm_start=True, **training)
    assert loaded.params_.tobytes() == straight.params_.tobytes()
    # partial_fit goes on counting epochs too.
    stepped = nncore.MLP((5, 8, 8, 2), random_state=copy.deepcopy(random_state), **options)
    stepped.fit(x, y, epochs=3, **training)
    for _ in range(2):
        stepped.partial_fit(x, y, **training)
    assert stepped.params_.tobytes() == straight.params_.tobytes()


def test_a_file_naming_another_generator_is_refused(tmp_path):
    nncore.MLP((2, 3, 1), random_state=0, dropout=0.1).save(tmp_path / "good.npz")
    with zipfile.ZipFile(tmp_path / "good.npz") as source, \
            zipfile.ZipFile(tmp_path / "bad.npz", "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "training.npy":
                member = np.lib.format.read_array(io.BytesIO(data))
                training = json.loads(str(member[()]))
                training["rng"]["state"]["bit_generator"] = "os"
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.array(json.dumps(training)))
                data = buffer.getvalue()
            target.writestr(item, data)
    with pytest.raises(ValueError, match="bad.npz: not a valid nncore model file: rng names the "
                                         "bit generator 'os'"):
        nncore.load(tmp_path / "bad.npz")


def test_dropout_is_kept_by_save_load_and_pickling(tmp_path):
    model = nncore.MLP((3, 4, 4, 1), random_state=0, dropout=[0.1, 0.2])
    model.save(tmp_path / "m.npz")
    for copy in (nncore.load(tmp_path / "m.npz"), pickle.loads(pickle.dumps(model))):
        assert copy.dropout == [0.1, 0.2]
        assert copy._get_state()["dropout_seed"] == model._get_state()["dropout_seed"]
    assert "dropout=[0.1, 0.2]" in repr(model)


TRAIN_WITH_THREADS = """
import sys
import numpy as np
import nncore
rng = np.random.default_rng(0)
x = rng.standard_normal((600, 64))
y = rng.standard_normal((600, 10))
model = nncore.MLP((64, 128, 128, 10), activation="gelu", random_state=1, dropout=0.2,
                   deterministic=True)
model.fit(x, y, epochs=2, batch_size=128, optimizer="adamw")
print(nncore.__file__)
print(model.params_.tobytes().hex())
"""


def test_the_same_bits_for_one_and_two_threads():
    results = []
    for threads in ("1", "2"):
        environment = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
        result = subprocess.run([sys.executable, "-c", TRAIN_WITH_THREADS], capture_output=True,
                                text=True, check=True, timeout=300, env=environment,
                                cwd=os.path.dirname(os.path.dirname(nncore.__file__)))
        location, bits = result.stdout.split()
        assert location == nncore.__file__
        results.append(bits)
    assert results[0] == results[1]


@pytest.mark.parametrize("hidden", ["tanh", "gelu", "silu", "softplus"])
@pytest.mark.parametrize("depth", [2, 3])
def test_gradients_with_masks_match_finite_differences(hidden, depth, five_point_gradient):
    rng = np.random.default_rng(depth)
    sizes = (3,) + (5,) * (depth - 1) + (2,)
    model = nncore.MLP(sizes, activation=hidden, random_state=depth, dropout=0.4)
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 2))
    masks = [(rng.random((6, 5)) > 0.4).astype(float) for _ in range(depth - 1)]
    gradients = model.gradients(x, y, dropout_masks=masks)
    analytic = np.concatenate([part.ravel() for pair in zip(gradients.coefs, gradients.intercepts)
                               for part in pair])
    np.testing.assert_allclose(analytic, five_point_gradient(
        model.params_, lambda: model.gradients(x, y, dropout_masks=masks).loss),
                               rtol=1e-6, atol=1e-8)
    assert np.abs(analytic).max() > 1e-3


def test_masks_are_not_modified_and_lists_are_accepted():
    model = nncore.MLP((3, 4, 1), random_state=0, dropout=0.5)
    mask = np.array([[1, 0, 1, 1], [0, 0, 1, 0]], dtype=np.int64)
    before = mask.copy()
    from_array = model.gradients(np.ones((2, 3)), np.ones(2), dropout_masks=[mask])
    from_list = model.gradients(np.ones((2, 3)), np.ones(2), dropout_masks=[mask.tolist()])
    np.testing.assert_array_equal(mask, before)
    assert from_array.loss == from_list.loss


@pytest.mark.parametrize("dropout, masks, error, match", [
    (0.0, [np.ones((2, 4))], ValueError, "dropout_masks: got masks for a model without dropout"),
    (0.5, np.ones((2, 4)), TypeError, "dropout_masks: got ndarray, expected a sequence"),
    (0.5, [], ValueError, r"dropout_masks: got 0 masks, expected 1 \(one per hidden layer\)"),
    (0.5, [None], ValueError, r"dropout_masks\[0\]: got None for a hidden layer with dropout 0.5"),
    (0.5, [np.ones((3, 4))], ValueError, r"dropout_masks\[0\]: got shape \(3, 4\), expected \(2, 4\)"),
    (0.5, [np.full((2, 4), 0.5)], ValueError, r"dropout_masks\[0\]: got values other than 0 and 1"),
    (0.5, [np.full((2, 4), np.nan)], ValueError, r"dropout_masks\[0\]: contains NaN"),
    (0.5, [np.full((2, 4), "1")], TypeError, r"dropout_masks\[0\]: got an array of dtype"),
])
def test_bad_masks(dropout, masks, error, match):
    model = nncore.MLP((3, 4, 1), random_state=0, dropout=dropout)
    with pytest.raises(error, match=match):
        model.gradients(np.ones((2, 3)), np.ones(2), dropout_masks=masks)


def test_a_mask_for_a_layer_without_dropout_is_refused():
    model = nncore.MLP((3, 4, 4, 1), random_state=0, dropout=(0.5, 0.0))
    with pytest.raises(ValueError, match=r"dropout_masks\[1\]: got a mask for a hidden layer "
                                         "with dropout 0, expected None"):
        model.gradients(np.ones((2, 3)), np.ones(2), dropout_masks=[np.ones((2, 4))] * 2)


@pytest.mark.parametrize("dropout, error, match", [
    (1.0, ValueError, r"dropout: got 1.0, expected a number in \[0, 1\)"),
    (-0.1, ValueError, r"dropout: got -0.1, expected a number in \[0, 1\)"),
    (float("nan"), ValueError, "dropout: got nan, expected a finite number"),
    ("0.5", TypeError, "dropout: got '0.5' of type str, expected a number in"),
    (True, TypeError, "dropout: got True of type bool"),
    ((0.1,), ValueError, r"dropout: got 1 rates, expected 2 \(one per hidden layer\)"),
    ((0.1, 1.5), ValueError, r"dropout\[1\]: got 1.5, expected a number in \[0, 1\)"),
])
def test_bad_dropout(dropout, error, match):
    with pytest.raises(error, match=match):
        nncore.MLP((3, 4, 4, 1), dropout=dropout)


@pytest.mark.parametrize("argument, value, error, match", [
    ("seed", -1, ValueError, "seed: got -1, expected an integer from 0 to 2\\*\\*64 - 1"),
    ("epoch", 2**64, ValueError, "epoch: got 18446744073709551616, expected an integer from 0"),
    ("step", 1.5, TypeError, "step: got 1.5 of type float, expected an integer"),
    ("rate", 1.0, ValueError, r"rate: got 1.0, expected a number in \[0, 1\)"),
])
def test_bad_mask_generator_arguments(argument, value, error, match):
    arguments = dict(seed=0, epoch=0, step=0, layer=0, rate=0.5)
    arguments[argument] = value
    with pytest.raises(error, match=match):
        kernels.dropout_keep(keep=np.empty(4), **arguments)


@pytest.mark.parametrize("batch_size", [24, 6, 1])
def test_sparse_inputs_draw_the_masks_of_dense_ones(batch_size, dtype):
    # The same masks: the same training up to the first layer's sums, which
    # sparse rows take without their zeros (so to rounding, not bits).
    sparse = pytest.importorskip("scipy.sparse")
    x, y = problem(dtype)
    x[np.abs(x) < 0.8] = 0  # about half the entries stored
    trained = []
    for inputs, dropout in ((x, (0.2, 0.4)), (sparse.csr_matrix(x), (0.2, 0.4)),
                            (sparse.csr_matrix(x), 0.0)):
        model = nncore.MLP((5, 8, 6, 2), activation="silu", dtype=dtype, random_state=2,
                           dropout=dropout)
        model.fit(inputs, y, epochs=3, batch_size=batch_size, optimizer="adamw", random_state=4)
        trained.append(model.params_.copy())
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    scale = np.abs(trained[0]).max()
    np.testing.assert_allclose(trained[1], trained[0], rtol=0, atol=tolerance * scale)
    assert np.abs(trained[2] - trained[1]).max() > 100 * tolerance * scale
