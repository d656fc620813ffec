"""nncore train's training recipes: --schedule (each name gives fit its
schedule, with defaults from --epochs and the learning rate, and the saved
model keeps it) and --dropout (one rate or one per hidden layer reaches the
model, the saved file keeps it, nncore info shows it, bad rates are refused)."""
import csv
import re

import pytest

import nncore
from nncore import cli


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open(tmp_path / "good.csv", "w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["a", "b", "y"])
        writer.writerows([[1, 2, 0], [2, 1, 1], [3, 4, 0], [4, 3, 1], [5, 1, 1], [0, 3, 0]])
    return tmp_path


@pytest.mark.parametrize("name, options, expected", [
    ("step", [], nncore.StepDecay(3, gamma=0.1)),
    ("exponential", [], nncore.ExponentialDecay(0.01 ** (1 / 10))),
    ("cosine", [], nncore.CosineDecay(10)),
    ("onecycle", [], nncore.OneCycle(0.001, 10)),
    ("onecycle", ["--optimizer", "sgd"], nncore.OneCycle(0.01, 10)),
    ("onecycle", ["--learning-rate", "0.05", "--weight-decay", "0.1"], nncore.OneCycle(0.05, 10)),
    ("plateau", [], nncore.ReduceOnPlateau(factor=0.1, patience=1)),
])
def test_each_schedule_reaches_fit_and_the_saved_model(name, options, expected, folder,
                                                       fit_calls, capsys):
    calls = fit_calls
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "10", "--batch-size", "2",
                     "--schedule", name, *options, "--save", "m.npz", "--no-progress"]) == 0
    assert f", the learning rate on {expected!r} on" in capsys.readouterr().out
    (given,) = calls
    assert given["schedule"] == expected
    saved = nncore.load("m.npz").schedule_
    assert saved.get_config() == expected.get_config() and saved.get_state()["epoch"] == 10


def test_without_a_schedule_fit_gets_none(folder, fit_calls, capsys):
    calls = fit_calls
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "2", "--no-progress"]) == 0
    assert "learning rate on" not in capsys.readouterr().out
    assert calls[0]["schedule"] is None


def test_an_unknown_schedule_is_refused(folder, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "good.csv", "--target", "y", "--schedule", "linear"])
    assert exit_info.value.code == 2
    assert "argument --schedule: invalid choice: 'linear'" in capsys.readouterr().err


@pytest.mark.parametrize("given, expected", [("0.25", 0.25), ("0.2,0.1", [0.2, 0.1])])
def test_dropout_reaches_the_saved_model_and_info(given, expected, folder, capsys):
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "3", "--layers", "8,4",
                     "--dropout", given, "--save", "m.npz", "--no-progress"]) == 0
    assert f"dropout={expected}" in capsys.readouterr().out
    model = nncore.load("m.npz")
    assert model.dropout == expected
    assert cli.main(["info", "m.npz"]) == 0
    shown = "0.25, 0.25" if given == "0.25" else "0.2, 0.1"
    assert f"dropout: {shown}" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("options, match", [
    (["--dropout", "1"], r"argument --dropout: got '1', expected a rate in \[0, 1\)"),
    (["--dropout", "0.1,x"], r"argument --dropout: got '0.1,x', expected a rate in \[0, 1\)"),
])
def test_bad_rates_are_refused(options, match, folder, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "good.csv", "--target", "y", "--layers", "8,4", *options])
    assert exit_info.value.code == 2
    assert re.search(match, capsys.readouterr().err)


def test_rates_for_other_layers_are_refused(folder, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "good.csv", "--target", "y", "--layers", "8,4",
                  "--dropout", "0.1,0.2,0.3", "--no-progress"])
    assert exit_info.value.code == 2
    assert ("--dropout: got 3 rates, expected 1 or 2 (one per hidden layer of --layers)"
            in capsys.readouterr().err)
