"""Every figure of a committee paper's table can be traced, in the annex's Sources sheet, to
the return it came from."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import docx
import docx.table
import openpyxl
import pytest
from docx.oxml.ns import qn

from generator.office import word
from generator.papers.committee.annex import annex_workbook
from generator.papers.committee.sources import HEADERS, SHEET, Source
from generator.papers.committee.tables import Table
from generator.store import Store

RECEIVED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
MONITORING = Source("P001-monitoring-202627-abc", "Quarterly monitoring return", "Q3 2026/27",
                    RECEIVED, "P001 monitoring.docx", {"Forecast (£)": "Forecast outturn (£)"})


def _budgets() -> Table:
    return Table("Budgets", "Budgets at Q3 2026/27", ["Partnership", "Budget (£)", "Forecast (£)",
                                                      "RAG"],
                 [["P001 Building Control", 812000, 830000, "Amber"],
                  ["Total", 812000, 830000, ""]],
                 money=(1, 2), rag=(3,), total=True, sources=[MONITORING, None])


def _annex(tables: list[Table], paper: str) -> openpyxl.Workbook:
    """The annex as saved and opened again."""
    return openpyxl.load_workbook(io.BytesIO(
        annex_workbook(tables, about=[("Paper", paper)]).to_bytes()))


def _sources_sheet(table: Table):
    sheet = _annex([table], "CGB update Q3 2026/27")[SHEET]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_sources_sheet_has_one_row_per_figure_and_rating_of_a_traced_row():
    rows = _sources_sheet(_budgets())

    assert rows[0] == HEADERS
    assert [(r[2], r[3], r[4]) for r in rows[1:]] == [
        ("P001 Building Control", "Budget (£)", 812000),
        ("P001 Building Control", "Forecast (£)", 830000),
        ("P001 Building Control", "RAG", "Amber")]


def test_each_source_row_names_the_return_the_question_the_period_and_the_file():
    row = dict(zip(HEADERS, _sources_sheet(_budgets())[2], strict=True))

    assert row["Paper"] == "CGB update Q3 2026/27"
    assert row["Section"] == "Budgets at Q3 2026/27"
    assert row["Return reference"] == "P001-monitoring-202627-abc"
    assert row["Form"] == "Quarterly monitoring return"
    assert row["Question on the form"] == "Forecast outturn (£)"
    assert row["Period"] == "Q3 2026/27"
    assert row["Received"] == dt.datetime(2026, 11, 20, 9, 30)  # UK time, as Excel holds it
    assert row["File as stored"] == "P001 monitoring.docx"


def test_a_column_from_another_record_names_that_record():
    design = Source("P001-design-202526-abc", "Design assessment", "2025/26",
                    questions={"Target (£)": "Savings target a year in the business case (£)"})
    review = Source("P001-review-202627-abc", "2026/27 annual review", "2026/27",
                    questions={"Savings (£)": "Cashable savings this year (£)"},
                    elsewhere={"Target (£)": design})
    table = Table("Savings", "Savings 2026/27", ["Partnership", "Target (£)", "Savings (£)"],
                  [["P001 Building Control", 50000, 32400]], money=(1, 2), sources=[review])

    rows = {row[HEADERS.index("Figure")]: row for row in _sources_sheet(table)[1:]}

    assert rows["Target (£)"][HEADERS.index("Return reference")] == "P001-design-202526-abc"
    assert rows["Target (£)"][HEADERS.index("Form")] == "Design assessment"
    assert rows["Savings (£)"][HEADERS.index("Return reference")] == "P001-review-202627-abc"
    assert rows["Savings (£)"][HEADERS.index("Question on the form")] == \
        "Cashable savings this year (£)"


def test_a_total_row_of_no_one_return_is_not_traced():
    rows = _sources_sheet(_budgets())

    assert "Total" not in [r[2] for r in rows]


def test_an_annex_of_tables_without_sources_has_no_sources_sheet():
    table = Table("Plain", "Plain", ["Partnership", "Count"], [["P001", 1]])

    assert SHEET not in _annex([table], "x").sheetnames


def test_the_paper_says_beside_a_traced_table_where_its_sources_are():
    doc = word.open_paper(None)
    _budgets().add_to(doc)
    saved = docx.Document(io.BytesIO(word.document_bytes(doc)))

    assert saved.paragraphs[-1].text == ("Where these figures come from: the data annex, sheet "
                                         "'Sources', section 'Budgets at Q3 2026/27'.")


# ---------------------------------------------------------------- the demo's papers, traced

PAPERS = [("CGB update (Word)", "CGB update data annex (Excel)"),
          ("Scrutiny Committee annual report (Word)", "Scrutiny Committee data annex (Excel)")]
_NUMBER = re.compile(r"^(-?)£?(-?)([\d,]+(?:\.\d+)?)(%?)$")
_TRACED = re.compile(r"^Where these figures come from: .* section '(.*)'\.$")


def _number(text: object) -> tuple[float, bool] | None:
    """A figure as a paper or the annex holds it: (value, is a percentage), else None."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text), False
    match = _NUMBER.match(str(text).strip().replace("\u2212", "-"))
    if match is None:
        return None
    sign = -1 if (match.group(1) or match.group(2)) else 1
    return sign * float(match.group(3).replace(",", "")), bool(match.group(4))


def _same(shown: tuple[float, bool], kept: object) -> bool:
    value = _number(kept)
    if value is None:
        return False
    if shown[1] and not value[1]:  # a share shown as a percentage
        return round(value[0] * 100) == round(shown[0])
    return abs(value[0] - shown[0]) < 0.5


def _tables_and_notes(paper_path: Path) -> list[tuple[list[list[str]], str | None]]:
    """Every table of the paper, as rows of cell text, with the Sources section the note
    after it names (None when no such note follows it)."""
    document = docx.Document(str(paper_path))
    found: list[tuple[list[list[str]], str | None]] = []
    for block in document.element.body:
        if block.tag == qn("w:tbl"):
            table = docx.table.Table(block, document._body)
            found.append(([[cell.text for cell in row.cells] for row in table.rows], None))
        elif block.tag == qn("w:p") and found and found[-1][1] is None:
            text = "".join(t.text or "" for t in block.iter(qn("w:t")))
            match = _TRACED.match(text)
            if match is not None:
                found[-1] = (found[-1][0], match.group(1))
    return found


def _figures(rows: list[list[str]]) -> list[tuple[str, tuple[float, bool]]]:
    """Each number of a table but its header and total rows: (column, value)."""
    return [(header, value) for row in rows[1:] if not row[0].startswith("Total")
            for header, text in zip(rows[0], row, strict=True)
            if (value := _number(text)) is not None]


def _traced_figures(paper_path: Path) -> list[tuple[str, str, tuple[float, bool]]]:
    """Every figure of every table the paper says is traced: (section of the Sources sheet
    the note after the table names, column, value)."""
    return [(section, header, value) for rows, section in _tables_and_notes(paper_path)
            if section is not None for header, value in _figures(rows)]


@pytest.mark.parametrize("paper", [paper for paper, _ in PAPERS])
def test_every_table_of_the_paper_with_a_figure_says_where_its_figures_come_from(demo, paper):
    untraced = [rows[0] for rows, section in _tables_and_notes(demo.outputs[paper])
                if section is None and _figures(rows)]

    assert untraced == []


@pytest.mark.parametrize(("paper", "annex"), PAPERS)
def test_every_figure_of_a_traced_table_is_on_the_sources_sheet_with_its_value(
        demo, paper, annex):
    figures = _traced_figures(demo.outputs[paper])
    sheet = openpyxl.load_workbook(demo.outputs[annex])[SHEET]
    kept = [dict(zip(HEADERS, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)]

    missing = [(section, header, value) for section, header, value in figures
               if not any(k["Section"] == section and k["Figure"] == header
                          and _same(value, k["Value"]) for k in kept)]

    assert figures, "the paper traces some of its tables"
    assert missing == []


@pytest.mark.parametrize(("paper", "annex"), PAPERS)
def test_each_traced_figure_names_a_return_the_store_holds_or_the_register(
        demo, paper, annex):
    sheet = openpyxl.load_workbook(demo.outputs[annex])[SHEET]
    references = {row[HEADERS.index("Return reference")]
                  for row in sheet.iter_rows(min_row=2, values_only=True)}
    with Store(demo.workspace / "store.sqlite") as store:
        issued = {i.issue_id for i in store.all_issued()}

    assert references - {"Partnership register"}
    assert references - {"Partnership register"} <= issued


def test_each_savings_figure_names_the_form_it_was_answered_on(demo):
    # The target and baseline are set at Design; the year's savings come from the review.
    sheet = openpyxl.load_workbook(
        demo.outputs["Scrutiny Committee data annex (Excel)"])[SHEET]
    savings = [dict(zip(HEADERS, row, strict=True))
               for row in sheet.iter_rows(min_row=2, values_only=True)
               if str(row[HEADERS.index("Section")]).startswith("Savings against")]
    with Store(demo.workspace / "store.sqlite") as store:
        form_of = {i.issue_id: i.form_type for i in store.all_issued()}

    found = {(row["Figure"], form_of[row["Return reference"]]) for row in savings}

    assert {figure for figure, form in found if form == "design"} >= {
        "Baseline (£)", "Savings target a year (£)"}
    assert {figure for figure, form in found if form == "review"} >= {
        "Cashable savings this year (£)", "Cashable savings to date (£)"}
    assert not {figure for figure, form in found if form == "design"} & {
        "Cashable savings this year (£)", "Cashable savings to date (£)"}


@pytest.mark.parametrize(("paper", "annex"), PAPERS)
def test_the_councils_contribution_is_traced_to_the_register_not_a_return(demo, paper, annex):
    sheet = openpyxl.load_workbook(demo.outputs[annex])[SHEET]
    contributions = [dict(zip(HEADERS, row, strict=True))
                     for row in sheet.iter_rows(min_row=2, values_only=True)
                     if row[HEADERS.index("Figure")] == "Council contribution (£)"]

    assert contributions
    assert {c["Return reference"] for c in contributions} == {"Partnership register"}
