"""Tests for the monitoring update to the Corporate Governance Board (compile_cgb).

Built through the real path (issue, fill, collect) with two quarters of monitoring returns:
Q2 2026/27 from all five delivering partnerships, then Q3 2026/27 from P001 (an indicator
turned Red, one that fell from Green to Amber, a 20% overspend and a risk risen to 20, above
the escalation score), P002 (an indicator worked out Red and rated Green by its Business
Manager, with a reason) and P005 (a new high risk); P003 left outstanding and P004 rejected,
so their figures are those of Q2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest

from generator.council_year import long_date
from generator.demo import example_answers
from generator.errors import LibreOfficeMissing
from generator.forms.issue import issue_forms
from generator.office.accessibility import check_paper
from generator.papers.committee import PaperResult, compile_cgb
from generator.papers.committee.figures import gather_cgb
from generator.register import read_register
from generator.workspace import Workspace, init_workspace

import support
from conftest import TODAY

DELIVERING = ["P001", "P002", "P003", "P004", "P005"]
DOCPR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"


def kpi(name: str, actual: str, *, unit: str = "percentage", polarity: str = "higher",
        target: str = "90%", tolerance: str = "5%", **more: str) -> dict[str, str]:
    return {"name": name, "unit": unit, "polarity": polarity, "target": target,
            "tolerance": tolerance, "actual": actual, "commentary": "Noted", **more}


def risk(description: str, residual: tuple[int, int],
         inherent: tuple[int, int] = (4, 5)) -> dict[str, str]:
    return {"description": description, "inherent_likelihood": str(inherent[0]),
            "inherent_impact": str(inherent[1]), "likelihood": str(residual[0]),
            "impact": str(residual[1]), "mitigation": "Weekly review",
            "owner": "Business Manager"}


def answers(ws: Workspace, pid: str, **overrides: Any) -> dict[str, Any]:
    definition = support.definition_for(ws, "monitoring")
    partnership = read_register(ws.path("register"), ws.framework()).get(pid)
    filled = example_answers(definition, partnership, seed=3, today=TODAY)
    filled.update(overrides)
    return filled


def quiet(ws: Workspace, pid: str, **overrides: Any) -> dict[str, Any]:
    """A return with nothing to report: indicators on target, a low risk, on budget."""
    values: dict[str, Any] = {"kpis": [kpi("Cases closed", "95%"), kpi("Satisfaction", "92%")],
                              "risks": [risk("Loss of key staff", (1, 2), (2, 2))],
                              "budget": 50000, "forecast": 48000, "budget_commentary": None}
    values.update(overrides)
    return answers(ws, pid, **values)


def p001_kpis(satisfaction: str, cost: str) -> list[dict[str, str]]:
    return [kpi("Customer satisfaction", satisfaction),
            kpi("Cost per case", cost, unit="pounds", polarity="lower", target="£120",
                tolerance="£10"),
            kpi("Calls answered", "85%", target="80%")]


@dataclass
class Built:
    ws: Workspace
    result: PaperResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    ws = init_workspace(tmp_path_factory.mktemp("cgb") / "ws", today=TODAY)
    ws.config["cycle"]["period"] = "Q2 2026/27"
    q2 = {pid: quiet(ws, pid) for pid in DELIVERING}
    q2["P001"] = quiet(ws, "P001", kpis=p001_kpis("92%", "£125"),
                       risks=[risk("Partner withdraws", (2, 5)),
                              risk("Loss of key staff", (2, 2))],
                       budget=100000, forecast=104000)
    outcomes = support.take_in(ws, issue_forms(ws, "monitoring", today=TODAY).written, q2)
    assert set(outcomes) <= {"accepted", "warnings"}

    ws.config["cycle"]["period"] = "Q3 2026/27"
    q3 = {
        "P001": quiet(ws, "P001", kpis=p001_kpis("88%", "£140"),
                      risks=[risk("Partner withdraws", (4, 5)),
                             risk("Loss of key staff", (2, 2))],
                      budget=100000, forecast=120000,
                      budget_commentary="=SUM(A1:A9) agency staff cover"),
        "P002": quiet(ws, "P002", kpis=[
            kpi("Cases closed", "80%", rag="green",
                rag_reason="The backlog was cleared in the first week of January"),
            kpi("Satisfaction", "92%")]),
        "P004": quiet(ws, "P004"),
        "P005": quiet(ws, "P005", risks=[risk("Vehicle breakdowns", (3, 4))],
                      budget=30000.5, forecast=30000),
    }
    q3["P004"]["budget"] = None  # a required answer cleared (it starts as the register's): rejected
    outcomes = support.take_in(ws, issue_forms(ws, "monitoring", today=TODAY).written, q3)
    assert sorted(outcomes) == ["accepted", "accepted", "accepted", "rejected"]
    return Built(ws, compile_cgb(ws, today=TODAY))


def headings(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs
            if p.style.name.startswith("Heading")]


def pictures(path: Path) -> dict[str, str]:
    """Each picture's title and its alt text."""
    return {e.get("title"): e.get("descr")
            for e in docx.Document(str(path)).element.body.iter(DOCPR)}


def all_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = (c.text for t in document.tables for r in t.rows for c in r.cells)
    return "\n".join([p.text for p in document.paragraphs] + list(cells))


def test_update_is_named_after_the_quarter_of_the_council_year(built: Built) -> None:
    assert built.result.docx.name == "cgb-update-Q3-2026-27.docx"
    assert built.result.xlsx.name == "cgb-update-Q3-2026-27.xlsx"


def test_the_period_covered_is_the_quarter_explained_and_a_forecast(built: Built) -> None:
    front_sheet = dict((row[0], row[1]) for row in support.tables(built.result.docx)[0])

    assert front_sheet["Period covered"] == (
        "Q3 2026/27 (October to December 2026); figures: position at Q3 2026/27 (forecast)")


def test_exceptions_come_before_performance_risks_and_budgets(built: Built) -> None:
    found = headings(built.result.docx)
    order = ["Exceptions", "Performance", "Risks", "Budgets",
             "Partnerships with no return for Q3 2026/27"]
    assert [found.index(h) for h in order] == sorted(found.index(h) for h in order)
    after_front_sheet = support.tables(built.result.docx)[1]
    assert after_front_sheet[0] == ["Partnership", "Exception", "What was reported",
                                    "Commentary", "Position at"]


def test_exceptions_list_escalated_risks_red_fallen_overspend_and_high_risks_in_order(
        built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Partnership", "Exception")[1:]

    assert [(row[0].split()[0], row[1]) for row in rows] == [
        ("P001", "Escalated risk"), ("P001", "Red KPI"), ("P001", "KPI rating fell"),
        ("P001", "Overspend"), ("P005", "High risk")]


def test_an_exception_says_what_was_reported_and_the_period_it_is_from(built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Partnership", "Exception")[1:]
    escalated, red, fell, overspend, high = rows

    assert escalated[2] == "P001-R1 Partner withdraws: residual 4 × 5 = 20 (Very high); rising ↑"
    assert red[2] == ("P001-K2 Cost per case: Red, actual £140 against a target of £120 (lower is "
                      "better)")
    assert "it was Green at Q2 2026/27" in fell[2] and "worse ↓" in fell[2]
    assert overspend[2] == ("Forecast outturn £120,000: £20,000 (20.0%) over the budget of "
                            "£100,000")
    assert high[2].startswith("P005-R1 Vehicle breakdowns: residual 3 × 4 = 12 (High)")
    assert {row[4] for row in rows} == {"Q3 2026/27 (forecast)"}


def test_the_rag_of_an_indicator_is_worked_out_from_actual_target_and_tolerance(
        built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Ref", "Indicator", "Target")[1:]
    p001 = {row[1]: row[4] for row in rows if row[0].startswith("P001")}

    assert p001 == {"Customer satisfaction": "Amber", "Cost per case": "Red",
                    "Calls answered": "Green"}


def test_a_rag_given_by_the_business_manager_is_shown_as_an_override(built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Ref", "Indicator", "Target")[1:]
    cases = next(row for row in rows if row[0] == "P002-K1")

    assert cases[4] == "Green (override; worked out as Red)"


def test_the_trend_of_an_indicator_is_in_words_and_arrows(built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Ref", "Indicator", "Target")[1:]
    trends = {row[0]: row[5] for row in rows}

    assert trends["P001-K1"] == "worse ↓ (92% at Q2 2026/27)"
    assert trends["P001-K3"] == "same → (85% at Q2 2026/27)"


def test_a_partnership_without_a_return_this_quarter_shows_its_last_figures_and_when(
        built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "KPIs", "Green")
    positions = {row[0].split()[0]: row[-1] for row in table[1:-1]}

    assert positions == {"P001": "Q3 2026/27 (forecast)", "P002": "Q3 2026/27 (forecast)",
                         "P003": "Q2 2026/27 (forecast)", "P004": "Q2 2026/27 (forecast)",
                         "P005": "Q3 2026/27 (forecast)"}


def test_risks_at_or_above_the_escalation_score_are_listed_first(built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Risk id", "Risk", "Residual score")[1:]

    assert [(row[0], row[5]) for row in rows][:2] == [("P001-R1", "Escalated"),
                                                       ("P005-R1", "No")]
    assert rows[0][2:5] == ["4 × 5 = 20 (Very high)", "10 (High) at Q2 2026/27", "rising ↑"]


def test_the_heat_map_is_a_chart_with_alt_text_naming_each_risk(built: Built) -> None:
    alt = pictures(built.result.docx)["Residual risk scores as at Q3 2026/27"]

    assert "P001-R1 (Partner withdraws) at likelihood 4 and impact 5, 20 very high" in alt
    assert "The table that follows gives the same data" in alt


def test_the_heat_map_table_places_each_risk_id_in_its_cell(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Likelihood (after mitigation)")
    row_4 = next(row for row in table if row[0] == "4 Likely")

    assert table[0][5] == "Impact 5 Severe"
    assert row_4[5] == "20 Very high: P001-R1"


def test_budgets_show_gross_budget_and_the_councils_contribution_side_by_side(
        built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Gross budget (£)")

    assert table[0] == ["Partnership", "Gross budget (£)", "Council contribution (£)",
                        "Forecast outturn (£)", "Variance (£)", "Variance (%)",
                        "Movement since last forecast (£)", "Position at"]


def test_budgets_show_variance_in_pounds_and_percent_and_the_movement(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Gross budget (£)")
    p001 = next(row for row in table if row[0].startswith("P001"))

    assert (support.pounds(p001[4]), p001[5], support.pounds(p001[6])) == (20000, "20%", 16000)


def test_budget_totals_equal_the_sum_of_the_partnerships(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Gross budget (£)")
    rows, total = table[1:-1], table[-1]

    assert [row[0].split()[0] for row in rows] == DELIVERING
    assert total[0] == "Total"
    assert support.pounds(total[1]) == 100000 + 50000 * 3 + 30000.5
    assert support.pounds(total[3]) == 120000 + 48000 * 3 + 30000
    assert support.pounds(total[4]) == sum(support.pounds(row[4]) for row in rows)


def test_performance_counts_indicators_by_rag_override_and_decline(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "KPIs", "Green")
    p001 = next(row for row in table if row[0].startswith("P001"))
    p002 = next(row for row in table if row[0].startswith("P002"))

    assert p001[1:8] == ["3", "1", "1", "1", "0", "0", "2"]
    assert p002[1:7] == ["2", "2", "0", "0", "0", "1"]
    assert table[-1][1] == str(3 + 2 * 4)


def test_partnerships_with_no_return_for_the_period_are_named(built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Partnership", "Status", "Detail")[1:]
    assert [(row[0].split()[0], row[1]) for row in rows] == [("P003", "Outstanding"),
                                                             ("P004", "Rejected")]
    paragraphs = [p.text for p in docx.Document(str(built.result.docx)).paragraphs]
    assert any(t.startswith("P003 Environmental Health Out-of-Hours Cover: Q3 2026/27 return "
                            "outstanding") for t in paragraphs)
    assert any("P004 Legal Services Partnership (rejected)" in n for n in built.result.notes)


def test_the_note_of_what_to_check_is_beside_the_paper_and_not_in_it(built: Built) -> None:
    note = built.result.checks_file

    assert note is not None and note.parent == built.result.docx.parent
    assert note.name == "cgb-update-Q3-2026-27 - to check before publishing.txt"
    assert "to check before publishing" not in all_text(built.result.docx)


def test_cgb_paper_passes_the_accessibility_check(built: Built) -> None:
    assert check_paper(built.result.docx) == []


def test_missing_libreoffice_is_a_note_not_an_error(built: Built,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*_args: object, **_kwargs: object) -> Path:
        raise LibreOfficeMissing("LibreOffice is not installed, so no PDF was made")

    monkeypatch.setattr("generator.papers.committee.layout.convert", missing)
    result = compile_cgb(built.ws, pdf=True, today=TODAY)
    assert result.pdf is None
    assert "LibreOffice is not installed, so no PDF was made" in result.notes
    assert result.docx.exists()


@pytest.mark.libreoffice
def test_pdf_option_converts_the_paper_with_libreoffice(built: Built) -> None:
    result = compile_cgb(built.ws, pdf=True, today=TODAY)
    assert result.pdf is not None and result.pdf.suffix == ".pdf"
    assert result.pdf.stem == result.docx.stem
    assert result.pdf.read_bytes().startswith(b"%PDF")


def test_cgb_with_no_returns_says_so_and_names_every_partnership(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws", today=TODAY)
    issue_forms(ws, "monitoring", today=TODAY)
    result = compile_cgb(ws, today=TODAY)
    assert check_paper(result.docx) == []
    exceptions = support.table_starting(result.docx, "Partnership", "Exception")
    assert exceptions[1][0] == "No returns yet"
    missing = support.table_starting(result.docx, "Partnership", "Status", "Detail")
    assert [row[0].split()[0] for row in missing[1:]] == DELIVERING
    assert all(len(table) >= 2 for table in support.tables(result.docx))


def test_each_partnership_is_given_the_state_of_its_return_in_words(built: Built) -> None:
    data = gather_cgb(built.ws, today=TODAY)
    states = {e.partnership.id: (e.state, e.state_text) for e in data.entries}
    received = long_date(dt.date.today())

    assert states["P002"] == ("accepted", f"Return accepted ({received})")
    assert states["P003"] == ("outstanding",
                              "Q3 2026/27 return outstanding: due on 23 December 2026")
    assert states["P004"] == ("rejected",
                              f"Q3 2026/27 return rejected: the form returned on {received} had 1 "
                              "problem to fix, and no corrected form has been accepted")


def test_a_period_with_no_forms_issued_names_each_partnership_not_issued(built: Built) -> None:
    data = gather_cgb(built.ws, period="Q4 2026/27", today=TODAY)

    assert {(e.state, e.state_text) for e in data.entries} == {
        ("not issued", "No monitoring form was issued for Q4 2026/27")}
    assert [e.partnership.id for e in data.entries] == DELIVERING


def test_the_notes_name_the_partnerships_with_no_return_and_the_parts_to_complete(
        built: Built) -> None:
    assert built.result.notes == [
        "2 partnerships with no accepted return for Q3 2026/27: P003 Environmental Health "
        "Out-of-Hours Cover (outstanding); P004 Legal Services Partnership (rejected)",
        "8 parts of the paper still to be completed by the report author: Meeting date; "
        "Cabinet member; Recommendations; Financial implications; Legal implications; Risk "
        "implications; Equalities implications; Environmental implications (edit "
        "texts/cgb.txt and compile again, or complete them in Word)"]
