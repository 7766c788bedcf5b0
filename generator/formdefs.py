"""Form definitions: the fields of each form, as data beside the framework.

Each form type has a TOML file in `data/forms/` (the current version) and may keep older
versions in `data/forms/archive/TYPE.vN.toml`, so that a return of an older version is still
read with the definition it was issued with.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import FrameworkError
from generator.framework import Choice, Framework, Scale, load_framework

FORMS_DIR = Path(__file__).parent / "data" / "forms"
FORM_TYPES = ("explore", "design", "agreement", "review", "monitoring")

SCALAR_TYPES = ("text", "multiline", "choice", "checkbox", "date", "money", "number", "integer",
                "email")
FIELD_TYPES = (*SCALAR_TYPES, "table")
FOR_EACH = ("principles", "objectives", "design_expectations", "agreement_clauses")
OUT_OF_SCOPE = Choice("out_of_scope", "Out of scope")

# The text a content control shows until it is answered. The reader treats these as empty
# even when an editor has lost the "showing placeholder" flag.
PLACEHOLDERS = {
    "text": "Click or tap here to enter text.",
    "multiline": "Click or tap here to enter text.",
    "email": "Enter an email address.",
    "money": "Enter an amount in £.",
    "number": "Enter a number.",
    "integer": "Enter a whole number.",
    "date": "Click or tap to enter a date.",
    "choice": "Choose an item.",
}
DEFAULT_MAX_LENGTH = {"text": 500, "multiline": 20000}


@dataclass(frozen=True)
class Field:
    """One answer on a form (a content control), or a table of them."""

    id: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    scale: str | None = None
    choices: tuple[Choice, ...] = ()
    columns: tuple[Field, ...] = ()
    min_rows: int = 3
    max_length: int = 20000
    previous_from: str | None = None
    prefill_from: str | None = None
    section: str = ""

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS.get(self.type, "")

    def choice_for(self, text: str) -> Choice | None:
        """The choice whose label or value matches `text`, ignoring case and spacing."""
        wanted = " ".join(text.split()).casefold()
        for choice in self.choices:
            if wanted in (choice.label.casefold(), choice.value.casefold()):
                return choice
        return None


@dataclass(frozen=True)
class Rule:
    """When field `when` has one of the values `values`, field `require` must be answered."""

    when: str
    values: tuple[str, ...]
    require: str
    message: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    for_each: str | None
    fields: tuple[Field, ...]
    """The fields as written in the definition: ids and labels still hold {number} etc."""
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, eq=False)
class FormDefinition:
    type: str
    version: int
    title: str
    phase: str
    purpose: str
    reason: str
    sections: tuple[Section, ...]
    fields: dict[str, Field]
    """Every field with ids and labels filled from the framework, in form order."""
    rules: tuple[Rule, ...]
    source: Path
    framework: Framework = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def field(self, field_id: str) -> Field | None:
        return self.fields.get(field_id)

    @property
    def tables(self) -> list[Field]:
        return [f for f in self.fields.values() if f.type == "table"]


def scope_scale(framework: Framework) -> Scale:
    """The partnership types a form offers: the in-scope types, then 'Out of scope'."""
    choices = tuple(Choice(s.id, s.label) for s in framework.in_scope) + (OUT_OF_SCOPE,)
    return Scale("scope_type", "Type of partnership", choices)


def items_for(framework: Framework, for_each: str) -> list[dict[str, Any]]:
    """The framework entries a repeating section runs over, as format dictionaries."""
    if for_each == "principles":
        return [{"number": p.number, "id": p.id, "title": p.title} for p in framework.principles]
    if for_each == "objectives":
        return [{"number": o.number, "id": o.id, "title": o.title} for o in framework.objectives]
    entries = getattr(framework, for_each)
    return [{"number": i + 1, "id": e.id, "title": e.title} for i, e in enumerate(entries)]


def _expand(text: str, item: dict[str, Any]) -> str:
    return re.sub(r"\{(number|id|title)\}", lambda m: str(item[m.group(1)]), text)


class _Parser:
    def __init__(self, source: Path, framework: Framework) -> None:
        self.source = source
        self.framework = framework

    def fail(self, where: str, message: str) -> FrameworkError:
        return FrameworkError(f"{self.source}: {where}: {message}")

    def text(self, table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(where, f"'{key}' is missing or empty")
        return value.strip()

    def field(self, t: dict[str, Any], where: str, section: str) -> Field:
        if not isinstance(t, dict):
            raise self.fail(where, "must be a table with id, label and type")
        field_id = self.text(t, "id", where)
        where = f"{where} ('{field_id}')"
        if not re.fullmatch(r"[a-z][a-z0-9_{}]*", field_id):
            raise self.fail(where, "ids are lower-case letters, digits and underscores")
        ftype = self.text(t, "type", where)
        if ftype not in FIELD_TYPES:
            raise self.fail(where, f"type '{ftype}' is not one of {', '.join(FIELD_TYPES)}")
        scale = t.get("scale")
        choices: tuple[Choice, ...] = ()
        if ftype == "choice":
            if not isinstance(scale, str):
                raise self.fail(where, "a choice field needs 'scale' (a scale of the framework)")
            if scale == "scope_type":
                choices = scope_scale(self.framework).choices
            elif scale in self.framework.scales:
                choices = self.framework.scales[scale].choices
            else:
                raise self.fail(where, f"scale '{scale}' is not in {self.framework.source.name}")
        columns: tuple[Field, ...] = ()
        if ftype == "table":
            raw_columns = t.get("columns")
            if not isinstance(raw_columns, list) or not raw_columns:
                raise self.fail(where, "a table needs 'columns'")
            columns = tuple(
                self.field(c, f"{where} column {i + 1}", section) for i, c in enumerate(raw_columns)
            )
            if any(c.type == "table" for c in columns):
                raise self.fail(where, "a table cannot contain a table")
            _unique([c.id for c in columns], lambda d: self.fail(where, f"duplicate column '{d}'"))
        required = t.get("required", False)
        if not isinstance(required, bool):
            raise self.fail(where, "'required' must be true or false")
        return Field(
            id=field_id,
            label=self.text(t, "label", where),
            type=ftype,
            required=required,
            help=self.text(t, "help", where, default=""),
            scale=scale if isinstance(scale, str) else None,
            choices=choices,
            columns=columns,
            min_rows=int(t.get("min_rows", 3)),
            max_length=int(t.get("max_length", DEFAULT_MAX_LENGTH.get(ftype, 500))),
            previous_from=t.get("previous_from"),
            prefill_from=t.get("prefill_from"),
            section=section,
        )

    def rule(self, t: dict[str, Any], where: str) -> Rule:
        values = t.get("in")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.fail(where, "'in' must be a list of values")
        return Rule(self.text(t, "when", where), tuple(values), self.text(t, "require", where),
                    self.text(t, "message", where))


def _unique(values: list[str], error: Any) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise error(value)
        seen.add(value)


def parse_definition(data: dict[str, Any], source: Path, framework: Framework) -> FormDefinition:
    """Validate a form definition read from TOML and expand it against the framework."""
    p = _Parser(source, framework)
    form = data.get("form")
    if not isinstance(form, dict):
        raise p.fail("[form]", "missing: it gives the form's type, version and title")
    ftype = p.text(form, "type", "[form]")
    version = form.get("version")
    if not isinstance(version, int) or version < 1:
        raise p.fail("[form]", "'version' must be a whole number, 1 or more")
    sections: list[Section] = []
    fields: dict[str, Field] = {}
    rules: list[Rule] = []

    def add(f: Field, where: str) -> None:
        if f.id in fields:
            raise p.fail(where, f"duplicate field id '{f.id}'")
        fields[f.id] = f

    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        raise p.fail("sections", "a form needs at least one [[sections]] entry")
    for i, s in enumerate(raw_sections):
        where = f"sections entry {i + 1}"
        sid = p.text(s, "id", where)
        where = f"{where} ('{sid}')"
        for_each = s.get("for_each")
        if for_each is not None and for_each not in FOR_EACH:
            raise p.fail(where, f"for_each must be one of {', '.join(FOR_EACH)}")
        raw_fields = s.get("fields", [])
        sfields = tuple(p.field(f, f"{where} field {j + 1}", sid) for j, f in enumerate(raw_fields))
        srules = tuple(p.rule(r, f"{where} rule {j + 1}") for j, r in enumerate(s.get("rules", [])))
        sections.append(Section(sid, p.text(s, "title", where), p.text(s, "intro", where, ""),
                                for_each, sfields, srules))
        if for_each:
            for item in items_for(framework, for_each):
                for f in sfields:
                    add(_replace(f, id=_expand(f.id, item), label=_expand(f.label, item)), where)
                rules.extend(
                    Rule(_expand(r.when, item), r.values, _expand(r.require, item), r.message)
                    for r in srules
                )
        else:
            for f in sfields:
                if "{" in f.id:
                    raise p.fail(where, f"'{f.id}' uses {{...}} but the section has no for_each")
                add(f, where)
            rules.extend(srules)
    rules.extend(p.rule(r, f"rules entry {j + 1}") for j, r in enumerate(data.get("rules", [])))
    for rule in rules:
        for ref in (rule.when, rule.require):
            if ref not in fields:
                raise p.fail("rules", f"rule refers to unknown field '{ref}'")
    return FormDefinition(
        type=ftype,
        version=version,
        title=p.text(form, "title", "[form]"),
        phase=p.text(form, "phase", "[form]"),
        purpose=p.text(form, "purpose", "[form]", ""),
        reason=p.text(form, "reason", "[form]", ""),
        sections=tuple(sections),
        fields=fields,
        rules=tuple(rules),
        source=source,
        framework=framework,
    )


def _replace(f: Field, **changes: Any) -> Field:
    from dataclasses import replace

    return replace(f, **changes)


def definition_path(form_type: str, version: int | None = None,
                    forms_dir: Path | None = None) -> Path:
    """Where the definition of a form type (and optionally an older version) lives."""
    folder = forms_dir or FORMS_DIR
    if version is None:
        return folder / f"{form_type}.toml"
    return folder / "archive" / f"{form_type}.v{version}.toml"


def load_definition(form_type: str, version: int | None = None, *,
                    framework: Framework | None = None,
                    forms_dir: Path | None = None) -> FormDefinition:
    """Load a form definition: the current one, or an archived earlier version.

    Asking for the current version number returns the current definition.
    """
    if form_type not in FORM_TYPES:
        raise FrameworkError(
            f"unknown form type '{form_type}'; the form types are {', '.join(FORM_TYPES)}"
        )
    fw = framework or load_framework()
    current = _load(definition_path(form_type, None, forms_dir), fw)
    if version is None or version == current.version:
        return current
    archived = definition_path(form_type, version, forms_dir)
    if version > current.version:
        raise FrameworkError(
            f"the form is version {version} of the {form_type} form, newer than the version "
            f"this workspace knows ({current.version}); update the toolkit and the workspace's "
            "form definitions, then take it in again"
        )
    if not archived.exists():
        raise FrameworkError(
            f"version {version} of the {form_type} form is no longer supported (the current "
            f"version is {current.version}); issue a new form with "
            f"'partnerships forms {form_type} --id ID' and ask for it to be completed again"
        )
    return _load(archived, fw)


def _load(path: Path, framework: Framework) -> FormDefinition:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise FrameworkError(f"{path}: form definition not found") from None
    # The file's size and time are part of the key, so an edited definition is read again.
    return _load_cached(path, stat.st_mtime_ns, stat.st_size, framework)


@lru_cache(maxsize=64)
def _load_cached(path: Path, _mtime: int, _size: int, framework: Framework) -> FormDefinition:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(f"{path}: form definition not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{path}: not valid TOML: {exc}") from None
    return parse_definition(data, path, framework)
