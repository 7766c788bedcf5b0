"""What Word (and LibreOffice) leave inside an answer box must not change the answer.

Each test fills an issued design form, then rewrites the content of one control as an editor
saves it: text split into runs, proofing marks, bookmarks, tracked changes, comments, fields,
wrappers. The answer read back must be the text the person sees with all changes accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from generator.forms.issue import IssuedForm
from generator.forms.read import FormReading, read_form
from generator.office import controls
from generator.office.controls import SDT, SDT_CONTENT
from generator.office.ns import W_NS
from generator.workspace import Workspace

from support import design_form_per_file, fill, rewrite_document, workspace_per_file

CHANGE = 'w:id="{n}" w:author="A. Person" w:date="2026-11-20T10:00:00Z"'


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def field_char(kind: str) -> str:
    return f'<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>'


def instruction(code: str) -> str:
    return f'<w:r><w:instrText xml:space="preserve">{code}</w:instrText></w:r>'


def complex_field(code: str, result: str) -> str:
    return (field_char("begin") + instruction(code) + field_char("separate") + result
            + field_char("end"))


# (content of the control as saved, the answer a person sees)
ARTEFACTS = [
    pytest.param("".join(run(c) for c in "Hello world"), "Hello world", id="one-char-per-run"),
    pytest.param('<w:r w:rsidR="00A1B2C3" w:rsidRPr="00D4E5F6"><w:rPr><w:b/><w:lang w:val="en-GB"/>'
                 '</w:rPr><w:t>Hello</w:t></w:r>' + run(" world"), "Hello world",
                 id="runs-with-formatting-and-rsids"),
    pytest.param(run("Hello ") + '<w:proofErr w:type="spellStart"/>' + run("wrold")
                 + '<w:proofErr w:type="spellEnd"/>', "Hello wrold", id="proofErr"),
    pytest.param('<w:bookmarkStart w:id="0" w:name="_GoBack"/>' + run("Hello")
                 + '<w:bookmarkEnd w:id="0"/>' + run(" world"), "Hello world", id="bookmarks"),
    pytest.param('<w:r><w:lastRenderedPageBreak/><w:t>Hello world</w:t></w:r>', "Hello world",
                 id="lastRenderedPageBreak"),
    pytest.param('<w:r><w:rPr><w:rStyle w:val="PlaceholderText"/></w:rPr></w:r>'
                 + run("Hello world"), "Hello world", id="empty-first-run-libreoffice"),
    pytest.param(run("Hello ") + f"<w:ins {CHANGE.format(n=1)}>" + run("world") + "</w:ins>",
                 "Hello world", id="tracked-insertion-kept"),
    pytest.param(run("Hello ") + f"<w:del {CHANGE.format(n=2)}><w:r><w:delText "
                 'xml:space="preserve">cruel </w:delText></w:r></w:del>' + run("world"),
                 "Hello world", id="tracked-deletion-not-read"),
    pytest.param(f"<w:moveFrom {CHANGE.format(n=3)}>" + run("world ") + "</w:moveFrom>"
                 + run("Hello ") + f"<w:moveTo {CHANGE.format(n=4)}>" + run("world")
                 + "</w:moveTo>", "Hello world", id="tracked-move"),
    pytest.param(run("Hello ") + '<w:commentRangeStart w:id="5"/>' + run("world")
                 + '<w:commentRangeEnd w:id="5"/><w:r><w:rPr><w:rStyle w:val="CommentReference"/>'
                 '</w:rPr><w:commentReference w:id="5"/></w:r>', "Hello world", id="comment"),
    pytest.param("<w:r><w:t>Hello</w:t><w:br/><w:t>world</w:t></w:r>", "Hello\nworld",
                 id="br-line-break"),
    pytest.param("<w:r><w:t>Hello</w:t><w:cr/><w:t>world</w:t></w:r>", "Hello\nworld",
                 id="cr-line-break"),
    pytest.param(run("Hello") + "<w:r><w:br/></w:r>" + run("world"), "Hello\nworld",
                 id="br-in-its-own-run"),
    pytest.param("<w:r><w:t>Hello</w:t><w:tab/><w:t>world</w:t></w:r>", "Hello\tworld",
                 id="tab"),
    pytest.param(run("Hello ") + '<w:fldSimple w:instr=" DOCPROPERTY Place \\* MERGEFORMAT ">'
                 + run("world") + "</w:fldSimple>", "Hello world", id="simple-field"),
    pytest.param(run("Hello ") + complex_field(" DOCPROPERTY Place ", run("world")),
                 "Hello world", id="complex-field-result-only"),
    pytest.param(run("Hello ") + complex_field(" DATE \\@ \"d MMMM\" ", run("wor") + run("ld")),
                 "Hello world", id="complex-field-result-in-many-runs"),
    pytest.param(run("Hello ") + complex_field(
        " DOCPROPERTY Place ", f"<w:ins {CHANGE.format(n=6)}>" + run("world") + "</w:ins>"),
        "Hello world", id="complex-field-result-in-tracked-insertion"),
    pytest.param(run("Hello ") + field_char("begin") + instruction(" IF ")
                 + complex_field(" DOCPROPERTY Place ", run("Dorking"))
                 + instruction(' = "Dorking" "world" "elsewhere" ') + field_char("separate")
                 + run("world") + field_char("end"), "Hello world",
                 id="nested-field-only-outer-result"),
    pytest.param(run("Hello ") + '<w:smartTag w:uri="urn:schemas-microsoft-com:office:smarttags" '
                 'w:element="place">' + run("world") + "</w:smartTag>", "Hello world",
                 id="smartTag"),
    pytest.param('<w:customXml w:element="greeting">' + run("Hello world") + "</w:customXml>",
                 "Hello world", id="customXml"),
    pytest.param(run("Hello ") + '<w:hyperlink w:anchor="_Top">' + run("world")
                 + "</w:hyperlink>", "Hello world", id="hyperlink"),
    pytest.param(run("Hello world") + '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/>'
                 '</w:rPr><w:footnoteReference w:id="1"/></w:r>', "Hello world",
                 id="footnote-reference"),
    pytest.param('<w:permStart w:id="7" w:edGrp="everyone"/>' + run("Hello world")
                 + '<w:permEnd w:id="7"/>', "Hello world", id="editing-permission"),
    pytest.param("<w:r><w:t>Hello wor</w:t><w:softHyphen/><w:t>ld</w:t></w:r>", "Hello world",
                 id="optional-hyphen"),
    pytest.param("<w:r><w:t>Hello</w:t><w:noBreakHyphen/><w:t>world</w:t></w:r>",
                 "Hello\u2011world", id="non-breaking-hyphen"),
    pytest.param(run("Click or tap ") + run("here to enter text."), None,
                 id="placeholder-split-without-its-flag"),
]


def replace_content(tag: str, xml: str, index: int = 0) -> Callable[[etree._Element], None]:
    """A rewrite_document callback putting `xml` into the control tagged `tag`."""
    def change(root: etree._Element) -> None:
        sdt = [s for s in root.iter(SDT) if controls.tag_of(s) == tag][index]
        content = sdt.find(SDT_CONTENT)
        for child in list(content):
            content.remove(child)
        wrapper = etree.fromstring(f'<w:sdtContent xmlns:w="{W_NS}">{xml}</w:sdtContent>')
        content.extend(list(wrapper))
    return change


# One workspace and design form for the whole file (see support.workspace_per_file).
workspace = workspace_per_file
design_form = design_form_per_file


def read_after(ws: Workspace, path: Path, change: Callable[[etree._Element], None]
               ) -> FormReading:
    edited = rewrite_document(path, change, target=path.with_name("edited.docx"))
    return read_form(edited, framework=ws.framework(), forms_dir=ws.forms_dir)


@pytest.mark.parametrize(("xml", "expected"), ARTEFACTS)
def test_artefact_in_a_text_control_keeps_the_answer(workspace: Workspace,
                                                     design_form: IssuedForm, xml: str,
                                                     expected: str | None) -> None:
    path = fill(workspace, design_form, {"decision_body": "typed before the editor saved"})

    reading = read_after(workspace, path, replace_content("decision_body", xml))

    assert reading.answers["decision_body"] == expected


@pytest.mark.parametrize(("xml", "expected"), ARTEFACTS)
def test_artefact_in_a_table_cell_keeps_the_answer(workspace: Workspace,
                                                   design_form: IssuedForm, xml: str,
                                                   expected: str | None) -> None:
    rows = [{"partner": "Mole Valley", "amount": 100}, {"partner": "typed before", "amount": 200}]
    path = fill(workspace, design_form, {"contributions": rows})

    reading = read_after(workspace, path, replace_content("contributions.partner", xml, index=1))

    assert [r["partner"] for r in reading.answers["contributions"]] == ["Mole Valley", expected]


def test_artefacts_in_a_dropdown_keep_the_choice(workspace: Workspace,
                                                 design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"recommendation": "more_work"})
    split = ('<w:proofErr w:type="gramStart"/>' + run("More design ")
             + '<w:bookmarkStart w:id="9" w:name="x"/>' + run("work needed")
             + '<w:bookmarkEnd w:id="9"/>')

    reading = read_after(workspace, path, replace_content("recommendation", split))

    assert reading.answers["recommendation"] == "more_work"


def test_artefacts_in_a_money_control_keep_the_amount(workspace: Workspace,
                                                      design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"setup_cost": 12500})
    split = run("£12") + f"<w:ins {CHANGE.format(n=8)}>" + run(",5") + "</w:ins>" + run("00")

    reading = read_after(workspace, path, replace_content("setup_cost", split))

    assert reading.answers["setup_cost"] == 12500
