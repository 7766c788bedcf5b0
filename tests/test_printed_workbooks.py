"""Every workbook the tool writes prints as agenda packs need it, and holds what people read:
labels rather than codes, real dates, and numbers as numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from generator.formdefs import load_definition
from generator.office.excel import TableWorkbook
from generator.returns.export import export_answers
from generator.workspace import open_workspace

WORKBOOKS = ("Explore summary (Excel)", "Return tracker (Excel)", "CGB update data annex (Excel)",
             "Scrutiny Committee data annex (Excel)")


@pytest.fixture(scope="module")
def export(demo) -> Path:
    path, count = export_answers(open_workspace(demo.workspace), cycle="2026/27")
    assert count > 0
    return path


def _sheets(path: Path):
    return openpyxl.load_workbook(path).worksheets


@pytest.mark.parametrize("label", WORKBOOKS)
def test_every_sheet_of_the_demo_workbooks_prints_landscape_one_page_wide(demo, label):
    for sheet in _sheets(demo.outputs[label]):
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), sheet.title


@pytest.mark.parametrize("label", WORKBOOKS)
def test_every_sheet_repeats_its_header_row_and_has_a_footer_with_the_page_number(demo, label):
    for sheet in _sheets(demo.outputs[label]):
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet.oddFooter.right.text == "Page &P of &N", sheet.title
        assert sheet.oddFooter.left.text, sheet.title


def test_the_export_prints_like_the_other_workbooks(export):
    for sheet in _sheets(export):
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.oddFooter.left.text == "Accepted answers, 2026/27"


def _one_sheet(tmp_path: Path, *args, **kwargs):
    workbook = TableWorkbook()
    workbook.add_sheet(*args, **kwargs)
    workbook.save(tmp_path / "book.xlsx")
    return openpyxl.load_workbook(tmp_path / "book.xlsx").worksheets[0]


def test_an_ampersand_in_a_footer_is_printed_not_taken_as_a_code(tmp_path):
    sheet = _one_sheet(tmp_path, "Costs", ["A"], [["x"]], footer="Costs & savings")

    assert sheet.oddFooter.left.text == "Costs && savings"


def test_text_longer_than_its_column_wraps_instead_of_running_off_the_page(tmp_path):
    sheet = _one_sheet(tmp_path, "Notes", ["Short", "Note"], [["a", "word " * 40]])

    assert sheet["B2"].alignment.wrap_text
    assert not sheet["A2"].alignment.wrap_text


def _column(sheet, header: str) -> list[object]:
    headers = [cell.value for cell in sheet[1]]
    index = headers.index(header)
    return [row[index].value for row in sheet.iter_rows(min_row=2)]


def test_the_export_shows_choice_labels_not_their_codes(demo, export):
    ws = open_workspace(demo.workspace)
    review = load_definition("review", framework=ws.framework(), forms_dir=ws.forms_dir)
    choice = next(f for f in review.fields.values() if f.type == "choice")
    codes = {c.value for c in choice.choices} - {c.label for c in choice.choices}

    shown = [v for v in _column(openpyxl.load_workbook(export)["review"], choice.label) if v]

    assert shown
    assert all(value in {c.label for c in choice.choices} for value in shown)
    assert not set(shown) & codes


def test_the_export_holds_dates_as_excel_dates_and_money_as_numbers(demo, export):
    ws = open_workspace(demo.workspace)
    sheet = openpyxl.load_workbook(export)["review"]
    review = load_definition("review", framework=ws.framework(), forms_dir=ws.forms_dir)
    money = [f.label for f in review.fields.values() if f.type == "money"]

    received = _column(sheet, "Received")

    assert all(isinstance(value, dt.datetime) for value in received)
    assert money, "the review form asks for an amount of money"
    for label in money:
        assert all(isinstance(v, int | float) for v in _column(sheet, label) if v is not None)


def test_the_export_says_each_returns_outcome_in_words(export):
    outcomes = set(_column(openpyxl.load_workbook(export)["review"], "Outcome"))

    assert outcomes <= {"Accepted", "Accepted with warnings"}
