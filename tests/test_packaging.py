"""The installed package: its version, and the error a checkout without the
compiled extensions gives on import."""
import importlib.metadata
import pathlib
import shutil
import subprocess
import sys

import nncore

IMPORT_FROM = """
import sys
sys.path.insert(0, sys.argv[1])
try:
    import nncore
except ImportError as error:
    print(type(error).__name__, type(error.__cause__).__name__, error.__cause__.name)
    print(error)
else:
    print("imported", nncore.__file__)
"""


def test_version_is_the_installed_metadata_version():
    assert nncore.__version__ == importlib.metadata.version("nncore-cython")


def test_unbuilt_source_tree_says_how_to_build(tmp_path):
    # A copy of the installed package less its compiled modules stands for a
    # fresh checkout: the same Python files, no extensions.
    installed = pathlib.Path(nncore.__file__).parent
    shutil.copytree(installed, tmp_path / "nncore",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    assert not list((tmp_path / "nncore").glob("_kernels*.so"))
    result = subprocess.run([sys.executable, "-I", "-c", IMPORT_FROM, str(tmp_path)],
                            capture_output=True, text=True, check=True)
    kinds, message = result.stdout.splitlines()
    assert kinds == "ImportError ModuleNotFoundError nncore._kernels"
    assert message.startswith("nncore's compiled extensions are not built")
    assert str(tmp_path / "nncore") in message
    assert "pip install ." in message
    assert "build_ext --inplace" in message
