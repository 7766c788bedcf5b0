"""Tests for generator.office.accessibility.check_paper: a good paper passes, each rule bites."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import RGBColor

from generator.cli import main
from generator.errors import ReportError
from generator.office import charts
from generator.office import word as paper
from generator.office.accessibility import Finding, check_paper, contrast_ratio, format_findings
from generator.vocabulary import rag_colours

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def png() -> bytes:
    return charts.bar_chart(["A", "B"], {"Spend": [1, 2]}, title="Spend", ylabel="£")


def base_doc() -> docx.document.Document:
    """A minimal passing document: metadata set and a Heading 1."""
    doc = paper.open_paper(None)
    paper.set_document_metadata(doc, title="Annual report", subject="Scrutiny", author="Council")
    paper.add_heading(doc, "Annual report", 1)
    return doc


def save(doc: docx.document.Document, tmp_path: Path, name: str = "paper.docx") -> Path:
    path = tmp_path / name
    paper.save_atomic(doc, path)
    return path


def rules(path: Path, **kwargs: object) -> list[str]:
    return [finding.rule for finding in check_paper(path, **kwargs)]


def shade(cell: object, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def add_raw_link(paragraph: object, text: str, url: str = "https://example.gov.uk") -> None:
    r_id = paragraph.part.relate_to(url, docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK, True)
    paragraph._p.append(
        parse_xml(
            f'<w:hyperlink {W_NS} {R_NS} r:id="{r_id}"><w:r><w:t>{text}</w:t></w:r></w:hyperlink>'
        )
    )


# --------------------------------------------------------------------------- passing


def test_paper_built_with_paper_module_passes(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.set_document_metadata(
        doc, title="Partnerships annual report", subject="Scrutiny Committee", author="Council"
    )
    paper.add_heading(doc, "Partnerships annual report 2024/25", 0)
    paper.add_heading(doc, "Summary", 1)
    intro = paper.add_paragraph(doc, "This report covers six partnerships.\nSee below. ")
    paper.add_link(intro, "Partnership Framework (PDF)", "https://example.gov.uk/framework.pdf")
    paper.add_placeholder(doc, "key messages")
    paper.add_heading(doc, "Finance", 2)
    paper.add_table(
        doc,
        ["Partnership", "Budget", "Rating"],
        [
            ["Building Control", 120000, "Green"],
            ["Waste", 50000, "Amber"],
            ["Audit", None, "Red"],
            ["Legal", 1, "Not rated"],
        ],
        caption="Budgets and ratings",
        number_formats={1: "money"},
        colour_columns=[2], colour_of=rag_colours,
    )
    paper.add_heading(doc, "Detail", 3)
    categories = ["Building Control", "Waste"]
    series = {"Budget": [120000, 50000], "Forecast": [125000, 48000]}
    paper.add_picture_with_alt(
        doc,
        charts.bar_chart(categories, series, title="Budget against forecast", ylabel="£"),
        alt_text=charts.describe_bar_chart(categories, series, title="Budget against forecast"),
        title="Budget against forecast",
    )
    paper.add_heading(doc, "Recommendations", 1)
    paper.add_numbered(doc, ["Note the report.", "Agree the actions."])
    paper.add_bullets(doc, ["One", "Two"])

    assert check_paper(save(doc, tmp_path)) == []


def test_heading_levels_may_go_back_up(tmp_path: Path) -> None:
    doc = base_doc()
    for text, level in [("A", 2), ("B", 3), ("C", 2), ("D", 1), ("E", 2)]:
        paper.add_heading(doc, text, level)
    assert check_paper(save(doc, tmp_path)) == []


def test_decorative_image_without_alt_text_passes(tmp_path: Path) -> None:
    doc = base_doc()
    doc.add_picture(io.BytesIO(png()))
    doc_pr = doc.paragraphs[-1]._p.find(".//" + qn("wp:docPr"))
    doc_pr.append(
        parse_xml(
            '<a:extLst xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
            '<a:ext uri="{C183D7F6-B498-43B3-948B-1728B52AA6E4}">'
            '<adec:decorative xmlns:adec="http://schemas.microsoft.com/office/drawing/2017/'
            'decorative" val="1"/></a:ext></a:extLst>'
        )
    )
    assert check_paper(save(doc, tmp_path)) == []


# --------------------------------------------------------------------------- rules


def test_skipped_heading_level_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    paper.add_heading(doc, "Finance", 3)
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["heading-order"]
    assert findings[0].location == "heading 'Finance' (paragraph 2)"
    assert "Heading 3 follows Heading 1" in findings[0].message


def test_first_heading_below_level_one_is_reported(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.set_document_metadata(doc, title="T", subject="S", author="A")
    paper.add_heading(doc, "Finance", 2)
    assert rules(save(doc, tmp_path)) == ["heading-order"]


def test_empty_heading_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    doc.add_paragraph(style="Heading 2")
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["empty-heading"]
    assert findings[0].location == "empty Heading 2 (paragraph 2)"


def test_document_without_headings_is_reported(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.set_document_metadata(doc, title="T", subject="S", author="A")
    paper.add_paragraph(doc, "Just text")
    assert rules(save(doc, tmp_path)) == ["no-headings"]


def test_table_without_header_row_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Partnership"
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["table-header"]
    assert findings[0].location == "table 1 (starting 'Partnership')"


def test_merged_cells_are_reported(tmp_path: Path) -> None:
    doc = base_doc()
    table = paper.add_table(doc, ["A", "B"], [["1", "2"], ["3", "4"]], caption="Top risks")
    table.cell(1, 0).merge(table.cell(1, 1))
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["merged-cells"]
    assert findings[0].location == "table 1 'Top risks'"


def test_vertically_merged_cells_are_reported(tmp_path: Path) -> None:
    doc = base_doc()
    table = paper.add_table(doc, ["A", "B"], [["1", "2"], ["3", "4"]], caption="Top risks")
    table.cell(1, 0).merge(table.cell(2, 0))
    assert rules(save(doc, tmp_path)) == ["merged-cells"]


def test_image_without_alt_text_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    doc.add_picture(io.BytesIO(png()))
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["alt-text"]
    assert findings[0].location == "image 1 'Picture 1'"


def test_image_without_alt_text_in_header_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    doc.sections[0].header.paragraphs[0].add_run().add_picture(io.BytesIO(png()))
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["alt-text"]
    assert "in header" in findings[0].location


def test_missing_title_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    doc.core_properties.title = ""
    assert rules(save(doc, tmp_path)) == ["title"]


def test_missing_language_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    doc.core_properties.language = ""
    lang = doc.styles.element.find(f".//{qn('w:docDefaults')}//{qn('w:lang')}")
    lang.getparent().remove(lang)
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["language"]
    assert "No document language" in findings[0].message


def test_language_other_than_expected_is_reported(tmp_path: Path) -> None:
    doc = paper.open_paper(None)  # styles.xml says en-US
    paper.add_heading(doc, "Report", 1)
    doc.core_properties.title = "Report"
    path = save(doc, tmp_path)
    assert rules(path) == ["language"]
    assert rules(path, expected_language=None) == []


def test_low_contrast_shaded_cell_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    table = paper.add_table(doc, ["Rating"], [["Green"]], caption="Ratings")
    cell = table.cell(1, 0)
    shade(cell, "00B050")
    cell.paragraphs[0].runs[0].font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["contrast"]
    assert findings[0].location == "table 1 'Ratings', row 2, column 1"
    assert "2.9:1" in findings[0].message


def test_automatic_text_colour_counts_as_black(tmp_path: Path) -> None:
    doc = base_doc()
    table = paper.add_table(doc, ["Rating"], [["Red"]], caption="Ratings")
    shade(table.cell(1, 0), "1F3864")  # dark blue, no text colour set
    assert rules(save(doc, tmp_path)) == ["contrast"]


def test_low_contrast_heading_style_is_reported(tmp_path: Path) -> None:
    doc = docx.Document()  # template colours Heading 2 #4F81BD: 4.0:1 on white
    paper.set_document_metadata(doc, title="T", subject="S", author="A")
    doc.add_heading("Report", 1)
    doc.add_heading("Finance", 2)
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["contrast"]
    assert findings[0].location == "heading 'Finance' (paragraph 2)"
    assert "Heading 2" in findings[0].message


@pytest.mark.parametrize(
    ("points", "bold", "expected"), [(11, False, ["contrast"]), (18, False, []), (14, True, [])]
)
def test_grey_body_text_needs_less_contrast_when_large(
    tmp_path: Path, points: int, bold: bool, expected: list[str]
) -> None:
    doc = base_doc()
    run = paper.add_paragraph(doc, "Grey text").runs[0]
    run.font.color.rgb = RGBColor(0x80, 0x80, 0x80)  # 3.9:1 on white
    run.font.size = docx.shared.Pt(points)
    run.font.bold = bold
    assert rules(save(doc, tmp_path)) == expected


def test_shaded_cell_without_text_is_reported_as_colour_only(tmp_path: Path) -> None:
    doc = base_doc()
    table = paper.add_table(doc, ["Partnership", "Rating"], [["Audit", ""]], caption="Ratings")
    shade(table.cell(1, 1), "C00000")
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["colour-only"]
    assert findings[0].location == "table 1 'Ratings', row 2, column 2"


@pytest.mark.parametrize("text", ["click here", "Here", "link", "more.", "https://example.gov.uk"])
def test_undescriptive_link_text_is_reported(tmp_path: Path, text: str) -> None:
    doc = base_doc()
    add_raw_link(paper.add_paragraph(doc, "For the framework "), text)
    findings = check_paper(save(doc, tmp_path))
    assert [f.rule for f in findings] == ["link-text"]
    assert findings[0].location.endswith("(paragraph 2)")


def test_undescriptive_link_in_hyperlink_field_is_reported(tmp_path: Path) -> None:
    doc = base_doc()
    paragraph = paper.add_paragraph(doc, "")
    paragraph._p.append(
        parse_xml(
            f"<w:fldSimple {W_NS} w:instr=' HYPERLINK \"https://example.gov.uk\" '>"
            "<w:r><w:t>click here</w:t></w:r></w:fldSimple>"
        )
    )
    for xml in (
        '<w:r {ns}><w:fldChar w:fldCharType="begin"/></w:r>',
        '<w:r {ns}><w:instrText xml:space="preserve"> HYPERLINK "https://x.gov.uk" '
        "</w:instrText></w:r>",
        '<w:r {ns}><w:fldChar w:fldCharType="separate"/></w:r>',
        "<w:r {ns}><w:t>here</w:t></w:r>",
        '<w:r {ns}><w:fldChar w:fldCharType="end"/></w:r>',
    ):
        paragraph._p.append(parse_xml(xml.format(ns=W_NS)))
    assert rules(save(doc, tmp_path)) == ["link-text", "link-text"]


def test_a_link_field_is_read_past_fields_nested_in_it_and_fields_that_are_not_links(
        tmp_path: Path) -> None:
    doc = base_doc()
    paragraph = paper.add_paragraph(doc, "")
    begin, separate, end = (f'<w:r {{ns}}><w:fldChar w:fldCharType="{kind}"/></w:r>'
                            for kind in ("begin", "separate", "end"))
    for xml in (
        begin, '<w:r {ns}><w:instrText> HYPERLINK "https://x.gov.uk" </w:instrText></w:r>',
        separate, "<w:r {ns}><w:t>click </w:t></w:r>",
        begin, "<w:r {ns}><w:instrText> PAGE </w:instrText></w:r>", separate,
        "<w:r {ns}><w:t>4</w:t></w:r>", end,
        end,
        begin, "<w:r {ns}><w:instrText> DATE </w:instrText></w:r>", separate,
        "<w:r {ns}><w:t>here</w:t></w:r>", end,
    ):
        paragraph._p.append(parse_xml(xml.format(ns=W_NS)))

    findings = check_paper(save(doc, tmp_path))

    assert [(f.rule, f.location) for f in findings] == [("link-text", "link 'click' (paragraph 2)")]


# --------------------------------------------------------------------------- robustness


def test_findings_come_in_document_order_after_document_properties(tmp_path: Path) -> None:
    doc = paper.open_paper(None)
    paper.add_heading(doc, "Finance", 2)
    doc.add_table(rows=1, cols=1)
    doc.add_picture(io.BytesIO(png()))
    assert rules(save(doc, tmp_path)) == [
        "title",
        "language",
        "heading-order",
        "table-header",
        "alt-text",
    ]


def test_check_paper_missing_file_raises_report_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="not found"):
        check_paper(tmp_path / "missing.docx")


def test_check_paper_non_word_file_raises_report_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.docx"
    path.write_text("plain text", encoding="utf-8")
    with pytest.raises(ReportError, match="not a Word document"):
        check_paper(path)


def test_check_paper_refuses_a_paper_declaring_entities_and_never_expands_them(
        tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    good = save(base_doc(), tmp_path, "good.docx")
    evil = tmp_path / "evil.docx"
    body = (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        f'<w:document {W_NS}><w:body><w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr>'
        "<w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = body.encode() if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info, data)
    with pytest.raises(ReportError) as caught:
        check_paper(evil)

    assert "TOP-SECRET" not in str(caught.value)
    assert str(caught.value) == (
        "evil.docx was not opened: word/document.xml declares a DTD or entities; Word never "
        "writes these, so the file was tampered with; save the paper again from Word and check "
        "the saved copy")


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio("000000", "FFFFFF") == pytest.approx(21)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1)
    assert contrast_ratio("767676", "FFFFFF") == pytest.approx(4.54, abs=0.01)


def test_format_findings_lists_each_finding() -> None:
    finding = Finding("title", "document properties", "The document has no title.")
    assert format_findings([]) == "No accessibility problems found."
    assert format_findings([finding]).splitlines()[1] == (
        "- document properties: The document has no title. [title]"
    )


def test_report_check_prints_one_finding_per_line_in_plain_words(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("Text")
    path = tmp_path / "untitled.docx"
    doc.save(str(path))

    result = CliRunner().invoke(main, ["report", "check", str(path)])

    lines = result.output.splitlines()
    assert result.exit_code == 1
    assert len(lines) > 2
    assert lines[0] == f"{len(lines) - 1} accessibility problems found:"
    assert all(line.startswith("- ") for line in lines[1:])
    assert "\\n" not in result.output
    assert "set_document_metadata" not in result.output
