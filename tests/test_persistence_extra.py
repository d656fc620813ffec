"""The model file's optional ``extra`` member: a JSON object saved beside the
model (the ``nncore`` command keeps its metadata there), checked on load, and
left out by ``nncore.load``."""
import json
import re

import numpy as np
import pytest

import nncore
from nncore.model import load_with_extra

EXTRA = {"task": "classification", "features": ["a", "b"], "classes": ["x", "y"],
         "scores": {"train_accuracy": 0.75}}


def trained():
    rng = np.random.default_rng(0)
    model = nncore.MLP((2, 4, 2), output_activation="softmax", random_state=1)
    model.fit(rng.standard_normal((8, 2)), rng.integers(0, 2, 8), epochs=2, optimizer="adam")
    return model


def saved_with_member(folder, name, value):
    """A saved model file whose member ``name`` is then set to ``value``."""
    path = folder / "model.npz"
    trained()._save(path, extra=EXTRA)
    with np.load(path) as archive:
        contents = {member.removesuffix(".npy"): archive[member] for member in archive.files}
    contents[name] = value
    np.savez(path, **contents)
    return path


def test_extra_round_trips_and_load_returns_only_the_model(tmp_path):
    model = trained()
    path = tmp_path / "model.npz"
    model._save(path, extra=EXTRA)
    loaded, extra = load_with_extra(path)
    assert extra == EXTRA
    plain = nncore.load(path)
    assert isinstance(plain, nncore.MLP)
    for copy in (loaded, plain):
        np.testing.assert_array_equal(copy.params_, model.params_, strict=True)
        assert copy.optimizer_ == model.optimizer_


def test_a_file_without_extra_loads_as_before(tmp_path):
    path = tmp_path / "model.npz"
    trained().save(path)
    with np.load(path) as archive:
        assert "extra.npy" not in archive.files
    assert load_with_extra(path)[1] is None


@pytest.mark.parametrize("value, reason", [
    ("[1, 2]", "extra is \\[1, 2\\], expected a JSON object"),
    ("null", "extra is None, expected a JSON object"),
    ("{not json", "Expecting property name"),
])
def test_extra_that_is_not_a_json_object(value, reason, tmp_path):
    path = saved_with_member(tmp_path, "extra", np.array(value))
    for load in (nncore.load, load_with_extra):
        with pytest.raises(ValueError, match=re.escape(str(path)) + ": .*" + reason):
            load(path)


def test_extra_that_is_not_a_string(tmp_path):
    path = saved_with_member(tmp_path, "extra", np.zeros(3))
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": .*extra is not a string"):
        nncore.load(path)


def test_an_unknown_member_is_still_refused(tmp_path):
    path = saved_with_member(tmp_path, "notes", np.array(json.dumps({})))
    with pytest.raises(ValueError, match="members .*notes.*optionally \\['extra'\\]"):
        nncore.load(path)
