"""The forms the tool issues pass its own accessibility check (`report check`)."""

from __future__ import annotations

import pytest

from generator.formdefs import form_types
from generator.forms.issue import issue_forms
from generator.office.accessibility import check_paper
from generator.workspace import Workspace

from conftest import TODAY


def _one_form_of_each_type(ws: Workspace):
    for form_type in form_types(ws.forms_dir, ws.framework()):
        written = issue_forms(ws, form_type, today=TODAY).written
        if written:
            yield form_type, written[0].path


def test_every_issued_form_passes_the_accessibility_check(workspace):
    checked = dict(_one_form_of_each_type(workspace))

    assert len(checked) >= 4
    assert {t: check_paper(path) for t, path in checked.items()} == {t: [] for t in checked}


@pytest.mark.parametrize("form_type", ["explore", "review"])
def test_an_issued_form_is_in_british_english(workspace, form_type):
    import zipfile

    form = issue_forms(workspace, form_type, today=TODAY).written[0]
    with zipfile.ZipFile(form.path) as package:
        styles = package.read("word/styles.xml").decode("utf-8")

    assert 'w:lang w:val="en-GB"' in styles
