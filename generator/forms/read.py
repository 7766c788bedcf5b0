"""Reading a returned form: its identity, the answers in its content controls, its problems.

Answers are found by the controls' tags, wherever an editor moved them: Word may split runs
or add bookmarks and tracked changes; LibreOffice drops the repeating-section wrapper of
tables and adds empty runs. An answer is what the document shows: hidden text is not part of
it, and a date control's shown date wins over the date stored with it, which LibreOffice keeps
when a person retypes or deletes the date. Rows are found by the table row (w:tr) holding
tagged cells, so a table reads the same with or without its wrapper; rows a person added
without controls are read by column position, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from generator.errors import DamagedFile, FrameworkError, UnreadableFile
from generator.formdefs import Field, FormDefinition, load_definition
from generator.forms.identity import Identity, identity_of
from generator.forms.validate import Problem, validate_answers
from generator.framework import Framework
from generator.memo import Memo
from generator.money import VarianceLimit
from generator.office import controls
from generator.office.controls import SDT
from generator.office.ns import w
from generator.office.safe_open import WordPackage, open_package
from generator.office.xml import SAFE_PARSER
from generator.office.zipio import read_part

GENERIC_PLACEHOLDERS = {"Click or tap here to enter text.", "Click here to enter text.",
                        "Choose an item.", "Click or tap to enter a date.",
                        "Click here to enter a date."}


@dataclass
class FormReading:
    """What was read from one file."""

    file: str
    form: str | None = None
    version: int | None = None
    partnership: str | None = None
    issue: str | None = None
    cycle: str | None = None
    period: str | None = None
    answers: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    sha256: str = ""
    modified: str | None = None
    modified_by: str | None = None
    application: str | None = None
    definition: FormDefinition | None = field(default=None, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The stable machine-readable shape documented in the README."""
        return {
            "file": self.file,
            "form": self.form,
            "version": self.version,
            "partnership": self.partnership,
            "issue": self.issue,
            "cycle": self.cycle,
            "answers": self.answers,
            "problems": [p.to_json() for p in self.problems],
        }


def _problem(message: str, field_id: str = "", label: str = "") -> Problem:
    return Problem(field_id, label or "Form", message)


def read_form(source: Path | bytes, *, name: str | None = None,
              framework: Framework | None = None, forms_dir: Path | None = None,
              identity: Identity | None = None, variance: VarianceLimit | None = None
              ) -> FormReading:
    """Read one returned form. Never raises for a bad file: problems say what is wrong.

    `variance`: the workspace's threshold past which a forecast's variance must be explained.
    """
    label = name or (str(source) if isinstance(source, Path) else "form.docx")
    try:
        package = open_package(source, name=label)
    except UnreadableFile as exc:
        return FormReading(file=label, problems=[_problem(str(exc))])
    return read_package(package, label, framework=framework, forms_dir=forms_dir,
                        identity=identity, variance=variance)


def read_package(package: WordPackage, label: str, *, framework: Framework | None = None,
                 forms_dir: Path | None = None, identity: Identity | None = None,
                 variance: VarianceLimit | None = None) -> FormReading:
    """Read a form from a package already opened safely."""
    reading = FormReading(file=label)
    reading.sha256 = package.sha256
    reading.modified = package.core_properties.get("modified")
    reading.modified_by = package.core_properties.get("lastModifiedBy")
    reading.application = package.app_name
    stamped = identity_of(package)
    found = stamped or identity
    if found is None:
        reading.problems.append(_problem(
            "the form's identity (form type, version, partnership, issue) is missing from its "
            "document properties, so it cannot be matched to a form that was issued; if you "
            "know which form it is, take it in with --as ISSUE_ID"))
        return reading
    if identity is not None:
        # The officer said which issued form this is: that wins over stripped or odd stamps.
        found = identity
    reading.form, reading.version = found.form, found.version
    reading.partnership, reading.issue = found.partnership, found.issue
    reading.cycle, reading.period = found.cycle, found.period
    if found.version < 1:
        reading.problems.append(_problem(
            "the form's version stamp is missing or damaged, so it cannot be read safely; "
            "issue a new form and ask for it to be completed again"))
        return reading
    try:
        definition = load_definition(found.form, found.version, framework=framework,
                                     forms_dir=forms_dir)
    except FrameworkError as exc:
        reading.problems.append(_problem(str(exc)))
        return reading
    reading.definition = definition
    try:
        hidden_styles = _hidden_styles(package)
    except UnreadableFile as exc:
        reading.problems.append(_problem(str(exc)))
        return reading
    raw, missing, notes = extract_answers(package.document, definition, hidden_styles)
    notes = _editor_notes(package, raw, missing, definition) + notes
    if any(n.severity == "error" and n.field == "" for n in notes):
        reading.problems.extend(notes)
        return reading
    answers, problems = validate_answers(definition, raw, missing, variance=variance)
    reading.answers = answers
    reading.problems.extend(notes + problems)
    return reading


# Hidden character styles by the styles part's fingerprint (and whether it is Strict): the
# returns of one batch mostly carry the same styles part, byte for byte as stored, and
# inflating and checking its ~350 KB took 1.6 ms of a form's ~9.
_HIDDEN_STYLES_SEEN: Memo[tuple[str, bool], frozenset[str]] = Memo(keep=32)


def _hidden_styles(package: WordPackage) -> frozenset[str]:
    """The character styles of the file that hide text. Raises UnreadableFile for a styles
    part that is hostile (a DTD, a zip bomb)."""
    fingerprint = package.part_fingerprint("word/styles.xml")
    if fingerprint is None:
        return frozenset()
    # A hostile part raises, and is never kept.
    return _HIDDEN_STYLES_SEEN.get((fingerprint, package.strict),
                                   lambda: _read_hidden_styles(package))


def _read_hidden_styles(package: WordPackage) -> frozenset[str]:
    try:
        # A styles part without the word "vanish" hides nothing; most are parsed for nothing.
        styles = package.part_xml("word/styles.xml", only_if=b"vanish")
    except DamagedFile:
        # Word and LibreOffice open a file whose styles are damaged with their own defaults,
        # which hide nothing; the answers are still there to read.
        return frozenset()
    return controls.hidden_character_styles(styles)


def _editor_notes(package: WordPackage, raw: dict[str, Any], missing: set[str],
                  definition: FormDefinition) -> list[Problem]:
    """A clear refusal when an editor stripped every tag (LibreOffice 7), else nothing."""
    if any(controls.tag_of(s) for s in package.document.iter(SDT)):
        return []  # at least one box keeps its name (the first usually does)
    app = package.app_name or "the program used"
    if next(package.document.iter(SDT), None) is not None:
        return [_problem(
            f"the answer boxes have lost their field names, so the answers cannot be told apart: "
            f"the form was saved by {app}, which strips them (LibreOffice 7.x does). Fill the "
            "form in with Microsoft Word, or LibreOffice 24.2 or later, and send it again")]
    return [_problem(
        f"the form has no answer boxes left (saved by {app}); it may have been re-typed, "
        "converted or saved in another format. Fill in the form as issued, in Microsoft Word "
        "or LibreOffice 24.2 or later, and send it again")]


def _control_value(sdt: etree._Element, f: Field, hidden_styles: frozenset[str]) -> Any:
    kind, showing_placeholder, text = controls.kind_placeholder_and_text(sdt, hidden_styles)
    if kind == "checkbox":
        return controls.checkbox_state(sdt)
    stripped = text.strip()
    if (showing_placeholder or stripped in GENERIC_PLACEHOLDERS
            or (f.placeholder and stripped == f.placeholder)):
        return None
    if kind == "date":
        return controls.date_answer(sdt, text)
    if kind in ("dropdown", "combobox"):
        for value in controls.values_shown_as(sdt, stripped):
            if (choice := f.choice_for(value)) is not None:
                return choice.label
        return stripped or None
    return text if text.strip() else None


def extract_answers(document: etree._Element, definition: FormDefinition,
                    hidden_styles: frozenset[str] = frozenset()
                    ) -> tuple[dict[str, Any], set[str], list[Problem]]:
    """Raw answers by field id, the ids whose controls are missing, and notes about the file.

    `hidden_styles` are the ids of the file's character styles that hide text.
    """
    by_tag = _controls_by_tag(document)
    raw: dict[str, Any] = {}
    missing: set[str] = set()
    notes: list[Problem] = []
    known: set[str] = set()
    for f in definition.fields.values():
        known.add(f.id)
        if f.type == "table":
            known.update(f"{f.id}.{c.id}" for c in f.columns)
            rows, table_notes, found = _read_table(f, by_tag, hidden_styles)
            if not found:
                missing.add(f.id)
            raw[f.id] = rows
            notes.extend(table_notes)
            continue
        found_controls = by_tag.get(f.id, [])
        if not found_controls:
            missing.add(f.id)
            continue
        values = [_control_value(s, f, hidden_styles) for s in found_controls]
        answered = [v for v in values if v not in (None, "")]
        distinct = {repr(v) for v in answered}
        if len(distinct) > 1:
            notes.append(Problem(f.id, f.label,
                                 "appears more than once with different answers (a copied box?); "
                                 "keep one answer and delete the copy"))
        raw[f.id] = answered[0] if answered else values[0]
    unknown = sorted(t for t in by_tag if t not in known)
    for tag in unknown:
        notes.append(Problem(tag, tag, "an answer box with this name is not part of the form and "
                             "was ignored", severity="warning"))
    return raw, missing, notes


def answer_rows(document: etree._Element, f: Field,
                hidden_styles: frozenset[str] = frozenset()) -> list[etree._Element]:
    """The table rows (w:tr) holding a table field's answers, in the order they are read and
    numbered in problems (row 1 first), rows added without answer boxes included."""
    trs: list[etree._Element] = []
    _read_table(f, _controls_by_tag(document), hidden_styles, trs)
    return trs


def _controls_by_tag(document: etree._Element) -> dict[str, list[etree._Element]]:
    """The tagged content controls of a document by their tag, in document order."""
    by_tag: dict[str, list[etree._Element]] = {}
    for tag, sdt in controls.tagged_controls(document):
        by_tag.setdefault(tag.strip(), []).append(sdt)
    return by_tag


def _read_table(f: Field, by_tag: dict[str, list[etree._Element]],
                hidden_styles: frozenset[str], trs: list[etree._Element] | None = None
                ) -> tuple[list[dict[str, Any]], list[Problem], bool]:
    """The rows of a table field, notes about them and whether its controls were found;
    `trs`, when given, receives the w:tr of each row read."""
    trs = [] if trs is None else trs
    tagged = _TaggedRows.find(f, by_tag, hidden_styles)
    if not tagged.rows:
        return [], [], False
    notes: list[Problem] = []
    rows: list[dict[str, Any]] = []
    for tbl in tagged.tables:
        for tr in _rows_from_the_first_answer(tbl, tagged.rows):
            if tr in tagged.rows:
                rows.append(tagged.rows[tr])
                trs.append(tr)
                continue
            # A row added without the form's controls: read its cells by position.
            row = tagged.by_position(tr, hidden_styles)
            if any(row.values()):
                rows.append(row)
                trs.append(tr)
                notes.append(Problem(
                    f.id, f.label,
                    f"row {len(rows)} was added without the form's answer boxes; it was "
                    "read by column position: please check it", severity="warning",
                    row=len(rows)))
    return rows, notes, True


_TR, _TC, _TBL = w("tr"), w("tc"), w("tbl")


@dataclass
class _TaggedRows:
    """Where a table field's answer boxes are: the answers of each table row (w:tr) that
    holds them, the tables (w:tbl) those rows are in, and the cell (w:tc) of each column's
    boxes, from which the column each cell position holds is worked out when a row without
    boxes needs it."""

    rows: dict[Any, dict[str, Any]] = field(default_factory=dict)
    tables: list[Any] = field(default_factory=list)
    cells: list[tuple[Any, Any, str]] = field(default_factory=list)
    _positions: dict[int, str] | None = None

    @classmethod
    def find(cls, f: Field, by_tag: dict[str, list[etree._Element]],
             hidden_styles: frozenset[str]) -> _TaggedRows:
        found = cls()
        columns = {c.id: c for c in f.columns}
        prefix = f.id + "."
        for tag, sdts in by_tag.items():
            column = columns.get(tag[len(prefix):]) if tag.startswith(prefix) else None
            if column is None:
                continue
            for sdt in sdts:
                found.add(sdt, column, hidden_styles)
        return found

    def add(self, sdt: etree._Element, column: Field, hidden_styles: frozenset[str]) -> None:
        """Read one answer box of a column into the answers of its row."""
        # The nearest row and cell around the box, in one walk up the tree.
        tr, tc = controls.first_of_each(sdt.iterancestors(), _TR, _TC)
        if tr is None:
            return
        row = self.rows.get(tr)
        if row is None:  # the first box of its row: the row's table is looked up once
            row = self.rows[tr] = {}
            tbl = next(tr.iterancestors(_TBL), None)
            if tbl is not None and tbl not in self.tables:
                self.tables.append(tbl)
        row[column.id] = _control_value(sdt, column, hidden_styles)
        if tc is not None:
            self.cells.append((tr, tc, column.id))

    @property
    def positions(self) -> dict[int, str]:
        """The column each cell position holds (counting a row's cells from 0), as the boxes
        read show it; a later box wins."""
        if self._positions is None:
            self._positions = {}
            for tr, tc, column_id in self.cells:
                row_cells = controls.wrapped_children(tr, _TC)
                position = next((n for n, cell in enumerate(row_cells) if cell is tc), None)
                if position is not None:
                    self._positions[position] = column_id
        return self._positions

    def by_position(self, tr: etree._Element, hidden_styles: frozenset[str]) -> dict[str, Any]:
        """The text of a row's cells, each under the column its position holds."""
        row = {}
        positions = self.positions
        for position, tc in enumerate(controls.wrapped_children(tr, _TC)):
            column_id = positions.get(position)
            text = controls.visible_text(tc, hidden_styles).strip()
            if column_id and text:
                row[column_id] = text
        return row


def _rows_from_the_first_answer(tbl: etree._Element, tagged: dict[Any, dict[str, Any]]
                                ) -> Iterator[etree._Element]:
    """The rows of a table from the first holding answer boxes (the header rows before it
    are left out): rows of tables nested in its cells only when they hold answer boxes."""
    started = False
    for tr in tbl.iter(w("tr")):
        if tr in tagged:
            started = True
            yield tr
        elif started and next(tr.iterancestors(w("tbl"))) is tbl:
            yield tr


def static_text(docx_bytes: bytes) -> list[str]:
    """The text of every paragraph outside the answer boxes, to spot text typed outside them."""
    return static_lines(etree.fromstring(read_part(docx_bytes, "word/document.xml"),
                                         SAFE_PARSER))


def static_lines(root: etree._Element) -> list[str]:
    """The non-empty text of each paragraph of a document tree, leaving out answer boxes."""
    lines = []
    for p in root.iter(w("p")):
        if next(p.iterancestors(controls.SDT), None) is not None:
            continue
        text = "".join(controls.visible_text(child) for child in p
                       if child.tag != controls.SDT).strip()
        if text:
            lines.append(" ".join(text.split()))
    return lines
