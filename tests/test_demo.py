"""``python -m nncore`` and the README's example run and say what they promise."""
import importlib.resources
import re
import subprocess
import sys

import numpy as np
import pytest

from nncore.__main__ import main

# The copy of README.md installed with the package (see setup.py).
README = importlib.resources.files("nncore") / "README.md"


def test_demo_prints_the_numbers_and_both_outputs(capsys):
    main(["--iterations", "300"])
    out = capsys.readouterr().out
    assert "0.9990889488055994" in out
    assert "0.7216325609518421" in out
    assert "reference" in out and "nncore train()" in out
    rows = re.findall(r"^\s+\[\d \d \d\]\s+(\d)\s+([\d.]+)\s+([\d.]+)$", out, flags=re.M)
    assert len(rows) == 4
    for _, reference_output, nncore_output in rows:
        assert float(reference_output) == pytest.approx(float(nncore_output), rel=1e-9)


def test_demo_rejects_a_bad_iteration_count(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--iterations", "0"])
    assert exit_info.value.code == 2
    assert "--iterations: got 0" in capsys.readouterr().err


def test_demo_runs_as_a_module():
    result = subprocess.run([sys.executable, "-I", "-m", "nncore", "--iterations", "10"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "0.7216325609518421" in result.stdout


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the MLP example saves a file
    blocks = readme_blocks()
    assert len(blocks) == 7
    # The estimators' example and the deployment examples: tests of their own.
    blocks = blocks[:4]
    namespaces = []
    for code in blocks:
        namespaces.append({})
        exec(compile(code, str(README), "exec"), namespaces[-1])
    assert namespaces[0]["nn"].output.shape == (4, 1)
    mlp = namespaces[1]
    assert mlp["model"].score(mlp["X"][400:], mlp["labels"][400:]) == pytest.approx(0.89)
    assert mlp["probabilities"].shape == (100, 2)
    np.testing.assert_allclose(mlp["probabilities"].sum(axis=1), 1)
    scheduled = namespaces[2]
    rates = scheduled["history"].learning_rate
    assert len(rates) == 20 and rates[0] == 0.05 and 0.001 < rates[-1] < rates[0]
    recipes = namespaces[3]
    assert recipes["classifier"].history_.epochs == recipes["robust"].history_.epochs == 20
    assert recipes["robust"].loss_name == "huber" and recipes["robust"].huber_delta == 0.5


def readme_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_estimator_example_runs(capsys):
    pytest.importorskip("sklearn")
    from sklearn.neural_network import MLPClassifier as SklearnClassifier

    namespace = {}
    exec(compile(readme_blocks()[4], str(README), "exec"), namespace)
    clf = namespace["clf"]
    assert re.fullmatch(r"\d+ epochs, test accuracy 0\.9\d\d\n", capsys.readouterr().out)
    # What the comment promises: scikit-learn's coefs_.
    shared = SklearnClassifier().get_params().keys()  # not nncore's own parameters
    params = {name: value for name, value in clf.get_params().items() if name in shared}
    theirs = SklearnClassifier(**params).fit(namespace["X_train"], namespace["y_train"])
    assert clf.n_iter_ == theirs.n_iter_
    for mine, expected in zip(clf.coefs_, theirs.coefs_):
        np.testing.assert_allclose(mine, expected, rtol=1e-9, atol=1e-12)


def test_readme_onnx_and_c_example_runs(tmp_path, monkeypatch, capsys):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(readme_blocks()[5], str(README), "exec"), namespace)
    assert float(capsys.readouterr().out) < 1e-14  # what the comment promises
    assert (tmp_path / "model.onnx").is_file()
    assert {path.name for path in (tmp_path / "build").iterdir()} == {"regress.h", "regress.c"}


def test_readme_pipeline_example_runs():
    pytest.importorskip("sklearn")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    namespace = {}
    exec(compile(readme_blocks()[6], str(README), "exec"), namespace)  # it asserts itself
    assert namespace["probabilities"][0].keys() == {0, 1, 2}  # skl2onnx's default ZipMap


def load_with_a_nudge(monkeypatch):
    """nncore.load gives a model whose first weight differs from the saved one's."""
    import nncore

    real_load = nncore.load

    def load(path):
        model = real_load(path)
        model.params_[0] += 0.25
        return model

    monkeypatch.setattr(nncore, "load", load)


def test_demo_fails_when_the_round_trip_differs(monkeypatch, capsys):
    load_with_a_nudge(monkeypatch)
    with pytest.raises(SystemExit) as exit_info:
        main(["--iterations", "10"])
    message = str(exit_info.value.code)
    assert exit_info.value.code not in (0, None)
    assert "the model loaded from its saved file gives different outputs" in message
    assert "saved and loaded: the same outputs" not in capsys.readouterr().out


def test_demo_exits_non_zero_when_the_round_trip_differs():
    # The same failure through the interpreter: the exit status CI sees.
    script = ("import runpy, sys, nncore\n"
              "real_load = nncore.load\n"
              "def load(path):\n"
              "    model = real_load(path)\n"
              "    model.params_[0] += 0.25\n"
              "    return model\n"
              "nncore.load = load\n"
              "sys.argv = ['nncore', '--iterations', '10']\n"
              "runpy.run_module('nncore', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert "the model loaded from its saved file gives different outputs" in result.stderr
    assert "the same outputs" not in result.stdout
