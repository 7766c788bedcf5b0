"""A council on LibreOffice restyles a template: LibreOffice saves it, and it still works.

LibreOffice 25.2 writes the quotes inside the {{ ... }} placeholders as XML entities (&apos;)
and drops the repeating-section wrapper around each table's row when it saves a template.
These tests re-save the bundled templates with the real program (about a second each);
conftest skips them when it is missing.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from generator.demo import example_answers
from generator.formdefs import form_types, load_definition
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.forms.template_check import check_template
from generator.office import controls
from generator.register import read_register
from generator.workspace import Workspace, bundled_templates_dir

from conftest import TODAY
from editors.libreoffice import LibreOfficeEditor
from support import definition_for, document_xml, fill

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def resaved(tmp_path_factory: pytest.TempPathFactory,
            libreoffice_editor: LibreOfficeEditor) -> dict[str, Path]:
    """Each bundled template as LibreOffice saves it after a restyle."""
    folder = tmp_path_factory.mktemp("libreoffice-templates")
    return {form_type: libreoffice_editor.save_as(bundled_templates_dir() / f"{form_type}.docx",
                                                  folder / f"{form_type}.docx")
            for form_type in form_types()}


def use_template(workspace: Workspace, template: Path) -> None:
    shutil.copyfile(template, workspace.templates_dir / template.name)


def test_libreoffice_writes_the_quotes_inside_placeholders_as_entities(resaved):
    """What the toolkit has to cope with (measured with LibreOffice 25.2)."""
    raw = zipfile.ZipFile(resaved["review"]).read("word/document.xml")

    assert b"previous[&apos;p&apos; ~ item.number" in raw


@pytest.mark.parametrize("form_type", form_types())
def test_a_template_saved_by_libreoffice_passes_the_check(resaved, form_type):
    findings = check_template(resaved[form_type], load_definition(form_type))

    assert findings == []


@pytest.mark.parametrize("form_type", form_types())
def test_a_form_issued_from_a_template_saved_by_libreoffice_reads_back_every_answer(
        workspace, resaved, form_type):
    use_template(workspace, resaved[form_type])
    form = issue_forms(workspace, form_type, today=TODAY).written[0]
    definition = definition_for(workspace, form_type)
    partnership = read_register(workspace.path("register"), workspace.framework()).get(
        form.partnership_id)
    answers = example_answers(definition, partnership, today=TODAY)

    reading = read_form(fill(workspace, form, answers), framework=workspace.framework(),
                        forms_dir=workspace.forms_dir)

    assert reading.errors == []
    assert reading.answers == answers


def test_a_table_on_a_form_from_a_template_saved_by_libreoffice_starts_with_its_empty_rows(
        workspace, resaved):
    use_template(workspace, resaved["monitoring"])
    form = issue_forms(workspace, "monitoring", today=TODAY).written[0]
    definition = definition_for(workspace, "monitoring")

    root = document_xml(form.path)
    sections = [s for s in root.iter(controls.SDT)
                if controls.tag_of(s) == "issues" and controls.kind_of(s) == "repeating"]

    assert len(sections) == 1
    items = [c for c in sections[0].find(controls.w("sdtContent")) if c.tag == controls.SDT]
    assert len(items) == definition.field("issues").min_rows
