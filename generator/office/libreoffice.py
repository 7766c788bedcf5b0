"""Optional LibreOffice headless conversion (a paper to PDF, for `--pdf`).

This is the only external program the toolkit runs, and only when asked to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from generator.errors import LibreOfficeMissing, ToolkitError

CANDIDATES = ("soffice", "libreoffice")
WINDOWS_PATHS = (Path("C:/Program Files/LibreOffice/program/soffice.exe"),
                 Path("C:/Program Files (x86)/LibreOffice/program/soffice.exe"))


def find_soffice() -> Path | None:
    """The LibreOffice program, or None when it is not installed."""
    override = os.environ.get("PARTNERSHIPS_SOFFICE")
    if override and Path(override).exists():
        return Path(override)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    return next((p for p in WINDOWS_PATHS if p.exists()), None)


def convert(source: Path, target_format: str, out_dir: Path, *, timeout: float = 180) -> Path:
    """Convert `source` with LibreOffice headless into `out_dir`; return the new file's path.

    `target_format` is what LibreOffice's --convert-to takes, e.g. "pdf" or "docx:MS Word 2007
    XML". A private profile folder is used so a LibreOffice the officer has open is untouched.
    """
    soffice = find_soffice()
    if soffice is None:
        raise LibreOfficeMissing(
            "LibreOffice is not installed, so no PDF was made; install LibreOffice (24.2 or "
            "later) or save the Word document as PDF from Word"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="partnerships-lo-") as profile:
        command = [str(soffice), f"-env:UserInstallation={Path(profile).as_uri()}",
                   "--headless", "--norestore", "--convert-to", target_format,
                   "--outdir", str(out_dir), str(source)]
        try:
            completed = subprocess.run(command, capture_output=True, timeout=timeout,
                                       check=False)
        except subprocess.TimeoutExpired:
            raise ToolkitError(f"LibreOffice took longer than {timeout:.0f} s converting "
                               f"{source.name}; try again, or convert it in Word") from None
    extension = target_format.split(":", 1)[0]
    result = out_dir / f"{source.stem}.{extension}"
    if completed.returncode != 0 or not result.exists():
        detail = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip()
        raise ToolkitError(f"LibreOffice could not convert {source.name}: "
                           f"{detail or 'no output was written'}")
    return result

