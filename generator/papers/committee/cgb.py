"""The monitoring update to the Corporate Governance Board for one period, with its data annex.

Compiled from the accepted monitoring returns of the period (e.g. "2026-Q4"). Exceptions come
first: indicators rated Red, indicators that declined since the previous period's return,
forecast overspends and risks scored high or very high. Then performance, risks and budgets,
and last the partnerships with no accepted return for the period, each named with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject

from generator.council_year import long_date, period_text
from generator.fileio import safe_filename
from generator.office import word as paper
from generator.papers.committee.figures import (
    DECLINED,
    CgbData,
    Finance,
    Kpi,
    MonitoringEntry,
    Rating,
    Risk,
    direction,
    gather_cgb,
    kpi_counts,
    kpis_of,
    monitoring_finance,
    risks_of,
    text_answer,
    total,
)
from generator.papers.committee.layout import (
    ANNEX_NOTES,
    PaperResult,
    add_budget_chart,
    finish_paper,
    front_sheet,
    officer_values,
    open_committee_paper,
    output_paths,
    write_numbered,
    write_pieces,
)
from generator.papers.committee.officer_text import OfficerText, Piece, exempt_piece
from generator.papers.committee.tables import Table, with_total
from generator.store import Return
from generator.vocabulary import BUDGET_COMMENTARY, KPIS
from generator.wording import plural
from generator.workspace import Workspace

NOT_ANSWERED = "Not answered"
EXCEPTION_KINDS = ("Red KPI", "KPI declined", "Budget overspend", "High risk")


def compile_cgb(ws: Workspace, *, period: str | None = None, pdf: bool = False,
                today: dt.date | None = None) -> PaperResult:
    """Write `cgb-update-<period>.docx` and `.xlsx` (and `.pdf` if asked) into reports/.

    Never overwrites an earlier paper; a missing LibreOffice is a note, not an error.
    """
    today = today or dt.date.today()
    data = gather_cgb(ws, period=period, today=today)
    committee = str(ws.setting("committees", "cgb", "") or "Corporate Governance Board")
    officer = OfficerText.from_workspace(ws, "cgb.txt", officer_values(
        ws, committee=committee, period=data.period,
        previous_period=data.previous_period or "the previous period"))
    notes = officer.notes()
    stem = safe_filename(f"cgb-update-{data.period.replace('/', '-')}")
    if data.missing:
        notes.append(f"{plural(len(data.missing), 'partnership')} with no accepted return for "
                     f"{data.period}: " + "; ".join(f"{e.partnership.id} {e.partnership.name} "
                                                    f"({e.state})" for e in data.missing))
    with ws.writing("report cgb", note=notes.append):
        docx_path, xlsx_path, _ = output_paths(ws.path("reports"), stem)
        update = _Update(ws, data, officer, committee, xlsx_path.name)
        return finish_paper(update.document(), docx_path, xlsx_path, update.annex_tables(),
                            update.about(), officer, notes, pdf=pdf)


@dataclass(frozen=True)
class ExceptionItem:
    entry: MonitoringEntry
    kind: str
    detail: str
    commentary: str


def _name(entry: MonitoringEntry) -> str:
    return f"{entry.partnership.id} {entry.partnership.name}"


def _money_text(value: object) -> str:
    pence = isinstance(value, float) and not value.is_integer()
    return paper.format_value(value, "money_pence" if pence else "money")




def _return_of(entry: MonitoringEntry) -> Return:
    """The return of an entry of `CgbData.returned`, which all have one."""
    assert entry.ret is not None
    return entry.ret


class _Update:
    def __init__(self, ws: Workspace, data: CgbData, officer: OfficerText, committee: str,
                 annex_name: str) -> None:
        self.ws = ws
        self.data = data
        self.officer = officer
        self.committee = committee
        self.annex_name = annex_name
        self.title = f"Partnership monitoring update {data.period}"
        self.rag = data.scale_of(KPIS, "rag")

    # ---- figures --------------------------------------------------------------------------

    def kpis(self, entry: MonitoringEntry) -> list[tuple[Kpi, str, Rating | None]]:
        """Each indicator with its change since the previous period's return."""
        assert entry.ret is not None
        before = {" ".join(k.name.split()).casefold(): k.rating
                  for k in kpis_of(entry.previous.answers, self.rag)} \
            if entry.previous is not None else None
        out: list[tuple[Kpi, str, Rating | None]] = []
        for kpi in kpis_of(entry.ret.answers, self.rag):
            if before is None:
                out.append((kpi, f"No {self.data.previous_period or 'earlier'} return", None))
                continue
            previous = before.get(" ".join(kpi.name.split()).casefold())
            out.append((kpi, direction(kpi.rating, previous) or "Not rated", previous))
        return out

    def risks(self) -> list[Risk]:
        risks = [r for e in self.data.returned
                 for r in risks_of(_return_of(e).answers, e.partnership,
                                   f"{self.data.period} return")]
        return sorted(risks, key=lambda r: -(r.score or 0))

    def budget(self, entry: MonitoringEntry) -> Finance:
        return monitoring_finance(entry.partnership, _return_of(entry))

    def exceptions(self) -> list[ExceptionItem]:
        found: list[ExceptionItem] = []
        before = self.data.previous_period or "the previous period"
        for entry in self.data.returned:
            assert entry.ret is not None
            for kpi, change, previous in self.kpis(entry):
                was = f"; it was {previous.label} in {before}" if change == DECLINED \
                    and previous is not None else ""
                target = f"actual {kpi.actual or 'not given'} against a target of " \
                         f"{kpi.target or 'not given'}"
                if kpi.rating.value == "red":
                    found.append(ExceptionItem(entry, "Red KPI", f"{kpi.name}: Red, {target}"
                                               f"{was}", kpi.commentary or NOT_ANSWERED))
                elif change == DECLINED:
                    found.append(ExceptionItem(entry, "KPI declined", f"{kpi.name}: "
                                               f"{kpi.rating.label}, {target}{was}",
                                               kpi.commentary or NOT_ANSWERED))
            money = self.budget(entry)
            if money.variance is not None and money.variance > 0:
                percent = f" ({money.share:.0%} of the budget)" if money.share is not None else ""
                found.append(ExceptionItem(
                    entry, "Budget overspend", f"Forecast outturn {_money_text(money.forecast)} "
                    f"against a budget of {_money_text(money.budget)}: "
                    f"{_money_text(money.variance)} over{percent}",
                    text_answer(entry.ret.answers, BUDGET_COMMENTARY.id) or NOT_ANSWERED))
        for risk in self.risks():
            if risk.high:
                entry = next(e for e in self.data.returned
                             if e.partnership.id == risk.partnership.id)
                found.append(ExceptionItem(
                    entry, "High risk", f"{risk.description}: likelihood {risk.likelihood} × "
                    f"impact {risk.impact} = {risk.score} ({risk.band.lower()})",
                    risk.mitigation or NOT_ANSWERED))
        order = {e.partnership.id: i for i, e in enumerate(self.data.entries)}
        return sorted(found, key=lambda x: (EXCEPTION_KINDS.index(x.kind),
                                            order[x.entry.partnership.id]))

    # ---- tables ---------------------------------------------------------------------------

    def exceptions_table(self) -> Table:
        rows: list[list[object]] = [[_name(x.entry), x.kind, x.detail, x.commentary]
                                    for x in self.exceptions()]
        if not rows and self.data.returned:
            rows = [["None", "", "No exception was reported in the "
                     f"{plural(len(self.data.returned), 'return')}", ""]]
        return Table("Exceptions", f"Exceptions, {self.data.period}: red indicators, indicators "
                     "that declined, overspends and high risks",
                     ["Partnership", "Exception", "What was reported", "Commentary"], rows,
                     widths_cm=(3.2, 2.4, 5.6, 5.3))

    def performance_table(self) -> Table:
        rows: list[list[object]] = []
        for entry in self.data.returned:
            kpis = self.kpis(entry)
            colours = Counter(k.rating.value for k, _, _ in kpis)
            declined = sum(1 for _, change, _ in kpis if change == DECLINED) \
                if entry.previous is not None else None
            rows.append([_name(entry), len(kpis), colours["green"], colours["amber"],
                         colours["red"], kpi_counts(k for k, _, _ in kpis).not_rated, declined])
        return Table("Performance", f"Key Performance Indicators by RAG status, "
                     f"{self.data.period}",
                     ["Partnership", "Indicators", "Green", "Amber", "Red", "Not rated",
                      f"Declined since {self.data.previous_period or 'the previous period'}"],
                     with_total(rows, "Total", (1, 2, 3, 4, 5, 6)), total=bool(rows),
                     widths_cm=(5.0, 2.0, 1.5, 1.5, 1.5, 1.8, 3.2))

    def kpi_table(self) -> Table:
        rows: list[list[object]] = []
        for entry in self.data.returned:
            rows.extend([_name(entry), k.name, k.target or NOT_ANSWERED,
                         k.actual or NOT_ANSWERED, k.rating.cell, change]
                        for k, change, _ in self.kpis(entry))
        return Table("KPIs", f"Every indicator reported for {self.data.period}, with its change "
                     f"since {self.data.previous_period or 'the previous period'}",
                     ["Partnership", "Indicator", "Target", "Actual", "RAG status", "Change"],
                     rows, rag=(4,), widths_cm=(3.2, 3.8, 2.2, 2.2, 2.2, 2.9))

    def risks_table(self) -> Table:
        rows: list[list[object]] = [
            [f"{r.partnership.id} {r.partnership.name}", r.description, r.likelihood, r.impact,
             r.score, r.band, r.mitigation or NOT_ANSWERED, r.owner or NOT_ANSWERED]
            for r in self.risks()]
        return Table("Risks", f"Risks reported for {self.data.period}, highest score first",
                     ["Partnership", "Risk", "Likelihood", "Impact", "Score", "Band",
                      "Mitigation", "Owner"], rows,
                     widths_cm=(2.4, 2.6, 2.0, 1.5, 1.3, 1.5, 3.3, 1.9))

    def budgets_table(self) -> Table:
        rows: list[list[object]] = []
        for entry in self.data.returned:
            money = self.budget(entry)
            rows.append([_name(entry), money.budget, money.forecast, money.variance, money.share,
                         text_answer(_return_of(entry).answers, "budget_commentary")
                         or NOT_ANSWERED])
        rows = with_total(rows, "Total", (1, 2, 3))
        if rows:
            total = rows[-1]
            total[4] = total[3] / total[1] if isinstance(total[1], int | float) and total[1] \
                and isinstance(total[3], int | float) else None
        return Table("Budgets", f"Budget and forecast outturn for the year, as at "
                     f"{self.data.period}",
                     ["Partnership", "Budget (£)", "Forecast (£)",
                      "Variance (£, forecast minus budget)", "Variance (% of budget)",
                      "Commentary"], rows, money=(1, 2, 3), percent=(4,), total=bool(rows),
                     widths_cm=(3.2, 2.1, 2.1, 2.2, 1.9, 5.0))

    def _listed(self, field_id: str, columns: tuple[str, ...]) -> list[Sequence[object]]:
        rows: list[Sequence[object]] = []
        for entry in self.data.returned:
            value = _return_of(entry).answers.get(field_id)
            for row in value if isinstance(value, list) else []:
                if isinstance(row, dict) and any(str(v or "").strip() for v in row.values()):
                    rows.append([_name(entry)] + [str(row.get(c) or "").strip() or NOT_ANSWERED
                                                  for c in columns])
        if not rows and self.data.returned:
            rows = [["None reported"] + [""] * len(columns)]
        return rows

    def issues_table(self) -> Table:
        return Table("Issues", f"Issues reported for {self.data.period}",
                     ["Partnership", "Issue", "Action", "Owner"],
                     self._listed("issues", ("issue", "action", "owner")),
                     widths_cm=(3.6, 4.4, 5.8, 2.7))

    def opportunities_table(self) -> Table:
        return Table("Opportunities", f"Opportunities reported for {self.data.period}",
                     ["Partnership", "Opportunity", "Benefit"],
                     self._listed("opportunities", ("opportunity", "benefit")),
                     widths_cm=(3.6, 5.0, 7.9))

    def lessons_table(self) -> Table:
        rows: list[list[object]] = [
            [_name(e), text_answer(_return_of(e).answers, "lessons_learned")]
            for e in self.data.returned if text_answer(_return_of(e).answers, "lessons_learned")]
        if not rows and self.data.returned:
            rows = [["None reported", ""]]
        return Table("Lessons learned", f"Lessons learned, {self.data.period}",
                     ["Partnership", "Lessons learned"], rows, widths_cm=(4.0, 12.5))

    def missing_table(self) -> Table:
        rows: list[list[object]] = [[_name(e), e.state.capitalize(), e.state_text]
                                    for e in self.data.missing]
        if not rows:
            rows = [["None", "", f"Every partnership expected to return has an accepted "
                                 f"{self.data.period} return"]]
        return Table("No return", f"Partnerships with no accepted return for {self.data.period}",
                     ["Partnership", "Status", "Detail"], rows, widths_cm=(4.5, 2.5, 9.5))

    def annex_tables(self) -> list[Table]:
        return [self.exceptions_table(), self.performance_table(), self.kpi_table(),
                self.risks_table(), self.budgets_table(), self.issues_table(),
                self.opportunities_table(), self.lessons_table(), self.missing_table()]

    def about(self) -> list[tuple[str, object]]:
        return [("Paper", self.title), ("Council", self.ws.council),
                ("Committee", self.committee), ("Period", period_text(self.data.period)),
                ("Compared with", self.data.previous_period or "Not applicable"),
                ("Compiled on", self.data.today),
                ("Partnerships expected to return", len(self.data.entries)),
                ("Accepted returns", len(self.data.returned)),
                ("Without an accepted return", len(self.data.missing)),
                *ANNEX_NOTES]

    # ---- the document ---------------------------------------------------------------------

    def document(self) -> DocumentObject:
        data = self.data
        doc = open_committee_paper(self.ws)
        paper.set_document_metadata(
            doc, title=self.title, subject=f"{self.committee}: partnership monitoring update, "
            f"{data.period}", author=self.ws.council or "Council",
            keywords="partnerships; monitoring; exceptions")
        paper.add_heading(doc, self.title, 0)
        exempt, paragraph = exempt_piece(self.officer.value("exempt"))
        if paragraph is not None:
            paper.add_paragraph(doc, f"Not for publication: this report contains exempt "
                                     f"information under paragraph {paragraph} of Part 1 of "
                                     "Schedule 12A to the Local Government Act 1972.")
        council = self.ws.council
        paper.add_paragraph(doc, f"{council}: report to the {self.committee}" if council
                            else f"Report to the {self.committee}")
        front_sheet(doc, [
            ("Report title", Piece(self.title)),
            ("Committee", Piece(self.committee)),
            ("Date of meeting", self.officer.value("meeting date",
                                                   hint="the date of the meeting")),
            ("Report of", self.officer.value("report of", hint="the responsible officer")),
            ("Contact officer", self.officer.value("contact officer",
                                                   hint="the contact officer")),
            ("Wards affected", self.officer.value("wards affected", hint="the wards affected")),
            ("Exempt", exempt),
            ("Period covered", Piece(period_text(data.period))),
        ])
        paper.add_heading(doc, "Purpose of the report", 1)
        write_pieces(doc, self.officer.pieces("purpose"))
        paper.add_heading(doc, "Recommendations", 1)
        write_numbered(doc, self.officer.items("recommendations"))
        paper.add_heading(doc, "Summary", 1)
        self.summary(doc)

        paper.add_heading(doc, "Exceptions", 1)
        paper.add_paragraph(doc, "Indicators rated Red, indicators whose rating fell since "
                                 f"{data.previous_period or 'the previous period'}, forecast "
                                 "overspends and risks scored high or very high (likelihood "
                                 "times impact of 10 or more).")
        self.exceptions_table().add_to(doc)

        paper.add_heading(doc, "Performance", 1)
        self.performance_table().add_to(doc)
        self.kpi_table().add_to(doc)

        paper.add_heading(doc, "Risks", 1)
        paper.add_paragraph(doc, "Each risk is scored likelihood (1 to 5) times impact (1 to 5):"
                                 " low 1 to 4, medium 5 to 9, high 10 to 15, very high 16 to 25.")
        self.risks_table().add_to(doc)

        paper.add_heading(doc, "Budgets", 1)
        paper.add_paragraph(doc, "The variance is the forecast outturn minus the budget, so a "
                                 "positive variance is an overspend.")
        self.budgets_table().add_to(doc)
        self.budget_chart(doc)

        paper.add_heading(doc, "Issues, opportunities and lessons learned", 1)
        self.issues_table().add_to(doc)
        self.opportunities_table().add_to(doc)
        self.lessons_table().add_to(doc)

        paper.add_heading(doc, f"Partnerships with no return for {data.period}", 1)
        if data.missing:
            paper.add_paragraph(doc, "These partnerships have no accepted monitoring return for "
                                     "the period, so they are not in the figures above:")
            paper.add_bullets(doc, [f"{_name(e)}: {e.state_text}." for e in data.missing])
        else:
            paper.add_paragraph(doc, "None: every partnership expected to return has an "
                                     f"accepted {data.period} return." if data.entries else
                                     "None: no partnership is expected to return.")
        self.missing_table().add_to(doc)

        self.implications(doc)
        paper.add_heading(doc, "Appendices", 1)
        paper.add_bullets(doc, [f"Appendix A: data annex, the tables of this update in Excel "
                                f"({self.annex_name})"])
        paper.add_heading(doc, "Background papers", 1)
        write_pieces(doc, self.officer.pieces("background papers") or [Piece("None.")])
        return doc

    def summary(self, doc: DocumentObject) -> None:
        data = self.data
        points = [f"{len(data.returned)} of {plural(len(data.entries), 'partnership')} expected "
                  f"to return have an accepted monitoring return for {period_text(data.period)}."]
        if not data.returned:
            points.append("No returns yet: there are no indicators, risks or budgets to report "
                          "for the period.")
        else:
            kinds = Counter(x.kind for x in self.exceptions())
            points.append(f"{plural(sum(kinds.values()), 'exception')}: " + ", ".join(
                f"{kinds[k]} {k.lower()}" for k in EXCEPTION_KINDS) + ".")
        if data.missing:
            points.append("No accepted return from: " + "; ".join(
                f"{e.partnership.name} ({e.state})" for e in data.missing) + ".")
        points.append(f"Compiled on {long_date(data.today)}.")
        paper.add_bullets(doc, points)
        write_pieces(doc, self.officer.pieces("executive summary"))

    def budget_chart(self, doc: DocumentObject) -> None:
        add_budget_chart(doc, [self.budget(e) for e in self.data.returned],
                         f"Budget against forecast outturn by partnership, {self.data.period}")

    def implications(self, doc: DocumentObject) -> None:
        paper.add_heading(doc, "Implications", 1)
        figures = []
        budgets = [self.budget(e) for e in self.data.returned]
        if budgets:
            budget, forecast, variance = (_money_text(total(values)) for values in (
                (b.budget for b in budgets), (b.forecast for b in budgets),
                (b.variance for b in budgets)))
            figures.append(f"The returns give budgets totalling {budget} and a forecast "
                           f"outturn of {forecast}: a variance of {variance}.")
        high = [r for r in self.risks() if r.high]
        for key, title, extra in (
            ("financial implications", "Financial implications", figures),
            ("legal implications", "Legal implications", []),
            ("risk implications", "Risk implications",
             [f"{plural(len(high), 'risk')} {'is' if len(high) == 1 else 'are'} scored high or "
              "very high (see Exceptions and Risks)."] if self.data.returned else []),
            ("equalities implications", "Equalities implications", []),
            ("environmental implications", "Environmental implications", []),
        ):
            pieces = [Piece(text) for text in extra] + self.officer.pieces(key)
            if pieces:
                paper.add_heading(doc, title, 2)
                write_pieces(doc, pieces)
