"""Fictional registers and workspaces of any size, made from the bundled example register."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from generator.framework import load_framework
from generator.register import example_rows, write_register
from generator.workspace import Workspace, init_workspace, open_workspace

# A fixed day, so every run issues the same forms for the same cycle (2026/27).
TODAY = dt.date(2026, 11, 25)
FORM = "review"
BM_PARTNERSHIPS = 5  # partnerships each Business Manager looks after


def register_rows(count: int) -> list[dict[str, Any]]:
    """`count` in-scope partnerships in the Deliver phase, each with its own ID and name.

    The rows cycle through the example register's in-scope partnerships, so the forms hold
    realistic text of realistic length. Each Business Manager looks after five partnerships
    (the example register has four managers for all ten), so that an email carries five
    forms at every size, as `send` is measured for its memory per email.
    """
    framework = load_framework()
    in_scope = [row for row in example_rows()
                if (scope := framework.scope_by_label(row["type"])) and scope.in_scope]
    rows = []
    for index in range(count):
        row = dict(in_scope[index % len(in_scope)])
        number = index + 1
        row["id"] = f"B{number:05d}"
        row["name"] = f"{row['name']} {number}"
        row["phase"] = "Deliver"
        manager = index // BM_PARTNERSHIPS + 1
        row["bm_name"] = f"{row['bm_name']} {manager}"
        row["bm_email"] = f"manager{manager}@example.org"
        rows.append(row)
    return rows


def build_workspace(folder: Path, count: int) -> Workspace:
    """A new workspace whose register holds `count` partnerships (see `register_rows`)."""
    ws = init_workspace(folder, today=TODAY)
    write_register(ws.path("register"), register_rows(count))
    return ws


def copy_workspace(source: Workspace, folder: Path) -> Workspace:
    """A copy of a workspace in `folder` (which must not exist yet)."""
    shutil.copytree(source.root, folder)
    return open_workspace(folder)
