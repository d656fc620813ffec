"""AdamW, SGD's weight decay and gradient clipping across save/load,
pickling and warm starts; and files of format version 1, from before them,
which load and train on to the bits they gave then."""
import copy
import json
import pathlib
import pickle

import numpy as np
import pytest

import nncore

DATA = pathlib.Path(__file__).parent / "data"
# The models of tests/data/make_format_1.py: (file, dtype).
FORMAT_1 = {"sgd_nesterov_f64": np.float64, "sgd_momentum_f32": np.float32,
            "sgd_f32": np.float32, "adam_f32": np.float32, "adam_f64": np.float64}


# sin(3 * x[:, 0]) in each dtype, as tests/data/make_format_1.py computed it
# when it wrote the files. NumPy's own sin is not the same in the last bit
# across versions and CPUs (NumPy 1.24 on AVX-512 uses SVML's), which would
# change the training data, not what nncore does with it.
SIN_3X = {
    np.float64: ["-0x1.210386db6d55bp-3", "-0x1.dd47fbabb1616p-1", "-0x1.8b6281c56b346p-1",
                 "0x1.6789f1aaa5254p-3", "0x1.e374175114e5cp-1", "0x1.7fcd1613ef1e6p-1"],
    np.float32: ["-0x1.210386p-3", "-0x1.dd47fcp-1", "-0x1.8b6282p-1", "0x1.6789f2p-3",
                 "0x1.e37418p-1", "0x1.7fcd14p-1"],
}


def format_1_data(dtype):
    # As tests/data/make_format_1.py makes it, with its sin values.
    x = np.linspace(-1, 1, 18).reshape(6, 3).astype(dtype)
    sin_3x = np.array([float.fromhex(value) for value in SIN_3X[dtype]]).astype(dtype)
    y = np.stack([sin_3x, x[:, 1] * x[:, 2]], axis=1).astype(dtype)
    return x, y


@pytest.mark.parametrize("name", list(FORMAT_1))
def test_format_1_files_load_and_train_on_to_the_same_bits(name):
    path = DATA / f"format_1_{name}.npz"
    with np.load(path) as archive:
        assert int(archive["version"]) == 1
        training = json.loads(str(archive["training"][()]))
    model = nncore.load(path)
    assert "clip_norm" not in training and "weight_decay" not in training["optimizer"]
    assert model._get_state()["clip_norm"] is None
    assert model.optimizer_.get_config() == {**training["optimizer"], "weight_decay": 0.0} \
        if training["optimizer"]["name"] == "sgd" else training["optimizer"]
    x, y = format_1_data(FORMAT_1[name])
    model.partial_fit(x, y, batch_size=1, shuffle=False)
    model.partial_fit(x, y, batch_size=3, shuffle=False)
    with np.load(DATA / "format_1_continued.npz") as expected:
        np.testing.assert_array_equal(model.params_.view(np.uint8), expected[name].view(np.uint8))


@pytest.mark.parametrize("name", list(FORMAT_1))
def test_training_without_weight_decay_gives_the_bits_it_gave_before(name):
    # The training that wrote the file, again: SGD (weight_decay=0) and
    # Adam, in the fused and the batch paths, with L2.
    saved = nncore.load(DATA / f"format_1_{name}.npz")
    dtype = FORMAT_1[name]
    x, y = format_1_data(dtype)
    model = nncore.MLP((3, 4, 2), activation="tanh", dtype=dtype, random_state=3)
    model.fit(x, y, epochs=2, batch_size=1, optimizer=saved.optimizer_, shuffle=False, l2=0.01)
    model.fit(x, y, epochs=2, batch_size=4, optimizer=saved.optimizer_, shuffle=False, l2=0.01,
              warm_start=True)
    ours, theirs = model._get_state(), saved._get_state()
    for member in ("params", "first_moment", "second_moment"):
        np.testing.assert_array_equal(ours[member].view(np.uint8), theirs[member].view(np.uint8))
    assert ours["step_count"] == theirs["step_count"] and ours["loss"] == theirs["loss"]


def test_a_format_1_file_saves_as_format_2(tmp_path):
    model = nncore.load(DATA / "format_1_adam_f64.npz")
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        assert int(archive["version"]) == 2
        assert json.loads(str(archive["training"][()]))["clip_norm"] is None
    again = nncore.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(again.params_, model.params_)


def problem(dtype=np.float64):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((10, 4)).astype(dtype)
    y = rng.random((10, 2)).astype(dtype)
    return x, y


OPTIMIZERS = [nncore.AdamW(learning_rate=0.02, weight_decay=0.1),
              nncore.SGD(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=0.05)]


def resumers():
    """Ways to carry a model over a pause: each returns the model to go on with."""
    def through_file(model, tmp_path):
        model.save(tmp_path / "model.npz")
        return nncore.load(tmp_path / "model.npz")
    return {"save-load": through_file,
            "pickle": lambda model, _: pickle.loads(pickle.dumps(model)),
            "deepcopy": lambda model, _: copy.deepcopy(model),
            "same model": lambda model, _: model}


@pytest.mark.parametrize("resume", list(resumers()))
@pytest.mark.parametrize("batch_size", [10, 3, 1])
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=["adamw", "sgd"])
def test_training_resumed_equals_training_that_never_stopped(optimizer, batch_size, resume,
                                                             dtype, tmp_path):
    x, y = problem(dtype)
    options = dict(batch_size=batch_size, optimizer=optimizer, clip_norm=0.3, l2=0.01)
    straight = nncore.MLP((4, 6, 2), activation="tanh", dtype=dtype, random_state=2)
    straight.fit(x, y, epochs=4, random_state=9, **options)
    paused = nncore.MLP((4, 6, 2), activation="tanh", dtype=dtype, random_state=2)
    shuffling = np.random.default_rng(9)
    paused.fit(x, y, epochs=2, random_state=shuffling, **options)
    resumed = resumers()[resume](paused, tmp_path)
    assert resumed.optimizer_ == optimizer
    assert resumed._get_state()["clip_norm"] == 0.3
    assert resumed._get_state()["step_count"] == paused._get_state()["step_count"]
    resumed.fit(x, y, epochs=2, random_state=shuffling, warm_start=True, **options)
    np.testing.assert_array_equal(resumed.params_.view(np.uint8), straight.params_.view(np.uint8))


def test_the_state_records_the_last_call_s_clipping():
    x, y = problem()
    model = nncore.MLP((4, 3, 2), random_state=0)
    model.fit(x, y, epochs=1, clip_norm=2.5)
    assert model._get_state()["clip_norm"] == 2.5
    model.partial_fit(x, y)
    assert model._get_state()["clip_norm"] is None


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "1", True])
def test_a_file_with_a_bad_clip_norm_is_refused(bad, tmp_path):
    x, y = problem()
    model = nncore.MLP((4, 3, 2), random_state=0)
    model.fit(x, y, epochs=1, clip_norm=1.0)
    model.save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        members = dict(archive)
    training = json.loads(str(members["training"][()]))
    training["clip_norm"] = bad
    members["training"] = np.array(json.dumps(training))
    np.savez(tmp_path / "bad.npz", **members)
    with pytest.raises(ValueError, match="not a valid nncore model file: clip_norm"):
        nncore.load(tmp_path / "bad.npz")


def test_switching_between_adam_and_adamw_resets_the_moments():
    x, y = problem()
    model = nncore.MLP((4, 3, 2), random_state=0)
    model.fit(x, y, epochs=2, optimizer="adam")
    model.fit(x, y, epochs=1, optimizer="adamw", warm_start=True)
    assert model._get_state()["step_count"] == 1
    assert model.optimizer_ == nncore.AdamW()


def test_adamw_by_name_and_its_config():
    x, y = problem()
    model = nncore.MLP((4, 3, 2), random_state=0)
    model.fit(x, y, epochs=1, optimizer="adamw", learning_rate=0.01)
    assert model.optimizer_ == nncore.AdamW(learning_rate=0.01)
    assert model.optimizer_ != nncore.Adam(learning_rate=0.01)
    assert repr(model.optimizer_) == ("AdamW(learning_rate=0.01, beta_1=0.9, beta_2=0.999, "
                                      "epsilon=1e-08, weight_decay=0.01)")
    assert repr(nncore.SGD(weight_decay=0.5)).endswith("weight_decay=0.5)")
