"""Tests for the monitoring update to the Corporate Governance Board (compile_cgb).

Built through the real path (issue, fill, collect) with two periods of monitoring returns:
2026-Q3 from all five delivering partnerships, then 2026-Q4 from P001 (a red indicator, an
indicator that fell from Green to Amber, an overspend and a very high risk), P002 (nothing to
report) and P005 (one high risk); P003 left outstanding and P004 rejected.
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


def kpi(name: str, rag: str) -> dict[str, str]:
    return {"name": name, "target": "90%", "actual": "88%", "rag": rag, "commentary": "Noted"}


def risk(description: str, likelihood: int, impact: int) -> dict[str, str]:
    return {"description": description, "likelihood": str(likelihood), "impact": str(impact),
            "mitigation": "Weekly review", "owner": "Business Manager"}


def answers(ws: Workspace, pid: str, period: str, *, kpis: list, risks: list, budget: float,
            forecast: float, **overrides: Any) -> dict[str, Any]:
    definition = support.definition_for(ws, "monitoring")
    partnership = read_register(ws.path("register"), ws.framework()).get(pid)
    filled = example_answers(definition, partnership, seed=3, today=TODAY)
    filled.update(period=period, kpis=kpis, risks=risks, budget=budget, forecast=forecast,
                  **overrides)
    return filled


def quiet(ws: Workspace, pid: str, period: str, **overrides: Any) -> dict[str, Any]:
    """A return with nothing to report: green indicators, low risks, on budget."""
    values: dict[str, Any] = {"kpis": [kpi("Cases closed", "green"), kpi("Satisfaction", "green")],
                              "risks": [risk("Loss of key staff", 1, 2)], "budget": 50000,
                              "forecast": 48000}
    values.update(overrides)
    return answers(ws, pid, period, **values)


@dataclass
class Built:
    ws: Workspace
    result: PaperResult


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    ws = init_workspace(tmp_path_factory.mktemp("cgb") / "ws", today=TODAY)
    ws.config["cycle"]["period"] = "2026-Q3"
    q3 = {pid: quiet(ws, pid, "2026-Q3") for pid in DELIVERING}
    q3["P001"] = quiet(ws, "P001", "2026-Q3", kpis=[
        kpi("Customer satisfaction", "green"), kpi("Cost per case", "amber"),
        kpi("Calls answered", "green")])
    outcomes = support.take_in(ws, issue_forms(ws, "monitoring", today=TODAY).written, q3)
    assert set(outcomes) <= {"accepted", "warnings"}

    ws.config["cycle"]["period"] = "2026-Q4"
    q4 = {
        "P001": answers(ws, "P001", "2026-Q4", kpis=[
            kpi("Customer satisfaction", "amber"), kpi("Cost per case", "red"),
            kpi("Calls answered", "green")],
            risks=[risk("Partner withdraws", 4, 5), risk("Loss of key staff", 2, 2)],
            budget=100000, forecast=120000,
            budget_commentary="=SUM(A1:A9) agency staff cover"),
        "P002": quiet(ws, "P002", "2026-Q4"),
        "P004": quiet(ws, "P004", "2026-Q4"),
        "P005": quiet(ws, "P005", "2026-Q4", risks=[risk("Vehicle breakdowns", 3, 4)],
                      budget=30000.5, forecast=30000),
    }
    q4["P004"]["budget"] = None  # a required answer cleared (it starts as the register's): rejected
    outcomes = support.take_in(ws, issue_forms(ws, "monitoring", today=TODAY).written, q4)
    assert sorted(outcomes) == ["accepted", "accepted", "accepted", "rejected"]
    return Built(ws, compile_cgb(ws, today=TODAY))


def headings(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs
            if p.style.name.startswith("Heading")]


def test_update_is_named_after_the_period(built: Built) -> None:
    assert built.result.docx.name == "cgb-update-2026-Q4.docx"
    assert built.result.xlsx.name == "cgb-update-2026-Q4.xlsx"


def test_exceptions_come_before_performance_risks_and_budgets(built: Built) -> None:
    found = headings(built.result.docx)
    order = ["Exceptions", "Performance", "Risks", "Budgets",
             "Partnerships with no return for 2026-Q4"]
    assert [found.index(h) for h in order] == sorted(found.index(h) for h in order)
    after_front_sheet = support.tables(built.result.docx)[1]
    assert after_front_sheet[0] == ["Partnership", "Exception", "What was reported",
                                    "Commentary"]


def test_exceptions_list_red_declined_overspend_and_high_risks_in_that_order(
        built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Partnership", "Exception")[1:]
    assert [(row[0].split()[0], row[1]) for row in rows] == [
        ("P001", "Red KPI"), ("P001", "KPI declined"), ("P001", "Budget overspend"),
        ("P001", "High risk"), ("P005", "High risk")]
    red, declined, overspend, very_high, high = (row[2] for row in rows)
    assert red.startswith("Cost per case: Red") and "it was Amber in 2026-Q3" in red
    assert declined.startswith("Customer satisfaction: Amber")
    assert "it was Green in 2026-Q3" in declined
    assert overspend == ("Forecast outturn £120,000 against a budget of £100,000: £20,000 over "
                         "(20% of the budget)")
    assert very_high == "Partner withdraws: likelihood 4 × impact 5 = 20 (very high)"
    assert high == "Vehicle breakdowns: likelihood 3 × impact 4 = 12 (high)"


def test_partnerships_with_no_return_for_the_period_are_named(built: Built) -> None:
    rows = support.table_starting(built.result.docx, "Partnership", "Status", "Detail")[1:]
    assert [(row[0].split()[0], row[1]) for row in rows] == [("P003", "Outstanding"),
                                                             ("P004", "Rejected")]
    paragraphs = [p.text for p in docx.Document(str(built.result.docx)).paragraphs]
    assert any(t.startswith("P003 Environmental Health Out-of-Hours Cover: 2026-Q4 return "
                            "outstanding") for t in paragraphs)
    assert any("P004 Legal Services Partnership (rejected)" in n for n in built.result.notes)


def test_budget_totals_equal_the_sum_of_the_returns(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Budget (£)")
    rows, total = table[1:-1], table[-1]
    assert [row[0].split()[0] for row in rows] == ["P001", "P002", "P005"]
    assert total[0] == "Total"
    assert support.pounds(total[1]) == 100000 + 50000 + 30000.5
    assert support.pounds(total[2]) == 120000 + 48000 + 30000
    assert support.pounds(total[3]) == sum(support.pounds(row[3]) for row in rows) == (
        20000 - 2000 - 0.5)


def test_performance_counts_indicators_by_rag_and_decline(built: Built) -> None:
    table = support.table_starting(built.result.docx, "Partnership", "Indicators", "Green")
    p001 = next(row for row in table if row[0].startswith("P001"))
    assert p001[1:] == ["3", "1", "1", "1", "0", "2"]
    assert table[-1][1] == str(3 + 2 + 2)


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
                              "2026-Q4 return outstanding: due on 23 December 2026")
    assert states["P004"] == ("rejected",
                              f"2026-Q4 return rejected: the form returned on {received} had 1 "
                              "problem to fix, and no corrected form has been accepted")


def test_a_period_with_no_forms_issued_names_each_partnership_not_issued(built: Built) -> None:
    data = gather_cgb(built.ws, period="2027-Q1", today=TODAY)

    assert {(e.state, e.state_text) for e in data.entries} == {
        ("not issued", "No monitoring form was issued for 2027-Q1")}
    assert [e.partnership.id for e in data.entries] == DELIVERING


def test_the_notes_name_the_partnerships_with_no_return_and_the_parts_to_complete(
        built: Built) -> None:
    assert built.result.notes == [
        "2 partnerships with no accepted return for 2026-Q4: P003 Environmental Health "
        "Out-of-Hours Cover (outstanding); P004 Legal Services Partnership (rejected)",
        "8 parts of the paper still to be completed by the report author: Meeting date; "
        "Cabinet member; Recommendations; Financial implications; Legal implications; Risk "
        "implications; Equalities implications; Environmental implications (edit "
        "texts/cgb.txt and compile again, or complete them in Word)"]
