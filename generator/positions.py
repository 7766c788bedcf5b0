"""Where a partnership's figures come from: one source for every form and paper.

A partnership's indicators, risks and money, as at a period, are those of its latest
accepted return that gives them: a monitoring return of that quarter or an earlier one, or
an annual review (which counts in the quarter it was completed in). The forms (the figures of
earlier quarters), the Scrutiny Committee report and the Corporate Governance Board update
all take them from here, so two papers compiled from one store give one figure, and each
says which period it comes from: a forecast until Quarter 4's outturn is in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from generator.council_year import Period, stored_period
from generator.store import Return, parse_time
from generator.vocabulary import BUDGET, COMPLETED_ON, KPIS, MONITORING, REVIEW, RISKS

# The forms whose returns give a partnership's figures.
FIGURES_FORMS = (MONITORING, REVIEW)


def period_of(ret: Return) -> Period | None:
    """The quarter a return's figures are for: the period it was issued for, or, for a form
    issued once a year (the annual review), the quarter it says it was completed in (else
    the quarter it was taken in)."""
    stored = stored_period(ret.period)
    if stored is not None:
        return stored
    try:
        completed = dt.date.fromisoformat(str(ret.answers.get(COMPLETED_ON.id))[:10])
    except ValueError:
        received = parse_time(ret.received_at)
        return Period.containing(received.date()) if received is not None else None
    return Period.containing(completed)


@dataclass(frozen=True)
class Position:
    """The return a figure comes from, and the quarter it is for."""

    ret: Return
    period: Period

    @property
    def outturn(self) -> bool:
        """Quarter 4's figures are the year's outturn; earlier ones a forecast."""
        return self.period.year_end

    @property
    def label(self) -> str:
        """'Q3 2026/27 (forecast)' or 'Q4 2026/27 (outturn)'."""
        return f"{self.period} ({'outturn' if self.outturn else 'forecast'})"

    @property
    def source(self) -> str:
        """'Q3 2026/27 monitoring return' or '2026/27 annual review (Q3 2026/27)'."""
        if self.ret.form_type == REVIEW:
            return f"{self.ret.cycle} annual review ({self.period})"
        return f"{self.period} {self.ret.form_type or 'return'} return"


def _gives(field_id: str) -> Callable[[Return], bool]:
    def gives(ret: Return) -> bool:
        value = ret.answers.get(field_id)
        return bool(value) if isinstance(value, list) else value not in (None, "")
    return gives


# What each kind of figure is read from.
GIVES_KPIS = _gives(KPIS.id)
GIVES_RISKS = _gives(RISKS.id)
GIVES_MONEY = _gives(BUDGET.id)


@dataclass
class Figures:
    """One partnership's accepted returns that give figures, and which gives each figure."""

    returns: list[Return] = field(default_factory=list)

    def _positions(self, gives: Callable[[Return], bool]) -> list[Position]:
        """Every return giving the figure, each with its period, oldest first."""
        found = []
        for ret in self.returns:
            period = period_of(ret)
            if period is not None and gives(ret):
                found.append(Position(ret, period))
        return sorted(found, key=lambda p: (p.period, p.ret.received_at, p.ret.id))

    def position(self, gives: Callable[[Return], bool], as_at: Period) -> Position | None:
        """The latest return giving the figure for `as_at` or an earlier quarter."""
        earlier = [p for p in self._positions(gives) if p.period <= as_at]
        return earlier[-1] if earlier else None

    def history(self, gives: Callable[[Return], bool], before: Period, count: int
                ) -> list[Position]:
        """The figure's latest return for each of the `count` quarters before `before` that
        have one, oldest first."""
        latest: dict[Period, Position] = {}
        for position in self._positions(gives):
            if position.period < before:
                latest[position.period] = position
        return [latest[period] for period in sorted(latest)[-count:]] if count else []

    def previous(self, gives: Callable[[Return], bool], current: Position) -> Position | None:
        """The figure's latest return for a quarter before `current`'s."""
        earlier = self.history(gives, current.period, 1)
        return earlier[0] if earlier else None


def figures_by_partnership(returns: Iterable[Return]) -> dict[str, Figures]:
    """Accepted returns in force (of any form) grouped by partnership, figure-giving ones."""
    grouped: dict[str, Figures] = {}
    for ret in returns:
        if ret.partnership_id and ret.form_type in FIGURES_FORMS \
                and ret.outcome in ("accepted", "warnings") and ret.superseded_by is None:
            grouped.setdefault(ret.partnership_id, Figures()).returns.append(ret)
    return grouped
