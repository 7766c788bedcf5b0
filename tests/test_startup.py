"""Short commands start quickly: they import no document or plotting library they do not use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from generator.workspace import Workspace

HEAVY = ("docxtpl", "docx", "openpyxl", "matplotlib", "lxml")

# Runs a command in a fresh interpreter and prints which heavy libraries it imported.
PROBE = """
import json, sys
from generator.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps([name for name in {heavy!r} if name in sys.modules]), file=sys.stderr)
"""


def _imported(workspace: Workspace, *args: str, of: tuple[str, ...] = HEAVY) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=of), "--workspace", str(workspace.root),
         *args], capture_output=True, text=True, timeout=60, check=False)
    return list(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize("command", [["--help"], ["status"], ["status", "--json"],
                                     ["history", "{partnership}"]])
def test_short_commands_import_no_document_library(workspace, explore_forms,
                                                    command: list[str]) -> None:
    # The history of a partnership forms were issued to: one the store does not know sends
    # history to the register, to say whether the ID exists at all.
    partnership = explore_forms[0].partnership_id
    args = [arg.format(partnership=partnership) for arg in command]

    assert _imported(workspace, *args) == []


def test_writing_drafts_imports_no_word_or_plotting_library(workspace, explore_forms) -> None:
    # `send` attaches the forms as they are: python-docx is needed only to comment a rejected
    # return sent back with `chase`.
    imported = _imported(workspace, "send", "explore")

    assert list(workspace.path("outbox").glob("*.eml"))
    assert [name for name in imported if name in ("docxtpl", "docx", "matplotlib")] == []


def test_issuing_forms_reads_the_register_without_numpy(workspace) -> None:
    # openpyxl, which reads the register, imports numpy if it can (matplotlib needs numpy, so
    # it is installed) only to accept numpy's numbers in cells: 60 ms of start-up for nothing.
    imported = _imported(workspace, "forms", "explore", of=("openpyxl", "numpy"))

    assert list(workspace.path("issued").rglob("*.docx"))
    assert imported == ["openpyxl"]


def test_charts_drawn_after_the_register_was_read_without_numpy_have_numpy(workspace) -> None:
    # As `demo` does it: forms issued first (openpyxl in, without numpy), a paper's chart later.
    probe = PROBE.format(heavy=()) + (
        "from generator.office import charts\n"
        "png = charts.bar_chart(['A', 'B'], {'Spend': [1.5, 2]}, title='T', ylabel='£')\n"
        "print(png.startswith(b'\\x89PNG'), 'numpy' in sys.modules, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", probe, "--workspace", str(workspace.root),
                             "forms", "explore"], capture_output=True, text=True, timeout=60,
                            check=False)

    assert result.stderr.strip().splitlines()[-1] == "True True"


def test_the_tracker_workbook_is_written_without_a_document_library(workspace,
                                                                    explore_forms) -> None:
    # The workbook is SpreadsheetML written as text (generator.office.excel): no openpyxl.
    imported = _imported(workspace, "status", "--xlsx")

    assert imported == []
    assert (workspace.path("reports") / "tracker.xlsx").exists()


def test_help_reads_no_framework_and_no_bank_holidays() -> None:
    # `--help` needs only the commands' descriptions: the workspace, the framework's data and
    # the bank holiday calendars (some 100 ms between them) wait for a command that uses them.
    probe = ("import sys\nfrom generator.cli import main\n"
             "try:\n    main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('generator.workspace', 'generator.framework', 'holidays')"
             " if m in sys.modules), file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=False)

    assert result.stderr.strip().splitlines()[-1] == "[]"
