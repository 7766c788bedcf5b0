"""The Word templates: built from the definitions, checked against them."""

from __future__ import annotations

import shutil

import pytest

from generator.formdefs import form_types, load_definition
from generator.forms.template_build import build_template
from generator.forms.template_check import check_template
from generator.office import controls
from generator.workspace import bundled_templates_dir

from support import rewrite_document


@pytest.mark.parametrize("form_type", form_types())
def test_the_bundled_templates_pass_the_check(form_type):
    definition = load_definition(form_type)

    findings = check_template(bundled_templates_dir() / f"{form_type}.docx", definition)

    assert findings == []


@pytest.mark.parametrize("form_type", form_types())
def test_the_bundled_templates_are_what_the_builder_makes_now(form_type, tmp_path):
    """A changed definition must come with rebuilt templates (partnerships templates build)."""
    from generator.forms.template_check import render_sample

    built = tmp_path / f"{form_type}.docx"
    built.write_bytes(build_template(load_definition(form_type)))
    definition = load_definition(form_type)

    def tags(path):
        return [controls.tag_of(s) for s in render_sample(path, definition).iter(controls.SDT)]

    assert tags(built) == tags(bundled_templates_dir() / f"{form_type}.docx")


@pytest.fixture
def template_copy(tmp_path):
    path = tmp_path / "explore.docx"
    shutil.copyfile(bundled_templates_dir() / "explore.docx", path)
    return path


def test_the_check_lists_a_missing_control(template_copy):
    def delete_rationale(root):
        for sdt in list(root.iter(controls.SDT)):
            if controls.tag_of(sdt) == "rationale":
                sdt.getparent().remove(sdt)

    rewrite_document(template_copy, delete_rationale)

    findings = check_template(template_copy, load_definition("explore"))

    assert findings == ["missing control 'rationale' (What is the rationale for the "
                        "partnership?)"]


def test_the_check_lists_a_duplicated_control_and_an_unknown_one(template_copy):
    import copy

    def duplicate_and_rename(root):
        for sdt in list(root.iter(controls.SDT)):
            tag = controls.tag_of(sdt)
            if tag == "driver_detail":
                sdt.addnext(copy.deepcopy(sdt))
            if tag == "alignment_comment":
                sdt.find(f"{controls.SDT_PR}/{controls.w('tag')}").set(controls.w("val"),
                                                                      "alignment_notes")

    rewrite_document(template_copy, duplicate_and_rename)

    findings = check_template(template_copy, load_definition("explore"))

    assert "control 'driver_detail' (Who asked, or why now?) appears 2 times; keep exactly " \
           "one" in findings
    assert "missing control 'alignment_comment' (How does it align with the Council " \
           "Strategy?)" in findings
    assert "unknown control 'alignment_notes': the explore form has no such field" in findings


def test_the_check_lists_a_dropdown_whose_choices_differ(template_copy):
    def drop_a_choice(root):
        for sdt in root.iter(controls.SDT):
            if controls.tag_of(sdt) == "recommendation":
                items = sdt.find(f"{controls.SDT_PR}/{controls.w('dropDownList')}")
                items.remove(items[-1])

    rewrite_document(template_copy, drop_a_choice)

    findings = check_template(template_copy, load_definition("explore"))

    assert findings == [
        "dropdown 'recommendation' (Recommendation) offers Proceed to Design, Do not proceed; "
        "the definition's choices are Proceed to Design, Do not proceed, Refer to the Corporate "
        "Governance Board"]


def test_the_check_lists_a_control_of_the_wrong_type(template_copy):
    def make_text(root):
        for sdt in root.iter(controls.SDT):
            if controls.tag_of(sdt) == "completed_on":
                pr = sdt.find(controls.SDT_PR)
                pr.remove(pr.find(controls.w("date")))
                pr.append(pr.makeelement(controls.w("text")))

    rewrite_document(template_copy, make_text)

    findings = check_template(template_copy, load_definition("explore"))

    assert findings == ["control 'completed_on' (Date completed) is a text control; "
                        "expected date"]


def test_a_restyled_template_with_new_wording_and_fonts_still_passes(template_copy):
    from docx import Document
    from docx.shared import Pt

    document = Document(str(template_copy))
    document.styles["Normal"].font.name = "Verdana"
    document.styles["Normal"].font.size = Pt(12)
    document.paragraphs[0].insert_paragraph_before("Mole Valley District Council logo here")
    document.save(str(template_copy))

    assert check_template(template_copy, load_definition("explore")) == []


def test_a_broken_placeholder_is_quoted_with_what_to_do_in_plain_words(template_copy):
    def break_jinja(root):
        for t in root.iter(controls.w("t")):
            if t.text and "{{ p.name }}" in t.text:
                t.text = t.text.replace("{{ p.name }}", "{{ p.name ")
                break

    rewrite_document(template_copy, break_jinja)

    findings = check_template(template_copy, load_definition("explore"))

    assert findings == [
        f'{template_copy}: the text "{{{{ p.name ({{{{ p.id }}}})" in the form has a '
        "placeholder the toolkit cannot read. Placeholders are the names in double curly "
        "brackets, such as {{ p.name }}, and must be kept exactly as they are: retype it in "
        "one go, in Word or LibreOffice, or rebuild the template with 'partnerships templates "
        "build --replace' and restyle it again"]


def test_building_templates_never_replaces_a_restyled_one_unless_asked(workspace):
    from generator.errors import TemplateError
    from generator.forms.template_build import write_template

    path = workspace.path("templates") / "explore.docx"
    restyled = path.read_bytes()

    with pytest.raises(TemplateError, match="was not replaced"):
        write_template(load_definition("explore"), path.parent)
    assert path.read_bytes() == restyled

    write_template(load_definition("explore"), path.parent, replace=True)
    assert check_template(path, load_definition("explore")) == []
