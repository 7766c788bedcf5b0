"""Tests for the annual report to the Scrutiny Committee (`compile_scrutiny`).

The store is filled through the real path: issue the forms, fill them as a Business Manager
would, collect them. One workspace holds two cycles of reviews:

- 2025/26: reviews accepted for P001 (all Partly met, Amber), P002, P003 (P8 not applicable)
  and P005;
- 2026/27: P001 accepted (all Fully met, Green: improved), P002 left outstanding, P003
  accepted (P1 Not met: declined; P8 Fully met: new), P004 rejected, P005 not issued (only
  its 2025/26 review exists). Monitoring returns for all five for Q2 2026/27, before the
  reviews were completed (Q3 2026/27): P001's and P003's figures come from their reviews, the
  others' from their Q2 monitoring returns, and each figure says so.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.demo import example_answers
from generator.forms.issue import issue_forms
from generator.office.accessibility import check_paper
from generator.papers.committee import PaperResult, compile_scrutiny
from generator.register import read_register
from generator.workspace import Workspace, init_workspace

import support
from conftest import TODAY

DELIVERING = ["P001", "P002", "P003", "P004", "P005"]
BUDGETS = {"P001": (100000, 110000), "P002": (50000, 45000), "P003": (20000, 20000),
           "P004": (80000, 90000.5), "P005": (30000, 29000)}


def review_answers(ws: Workspace, pid: str, ratings: list[str], overall: str,
                   **overrides: Any) -> dict[str, Any]:
    definition = support.definition_for(ws, "review")
    partnership = read_register(ws.path("register"), ws.framework()).get(pid)
    answers = example_answers(definition, partnership, seed=7, today=TODAY)
    for number, value in enumerate(ratings, start=1):
        answers[f"p{number}_rating"] = value
    answers["overall_rating"] = overall
    answers.update(overrides)
    return answers


def monitoring_answers(ws: Workspace, pid: str) -> dict[str, Any]:
    definition = support.definition_for(ws, "monitoring")
    partnership = read_register(ws.path("register"), ws.framework()).get(pid)
    answers = example_answers(definition, partnership, seed=7, today=TODAY)
    answers["budget"], answers["forecast"] = BUDGETS[pid]
    return answers


def kpi(name: str, actual: str) -> dict[str, str]:
    """An indicator with a target of 90% and an amber tolerance of 5 points: Green at 90% or
    more, Amber from 85%, Red below."""
    return {"name": name, "unit": "percentage", "polarity": "higher", "target": "90%",
            "tolerance": "5%", "actual": actual, "commentary": "On track"}


def risk(description: str, likelihood: int, impact: int) -> dict[str, str]:
    return {"description": description, "inherent_likelihood": "5", "inherent_impact": "5",
            "likelihood": str(likelihood), "impact": str(impact),
            "mitigation": "Monthly checks", "owner": "Head of Shared Service"}


@dataclass
class Built:
    ws: Workspace
    result: PaperResult
    reviews: dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    ws = init_workspace(tmp_path_factory.mktemp("scrutiny") / "ws", today=TODAY)

    ws.config["cycle"]["current"] = "2025/26"
    last_year = {"completed_on": "2026-03-20"}  # Q4 2025/26
    previous = {
        "P001": review_answers(ws, "P001", ["partly_met"] * 8, "amber", **last_year),
        "P002": review_answers(ws, "P002", ["fully_met"] * 8, "green", **last_year),
        "P003": review_answers(ws, "P003", ["fully_met"] * 7 + ["not_applicable"], "green",
                               **last_year),
        "P005": review_answers(ws, "P005", ["fully_met"] * 8, "green", **last_year),
    }
    outcomes = support.take_in(ws, issue_forms(ws, "review", today=TODAY).written, previous)
    assert set(outcomes) <= {"accepted", "warnings"}

    ws.config["cycle"]["current"] = "2026/27"
    forms = [f for pid in ("P001", "P002", "P003", "P004")
             for f in issue_forms(ws, "review", partnership_id=pid, today=TODAY).written]
    current = {
        "P001": review_answers(
            ws, "P001", ["fully_met"] * 8, "green", cashable_savings=10000,
            kpis=[kpi("Applications on time", "93%"), kpi("Satisfaction", "90%"),
                  kpi("Cost per case", "70%")],
            risks=[risk("Key supplier fails", 5, 4), risk("Loss of key staff", 2, 2)]),
        "P003": review_answers(
            ws, "P003", ["not_met"] + ["fully_met"] * 7, "green", cashable_savings=2500.5,
            kpis=[kpi("Call-outs answered", "95%"), kpi("Reports on time", "87%")],
            risks=[risk("Out-of-hours cover gaps", 3, 3)]),
        "P004": review_answers(ws, "P004", ["fully_met"] * 8, "green"),
    }
    del current["P004"]["overall_rating"]  # a required answer left empty: rejected
    outcomes = support.take_in(ws, forms, current)
    assert sorted(outcomes) == ["accepted", "accepted", "rejected"]
    ws.config["cycle"]["period"] = "Q2 2026/27"
    monitoring = issue_forms(ws, "monitoring", today=TODAY).written
    outcomes = support.take_in(ws, monitoring,
                               {pid: monitoring_answers(ws, pid) for pid in DELIVERING})
    assert set(outcomes) <= {"accepted", "warnings"}
    ws.config["cycle"]["period"] = "Q3 2026/27"
    result = compile_scrutiny(ws, today=TODAY)
    return Built(ws, result, current)


# --------------------------------------------------------------------------- helpers


def rows_by_partnership(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0].split()[0]: row for row in table[1:]}


def text_of(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def headings(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs
            if p.style.name.startswith("Heading") or p.style.name == "Title"]


# --------------------------------------------------------------------------- the paper


def test_paper_and_annex_are_written_into_reports_with_cycle_names(built: Built) -> None:
    assert built.result.docx == built.ws.path("reports") / "scrutiny-report-2026-27.docx"
    assert built.result.xlsx == built.ws.path("reports") / "scrutiny-report-2026-27.xlsx"
    assert built.result.docx.exists() and built.result.xlsx.exists()
    assert built.result.pdf is None


def test_summary_table_lists_every_in_scope_partnership_and_no_out_of_scope_one(
        built: Built) -> None:
    summary = support.table_starting(built.result.docx, "Partnership", "Type", "Partners", "Host")
    listed = [row[0].split()[0] for row in summary[1:]]
    register = read_register(built.ws.path("register"), built.ws.framework())
    assert listed == [p.id for p in register.in_scope]
    assert "P010" not in listed
    assert "Community Grants Programme" not in text_of(built.result.docx)


def test_summary_table_states_each_gap_in_words_instead_of_a_rating(built: Built) -> None:
    rows = rows_by_partnership(support.table_starting(built.result.docx, "Partnership", "Type"))
    assert rows["P001"][5] == "Green (improved ↑)"
    assert rows["P002"][5] == "Not rated: no current review"
    assert "2026/27 review outstanding" in rows["P002"][7]
    assert "latest accepted review is from 2025/26" in rows["P002"][7]
    assert "2026/27 review rejected" in rows["P004"][7]
    assert "latest accepted review is from 2025/26 and is not current" in rows["P005"][7]
    assert rows["P006"][7].startswith("In the Design phase")


def test_gaps_section_names_outstanding_rejected_and_earlier_cycle_reviews(built: Built) -> None:
    text = text_of(built.result.docx)
    gaps = text[text.index("Gaps in this report"):text.index("Assessment against")]
    assert "P002 Revenues and Benefits Partnership: 2026/27 review outstanding" in gaps
    assert "P004 Legal Services Partnership: 2026/27 review rejected" in gaps
    assert "P005 Trade Waste Collection Service: No 2026/27 review was issued" in gaps
    gap_rows = rows_by_partnership(support.table_starting(built.result.docx, "Partnership", "Phase",
                                                  "Gap"))
    assert {pid: row[2] for pid, row in gap_rows.items()} == {
        "P002": "Outstanding", "P004": "Rejected", "P005": "Earlier cycle only"}
    assert any("P004 Legal Services Partnership (rejected)" in n for n in built.result.notes)


def test_principles_matrix_shows_only_current_reviews_with_words_and_colours(
        built: Built) -> None:
    matrix = support.table_starting(built.result.docx, "Partnership", "P1", "P2")
    assert [row[0].split()[0] for row in matrix[1:]] == ["P001", "P003"]
    assert matrix[0][1:] == [f"P{n}" for n in range(1, 9)]
    document = docx.Document(str(built.result.docx))
    table = next(t for t in document.tables if t.rows[0].cells[1].text == "P1")
    cell = table.rows[1].cells[1]
    assert cell.text.startswith("Green: Fully met")
    assert cell._tc.tcPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}shd") is not None


def test_direction_of_travel_compares_with_the_previous_cycle_review(built: Built) -> None:
    rows = rows_by_partnership(support.table_starting(built.result.docx, "Partnership", "P1", "P2"))
    assert rows["P001"][1] == "Green: Fully met\nimproved ↑"  # Partly met in 2025/26
    assert rows["P003"][1] == "Red: Not met\ndeclined ↓"  # Fully met in 2025/26
    assert rows["P003"][2] == "Green: Fully met\nunchanged →"
    assert rows["P003"][8] == "Green: Fully met\nnew"  # Not applicable in 2025/26


def test_performance_counts_each_partnerships_latest_indicators(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "KPIs reported")
    rows, total = rows_by_partnership(table[:-1]), table[-1]

    assert rows["P001"][1:4] == ["3", "2", "1"]
    assert rows["P003"][1:4] == ["2", "1", "1"]
    assert total[0] == "Total"
    assert int(total[1]) == sum(int(row[1]) for row in rows.values())
    assert int(total[2]) == sum(int(row[2]) for row in rows.values())


def test_each_figure_says_which_period_it_comes_from(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "KPIs reported")
    positions = {pid: row[-1] for pid, row in rows_by_partnership(table[:-1]).items()}

    assert positions == {"P001": "Q3 2026/27 (forecast)", "P002": "Q2 2026/27 (forecast)",
                         "P003": "Q3 2026/27 (forecast)", "P004": "Q2 2026/27 (forecast)",
                         "P005": "Q2 2026/27 (forecast)"}


def test_a_report_compiled_before_year_end_says_its_figures_are_a_forecast(
        built: Built) -> None:
    title = headings(built.result.docx)[0]
    front = dict(row for row in support.table_starting(built.result.docx, "Item", "Detail")[1:])

    assert title == "Annual report on partnerships 2026/27: position at Q3 2026/27 (forecast)"
    assert front["Period covered"] == (
        "The council year 2026/27; figures: position at Q3 2026/27 (forecast)")


def test_finance_shows_budget_contribution_variance_and_its_percentage(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Gross budget (£)")
    rows, total = rows_by_partnership(table[:-1]), table[-1]

    assert table[0][:6] == ["Partnership", "Gross budget (£)", "Council contribution (£)",
                            "Forecast outturn (£)", "Variance (£)", "Variance (%)"]
    assert (support.pounds(rows["P001"][4]), rows["P001"][5]) == (10000, "10%")
    assert (support.pounds(rows["P002"][4]), rows["P002"][5]) == (-5000, "-10%")
    assert support.pounds(total[1]) == sum(b for b, _ in BUDGETS.values())
    assert support.pounds(total[3]) == sum(f for _, f in BUDGETS.values())
    assert support.pounds(total[4]) == sum(support.pounds(row[4]) for row in rows.values())


def test_savings_show_cashable_this_year_and_to_date_with_one_off_costs_apart(
        built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Baseline (£)")
    rows = rows_by_partnership(table[:-1])

    assert "One-off costs this year (£)" in table[0]
    assert support.pounds(rows["P001"][3]) == 10000
    assert support.pounds(rows["P003"][3]) == 2500.5
    assert support.pounds(rows["P001"][6]) > support.pounds(rows["P001"][3])
    assert rows["P001"][-1] == "since 2025/26"


def test_top_risks_are_ordered_escalated_first_then_by_residual_score(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Risk id", "Risk", "Residual score")
    scores = [int(row[2].split("=")[1].split()[0]) for row in table[1:]]

    assert scores == sorted(scores, reverse=True)
    assert table[1][:3] == ["P001-R1", "Key supplier fails", "5 × 4 = 20 (Very high)"]
    assert table[1][5] == "Escalated"


def test_appendices_follow_each_partnership_report_depth(built: Built) -> None:
    found = headings(built.result.docx)
    board = found.index("Appendix B: P001 Building Control Shared Service")
    assert found[board + 1:board + 6] == ["Overall rating and recommendation", "The principles",
                                          "Value for money", "Performance", "Risks"]
    summary = found.index("Appendix D: P003 Environmental Health Out-of-Hours Cover")
    assert found[summary + 1] == "Executive summary"
    assert "Appendix F: P005 Trade Waste Collection Service" in found
    text = text_of(built.result.docx)
    assert "No accepted 2026/27 review: 2026/27 review rejected" in text


def test_sections_of_the_committee_paper_are_in_order(built: Built) -> None:
    found = headings(built.result.docx)
    order = ["Annual report on partnerships 2026/27: position at Q3 2026/27 (forecast)",
             "Purpose of the report", "Recommendations", "Reasons for the recommendations",
             "Executive summary", "Background", "Summary of partnerships", "Gaps in this report",
             "Assessment against the eight principles", "Performance",
             "Finance and value for money", "Savings against the business case", "Top risks",
             "Options considered", "Consultation",
             "Implications", "Appendices", "Background papers"]
    assert [found.index(h) for h in order] == sorted(found.index(h) for h in order)
    implications = found[found.index("Implications") + 1:found.index("Appendices")]
    assert implications == ["Financial implications", "Legal implications",
                            "Risk implications",
                            "Equalities implications (section 149, Equality Act 2010)",
                            "Climate and environmental implications",
                            "Human resources implications", "Data protection implications",
                            "Procurement implications"]


def test_the_front_sheet_carries_the_councils_furniture(built: Built) -> None:
    front = dict(row for row in support.table_starting(built.result.docx, "Item", "Detail")[1:])

    assert list(front) == ["Report title", "Committee", "Date of meeting", "Cabinet member",
                           "Report of", "Author and contact", "Wards affected", "Key decision",
                           "Public or exempt", "Council Strategy priority", "Period covered"]
    assert front["Cabinet member"].startswith("[To be completed by the report author: the "
                                              "Cabinet member")
    assert front["Key decision"].startswith("No: this report asks for no executive decision")
    assert front["Council Strategy priority"].startswith(
        built.ws.framework().strategy["priority_name"] + ": ")


def test_the_key_decision_line_gives_the_councils_threshold_from_the_settings(
        tmp_path: Path) -> None:
    ws = support.set_setting(init_workspace(tmp_path / "ws", today=TODAY),
                             "key_decision_threshold", "250000")

    result = compile_scrutiny(ws, today=TODAY)
    front = dict(row for row in support.table_starting(result.docx, "Item", "Detail")[1:])

    assert "spending or saving £250,000 or more" in front["Key decision"]


def test_the_notes_name_the_gaps_and_the_parts_to_complete(built: Built) -> None:
    assert built.result.notes == [
        "3 partnerships without an accepted 2026/27 review, named in 'Gaps in this report': "
        "P002 Revenues and Benefits Partnership (outstanding); P004 Legal Services Partnership "
        "(rejected); P005 Trade Waste Collection Service (earlier cycle only)",
        "9 parts of the paper still to be completed by the report author: Meeting date; "
        "Cabinet member; Recommendations; Consultation; Financial implications; Legal "
        "implications; Risk implications; Equalities implications; Environmental implications "
        "(edit texts/scrutiny.txt and compile again, or complete them in Word)"]


def test_front_sheet_shows_committee_and_placeholders_for_unwritten_parts(built: Built) -> None:
    front = dict(row for row in support.table_starting(built.result.docx, "Item", "Detail")[1:])
    assert front["Committee"] == "Scrutiny Committee"
    assert front["Date of meeting"].startswith("[To be completed by the report author: the date")
    assert front["Public or exempt"] == "No"
    assert front["Report of"] == built.ws.setting("council", "responsible_officer")
    text = text_of(built.result.docx)
    assert "Section 149 of the Equality Act 2010" in text
    assert "[To be completed by the report author: the financial implications" in text


def test_charts_have_alt_text_from_their_data(built: Built) -> None:
    document = docx.Document(str(built.result.docx))
    wp = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
    alts = [e.get("descr") for e in document.element.body.iter(wp)]
    assert len(alts) == 2
    assert alts[0].startswith("Stacked bar chart: Ratings by principle, 2026/27 for 8 principles")
    assert "P001 Building Control Shared Service: Budget £100,000, Forecast £110,000" in alts[1]


def test_scrutiny_paper_passes_the_accessibility_check(built: Built) -> None:
    assert check_paper(built.result.docx) == []


def test_overdue_review_is_named_overdue_after_its_due_date(built: Built) -> None:
    later = compile_scrutiny(built.ws, today=TODAY + dt.timedelta(days=60))
    rows = rows_by_partnership(support.table_starting(later.docx, "Partnership", "Phase", "Gap"))
    assert rows["P002"][2] == "Overdue"
    assert "(32 days overdue)" in rows["P002"][3]
    assert later.docx.name == "scrutiny-report-2026-27-2.docx"  # the first is kept
    assert built.result.docx.exists()


# --------------------------------------------------------------------------- edge cases


@pytest.fixture
def fresh(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", today=TODAY)


def test_zero_returns_gives_a_clear_paper_with_no_empty_tables(fresh: Workspace) -> None:
    result = compile_scrutiny(fresh, today=TODAY)
    assert check_paper(result.docx) == []
    for table in support.tables(result.docx):
        assert len(table) >= 2, table[0]
    matrix = support.table_starting(result.docx, "Partnership", "P1")
    assert matrix[1][0] == "No returns yet"
    rows = rows_by_partnership(support.table_starting(result.docx, "Partnership", "Type"))
    assert rows["P001"][7] == "No 2026/27 review has been issued"
    assert "No returns yet: no annual review for this cycle has been accepted" in \
        text_of(result.docx)


def test_all_reviews_outstanding_names_every_one_as_outstanding(fresh: Workspace) -> None:
    issue_forms(fresh, "review", today=TODAY)
    result = compile_scrutiny(fresh, today=TODAY)
    gaps = rows_by_partnership(support.table_starting(result.docx, "Partnership", "Phase", "Gap"))
    assert sorted(gaps) == DELIVERING
    assert {row[2] for row in gaps.values()} == {"Outstanding"}
    assert support.table_starting(result.docx, "Partnership", "P1")[1][0] == "No returns yet"
    assert check_paper(result.docx) == []


def test_one_return_gives_one_row_of_ratings_and_names_the_rest(fresh: Workspace) -> None:
    forms = issue_forms(fresh, "review", today=TODAY).written
    one = {"P003": review_answers(fresh, "P003", ["fully_met"] * 8, "green")}
    assert support.take_in(fresh, forms, one) == ["accepted"]
    result = compile_scrutiny(fresh, today=TODAY)
    matrix = support.table_starting(result.docx, "Partnership", "P1")
    assert [row[0] for row in matrix[1:]] == ["P003 Environmental Health Out-of-Hours Cover"]
    assert matrix[1][1] == "Green: Fully met\nnew"
    gaps = rows_by_partnership(support.table_starting(result.docx, "Partnership", "Phase", "Gap"))
    assert sorted(gaps) == ["P001", "P002", "P004", "P005"]
    assert check_paper(result.docx) == []


def test_officer_text_from_the_workspace_replaces_placeholders(fresh: Workspace) -> None:
    texts = fresh.path("texts") / "scrutiny.txt"
    text = texts.read_text(encoding="utf-8")
    text = text.replace("TO COMPLETE: the date of the {committee} meeting", "12 March 2027")
    text = text.replace("## Exempt\nNo", "## Exempt\nYes, paragraph 3")
    texts.write_text(text, encoding="utf-8")
    result = compile_scrutiny(fresh, today=TODAY)
    front = dict(row for row in support.table_starting(result.docx, "Item", "Detail")[1:])
    assert front["Date of meeting"] == "12 March 2027"
    assert front["Public or exempt"].startswith(
        "Yes: exempt under paragraph 3 of Part 1 of Schedule 12A")
    assert "Not for publication" in text_of(result.docx)


def test_cli_report_scrutiny_prints_the_paths_as_json(fresh: Workspace) -> None:
    run = CliRunner().invoke(main, ["-w", str(fresh.root), "report", "scrutiny", "--json"])
    assert run.exit_code == 0, run.output
    printed = json.loads(run.stdout)
    assert Path(printed["docx"]).name == "scrutiny-report-2026-27.docx"
    assert Path(printed["xlsx"]).exists() and printed["pdf"] is None


def test_paper_keeps_the_letterhead_of_the_workspace_template(fresh: Workspace) -> None:
    template = fresh.path("templates") / "committee-paper.docx"
    restyled = docx.Document(str(template))
    restyled.sections[0].header.paragraphs[0].text = "Restyled letterhead"
    restyled.save(str(template))
    result = compile_scrutiny(fresh, today=TODAY)
    paper = docx.Document(str(result.docx))
    assert paper.sections[0].header.paragraphs[0].text == "Restyled letterhead"
    assert paper.core_properties.language == "en-GB"
    assert check_paper(result.docx) == []


def test_each_appendix_starts_on_a_new_page(built: Built) -> None:
    appendices = [p for p in docx.Document(str(built.result.docx)).paragraphs
                  if p.style.name == "Heading 1" and p.text.startswith("Appendix ")]

    assert appendices
    assert all(p.paragraph_format.page_break_before for p in appendices)


def test_text_a_business_manager_typed_reaches_the_paper_and_annex_as_typed(
        tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", today=TODAY)
    definition = support.definition_for(ws, "review")
    answers = support.complete_answers(ws, "review", "P001")
    typed = [f.id for f in definition.fields.values() if f.type == "multiline"]
    for n, field_id in enumerate(typed):
        answers[field_id] = support.HOSTILE_TEXT[n % 4]  # the markup-like ones
    forms = issue_forms(ws, "review", partnership_id="P001", today=TODAY).written
    assert support.take_in(ws, forms, {"P001": answers}) == ["accepted"]

    result = compile_scrutiny(ws, today=TODAY)
    shown = text_of(result.docx)
    annex = openpyxl.load_workbook(result.xlsx)
    cells = [c for sheet in annex.worksheets for row in sheet.iter_rows() for c in row]

    assert "Fish & chips" in shown
    assert "{{ p.name }} and {% if x %}" in shown
    assert not [c for c in cells if c.data_type == "f"]


# --------------------------------------------------------------------------- reading the store


@pytest.mark.parametrize("paper", ["scrutiny", "cgb"])
def test_a_paper_reads_each_form_types_returns_from_the_store_once(
        built: Built, monkeypatch: pytest.MonkeyPatch, paper: str) -> None:
    # Read for each use, every review was held four times over at 5,000 partnerships.
    from collections import Counter

    from generator.papers.committee.figures import gather_cgb, gather_scrutiny
    from generator.store import Store

    reads: Counter[str | None] = Counter()
    read = Store.current_returns

    def counted(self: Store, **options: Any) -> Any:
        reads[options.get("form_type")] += 1
        return read(self, **options)

    monkeypatch.setattr(Store, "current_returns", counted)
    (gather_scrutiny if paper == "scrutiny" else gather_cgb)(built.ws, today=TODAY)

    assert reads and set(reads.values()) == {1}
    assert None not in reads  # never every form type at once
