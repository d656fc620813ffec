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
