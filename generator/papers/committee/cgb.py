"""The monitoring update to the Corporate Governance Board for one period, with its data annex.

For a quarter of the council year ("Q3 2026/27"). Each partnership's figures are its latest
accepted figures as at the period (`latest`), each saying which period it comes from: the
same figures, from the same returns, as the Scrutiny Committee report. Exceptions come first:
risks at or above the escalation score, indicators rated Red, indicators that got worse since
the period before, overspends beyond the council's threshold and other high risks. Then
performance, risks (a heat map of residual scores labelled by risk id, with a table of the
same data; escalated risks first) and budgets, the issues, opportunities and lessons of the
period's returns, and last the partnerships with no accepted return for the period, each
named with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject

from generator.council_year import long_date
from generator.fileio import safe_filename
from generator.framework import RiskMatrix
from generator.office import word as paper
from generator.papers.committee import layout
from generator.papers.committee.advice import actions_table, emerging_table
from generator.papers.committee.figures import CgbData, MonitoringEntry, gather_cgb, total
from generator.papers.committee.latest import KpiLine, Latest, Money, RiskLine
from generator.papers.committee.sources import Source
from generator.papers.committee.tables import (
    KPI_COUNT_QUESTIONS,
    NOT_ANSWERED,
    Table,
    escalated_first,
    heat_map_table,
    kpi_table,
    money_table,
    position_source,
    risk_table,
    with_total,
)
from generator.positions import Position
from generator.store import Return
from generator.vocabulary import MONITORING, Rag, Trend
from generator.wording import plural
from generator.workspace import Workspace

# What an exception quotes of its return, for the Sources sheet.
_KPI_SAID = "Key Performance Indicators: actual, target and RAG, and the RAG of the period before"
_RISK_SAID = "Risks: residual score (likelihood times impact after mitigation) and its trend"
_MONEY_SAID = "Forecast outturn (£) against Budget for the year (£)"
_COMMENTARY_SAID = "The commentary, mitigation or explanation given with it"

ESCALATED = "Escalated risk"
RED_KPI = "Red KPI"
KPI_WORSE = "KPI rating fell"
OVERSPEND = "Overspend"
HIGH_RISK = "High risk"
EXCEPTION_KINDS = (ESCALATED, RED_KPI, KPI_WORSE, OVERSPEND, HIGH_RISK)
# How the summary counts each kind: one and many.
COUNTED = {ESCALATED: ("escalated risk", None), RED_KPI: ("indicator rated Red",
                                                          "indicators rated Red"),
           KPI_WORSE: ("indicator whose rating fell", "indicators whose rating fell"),
           OVERSPEND: ("overspend", None), HIGH_RISK: ("other high risk", None)}


def compile_cgb(ws: Workspace, *, period: str | None = None, pdf: bool = False,
                today: dt.date | None = None) -> layout.PaperResult:
    """Write `cgb-update-Q3-2026-27.docx` and `.xlsx` (and `.pdf` if asked) into reports/,
    with the note of what to check before publishing beside them.

    `period` as an officer types it ("Q3", "Q3 2026/27", "2026/27 Q3"); the workspace's
    period by default. Never overwrites an earlier paper; a missing LibreOffice is a note,
    not an error.
    """
    data = gather_cgb(ws, period=period, today=today or dt.date.today())
    stem = safe_filename(f"cgb-update-{data.period.in_file_names.replace(' ', '-')}")
    return _Update(ws, data).save(stem, pdf=pdf)


@dataclass(frozen=True)
class ExceptionItem:
    entry: MonitoringEntry
    kind: str
    detail: str
    commentary: str
    position: Position
    said: str  # what the paper quotes of the return: the question(s) it answers


def _name(entry: MonitoringEntry) -> str:
    return f"{entry.partnership.id} {entry.partnership.name}"


def _money_text(value: object) -> str:
    pence = isinstance(value, float) and not value.is_integer()
    return paper.format_value(value, "money_pence" if pence else "money")


def _return_of(entry: MonitoringEntry) -> Return:
    """The return of an entry of `CgbData.returned`, which all have one."""
    assert entry.ret is not None
    return entry.ret


def _latest(entry: MonitoringEntry) -> Latest:
    assert entry.latest is not None
    return entry.latest


class _Update(layout.CommitteePaper):
    kind = "cgb"
    default_committee = "Corporate Governance Board"
    what = "update"

    def __init__(self, ws: Workspace, data: CgbData) -> None:
        super().__init__(ws, f"Partnership monitoring update {data.period}",
                         period=str(data.period), previous_period=str(data.previous_period))
        self.data = data

    @functools.cached_property
    def matrix(self) -> RiskMatrix:
        return self.data.framework.risk_matrix

    # ---- figures --------------------------------------------------------------------------

    @functools.cached_property
    def kpis(self) -> list[KpiLine]:
        return [line for e in self.data.entries for line in _latest(e).kpis]

    @functools.cached_property
    def risks(self) -> list[RiskLine]:
        """Every risk, escalated ones first, then by residual score."""
        return escalated_first(line for e in self.data.entries for line in _latest(e).risks)

    @functools.cached_property
    def moneys(self) -> list[Money]:
        return [m for e in self.data.entries if (m := _latest(e).money) is not None
                and m.position is not None]

    def _entry(self, partnership_id: str) -> MonitoringEntry:
        return next(e for e in self.data.entries if e.partnership.id == partnership_id)

    def _kpi_exceptions(self) -> list[ExceptionItem]:
        found = []
        for line in self.kpis:
            kpi = line.kpi
            said = f"{line.id} {kpi.name}: {kpi.rag_text}, actual " \
                   f"{kpi.shown(kpi.actual) or 'not given'} against a target of {kpi.target_text}"
            entry = self._entry(line.partnership.id)
            why = kpi.reason or kpi.commentary or NOT_ANSWERED
            if kpi.rag == Rag.RED:
                found.append(ExceptionItem(entry, RED_KPI, said, why, line.position, _KPI_SAID))
            elif line.rating_fell:
                assert line.previous is not None
                found.append(ExceptionItem(entry, KPI_WORSE, f"{said}; it was "
                                           f"{line.previous.rag} at {line.previous_period} "
                                           f"({line.trend_text})", why, line.position,
                                           _KPI_SAID))
        return found

    def _risk_exceptions(self) -> list[ExceptionItem]:
        return [ExceptionItem(self._entry(line.partnership.id),
                              ESCALATED if line.risk.escalated else HIGH_RISK,
                              f"{line.id} {line.risk.description}: residual "
                              f"{line.risk.score_text}; {line.trend}",
                              line.risk.mitigation or NOT_ANSWERED, line.position, _RISK_SAID)
                for line in self.risks if line.risk.escalated or line.risk.exception]

    def _money_exceptions(self) -> list[ExceptionItem]:
        limit = self.data.conventions.variance
        found = []
        for money in self.moneys:
            if money.beyond(limit):
                assert money.budget is not None and money.forecast is not None
                assert money.position is not None  # self.moneys all have one
                found.append(ExceptionItem(
                    self._entry(money.partnership.id), OVERSPEND,
                    f"Forecast outturn {_money_text(money.forecast)}: "
                    f"{limit.describe(money.budget, money.forecast)} the budget of "
                    f"{_money_text(money.budget)}", money.explanation or NOT_ANSWERED,
                    money.position, _MONEY_SAID))
        return found

    @functools.cached_property
    def exceptions(self) -> list[ExceptionItem]:
        found = self._risk_exceptions() + self._kpi_exceptions() + self._money_exceptions()
        order = {e.partnership.id: i for i, e in enumerate(self.data.entries)}
        return sorted(found, key=lambda x: (EXCEPTION_KINDS.index(x.kind),
                                            order[x.entry.partnership.id]))

    def checks(self) -> list[str]:
        return self.data.checks([e.partnership for e in self.data.entries])

    # ---- tables ---------------------------------------------------------------------------

    def exceptions_table(self) -> Table:
        rows: list[list[object]] = [[_name(x.entry), x.kind, x.detail, x.commentary,
                                     x.position.label] for x in self.exceptions]
        sources = [position_source(x.position, {"What was reported": x.said,
                                                "Commentary": _COMMENTARY_SAID})
                   for x in self.exceptions]
        if not rows and (self.kpis or self.risks or self.moneys):
            rows = [["None", "", "No exception in the latest figures", "", ""]]
        return Table("Exceptions", f"Exceptions as at {self.data.period}: escalated risks, "
                     "red indicators, indicators whose rating fell, overspends beyond the "
                     "threshold and other high risks",
                     ["Partnership", "Exception", "What was reported", "Commentary",
                      "Position at"], rows, widths_cm=(3.0, 2.0, 4.8, 4.3, 2.4),
                     sources=sources or None)

    def performance_table(self) -> Table:
        rows: list[list[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.entries:
            latest = _latest(entry)
            if latest.kpi_position is None:
                continue
            sources.append(position_source(latest.kpi_position, KPI_COUNT_QUESTIONS))
            colours = Counter(line.kpi.rag for line in latest.kpis)
            rows.append([_name(entry), len(latest.kpis), colours[Rag.GREEN], colours[Rag.AMBER],
                         colours[Rag.RED], colours[Rag.GREY],
                         sum(1 for line in latest.kpis if line.kpi.overridden),
                         sum(1 for line in latest.kpis if line.trend == Trend.WORSE),
                         latest.kpi_position.label])
        rows = with_total(rows, "Total", (1, 2, 3, 4, 5, 6, 7))
        if rows:
            rows[-1][8] = ""
        return Table("Performance", f"Key Performance Indicators by RAG status as at "
                     f"{self.data.period}",
                     ["Partnership", "KPIs", "Green", "Amber", "Red", "Not rated",
                      "Overridden", "Worse than the period before", "Position at"], rows,
                     total=bool(rows), widths_cm=(3.3, 1.2, 1.3, 1.4, 1.0, 1.4, 2.1, 2.4, 2.0),
                     sources=[*sources, None] if sources else None)

    def kpi_table(self) -> Table:
        return kpi_table("KPIs", f"Every indicator as at {self.data.period}, with its trend "
                         "since the period before", self.kpis)

    def risks_table(self) -> Table:
        return risk_table("Risks", f"Risks as at {self.data.period}: those at or above the "
                          f"escalation score ({self.matrix.escalate_at}) first, then by "
                          "residual score", self.risks)

    def heat_table(self) -> Table:
        return heat_map_table("Heat map", f"Heat map of residual risk scores as at "
                              f"{self.data.period}, by risk id", self.risks, self.matrix)

    def budgets_table(self) -> Table:
        return money_table("Budgets", f"Gross budget, the council's contribution and the "
                           f"forecast outturn for the year, as at {self.data.period}",
                           self.moneys)

    def _source(self, entry: MonitoringEntry, questions: dict[str, str]) -> Source:
        """Where a row of what a partnership's return for the period says comes from."""
        return Source.of_return(_return_of(entry), form=f"{self.data.period} monitoring return",
                                period=str(self.data.period), questions=questions)

    def _asked(self, field_id: str) -> str:
        """The question on the monitoring form a field answers."""
        found = self.data.definitions[MONITORING].fields.get(field_id)
        return found.label if found is not None else field_id

    def _listed(self, sheet: str, field_id: str, columns: dict[str, str], caption: str,
                widths_cm: tuple[float, ...]) -> Table:
        """A table of the rows of a table question of each return for the period (issues,
        opportunities), `columns` giving each column's header by its id."""
        asked = self._asked(field_id)
        rows: list[Sequence[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.returned:
            value = _return_of(entry).answers.get(field_id)
            for row in value if isinstance(value, list) else []:
                if isinstance(row, dict) and any(str(v or "").strip() for v in row.values()):
                    rows.append([_name(entry)] + [str(row.get(c) or "").strip() or NOT_ANSWERED
                                                  for c in columns])
                    sources.append(self._source(entry, {header: f"{asked}: {header.lower()}"
                                                        for header in columns.values()}))
        if not rows and self.data.returned:
            rows = [["None reported"] + [""] * len(columns)]
        return Table(sheet, caption, ["Partnership", *columns.values()], rows,
                     widths_cm=widths_cm, sources=sources or None)

    def issues_table(self) -> Table:
        return self._listed("Issues", "issues",
                            {"issue": "Issue", "action": "Action", "owner": "Owner"},
                            f"Issues reported for {self.data.period}", (3.6, 4.4, 5.8, 2.7))

    def opportunities_table(self) -> Table:
        return self._listed("Opportunities", "opportunities",
                            {"opportunity": "Opportunity", "benefit": "Benefit"},
                            f"Opportunities reported for {self.data.period}", (3.6, 5.0, 7.9))

    def lessons_table(self) -> Table:
        lessons = [(e, str(_return_of(e).answers.get("lessons_learned") or "").strip())
                   for e in self.data.returned]
        rows: list[list[object]] = [[_name(e), text] for e, text in lessons if text]
        sources: list[Source | None] = [self._source(
            e, {"Lessons learned": self._asked("lessons_learned")})
                                        for e, text in lessons if text]
        if not rows and self.data.returned:
            rows = [["None reported", ""]]
        return Table("Lessons learned", f"Lessons learned, {self.data.period}",
                     ["Partnership", "Lessons learned"], rows, widths_cm=(4.0, 12.5),
                     sources=sources or None)

    def missing_table(self) -> Table:
        rows: list[list[object]] = [[_name(e), e.state.capitalize(), e.state_text]
                                    for e in self.data.missing]
        if not rows:
            rows = [["None", "", f"Every partnership expected to return has an accepted "
                                 f"{self.data.period} return"]]
        return Table("No return", f"Partnerships with no accepted return for {self.data.period}",
                     ["Partnership", "Status", "Detail"], rows, widths_cm=(4.5, 2.5, 9.5))

    def emerging_table(self) -> Table:
        return emerging_table(self.data.emerging,
                              "Emerging partnerships: the latest recommendation on each, for "
                              "the Board's advice")

    def actions_table(self) -> Table:
        return actions_table(self.data.actions)

    def annex_tables(self) -> Iterator[Table]:
        # One at a time: each is written and let go before the next is made.
        for make in (self.exceptions_table, self.performance_table, self.kpi_table,
                     self.heat_table, self.risks_table, self.budgets_table,
                     self.emerging_table, self.issues_table, self.opportunities_table,
                     self.lessons_table, self.actions_table, self.missing_table):
            yield make()

    def left_out(self) -> tuple[Sequence[MonitoringEntry], str]:
        return self.data.missing, f"with no accepted return for {self.data.period}"

    def coverage(self) -> list[tuple[str, object]]:
        return [("Period", self.data.period.text),
                ("Figures", f"Each partnership's latest accepted figures as at "
                            f"{self.data.period}; {self.data.position_text}"),
                ("Compared with", str(self.data.previous_period)),
                ("Compiled on", self.data.today),
                ("Partnerships expected to return", len(self.data.entries)),
                ("Accepted returns", len(self.data.returned)),
                ("Without an accepted return", len(self.data.missing))]

    # ---- the document ---------------------------------------------------------------------

    def document(self, annex_name: str) -> DocumentObject:
        data = self.data
        doc = self.opening(subject=f"{self.committee}: partnership monitoring update, "
                                   f"{data.period}",
                           keywords="partnerships; monitoring; exceptions",
                           period_covered=f"{data.period.text}; figures: "
                                          f"{data.position_text}")
        paper.add_heading(doc, "Summary", 1)
        self.summary(doc)
        layout.write_section(
            doc, "Exceptions", self.exceptions_table(),
            intro=f"Risks at or above the escalation score of {self.matrix.escalate_at} "
                  "(escalated to the corporate risk register), indicators rated Red, "
                  f"indicators whose rating fell since {data.previous_period}, forecast "
                  f"overspends beyond {data.conventions.variance.wording} of the budget, and "
                  "other risks scored high or very high. Each figure is the partnership's "
                  "latest accepted figure; 'Position at' says which period it comes from.")
        layout.write_section(
            doc, "Performance", self.performance_table(), self.kpi_table(),
            intro="Each indicator's RAG rating is worked out from its actual, its target, "
                  "which way is better and its amber tolerance. A rating the Business "
                  "Manager gave instead is shown as an override, with the rating worked "
                  "out. The trend compares the actual with the period before, in words and "
                  "arrows.")
        self.risk_section(doc)
        layout.write_section(
            doc, "Budgets", self.budgets_table(),
            intro="The gross budget and the council's own contribution are side by side. The "
                  "variance is the forecast outturn minus the budget, so a positive variance "
                  "is an overspend; the movement is this forecast minus the last one.")
        self.budget_chart(doc)
        layout.write_section(
            doc, "Emerging partnerships", self.emerging_table(),
            intro="The strategy gives the Board an advisory role on emerging partnerships. "
                  "Each partnership in the Explore or Design phase is listed with the "
                  "recommendation of its latest assessment, for the Board's advice before it "
                  "goes further.")
        layout.write_section(doc, "Issues, opportunities and lessons learned",
                             self.issues_table(), self.opportunities_table(), self.lessons_table())
        layout.write_section(
            doc, "Actions log", self.actions_table(),
            intro="The actions each partnership's latest annual review agreed, with their "
                  "owner and due date: last year's with the progress the review reported, "
                  "then those agreed for the coming year.")
        layout.write_gaps(
            doc, f"Partnerships with no return for {data.period}", data.missing,
            intro="These partnerships have no accepted monitoring return for the period; any "
                  "figures above for them come from an earlier period, as 'Position at' "
                  "says:",
            none=f"None: every partnership expected to return has an accepted {data.period} "
                 "return." if data.entries else "None: no partnership is expected to return.",
            table=self.missing_table())
        self.implications(doc, financial=self.financial_figures(), risk=self.risk_figures())
        self.closing(doc, annex_name)
        return doc

    def risk_section(self, doc: DocumentObject) -> None:
        paper.add_heading(doc, "Risks", 1)
        paper.add_paragraph(doc, f"Each risk is scored {self.matrix.scoring()}, before "
                                 "mitigation (inherent) and after it (residual). Risks whose "
                                 f"residual score is {self.matrix.escalate_at} or more are "
                                 "escalated to the corporate risk register and listed first.")
        if self.risks:
            layout.add_heat_map(doc, self.risks, self.matrix,
                                f"Residual risk scores as at {self.data.period}")
        else:
            paper.add_paragraph(doc, "No returns yet: no risk is scored, so there is no "
                                     "heat map.")
        self.heat_table().add_to(doc)
        self.risks_table().add_to(doc)

    def summary(self, doc: DocumentObject) -> None:
        data = self.data
        points = [f"{len(data.returned)} of {plural(len(data.entries), 'partnership')} expected "
                  f"to return have an accepted monitoring return for {data.period.text}.",
                  f"The figures are each partnership's latest accepted figures: "
                  f"{data.position_text}."]
        if not (self.kpis or self.risks or self.moneys):
            points.append("No returns yet: there are no indicators, risks or budgets to report "
                          "for the period.")
        else:
            kinds = Counter(x.kind for x in self.exceptions)
            points.append(f"{plural(sum(kinds.values()), 'exception')}: " + ", ".join(
                plural(kinds[k], *COUNTED[k]) for k in EXCEPTION_KINDS) + ".")
        if data.missing:
            points.append("No accepted return from: " + "; ".join(
                f"{e.partnership.name} ({e.state})" for e in data.missing) + ".")
        points.append(f"Compiled on {long_date(data.today)}.")
        paper.add_bullets(doc, points)
        layout.write_pieces(doc, self.officer.pieces("executive summary"))

    def budget_chart(self, doc: DocumentObject) -> None:
        layout.add_budget_chart(doc, self.moneys,
                                f"Budget against forecast outturn by partnership, as at "
                                f"{self.data.period}")

    def financial_figures(self) -> list[str]:
        if not self.moneys:
            return []
        budget, contribution, forecast, variance = (_money_text(total(values)) for values in (
            (m.budget for m in self.moneys), (m.contribution for m in self.moneys),
            (m.forecast for m in self.moneys), (m.variance for m in self.moneys)))
        return [f"The latest returns, {self.data.position_text}, give gross budgets totalling "
                f"{budget} and a forecast outturn of {forecast}: a variance of {variance}. "
                f"The council's own contribution to these partnerships is {contribution}."]

    def risk_figures(self) -> list[str]:
        if not self.risks:
            return []
        escalated = [r for r in self.risks if r.risk.escalated]
        return [f"{plural(len(escalated), 'risk')} {'is' if len(escalated) == 1 else 'are'} at "
                f"or above the escalation score of {self.matrix.escalate_at} (see Exceptions "
                "and Risks)."]
