"""The tables of the committee papers: one Table both the paper and its annex are made from."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject

from generator.money import tidy_amount
from generator.office import word as paper
from generator.papers.committee.figures import Risk
from generator.papers.committee.sources import Source, reference_note
from generator.vocabulary import rag_colours

TABLE_TEXT_STYLE = "Table Text"  # paragraph style of table cells (9pt when the template lacks it)
TABLE_TEXT_PT = 9
WIDE_TABLE_COLUMNS = 6  # more columns than this go on landscape pages
NO_RETURNS = "No returns yet"
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
    widths_cm: tuple[float, ...] | None = None
    total: bool = False  # the last row is a total row
    # Where each row's figures come from, row by row (None for a row of no one return, such
    # as a total): the annex traces them on its Sources sheet.
    sources: Sequence[Source | None] | None = None

    def __post_init__(self) -> None:
        if not self.rows:
            self.rows = [[NO_RETURNS] + [""] * (len(self.headers) - 1)]

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
        """Add the table to the paper; a paper that writes out its finished parts
        (`paper.spill_body`) writes the table out at once: at 5,000 partnerships one summary
        table is some 100 MB as a tree."""
        # A table of more columns than a portrait page holds goes on landscape pages, its
        # columns sized there from their content (widths chosen for portrait do not apply).
        wide = len(self.headers) > WIDE_TABLE_COLUMNS
        with paper.landscape_pages(doc) if wide else contextlib.nullcontext():
            # Dates, quarters and hyphenated numbers are never broken across lines.
            rows = [[paper.keep_together(v) if isinstance(v, str) else v for v in row]
                    for row in self.rows]
            paper.add_table(doc, self.headers, rows, caption=self.caption,
                            number_formats=self.word_formats(), colour_columns=self.rag,
                            colour_of=rag_colours, col_widths_cm=None if wide else self.widths_cm,
                            cell_style=TABLE_TEXT_STYLE, cell_font_pt=TABLE_TEXT_PT,
                            bold_last_row=self.total, widths_from_content=True)
        if self.sources is not None:
            paper.add_paragraph(doc, reference_note(self), style=TABLE_TEXT_STYLE)
        paper.flush_body(doc)


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


def risk_table(sheet: str, caption: str, risks: Iterable[Risk]) -> Table:
    """Risks with their scores, one row each: the risk table of both papers."""
    rows: list[list[object]] = [
        [f"{r.partnership.id} {r.partnership.name}", r.description, r.likelihood, r.impact,
         r.score, r.band, r.mitigation or NOT_ANSWERED, r.owner or NOT_ANSWERED]
        for r in risks]
    return Table(sheet, caption, ["Partnership", "Risk", "Likelihood", "Impact", "Score", "Band",
                                  "Mitigation", "Owner"], rows,
                 widths_cm=(2.4, 2.6, 2.0, 1.5, 1.3, 1.5, 3.3, 1.9))
