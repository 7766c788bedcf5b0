"""The Scrutiny report's look ahead: what falls due in the coming year (agreements ending or
coming up for renewal, the last dates to give notice, the next annual reviews) and the lines
of enquiry the figures suggest to members, worded as questions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from generator.council_year import long_date
from generator.papers.committee.latest import Latest
from generator.register import Partnership
from generator.store import Return
from generator.vocabulary import AGREEMENT_ENDS, NOTICE_BY

HORIZON = dt.timedelta(days=366)  # "the coming year"


@dataclass(frozen=True)
class Due:
    """Something about a partnership that falls due on a date."""

    when: dt.date
    partnership: Partnership
    what: str
    source: str  # where the date comes from, in words


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def coming_year(partnerships: Iterable[tuple[Partnership, Return | None]], today: dt.date
                ) -> list[Due]:
    """What falls due from `today` to a year on, earliest first: each partnership's
    agreement end or renewal and last date to give notice (from its latest review), and its
    next annual review (from the register)."""
    due: list[Due] = []
    until = today + HORIZON
    for partnership, review in partnerships:
        answers = review.answers if review is not None else {}
        source = f"{review.cycle} annual review" if review is not None else ""
        for field, what in ((AGREEMENT_ENDS, "The agreement ends or comes up for renewal"),
                            (NOTICE_BY, "Last date to give notice to end or renegotiate the "
                                        "agreement")):
            when = _date(answers.get(field.id))
            if when is not None and today <= when <= until:
                due.append(Due(when, partnership, what, source))
        if partnership.next_review is not None and today <= partnership.next_review <= until:
            due.append(Due(partnership.next_review, partnership, "Next annual review due",
                           "the register"))
    return sorted(due, key=lambda d: (d.when, d.partnership.id))


def lines_of_enquiry(latest: Iterable[Latest], flagged: Sequence[tuple[Partnership, str]]
                     ) -> list[str]:
    """Questions members may wish to ask, drawn from the figures: each risk escalated to the
    corporate risk register, each indicator off target two periods running, and each review
    recommending a change to the arrangement (`flagged`: the partnership and the
    recommendation)."""
    questions = []
    for figures in latest:
        name = figures.partnership.name
        for line in figures.risks:
            if line.risk.escalated:
                questions.append(
                    f"{name}: the risk '{line.risk.description}' ({line.id}) scores "
                    f"{line.risk.score_text} after mitigation and is escalated to the corporate "
                    "risk register. What more is being done about it, and by when should its "
                    "score come down?")
        for kpi_line in figures.kpis:
            before = kpi_line.previous
            if kpi_line.kpi.met is False and before is not None and before.met is False:
                questions.append(
                    f"{name}: '{kpi_line.kpi.name}' missed its target of "
                    f"{kpi_line.kpi.target_text} in {kpi_line.position.period} and in "
                    f"{kpi_line.previous_period}. Why, and what will bring it back on target?")
    for partnership, recommendation in flagged:
        questions.append(
            f"{partnership.name}: the annual review recommends '{recommendation}'. What would "
            "this mean for residents, staff and the budget, and what is the timetable, given "
            "the notice the agreement requires?")
    return questions


def due_rows(due: Sequence[Due]) -> list[list[object]]:
    return [[long_date(d.when), f"{d.partnership.id} {d.partnership.name}", d.what, d.source]
            for d in due]
