"""The summary of returned forms: a Word document and an Excel workbook."""

from __future__ import annotations

import openpyxl
from docx import Document

from generator.forms.read import read_form
from generator.papers.summary import SummaryRow, write_summary

from support import complete_answers, definition_for, fill


def summary_rows(workspace, explore_forms):
    rows = []
    for form in explore_forms:
        answers = complete_answers(workspace, "explore", form.partnership_id)
        answers["p1_assessment"] = "no"
        answers["recommendation"] = "refer_cgb"
        reading = read_form(fill(workspace, form, answers))
        rows.append(SummaryRow(form.partnership_id, form.partnership_name, reading.answers,
                               "Accepted"))
    return rows


def test_the_workbook_has_a_row_per_partnership_and_a_column_per_principle(workspace,
                                                                           explore_forms):
    definition = definition_for(workspace, "explore")
    rows = summary_rows(workspace, explore_forms)

    _, xlsx = write_summary(definition, rows, workspace.path("reports"),
                            council=workspace.council, cycle="2026/27")

    sheet = openpyxl.load_workbook(xlsx)["Summary"]
    headers = [c.value for c in sheet[1]]
    principle_headers = [h for h in headers if h.startswith("Principle ")]
    assert len(principle_headers) == 8
    assert "Recommendation" in headers
    assert sheet.max_row == 1 + len(explore_forms)
    p1 = headers.index(principle_headers[0])
    recommendation = headers.index("Recommendation")
    assert [r[p1].value for r in sheet.iter_rows(min_row=2)] == ["Red: No"] * 3
    assert [r[recommendation].value for r in sheet.iter_rows(min_row=2)] == [
        "Refer to the Corporate Governance Board"] * 3


def test_the_word_summary_has_the_principles_matrix_with_words_beside_colour(workspace,
                                                                             explore_forms):
    definition = definition_for(workspace, "explore")
    rows = summary_rows(workspace, explore_forms)

    docx_path, _ = write_summary(definition, rows, workspace.path("reports"),
                                 council=workspace.council, cycle="2026/27")

    matrix = Document(str(docx_path)).tables[0]
    assert [c.text for c in matrix.rows[0].cells] == ["ID", "Partnership"] + [
        f"P{n}" for n in range(1, 9)]
    assert [row.cells[2].text for row in matrix.rows[1:]] == ["Red: No"] * 3
    assert sorted(row.cells[0].text for row in matrix.rows[1:]) == ["P007", "P008", "P009"]


def test_a_summary_of_no_returns_says_so(workspace):
    definition = definition_for(workspace, "explore")

    docx_path, _ = write_summary(definition, [], workspace.path("reports"),
                                 council=workspace.council, cycle="2026/27")

    text = "\n".join(p.text for p in Document(str(docx_path)).paragraphs)
    assert "No returns have been read yet." in text
