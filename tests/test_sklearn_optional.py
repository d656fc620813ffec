"""scikit-learn is optional: nncore imports without it, and the estimators
are then absent (AttributeError) with a message that says what to install."""
import subprocess
import sys

SCRIPT = """
import sys
sys.modules["sklearn"] = None  # as if it were not installed
import nncore
nncore.MLP([2, 3, 1])  # the rest of nncore works
assert "MLPClassifier" in dir(nncore)
# Absent, as hasattr and getattr with a default see it: an AttributeError.
assert not hasattr(nncore, "MLPClassifier") and not hasattr(nncore, "MLPRegressor")
assert getattr(nncore, "MLPRegressor", None) is None
try:
    nncore.MLPClassifier
except AttributeError as error:
    print(error)
else:
    raise SystemExit("no AttributeError")
# The module itself still refuses to import, with the same hint.
try:
    from nncore.sklearn import MLPRegressor
except ImportError as error:
    print(error)
else:
    raise SystemExit("no ImportError")
"""


def run(script, folder):
    # From an empty folder, so that a source checkout is not imported instead.
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=folder)


def test_estimators_without_scikit_learn_are_absent_and_name_the_extra(tmp_path):
    result = run(SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    attribute_error, import_error = result.stdout.splitlines()
    assert attribute_error.startswith("module 'nncore' has no attribute 'MLPClassifier'")
    for message in (attribute_error, import_error):
        assert 'pip install "nncore-cython[sklearn]"' in message


def test_importing_nncore_does_not_import_scikit_learn(tmp_path):
    result = run("import sys, nncore; nncore.MLP([2, 1]); print('sklearn' in sys.modules)", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_unknown_attribute_is_an_attribute_error():
    import nncore
    try:
        nncore.NoSuchThing
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:
        raise AssertionError("no AttributeError")
