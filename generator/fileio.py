"""Writing files so that nothing is half-written or overwritten by accident.

A file is first written in full to a temporary file and only then given its name. Inside a
workspace the temporary file lives in the workspace's private folder (`.partnerships/tmp`,
on the same drive, so the final rename is atomic), never in a folder an officer looks at;
its name carries the writing process's id and a tag of its computer, so a later run can
remove what a run that died half-way left behind (`clean_scratch`) without touching what a
command on another computer sharing the workspace is writing now.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import socket
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

# The file that marks a workspace's folder, and the private folder inside it. Kept here (the
# lowest layer) so every writer can find the scratch folder from the path it writes to.
WORKSPACE_MARKER = "partnerships.toml"
PRIVATE_FOLDER = ".partnerships"
SCRATCH_FOLDER = "tmp"


def private_folder(root: Path) -> Path:
    """The workspace's private folder (created, and hidden on Windows)."""
    folder = root / PRIVATE_FOLDER
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        _hide_on_windows(folder)
    return folder


def _hide_on_windows(path: Path) -> None:
    # A dot is enough to hide a folder everywhere but Windows, which needs the attribute.
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        file_attribute_hidden = 0x2
        ctypes.windll.kernel32.SetFileAttributesW(str(path), file_attribute_hidden)


def scratch_folder_for(path: Path) -> Path | None:
    """The scratch folder of the workspace `path` lies in, or None outside any workspace."""
    for folder in path.parents:
        if (folder / WORKSPACE_MARKER).is_file():
            scratch = private_folder(folder) / SCRATCH_FOLDER
            scratch.mkdir(exist_ok=True)
            return scratch
    return None


def _temp_location(path: Path) -> tuple[Path, str]:
    """Where to write the temporary file for `path`, and its name prefix."""
    scratch = scratch_folder_for(path)
    if scratch is not None and _same_device(scratch, path.parent):
        return scratch, _scratch_prefix()
    # Outside a workspace (or on another drive): beside the file, hidden by its dot.
    return path.parent, f".{os.getpid()}-{path.name}."


@functools.cache
def _computer_tag() -> str:
    """Eight hex digits standing for this computer in the names of temporary files."""
    return hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:8]


def _scratch_prefix() -> str:
    return f"{os.getpid()}-{_computer_tag()}-"


def _same_device(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_dev == b.stat().st_dev
    except OSError:
        return False


def clean_scratch(root: Path, *, older_than: float = 24 * 3600) -> list[Path]:
    """Remove temporary files a run that ended early left in the workspace at `root`.

    A temporary file is removed when the process that wrote it is no longer running, or
    when it is older than `older_than` seconds (a process id may have been reused). One
    written on another computer (a workspace on a network drive) is removed only by age:
    that computer's processes cannot be seen from here.
    """
    scratch = root / PRIVATE_FOLDER / SCRATCH_FOLDER
    removed: list[Path] = []
    if not scratch.is_dir():
        return removed
    now = time.time()
    # Files a killed run was writing together go first: both or neither are kept.
    for journal in sorted(scratch.glob(f"*{_TOGETHER}")):
        if not _writer_alive(journal, now, older_than):
            removed.extend(_undo_half_written(journal))
    for tmp in scratch.iterdir():
        if not _writer_alive(tmp, now, older_than):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _writer_alive(path: Path, now: float, older_than: float) -> bool:
    pid_text, _, rest = path.name.partition("-")
    tag, tagged, _ = rest.partition("-")
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return True  # gone already: another run is cleaning it
    if age > older_than:
        return False
    if tagged and tag != _computer_tag():
        return True  # written on another computer
    return pid_text.isdigit() and pid_alive(int(pid_text))


_TOGETHER = ".together.json"


def _undo_half_written(journal: Path) -> list[Path]:
    """Remove what a killed `write_together` had named, unless it named every file."""
    import json

    removed: list[Path] = []
    try:
        paths = [Path(p) for p in json.loads(journal.read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError):
        paths = []
    if not all(p.exists() for p in paths):
        for path in paths:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    with contextlib.suppress(OSError):
        journal.unlink()
    return removed


def write_together(items: list[tuple[Path, bytes]]) -> None:
    """Write files that belong together (a paper and its annex): both or neither.

    Every path must be free. Each file is written in full first; then a note listing the
    paths is left in the workspace's scratch folder while they are given their names, so
    that if the run is killed in between, the next run removes the ones it named
    (`clean_scratch`). A path taken meanwhile raises FileExistsError and names nothing.
    """
    import json

    temps = [(path, _finished_temp_file(path, data)) for path, data in items]
    journal: Path | None = None
    named: list[Path] = []
    try:
        scratch = scratch_folder_for(items[0][0]) if items else None
        if scratch is not None:
            fd, name = tempfile.mkstemp(dir=scratch, prefix=_scratch_prefix(), suffix=_TOGETHER)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump([str(path) for path, _ in items], handle)
                handle.flush()
                os.fsync(handle.fileno())
            journal = Path(name)
        for path, tmp in temps:
            _link_or_claim(tmp, path)
            named.append(path)
    except BaseException:
        for path in named:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    finally:
        for _, tmp in temps:
            tmp.unlink(missing_ok=True)
        if journal is not None:
            journal.unlink(missing_ok=True)


def _link_or_claim(tmp: Path, target: Path) -> None:
    """Give the finished file `tmp` the name `target`; FileExistsError if it is taken."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        # A file system without hard links (some network shares): claim the name with
        # O_EXCL, then move the finished file over our own empty claim.
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        os.replace(tmp, target)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running on this computer."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        process_query_limited_information = 0x1000
        handle = ctypes.windll.kernel32.OpenProcess(process_query_limited_information, False, pid)
        if not handle:
            return False
        exit_code = ctypes.c_ulong()
        still_active = 259
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(exit_code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return exit_code.value == still_active
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, but belongs to another user
    return True


def _finished_temp_file(path: Path, data: bytes) -> Path:
    """`data` written and flushed to disk in a temporary file, ready to become `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder, prefix = _temp_location(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the permissions a plain write would.
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    tmp = _finished_temp_file(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_document(path: Path, data: bytes, *, program: str,
                  error: Callable[[str], Exception]) -> None:
    """Write a file people open in `program` (Word, Excel) atomically; when it cannot be
    written or replaced, most often because `program` has it open, raise `error` saying so."""
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise error(f"Cannot save {path}: {exc.strerror or exc}. If the file is open in "
                    f"{program}, close it and try again.") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


_WINDOWS_FORBIDDEN = set('<>:"/\\|?*')
_WINDOWS_RESERVED = (
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{c}" for c in "0123456789¹²³"}
    | {f"LPT{c}" for c in "0123456789¹²³"}
)


def safe_filename(name: str, *, default: str = "file", max_length: int = 100) -> str:
    """Make ``name`` safe to use as a file name on Windows (and everywhere else).

    Characters Windows forbids (``<>:"/\\|?*``) become ``-``; control and invisible
    formatting characters (such as right-to-left overrides) are removed; whitespace is
    collapsed; leading and trailing dots and spaces are removed; reserved device names
    (CON, PRN, AUX, NUL, COM1..., LPT1...) get a ``_`` appended; the result is cut to
    ``max_length`` characters, keeping the extension. An empty result becomes ``default``.
    """
    text = unicodedata.normalize("NFC", str(name))
    chars = []
    for ch in text:
        if ch in _WINDOWS_FORBIDDEN:
            chars.append("-")
        elif ch.isspace():
            chars.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            chars.append(ch)
    text = " ".join("".join(chars).split())
    text = re.sub(r"-{2,}", "-", text).strip(" .")
    stem, dot, ext = text.rpartition(".")
    if not dot or not stem or len(ext) > 10 or " " in ext:
        stem, ext = text, ""
    ext = "." + ext if ext else ""
    stem = stem.strip(" .") or default
    return fit_name(stem, ext, max_length, default)


# Words a name cut short should not end on ('... an existing partnership for').
_JOINING_WORDS = frozenset(("a", "an", "and", "by", "for", "in", "of", "on", "or", "the", "to"))


def cut_at_word(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the end of a word ('... 28 December' rather
    than '... 28 Decembe'), and not on a joining word such as 'for'; cut mid-word only when
    one word is longer than the limit."""
    if len(text) <= limit:
        return text
    words = text[:limit + 1].split(" ")[:-1]
    while len(words) > 1 and words[-1].casefold() in _JOINING_WORDS:
        words.pop()
    cut = " ".join(words).rstrip(" ,;:-.")
    return cut or text[:limit]


def fit_name(stem: str, ext: str, max_length: int, default: str, suffix: str = "") -> str:
    """Join stem, suffix and extension within ``max_length`` characters, Windows-safe."""
    room = max(1, max_length - len(ext) - len(suffix))
    stem = stem[:room].rstrip(" .") or default[:room]
    first, dot, rest = stem.partition(".")
    if first.strip().upper() in _WINDOWS_RESERVED:
        stem = (first.strip() + "_" + dot + rest)[:room]
    return stem + suffix + ext


def unused_path(path: Path) -> Path:
    """`path` itself when free, else the first free `name-2.ext`, `name-3.ext`, ..."""
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def write_new(path: Path, data: bytes) -> Path:
    """Write `data` to `path` or, if it exists, to a new numbered name; never overwrite.

    The data goes to a temporary file first and is then linked under its final name, which
    fails rather than replaces when the name is taken: no half-written file ever carries the
    final name, and a file that appeared meanwhile is never overwritten.
    """
    tmp = _finished_temp_file(path, data)
    try:
        while True:
            target = unused_path(path)
            try:
                _link_or_claim(tmp, target)
            except FileExistsError:
                continue
            return target
    finally:
        tmp.unlink(missing_ok=True)
