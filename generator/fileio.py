"""Writing files so that nothing is half-written or overwritten by accident."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path


def _finished_temp_file(path: Path, data: bytes) -> Path:
    """`data` written and flushed to disk in a temporary file beside `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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
                os.link(tmp, target)
            except FileExistsError:
                continue
            except OSError:
                # A file system without hard links (some network shares): claim the name
                # with O_EXCL, then move the finished file over our own empty claim.
                try:
                    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
                except FileExistsError:
                    continue
                os.replace(tmp, target)
            return target
    finally:
        tmp.unlink(missing_ok=True)
