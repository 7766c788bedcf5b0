"""What both committee papers share in their layout: the paper itself, the front sheet, the
officer's text written in, the implications, the budget chart, and saving the paper with its
annex (`CommitteePaper`, which each paper builds on)."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docx.document import Document as DocumentObject
from docx.table import Table as DocxTable

from generator.errors import LibreOfficeMissing, ReportError, ToolkitError, WorkspaceError
from generator.fileio import unused_path, write_together
from generator.framework import RiskMatrix
from generator.office import charts
from generator.office import word as paper
from generator.office.libreoffice import convert
from generator.papers.committee.annex import annex_workbook
from generator.papers.committee.figures import Entry
from generator.papers.committee.latest import Money, RiskLine
from generator.papers.committee.officer_text import (
    PLACEHOLDER_PREFIX,
    OfficerText,
    Piece,
    exempt_piece,
)
from generator.papers.committee.tables import (
    TABLE_TEXT_PT,
    TABLE_TEXT_STYLE,
    Table,
    add_tables,
    heat_map_cells,
)
from generator.wording import plural
from generator.workspace import Workspace, bundled_templates_dir

TEMPLATE_NAME = "committee-paper.docx"


@dataclass
class PaperResult:
    """What compiling a paper wrote, and anything the officer should know: `checks` are
    what the report author should look at before publishing (also written beside the paper
    in `checks_file`, never inside it)."""

    docx: Path
    xlsx: Path
    pdf: Path | None = None
    notes: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    checks_file: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {"docx": str(self.docx), "xlsx": str(self.xlsx),
                "pdf": str(self.pdf) if self.pdf else None, "notes": list(self.notes),
                "to_check": list(self.checks),
                "to_check_file": str(self.checks_file) if self.checks_file else None}


CHECKS_SUFFIX = " - to check before publishing.txt"


def checks_note(title: str, checks: Sequence[str]) -> str:
    """The note beside a paper: what its author should look at before publishing it."""
    lines = [f"{title}: to check before publishing",
             "",
             "This note is for the report author and is not part of the paper. Each point is "
             "something the figures say that the paper's ratings or the returns do not "
             "explain; check it with the Business Manager, and correct the return or explain "
             "it in the paper, before the paper is published.",
             ""]
    lines += [f"- {check}" for check in checks] or ["Nothing was found to check."]
    return "\n".join(lines) + "\n"


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


# --------------------------------------------------------------------------- outputs


def output_paths(folder: Path, stem: str) -> tuple[Path, Path, Path, Path]:
    """Free .docx, .xlsx, .pdf and to-check note paths sharing one stem (stem, stem-2, ...):
    never overwrite."""
    folder.mkdir(parents=True, exist_ok=True)
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        paths = tuple(folder / f"{name}{ext}" for ext in (".docx", ".xlsx", ".pdf",
                                                         CHECKS_SUFFIX))
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


@dataclass(frozen=True)
class Outputs:
    """Where a paper goes: the paper, its annex and the note of what to check."""

    docx: Path
    xlsx: Path
    checks: Path


def finish_paper(doc: DocumentObject | Callable[[], DocumentObject], outputs: Outputs,
                 annex_tables: Iterable[Table], about: Sequence[tuple[str, object]],
                 officer: OfficerText, notes: list[str], checks: Sequence[str], *,
                 pdf: bool) -> PaperResult:
    """Save the paper, its annex and the note of what to check, note what the author has
    still to write, make the PDF."""
    docx_path, xlsx_path = outputs.docx, outputs.xlsx
    annex = annex_workbook(annex_tables, about=about).to_bytes()
    if callable(doc):
        # Built after the annex, whose tables are let go by then: the two at once took 140 MB
        # more at 5,000 partnerships.
        doc = doc()
    title = doc.core_properties.title or docx_path.stem
    try:
        # The paper and its annex are published together: both are saved, or neither (and
        # the note of what to check with them).
        write_together([(docx_path, paper.document_bytes(doc)), (xlsx_path, annex),
                        (outputs.checks, checks_note(title, checks).encode("utf-8"))])
    except OSError as exc:
        raise ReportError(f"Cannot save {docx_path.name} and its annex in {docx_path.parent}: "
                          f"{exc.strerror or exc}; nothing was saved") from None
    placeholders = officer.placeholders()
    if placeholders:
        notes.append(f"{plural(len(placeholders), 'part')} of the paper still to be completed by "
                     f"the report author: {'; '.join(placeholders)} (edit {officer.source} and "
                     "compile again, or complete them in Word)")
    result = PaperResult(docx_path, xlsx_path, None, notes, list(checks), outputs.checks)
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
        "priority_name": framework.strategy.get("priority_name", "the Council Strategy"),
        "priority": framework.strategy.get("priority", ""),
        **ws.decisions_context(),
        "cycle": ws.cycle,
        "period": str(ws.period),
    }
    values.update(extra)
    return values


# A chart with more bars than this is unreadable; it shows the largest budgets and says so.
MOST_BARS = 20


def add_budget_chart(doc: DocumentObject, shown: Sequence[Money], title: str,
                     caption: str | None = None) -> None:
    """Budget against forecast outturn, one pair of bars per partnership."""
    shown = [s for s in shown if s.budget is not None or s.forecast is not None]
    if not shown:
        paper.add_paragraph(doc, "No returns yet: no monitoring return gives a budget, so "
                                 "there is no budget chart.")
        return
    if len(shown) > MOST_BARS:
        shown = sorted(shown, key=lambda s: -(s.budget or s.forecast or 0))[:MOST_BARS]
        title = f"{title}: the {MOST_BARS} largest budgets"
    series: dict[str, list[float | None]] = {"Budget": [s.budget for s in shown],
                                             "Forecast": [s.forecast for s in shown]}
    # Members know partnerships by name, not by the register's IDs.
    png = charts.bar_chart([s.partnership.chart_name for s in shown], series, title=title,
                           ylabel="£",
                           value_format="£{:,.0f}")
    alt = charts.describe_bar_chart([f"{s.partnership.id} {s.partnership.name}" for s in shown],
                                    series, title=title,
                                    value_format="£{:,.0f}",
                                    noun=("partnership", "partnerships"))
    paper.add_picture_with_alt(doc, png, alt_text=alt, title=title, caption=caption)


def add_heat_map(doc: DocumentObject, lines: Sequence[RiskLine], matrix: RiskMatrix,
                 title: str) -> None:
    """The heat map of residual risk scores, labelled by risk id, with its alt text."""
    rows, columns, cells, fills = heat_map_cells(lines, matrix)
    png = charts.grid_chart(rows, columns, cells, fills, title=title,
                            row_label="Likelihood (after mitigation)",
                            column_label="Impact (after mitigation)")
    placed = [f"{r.id} ({r.risk.description}) at likelihood {r.risk.likelihood} and impact "
              f"{r.risk.impact}, {r.risk.score} {r.risk.band.lower()}"
              for r in sorted(lines, key=lambda r: -(r.risk.score or 0))
              if r.risk.score is not None]
    alt = (f"{title}. A five by five grid of likelihood (rows) against impact (columns) "
           f"after mitigation, each cell coloured by its band and labelled with its score, "
           "its band and the risks scored there. "
           + ("Risks, highest score first: " + "; ".join(placed) + "." if placed
              else "No risk is scored.") + " The table that follows gives the same data.")
    paper.add_picture_with_alt(doc, png, alt_text=alt, title=title,
                               caption=f"{title} (the table below gives the same data)")


def annex_notes(matrix: RiskMatrix) -> list[tuple[str, object]]:
    """What the annex's About sheet says of the figures, the same in both papers."""
    return [
        ("Money", "Pounds sterling; variance is forecast minus budget (a positive variance is "
                  "an overspend); the movement is this forecast minus the last one"),
        ("Risk score", f"Residual (after mitigation): {matrix.scoring()}; escalated to the "
                       f"corporate risk register at {matrix.escalate_at} or more"),
        ("Position at", "The period each figure comes from: each partnership's latest "
                        "accepted return; a forecast until the Quarter 4 outturn is in"),
    ]


def write_section(doc: DocumentObject, heading: str, *tables: Table, intro: str = "",
                  level: int = 1) -> None:
    """A section of a paper: its heading, a paragraph saying what it shows, and its tables.
    A section whose first table is wide starts on the landscape pages with it, so that its
    heading is not left alone on a portrait page."""
    wide = bool(tables) and tables[0].wide
    with paper.landscape_pages(doc) if wide else contextlib.nullcontext():
        paper.add_heading(doc, heading, level)
        if intro:
            paper.add_paragraph(doc, intro)
        add_tables(doc, tables)


def write_gaps(doc: DocumentObject, heading: str, gaps: Sequence[Entry],
               *, intro: str, none: str, table: Table) -> None:
    """The partnerships a paper's figures leave out, each with the reason (`intro` first), or
    `none` when there are none; then the table of them."""
    paper.add_heading(doc, heading, 1)
    if gaps:
        paper.add_paragraph(doc, intro)
        paper.add_bullets(doc, [f"{e.partnership.id} {e.partnership.name}: {e.state_text}."
                                for e in gaps])
    else:
        paper.add_paragraph(doc, none)
    table.add_to(doc)


# The implications every paper gives, in order: the officer's text, after any figures.
IMPLICATIONS = ("financial implications", "legal implications", "risk implications",
                "equalities implications", "environmental implications",
                "human resources implications", "data protection implications",
                "procurement implications")
# Headings that say more than the section's key.
IMPLICATION_HEADINGS = {
    "equalities implications": "Equalities implications (section 149, Equality Act 2010)",
    "environmental implications": "Climate and environmental implications",
}


class CommitteePaper(ABC):
    """What both committee papers share: the committee and the officer's text for it, the
    opening (front sheet, purpose, recommendations), the implications, the closing sections,
    the annex's About sheet and saving the paper with its annex. Each paper writes its own
    sections, tables and figures."""

    kind: str  # "cgb" or "scrutiny": its texts/<kind>.txt, [committees] <kind>, report <kind>
    default_committee: str
    what: str  # what the paper calls itself in its appendices: "report", "update"

    def __init__(self, ws: Workspace, title: str, **values: str) -> None:
        self.ws = ws
        self.title = title
        self.committee = str(ws.setting("committees", self.kind, "") or self.default_committee)
        self.officer = OfficerText.from_workspace(ws, f"{self.kind}.txt", officer_values(
            ws, committee=self.committee, **values))

    @abstractmethod
    def document(self, annex_name: str) -> DocumentObject:
        """The paper; `annex_name` is the file name of its Excel annex."""

    @abstractmethod
    def annex_tables(self) -> Iterable[Table]:
        """The tables of the annex, one sheet each, in order (made as they are written)."""

    @abstractmethod
    def coverage(self) -> list[tuple[str, object]]:
        """What the paper covers, for the annex's About sheet: its period and its counts."""

    def about(self) -> list[tuple[str, object]]:
        """The annex's About sheet."""
        return [("Paper", self.title), ("Council", self.ws.council),
                ("Committee", self.committee), *self.coverage(),
                *annex_notes(self.ws.framework().risk_matrix)]

    def opening(self, *, subject: str, keywords: str, period_covered: str) -> DocumentObject:
        """A new paper with its properties, its title, the front sheet, the purpose and the
        recommendations."""
        doc = open_committee_paper(self.ws)
        paper.set_document_metadata(doc, title=self.title, subject=subject,
                                    author=self.ws.council or "Council", keywords=keywords)
        paper.add_heading(doc, self.title, 0)
        self.front(doc, period_covered)
        paper.add_heading(doc, "Purpose of the report", 1)
        write_pieces(doc, self.officer.pieces("purpose"))
        paper.add_heading(doc, "Recommendations", 1)
        write_numbered(doc, self.officer.items("recommendations"))
        paper.add_heading(doc, "Reasons for the recommendations", 1)
        write_pieces(doc, self.officer.pieces("reasons for the recommendations"))
        return doc

    def front(self, doc: DocumentObject, period_covered: str) -> None:
        """The exempt notice (when exempt), who the report is to, and the front sheet."""
        exempt, paragraph = exempt_piece(self.officer.value("exempt"))
        if paragraph is not None:
            paper.add_paragraph(doc, f"Not for publication: this report contains exempt "
                                     f"information under paragraph {paragraph} of Part 1 of "
                                     "Schedule 12A to the Local Government Act 1972.")
        council = self.ws.council
        paper.add_paragraph(doc, f"{council}: report to the {self.committee}" if council
                            else f"Report to the {self.committee}")
        value = self.officer.value
        front_sheet(doc, [
            ("Report title", Piece(self.title)),
            ("Committee", Piece(self.committee)),
            ("Date of meeting", value("meeting date", hint="the date of the meeting")),
            ("Cabinet member", value("cabinet member", hint="the Cabinet member (portfolio "
                                                          "holder)")),
            ("Report of", value("report of", hint="the senior officer the report is from")),
            ("Author and contact", value("contact officer", hint="the author's name, phone "
                                                               "and email")),
            ("Wards affected", value("wards affected", hint="the wards affected")),
            ("Key decision", value("key decision", hint="whether this is a key decision")),
            ("Public or exempt", exempt),
            ("Council Strategy priority", value("council strategy priority",
                                                hint="the Council Strategy priority served")),
            ("Period covered", Piece(period_covered)),
        ])

    def implications(self, doc: DocumentObject, *, financial: Sequence[str],
                     risk: Sequence[str]) -> None:
        """The options considered and the consultation, then each implication the figures or
        the officer's text give: the figures first."""
        for key in ("options considered", "consultation"):
            paper.add_heading(doc, key.capitalize(), 1)
            write_pieces(doc, self.officer.pieces(key))
        paper.add_heading(doc, "Implications", 1)
        figures = {"financial implications": financial, "risk implications": risk}
        for key in IMPLICATIONS:
            pieces = [Piece(text) for text in figures.get(key, ())] + self.officer.pieces(key)
            if pieces:
                paper.add_heading(doc, IMPLICATION_HEADINGS.get(key, key.capitalize()), 2)
                write_pieces(doc, pieces)

    def closing(self, doc: DocumentObject, annex_name: str,
                appendices: Sequence[str] = ()) -> None:
        """The list of appendices (the data annex first) and the background papers."""
        paper.add_heading(doc, "Appendices", 1)
        paper.add_bullets(doc, [f"Appendix A: data annex, the tables of this {self.what} in "
                                f"Excel ({annex_name})", *appendices])
        paper.add_heading(doc, "Background papers", 1)
        write_pieces(doc, self.officer.pieces("background papers") or [Piece("None.")])

    @abstractmethod
    def checks(self) -> list[str]:
        """What the report author should look at before publishing (never in the paper)."""

    @abstractmethod
    def left_out(self) -> tuple[Sequence[Entry], str]:
        """The partnerships the paper's figures leave out, and why in a phrase ("with no
        accepted return for 2026-Q4"), for the officer's notes."""

    def save(self, stem: str, *, pdf: bool) -> PaperResult:
        """Write the paper and its annex into reports/ under free names starting `stem`; the
        result's notes say what the officer's text lacks and which partnerships are left out."""
        notes = self.officer.notes()
        entries, why = self.left_out()
        if entries:
            notes.append(f"{plural(len(entries), 'partnership')} {why}: " + "; ".join(
                f"{e.partnership.id} {e.partnership.name} ({e.state})" for e in entries))
        with self.ws.writing(f"report {self.kind}", note=notes.append):
            docx_path, xlsx_path, _, checks_path = output_paths(self.ws.path("reports"), stem)
            # The paper is built once the annex is written (see finish_paper).
            return finish_paper(lambda: self.document(xlsx_path.name),
                                Outputs(docx_path, xlsx_path, checks_path),
                                self.annex_tables(), self.about(), self.officer, notes,
                                self.checks(), pdf=pdf)
