"""Dates picked, retyped or deleted in LibreOffice read as the document shows them.

LibreOffice 25.2 keeps a date control's w:fullDate when a person retypes or deletes the date it
shows, so the stored date is stale: the shown text is the answer. Every form here is issued by
the toolkit and filled in a real LibreOffice (tests/editors), as a Business Manager does it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.forms.issue import IssuedForm, issue_forms
from generator.forms.read import FormReading, read_form
from generator.office import controls
from generator.workspace import Workspace, init_workspace

from conftest import TODAY
from editors.libreoffice import (
    Edit,
    LibreOfficeEditor,
    delete_text,
    pick_date,
    type_into,
)
from support import definition_for, document_xml, fill

pytestmark = pytest.mark.libreoffice

DATE_COMPLETED = "Date completed"
PICKED = "2026-11-04"


@pytest.fixture
def checklist(explore_forms: list[IssuedForm]) -> IssuedForm:
    """An Explore checklist: every form ends with its date completed, and the checklist,
    the shortest, opens fastest in LibreOffice (0.37 s an edit, the Design assessment 0.60)."""
    return explore_forms[0]


@pytest.fixture
def design_form(workspace: Workspace) -> IssuedForm:
    """A Design assessment, for the dates in the rows of its table of actions."""
    return issue_forms(workspace, "design", today=TODAY).written[0]


@pytest.fixture(scope="module")
def review_form(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, IssuedForm]:
    """An annual review, which has four dates of its own, in a workspace of its own: the tests
    that each read one of them share one form opened in LibreOffice (each form opened takes
    about 0.4 s)."""
    ws = init_workspace(tmp_path_factory.mktemp("dates") / "ws", today=TODAY)
    return ws, issue_forms(ws, "review", partnership_id="P001", today=TODAY).written[0]


def typed_over_picked(editor: LibreOfficeEditor, review: tuple[Workspace, IssuedForm],
                      typed: dict[str, str], name: str) -> tuple[Path, FormReading]:
    """The annual review with a date picked from the calendar in each box of `typed`, then
    retyped as given there; the saved form and what it reads."""
    ws, form = review
    edits = [edit for tag, text in typed.items()
             for edit in (pick_date(tag, PICKED), type_into(tag, text))]
    path = edited(editor, form.path, edits, name)
    return path, read(ws, path)


def label(review: tuple[Workspace, IssuedForm], tag: str) -> str:
    return definition_for(review[0], "review").fields[tag].label


def edited(editor: LibreOfficeEditor, source: Path, edits: list[Edit], name: str) -> Path:
    target = source.parent / f"{name}.docx"
    editor.edit(source, target, edits)
    return target


def read(ws: Workspace, path: Path) -> FormReading:
    return read_form(path, framework=ws.framework(), forms_dir=ws.forms_dir)


def problems_of(reading: FormReading, field_id: str) -> list[tuple[str, str, str]]:
    return [(p.severity, p.label, p.message) for p in reading.problems if p.field == field_id]


def full_date(path: Path, tag: str) -> str | None:
    sdt = next(s for s in document_xml(path).iter(controls.SDT) if controls.tag_of(s) == tag)
    return controls.date_value(sdt)


# ---- retyped ---------------------------------------------------------------------------------


# The way a person types a date, and the box of the annual review it is typed into.
RETYPED = {"5/11/2026": "audit_date", "05/11/2026": "agreement_ends",
           "5 November 2026": "notice_by", "2026-11-05": "completed_on"}


@pytest.fixture(scope="module")
def retyped(review_form: tuple[Workspace, IssuedForm],
            libreoffice_editor: LibreOfficeEditor) -> tuple[Path, FormReading]:
    return typed_over_picked(libreoffice_editor, review_form,
                             {tag: typed for typed, tag in RETYPED.items()}, "retyped")


@pytest.mark.parametrize("typed", list(RETYPED))
def test_date_picked_then_retyped_reads_the_retyped_date(
        retyped: tuple[Path, FormReading], typed: str) -> None:
    path, reading = retyped
    tag = RETYPED[typed]

    assert full_date(path, tag) == PICKED  # what LibreOffice leaves behind
    assert reading.answers[tag] == "2026-11-05"
    assert problems_of(reading, tag) == []


def test_date_retyped_day_first_is_never_read_month_first(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    edits = [pick_date("completed_on", "2026-04-11"), type_into("completed_on", "4/11/2026")]

    reading = read(workspace, edited(libreoffice_editor, checklist.path, edits, "retyped"))

    assert reading.answers["completed_on"] == "2026-11-04"


def test_date_retyped_in_a_table_row_reads_the_retyped_date(
        workspace: Workspace, design_form: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    edits = [type_into("actions.action", "Sign the agreement"),
             type_into("actions.owner", "Head of Legal"),
             pick_date("actions.due", "2027-01-15"), type_into("actions.due", "29/01/2027")]

    reading = read(workspace, edited(libreoffice_editor, design_form.path, edits, "row"))

    assert [row["due"] for row in reading.answers["actions"]] == ["2027-01-29"]


# ---- deleted ---------------------------------------------------------------------------------


def test_date_picked_then_deleted_reads_empty_and_is_reported_as_required(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    edits = [pick_date("completed_on", PICKED), delete_text("completed_on")]

    path = edited(libreoffice_editor, checklist.path, edits, "deleted")
    reading = read(workspace, path)

    assert full_date(path, "completed_on") == PICKED  # what LibreOffice leaves behind
    assert reading.answers["completed_on"] is None
    assert problems_of(reading, "completed_on") == [
        ("error", DATE_COMPLETED, "is required but was left empty")]


def test_optional_date_picked_then_deleted_reads_empty_without_a_problem(
        workspace: Workspace, design_form: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    edits = [type_into("actions.action", "Sign the agreement"),
             type_into("actions.owner", "Head of Legal"),
             pick_date("actions.due", "2027-01-15"), delete_text("actions.due")]

    reading = read(workspace, edited(libreoffice_editor, design_form.path, edits, "row"))

    assert reading.answers["actions"] == [{"action": "Sign the agreement",
                                           "owner": "Head of Legal", "due": None,
                                           "measure": None}]
    assert problems_of(reading, "actions.due") == []


# ---- not a date ------------------------------------------------------------------------------


def test_date_retyped_as_words_is_an_error_quoting_what_was_typed(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    edits = [pick_date("completed_on", PICKED), type_into("completed_on", "end of next week")]

    reading = read(workspace, edited(libreoffice_editor, checklist.path, edits, "words"))

    assert problems_of(reading, "completed_on") == [
        ("error", DATE_COMPLETED, '"end of next week" is not a date; pick one from the calendar '
                                  "or type DD/MM/YYYY")]
    assert not reading.ok


# A date that does not exist, the box of the annual review it is typed into, and why.
IMPOSSIBLE = {"30/02/2026": ("audit_date", "February 2026 has 28 days"),
              "31 April 2026": ("agreement_ends", "April 2026 has 30 days"),
              "29/02/2027": ("notice_by", "February 2027 has 28 days"),
              "04/13/2026": ("completed_on", "there is no month 13")}


@pytest.fixture(scope="module")
def impossible(review_form: tuple[Workspace, IssuedForm],
               libreoffice_editor: LibreOfficeEditor) -> tuple[Path, FormReading]:
    return typed_over_picked(libreoffice_editor, review_form,
                             {tag: typed for typed, (tag, _) in IMPOSSIBLE.items()},
                             "impossible")


@pytest.mark.parametrize("typed", [
    pytest.param("30/02/2026", id="30-february"),
    pytest.param("31 April 2026", id="31-april-in-words"),
    pytest.param("29/02/2027", id="29-february-not-leap"),
    pytest.param("04/13/2026", id="month-first"),
])
def test_impossible_date_typed_is_an_error_never_accepted(
        review_form: tuple[Workspace, IssuedForm], impossible: tuple[Path, FormReading],
        typed: str) -> None:
    _, reading = impossible
    tag, why = IMPOSSIBLE[typed]

    assert problems_of(reading, tag) == [
        ("error", label(review_form, tag), f'"{typed}" is not a real date ({why}); pick one '
                                           "from the calendar or type DD/MM/YYYY")]
    assert not reading.ok


# ---- edited again after saving ---------------------------------------------------------------


def test_date_retyped_after_reopening_a_libreoffice_saved_form_reads_the_retyped_date(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    first = edited(libreoffice_editor, checklist.path, [pick_date("completed_on", PICKED)],
                   "first")

    second = edited(libreoffice_editor, first, [type_into("completed_on", "1 December 2026")],
                    "second")
    reading = read(workspace, second)

    assert full_date(second, "completed_on") == PICKED
    assert reading.answers["completed_on"] == "2026-12-01"


def test_date_deleted_after_reopening_a_libreoffice_saved_form_reads_empty(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    first = edited(libreoffice_editor, checklist.path, [pick_date("completed_on", PICKED)],
                   "first")

    second = edited(libreoffice_editor, first, [delete_text("completed_on")], "second")
    reading = read(workspace, second)

    assert reading.answers["completed_on"] is None
    assert problems_of(reading, "completed_on") == [
        ("error", DATE_COMPLETED, "is required but was left empty")]


def test_impossible_date_typed_after_reopening_is_an_error(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    first = edited(libreoffice_editor, checklist.path, [pick_date("completed_on", PICKED)],
                   "first")

    second = edited(libreoffice_editor, first, [type_into("completed_on", "30/02/2026")],
                    "second")
    reading = read(workspace, second)

    assert [m for _, _, m in problems_of(reading, "completed_on")] == [
        '"30/02/2026" is not a real date (February 2026 has 28 days); pick one from the '
        "calendar or type DD/MM/YYYY"]


def test_date_filled_in_word_then_retyped_in_libreoffice_reads_the_retyped_date(
        workspace: Workspace, checklist: IssuedForm,
        libreoffice_editor: LibreOfficeEditor) -> None:
    in_word = fill(workspace, checklist, {"completed_on": PICKED})

    path = edited(libreoffice_editor, in_word, [type_into("completed_on", "6/11/2026")],
                  "retyped")
    reading = read(workspace, path)

    assert reading.answers["completed_on"] == "2026-11-06"

