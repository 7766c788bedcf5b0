"""The Scrutiny report's forward look and the questions it suggests to members."""

from __future__ import annotations

import datetime as dt

import docx

from generator.framework import load_framework
from generator.papers.committee.forward import coming_year
from generator.register import example_rows, read_register, write_register
from generator.store import Return

import support

TODAY = dt.date(2026, 11, 25)


def _review(answers: dict) -> Return:
    return Return(id=1, issue_id="P001-review-202627-x", partnership_id="P001",
                  form_type="review", version=2, cycle="2026/27", period="", file_name="r.docx",
                  sha256="", received_at="2026-11-20T10:00:00+00:00", sender="",
                  doc_modified=None, answers=answers, problems=[], outcome="accepted",
                  superseded_by=None)


def _p001(tmp_path):
    path = tmp_path / "register.xlsx"
    write_register(path, example_rows())
    return read_register(path, load_framework()).get("P001")


def test_the_coming_year_gives_agreement_dates_from_the_review_and_reviews_from_the_register(
        tmp_path):
    p001 = _p001(tmp_path)
    review = _review({"agreement_ends": "2027-09-30", "notice_by": "2027-03-31"})

    due = coming_year([(p001, review)], TODAY)

    assert [(d.when, d.what.split()[0], d.source) for d in due] == [
        (dt.date(2027, 3, 31), "Last", "2026/27 annual review"),
        (dt.date(2027, 3, 31), "Next", "the register"),
        (dt.date(2027, 9, 30), "The", "2026/27 annual review")]


def test_dates_past_or_beyond_the_coming_year_are_left_out(tmp_path):
    p001 = _p001(tmp_path)
    review = _review({"agreement_ends": "2029-03-31", "notice_by": "2026-01-01"})

    due = coming_year([(p001, review)], TODAY)

    assert [d.what for d in due] == ["Next annual review due"]


def test_the_demo_report_looks_ahead_and_suggests_questions(demo):
    paper = demo.outputs["Scrutiny Committee annual report (Word)"]
    rows = support.table_starting(paper, "Date", "Partnership", "What")[1:]
    headings = [p.text for p in docx.Document(str(paper)).paragraphs
                if p.style.name.startswith("Heading")]

    assert any(row[2] == "Next annual review due" for row in rows)
    assert "Forward look" in headings
    assert "Questions members may wish to ask" in headings


def test_an_escalated_risk_becomes_a_question_for_members(demo):
    paper = demo.outputs["Scrutiny Committee annual report (Word)"]
    text = " ".join(p.text for p in docx.Document(str(paper)).paragraphs)

    assert "is escalated to the corporate risk register. What more is being done" in text


def test_each_reviewed_partnership_has_a_governance_assurance_block(demo):
    paper = demo.outputs["Scrutiny Committee annual report (Word)"]
    blocks = [t for t in support.tables(paper) if t[0] == ["Item", "Answer"]]

    assert blocks
    for block in blocks:
        items = dict(block[1:])
        assert list(items)[:3] == ["Agreement", "Ends or next comes up for renewal",
                                   "Last date to give notice"]
        assert items["Compliance rating"].split(":")[0] in ("Green", "Amber", "Red",
                                                            "Not rated")


def _audit(value: str):
    from generator.papers.committee.figures import rating

    return rating(load_framework().scale("audit_assurance"), value)


def test_compliance_follows_the_audit_opinion():
    from generator.papers.committee.scrutiny import compliance

    assert compliance(_audit("reasonable"), {"data_breaches": 0,
                                             "ombudsman_findings": "None"}) == \
        "Green: reasonable assurance"
    assert compliance(_audit("limited"), {}).startswith("Amber: limited assurance")


def test_a_data_breach_or_an_ombudsman_finding_holds_compliance_at_amber():
    from generator.papers.committee.scrutiny import compliance

    assert compliance(_audit("substantial"), {"data_breaches": 2}) == \
        "Amber: substantial assurance; 2 personal data breaches"
    assert compliance(_audit("substantial"), {"ombudsman_findings": "Fault found: fee "
                                                                    "refunded"}) == \
        "Amber: substantial assurance; Ombudsman findings"


def test_each_appendix_says_what_became_of_last_years_recommendations(demo):
    paper = demo.outputs["Scrutiny Committee annual report (Word)"]
    headings = [p.text for p in docx.Document(str(paper)).paragraphs
                if p.style.name == "Heading 2"]
    progress = {c.label for c in load_framework().scale("action_progress").choices}
    tables = [t for t in support.tables(paper)
              if t[0] == ["Partnership", "Action", "Owner", "Due", "Status"]]

    assert "Last year's recommendations" in headings
    assert tables
    assert all(row[4] in progress | {"Progress not reported"} for t in tables for row in t[1:])
