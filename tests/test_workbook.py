"""Tests for generator.office.excel: user text never becomes a formula, tables are usable."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest
from lxml import etree

from generator.errors import ToolkitError
from generator.office.accessibility import contrast_ratio
from generator.office.excel import (
    MAX_CELL_TEXT,
    WIDTH_SAMPLE_ROWS,
    TableWorkbook,
    safe_sheet_title,
)
from generator.vocabulary import RAG_FILLS, rag_colours

S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
FORMULA_LIKE = ["=1+1", "@SUM(A1)", "-2+3", "+44", '=HYPERLINK("http://x","y")', "\t=1", "#N/A"]


def write(tmp_path: Path, headers: list[str], rows: list[list[object]], **kwargs: object
          ) -> Path:
    """The rows as a table sheet "Data", saved as annex.xlsx."""
    book = TableWorkbook()
    book.add_sheet("Data", headers, rows, **kwargs)  # type: ignore[arg-type]
    path = tmp_path / "annex.xlsx"
    book.save(path)
    return path


def sheet_xml(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("xl/worksheets/sheet1.xml"))


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_formula_like_text_reads_back_as_string(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, ["Comment"], [[text]])
    cell = openpyxl.load_workbook(path)["Data"]["A2"]
    assert cell.value == text
    assert cell.data_type == "s"


def test_formula_like_text_writes_no_formula_element(tmp_path: Path) -> None:
    path = write(tmp_path, ["Comment"], [[text] for text in FORMULA_LIKE])
    assert sheet_xml(path).findall(f".//{{{S}}}f") == []


@pytest.mark.parametrize("text", ["=1+1", "@SUM(A1)", "-2+3", "+44", "\t=1"])
def test_formula_like_text_gets_quote_prefix(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, ["Comment"], [[text], ["plain"]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A2"].quotePrefix is True
    assert not ws["A3"].quotePrefix


def test_control_character_is_replaced_not_crashing(tmp_path: Path) -> None:
    path = write(tmp_path, ["Bad\x01header"], [["bell\x07 and null\x00, tab\tnewline\n"]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A1"].value == "Bad\ufffdheader"
    assert ws["A2"].value == "bell\ufffd and null\ufffd, tab\tnewline\n"


def test_overlong_text_is_cut_to_excel_cell_limit(tmp_path: Path) -> None:
    path = write(tmp_path, ["Notes"], [["x" * 40_000]])
    value = openpyxl.load_workbook(path)["Data"]["A2"].value
    assert len(value) == MAX_CELL_TEXT
    assert value.endswith("[truncated]")


def test_numbers_stay_numbers_with_format_by_header(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ["Partnership", "Budget (£)", "Count"],
        [["Audit", 120000, 3], ["Legal", 2500.5, None]],
        number_formats={"Budget (£)": '"£"#,##0'},
    )
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["B2"].value == 120000 and ws["B2"].data_type == "n"
    assert ws["B2"].number_format == '"£"#,##0'
    assert ws["B3"].value == 2500.5
    assert ws["C2"].value == 3 and ws["C3"].value is None


def test_nan_is_written_as_an_empty_cell(tmp_path: Path) -> None:
    path = write(tmp_path, ["Value"], [[float("nan")], [float("inf")]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A2"].value is None and ws["A3"].value is None


def test_dates_stay_dates_with_british_format(tmp_path: Path) -> None:
    aware = dt.datetime(2025, 7, 1, 9, 30, tzinfo=dt.UTC)
    path = write(tmp_path, ["Due", "Sent"], [[dt.date(2025, 3, 31), aware]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A2"].value == dt.datetime(2025, 3, 31)
    assert ws["A2"].number_format == "dd/mm/yyyy"
    assert ws["B2"].value == dt.datetime(2025, 7, 1, 10, 30)  # British Summer Time
    assert ws["B2"].number_format == "dd/mm/yyyy hh:mm"


def test_header_row_is_bold_frozen_and_filtered(tmp_path: Path) -> None:
    path = write(tmp_path, ["A", "B", "C"], [[1, 2, 3], [4, 5, 6]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert all(cell.font.b for cell in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C3"


def test_empty_table_filters_header_row_only(tmp_path: Path) -> None:
    path = write(tmp_path, ["A", "B"], [])
    assert openpyxl.load_workbook(path)["Data"].auto_filter.ref == "A1:B1"


def test_column_widths_follow_contents_and_overrides(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ["Partnership", "Id", "Notes"],
        [["Building Control Partnership", 1, "x" * 500]],
        col_widths={"Id": 5},
    )
    dims = openpyxl.load_workbook(path)["Data"].column_dimensions
    assert dims["A"].width == len("Building Control Partnership") + 2
    assert dims["B"].width == 5
    assert dims["C"].width == 60


def test_rag_column_is_filled_and_keeps_the_word(tmp_path: Path) -> None:
    rows = [
        ["Audit", "Red"],
        ["Legal", "Amber - improving"],
        ["Waste", "Green"],
        ["ICT", "Not rated"],
    ]
    path = write(tmp_path, ["Partnership", "Rating"], rows, colour_columns=["Rating"],
                 colour_of=rag_colours)
    ws = openpyxl.load_workbook(path)["Data"]
    for r, key in enumerate(["Red", "Amber", "Green", "Grey"], start=2):
        cell = ws.cell(row=r, column=2)
        fill, text = RAG_FILLS[key]
        assert cell.value == rows[r - 2][1]
        assert cell.fill.fgColor.rgb[-6:] == fill
        assert cell.font.color.rgb[-6:] == text
        assert contrast_ratio(text, fill) >= 4.5


def test_cells_that_look_alike_each_get_the_whole_look(tmp_path: Path) -> None:
    rows = [[f"Partnership {n}", "Red", "Green", "=not a formula\nsecond line", 1234.5,
             dt.date(2026, 11, n)] for n in range(1, 6)]
    path = write(tmp_path, ["Name", "Rating", "Trend", "Note", "Budget", "Due"], rows,
                 colour_columns=["Rating", "Trend"], colour_of=rag_colours,
                 number_formats={"Budget": '"£"#,##0'})
    ws = openpyxl.load_workbook(path)["Data"]

    for r in range(2, 7):
        rating, trend, note, budget, due = (ws.cell(row=r, column=c) for c in range(2, 7))
        assert rating.fill.fgColor.rgb[-6:] == RAG_FILLS["Red"][0]
        assert trend.fill.fgColor.rgb[-6:] == RAG_FILLS["Green"][0]
        assert note.quotePrefix and note.alignment.wrap_text
        assert note.fill.fill_type is None
        assert budget.number_format == '"£"#,##0' and not budget.quotePrefix
        assert due.number_format == "dd/mm/yyyy"


def test_sheet_title_is_sanitised_and_unique() -> None:
    book = TableWorkbook()
    first = book.add_sheet("Risks: [top]/*?\\ by partnership and principle 2025", ["A"], [])
    second = book.add_sheet("Risks: [top]/*?\\ by partnership and principle 2025", ["A"], [])
    assert len(first) <= 31 and len(second) <= 31
    assert not set("[]:*?/\\") & set(first + second)
    assert first != second
    assert second.endswith(" (2)")


def test_sheet_titles_differing_only_in_case_are_made_unique() -> None:
    assert safe_sheet_title("budgets", ["Budgets"]) == "budgets (2)"


@pytest.mark.parametrize(
    ("title", "expected"), [("History", "History sheet"), ("''", "Sheet"), ("", "Sheet")]
)
def test_safe_sheet_title_avoids_names_excel_refuses(title: str, expected: str) -> None:
    assert safe_sheet_title(title) == expected


def test_sheets_keep_the_order_they_were_added_in(tmp_path: Path) -> None:
    book = TableWorkbook()
    book.add_sheet("Budgets", ["A"], [[1]])
    book.add_sheet("Ratings", ["A"], [[1]])
    book.save(tmp_path / "book.xlsx")
    assert openpyxl.load_workbook(tmp_path / "book.xlsx").sheetnames == ["Budgets", "Ratings"]


def test_a_sheet_title_with_an_apostrophe_is_quoted_in_its_print_titles(tmp_path: Path) -> None:
    book = TableWorkbook()
    book.add_sheet("Officers' notes", ["A"], [["x"]])
    book.save(tmp_path / "book.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "book.xlsx")["Officers' notes"]
    assert sheet.print_title_rows == "$1:$1"


def test_row_of_wrong_length_raises_value_error() -> None:
    with pytest.raises(ValueError, match="row 2 has 1 cells"):
        TableWorkbook().add_sheet("Data", ["A", "B"], [[1, 2], [1]])


def test_unknown_header_in_options_raises_value_error() -> None:
    with pytest.raises(ValueError, match="number_formats names columns not in the headers"):
        TableWorkbook().add_sheet("Data", ["A"], [], number_formats={"Budget": "0"})


def test_a_workbook_without_a_sheet_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one sheet"):
        TableWorkbook().to_bytes()


def test_no_sheet_can_be_added_once_the_workbook_is_finished() -> None:
    book = TableWorkbook()
    book.add_sheet("Data", ["A"], [[1]])
    book.to_bytes()
    with pytest.raises(ValueError, match="finished"):
        book.add_sheet("More", ["A"], [[2]])


def test_rows_given_as_a_generator_are_written(tmp_path: Path) -> None:
    path = write(tmp_path, ["N"], (  # type: ignore[arg-type]
        [n] for n in range(3)))
    assert [c.value for c in openpyxl.load_workbook(path)["Data"]["A"]] == ["N", 0, 1, 2]


def test_booleans_times_and_durations_keep_their_kind(tmp_path: Path) -> None:
    path = write(tmp_path, ["Done", "At", "Took"],
                 [[True, dt.time(9, 30), dt.timedelta(hours=2)], [False, None, None]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A2"].value is True and ws["A3"].value is False
    assert ws["B2"].is_date and ws["C2"].is_date
    assert ws["B2"].value == dt.time(9, 30)
    assert ws["C2"].value == dt.timedelta(hours=2)


def test_a_carriage_return_in_text_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path, ["Note"], [["one\rtwo"], ["\r=1"]])
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["A2"].value == "one\rtwo"
    assert ws["A3"].value == "\r=1" and ws["A3"].quotePrefix


def test_save_leaves_no_temp_file(tmp_path: Path) -> None:
    path = write(tmp_path, ["A"], [[1]])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_save_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "annex.xlsx"
    path.write_bytes(b"old")
    book = TableWorkbook()
    book.add_sheet("Data", ["A"], [[1]])

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ToolkitError, match="open in Excel"):
        book.save(path)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["annex.xlsx"]


def test_a_long_sheet_still_takes_its_column_widths_from_its_contents(tmp_path: Path) -> None:
    # Widths are measured on a sample of a long sheet's rows, spread through it.
    count = WIDTH_SAMPLE_ROWS * 5
    rows: list[list[object]] = [[f"P{n:05d}", "short"] for n in range(count)]
    for n in range(count // 2, count, 7):  # long text only in the second half
        rows[n][1] = "A partnership whose name is long"
    path = write(tmp_path, ["Id", "Name"], rows)

    dims = openpyxl.load_workbook(path)["Data"].column_dimensions
    assert dims["B"].width == len("A partnership whose name is long") + 2


def test_a_text_repeated_in_every_row_is_kept_once_in_the_shared_strings(tmp_path: Path
                                                                        ) -> None:
    path = write(tmp_path, ["Paper", "Row"], [["Annual report 2026/27", n] for n in range(50)])

    with zipfile.ZipFile(path) as package:
        shared = etree.fromstring(package.read("xl/sharedStrings.xml"))
    texts = [t.text for t in shared.iter(f"{{{S}}}t")]
    assert texts.count("Annual report 2026/27") == 1
    column = [c.value for c in openpyxl.load_workbook(path)["Data"]["A"]][1:]
    assert column == ["Annual report 2026/27"] * 50


def test_a_long_text_is_written_in_its_cell_and_reads_back_whole(tmp_path: Path) -> None:
    evidence = "The partnership met every target this year. " * 20
    path = write(tmp_path, ["Evidence"], [[evidence]])

    assert sheet_xml(path).find(f".//{{{S}}}is") is not None
    assert openpyxl.load_workbook(path)["Data"]["A2"].value == evidence


def test_a_streamed_sheet_holds_its_rows_in_the_order_added_after_every_other_sheet(
        tmp_path: Path) -> None:
    book = TableWorkbook()
    streamed = book.add_streamed_sheet("Sources", ["Table", "Figure"])
    book.add_sheet("Summary", ["A"], [[1]])
    streamed.add_rows([["Summary", 1], ["Summary", 2]])
    book.add_sheet("Risks", ["A"], [[2]])
    streamed.add_rows([["Risks", 3]])
    book.save(tmp_path / "book.xlsx")

    workbook = openpyxl.load_workbook(tmp_path / "book.xlsx")
    assert workbook.sheetnames == ["Summary", "Risks", "Sources"]
    sheet = workbook["Sources"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Table", "Figure"], ["Summary", 1], ["Summary", 2], ["Risks", 3]]
    assert sheet.auto_filter.ref == "A1:B4"
    assert sheet.print_title_rows == "$1:$1"


def test_a_streamed_sheet_takes_its_column_widths_from_the_rows_it_was_given(
        tmp_path: Path) -> None:
    book = TableWorkbook()
    streamed = book.add_streamed_sheet("Sources", ["Id", "Name"])
    streamed.add_rows([[f"P{n:05d}", "short"] for n in range(10)])
    streamed.add_rows([["P99999", "A partnership whose name is long"]])
    book.save(tmp_path / "book.xlsx")

    dims = openpyxl.load_workbook(tmp_path / "book.xlsx")["Sources"].column_dimensions
    assert dims["B"].width == len("A partnership whose name is long") + 2


def test_a_streamed_row_of_the_wrong_length_is_refused_and_nothing_of_its_batch_kept(
        tmp_path: Path) -> None:
    book = TableWorkbook()
    streamed = book.add_streamed_sheet("Sources", ["A", "B"])
    streamed.add_rows([["kept", 1]])
    with pytest.raises(ValueError, match="row 3 has 1 cells"):
        streamed.add_rows([["dropped", 2], ["short"]])
    book.save(tmp_path / "book.xlsx")

    rows = list(openpyxl.load_workbook(tmp_path / "book.xlsx")["Sources"].values)
    assert rows == [("A", "B"), ("kept", 1)]
