"""What the committee papers report: each partnership's current returns, its gaps and trends.

`gather_scrutiny` collects, for every in-scope partnership in the register, the accepted annual
review of a cycle, the accepted review of the cycle before (for the direction of travel), the
latest accepted monitoring return, and - when there is no accepted review - why not, in words
(outstanding, overdue, rejected, only from an earlier cycle, never issued, or not yet due).
`gather_cgb` does the same for the monitoring returns of one period (e.g. "2026-Q4").

Nothing here writes a document: the papers and the data annex are built from these objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.council_year import (
    long_date,
    normal_cycle,
    normal_period,
    previous_cycle,
    previous_period,
)
from generator.errors import ReportError
from generator.formdefs import FormDefinition, load_definition
from generator.framework import Framework, Phase, Scale
from generator.money import stored_money, tidy_amount
from generator.register import Partnership, read_register
from generator.returns.tracker import StatusRow, status_rows
from generator.store import Return, Store
from generator.vocabulary import (
    BUDGET,
    FORECAST,
    KPIS,
    MONITORING,
    PERIOD,
    REVIEW,
    RISKS,
    PaperField,
)
from generator.workspace import Workspace

# Direction of travel of a rating against the previous cycle (or period).
IMPROVED = "improved ↑"
UNCHANGED = "unchanged →"
DECLINED = "declined ↓"
NEW = "new"

# Risk score (likelihood x impact, each 1 to 5) bands: (lowest, highest, name).
RISK_BANDS = ((1, 4, "Low"), (5, 9, "Medium"), (10, 15, "High"), (16, 25, "Very high"))
HIGH_BANDS = ("High", "Very high")

# Review and monitoring states of a partnership.
ACCEPTED = "accepted"
ACCEPTED_WARNINGS = "accepted with warnings"
OUTSTANDING = "outstanding"
OVERDUE = "overdue"
REJECTED = "rejected"
EARLIER_CYCLE = "earlier cycle only"
NOT_ISSUED = "not issued"
NOT_DUE = "not due"
GAP_STATES = (OUTSTANDING, OVERDUE, REJECTED, EARLIER_CYCLE, NOT_ISSUED)

# --------------------------------------------------------------------------- money


@dataclass(frozen=True)
class Finance:
    """A partnership's money in a paper: budget and forecast outturn from a monitoring return,
    cashable savings from a review, and where they came from."""

    partnership: Partnership
    budget: float | None
    forecast: float | None
    savings: float | None = None
    source: str = ""

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


def monitoring_finance(partnership: Partnership, ret: Return | None) -> Finance:
    """The budget and forecast a monitoring return gives (none without a return)."""
    if ret is None:
        return Finance(partnership, None, None, source="no monitoring return")
    return Finance(partnership, stored_money(ret.answers.get(BUDGET.id)),
                   stored_money(ret.answers.get(FORECAST.id)),
                   source=f"monitoring return {ret.period or ''}".strip())


def total(values: Iterable[float | None]) -> float | int:
    """The sum of the amounts given, rounded to the penny."""
    return tidy_amount(sum(value for value in values if isinstance(value, int | float)))


# --------------------------------------------------------------------------- small helpers


def _key(text: object) -> str:
    return " ".join(str(text or "").split()).casefold()


def _rows(answers: dict[str, Any], field_id: str) -> list[dict[str, Any]]:
    value = answers.get(field_id)
    if not isinstance(value, list):
        return []
    return [row for row in value if isinstance(row, dict)
            and any(str(v or "").strip() for v in row.values())]


def text_answer(answers: dict[str, Any], field_id: str) -> str:
    value = answers.get(field_id)
    return "" if value is None else str(value).strip()


# --------------------------------------------------------------------------- ratings


@dataclass(frozen=True)
class Rating:
    """An answer on a scale with a RAG colour and a score (higher is better)."""

    value: str | None
    label: str
    rag: str | None
    score: int | None

    @property
    def rated(self) -> bool:
        """A real rating: answered and not 'Not applicable' (score 0)."""
        return self.score is not None and self.score > 0

    @property
    def cell(self) -> str:
        """The rating for a table cell, starting with its colour word ('Green: Fully met')."""
        if self.value is None:
            return "Not rated"
        if self.rated and self.rag and self.rag != "Grey":
            return self.label if self.label == self.rag else f"{self.rag}: {self.label}"
        return self.label

    @property
    def colour(self) -> str:
        """Green, Amber, Red or 'Not rated' (unanswered or not applicable)."""
        return self.rag if self.rated and self.rag in ("Green", "Amber", "Red") else "Not rated"


def rating(scale: Scale, value: Any) -> Rating:
    choice = scale.choice(str(value)) if value not in (None, "") else None
    if choice is None:
        if value in (None, ""):
            return Rating(None, "Not rated", None, None)
        return Rating(str(value), str(value), None, None)
    return Rating(choice.value, choice.label, choice.rag, choice.score)


def direction(current: Rating, previous: Rating | None) -> str:
    """Direction of travel by the scale's score; '' when there is no current rating."""
    if not current.rated:
        return ""
    if previous is None or not previous.rated:
        return NEW
    assert current.score is not None and previous.score is not None
    if current.score > previous.score:
        return IMPROVED
    if current.score < previous.score:
        return DECLINED
    return UNCHANGED


# --------------------------------------------------------------------------- KPIs and risks


@dataclass(frozen=True)
class Kpi:
    name: str
    target: str
    actual: str
    rating: Rating
    commentary: str

    @property
    def met(self) -> bool | None:
        """True for Green, False for Amber or Red, None when not rated."""
        if self.rating.value == "green":
            return True
        if self.rating.value in ("amber", "red"):
            return False
        return None


def kpis_of(answers: dict[str, Any], rag_scale: Scale) -> list[Kpi]:
    return [Kpi(str(row.get("name") or "").strip() or "Unnamed indicator",
                str(row.get("target") or "").strip(), str(row.get("actual") or "").strip(),
                rating(rag_scale, row.get("rag")), str(row.get("commentary") or "").strip())
            for row in _rows(answers, KPIS.id)]


@dataclass(frozen=True)
class KpiCounts:
    reported: int = 0
    met: int = 0
    not_met: int = 0
    not_rated: int = 0


def kpi_counts(kpis: Iterable[Kpi]) -> KpiCounts:
    kpis = list(kpis)
    return KpiCounts(len(kpis), sum(1 for k in kpis if k.met is True),
                     sum(1 for k in kpis if k.met is False),
                     sum(1 for k in kpis if k.met is None))


def _score_part(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 1 <= number <= 5 else None


def risk_band(score: int | None) -> str:
    if score is None:
        return "Not scored"
    for low, high, name in RISK_BANDS:
        if low <= score <= high:
            return name
    return "Not scored"


@dataclass(frozen=True)
class Risk:
    partnership: Partnership
    description: str
    likelihood: int | None
    impact: int | None
    mitigation: str
    owner: str
    source: str

    @property
    def score(self) -> int | None:
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact

    @property
    def band(self) -> str:
        return risk_band(self.score)

    @property
    def high(self) -> bool:
        return self.band in HIGH_BANDS


def risks_of(answers: dict[str, Any], partnership: Partnership, source: str) -> list[Risk]:
    return [Risk(partnership, str(row.get("description") or "").strip() or "Unnamed risk",
                 _score_part(row.get("likelihood")), _score_part(row.get("impact")),
                 str(row.get("mitigation") or "").strip(), str(row.get("owner") or "").strip(),
                 source)
            for row in _rows(answers, RISKS.id)]


def top_risks(risks: Iterable[Risk], count: int) -> list[Risk]:
    """The highest-scoring risks first; unscored risks last; ties keep their order."""
    return sorted(risks, key=lambda r: -(r.score or 0))[:count]


# --------------------------------------------------------------------------- store look-ups


def _latest(returns: Iterable[Return]) -> dict[str, Return]:
    """The most recently received return per partnership."""
    latest: dict[str, Return] = {}
    for ret in sorted(returns, key=lambda r: (r.received_at, r.id)):
        if ret.partnership_id:
            latest[ret.partnership_id] = ret
    return latest


def _return_period(ret: Return) -> str:
    return normal_period(ret.period or text_answer(ret.answers, PERIOD.id))


def _issue_state(rows: list[StatusRow]) -> StatusRow | None:
    """The status of the partnership's latest issue (one not replaced by a later issue)."""
    live = [r for r in rows if r.state != "replaced by a later issue"]
    candidates: Sequence[StatusRow | None] = live or rows or [None]
    return candidates[-1]


def _gap_words(row: StatusRow, what: str) -> tuple[str, str]:
    """(state, words) for an issued form without an accepted return."""
    due = long_date(row.due_date)
    if row.state == REJECTED:
        returned = f" on {long_date(row.returned_at)}" if row.returned_at else ""
        return REJECTED, (f"{what} rejected: the form returned{returned} had "
                          f"{row.detail or 'problems to fix'}, and no corrected form has been "
                          "accepted")
    if row.state == OVERDUE:
        return OVERDUE, f"{what} overdue: it was due on {due} ({row.detail})"
    return OUTSTANDING, f"{what} outstanding: due on {due}" if due else f"{what} outstanding"


# --------------------------------------------------------------------------- scrutiny


@dataclass
class ReviewEntry:
    """One in-scope partnership in the annual report."""

    partnership: Partnership
    state: str
    state_text: str
    review: Return | None = None
    previous: Return | None = None
    earlier: Return | None = None
    monitoring: Return | None = None

    @property
    def gap(self) -> bool:
        return self.state in GAP_STATES

    @property
    def expected(self) -> bool:
        """A review was due from this partnership (it is delivering, or one was issued)."""
        return self.state != NOT_DUE


class _Figures:
    """What both papers' figures share: the framework and the definitions of the forms read."""

    framework: Framework
    definitions: dict[str, FormDefinition]

    def scale_of(self, wanted: PaperField, column: str | None = None) -> Scale:
        """The answer scale of a field the papers read (of one column, for a table)."""
        definition = self.definitions[wanted.forms[0]]
        found = definition.fields[wanted.for_principle(1)]
        if column is not None:
            found = next(c for c in found.columns if c.id == column)
        if found.scale is None:
            raise ReportError(f"{definition.source}: field '{found.id}' has no scale")
        return self.framework.scale(found.scale)

    @property
    def established_phase(self) -> Phase:
        """The phase of the partnerships the papers report on: the annual review's phase."""
        phase_id = self.definitions[REVIEW].phase
        return next(phase for phase in self.framework.phases if phase.id == phase_id)


def _definitions(ws: Workspace, framework: Framework) -> dict[str, FormDefinition]:
    """The definitions of the forms the papers read (REVIEW and MONITORING)."""
    return {form: load_definition(form, framework=framework, forms_dir=ws.forms_dir)
            for form in (REVIEW, MONITORING)}


@dataclass
class ScrutinyData(_Figures):
    cycle: str
    previous_cycle: str | None
    framework: Framework
    definitions: dict[str, FormDefinition]
    entries: list[ReviewEntry]
    out_of_scope: list[Partnership]
    today: dt.date

    @property
    def expected(self) -> list[ReviewEntry]:
        return [e for e in self.entries if e.expected]

    @property
    def reviewed(self) -> list[ReviewEntry]:
        return [e for e in self.entries if e.review is not None]

    @property
    def gaps(self) -> list[ReviewEntry]:
        return [e for e in self.entries if e.gap]

    @property
    def not_due(self) -> list[ReviewEntry]:
        return [e for e in self.entries if not e.expected]



def gather_scrutiny(ws: Workspace, *, cycle: str | None = None,
                    today: dt.date | None = None) -> ScrutinyData:
    """Every in-scope partnership with its current review (or its gap) for `cycle`."""
    today = today or dt.date.today()
    cycle = normal_cycle(cycle or ws.cycle)
    before = previous_cycle(cycle)
    framework = ws.framework()
    definitions = _definitions(ws, framework)
    established = definitions[REVIEW].phase
    register = read_register(ws.path("register"), framework)
    with Store(ws.path("store")) as store:
        current = _latest(store.current_returns(form_type=REVIEW, cycle=cycle))
        previous = _latest(store.current_returns(form_type=REVIEW, cycle=before)) \
            if before else {}
        accepted = store.current_returns(form_type=REVIEW)
        rows = [r for r in status_rows(store, cycle=cycle, today=today) if r.form == REVIEW]
        monitoring = {p.id: store.latest_accepted(p.id, MONITORING) for p in register.in_scope}
    earlier = _latest(r for r in accepted if (r.cycle or "") < cycle)
    entries = []
    for p in register.in_scope:
        entry = ReviewEntry(p, ACCEPTED, "", current.get(p.id), previous.get(p.id),
                            earlier.get(p.id), monitoring.get(p.id))
        if entry.review is not None:
            warned = entry.review.outcome == "warnings"
            entry.state = ACCEPTED_WARNINGS if warned else ACCEPTED
            entry.state_text = (f"{cycle} review accepted"
                                f"{' with warnings' if warned else ''} "
                                f"({long_date(entry.review.received_at)})")
        else:
            row = _issue_state([r for r in rows if r.partnership_id == p.id])
            if row is not None:
                entry.state, entry.state_text = _gap_words(row, f"{cycle} review")
            elif entry.earlier is not None:
                entry.state = EARLIER_CYCLE
                entry.state_text = (f"No {cycle} review was issued; the latest accepted review "
                                    f"is from {entry.earlier.cycle} and is not current")
            elif p.phase != established:
                entry.state = NOT_DUE
                entry.state_text = (f"In the {p.phase} phase: an annual review is due once the "
                                    "partnership is delivering")
            else:
                entry.state = NOT_ISSUED
                entry.state_text = f"No {cycle} review has been issued"
            if entry.earlier is not None and entry.state != EARLIER_CYCLE:
                entry.state_text += (f"; the latest accepted review is from "
                                     f"{entry.earlier.cycle}")
        entries.append(entry)
    return ScrutinyData(cycle, before, framework, definitions, entries, register.out_of_scope,
                        today)


# --------------------------------------------------------------------------- CGB


@dataclass
class MonitoringEntry:
    """One partnership in the monitoring update for a period."""

    partnership: Partnership
    state: str
    state_text: str
    ret: Return | None = None
    previous: Return | None = None


@dataclass
class CgbData(_Figures):
    period: str
    previous_period: str | None
    framework: Framework
    definitions: dict[str, FormDefinition]
    entries: list[MonitoringEntry]
    today: dt.date
    out_of_scope: list[Partnership] = field(default_factory=list)

    @property
    def returned(self) -> list[MonitoringEntry]:
        return [e for e in self.entries if e.ret is not None]

    @property
    def missing(self) -> list[MonitoringEntry]:
        return [e for e in self.entries if e.ret is None]



def gather_cgb(ws: Workspace, *, period: str | None = None,
               today: dt.date | None = None) -> CgbData:
    """The accepted monitoring return of `period` for each delivering partnership, or its gap.

    Partnerships expected are the in-scope ones in the Deliver phase and any other in-scope
    partnership sent a monitoring form for the period.
    """
    today = today or dt.date.today()
    period = normal_period(period or ws.period)
    before = previous_period(period)
    framework = ws.framework()
    definitions = _definitions(ws, framework)
    established = definitions[MONITORING].phase
    register = read_register(ws.path("register"), framework)
    with Store(ws.path("store")) as store:
        accepted = store.current_returns(form_type=MONITORING)
        issued = [i for i in store.all_issued(form_type=MONITORING)
                  if normal_period(i.period) == period]
        issue_ids = {i.issue_id for i in issued}
        rows = [r for r in status_rows(store, today=today) if r.issue in issue_ids]
    this = _latest(r for r in accepted if _return_period(r) == period)
    last = _latest(r for r in accepted if before and _return_period(r) == before)
    asked = {i.partnership_id for i in issued}
    entries = []
    for p in register.in_scope:
        if p.phase != established and p.id not in asked and p.id not in this:
            continue
        entry = MonitoringEntry(p, ACCEPTED, "", this.get(p.id), last.get(p.id))
        if entry.ret is not None:
            warned = entry.ret.outcome == "warnings"
            entry.state = ACCEPTED_WARNINGS if warned else ACCEPTED
            entry.state_text = (f"Return accepted{' with warnings' if warned else ''} "
                                f"({long_date(entry.ret.received_at)})")
        else:
            row = _issue_state([r for r in rows if r.partnership_id == p.id])
            if row is not None:
                entry.state, entry.state_text = _gap_words(row, f"{period} return")
            else:
                entry.state = NOT_ISSUED
                entry.state_text = f"No monitoring form was issued for {period}"
        entries.append(entry)
    return CgbData(period, before, framework, definitions, entries, today,
                   register.out_of_scope)
