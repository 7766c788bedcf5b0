"""A summary of the answers to one form type: a Word document and an Excel workbook.

One row per partnership; one column per choice answer (for the Explore checklist: the scope,
driver, alignment, each principle's assessment and the recommendation).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx.shared import Cm

from generator.formdefs import FormDefinition
from generator.forms.display import display_value
from generator.office import word as paper
from generator.office.excel import TableWorkbook
from generator.vocabulary import rag_colours


@dataclass(frozen=True)
class SummaryRow:
    partnership_id: str
    partnership_name: str
    answers: dict[str, Any]
    status: str  # "Accepted", "Accepted with warnings", "Problems found"


def _columns(definition: FormDefinition) -> list[str]:
    return [f.id for f in definition.fields.values() if f.type in ("choice", "checkbox")]


def summary_table(definition: FormDefinition, rows: Sequence[SummaryRow]
                  ) -> tuple[list[str], list[list[object]]]:
    """Headers and rows: partnership, status, then every choice and checkbox answer."""
    columns = _columns(definition)
    headers = ["ID", "Partnership", "Status"] + [definition.fields[c].label for c in columns]
    body: list[list[object]] = []
    for row in rows:
        cells: list[object] = [row.partnership_id, row.partnership_name, row.status]
        for column in columns:
            shown = display_value(definition.fields[column], row.answers.get(column))
            cells.append(_rag_prefixed(definition, column, row.answers.get(column), shown))
        body.append(cells)
    return headers, body


def _rag_prefixed(definition: FormDefinition, field_id: str, value: Any, shown: str) -> str:
    f = definition.fields[field_id]
    if f.type != "choice" or not f.scale or definition.framework is None:
        return shown or "Not answered"
    scale = definition.framework.scales.get(f.scale)
    choice = scale.choice(value) if scale else None
    if choice and choice.rag and choice.rag != "Grey":
        return f"{choice.rag}: {shown}"
    return shown or "Not answered"


def write_summary(definition: FormDefinition, rows: Sequence[SummaryRow], folder: Path,
                  *, council: str, cycle: str, today: dt.date | None = None) -> tuple[Path, Path]:
    """Write `<type>-summary-<cycle>.docx` and `.xlsx` into `folder`; return both paths."""
    today = today or dt.date.today()
    stem = f"{definition.type}-summary-{cycle.replace('/', '-')}"
    headers, body = summary_table(definition, rows)
    title = f"{definition.title}: summary of returns, {cycle}"

    doc = paper.open_paper(None)
    section = paper.last_section(doc)
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4, not the template's Letter
    paper.set_document_metadata(doc, title=title, subject=f"{council} partnerships",
                                author=council)
    paper.add_heading(doc, title, 1)
    paper.add_paragraph(doc, f"{council}. Compiled on {today.day} {today:%B %Y} from "
                             f"{len(rows)} returned form{'s' if len(rows) != 1 else ''}.")
    principle_ids = [c for c in _columns(definition) if c.startswith("p") and "_" in c
                     and c.split("_")[0][1:].isdigit()]
    if principle_ids:
        paper.add_heading(doc, "Principles at a glance", 2)
        short = ["ID", "Partnership"] + [f"P{c.split('_')[0][1:]}" for c in principle_ids]
        matrix = [[r.partnership_id, r.partnership_name] + [
            _rag_prefixed(definition, c, r.answers.get(c),
                          display_value(definition.fields[c], r.answers.get(c)))
            for c in principle_ids] for r in rows]
        # Ten columns: landscape pages, each column as wide as its words need.
        with paper.landscape_pages(doc):
            paper.add_table(doc, short, [[paper.keep_together(str(v)) for v in row]
                                         for row in matrix],
                            caption="Assessment against each principle",
                            colour_columns=list(range(2, len(short))), colour_of=rag_colours,
                            cell_font_pt=9, widths_from_content=True)
        if definition.framework is not None:
            paper.add_paragraph(doc, "Key: " + "; ".join(
                f"P{p.number} {p.title}" for p in definition.framework.principles))
    paper.add_heading(doc, "All answers", 2)
    for row in rows:
        paper.add_heading(doc, f"{row.partnership_id} {row.partnership_name}", 3)
        pairs = [[definition.fields[c].label,
                  display_value(definition.fields[c], row.answers.get(c)) or "Not answered"]
                 for c in (f.id for f in definition.fields.values() if f.type != "table")]
        pairs.insert(0, ["Status", row.status])
        paper.add_table(doc, ["Question", "Answer"], pairs,
                        caption=f"Answers for {row.partnership_name}", col_widths_cm=[7, 9])
    if not rows:
        paper.add_paragraph(doc, "No returns have been read yet.")
    docx_path = folder / f"{stem}.docx"
    folder.mkdir(parents=True, exist_ok=True)
    paper.save_atomic(doc, docx_path)

    workbook = TableWorkbook()
    workbook.add_sheet("Summary", headers, body)
    xlsx_path = folder / f"{stem}.xlsx"
    workbook.save(xlsx_path)
    return docx_path, xlsx_path
