"""The annual report on partnerships to the Scrutiny Committee, with its Excel data annex.

Compiled from the accepted annual reviews of a cycle and the latest accepted monitoring
returns. Every in-scope partnership of the register appears; one without a current accepted
review is named with its gap (outstanding, overdue, rejected, only from an earlier cycle, never
issued) in the summary table and in "Gaps in this report", never left out or shown as current.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from docx.document import Document as DocumentObject

from generator.council_year import long_date
from generator.fileio import safe_filename
from generator.formdefs import load_definition
from generator.forms.display import paper_value
from generator.framework import Principle
from generator.money import stored_money, tidy_amount
from generator.office import charts
from generator.office import word as paper
from generator.office.excel import column_letter
from generator.papers.committee import layout
from generator.papers.committee.advice import actions_log, actions_table, emerging_table
from generator.papers.committee.figures import (
    DECLINED,
    IMPROVED,
    NEW,
    UNCHANGED,
    Rating,
    ReviewEntry,
    ScrutinyData,
    direction,
    gather_scrutiny,
    rating,
    text_answer,
    total,
)
from generator.papers.committee.forward import Due, coming_year, due_rows, lines_of_enquiry
from generator.papers.committee.latest import KpiLine, Latest, Money, RiskLine, Savings
from generator.papers.committee.sources import Source
from generator.papers.committee.tables import (
    KPI_COUNT_QUESTIONS,
    NOT_ANSWERED,
    Table,
    escalated_first,
    kpi_table,
    money_table,
    position_source,
    register_source,
    risk_table,
    savings_table,
    with_total,
)
from generator.positions import Position
from generator.vocabulary import (
    AGREEMENT_ENDS,
    BENEFITS_ACHIEVED,
    CASHABLE_SAVINGS,
    KPI_SUMMARY,
    NON_CASHABLE_BENEFITS,
    NOTICE_BY,
    OVERALL_RATING,
    PRINCIPLE_EVIDENCE,
    PRINCIPLE_RATING,
    RECOMMENDATION,
    RECOMMENDATION_REASON,
    REVIEW,
    VFM_ASSESSMENT,
)
from generator.wording import number_word, plural
from generator.workspace import Workspace

TOP_RISKS = 10
EVIDENCE_CAPTION = "Every principle rating with its evidence"


def compile_scrutiny(ws: Workspace, *, cycle: str | None = None, pdf: bool = False,
                     today: dt.date | None = None) -> layout.PaperResult:
    """Write `scrutiny-report-<cycle>.docx` and `.xlsx` (and `.pdf` if asked) into reports/.

    Never overwrites an earlier paper: a second run writes `...-2.docx`. A missing LibreOffice
    is a note in the result, not an error.
    """
    data = gather_scrutiny(ws, cycle=cycle, today=today or dt.date.today())
    stem = safe_filename(f"scrutiny-report-{data.cycle.replace('/', '-')}")
    return _Report(ws, data).save(stem, pdf=pdf)


def compliance(audit: Rating | None, answers: dict) -> str:
    """A compliance rating from the review's assurance answers: the internal audit opinion's
    colour, no better than Amber when there were data breaches or Ombudsman findings."""
    if audit is None or not audit.rated:
        return "Not rated: no internal audit opinion on record"
    colour = audit.colour
    concerns = []
    breaches = answers.get("data_breaches")
    if isinstance(breaches, int) and breaches > 0:
        concerns.append(plural(breaches, "personal data breach", "personal data breaches"))
    findings = str(answers.get("ombudsman_findings") or "").strip()
    if findings and findings.casefold().rstrip(".") not in ("none", "no", "n/a", "nil"):
        concerns.append("Ombudsman findings")
    if concerns and colour == "Green":
        colour = "Amber"
    return f"{colour}: {audit.label.lower()}" + (f"; {', '.join(concerns)}" if concerns else "")


def _name(entry: ReviewEntry) -> str:
    return f"{entry.partnership.id} {entry.partnership.name}"


def _letter(index: int) -> str:
    """A, B, ... Z, AA, AB, ... for 0, 1, ... 25, 26, 27, ..."""
    return column_letter(index + 1)


@dataclass
class _Review:
    """What one accepted review says, read against the framework's scales."""

    entry: ReviewEntry
    data: ScrutinyData

    @property
    def answers(self) -> dict:
        assert self.entry.review is not None
        return self.entry.review.answers

    @property
    def previous(self) -> dict | None:
        return self.entry.previous.answers if self.entry.previous else None

    def principle(self, p: Principle) -> tuple[Rating, str]:
        scale = self.data.scale_of(PRINCIPLE_RATING)
        now = rating(scale, self.answers.get(PRINCIPLE_RATING.for_principle(p.number)))
        before = rating(scale, self.previous.get(PRINCIPLE_RATING.for_principle(p.number))) \
            if self.previous is not None else None
        return now, direction(now, before)

    def evidence(self, p: Principle) -> str:
        return text_answer(self.answers, PRINCIPLE_EVIDENCE.for_principle(p.number))

    def overall(self) -> tuple[Rating, str, Rating | None]:
        scale = self.data.scale_of(OVERALL_RATING)
        now = rating(scale, self.answers.get(OVERALL_RATING.id))
        before = rating(scale, self.previous.get("overall_rating")) \
            if self.previous is not None else None
        return now, direction(now, before), before

    def flagged(self) -> bool:
        """The review recommends something members are pointed to (review or exit)."""
        choice = self.data.scale_of(RECOMMENDATION).choice(self.answers.get(RECOMMENDATION.id))
        return choice is not None and choice.flag

    def recommendation(self) -> str:
        return rating(self.data.scale_of(RECOMMENDATION),
                      self.answers.get(RECOMMENDATION.id)).label

    def label(self, field_id: str) -> str:
        """The question on the review form a field answers."""
        found = self.data.definitions[REVIEW].fields.get(field_id)
        return found.label if found is not None else field_id

    def source(self, questions: Mapping[str, str]) -> Source:
        """Where figures of this review come from: its return, each column answering the
        question `questions` names."""
        ret = self.entry.review
        assert ret is not None  # a review entry with its review
        return Source.of_return(ret, form=f"{ret.cycle} annual review", period=ret.cycle or "",
                                questions=questions)

    def rating_source(self, p: Principle) -> Source:
        """Where this review's rating against principle `p` comes from."""
        return self.source({"Rating": self.label(PRINCIPLE_RATING.for_principle(p.number))})



def _at(position: Position | None) -> str:
    """', position at Q3 2026/27 (forecast)' for a caption; '' without figures."""
    return f", position at {position.label}" if position is not None else ""


def _without_position(table: Table) -> Table:
    """`table` with its last column in the paper, 'Position at', kept for the annex only."""
    assert table.in_paper is not None and table.widths_cm is not None
    return replace(table, in_paper=table.in_paper[:-1], widths_cm=table.widths_cm[:-1])


def _latest(entry: ReviewEntry) -> Latest:
    assert entry.latest is not None
    return entry.latest


def _cell_with_direction(value: Rating, travel: str) -> str:
    return f"{value.cell}\n{travel}" if travel else value.cell


class _Report(layout.CommitteePaper):
    kind = "scrutiny"
    default_committee = "Scrutiny Committee"
    what = "report"

    def __init__(self, ws: Workspace, data: ScrutinyData) -> None:
        super().__init__(ws, f"Annual report on partnerships {data.cycle}: "
                             f"{data.position_text}", cycle=data.cycle,
                         previous_cycle=data.previous_cycle or "the previous year")
        self.data = data
        self.reviews = {e.partnership.id: _Review(e, data) for e in data.reviewed}
        self.principles = data.framework.principles

    # ---- figures --------------------------------------------------------------------------

    def _risks(self) -> list[RiskLine]:
        """Every risk of the partnerships due a review, escalated ones first."""
        return escalated_first(line for e in self.data.expected for line in _latest(e).risks)

    def _kpis(self) -> list[KpiLine]:
        return [line for e in self.data.expected for line in _latest(e).kpis]

    def _finance(self, entry: ReviewEntry) -> Money:
        return _latest(entry).money or Money(entry.partnership)

    def _savings(self, entry: ReviewEntry) -> Savings:
        return _latest(entry).savings or Savings(entry.partnership)

    def checks(self) -> list[str]:
        return self.data.checks([e.partnership for e in self.data.expected])

    # ---- tables ---------------------------------------------------------------------------

    def summary_table(self) -> Table:
        rows: list[list[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.entries:
            p = entry.partnership
            agreement = p.agreement_type + (f", {long_date(p.agreement_date)}"
                                            if p.agreement_date else "")
            review = self.reviews.get(p.id)
            if review is not None:
                now, travel, _ = review.overall()
                overall = f"{now.cell} ({travel})" if travel else now.cell
                recommendation = review.recommendation()
            elif entry.expected:
                overall, recommendation = "Not rated: no current review", "None: no current review"
            else:
                overall, recommendation = "Not rated: not yet due", "Not yet due"
            rows.append([_name(entry), p.type_label, "; ".join(p.partners) or "None listed",
                         p.host, agreement, overall, recommendation, entry.state_text])
            sources.append(None if review is None else replace(review.source({
                "Overall assessment": f"{review.label(OVERALL_RATING.id)}, with the direction "
                                      "of travel since last year's review",
                "Recommendation": review.label(RECOMMENDATION.id)}),
                elsewhere={"Agreement": self._register("Agreement")}))
        return Table("Summary", f"Summary of every in-scope partnership, {self.data.cycle}",
                     ["Partnership", "Type", "Partners", "Host", "Agreement",
                      "Overall assessment", "Recommendation", "Review status"], rows,
                     rag=(5,), widths_cm=(2.5, 2.0, 2.2, 1.8, 1.7, 2.0, 1.8, 2.5),
                     sources=sources)

    def _register(self, column: str) -> Source:
        """The register as the source of a table's column of agreements."""
        return register_source(self.data.cycle, {
            column: "Agreement (IAA / MoU / None yet), Agreement date"})

    def principles_table(self) -> Table:
        rows: list[Sequence[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.reviewed:
            review = self.reviews[entry.partnership.id]
            rows.append([_name(entry)] + [_cell_with_direction(*review.principle(p))
                                          for p in self.principles])
            sources.append(review.source({}))  # each rating is traced with its evidence
        count = len(self.principles)
        first = 16.5 - 1.6 * count
        return Table("Principles", f"Rating against each principle, {self.data.cycle}, with the "
                     f"direction of travel since {self.data.previous_cycle or 'last year'}",
                     ["Partnership"] + [f"P{p.number}" for p in self.principles], rows,
                     rag=tuple(range(1, count + 1)),
                     widths_cm=(max(first, 2.5),) + (1.6,) * count if count <= 8 else None,
                     sources=sources, traced_in=EVIDENCE_CAPTION)

    def performance_table(self) -> Table:
        rows: list[list[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.expected:
            latest = _latest(entry)
            sources.append(position_source(latest.kpi_position, KPI_COUNT_QUESTIONS))
            if latest.kpi_position is None:
                rows.append([_name(entry), None, None, None, None, "No return gives indicators"])
                continue
            met, rated = latest.met
            rows.append([_name(entry), len(latest.kpis), met, rated - met,
                         len(latest.kpis) - rated, latest.kpi_position.label])
        rows = with_total(rows, "Total", (1, 2, 3, 4))
        if rows:
            rows[-1][5] = ""
        return Table("Performance", f"Key Performance Indicators met and not met, "
                     f"{self.data.position_text}",
                     ["Partnership", "KPIs reported", "Met (Green)", "Not met (Amber or Red)",
                      "Not rated", "Position at"], rows, total=bool(rows),
                     widths_cm=(4.5, 2.0, 2.0, 2.4, 1.8, 3.8),
                     sources=[*sources, None] if sources else None)

    def finance_table(self) -> Table:
        return money_table("Finance", f"Gross budget, the council's contribution and the "
                           f"forecast outturn, {self.data.position_text}",
                           [self._finance(e) for e in self.data.expected])

    def savings_table(self) -> Table:
        return savings_table("Savings", f"Savings against the business case, {self.data.cycle}",
                             [self._savings(e) for e in self.data.expected])

    def risks_table(self) -> Table:
        return risk_table("Top risks", f"Top {TOP_RISKS} risks across the partnerships: those "
                          "at or above the escalation score first, then by residual score",
                          self._risks()[:TOP_RISKS])

    def gaps_table(self) -> Table:
        rows: list[list[object]] = [[_name(e), e.partnership.phase, e.state.capitalize(),
                                     e.state_text] for e in self.data.gaps]
        if not rows:
            rows = [["None", "", "", f"Every partnership due a review has an accepted "
                                     f"{self.data.cycle} review"]]
        return Table("Gaps", f"Partnerships without an accepted {self.data.cycle} review",
                     ["Partnership", "Phase", "Gap", "Detail"], rows,
                     widths_cm=(4.0, 1.8, 2.6, 8.1))

    def principle_detail(self, review: _Review) -> Table:
        rows: list[list[object]] = []
        for p in self.principles:
            now, travel = review.principle(p)
            rows.append([f"P{p.number} {p.title}", now.cell, travel or "Not applicable",
                         review.evidence(p) or NOT_ANSWERED])
        return Table("Principles detail", f"{review.entry.partnership.name}: rating and "
                     "evidence against each principle",
                     ["Principle", "Rating", "Direction of travel", "Evidence"], rows,
                     rag=(1,), widths_cm=(4.6, 2.3, 2.2, 7.4),
                     sources=[review.rating_source(p) for p in self.principles],
                     traced_in=EVIDENCE_CAPTION)

    def kpi_detail(self, entry: ReviewEntry) -> Table:
        """A partnership's indicators for its appendix: the period they are from is said once,
        in the caption, so the table fits a portrait page."""
        latest = _latest(entry)
        table = kpi_table("KPIs", f"{entry.partnership.name}: Key Performance Indicators"
                          + _at(latest.kpi_position), latest.kpis)
        return replace(_without_position(table), traced_in=self.all_kpis_caption)

    def risk_detail(self, entry: ReviewEntry) -> Table:
        """A partnership's risks for its appendix, the period said in the caption."""
        latest = _latest(entry)
        table = risk_table("Risks", f"{entry.partnership.name}: risks"
                           + _at(latest.risk_position), escalated_first(latest.risks))
        return replace(_without_position(table), traced_in=self.all_risks_caption)

    @property
    def all_kpis_caption(self) -> str:
        return f"Every Key Performance Indicator, {self.data.position_text}"

    @property
    def all_risks_caption(self) -> str:
        return f"Every risk, {self.data.position_text}"

    def emerging_table(self) -> Table:
        return emerging_table(self.data.emerging, f"Emerging partnerships, {self.data.cycle}: "
                                                  "the latest recommendation on each")

    def annex_tables(self) -> Iterator[Table]:
        # One at a time: each is written and let go before the next is made.
        for make in (self.summary_table, self.gaps_table, self.emerging_table,
                     self.forward_table, self.assurance_annex, self.vfm_annex,
                     self.actions_annex, self.principles_table, self.performance_table,
                     self.finance_table, self.savings_table, self.risks_table,
                     self.evidence_annex):
            yield make()
        yield kpi_table("All KPIs", self.all_kpis_caption, self._kpis())
        yield risk_table("All risks", self.all_risks_caption, self._risks())

    def evidence_annex(self) -> Table:
        """Every principle rating of every review with its evidence, for the annex."""
        evidence: list[list[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.reviewed:
            review = self.reviews[entry.partnership.id]
            for p in self.principles:
                now, travel = review.principle(p)
                evidence.append([_name(entry), f"P{p.number} {p.title}", now.cell,
                                 travel or "Not applicable",
                                 review.evidence(p)])
                sources.append(review.rating_source(p))
        return Table("Principle evidence", EVIDENCE_CAPTION,
                     ["Partnership", "Principle", "Rating", "Direction of travel", "Evidence"],
                     evidence, rag=(2,), sources=sources)

    def left_out(self) -> tuple[Sequence[ReviewEntry], str]:
        return (self.data.gaps,
                f"without an accepted {self.data.cycle} review, named in 'Gaps in this report'")

    def coverage(self) -> list[tuple[str, object]]:
        return [("Cycle", self.data.cycle),
                ("Figures", f"Each partnership's latest accepted figures: "
                            f"{self.data.position_text}"),
                ("Compared with", self.data.previous_cycle or "Not applicable"),
                ("Compiled on", self.data.today),
                ("Partnerships due a review", len(self.data.expected)),
                ("Accepted reviews", len(self.data.reviewed)),
                ("Without an accepted review", len(self.data.gaps))]

    # ---- the document ---------------------------------------------------------------------

    def document(self, annex_name: str) -> DocumentObject:
        doc = self.opening(subject=f"{self.committee}: annual report on the Council's "
                                   f"partnerships, {self.data.cycle}",
                           keywords="partnerships; annual report; scrutiny",
                           period_covered=f"The council year {self.data.cycle}; figures: "
                                          f"{self.data.position_text}")
        # Finished parts go out of memory as the paper grows: it grows with the partnerships.
        written = paper.spill_body(doc)
        paper.add_heading(doc, "Executive summary", 1)
        self.executive_summary(doc)
        paper.add_heading(doc, "Background", 1)
        self.background(doc)
        self.body(doc)
        self.forward_look(doc)
        written.flush()
        self.implications(doc, financial=self.financial_figures(), risk=self.risk_figures())
        self.closing(doc, annex_name, [f"Appendix {_letter(i + 1)}: {_name(e)}"
                                       for i, e in enumerate(self.data.expected)])
        for i, entry in enumerate(self.data.expected):
            self.appendix(doc, _letter(i + 1), entry)
            written.flush()
        return doc

    def coming_year(self) -> list[Due]:
        return coming_year(((e.partnership, e.review or e.previous)
                            for e in self.data.expected), self.data.today)

    def forward_table(self) -> Table:
        due = self.coming_year()
        rows = due_rows(due) or [["None", "", "Nothing falls due in the coming year", ""]]
        return Table("Forward look", f"What falls due from {long_date(self.data.today)} to a "
                                     "year on", ["Date", "Partnership", "What", "From"], rows)

    def forward_look(self, doc: DocumentObject) -> None:
        """The coming year, and questions members may wish to ask."""
        layout.write_section(
            doc, "Forward look", self.forward_table(),
            intro="Agreements ending or coming up for renewal, the last dates to give notice, "
                  "and the next annual reviews, in the coming year.")
        flagged = [(e.partnership, self.reviews[e.partnership.id].recommendation())
                   for e in self.data.reviewed if self.reviews[e.partnership.id].flagged()]
        questions = lines_of_enquiry((self.data.latest[e.partnership.id]
                                      for e in self.data.expected
                                      if e.partnership.id in self.data.latest), flagged)
        paper.add_heading(doc, "Questions members may wish to ask", 2)
        if questions:
            paper.add_bullets(doc, questions)
        else:
            paper.add_paragraph(doc, "The figures raise no particular question: no risk is "
                                     "escalated, no indicator missed its target two periods "
                                     "running, and no review recommends a change.")

    def executive_summary(self, doc: DocumentObject) -> None:
        data = self.data
        points = [f"{plural(len(data.expected), 'in-scope partnership')} "
                  f"{'was' if len(data.expected) == 1 else 'were'} due an annual review for "
                  f"{data.cycle}; this report includes "
                  f"{plural(len(data.reviewed), 'accepted review')}.", self.position_point()]
        if data.gaps:
            points.append(f"{plural(len(data.gaps), 'partnership')} "
                          f"{'has' if len(data.gaps) == 1 else 'have'} no accepted review for "
                          f"{data.cycle}: " + "; ".join(f"{e.partnership.name} ({e.state})"
                                                        for e in data.gaps)
                          + ". They are named in 'Gaps in this report'.")
        elif data.expected:
            points.append(f"Every partnership due a review has an accepted {data.cycle} review.")
        if data.reviewed:
            points += self.review_points()
        else:
            points.append("No returns yet: no annual review for this cycle has been accepted, "
                          "so there are no ratings or savings to report.")
        points += self.figure_points()
        if data.not_due:
            points.append(f"{plural(len(data.not_due), 'partnership')} in the Explore or Design "
                          f"phase {'is' if len(data.not_due) == 1 else 'are'} not yet due an "
                          "annual review; 'Emerging partnerships' gives the latest "
                          "recommendation on each.")
        paper.add_bullets(doc, points)
        layout.write_pieces(doc, self.officer.pieces("executive summary"))

    def position_point(self) -> str:
        """Which period the figures are as at, and whether they are a forecast."""
        if self.data.forecast:
            return (f"The indicators, risks and money in this report are each partnership's "
                    f"latest accepted figures, {self.data.position_text}: the year-end "
                    "(Quarter 4) outturn is not yet in. Each figure says which period it "
                    "comes from.")
        return (f"The indicators, risks and money in this report are the year-end figures "
                f"({self.data.position_text}).")

    def review_points(self) -> list[str]:
        """What the accepted reviews say: overall ratings, their direction, recommendations."""
        data = self.data
        overall = [self.reviews[e.partnership.id].overall() for e in data.reviewed]
        colours = Counter(now.colour for now, _, _ in overall)
        points = ["Overall ratings: " + ", ".join(
            f"{colours[c]} {c}" for c in ("Green", "Amber", "Red", "Not rated")
            if colours[c] or c != "Not rated") + "."]
        travel = Counter(t for _, t, _ in overall if t)
        if data.previous_cycle and travel:
            points.append(f"Compared with {data.previous_cycle}: " + ", ".join(
                f"{travel[t]} {t.split()[0]}" for t in (IMPROVED, UNCHANGED, DECLINED, NEW)
                if travel[t]) + ".")
        recommendations = Counter(self.reviews[e.partnership.id].recommendation()
                                  for e in data.reviewed)
        points.append("Recommendations of the reviews: " + ", ".join(
            f"{count} {label.lower()}" for label, count in recommendations.items()) + ".")
        flagged = [f"{e.partnership.name} ({self.reviews[e.partnership.id].recommendation()})"
                   for e in data.reviewed if self.reviews[e.partnership.id].flagged()]
        if flagged:
            points.append("Reviews recommending a review of the arrangement or exit: "
                          + "; ".join(flagged) + ".")
        savings = total(self._savings(e).cashable for e in data.expected)
        points.append(f"Cashable savings reported in the {data.cycle} reviews total "
                      f"{paper.format_value(tidy_amount(savings), 'money')}.")
        return points

    def figure_points(self) -> list[str]:
        """What the latest figures say: indicators on target and risks escalated."""
        kpis = self._kpis()
        rated = [line for line in kpis if line.kpi.met is not None]
        points = []
        if kpis:
            points.append(f"{sum(1 for line in rated if line.kpi.met)} of "
                          f"{plural(len(rated), 'indicator')} rated met their target (Green), "
                          f"{self.data.position_text}.")
        escalated = [r for r in self._risks() if r.risk.escalated]
        matrix = self.data.framework.risk_matrix
        points.append(f"{plural(len(escalated), 'risk')} {'is' if len(escalated) == 1 else 'are'}"
                      f" at or above the escalation score of {matrix.escalate_at} and "
                      f"escalated to the corporate risk register.")
        return points

    def background(self, doc: DocumentObject) -> None:
        framework = self.data.framework
        strategy = framework.strategy
        approved = f" in {strategy['approved']}" if strategy.get("approved") else ""
        scopes = ", ".join(s.label.lower() for s in framework.in_scope)
        paper.add_paragraph(doc, f"The Council approved its {strategy.get('title', 'strategy')}"
                                 f"{approved}. It applies to partnerships of these types: "
                                 f"{scopes}.")
        objectives = framework.objectives
        paper.add_paragraph(doc, f"The strategy has {number_word(len(objectives))} "
                                 f"objective{'s' if len(objectives) != 1 else ''}:")
        paper.add_numbered(doc, [f"{o.title}: {o.statement}" for o in objectives])
        deliver = self.data.established_phase
        commitment = (f"In the {deliver.title} phase the strategy requires "
                      f"{deliver.description[0].lower() + deliver.description[1:]}")
        paper.add_paragraph(doc, commitment.rstrip(".") + f". This is that annual report for "
                                 f"{self.data.cycle}.")
        paper.add_paragraph(
            doc, f"Each partnership's Business Manager completed an annual review against the "
                 f"{number_word(len(self.principles))} design principles, value for money, "
                 "performance and risks, agreed with the Executive Head of Service. This report "
                 f"uses the accepted reviews of {self.data.cycle} for the ratings, "
                 "recommendations and savings; for the indicators, risks and money, each "
                 "partnership's latest accepted figures (from its latest monitoring return or "
                 f"review), {self.data.position_text}, the same figures the Corporate "
                 "Governance Board sees; and, for the direction of travel, the accepted reviews "
                 f"of {self.data.previous_cycle or 'the previous year'}. "
                 f"Compiled on {long_date(self.data.today)}.")

    def body(self, doc: DocumentObject) -> None:
        data = self.data
        layout.write_section(
            doc, "Summary of partnerships", self.summary_table(),
            intro="Every in-scope partnership in the register, with its overall assessment and "
                  "recommendation from its accepted annual review, or why there is none.")
        layout.write_gaps(
            doc, "Gaps in this report", data.gaps,
            intro=f"These partnerships have no accepted {data.cycle} review, so their ratings, "
                  "indicators and savings are not in this report's figures:",
            none=f"None: every partnership due a review has an accepted {data.cycle} review."
            if data.expected else "None: no partnership is due an annual review.",
            table=self.gaps_table())
        if data.emerging:
            layout.write_section(
                doc, "Emerging partnerships", self.emerging_table(), level=2,
                intro="Not yet due an annual review: each partnership in the Explore or Design "
                      "phase, with the recommendation of its latest assessment, whatever it "
                      "is (a recommendation not to proceed included).")

        paper.add_heading(doc, f"Assessment against the {number_word(len(self.principles))} "
                               "principles", 1)
        paper.add_paragraph(doc, "Each cell gives the rating in words (with its colour) and the "
                                 f"direction of travel since {data.previous_cycle or 'last year'}"
                                 f": {IMPROVED}, {UNCHANGED}, {DECLINED}, or {NEW} where there "
                                 "was no earlier rating.")
        self.principles_table().add_to(doc)
        if not data.reviewed:
            paper.add_paragraph(doc, "No returns yet: no accepted review gives ratings.")
        paper.add_paragraph(doc, "Key: " + "; ".join(f"P{p.number} {p.title}"
                                                     for p in self.principles) + ".")
        self.principle_chart(doc)

        layout.write_section(
            doc, "Performance", self.performance_table(),
            intro=f"Each partnership's latest accepted indicators, {data.position_text}. An "
                  "indicator's RAG rating is worked out from its actual, its target, which way "
                  "is better and its amber tolerance: Green met its target; Amber or Red did "
                  "not. 'Position at' says which period each comes from.")
        layout.write_section(
            doc, "Finance and value for money", self.finance_table(),
            intro="The gross budget and the council's own contribution, side by side, and the "
                  "forecast outturn of each partnership's latest accepted monitoring return; "
                  "the variance is the forecast minus the budget, so a positive variance is an "
                  "overspend, and the movement is this forecast minus the one before. Until "
                  "the Quarter 4 outturn is in, these are forecasts.")
        self.budget_chart(doc)
        layout.write_section(
            doc, "Savings against the business case", self.savings_table(),
            intro="The savings target and the baseline were set in the Design assessment's "
                  f"business case. The year's savings come from the {data.cycle} annual review, "
                  "cashable (money released) and non-cashable (more for the same cost, valued) "
                  "apart; savings to date add up the reviews on record since the partnership's "
                  "first; one-off costs (set-up and implementation) are kept apart.")
        matrix = data.framework.risk_matrix
        layout.write_section(
            doc, "Top risks", self.risks_table(),
            intro=f"Each risk is scored {matrix.scoring()}, before mitigation (inherent) and "
                  f"after it (residual). Risks whose residual score is {matrix.escalate_at} or "
                  "more are escalated to the corporate risk register and listed first. Each "
                  "comes from the partnership's latest accepted return that scores its risks.")

    def principle_chart(self, doc: DocumentObject) -> None:
        if not self.data.reviewed:
            return
        colours = ("Green", "Amber", "Red", "Not rated")
        series: dict[str, list[float | None]] = {c: [] for c in colours}
        for p in self.principles:
            counted = Counter(self.reviews[e.partnership.id].principle(p)[0].colour
                              for e in self.data.reviewed)
            for c in colours:
                series[c].append(counted[c])
        title = f"Ratings by principle, {self.data.cycle}"
        png = charts.stacked_bar_chart([f"P{p.number}" for p in self.principles], series,
                                       title=title, ylabel="Partnerships")
        alt = charts.describe_stacked_bar_chart(
            [f"Principle {p.number} ({p.title})" for p in self.principles], series, title=title,
            noun=("principle", "principles"))
        paper.add_picture_with_alt(doc, png, alt_text=alt, title=title,
                                   caption=f"{title}: the number of partnerships rated Green, "
                                           f"Amber or Red against each principle, from "
                                           f"{plural(len(self.data.reviewed), 'accepted review')}"
                                           " ('Not rated' includes not applicable)")

    def budget_chart(self, doc: DocumentObject) -> None:
        title = f"Budget against forecast outturn by partnership, {self.data.position_text}"
        layout.add_budget_chart(doc, [self._finance(e) for e in self.data.expected], title,
                                caption=f"{title}, from the latest monitoring returns")

    def financial_figures(self) -> list[str]:
        finance = [self._finance(e) for e in self.data.expected]
        savings = [self._savings(e) for e in self.data.expected]

        def money(values: Iterable[float | None]) -> str:
            return paper.format_value(total(values), "money")

        figures = []
        if any(f.budget is not None for f in finance):
            figures.append(f"The latest monitoring returns, {self.data.position_text}, give "
                           f"gross budgets totalling {money(f.budget for f in finance)} and a "
                           f"forecast outturn of {money(f.forecast for f in finance)}: a "
                           f"variance of {money(f.variance for f in finance)} on the "
                           "partnerships that gave both. The council's own contribution to "
                           "them is "
                           f"{money(f.contribution for f in finance if f.budget is not None)}.")
        if self.data.reviewed:
            targets = [s.target for s in savings if s.cashable is not None and s.target]
            against = f" against targets of {money(targets)}" if targets else ""
            figures.append(f"The {self.data.cycle} reviews report cashable savings of "
                           f"{money(s.cashable for s in savings)}{against}, and one-off costs "
                           f"of {money(s.one_off for s in savings)}.")
        return figures

    def risk_figures(self) -> list[str]:
        escalated = [r for r in self._risks() if r.risk.escalated]
        return [f"{plural(len(escalated), 'partnership risk')} "
                f"{'is' if len(escalated) == 1 else 'are'} at or above the escalation score "
                "and escalated to the corporate risk register (see Top risks)."]

    def appendix(self, doc: DocumentObject, letter: str, entry: ReviewEntry) -> None:
        p = entry.partnership
        paper.add_heading(doc, f"Appendix {letter}: {_name(entry)}", 1, new_page=True)
        agreement = p.agreement_type + (f" ({long_date(p.agreement_date)})"
                                        if p.agreement_date else "")
        money = self._finance(entry)
        budget = (f"{paper.format_value(money.budget, 'money')} gross, "
                  f"{paper.format_value(money.contribution, 'money')} from the council "
                  f"({money.label})") if money.budget is not None else "no monitoring return"
        paper.add_paragraph(doc, f"{p.type_label}. Partners: {'; '.join(p.partners) or 'none'}."
                                 f" Host: {p.host}. Agreement: {agreement}. Budget: {budget}. "
                                 f"Business Manager: {p.bm_name}. Report depth: "
                                 f"{p.report_depth}.")
        review = self.reviews.get(p.id)
        if review is None:
            paper.add_paragraph(doc, f"No accepted {self.data.cycle} review: {entry.state_text}."
                                     " Nothing from an earlier or unaccepted return is shown "
                                     "here as current.")
            if entry.earlier is not None:
                earlier = rating(self.data.scale_of(OVERALL_RATING),
                                 entry.earlier.answers.get(OVERALL_RATING.id))
                paper.add_paragraph(doc, f"For reference only: the latest accepted review, from "
                                         f"{entry.earlier.cycle}, gave an overall rating of "
                                         f"{earlier.label}.")
            return
        if p.report_depth == "Board":
            self.board_appendix(doc, review)
        else:
            self.summary_appendix(doc, review)
        paper.add_heading(doc, "Governance assurance", 2)
        self.assurance_table(review).add_to(doc)
        self.last_year(doc, review)

    def _assurance(self, review: _Review) -> tuple[list[list[object]], list[Source | None]]:
        """The agreement, the audit opinion, complaints, Ombudsman findings and data breaches
        the review reports, and a compliance rating from them: rows (item, answer) and where
        each comes from."""
        entry, answers = review.entry, review.answers
        fields = self.data.definitions[REVIEW].fields
        p = entry.partnership

        def shown(field_id: str) -> str:
            found = fields.get(field_id)
            value = answers.get(field_id)
            if found is None or value in (None, ""):
                return NOT_ANSWERED
            return paper_value(found, value)

        audit = rating(self.data.framework.scale("audit_assurance"),
                       answers.get("audit_opinion")) if "audit_opinion" in fields else None
        rows: list[tuple[str, object, str | None]] = [
            ("Agreement", p.agreement_type + (f", {long_date(p.agreement_date)}"
                                              if p.agreement_date else ""), None),
            ("Ends or next comes up for renewal", shown(AGREEMENT_ENDS.id), AGREEMENT_ENDS.id),
            ("Last date to give notice", shown(NOTICE_BY.id), NOTICE_BY.id),
            ("Latest internal audit opinion", shown("audit_opinion")
             + (f" ({shown('audit_date')})" if answers.get("audit_date") else ""),
             "audit_opinion"),
            ("Complaints this year", answers.get("complaints"), "complaints"),
            ("Ombudsman findings this year", shown("ombudsman_findings"), "ombudsman_findings"),
            ("Personal data breaches this year", answers.get("data_breaches"),
             "data_breaches"),
            ("Compliance rating", compliance(audit, answers), None),
        ]
        sources = [review.source({
            "Answer": fields[field_id].label if field_id in fields else "worked out from the "
            "audit opinion, Ombudsman findings and data breaches"})
            if field_id is not None or what == "Compliance rating" else self._register("Answer")
            for what, _, field_id in rows]
        return [[what, NOT_ANSWERED if value is None else value] for what, value, _ in rows], \
            list(sources)

    def last_year(self, doc: DocumentObject, review: _Review) -> None:
        """Last year's recommendations and actions, and what became of them."""
        entry = review.entry
        assert entry.review is not None
        definition = load_definition(REVIEW, entry.review.version,
                                     framework=self.data.framework, forms_dir=self.ws.forms_dir)
        reported = [a for a in actions_log([(entry.partnership, entry.review, definition)])
                    if not a.status.startswith("Open: agreed")]
        paper.add_heading(doc, "Last year's recommendations", 2)
        if not reported:
            paper.add_paragraph(doc, f"The {entry.review.cycle} review reports no progress on "
                                     "earlier recommendations or actions.")
            return
        table = actions_table(reported)
        replace(table, caption=f"{entry.partnership.name}: last year's recommendations and "
                               "actions, and what became of them",
                traced_in=actions_table([]).caption).add_to(doc)

    @property
    def assurance_caption(self) -> str:
        return f"Governance assurance of each partnership, {self.data.cycle}"

    def assurance_table(self, review: _Review) -> Table:
        """A partnership's governance assurance, for its appendix."""
        rows, sources = self._assurance(review)
        return Table("Assurance", f"{review.entry.partnership.name}: governance assurance, "
                                  f"{self.data.cycle}", ["Item", "Answer"], rows, rag=(1,),
                     widths_cm=(5.5, 11.0), sources=sources, traced_in=self.assurance_caption)

    def actions_annex(self) -> Table:
        """Every reviewed partnership's actions, for the annex (and its Sources sheet)."""
        reviews = [(e.partnership, e.review, load_definition(
            REVIEW, e.review.version, framework=self.data.framework, forms_dir=self.ws.forms_dir))
            for e in self.data.reviewed if e.review is not None]
        return actions_table(actions_log(reviews))

    def _every_review(self, sheet: str, caption: str, headers: list[str], rows_of: Callable[
            [_Review], tuple[list[list[object]], list[Source | None]]], **shown: Any) -> Table:
        """The rows `rows_of` gives for each reviewed partnership, in one annex table."""
        rows: list[list[object]] = []
        sources: list[Source | None] = []
        for entry in self.data.reviewed:
            own, own_sources = rows_of(self.reviews[entry.partnership.id])
            rows += [[_name(entry), *row] for row in own]
            sources += own_sources
        return Table(sheet, caption, ["Partnership", *headers], rows, sources=sources or None,
                     **shown)

    def assurance_annex(self) -> Table:
        """Every reviewed partnership's governance assurance, for the annex."""
        return self._every_review("Assurance", self.assurance_caption, ["Item", "Answer"],
                                  self._assurance, rag=(2,))

    def _value_for_money(self, review: _Review
                         ) -> tuple[list[list[object]], list[Source | None]]:
        """The benefits, cashable savings and value for money the review reports: rows
        (question, answer) and where each comes from."""
        answers = review.answers
        asked = [(BENEFITS_ACHIEVED, "Benefits achieved this year",
                  text_answer(answers, BENEFITS_ACHIEVED.id) or NOT_ANSWERED),
                 (CASHABLE_SAVINGS, "Cashable savings this year",
                  stored_money(answers.get(CASHABLE_SAVINGS.id))),
                 (NON_CASHABLE_BENEFITS, "Non-cashable benefits",
                  text_answer(answers, NON_CASHABLE_BENEFITS.id) or NOT_ANSWERED),
                 (VFM_ASSESSMENT, "Does the partnership provide value for money?",
                  rating(self.data.scale_of(VFM_ASSESSMENT),
                         answers.get(VFM_ASSESSMENT.id)).label)]
        return ([[question, answer] for _, question, answer in asked],
                [review.source({"Answer": review.label(wanted.id)}) for wanted, _, _ in asked])

    @property
    def vfm_caption(self) -> str:
        return f"Value for money of each partnership, {self.data.cycle}"

    def vfm_annex(self) -> Table:
        """Every reviewed partnership's value for money, for the annex."""
        return self._every_review("Value for money", self.vfm_caption, ["Question", "Answer"],
                                  self._value_for_money, money=(2,))

    def _recommendation_pieces(self, review: _Review) -> list[str]:
        now, travel, before = review.overall()
        trend = f" ({travel}" + (f" from {before.label}" if before and before.rated and
                                 travel != NEW else "") + ")" if travel else ""
        reason = text_answer(review.answers, RECOMMENDATION_REASON.id)
        return [f"Overall rating: {now.label}{trend}.",
                f"Recommendation: {review.recommendation()}."
                + (f" Reason: {reason}" if reason else "")]

    def board_appendix(self, doc: DocumentObject, review: _Review) -> None:
        paper.add_heading(doc, "Overall rating and recommendation", 2)
        for text in self._recommendation_pieces(review):
            paper.add_paragraph(doc, text)
        paper.add_heading(doc, "The principles", 2)
        self.principle_detail(review).add_to(doc)
        paper.add_heading(doc, "Value for money", 2)
        rows, sources = self._value_for_money(review)
        Table("Value for money", f"{review.entry.partnership.name}: value for money",
              ["Question", "Answer"], rows, money=(1,), widths_cm=(5.0, 11.5), sources=sources,
              traced_in=self.vfm_caption).add_to(doc)
        paper.add_heading(doc, "Performance", 2)
        self.kpi_detail(review.entry).add_to(doc)
        summary = text_answer(review.answers, KPI_SUMMARY.id)
        if summary:
            paper.add_paragraph(doc, f"Summary of performance: {summary}")
        paper.add_heading(doc, "Risks", 2)
        self.risk_detail(review.entry).add_to(doc)

    def summary_appendix(self, doc: DocumentObject, review: _Review) -> None:
        paper.add_heading(doc, "Executive summary", 2)
        answers = review.answers
        points = self._recommendation_pieces(review)
        colours = Counter(review.principle(p)[0].colour for p in self.principles)
        points.append("Principles: " + ", ".join(
            f"{colours[c]} {c}" for c in ("Green", "Amber", "Red", "Not rated")) + ".")
        latest = _latest(review.entry)
        met, rated = latest.met
        if latest.kpi_position is not None:
            points.append(f"Performance: {met} of {plural(rated, 'indicator')} rated met their "
                          f"target ({latest.kpi_position.label}).")
        vfm = rating(self.data.scale_of(VFM_ASSESSMENT), answers.get(VFM_ASSESSMENT.id)).label
        savings = stored_money(answers.get(CASHABLE_SAVINGS.id))
        points.append(f"Value for money: {vfm}. Cashable savings: "
                      f"{paper.format_value(savings, 'money')}.")
        risks = escalated_first(latest.risks)
        if risks:
            top = risks[0]
            points.append(f"Highest risk: {top.id} {top.risk.description} (residual "
                          f"{top.risk.score_text}, {top.trend}; {top.position.label}).")
        benefits = text_answer(answers, BENEFITS_ACHIEVED.id)
        if benefits:
            points.append(f"Benefits achieved: {benefits}")
        paper.add_bullets(doc, points)


__all__ = ["compile_scrutiny"]
