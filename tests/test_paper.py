"""Tests for the accessible Word building blocks in generator.office.word."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml.ns import qn
from lxml import etree

from generator.errors import ReportError
from generator.office import charts
from generator.office import word as paper
from generator.office.accessibility import contrast_ratio
from generator.vocabulary import RAG_FILLS, rag_colours

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WP = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"


def reopen(doc: docx.document.Document, tmp_path: Path) -> docx.document.Document:
    path = tmp_path / "paper.docx"
    paper.save_atomic(doc, path)
    return docx.Document(str(path))


def part_xml(path: Path, name: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(name))


def small_png() -> bytes:
    return charts.bar_chart(["A"], {"Spend": [1]}, title="Spend", ylabel="£")


# --------------------------------------------------------------------------- open_paper


def test_open_paper_without_template_has_only_section_properties() -> None:
    doc = paper.open_paper(None)
    body = doc.element.body
    assert [child.tag for child in body] == [qn("w:sectPr")]


def test_open_paper_removes_template_body_but_keeps_header(tmp_path: Path) -> None:
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "Mole Valley District Council"
    template.add_paragraph("Delete me")
    template.add_table(rows=1, cols=1)
    template_path = tmp_path / "letterhead.docx"
    template.save(str(template_path))

    doc = paper.open_paper(template_path)

    assert doc.paragraphs == [] and doc.tables == []
    assert doc.sections[0].header.paragraphs[0].text == "Mole Valley District Council"


def test_open_paper_drops_template_image_relationships(tmp_path: Path) -> None:
    template = docx.Document()
    template.add_picture(io.BytesIO(small_png()))
    template_path = tmp_path / "with-picture.docx"
    template.save(str(template_path))

    doc = paper.open_paper(template_path)

    assert not [r for r in doc.part.rels.values() if r.reltype.endswith("/image")]


def test_open_paper_accepts_dotx_template(tmp_path: Path) -> None:
    source = tmp_path / "source.docx"
    template_doc = docx.Document()
    template_doc.add_paragraph("template body")
    template_doc.save(str(source))
    dotx = tmp_path / "letterhead.dotx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(dotx, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            dst.writestr(info, data)

    doc = paper.open_paper(dotx)

    assert doc.paragraphs == []


def test_open_paper_darkens_low_contrast_style_colours() -> None:
    doc = paper.open_paper(None)  # the python-docx template colours Heading 2 #4F81BD (4.0:1)
    colour = doc.styles["Heading 2"].element.rPr.find(qn("w:color"))
    assert contrast_ratio(colour.get(qn("w:val")), "FFFFFF") >= 4.5
    assert colour.get(qn("w:themeColor")) is None
    heading_1 = doc.styles["Heading 1"].element.rPr.find(qn("w:color"))
    assert heading_1.get(qn("w:val")) == "365F91"  # already compliant: untouched


def test_open_paper_missing_template_raises_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not found"):
        paper.open_paper(tmp_path / "missing.docx")


def test_open_paper_non_word_file_raises_report_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.docx"
    bogus.write_text("not a zip", encoding="utf-8")
    with pytest.raises(ReportError, match="not a usable Word template"):
        paper.open_paper(bogus)


# --------------------------------------------------------------------------- metadata


def test_set_document_metadata_sets_core_properties(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.set_document_metadata(
        doc,
        title="Partnerships annual report 2024/25",
        subject="Scrutiny Committee",
        author="Partnerships Team",
        keywords="partnerships; governance",
    )
    props = reopen(doc, tmp_path).core_properties
    assert props.title == "Partnerships annual report 2024/25"
    assert props.subject == "Scrutiny Committee"
    assert props.author == "Partnerships Team"
    assert props.keywords == "partnerships; governance"
    assert props.language == "en-GB"
    assert props.comments == ""


def test_set_document_metadata_sets_default_language_in_styles(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.set_document_metadata(doc, title="T", subject="S", author="A")
    path = tmp_path / "paper.docx"
    paper.save_atomic(doc, path)
    lang = part_xml(path, "word/styles.xml").find(
        f"{{{W}}}docDefaults/{{{W}}}rPrDefault/{{{W}}}rPr/{{{W}}}lang"
    )
    assert lang.get(f"{{{W}}}val") == "en-GB"
    assert lang.get(f"{{{W}}}eastAsia") == "en-GB"
    assert lang.get(f"{{{W}}}bidi")


def test_set_document_metadata_shortens_overlong_values() -> None:
    doc = paper.open_paper(None)
    paper.set_document_metadata(doc, title="x" * 400, subject="S", author="A")
    assert len(doc.core_properties.title) == 255


def test_set_document_metadata_refuses_empty_title() -> None:
    with pytest.raises(ValueError, match="title"):
        paper.set_document_metadata(paper.open_paper(None), title=" ", subject="S", author="A")


# --------------------------------------------------------------------------- headings and text


@pytest.mark.parametrize(("level", "style"), [(0, "Title"), (1, "Heading 1"), (3, "Heading 3")])
def test_add_heading_uses_template_heading_style(level: int, style: str) -> None:
    doc = paper.open_paper(None)
    heading = paper.add_heading(doc, "Finance", level)
    assert heading.style.name == style
    assert heading.text == "Finance"


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_add_heading_refuses_empty_text(text: str) -> None:
    with pytest.raises(ValueError, match="heading must have text"):
        paper.add_heading(paper.open_paper(None), text, 1)


def test_add_heading_refuses_level_out_of_range() -> None:
    with pytest.raises(ValueError, match="level"):
        paper.add_heading(paper.open_paper(None), "Finance", 10)


def test_add_heading_adds_missing_heading_style_with_outline_level() -> None:
    doc = paper.open_paper(None)
    doc.styles.element.remove(doc.styles["Heading 4"].element)

    heading = paper.add_heading(doc, "Detail", 4)

    assert heading.style.name == "Heading 4"
    outline = heading.style.element.pPr.find(qn("w:outlineLvl"))
    assert outline.get(qn("w:val")) == "3"


def test_add_paragraph_text_is_not_interpreted(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    text = "<w:b/> & {{ partner.name }} {% if x %} &amp;"
    paper.add_paragraph(doc, text)
    assert reopen(doc, tmp_path).paragraphs[0].text == text


def test_add_paragraph_keeps_line_breaks_as_w_br() -> None:
    doc = paper.open_paper(None)
    paragraph = paper.add_paragraph(doc, "First line\nSecond line\r\nThird line")
    assert len(paragraph._p.findall(f".//{{{W}}}br")) == 2
    assert paragraph.text == "First line\nSecond line\nThird line"


def test_add_paragraph_replaces_control_characters(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.add_paragraph(doc, "bell\x07 null\x00 end")
    assert reopen(doc, tmp_path).paragraphs[0].text == "bell\ufffd null\ufffd end"


def test_add_paragraph_uses_named_style() -> None:
    doc = paper.open_paper(None)
    assert paper.add_paragraph(doc, "Quoted", style="Quote").style.name == "Quote"


def test_add_paragraph_unknown_style_falls_back_to_default() -> None:
    doc = paper.open_paper(None)
    assert paper.add_paragraph(doc, "Text", style="No Such Style").style.name == "Normal"


def test_add_placeholder_says_so_in_bold_highlighted_style() -> None:
    doc = paper.open_paper(None)
    paragraph = paper.add_placeholder(doc, "summary of the year")
    run = paragraph.runs[0]
    assert paragraph.text == "[To be completed by the report author: summary of the year]"
    assert run.style.name == paper.PLACEHOLDER_STYLE
    assert run.bold is True
    assert run.style.font.bold is True
    assert run.style.font.highlight_color == WD_COLOR_INDEX.YELLOW


def test_add_link_creates_external_hyperlink_with_text(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paragraph = paper.add_paragraph(doc, "See the ")
    paper.add_link(paragraph, "Partnership Framework", "https://example.gov.uk/framework")
    reopened = reopen(doc, tmp_path)
    link = reopened.paragraphs[0]._p.find(qn("w:hyperlink"))
    rel = reopened.part.rels[link.get(qn("r:id"))]
    assert rel.target_ref == "https://example.gov.uk/framework"
    assert reopened.paragraphs[0].text == "See the Partnership Framework"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("click here", "https://example.gov.uk"),
        ("https://example.gov.uk", "https://example.gov.uk"),
        ("Framework", "javascript:alert(1)"),
    ],
)
def test_add_link_refuses_undescriptive_text_or_unsafe_url(text: str, url: str) -> None:
    paragraph = paper.add_paragraph(paper.open_paper(None), "See ")
    with pytest.raises(ValueError):
        paper.add_link(paragraph, text, url)


# --------------------------------------------------------------------------- tables

HEADERS = ["Partnership", "Budget", "Rating"]
ROWS = [
    ["Building Control", 120000, "Green"],
    ["Waste Collection", -2500.5, "Red - overspend"],
    ["Legal Services", None, "Not rated"],
]


def make_table(**kwargs: object) -> tuple[docx.document.Document, docx.table.Table]:
    doc = paper.open_paper(None)
    options: dict = {"caption": "Budgets by partnership", "number_formats": {1: "money"}}
    options.update(kwargs)
    return doc, paper.add_table(doc, HEADERS, ROWS, **options)


def test_add_table_caption_paragraph_is_above_table_in_caption_style() -> None:
    doc, table = make_table()
    caption = table._tbl.getprevious()
    assert caption.tag == qn("w:p")
    assert doc.paragraphs[0].text == "Budgets by partnership"
    assert doc.paragraphs[0].style.name == "Caption"
    assert doc.paragraphs[0].paragraph_format.keep_with_next is True


def test_add_table_first_row_is_marked_repeating_header() -> None:
    _, table = make_table()
    tr_pr = table.rows[0]._tr.trPr
    assert tr_pr.find(qn("w:tblHeader")) is not None
    assert all(cell.paragraphs[0].runs[0].bold for cell in table.rows[0].cells)
    look = table._tbl.tblPr.find(qn("w:tblLook"))
    assert look.get(qn("w:firstRow")) == "1"
    assert table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None


def test_add_table_keeps_every_row_whole_on_one_page() -> None:
    _, table = make_table()

    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)


def test_add_table_keep_with_next_keeps_only_its_last_row_with_the_paragraph_after() -> None:
    _, table = make_table(keep_with_next=True)

    kept = [all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)
            for row in table.rows]

    assert kept == [False] * (len(table.rows) - 1) + [True]


def test_add_table_has_caption_and_description_for_screen_readers() -> None:
    _, table = make_table(description="Budget and rating of each partnership")
    tbl_pr = table._tbl.tblPr
    assert tbl_pr.find(qn("w:tblCaption")).get(qn("w:val")) == "Budgets by partnership"
    description = tbl_pr.find(qn("w:tblDescription")).get(qn("w:val"))
    assert description == "Budget and rating of each partnership"
    # schema order: tblLook, tblCaption, tblDescription
    tags = [etree.QName(child).localname for child in tbl_pr]
    assert tags[-3:] == ["tblLook", "tblCaption", "tblDescription"]


def test_add_table_uses_table_grid_style() -> None:
    _, table = make_table()
    assert table.style.name == "Table Grid"


def test_add_table_formats_money_and_right_aligns_numbers() -> None:
    _, table = make_table()
    budget = [row.cells[1] for row in table.rows]
    assert [cell.text for cell in budget] == ["Budget", "£120,000", "-£2,500", "Not reported"]
    assert all(cell.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT for cell in budget)
    assert table.rows[1].cells[0].paragraphs[0].alignment is None


def test_add_table_keeps_a_column_of_answers_left_aligned_though_one_is_an_amount() -> None:
    doc = paper.open_paper(None)
    table = paper.add_table(doc, ["Question", "Answer"],
                            [["Benefits achieved", "One team of surveyors"],
                             ["Cashable savings", 16200]],
                            caption="Value for money", number_formats={1: "money"})
    answers = [row.cells[1].paragraphs[0].alignment for row in table.rows]

    assert answers == [None, None, WD_ALIGN_PARAGRAPH.RIGHT]


def test_add_table_shows_none_as_not_reported_words() -> None:
    _, table = make_table(number_formats=None)
    assert table.rows[3].cells[1].text == "Not reported"


def test_add_table_default_number_formatting_uses_thousands_separators() -> None:
    doc = paper.open_paper(None)
    table = paper.add_table(doc, ["Count", "Rate"], [[1234567, 0.125]], caption="Counts")
    assert [cell.text for cell in table.rows[1].cells] == ["1,234,567", "0.12"]


def test_add_table_shades_rag_cells_and_keeps_the_word() -> None:
    _, table = make_table(colour_columns=[2], colour_of=rag_colours)
    for row, rating in zip(table.rows[1:], ["Green", "Red", "Grey"], strict=True):
        cell = row.cells[2]
        fill, text = RAG_FILLS[rating]
        shd = cell._tc.tcPr.find(qn("w:shd"))
        assert shd.get(qn("w:fill")) == fill
        assert str(cell.paragraphs[0].runs[0].font.color.rgb) == text
    assert table.rows[2].cells[2].text == "Red - overspend"


def test_add_table_leaves_cell_without_rating_word_unshaded() -> None:
    doc = paper.open_paper(None)
    table = paper.add_table(
        doc, ["Area", "Rating"], [["Redhill", "Redhill office"]], caption="x",
        colour_columns=[1], colour_of=rag_colours
    )
    assert table.rows[1].cells[1]._tc.tcPr.find(qn("w:shd")) is None


def test_add_table_never_merges_cells() -> None:
    _, table = make_table(colour_columns=[2], colour_of=rag_colours, col_widths_cm=[6, 4, 4])
    xml = etree.tostring(table._tbl).decode()
    assert "gridSpan" not in xml and "vMerge" not in xml and "hMerge" not in xml
    assert all(len(row.cells) == 3 for row in table.rows)


def test_add_table_rejects_row_with_wrong_number_of_cells() -> None:
    with pytest.raises(ValueError, match="row 2 has 2 cells"):
        paper.add_table(paper.open_paper(None), ["A", "B", "C"], [[1, 2, 3], [1, 2]], caption="Bad")


def test_add_table_rejects_empty_caption() -> None:
    with pytest.raises(ValueError, match="caption"):
        paper.add_table(paper.open_paper(None), ["A"], [[1]], caption="  ")


def test_add_table_sets_column_widths() -> None:
    _, table = make_table(col_widths_cm=[8, 4, 4])
    grid = table._tbl.tblGrid.findall(qn("w:gridCol"))
    assert [int(col.get(qn("w:w"))) for col in grid] == [4535, 2268, 2268]
    assert table.rows[1].cells[0].width.cm == pytest.approx(8, abs=0.01)


def test_add_table_cell_text_is_not_interpreted(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.add_table(doc, ["<b>Name</b>"], [["=1+1 & <i>"]], caption="Odd & <text>")
    table = reopen(doc, tmp_path).tables[0]
    assert table.rows[0].cells[0].text == "<b>Name</b>"
    assert table.rows[1].cells[0].text == "=1+1 & <i>"


# --------------------------------------------------------------------------- RAG and values


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (dt.date(2025, 3, 5), None, "5 March 2025"),
        (True, None, "Yes"),
        (float("nan"), None, "Not reported"),
        (-1234, "money", "-£1,234"),
        (0.25, "percent", "25%"),
        (1234.5, "{:,.1f}", "1,234.5"),
    ],
)
def test_format_value(value: object, fmt: str | None, expected: str) -> None:
    assert paper.format_value(value, fmt) == expected


# --------------------------------------------------------------------------- pictures and lists


def test_add_picture_with_alt_sets_descr_and_title(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.add_picture_with_alt(
        doc, small_png(), alt_text="Spend was £1 for A.", title="Spend by partnership"
    )
    path = tmp_path / "paper.docx"
    paper.save_atomic(doc, path)
    doc_pr = part_xml(path, "word/document.xml").find(f".//{{{WP}}}docPr")
    assert doc_pr.get("descr") == "Spend was £1 for A."
    assert doc_pr.get("title") == "Spend by partnership"


def test_add_picture_with_alt_puts_caption_below() -> None:
    doc = paper.open_paper(None)
    paper.add_picture_with_alt(doc, small_png(), alt_text="Alt", title="Figure 1: Spend")
    assert doc.paragraphs[-1].text == "Figure 1: Spend"
    assert doc.paragraphs[-1].style.name == "Caption"
    assert doc.paragraphs[-2]._p.find(f".//{{{WP}}}docPr") is not None


def test_add_picture_with_alt_fits_between_margins() -> None:
    doc = paper.open_paper(None)
    paper.add_picture_with_alt(doc, small_png(), alt_text="Alt", title="T", width_cm=40)
    section = doc.sections[-1]
    available = section.page_width - section.left_margin - section.right_margin
    assert doc.inline_shapes[0].width <= available


def test_add_picture_with_alt_refuses_empty_alt_text() -> None:
    with pytest.raises(ValueError, match="alt text"):
        paper.add_picture_with_alt(paper.open_paper(None), small_png(), alt_text=" ", title="T")


def test_add_picture_with_alt_unreadable_image_raises_report_error() -> None:
    with pytest.raises(ReportError, match="could not be read"):
        paper.add_picture_with_alt(paper.open_paper(None), b"not a png", alt_text="A", title="T")


def test_add_bullets_uses_list_bullet_style() -> None:
    doc = paper.open_paper(None)
    paper.add_bullets(doc, ["One", "Two"])
    assert [(p.text, p.style.name) for p in doc.paragraphs] == [
        ("One", "List Bullet"),
        ("Two", "List Bullet"),
    ]


def test_add_bullets_refuses_empty_item() -> None:
    with pytest.raises(ValueError, match="item 2 is empty"):
        paper.add_bullets(paper.open_paper(None), ["One", " "])


def test_add_numbered_uses_list_number_style_and_restarts_each_list() -> None:
    doc = paper.open_paper(None)
    paper.add_numbered(doc, ["First", "Second"])
    paper.add_numbered(doc, ["Again"])
    paragraphs = doc.paragraphs
    assert all(p.style.name == "List Number" for p in paragraphs)
    num_ids = [p._p.pPr.numPr.numId.val for p in paragraphs]
    assert num_ids[0] == num_ids[1] != num_ids[2]
    numbering = doc.part.numbering_part.element
    for num_id in (num_ids[0], num_ids[2]):
        start = numbering.num_having_numId(num_id).find(f"{{{W}}}lvlOverride/{{{W}}}startOverride")
        assert start.get(qn("w:val")) == "1"


# --------------------------------------------------------------------------- saving


def test_save_atomic_writes_a_readable_file_and_no_temp_files(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.add_heading(doc, "Report", 1)
    path = tmp_path / "out" / "paper.docx"
    paper.save_atomic(doc, path)
    assert docx.Document(str(path)).paragraphs[0].text == "Report"
    assert [p.name for p in path.parent.iterdir()] == ["paper.docx"]


def test_save_atomic_failure_keeps_old_file_and_raises_report_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "paper.docx"
    path.write_bytes(b"old contents")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ReportError, match="open in Word"):
        paper.save_atomic(paper.open_paper(None), path)
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["paper.docx"]
