"""Pieces both committee papers share: officer-written text, the front sheet, tables, outputs.

Officer-written text lives in the workspace's `texts/scrutiny.txt` and `texts/cgb.txt`, in
"## Heading" sections (the format is described at the top of those files). A paragraph that
starts with `TO COMPLETE:` is shown in the paper as a highlighted placeholder for the report
author, so nothing unfinished can pass for finished text.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx.document import Document as DocumentObject
from docx.table import Table as DocxTable

from generator.errors import LibreOfficeMissing, ReportError, ToolkitError, WorkspaceError
from generator.fileio import unused_path, write_together
from generator.money import tidy_amount
from generator.office import charts
from generator.office import word as paper
from generator.office.excel import workbook_bytes
from generator.office.libreoffice import convert
from generator.vocabulary import rag_colours
from generator.wording import plural
from generator.workspace import Workspace, bundled_templates_dir

TEMPLATE_NAME = "committee-paper.docx"
TABLE_TEXT_STYLE = "Table Text"  # paragraph style of table cells (9pt when the template lacks it)
TABLE_TEXT_PT = 9
MARKER = "TO COMPLETE:"
PLACEHOLDER_PREFIX = "[To be completed by the report author: "
NO_RETURNS = "No returns yet"
EXCEL_MONEY = '"£"#,##0'
EXCEL_MONEY_PENCE = '"£"#,##0.00'
EXCEL_PERCENT = "0%"

# The sections of texts/scrutiny.txt and texts/cgb.txt, by normalised heading.
SECTIONS = (
    "meeting date", "report of", "contact officer", "wards affected", "exempt", "purpose",
    "recommendations", "executive summary", "financial implications", "legal implications",
    "risk implications", "equalities implications", "environmental implications",
    "background papers",
)

OPTIONAL_SECTIONS = ("executive summary",)  # left out quietly when missing

# Part 1 of Schedule 12A to the Local Government Act 1972: descriptions of exempt information.
SCHEDULE_12A = {
    1: "information relating to any individual",
    2: "information which is likely to reveal the identity of an individual",
    3: "information relating to the financial or business affairs of any particular person "
       "(including the authority holding that information)",
    4: "information relating to any consultations or negotiations, or contemplated "
       "consultations or negotiations, in connection with any labour relations matter arising "
       "between the authority or a Minister of the Crown and employees of, or office holders "
       "under, the authority",
    5: "information in respect of which a claim to legal professional privilege could be "
       "maintained in legal proceedings",
    6: "information which reveals that the authority proposes to give under any enactment a "
       "notice by virtue of which requirements are imposed on a person, or to make an order or "
       "direction under any enactment",
    7: "information relating to any action taken or to be taken in connection with the "
       "prevention, investigation or prosecution of crime",
}


@dataclass
class PaperResult:
    """What compiling a paper wrote, and anything the officer should know."""

    docx: Path
    xlsx: Path
    pdf: Path | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"docx": str(self.docx), "xlsx": str(self.xlsx),
                "pdf": str(self.pdf) if self.pdf else None, "notes": list(self.notes)}


# --------------------------------------------------------------------------- officer text


@dataclass(frozen=True)
class Piece:
    """A paragraph of officer text, or a placeholder saying what the author must write."""

    text: str
    placeholder: bool = False

    @property
    def shown(self) -> str:
        """The words as they appear in a table cell."""
        return f"{PLACEHOLDER_PREFIX}{self.text}]" if self.placeholder else self.text


def _section_key(heading: str) -> str:
    return " ".join(heading.split()).casefold().rstrip(":")


class OfficerText:
    """The "## Heading" sections of an editable text, with {names} filled in."""

    def __init__(self, text: str, source: str, values: dict[str, str]) -> None:
        self.source = source
        self.sections: dict[str, list[str]] = {}
        self.unknown: list[str] = []
        current: str | None = None
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line = raw.rstrip()
            if line.startswith("## "):
                current = _section_key(line[3:])
                if current not in SECTIONS and line[3:].strip() not in self.unknown:
                    self.unknown.append(line[3:].strip())
                self.sections.setdefault(current, [])
            elif line.startswith("#") and not line.startswith("##"):
                continue  # a note for the person editing the file
            elif current is not None:
                self.sections[current].append(_fill(line, values))

    @classmethod
    def from_workspace(cls, ws: Workspace, name: str, values: dict[str, str]) -> OfficerText:
        try:
            text = ws.text(name)
            source = f"texts/{name}"
        except WorkspaceError:
            text, source = "", f"texts/{name} (missing)"
        return cls(text, source, values)

    def notes(self) -> list[str]:
        notes = [f"{self.source}: the section '## {name}' is not used by the paper (the "
                 f"sections are: {', '.join(s.capitalize() for s in SECTIONS)})"
                 for name in self.unknown]
        missing = [s for s in SECTIONS if s not in self.sections and s not in OPTIONAL_SECTIONS]
        if missing:
            notes.append(f"{self.source}: no '## {missing[0].capitalize()}' section"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                         + "; a placeholder is shown in its place")
        return notes

    def pieces(self, key: str, *, hint: str = "") -> list[Piece]:
        """The section's paragraphs (split at blank lines); a placeholder if it is missing.

        An empty section gives no pieces (the officer chose to leave it out).
        """
        if key not in self.sections:
            if key in OPTIONAL_SECTIONS:
                return []
            return [Piece(hint or f"the {key} (add a '## {key.capitalize()}' section to "
                          f"{self.source})", True)]
        paragraphs: list[list[str]] = [[]]
        for line in self.sections[key]:
            if line.strip():
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
        return [_piece("\n".join(lines)) for lines in paragraphs if lines]

    def value(self, key: str, *, hint: str = "") -> Piece:
        """The section as one line (for the front sheet)."""
        pieces = self.pieces(key, hint=hint)
        if not pieces:
            return Piece(hint or f"the {key}", True)
        if any(p.placeholder for p in pieces):
            return next(p for p in pieces if p.placeholder)
        return Piece(" ".join(" ".join(p.text.split()) for p in pieces))

    def items(self, key: str, *, hint: str = "") -> list[Piece]:
        """Numbered items: lines starting '1.', '2)' or '-' begin an item; others continue it."""
        if key not in self.sections:
            return self.pieces(key, hint=hint)
        items: list[list[str]] = []
        starts_item = re.compile(r"^\s*(?:\d+\s*[.)]|[-*•])\s+")
        fresh = True
        for line in self.sections[key]:
            if not line.strip():
                fresh = True
                continue
            if starts_item.match(line) or fresh or not items:
                items.append([starts_item.sub("", line).strip()])
            else:
                items[-1].append(line.strip())
            fresh = False
        return [_piece(" ".join(lines)) for lines in items if " ".join(lines).strip()]


def _fill(line: str, values: dict[str, str]) -> str:
    """Replace the known {names} only; any other braces are left as typed."""
    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return re.sub(r"\{([a-z_]+)\}", swap, line)


def _piece(text: str) -> Piece:
    if text.upper().startswith(MARKER):
        hint = text[len(MARKER):].strip() or "this part of the report"
        return Piece(" ".join(hint.split()), True)
    return Piece(text)


def exempt_piece(piece: Piece) -> tuple[Piece, int | None]:
    """The exempt entry as shown, and the Schedule 12A paragraph number when exempt."""
    if piece.placeholder:
        return piece, None
    text = piece.text.strip()
    if re.match(r"(?i)^no\b", text) or not text:
        return Piece("No"), None
    if re.match(r"(?i)^yes\b", text):
        match = re.search(r"(?i)paragraph\s*(\d+)|\b([1-7])\b", text)
        number = int(match.group(1) or match.group(2)) if match else None
        if number not in SCHEDULE_12A:
            return Piece("say which paragraph (1 to 7) of Part 1 of Schedule 12A to the Local "
                         "Government Act 1972 makes this report exempt, e.g. 'Yes, paragraph "
                         "3'", True), None
        return Piece(f"Yes: exempt under paragraph {number} of Part 1 of Schedule 12A to the "
                     f"Local Government Act 1972 ({SCHEDULE_12A[number]})"), number
    return Piece(text), None


# --------------------------------------------------------------------------- document pieces


def open_committee_paper(ws: Workspace) -> DocumentObject:
    """A new paper from the workspace's committee-paper template (or the bundled one)."""
    candidates = [ws.templates_dir / TEMPLATE_NAME]
    try:
        candidates.append(bundled_templates_dir() / TEMPLATE_NAME)
    except WorkspaceError:
        pass
    for candidate in candidates:
        if candidate.exists():
            return paper.open_paper(candidate)
    from generator.papers.committee.template import style_document

    doc = paper.open_paper(None)
    style_document(doc, council=ws.council)
    return doc


def write_pieces(doc: DocumentObject, pieces: Sequence[Piece]) -> None:
    for piece in pieces:
        if piece.placeholder:
            paper.add_placeholder(doc, piece.text)
        else:
            paper.add_paragraph(doc, piece.text)


def write_numbered(doc: DocumentObject, pieces: Sequence[Piece]) -> None:
    """A numbered list; placeholder items keep their number and the placeholder style."""
    if not pieces:
        return
    paragraphs = paper.add_numbered(doc, [p.shown for p in pieces])
    for paragraph, piece in zip(paragraphs, pieces, strict=True):
        if piece.placeholder:
            mark_placeholder_runs(doc, paragraph.runs)


def mark_placeholder_runs(doc: DocumentObject, runs: Sequence[Any]) -> None:
    style = paper._placeholder_style(doc)  # the same style paper.add_placeholder uses
    for run in runs:
        run.style = style
        run.bold = True


def mark_placeholder_cells(doc: DocumentObject, table: DocxTable) -> None:
    for row in table.rows[1:]:
        for cell in row.cells:
            if cell.text.startswith(PLACEHOLDER_PREFIX):
                for cell_paragraph in cell.paragraphs:
                    mark_placeholder_runs(doc, cell_paragraph.runs)


def front_sheet(doc: DocumentObject, rows: Sequence[tuple[str, Piece]]) -> None:
    table = paper.add_table(doc, ["Item", "Detail"], [[k, v.shown] for k, v in rows],
                            caption="Report details", col_widths_cm=[4.5, 12],
                            cell_style=TABLE_TEXT_STYLE, cell_font_pt=TABLE_TEXT_PT)
    mark_placeholder_cells(doc, table)


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

    def add_to(self, doc: DocumentObject) -> None:
        """Add the table to the paper; a paper that writes out its finished parts
        (`paper.spill_body`) writes the table out at once: at 5,000 partnerships one summary
        table is some 100 MB as a tree."""
        paper.add_table(doc, self.headers, self.rows, caption=self.caption,
                        number_formats=self.word_formats(), colour_columns=self.rag,
                        colour_of=rag_colours, col_widths_cm=self.widths_cm,
                        cell_style=TABLE_TEXT_STYLE, cell_font_pt=TABLE_TEXT_PT,
                        bold_last_row=self.total)
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




# --------------------------------------------------------------------------- outputs


def output_paths(folder: Path, stem: str) -> tuple[Path, Path, Path]:
    """Free .docx, .xlsx and .pdf paths sharing one stem (stem, stem-2, ...): never overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        paths = tuple(folder / f"{name}{ext}" for ext in (".docx", ".xlsx", ".pdf"))
        if all(unused_path(p) == p for p in paths):
            return paths  # type: ignore[return-value]
        n += 1


def make_pdf(docx_path: Path, notes: list[str]) -> Path | None:
    """Convert the paper to PDF with LibreOffice; a missing LibreOffice is a note, not an error."""
    try:
        return convert(docx_path, "pdf", docx_path.parent)
    except LibreOfficeMissing as exc:
        notes.append(str(exc))
    except ToolkitError as exc:
        notes.append(f"No PDF was made: {exc}. The Word paper was made; save it as PDF from "
                     "Word if one is needed")
    return None


def finish_paper(doc: DocumentObject | Callable[[], DocumentObject], docx_path: Path,
                 xlsx_path: Path,
                 annex_tables: Sequence[Table], about: Sequence[tuple[str, object]],
                 officer: OfficerText, notes: list[str], *, pdf: bool) -> PaperResult:
    """Save the paper and its annex, note what the author has still to write, make the PDF."""
    # annex.py builds on this module, so it is imported here rather than at the top.
    from generator.papers.committee.annex import annex_workbook

    annex = workbook_bytes(annex_workbook(annex_tables, about=about))
    if callable(doc):
        # Built after the annex, whose workbook is gone by then: the two at once took 140 MB
        # more at 5,000 partnerships. An openpyxl workbook refers to itself (sheets to their
        # workbook, cells to their sheet), so it is only gone once the cycle collector has run.
        gc.collect()
        doc = doc()
    try:
        # The paper and its annex are published together: both are saved, or neither.
        write_together([(docx_path, paper.document_bytes(doc)), (xlsx_path, annex)])
    except OSError as exc:
        raise ReportError(f"Cannot save {docx_path.name} and its annex in {docx_path.parent}: "
                          f"{exc.strerror or exc}; nothing was saved") from None
    placeholders = sum(1 for key in SECTIONS for p in officer.pieces(key) if p.placeholder)
    if placeholders:
        notes.append(f"{plural(placeholders, 'part')} of the paper still to be completed by the "
                     f"report author (edit {officer.source} and compile again, or complete "
                     "them in Word)")
    result = PaperResult(docx_path, xlsx_path, None, notes)
    if pdf:
        result.pdf = make_pdf(docx_path, notes)
    return result


def officer_values(ws: Workspace, **extra: str) -> dict[str, str]:
    """The {names} the editable texts may use."""
    framework = ws.framework()
    values = {
        "council": ws.council,
        "responsible_officer": str(ws.setting("council", "responsible_officer", "")
                                   or framework.strategy.get("responsible_officer", "")),
        "contact_officer": str(ws.setting("council", "contact_officer", "") or ""),
        "contact_email": str(ws.setting("council", "contact_email", "") or ""),
        "strategy_title": framework.strategy.get("title", "Partnership Strategy"),
        "strategy_approved": framework.strategy.get("approved", ""),
        "cycle": ws.cycle,
        "period": ws.period,
    }
    values.update(extra)
    return values


# A chart with more bars than this is unreadable; it shows the largest budgets and says so.
MOST_BARS = 20


def add_budget_chart(doc: DocumentObject, shown: Sequence[tuple[str, str, Any, Any]],
                     title: str, caption: str | None = None) -> None:
    """Budget against forecast per partnership: (id, name, budget, forecast) for each."""
    shown = [s for s in shown if s[2] is not None or s[3] is not None]
    if not shown:
        paper.add_paragraph(doc, "No returns yet: no monitoring return gives a budget, so "
                                 "there is no budget chart.")
        return
    if len(shown) > MOST_BARS:
        shown = sorted(shown, key=lambda s: -(s[2] or s[3] or 0))[:MOST_BARS]
        title = f"{title}: the {MOST_BARS} largest budgets"
    series: dict[str, list[float | None]] = {"Budget": [s[2] for s in shown],
                                             "Forecast": [s[3] for s in shown]}
    png = charts.bar_chart([s[0] for s in shown], series, title=title, ylabel="£",
                           value_format="£{:,.0f}")
    alt = charts.describe_bar_chart([f"{s[0]} {s[1]}" for s in shown], series, title=title,
                                    value_format="£{:,.0f}",
                                    noun=("partnership", "partnerships"))
    paper.add_picture_with_alt(doc, png, alt_text=alt, title=title, caption=caption)


# What the annex's About sheet says of the figures, the same in both papers.
ANNEX_NOTES: list[tuple[str, object]] = [
    ("Money", "Pounds sterling; variance is forecast minus budget (a positive variance is an "
              "overspend)"),
    ("Risk score", "Likelihood (1 to 5) times impact (1 to 5): low 1 to 4, medium 5 to 9, "
                   "high 10 to 15, very high 16 to 25"),
]
