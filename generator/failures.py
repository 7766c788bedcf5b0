"""Unexpected failures turned into one line an officer can act on.

A full disk, a store another program holds, a file open in Word or a fault in the toolkit
itself must never show an officer a traceback. `explain_failure` says in one line what
happened and what to do; for a fault of the toolkit's own it keeps the traceback in a log
file (in the workspace's private folder when there is one) and names that file.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import sqlite3
import tempfile
import traceback
from pathlib import Path

from generator.fileio import PRIVATE_FOLDER, WORKSPACE_MARKER, private_folder

KEPT = "What was finished before this is kept"


def explain_failure(exc: BaseException, workspace: Path | None = None) -> str:
    """One line saying what went wrong and what to do; logs a fault of the toolkit's own."""
    if isinstance(exc, sqlite3.Error):
        return _store_failure(exc)
    if isinstance(exc, OSError):
        return _file_failure(exc)
    if isinstance(exc, MemoryError):
        return (f"the computer ran out of memory. {KEPT}; close other programs and run the "
                "command again")
    log = _log_traceback(exc, workspace)
    where = f"the details are in {log}" if log else "the details could not be saved"
    # The fault's own words name Python's workings, which mean nothing to an officer: they
    # go to the log with the traceback, for whoever supports the toolkit.
    return (f"an unexpected fault in the toolkit stopped the command. {KEPT}; {where}: "
            "please send that file to whoever supports the toolkit")


def _store_failure(exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return ("the store is busy: another partnerships command or another program is "
                f"writing to it and did not finish in time. {KEPT}; try again when it ends")
    if "disk" in text and "full" in text:
        return (f"the disk is full, so the store could not be written. {KEPT}; free some space "
                "and run the command again")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return ("the store (store.sqlite) is damaged and cannot be read. Nothing was changed; "
                "restore it from the council's backup of the workspace")
    if "readonly" in text or "read-only" in text:
        return ("the store (store.sqlite) cannot be written: it or its folder is read-only. "
                "Nothing was changed; ask IT for write access to the workspace folder")
    return f"the store could not be used ({_first_line(exc)}). {KEPT}; run the command again"


def _file_failure(exc: OSError) -> str:
    name = f" {exc.filename}" if exc.filename else ""
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"the disk is full, so{name or ' a file'} could not be written. {KEPT}; "
                "free some space and run the command again")
    if isinstance(exc, PermissionError):
        return (f"permission denied for{name or ' a file'}. {KEPT}; if the file is open in "
                "Word or Excel, close it, then run the command again")
    reason = exc.strerror or _first_line(exc)
    return f"could not read or write{name or ' a file'} ({reason}). {KEPT}; run it again"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no message"


def _log_folder(workspace: Path | None) -> Path:
    start = (workspace or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / WORKSPACE_MARKER).is_file():
            logs = private_folder(folder) / "logs"
            logs.mkdir(exist_ok=True)
            return logs
    logs = Path(tempfile.gettempdir()) / PRIVATE_FOLDER.lstrip(".")
    logs.mkdir(exist_ok=True)
    return logs


def _log_traceback(exc: BaseException, workspace: Path | None) -> Path | None:
    try:
        folder = _log_folder(workspace)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"error-{stamp}-{os.getpid()}.txt"
        text = "".join(traceback.format_exception(exc))
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None
