"""scikit-learn's own MLP tests, run against nncore's estimators.

The installed scikit-learn's ``sklearn/neural_network/tests/test_mlp.py`` is
copied to a scratch folder with its import of ``MLPClassifier`` and
``MLPRegressor`` changed to nncore's, given the one fixture it needs from
scikit-learn's conftest (``global_random_seed``), and run by pytest in a
subprocess, with scikit-learn's warnings-as-errors settings. Every test must
pass but the few excused below.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

sklearn = pytest.importorskip("sklearn")

MODULE = "test_mlp.py"
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor\n"
NNCORE_IMPORT = "from nncore import MLPClassifier, MLPRegressor\n"

# Deselected, each with its reason. Only tests of scikit-learn's private
# methods may be excused; none is.
EXCUSED: list[str] = []

# The tests in the scikit-learn versions checked so far, deselected ones included.
COLLECTED = {"1.9.1": 59}

# scikit-learn's own settings when it runs its tests: its global_random_seed
# fixture's default, and its CI's warnings-as-errors filters.
CONFTEST = '''\
import pytest


@pytest.fixture
def global_random_seed():
    return 42
'''

# The one skip allowed, where pandas is missing (it is in the test extra).
PANDAS_MISSING = re.compile(r"could not import 'pandas'")


def _warning_filters():
    try:
        from sklearn.utils._testing import get_pytest_filterwarning_lines
    except ImportError:  # private; its core, for older or newer releases
        return ["error::DeprecationWarning", "error::FutureWarning",
                "error::numpy.exceptions.VisibleDeprecationWarning"]
    return get_pytest_filterwarning_lines()


def _test_module():
    spec = importlib.util.find_spec("sklearn")
    path = pathlib.Path(spec.origin).parent / "neural_network" / "tests" / MODULE
    if not path.is_file():
        pytest.skip(f"scikit-learn {sklearn.__version__} is installed without its tests ({path})")
    return path


def _outcomes(report):
    """{test name: outcome} from pytest's JUnit XML report."""
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = child.tag
                if child.tag == "skipped":
                    outcome += ": " + (child.get("message") or "")
                break
        outcomes[case.get("name")] = outcome
    return outcomes


def test_scikit_learns_mlp_tests_pass(tmp_path):
    source = _test_module().read_text(encoding="utf-8")
    assert source.count(IMPORT) == 1, f"{MODULE} no longer imports the estimators as expected"
    (tmp_path / MODULE).write_text(source.replace(IMPORT, NNCORE_IMPORT), encoding="utf-8")
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    # A pytest.ini of its own: the folder is the root, none of ours applies.
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings =\n" + "".join(f"    {line}\n" for line in _warning_filters()),
        encoding="utf-8")
    report = tmp_path / "report.xml"
    command = [sys.executable, "-I", "-m", "pytest", MODULE, "-q", "-rfEs",
               "-p", "no:cacheprovider", f"--junitxml={report}"]
    command += [f"--deselect={MODULE}::{name}" for name in EXCUSED]
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    # One BLAS thread, as scikit-learn limits its test runs to the physical
    # cores: the results do not depend on it, and on a busy machine idle
    # BLAS threads that spin slow these small fits down several times.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=900)
    output = run.stdout[-6000:] + run.stderr[-3000:]
    # Exit status 0 only: 5 (nothing collected) is a failure too.
    assert run.returncode == 0, output

    outcomes = _outcomes(report)
    summary = run.stdout.strip().splitlines()[-1]
    deselected = re.search(r"(\d+) deselected", summary)
    assert (int(deselected.group(1)) if deselected else 0) == len(EXCUSED), (
        f"every excused test exists, and only those are deselected: {summary}")
    if sklearn.__version__ in COLLECTED:  # none lost on the way
        assert len(outcomes) + len(EXCUSED) == COLLECTED[sklearn.__version__], output
    others = {name: outcome for name, outcome in outcomes.items() if outcome != "passed"}
    if importlib.util.find_spec("pandas") is not None:
        assert not others, others
    assert all(PANDAS_MISSING.search(outcome) for outcome in others.values()), others
    collected = COLLECTED.get(sklearn.__version__, len(outcomes) + len(EXCUSED))
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) == collected - len(EXCUSED) - len(others), output
