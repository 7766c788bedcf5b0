"""LibreOffice as a form filler for the tests: one headless soffice for the whole session.

`LibreOfficeEditor.start` launches `soffice --headless` with a throwaway profile, listening on
a private pipe; `edit` opens a .docx in it, makes the edits (`type_into`, `delete_text`,
`pick_date`, `choose`, `tick`) through libreoffice_edit.py, run by a Python that has
LibreOffice's UNO bridge (started once beside LibreOffice, it takes one edit a line), and
saves the result as "MS Word 2007 XML". `save_as` opens and saves a document unchanged (or
exports it as a PDF), as `soffice --convert-to` does, without starting a LibreOffice for each
one. Every step has a time limit: an edit that hangs is stopped,
LibreOffice is restarted for the next test and the edit fails. `stop` ends the soffice this
module started, and only that one (its own process group).

Needs, besides LibreOffice 24.2 or later: a Python with `import uno` (Debian: python3-uno, for
/usr/bin/python3; PARTNERSHIPS_UNO_PYTHON names another one), and Writer's user-interface
files (Debian: libreoffice-uiconfig-writer), without which LibreOffice 25.2 aborts as soon as
the caret enters a content control with a title.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("libreoffice_edit.py")
START_SECONDS = 90
EDIT_SECONDS = 120
STOP_SECONDS = 20
WRITER_UI = Path("share/config/soffice.cfg/modules/swriter/ui/contentcontrolaliasbutton.ui")


class EditorUnavailable(Exception):
    """LibreOffice cannot be driven on this machine; says what is missing."""


class EditFailed(AssertionError):
    """An edit in LibreOffice failed, or took so long that LibreOffice was stopped."""

    def __init__(self, message: str, hung: bool = False) -> None:
        super().__init__(message)
        self.hung = hung


Edit = dict[str, Any]


def type_into(tag: str, text: str, index: int = 0) -> Edit:
    """Select what the box shows and type `text` over it."""
    return {"do": "type", "tag": tag, "text": text, "index": index}


def delete_text(tag: str, index: int = 0) -> Edit:
    """Select what the box shows and press Backspace."""
    return {"do": "delete", "tag": tag, "index": index}


def pick_date(tag: str, iso_date: str, index: int = 0) -> Edit:
    """Pick a date for a date box (as its calendar popup does)."""
    return {"do": "pick_date", "tag": tag, "date": iso_date, "index": index}


def choose(tag: str, item: str, index: int = 0) -> Edit:
    """Choose a dropdown item by the text it shows (as its list popup does)."""
    return {"do": "choose", "tag": tag, "item": item, "index": index}


def tick(tag: str, index: int = 0) -> Edit:
    """Press Space in a checkbox."""
    return {"do": "tick", "tag": tag, "index": index}


def uno_python() -> str | None:
    """A Python interpreter that can `import uno`, or None."""
    for candidate in (os.environ.get("PARTNERSHIPS_UNO_PYTHON"), "/usr/bin/python3",
                      "/usr/local/bin/python3"):
        if not candidate or not Path(candidate).exists():
            continue
        try:
            found = subprocess.run([candidate, "-c", "import uno"], capture_output=True,
                                   timeout=60, check=False)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if found.returncode == 0:
            return candidate
    return None


@dataclass
class LibreOfficeEditor:
    """A running headless LibreOffice that tests fill forms in."""

    soffice: Path
    python: str
    folder: Path
    pipe: str = field(default_factory=lambda: f"partnerships-{os.getpid()}-"
                                              f"{secrets.token_hex(4)}")
    process: subprocess.Popen[bytes] | None = None
    # libreoffice_edit.py serving edits, and the lines it answers with (b"" once it ended).
    driver: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    answers: queue.Queue[bytes] = field(default_factory=queue.Queue, repr=False)
    reader: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def start(cls, soffice: Path, folder: Path) -> LibreOfficeEditor:
        """Start LibreOffice with a fresh profile in `folder`; raise EditorUnavailable if it
        cannot be driven here."""
        program = soffice.resolve().parent
        if not (program.parent / WRITER_UI).exists():
            raise EditorUnavailable(
                f"LibreOffice's Writer interface files are missing ({program.parent / WRITER_UI}); "
                "install them (Debian: apt-get install libreoffice-uiconfig-writer)")
        python = uno_python()
        if python is None:
            raise EditorUnavailable(
                "no Python with LibreOffice's UNO bridge was found (Debian: apt-get install "
                "python3-uno, or set PARTNERSHIPS_UNO_PYTHON)")
        editor = cls(soffice, python, folder)
        editor._launch()
        atexit.register(editor.stop)
        return editor

    @property
    def connection(self) -> str:
        return f"pipe,name={self.pipe}"

    def _launch(self) -> None:
        profile = self.folder / "profile"
        log = (self.folder / "soffice.log").open("ab")
        # Its temporary files in the test's folder: ended by a signal, it leaves them behind
        # (a /tmp/lu*.tmp folder a run and worker). Its pipe stays in /tmp (`_remove_pipe`).
        scratch = self.folder / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        # Its own process group, so that stopping it also ends the soffice.bin it starts.
        self.process = subprocess.Popen(
            [str(self.soffice), f"-env:UserInstallation={profile.as_uri()}", "--headless",
             "--invisible", "--nologo", "--nodefault", "--norestore", "--nolockcheck",
             f"--accept={self.connection};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            env={**os.environ, "TMPDIR": str(scratch)})
        log.close()
        try:
            self._run(["--ping"], START_SECONDS)
        except EditFailed as exc:
            self.stop()
            raise EditorUnavailable(f"LibreOffice did not start: {exc}") from None

    def _run(self, arguments: list[str], timeout: float) -> str:
        command = [self.python, str(SCRIPT), "--connection", self.connection, *arguments]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise EditFailed(f"LibreOffice did not answer within {timeout:g} s",
                             hung=True) from None
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise EditFailed(detail[-1] if detail else f"exit code {done.returncode}")
        return done.stdout.decode("utf-8")

    def edit(self, source: Path, target: Path, edits: list[Edit]) -> list[dict[str, Any]]:
        """Open `source`, make `edits`, save as .docx to `target`; what each edited control
        shows."""
        if self.process is None or self.process.poll() is not None:
            self.restart()
        try:
            answer = self._ask({"source": str(source), "target": str(target), "edits": edits},
                               EDIT_SECONDS)
        except EditFailed as exc:
            # A hung or crashed LibreOffice must not take the next test with it.
            self._stop_driver(force=exc.hung)
            if exc.hung or self.process is None or self.process.poll() is not None:
                self.restart()
            raise
        if "error" in answer:
            if self.process is None or self.process.poll() is not None:
                self.restart()
            raise EditFailed(str(answer["error"]))
        return list(answer["report"])

    def _ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one edit to libreoffice_edit.py (started if it is not running) and wait for
        its answer."""
        driver = self._driver()
        assert driver.stdin is not None
        try:
            driver.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            driver.stdin.flush()
        except OSError:  # it ended before reading the edit
            raise EditFailed(self._driver_ended()) from None
        try:
            line = self.answers.get(timeout=timeout)
        except queue.Empty:
            raise EditFailed(f"LibreOffice did not answer within {timeout:g} s",
                             hung=True) from None
        if not line:
            raise EditFailed(self._driver_ended())
        return dict(json.loads(line))

    def _driver(self) -> subprocess.Popen[bytes]:
        if self.driver is None or self.driver.poll() is not None:
            self._stop_driver()
            log = (self.folder / "edit.log").open("ab")
            self.driver = subprocess.Popen(
                [self.python, str(SCRIPT), "--connection", self.connection, "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
            log.close()
            self.answers = queue.Queue()
            self.reader = threading.Thread(target=_read_lines,
                                           args=(self.driver.stdout, self.answers), daemon=True)
            self.reader.start()
        return self.driver

    def _driver_ended(self) -> str:
        try:
            said = (self.folder / "edit.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            said = ""
        lines = said.strip().splitlines()
        return f"the editing script ended: {lines[-1] if lines else 'it said nothing'}"

    def _stop_driver(self, force: bool = False) -> None:
        """End libreoffice_edit.py: it ends when its input does; `force` (it hangs) kills it."""
        driver, self.driver = self.driver, None
        if driver is None:
            return
        if force:
            driver.kill()
        if driver.stdin is not None:
            with contextlib.suppress(OSError):
                driver.stdin.close()
        try:
            driver.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
        if self.reader is not None:
            self.reader.join(timeout=STOP_SECONDS)  # it closes the output as it ends

    def save_as(self, source: Path, target: Path) -> Path:
        """Open `source` and save it unchanged as `target`: a .docx as LibreOffice writes one,
        or a PDF when `target` ends in .pdf. The same as `soffice --convert-to` (the document
        is opened hidden, as it opens one), in the LibreOffice already running (starting one
        for each conversion took about 1.5 s)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self.edit(source, target, [])
        return target

    def restart(self) -> None:
        self.stop()
        self._launch()

    def stop(self) -> None:
        """End the LibreOffice this editor started (politely, then by force)."""
        self._stop_driver()
        process, self.process = self.process, None
        if process is None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            if _wait_until_gone(process, STOP_SECONDS):
                break
        process.poll()
        self._remove_pipe()

    def _remove_pipe(self) -> None:
        """Remove the socket LibreOffice listened on, which it leaves behind when it is ended
        by a signal (/tmp/OSL_PIPE_<uid>_<name>, one for each test worker, every run)."""
        for folder in {Path("/tmp"), Path(tempfile.gettempdir())}:
            for socket_file in folder.glob(f"OSL_PIPE_*_{self.pipe}"):
                socket_file.unlink(missing_ok=True)


def _read_lines(stream: Any, into: queue.Queue[bytes]) -> None:
    """Put each line `stream` gives into `into`, then b"" when it ends, and close it."""
    with stream:
        for line in iter(stream.readline, b""):
            into.put(line)
    into.put(b"")


def _wait_until_gone(process: subprocess.Popen[bytes], seconds: float) -> bool:
    """Whether every process of `process`'s group has ended within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        process.poll()  # reaps the group leader, which otherwise lingers as a zombie
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
