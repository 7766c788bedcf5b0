"""Writing files so that nothing is half-written or overwritten by accident."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` via a temporary file in the same folder and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the permissions a plain write would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def safe_filename(text: str, max_length: int = 80) -> str:
    """A file name Windows accepts: no reserved characters or names, no trailing dot or space."""
    name = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', "-", text)
    name = re.sub(r"\s+", " ", name).strip(" .-")[:max_length].strip(" .-")
    if not name or name.split(".")[0].upper() in _RESERVED:
        name = f"file-{name}" if name else "file"
    return name


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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
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
        Path(tmp).unlink(missing_ok=True)
