"""The README's first command: the whole cycle on the example register."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from generator.cli import main
from generator.council_year import Period
from generator.demo import load_story
from generator.office.accessibility import check_paper
from generator.store import Store
from generator.workspace import open_workspace

import support


def document_text(path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_the_demo_collects_every_return_but_the_one_typed_in_the_wrong_unit(demo):
    with Store(demo.workspace / "store.sqlite") as store:
        refused = [r for r in store.all_returns() if r.outcome not in ("accepted", "warnings")]

    assert demo.problems == []
    assert [(r.partnership_id, r.form_type, r.outcome) for r in refused] == [
        ("P003", "monitoring", "rejected")]
    assert "is a percentage, but this indicator is measured as an amount in pounds" in \
        refused[0].problems[0]["message"]
    # One review left outstanding; one monitoring return sent twice (refused, then corrected).
    assert len(demo.returns) == len(demo.issued) - 1 + 1


def test_the_demos_update_shows_a_rag_overridden_with_its_reason(demo):
    rows = support.table_starting(demo.outputs["CGB update (Word)"], "Ref", "Indicator")

    assert ["P002-K1", "Green (override; worked out as Amber)"] == [
        next(row[0] for row in rows if "override" in row[4]),
        next(row[4] for row in rows if "override" in row[4])]


def test_the_demos_update_lists_an_escalated_risk_first(demo):
    rows = support.table_starting(demo.outputs["CGB update (Word)"], "Partnership", "Exception")

    assert rows[1][:2] == ["P001 Building Control Shared Service", "Escalated risk"]


def test_the_demos_update_gives_the_explanation_of_an_overspend(demo):
    rows = support.table_starting(demo.outputs["CGB update (Word)"], "Partnership", "Exception")
    p004 = next(row for row in rows if row[0].startswith("P004") and row[1] == "Overspend")

    assert p004[3].startswith("Agency cover for two vacant solicitor posts")


def test_the_demos_note_to_check_names_a_green_rating_its_figures_contradict(demo):
    note = demo.outputs["CGB update: to check before publishing"].read_text(encoding="utf-8")

    assert "P001 Building Control Shared Service is rated Green overall" in note
    assert "at or above the escalation score of 15" in note


def test_the_scrutiny_report_covers_every_in_scope_partnership_and_names_the_gap(demo):
    text = document_text(demo.outputs["Scrutiny Committee annual report (Word)"])

    for pid in ("P001", "P002", "P003", "P004", "P005", "P006", "P007", "P008", "P009"):
        assert pid in text
    assert "P010" not in text
    assert "P005 Trade Waste Collection Service: 2026/27 review overdue" in text


def test_the_committee_papers_pass_the_accessibility_check(demo):
    for label in ("Scrutiny Committee annual report (Word)", "CGB update (Word)"):
        assert check_paper(demo.outputs[label]) == [], label


def test_the_explore_summary_has_one_row_per_explore_partnership(demo):
    sheet = openpyxl.load_workbook(demo.outputs["Explore summary (Excel)"])["Summary"]

    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == ["P007", "P008",
                                                                         "P009"]


def test_this_years_forms_carried_last_years_answers_forward(demo):
    ws = open_workspace(demo.workspace)
    review = sorted((ws.path("issued") / "review").glob("P001*.docx"))[-1]

    text = document_text(review)

    assert "Last accepted answer: " in text
    assert "(2025/26)" in text


@pytest.fixture(scope="module")
def demo_again(demo):
    """`partnerships demo` run again on the folder the first demo filled."""
    return CliRunner().invoke(main, ["demo", str(demo.workspace)])


def test_the_demo_command_prints_the_scrutiny_report_last(demo_again):
    assert demo_again.exit_code == 0, demo_again.output
    last = demo_again.output.strip().splitlines()[-1]
    assert last.startswith("  Scrutiny Committee annual report (Word): ")
    assert "scrutiny-report-" in last and last.endswith(".docx")


def test_running_the_demo_again_uses_a_new_folder(demo, demo_again):
    again = demo.workspace.with_name(f"{demo.workspace.name}-2")

    assert f"using {again} so nothing is overwritten" in demo_again.output
    assert (again / "store.sqlite").is_file()
    assert str(again / "reports") in demo_again.output


def test_the_demo_writes_the_emails_that_sent_the_forms_as_drafts(demo):
    drafts = sorted((demo.workspace / "outbox").glob("*.eml"))
    attached = {part.get_filename() for draft in drafts
                for part in email.message_from_bytes(draft.read_bytes(),
                                                     policy=email.policy.default).walk()
                if part.get_filename()}

    assert drafts == sorted(demo.drafts)
    assert [p.name for p in demo.issued if p.name not in attached] == []


def test_the_demo_chases_the_overdue_review_with_a_reminder(demo):
    reminders = [p for p in demo.drafts if "Reminder" in p.name]

    assert len(reminders) == 1
    assert "P005" in reminders[0].read_text(encoding="utf-8")


def test_the_tracker_shows_how_each_form_went_out(demo):
    sheet = openpyxl.load_workbook(demo.outputs["Return tracker (Excel)"]).active
    headers = [cell.value for cell in sheet[1]]
    sent = [row[headers.index("Sent")] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert sent and "not sent yet" not in sent


def test_the_tracker_names_each_form_by_its_title(demo):
    sheet = openpyxl.load_workbook(demo.outputs["Return tracker (Excel)"]).active
    headers = [cell.value for cell in sheet[1]]
    forms = {row[headers.index("Form")] for row in sheet.iter_rows(min_row=2, values_only=True)}

    assert "Annual review of an existing partnership" in forms
    assert "review" not in forms


def test_last_years_reviews_were_completed_in_last_year_and_this_years_in_this(demo):
    with Store(demo.workspace / "store.sqlite") as store:
        reviews = store.current_returns(form_type="review")

    completed = {r.cycle: dt.date.fromisoformat(str(r.answers["completed_on"])[:10])
                 for r in reviews}

    assert Period.containing(completed["2025/26"]).cycle == "2025/26"
    assert Period.containing(completed["2026/27"]).cycle == "2026/27"


def test_the_actions_a_review_agrees_fall_due_after_it_was_completed(demo):
    with Store(demo.workspace / "store.sqlite") as store:
        reviews = store.current_returns(form_type="review", cycle="2026/27")
    late = [(r.partnership_id, action["action"], action["due"]) for r in reviews
            for action in r.answers.get("actions") or []
            if action.get("due") and action["due"][:10] <= str(r.answers["completed_on"])[:10]]

    assert late == []


def test_the_story_moves_on_to_the_council_year_the_demo_runs_in():
    story = load_story(today=dt.date(2028, 5, 1))  # two council years after it was written

    assert story["P001"]["answers"]["review"]["agreement_ends"] == "2031-03-31"
    assert "2029/30" in story["P001"]["answers"]["review"]["recommendation_reason"]
    assert load_story(today=dt.date(2026, 11, 25)) == load_story()


def test_each_partnership_reports_what_its_story_says_of_the_quarter(demo):
    quarter = load_story()  # as written: for 2026/27, the council year the demo ran in
    annex = openpyxl.load_workbook(demo.outputs["CGB update data annex (Excel)"])

    def rows(sheet):
        header, *body = annex[sheet].iter_rows(values_only=True)
        return [dict(zip(header, row, strict=True)) for row in body]

    told = {pid: part["quarters"]["Q3 2026/27"] for pid, part in quarter.items()
            if isinstance(part, dict) and "Q3 2026/27" in part.get("quarters", {})}
    commentary = {}
    for row in rows("KPIs"):
        if "override" not in row["RAG status"]:  # an override shows its reason instead
            commentary.setdefault(row["Partnership"][:4], []).append(row["Commentary"])
    explained = {row["Partnership"][:4]: row["Explanation"] for row in rows("Budgets")}

    assert told
    for pid, said in told.items():
        assert set(commentary[pid]) <= set(said["commentary"]), pid
        assert explained[pid] == said["budget_commentary"], pid
