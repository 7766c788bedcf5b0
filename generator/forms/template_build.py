"""Build the bundled Word templates from the form definitions.

The templates are ordinary Word documents a council may restyle in Word (fonts, logo,
headers, wording between the controls). They hold docxtpl/Jinja placeholders for the register
data and the framework's wording, and one content control per answer whose w:tag is the field
id. `partnerships templates build` writes them; `templates check` compares a restyled one with
its definition.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from lxml import etree

from generator.errors import TemplateError
from generator.fileio import atomic_write_bytes
from generator.formdefs import Field, FormDefinition, Section, load_definition
from generator.formdefs import form_types as all_form_types
from generator.framework import typed_as
from generator.office import controls, word
from generator.office.controls import CHECKED_GLYPH, DATE_FORMAT, UNCHECKED_GLYPH
from generator.office.ns import W14_NS, W15_NS, w, w14
from generator.office.xml import SAFE_PARSER
from generator.office.zipio import copy_package
from generator.workspace import Workspace

PLACEHOLDER_STYLE = "Placeholder Text"
# The scales of a risk's likelihood and impact: a table with a column on them gets the key.
RISK_SCALES = ("likelihood", "impact")
HELP_STYLE = "Form Help"
PREVIOUS_STYLE = "Previous Answer"

ITEM_HEADINGS = {
    "principles": "Principle",
    "objectives": "Objective",
    "design_expectations": "Expectation",
    "agreement_clauses": "Clause",
}

ABOUT_ROWS = [
    ("Partnership", "{{ p.name }} ({{ p.id }})"),
    ("Type", "{{ p.type_label }}"),
    ("Service area", "{{ p.service_area }}"),
    ("Partner authorities", "{{ p.partners }}"),
    ("Host authority", "{{ p.host }}"),
    ("Agreement", "{{ p.agreement_text }}"),
    ("Business Manager", "{{ p.business_manager }}"),
    ("Executive Head of Service", "{{ p.head_of_service }}"),
    ("Annual budget", "{{ p.budget_text }}"),
    ("Cycle", "{{ form.cycle }}"),
    ("Please return by", "{{ form.due_text }}"),
    ("Form reference", "{{ form.issue }}"),
]

# The quarter a form issued once a quarter is for: stated on it, never typed by the person.
PERIOD_ROW = ("Period", "{{ form.period_text }}")


def about_rows(definition: FormDefinition) -> list[tuple[str, str]]:
    """The rows of a form's "About this partnership" table: the period after the cycle on a
    form issued once a quarter."""
    rows = list(ABOUT_ROWS)
    if definition.per_period:
        rows.insert(rows.index(("Cycle", "{{ form.cycle }}")) + 1, PERIOD_ROW)
    return rows


REQUIRED_NOTE = "Answers marked * are required."
# How much of a table's width a column of each type takes, against 1 for the rest: written
# answers need room, a date or a drop-down does not ('Commentary' was squeezed to one word a
# line when every column was as wide as 'RAG status'); a drop-down's labels ("Percentage
# (%)") and a figure's header ("Amber tolerance") were broken mid-word at 1.1 and 1.0 in the
# monitoring form's landscape indicator table.
COLUMN_WEIGHTS = {"multiline": 1.6, "text": 1.4, "choice": 1.3, "measure": 1.15}
HOW_TO = (
    "Type your answers in the grey boxes, choose from the drop-down lists and tick the boxes. "
    "The boxes cannot be deleted; please leave them in place. To add a row to a table, click in "
    "its last row and use the plus sign that appears at its end (or copy the row). Save the form "
    "as a Word Document (.docx) and email it back; renaming the file is fine."
)


def _jinja_pattern(text: str) -> str:
    """Turn a definition pattern ('p{number}_rating') into Jinja ('p{{ item.number }}_rating')."""
    return re.sub(r"\{(number|id|title)\}", r"{{ item.\1 }}", text)


def short_label(f: Field) -> str:
    """The words shown beside a control inside a repeating section: the label after ' - '."""
    label = f.label.rsplit(" - ", 1)[-1]
    return label[:1].upper() + label[1:]


def _ensure_styles(document: docx.document.Document) -> None:
    styles = document.styles
    names = {s.name for s in styles}
    if PLACEHOLDER_STYLE not in names:
        style = styles.add_style(PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER)
        style.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    if HELP_STYLE not in names:
        style = styles.add_style(HELP_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.font.size = Pt(9)
        style.font.italic = True
        style.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    if PREVIOUS_STYLE not in names:
        style = styles.add_style(PREVIOUS_STYLE, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        style.font.size = Pt(9)
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    styles["Normal"].font.name = "Arial"
    styles["Normal"].font.size = Pt(11)


def control_element(f: Field, tag: str, alias: str, sdt_id: int) -> etree._Element:
    """An inline content control for field `f`, locked against deletion, showing its placeholder."""
    sdt = etree.Element(w("sdt"))
    pr = etree.SubElement(sdt, w("sdtPr"))
    # No w:rPr here: Word gives typed answers the control's run properties, and answers
    # should look like ordinary text, not the grey placeholder.
    etree.SubElement(pr, w("alias")).set(w("val"), alias[:60])
    etree.SubElement(pr, w("tag")).set(w("val"), tag)
    etree.SubElement(pr, w("id")).set(w("val"), str(sdt_id))
    etree.SubElement(pr, w("lock")).set(w("val"), "sdtLocked")
    if f.type != "checkbox":
        etree.SubElement(pr, w("showingPlcHdr"))
    shown = f.placeholder
    if f.type == "choice":
        holder = etree.SubElement(pr, w("dropDownList"))
        for choice in f.choices:
            item = etree.SubElement(holder, w("listItem"))
            item.set(w("displayText"), choice.label)
            item.set(w("value"), choice.value)
    elif f.type == "date":
        date = etree.SubElement(pr, w("date"))
        etree.SubElement(date, w("dateFormat")).set(w("val"), DATE_FORMAT)
        etree.SubElement(date, w("lid")).set(w("val"), "en-GB")
        etree.SubElement(date, w("storeMappedDataAs")).set(w("val"), "dateTime")
        etree.SubElement(date, w("calendar")).set(w("val"), "gregorian")
    elif f.type == "checkbox":
        box = etree.SubElement(pr, w14("checkbox"))
        etree.SubElement(box, w14("checked")).set(w14("val"), "0")
        checked = etree.SubElement(box, w14("checkedState"))
        checked.set(w14("val"), f"{ord(CHECKED_GLYPH):04X}")
        checked.set(w14("font"), "MS Gothic")
        unchecked = etree.SubElement(box, w14("uncheckedState"))
        unchecked.set(w14("val"), f"{ord(UNCHECKED_GLYPH):04X}")
        unchecked.set(w14("font"), "MS Gothic")
        shown = UNCHECKED_GLYPH
    else:
        text = etree.SubElement(pr, w("text"))
        if f.type == "multiline":
            text.set(w("multiLine"), "1")
    content = etree.SubElement(sdt, w("sdtContent"))
    run = etree.SubElement(content, w("r"))
    run_pr = etree.SubElement(run, w("rPr"))
    if f.type == "checkbox":
        fonts = etree.SubElement(run_pr, w("rFonts"))
        for attr in ("ascii", "eastAsia", "hAnsi"):
            fonts.set(w(attr), "MS Gothic")
        fonts.set(w("hint"), "eastAsia")
    else:
        etree.SubElement(run_pr, w("rStyle")).set(w("val"), "PlaceholderText")
    etree.SubElement(run, w("t")).text = shown
    return sdt


class _Builder:
    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition
        self.document = docx.Document()
        self.next_id = 100
        _ensure_styles(self.document)
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin"):
            setattr(section, side, Cm(2.0))
        section.top_margin = section.bottom_margin = Cm(2.0)
        footer = section.footer.paragraphs[0]
        footer.text = ("{{ strategy.council }} · " + definition.title
                       + " · form {{ form.type }} v{{ form.version }} · reference {{ form.issue }}")
        footer.style = self.document.styles[HELP_STYLE]

    def sdt_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def control(self, paragraph: Paragraph, f: Field, tag: str, alias: str) -> None:
        paragraph._p.append(control_element(f, tag, alias, self.sdt_id()))

    def table(self, rows: int, cols: int, widths_cm: list[float]) -> Table:
        table = self.document.add_table(rows=rows, cols=cols)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        # The grid too: LibreOffice lays a table out by its grid, not by its cells' widths.
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths_cm, strict=True):
                cell.width = Cm(width)
        # The grid's widths too: LibreOffice lays a table out by its grid, not its cells.
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
        return table

    @staticmethod
    def mark_header(row: _Row) -> None:
        tr_pr = row._tr.get_or_add_trPr()
        etree.SubElement(tr_pr, qn("w:tblHeader"))
        for cell in row.cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True

    def header_row(self, table: Table, *headers: str) -> None:
        """Name the columns in the first row, marked as the table's header row, so that a
        screen reader can say which column a box is in (and it repeats on a new page)."""
        row = table.rows[0]
        for cell, header in zip(row.cells, headers, strict=True):
            cell.paragraphs[0].add_run(header)
        self.mark_header(row)

    def label_cell(self, cell: _Cell, f: Field, label: str) -> None:
        cell.paragraphs[0].add_run(label).bold = True
        if f.help:
            cell.add_paragraph(f.help, style=HELP_STYLE)

    def previous_line(self, cell: _Cell, f: Field, key_expr: str) -> None:
        """The earlier answer beside the box; no line at all when there is none to show."""
        if f.previous_from:
            shown = "previous[" + key_expr + "]"
            cell.add_paragraph("{%p if " + shown + " %}")
            cell.add_paragraph("Last accepted answer: {{ " + shown + " }}",
                               style=PREVIOUS_STYLE)
            cell.add_paragraph("{%p endif %}")

    def build(self) -> bytes:
        d = self.definition
        doc = self.document
        doc.add_paragraph(d.title, style="Title")
        doc.add_paragraph("{{ strategy.council }} · {{ strategy.title }}")
        if d.purpose:
            doc.add_paragraph(d.purpose)
        doc.add_heading("About this partnership", level=1)
        rows = about_rows(d)
        about = self.table(len(rows) + 1, 2, [5.0, 12.0])
        self.header_row(about, "Item", "Detail")
        for row, (label, value) in zip(about.rows[1:], rows, strict=True):
            row.cells[0].paragraphs[0].add_run(label).bold = True
            row.cells[1].paragraphs[0].add_run(value)
        doc.add_heading("How to complete this form", level=2)
        doc.add_paragraph(HOW_TO)
        doc.add_paragraph(REQUIRED_NOTE, style=HELP_STYLE)
        if any(f.previous_from for f in d.fields.values()):
            # Said once here, not as "none on record" beside every box of a first-year form.
            doc.add_paragraph("{%p if form.earlier_note %}")
            doc.add_paragraph("{{ form.earlier_note }}", style=PREVIOUS_STYLE)
            doc.add_paragraph("{%p endif %}")
        for number, section in enumerate(d.sections):
            following = d.sections[number + 1] if number + 1 < len(d.sections) else None
            self.turn_pages(section.landscape)
            self.write_section(section)
            if following is None or following.landscape != section.landscape:
                self.turn_pages(False)
        # A form passes the toolkit's own accessibility check (`report check`): its title and
        # language (en-GB) set, and headings dark enough to read (python-docx's default
        # template colours them #4F81BD, 4.0:1 on white).
        word.set_document_metadata(doc, title=d.title, subject=d.purpose or d.title,
                                   author="Partnership Toolkit", keywords="partnership form")
        word.darken_low_contrast_styles(doc)
        buffer = io.BytesIO()
        doc.save(buffer)
        return _declare_namespaces(buffer.getvalue())

    @property
    def width_cm(self) -> float:
        """The width between the margins of the current page: wider on a landscape page."""
        section = self.document.sections[-1]
        width, left, right = section.page_width, section.left_margin, section.right_margin
        assert width is not None and left is not None and right is not None  # set in __init__
        return (width - left - right) / 360000

    def turn_pages(self, landscape: bool) -> None:
        """Start a new page turned sideways (or back upright) unless it already is."""
        current = self.document.sections[-1]
        if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
            return
        section = self.document.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        short, long = Cm(21.0), Cm(29.7)
        section.page_width, section.page_height = (long, short) if landscape else (short, long)

    def write_section(self, section: Section) -> None:
        """A section of the form: its heading, its introduction and its questions."""
        doc = self.document
        doc.add_heading(section.title, level=1)
        if section.intro:
            doc.add_paragraph(section.intro)
        if section.for_each:
            self.repeating_items(section)
            return
        scalars = [f for f in section.fields if f.type != "table"]
        if scalars:
            table = self.table(len(scalars) + 1, 2, [7.0, 10.0])
            self.header_row(table, "Question", "Your answer")
            for row, f in zip(table.rows[1:], scalars, strict=True):
                self.label_cell(row.cells[0], f, f.label + (" *" if f.required else ""))
                self.control(row.cells[1].paragraphs[0], f, f.id, f.label)
                self.previous_line(row.cells[1], f, f"'{f.id}'")
        for f in section.fields:
            if f.type == "table":
                # A table named as its section is not given the same heading again.
                self.repeating_table(f, heading=not typed_as(f.label, section.title))
                if any(c.scale in RISK_SCALES for c in f.columns):
                    self.risk_key()

    def risk_key(self) -> None:
        """The council's risk matrix in words, beside a table scored on it: what each level
        of likelihood and impact means, and the bands of the score."""
        framework = self.definition.framework
        if framework is None:
            return
        matrix = framework.risk_matrix
        doc = self.document
        doc.add_heading("How to score a risk", level=2)
        doc.add_paragraph("A risk is scored {{ risk_matrix.scoring }}. What each level of "
                          "likelihood means:")
        self.key_table(["Score", "Likelihood", "What it means"],
                       ["{{ level.score }}", "{{ level.label }}", "{{ level.descriptor }}"],
                       "risk_matrix.likelihood", [1.5, 3.5, self.width_cm - 5.0])
        areas = [title for _, title in matrix.impact_areas]
        rest = (self.width_cm - 5.0) / len(areas)
        doc.add_paragraph("What each level of impact means (take the highest that applies):")
        self.key_table(["Score", "Impact", *areas],
                       ["{{ level.score }}", "{{ level.label }}",
                        *[f"{{{{ level.descriptors[{i}].text }}}}" for i in range(len(areas))]],
                       "risk_matrix.impact", [1.5, 3.5] + [rest] * len(areas))

    def key_table(self, headers: list[str], cells: list[str], levels: str,
                  widths_cm: list[float]) -> None:
        """A table with a header row and one row per level of the risk matrix (a row loop)."""
        table = self.table(4, len(headers), widths_cm)
        header, loop_start, body, loop_end = table.rows
        for cell, text in zip(header.cells, headers, strict=True):
            cell.paragraphs[0].add_run(text)
        self.mark_header(header)
        loop_start.cells[0].paragraphs[0].add_run("{%tr for level in " + levels + " %}")
        loop_end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
        for cell, text in zip(body.cells, cells, strict=True):
            cell.paragraphs[0].add_run(text).font.size = Pt(9)

    def repeating_items(self, section: Section) -> None:
        """A table with one row per framework entry (principle, clause...), via a Jinja row loop."""
        if section.items is not None:
            raise TemplateError(
                f"{self.definition.source}: section '{section.id}' lists the entries it asks "
                "about ('items'), as an archived definition does to read returns of an older "
                "form; a template is built from a current definition, which asks about every "
                f"entry of the framework's {section.for_each}")
        fields = [f for f in section.fields if f.type != "table"]
        heading = ITEM_HEADINGS.get(section.for_each or "", "Item")
        widths = [6.0] + [11.0 / len(fields)] * len(fields)
        table = self.table(4, 1 + len(fields), widths)
        header, loop_start, body, loop_end = table.rows
        header.cells[0].paragraphs[0].add_run(heading)
        for cell, f in zip(header.cells[1:], fields, strict=True):
            cell.paragraphs[0].add_run(short_label(f) + (" *" if f.required else ""))
        self.mark_header(header)
        loop_start.cells[0].paragraphs[0].add_run(
            "{%tr for item in " + (section.for_each or "") + " %}"
        )
        loop_end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
        # A principle's title, statement and boxes stay together on one page.
        etree.SubElement(body._tr.get_or_add_trPr(), qn("w:cantSplit"))
        first = body.cells[0]
        first.paragraphs[0].add_run("{{ item.number }}. {{ item.title }}").bold = True
        if section.for_each in ("principles", "objectives"):
            first.add_paragraph("{{ item.statement }}", style=HELP_STYLE)
        if section.for_each == "principles":
            first.add_paragraph("Consider: {{ item.considerations|join('; ') }}", style=HELP_STYLE)
        for cell, f in zip(body.cells[1:], fields, strict=True):
            tag = _jinja_pattern(f.id)
            alias = heading + " {{ item.number }}: " + short_label(f)
            self.control(cell.paragraphs[0], f, tag, alias)
            key = "'" + f.id.replace("{number}", "' ~ item.number ~ '") + "'"
            key = key.replace("{id}", "' ~ item.id ~ '")
            self.previous_line(cell, f, key)

    def repeating_table(self, f: Field, *, heading: bool = True) -> None:
        """A table whose rows the person adds: a repeating-section control around one row."""
        doc = self.document
        if heading:
            doc.add_heading(f.label, level=2)
        if f.help:
            doc.add_paragraph(f.help, style=HELP_STYLE)
        weights = [_column_weight(column) for column in f.columns]
        widths = [self.width_cm * weight / sum(weights) for weight in weights]
        table = self.table(2, len(f.columns), widths)
        header, prototype = table.rows
        for cell, column in zip(header.cells, f.columns, strict=True):
            cell.paragraphs[0].add_run(column.label + (" *" if column.required else ""))
        self.mark_header(header)
        for cell, column in zip(prototype.cells, f.columns, strict=True):
            self.control(cell.paragraphs[0], column, f"{f.id}.{column.id}", column.label)
        ids = iter(self.sdt_id, None)
        controls.wrap_repeating_row(prototype._tr, f.id, f.label, ids)


def _column_weight(column: Field) -> float:
    """How wide a table's column is, against the others: a reference narrow, long answers
    wide (COLUMN_WEIGHTS)."""
    if column.ref_prefix:
        return 0.6
    return COLUMN_WEIGHTS.get(column.type, 1.0)


def _declare_namespaces(docx_bytes: bytes) -> bytes:
    """Declare w14/w15 on the document root and mark them ignorable, as Word does."""
    return copy_package(docx_bytes, {
        "word/document.xml": _patch_root,
        "docProps/thumbnail.jpeg": None,
        "_rels/.rels": lambda data: re.sub(rb'<Relationship [^>]*thumbnail[^>]*/>', b"", data),
    })


def _patch_root(xml: bytes) -> bytes:
    start = xml.index(b"<w:document")
    end = xml.index(b">", start)
    root_tag = xml[start:end].decode("utf-8")
    # lxml declared w14/w15 locally on each control; hoist them to the root.
    if 'xmlns:w15="' not in root_tag:
        root_tag += f' xmlns:w15="{W15_NS}"'
    if 'xmlns:w14="' not in root_tag:
        root_tag += f' xmlns:w14="{W14_NS}"'
    root_tag = re.sub(r'mc:Ignorable="[^"]*"', 'mc:Ignorable="w14 w15 wp14"', root_tag)
    tree = etree.fromstring(xml[:start] + root_tag.encode("utf-8") + xml[end:], SAFE_PARSER)
    # Every prefix named in mc:Ignorable must stay declared, used or not.
    etree.cleanup_namespaces(tree, top_nsmap={"w14": W14_NS, "w15": W15_NS},
                             keep_ns_prefixes=[p for p in tree.nsmap if p])
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)


def build_template(definition: FormDefinition) -> bytes:
    """The Word template of a form definition, as .docx bytes."""
    return _Builder(definition).build()


def write_template(definition: FormDefinition, folder: Path, *, replace: bool = False) -> Path:
    """Write `TYPE.docx` into `folder` atomically and return its path.

    An existing template may hold a council's restyling, so it is only replaced when asked.
    """
    path = folder / f"{definition.type}.docx"
    if path.exists() and not replace:
        raise TemplateError(f"{path} already exists and may hold your restyling; it was not "
                            "replaced. Use --replace to rebuild it from the form definition")
    atomic_write_bytes(path, build_template(definition))
    return path


def build_templates(ws: Workspace | None, form_types: Sequence[str] = (), *,
                    into: Path | None = None, replace: bool = False) -> list[Path]:
    """Write the template of each form (every form of the workspace by default).

    Into `into`, or the workspace's templates folder (then holding the workspace's writer
    lock, as any change to a workspace does). Outside a workspace (`ws` None) the bundled
    definitions are used.
    """
    framework = ws.framework() if ws is not None else None
    forms_dir = ws.forms_dir if ws is not None else None
    if into is None:
        if ws is None:
            raise TemplateError("no folder to write the templates into: name one with --into, "
                                "or run the command in a workspace")
        into = ws.path("templates")
        writing: contextlib.AbstractContextManager[None] = ws.writing("templates build")
    else:
        writing = contextlib.nullcontext()
    with writing:
        return [write_template(load_definition(form_type, framework=framework,
                                               forms_dir=forms_dir), into, replace=replace)
                for form_type in form_types or all_form_types(forms_dir, framework)]
