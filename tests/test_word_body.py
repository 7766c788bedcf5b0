"""The Word layer's constant-time body helpers give exactly the document python-docx gives."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.office import charts
from generator.office import word as paper
from generator.papers.committee.template import style_document
from generator.vocabulary import rag_colours


def _narrow_landscape_template(tmp_path: Path) -> Path:
    """A template whose page is not python-docx's default, so the table width shows."""
    template = docx.Document()
    section = template.sections[0]
    section.page_width, section.page_height = Cm(29.7), Cm(21)
    section.left_margin, section.right_margin = Cm(3.1), Cm(1.7)
    path = tmp_path / "landscape.docx"
    template.save(str(path))
    return path


def _build(doc: DocumentObject, *, helpers: bool, png: bytes) -> None:
    """The same blocks, added by python-docx's own methods or by the Word layer's helpers."""
    for n in range(5):
        paragraph = paper.append_paragraph(doc) if helpers else doc.add_paragraph()
        paragraph.add_run(f"Paragraph {n}")
        table = paper.append_table(doc, 2, 3) if helpers else doc.add_table(rows=2, cols=3)
        table.cell(0, 0).text = f"Table {n}"
    if helpers:
        paper.append_paragraph(doc).add_run().add_picture(io.BytesIO(png), width=Cm(5))
    else:
        doc.add_picture(io.BytesIO(png), width=Cm(5))


@pytest.mark.parametrize("template", ["default", "landscape"])
def test_a_body_built_by_the_helpers_is_identical_to_python_docx_s(
        tmp_path: Path, template: str) -> None:
    source = _narrow_landscape_template(tmp_path) if template == "landscape" else None
    png = charts.bar_chart(["A"], {"Spend": [1]}, title="Spend", ylabel="£")
    theirs, ours = paper.open_paper(source), paper.open_paper(source)

    _build(theirs, helpers=False, png=png)
    _build(ours, helpers=True, png=png)

    assert ours.element.body.xml == theirs.element.body.xml


def test_the_section_properties_stay_last_however_many_blocks_are_added() -> None:
    doc = paper.open_paper(None)
    for n in range(50):
        paper.add_paragraph(doc, f"Paragraph {n}")
        paper.add_table(doc, ["A"], [[n]], caption=f"Table {n}")

    body = list(doc.element.body)
    assert body[-1].tag == qn("w:sectPr")
    assert sum(1 for child in body if child.tag == qn("w:tbl")) == 50


def test_the_block_width_is_the_last_section_s_width_between_its_margins(
        tmp_path: Path) -> None:
    doc = paper.open_paper(_narrow_landscape_template(tmp_path))

    width = paper.block_width(doc)

    assert width == doc._block_width
    assert round(width.cm, 2) == round(29.7 - 3.1 - 1.7, 2)


def test_a_numbered_list_returns_its_own_paragraphs() -> None:
    doc = paper.open_paper(None)
    paper.add_paragraph(doc, "Before")

    added = paper.add_numbered(doc, ["First", "Second"])

    assert [p.text for p in added] == ["First", "Second"]



TEXTS = ["Plain", "  spaces kept  ", "Line one\nline two", "Tab\there", "Fish & chips <£5>",
         "Café – naïve", "\tstarts with a tab"]


@pytest.mark.parametrize("text", TEXTS)
def test_headings_paragraphs_and_bullets_are_the_paragraphs_python_docx_builds(text: str
                                                                               ) -> None:
    # The Word layer writes a paragraph's XML in one piece; the reference is python-docx's own
    # add_paragraph(style=...), paragraph_format and add_run.
    ours, theirs = paper.open_paper(None), paper.open_paper(None)
    paper.add_heading(ours, text, 1, new_page=True)
    paper.add_paragraph(ours, text, style="Caption")
    paper.add_paragraph(ours, "")
    paper.add_bullets(ours, [text])

    heading = theirs.add_paragraph(style=paper.find_style(theirs, "Heading 1",
                                                          WD_STYLE_TYPE.PARAGRAPH))
    heading.paragraph_format.page_break_before = True
    heading.add_run(text)
    theirs.add_paragraph(style=paper.find_style(theirs, "Caption", WD_STYLE_TYPE.PARAGRAPH)
                         ).add_run(text)
    theirs.add_paragraph()
    theirs.add_paragraph(style=paper.find_style(theirs, "List Bullet", WD_STYLE_TYPE.PARAGRAPH)
                         ).add_run(text)

    assert ours.element.body.xml == theirs.element.body.xml

# --------------------------------------------------------------------------- tables
#
# The reference: the table built through python-docx's own API, cell by cell, as
# generator.office.word.add_table did before it wrote the table's XML in one piece.


def _insert_in_order(parent: Any, child: Any, successors: Sequence[str]) -> None:
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(child)
            return
    parent.append(child)


def _plain_table(  # noqa: C901 -- the old python-docx way, kept whole as the reference
               doc: DocumentObject, headers: Sequence[str], rows: Sequence[Sequence[object]],
                 *, caption: str, col_widths_cm: Sequence[float] | None = None,
                 number_formats: dict[int, str] | None = None,
                 colour_columns: Sequence[int] = (),
                 colour_of: Callable[[str], tuple[str, str] | None] | None = None,
                 cell_style: str | None = None, cell_font_pt: float | None = None,
                 bold_last_row: bool = False) -> None:
    formats = dict(number_formats or {})
    ncols = len(headers)
    numeric = {c for c in range(ncols)
               if all(row[c] in (None, "") or paper._is_number(row[c]) for row in rows)
               and (c in formats or any(row[c] not in (None, "") for row in rows))}
    clean_caption = paper._clean(caption).replace("\n", " ").strip()
    caption_par = doc.add_paragraph(style=paper.find_style(doc, "Caption",
                                                           WD_STYLE_TYPE.PARAGRAPH))
    caption_par.add_run(clean_caption)
    caption_par.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1 + len(rows), cols=ncols)
    grid = paper.find_style(doc, "Table Grid", WD_STYLE_TYPE.TABLE)
    if grid is not None:
        table.style = grid
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    tbl_pr = table._tbl.tblPr
    look = tbl_pr.find(qn("w:tblLook"))
    look.set(qn("w:firstRow"), "1")
    look.set(qn("w:lastRow"), "0")
    names = ", ".join(paper._clean(h).replace("\n", " ") for h in headers)
    for tag, value in (("w:tblCaption", clean_caption),
                       ("w:tblDescription", f"{clean_caption}. Columns: {names}.")):
        element = OxmlElement(tag)
        element.set(qn("w:val"), value)
        tbl_pr.append(element)
    header_row = table.rows[0]
    tr_pr = header_row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    tr_pr.append(OxmlElement("w:tblHeader"))
    for c, (cell, header) in enumerate(zip(header_row.cells, headers, strict=True)):
        paragraph = cell.paragraphs[0]
        paragraph.add_run(paper._clean(header)).bold = True
        if c in numeric:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row_values, table_row in zip(rows, table.rows[1:], strict=True):
        table_row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for c, (cell, value) in enumerate(zip(table_row.cells, row_values, strict=True)):
            text = paper.format_value(value, formats.get(c))
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            if c in numeric or paper._is_number(value):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            colours = colour_of(text) if colour_of and c in colour_columns else None
            if colours is not None:
                fill, colour = colours
                shd = OxmlElement("w:shd")
                shd.set(qn("w:val"), "clear")
                shd.set(qn("w:color"), "auto")
                shd.set(qn("w:fill"), fill)
                cell._tc.get_or_add_tcPr().append(shd)
                run.font.color.rgb = RGBColor.from_string(colour)
    if col_widths_cm is not None:
        table.autofit = False
        for grid_col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), col_widths_cm,
                                   strict=True):
            grid_col.set(qn("w:w"), str(Cm(width).twips))
        for table_row in table.rows:
            for cell, width in zip(table_row.cells, col_widths_cm, strict=True):
                cell.width = Cm(width)
    style = paper.find_style(doc, cell_style, WD_STYLE_TYPE.PARAGRAPH) if cell_style else None
    for table_row in table.rows:
        for cell in table_row.cells:
            for cell_paragraph in cell.paragraphs:
                if style is not None:
                    cell_paragraph.style = style
                elif cell_font_pt is not None:
                    for run in cell_paragraph.runs:
                        run.font.size = Pt(cell_font_pt)
    if bold_last_row:
        for cell in table.rows[-1].cells:
            for run in cell.paragraphs[0].runs:
                run.bold = True


_cell_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_values = st.one_of(_cell_text, st.none(), st.integers(-10**7, 10**7),
                    st.floats(-1e6, 1e6, allow_nan=False),
                    st.sampled_from(["Green", "Amber: 2 late", "Red", "Not rated", "Redhill",
                                     " lead\tand\ntrail ", "a & b < c > \"d\""]))


@st.composite
def _tables(draw: st.DrawFn) -> dict[str, Any]:
    ncols = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(_values, min_size=ncols, max_size=ncols), max_size=4))
    columns = st.integers(0, ncols - 1)
    return {
        "headers": draw(st.lists(_cell_text.filter(str.strip), min_size=ncols, max_size=ncols)),
        "rows": rows,
        "caption": draw(_cell_text.filter(str.strip)),
        "col_widths_cm": draw(st.one_of(st.none(), st.lists(st.floats(0.5, 8), min_size=ncols,
                                                            max_size=ncols))),
        "number_formats": draw(st.dictionaries(columns, st.sampled_from(["money", "percent"]),
                                               max_size=2)),
        "colour_columns": draw(st.lists(columns, max_size=2, unique=True)),
        "colour_of": draw(st.sampled_from([None, rag_colours])),
        "cell_style": draw(st.sampled_from([None, "Caption", "No Such Style"])),
        "cell_font_pt": draw(st.sampled_from([None, 9, 10.5])),
        "bold_last_row": draw(st.booleans()),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=_tables(), template=st.sampled_from(["default", "committee"]))
def test_a_table_written_in_one_piece_is_the_table_python_docx_builds_cell_by_cell(
        table: dict[str, Any], template: str) -> None:
    theirs, ours = paper.open_paper(None), paper.open_paper(None)
    if template == "committee":
        for doc in (theirs, ours):
            style_document(doc, council="Example Council")

    _plain_table(theirs, **table)
    paper.add_table(ours, **table)

    assert ours.element.body.xml == theirs.element.body.xml


# --------------------------------------------------------------------------- large papers


def _document_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read("word/document.xml")


def _paper(*, spill: bool, png: bytes) -> bytes:
    doc = paper.open_paper(None)
    style_document(doc, council="Example Council")
    written = paper.spill_body(doc) if spill else None
    paper.add_heading(doc, "Annual report", 0)
    for n in range(6):
        paper.add_heading(doc, f"Appendix {n}: Partnership {n} – café", 1)
        paper.add_paragraph(doc, f"Line one\ttabbed\nline two of {n}")
        paper.add_numbered(doc, ["First", "Second"])
        paper.add_table(doc, ["Item", "Rating"], [["Overall", "Green"], ["Risks", None]],
                        caption=f"Partnership {n}", colour_columns=[1], colour_of=rag_colours)
        if n == 2:
            paper.add_picture_with_alt(doc, png, alt_text="A chart", title="Spend")
        if written is not None and n % 2:
            written.flush()
    paper.add_paragraph(doc, "Added after the last flush.")
    return paper.document_bytes(doc)


def test_a_paper_written_out_as_it_grows_is_the_paper_built_in_memory() -> None:
    png = charts.bar_chart(["A"], {"Spend": [1]}, title="Spend", ylabel="£")

    written = _document_xml(_paper(spill=True, png=png))
    built = _document_xml(_paper(spill=False, png=png))

    assert written == built


def _tables_paper(*, spill: bool) -> bytes:
    doc = paper.open_paper(None)
    style_document(doc, council="Example Council")
    if spill:
        paper.spill_body(doc)
    paper.add_heading(doc, "Annual report", 0)
    for n in range(4):
        paper.add_paragraph(doc, f"Before table {n}")
        options = dict(caption=f"Partnership {n} <café> & \"quotes\"", colour_columns=[1],
                       colour_of=rag_colours, cell_style="Table Text", cell_font_pt=9,
                       widths_from_content=True, keep_with_next=True)
        rows = [["Overall\tscore", "Green"], [" spaced ", None], ["Line\nbreak > 1", 12.5]]
        if spill:
            paper.write_table(doc, ["Item", "Rating"], rows, note=f"Note {n} & more",
                              note_style="Table Text", **options)
        else:
            paper.add_table(doc, ["Item", "Rating"], rows, **options)  # type: ignore[arg-type]
            paper.add_paragraph(doc, f"Note {n} & more", style="Table Text")
        paper.flush_body(doc)
    paper.add_paragraph(doc, "After the tables.")
    return paper.document_bytes(doc)


def test_a_table_written_straight_out_as_text_is_the_table_added_to_the_tree() -> None:
    written = _document_xml(_tables_paper(spill=True))
    built = _document_xml(_tables_paper(spill=False))

    assert b"Partnership 3" in written
    assert written == built


def test_a_table_written_to_a_paper_kept_in_memory_is_added_to_its_tree() -> None:
    doc = paper.open_paper(None)

    paper.write_table(doc, ["Item"], [["One"]], caption="Items", note="A note")

    assert [t.cell(1, 0).text for t in doc.tables] == ["One"]
    assert [p.text for p in doc.paragraphs][-2:] == ["Items", "A note"]


def test_flushed_blocks_leave_the_tree() -> None:
    doc = paper.open_paper(None)
    written = paper.spill_body(doc)
    for n in range(20):
        paper.add_paragraph(doc, f"Paragraph {n}")
    written.flush()
    paper.add_paragraph(doc, "Still in memory")

    assert [p.text for p in doc.paragraphs] == ["Still in memory"]
    assert b"Paragraph 19" in _document_xml(paper.document_bytes(doc))
