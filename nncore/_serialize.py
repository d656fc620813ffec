"""nncore's model file: one ``.npz`` archive that loads with ``allow_pickle=False``.

Members (format version 1):

- ``format``: the string ``"nncore.MLP"``; ``version``: the int 1.
- ``config``: JSON, the constructor's arguments (``MLP.get_config()``).
- ``params``: the flat parameters (``MLP.params_``), in the model's dtype.
- ``first_moment``, ``second_moment``: the optimizer's state, the same size
  (SGD's velocity; Adam's two moment estimates).
- ``training``: JSON, the optimizer (``get_config()`` or null), the L2
  penalty, Adam's step count and the last loss.
- ``extra`` (optional): JSON, an object of metadata the model does not use
  (the ``nncore`` command keeps its feature names, classes and scores
  there). ``nncore.load`` checks it and leaves it out.

Loading checks every member (names, dtypes, shapes, finite values, a known
configuration), so a damaged or hostile file gives a ValueError naming the
file, never a crash or a silently wrong model.
"""
from __future__ import annotations

import json
import os
import zipfile
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

if TYPE_CHECKING:
    from nncore.model import MLP

FORMAT_NAME = "nncore.MLP"
FORMAT_VERSION = 1
_ARRAYS = ("params", "first_moment", "second_moment")
_MEMBERS = {"format", "version", "config", "training", *_ARRAYS}
_OPTIONAL = {"extra"}
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}


def save(model: MLP, path: Union[str, os.PathLike[str]], extra: Optional[dict[str, Any]] = None) -> None:
    """Write ``model`` to ``path``; ``extra``, a dict, becomes the ``extra`` member."""
    state = model._engine.get_state()  # copies, taken while no other thread trains
    training = {
        "optimizer": model.optimizer_.get_config() if model.optimizer_ is not None else None,
        "l2": state["l2"],
        "step_count": state["step_count"],
        "loss": state["loss"],
    }
    members: dict[str, Any] = {
        "format": np.array(FORMAT_NAME),
        "version": np.array(FORMAT_VERSION),
        "config": np.array(json.dumps(model.get_config())),
        "training": np.array(json.dumps(training)),
        "params": state["params"],
        "first_moment": state["first_moment"],
        "second_moment": state["second_moment"],
    }
    if extra is not None:
        members["extra"] = np.array(json.dumps(extra))
    with open(path, "wb") as file:
        np.savez(file, **members)


def load(path: Union[str, os.PathLike[str]]) -> MLP:
    """The model saved at ``path`` by ``MLP.save``: same parameters, bit for
    bit, and the same optimizer state, so training resumes exactly.

    Raises
    ------
    ValueError
        If the file is not a valid nncore model file (damaged, truncated,
        from another program or a newer format version).
    """
    return load_with_extra(path)[0]


def load_with_extra(path: Union[str, os.PathLike[str]]) -> tuple[MLP, Optional[dict[str, Any]]]:
    """``(load(path), extra)``: the model and its ``extra`` member, a dict
    (None when the file has none)."""
    from nncore.model import MLP  # model imports this module
    from nncore.optimizers import optimizer_from_config

    try:
        members = _read_members(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, RuntimeError,
            MemoryError) as exc:
        raise ValueError(f"{path}: not a readable nncore model file ({type(exc).__name__}: {exc})") from None
    try:
        _check_members(members)
        config = json.loads(str(members["config"][()]))
        training = json.loads(str(members["training"][()]))
        extra = json.loads(str(members["extra"][()])) if "extra" in members else None
        if not isinstance(config, dict) or not isinstance(training, dict):
            raise ValueError("config and training must be JSON objects")
        if "extra" in members and not isinstance(extra, dict):
            raise ValueError(f"extra is {extra!r:.40}, expected a JSON object")
        _check_size(config, members["params"])
        model = MLP(**config)
        engine = model._engine
        for name in _ARRAYS:
            array = members[name]
            if array.dtype != engine.params.dtype or array.shape != engine.params.shape:
                raise ValueError(f"{name} has dtype {array.dtype} and shape {array.shape}, "
                                 f"expected {engine.params.dtype} and {engine.params.shape}")
            if not np.isfinite(array).all() or (name == "second_moment" and array.min() < 0):
                raise ValueError(f"{name} has non-finite or invalid values")
        optimizer = (optimizer_from_config(training["optimizer"])
                     if training.get("optimizer") is not None else None)
        step_count = training["step_count"]
        l2 = training["l2"]
        loss = training["loss"]
        if not isinstance(step_count, int) or isinstance(step_count, bool) or not 0 <= step_count < 2**62:
            raise ValueError(f"step_count is {step_count!r}, expected an int >= 0")
        if not isinstance(l2, (int, float)) or not np.isfinite(l2) or l2 < 0:
            raise ValueError(f"l2 is {l2!r}, expected a finite number >= 0")
        if not isinstance(loss, (int, float)):
            raise ValueError(f"loss is {loss!r}, expected a number")
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"{path}: not a valid nncore model file: {exc}") from None
    engine.params[...] = members["params"]
    engine.first_moment[...] = members["first_moment"]
    engine.second_moment[...] = members["second_moment"]
    if optimizer is not None:
        hyper = optimizer.get_config()
        del hyper["name"]
        from nncore._engine import OPTIMIZER_CODES
        engine.configure_optimizer(OPTIMIZER_CODES[optimizer.name], **hyper)
    model.optimizer_ = optimizer
    engine.l2 = float(l2)
    engine.step_count = step_count
    engine.restore_loss(float(loss))
    return model, extra


def _read_members(path):
    """Every member of the archive at ``path``, each checked, before NumPy
    allocates it, to declare no more data than the archive holds."""
    with open(path, "rb") as file:
        with zipfile.ZipFile(file) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version not in _HEADER_READERS:
                        raise ValueError(f"member {info.filename} has .npy format {version}")
                    shape, _, dtype = _HEADER_READERS[version](member)
                    if dtype.hasobject:
                        raise ValueError(f"member {info.filename} holds Python objects")
                    if dtype.itemsize * int(np.prod(shape, dtype=object)) > info.file_size:
                        raise ValueError(f"member {info.filename} declares shape {shape}, more "
                                         "data than the file holds")
        file.seek(0)
        with np.load(file, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            return {name.removesuffix(".npy"): archive[name] for name in archive.files}


def _check_size(config, params):
    """The configuration's parameter count matches the stored parameters, so
    building the model allocates no more than the file holds."""
    sizes = config.get("layer_sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in sizes)):
        raise ValueError(f"layer_sizes is {sizes!r}, expected a list of two or more positive ints")
    bias = config.get("bias", True)
    count = sum(a * b + (b if bias else 0) for a, b in zip(sizes, sizes[1:]))
    if params.ndim != 1 or count != params.shape[0]:
        raise ValueError(f"params has shape {params.shape}, expected ({count},) for layer_sizes {sizes}")


def _check_members(members):
    if not _MEMBERS <= set(members) <= _MEMBERS | _OPTIONAL:
        raise ValueError(f"members {sorted(members)}, expected {sorted(_MEMBERS)} "
                         f"and optionally {sorted(_OPTIONAL)}")
    for name in ("format", "config", "training", *(_OPTIONAL & set(members))):
        if members[name].shape != () or members[name].dtype.kind != "U":
            raise ValueError(f"{name} is not a string")
    if str(members["format"][()]) != FORMAT_NAME:
        raise ValueError(f"format is {members['format'][()]!r}, expected {FORMAT_NAME!r}")
    version = members["version"]
    if version.shape != () or version.dtype.kind not in "iu":
        raise ValueError("version is not an integer")
    if int(version) != FORMAT_VERSION:
        raise ValueError(f"format version {int(version)}, expected {FORMAT_VERSION} "
                         "(a newer nncore may read it)")
