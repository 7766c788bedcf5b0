"""Accessible Word building blocks for committee papers (python-docx).

Every helper here produces output that meets the Public Sector Bodies Accessibility
Regulations 2018 (WCAG 2.2 AA) as far as a document generator can: real heading
styles, tables with a marked and repeating header row and no merged cells, alt text
on every picture, document title/subject/language, shaded cells whose words still say what
the colour says, and colour pairs with a contrast ratio of at least 4.5:1.
`generator.office.accessibility.check_paper` checks the result.

Text passed to these helpers is user data: it is never interpreted (no markup, no
fields); characters XML cannot hold are replaced with U+FFFD.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import math
import re
import secrets
import tempfile
import weakref
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict, cast

import docx
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, nsmap, qn
from docx.oxml.table import CT_Tbl
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.section import Section
from docx.shared import Cm, Emu, Inches, Length, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree
from typing_extensions import Unpack  # keyword options typed by a TypedDict (typing has it in 3.12)

from generator.errors import ReportError
from generator.fileio import save_document
from generator.office.accessibility import MIN_CONTRAST, contrast_ratio, link_text_problem
from generator.office.zipio import copy_package, read_part

__all__ = [
    "NOT_REPORTED",
    "NUMBER_FORMATS",
    "PLACEHOLDER_STYLE",
    "add_bullets",
    "add_heading",
    "add_link",
    "add_numbered",
    "add_paragraph",
    "add_picture_with_alt",
    "add_placeholder",
    "add_table",
    "write_table",
    "append_block",
    "append_paragraph",
    "append_table",
    "block_width",
    "content_widths",
    "darken_low_contrast_styles",
    "find_style",
    "format_value",
    "keep_together",
    "landscape_pages",
    "last_section",
    "open_paper",
    "save_atomic",
    "set_document_metadata",
    "flush_body",
    "spill_body",
]

#: What an empty value (None, NaN) is shown as in a table: words, not a dash.
NOT_REPORTED = "Not reported"

#: Named number formats for `add_table(number_formats=...)`; any other value is used as
#: a `str.format` pattern with one field, e.g. "{:,.1f}" or "£{:,.2f}".
NUMBER_FORMATS: dict[str, str] = {
    "money": "£{:,.0f}",
    "money_pence": "£{:,.2f}",
    "integer": "{:,.0f}",
    "decimal": "{:,.2f}",
    "percent": "{:.0%}",
}

#: Character style used for placeholders (bold, highlighted; the words say it too).
PLACEHOLDER_STYLE = "Author Placeholder"
_PLACEHOLDER_PREFIX = "[To be completed by the report author: "

_W_DECLARATION = nsdecls("w")
_W_NAMESPACE = nsmap["w"]
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DOCX_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_DOTX_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
_CORE_PROPERTY_LIMIT = 255  # python-docx refuses longer core property values


# --------------------------------------------------------------------------- helpers


def _clean(text: object) -> str:
    """Return `text` as a str XML can hold: CR/LF pairs become LF, forbidden characters U+FFFD.

    Form feeds and vertical tabs become line breaks.
    """
    s = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    return _XML_ILLEGAL.sub("\ufffd", s)


_STYLE_CACHE: weakref.WeakKeyDictionary[Any, dict[tuple[str, Any], Any]] = (
    weakref.WeakKeyDictionary())


def _find_style(doc: DocumentObject, name: str, style_type: WD_STYLE_TYPE) -> Any | None:
    """The style called `name` (UI name, case-insensitive) of `style_type`, or None."""
    wanted = name.casefold()
    # Looked up once per document: a large paper asks for the same few styles thousands of
    # times. Only found styles are remembered, as a missing one may be added later. Kept by
    # the document's own element: reaching `doc.styles` looks through the part's relationships.
    cache = _STYLE_CACHE.setdefault(doc.element, {})
    if (wanted, style_type) in cache:
        return cache[(wanted, style_type)]
    for style in doc.styles:
        if style.type == style_type and (style.name or "").casefold() == wanted:
            cache[(wanted, style_type)] = style
            return style
    return None


def find_style(doc: DocumentObject, name: str, style_type: WD_STYLE_TYPE) -> Any | None:
    """The style called `name` (UI name, case-insensitive) of `style_type`, or None.

    Remembered per document: looking through `doc.styles` costs about 3 ms, once per table
    of a large paper (measured on the Scrutiny report at 1,000 partnerships: 9 s).
    """
    return _find_style(doc, name, style_type)


def format_value(value: object, number_format: str | None = None) -> str:
    """Format a table value as text: British dates, thousands separators, words for empties.

    None and NaN become "Not reported"; booleans "Yes"/"No"; ints "12,345"; other
    numbers two decimal places unless whole. `number_format` is a key of NUMBER_FORMATS
    or a `str.format` pattern; a negative amount keeps its sign before a "£" prefix.
    """
    if value is None:
        return NOT_REPORTED
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and math.isnan(value):
            return NOT_REPORTED
        if isinstance(value, float | Decimal) and math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        if number_format is not None:
            pattern = NUMBER_FORMATS.get(number_format, number_format)
            if value < 0 and pattern.startswith("£"):
                return "-" + pattern.format(-value)
            shown = pattern.format(value)
            # A small negative rounds to "-0%" or "-£0": no sign on a figure shown as nought.
            return shown[1:] if shown.startswith("-") and not shown.strip("-£0.,%") else shown
        if isinstance(value, int) or value == int(value):
            return f"{int(value):,}"
        return f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        return f"{value.day} {value:%B %Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return _clean(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _insert_in_order(parent: Any, child: Any, successors: Sequence[str]) -> None:
    """Insert `child` into `parent` before the first existing element named in `successors`."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


# --------------------------------------------------------------------------- document


def open_paper(template: Path | None) -> DocumentObject:
    """Open a Word template (.docx or .dotx) as a new, empty paper.

    The template's body content is removed; its section properties (page size, margins,
    headers, footers, letterhead) and styles are kept, except that style text colours
    below 4.5:1 on white are darkened (`darken_low_contrast_styles`). With `template=None` the
    python-docx default template is used. Raises ReportError if the template is missing
    or is not a Word document.
    """
    if template is None:
        doc = docx.Document()
    else:
        template = Path(template)
        try:
            data = template.read_bytes()
        except FileNotFoundError:
            raise ReportError(f"Word template not found: {template}") from None
        except OSError as exc:
            raise ReportError(f"Cannot read Word template {template}: {exc.strerror}") from None
        try:
            doc = docx.Document(io.BytesIO(_as_document_package(data)))
        except (
            zipfile.BadZipFile,
            PackageNotFoundError,
            KeyError,
            ValueError,
            etree.XMLSyntaxError,
        ) as exc:
            raise ReportError(
                f"{template} is not a usable Word template (.docx or .dotx): {exc}"
            ) from None
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    _drop_unused_content_rels(doc)
    darken_low_contrast_styles(doc)
    return doc


def _darkened(colour: str) -> str:
    """`colour` (RRGGBB) darkened just enough for MIN_CONTRAST against white."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    factor = 1.0
    candidate = colour
    while contrast_ratio(candidate, "FFFFFF") < MIN_CONTRAST:
        factor -= 0.02
        candidate = "".join(f"{max(0, int(c * factor)):02X}" for c in (r, g, b))
    return candidate


def darken_low_contrast_styles(doc: DocumentObject) -> list[str]:
    """Darken paragraph/character style text colours below 4.5:1 on white; returns the names.

    python-docx's default template, for instance, colours Heading 2-9 and Caption
    #4F81BD (4.0:1). The hue is kept; theme colour references are removed so Word uses
    the corrected colour.
    """
    changed = []
    for style in doc.styles.element.findall(qn("w:style")):
        if style.get(qn("w:type")) not in ("paragraph", "character"):
            continue
        colour = style.find(f"{qn('w:rPr')}/{qn('w:color')}")
        value = colour.get(qn("w:val"), "") if colour is not None else ""
        if not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
            continue
        if contrast_ratio(value, "FFFFFF") >= MIN_CONTRAST:
            continue
        colour.set(qn("w:val"), _darkened(value.upper()))
        for attribute in ("w:themeColor", "w:themeShade", "w:themeTint"):
            colour.attrib.pop(qn(attribute), None)
        name = style.find(qn("w:name"))
        changed.append(name.get(qn("w:val")) if name is not None else style.get(qn("w:styleId")))
    return changed


def _as_document_package(data: bytes) -> bytes:
    """Return the package bytes, turning a .dotx template into a .docx in memory."""
    if _DOTX_CT.encode() not in read_part(data, "[Content_Types].xml"):
        return data
    return copy_package(data, {"[Content_Types].xml": lambda types: types.replace(
        _DOTX_CT.encode(), _DOCX_CT.encode())})


def _drop_unused_content_rels(doc: DocumentObject) -> None:
    """Drop image and hyperlink relationships only the removed body content used."""
    xml = doc.element.xml
    part = doc.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype in (RT.IMAGE, RT.HYPERLINK) and f'"{r_id}"' not in xml:
            del part.rels[r_id]


def set_document_metadata(
    doc: DocumentObject,
    *,
    title: str,
    subject: str,
    author: str,
    language: str = "en-GB",
    keywords: str = "",
) -> None:
    """Set the core properties and the default text language of the document.

    Sets title, subject, author (also last modified by), keywords and language in
    docProps/core.xml, clears python-docx's "generated by python-docx" comment, and
    writes `language` to styles.xml docDefaults (w:lang w:val and w:eastAsia; w:bidi is
    kept if the template set one, else set to `language` too). Values longer than 255
    characters are shortened. Raises ValueError if title or language is empty.
    """
    if not title.strip():
        raise ValueError("a published paper needs a title")
    if not language.strip():
        raise ValueError("a published paper needs a language, e.g. 'en-GB'")

    def fit(value: str) -> str:
        value = _clean(value).replace("\n", " ")
        return value if len(value) <= _CORE_PROPERTY_LIMIT else value[:254] + "…"

    props = doc.core_properties
    props.title = fit(title)
    props.subject = fit(subject)
    props.author = fit(author)
    props.last_modified_by = fit(author)
    props.keywords = fit(keywords)
    props.language = fit(language)
    if props.comments == "generated by python-docx":
        props.comments = ""

    styles = doc.styles.element
    doc_defaults = styles.find(qn("w:docDefaults"))
    if doc_defaults is None:
        doc_defaults = OxmlElement("w:docDefaults")
        styles.insert(0, doc_defaults)
    rpr_default = doc_defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        doc_defaults.insert(0, rpr_default)
    rpr = rpr_default.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        rpr_default.append(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        # w:lang is last in CT_RPr apart from a few rarely used elements
        _insert_in_order(rpr, lang, ("w:eastAsianLayout", "w:specVanish", "w:oMath"))
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), language)
    if not lang.get(qn("w:bidi")):
        lang.set(qn("w:bidi"), language)



# --------------------------------------------------------------------------- the body's end
#
# python-docx's `Document.add_paragraph` and `add_table` put each new block before the body's
# final w:sectPr by searching the body's children from the first (`insert_element_before`),
# and `add_table` also finds the page width with an XPath over the whole body
# (`Document._block_width` -> `sections[-1]`). Each block therefore costs time in proportion
# to the blocks before it, and a paper of n blocks O(n²): measured on the Scrutiny report,
# 84% of the time at 1,000 partnerships and 375 s at 5,000. The helpers below do the same
# with the body's last child, which lxml reaches directly, and give the identical document
# (tests/test_word_body.py builds one both ways).


def _body_end(doc: DocumentObject) -> Any | None:
    """The body's final w:sectPr, or None when the body does not end with one."""
    body = doc.element.body
    try:
        last = body[-1]  # lxml finds a negative index from the end: no scan
    except IndexError:
        return None
    return last if last.tag == qn("w:sectPr") else None


def append_block(doc: DocumentObject, element: Any) -> None:
    """Add a block element (w:p, w:tbl) at the end of the body, before its section properties.

    Constant time, unlike python-docx's `add_paragraph` and `add_table`; the result is the
    same as theirs. A body that does not end with its w:sectPr (not valid WordprocessingML)
    is left to python-docx's own search.
    """
    end = _body_end(doc)
    if end is not None:
        end.addprevious(element)
    else:
        doc.element.body.insert_element_before(element, "w:sectPr")


def append_paragraph(doc: DocumentObject) -> Paragraph:
    """A new empty paragraph at the end of the body: `doc.add_paragraph()` in constant time."""
    p = OxmlElement("w:p")
    append_block(doc, p)
    return Paragraph(cast(CT_P, p), doc._body)


def block_width(doc: DocumentObject) -> Length:
    """The width between the margins of the last section, as `doc.add_table` sizes tables.

    Read from the body's final w:sectPr directly rather than by an XPath over every block.
    """
    end = _body_end(doc)
    if end is None:
        return cast(Length, doc._block_width)
    section = Section(end, doc.part)
    page_width = section.page_width or Inches(8.5)
    left_margin = section.left_margin or Inches(1)
    right_margin = section.right_margin or Inches(1)
    return Emu(page_width - left_margin - right_margin)


def append_table(doc: DocumentObject, rows: int, cols: int) -> Table:
    """A new table at the end of the body: `doc.add_table(rows, cols)` in constant time."""
    tbl = CT_Tbl.new_tbl(rows, cols, block_width(doc))
    append_block(doc, tbl)
    return Table(tbl, doc._body)


def last_section(doc: DocumentObject) -> Section:
    """The document's last section (`doc.sections[-1]`) without an XPath over the body."""
    end = _body_end(doc)
    return Section(end, doc.part) if end is not None else doc.sections[-1]


@contextlib.contextmanager
def landscape_pages(doc: DocumentObject) -> Iterator[None]:
    """The blocks added inside go on landscape pages of their own; the pages after are as
    before. Headers and footers carry on; `block_width` inside is the landscape width. Inside
    another `landscape_pages`, the blocks go on its pages.

    In WordprocessingML a section's properties end it: the pages so far are closed with a copy
    of the body's final w:sectPr (as python-docx's `add_section` does, but at the end of the
    body in constant time), which is then turned to landscape; on leaving, the landscape pages
    are closed the same way and the final w:sectPr is turned back.
    """
    end = _body_end(doc)
    if end is None:  # not valid WordprocessingML: leave the pages as they are
        yield
        return
    if Section(end, doc.part).orientation == WD_ORIENT.LANDSCAPE:
        # Already on landscape pages: a section of its own would leave an empty portrait
        # page between two landscape ones.
        yield
        return
    if not _reopen_landscape(doc, end):
        _close_section(doc, end)
    _turn(Section(end, doc.part), landscape=True)
    try:
        yield
    finally:
        _close_section(doc, end)
        _turn(Section(end, doc.part), landscape=False)


def _reopen_landscape(doc: DocumentObject, end: Any) -> bool:
    """When the body's last block closes landscape pages and nothing has come after them,
    take that block away, so the blocks to come go on those pages: two landscape sections
    one after the other left an empty portrait page between them. Whether it did so."""
    last = end.getprevious()
    if last is None or last.tag != qn("w:p") or len(last) != 1:
        return False
    closed = last.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
    if closed is None or len(last[0]) != 1 \
            or Section(closed, doc.part).orientation != WD_ORIENT.LANDSCAPE:
        return False
    last.getparent().remove(last)
    return True


def _close_section(doc: DocumentObject, end: Any) -> None:
    """End the pages so far with a paragraph holding a copy of their section properties; the
    next section starts on a new page and inherits the headers and footers."""
    closing = OxmlElement("w:p")
    properties = OxmlElement("w:pPr")
    properties.append(copy.deepcopy(end))
    closing.append(properties)
    append_block(doc, closing)
    for child in list(end):
        if child.tag in (qn("w:headerReference"), qn("w:footerReference"), qn("w:titlePg"),
                         qn("w:type")):
            end.remove(child)


def _turn(section: Section, *, landscape: bool) -> None:
    width, height = section.page_width, section.page_height
    if width is None or height is None:
        width, height = Cm(21), Cm(29.7)
    short, long = sorted((width, height))
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if landscape else (short, long)


def _new_paragraph(doc: DocumentObject, style: Any, text: str = "", *,
                   keep_with_next: bool = False, page_break_before: bool = False) -> Paragraph:
    """A new paragraph in `style` (a style object, or None for the default) holding one run of
    `text` (none when empty), kept with the next paragraph or starting a new page if asked.

    Written as WordprocessingML text and parsed once, as `add_table` does: the XML that
    python-docx's `add_paragraph(style=...)`, `paragraph_format` and `add_run` give (compared in
    tests/test_word_body.py), without their searches for each element's place among its
    siblings and for the style among all the document's styles (most of the time of a large
    paper's appendices).
    """
    p = parse_xml(_paragraph_xml(style, text, keep_with_next=keep_with_next,
                                 page_break_before=page_break_before))
    append_block(doc, p)
    return Paragraph(cast(CT_P, p), doc._body)


def _paragraph_xml(style: Any, text: str, *, keep_with_next: bool = False,
                   page_break_before: bool = False) -> str:
    """A paragraph's WordprocessingML text (see `_new_paragraph`)."""
    properties = ((f'<w:pStyle w:val="{_attr(style.style_id)}"/>' if style is not None else "")
                  + ("<w:keepNext/>" if keep_with_next else "")
                  + ("<w:pageBreakBefore/>" if page_break_before else ""))
    return (f"<w:p {_W_DECLARATION}>" + (f"<w:pPr>{properties}</w:pPr>" if properties else "")
            + (f"<w:r>{_run_content(text)}</w:r>" if text else "") + "</w:p>")


def add_heading(doc: DocumentObject, text: str, level: int, *,
                new_page: bool = False) -> Paragraph:
    """Add a heading in the template's "Heading N" style (level 0 is "Title"); with
    `new_page`, the heading starts a new page (an appendix, for example).

    Raises ValueError for empty text or a level outside 0..9. If the template lacks the
    heading style, one is added with the right outline level so it is still a real heading.
    """
    if not isinstance(level, int) or not 0 <= level <= 9:
        raise ValueError(f"heading level must be 0 (Title) to 9, not {level!r}")
    clean = _clean(text)
    if not clean.strip():
        raise ValueError("a heading must have text (empty headings confuse screen readers)")
    name = "Title" if level == 0 else f"Heading {level}"
    style = _find_style(doc, name, WD_STYLE_TYPE.PARAGRAPH)
    if style is None:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        base = _find_style(doc, f"Heading {level - 1}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = base
        style.next_paragraph_style = _find_style(doc, "Normal", WD_STYLE_TYPE.PARAGRAPH)
        style.font.bold = True
        style.paragraph_format.keep_with_next = True
        if level:
            outline = OxmlElement("w:outlineLvl")
            outline.set(qn("w:val"), str(level - 1))
            style.element.get_or_add_pPr().append(outline)
    return _new_paragraph(doc, style, clean, page_break_before=new_page)


def add_paragraph(doc: DocumentObject, text: str, style: str | None = None) -> Paragraph:
    """Add a paragraph of plain text; line breaks become w:br, tabs w:tab.

    `style` is a paragraph style name; if the template does not have it the default
    paragraph style is used, so a restyled template never breaks compilation.
    """
    found = _find_style(doc, style, WD_STYLE_TYPE.PARAGRAPH) if style else None
    return _new_paragraph(doc, found, _clean(text))


def _placeholder_style(doc: DocumentObject) -> Any:
    style = _find_style(doc, PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER)
    if style is None:
        style = doc.styles.add_style(PLACEHOLDER_STYLE, WD_STYLE_TYPE.CHARACTER)
        style.font.bold = True
        style.font.highlight_color = WD_COLOR_INDEX.YELLOW  # black on yellow: 19.6:1
        style.font.color.rgb = RGBColor(0, 0, 0)
    return style


def add_placeholder(doc: DocumentObject, text: str) -> Paragraph:
    """Add "[To be completed by the report author: TEXT]" in bold, highlighted text.

    The run uses the "Author Placeholder" character style (created if missing), so
    leftover placeholders can be found by style as well as by their words.
    """
    paragraph = append_paragraph(doc)
    run = paragraph.add_run(f"{_PLACEHOLDER_PREFIX}{_clean(text).strip()}]")
    run.style = _placeholder_style(doc)
    run.bold = True
    return paragraph


_LINK_SCHEMES = ("https://", "http://", "mailto:")
HYPERLINK_STYLE = "Hyperlink"


def _hyperlink_style(doc: DocumentObject) -> Any:
    style = _find_style(doc, HYPERLINK_STYLE, WD_STYLE_TYPE.CHARACTER)
    if style is None:
        style = doc.styles.add_style(HYPERLINK_STYLE, WD_STYLE_TYPE.CHARACTER)
        style.font.underline = True
        style.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)  # Word's link blue: 6.4:1 on white
    return style


def add_link(paragraph: Paragraph, text: str, url: str) -> None:
    """Append a hyperlink to `paragraph` with descriptive `text`, in the "Hyperlink" style.

    Raises ValueError if the text is not descriptive ("click here", "here", a bare
    address...) or the URL is not http(s) or mailto.
    """
    clean = _clean(text).replace("\n", " ").strip()
    problem = link_text_problem(clean)
    if problem is not None:
        raise ValueError(problem)
    url = url.strip()
    if not url.lower().startswith(_LINK_SCHEMES) or re.search(r"[\s\x00-\x1f]", url):
        raise ValueError(f"not a web or email address a paper can link to: {url!r}")
    part = paragraph.part
    r_id = part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    link.set(qn("w:history"), "1")
    # python-docx types OxmlElement() loosely; for "w:r" it returns its CT_R element class.
    run = cast(CT_R, OxmlElement("w:r"))
    link.append(run)
    paragraph._p.append(link)
    wrapped = Run(run, paragraph)
    wrapped.text = clean
    wrapped.style = _hyperlink_style(part.package.main_document_part.document)


# --------------------------------------------------------------------------- tables


class TableOptions(TypedDict, total=False):
    """How `add_table` and `write_table` lay a table out (see `add_table`)."""

    col_widths_cm: Sequence[float] | None
    number_formats: Mapping[int, str] | None
    colour_columns: Sequence[int]
    colour_of: Callable[[str], tuple[str, str] | None] | None
    description: str | None
    cell_style: str | None
    cell_font_pt: float | None
    bold_last_row: bool
    widths_from_content: bool
    keep_whole: bool
    keep_with_next: bool


def add_table(doc: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[object]], *,
              caption: str, **options: Unpack[TableOptions]) -> Table:
    """Add a captioned data table with a repeating header row and no merged cells.

    - The caption paragraph goes above the table ("Caption" style if the template has
      it) and is kept with the table; it is also the table's w:tblCaption, and
      `description` (default: the caption and column names) its w:tblDescription.
    - No row is split across pages (w:cantSplit); with `keep_whole`, the table is kept on one
      page (each row's paragraphs keep with the next) when it fits on one; with
      `keep_with_next`, its last row is kept on the page of the paragraph after it (a note
      on the table is not left alone at the top of a page).
    - The first row holds `headers`: bold, w:tblHeader (repeats on every page), not
      split across pages; w:tblLook firstRow=1.
    - Values are formatted by `format_value`: `number_formats` maps a column index to a
      NUMBER_FORMATS key or pattern; numbers are right-aligned; None is "Not reported".
    - Cells in `colour_columns` are shaded as `colour_of` says: it maps the cell's text to
      (fill, text colour) as hex RRGGBB, or None to leave the cell plain. The words stay.
    - Every cell's paragraph is in `cell_style` when the template has that paragraph style;
      otherwise, with `cell_font_pt`, its text is that size. `bold_last_row` makes the last
      row (a total) bold.
    - Without `col_widths_cm`, columns share the width between the margins equally, or, with
      `widths_from_content`, each gets room for its longest word or number first and the rest
      in proportion to its text (`content_widths`), so that nothing is broken mid-word.
    Raises ValueError for empty headers, a row with the wrong number of cells, or bad
    column indexes/widths.

    The table is written as WordprocessingML text and parsed once: the same XML python-docx's
    `add_table`, `cell.add_run` and formatting properties give (tests/test_word_body.py
    compares them on random tables), in a tenth of the time (each python-docx property
    looks for its element's place among its siblings).
    """
    caption_xml, table_xml = _table_xml(doc, headers, rows, caption, options)
    append_block(doc, parse_xml(caption_xml))
    tbl = parse_xml(table_xml)
    append_block(doc, tbl)
    return Table(cast(CT_Tbl, tbl), doc._body)


def write_table(doc: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[object]],
                *, caption: str, note: str | None = None, note_style: str | None = None,
                **options: Unpack[TableOptions]) -> None:
    """`add_table` (with the same `options`), and `note` after it as a paragraph in `note_style`,
    for a paper that is finished with them: when the paper writes out its finished blocks
    (`spill_body`), they go straight to its file as text, never parsed into the tree and
    written out again (a sixth of the time of the Scrutiny report's document). Otherwise they
    are added as `add_table` and `add_paragraph` add them."""
    blocks = list(_table_xml(doc, headers, rows, caption, options))
    if note is not None:
        style = _find_style(doc, note_style, WD_STYLE_TYPE.PARAGRAPH) if note_style else None
        blocks.append(_paragraph_xml(style, _clean(note)))
    spill = _SPILLS.get(doc.element)
    if spill is not None and spill.takes_text:
        spill.write(blocks)
        return
    for block in blocks:
        append_block(doc, parse_xml(block))


def _table_xml(doc: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[object]],
               caption: str, options: TableOptions) -> tuple[str, str]:
    """A table's caption paragraph and the table as WordprocessingML text (see `add_table`)."""
    col_widths_cm = options.get("col_widths_cm")
    number_formats = options.get("number_formats")
    colour_columns = options.get("colour_columns", ())
    colour_of = options.get("colour_of")
    description = options.get("description")
    cell_style, cell_font_pt = options.get("cell_style"), options.get("cell_font_pt")
    bold_last_row = options.get("bold_last_row", False)
    widths_from_content = options.get("widths_from_content", False)
    keep_whole = options.get("keep_whole", False)
    keep_with_next = options.get("keep_with_next", False)
    ncols = len(headers)
    formats = dict(number_formats or {})
    _check_table(headers, rows, caption, [*formats, *colour_columns], col_widths_cm)
    coloured = set(colour_columns) if colour_of is not None else set()
    numeric_cols = _numeric_columns(rows, ncols, formats)

    clean_caption = _clean(caption).replace("\n", " ").strip()
    caption_xml = _paragraph_xml(_find_style(doc, "Caption", WD_STYLE_TYPE.PARAGRAPH),
                                 clean_caption, keep_with_next=True)

    if description is None:
        names = ", ".join(_clean(h).replace("\n", " ") for h in headers)
        description = f"{clean_caption}. Columns: {names}."
    texts = [[format_value(value, formats.get(c)) for c, value in enumerate(row)]
             for row in rows]
    if col_widths_cm is not None:
        twips = [Cm(width).twips for width in col_widths_cm]
    elif widths_from_content:
        twips = content_widths([_clean(h) for h in headers], texts, Emu(block_width(doc)).twips,
                               font_pt=cell_font_pt or 11)
    else:
        twips = [Emu(block_width(doc) // ncols).twips] * ncols
    style_id = _table_style_id(doc)
    paragraph_style = (_find_style(doc, cell_style, WD_STYLE_TYPE.PARAGRAPH)
                       if cell_style else None)
    p_style = (f'<w:pStyle w:val="{_attr(paragraph_style.style_id)}"/>'
               if paragraph_style is not None else "")
    # Half points, as python-docx's `font.size = Pt(n)` writes them.
    size = (f'<w:sz w:val="{int(Pt(cell_font_pt).pt * 2)}"/>'
            if cell_font_pt is not None and paragraph_style is None else "")
    tc_w = [f'<w:tcW w:type="dxa" w:w="{w}"/>' for w in twips]

    def cell(c: int, text: str, *, right: bool, bold: bool,
             colours: tuple[str, str] | None, keep: bool = False) -> str:
        ppr = p_style + ("<w:keepNext/>" if keep else "") + (
            '<w:jc w:val="right"/>' if right else "")
        shading = colour = ""
        if colours is not None:
            fill, text_colour = colours
            shading = f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
            colour = f'<w:color w:val="{text_colour}"/>'
        rpr = ("<w:b/>" if bold else "") + colour + size
        return (f"<w:tc><w:tcPr>{tc_w[c]}{shading}</w:tcPr><w:p>"
                + (f"<w:pPr>{ppr}</w:pPr>" if ppr else "")
                + "<w:r>" + (f"<w:rPr>{rpr}</w:rPr>" if rpr else "") + _run_content(text)
                + "</w:r></w:p></w:tc>")

    xml = [f"<w:tbl {_W_DECLARATION}><w:tblPr>"]
    if style_id is not None:
        xml.append(f'<w:tblStyle w:val="{_attr(style_id)}"/>')
    xml.append('<w:tblW w:type="auto" w:w="0"/><w:jc w:val="left"/>')
    if col_widths_cm is not None or widths_from_content:
        xml.append('<w:tblLayout w:type="fixed"/>')
    # python-docx's new table's w:tblLook, with firstRow=1, lastRow=0 and the same bits in val
    xml.append('<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
               'w:noHBand="0" w:noVBand="1" w:val="04A0"/>')
    xml.append(f'<w:tblCaption w:val="{_attr(clean_caption)}"/>'
               f'<w:tblDescription w:val="{_attr(_clean(description))}"/></w:tblPr><w:tblGrid>')
    xml.extend(f'<w:gridCol w:w="{w}"/>' for w in twips)
    xml.append("</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>")
    xml.extend(cell(c, _clean(header), right=c in numeric_cols, bold=True, colours=None)
               for c, header in enumerate(headers))
    xml.append("</w:tr>")
    last = len(rows) - 1
    for r, (row_values, row_texts) in enumerate(zip(rows, texts, strict=True)):
        # No row is split across pages: LibreOffice 25.2 dropped the rows of a table whose
        # first row it split at the foot of a page (seen in the Scrutiny report's appendix).
        xml.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        bold = bold_last_row and r == last
        for c, (value, text) in enumerate(zip(row_values, row_texts, strict=True)):
            xml.append(cell(c, text, right=c in numeric_cols or _is_number(value), bold=bold,
                            colours=colour_of(text) if colour_of and c in coloured else None,
                            keep=(keep_whole and r < last) or (keep_with_next and r == last)))
        xml.append("</w:tr>")
    xml.append("</w:tbl>")
    return caption_xml, "".join(xml)


def _check_table(headers: Sequence[str], rows: Sequence[Sequence[object]], caption: str,
                 columns: Sequence[int], col_widths_cm: Sequence[float] | None) -> None:
    """Raise ValueError for a table `add_table` cannot write (see there)."""
    ncols = len(headers)
    if ncols == 0:
        raise ValueError("a table needs at least one column header")
    if not caption.strip():
        raise ValueError("a table needs a caption")
    for i, row in enumerate(rows, start=1):
        if len(row) != ncols:
            raise ValueError(f"row {i} has {len(row)} cells but the table has {ncols} columns")
    for index in columns:
        if not 0 <= index < ncols:
            raise ValueError(f"column index {index} is outside the table (0..{ncols - 1})")
    if col_widths_cm is not None:
        if len(col_widths_cm) != ncols:
            raise ValueError(f"{len(col_widths_cm)} column widths given for {ncols} columns")
        if any(w <= 0 for w in col_widths_cm):
            raise ValueError("column widths must be positive")


# Where a line may break: ordinary spaces only (the no-break space of `keep_together` is not).
_BREAKABLE = re.compile(r"[ \t\r\n]+")
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December")
_DATE_IN_WORDS = re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}) (\d{{4}})\b")
_QUARTER = re.compile(r"\b(Q[1-4]) (\d{4}/\d{2})\b")
_DIGIT = re.compile(r"\d")
_HYPHEN_AFTER_DIGIT = re.compile(r"(?<=\d)-(?=[0-9A-Za-z])")


def keep_together(text: str) -> str:
    """`text` with dates in words ("1 October 2017"), quarters ("Q3 2026/27") and hyphenated
    numbers ("2026-Q4", "2026-27") joined by no-break spaces and hyphens, so that a table
    never breaks one across lines."""
    if not _DIGIT.search(text):  # each form joined has a digit: most table text has none
        return text
    text = _DATE_IN_WORDS.sub("\\1\u00a0\\2\u00a0\\3", text)
    text = _QUARTER.sub("\\1\u00a0\\2", text)
    return _HYPHEN_AFTER_DIGIT.sub("\u2011", text)


# The width of an average character as a share of the font size, bold headers included: a
# little generous, so that a column sized for a word holds it in any of the usual fonts.
_CHAR_EM = 0.6
# Short words of wide letters in a bold header row need more: LibreOffice broke the headers
# "Red" and "Amber" of the CGB update's performance table (9pt bold) at 0.6 em a character.
_BOLD_HEADER = 1.2
_CELL_PADDING_TWIPS = 230  # both side margins of a cell (108 each by default) and a little


def content_widths(headers: Sequence[str], texts: Sequence[Sequence[str]], total: int, *,
                   font_pt: float) -> list[int]:
    """Column widths in twips sharing `total`: first each column's longest word or number
    (so none is broken across lines), then what is left in proportion to each column's
    longest line beyond that. When even the longest words do not fit, they share `total` in
    proportion (a table that wide wants landscape pages or fewer columns)."""
    char = font_pt * 20 * _CHAR_EM
    pad = _CELL_PADDING_TWIPS
    ncols = len(headers)
    need = [0.0] * ncols
    want = [0.0] * ncols
    for r, row in enumerate([list(headers), *texts]):
        width = char * (_BOLD_HEADER if r == 0 else 1)
        for c, text in enumerate(row):
            words = _BREAKABLE.split(text.strip())
            if text.strip():
                # One character spare: a short word measured exactly still wraps in some fonts.
                need[c] = max(need[c], (max(len(word) for word in words) + 1) * width + pad)
                want[c] = max(want[c], max(len(ln) for ln in text.split("\n")) * width + pad)
    need = [max(n, 3 * char + pad) for n in need]
    floor = sum(need)
    if floor >= total:
        return [int(total * n / floor) for n in need]
    extra = [max(w - n, 0.0) for w, n in zip(want, need, strict=True)]
    spare = total - floor
    if sum(extra) <= spare:
        # Everything fits on one line: the spare room goes to the columns evenly.
        return [int(n + e + (spare - sum(extra)) / ncols) for n, e in zip(need, extra, strict=True)]
    return [int(n + spare * e / sum(extra)) for n, e in zip(need, extra, strict=True)]


def _numeric_columns(rows: Sequence[Sequence[object]], ncols: int,
                     formats: Mapping[int, str]) -> set[int]:
    """The columns right-aligned: those given a number format or holding numbers, and no
    other text (a column of answers, one of them an amount, stays aligned to the left)."""
    def blank(value: object) -> bool:
        return value is None or value == ""

    return {c for c in range(ncols)
            if all(blank(row[c]) or _is_number(row[c]) for row in rows)
            and (c in formats or any(not blank(row[c]) for row in rows))}


_TABLE_STYLE_KEY = ("\0table style id", WD_STYLE_TYPE.TABLE)


def _table_style_id(doc: DocumentObject) -> str | None:
    """The style id `table.style = <Table Grid>` writes: None when the template lacks the style
    or has it as its default table style. Worked out once per document (2 ms each time)."""
    cache = _STYLE_CACHE.setdefault(doc.element, {})
    if _TABLE_STYLE_KEY not in cache:
        grid_style = _find_style(doc, "Table Grid", WD_STYLE_TYPE.TABLE)
        cache[_TABLE_STYLE_KEY] = (None if grid_style is None
                                   else doc.part.get_style_id(grid_style, WD_STYLE_TYPE.TABLE))
    return cast(str | None, cache[_TABLE_STYLE_KEY])


def _attr(text: str) -> str:
    """`text` as an XML attribute value, line breaks and tabs kept (not normalised to spaces)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;")
            .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;"))


_RUN_BREAKS = re.compile(r"([\t\r\n])")


def _run_content(text: str) -> str:
    """A run's content as python-docx's `run.text = text` writes it: tabs as w:tab, line
    breaks as w:br, other text in w:t (space-preserving when it starts or ends with space)."""
    content = []
    for piece in _RUN_BREAKS.split(text):
        if piece == "\t":
            content.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            content.append("<w:br/>")
        elif piece:
            escaped = piece.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            if len(piece.strip()) < len(piece):
                content.append(f'<w:t xml:space="preserve">{escaped}</w:t>')
            else:
                content.append(f"<w:t>{escaped}</w:t>")
    return "".join(content)


# --------------------------------------------------------------------------- pictures, lists


def add_picture_with_alt(
    doc: DocumentObject,
    png: bytes,
    *,
    alt_text: str,
    title: str,
    width_cm: float = 16,
    caption: str | None = None,
) -> None:
    """Add a picture with alt text (wp:docPr descr) and title, and a caption below it.

    The caption is `caption` or, by default, `title`, in the "Caption" style when the
    template has it. The width is reduced to fit between the page margins. Raises
    ValueError if alt_text or title is empty, ReportError if the image cannot be read.
    """
    alt = _clean(alt_text).strip()
    clean_title = _clean(title).replace("\n", " ").strip()
    if not alt:
        raise ValueError("a picture needs alt text describing it")
    if not clean_title:
        raise ValueError("a picture needs a title")
    width: Length = Cm(width_cm)
    section = last_section(doc)
    if section.page_width is not None:
        available = section.page_width - (section.left_margin or 0) - (section.right_margin or 0)
        if available > 0 and width > available:
            width = Emu(available)
    # As doc.add_picture does, in a paragraph added in constant time (see append_block).
    picture_par = append_paragraph(doc)
    try:
        picture_par.add_run().add_picture(io.BytesIO(png), width=width)
    except Exception as exc:  # python-docx raises its own UnrecognizedImageError and others
        body = picture_par._p.getparent()
        if body is not None:
            body.remove(picture_par._p)
        raise ReportError(f"The picture '{clean_title}' could not be read: {exc}") from None
    picture_par.paragraph_format.keep_with_next = True
    doc_pr = picture_par._p.findall(".//" + qn("wp:docPr"))[-1]
    doc_pr.set("descr", alt)
    doc_pr.set("title", clean_title)
    _new_paragraph(doc, _find_style(doc, "Caption", WD_STYLE_TYPE.PARAGRAPH),
                   _clean(caption).strip() if caption else clean_title)


def _check_items(items: Sequence[str]) -> list[str]:
    if isinstance(items, str):
        raise ValueError("pass a list of items, not a single string")
    cleaned = [_clean(item) for item in items]
    for i, item in enumerate(cleaned, start=1):
        if not item.strip():
            raise ValueError(f"list item {i} is empty")
    return cleaned


def add_bullets(doc: DocumentObject, items: Sequence[str]) -> None:
    """Add a bulleted list, one paragraph per item, in the "List Bullet" style.

    Without that style in the template, items are written as "• item". Raises
    ValueError for an empty item.
    """
    cleaned = _check_items(items)
    style = _find_style(doc, "List Bullet", WD_STYLE_TYPE.PARAGRAPH)
    for item in cleaned:
        _new_paragraph(doc, style, item if style is not None else f"\u2022 {item}")


def add_numbered(doc: DocumentObject, items: Sequence[str]) -> list[Paragraph]:
    """Add a numbered list in the "List Number" style; each list starts again at 1.

    Without that style in the template, items are written as "1. item". Returns the list's
    paragraphs. Raises ValueError for an empty item.
    """
    cleaned = _check_items(items)
    added: list[Paragraph] = []
    if not cleaned:
        return added
    style = _find_style(doc, "List Number", WD_STYLE_TYPE.PARAGRAPH)
    num_id = _restarted_num_id(doc, style) if style is not None else None
    for n, item in enumerate(cleaned, start=1):
        paragraph = _new_paragraph(doc, style, item if style is not None else f"{n}. {item}")
        added.append(paragraph)
        if num_id is not None:
            # python-docx generates get_or_add_numPr (and CT_NumPr's get_or_add_ilvl and
            # get_or_add_numId) from its ZeroOrOne descriptors but does not declare them.
            num_pr = cast(Any, paragraph._p.get_or_add_pPr()).get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = 0
            num_pr.get_or_add_numId().val = num_id
    return added


def _restarted_num_id(doc: DocumentObject, style: Any) -> int | None:
    """A new w:num for the style's list definition that restarts at 1, or None."""
    current = style
    style_num_id = None
    while current is not None and style_num_id is None:
        ppr = current.element.pPr
        num_pr = ppr.numPr if ppr is not None else None
        if num_pr is not None and num_pr.numId is not None:
            style_num_id = num_pr.numId.val
        current = current.base_style
    if style_num_id is None:
        return None
    try:
        numbering = doc.part.numbering_part.element
    except (KeyError, NotImplementedError):
        return None
    try:
        abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    except KeyError:
        return None
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return num.numId


# --------------------------------------------------------------------------- saving


# --------------------------------------------------------------------------- large papers
#
# python-docx keeps a document as one lxml tree until it is saved: the Scrutiny report for
# 5,000 partnerships took 800 MB of memory for a 2 MB file. A paper that grows with the number
# of partnerships writes the blocks it has finished into a temporary file as WordprocessingML
# text (`spill_body`, `BodySpill.flush`) and frees them; `document_bytes` puts the text back
# where the blocks stood. document.xml comes out byte for byte as python-docx writes it
# (tests/test_word_body.py builds a paper both ways).

_SPILLS: weakref.WeakKeyDictionary[Any, BodySpill] = weakref.WeakKeyDictionary()


class BodySpill:
    """The finished blocks of a document's body, kept as text outside the tree."""

    def __init__(self, doc: DocumentObject) -> None:
        # Held weakly: `_SPILLS` is keyed weakly by the document's element, and a strong
        # reference from here would keep the document, and this file, alive for ever.
        self._doc_ref = weakref.ref(doc)
        self._file = tempfile.TemporaryFile()
        weakref.finalize(self, self._file.close)
        self._text = f" body written by {id(self):x}-{secrets.token_hex(8)} "
        self._marker = etree.Comment(self._text)
        body = doc.element.body
        body.insert(0, self._marker)  # flush takes every block after it: it stays first

    @property
    def marker(self) -> bytes:
        return f"<!--{self._text}-->".encode("ascii")

    @property
    def takes_text(self) -> bool:
        """Whether blocks can be written to the file as text (`write`): their w: prefix needs
        the document's root to declare it, as every Word document's does."""
        doc = self._doc_ref()
        return doc is not None and doc.element.nsmap.get("w") == _W_NAMESPACE

    def write(self, blocks: Sequence[str]) -> None:
        """Write `blocks` (WordprocessingML text, each declaring the w: namespace as
        `_paragraph_xml` and `_table_xml` write it) after every block added so far, as they
        would be written had they been parsed into the tree and flushed: the declaration,
        made once by the document's root, is left off."""
        self.flush()
        for block in blocks:
            self._file.write(block.replace(f" {_W_DECLARATION}", "", 1).encode("utf-8"))

    def flush(self) -> None:
        """Write every block added since the last flush to the file and take it out of the tree.

        Blocks written are no longer in `doc.paragraphs` or `doc.tables`; blocks added later
        follow them in the document.
        """
        doc = self._doc_ref()
        if doc is None or self._marker.getnext() is None:
            return
        body = doc.element.body
        end = _body_end(doc)
        if end is not None:
            body.remove(end)
        try:
            if self._marker.getnext() is None:
                return
            # The body serialised whole, so that each block carries exactly the namespace
            # declarations it has in the document; only the body's own tags are cut off.
            text = etree.tostring(body, encoding="UTF-8", xml_declaration=False)
        finally:
            if end is not None:
                body.append(end)
        start = text.index(self.marker) + len(self.marker)
        stop = text.rindex(b"</")
        self._file.write(text[start:stop])
        if end is not None:
            body.remove(end)
        try:
            # Deleted by position, with no Python proxy held for them, so that lxml frees them
            # at once: removing an element held by a proxy moves its namespaces over node by
            # node (measured: 1.5 s for a table of 1,000 rows, 5.9 s for 2,000).
            del body[1:]
        finally:
            if end is not None:
                body.append(end)

    def splice(self, package: bytes, member: str) -> bytes:
        """`package` (the .docx python-docx saved) with the written blocks back in `member`."""
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(package)) as src, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename != member:
                    dst.writestr(info, data)
                    continue
                head, tail = data.split(self.marker, 1)
                with dst.open(info, "w") as part:
                    part.write(head)
                    self._file.seek(0)
                    while chunk := self._file.read(1 << 20):
                        part.write(chunk)
                    part.write(tail)
        return out.getvalue()


def spill_body(doc: DocumentObject) -> BodySpill:
    """Start writing `doc`'s finished blocks out of memory; call `flush()` as blocks finish."""
    spill = _SPILLS.get(doc.element)
    if spill is None:
        spill = _SPILLS[doc.element] = BodySpill(doc)
    return spill


def flush_body(doc: DocumentObject) -> None:
    """Write out `doc`'s finished blocks if it writes them out as it grows (`spill_body`)."""
    spill = _SPILLS.get(doc.element)
    if spill is not None:
        spill.flush()


def document_bytes(doc: DocumentObject) -> bytes:
    """The paper as the bytes of a .docx file (with any blocks written out put back)."""
    buffer = io.BytesIO()
    doc.save(buffer)
    spill = _SPILLS.get(doc.element)
    if spill is None:
        return buffer.getvalue()
    return spill.splice(buffer.getvalue(), doc.part.partname.membername)


def save_atomic(doc: DocumentObject, path: Path) -> None:
    """Save the paper to `path` atomically: never leaves a half-written file.

    Missing folders are created (generator.fileio.atomic_write_bytes). Raises
    ReportError if the file cannot be written or replaced (for example because it is
    open in Word).
    """
    save_document(Path(path), document_bytes(doc), program="Word", error=ReportError)
