"""Issuing a form again is never silent, and a return of any copy counts as the return."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from generator.cli import main
from generator.forms.issue import issue_forms
from generator.mail.plan import prepare_chase
from generator.returns.collect import collect
from generator.returns.tracker import status_rows
from generator.store import Store

from conftest import TODAY
from support import complete_answers, fill


def test_issuing_a_form_again_is_refused_without_reissue_and_names_the_earlier_issue(
        workspace):
    first = issue_forms(workspace, "review", partnership_id="P001", today=TODAY).written[0]

    again = issue_forms(workspace, "review", partnership_id="P001", today=TODAY)

    assert again.written == []
    assert again.skipped == ["P001"]
    (notice,) = again.notices
    assert first.issue_id in notice and "--reissue" in notice


def test_reissue_issues_a_new_copy(workspace):
    first = issue_forms(workspace, "review", partnership_id="P001", today=TODAY).written[0]

    again = issue_forms(workspace, "review", partnership_id="P001", today=TODAY, reissue=True)

    assert [f.partnership_id for f in again.written] == ["P001"]
    assert again.written[0].issue_id != first.issue_id


def test_a_return_of_the_first_copy_counts_and_the_new_copy_is_not_chased(workspace):
    real_today = dt.date.today()  # chase looks at the real date
    issued_on = real_today - dt.timedelta(days=40)
    due = real_today - dt.timedelta(days=10)
    first = issue_forms(workspace, "review", partnership_id="P001", today=issued_on,
                        due=due).written[0]
    second = issue_forms(workspace, "review", partnership_id="P001", today=issued_on, due=due,
                         reissue=True).written[0]
    collect(workspace, [fill(workspace, first, complete_answers(workspace, "review", "P001"))])

    with Store(workspace.path("store")) as store:
        states = {r.issue: r.state for r in status_rows(store, today=real_today)}
    plan = prepare_chase(workspace, today=real_today)

    assert states[first.issue_id] in ("accepted", "accepted with warnings")
    assert states[second.issue_id] == "returned on another copy"
    assert plan.emails == []


def test_a_form_issued_to_a_partnership_in_another_phase_says_so(workspace):
    result = issue_forms(workspace, "review", partnership_id="P007", today=TODAY)

    assert [f.partnership_id for f in result.written] == ["P007"]
    assert any("P007" in n and "is in the Explore phase" in n and "review form is for the "
               "Deliver phase" in n for n in result.notices)


def test_a_due_date_in_the_past_is_a_usage_error(workspace):
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "forms", "review",
                                       "--due", "2020-01-31"])

    assert result.exit_code == 2
    assert "the due date Friday 31 January 2020 is in the past" in result.stderr
    with Store(workspace.path("store")) as store:
        assert store.all_issued() == []
