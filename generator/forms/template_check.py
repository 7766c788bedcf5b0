"""Checking a (possibly restyled) Word template against its form definition.

The template is rendered with sample data first, so the check sees what an issued form holds:
controls made by the framework loops (one per principle, clause...) included.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from lxml import etree

from generator.errors import InvalidRequest, TemplateError
from generator.formdefs import Field, FormDefinition, form_types, load_definition
from generator.forms.display import framework_context
from generator.forms.identity import Identity
from generator.forms.render import CompiledTemplate
from generator.framework import Framework
from generator.office import controls
from generator.office.controls import SDT
from generator.office.xml import SAFE_PARSER
from generator.office.zipio import read_part
from generator.register import Partnership

EXPECTED_KIND = {"choice": "dropdown", "checkbox": "checkbox", "date": "date"}

SAMPLE = Partnership(
    id="P000", name="Sample partnership", service_area="Sample service",
    type_id="shared_service", type_label="Shared service", in_scope=True,
    partners=("Sample Borough Council",), host="Sample Borough Council", agreement_type="IAA",
    agreement_date=dt.date(2024, 4, 1), phase="Deliver", bm_name="Sample Person",
    bm_email="sample@example.org", head_of_service="Sample Head",
    hos_email="head@example.org", budget=1000.0,
    contribution=500.0, next_review=None, report_depth="Summary")


def _kind_for(f: Field) -> str:
    return EXPECTED_KIND.get(f.type, "text")


def render_sample(template: Path, definition: FormDefinition) -> etree._Element:
    """The template rendered for a sample partnership, as a document tree."""
    compiled = CompiledTemplate(template, definition)
    framework = definition.framework
    previous = {f.id: "Sample answer (2025/26)" for f in definition.fields.values()
                if f.previous_from}
    context = {**framework_context(framework), "p": SAMPLE.context(),
               "form": {"type": definition.type, "version": definition.version,
                        "title": definition.title, "cycle": "2026/27", "issue": "SAMPLE",
                        "due_text": "Friday 1 January 2027", "period": "Q3 2026/27",
                        "period_text": "Q3 2026/27 (October to December 2026)",
                        "earlier_note": ""},
               "previous": previous,
               "decisions": {"key_decision_threshold": "£100,000"},
               "settings": {"explain_variance": "5% or £25,000"}}
    data = compiled.render(context, Identity(definition.type, definition.version, "P000",
                                             "2026/27", "SAMPLE"))
    return etree.fromstring(read_part(data, "word/document.xml"), SAFE_PARSER)


def check_template(template: Path, definition: FormDefinition) -> list[str]:
    """Every way the template differs from the definition; [] when it matches."""
    try:
        root = render_sample(template, definition)
    except TemplateError as exc:
        return [str(exc)]
    findings: list[str] = []
    by_tag: dict[str, list[etree._Element]] = {}
    for sdt in root.iter(SDT):
        tag = controls.tag_of(sdt)
        if tag is None:
            if controls.kind_of(sdt) != "repeating_item":
                findings.append("a content control has no tag, so its answer cannot be read; "
                                "give it a tag or delete it")
            continue
        by_tag.setdefault(tag, []).append(sdt)
    known: set[str] = set()
    for f in definition.fields.values():
        known.add(f.id)
        if f.type == "table":
            known.update(f"{f.id}.{c.id}" for c in f.columns)
            findings.extend(_check_table(f, by_tag))
            continue
        found = by_tag.get(f.id, [])
        if not found:
            findings.append(f"missing control '{f.id}' ({f.label})")
            continue
        if len(found) > 1:
            findings.append(f"control '{f.id}' ({f.label}) appears {len(found)} times; "
                            "keep exactly one")
        findings.extend(_check_control(f, f.id, found[0]))
    for tag in sorted(set(by_tag) - known):
        findings.append(f"unknown control '{tag}': the {definition.type} form has no such field")
    return findings


def _check_control(f: Field, tag: str, sdt: etree._Element) -> list[str]:
    findings = []
    kind = controls.kind_of(sdt)
    expected = _kind_for(f)
    if kind != expected and not (expected == "text" and kind == "richtext"):
        findings.append(f"control '{tag}' ({f.label}) is a {kind} control; expected {expected}")
    if f.type == "choice" and kind == "dropdown":
        have = [(d, v) for d, v in controls.list_items(sdt)]
        want = [(c.label, c.value) for c in f.choices]
        if have != want:
            findings.append(f"dropdown '{tag}' ({f.label}) offers "
                            f"{', '.join(d for d, _ in have) or 'nothing'}; the definition's "
                            f"choices are {', '.join(d for d, _ in want)}")
    return findings


def _check_table(f: Field, by_tag: dict[str, list[etree._Element]]) -> list[str]:
    findings = []
    sections = [s for s in by_tag.get(f.id, []) if controls.kind_of(s) == "repeating"]
    if not sections:
        findings.append(f"table '{f.id}' ({f.label}) has no repeating-section control, so "
                        "people cannot add rows")
    counts: Counter[str] = Counter()
    for column in f.columns:
        tag = f"{f.id}.{column.id}"
        found = by_tag.get(tag, [])
        counts[tag] = len(found)
        if not found:
            findings.append(f"missing control '{tag}' ({f.label}: {column.label})")
            continue
        findings.extend(_check_control(column, tag, found[0]))
    if len(set(counts.values())) > 1:
        findings.append(f"table '{f.id}' ({f.label}) rows do not all have every column's "
                        "control")
    return findings


def check_template_file(template: Path, form_type: str | None = None, *,
                        forms_dir: Path | None = None, framework: Framework | None = None
                        ) -> tuple[FormDefinition, list[str]]:
    """The definition `template` is checked against, and every way it differs from it.

    The form type is `form_type`, or read from the file name ("review.docx",
    "review-restyled.docx"); InvalidRequest when neither names a form.
    """
    form_type = form_type or template.stem.split(".")[0].split("-")[0]
    if form_type not in form_types(forms_dir, framework):
        raise InvalidRequest(f"cannot tell the form type from '{template.name}'; give --form")
    definition = load_definition(form_type, framework=framework, forms_dir=forms_dir)
    return definition, check_template(template, definition)
