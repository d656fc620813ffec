"""Saving, loading, pickling and copying an MLP: everything training changes
comes back bit for bit, copies share nothing, and a bad file gives a
ValueError that names it."""
import copy
import gc
import io
import json
import pickle
import re
import warnings
import zipfile

import numpy as np
import pytest

import nncore
from nncore import _kernels


def problem(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((9, 3)), rng.standard_normal((9, 2))


def trained(dtype=np.float64, bias=True, optimizer="adam", epochs=3, **options):
    x, y = problem()
    model = nncore.MLP((3, 5, 2), activation="tanh", bias=bias, dtype=dtype, random_state=3)
    if optimizer is not None:
        model.fit(x, y, epochs=epochs, batch_size=4, optimizer=optimizer, random_state=0,
                  **options)
    return model


def assert_same_model(a, b):
    assert a.get_config() == b.get_config()
    assert a.dtype == b.dtype and a.params_.dtype == b.params_.dtype
    assert a.optimizer_ == b.optimizer_
    state_a, state_b = a._get_state(), b._get_state()
    for name in ("params", "first_moment", "second_moment"):
        np.testing.assert_array_equal(state_a[name], state_b[name], strict=True, err_msg=name)
    assert state_a["step_count"] == state_b["step_count"]
    assert state_a["l2"] == state_b["l2"]
    assert state_a["loss"] == state_b["loss"] or (np.isnan(state_a["loss"])
                                                  and np.isnan(state_b["loss"]))


OPTIMIZERS = {
    "untrained": None,
    "sgd": "sgd",
    "momentum": nncore.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": nncore.Adam(0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-7),
}


# --- save and load --------------------------------------------------------------

@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_round_trip_is_bit_exact(optimizer, bias, dtype, tmp_path):
    model = trained(dtype, bias, OPTIMIZERS[optimizer], l2=0.1 if optimizer != "untrained" else 0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nncore.load(path)
    assert type(loaded) is nncore.MLP
    assert_same_model(loaded, model)
    if optimizer == "adam":
        assert loaded._get_state()["step_count"] == 9  # 3 epochs of 3 batches
        assert np.abs(loaded._get_state()["second_moment"]).max() > 0
    for coef, original in zip(loaded.coefs_, model.coefs_):
        np.testing.assert_array_equal(coef, original, strict=True)
    assert len(loaded.intercepts_) == len(model.intercepts_)
    for intercept, original in zip(loaded.intercepts_, model.intercepts_):
        np.testing.assert_array_equal(intercept, original, strict=True)
    x, _ = problem(1)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x), strict=True)


@pytest.mark.parametrize("options", [
    dict(layer_sizes=(4, 3), output_activation="softmax"),
    dict(layer_sizes=(4, 6, 5, 3), activation="leaky_relu", negative_slope=0.3, loss="sse"),
    dict(layer_sizes=(4, 2, 1), activation="logistic", loss="binary_cross_entropy", bias=False),
    dict(layer_sizes=(4, 3, 2), activation="relu", output_activation="tanh", dtype=np.float32),
    dict(layer_sizes=(4, 3, 2), loss="poisson"),
    dict(layer_sizes=(4, 3, 1), output_activation="exp", loss="squared_error", dtype=np.float32),
    dict(layer_sizes=(4, 5, 2), activation="gelu", loss="huber", huber_delta=0.37),
    dict(layer_sizes=(4, 5, 2), activation="silu", output_activation="softplus",
         loss="absolute_error", dtype=np.float32),
    dict(layer_sizes=(4, 5, 2), activation="elu", loss="huber", huber_delta=2.5, dtype=np.float32),
], ids=["softmax", "leaky_relu-sse", "logistic-bce-nobias", "relu-tanh-float32", "exp-poisson",
        "exp-squared_error-float32", "gelu-huber", "silu-softplus-absolute-float32",
        "elu-huber-float32"])
def test_every_configuration_round_trips(options, tmp_path):
    options = dict(options)
    model = nncore.MLP(options.pop("layer_sizes"), random_state=4, **options)
    model.save(tmp_path / "model.npz")
    loaded = nncore.load(tmp_path / "model.npz")
    assert loaded.get_config() == model.get_config()
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x), strict=True)


@pytest.mark.parametrize("path_type", [str, lambda path: path], ids=["str", "Path"])
def test_save_accepts_str_and_path(path_type, tmp_path):
    model = trained()
    model.save(path_type(tmp_path / "model.npz"))
    assert_same_model(nncore.load(path_type(tmp_path / "model.npz")), model)


def test_saved_file_loads_without_pickle(tmp_path):
    trained().save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        assert str(archive["format"][()]) == "nncore.MLP"
        assert int(archive["version"]) == 2


def test_a_loaded_model_is_independent_of_the_file_and_the_original(tmp_path):
    model = trained()
    model.save(tmp_path / "model.npz")
    loaded = nncore.load(tmp_path / "model.npz")
    before = model.params_.copy()
    x, y = problem(2)
    loaded.partial_fit(x, y, random_state=0)
    np.testing.assert_array_equal(model.params_, before, strict=True)
    assert not np.array_equal(loaded.params_, before)
    (tmp_path / "model.npz").unlink()
    loaded.partial_fit(x, y, random_state=0)


@pytest.mark.parametrize("dtype_", [np.float64, np.float32], ids=["float64", "float32"])
def test_training_resumed_after_load_equals_training_that_never_stopped(dtype_, tmp_path):
    x, y = problem()
    optimizer = nncore.Adam(0.02)

    def fresh():
        return nncore.MLP((3, 5, 2), activation="relu", dtype=dtype_, random_state=8)

    whole = fresh()
    whole.fit(x, y, epochs=6, batch_size=4, optimizer=optimizer, l2=0.05,
              random_state=np.random.default_rng(1))

    rng = np.random.default_rng(1)
    first = fresh()
    first.fit(x, y, epochs=2, batch_size=4, optimizer=optimizer, l2=0.05, random_state=rng)
    first.save(tmp_path / "checkpoint.npz")
    resumed = nncore.load(tmp_path / "checkpoint.npz")
    resumed.fit(x, y, epochs=3, batch_size=4, optimizer=optimizer, l2=0.05, random_state=rng,
                warm_start=True)
    resumed.save(tmp_path / "checkpoint.npz")
    resumed = nncore.load(tmp_path / "checkpoint.npz")
    resumed.partial_fit(x, y, batch_size=4, l2=0.05, random_state=rng)
    assert_same_model(resumed, whole)


# --- pickle and copies -------------------------------------------------------------

COPIERS = {
    "pickle": lambda model: pickle.loads(pickle.dumps(model)),
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
}


@pytest.mark.parametrize("copier", COPIERS)
def test_copies_are_equal_and_independent(copier, dtype):
    model = trained(dtype, optimizer=nncore.SGD(0.05, momentum=0.9), l2=0.1)
    original = model._get_state()
    duplicate = COPIERS[copier](model)
    assert_same_model(duplicate, model)
    assert not np.shares_memory(duplicate.params_, model.params_)
    assert duplicate.history_.loss == model.history_.loss

    x, y = problem(4)
    duplicate.partial_fit(x, y, batch_size=3, random_state=2, l2=0.1)
    for name in ("params", "first_moment"):
        np.testing.assert_array_equal(model._get_state()[name], original[name], strict=True)
    # The original trains to the same bits from the same state.
    model.partial_fit(x, y, batch_size=3, random_state=2, l2=0.1)
    assert_same_model(duplicate, model)


@pytest.mark.parametrize("copier", COPIERS)
def test_assigning_coefs_on_a_copy_updates_only_the_copy(copier):
    model = trained()
    original = model.params_.copy()
    duplicate = COPIERS[copier](model)
    new_first = np.full((3, 5), 0.25)
    duplicate.coefs_[0] = new_first
    np.testing.assert_array_equal(duplicate.coefs_[0], new_first)
    np.testing.assert_array_equal(duplicate.params_[:15], new_first.ravel())
    duplicate.coefs_ = [np.ones((3, 5)), np.zeros((5, 2))]
    duplicate.intercepts_ = [np.full(5, 2.0), np.full(2, 3.0)]
    np.testing.assert_array_equal(
        duplicate.params_, np.concatenate([np.ones(15), np.full(5, 2.0), np.zeros(10),
                                           np.full(2, 3.0)]))
    np.testing.assert_array_equal(model.params_, original, strict=True)
    # The copy's views are live: training the copy moves them.
    x, y = problem(5)
    duplicate.partial_fit(x, y, random_state=0)
    np.testing.assert_array_equal(duplicate.coefs_[1].ravel(), duplicate.params_[20:30])
    np.testing.assert_array_equal(model.params_, original, strict=True)


def test_shuffling_state_is_copied():
    # Without an explicit random_state, shuffling draws from the model's own
    # generator; a copy continues from the same state.
    x, y = problem()
    model = nncore.MLP((3, 4, 2), random_state=5)
    model.fit(x, y, epochs=2, batch_size=2)
    duplicate = copy.deepcopy(model)
    model.partial_fit(x, y, batch_size=2)
    duplicate.partial_fit(x, y, batch_size=2)
    np.testing.assert_array_equal(model.params_, duplicate.params_, strict=True)


# --- bad files ----------------------------------------------------------------------

def saved_members(tmp_path):
    path = tmp_path / "good.npz"
    trained().save(path)
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def write_npz(path, contents):
    np.savez(path, **contents)
    return path


def assert_bad_file(path, reason, check_closed=False):
    """load(path) raises a ValueError naming the file (and, checked on
    request because a full collection is slow, leaves the file closed)."""
    with warnings.catch_warnings(record=True) as caught:
        # An unclosed file warns when it is collected.
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(ValueError, match=re.escape(str(path)) + r": .*" + reason):
            nncore.load(path)
        if check_closed:
            gc.collect()
    leaked = [str(warning.message) for warning in caught
              if issubclass(warning.category, ResourceWarning)]
    assert leaked == [], f"load({path}) left the file open"


def test_truncated_file(tmp_path):
    trained().save(tmp_path / "good.npz")
    data = (tmp_path / "good.npz").read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        path = tmp_path / f"truncated-{cut}.npz"
        path.write_bytes(data[:cut])
        assert_bad_file(path, "not a readable nncore model file", check_closed=True)


def test_corrupted_file(tmp_path):
    path = tmp_path / "good.npz"
    trained().save(path)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("params.npy")
    data = bytearray(path.read_bytes())
    # A byte of the stored parameters: the zip's checksum no longer matches.
    data[info.header_offset + 30 + len(info.filename) + info.file_size - 3] ^= 0xFF
    corrupted = tmp_path / "corrupted.npz"
    corrupted.write_bytes(bytes(data))
    assert_bad_file(corrupted, "CRC", check_closed=True)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    assert_bad_file(path, "not a readable nncore model file")


def test_text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a model\n")
    assert_bad_file(path, "not a readable nncore model file")


def test_pickle_file(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(trained()))
    assert_bad_file(path, "not a readable nncore model file")


def test_npy_file(tmp_path):
    # A NumPy file, but a single array rather than a model archive.
    path = tmp_path / "params.npy"
    np.save(path, trained().params_)
    assert_bad_file(path, "")


def test_other_zip_file(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert_bad_file(path, "")


def test_npz_of_another_program(tmp_path):
    path = write_npz(tmp_path / "weights.npz", {"W": np.zeros((3, 5)), "b": np.zeros(5)})
    assert_bad_file(path, "members")


def test_wrong_format_name(tmp_path):
    contents = saved_members(tmp_path)
    contents["format"] = np.array("sklearn.MLP")
    assert_bad_file(write_npz(tmp_path / "format.npz", contents), "format is .*sklearn.MLP")


def test_newer_version(tmp_path):
    contents = saved_members(tmp_path)
    contents["version"] = np.array(3)
    assert_bad_file(write_npz(tmp_path / "v3.npz", contents), "format version 3, expected 1 to 2")


@pytest.mark.parametrize("name", ["params", "first_moment", "second_moment"])
def test_wrong_shape(name, tmp_path):
    contents = saved_members(tmp_path)
    contents[name] = np.zeros(contents[name].size + 1)
    assert_bad_file(write_npz(tmp_path / "shape.npz", contents), f"{name} has .*shape")


def test_wrong_dtype(tmp_path):
    contents = saved_members(tmp_path)
    contents["params"] = contents["params"].astype(np.float32)
    assert_bad_file(write_npz(tmp_path / "dtype.npz", contents), "params has dtype float32")


def test_config_that_does_not_match_the_arrays(tmp_path):
    contents = saved_members(tmp_path)
    config = json.loads(str(contents["config"][()]))
    config["layer_sizes"] = [3, 6, 2]
    contents["config"] = np.array(json.dumps(config))
    assert_bad_file(write_npz(tmp_path / "config.npz", contents), "params has .*shape")


@pytest.mark.parametrize("name", ["params", "first_moment", "second_moment"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_values(name, value, tmp_path):
    contents = saved_members(tmp_path)
    contents[name] = contents[name].copy()
    contents[name][1] = value
    assert_bad_file(write_npz(tmp_path / "nan.npz", contents), f"{name} has non-finite")


def test_negative_second_moment(tmp_path):
    contents = saved_members(tmp_path)
    contents["second_moment"] = -np.abs(contents["second_moment"]) - 1
    assert_bad_file(write_npz(tmp_path / "negative.npz", contents), "second_moment")


def test_object_array(tmp_path):
    contents = saved_members(tmp_path)
    contents["params"] = np.array([1.0, "x", None], dtype=object)
    path = tmp_path / "object.npz"
    np.savez(path, **contents)
    assert_bad_file(path, "(holds Python objects|Object arrays cannot be loaded)")


@pytest.mark.parametrize("member, value, reason", [
    ("config", "{not json", "Expecting property name"),
    ("config", "[1, 2]", "JSON objects"),
    ("config", json.dumps({"layer_sizes": [3, 5, 2], "dtype": "float16"}), "dtype"),
    ("config", json.dumps({"layer_sizes": [3, 5, 2], "colour": "red"}), "colour"),
    ("training", json.dumps({"optimizer": {"name": "rmsprop"}, "l2": 0, "step_count": 0,
                             "loss": 0.0}), "rmsprop"),
    ("training", json.dumps({"optimizer": None, "l2": -1.0, "step_count": 0, "loss": 0.0}), "l2"),
    ("training", json.dumps({"optimizer": None, "l2": 0.0, "step_count": -3, "loss": 0.0}),
     "step_count"),
    ("training", json.dumps({"optimizer": None, "l2": 0.0, "loss": 0.0}), "step_count"),
])
def test_bad_configuration(member, value, reason, tmp_path):
    contents = saved_members(tmp_path)
    contents[member] = np.array(value)
    assert_bad_file(write_npz(tmp_path / "config.npz", contents), reason)


def test_missing_member(tmp_path):
    contents = saved_members(tmp_path)
    del contents["second_moment"]
    assert_bad_file(write_npz(tmp_path / "missing.npz", contents), "members")


@pytest.mark.skipif("-fsanitize=address" in _kernels.COMPILE_ARGS,
                    reason="AddressSanitizer's allocator does not fail a 4 EiB request cleanly")
def test_member_with_a_huge_declared_shape(tmp_path):
    # A damaged header can declare any shape; the loader must not try to
    # allocate what it says (2**59 float64 values are 4 EiB).
    contents = saved_members(tmp_path)
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in contents.items():
            member = io.BytesIO()
            if name == "params":
                np.lib.format.write_array_header_1_0(
                    member, {"descr": "<f8", "fortran_order": False, "shape": (2**59,)})
                member.write(b"\0" * 64)
            else:
                np.save(member, array)
            archive.writestr(f"{name}.npy", member.getvalue())
    assert_bad_file(path, "")


def test_missing_file_and_directory_are_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        nncore.load(tmp_path / "absent.npz")
    with pytest.raises(IsADirectoryError):
        nncore.load(tmp_path)


def test_the_state_keeps_the_training_l2_and_optimizer_across_evaluations():
    # Validation, loss() and gradients() use their own penalty: the state
    # (and so a saved file) keeps the last training call's.
    x, y = problem()
    model = trained(optimizer="adam", l2=0.3, validation_data=(x, y))
    assert model._get_state()["l2"] == 0.3
    model.loss(x, y)
    model.gradients(x, y, l2=0.7)
    assert model._get_state()["l2"] == 0.3
    # fit records its optimizer even when it runs no epoch.
    model.fit(x, y, epochs=0, optimizer=nncore.SGD(0.05, momentum=0.5))
    assert model.optimizer_ == nncore.SGD(0.05, momentum=0.5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huber_delta_round_trips_and_keeps_training_the_same(dtype, tmp_path):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((20, 4)), rng.standard_normal((20, 2)) * 3
    model = nncore.MLP((4, 5, 2), activation="gelu", loss="huber", huber_delta=0.5, dtype=dtype,
                       random_state=0)
    model.fit(x, y, epochs=3, batch_size=4, optimizer="adam")
    model.save(tmp_path / "model.npz")
    loaded = nncore.load(tmp_path / "model.npz")
    assert loaded.huber_delta == model.huber_delta == 0.5
    assert loaded.get_config()["huber_delta"] == 0.5
    assert loaded.loss(x, y) == model.loss(x, y)
    # The delta shapes the loss: another one gives another value.
    other = nncore.MLP((4, 5, 2), activation="gelu", loss="huber", huber_delta=2.0, dtype=dtype)
    other.params_[...] = model.params_
    assert other.loss(x, y) != model.loss(x, y)
    model.fit(x, y, epochs=2, batch_size=4, optimizer="adam", warm_start=True, shuffle=False)
    loaded.fit(x, y, epochs=2, batch_size=4, optimizer="adam", warm_start=True, shuffle=False)
    np.testing.assert_array_equal(loaded.params_, model.params_, strict=True)
