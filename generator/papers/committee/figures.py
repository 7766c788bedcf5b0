"""What the committee papers report: each partnership's current returns, its gaps and trends.

`gather_scrutiny` collects, for every in-scope partnership in the register, the accepted annual
review of a cycle, the accepted review of the cycle before (for the direction of travel),
its latest figures (`latest`: indicators, risks and money, each from the latest accepted
return that gives them, with its period), and - when there is no accepted review - why not,
in words (outstanding, overdue, rejected, only from an earlier cycle, never issued, or not yet
due). `gather_cgb` does the same for the monitoring returns of one period ("Q3 2026/27"), with
the latest figures as at that period: the same figures, from the same returns.

Nothing here writes a document: the papers and the data annex are built from these objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from generator.council_year import (
    Period,
    last_quarter,
    long_date,
    normal_cycle,
    parse_period,
    previous_cycle,
    stored_period,
)
from generator.errors import ReportError
from generator.formdefs import FormDefinition, form_types, load_definition
from generator.framework import Framework, Phase, Scale
from generator.money import tidy_amount
from generator.papers.committee.advice import (
    Action,
    Emerging,
    actions_log,
    emerging_partnerships,
)
from generator.papers.committee.latest import (
    Accepted,
    Conventions,
    Latest,
    author_checks,
    gather_latest,
)
from generator.register import Partnership, Register, read_register
from generator.returns.tracker import StatusRow, status_rows
from generator.store import Return, Store
from generator.vocabulary import EMERGING_RECOMMENDATION, MONITORING, REVIEW, PaperField
from generator.workspace import Workspace

# Direction of travel of a rating against the previous cycle (or period).
IMPROVED = "improved ↑"
UNCHANGED = "unchanged →"
DECLINED = "declined ↓"
NEW = "new"

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


def total(values: Iterable[float | None]) -> float | int:
    """The sum of the amounts given, rounded to the penny."""
    return tidy_amount(sum(value for value in values if isinstance(value, int | float)))


# --------------------------------------------------------------------------- small helpers


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


# --------------------------------------------------------------------------- store look-ups


def _latest(returns: Iterable[Return]) -> dict[str, Return]:
    """The most recently received return per partnership."""
    latest: dict[str, Return] = {}
    for ret in sorted(returns, key=lambda r: (r.received_at, r.id)):
        if ret.partnership_id:
            latest[ret.partnership_id] = ret
    return latest


def _by_partnership(rows: Iterable[StatusRow]) -> dict[str, list[StatusRow]]:
    """Status rows by partnership id, in their order (looked up once per partnership)."""
    grouped: dict[str, list[StatusRow]] = {}
    for row in rows:
        grouped.setdefault(row.partnership_id, []).append(row)
    return grouped


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


def _accepted_words(ret: Return, what: str) -> tuple[str, str]:
    """(state, words) for an accepted return: "<what> accepted (with warnings) (date)"."""
    warned = ret.outcome == "warnings"
    return (ACCEPTED_WARNINGS if warned else ACCEPTED,
            f"{what} accepted{' with warnings' if warned else ''} ({long_date(ret.received_at)})")


@dataclass(frozen=True)
class _Sources:
    """What both papers read besides the store: the framework, the definitions of the forms
    they read, the register and the workspace's threshold for explaining a variance."""

    framework: Framework
    definitions: dict[str, FormDefinition]
    register: Register
    conventions: Conventions

    @classmethod
    def read(cls, ws: Workspace) -> _Sources:
        framework = ws.framework()
        return cls(framework, _definitions(ws, framework),
                   read_register(ws.path("register"), framework),
                   Conventions(framework, ws.variance_limit))


@dataclass
class Entry:
    """A partnership in a paper: the state of its review or return, and that in words."""

    partnership: Partnership
    state: str
    state_text: str


# --------------------------------------------------------------------------- scrutiny


@dataclass
class ReviewEntry(Entry):
    """One in-scope partnership in the annual report."""

    review: Return | None = None
    previous: Return | None = None
    earlier: Return | None = None
    latest: Latest | None = None

    @property
    def gap(self) -> bool:
        return self.state in GAP_STATES

    @property
    def expected(self) -> bool:
        """A review was due from this partnership (it is delivering, or one was issued)."""
        return self.state != NOT_DUE


class _Figures:
    """What both papers' figures share: the framework, the definitions of the forms read,
    and each partnership's latest figures as at a period (`latest`, by partnership id)."""

    framework: Framework
    definitions: dict[str, FormDefinition]
    as_at: Period
    latest: dict[str, Latest]
    conventions: Conventions

    def checks(self, partnerships: Sequence[Partnership]) -> list[str]:
        """What the report author should look at before publishing (never in the paper)."""
        return author_checks((self.latest[p.id] for p in partnerships if p.id in self.latest),
                             self.conventions)

    @cached_property
    def forecast(self) -> bool:
        """Whether any figure used is a forecast: not yet the year's Quarter 4 outturn."""
        positions = [p for e in self.latest.values()
                     for p in (e.kpi_position, e.risk_position,
                               e.money.position if e.money else None) if p is not None]
        return not positions or not all(p.outturn for p in positions)

    @cached_property
    def position_text(self) -> str:
        """'position at Q3 2026/27 (forecast)', or 'outturn at Q4 2026/27': the period of the
        latest figures used (at most `as_at`), and whether they are a forecast.

        Worked out once: every partnership's appendix names it, and each time it looks at
        every partnership's figures (0.5 s at 1,000 partnerships, growing with the square)."""
        periods = [p.period for e in self.latest.values()
                   for p in (e.kpi_position, e.risk_position,
                             e.money.position if e.money else None) if p is not None]
        period = max(periods, default=self.as_at)
        return f"position at {period} (forecast)" if self.forecast else f"outturn at {period}"

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
    as_at: Period
    latest: dict[str, Latest]
    conventions: Conventions
    emerging: list[Emerging] = field(default_factory=list)

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



def scrutiny_as_at(ws: Workspace, cycle: str) -> Period:
    """The period the annual report's figures are as at: the workspace's quarter for the
    current council year, Quarter 4 (the outturn) for an earlier or later one."""
    return ws.period if normal_cycle(ws.cycle) == cycle else last_quarter(cycle)


def gather_scrutiny(ws: Workspace, *, cycle: str | None = None,
                    today: dt.date | None = None) -> ScrutinyData:
    """Every in-scope partnership with its current review (or its gap) for `cycle`."""
    today = today or dt.date.today()
    cycle = normal_cycle(cycle or ws.cycle)
    before = previous_cycle(cycle)
    as_at = scrutiny_as_at(ws, cycle)
    sources = _Sources.read(ws)
    register = sources.register
    with Store(ws.path("store")) as store:
        accepted = Accepted(store)
        reviews = accepted.of(REVIEW)
        current = _latest(r for r in reviews if r.cycle == cycle)
        previous = _latest(r for r in reviews if r.cycle == before) if before else {}
        earlier = _latest(r for r in reviews if (r.cycle or "") < cycle)
        rows = _by_partnership(r for r in status_rows(store, cycle=cycle, today=today)
                               if r.form == REVIEW)
        latest = gather_latest(accepted, register.in_scope, as_at, sources.framework)
        established = sources.definitions[REVIEW].phase
        entries = []
        for p in register.in_scope:
            entry = ReviewEntry(p, ACCEPTED, "", current.get(p.id), previous.get(p.id),
                                earlier.get(p.id), latest[p.id])
            entry.state, entry.state_text = _review_state(entry, rows.get(p.id, []), cycle,
                                                          established)
            entries.append(entry)
        # From the same reading of the store as the figures.
        emerging = _emerging(ws, accepted, sources, {e.partnership.id for e in entries
                                                     if e.expected})
    return ScrutinyData(cycle, before, sources.framework, sources.definitions, entries,
                        register.out_of_scope, today, as_at, latest, sources.conventions,
                        emerging)


def _review_state(entry: ReviewEntry, rows: list[StatusRow], cycle: str,
                  established: str) -> tuple[str, str]:
    """(state, words) of a partnership's review for the cycle: accepted, or why there is none.

    `rows` are the status of the review forms issued to it for the cycle; `established` is
    the phase in which a review is due.
    """
    if entry.review is not None:
        return _accepted_words(entry.review, f"{cycle} review")
    row = _issue_state(rows)
    if row is not None:
        state, words = _gap_words(row, f"{cycle} review")
    elif entry.earlier is not None:
        return EARLIER_CYCLE, (f"No {cycle} review was issued; the latest accepted review is "
                               f"from {entry.earlier.cycle} and is not current")
    elif entry.partnership.phase != established:
        state, words = NOT_DUE, (f"In the {entry.partnership.phase} phase: an annual review is "
                                 "due once the partnership is delivering")
    else:
        state, words = NOT_ISSUED, f"No {cycle} review has been issued"
    if entry.earlier is not None:
        words += f"; the latest accepted review is from {entry.earlier.cycle}"
    return state, words


# --------------------------------------------------------------------------- CGB


@dataclass
class MonitoringEntry(Entry):
    """One partnership in the monitoring update for a period: its return for the period (or
    why there is none), and its latest figures as at the period."""

    ret: Return | None = None
    latest: Latest | None = None


@dataclass
class CgbData(_Figures):
    period: Period
    framework: Framework
    definitions: dict[str, FormDefinition]
    entries: list[MonitoringEntry]
    today: dt.date
    as_at: Period
    latest: dict[str, Latest]
    conventions: Conventions
    out_of_scope: list[Partnership] = field(default_factory=list)
    emerging: list[Emerging] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)

    @property
    def previous_period(self) -> Period:
        return self.period.previous

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
    wanted = parse_period(period, ws.cycle) if period else ws.period
    sources = _Sources.read(ws)
    with Store(ws.path("store")) as store:
        accepted = Accepted(store)
        issued = [i for i in store.all_issued(form_type=MONITORING)
                  if stored_period(i.period) == wanted]
        issue_ids = {i.issue_id for i in issued}
        rows = _by_partnership(r for r in status_rows(store, today=today)
                               if r.issue in issue_ids)
        this = _latest(r for r in accepted.of(MONITORING) if stored_period(r.period) == wanted)
        asked = {i.partnership_id for i in issued}
        established = sources.definitions[MONITORING].phase
        expected = [p for p in sources.register.in_scope
                    if p.phase == established or p.id in asked or p.id in this]
        latest = gather_latest(accepted, expected, wanted, sources.framework)
        # From the same reading of the store as the figures.
        emerging = _emerging(ws, accepted, sources, {p.id for p in expected})
        actions = _actions(ws, accepted, sources.framework, expected)
    entries = []
    for p in expected:
        entry = MonitoringEntry(p, ACCEPTED, "", this.get(p.id), latest[p.id])
        entry.state, entry.state_text = _monitoring_state(entry, rows.get(p.id, []), wanted)
        entries.append(entry)
    return CgbData(wanted, sources.framework, sources.definitions, entries, today, wanted,
                   latest, sources.conventions, sources.register.out_of_scope, emerging,
                   actions)


def _emerging(ws: Workspace, accepted: Accepted, sources: _Sources, delivering: set[str]
              ) -> list[Emerging]:
    """The in-scope partnerships not yet delivering, each with its latest recommendation."""
    present = form_types(ws.forms_dir, sources.framework)
    definitions = {t: load_definition(t, framework=sources.framework, forms_dir=ws.forms_dir)
                   for t in EMERGING_RECOMMENDATION.forms if t in present}
    returns = [r for t in definitions for r in accepted.of(t)]
    return emerging_partnerships([p for p in sources.register.in_scope
                                  if p.id not in delivering], returns, definitions)


def _actions(ws: Workspace, accepted: Accepted, framework: Framework,
             partnerships: Sequence[Partnership]) -> list[Action]:
    """The actions log: the actions of each delivering partnership's latest accepted review."""
    latest: dict[str, Return] = {}
    for ret in accepted.of(REVIEW):  # the latest cycle's, then received
        best = latest.get(ret.partnership_id or "")
        if best is None or (ret.cycle or "", ret.received_at) > (best.cycle or "",
                                                                  best.received_at):
            latest[ret.partnership_id or ""] = ret
    reviews = []
    for partnership in partnerships:
        review = latest.get(partnership.id)
        if review is not None:
            reviews.append((partnership, review, load_definition(
                REVIEW, review.version, framework=framework, forms_dir=ws.forms_dir)))
    return actions_log(reviews)


def _monitoring_state(entry: MonitoringEntry, rows: list[StatusRow],
                      period: Period) -> tuple[str, str]:
    """(state, words) of a partnership's monitoring return for the period: accepted, or why
    there is none (`rows`: the status of the forms issued to it for the period)."""
    if entry.ret is not None:
        return _accepted_words(entry.ret, "Return")
    row = _issue_state(rows)
    if row is not None:
        return _gap_words(row, f"{period} return")
    return NOT_ISSUED, f"No monitoring form was issued for {period}"
