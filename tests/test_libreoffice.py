"""A form filled in and saved by LibreOffice (24.2 or later) reads back exactly.

LibreOffice re-writes the whole document when it saves: it drops the repeating-section wrapper
of tables and the "showing placeholder" flag, adds empty runs and its own formatting. These
tests run the real program (about a second a file); conftest skips them when it is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.demo import example_answers
from generator.formdefs import FormDefinition, form_types
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.office.libreoffice import convert
from generator.register import read_register
from generator.workspace import Workspace

from conftest import TODAY
from editors.libreoffice import LibreOfficeEditor
from support import HOSTILE_TEXT, definition_for, fill

pytestmark = pytest.mark.libreoffice

EXTRA_ROWS = 2


def with_extra_rows(definition: FormDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Every table grown past the rows it was issued with; the added rows carry hostile text."""
    grown = dict(answers)
    for table in definition.tables:
        rows = list(answers[table.id])
        text_column = next(c.id for c in table.columns if c.type == "text")
        while len(rows) < table.min_rows + EXTRA_ROWS:
            row = dict(rows[len(rows) % len(answers[table.id])])
            row[text_column] = HOSTILE_TEXT[len(rows) % len(HOSTILE_TEXT)]
            rows.append(row)
        grown[table.id] = rows
    return grown


def leave_one_untouched(definition: FormDefinition, answers: dict[str, Any]) -> tuple[dict, str]:
    """Answers without one optional box, which keeps showing its placeholder."""
    needed = {rule.require for rule in definition.rules}
    untouched = next(f.id for f in definition.fields.values()
                     if f.type in ("text", "multiline") and not f.required and f.id not in needed)
    return {k: v for k, v in answers.items() if k != untouched}, untouched


@pytest.mark.parametrize("form_type", form_types())
def test_form_saved_by_libreoffice_reads_back_identical(
        workspace: Workspace, tmp_path: Path, libreoffice_editor: LibreOfficeEditor,
        form_type: str) -> None:
    form = issue_forms(workspace, form_type, today=TODAY).written[0]
    definition = definition_for(workspace, form_type)
    partnership = read_register(workspace.path("register"), workspace.framework()).get(
        form.partnership_id)
    answers = with_extra_rows(definition, example_answers(definition, partnership, today=TODAY))
    typed, untouched = leave_one_untouched(definition, answers)
    filled = fill(workspace, form, typed)

    resaved = libreoffice_editor.save_as(filled, tmp_path / "libreoffice" / filled.name)
    reading = read_form(resaved, framework=workspace.framework(), forms_dir=workspace.forms_dir)

    assert (reading.application or "").startswith("LibreOffice")
    assert reading.answers == {**answers, untouched: None}
    assert reading.errors == []


def test_issued_form_converts_to_pdf(workspace: Workspace, tmp_path: Path) -> None:
    form = issue_forms(workspace, "explore", today=TODAY).written[0]

    pdf = convert(form.path, "pdf", tmp_path / "pdf")

    assert pdf.suffix == ".pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
