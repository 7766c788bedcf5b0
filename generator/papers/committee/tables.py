"""The tables of the committee papers: one Table both the paper and its annex are made from."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from docx.document import Document as DocumentObject

from generator.framework import RiskMatrix
from generator.money import tidy_amount
from generator.office import word as paper
from generator.papers.committee.latest import KpiLine, Money, RiskLine, Savings
from generator.papers.committee.sources import Source, reference_note
from generator.positions import Position
from generator.vocabulary import rag_colours

TABLE_TEXT_STYLE = "Table Text"  # paragraph style of table cells (9pt when the template lacks it)
TABLE_TEXT_PT = 9
WIDE_TABLE_COLUMNS = 6  # more columns than this go on landscape pages
# A table of this many rows or fewer is kept on one page: LibreOffice 25.2 lost the rows of a
# short appendix table it broke after the header row at the foot of a page.
KEEP_WHOLE_ROWS = 8
NO_RETURNS = "No returns yet"
REGISTER = "Partnership register"
NOT_ANSWERED = "Not answered"
EXCEL_MONEY = '"£"#,##0'
EXCEL_MONEY_PENCE = '"£"#,##0.00'
EXCEL_PERCENT = "0%"


@dataclass
class Table:
    """A table of a paper, written the same way to Word and to the Excel data annex."""

    sheet: str
    caption: str
    headers: list[str]
    rows: Sequence[Sequence[object]]
    money: tuple[int, ...] = ()
    percent: tuple[int, ...] = ()
    rag: tuple[int, ...] = ()
    widths_cm: tuple[float, ...] | None = None  # of the columns the paper shows
    total: bool = False  # the last row is a total row
    # The columns the Word paper shows, when it shows fewer than the annex (a page is only
    # 16.5 cm wide); the annex always has every column.
    in_paper: tuple[int, ...] | None = None
    # Where each row's figures come from, row by row (None for a row of no one return, such
    # as a total): the annex traces them on its Sources sheet.
    sources: Sequence[Source | None] | None = None
    # The annex table whose Sources section traces this table's figures, when it is not this
    # table itself (a partnership's appendix table, traced with every partnership's).
    traced_in: str | None = None

    def __post_init__(self) -> None:
        if not self.rows:
            self.rows = [[NO_RETURNS] + [""] * (len(self.headers) - 1)]

    @property
    def wide(self) -> bool:
        """More columns in the paper than a portrait page holds: it goes on landscape pages."""
        shown = len(self.in_paper) if self.in_paper is not None else len(self.headers)
        return shown > WIDE_TABLE_COLUMNS

    def for_paper(self) -> Table:
        """The table as the paper shows it: its `in_paper` columns only."""
        if self.in_paper is None:
            return self
        keep = self.in_paper
        at = {column: i for i, column in enumerate(keep)}
        return Table(self.sheet, self.caption, [self.headers[c] for c in keep],
                     [[row[c] for c in keep] for row in self.rows],
                     tuple(at[c] for c in self.money if c in at),
                     tuple(at[c] for c in self.percent if c in at),
                     tuple(at[c] for c in self.rag if c in at), self.widths_cm, self.total,
                     sources=self.sources, traced_in=self.traced_in)

    def _pence(self, column: int) -> bool:
        values = (row[column] for row in self.rows)
        return any(isinstance(value, float) and not value.is_integer() for value in values)

    def word_formats(self) -> dict[int, str]:
        formats = {c: "money_pence" if self._pence(c) else "money" for c in self.money}
        formats.update({c: "percent" for c in self.percent})
        return formats

    def excel_formats(self) -> dict[str, str]:
        formats = {self.headers[c]: EXCEL_MONEY_PENCE if self._pence(c) else EXCEL_MONEY
                   for c in self.money}
        formats.update({self.headers[c]: EXCEL_PERCENT for c in self.percent})
        return formats

    def add_to(self, doc: DocumentObject) -> None:
        """Add the table to the paper (its `in_paper` columns); a paper that writes out its
        finished parts (`paper.spill_body`) writes the table out at once: at 5,000 partnerships
        one summary table is some 100 MB as a tree."""
        if self.in_paper is not None:
            self.for_paper().add_to(doc)
            return
        # A table of more columns than a portrait page holds goes on landscape pages, its
        # columns sized there from their content (widths chosen for portrait do not apply).
        wide = self.wide
        with paper.landscape_pages(doc) if wide else contextlib.nullcontext():
            # Dates, quarters and hyphenated numbers are never broken across lines.
            rows = [[paper.keep_together(v) if isinstance(v, str) else v for v in row]
                    for row in self.rows]
            # The note goes on the table's own pages: after a landscape table it would start
            # a new page.
            paper.write_table(doc, self.headers, rows, caption=self.caption,
                              number_formats=self.word_formats(), colour_columns=self.rag,
                              colour_of=rag_colours,
                              col_widths_cm=None if wide else self.widths_cm,
                              cell_style=TABLE_TEXT_STYLE, cell_font_pt=TABLE_TEXT_PT,
                              bold_last_row=self.total, widths_from_content=True,
                              keep_whole=len(rows) <= KEEP_WHOLE_ROWS,
                              keep_with_next=self.sources is not None,
                              note=reference_note(self) if self.sources is not None else None,
                              note_style=TABLE_TEXT_STYLE)
        paper.flush_body(doc)


def add_tables(doc: DocumentObject, tables: Sequence[Table]) -> None:
    """Add the tables in order (wide tables one after another share their landscape pages:
    see `paper.landscape_pages`)."""
    for table in tables:
        table.add_to(doc)


def with_total(rows: list[list[object]], label: str, columns: Sequence[int]) -> list[list[object]]:
    """`rows` plus a total row: the sum of each numeric column in `columns` (None if none)."""
    if not rows:
        return rows
    width = len(rows[0])
    total: list[object] = [label, *[""] * (width - 1)]
    for column in columns:
        values = [value for value in (row[column] for row in rows)
                  if isinstance(value, int | float) and not isinstance(value, bool)]
        total[column] = tidy_amount(sum(values)) if values else None
    return [*rows, total]


def _who(partnership: object) -> str:
    return f"{getattr(partnership, 'id', '')} {getattr(partnership, 'name', '')}"


def position_source(position: Position | None, questions: dict[str, str]) -> Source | None:
    """Where a row of a partnership's latest figures comes from: the return of `position`."""
    if position is None:
        return None
    return Source.of_return(position.ret, form=position.source, period=position.label,
                            questions=questions)


# What each column of a count of indicators (both papers) is counted from.
KPI_COUNT_QUESTIONS = {
    "KPIs": "Key Performance Indicators: the indicators reported",
    "KPIs reported": "Key Performance Indicators: the indicators reported",
    "Green": "Key Performance Indicators: those rated Green",
    "Met (Green)": "Key Performance Indicators: those rated Green",
    "Amber": "Key Performance Indicators: those rated Amber",
    "Red": "Key Performance Indicators: those rated Red",
    "Not met (Amber or Red)": "Key Performance Indicators: those rated Amber or Red",
    "Not rated": "Key Performance Indicators: those without an actual or a target to rate",
    "Overridden": "Key Performance Indicators: those whose RAG was overridden, with a reason",
    "Worse than the period before": "Key Performance Indicators: those whose RAG fell since "
                                    "the period before"}

# What each traced column of the tables below answers on its form.
_KPI_QUESTIONS = {"Target": "Key Performance Indicators: target (set at Design)",
                  "Actual": "Key Performance Indicators: actual", "RAG status":
                  "Key Performance Indicators: RAG, worked out from actual, target and "
                  "tolerance (or as overridden, with its reason)"}
_RISK_QUESTIONS = {"Inherent score": "Risks: likelihood times impact before mitigation",
                   "Residual score": "Risks: likelihood times impact after mitigation"}
_MONEY_QUESTIONS = {"Gross budget (£)": "Budget for the year (£)",
                    "Forecast outturn (£)": "Forecast outturn (£)",
                    "Variance (£)": "Forecast outturn minus budget",
                    "Variance (%)": "Variance as a share of the budget",
                    "Movement since last forecast (£)": "Forecast outturn, against the "
                                                        "previous quarter's"}


def escalated_first(lines: Iterable[RiskLine]) -> list[RiskLine]:
    """Risks at or above the escalation score first, then by residual score, highest first;
    unscored risks last."""
    return sorted(lines, key=lambda r: (not r.risk.escalated, -(r.risk.score or 0)))


def risk_table(sheet: str, caption: str, lines: Iterable[RiskLine]) -> Table:
    """Risks with their scores before and after mitigation, the score of the period before
    and the trend, one row each: the risk table of both papers."""
    lines = list(lines)
    rows: list[list[object]] = [
        [line.id, _who(line.partnership), line.risk.description, line.risk.inherent,
         line.risk.score_text, line.previous_text, str(line.trend),
         "Escalated" if line.risk.escalated else "No", line.risk.mitigation or NOT_ANSWERED,
         line.risk.owner or NOT_ANSWERED, line.position.label]
        for line in lines]
    return Table(sheet, caption, ["Risk id", "Partnership", "Risk", "Inherent score",
                                  "Residual score", "Previous residual score", "Trend",
                                  "Corporate risk register", "Mitigation", "Owner",
                                  "Position at"], rows, in_paper=(0, 2, 4, 5, 6, 7, 10),
                 widths_cm=(1.7, 3.2, 2.6, 2.6, 1.9, 2.2, 2.3),
                 sources=[position_source(line.position, _RISK_QUESTIONS) for line in lines])


def kpi_table(sheet: str, caption: str, lines: Iterable[KpiLine]) -> Table:
    """Indicators with their target, actual, RAG rating (an override shown as one) and
    trend, one row each: the indicator table of both papers."""
    lines = list(lines)
    rows: list[list[object]] = [
        [line.id, _who(line.partnership), line.kpi.name, line.kpi.target_text,
         line.kpi.shown(line.kpi.actual) or NOT_ANSWERED, line.kpi.rag_text, line.trend_text,
         line.kpi.reason or line.kpi.commentary or NOT_ANSWERED, line.position.label]
        for line in lines]
    return Table(sheet, caption, ["Ref", "Partnership", "Indicator", "Target", "Actual",
                                  "RAG status", "Trend", "Commentary", "Position at"], rows,
                 rag=(5,), in_paper=(0, 2, 3, 4, 5, 6, 8),
                 widths_cm=(1.7, 3.2, 2.4, 1.5, 2.6, 2.8, 2.2),
                 sources=[position_source(line.position, _KPI_QUESTIONS) for line in lines])


def register_source(period: str, questions: dict[str, str]) -> Source:
    """The partnership register as the source of a table's columns."""
    return Source(REGISTER, REGISTER, period, questions=questions)


def _money_source(m: Money) -> Source | None:
    """Where a row of money comes from: the return of its position, the council's
    contribution from the register."""
    found = position_source(m.position, _MONEY_QUESTIONS)
    contribution = register_source(m.label, {"Council contribution (£)":
                                             "Council contribution (£)"})
    return None if found is None else replace(
        found, elsewhere={"Council contribution (£)": contribution})


def money_table(sheet: str, caption: str, moneys: Iterable[Money]) -> Table:
    """Gross budget and the council's contribution side by side, the forecast outturn, the
    variance in pounds and percent and the movement since the last forecast: both papers."""
    moneys = list(moneys)
    rows: list[list[object]] = [
        [_who(m.partnership), m.budget, m.contribution, m.forecast, m.variance, m.share,
         m.movement, m.explanation or NOT_ANSWERED, m.label] for m in moneys]
    rows = with_total(rows, "Total", (1, 2, 3, 4, 6))
    if rows:
        total = rows[-1]
        total[5] = total[4] / total[1] if isinstance(total[1], int | float) and total[1] \
            and isinstance(total[4], int | float) else None
        total[8] = ""
    return Table(sheet, caption, ["Partnership", "Gross budget (£)", "Council contribution (£)",
                                  "Forecast outturn (£)", "Variance (£)", "Variance (%)",
                                  "Movement since last forecast (£)", "Explanation",
                                  "Position at"], rows, money=(1, 2, 3, 4, 6), percent=(5,),
                 total=bool(rows), in_paper=(0, 1, 2, 3, 4, 5, 6, 8),
                 widths_cm=(2.4, 2.1, 2.4, 2.1, 1.9, 1.6, 2.0, 2.0),
                 sources=[_money_source(m) for m in moneys]
                 + ([None] if moneys else []))  # the total is of no one return


_SAVINGS_QUESTIONS = {"Cashable savings this year (£)": "Cashable savings this year (£)",
                      "Against target (%)": "Cashable savings this year, as a share of the "
                                            "savings target of the business case",
                      "Non-cashable savings this year (£)": "Non-cashable savings this year, "
                                                            "valued (£)",
                      "One-off costs this year (£)": "One-off costs this year (£)"}
_DESIGN_QUESTIONS = {"Baseline (£)": "Baseline: the service's annual cost to the council "
                                     "before the partnership (£)",
                     "Savings target a year (£)": "Savings target a year in the business case "
                                                  "(£)"}


def _savings_source(s: Savings) -> Source | None:
    """Where a row of savings comes from: the year's annual review, with the target and
    baseline from the Design assessment and the sums to date from every review since."""
    design = None
    if s.design is not None:
        design = Source.of_return(s.design, form="Design assessment",
                                  period=s.design.cycle or "", questions=_DESIGN_QUESTIONS)
    if s.review is None:  # no review yet: the one-off costs to date are those of Design
        return design and replace(design, questions={
            **_DESIGN_QUESTIONS, "One-off costs to date (£)": "Set-up cost (£) and Other "
                                                              "one-off costs (£)"})
    since = f"the annual reviews from {s.since} to {s.review.cycle}"
    questions = {**_SAVINGS_QUESTIONS,
                 "Cashable savings to date (£)": f"Cashable savings this year (£): the sum of "
                                                 f"{since}",
                 "One-off costs to date (£)": f"Set-up and other one-off costs at Design, and "
                                              f"one-off costs this year (£) of {since}"}
    row = Source.of_return(s.review, form=f"{s.review.cycle} annual review",
                           period=s.review.cycle or "", questions=questions)
    if design is None:
        return row
    return replace(row, elsewhere={header: design for header in _DESIGN_QUESTIONS})


def savings_table(sheet: str, caption: str, savings: Iterable[Savings]) -> Table:
    """Savings against the business case: target and baseline set at Design, the year's
    savings (cashable and non-cashable apart), cumulative savings and one-off costs apart."""
    savings = list(savings)
    rows: list[list[object]] = [
        [_who(s.partnership), s.baseline, s.target, s.cashable, s.against_target,
         s.non_cashable, s.cumulative_cashable, s.one_off, s.cumulative_one_off,
         f"since {s.since}" if s.since else "No review on record"] for s in savings]
    return Table(sheet, caption, ["Partnership", "Baseline (£)", "Savings target a year (£)",
                                  "Cashable savings this year (£)", "Against target (%)",
                                  "Non-cashable savings this year (£)",
                                  "Cashable savings to date (£)", "One-off costs this year (£)",
                                  "One-off costs to date (£)", "To date"],
                 with_total(rows, "Total", (1, 2, 3, 5, 6, 7, 8)), money=(1, 2, 3, 5, 6, 7, 8),
                 percent=(4,), total=bool(rows),
                 widths_cm=(2.4, 1.6, 1.6, 1.6, 1.3, 1.6, 1.7, 1.6, 1.6, 1.4),
                 sources=[_savings_source(s) for s in savings] + ([None] if savings else []))


def heat_map_cells(lines: Sequence[RiskLine], matrix: RiskMatrix
                   ) -> tuple[list[str], list[str], list[list[str]], list[list[str]]]:
    """The heat map of residual scores: row labels (likelihood, highest first), column
    labels (impact), each cell's text ('12 High: P001-R2, P003-R1') and fill."""
    rows = [level.choice_label for level in reversed(matrix.likelihood)]
    columns = [level.choice_label for level in matrix.impact]
    cells, fills = [], []
    for likelihood in reversed(matrix.likelihood):
        texts, colours = [], []
        for impact in matrix.impact:
            score = likelihood.score * impact.score
            band = matrix.band(score)
            ids = [r.id for r in lines
                   if (r.risk.likelihood, r.risk.impact) == (likelihood.score, impact.score)]
            texts.append(f"{score} {band.name if band else ''}".strip()
                         + (f": {', '.join(ids)}" if ids else ""))
            colours.append(band.colour if band else "FFFFFF")
        cells.append(texts)
        fills.append(colours)
    return rows, columns, cells, fills


def heat_map_table(sheet: str, caption: str, lines: Sequence[RiskLine],
                   matrix: RiskMatrix) -> Table:
    """The heat map's data as a table: likelihood down, impact across, each cell the score,
    its band and the ids of the risks scored there."""
    rows, columns, cells, _ = heat_map_cells(lines, matrix)
    return Table(sheet, caption, ["Likelihood (after mitigation)", *[f"Impact {c}"
                                                                      for c in columns]],
                 [[label, *texts] for label, texts in zip(rows, cells, strict=True)],
                 widths_cm=(2.5, *(2.8,) * len(columns)))
