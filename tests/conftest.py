"""Shared fixtures; and a guard that the tests run on the installed package."""
import pathlib

import numpy as np
import pytest

import nncore

# The engine's template is in a source checkout but never in an installed
# package (wheel or sdist install): its presence means the tests would run
# against the uncompiled sources, not what users get.
PACKAGE = pathlib.Path(nncore.__file__).resolve().parent
if (PACKAGE / "_engine.pyx.tp").exists():
    raise RuntimeError(
        f"nncore was imported from the source folder {PACKAGE}, not the installed "
        "package; install it (pip install .) and run pytest from outside the source root"
    )

DTYPES = [np.float64, np.float32]



@pytest.fixture(params=DTYPES, ids=["float64", "float32"])
def dtype(request):
    return np.dtype(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def xor_data():
    """The tutorial's XOR set: three inputs (the third is a constant 1), one target."""
    x = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    y = np.array([[0], [1], [1], [0]])
    return x, y


def _five_point_gradient(params, loss, step=1e-5):
    """d loss() / d params by five-point central differences, moving each
    entry of ``params`` (a live view of the model's parameters) in turn."""
    gradient = np.empty_like(params)
    for i in range(params.size):
        original = params[i]
        values = []
        for offset in (2, 1, -1, -2):
            params[i] = original + offset * step
            values.append(loss())
        params[i] = original
        f2, f1, b1, b2 = values
        gradient[i] = (-f2 + 8 * f1 - 8 * b1 + b2) / (12 * step)
    return gradient


@pytest.fixture
def five_point_gradient():
    return _five_point_gradient


@pytest.fixture
def fit_calls(monkeypatch):
    """The keyword arguments of every MLP.fit call from here on, which still trains."""
    calls = []
    fit = nncore.MLP.fit

    def recording_fit(model, *args, **options):
        calls.append(options)
        return fit(model, *args, **options)

    monkeypatch.setattr(nncore.MLP, "fit", recording_fit)
    return calls
