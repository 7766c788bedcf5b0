"""The house keeps its shape: layers respected, no circles, the library free of click.

The contracts are in pyproject.toml ([tool.importlinter]); docs/design.md draws them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_import_contracts_of_pyproject_are_kept():
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                               "lint_imports_command()"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_only_the_command_line_imports_click():
    importers = [path.relative_to(REPO).as_posix()
                 for path in (REPO / "generator").rglob("*.py")
                 if path.name != "cli.py" and any(
                     line.strip().startswith(("import click", "from click"))
                     for line in path.read_text(encoding="utf-8").splitlines())]

    assert importers == []
