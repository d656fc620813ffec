"""``nncore export``: a saved model as an ONNX file or C source, and every
input error as one line on stderr with exit status 2."""
import numpy as np
import pytest

import nncore
from nncore import cli


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = nncore.MLP([3, 5, 2], activation="tanh", output_activation="softmax", random_state=0)
    model.save("model.npz")
    return model


def fails(args, capsys):
    """stderr of ``nncore ARGS``, which must exit with status 2."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(arg) for arg in args])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    return captured.err


def test_export_onnx(saved, capsys):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    assert cli.main(["export", "model.npz", "--format", "onnx", "--output", "model.onnx"]) == 0
    assert capsys.readouterr().out == "wrote model.onnx\n"
    session = ort.InferenceSession("model.onnx", providers=["CPUExecutionProvider"])
    X = np.random.default_rng(0).normal(size=(4, 3))
    (Y,) = session.run(None, {"X": X})
    np.testing.assert_allclose(Y, saved.predict(X), rtol=1e-12)


def test_export_c(saved, tmp_path, capsys):
    assert cli.main(["export", "model.npz", "--format", "c", "--output", "src",
                     "--name", "classify"]) == 0
    assert capsys.readouterr().out == "wrote src/classify.h and .c\n"
    saved.to_c(tmp_path / "direct", "classify")
    for suffix in (".h", ".c"):
        assert ((tmp_path / "src" / f"classify{suffix}").read_text()
                == (tmp_path / "direct" / f"classify{suffix}").read_text())


@pytest.mark.parametrize("args, message", [
    (["absent.npz", "--format", "c", "--output", "src"], "absent.npz: no such file"),
    (["model.npz", "--format", "c", "--output", "src", "--name", "9x"],
     "--name: got '9x', expected a C identifier"),
    (["model.npz", "--format", "c", "--output", "model.npz"],
     "--output: got 'model.npz', which is a file; expected a directory"),
    (["model.npz", "--format", "onnx", "--output", "model.onnx", "--name", "x"],
     "--name: only for --format c"),
    (["model.npz", "--format", "onnx", "--output", "missing/model.onnx"],
     "--output: the folder"),
])
def test_export_errors(saved, capsys, args, message):
    assert message in fails(["export", *args], capsys)


@pytest.mark.parametrize("args, message", [
    (["model.npz", "--output", "x"], "the following arguments are required: --format"),
    (["model.npz", "--format", "tflite", "--output", "x"], "invalid choice: 'tflite'"),
])
def test_export_option_errors(saved, capsys, args, message):
    assert message in fails(["export", *args], capsys)
