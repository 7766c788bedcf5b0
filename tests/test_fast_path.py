"""The fast paths make the same forms and read the same answers as the straightforward ones.

- A form issued by the toolkit (template compiled once, unchanged parts copied as already
  compressed, listing pass skipped when it would change nothing) holds the same document as a
  plain docxtpl render of the same template and context followed by the same post-processing
  (`fill_controls`); every other part is the template's, byte for byte.
- Forms rendered by worker processes are the same, part by part, as forms rendered in one.
- Answers read by `read_form` are the ones a plain reading finds (python-docx, or zipfile and
  lxml, then the same extraction and validation).

No timings here: the benchmark (`python -m benchmarks`) measures speed.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import jinja2
import pytest
from docx import Document
from docxtpl import DocxTemplate
from lxml import etree

import generator.forms.issue as forms_module
from generator.demo import example_answers
from generator.formdefs import FormDefinition
from generator.forms.display import framework_context
from generator.forms.fill import fill_form
from generator.forms.issue import FormJob, IssuedForm, form_job, issue_forms
from generator.forms.read import extract_answers, read_form, static_lines, static_text
from generator.forms.render import CompiledTemplate, fill_controls
from generator.forms.validate import validate_answers
from generator.office.docprops import CUSTOM_PROPS_PART
from generator.office.safe_open import open_package
from generator.register import Partnership, read_register
from generator.store import Store
from generator.workspace import Workspace, open_workspace

from conftest import TODAY
from support import HOSTILE_TEXT, definition_for

DUE = dt.date(2026, 12, 23)
CORE = "docProps/core.xml"
DOCUMENT = "word/document.xml"
FOOTER = "word/footer1.xml"
# What the toolkit changes on purpose besides the rendered parts: the identity is stamped in
# custom properties (a new part, with its content type and package relationship).
STAMPING = {"[Content_Types].xml", "_rels/.rels", CUSTOM_PROPS_PART}
CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCTERMS = "{http://purl.org/dc/terms/}"


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def canonical(xml: bytes | etree._Element) -> bytes:
    root = etree.fromstring(xml) if isinstance(xml, bytes) else xml
    return etree.tostring(root, method="c14n")


def without_times(core: bytes) -> bytes:
    """core.xml with its created/modified times (the moment of issue) left out."""
    root = etree.fromstring(core)
    for tag in (f"{DCTERMS}created", f"{DCTERMS}modified"):
        for element in root.findall(tag):
            root.remove(element)
    return canonical(root)


def partnerships(ws: Workspace) -> dict[str, Partnership]:
    register = read_register(ws.path("register"), ws.framework())
    return {p.id: p for p in register.partnerships}


def job_for(ws: Workspace, definition: FormDefinition, form: IssuedForm) -> FormJob:
    """The job issue_forms rendered `form` from, rebuilt with the same issue reference."""
    with Store(ws.path("store")) as store:
        return form_job(ws, definition, partnerships(ws)[form.partnership_id], due=DUE,
                        store=store, issue_id=form.issue_id)


def plain_docxtpl(template: Path, context: dict[str, Any], definition: FormDefinition,
                  prefill: dict[str, Any]) -> tuple[dict[str, bytes], etree._Element]:
    """The straightforward path: docxtpl renders and saves, then the toolkit's post-processing
    (`fill_controls`) is applied to the document it saved."""
    doc = DocxTemplate(template)
    doc.render(context, jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined))
    out = io.BytesIO()
    doc.save(out)
    saved = parts(out.getvalue())
    root = etree.fromstring(saved[DOCUMENT])
    fill_controls(root, definition, prefill)
    return saved, root


def assert_same_as_plain_path(template: Path, definition: FormDefinition, job: FormJob,
                              base: dict[str, Any], data: bytes) -> None:
    context = job.full_context(base)
    fast = parts(data)
    plain, plain_document = plain_docxtpl(template, context, definition, job.prefill)
    original = parts(template.read_bytes())

    # The rendered parts: element by element, as canonical XML.
    assert canonical(fast[DOCUMENT]) == canonical(plain_document)
    assert canonical(fast[FOOTER]) == canonical(plain[FOOTER])
    # Every part the toolkit does not render or stamp is the template's, byte for byte...
    assert set(fast) == set(original) | {CUSTOM_PROPS_PART}
    unchanged = set(original) - STAMPING - {DOCUMENT, FOOTER, CORE}
    with zipfile.ZipFile(io.BytesIO(data)) as made, zipfile.ZipFile(template) as source:
        for name in unchanged:
            # Copied as the template holds them: the same compressed bytes, not recompressed.
            ours, theirs = made.getinfo(name), source.getinfo(name)
            assert (ours.compress_type, ours.compress_size, ours.CRC) == \
                (theirs.compress_type, theirs.compress_size, theirs.CRC), name
    for name in unchanged:
        assert fast[name] == original[name], name
        # ... and the same XML as docxtpl's save (python-docx re-serialises some parts).
        if name in plain and name.endswith((".xml", ".rels")):
            assert canonical(fast[name]) == canonical(plain[name]), name
    # Stamping adds the custom properties part and nothing else.
    assert fast["[Content_Types].xml"] == original["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.custom-properties+xml"/></Types>')
    assert etree.fromstring(fast["_rels/.rels"]).xpath(
        "count(//*[@Target='docProps/custom.xml'])") == 1
    custom = etree.fromstring(fast[CUSTOM_PROPS_PART])
    assert {p.get("name"): p.xpath("string()") for p in custom} == job.identity.properties()
    core = etree.fromstring(fast[CORE])
    assert core.findtext(f"{DC}title") == job.title
    assert core.findtext(f"{DC}language") == "en-GB"
    assert core.findtext(f"{DCTERMS}created") == core.findtext(f"{DCTERMS}modified")


def assert_valid_docx(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
    Document(io.BytesIO(data))  # python-docx opens it
    open_package(data, name="form.docx")  # and so does the toolkit's strict opener


@pytest.fixture
def review_forms(workspace: Workspace) -> list[IssuedForm]:
    return issue_forms(workspace, "review", today=TODAY, due=DUE, workers=1).written


def test_issued_forms_match_plain_docxtpl_render_part_by_part(
        workspace: Workspace, review_forms: list[IssuedForm]) -> None:
    definition = definition_for(workspace, "review")
    base = framework_context(workspace.framework())
    template = workspace.templates_dir / "review.docx"
    for form in review_forms[:3]:
        data = form.path.read_bytes()
        assert_valid_docx(data)
        assert_same_as_plain_path(template, definition, job_for(workspace, definition, form),
                                  base, data)


def test_hostile_context_and_escaped_braces_match_plain_docxtpl(
        workspace: Workspace, review_forms: list[IssuedForm], tmp_path: Path) -> None:
    # Tabs and line breaks in the context go through docxtpl's listing pass (which the fast
    # path skips only when there is nothing for it to do); {_{ is docxtpl's escape for {{;
    # a member the template stores uncompressed is copied uncompressed.
    source = workspace.templates_dir / "review.docx"
    template = tmp_path / "review.docx"
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(template, "w",
                                                             zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == DOCUMENT:
                data = data.replace(b"<w:sectPr", b"<w:p><w:r><w:t>Literal {_{ braces }_} and "
                                    b"{_% tags %_}</w:t></w:r></w:p><w:sectPr", 1)
            if info.filename == "word/theme/theme1.xml":
                info.compress_type = zipfile.ZIP_STORED  # a member kept uncompressed is copied so
            out.writestr(info, data)
    definition = definition_for(workspace, "review")
    base = framework_context(workspace.framework())
    job = job_for(workspace, definition, review_forms[0])
    hostile = " | ".join(HOSTILE_TEXT)
    context = {**job.context, "p": {**job.context["p"], "name": hostile, "partners": hostile,
                                    "host": "Form\ffeed and \a bell"}}
    job = FormJob(job.partnership_id, job.identity, context, job.prefill, job.title)
    data = CompiledTemplate(template, definition).render(
        job.full_context(base), job.identity, job.prefill, title=job.title)

    assert_valid_docx(data)
    assert_same_as_plain_path(template, definition, job, base, data)
    text = "\n".join(static_text(data))
    assert "Literal {{ braces }} and {% tags %}" in text
    assert "Fish & chips" in text


def test_static_text_recorded_is_that_of_the_written_form(
        workspace: Workspace, review_forms: list[IssuedForm]) -> None:
    # issue_forms takes it from the tree it rendered instead of parsing the form again.
    with Store(workspace.path("store")) as store:
        for form in review_forms:
            issued = store.issued(form.issue_id)
            assert issued is not None
            assert issued.static_lines == static_text(form.path.read_bytes())


def _forkable() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _numbered_issue_id(form_type: str, partnership_id: str, cycle: str) -> str:
    return f"{partnership_id}-{form_type}-{cycle.replace('/', '')}-000000"


def _issue_in_copy(ws: Workspace, folder: Path, workers: int) -> list[IssuedForm]:
    shutil.copytree(ws.root, folder)
    return issue_forms(open_workspace(folder), "review", today=TODAY, due=DUE,
                       workers=workers).written


def _count_pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of workers of each pool issue_forms starts, from now on."""
    pools: list[int] = []
    real_pool = forms_module.ProcessPoolExecutor

    def counting_pool(*args: Any, **kwargs: Any) -> Any:
        pools.append(kwargs["max_workers"])
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(forms_module, "ProcessPoolExecutor", counting_pool)
    return pools


@pytest.mark.parametrize("start_method", [
    # fork: how Linux starts workers; spawn: how Windows and macOS do (a fresh Python each).
    pytest.param("fork", marks=pytest.mark.skipif(not _forkable(), reason="no fork here")),
    "spawn",
])
def test_forms_rendered_by_worker_processes_are_the_same_part_by_part(
        workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        start_method: str) -> None:
    monkeypatch.setattr(forms_module, "new_issue_id", _numbered_issue_id)
    monkeypatch.setattr(forms_module, "_pool_context",
                        lambda: (multiprocessing.get_context(start_method), 1))
    pools = _count_pools(monkeypatch)
    serial = _issue_in_copy(workspace, tmp_path / "serial", workers=1)
    parallel = _issue_in_copy(workspace, tmp_path / "parallel", workers=2)

    assert pools == [2]
    assert [(f.path.name, f.issue_id, f.partnership_id) for f in serial] == \
        [(f.path.name, f.issue_id, f.partnership_id) for f in parallel]
    assert len(serial) == 5
    for one, other in zip(serial, parallel, strict=True):
        a, b = parts(one.path.read_bytes()), parts(other.path.read_bytes())
        assert list(a) == list(b)
        for name in a:
            if name == CORE:
                assert without_times(a[name]) == without_times(b[name])
            else:
                assert a[name] == b[name], name
    rows = []
    for folder in ("serial", "parallel"):
        with Store(open_workspace(tmp_path / folder).path("store")) as store:
            rows.append([(i.issue_id, i.partnership_id, i.due_date, i.static_text,
                          Path(i.file_path).name) for i in store.all_issued()])
    assert rows[0] == rows[1]


def _worker_dies(job: FormJob) -> tuple[bytes, list[str]]:
    os._exit(3)


@pytest.mark.skipif(not _forkable(), reason="needs the fork start method")
def test_a_worker_dying_leaves_the_rest_to_this_process(
        workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forms_module, "new_issue_id", _numbered_issue_id)
    serial = _issue_in_copy(workspace, tmp_path / "serial", workers=1)
    monkeypatch.setattr(forms_module, "_render_in_worker", _worker_dies)
    monkeypatch.setattr(forms_module, "_pool_context",
                        lambda: (multiprocessing.get_context("fork"), 1))
    pools = _count_pools(monkeypatch)
    recovered = _issue_in_copy(workspace, tmp_path / "recovered", workers=2)

    assert pools == [2]
    assert [f.path.name for f in recovered] == [f.path.name for f in serial]
    for one, other in zip(serial, recovered, strict=True):
        a, b = parts(one.path.read_bytes()), parts(other.path.read_bytes())
        assert a[DOCUMENT] == b[DOCUMENT]


def plain_reading(data: bytes, definition: FormDefinition, *, python_docx: bool
                  ) -> dict[str, Any]:
    """Answers read the straightforward way: open the file with python-docx (or zipfile and
    lxml), then the same extraction and validation as read_form."""
    if python_docx:
        document = Document(io.BytesIO(data)).element
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            document = etree.fromstring(archive.read(DOCUMENT))
    raw, missing, _notes = extract_answers(document, definition)
    answers, _problems = validate_answers(definition, raw, missing)
    return answers


@pytest.mark.parametrize("workers", [1, 2])
def test_answers_read_back_are_those_of_a_plain_reading(
        workspace: Workspace, tmp_path: Path, workers: int) -> None:
    forms = _issue_in_copy(workspace, tmp_path / "copy", workers=workers)
    ws = open_workspace(tmp_path / "copy")
    definition = definition_for(ws, "review")
    by_id = partnerships(ws)
    for seed, form in enumerate(forms[:3]):
        answers = example_answers(definition, by_id[form.partnership_id], seed=seed,
                                  today=TODAY)
        data = fill_form(form.path.read_bytes(), definition, answers)
        reading = read_form(data, framework=ws.framework(), forms_dir=ws.forms_dir)

        assert reading.ok, reading.errors
        assert reading.issue == form.issue_id
        assert reading.answers == plain_reading(data, definition, python_docx=True)
        assert reading.answers == plain_reading(data, definition, python_docx=False)
        assert static_lines(open_package(data).document) == static_text(data)
