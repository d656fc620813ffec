"""nncore's model file: one ``.npz`` archive that loads with ``allow_pickle=False``.

Members (format version 2):

- ``format``: the string ``"nncore.MLP"``; ``version``: the int 2.
- ``config``: JSON, the constructor's arguments (``MLP.get_config()``).
- ``params``: the flat parameters (``MLP.params_``), in the model's dtype.
- ``first_moment``, ``second_moment``: the optimizer's state, the same size
  (SGD's velocity; Adam's two moment estimates).
- ``training``: JSON, the optimizer (``get_config()`` or null), the L2
  penalty, the gradient clipping norm (or null), Adam's step count, the
  last loss and, optionally, the learning-rate schedule (``{"config": ...,
  "state": ...}``, or null; a file without it has no schedule), the
  dropout masks' seed and the epochs trained since initialisation (a file
  without them has 0 for both), and the state of the generator that
  shuffles draw from (a file without it leaves the loaded model a fresh one).
- ``extra`` (optional): JSON, an object of metadata the model does not use
  (the ``nncore`` command keeps its feature names, classes and scores
  there). ``nncore.load`` checks it and leaves it out.

Version 1, from before gradient clipping and weight decay, is read too: its
``training`` has no ``clip_norm`` (none), and its optimizers no
``weight_decay`` (0), so its models train on to the same bits.

Loading checks every member (names, dtypes, shapes, finite values, a known
configuration), so a damaged or hostile file gives a ValueError naming the
file, never a crash or a silently wrong model.
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Optional, Union

import numpy as np

from nncore._atomic import atomic_write
from nncore._engine import count_parameters

FORMAT_NAME = "nncore.MLP"
FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
ARRAYS = ("params", "first_moment", "second_moment")
# The numbers of the training state, kept in the ``training`` member.
_NUMBERS = ("optimizer", "l2", "clip_norm", "step_count", "loss", "schedule", "dropout_seed",
            "epochs_trained", "rng")
_MEMBERS = {"format", "version", "config", "training", *ARRAYS}
_OPTIONAL = {"extra"}
# The text members (format, version, config, training) are a few hundred
# bytes; a bound keeps a damaged or hostile one from inflating to gigabytes.
_MAX_TEXT_BYTES = 1 << 20
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}

Path = Union[str, "os.PathLike[str]"]


def write(path: Path, config: dict[str, Any], state: dict[str, Any],
          extra: Optional[dict[str, Any]] = None) -> None:
    """Write a model file: ``config`` (the constructor's arguments), ``state``
    (``MLP._get_state()``: the three arrays and the numbers of ``_NUMBERS``)
    and, if given, ``extra``. Atomic: ``path`` ends up holding either its old
    contents or the whole new file."""
    training = {name: state[name] for name in _NUMBERS}
    members: dict[str, Any] = {
        "format": np.array(FORMAT_NAME),
        "version": np.array(FORMAT_VERSION),
        "config": np.array(json.dumps(config)),
        "training": np.array(json.dumps(training)),
        **{name: state[name] for name in ARRAYS},
    }
    if extra is not None:
        members["extra"] = np.array(json.dumps(extra))
    with atomic_write(path) as file:
        np.savez(file, **members)


def read(path: Path) -> tuple[dict[str, Any], dict[str, Any], Optional[dict[str, Any]]]:
    """``(config, state, extra)`` from a model file, each checked as far as the
    format goes: the members, their headers and sizes against the
    configuration's parameter count, finite arrays of the configuration's
    dtype, and numbers of the right kinds. The configuration's values and the
    optimizer's are checked by the model that is built from them.

    Raises
    ------
    ValueError
        Naming the file, if it is not a valid nncore model file (damaged,
        truncated, from another program or a newer format version).
    """
    # Three steps, so nothing is allocated that the file's configuration
    # does not call for: the members' headers and the small text members,
    # then the checks of the configuration against the declared shapes,
    # then the arrays themselves.
    with _readable(path):
        declared = _read_headers(path)
        members = _read_members(path, declared.keys() - set(ARRAYS))
    with invalid_file(path):
        _check_members(declared, members)
        config = json.loads(str(members["config"][()]))
        training = json.loads(str(members["training"][()]))
        extra = json.loads(str(members["extra"][()])) if "extra" in members else None
        if not isinstance(config, dict) or not isinstance(training, dict):
            raise ValueError("config and training must be JSON objects")
        if "extra" in members and not isinstance(extra, dict):
            raise ValueError(f"extra is {extra!r:.40}, expected a JSON object")
        for name in ARRAYS:
            _check_size(config, name, declared[name])
    with _readable(path):
        members.update(_read_members(path, ARRAYS))
    with invalid_file(path):
        state = {name: training.get(name) for name in _NUMBERS}
        state.update((name, members[name]) for name in ARRAYS)
        _check_state(state, config.get("dtype", "float64"))
    return config, state, extra


def file_version(path: Path) -> int:
    """The format version of a model file that ``read`` has accepted."""
    with _readable(path):
        return int(_read_members(path, ["version"])["version"])


@contextlib.contextmanager
def invalid_file(path):
    """What the checks of a file's contents raise, as a ValueError naming the file."""
    try:
        yield
    except (ValueError, TypeError, KeyError, RecursionError) as exc:
        raise ValueError(f"{path}: not a valid nncore model file: {exc}") from None


def _check_state(state, dtype):
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype is {dtype!r:.40}, expected 'float64' or 'float32'")
    for name in ARRAYS:
        array = state[name]
        if array.dtype != np.dtype(dtype):  # native byte order too
            raise ValueError(f"{name} has dtype {array.dtype}, expected {dtype}")
        if not np.isfinite(array).all() or (name == "second_moment" and array.min() < 0):
            raise ValueError(f"{name} has non-finite or invalid values")
    step_count, l2, loss = state["step_count"], state["l2"], state["loss"]
    clip_norm = state["clip_norm"]
    if clip_norm is not None and (not isinstance(clip_norm, (int, float)) or isinstance(clip_norm, bool)
                                  or not np.isfinite(clip_norm) or clip_norm <= 0):
        raise ValueError(f"clip_norm is {clip_norm!r:.40}, expected a finite number > 0 or null")
    if not isinstance(step_count, int) or isinstance(step_count, bool) or not 0 <= step_count < 2**62:
        raise ValueError(f"step_count is {step_count!r}, expected an int >= 0")
    for name, bound in (("dropout_seed", 2**64), ("epochs_trained", 2**62)):
        value = state[name]
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or not 0 <= value < bound):
            raise ValueError(f"{name} is {value!r:.40}, expected an int from 0 to {bound} - 1")
    if not isinstance(l2, (int, float)) or isinstance(l2, bool) or not np.isfinite(l2) or l2 < 0:
        raise ValueError(f"l2 is {l2!r}, expected a finite number >= 0")
    if not isinstance(loss, (int, float)) or isinstance(loss, bool):
        raise ValueError(f"loss is {loss!r}, expected a number")
    if state["rng"] is not None and not isinstance(state["rng"], dict):
        raise ValueError(f"rng is {state['rng']!r:.40}, expected a JSON object or null")
    if state["optimizer"] is not None and not isinstance(state["optimizer"], dict):
        raise ValueError(f"optimizer is {state['optimizer']!r:.40}, expected a JSON object or null")
    state["l2"], state["loss"] = float(l2), float(loss)


@contextlib.contextmanager
def _readable(path):
    """What reading the archive raises, as a ValueError naming the file.
    NumPy's header parser can raise the tokenizer's and the compiler's
    errors; a damaged deflated member, zlib's; JSON nested too deep, a
    RecursionError (a RuntimeError)."""
    # Imported here: reading a file is rare, ``import nncore`` is not.
    import tokenize
    import zipfile
    import zlib

    try:
        yield
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, RuntimeError,
            MemoryError, SyntaxError, tokenize.TokenError, zlib.error) as exc:
        raise ValueError(f"{path}: not a readable nncore model file ({type(exc).__name__}: {exc})") from None


def _read_headers(path):
    """{member: (shape, dtype)} from every member's .npy header, each checked
    to declare no Python objects and no more data than the archive holds,
    and the text members to be small."""
    import zipfile

    declared = {}
    with open(path, "rb") as file, zipfile.ZipFile(file) as archive:
        for info in archive.infolist():
            with archive.open(info) as member:
                version = np.lib.format.read_magic(member)
                if version not in _HEADER_READERS:
                    raise ValueError(f"member {info.filename} has .npy format {version}")
                shape, _, dtype = _HEADER_READERS[version](member)
            if dtype.hasobject:
                raise ValueError(f"member {info.filename} holds Python objects")
            size = dtype.itemsize * int(np.prod(shape, dtype=object))
            if size > info.file_size:
                raise ValueError(f"member {info.filename} declares shape {shape}, more "
                                 "data than the file holds")
            name = info.filename.removesuffix(".npy")
            if name not in ARRAYS and size > _MAX_TEXT_BYTES:
                raise ValueError(f"member {info.filename} declares {size} bytes, expected "
                                 f"at most {_MAX_TEXT_BYTES}")
            declared[name] = (shape, dtype)
    return declared


def _read_members(path, names):
    """The arrays of the archive's members ``names`` (all checked by _read_headers)."""
    with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        return {name: archive[name] for name in names}


def _check_size(config, name, declared):
    """The configuration's parameter count matches the array member's
    declared shape, so neither reading the member nor building the model
    allocates more than the configuration calls for."""
    sizes = config.get("layer_sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes)):
        raise ValueError(f"layer_sizes is {sizes!r}, expected a list of two or more positive ints")
    bias = config.get("bias", True)
    count = count_parameters(sizes, [bias] * (len(sizes) - 1))
    shape, _ = declared
    if shape != (count,):
        raise ValueError(f"{name} has shape {shape}, expected ({count},) for layer_sizes {sizes}")


def _check_members(declared, members):
    if not _MEMBERS <= set(declared) <= _MEMBERS | _OPTIONAL:
        raise ValueError(f"members {sorted(declared)}, expected {sorted(_MEMBERS)} "
                         f"and optionally {sorted(_OPTIONAL)}")
    for name in ("format", "config", "training", *(_OPTIONAL & set(members))):
        if members[name].shape != () or members[name].dtype.kind != "U":
            raise ValueError(f"{name} is not a string")
    if str(members["format"][()]) != FORMAT_NAME:
        raise ValueError(f"format is {members['format'][()]!r}, expected {FORMAT_NAME!r}")
    version = members["version"]
    if version.shape != () or version.dtype.kind not in "iu":
        raise ValueError("version is not an integer")
    if int(version) not in _READABLE_VERSIONS:
        raise ValueError(f"format version {int(version)}, expected 1 to {FORMAT_VERSION} "
                         "(a newer nncore may read it)")
