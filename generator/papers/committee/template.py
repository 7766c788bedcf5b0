"""Build `templates/committee-paper.docx`: the Word template committee papers are compiled into.

A council restyles its copy in Word (workspace `templates/committee-paper.docx`): fonts and
colours of the styles, the letterhead text (or a logo, with alt text) in the header, the footer
and the margins. Compiling a paper keeps all of that and replaces the body. The styles a paper
uses are Title, Heading 1 to 3, Normal, Caption, List Bullet, List Number, Table Grid, "Table
Text" (the text in table cells) and
"Author Placeholder" (the highlighted text of parts the report author must complete).

    python -m generator.papers.committee.template [PATH] [--council NAME]
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import docx
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from generator.fileio import atomic_write_bytes
from generator.framework import load_framework
from generator.office import word as paper

FONT = "Arial"
TABLE_TEXT = "Table Text"  # the paragraph style of table cells in a paper
NAVY = RGBColor(0x1F, 0x38, 0x64)  # 11.6:1 on white
BLACK = RGBColor(0, 0, 0)
TEMPLATE_NOTE = (
    "This is the template for committee papers compiled by the Partnership Toolkit. Restyle "
    "it in Word: the styles (Title, Heading 1 to 3, Normal, Caption, List Bullet, List Number, "
    "Table Text), the letterhead in the header and the footer. This text is replaced when a "
    "paper is compiled. Keep text colours dark enough to read (a contrast of at least 4.5:1), "
    "and give any logo alt text."
)


def _style(doc: DocumentObject, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH):
    try:
        return doc.styles[name]
    except KeyError:
        return doc.styles.add_style(name, kind)


def _font(style, *, size: float, bold: bool | None = None, colour: RGBColor = BLACK) -> None:
    style.font.name = FONT
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None:
        for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attribute), None)
        fonts.set(qn("w:eastAsia"), FONT)
        fonts.set(qn("w:cs"), FONT)
    style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    style.font.color.rgb = colour


def _field(paragraph, instruction: str, shown: str) -> None:
    """Append a simple field (PAGE, NUMPAGES) with its current value shown."""
    def run_with(child) -> None:
        run = OxmlElement("w:r")
        run.append(child)
        paragraph._p.append(run)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    text = OxmlElement("w:t")
    text.text = shown
    run_with(text)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def style_document(doc: DocumentObject, *, council: str) -> None:
    """Give `doc` the committee-paper page, styles, letterhead and footer (in place)."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    section.header_distance = section.footer_distance = Cm(1.1)

    normal = _style(doc, "Normal")
    _font(normal, size=11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 13), ("Heading 3", 11.5)):
        style = _style(doc, name)
        _font(style, size=size, bold=True, colour=NAVY)
        style.font.italic = False
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.space_before = Pt(12 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(6)
    caption = _style(doc, "Caption")
    _font(caption, size=10, bold=True)
    table_text = _style(doc, TABLE_TEXT)
    table_text.base_style = normal
    _font(table_text, size=9)
    table_text.paragraph_format.space_after = Pt(0)
    table_text.paragraph_format.line_spacing = 1.0
    for name in ("List Bullet", "List Number", "Header", "Footer"):
        _font(_style(doc, name), size=11 if name.startswith("List") else 9)
    placeholder = _style(doc, paper.PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER)
    placeholder.font.bold = True
    placeholder.font.highlight_color = WD_COLOR_INDEX.YELLOW
    placeholder.font.color.rgb = BLACK

    header = section.header
    header.is_linked_to_previous = False
    top = header.paragraphs[0]
    top.text = ""
    top.style = doc.styles["Header"]
    letterhead = top.add_run(council)
    letterhead.bold = True
    letterhead.font.size = Pt(12)
    top.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer
    footer.is_linked_to_previous = False
    bottom = footer.paragraphs[0]
    bottom.text = ""
    bottom.style = doc.styles["Footer"]
    bottom.add_run(f"{council} committee paper. Page ")
    _field(bottom, "PAGE", "1")
    bottom.add_run(" of ")
    _field(bottom, "NUMPAGES", "1")
    paper.darken_low_contrast_styles(doc)


def build_template(path: Path, *, council: str | None = None) -> Path:
    """Write the committee-paper template to `path` (atomically) and return it."""
    council = council or load_framework().strategy["council"]
    doc = docx.Document()
    style_document(doc, council=council)
    paper.set_document_metadata(doc, title="Committee paper template",
                                subject="Partnership Toolkit committee paper", author=council)
    paper.add_heading(doc, "Committee paper template", 0)
    paper.add_paragraph(doc, TEMPLATE_NOTE)
    buffer = io.BytesIO()
    doc.save(buffer)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    council = None
    if "--council" in args:
        at = args.index("--council")
        council = args[at + 1]
        del args[at:at + 2]
    target = Path(args[0]) if args else Path(__file__).resolve().parents[3] / "templates" / \
        "committee-paper.docx"
    print(build_template(target, council=council))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
