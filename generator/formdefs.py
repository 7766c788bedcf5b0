"""Form definitions: the fields of each form, as data beside the framework.

Each form type has a TOML file in `data/forms/` (the current version) and may keep older
versions in `data/forms/archive/TYPE.vN.toml`, so that a return of an older version is still
read with the definition it was issued with. The form types are the definition files present:
a council that adds `framework/forms/exit.toml` (and its template) has an exit form.
When a definition loads it is checked against the framework (its phase, its scales) and
against what the committee papers read from it (`generator.vocabulary.PAPER_FIELDS`).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from stat import S_ISREG
from typing import Any

from generator.errors import FrameworkError, ToolkitError
from generator.framework import (
    Choice,
    Framework,
    Scale,
    as_typed,
    load_framework,
    read_toml,
)
from generator.register import COLUMNS
from generator.vocabulary import PAPER_FIELDS, PaperField

FORMS_DIR = Path(__file__).parent / "data" / "forms"

SCALAR_TYPES = ("text", "multiline", "choice", "checkbox", "date", "money", "number", "integer",
                "email", "measure")
FIELD_TYPES = (*SCALAR_TYPES, "table")
FOR_EACH = ("principles", "objectives", "design_expectations", "agreement_clauses")
OUT_OF_SCOPE = Choice("out_of_scope", "Out of scope")
REGISTER_COLUMNS = tuple(column.key for column in COLUMNS)

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
    "measure": "Enter a figure.",
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
    prefill_from: tuple[str, ...] = ()
    # The field of that earlier return a table starts from, when its id differs (last
    # year's "actions" starting this year's "last_year_actions").
    prefill_field: str | None = None
    # The register column a box starts with (the monitoring return's budget).
    from_register: str | None = None
    section: str = ""
    # A measure column: a figure read in the unit its row gives in the column named here.
    unit_from: str | None = None
    # A column of a carried-forward table whose answer is carried into the next form (when
    # no column of the table says so, every column is carried).
    carried: bool = False
    # A column holding each row's reference (K1, K2... with `ref_prefix` "K"), given by the
    # toolkit to a row that has none when it is carried forward, and kept from then on.
    ref_prefix: str = ""

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS.get(self.type, "")

    def choice_for(self, text: str) -> Choice | None:
        """The choice whose label or value matches `text`, ignoring case and spacing (as
        `typed_as` compares them); the first such choice when several do."""
        return self._choices_typed.get(as_typed(text))

    @cached_property
    def _choices_typed(self) -> dict[str, Choice]:
        # Every answer of a form looks its choice up: the labels and values are made
        # comparable once, not for each answer.
        found: dict[str, Choice] = {}
        for choice in self.choices:
            found.setdefault(choice.label.casefold(), choice)
            found.setdefault(choice.value.casefold(), choice)
        return found


@dataclass(frozen=True)
class Expected:
    """Which flag of a framework item makes a rule apply, chosen by another answer.

    For the agreement checklist: when the instrument is an MoU, a clause is expected if its
    `mou_expected` flag is set, otherwise if its `mandatory` flag is; `wording` says what
    is expected ("a Memorandum of Understanding") in the message.
    """

    field: str
    by_value: dict[str, tuple[str, str]]  # answer -> (item flag, wording)
    otherwise: tuple[str, str]

    def for_answer(self, answer: Any) -> tuple[str, str]:
        return self.by_value.get(str(answer), self.otherwise)


@dataclass(frozen=True)
class Rule:
    """When field `when` has one of the values `values`, something more is asked.

    Either field `require` must be answered (an error when it is not), or, with `expected`,
    the rule is a `severity` problem whenever the item it was made for (a principle, a
    clause) has the flag `expected` chooses. `item` holds that item's flags.
    """

    when: str
    values: tuple[str, ...]
    require: str | None
    message: str
    severity: str = "error"
    expected: Expected | None = None
    item: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    intro: str
    for_each: str | None
    fields: tuple[Field, ...]
    """The fields as written in the definition: ids and labels still hold {number} etc."""
    rules: tuple[Rule, ...] = ()
    landscape: bool = False  # on pages turned sideways, for tables of many columns
    items: tuple[str, ...] | None = None
    """The ids of the framework entries a repeating section runs over, in order, when not
    all of them: an archived definition keeps the entries it was issued with."""


@dataclass(frozen=True, eq=False)
class FormDefinition:
    type: str
    version: int
    title: str
    phase: str
    purpose: str
    reason: str
    order: int  # its place among the forms of its phase
    per_period: bool  # issued once per monitoring period, not once per council year
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


def items_for(framework: Framework, for_each: str,
              only: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The framework entries a repeating section runs over, as format dictionaries.

    Each holds the entry's number, id and title, and any flags the entry carries
    (an agreement clause's `mandatory`, for example), which rules may test. With `only`,
    just those entries, in that order; entries without a number of their own (clauses,
    expectations) are numbered in that order, so that an archived definition keeps the
    numbers its forms were issued with however the framework's list has grown since.
    """
    if for_each == "principles":
        entries = [{"number": p.number, "id": p.id, "title": p.title}
                   for p in framework.principles]
    elif for_each == "objectives":
        entries = [{"number": o.number, "id": o.id, "title": o.title}
                   for o in framework.objectives]
    else:
        entries = [{**vars(e), "number": i + 1}
                   for i, e in enumerate(getattr(framework, for_each))]
    if only is None:
        return entries
    by_id = {entry["id"]: entry for entry in entries}
    unknown = [item for item in only if item not in by_id]
    if unknown:
        raise FrameworkError(f"{framework.source}: {for_each} has no entry '{unknown[0]}'")
    chosen = [by_id[item] for item in only]
    if for_each in ("principles", "objectives"):
        return chosen
    return [{**entry, "number": i + 1} for i, entry in enumerate(chosen)]


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

    def version(self, form: dict[str, Any]) -> int:
        version = form.get("version")
        if not isinstance(version, int) or version < 1:
            raise self.fail("[form]", "'version' must be a whole number, 1 or more")
        return version

    def phase(self, form: dict[str, Any]) -> str:
        phase = self.text(form, "phase", "[form]")
        phases = [ph.id for ph in self.framework.phases]
        if phase not in phases:
            raise self.fail("[form]", f"phase '{phase}' is not a phase of the framework "
                                      f"({', '.join(phases)})")
        return phase

    def order(self, form: dict[str, Any]) -> int:
        order = form.get("order", 1)
        if not isinstance(order, int) or isinstance(order, bool):
            raise self.fail("[form]", "'order' must be a whole number")
        return order

    def per_period(self, form: dict[str, Any]) -> bool:
        per_period = form.get("per_period", False)
        if not isinstance(per_period, bool):
            raise self.fail("[form]", "'per_period' must be true or false")
        return per_period

    def sections(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        raw_sections = data.get("sections")
        if not isinstance(raw_sections, list) or not raw_sections:
            raise self.fail("sections", "a form needs at least one [[sections]] entry")
        return raw_sections

    def section(self, s: dict[str, Any], where: str) -> Section:
        """A section as written: its fields and rules still hold {number} and the like."""
        sid = self.text(s, "id", where)
        where = f"{where} ('{sid}')"
        for_each = s.get("for_each")
        if for_each is not None and for_each not in FOR_EACH:
            raise self.fail(where, f"for_each must be one of {', '.join(FOR_EACH)}")
        fields = tuple(self.field(f, f"{where} field {j + 1}", sid)
                       for j, f in enumerate(s.get("fields", [])))
        rules = tuple(self.rule(r, f"{where} rule {j + 1}")
                      for j, r in enumerate(s.get("rules", [])))
        landscape = s.get("landscape", False)
        if not isinstance(landscape, bool):
            raise self.fail(where, "'landscape' must be true or false")
        return Section(sid, self.text(s, "title", where), self.text(s, "intro", where, ""),
                       for_each, fields, rules, landscape, self.items(s, for_each, where))

    def items(self, s: dict[str, Any], for_each: str | None, where: str
              ) -> tuple[str, ...] | None:
        items = s.get("items")
        if items is None:
            return None
        if for_each is None:
            raise self.fail(where, "'items' chooses entries for a section with for_each")
        if not isinstance(items, list) or not items or not all(isinstance(i, str)
                                                               for i in items):
            raise self.fail(where, "'items' must be a list of the ids of the entries")
        return tuple(items)

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
            self.check_measures(columns, where)
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
            min_rows=self.whole_number(t, "min_rows", where, default=3, least=0),
            max_length=self.whole_number(t, "max_length", where,
                                         default=DEFAULT_MAX_LENGTH.get(ftype, 500), least=1),
            previous_from=t.get("previous_from"),
            prefill_from=self.prefill_from(t, where),
            prefill_field=self.optional_text(t, "prefill_field", where),
            from_register=self.register_column(t, ftype, where),
            section=section,
            unit_from=self.optional_text(t, "unit_from", where),
            carried=self.flag(t, "carried", where),
            ref_prefix=self.optional_text(t, "ref_prefix", where) or "",
        )

    def whole_number(self, t: dict[str, Any], key: str, where: str, *, default: int,
                     least: int) -> int:
        value = t.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise self.fail(where, f"'{key}' must be a whole number, {least} or more, such as "
                                   f"{default}")
        return value

    def optional_text(self, t: dict[str, Any], key: str, where: str) -> str | None:
        value = t.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise self.fail(where, f"'{key}' must be text")
        return value.strip() if value is not None else None

    def flag(self, t: dict[str, Any], key: str, where: str) -> bool:
        value = t.get(key, False)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false")
        return value

    def prefill_from(self, t: dict[str, Any], where: str) -> tuple[str, ...]:
        """The forms whose latest accepted return a table starts as: one form, or a list
        tried in order ("monitoring", then "design")."""
        value = t.get("prefill_from", [])
        forms = [value] if isinstance(value, str) else value
        if not isinstance(forms, list) or not all(isinstance(f, str) for f in forms):
            raise self.fail(where, "'prefill_from' must be a form type or a list of them")
        return tuple(forms)

    def check_measures(self, columns: tuple[Field, ...], where: str) -> None:
        """A measure column names the column of its row that gives its unit: a choice of the
        framework's `kpi_unit` scale."""
        by_id = {c.id: c for c in columns}
        for column in columns:
            if column.type != "measure":
                continue
            unit = by_id.get(column.unit_from or "")
            if unit is None or unit.scale != "kpi_unit":
                raise self.fail(f"{where} column '{column.id}'",
                                "a measure column needs 'unit_from', naming a column of the "
                                "table that is a choice on the scale 'kpi_unit'")

    def register_column(self, t: dict[str, Any], ftype: str, where: str) -> str | None:
        """The register column a box starts with, checked against the register's columns."""
        column = self.optional_text(t, "from_register", where)
        if column is None:
            return None
        if ftype == "table":
            raise self.fail(where, "a table cannot start from a register column")
        if column not in REGISTER_COLUMNS:
            raise self.fail(where, f"'from_register' is '{column}'; the register's columns are "
                                   f"{', '.join(REGISTER_COLUMNS)}")
        return column

    def rule(self, t: dict[str, Any], where: str) -> Rule:
        values = t.get("in")
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.fail(where, "'in' must be a list of values")
        severity = self.text(t, "severity", where, "error")
        if severity not in ("error", "warning"):
            raise self.fail(where, "'severity' is 'error' (the default) or 'warning'")
        expected = self.expected(t.get("expected_by"), where) if "expected_by" in t else None
        require = self.text(t, "require", where) if expected is None else None
        return Rule(self.text(t, "when", where), tuple(values), require,
                    self.text(t, "message", where), severity, expected)

    def expected(self, t: Any, where: str) -> Expected:
        where = f"{where} expected_by"
        if not isinstance(t, dict):
            raise self.fail(where, "must be a table with 'field', 'otherwise' and one entry "
                                   "per answer, each { flag = ..., as = ... }")

        def choice(value: Any, key: str) -> tuple[str, str]:
            if not isinstance(value, dict):
                raise self.fail(where, f"'{key}' must be {{ flag = ..., as = ... }}")
            return (self.text(value, "flag", f"{where} {key}"),
                    self.text(value, "as", f"{where} {key}"))

        by_value = {key: choice(value, key) for key, value in t.items()
                    if key not in ("field", "otherwise")}
        return Expected(self.text(t, "field", where), by_value,
                        choice(t.get("otherwise"), "otherwise"))


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
    version = p.version(form)
    body = _FormBody(p)
    for i, section in enumerate(p.sections(data)):
        body.add_section(section, f"sections entry {i + 1}")
    body.rules.extend(p.rule(r, f"rules entry {j + 1}")
                      for j, r in enumerate(data.get("rules", [])))
    body.check_rules()
    phase = p.phase(form)
    order = p.order(form)
    per_period = p.per_period(form)
    return FormDefinition(
        type=ftype,
        version=version,
        title=p.text(form, "title", "[form]"),
        phase=phase,
        purpose=p.text(form, "purpose", "[form]", ""),
        reason=p.text(form, "reason", "[form]", ""),
        order=order,
        per_period=per_period,
        sections=tuple(body.sections),
        fields=body.fields,
        rules=tuple(body.rules),
        source=source,
        framework=framework,
    )


class _FormBody:
    """The sections of a definition as written, and its fields and rules as a form has them:
    a repeating section's fields and rules once for each of its framework items."""

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser
        self.sections: list[Section] = []
        self.fields: dict[str, Field] = {}
        self.rules: list[Rule] = []

    def add_section(self, raw: dict[str, Any], where: str) -> None:
        section = self.parser.section(raw, where)
        where = f"{where} ('{section.id}')"
        self.sections.append(section)
        if section.for_each:
            self._add_repeated(section, where)
        else:
            self._add_once(section, where)

    def _add_repeated(self, section: Section, where: str) -> None:
        assert section.for_each is not None
        try:
            items = items_for(self.parser.framework, section.for_each, section.items)
        except FrameworkError as exc:
            raise self.parser.fail(where, str(exc).split(": ", 1)[-1]) from None
        for item in items:
            for f in section.fields:
                self._add(_replace(f, id=_expand(f.id, item), label=_expand(f.label, item)),
                          where)
            self.rules.extend(_replace(r, when=_expand(r.when, item),
                                       require=_expand(r.require, item) if r.require else None,
                                       message=_expand(r.message, item), item=item)
                              for r in section.rules)

    def _add_once(self, section: Section, where: str) -> None:
        for f in section.fields:
            if "{" in f.id:
                raise self.parser.fail(where, f"'{f.id}' uses {{...}} but the section has no "
                                              "for_each")
            self._add(f, where)
        self.rules.extend(section.rules)

    def _add(self, f: Field, where: str) -> None:
        if f.id in self.fields:
            raise self.parser.fail(where, f"duplicate field id '{f.id}'")
        self.fields[f.id] = f

    def check_rules(self) -> None:
        """Every field a rule names is a field of the form; every flag it tests, its item's."""
        for rule in self.rules:
            refs = (rule.when, rule.require, rule.expected.field if rule.expected else None)
            unknown = next((ref for ref in refs if ref is not None and ref not in self.fields),
                           None)
            if unknown is not None:
                raise self.parser.fail("rules", f"rule refers to unknown field '{unknown}'")
            if rule.expected is not None:
                self._check_flags(rule, rule.expected)

    def _check_flags(self, rule: Rule, expected: Expected) -> None:
        for flag, _ in (*expected.by_value.values(), expected.otherwise):
            if flag not in rule.item:
                raise self.parser.fail("rules", f"rule on '{rule.when}' tests '{flag}', which "
                                                "the section's items do not have")


_replace = dataclasses.replace


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
    fw = framework or load_framework()
    path = definition_path(form_type, None, forms_dir)
    stat = _file_stat(path)
    if stat is None:
        raise FrameworkError(unknown_form_type(form_type, forms_dir, fw))
    # Checked once for the papers' fields as it is parsed: every return read asks for it.
    current = _checked_for_papers(_parsed(path, stat, fw))
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


def form_titles(forms_dir: Path | None = None,
                framework: Framework | None = None) -> dict[str, str]:
    """Each form type's title ("Annual review of an existing partnership"), by type; a
    definition that cannot be read is left out (its type is shown instead)."""
    titles = {}
    for form_type in form_types(forms_dir, framework):
        try:
            titles[form_type] = load_definition(form_type, framework=framework,
                                                forms_dir=forms_dir).title
        except ToolkitError:
            continue
    return titles


def form_types(forms_dir: Path | None = None, framework: Framework | None = None) -> list[str]:
    """The form types of a workspace: one per definition file, in the order of the phases.

    Within a phase, forms go by their `order` (then their type); a definition that cannot
    be read goes last, so that loading it reports what is wrong with it.
    """
    folder = forms_dir or FORMS_DIR
    fw = framework or load_framework()
    phase_number = {phase.id: phase.number for phase in fw.phases}

    def place(path: Path) -> tuple[int, int, str]:
        try:
            definition = _load(path, fw)
        except FrameworkError:
            return (len(phase_number) + 1, 0, path.stem)
        return (phase_number.get(definition.phase, 0), definition.order, definition.type)

    return [path.stem for path in sorted(folder.glob("*.toml"), key=place)]


def unknown_form_type(form_type: str, forms_dir: Path | None = None,
                      framework: Framework | None = None) -> str:
    """The message for a form type with no definition: the known ones, and the likely one."""
    known = form_types(forms_dir, framework)
    close = difflib.get_close_matches(form_type.casefold(), known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"'{form_type}' is not a form of this workspace (the forms are {', '.join(known)}){hint}"


def check_paper_fields(definition: FormDefinition) -> None:
    """Refuse a definition that lost a field the committee papers read, naming the paper.

    A renamed field would otherwise make a paper print "Not answered" for every partnership.
    """
    numbers = [p.number for p in definition.framework.principles] if definition.framework \
        else []
    for wanted in PAPER_FIELDS:
        if definition.type not in wanted.forms or definition.version < wanted.since:
            continue
        ids = [wanted.for_principle(n) for n in numbers] if "{number}" in wanted.id \
            else [wanted.id]
        for field_id in ids:
            found = definition.fields.get(field_id)
            problem = _paper_field_problem(found, wanted, definition.version)
            if problem:
                raise FrameworkError(
                    f"{definition.source}: field '{field_id}' ({wanted.meaning}) {problem}; "
                    f"{' and '.join(wanted.papers)} read{'s' if len(wanted.papers) == 1 else ''} "
                    f"it. Give the field back the id '{field_id}' (its label may say anything)")


def _paper_field_problem(found: Field | None, wanted: PaperField, version: int) -> str | None:
    if found is None:
        return "is missing"
    kinds = ("text", "multiline") if wanted.kind == "text" else (wanted.kind,)
    if found.type not in kinds:
        return f"is a {found.type} field, where a {wanted.kind} field is expected"
    missing = [c for c in wanted.columns_in(version)
               if c not in {column.id for column in found.columns}]
    if missing:
        return f"has no column '{missing[0]}'"
    return None


def _load(path: Path, framework: Framework) -> FormDefinition:
    stat = _file_stat(path)
    if stat is None:
        raise FrameworkError(f"{path}: form definition not found")
    return _parsed(path, stat, framework)


def _parsed(path: Path, stat: os.stat_result, framework: Framework) -> FormDefinition:
    # The file's size and time are part of the key, so an edited definition is read again.
    return _load_cached(path, stat.st_mtime_ns, stat.st_size, framework)


def _file_stat(path: Path) -> os.stat_result | None:
    """The file's status, or None when there is no file there (nothing, or a folder)."""
    try:
        stat = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return stat if S_ISREG(stat.st_mode) else None


@lru_cache(maxsize=64)
def _load_cached(path: Path, _mtime: int, _size: int, framework: Framework) -> FormDefinition:
    """The definition in `path`, parsed once whatever it is asked for: `form_types` (which
    every command naming a form calls) and `load_definition` share it."""
    return parse_definition(read_toml(path, "form definition"), path, framework)


@lru_cache(maxsize=64)
def _checked_for_papers(definition: FormDefinition) -> FormDefinition:
    """`definition`, the current one of its form, checked once for the fields the papers read
    (keyed by the parsed definition itself; an error is raised, and not kept, each time it is
    asked for)."""
    check_paper_fields(definition)
    return definition
