"""Saving never destroys the model it replaces: a process killed mid-save,
Ctrl-C, or a full disk leaves either the old file or the whole new one.

Each case runs in a child process that first saves model A, then saves
model B over it and is stopped in the middle of that second write.
"""
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nncore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and rlimits")

CHILD = textwrap.dedent("""
    import os, sys, time, signal, resource
    import numpy as np
    import nncore
    from nncore import _atomic

    path, case = sys.argv[1], sys.argv[2]
    old = nncore.MLP((20, 300, 5), random_state=1)
    old.save(path)
    new = nncore.MLP((20, 300, 5), random_state=2)

    if case in ("kill", "interrupt"):
        real_fsync = os.fsync
        def fsync_then_wait(descriptor):
            # The new file is written but not yet in place: be stopped here.
            real_fsync(descriptor)
            print("writing", flush=True)
            time.sleep(60)
        _atomic.os.fsync = fsync_then_wait
    elif case == "full disk":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death
        size = os.path.getsize(path)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))
    try:
        new.save(path)
    except OSError as exc:
        print("refused:", type(exc).__name__, flush=True)
        sys.exit(3)
    print("saved", flush=True)
""")


def run_child(path, case):
    # -I and another folder: the installed package, never a source checkout.
    return subprocess.Popen([sys.executable, "-I", "-c", CHILD, str(path), case],
                            cwd=path.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def assert_old_model_intact(path):
    loaded = nncore.load(path)
    np.testing.assert_array_equal(loaded.params_,
                                  nncore.MLP((20, 300, 5), random_state=1).params_, strict=True)


def leftovers(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.mark.parametrize("case, sent", [("kill", signal.SIGKILL), ("interrupt", signal.SIGINT)])
def test_a_save_stopped_mid_write_leaves_the_old_file(case, sent, tmp_path):
    path = tmp_path / "model.npz"
    child = run_child(path, case)
    try:
        line = child.stdout.readline()
        if line == "writing\n":
            child.send_signal(sent)
    finally:
        _, err = child.communicate(timeout=60)
    assert line == "writing\n", err
    assert child.returncode != 0
    assert_old_model_intact(path)
    if case == "interrupt":
        assert "KeyboardInterrupt" in err
        assert leftovers(tmp_path) == []  # removed on the way out
    else:
        # SIGKILL leaves no chance to clean up: a hidden temporary file
        # beside the model may stay, the model itself is whole.
        assert len(leftovers(tmp_path)) <= 1


def test_a_full_disk_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.npz"
    child = run_child(path, "full disk")
    out, err = child.communicate(timeout=120)
    assert child.returncode == 3, (out, err)
    assert out.startswith("refused: OSError")
    assert_old_model_intact(path)
    assert leftovers(tmp_path) == []


def test_a_completed_save_replaces_the_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.npz"
    nncore.MLP((2, 3, 1), random_state=1).save(path)
    os.chmod(path, 0o640)
    new = nncore.MLP((2, 3, 1), random_state=2)
    new.save(path)
    np.testing.assert_array_equal(nncore.load(path).params_, new.params_, strict=True)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert leftovers(tmp_path) == []


def test_saving_to_a_folder_is_an_os_error(tmp_path):
    with pytest.raises(IsADirectoryError):
        nncore.MLP((2, 3, 1)).save(tmp_path)
    assert leftovers(tmp_path) == []
