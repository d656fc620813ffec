"""``nncore.load`` on damaged and hostile files: every truncation, many
single-byte flips, hand-made archives. Each either loads the saved model
exactly or raises a ValueError naming the file; never another exception,
never a crash, never an unpickled object, never a declared size allocated."""
import io
import json
import os
import tracemalloc
import zipfile

import numpy as np
import pytest

import nncore
from nncore import _kernels

ASAN = "-fsanitize=address" in _kernels.COMPILE_ARGS


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small trained model, the bytes of its file, and its members."""
    rng = np.random.default_rng(0)
    model = nncore.MLP((2, 3, 1), activation="tanh", random_state=1)
    model.fit(rng.standard_normal((6, 2)), rng.standard_normal((6, 1)), epochs=2,
              batch_size=3, optimizer="adam", random_state=0)
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    return model, path.read_bytes(), members


def assert_same_model(loaded, model):
    assert loaded.get_config() == model.get_config()
    assert loaded.optimizer_ == model.optimizer_
    ours, theirs = loaded._get_state(), model._get_state()
    for name in ("params", "first_moment", "second_moment"):
        np.testing.assert_array_equal(ours[name], theirs[name], strict=True, err_msg=name)
    for name in ("step_count", "l2", "loss", "optimizer"):
        assert ours[name] == theirs[name], name


def load_or_refuse(path):
    """The loaded model, or None when load raised a ValueError naming the
    file. Any other exception propagates and fails the test."""
    try:
        return nncore.load(path)
    except ValueError as exc:
        assert str(path) in str(exc)
        return None


def write_archive(path, members, compression=zipfile.ZIP_STORED):
    """A zip of {name: bytes}, each with its correct checksum."""
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def npy(array, header=None):
    """The .npy bytes of array, or of a hand-written header and raw data."""
    member = io.BytesIO()
    if header is None:
        np.save(member, array, allow_pickle=True)
    else:
        np.lib.format.write_array_header_1_0(member, header)
        member.write(array)
    return member.getvalue()


# --- truncation and bit flips -----------------------------------------------------

def test_truncations(saved, tmp_path):
    # Every length near either end (the headers, the central directory), and
    # every 7th length between.
    model, data, _ = saved
    path = tmp_path / "cut.npz"
    loaded = []
    for cut in sorted({*range(0, 200), *range(200, len(data), 7), *range(len(data) - 200, len(data))}):
        path.write_bytes(data[:cut])
        result = load_or_refuse(path)
        if result is not None:
            loaded.append(cut)
    # Only the zip's trailing comment could go unnoticed, and there is none.
    assert loaded == []


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED],
                         ids=["stored", "deflated"])
@pytest.mark.parametrize("seed", range(3))
def test_single_byte_flips(saved, seed, compression, tmp_path):
    model, data, members = saved
    if compression == zipfile.ZIP_DEFLATED:
        data = write_archive(tmp_path / "deflated.npz", members, compression).read_bytes()
    rng = np.random.default_rng(seed)
    path = tmp_path / "flipped.npz"
    for position, bit in zip(rng.integers(0, len(data), 150), rng.integers(0, 8, 150)):
        flipped = bytearray(data)
        flipped[position] ^= 1 << bit
        path.write_bytes(bytes(flipped))
        loaded = load_or_refuse(path)
        if loaded is not None:  # a flip in a field the reader ignores, such as a timestamp
            assert_same_model(loaded, model)


@pytest.mark.parametrize("seed", range(4))
def test_single_byte_flips_past_the_checksum(saved, seed, tmp_path):
    # Flips inside a member with the zip's checksum made to match, so they
    # reach the .npy headers, the JSON and the values themselves.
    model, _, members = saved
    rng = np.random.default_rng(100 + seed)
    names = sorted(members)
    path = tmp_path / "flipped.npz"
    for _ in range(120):
        name = names[rng.integers(len(names))]
        content = bytearray(members[name])
        content[rng.integers(len(content))] ^= 1 << int(rng.integers(8))
        write_archive(path, dict(members, **{name: bytes(content)}))
        loaded = load_or_refuse(path)
        if loaded is not None:
            # A flip in the values gives another valid model: it must be
            # whole and usable.
            assert np.isfinite(loaded.params_).all()
            assert np.isfinite(loaded.predict(np.ones((2, loaded.n_inputs)))).all()


# --- hand-made archives -------------------------------------------------------------

def test_the_same_members_compressed_load(saved, tmp_path):
    model, _, members = saved
    path = write_archive(tmp_path / "deflated.npz", members, zipfile.ZIP_DEFLATED)
    assert_same_model(nncore.load(path), model)


def test_each_missing_member(saved, tmp_path):
    _, _, members = saved
    for name in members:
        path = write_archive(tmp_path / "missing.npz", {k: v for k, v in members.items() if k != name})
        with pytest.raises(ValueError, match="members"):
            nncore.load(path)


@pytest.mark.parametrize("extra", [
    ("notes.npy", npy(np.zeros(2))),
    ("notes.txt", b"hello"),
    ("params", b"raw bytes without a .npy header"),
])
def test_extra_member(saved, extra, tmp_path):
    _, _, members = saved
    path = write_archive(tmp_path / "extra.npz", dict(members, **{extra[0]: extra[1]}))
    assert load_or_refuse(path) is None


REPLACEMENTS = {
    "int": lambda a: a.astype(np.int64),
    "float16": lambda a: a.astype(np.float16),
    "complex": lambda a: a.astype(np.complex128),
    "bool": lambda a: a.astype(bool),
    "big-endian": lambda a: a.astype(">f8") if a.dtype.kind == "f" else a.astype(">i8"),
    "bytes": lambda a: a.astype("S"),
    "2-D": lambda a: a.reshape(1, -1),
    "scalar": lambda a: a.reshape(-1)[:1].reshape(()),
    "empty": lambda a: a.reshape(-1)[:0],
    "structured": lambda a: np.zeros(a.shape, dtype=[("x", "<f8")]),
}


@pytest.mark.parametrize("change", REPLACEMENTS)
def test_member_of_the_wrong_dtype_or_shape(saved, change, tmp_path):
    model, _, members = saved
    for name, data in members.items():
        array = np.load(io.BytesIO(data), allow_pickle=False)
        try:
            changed = REPLACEMENTS[change](array)
        except ValueError:  # a text member that is not a number
            continue
        if changed.dtype == array.dtype and changed.shape == array.shape:
            continue
        path = write_archive(tmp_path / "changed.npz", dict(members, **{name: npy(changed)}))
        loaded = load_or_refuse(path)
        if loaded is not None:  # the version's 1 as another integer type is still 1
            assert name == "version.npy", (name, change)
            assert_same_model(loaded, model)


class Marker:
    """Unpickling this object creates the file ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


@pytest.mark.parametrize("name", ["params.npy", "config.npy", "version.npy"])
def test_pickled_member_is_never_unpickled(saved, name, tmp_path):
    _, _, members = saved
    marker = tmp_path / "unpickled"
    payload = np.array([Marker(marker)], dtype=object)
    path = write_archive(tmp_path / "pickle.npz", dict(members, **{name: npy(payload)}))
    with pytest.raises(ValueError, match="holds Python objects"):
        nncore.load(path)
    assert not marker.exists()


def test_pickle_file_is_never_unpickled(tmp_path):
    import pickle

    marker = tmp_path / "unpickled"
    path = tmp_path / "model.npz"
    path.write_bytes(pickle.dumps(Marker(marker)))
    assert load_or_refuse(path) is None
    assert not marker.exists()


def test_object_dtype_hidden_in_a_structured_dtype(saved, tmp_path):
    _, _, members = saved
    marker = tmp_path / "unpickled"
    payload = np.zeros(1, dtype=[("x", "<f8"), ("o", object)])
    payload["o"][0] = Marker(marker)
    path = write_archive(tmp_path / "pickle.npz", dict(members, **{"params.npy": npy(payload)}))
    with pytest.raises(ValueError, match="holds Python objects"):
        nncore.load(path)
    assert not marker.exists()


@pytest.mark.skipif(ASAN, reason="AddressSanitizer's allocator does not fail huge requests cleanly")
@pytest.mark.parametrize("shape", [(2**40,), (2**31, 2**31), (2**62, 0, 2**62)])
def test_declared_shape_larger_than_the_data(saved, shape, tmp_path):
    _, _, members = saved
    data = npy(b"\0" * 64, {"descr": "<f8", "fortran_order": False, "shape": shape})
    path = write_archive(tmp_path / "huge.npz", dict(members, **{"params.npy": data}))
    assert load_or_refuse(path) is None


@pytest.mark.parametrize("name", ["params.npy", "config.npy"])
def test_compressed_member_that_inflates_to_much_more_is_not_read(saved, name, tmp_path):
    # A zip bomb in small form: 32 MB of zeros deflate to about 32 kB; the
    # declared shape is honest, but far more than the configuration needs.
    _, _, members = saved
    size = 32 * 2**20
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            if member != name:
                archive.writestr(member, data)
        with archive.open(name, "w", force_zip64=True) as stream:
            # params: 4M float64 zeros; config: one string of 8M characters.
            header = ({"descr": "<f8", "shape": (size // 8,)} if name == "params.npy"
                      else {"descr": f"<U{size // 4}", "shape": ()})
            np.lib.format.write_array_header_1_0(stream, dict(header, fortran_order=False))
            zeros = b"\0" * 2**20
            for _ in range(size // 2**20):
                stream.write(zeros)
    assert os.path.getsize(path) < 2**20
    tracemalloc.start()
    try:
        assert load_or_refuse(path) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


JSON_CASES = {
    "config": [
        "null", "3", '"text"', "[]", "{}", '{"layer_sizes": "2,3,1"}',
        '{"layer_sizes": [2, 3, 1.0]}', '{"layer_sizes": [2, true, 1]}',
        '{"layer_sizes": [2, 3, 1], "activation": 5}', '{"layer_sizes": [2, 3, 1], "bias": "yes"}',
        '{"layer_sizes": [2, 3, 1], "dtype": {"names": ["a"], "formats": ["f8"]}}',
        '{"layer_sizes": [2, 3, 1], "dtype": "f8,f8"}',
        '{"layer_sizes": [2, 3, 1], "negative_slope": Infinity}',
        '{"layer_sizes": [2, 3, 1], "negative_slope": NaN}',
        '{"layer_sizes": [2, 3, 1], "loss": ["sse"]}',
        '{"layer_sizes": [2, 100000000000000000000, 1]}',
        "[" * 100_000 + "]" * 100_000,
        '{"layer_sizes": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    "training": [
        "null", "[]", "{}", '{"optimizer": 5, "l2": 0, "step_count": 0, "loss": 0}',
        '{"optimizer": "sgd", "l2": 0, "step_count": 0, "loss": 0}',
        '{"optimizer": {"name": ["sgd"]}, "l2": 0, "step_count": 0, "loss": 0}',
        '{"optimizer": {"name": "sgd", "learning_rate": "fast"}, "l2": 0, "step_count": 0, "loss": 0}',
        '{"optimizer": {"name": "adam", "beta_1": 1.5}, "l2": 0, "step_count": 0, "loss": 0}',
        '{"optimizer": {"name": "sgd", "speed": 1}, "l2": 0, "step_count": 0, "loss": 0}',
        '{"optimizer": null, "l2": "0", "step_count": 0, "loss": 0}',
        '{"optimizer": null, "l2": NaN, "step_count": 0, "loss": 0}',
        '{"optimizer": null, "l2": 0, "step_count": 1.5, "loss": 0}',
        '{"optimizer": null, "l2": 0, "step_count": true, "loss": 0}',
        '{"optimizer": null, "l2": 0, "step_count": 4611686018427387904, "loss": 0}',
        '{"optimizer": null, "l2": 0, "step_count": 0, "loss": "low"}',
        '{"optimizer": null, "l2": 0, "step_count": 0}',
        '{"optimizer": null, "l2": 0, "step_count": 0, "loss": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
}


@pytest.mark.parametrize("member, text", [(member, text) for member, texts in JSON_CASES.items()
                                          for text in texts],
                         ids=[f"{member}-{i}" for member, texts in JSON_CASES.items()
                              for i in range(len(texts))])
def test_json_member_with_wrong_types(saved, member, text, tmp_path):
    _, _, members = saved
    path = write_archive(tmp_path / "json.npz", dict(members, **{f"{member}.npy": npy(np.array(text))}))
    assert load_or_refuse(path) is None


@pytest.mark.parametrize("hyper", [{"learning_rate": 1e300}, {"learning_rate": 1e-60},
                                   {"epsilon": 1e-60}, {"beta_2": 1 - 1e-12}])
def test_optimizer_unusable_in_the_model_dtype(hyper, tmp_path):
    # Valid in float64, but not in the float32 the model computes in: save
    # could never have written it.
    model = nncore.MLP((2, 1), dtype=np.float32, random_state=0)
    model.fit(np.ones((3, 2)), np.ones(3), epochs=1, optimizer="adam")
    path = tmp_path / "model.npz"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    training = json.loads(str(np.load(io.BytesIO(members["training.npy"]))[()]))
    training["optimizer"].update(hyper)
    members["training.npy"] = npy(np.array(json.dumps(training)))
    path = write_archive(tmp_path / "float32.npz", members)
    assert load_or_refuse(path) is None
