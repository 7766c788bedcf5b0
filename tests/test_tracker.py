"""The tracker: the state of every issued form."""

from __future__ import annotations

import datetime as dt

from generator.forms.issue import issue_forms
from generator.returns.collect import collect
from generator.returns.tracker import status_rows
from generator.store import Store

from conftest import TODAY
from support import complete_answers, fill


def states(workspace, today=TODAY):
    with Store(workspace.path("store")) as store:
        return [(r.partnership_id, r.form, r.state) for r in status_rows(store, today=today)]


def test_a_form_issued_again_replaces_the_earlier_issue(workspace):
    issue_forms(workspace, "review", partnership_id="P001", today=TODAY)
    issue_forms(workspace, "review", partnership_id="P001", today=TODAY, reissue=True)

    assert states(workspace) == [("P001", "review", "replaced by a later issue"),
                                 ("P001", "review", "outstanding")]


def test_monitoring_returns_of_different_quarters_are_separate_forms(workspace):
    workspace.config["cycle"]["period"] = "2026-Q3"
    issue_forms(workspace, "monitoring", partnership_id="P001", today=dt.date(2026, 10, 1),
                due=dt.date(2026, 10, 31))
    workspace.config["cycle"]["period"] = "2026-Q4"
    issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY)

    assert states(workspace) == [("P001", "monitoring", "overdue"),
                                 ("P001", "monitoring", "outstanding")]


def test_accepted_and_rejected_returns_are_shown_as_such(workspace, explore_forms):
    good, bad = explore_forms[0], explore_forms[1]
    collect(workspace, [
        fill(workspace, good, complete_answers(workspace, "explore", good.partnership_id)),
        fill(workspace, bad, {})])

    assert states(workspace) == [(good.partnership_id, "explore", "accepted"),
                                 (bad.partnership_id, "explore", "rejected"),
                                 (explore_forms[2].partnership_id, "explore", "outstanding")]
