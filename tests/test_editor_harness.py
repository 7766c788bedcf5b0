"""The LibreOffice harness cleans up after itself and cannot hang the test run.

These stand in for LibreOffice with ordinary processes, so they run everywhere: stopping the
editor ends its whole process group (soffice starts soffice.bin under it), and an edit that
never answers is stopped at its time limit, with LibreOffice restarted for the next test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from editors import libreoffice
from editors.libreoffice import EditFailed, LibreOfficeEditor, type_into

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# LibreOffice's soffice is a launcher that starts soffice.bin and waits for it; so does this
# stand-in, which on SIGTERM waits for its child to end before it ends. (A child left to the
# computer's first process, as `sh -c "sleep 300 & sleep 300"` leaves one, stays in the group
# as a zombie until that process reaps it: 1.8 s on the test machine.)
LAUNCHER = """
import os, signal, subprocess
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
child = subprocess.Popen(["sleep", "300"])
if stopping:  # told to stop before the child was there to be told too
    child.terminate()
print("started", flush=True)
os.waitpid(child.pid, 0)
"""


@pytest.fixture
def editor(tmp_path: Path) -> Iterator[LibreOfficeEditor]:
    """An editor whose 'LibreOffice' is a launcher with a child, in a process group of its
    own."""
    stand_in = LibreOfficeEditor(Path("soffice"), sys.executable, tmp_path)
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER],
                                stdout=subprocess.PIPE, start_new_session=True)
    assert launcher.stdout is not None
    assert launcher.stdout.readline() == b"started\n"  # its child is running
    stand_in.process = launcher
    yield stand_in
    stand_in.stop()
    launcher.stdout.close()


def test_stopping_the_editor_ends_every_process_it_started(editor: LibreOfficeEditor) -> None:
    assert editor.process is not None
    group = editor.process.pid

    editor.stop()

    assert not group_alive(group)
    assert editor.process is None


def test_edit_that_never_answers_fails_and_restarts_libreoffice(
        editor: LibreOfficeEditor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hanging = tmp_path / "hanging_edit.py"
    hanging.write_text("import time\ntime.sleep(300)\n", encoding="utf-8")
    monkeypatch.setattr(libreoffice, "SCRIPT", hanging)
    monkeypatch.setattr(libreoffice, "EDIT_SECONDS", 0.3)  # the edit sleeps 300 s
    restarts: list[bool] = []
    monkeypatch.setattr(editor, "restart", lambda: restarts.append(True))

    with pytest.raises(EditFailed) as failure:
        editor.edit(tmp_path / "form.docx", tmp_path / "out.docx", [type_into("x", "y")])

    assert failure.value.hung
    assert restarts == [True]
