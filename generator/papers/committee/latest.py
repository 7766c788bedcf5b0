"""Each partnership's latest figures, as both committee papers report them.

One figure, one source: for every partnership, its indicators, risks and money as at a
period come from its latest accepted return that gives them (`generator.positions`), each
with the period it is for and the figure of the period before (for the trend and the
movement). Its savings come from its Design assessment (target, baseline, one-off costs)
and its annual reviews (in year and since the first review on record). The Scrutiny
Committee report and the Corporate Governance Board update both read them from here, so a
figure the two papers share is the same in both.

What the report author should look at before publishing (`author_checks`) is worked out
here too: an overall rating of Green that the figures contradict, and a RAG rating given
against the one worked out without a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.council_year import Period
from generator.framework import Framework
from generator.money import VarianceLimit, format_money, stored_money, tidy_amount
from generator.performance import Indicator, ScoredRisk, indicators, scored_risks
from generator.positions import (
    GIVES_KPIS,
    GIVES_MONEY,
    GIVES_RISKS,
    Figures,
    Position,
    figures_by_partnership,
)
from generator.register import Partnership
from generator.store import Return, Store
from generator.vocabulary import (
    BUDGET,
    BUDGET_COMMENTARY,
    CASHABLE_SAVINGS,
    DESIGN,
    DESIGN_ONE_OFF_COSTS,
    FORECAST,
    KPIS,
    MONITORING,
    NON_CASHABLE_SAVINGS,
    OVERALL_RATING,
    REVIEW,
    REVIEW_ONE_OFF_COSTS,
    RISKS,
    SAVINGS_BASELINE,
    SAVINGS_TARGET,
    SETUP_COST,
    Rag,
    RiskTrend,
    Trend,
)

# --------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class KpiLine:
    """An indicator of a partnership's latest figures, with the period before."""

    partnership: Partnership
    kpi: Indicator
    position: Position
    previous: Indicator | None = None
    previous_period: Period | None = None

    @property
    def trend(self) -> Trend:
        return self.kpi.trend(self.previous.actual) if self.previous is not None else Trend.NEW

    @property
    def trend_text(self) -> str:
        """'better ↑ (91% at Q2 2026/27)', or 'new: no earlier figure'."""
        if self.previous is None or self.trend == Trend.NEW:
            return str(Trend.NEW)
        return f"{self.trend} ({self.previous.shown(self.previous.actual)} at " \
               f"{self.previous_period})"

    @property
    def id(self) -> str:
        return f"{self.partnership.id}-{self.kpi.ref}"

    @property
    def rating_fell(self) -> bool:
        """Its RAG rating is worse than in the period before (Green to Amber, say)."""
        ranks = {Rag.GREEN: 3, Rag.AMBER: 2, Rag.RED: 1}
        if self.previous is None or self.kpi.rag not in ranks or self.previous.rag not in ranks:
            return False
        return ranks[self.kpi.rag] < ranks[self.previous.rag]


# --------------------------------------------------------------------------- risks


@dataclass(frozen=True)
class RiskLine:
    """A risk of a partnership's latest figures, with its score in the period before."""

    partnership: Partnership
    risk: ScoredRisk
    position: Position
    previous: ScoredRisk | None = None
    previous_period: Period | None = None

    @property
    def id(self) -> str:
        """The risk's id across the partnerships: 'P001-R2'."""
        return f"{self.partnership.id}-{self.risk.ref}"

    @property
    def previous_score(self) -> int | None:
        return self.previous.score if self.previous is not None else None

    @property
    def trend(self) -> RiskTrend:
        return self.risk.trend(self.previous_score)

    @property
    def previous_text(self) -> str:
        """'12 (High) at Q2 2026/27', or 'None on record'."""
        if self.previous is None or self.previous.score is None:
            return "None on record"
        return f"{self.previous.score} ({self.previous.band}) at {self.previous_period}"


# --------------------------------------------------------------------------- money


@dataclass(frozen=True)
class Money:
    """A partnership's money as at a period: the gross budget and forecast outturn of its
    latest monitoring return, the council's own contribution (from the register), and the
    forecast of the period before (for the movement)."""

    partnership: Partnership
    position: Position | None = None
    budget: float | None = None
    forecast: float | None = None
    previous_forecast: float | None = None
    previous_period: Period | None = None
    explanation: str = ""

    @property
    def contribution(self) -> float | None:
        return self.partnership.contribution

    @property
    def variance(self) -> float | None:
        """Forecast minus budget (an overspend is positive), when both were given."""
        if self.budget is None or self.forecast is None:
            return None
        return tidy_amount(self.forecast - self.budget)

    @property
    def share(self) -> float | None:
        """The variance as a share of the budget."""
        variance = self.variance
        return variance / self.budget if variance is not None and self.budget else None

    @property
    def movement(self) -> float | None:
        """How the forecast moved since the period before (a rise is positive)."""
        if self.forecast is None or self.previous_forecast is None:
            return None
        return tidy_amount(self.forecast - self.previous_forecast)

    @property
    def label(self) -> str:
        return self.position.label if self.position is not None else "No monitoring return"

    def beyond(self, limit: VarianceLimit) -> bool:
        """An overspend past the council's threshold for explaining a variance."""
        return self.budget is not None and self.forecast is not None and \
            self.forecast > self.budget and limit.needs_explaining(self.budget, self.forecast)


# --------------------------------------------------------------------------- savings


@dataclass(frozen=True)
class Savings:
    """A partnership's savings against its business case: the target and baseline set at
    Design, the year's savings (cashable and non-cashable apart) from the annual review,
    the cashable savings since the first review on record, and one-off costs apart."""

    partnership: Partnership
    target: float | None = None
    baseline: float | None = None
    cashable: float | None = None
    non_cashable: float | None = None
    one_off: float | None = None
    cumulative_cashable: float | None = None
    cumulative_one_off: float | None = None
    since: str = ""  # the cycle of the first review on record
    reviewed: bool = False  # the year's review is in
    # The latest annual review up to the year (the year's own when it is in): the sums to
    # date run up to it.
    review: Return | None = None
    design: Return | None = None  # the Design assessment, which gives target and baseline

    @property
    def against_target(self) -> float | None:
        """The year's cashable savings as a share of the target."""
        if self.cashable is None or not self.target:
            return None
        return self.cashable / self.target


def _sum(values: Iterable[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return tidy_amount(sum(found)) if found else None


def savings_of(partnership: Partnership, design: Return | None,
               reviews: Sequence[Return], cycle: str) -> Savings:
    """Savings against the business case, for the reviews up to and including `cycle`."""
    design_answers = design.answers if design is not None else {}
    by_cycle: dict[str, Return] = {}
    for review in sorted(reviews, key=lambda r: (r.received_at, r.id)):
        if review.cycle and review.cycle <= cycle:
            by_cycle[review.cycle] = review
    this = by_cycle.get(cycle)
    answers = this.answers if this is not None else {}
    up_front = _sum(stored_money(design_answers.get(f.id))
                    for f in (SETUP_COST, DESIGN_ONE_OFF_COSTS))
    return Savings(
        partnership,
        target=stored_money(design_answers.get(SAVINGS_TARGET.id)),
        baseline=stored_money(design_answers.get(SAVINGS_BASELINE.id)),
        cashable=stored_money(answers.get(CASHABLE_SAVINGS.id)),
        non_cashable=stored_money(answers.get(NON_CASHABLE_SAVINGS.id)),
        one_off=stored_money(answers.get(REVIEW_ONE_OFF_COSTS.id)),
        cumulative_cashable=_sum(stored_money(r.answers.get(CASHABLE_SAVINGS.id))
                                 for r in by_cycle.values()),
        cumulative_one_off=_sum([up_front, *(stored_money(r.answers.get(REVIEW_ONE_OFF_COSTS.id))
                                            for r in by_cycle.values())]),
        since=min(by_cycle, default=""), reviewed=this is not None,
        review=by_cycle[max(by_cycle)] if by_cycle else None, design=design)


# --------------------------------------------------------------------------- latest


@dataclass
class Latest:
    """A partnership's latest figures as at a period, each with the period it comes from."""

    partnership: Partnership
    as_at: Period
    kpis: list[KpiLine] = field(default_factory=list)
    kpi_position: Position | None = None
    risks: list[RiskLine] = field(default_factory=list)
    risk_position: Position | None = None
    money: Money | None = None
    savings: Savings | None = None
    review: Return | None = None  # the accepted annual review of the period's council year

    @property
    def met(self) -> tuple[int, int]:
        """(on target, rated): how many indicators met their target of those rated."""
        rated = [line.kpi for line in self.kpis if line.kpi.met is not None]
        return sum(1 for kpi in rated if kpi.met), len(rated)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _named(item: Any) -> str:
    return " ".join(str(getattr(item, "name", None) or item.description).casefold().split())


def _match(found: Sequence[Any], item: Any, current: Sequence[Any]) -> Any:
    """The earlier figure of `item`: the one with its reference and name; else the one with
    its name (a row typed again without its reference); else the one with its reference,
    reworded, unless that name is still in use (a new row given a reference once used)."""
    same_ref = next((e for e in found if e.ref == item.ref), None)
    if same_ref is not None and _named(same_ref) == _named(item):
        return same_ref
    same_name = next((e for e in found if _named(e) == _named(item)), None)
    if same_name is not None:
        return same_name
    if same_ref is not None and all(_named(c) != _named(same_ref) for c in current):
        return same_ref
    return None


def _kpi_lines(partnership: Partnership, figures: Figures, as_at: Period,
               framework: Framework) -> tuple[list[KpiLine], Position | None]:
    position = figures.position(GIVES_KPIS, as_at)
    if position is None:
        return [], None
    before = figures.previous(GIVES_KPIS, position)
    earlier = indicators(before.ret.answers.get(KPIS.id) or [], framework) if before else []
    now = indicators(position.ret.answers.get(KPIS.id) or [], framework)
    return [KpiLine(partnership, kpi, position, _match(earlier, kpi, now),
                    before.period if before else None) for kpi in now], position


def _risk_lines(partnership: Partnership, figures: Figures, as_at: Period,
                framework: Framework) -> tuple[list[RiskLine], Position | None]:
    position = figures.position(GIVES_RISKS, as_at)
    if position is None:
        return [], None
    matrix = framework.risk_matrix
    before = figures.previous(GIVES_RISKS, position)
    earlier = scored_risks(before.ret.answers.get(RISKS.id) or [], matrix) if before else []
    now = scored_risks(position.ret.answers.get(RISKS.id) or [], matrix)
    return [RiskLine(partnership, risk, position, _match(earlier, risk, now),
                     before.period if before else None) for risk in now], position


def _money(partnership: Partnership, figures: Figures, as_at: Period) -> Money:
    position = figures.position(GIVES_MONEY, as_at)
    if position is None:
        return Money(partnership)
    before = figures.previous(GIVES_MONEY, position)
    answers = position.ret.answers
    return Money(partnership, position, stored_money(answers.get(BUDGET.id)),
                 stored_money(answers.get(FORECAST.id)),
                 stored_money(before.ret.answers.get(FORECAST.id)) if before else None,
                 before.period if before else None,
                 _text(answers.get(BUDGET_COMMENTARY.id)))


class Accepted:
    """The accepted returns in force a paper reads, each form type read from the store once
    and shared by everything the paper gathers: read for each use, every review was held four
    times over (a quarter of the Scrutiny report's memory at 5,000 partnerships)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._read: dict[str, list[Return]] = {}

    def of(self, form_type: str) -> list[Return]:
        """The accepted returns in force of `form_type`, every cycle's, in the order taken in."""
        if form_type not in self._read:
            self._read[form_type] = self.store.current_returns(form_type=form_type)
        return self._read[form_type]


def gather_latest(accepted: Accepted, partnerships: Sequence[Partnership], as_at: Period,
                  framework: Framework) -> dict[str, Latest]:
    """The latest figures of each partnership as at `as_at`, by partnership id."""
    returns = [*accepted.of(REVIEW), *accepted.of(MONITORING)]
    grouped = figures_by_partnership(returns)
    designs = {r.partnership_id: r for r in sorted(accepted.of(DESIGN),
                                                   key=lambda r: (r.received_at, r.id))}
    reviews: dict[str, list[Return]] = {}
    for ret in returns:
        if ret.form_type == REVIEW and ret.partnership_id:
            reviews.setdefault(ret.partnership_id, []).append(ret)
    latest = {}
    for p in partnerships:
        figures = grouped.get(p.id, Figures())
        entry = Latest(p, as_at)
        entry.kpis, entry.kpi_position = _kpi_lines(p, figures, as_at, framework)
        entry.risks, entry.risk_position = _risk_lines(p, figures, as_at, framework)
        entry.money = _money(p, figures, as_at)
        own = reviews.get(p.id, [])
        entry.savings = savings_of(p, designs.get(p.id), own, as_at.cycle)
        this_year = [r for r in own if r.cycle == as_at.cycle]
        entry.review = max(this_year, key=lambda r: (r.received_at, r.id), default=None)
        latest[p.id] = entry
    return latest


# --------------------------------------------------------------------------- the author's checks


@dataclass(frozen=True)
class Conventions:
    """What the checks for the report author measure against: the framework's risk matrix
    and performance conventions, and the workspace's threshold for explaining a variance."""

    framework: Framework
    variance: VarianceLimit


def author_checks(latest: Iterable[Latest], conventions: Conventions) -> list[str]:
    """What the report author should look at before publishing: each partnership rated
    Green overall that its figures contradict, and each RAG given against the one worked
    out without a reason. Never part of the paper itself."""
    checks: list[str] = []
    for entry in latest:
        checks.extend(_green_contradicted(entry, conventions))
        checks.extend(_overrides_unexplained(entry))
    return checks


def _who(entry: Latest) -> str:
    return f"{entry.partnership.id} {entry.partnership.name}"


def _green_contradicted(entry: Latest, conventions: Conventions) -> list[str]:
    review = entry.review
    scale = conventions.framework.scales.get("rag")
    choice = scale.choice(review.answers.get(OVERALL_RATING.id)) if review and scale else None
    if review is None or choice is None or choice.rag != Rag.GREEN:
        return []
    rated = f"{_who(entry)} is rated Green overall in its {review.cycle} annual review"
    found = [f"{rated}, but risk {line.risk.ref} ({line.risk.description}) scores "
             f"{line.risk.score_text} at {line.position.period}, at or above the escalation "
             f"score of {conventions.framework.risk_matrix.escalate_at}"
             for line in entry.risks if line.risk.escalated]
    met, rated_count = entry.met
    share = conventions.framework.performance.green_needs_kpis_on_target_percent
    if rated_count and met * 100 < share * rated_count:
        found.append(f"{rated}, but {'only ' + str(met) if met else 'none'} of {rated_count} "
                     "indicators met their target at "
                     f"{entry.kpi_position.period if entry.kpi_position else entry.as_at} "
                     f"(fewer than {share:g}%)")
    money = entry.money
    if money is not None and money.beyond(conventions.variance):
        assert money.budget is not None and money.forecast is not None
        period = money.position.period if money.position else entry.as_at
        found.append(f"{rated}, but its forecast outturn at {period} is "
                     f"{VarianceLimit.describe(money.budget, money.forecast)} its budget of "
                     f"{format_money(money.budget)}, beyond the {conventions.variance.wording} "
                     "threshold")
    return found


def _overrides_unexplained(entry: Latest) -> list[str]:
    return [f"{_who(entry)}: indicator {line.kpi.ref} ({line.kpi.name}) is rated "
            f"{line.kpi.rag} by the Business Manager where its figures work out as "
            f"{line.kpi.calculated}, with no reason given ({line.position.source})"
            for line in entry.kpis if line.kpi.overridden and not line.kpi.reason]
