"""Every figure of a committee paper's table can be traced, in the annex's Sources sheet, to
the return it came from."""

from __future__ import annotations

import datetime as dt
import io

import docx

from generator.office import word
from generator.papers.committee.annex import annex_workbook
from generator.papers.committee.sources import HEADERS, SHEET, Source
from generator.papers.committee.tables import Table

RECEIVED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
MONITORING = Source("P001-monitoring-202627-abc", "Quarterly monitoring return", "Q3 2026/27",
                    RECEIVED, "P001 monitoring.docx", {"Forecast (£)": "Forecast outturn (£)"})


def _budgets() -> Table:
    return Table("Budgets", "Budgets at Q3 2026/27", ["Partnership", "Budget (£)", "Forecast (£)",
                                                      "RAG"],
                 [["P001 Building Control", 812000, 830000, "Amber"],
                  ["Total", 812000, 830000, ""]],
                 money=(1, 2), rag=(3,), total=True, sources=[MONITORING, None])


def _sources_sheet(table: Table):
    workbook = annex_workbook([table], about=[("Paper", "CGB update Q3 2026/27")])
    sheet = workbook[SHEET]
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


def test_a_total_row_of_no_one_return_is_not_traced():
    rows = _sources_sheet(_budgets())

    assert "Total" not in [r[2] for r in rows]


def test_an_annex_of_tables_without_sources_has_no_sources_sheet():
    table = Table("Plain", "Plain", ["Partnership", "Count"], [["P001", 1]])

    workbook = annex_workbook([table], about=[("Paper", "x")])

    assert SHEET not in workbook.sheetnames


def test_the_paper_says_beside_a_traced_table_where_its_sources_are():
    doc = word.open_paper(None)
    _budgets().add_to(doc)
    saved = docx.Document(io.BytesIO(word.document_bytes(doc)))

    assert saved.paragraphs[-1].text == ("Where these figures come from: the data annex, sheet "
                                         "'Sources', section 'Budgets at Q3 2026/27'.")
