"""A folder the toolkit takes for a council's SMB share, for tests on a computer without one.

On Linux the toolkit learns where a folder is from /proc/self/mountinfo. `pretend_share` adds
one line to what it reads there, saying the folder is a CIFS mount of //fileserver/partnerships;
everything after that (finding the share, choosing the store's journal, the lock) is the
toolkit's own code. Run as a script, it runs the `partnerships` command that way:

    python tests/shares.py FOLDER [partnerships arguments...]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

SHARE_SOURCE = "//fileserver/partnerships"


def share_line(folder: Path) -> str:
    """A mountinfo line mounting `folder` from the council's file server over SMB."""
    point = str(folder).replace("\\", "\\134").replace(" ", "\\040")
    return f"9999 1 0:999 / {point} rw,relatime shared:999 - cifs {SHARE_SOURCE} rw,vers=3.1.1\n"


def pretend_share(folder: Path, patch: Any = None) -> None:
    """From now on this process sees `folder` as an SMB share (`patch`: pytest's monkeypatch,
    so the test undoes it)."""
    from generator import drives

    real = drives._read_mountinfo

    def with_share() -> str:
        return real() + share_line(folder)

    if patch is not None:
        patch.setattr(drives, "_read_mountinfo", with_share)
    else:
        drives._read_mountinfo = with_share


if __name__ == "__main__":
    pretend_share(Path(sys.argv.pop(1)))
    from generator.cli import main

    main(prog_name="partnerships")
