"""Tests for the Excel data annex written beside each committee paper.

One workspace, filled through the real path, with a review and a monitoring return whose
text starts with '=' (as a formula would) and whose amounts have pence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from generator.demo import example_answers
from generator.forms.issue import issue_forms
from generator.papers.committee import PaperResult, compile_cgb, compile_scrutiny
from generator.papers.committee.annex import write_annex
from generator.papers.committee.tables import Table
from generator.register import read_register
from generator.returns.collect import collect
from generator.vocabulary import RAG_FILLS
from generator.workspace import Workspace, init_workspace

import support
from conftest import TODAY

FORMULA_TEXT = '=HYPERLINK("https://example.org/steal","Click")'


def filled(ws: Workspace, form_type: str, pid: str, **overrides: Any) -> dict[str, Any]:
    definition = support.definition_for(ws, form_type)
    partnership = read_register(ws.path("register"), ws.framework()).get(pid)
    answers = example_answers(definition, partnership, seed=5, today=TODAY)
    answers.update(overrides)
    return answers


@dataclass
class Built:
    scrutiny: PaperResult
    cgb: PaperResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    ws = init_workspace(tmp_path_factory.mktemp("annex") / "ws", today=TODAY)
    review = issue_forms(ws, "review", partnership_id="P001", today=TODAY).written[0]
    monitoring = issue_forms(ws, "monitoring", partnership_id="P001", today=TODAY).written[0]
    paths = [
        support.fill(ws, review, filled(ws, "review", "P001", p1_evidence=FORMULA_TEXT,
                                        cashable_savings=1234.5)),
        support.fill(ws, monitoring, filled(ws, "monitoring", "P001", budget=1000.25,
                                            forecast=1500, budget_commentary="=1+1")),
    ]
    assert {o.outcome for o in collect(ws, paths).outcomes} <= {"accepted", "warnings"}
    return Built(compile_scrutiny(ws, today=TODAY), compile_cgb(ws, today=TODAY))


def header_rows(path: Path) -> list[list[str]]:
    tables = docx.Document(str(path)).tables
    return [[cell.text for cell in table.rows[0].cells] for table in tables]


def headers_of(sheet: Any) -> list[str]:
    return [cell.value for cell in sheet[1]]


def shown_in(paper: list[str], sheet: list[str]) -> bool:
    """The paper's table shows the sheet's columns, or some of them in the same order (a
    page is narrower than a sheet)."""
    found = iter(sheet)
    return paper[0] == sheet[0] and all(header in found for header in paper)


def test_annex_has_a_sheet_per_table_of_the_paper(built: Built) -> None:
    workbook = openpyxl.load_workbook(built.scrutiny.xlsx)
    sheet_headers = [headers_of(workbook[name]) for name in workbook.sheetnames]
    paper_headers = header_rows(built.scrutiny.docx)
    for name in ("Summary", "Gaps", "Principles", "Performance", "Finance", "Savings",
                 "Top risks"):
        assert any(shown_in(p, headers_of(workbook[name])) for p in paper_headers), name
    body_tables = paper_headers[1:8]  # after the front sheet
    assert all(any(shown_in(p, s) for s in sheet_headers) for p in body_tables)


def test_every_sheet_has_a_frozen_header_and_filters(built: Built) -> None:
    for path in (built.scrutiny.xlsx, built.cgb.xlsx):
        workbook = openpyxl.load_workbook(path)
        for sheet in workbook.worksheets:
            assert sheet.freeze_panes == "A2", sheet.title
            assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), sheet.title


def test_money_is_stored_as_numbers_with_a_pound_format(built: Built) -> None:
    sheet = openpyxl.load_workbook(built.scrutiny.xlsx)["Finance"]
    column = {header: i for i, header in enumerate(headers_of(sheet))}
    row = next(r for r in sheet.iter_rows(min_row=2) if str(r[0].value).startswith("P001"))
    budget = row[column["Gross budget (£)"]]
    assert budget.value == 1000.25 and budget.data_type == "n"
    assert budget.number_format == '"£"#,##0.00'
    variance = row[column["Variance (£)"]]
    assert variance.value == pytest.approx(499.75)
    assert row[column["Variance (%)"]].number_format == "0%"
    savings_sheet = openpyxl.load_workbook(built.scrutiny.xlsx)["Savings"]
    savings = {h: i for i, h in enumerate(headers_of(savings_sheet))}
    p001 = next(r for r in savings_sheet.iter_rows(min_row=2) if str(r[0].value).startswith("P001"))
    assert p001[savings["Cashable savings this year (£)"]].value == 1234.5
    budgets = openpyxl.load_workbook(built.cgb.xlsx)["Budgets"]
    assert budgets["B2"].value == 1000.25 and budgets["B2"].number_format.startswith('"£"')


def test_totals_row_holds_numbers_equal_to_the_sum_of_the_rows(built: Built) -> None:
    sheet = openpyxl.load_workbook(built.scrutiny.xlsx)["Finance"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    total = rows[-1]
    assert total[0] == "Total"
    for column in (1, 2, 3, 4):
        assert total[column] == sum(r[column] for r in rows[:-1]
                                    if isinstance(r[column], int | float))


def test_user_text_starting_with_equals_stays_text(built: Built) -> None:
    evidence = openpyxl.load_workbook(built.scrutiny.xlsx)["Principle evidence"]
    cell = next(c for c in evidence["E"] if c.value == FORMULA_TEXT)
    assert cell.data_type == "s" and cell.quotePrefix
    budgets = openpyxl.load_workbook(built.cgb.xlsx)["Budgets"]
    commentary = budgets.cell(2, headers_of(budgets).index("Explanation") + 1)
    assert commentary.value == "=1+1" and commentary.data_type == "s"


def test_cgb_annex_has_the_update_tables_with_exceptions_first(built: Built) -> None:
    names = openpyxl.load_workbook(built.cgb.xlsx).sheetnames
    assert names[:3] == ["About", "Exceptions", "Performance"]
    assert {"Risks", "Budgets", "No return"} <= set(names)


def test_write_annex_colours_every_rating_column_and_keeps_the_word(tmp_path: Path) -> None:
    table = Table("Ratings", "Ratings", ["Partnership", "P1", "P2"],
                  [["A", "Green: Fully met", "Red: Not met"]], rag=(1, 2))
    path = write_annex(tmp_path / "annex.xlsx", [table], about=[("Paper", "Test")])
    sheet = openpyxl.load_workbook(path)["Ratings"]
    assert sheet["B2"].value == "Green: Fully met"
    assert sheet["B2"].fill.start_color.rgb.endswith(RAG_FILLS["Green"][0])
    assert sheet["C2"].fill.start_color.rgb.endswith(RAG_FILLS["Red"][0])


def test_empty_table_gets_a_no_returns_yet_row(tmp_path: Path) -> None:
    table = Table("Risks", "Risks", ["Partnership", "Score"], [])
    path = write_annex(tmp_path / "annex.xlsx", [table], about=[])
    rows = list(openpyxl.load_workbook(path)["Risks"].iter_rows(values_only=True))
    assert rows == [("Partnership", "Score"), ("No returns yet", None)]


def test_a_budget_chart_of_many_partnerships_shows_the_largest_and_says_so():
    from dataclasses import replace

    from generator.forms.template_check import SAMPLE
    from generator.office import word as paper
    from generator.papers.committee.latest import Money
    from generator.papers.committee.layout import MOST_BARS, add_budget_chart

    doc = paper.open_paper(None)
    shown = [Money(replace(SAMPLE, id=f"P{n:03d}", name=f"Partnership {n}"), None,
                   n * 1000.0, n * 1100.0) for n in range(1, 31)]

    add_budget_chart(doc, shown, "Budget against forecast")

    descr = doc.inline_shapes[0]._inline.docPr.get("descr")
    assert f"the {MOST_BARS} largest budgets" in descr
    assert "P030 Partnership 30" in descr and "P010 Partnership 10" not in descr
