"""Creating and finding a workspace."""

from __future__ import annotations

import datetime as dt

import pytest

from generator.errors import WorkspaceError
from generator.workspace import (
    CONFIG_NAME,
    current_cycle,
    current_period,
    find_workspace,
    init_workspace,
)


def test_init_creates_config_register_folders_and_editable_copies(tmp_path):
    ws = init_workspace(tmp_path / "ws", today=dt.date(2026, 11, 25))

    assert ws.cycle == "2026/27"
    assert str(ws.period) == "Q3 2026/27"
    assert ws.council == "Mole Valley District Council"
    assert ws.setting("committees", "scrutiny") == "Scrutiny Committee"
    for key in ("register", "issued", "returns", "reports", "framework", "templates"):
        assert ws.path(key).exists(), key
    assert (ws.path("templates") / "explore.docx").exists()
    assert (ws.path("forms") / "review.toml").exists()


def test_init_refuses_an_existing_workspace_and_changes_nothing(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    before = ws.config_path.read_bytes()

    with pytest.raises(WorkspaceError, match="already a workspace"):
        init_workspace(tmp_path / "ws")

    assert ws.config_path.read_bytes() == before


def test_init_refuses_a_folder_with_files_in_it(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(WorkspaceError, match="is not empty"):
        init_workspace(tmp_path)

    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / CONFIG_NAME).exists()


def test_a_workspace_is_found_from_a_folder_inside_it(tmp_path):
    ws = init_workspace(tmp_path / "ws")

    found = find_workspace(ws.path("returns"))

    assert found.root == ws.root


def test_no_workspace_above_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace found"):
        find_workspace(tmp_path)


@pytest.mark.parametrize(("day", "cycle", "period"), [
    (dt.date(2026, 3, 31), "2025/26", "Q4 2025/26"),
    (dt.date(2026, 4, 1), "2026/27", "Q1 2026/27"),
    (dt.date(2026, 12, 31), "2026/27", "Q3 2026/27"),
    (dt.date(2099, 12, 31), "2099/00", "Q3 2099/00"),
])
def test_cycle_runs_april_to_march_and_period_is_its_quarter(day, cycle, period):
    assert current_cycle(day) == cycle
    assert str(current_period(day)) == period
