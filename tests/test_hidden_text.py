"""Text formatted as hidden is not part of an answer.

Word and LibreOffice do not show (or print) text formatted as hidden: w:vanish in a run's own
properties, or in its character style. A person can hide text in a box by accident (Ctrl+Shift+H
in Word) or leave an old answer hidden in it; the answer is only what the box shows. Each test
fills an issued design form, then rewrites a control's content as Word saves hidden text.
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

from support import design_form_per_file, fill, rewrite_document, rewrite_part, workspace_per_file


def run(text: str, properties: str = "") -> str:
    return f'<w:r><w:rPr>{properties}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


def hidden(text: str) -> str:
    return run(text, "<w:vanish/>")


def styled(text: str, style: str) -> str:
    return run(text, f'<w:rStyle w:val="{style}"/>')


# One workspace and design form for the whole file (see support.workspace_per_file).
workspace = workspace_per_file
design_form = design_form_per_file


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


def read_after(ws: Workspace, path: Path, change: Callable[[etree._Element], None]
               ) -> FormReading:
    edited = rewrite_document(path, change, target=path.with_name("edited.docx"))
    return read_form(edited, framework=ws.framework(), forms_dir=ws.forms_dir)


def with_character_styles(path: Path, styles_xml: str) -> None:
    """Add character styles to the file's styles part, as Word saves them."""
    def add(data: bytes) -> bytes:
        root = etree.fromstring(data)
        wrapper = etree.fromstring(f'<w:styles xmlns:w="{W_NS}">{styles_xml}</w:styles>')
        root.extend(list(wrapper))
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    rewrite_part(path, "word/styles.xml", add)


@pytest.mark.parametrize(("xml", "expected"), [
    pytest.param(run("Joint ") + hidden("shadow ") + run("committee"), "Joint committee",
                 id="hidden-run-left-out"),
    pytest.param(hidden("Cabinet") + run("Joint committee"), "Joint committee",
                 id="old-answer-hidden-before-the-new"),
    pytest.param(run("Joint ") + run("committee", '<w:vanish w:val="0"/>'), "Joint committee",
                 id="vanish-switched-off-is-shown"),
    pytest.param(run("Joint ") + '<w:ins w:id="1" w:author="A. Person">' + hidden("secret ")
                 + run("committee") + "</w:ins>", "Joint committee",
                 id="hidden-inside-a-tracked-insertion"),
    pytest.param(hidden("Cabinet"), None, id="only-hidden-text-is-no-answer"),
])
def test_hidden_text_in_a_text_control_is_not_part_of_the_answer(
        workspace: Workspace, design_form: IssuedForm, xml: str, expected: str | None) -> None:
    path = fill(workspace, design_form, {"decision_body": "typed before"})

    reading = read_after(workspace, path, replace_content("decision_body", xml))

    assert reading.answers["decision_body"] == expected


def test_hidden_text_in_a_table_cell_is_not_part_of_the_answer(
        workspace: Workspace, design_form: IssuedForm) -> None:
    rows = [{"partner": "typed before", "amount": 100}]
    path = fill(workspace, design_form, {"contributions": rows})

    reading = read_after(workspace, path, replace_content(
        "contributions.partner", run("Mole ") + hidden("Hill ") + run("Valley")))

    assert [r["partner"] for r in reading.answers["contributions"]] == ["Mole Valley"]


def test_hidden_old_date_beside_the_shown_date_is_not_read(
        workspace: Workspace, design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"completed_on": "2026-11-04"})

    reading = read_after(workspace, path,
                         replace_content("completed_on", hidden("04/11/2026") + run("5/11/2026")))

    assert reading.answers["completed_on"] == "2026-11-05"


def test_hidden_text_in_a_dropdown_leaves_the_choice(workspace: Workspace,
                                                     design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"recommendation": "more_work"})

    reading = read_after(workspace, path, replace_content(
        "recommendation", run("More design ") + hidden("(maybe) ") + run("work needed")))

    assert reading.answers["recommendation"] == "more_work"


def test_field_opened_in_a_hidden_run_still_hides_its_code(
        workspace: Workspace, design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"decision_body": "typed before"})
    begin = '<w:r><w:rPr><w:vanish/></w:rPr><w:fldChar w:fldCharType="begin"/></w:r>'
    code = '<w:r><w:instrText xml:space="preserve"> DOCPROPERTY Body </w:instrText></w:r>'
    rest = ('<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + run("Joint committee")
            + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')

    reading = read_after(workspace, path, replace_content("decision_body", begin + code + rest))

    assert reading.answers["decision_body"] == "Joint committee"


HIDDEN_STYLES = (
    '<w:style w:type="character" w:customStyle="1" w:styleId="Secret"><w:name w:val="Secret"/>'
    '<w:rPr><w:vanish/></w:rPr></w:style>'
    '<w:style w:type="character" w:customStyle="1" w:styleId="SecretNote">'
    '<w:name w:val="Secret note"/><w:basedOn w:val="Secret"/><w:rPr><w:i/></w:rPr></w:style>'
    '<w:style w:type="character" w:customStyle="1" w:styleId="Revealed">'
    '<w:name w:val="Revealed"/><w:basedOn w:val="Secret"/><w:rPr><w:vanish w:val="0"/></w:rPr>'
    '</w:style>'
)


@pytest.mark.parametrize(("xml", "expected"), [
    pytest.param(run("Joint ") + styled("shadow ", "Secret") + run("committee"),
                 "Joint committee", id="style-hides"),
    pytest.param(run("Joint ") + styled("shadow ", "SecretNote") + run("committee"),
                 "Joint committee", id="style-based-on-a-hiding-style-hides"),
    pytest.param(run("Joint ") + styled("committee", "Revealed"), "Joint committee",
                 id="style-switching-vanish-off-shows"),
    pytest.param(run("Joint ") + run("committee", '<w:rStyle w:val="Secret"/>'
                                    '<w:vanish w:val="0"/>'),
                 "Joint committee", id="run-switching-off-its-hiding-style-shows"),
])
def test_text_hidden_by_its_character_style_is_not_part_of_the_answer(
        workspace: Workspace, design_form: IssuedForm, xml: str, expected: str) -> None:
    path = fill(workspace, design_form, {"decision_body": "typed before"})
    with_character_styles(path, HIDDEN_STYLES)

    reading = read_after(workspace, path, replace_content("decision_body", xml))

    assert reading.answers["decision_body"] == expected


def test_character_styles_based_on_each_other_in_a_loop_hide_nothing() -> None:
    styles = etree.fromstring(
        f'<w:styles xmlns:w="{W_NS}">'
        '<w:style w:type="character" w:styleId="A"><w:basedOn w:val="B"/></w:style>'
        '<w:style w:type="character" w:styleId="B"><w:basedOn w:val="A"/></w:style>'
        '</w:styles>')

    assert controls.hidden_character_styles(styles) == frozenset()



def test_damaged_styles_part_hides_nothing_and_the_answers_still_read(
        workspace: Workspace, design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"decision_body": "Joint committee"})
    rewrite_part(path, "word/styles.xml", lambda data: data[: len(data) // 2])

    reading = read_form(path, framework=workspace.framework(), forms_dir=workspace.forms_dir)

    assert reading.answers["decision_body"] == "Joint committee"


def test_styles_part_with_a_dtd_refuses_the_form(workspace: Workspace,
                                                 design_form: IssuedForm) -> None:
    path = fill(workspace, design_form, {"decision_body": "Joint committee"})
    rewrite_part(path, "word/styles.xml", lambda data: data.replace(
        b"<w:styles ", b'<!DOCTYPE w:styles [<!ENTITY x "y">]><w:styles ', 1))

    reading = read_form(path, framework=workspace.framework(), forms_dir=workspace.forms_dir)

    assert len(reading.problems) == 1
    assert reading.problems[0].severity == "error"
    assert "word/styles.xml declares a DTD" in reading.problems[0].message
    assert reading.answers == {}
