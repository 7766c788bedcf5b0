"""The README documents every command and keeps its two quick-start commands."""

from __future__ import annotations

from pathlib import Path

import click

from generator.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
CI = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
TEST_COMMAND = 'pip install -e ".[test]" && python -m pytest'


def command_names(group: click.Group = main, prefix: str = "") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names.extend(command_names(command, f"{prefix}{name} "))
        else:
            names.append(f"{prefix}{name}")
    return names


def test_every_command_is_in_the_readme_table():
    missing = [name for name in command_names() if f"| `{name}` |" not in README]

    assert missing == []


def test_the_quick_start_has_the_demo_and_test_commands():
    assert "pip install . && partnerships demo output/demo" in README
    assert TEST_COMMAND in README


def test_ci_runs_exactly_the_readme_test_command():
    assert TEST_COMMAND in CI.splitlines()
