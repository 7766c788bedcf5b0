"""A date control's answer is the date it shows, read the UK way, and only a real date.

Each test fills an issued design form as Word does (w:fullDate plus the shown date), then
rewrites the date control as another editor or a person left it. The LibreOffice cases are
measured with a real LibreOffice in test_libreoffice_dates.py; these cover what it cannot
produce: other date formats, stored dates that are not dates, month names in other languages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from generator.forms.issue import IssuedForm
from generator.forms.read import FormReading, read_form
from generator.office import controls
from generator.office.controls import SDT, SDT_PR, w
from generator.workspace import Workspace

from support import design_form_per_file, fill, rewrite_document, workspace_per_file

DATE_COMPLETED = "Date completed"


# One workspace and design form for the whole file (see support.workspace_per_file).
workspace = workspace_per_file
design_form = design_form_per_file


def date_control(full_date: str | None, shown: str, date_format: str | None = None,
                 language: str | None = None) -> Callable[[etree._Element], None]:
    """A rewrite_document callback leaving completed_on storing `full_date`, showing `shown`."""
    def change(root: etree._Element) -> None:
        sdt = next(s for s in root.iter(SDT) if controls.tag_of(s) == "completed_on")
        date = sdt.find(f"{SDT_PR}/{w('date')}")
        if full_date is None:
            date.attrib.pop(w("fullDate"), None)
        else:
            date.set(w("fullDate"), full_date)
        if date_format is not None:
            date.find(w("dateFormat")).set(w("val"), date_format)
        if language is not None:
            date.find(w("lid")).set(w("val"), language)
        controls.set_text(sdt, shown)
    return change


def read_after(ws: Workspace, form: IssuedForm,
               change: Callable[[etree._Element], None]) -> FormReading:
    path = fill(ws, form, {"completed_on": "2026-11-04"})
    edited = rewrite_document(path, change, target=Path(path).with_name("edited.docx"))
    return read_form(edited, framework=ws.framework(), forms_dir=ws.forms_dir)


def problems_of(reading: FormReading) -> list[tuple[str, str]]:
    return [(p.label, p.message) for p in reading.problems if p.field == "completed_on"]


@pytest.mark.parametrize(("shown", "expected"), [
    pytest.param("4/11/2026", "2026-11-04", id="d/m/yyyy"),
    pytest.param("04/11/2026", "2026-11-04", id="dd/mm/yyyy"),
    pytest.param("4 November 2026", "2026-11-04", id="in-words"),
    pytest.param("Wednesday 4 November 2026", "2026-11-04", id="with-the-day"),
    pytest.param("2026-11-04", "2026-11-04", id="iso"),
    pytest.param("12/1/2027", "2027-01-12", id="12-january-not-1-december"),
])
def test_date_typed_without_the_calendar_is_read_day_first(
        workspace: Workspace, design_form: IssuedForm, shown: str, expected: str) -> None:
    reading = read_after(workspace, design_form, date_control(None, shown))

    assert reading.answers["completed_on"] == expected
    assert problems_of(reading) == []


def test_shown_date_in_the_controls_own_format_wins_over_the_stored_date(
        workspace: Workspace, design_form: IssuedForm) -> None:
    change = date_control("2026-11-04T00:00:00Z", "2026.11.05", date_format="yyyy.MM.dd")

    reading = read_after(workspace, design_form, change)

    assert reading.answers["completed_on"] == "2026-11-05"


def test_month_first_control_keeps_the_date_picked_from_its_calendar(
        workspace: Workspace, design_form: IssuedForm) -> None:
    change = date_control("2026-04-11T00:00:00Z", "04/11/2026", date_format="MM/dd/yyyy")

    reading = read_after(workspace, design_form, change)

    assert reading.answers["completed_on"] == "2026-04-11"


def test_month_names_in_another_language_read_the_stored_date_they_show(
        workspace: Workspace, design_form: IssuedForm) -> None:
    change = date_control("2026-11-04T00:00:00Z", "4 Tachwedd 2026", date_format="d MMMM yyyy",
                          language="cy-GB")

    reading = read_after(workspace, design_form, change)

    assert reading.answers["completed_on"] == "2026-11-04"


def test_control_showing_nothing_reads_empty_whatever_date_it_stores(
        workspace: Workspace, design_form: IssuedForm) -> None:
    reading = read_after(workspace, design_form, date_control("2026-11-04T00:00:00Z", "  "))

    assert reading.answers["completed_on"] is None
    assert problems_of(reading) == [(DATE_COMPLETED, "is required but was left empty")]


def test_words_shown_over_a_stored_date_are_an_error_quoting_them(
        workspace: Workspace, design_form: IssuedForm) -> None:
    change = date_control("2026-11-04T00:00:00Z", "4 Tachwedd, or the 5th")

    reading = read_after(workspace, design_form, change)

    assert problems_of(reading) == [(DATE_COMPLETED, '"4 Tachwedd, or the 5th" is not a date; '
                                     "pick one from the calendar or type DD/MM/YYYY")]


@pytest.mark.parametrize(("full_date", "shown"), [
    pytest.param(None, "2026-02-30", id="typed-iso"),
    pytest.param("2026-02-30T00:00:00Z", "30/02/2026", id="stored-and-shown"),
])
def test_date_that_does_not_exist_is_never_accepted(
        workspace: Workspace, design_form: IssuedForm, full_date: str | None,
        shown: str) -> None:
    reading = read_after(workspace, design_form, date_control(full_date, shown))

    assert problems_of(reading) == [(DATE_COMPLETED, f'"{shown}" is not a real date (February '
                                     "2026 has 28 days); pick one from the calendar or type "
                                     "DD/MM/YYYY")]
    assert not reading.ok
