"""The LibreOffice editor harness: a form filled in a real LibreOffice reads back what was done.

tests/editors drives a headless LibreOffice 25.2 as a person fills in a form: typing over a
box's text, choosing from a list, ticking a box, picking a date. These tests check the harness
itself against the reader, so the tests built on it stand on something that works.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.forms.issue import IssuedForm, issue_forms
from generator.forms.read import read_form
from generator.office import controls
from generator.workspace import Workspace

from conftest import TODAY
from editors.libreoffice import LibreOfficeEditor, choose, pick_date, tick, type_into
from support import document_xml

pytestmark = pytest.mark.libreoffice

PICKED = "2026-11-04"


@pytest.fixture
def design_form(workspace: Workspace) -> IssuedForm:
    return issue_forms(workspace, "design", today=TODAY).written[0]


def full_date(path: Path, tag: str) -> str | None:
    sdt = next(s for s in document_xml(path).iter(controls.SDT) if controls.tag_of(s) == tag)
    return controls.date_value(sdt)


def test_form_filled_in_libreoffice_reads_back_what_was_typed_ticked_and_chosen(
        workspace: Workspace, design_form: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    edits = [type_into("decision_body", "Joint committee & board"),
             choose("recommendation", "More design work needed"),
             tick("head_of_service_agreed"),
             pick_date("completed_on", PICKED),
             type_into("contributions.partner", "Mole Valley", index=1),
             type_into("contributions.amount", "£12,500", index=1)]

    path = design_form.path.with_name("filled.docx")
    libreoffice_editor.edit(design_form.path, path, edits)
    reading = read_form(path, framework=workspace.framework(), forms_dir=workspace.forms_dir)

    assert (reading.application or "").startswith("LibreOffice")
    assert {k: reading.answers[k] for k in ("decision_body", "recommendation",
                                            "head_of_service_agreed", "completed_on")} == {
        "decision_body": "Joint committee & board", "recommendation": "more_work",
        "head_of_service_agreed": True, "completed_on": PICKED}
    assert reading.answers["contributions"] == [{"partner": "Mole Valley", "amount": 12500,
                                                 "basis": None}]


def test_date_picked_in_libreoffice_is_stored_as_its_full_date(
        workspace: Workspace, design_form: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    path = design_form.path.with_name("picked.docx")

    report = libreoffice_editor.edit(design_form.path, path, [pick_date("completed_on", PICKED)])
    reading = read_form(path, framework=workspace.framework(), forms_dir=workspace.forms_dir)

    assert [(c["shown"], c["date"]) for c in report if c["tag"] == "completed_on"] == [
        ("04/11/2026", "2026-11-04T00:00:00Z")]
    assert full_date(path, "completed_on") == PICKED
    assert reading.answers["completed_on"] == PICKED
