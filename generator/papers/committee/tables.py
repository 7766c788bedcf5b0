"""The tables of the committee papers: one Table both the paper and its annex are made from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Pt
from docx.table import Table as DocxTable

from generator.money import tidy_amount
from generator.office import word as paper
from generator.papers.committee.figures import Risk
from generator.vocabulary import rag_colours

TABLE_TEXT_STYLE = "Table Text"  # paragraph style of table cells (9pt when the template lacks it)
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

    def add_to(self, doc: DocumentObject) -> DocxTable:
        table = paper.add_table(doc, self.headers, self.rows, caption=self.caption,
                                number_formats=self.word_formats(), colour_columns=self.rag,
                                colour_of=rag_colours,
                                col_widths_cm=self.widths_cm)
        compact_table(doc, table)
        if self.total:
            for cell in table.rows[-1].cells:
                for cell_paragraph in cell.paragraphs:
                    for run in cell_paragraph.runs:
                        run.bold = True
        return table


def compact_table(doc: DocumentObject, table: DocxTable) -> None:
    """Cells in the template's "Table Text" style (restyleable), else in 9pt text."""
    style = next((s for s in doc.styles if s.type == WD_STYLE_TYPE.PARAGRAPH
                  and (s.name or "").casefold() == TABLE_TEXT_STYLE.casefold()), None)
    for row in table.rows:
        for cell in row.cells:
            for cell_paragraph in cell.paragraphs:
                if style is not None:
                    # Set the style id directly: python-docx's `paragraph.style = ...` looks
                    # through every style of the document on each call, which made a paper
                    # for 1,000 partnerships take most of a minute.
                    cell_paragraph._p.style = style.style_id
                else:
                    for run in cell_paragraph.runs:
                        run.font.size = Pt(9)


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
