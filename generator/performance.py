"""Indicators and risks measured the way a council measures them.

An indicator (KPI) has a unit (a percentage, pounds, a number, days), a direction (higher or
lower is better), a target and an amber tolerance, all set in the Design assessment and
carried forward; the Business Manager gives the actual. Its RAG rating follows from them
(`rated`): Green on or better than target, Amber worse by no more than the tolerance, Red
beyond. A Business Manager who disagrees may give another rating with a reason: an override.

A risk is scored likelihood times impact on the council's risk matrix (`Framework.risk_matrix`),
before mitigation (inherent) and after it (residual); the residual score is the one that
is banded, tracked and escalated.

Figures are read as people type them ('92%', '£118', '4.5 days', '1,200'); a figure in
another unit than its indicator's ('90%' for an indicator in pounds) is refused, saying what
to type (`read_measure`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from generator.errors import MoneyError
from generator.framework import Framework, RiskMatrix
from generator.money import format_money, parse_money, parse_number
from generator.vocabulary import (
    DAYS,
    HIGHER,
    NUMBER,
    PERCENTAGE,
    POUNDS,
    Rag,
    RiskTrend,
    Trend,
)


class MeasureError(ValueError):
    """A figure that cannot be read in its indicator's unit; the message says what to type."""


# What marks a figure as typed in a unit, and how each unit is named and typed.
_MARKS = {
    PERCENTAGE: re.compile(r"(%|\bper\s*cent\b|\bpercent(age)?\b)", re.I),
    POUNDS: re.compile(r"(£|\bgbp\b|\bpounds?\b)", re.I),
    DAYS: re.compile(r"\b(working\s+)?days?\b", re.I),
}
_NAMES = {PERCENTAGE: "a percentage", POUNDS: "an amount in pounds", NUMBER: "a number",
          DAYS: "a number of days"}
_EXAMPLES = {PERCENTAGE: "92%", POUNDS: "£120", NUMBER: "1,200", DAYS: "4.5 days"}
# "£120 per case", "12 per month": what follows "per" names what the figure counts, not a unit.
_PER = re.compile(r"\s+per\s+(?!cent\b)[a-z][a-z ]*$", re.I)


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return f'"{text[:40]}…"' if len(text) > 40 else f'"{text}"'


def read_measure(value: object, unit: str) -> float | int:
    """A figure typed for an indicator measured in `unit`, as a number in that unit.

    A bare number is taken in the indicator's unit; a figure marked with another unit is
    refused (MeasureError), as is anything that is not a figure.
    """
    if isinstance(value, bool):
        raise MeasureError(f'"{value}" is not a figure')
    if isinstance(value, int | float):
        return _finite(value, str(value))
    text = " ".join(str(value).split())
    bare = _PER.sub("", text)
    marked = [u for u, mark in _MARKS.items() if mark.search(bare)]
    if marked and unit not in marked:
        raise MeasureError(f"{_shown(text)} is {_NAMES[marked[0]]}, but this indicator is "
                           f"measured as {_NAMES.get(unit, unit)}; type the figure as "
                           f"{_NAMES.get(unit, unit)}, such as {_EXAMPLES.get(unit, '12')}")
    for mark in _MARKS.values():
        bare = mark.sub("", bare)
    try:
        number = parse_money(bare) if unit == POUNDS else parse_number(bare.strip())
    except MoneyError:
        raise MeasureError(f"{_shown(text)} is not a figure; type {_NAMES.get(unit, unit)}, "
                           f"such as {_EXAMPLES.get(unit, '12')}") from None
    return _finite(number, text)


def _finite(number: float, text: str) -> float | int:
    if not math.isfinite(number):
        raise MeasureError(f"{_shown(text)} is not a figure")
    return int(number) if float(number).is_integer() else number


def show_measure(value: object, unit: str | None) -> str:
    """A figure as a paper or a form shows it: '92%', '£118', '1,200', '4.5 days'; text
    (a figure of an older form, typed without a unit) as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if unit == POUNDS:
        return format_money(value)
    number = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit == PERCENTAGE:
        return f"{number}%"
    if unit == DAYS:
        return f"{number} day{'' if value == 1 else 's'}"
    return number


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Indicator:
    """One indicator of a return, read against the framework's conventions."""

    ref: str
    name: str
    unit: str | None
    polarity: str | None
    target: Any
    tolerance: float | None  # as set; None: the framework's default share of the target
    actual: Any
    given: Rag | None  # the RAG the Business Manager gave, if any
    reason: str
    commentary: str
    default_tolerance_percent: float

    @property
    def measured(self) -> bool:
        """Its RAG can be worked out: a unit, a direction, a target and an actual."""
        return (self.unit is not None and self.polarity is not None
                and _number(self.target) is not None and _number(self.actual) is not None)

    @property
    def amber_tolerance(self) -> float | None:
        target = _number(self.target)
        if self.tolerance is not None:
            return self.tolerance
        if target is None:
            return None
        return abs(target) * self.default_tolerance_percent / 100

    @property
    def calculated(self) -> Rag | None:
        """The RAG that follows from the actual, the target, the direction and the tolerance."""
        if not self.measured:
            return None
        target, actual = _number(self.target), _number(self.actual)
        assert target is not None and actual is not None
        shortfall = target - actual if self.polarity == HIGHER else actual - target
        shortfall = round(shortfall, 9)
        if shortfall <= 0:
            return Rag.GREEN
        tolerance = self.amber_tolerance or 0
        return Rag.AMBER if shortfall <= round(tolerance, 9) else Rag.RED

    @property
    def rag(self) -> Rag:
        """The rating the papers report: the one given, else the one worked out, else Grey."""
        return self.given or self.calculated or Rag.GREY

    @property
    def overridden(self) -> bool:
        """The Business Manager gave another RAG than the one worked out."""
        return self.given is not None and self.calculated is not None \
            and self.given != self.calculated

    @property
    def met(self) -> bool | None:
        """True on target (Green), False when not (Amber or Red), None when not rated."""
        if self.rag == Rag.GREY:
            return None
        return self.rag == Rag.GREEN

    @property
    def rag_text(self) -> str:
        """'Green', or for an override 'Amber (override; worked out as Green)'."""
        if self.overridden:
            assert self.calculated is not None
            return f"{self.rag} (override; worked out as {self.calculated})"
        return str(self.rag) if self.rag != Rag.GREY else "Not rated"

    def shown(self, value: object) -> str:
        return show_measure(value, self.unit)

    @property
    def target_text(self) -> str:
        if self.polarity is None or _number(self.target) is None:
            return self.shown(self.target)
        return f"{self.shown(self.target)} ({self.polarity} is better)"

    def trend(self, previous: object) -> Trend:
        """Better, the same or worse than the previous period's actual."""
        now, before = _number(self.actual), _number(previous)
        if now is None or before is None or self.polarity is None:
            return Trend.NEW
        change = round(now - before, 9)
        if change == 0:
            return Trend.SAME
        return Trend.BETTER if (change > 0) == (self.polarity == HIGHER) else Trend.WORSE


def _text(value: object) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def indicators(rows: Iterable[dict[str, Any]], framework: Framework) -> list[Indicator]:
    """The indicators of a return's rows (of any version of the form), numbered K1, K2... as
    carried forward when a row has no reference of its own."""
    rag_scale = framework.scales.get("rag")
    found = []
    for row in with_refs(rows, "K"):
        given = rag_scale.choice(row.get("rag")) if rag_scale else None
        found.append(Indicator(
            ref=str(row.get("ref") or ""), name=_text(row.get("name")) or "Unnamed indicator",
            unit=row.get("unit") or None, polarity=row.get("polarity") or None,
            target=row.get("target"), tolerance=_number(row.get("tolerance")),
            actual=row.get("actual"),
            given=Rag(given.rag) if given is not None and given.rag else None,
            reason=_text(row.get("rag_reason")), commentary=_text(row.get("commentary")),
            default_tolerance_percent=framework.performance.default_tolerance_percent))
    return found


def with_refs(rows: Iterable[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The rows that have any answer, each with a reference: its own, or the next free one
    (prefix and number: K4 after K1 to K3), so a row keeps one reference for good."""
    kept = [dict(row) for row in rows
            if isinstance(row, dict) and any(_text(v) for k, v in row.items() if k != "ref")]
    used = [int(m.group(1)) for row in kept
            if (m := re.fullmatch(rf"{re.escape(prefix)}(\d+)", _text(row.get("ref"))))]
    following = max(used, default=0) + 1
    for row in kept:
        if not _text(row.get("ref")):
            row["ref"] = f"{prefix}{following}"
            following += 1
        else:
            row["ref"] = _text(row.get("ref"))
    return kept


# --------------------------------------------------------------------------- risks


def _score_part(value: Any, highest: int) -> int | None:
    try:
        number = int(str(value).strip().split()[0])
    except (TypeError, ValueError, IndexError):
        return None
    return number if 1 <= number <= highest else None


@dataclass(frozen=True)
class ScoredRisk:
    """One risk of a return: scored before and after mitigation on the council's matrix."""

    ref: str
    description: str
    inherent_likelihood: int | None
    inherent_impact: int | None
    likelihood: int | None  # residual: after mitigation (the only score forms of old gave)
    impact: int | None
    mitigation: str
    owner: str
    matrix: RiskMatrix

    @staticmethod
    def _product(a: int | None, b: int | None) -> int | None:
        return a * b if a is not None and b is not None else None

    @property
    def inherent(self) -> int | None:
        return self._product(self.inherent_likelihood, self.inherent_impact)

    @property
    def score(self) -> int | None:
        """The residual score: likelihood times impact after mitigation."""
        return self._product(self.likelihood, self.impact)

    @property
    def band(self) -> str:
        band = self.matrix.band(self.score)
        return band.name if band is not None else "Not scored"

    @property
    def exception(self) -> bool:
        """In a band the CGB update lists among its exceptions."""
        band = self.matrix.band(self.score)
        return band is not None and band.exception

    @property
    def escalated(self) -> bool:
        """At or above the score at which a risk goes to the corporate risk register."""
        return self.matrix.escalated(self.score)

    @property
    def score_text(self) -> str:
        """'4 × 5 = 20 (Very high)', or 'Not scored'."""
        if self.score is None:
            return "Not scored"
        return f"{self.likelihood} × {self.impact} = {self.score} ({self.band})"

    def trend(self, previous: int | None) -> RiskTrend:
        if self.score is None or previous is None:
            return RiskTrend.NEW
        if self.score == previous:
            return RiskTrend.STEADY
        return RiskTrend.FALLING if self.score < previous else RiskTrend.RISING


def scored_risks(rows: Iterable[dict[str, Any]], matrix: RiskMatrix) -> list[ScoredRisk]:
    """The risks of a return's rows (of any version of the form), numbered R1, R2... as
    carried forward when a row has no reference of its own."""
    top_l, top_i = len(matrix.likelihood), len(matrix.impact)
    return [ScoredRisk(
        ref=str(row.get("ref") or ""), description=_text(row.get("description")) or "Unnamed risk",
        inherent_likelihood=_score_part(row.get("inherent_likelihood"), top_l),
        inherent_impact=_score_part(row.get("inherent_impact"), top_i),
        likelihood=_score_part(row.get("likelihood"), top_l),
        impact=_score_part(row.get("impact"), top_i),
        mitigation=_text(row.get("mitigation")), owner=_text(row.get("owner")), matrix=matrix)
        for row in with_refs(rows, "R")]
