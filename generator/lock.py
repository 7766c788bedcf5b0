"""The workspace writer lock: one command at a time changes a workspace.

Commands that write the store or the workspace's files (issuing forms, collecting returns,
sending, chasing) hold this lock while they run; commands that only read (status, history,
read) never take it and never wait. The lock is a small file in the workspace's private
folder, created with O_EXCL so only one command can hold it, that says who holds it: the
user, the computer, the command, its process and since when. A second command waits a few
seconds and then says, in one line, who is working in the workspace.

A command killed before it could remove its lock leaves the file behind. The next command
takes such a lock over, with a note, when its holder's process is gone (same computer) or it
is older than the stale limit (another computer, whose processes cannot be seen from here).
`clear_lock` removes one at an officer's request (`partnerships unlock`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from generator.council_year import long_time
from generator.errors import WorkspaceBusy
from generator.fileio import PRIVATE_FOLDER, pid_alive, private_folder

LOCK_NAME = "writer.lock"
DEFAULT_WAIT_SECONDS = 5.0
DEFAULT_STALE_SECONDS = 12 * 3600
_POLL_SECONDS = 0.1
# A takeover is a few file operations; a takeover file older than this was left by a crash.
_TAKEOVER_STALE_SECONDS = 10.0


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as written in the lock file."""

    user: str
    computer: str
    command: str
    pid: int
    since: str  # ISO 8601, UTC
    token: str

    def on_this_computer(self) -> bool:
        return self.computer == _this_computer()

    def running_here(self) -> bool:
        """Whether the holder is a process still running on this computer."""
        return self.on_this_computer() and pid_alive(self.pid)

    def describe(self) -> str:
        """'jane on PC-123 has been running "partnerships collect" since 30 November 2026,
        13:05'."""
        return (f"{self.user} on {self.computer} has been running 'partnerships "
                f"{self.command}' in this workspace since {_when(self.since)}")


def _when(iso: str) -> str:
    try:
        return long_time(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")))
    except ValueError:
        return iso


def _this_computer() -> str:
    return socket.gethostname() or "this computer"


def _this_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):  # no user name in the environment
        return "someone"


# Held locks of this process, by lock file, with how many times each is held: a command
# that calls another library function taking the same lock must not wait for itself.
_held: dict[Path, tuple[Holder, int]] = {}
_held_guard = threading.Lock()


def _read(path: Path) -> Holder | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(**{k: data[k] for k in Holder.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _stale(path: Path, holder: Holder | None, stale_seconds: float) -> str | None:
    """Why the lock at `path` is stale, or None while its holder may still be working."""
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    if holder is None:
        # Unreadable: being written this instant, or left half-written by a crash.
        return "its lock file is damaged" if age > 2.0 else None
    if holder.computer == _this_computer() and not pid_alive(holder.pid):
        return f"'partnerships {holder.command}' by {holder.user} ended without finishing"
    if age > stale_seconds:
        return (f"the lock taken by {holder.user} on {holder.computer} for 'partnerships "
                f"{holder.command}' is older than {stale_seconds / 3600:g} hours")
    return None


def _take_over(path: Path, holder: Holder | None) -> bool:
    """Remove a stale lock, unless another command replaced it meanwhile."""
    guard = path.with_name(path.name + ".takeover")
    try:
        fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        with contextlib.suppress(OSError):
            if time.time() - guard.stat().st_mtime > _TAKEOVER_STALE_SECONDS:
                guard.unlink()
        return False
    try:
        os.close(fd)
        current = _read(path)
        if (current is None and holder is None) or (
                current is not None and holder is not None and current.token == holder.token):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return True
        return False
    finally:
        with contextlib.suppress(OSError):
            guard.unlink()


def _try_create(path: Path, holder: Holder) -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(holder), handle)
        handle.flush()
        os.fsync(handle.fileno())
    return True


@contextlib.contextmanager
def writer_lock(root: Path, command: str, *, wait: float = DEFAULT_WAIT_SECONDS,
                stale_after: float = DEFAULT_STALE_SECONDS,
                note: Callable[[str], None] | None = None) -> Iterator[Holder]:
    """Hold the writer lock of the workspace at `root` while the block runs.

    Waits up to `wait` seconds for another command to finish, then raises WorkspaceBusy
    naming who holds the lock. A stale lock is taken over and `note` is told why.
    """
    path = private_folder(root) / LOCK_NAME
    key = path.resolve()
    with _held_guard:
        if key in _held:
            holder, count = _held[key]
            _held[key] = (holder, count + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield holder
        finally:
            _release(key, path)
        return
    holder = Holder(_this_user(), _this_computer(), command, os.getpid(),
                    dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    secrets.token_hex(8))
    deadline = time.monotonic() + wait
    while not _try_create(path, holder):
        current = _read(path)
        reason = _stale(path, current, stale_after)
        if reason is not None:
            if _take_over(path, current) and note is not None:
                note(f"{reason}; its lock on the workspace was cleared")
            continue
        if time.monotonic() >= deadline:
            who = current.describe() if current else "another command is writing to it"
            raise WorkspaceBusy(f"the workspace is in use: {who}. Nothing was changed; try "
                                "again when it ends")
        time.sleep(_POLL_SECONDS)
    with _held_guard:
        _held[key] = (holder, 1)
    try:
        yield holder
    finally:
        _release(key, path)


def _release(key: Path, path: Path) -> None:
    with _held_guard:
        holder, count = _held[key]
        if count > 1:
            _held[key] = (holder, count - 1)
            return
        del _held[key]
    current = _read(path)
    if current is not None and current.token == holder.token:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def lock_file(root: Path) -> Path:
    """The writer lock's file in the workspace at `root` (which may not exist)."""
    return root / PRIVATE_FOLDER / LOCK_NAME


def current_holder(root: Path) -> Holder | None:
    """Who holds the workspace's writer lock now, or None (no lock, or one unreadable)."""
    return _read(lock_file(root))


def clear_lock(root: Path, holder: Holder | None) -> bool:
    """Remove the workspace's lock if it is still the one `holder` names (None: a lock file
    that cannot be read); False when there is none, or another command holds it now."""
    path = lock_file(root)
    return path.exists() and _take_over(path, holder)
