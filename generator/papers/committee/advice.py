"""What the Corporate Governance Board is asked to advise on and follow: the emerging
partnerships (each Explore or Design recommendation, for the board's advice, as the strategy
gives the board an advisory role on them) and the actions log (the actions the annual reviews
agreed, with their owner, due date and progress)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.council_year import long_date
from generator.formdefs import Field, FormDefinition
from generator.forms.display import display_value, paper_value
from generator.papers.committee.sources import Source
from generator.papers.committee.tables import NOT_ANSWERED, Table
from generator.register import Partnership
from generator.store import Return
from generator.vocabulary import (
    AGREED_ACTIONS,
    EMERGING_REASON,
    EMERGING_RECOMMENDATION,
    LAST_YEAR_ACTIONS,
)

NOT_GIVEN = "Not given"


@dataclass(frozen=True)
class Emerging:
    """A partnership in the Explore or Design phase and its latest recommendation."""

    partnership: Partnership
    ret: Return | None  # its latest accepted Explore or Design return
    form_title: str
    recommendation: str
    reason: str


@dataclass(frozen=True)
class Action:
    """An action an annual review agreed, and how far it has got."""

    partnership: Partnership
    action: str
    owner: str
    due: str
    status: str
    ret: Return  # the review it was agreed or last reported in


def emerging_partnerships(partnerships: Iterable[Partnership],
                          returns: Iterable[Return],
                          definitions: dict[str, FormDefinition]) -> list[Emerging]:
    """Each of `partnerships` (those not yet delivering) with its latest accepted Explore or
    Design return (`returns`, of the form types in `definitions`): the recommendation made."""
    latest: dict[str, Return] = {}
    for ret in returns:
        if ret.partnership_id and ret.form_type in definitions:
            best = latest.get(ret.partnership_id)
            if best is None or _later(ret, best, definitions):
                latest[ret.partnership_id] = ret
    found = []
    for partnership in partnerships:
        assessed = latest.get(partnership.id)
        if assessed is None:
            found.append(Emerging(partnership, None, "", "No assessment returned yet", ""))
            continue
        definition = definitions[assessed.form_type or ""]
        found.append(Emerging(partnership, assessed, definition.title,
                              _shown(definition, EMERGING_RECOMMENDATION.id, assessed.answers)
                              or NOT_GIVEN,
                              _shown(definition, EMERGING_REASON.id, assessed.answers)))
    return found


def _later(ret: Return, other: Return, definitions: dict[str, FormDefinition]) -> bool:
    """A Design return is later than an Explore one; within a form, the later received."""
    order = list(definitions)
    return (order.index(ret.form_type or ""), ret.received_at) > \
        (order.index(other.form_type or ""), other.received_at)


def _shown(definition: FormDefinition, field_id: str, answers: dict[str, Any]) -> str:
    found: Field | None = definition.fields.get(field_id)
    if found is None:
        return ""
    return display_value(found, answers.get(field_id))


def actions_log(reviews: Sequence[tuple[Partnership, Return, FormDefinition]]) -> list[Action]:
    """The actions of each partnership's latest accepted review: last year's with the progress
    reported on them, then those agreed for the coming year (open)."""
    actions = []
    for partnership, review, definition in reviews:
        for field_id, agreed in ((LAST_YEAR_ACTIONS.id, False), (AGREED_ACTIONS.id, True)):
            table = definition.fields.get(field_id)
            if table is None:
                continue
            columns = {c.id: c for c in table.columns}
            for row in review.answers.get(field_id) or []:
                text = str(row.get("action") or "").strip()
                if not text:
                    continue
                status = (f"Open: agreed in the {review.cycle} review" if agreed else
                          _cell(columns, row, "progress") or "Progress not reported")
                actions.append(Action(partnership, text, _cell(columns, row, "owner")
                                      or NOT_GIVEN, _cell(columns, row, "due") or NOT_GIVEN,
                                      status, review))
    return actions


def _cell(columns: dict[str, Field], row: dict[str, Any], column: str) -> str:
    found = columns.get(column)
    return paper_value(found, row.get(column)) if found is not None else ""


def emerging_table(emerging: Sequence[Emerging], caption: str) -> Table:
    """The emerging partnerships with their latest recommendation, each traced to its return."""
    rows: list[list[object]] = [
        [f"{e.partnership.id} {e.partnership.name}", e.partnership.phase,
         e.form_title or "None returned yet",
         long_date(e.ret.received_at) if e.ret is not None else "", e.recommendation,
         e.reason or NOT_ANSWERED] for e in emerging]
    if not rows:
        rows = [["None", "", "", "", "No partnership is in the Explore or Design phase", ""]]
    return Table("Emerging", caption, ["Partnership", "Phase", "Latest assessment", "Received",
                                       "Recommendation", "Reason"], rows,
                 sources=[Source.of_return(e.ret, form=e.form_title, period=e.ret.cycle or "",
                                           questions={"Recommendation": "Recommendation"})
                          if e.ret is not None else None for e in emerging] or None)


def actions_table(actions: Sequence[Action]) -> Table:
    """The actions log, each action traced to the review it was agreed or reported in."""
    rows: list[list[object]] = [
        [f"{a.partnership.id} {a.partnership.name}", a.action, a.owner, a.due, a.status]
        for a in actions]
    if not rows:
        rows = [["None", "No annual review on record agrees an action", "", "", ""]]
    return Table("Actions log", "Actions log: the actions the annual reviews agreed, with their "
                                "owner, due date and progress",
                 ["Partnership", "Action", "Owner", "Due", "Status"], rows,
                 sources=[Source.of_return(a.ret, form=f"{a.ret.cycle} annual review",
                                           period=a.ret.cycle or "",
                                           questions={"Status": "Progress", "Due": "Due"})
                          for a in actions] or None)
