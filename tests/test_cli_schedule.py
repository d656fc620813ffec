"""nncore train --schedule: each name gives fit its schedule, with defaults
from --epochs and the learning rate, and the saved model keeps it."""
import csv

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
                                                       monkeypatch, capsys):
    calls = []
    fit = nncore.MLP.fit
    monkeypatch.setattr(nncore.MLP, "fit",
                        lambda model, *args, **kw: calls.append(kw) or fit(model, *args, **kw))
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "10", "--batch-size", "2",
                     "--schedule", name, *options, "--save", "m.npz", "--no-progress"]) == 0
    assert f", the learning rate on {expected!r} on" in capsys.readouterr().out
    (given,) = calls
    assert given["schedule"] == expected
    saved = nncore.load("m.npz").schedule_
    assert saved.get_config() == expected.get_config() and saved.get_state()["epoch"] == 10


def test_without_a_schedule_fit_gets_none(folder, monkeypatch, capsys):
    calls = []
    fit = nncore.MLP.fit
    monkeypatch.setattr(nncore.MLP, "fit",
                        lambda model, *args, **kw: calls.append(kw) or fit(model, *args, **kw))
    assert cli.main(["train", "good.csv", "--target", "y", "--epochs", "2", "--no-progress"]) == 0
    assert "learning rate on" not in capsys.readouterr().out
    assert calls[0]["schedule"] is None


def test_an_unknown_schedule_is_refused(folder, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "good.csv", "--target", "y", "--schedule", "linear"])
    assert exit_info.value.code == 2
    assert "argument --schedule: invalid choice: 'linear'" in capsys.readouterr().err
