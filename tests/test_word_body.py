"""The Word layer's constant-time body helpers give exactly the document python-docx gives."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocumentObject
from docx.oxml.ns import qn
from docx.shared import Cm

from generator.office import charts
from generator.office import word as paper


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
