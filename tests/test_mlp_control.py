"""MLP.fit's hand-backs to Python: Ctrl-C mid-run and the progress bar."""
import io
import os
import signal
import sys
import threading

import numpy as np
import pytest

import nncore


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_ctrl_c_stops_a_long_fit_after_a_whole_step(rng):
    x = rng.standard_normal((256, 16))
    y = rng.standard_normal((256, 4))
    model = nncore.MLP((16, 64, 4), activation="tanh", random_state=0)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y, epochs=10**6, batch_size=8, learning_rate=1e-3)
    finally:
        timer.cancel()
    history = model.history_
    assert 0 < history.epochs < 10**6
    assert np.isfinite(history.loss).all()
    assert np.isfinite(model.params_).all()
    # The model is usable afterwards, and continues from where it stopped.
    model.fit(x, y, epochs=1, batch_size=8, learning_rate=1e-3, warm_start=True)


def test_progress_redraws_one_line_on_a_terminal(monkeypatch, rng):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    model = nncore.MLP((3, 4, 1), random_state=0)
    model.fit(rng.standard_normal((20, 3)), rng.standard_normal(20), epochs=7, progress=True)
    text = terminal.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert "\r" in text
    last = text.rstrip("\n").split("\r")[-1]
    assert last.startswith("epoch 7/7 [" + "=" * 30 + "]")
    assert f"loss {model.history_.loss[-1]:.6g}" in last


def test_progress_writes_only_the_final_line_elsewhere(monkeypatch, rng):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    model = nncore.MLP((3, 4, 1), random_state=0)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    model.fit(x, y, epochs=5, progress=True, validation_data=(x, y))
    lines = log.getvalue().splitlines()
    assert len(lines) == 1 and "\r" not in log.getvalue()
    assert lines[0].startswith("epoch 5/5") and "val_loss" in lines[0] and "val_score" in lines[0]


def test_no_progress_no_output(capsys, rng):
    model = nncore.MLP((3, 4, 1), random_state=0)
    model.fit(rng.standard_normal((20, 3)), rng.standard_normal(20), epochs=3)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
