"""Wide tables in papers: landscape pages of their own, and columns sized from their content so
that no word, number or date is broken across lines."""

from __future__ import annotations

import io

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm

from generator.office import word


def _reopened(doc) -> docx.document.Document:
    return docx.Document(io.BytesIO(word.document_bytes(doc)))


def test_blocks_inside_landscape_pages_get_a_landscape_section_between_portrait_ones():
    doc = word.open_paper(None)
    word.add_paragraph(doc, "Before")
    with word.landscape_pages(doc):
        word.add_table(doc, ["A", "B"], [[1, 2]], caption="Wide")
    word.add_paragraph(doc, "After")

    sections = _reopened(doc).sections

    assert [s.orientation for s in sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE,
                                                 WD_ORIENT.PORTRAIT]
    assert sections[1].page_width > sections[1].page_height
    assert sections[2].page_width == sections[0].page_width


def test_the_table_is_in_the_landscape_section():
    doc = word.open_paper(None)
    word.add_paragraph(doc, "Before")
    with word.landscape_pages(doc):
        word.add_table(doc, ["A", "B"], [[1, 2]], caption="Wide")
    body = _reopened(doc).element.body

    blocks = [child.tag.rsplit("}", 1)[1] for child in body]
    closing = [i for i, child in enumerate(body) if child.find(".//" + qn("w:sectPr"))
               is not None and child.tag.endswith("}p")]

    table = blocks.index("tbl")
    assert closing[0] < table < closing[1]


def test_the_note_on_a_wide_traced_table_is_on_its_landscape_pages():
    # After the landscape pages it would start a portrait page of its own.
    from generator.papers.committee.sources import Source
    from generator.papers.committee.tables import WIDE_TABLE_COLUMNS, Table

    headers = [f"H{n}" for n in range(WIDE_TABLE_COLUMNS + 1)]
    doc = word.open_paper(None)
    Table("A", "Wide", headers, [list(range(len(headers)))],
          sources=[Source("P001-review", "Annual review", "2026/27")]).add_to(doc)
    body = list(_reopened(doc).element.body)

    closing = [i for i, child in enumerate(body) if child.find(".//" + qn("w:sectPr"))
               is not None and child.tag.endswith("}p")]
    note = next(i for i, child in enumerate(body)
                if "Where these figures come from" in "".join(child.itertext()))

    assert closing[0] < note < closing[1]


def test_inside_landscape_pages_tables_are_as_wide_as_the_landscape_page():
    doc = word.open_paper(None)
    portrait = word.block_width(doc)
    with word.landscape_pages(doc):
        landscape = word.block_width(doc)

    assert landscape > portrait
    assert word.block_width(doc) == portrait


def test_headers_and_footers_carry_on_into_the_landscape_pages():
    doc = word.open_paper(None)
    doc.sections[0].footer.paragraphs[0].text = "Page footer"
    with word.landscape_pages(doc):
        word.add_paragraph(doc, "Wide")

    sections = _reopened(doc).sections

    assert all(s.footer.is_linked_to_previous for s in sections[1:])
    assert sections[2].footer.paragraphs[0].text == "Page footer"


def test_content_widths_give_each_column_room_for_its_longest_word():
    headers = ["Partnership", "Budget (£)", "Recommendation"]
    texts = [["P001 Building Control Shared Service", "£812,000", "Continue with changes"]]
    widths = word.content_widths(headers, texts, int(Cm(16).twips), font_pt=9)

    char = 9 * 20 * 0.6
    assert widths[1] >= len("£812,000") * char
    assert widths[2] >= len("Recommendation") * char
    assert sum(widths) <= Cm(16).twips


def test_content_widths_give_the_spare_room_to_the_columns_with_more_text():
    widths = word.content_widths(["Id", "Description"],
                                 [["P1", "a long description of the partnership " * 4]],
                                 int(Cm(16).twips), font_pt=9)

    assert widths[1] > 3 * widths[0]


def test_a_table_sized_from_its_content_has_a_fixed_layout_with_those_widths():
    doc = word.open_paper(None)
    table = word.add_table(doc, ["Id", "Description"], [["P1", "words " * 30]], caption="T",
                           widths_from_content=True)

    grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid]
    layout = table._tbl.tblPr.find(qn("w:tblLayout"))

    assert grid[1] > grid[0]
    assert layout is not None and layout.get(qn("w:type")) == "fixed"


def test_keep_together_joins_dates_quarters_and_hyphenated_numbers_but_not_words():
    kept = word.keep_together("IAA, 1 October 2017; Q3 2026/27; 2026-Q4; well-run")

    assert kept == "IAA, 1\u00a0October\u00a02017; Q3\u00a02026/27; 2026\u2011Q4; well-run"


def test_content_widths_count_a_date_kept_together_as_one_word():
    date = word.keep_together("30 November 2026")
    widths = word.content_widths(["Due", "Notes"], [[date, "x " * 200]], int(Cm(16).twips),
                                 font_pt=9)

    assert widths[0] >= len(date) * 9 * 20 * 0.6


def test_landscape_pages_inside_landscape_pages_add_no_section():
    doc = word.open_paper(None)
    with word.landscape_pages(doc):
        word.add_paragraph(doc, "One")
        with word.landscape_pages(doc):
            word.add_paragraph(doc, "Two")

    orientations = [s.orientation for s in _reopened(doc).sections]

    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]


def test_landscape_pages_one_after_another_are_one_landscape_section():
    # A second section of its own would leave an empty portrait page between the two.
    doc = word.open_paper(None)
    word.add_paragraph(doc, "Before")
    with word.landscape_pages(doc):
        word.add_paragraph(doc, "One")
    with word.landscape_pages(doc):
        word.add_paragraph(doc, "Two")
    word.add_paragraph(doc, "After")

    reopened = _reopened(doc)

    assert [s.orientation for s in reopened.sections] == [
        WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert [p.text for p in reopened.paragraphs if p.text] == ["Before", "One", "Two", "After"]


def test_wide_tables_one_after_another_share_their_landscape_pages():
    from generator.papers.committee.tables import WIDE_TABLE_COLUMNS, Table, add_tables

    headers = [f"H{n}" for n in range(WIDE_TABLE_COLUMNS + 1)]
    wide = [Table("A", "First", headers, [list(range(len(headers)))]),
            Table("B", "Second", headers, [list(range(len(headers)))])]
    doc = word.open_paper(None)
    word.add_paragraph(doc, "Before")

    add_tables(doc, wide)

    orientations = [s.orientation for s in _reopened(doc).sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
