"""The ``nncore`` command: train, predict, info, export, demo and bench on small CSV
files, the scaling folded into the saved model, the plots, and every input
error as one line on stderr with exit status 2.

The command runs in a subprocess from a scratch folder; the error paths,
many and each quick, call ``nncore.cli.main`` in this process.
"""
import csv
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

import nncore
from nncore import cli

PLOT_MESSAGE = 'the --plot option needs matplotlib: pip install "nncore-cython[cli]"'


def run(*args, cwd):
    """``nncore ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "nncore.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_csv(text):
    """(header, rows) of a CSV file's text."""
    rows = list(csv.reader(text.splitlines()))
    return rows[0], rows[1:]


def classification_rows(n_rows=120, seed=0):
    """Two inputs far from 0 and on different scales; three string labels."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n_rows, 2))
    labels = np.where(x[:, 0] < -0.3, "bird", np.where(x[:, 1] < 0, "cat", "dog"))
    raw = x * [50.0, 0.02] + [1000.0, -3.0]
    return raw, labels


def regression_rows(n_rows=150, seed=1):
    """Three inputs; y is smooth in them, in its own units (about 500)."""
    rng = np.random.default_rng(seed)
    raw = rng.normal([100.0, 0.0, -5.0], [10.0, 0.01, 2.0], (n_rows, 3))
    y = 3 * raw[:, 0] - 200 * raw[:, 1] + 0.5 * raw[:, 2] ** 2 + 200
    return raw, y


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """A classifier trained and saved by the command: (folder, result, raw inputs, labels)."""
    folder = tmp_path_factory.mktemp("classify")
    raw, labels = classification_rows()
    write_csv(folder / "animals.csv", ["x1", "x2", "animal"],
              [[*map(repr, row), label] for row, label in zip(raw.tolist(), labels)])
    result = run("train", "animals.csv", "--target", "animal", "--epochs", "150",
                 "--learning-rate", "0.01", "--save", "animals.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder, result, raw, labels


@pytest.fixture(scope="module")
def regressor(tmp_path_factory):
    folder = tmp_path_factory.mktemp("regress")
    raw, y = regression_rows()
    write_csv(folder / "prices.csv", ["a", "b", "c", "price"],
              [[*map(repr, row), repr(value)] for row, value in zip(raw.tolist(), y.tolist())])
    result = run("train", "prices.csv", "--target", "price", "--layers", "16",
                 "--epochs", "300", "--learning-rate", "0.01", "--patience", "30",
                 "--save", "prices.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder, result, raw, y


# -- train, info, predict ----------------------------------------------------------


def test_train_classifies_string_labels(classifier):
    folder, result, _, _ = classifier
    out = result.stdout
    assert "classification of 'animal' (3 classes: bird, cat, dog)" in out
    assert "on 96 rows, validating on 24" in out
    accuracy = [float(value) for value in
                next(line for line in out.splitlines() if line.startswith("accuracy:"))
                .replace(",", "").split()[2::2]]
    assert len(accuracy) == 2 and min(accuracy) >= 0.9
    assert "saved the model to animals.npz" in out
    # Not a terminal: the progress bar writes its last line only.
    assert result.stderr.count("epoch 150/150") == 1 and "\r" not in result.stderr


def test_train_regresses_a_numeric_target(regressor):
    _, result, _, _ = regressor
    out = result.stdout
    assert "regression of 'price'" in out
    r2 = next(line for line in out.splitlines() if line.startswith("R^2:"))
    assert float(r2.split()[-1]) > 0.95  # validation
    assert "RMSE: train" in out


@pytest.mark.parametrize("options, loss", [
    (["--loss", "huber", "--huber-delta", "0.5", "--activation", "gelu"], "huber"),
    (["--loss", "absolute_error", "--activation", "silu"], "absolute_error"),
    (["--activation", "elu"], "squared_error"),
    (["--activation", "softplus"], "squared_error"),
])
def test_train_with_the_new_activations_and_losses(options, loss, tmp_path):
    raw, y = regression_rows(n_rows=60)
    write_csv(tmp_path / "prices.csv", ["a", "b", "c", "price"],
              [[*map(repr, row), repr(value)] for row, value in zip(raw.tolist(), y.tolist())])
    result = run("train", "prices.csv", "--target", "price", "--layers", "8", "--epochs", "20",
                 "--no-progress", "--save", "model.npz", *options, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"loss={loss!r}" in result.stdout
    model = nncore.load(tmp_path / "model.npz")
    assert (model.loss_name, model.activation) == (loss, options[options.index("--activation") + 1])
    if loss == "huber":
        assert model.huber_delta == 0.5 and "huber_delta=0.5" in result.stdout


def test_train_with_balanced_class_weight(tmp_path):
    raw, labels = classification_rows(n_rows=90)
    write_csv(tmp_path / "animals.csv", ["x1", "x2", "animal"],
              [[*map(repr, row), label] for row, label in zip(raw.tolist(), labels)])
    common = ["train", "animals.csv", "--target", "animal", "--epochs", "5", "--no-progress",
              "--validation", "0"]
    weighted = run(*common, "--class-weight", "balanced", "--save", "weighted.npz", cwd=tmp_path)
    plain = run(*common, "--save", "plain.npz", cwd=tmp_path)
    assert weighted.returncode == 0 and plain.returncode == 0, weighted.stderr + plain.stderr
    # The same seed and data: only the weights differ.
    assert not np.array_equal(nncore.load(tmp_path / "weighted.npz").params_,
                              nncore.load(tmp_path / "plain.npz").params_)


def test_info_describes_the_model_and_its_metadata(classifier):
    folder = classifier[0]
    result = run("info", "animals.npz", cwd=folder)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("layers:      2 -> 32 -> 16 -> 3 (2 hidden layers)",
                     "activations: relu (hidden), softmax (output)",
                     "loss:        cross_entropy", "dtype:       float64",
                     f"parameters:  {2 * 32 + 32 + 32 * 16 + 16 + 16 * 3 + 3}",
                     "optimizer:   Adam(learning_rate=0.01", "no saved moments", "last loss:",
                     "task:        classification of 'animal'",
                     "classes:     bird, cat, dog", "features:    x1, x2",
                     "scores:      train_accuracy"):
        assert expected in out, expected


def test_predict_round_trip_classification(classifier):
    folder, _, raw, labels = classifier
    # Columns in another order, the target absent, one column more.
    write_csv(folder / "new.csv", ["note", "x2", "x1"],
              [["n", repr(b), repr(a)] for a, b in raw.tolist()])
    result = run("predict", "animals.npz", "new.csv", "--output", "predicted.csv", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert "wrote 120 predictions to predicted.csv" in result.stdout
    header, rows = read_csv((folder / "predicted.csv").read_text())
    assert header == ["animal", "P(animal=bird)", "P(animal=cat)", "P(animal=dog)"]
    expected = nncore.load(folder / "animals.npz").predict(raw)
    np.testing.assert_array_equal(np.array([row[1:] for row in rows], dtype=float), expected)
    predicted = [row[0] for row in rows]
    assert predicted == [["bird", "cat", "dog"][k] for k in expected.argmax(axis=1)]
    assert np.mean(np.array(predicted) == labels) >= 0.9


def test_predict_round_trip_regression_to_stdout(regressor):
    folder, _, raw, y = regressor
    result = run("predict", "prices.npz", "prices.csv", cwd=folder)  # the target is there too
    assert result.returncode == 0, result.stderr
    header, rows = read_csv(result.stdout)
    assert header == ["price"]
    predicted = np.array(rows, dtype=float)[:, 0]
    model = nncore.load(folder / "prices.npz")
    np.testing.assert_array_equal(predicted, model.predict(raw)[:, 0])
    assert np.sqrt(np.mean((predicted - y) ** 2)) < 0.2 * y.std()  # raw units


@pytest.mark.parametrize("sizes, activation, target_scaled", [
    ((3, 7, 5, 1), "identity", True),
    ((3, 1), "identity", True),  # the first layer is the last
    ((3, 6, 4), "softmax", False),
])
def test_folded_model_equals_the_standardized_pipeline(sizes, activation, target_scaled):
    rng = np.random.default_rng(7)
    model = nncore.MLP(sizes, activation="tanh", output_activation=activation, random_state=3)
    X = rng.normal([1e3, -2.0, 0.0], [40.0, 1e-3, 5.0], (50, 3))
    x_mean, x_scale = X.mean(axis=0), X.std(axis=0)
    y_mean, y_scale = (250.0, 35.0) if target_scaled else (0.0, 1.0)
    expected = model.predict((X - x_mean) / x_scale) * y_scale + y_mean
    cli.fold_scaling(model, x_mean, x_scale, y_mean, y_scale)
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12,
                               atol=1e-12 * np.abs(expected).max())


@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", ""),
                    reason="matplotlib's C++ font module cannot load under a preloaded "
                           "AddressSanitizer (its exceptions are not intercepted)")
def test_plot(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    raw, labels = classification_rows(60)
    write_csv(tmp_path / "animals.csv", ["x1", "x2", "animal"],
              [[*map(repr, row), label] for row, label in zip(raw.tolist(), labels)])
    result = run("train", "animals.csv", "--target", "animal", "--epochs", "20",
                 "--no-progress", "--plot", "curves.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "saved the plot to curves.png" in result.stdout and result.stderr == ""
    data = (tmp_path / "curves.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 100
    assert len(data) > 5000
    pixels = image.imread(tmp_path / "curves.png")
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20


def test_plot_without_matplotlib_fails_before_training(tmp_path):
    raw, labels = classification_rows(20)
    write_csv(tmp_path / "animals.csv", ["x1", "x2", "animal"],
              [[*map(repr, row), label] for row, label in zip(raw.tolist(), labels)])
    code = ('import sys; sys.modules["matplotlib"] = None; import nncore.cli; '
            'sys.exit(nncore.cli.main(["train", "animals.csv", "--target", "animal", '
            '"--save", "m.npz", "--plot", "curves.png"]))')
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == f"nncore train: error: {PLOT_MESSAGE}\n"
    assert result.stdout == "" and not (tmp_path / "m.npz").exists()


@pytest.mark.skipif(shutil.which("nncore") is None, reason="the nncore command is not installed")
def test_console_script():
    result = subprocess.run(["nncore", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    for command in ("train", "predict", "info", "demo", "bench"):
        assert command in result.stdout


# -- demo and bench ----------------------------------------------------------------


def test_demo(capsys):
    assert cli.main(["demo", "--iterations", "10"]) == 0
    out = capsys.readouterr().out
    assert "0.7216325609518421" in out and "saved and loaded" in out


def test_bench_passes_its_arguments_to_the_script(tmp_path, monkeypatch, capfd):
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "run.py").write_text(
        "import json, sys\nprint(json.dumps(sys.argv[1:]))\nsys.exit(3)\n")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["bench", "--smoke", "--rounds", "2"]) == 3
    assert json.loads(capfd.readouterr().out) == ["--smoke", "--rounds", "2"]


# -- errors: one line on stderr, exit status 2 ------------------------------------------


def fails(args, capsys):
    """stderr of ``nncore ARGS``, which must exit with status 2."""
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(arg) for arg in args])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    return captured.err


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "good.csv", ["a", "b", "y"], [[1, 2, 0], [2, 1, 1], [3, 4, 0], [4, 3, 1]])
    return tmp_path


@pytest.mark.parametrize("text, message", [
    ("", "data.csv: the file is empty, expected a header line and data rows"),
    ("a,b,y\n", "data.csv: only a header line, no data rows"),
    ("a,b,y\n1,2,0\n2,x,1\n", "data.csv, line 3, column 'b': 'x' is not a number"),
    ("a,b,y\n1,2,0\n\n2,,1\n", "data.csv, line 4, column 'b': an empty field, expected a number"),
    ("a,b,y\n1,2,0\n2,3,1\nnan,1,0\n", "data.csv, line 4, column 'a': got nan, expected a finite"),
    ("a,b,y\n1,2,0\n2,3\n", "data.csv, line 3: 2 fields, expected 3 as in the header"),
    ("a,b,y\n1,2,0\n2,3,\n", "data.csv, line 3, column 'y': an empty field, expected a target"),
    ("a,b,y\n1,2,0\n2,3,0\n", "data.csv: the target 'y' has one value, 0; a classification needs two"),
    ("a,a,y\n1,2,0\n", "data.csv: the header names column 'a' twice"),
    ("y\n1\n2\n", "data.csv: no columns but the target 'y', expected one or more input"),
])
def test_bad_data(text, message, folder, capsys):
    (folder / "data.csv").write_text(text)
    err = fails(["train", "data.csv", "--target", "y"], capsys)
    assert err.startswith(f"nncore train: error: {message}") and err.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["--loss", "huber"], "--loss: got huber for a classification, expected a regression"),
    (["--task", "regress", "--class-weight", "balanced"],
     "--class-weight: got balanced for a regression, expected a classification"),
    (["--huber-delta", "0"], "argument --huber-delta:"),
    (["--class-weight", "even"], "argument --class-weight: invalid choice: 'even'"),
    (["--loss", "poisson"], "argument --loss: invalid choice: 'poisson'"),
    (["--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
])
def test_bad_recipe_options(args, message, folder, capsys):
    err = fails(["train", "good.csv", "--target", "y", *args], capsys)
    assert f"nncore train: error: {message}" in err


def test_missing_column_lists_the_columns(folder, capsys):
    err = fails(["train", "good.csv", "--target", "price"], capsys)
    assert err == "nncore train: error: good.csv: no column 'price'; its columns are 'a', 'b', 'y'\n"


def test_missing_file(folder, capsys):
    assert "absent.csv: no such file" in fails(["train", "absent.csv", "--target", "y"], capsys)
    assert "absent.npz: no such file" in fails(["predict", "absent.npz", "good.csv"], capsys)
    assert "absent.npz: no such file" in fails(["info", "absent.npz"], capsys)


def test_a_regression_target_must_be_numeric(folder, capsys):
    (folder / "labels.csv").write_text("a,y\n1,2.5\n2,cat\n")
    err = fails(["train", "labels.csv", "--target", "y", "--task", "regress"], capsys)
    assert "labels.csv, line 3, column 'y': 'cat' is not a number; a regression's" in err


@pytest.mark.parametrize("option, value, message", [
    ("--layers", "3,x", "argument --layers: got '3,x', expected positive widths"),
    ("--layers", "8,0", "argument --layers: got '8,0'"),
    ("--validation", "1.5", "argument --validation: got '1.5', expected a number in [0, 1)"),
    ("--validation", "-0.1", "argument --validation: got '-0.1'"),
    ("--epochs", "0", "argument --epochs: got '0', expected an integer >= 1"),
    ("--batch-size", "two", "argument --batch-size: got 'two', expected an integer >= 1"),
    ("--learning-rate", "-1", "argument --learning-rate: got '-1', expected a finite number > 0"),
    ("--learning-rate", "inf", "argument --learning-rate: got 'inf'"),
    ("--seed", "-3", "argument --seed: got '-3', expected an integer >= 0"),
    ("--weight-decay", "-0.1", "argument --weight-decay: got '-0.1', expected a finite number >= 0"),
    ("--weight-decay", "nan", "argument --weight-decay: got 'nan'"),
    ("--clip-norm", "0", "argument --clip-norm: got '0', expected a finite number > 0"),
    ("--clip-norm", "inf", "argument --clip-norm: got 'inf'"),
    ("--task", "cluster", "argument --task: invalid choice: 'cluster'"),
    ("--save", "no/such/folder/m.npz", "--save: the folder "),
])
def test_bad_option_values(option, value, message, folder, capsys):
    err = fails(["train", "good.csv", "--target", "y", option, value], capsys)
    assert message in err


def test_validation_that_leaves_no_training_rows(folder, capsys):
    (folder / "two.csv").write_text("a,y\n1,0\n2,1\n")
    err = fails(["train", "two.csv", "--target", "y", "--validation", "0.9"], capsys)
    assert "--validation 0.9 of 2 rows leaves no training rows" in err


def test_predict_needs_the_models_columns(folder, capsys):
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "1", "--validation", "0",
                     "--no-progress", "--save", "m.npz"]) == 0
    capsys.readouterr()
    (folder / "other.csv").write_text("a,c\n1,2\n")
    err = fails(["predict", "m.npz", "other.csv"], capsys)
    assert "other.csv: no column 'b'; its columns are 'a', 'c'" in err
    nncore.MLP((2, 2)).save(folder / "plain.npz")
    err = fails(["predict", "plain.npz", "good.csv"], capsys)
    assert "plain.npz: no input column names" in err
    (folder / "text.npz").write_text("not a model")
    assert "text.npz: not a readable nncore model file" in fails(["info", "text.npz"], capsys)


def test_unknown_arguments_and_no_command(capsys):
    assert "unrecognized arguments: --bogus" in fails(["info", "m.npz", "--bogus"], capsys)
    assert "required: COMMAND" in fails([], capsys)


def test_bench_outside_a_source_checkout(folder, capsys):
    err = fails(["bench", "--smoke"], capsys)
    assert "bench/run.py not found" in err and "source checkout" in err


@pytest.mark.parametrize("targets, task, expected", [
    (range(12), "auto", "regression of 'y'"),
    ([0, 1, 2] * 4, "auto", "classification of 'y' (3 classes: 0, 1, 2)"),
    ([0.5, 1.5] * 6, "auto", "regression of 'y'"),
    ([0.5, 1.5] * 6, "classify", "classification of 'y' (2 classes: 0.5, 1.5)"),
    ([0, 1, 2] * 4, "regress", "regression of 'y'"),
])
def test_the_task_follows_the_target(targets, task, expected, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "data.csv", ["a", "y"], [[i * 0.1, t] for i, t in enumerate(targets)])
    assert cli.main(["train", "data.csv", "--target", "y", "--task", task, "--layers", "",
                     "--epochs", "2", "--optimizer", "sgd", "--no-progress"]) == 0
    assert expected in capsys.readouterr().out


def test_folding_resets_the_optimizer_moments():
    # They belong to the scaled parameters: kept, they would mislead further training.
    from nncore.cli import fold_scaling
    rng = np.random.default_rng(0)
    model = nncore.MLP([2, 3, 1], random_state=0)
    model.fit(rng.standard_normal((20, 2)), rng.standard_normal((20, 1)), epochs=3,
              optimizer="adam")
    assert model._get_state()["step_count"] > 0
    fold_scaling(model, [1.0, 2.0], [2.0, 3.0], 0.5, 4.0)
    state = model._get_state()
    assert state["step_count"] == 0
    assert not state["first_moment"].any() and not state["second_moment"].any()


@pytest.mark.parametrize("optimizer, expected", [
    ("adam", nncore.AdamW(learning_rate=0.02, weight_decay=0.05)),
    ("sgd", nncore.SGD(learning_rate=0.02, weight_decay=0.05)),
])
def test_weight_decay_and_clip_norm_reach_fit_and_the_saved_model(optimizer, expected, folder,
                                                                   fit_calls, capsys):
    calls = fit_calls
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "3", "--validation", "0",
                     "--optimizer", optimizer, "--learning-rate", "0.02", "--weight-decay", "0.05",
                     "--clip-norm", "0.5", "--save", "m.npz", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"with {expected!r}, clipping gradients to norm 0.5 on 4 rows" in out
    (options,) = calls
    assert options["optimizer"] == expected and options["learning_rate"] is None
    assert options["clip_norm"] == 0.5
    model = nncore.load("m.npz")
    # The scaling folded into the model resets the moments, not the settings.
    assert model.optimizer_ == expected and model._get_state()["clip_norm"] == 0.5
    assert cli.main(["info", "m.npz"]) == 0
    info = capsys.readouterr().out
    assert f"optimizer:   {expected!r}" in info and "clip norm:   0.5" in info


def test_without_weight_decay_the_optimizer_is_given_by_name(folder, fit_calls, capsys):
    calls = fit_calls
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "2", "--no-progress"]) == 0
    assert "with adam on" in capsys.readouterr().out
    (options,) = calls
    assert options["optimizer"] == "adam" and options["clip_norm"] is None


def test_info_names_the_file_s_format_version(capsys):
    # A model saved before weight decay and clipping (tests/data/make_format_1.py).
    path = os.path.join(os.path.dirname(__file__), "data", "format_1_adam_f64.npz")
    assert cli.main(["info", path]) == 0
    out = capsys.readouterr().out
    assert "nncore.MLP, format version 1" in out and "clip norm" not in out
    assert "optimizer:   Adam(learning_rate=0.01" in out


def test_train_deterministic_saves_a_deterministic_model(tmp_path):
    raw, labels = classification_rows()
    write_csv(tmp_path / "animals.csv", ["x1", "x2", "animal"],
              [[*map(repr, row), label] for row, label in zip(raw.tolist(), labels)])
    result = run("train", "animals.csv", "--target", "animal", "--epochs", "3", "--deterministic",
                 "--save", "animals.npz", "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "deterministic=True" in result.stdout
    assert nncore.load(tmp_path / "animals.npz").deterministic


# -- export ------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path, monkeypatch):
    """A model saved as model.npz in the current folder."""
    monkeypatch.chdir(tmp_path)
    model = nncore.MLP([3, 5, 2], activation="tanh", output_activation="softmax", random_state=0)
    model.save("model.npz")
    return model


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
