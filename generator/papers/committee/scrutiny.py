"""The annual report on partnerships to the Scrutiny Committee, with its Excel data annex.

Compiled from the accepted annual reviews of a cycle and the latest accepted monitoring
returns. Every in-scope partnership of the register appears; one without a current accepted
review is named with its gap (outstanding, overdue, rejected, only from an earlier cycle, never
issued) in the summary table and in "Gaps in this report", never left out or shown as current.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from docx.document import Document as DocumentObject

from generator.council_year import long_date
from generator.fileio import safe_filename
from generator.framework import Principle
from generator.money import stored_money, tidy_amount
from generator.office import charts
from generator.office import word as paper
from generator.papers.committee import layout
from generator.papers.committee.figures import (
    DECLINED,
    IMPROVED,
    NEW,
    UNCHANGED,
    Finance,
    Kpi,
    Rating,
    ReviewEntry,
    Risk,
    ScrutinyData,
    direction,
    gather_scrutiny,
    kpi_counts,
    kpis_of,
    monitoring_finance,
    rating,
    risks_of,
    text_answer,
    top_risks,
    total,
)
from generator.papers.committee.tables import (
    NOT_ANSWERED,
    TABLE_TEXT_PT,
    TABLE_TEXT_STYLE,
    Table,
    risk_table,
    with_total,
)
from generator.vocabulary import (
    BENEFITS_ACHIEVED,
    CASHABLE_SAVINGS,
    KPI_SUMMARY,
    KPIS,
    NON_CASHABLE_BENEFITS,
    OVERALL_RATING,
    PRINCIPLE_EVIDENCE,
    PRINCIPLE_RATING,
    RECOMMENDATION,
    RECOMMENDATION_REASON,
    VFM_ASSESSMENT,
)
from generator.wording import number_word, plural
from generator.workspace import Workspace

TOP_RISKS = 10


def compile_scrutiny(ws: Workspace, *, cycle: str | None = None, pdf: bool = False,
                     today: dt.date | None = None) -> layout.PaperResult:
    """Write `scrutiny-report-<cycle>.docx` and `.xlsx` (and `.pdf` if asked) into reports/.

    Never overwrites an earlier paper: a second run writes `...-2.docx`. A missing LibreOffice
    is a note in the result, not an error.
    """
    data = gather_scrutiny(ws, cycle=cycle, today=today or dt.date.today())
    stem = safe_filename(f"scrutiny-report-{data.cycle.replace('/', '-')}")
    return _Report(ws, data).save(stem, pdf=pdf)


def _name(entry: ReviewEntry) -> str:
    return f"{entry.partnership.id} {entry.partnership.name}"


def _letter(index: int) -> str:
    """A, B, ... Z, AA, AB, ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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

    def kpis(self) -> list[Kpi]:
        return kpis_of(self.answers, self.data.scale_of(KPIS, "rag"))

    def risks(self) -> list[Risk]:
        return risks_of(self.answers, self.entry.partnership, f"{self.data.cycle} review")


def _cell_with_direction(value: Rating, travel: str) -> str:
    return f"{value.cell}\n{travel}" if travel else value.cell


class _Report(layout.CommitteePaper):
    kind = "scrutiny"
    default_committee = "Scrutiny Committee"
    what = "report"

    def __init__(self, ws: Workspace, data: ScrutinyData) -> None:
        super().__init__(ws, f"Annual report on partnerships {data.cycle}", cycle=data.cycle,
                         previous_cycle=data.previous_cycle or "the previous year")
        self.data = data
        self.reviews = {e.partnership.id: _Review(e, data) for e in data.reviewed}
        self.principles = data.framework.principles

    # ---- figures --------------------------------------------------------------------------

    def _risks(self) -> list[Risk]:
        risks: list[Risk] = []
        for entry in self.data.expected:
            review = self.reviews.get(entry.partnership.id)
            if review is not None:
                risks.extend(review.risks())
            elif entry.monitoring is not None:
                source = f"monitoring {entry.monitoring.period or 'return'} (no current review)"
                risks.extend(risks_of(entry.monitoring.answers, entry.partnership, source))
        return risks

    def _finance(self, entry: ReviewEntry) -> Finance:
        money = monitoring_finance(entry.partnership, entry.monitoring)
        review = self.reviews.get(entry.partnership.id)
        savings = stored_money(review.answers.get(CASHABLE_SAVINGS.id)) if review else None
        reviewed = (f"{self.data.cycle} review" if review else
                    f"no accepted {self.data.cycle} review")
        return replace(money, savings=savings, source=f"{money.source}; {reviewed}")

    # ---- tables ---------------------------------------------------------------------------

    def summary_table(self) -> Table:
        rows: list[list[object]] = []
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
                         p.host, agreement, p.budget, overall, recommendation, entry.state_text])
        return Table("Summary", f"Summary of every in-scope partnership, {self.data.cycle}",
                     ["Partnership", "Type", "Partners", "Host", "Agreement", "Budget (£)",
                      "Overall assessment", "Recommendation", "Review status"], rows,
                     money=(5,), rag=(6,), widths_cm=(2.3, 1.8, 2.0, 1.7, 1.5, 1.6, 1.8, 1.6, 2.3))

    def principles_table(self) -> Table:
        rows: list[Sequence[object]] = []
        for entry in self.data.reviewed:
            review = self.reviews[entry.partnership.id]
            rows.append([_name(entry)] + [_cell_with_direction(*review.principle(p))
                                          for p in self.principles])
        count = len(self.principles)
        first = 16.5 - 1.6 * count
        return Table("Principles", f"Rating against each principle, {self.data.cycle}, with the "
                     f"direction of travel since {self.data.previous_cycle or 'last year'}",
                     ["Partnership"] + [f"P{p.number}" for p in self.principles], rows,
                     rag=tuple(range(1, count + 1)),
                     widths_cm=(max(first, 2.5),) + (1.6,) * count if count <= 8 else None)

    def performance_table(self) -> Table:
        rows: list[list[object]] = []
        for entry in self.data.expected:
            review = self.reviews.get(entry.partnership.id)
            if review is None:
                rows.append([_name(entry), None, None, None, None,
                             f"No accepted review: {entry.state}"])
                continue
            counts = kpi_counts(review.kpis())
            rows.append([_name(entry), counts.reported, counts.met, counts.not_met,
                         counts.not_rated, f"{self.data.cycle} review"])
        return Table("Performance", f"Key Performance Indicators met and not met, "
                     f"{self.data.cycle}", ["Partnership", "KPIs reported", "Met (Green)",
                                            "Not met (Amber or Red)", "Not rated", "Source"],
                     with_total(rows, "Total", (1, 2, 3, 4)), total=bool(rows),
                     widths_cm=(4.5, 2.0, 2.0, 2.4, 1.8, 3.8))

    def finance_table(self) -> Table:
        rows: list[list[object]] = []
        for entry in self.data.expected:
            money = self._finance(entry)
            budget, forecast, variance, savings, source = (money.budget, money.forecast,
                                                           money.variance, money.savings,
                                                           money.source)
            review = self.reviews.get(entry.partnership.id)
            benefits = (text_answer(review.answers, NON_CASHABLE_BENEFITS.id) or NOT_ANSWERED) \
                if review else "No accepted review"
            rows.append([_name(entry), budget, forecast, variance, savings, benefits, source])
        return Table("Finance", f"Budgets, forecast outturn and benefits, {self.data.cycle}",
                     ["Partnership", "Budget (£)", "Forecast (£)",
                      "Variance (£, forecast minus budget)", "Cashable savings (£)",
                      "Non-cashable benefits", "Source"],
                     with_total(rows, "Total", (1, 2, 3, 4)), money=(1, 2, 3, 4),
                     total=bool(rows), widths_cm=(2.8, 1.9, 1.9, 2.0, 1.9, 3.6, 2.4))

    def risks_table(self) -> Table:
        return risk_table("Top risks", f"Top {TOP_RISKS} risks across the partnerships by score "
                          "(likelihood times impact)", top_risks(self._risks(), TOP_RISKS))

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
                     rag=(1,), widths_cm=(4.6, 2.3, 2.2, 7.4))

    def kpi_detail(self, review: _Review) -> Table:
        rows: list[list[object]] = [[k.name, k.target or NOT_ANSWERED, k.actual or NOT_ANSWERED,
                                     k.rating.cell, k.commentary or NOT_ANSWERED]
                                    for k in review.kpis()]
        if not rows:
            rows = [["None reported", "", "", "Not rated", ""]]
        return Table("KPIs", f"{review.entry.partnership.name}: Key Performance Indicators",
                     ["Indicator", "Target", "Actual", "RAG status", "Commentary"], rows,
                     rag=(3,), widths_cm=(4.0, 2.2, 2.2, 2.0, 6.1))

    def risk_detail(self, review: _Review) -> Table:
        rows: list[list[object]] = [[r.description, r.likelihood, r.impact, r.score, r.band,
                                     r.mitigation or NOT_ANSWERED, r.owner or NOT_ANSWERED]
                                    for r in review.risks()]
        if not rows:
            rows = [["None reported", "", "", "", "", "", ""]]
        return Table("Risks", f"{review.entry.partnership.name}: top risks",
                     ["Risk", "Likelihood", "Impact", "Score", "Band", "Mitigation", "Owner"],
                     rows, widths_cm=(3.2, 2.0, 1.5, 1.3, 1.6, 4.7, 2.2))

    def annex_tables(self) -> list[Table]:
        tables = [self.summary_table(), self.gaps_table(), self.principles_table(),
                  self.performance_table(), self.finance_table(), self.risks_table()]
        evidence: list[list[object]] = []
        kpis: list[list[object]] = []
        risks: list[list[object]] = []
        for entry in self.data.reviewed:
            review = self.reviews[entry.partnership.id]
            for p in self.principles:
                now, travel = review.principle(p)
                evidence.append([_name(entry), f"P{p.number} {p.title}", now.cell,
                                 travel or "Not applicable",
                                 review.evidence(p)])
            kpis.extend([_name(entry), k.name, k.target, k.actual, k.rating.cell, k.commentary]
                        for k in review.kpis())
        for r in self._risks():
            risks.append([f"{r.partnership.id} {r.partnership.name}", r.description,
                          r.likelihood, r.impact, r.score, r.band, r.mitigation, r.owner,
                          r.source])
        tables += [
            Table("Principle evidence", "Every principle rating with its evidence",
                  ["Partnership", "Principle", "Rating", "Direction of travel", "Evidence"],
                  evidence, rag=(2,)),
            Table("All KPIs", "Every Key Performance Indicator in the reviews",
                  ["Partnership", "Indicator", "Target", "Actual", "RAG status", "Commentary"],
                  kpis, rag=(4,)),
            Table("All risks", "Every risk in the reviews (or the latest monitoring return "
                  "where there is no current review)",
                  ["Partnership", "Risk", "Likelihood", "Impact", "Score", "Band", "Mitigation",
                   "Owner", "Source"], risks),
        ]
        return tables

    def left_out(self) -> tuple[Sequence[ReviewEntry], str]:
        return (self.data.gaps,
                f"without an accepted {self.data.cycle} review, named in 'Gaps in this report'")

    def coverage(self) -> list[tuple[str, object]]:
        return [("Cycle", self.data.cycle),
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
                           period_covered=f"The council year {self.data.cycle}")
        # Finished parts go out of memory as the paper grows: it grows with the partnerships.
        written = paper.spill_body(doc)
        paper.add_heading(doc, "Executive summary", 1)
        self.executive_summary(doc)
        paper.add_heading(doc, "Background", 1)
        self.background(doc)
        self.body(doc)
        written.flush()
        self.implications(doc, financial=self.financial_figures(), risk=self.risk_figures())
        self.closing(doc, annex_name, [f"Appendix {_letter(i + 1)}: {_name(e)}"
                                       for i, e in enumerate(self.data.expected)])
        for i, entry in enumerate(self.data.expected):
            self.appendix(doc, _letter(i + 1), entry)
            written.flush()
        return doc

    def executive_summary(self, doc: DocumentObject) -> None:
        data = self.data
        points = [f"{plural(len(data.expected), 'in-scope partnership')} "
                  f"{'was' if len(data.expected) == 1 else 'were'} due an annual review for "
                  f"{data.cycle}; this report includes "
                  f"{plural(len(data.reviewed), 'accepted review')}."]
        if data.gaps:
            points.append(f"{plural(len(data.gaps), 'partnership')} "
                          f"{'has' if len(data.gaps) == 1 else 'have'} no accepted review for "
                          f"{data.cycle}: " + "; ".join(f"{e.partnership.name} ({e.state})"
                                                        for e in data.gaps)
                          + ". They are named in 'Gaps in this report'.")
        elif data.expected:
            points.append(f"Every partnership due a review has an accepted {data.cycle} review.")
        if data.reviewed:
            overall = [self.reviews[e.partnership.id].overall() for e in data.reviewed]
            colours = Counter(now.colour for now, _, _ in overall)
            points.append("Overall ratings: " + ", ".join(
                f"{colours[c]} {c}" for c in ("Green", "Amber", "Red", "Not rated")
                if colours[c] or c != "Not rated") + ".")
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
                       for e in data.reviewed
                       if self.reviews[e.partnership.id].flagged()]
            if flagged:
                points.append("Reviews recommending a review of the arrangement or exit: "
                              + "; ".join(flagged) + ".")
            counts = kpi_counts(k for e in data.reviewed
                                for k in self.reviews[e.partnership.id].kpis())
            points.append(f"{counts.met} of {plural(counts.reported, 'indicator')} reported "
                          "met their target (Green).")
        else:
            points.append("No returns yet: no annual review for this cycle has been accepted, "
                          "so there are no ratings, indicators or savings to report.")
        savings = total(self._finance(e).savings for e in data.expected)
        if data.reviewed:
            points.append(f"Cashable savings reported in the reviews total "
                          f"{paper.format_value(tidy_amount(savings), 'money')}.")
        high = [r for r in self._risks() if r.high]
        points.append(f"{plural(len(high), 'risk')} {'is' if len(high) == 1 else 'are'} scored "
                      "high or very high.")
        if data.not_due:
            points.append(f"{plural(len(data.not_due), 'partnership')} in the Explore or Design "
                          "phase "
                          f"{'is' if len(data.not_due) == 1 else 'are'} listed for completeness; "
                          "no annual review is due from them yet.")
        paper.add_bullets(doc, points)
        layout.write_pieces(doc, self.officer.pieces("executive summary"))

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
                 f"uses the accepted reviews of {self.data.cycle}, the latest accepted monitoring "
                 "return of each partnership for its budget, and, for the direction of travel, "
                 f"the accepted reviews of {self.data.previous_cycle or 'the previous year'}. "
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
        if data.not_due:
            paper.add_paragraph(doc, "Not yet due, listed for completeness: " + "; ".join(
                f"{_name(e)} ({e.partnership.phase} phase)" for e in data.not_due) + ".")

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
            intro="An indicator rated Green in the review met its target; Amber or Red did not.")
        layout.write_section(
            doc, "Finance and value for money", self.finance_table(),
            intro="Budget and forecast outturn come from each partnership's latest accepted "
                  "monitoring return; the variance is the forecast minus the budget, so a "
                  "positive variance is an overspend. Savings and benefits come from the annual "
                  "review.")
        self.budget_chart(doc)
        layout.write_section(
            doc, "Top risks", self.risks_table(),
            intro=f"Each risk is scored {layout.RISK_SCORING}. Risks come from the annual review, "
                  "or from the latest monitoring return where there is no current review.")

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
        title = "Budget against forecast outturn by partnership"
        layout.add_budget_chart(doc, [self._finance(e) for e in self.data.expected], title,
                         caption=f"{title}, from the latest monitoring returns")

    def financial_figures(self) -> list[str]:
        finance = [self._finance(e) for e in self.data.expected]

        def money(values: Iterable[float | None]) -> str:
            return paper.format_value(total(values), "money")

        figures = []
        if any(f.budget is not None for f in finance):
            figures.append(f"The latest monitoring returns give budgets totalling "
                           f"{money(f.budget for f in finance)} and a forecast outturn of "
                           f"{money(f.forecast for f in finance)}: a variance of "
                           f"{money(f.variance for f in finance)} on the partnerships that "
                           "gave both.")
        if self.data.reviewed:
            figures.append(f"The {self.data.cycle} reviews report cashable savings of "
                           f"{money(f.savings for f in finance)}.")
        return figures

    def risk_figures(self) -> list[str]:
        high = [r for r in self._risks() if r.high]
        return [f"{plural(len(high), 'partnership risk')} {'is' if len(high) == 1 else 'are'} "
                "scored high or very high (see Top risks)."]

    def appendix(self, doc: DocumentObject, letter: str, entry: ReviewEntry) -> None:
        p = entry.partnership
        paper.add_heading(doc, f"Appendix {letter}: {_name(entry)}", 1, new_page=True)
        agreement = p.agreement_type + (f" ({long_date(p.agreement_date)})"
                                        if p.agreement_date else "")
        paper.add_paragraph(doc, f"{p.type_label}. Partners: {'; '.join(p.partners) or 'none'}."
                                 f" Host: {p.host}. Agreement: {agreement}. Budget: "
                                 f"{paper.format_value(p.budget, 'money')}. Business Manager: "
                                 f"{p.bm_name}. Report depth: {p.report_depth}.")
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
        answers = review.answers
        vfm = rating(self.data.scale_of(VFM_ASSESSMENT), answers.get(VFM_ASSESSMENT.id)).label
        savings = stored_money(answers.get(CASHABLE_SAVINGS.id))
        paper.add_table(doc, ["Question", "Answer"], [
            ["Benefits achieved this year", text_answer(answers, BENEFITS_ACHIEVED.id)
             or NOT_ANSWERED],
            ["Cashable savings this year", paper.format_value(savings, "money_pence" if
                                                              isinstance(savings, float)
                                                              else "money")],
            ["Non-cashable benefits", text_answer(answers, NON_CASHABLE_BENEFITS.id)
             or NOT_ANSWERED],
            ["Does the partnership provide value for money?", vfm],
        ], caption=f"{review.entry.partnership.name}: value for money", col_widths_cm=[5, 11.5],
            cell_style=TABLE_TEXT_STYLE, cell_font_pt=TABLE_TEXT_PT)
        paper.add_heading(doc, "Performance", 2)
        self.kpi_detail(review).add_to(doc)
        summary = text_answer(answers, KPI_SUMMARY.id)
        if summary:
            paper.add_paragraph(doc, f"Summary of performance: {summary}")
        paper.add_heading(doc, "Risks", 2)
        self.risk_detail(review).add_to(doc)

    def summary_appendix(self, doc: DocumentObject, review: _Review) -> None:
        paper.add_heading(doc, "Executive summary", 2)
        answers = review.answers
        points = self._recommendation_pieces(review)
        colours = Counter(review.principle(p)[0].colour for p in self.principles)
        points.append("Principles: " + ", ".join(
            f"{colours[c]} {c}" for c in ("Green", "Amber", "Red", "Not rated")) + ".")
        counts = kpi_counts(review.kpis())
        points.append(f"Performance: {counts.met} of {plural(counts.reported, 'indicator')} met "
                      "their target.")
        vfm = rating(self.data.scale_of(VFM_ASSESSMENT), answers.get(VFM_ASSESSMENT.id)).label
        savings = stored_money(answers.get(CASHABLE_SAVINGS.id))
        points.append(f"Value for money: {vfm}. Cashable savings: "
                      f"{paper.format_value(savings, 'money')}.")
        risks = top_risks(review.risks(), 1)
        if risks:
            points.append(f"Highest risk: {risks[0].description} (score "
                          f"{risks[0].score if risks[0].score is not None else 'not given'}, "
                          f"{risks[0].band.lower()}).")
        benefits = text_answer(answers, BENEFITS_ACHIEVED.id)
        if benefits:
            points.append(f"Benefits achieved: {benefits}")
        paper.add_bullets(doc, points)




__all__ = ["compile_scrutiny"]
