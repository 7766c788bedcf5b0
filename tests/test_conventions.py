"""Council conventions measured the way a council measures them: an indicator's RAG worked out
from its figures, risks scored on the council's matrix, a variance explained past the
threshold, one figure from one source in both papers, and what the author should check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import WorkspaceError
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.framework import Framework
from generator.papers.committee import compile_cgb, compile_scrutiny
from generator.performance import indicators
from generator.returns.collect import collect
from generator.workspace import Workspace, open_workspace

import support
from conftest import TODAY


def indicator(framework: Framework, **row: Any) -> Any:
    values = {"name": "Indicator", "unit": "percentage", "polarity": "higher", "target": 90,
              "tolerance": 5, **row}
    return indicators([values], framework)[0]


# ---- indicators ------------------------------------------------------------------------


@pytest.mark.parametrize(("actual", "rag"), [(90, "Green"), (97, "Green"), (86, "Amber"),
                                             (85, "Amber"), (84.9, "Red")])
def test_the_rag_of_a_higher_is_better_indicator_follows_from_target_and_tolerance(
        framework: Framework, actual: float, rag: str) -> None:
    assert str(indicator(framework, actual=actual).rag) == rag


@pytest.mark.parametrize(("actual", "rag"), [(120, "Green"), (100, "Green"), (130, "Amber"),
                                             (131, "Red")])
def test_the_rag_of_a_lower_is_better_indicator_follows_from_target_and_tolerance(
        framework: Framework, actual: float, rag: str) -> None:
    kpi = indicator(framework, unit="pounds", polarity="lower", target=120, tolerance=10,
                    actual=actual)

    assert str(kpi.rag) == rag


def test_an_indicator_without_a_tolerance_takes_the_councils_default_share_of_its_target(
        framework: Framework) -> None:
    # The bundled default is 5% of the target: 90% is Amber down to 85.5%.
    assert [str(indicator(framework, tolerance=None, actual=a).rag) for a in (85.5, 85.4)] == [
        "Amber", "Red"]


def test_a_rag_given_against_the_figures_is_an_override_saying_what_they_give(
        framework: Framework) -> None:
    kpi = indicator(framework, actual=80, rag="green", rag_reason="Recovered in January")

    assert (kpi.overridden, kpi.rag_text) == (True, "Green (override; worked out as Red)")


def test_the_trend_is_in_words_and_arrows_whichever_way_is_better(
        framework: Framework) -> None:
    cost = indicator(framework, unit="pounds", polarity="lower", target=120, actual=110)

    assert str(cost.trend(115)) == "better ↑"
    assert str(cost.trend(105)) == "worse ↓"
    assert str(cost.trend(110)) == "same →"


def test_the_indicators_set_in_the_design_assessment_start_the_first_monitoring_return(
        workspace: Workspace) -> None:
    design = issue_forms(workspace, "design", partnership_id="P001", today=TODAY).written[0]
    kpis = [{"name": "Cost per case", "unit": "pounds", "polarity": "lower", "target": "£120",
             "tolerance": "£10", "measure": "Case system", "frequency": "Quarterly"}]
    answers = {**support.complete_answers(workspace, "design", "P001"), "kpis": kpis}
    assert collect(workspace, [support.fill(workspace, design, answers)]).outcomes[0].outcome \
        in ("accepted", "warnings")

    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]

    [carried] = read_form(form.path).answers["kpis"]
    assert (carried["ref"], carried["name"], carried["unit"], carried["polarity"],
            carried["target"], carried["tolerance"], carried["actual"]) == (
        "K1", "Cost per case", "pounds", "lower", 120, 10, None)


def _monitoring_return(ws: Workspace, pid: str, **answers: Any) -> Any:
    form = issue_forms(ws, "monitoring", partnership_id=pid, today=TODAY).written[0]
    filled = {**support.complete_answers(ws, "monitoring", pid), **answers}
    return collect(ws, [support.fill(ws, form, filled)]).outcomes[0]


def test_an_actual_in_another_unit_than_its_target_is_an_error_on_the_return(
        workspace: Workspace) -> None:
    kpis = [{"name": "Cost per case", "unit": "pounds", "polarity": "lower", "target": "£120",
             "actual": "90%"}]

    outcome = _monitoring_return(workspace, "P001", kpis=kpis)

    assert outcome.outcome == "rejected"
    assert ('Key Performance Indicators, row 1, Actual this quarter: "90%" is a percentage, '
            "but this indicator is measured as an amount in pounds; type the figure as an "
            "amount in pounds, such as £120") in outcome.reasons


# ---- risks -----------------------------------------------------------------------------


def test_the_monitoring_form_shows_what_each_level_of_likelihood_and_impact_means(
        workspace: Workspace) -> None:
    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]

    text = "\n".join(c.text for t in docx.Document(str(form.path)).tables
                     for r in t.rows for c in r.cells)

    assert "Will probably happen; a 50% to 80% chance in the next year" in text
    assert "£250,000 to £1 million" in text and "A statutory service fails" in text


# ---- money -----------------------------------------------------------------------------


def test_a_variance_past_the_threshold_without_an_explanation_is_refused(
        workspace: Workspace) -> None:
    outcome = _monitoring_return(workspace, "P001", budget=100000, forecast=108000,
                                 budget_commentary=None)

    assert outcome.outcome == "rejected"
    assert any("Commentary on the budget" in r and "5% or £25,000" in r
               for r in outcome.reasons)


def test_a_variance_past_the_threshold_with_an_explanation_is_taken_in(
        workspace: Workspace) -> None:
    outcome = _monitoring_return(workspace, "P001", budget=100000, forecast=108000,
                                 budget_commentary="Agency cover until March")

    assert outcome.outcome in ("accepted", "warnings")


def test_a_variance_within_the_threshold_needs_no_explanation(workspace: Workspace) -> None:
    outcome = _monitoring_return(workspace, "P001", budget=100000, forecast=104000,
                                 budget_commentary=None)

    assert outcome.outcome in ("accepted", "warnings")


def test_the_threshold_is_a_setting(workspace: Workspace) -> None:
    ws = support.set_setting(workspace, "explain_variance_percent", "10")

    outcome = _monitoring_return(ws, "P001", budget=100000, forecast=108000,
                                 budget_commentary=None)

    assert outcome.outcome in ("accepted", "warnings")


# ---- one figure, one source -----------------------------------------------------------


@pytest.fixture(scope="module")
def both_papers(demo) -> tuple[Path, Path, Path, Path]:
    """Both papers of the demo, compiled from its store the same day."""
    return (demo.outputs["CGB update (Word)"], demo.outputs["CGB update data annex (Excel)"],
            demo.outputs["Scrutiny Committee annual report (Word)"],
            demo.outputs["Scrutiny Committee data annex (Excel)"])


def _sheet(path: Path, name: str) -> dict[str, dict[str, Any]]:
    import openpyxl

    sheet = openpyxl.load_workbook(path)[name]
    headers = [c.value for c in sheet[1]]
    return {str(row[0]): dict(zip(headers, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)}


def test_both_papers_give_every_risk_the_same_score_from_the_same_period(
        both_papers: tuple[Path, Path, Path, Path]) -> None:
    _, cgb, _, scrutiny = both_papers
    in_cgb, in_scrutiny = _sheet(cgb, "Risks"), _sheet(scrutiny, "All risks")

    shared = sorted(set(in_cgb) & set(in_scrutiny))
    assert shared == sorted(in_cgb)
    columns = ("Inherent score", "Residual score", "Previous residual score", "Trend",
               "Corporate risk register", "Position at")
    assert [[in_cgb[r][c] for c in columns] for r in shared] == \
        [[in_scrutiny[r][c] for c in columns] for r in shared]


def test_both_papers_give_every_indicator_the_same_figures_from_the_same_period(
        both_papers: tuple[Path, Path, Path, Path]) -> None:
    _, cgb, _, scrutiny = both_papers
    in_cgb, in_scrutiny = _sheet(cgb, "KPIs"), _sheet(scrutiny, "All KPIs")

    assert sorted(in_cgb) == sorted(in_scrutiny)
    assert {r: in_cgb[r] for r in in_cgb} == {r: in_scrutiny[r] for r in in_cgb}


def test_both_papers_give_every_partnership_the_same_money(
        both_papers: tuple[Path, Path, Path, Path]) -> None:
    _, cgb, _, scrutiny = both_papers
    in_cgb, in_scrutiny = _sheet(cgb, "Budgets"), _sheet(scrutiny, "Finance")

    assert in_cgb == {name: in_scrutiny[name] for name in in_cgb}


# ---- what the author should check -------------------------------------------------------


def test_report_cgb_lists_what_to_check_and_where_the_note_is(
        both_papers: tuple[Path, Path, Path, Path]) -> None:
    workspace = both_papers[0].parent.parent

    result = CliRunner().invoke(main, ["--workspace", str(workspace), "report", "cgb"])

    assert result.exit_code == 0, result.output
    assert re.search(r"To check before publishing \(also in .*cgb-update-Q3-2026-27-2 - to "
                     r"check before publishing\.txt\):", result.stderr)
    assert "  - P001 Building Control Shared Service is rated Green overall" in result.stderr


def test_what_to_check_is_never_inside_the_papers(
        both_papers: tuple[Path, Path, Path, Path]) -> None:
    for paper in (both_papers[0], both_papers[2]):
        text = "\n".join(p.text for p in docx.Document(str(paper)).paragraphs)
        assert "to check before publishing" not in text
        assert "is rated Green overall in its" not in text


def test_an_override_without_a_reason_is_for_the_author_to_check(
        workspace: Workspace) -> None:
    kpis = [{"name": "Cases closed", "unit": "percentage", "polarity": "higher", "target": "90%",
             "tolerance": "5%", "actual": "80%", "rag": "green"}]
    outcome = _monitoring_return(workspace, "P001", kpis=kpis)

    result = compile_cgb(workspace, today=TODAY)

    assert outcome.outcome in ("accepted", "warnings")
    assert any("indicator K1 (Cases closed) is rated Green by the Business Manager where its "
               "figures work out as Red, with no reason given" in c for c in result.checks)


def test_the_scrutiny_report_has_the_same_checks_as_the_update(workspace: Workspace) -> None:
    kpis = [{"name": "Cases closed", "unit": "percentage", "polarity": "higher", "target": "90%",
             "tolerance": "5%", "actual": "80%", "rag": "green"}]
    _monitoring_return(workspace, "P001", kpis=kpis)

    checks = compile_cgb(workspace, today=TODAY).checks

    assert checks and compile_scrutiny(workspace, today=TODAY).checks == checks


def test_a_threshold_in_the_settings_that_is_not_a_number_is_named_with_what_to_give(
        workspace: Workspace) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(text.replace("explain_variance_percent = 5",
                                                  'explain_variance_percent = "five"'),
                                     encoding="utf-8")

    # Any command: the settings are checked when the workspace opens.
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "status"])

    assert result.exit_code == 1
    assert "[money] explain_variance_percent must be a number, 0 or more, such as 5" in \
        result.stderr


@pytest.mark.parametrize(("line", "bad", "said"), [
    ('bank_holidays = "england-and-wales"', 'bank_holidays = "wales-only"',
     "[calendar] bank_holidays"),
    ("due_days = 28", "due_days = 0", "[cycle] due_days is '0'"),
    ("key_decision_threshold = 100000", 'key_decision_threshold = "lots"',
     "[decisions] key_decision_threshold is 'lots'"),
])
def test_a_bad_setting_is_refused_when_the_workspace_opens(workspace: Workspace, line: str,
                                                           bad: str, said: str) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    assert line in text
    workspace.config_path.write_text(text.replace(line, bad), encoding="utf-8")

    with pytest.raises(WorkspaceError, match=re.escape(said)):
        open_workspace(workspace.root)


def test_the_annual_report_uses_the_year_end_outturn_once_quarter_4_is_in(
        workspace: Workspace) -> None:
    workspace.config["cycle"]["period"] = "Q4 2026/27"
    forms = issue_forms(workspace, "monitoring", today=TODAY).written
    support.take_in(workspace, forms, {f.partnership_id: support.complete_answers(
        workspace, "monitoring", f.partnership_id) for f in forms})

    result = compile_scrutiny(workspace, today=TODAY)

    title = docx.Document(str(result.docx)).paragraphs[0].text
    assert title == "Annual report on partnerships 2026/27: outturn at Q4 2026/27"
