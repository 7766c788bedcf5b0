"""Shared fixtures: a fresh workspace from the example register, and forms issued from it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from generator.forms import IssuedForm, issue_forms
from generator.framework import Framework, load_framework
from generator.workspace import Workspace, init_workspace

from smtp_support import only_loopback

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test, whatever the code under test does, reaches anything but this machine."""
    only_loopback(monkeypatch)


@pytest.fixture
def framework() -> Framework:
    return load_framework()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", today=TODAY)


@pytest.fixture
def explore_forms(workspace: Workspace) -> list[IssuedForm]:
    return issue_forms(workspace, "explore", today=TODAY).written


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """LibreOffice tests skip where it is missing, unless CI says it must be there."""
    from generator.libreoffice import find_soffice

    if find_soffice() is not None:
        return
    if os.environ.get("PARTNERSHIPS_REQUIRE_LIBREOFFICE"):
        return  # let them run and fail loudly
    skip = pytest.mark.skip(reason="LibreOffice is not installed")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)
