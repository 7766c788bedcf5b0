"""Helpers for tests: fill issued forms as a person would, and poke at the saved XML."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from generator.cli import main
from generator.formdefs import FormDefinition, load_definition
from generator.forms.fill import fill_form
from generator.forms.issue import IssuedForm, issue_forms
from generator.workspace import Workspace, init_workspace

from conftest import TODAY


@pytest.fixture(scope="module")
def workspace_per_file(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace for a whole test file, for files whose tests each fill in and read their
    own copy of one issued form and change nothing else (issuing a form for each test took
    most of such a file's time). A file takes it as its `workspace` with
    `workspace = workspace_per_file`, and its form with `design_form = design_form_per_file`."""
    return init_workspace(tmp_path_factory.mktemp("workspace") / "ws", today=TODAY)


@pytest.fixture(scope="module")
def design_form_per_file(workspace: Workspace) -> IssuedForm:
    """The first design form issued in the file's `workspace` (see `workspace_per_file`)."""
    return issue_forms(workspace, "design", today=TODAY).written[0]


def set_setting(ws: Workspace, key: str, value: str) -> Workspace:
    """Change one setting in partnerships.toml as an officer would (`value` in TOML)."""
    import re

    from generator.workspace import open_workspace

    text = ws.config_path.read_text(encoding="utf-8")
    changed, count = re.subn(rf"^{re.escape(key)} = .*$", f"{key} = {value}", text, count=1,
                             flags=re.MULTILINE)
    assert count == 1, f"no setting {key} in {ws.config_path}"
    ws.config_path.write_text(changed, encoding="utf-8")
    return open_workspace(ws.root)


def run_here(ws: Workspace, *args: str) -> Result:
    """`partnerships --workspace WS ARGS` run to its end in the test's process (starting a
    process of its own costs some 0.4 s of imports); it fails the test on any exception but
    SystemExit, which an officer would have seen as a traceback."""
    result = CliRunner().invoke(main, ["--workspace", str(ws.root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    return result


def definition_for(ws: Workspace, form_type: str) -> FormDefinition:
    return load_definition(form_type, framework=ws.framework(), forms_dir=ws.forms_dir)


def complete_answers(ws: Workspace, form_type: str, partnership_id: str) -> dict[str, Any]:
    """A full, valid set of answers for a partnership's form (the demo's example answers)."""
    from generator.demo import example_answers
    from generator.register import read_register

    partnership = read_register(ws.path("register"), ws.framework()).get(partnership_id)
    assert partnership is not None
    return example_answers(definition_for(ws, form_type), partnership)


def fill(ws: Workspace, form: IssuedForm, answers: dict[str, Any], folder: Path | None = None,
         name: str | None = None, **saved: Any) -> Path:
    """Fill an issued form and save it as a returned file (`saved`: fill_form's author and
    modified, as the editor's clock and user name would set them)."""
    definition = definition_for(ws, form.form_type)
    data = fill_form(form.path.read_bytes(), definition, answers, **saved)
    target = (folder or ws.path("returns")) / (name or f"{form.path.stem} (returned).docx")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def document_xml(path: Path) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(path).read("word/document.xml"))


def rewrite_part(path: Path, part: str, change: Callable[[bytes], bytes],
                 target: Path | None = None) -> Path:
    """Copy a .docx with one part changed (as an editor might have changed it).

    Deflated at level 1: a design form is copied in 4.8 ms rather than 8.4 at zipfile's
    usual level 6, as a file of 69 KB rather than 48; no test looks at the size."""
    source = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data)
            zf.writestr(info, data, compresslevel=1)
    destination = target or path
    destination.write_bytes(out.getvalue())
    return destination


def rewrite_document(path: Path, change: Callable[[etree._Element], None],
                     target: Path | None = None) -> Path:
    """Copy a .docx with its document.xml tree changed by `change`."""
    def apply(data: bytes) -> bytes:
        root = etree.fromstring(data)
        change(root)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    return rewrite_part(path, "word/document.xml", apply, target)


HOSTILE_TEXT = [
    "Fish & chips",
    "a < b > c",
    'She said "yes" and \'no\'',
    "{{ p.name }} and {% if x %}",
    "Café, naïve, Zoë, Łódź, 東京",
    "Line one\nLine two\n\nLine four",
    "Tab\tseparated",
    "  leading and trailing spaces  ",
    "]]> <![CDATA[ &amp; &lt;",
]


def take_in(ws: Workspace, forms: list[IssuedForm], by_pid: dict[str, dict[str, Any]]
            ) -> list[str]:
    """Fill the forms of the partnerships in `by_pid` with their answers, collect them, and
    return each outcome."""
    from generator.returns.collect import collect

    paths = [fill(ws, f, by_pid[f.partnership_id]) for f in forms if f.partnership_id in by_pid]
    return [o.outcome for o in collect(ws, paths).outcomes]


def tables(path: Path) -> list[list[list[str]]]:
    """Every table of a Word document as rows of cell texts, as a reader reads them: the
    no-break spaces and hyphens that keep dates and periods on one line read as plain ones."""
    import docx

    def read(text: str) -> str:
        return text.replace("\u00a0", " ").replace("\u2011", "-")

    return [[[read(cell.text) for cell in row.cells] for row in table.rows]
            for table in docx.Document(str(path)).tables]


def table_starting(path: Path, *headers: str) -> list[list[str]]:
    """The first table of a Word document whose header row starts with `headers`."""
    for table in tables(path):
        if tuple(table[0][: len(headers)]) == headers:
            return table
    raise AssertionError(f"no table with headers {headers}")


def pounds(text: str) -> float:
    """An amount as a paper shows it ('£12,500') as a number."""
    return float(text.replace("£", "").replace(",", ""))
