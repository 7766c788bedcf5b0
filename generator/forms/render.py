"""Rendering a form template for one partnership, fast enough for thousands.

A template is parsed and compiled once per batch (`CompiledTemplate`); each form is then one
Jinja render of document.xml (autoescaped, StrictUndefined), a little lxml work for the
repeating tables and carried-forward answers, and a zip written with the unchanged parts
copied as they are, already compressed. The identity of the issued form goes into custom
document properties. The result is the same as docxtpl's own render of the template followed
by `fill_controls` (tests/test_fast_path.py checks it part by part).
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import io
import itertools
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from lxml import etree

from generator.errors import TemplateError
from generator.formdefs import Field, FormDefinition
from generator.forms.identity import Identity
from generator.memo import Memo
from generator.money import format_money
from generator.office import controls
from generator.office.controls import SDT
from generator.office.docprops import (
    CUSTOM_PROPS_PART,
    custom_properties_xml,
    now_w3cdtf,
    set_core_properties,
    with_custom_properties_relationship,
    with_custom_properties_type,
)
from generator.office.ns import w
from generator.office.xml import SAFE_PARSER
from generator.office.zipio import Member, TooLargeForZip, copied_member, new_member, zip_bytes
from generator.performance import show_measure

_RENDERED_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env


# Compiled parts by (part name, template bytes): a template issued again, or the same
# template copied into another workspace, is not patched and compiled again (20 to 60 ms a
# form type). A compiled Jinja template is only read when rendering, so one can be shared.
_COMPILED_PARTS: Memo[tuple[str, bytes], jinja2.Template] = Memo(keep=16)


@dataclass(frozen=True)
class RenderedForm:
    """An issued form: its .docx bytes and the document tree they were written from."""

    data: bytes
    document: etree._Element


class CompiledTemplate:
    """A Word template parsed and compiled once, rendered many times.

    Everything that is the same in every form is done here, once: the placeholders are
    patched and compiled, and each part no form changes (styles, theme, numbering... most of
    the bytes) is made into a ready-to-write zip record around the compressed bytes the
    template holds. Rendering a form then only renders, compresses and writes what differs:
    the document, headers and footers with placeholders, and the document properties.
    """

    def __init__(self, path: Path, definition: FormDefinition) -> None:
        self.path = path
        self.definition = definition
        try:
            raw = path.read_bytes()
            source = zipfile.ZipFile(io.BytesIO(raw))
            members = [(info, source.read(info.filename)) for info in source.infolist()]
        except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError,
                zlib.error) as exc:
            raise TemplateError(
                f"{path}: cannot open the template as a Word document: {exc}"
            ) from None
        names = {info.filename for info, _ in members}
        if "word/document.xml" not in names:
            raise TemplateError(f"{path}: not a Word document (no word/document.xml)")
        self.has_custom = CUSTOM_PROPS_PART in names
        self.compiled: dict[str, jinja2.Template] = {}
        patcher = DocxTemplate(io.BytesIO(raw))
        # (name, zip entry, record ready to write or None when made per form, template bytes)
        self._plan: list[tuple[str, zipfile.ZipInfo, Member | None, bytes]] = []
        for info, data in members:
            name = info.filename
            # The document is always rendered (its tables grow, answers are carried forward);
            # headers and footers only when they hold placeholders.
            if name == "word/document.xml" or (
                    _RENDERED_PARTS.match(name) and (b"{{" in data or b"{%" in data)):
                self.compiled[name] = _compiled(path, name, data, patcher)
            if name in self.compiled or name in (CUSTOM_PROPS_PART, "docProps/core.xml"):
                self._plan.append((name, info, None, data))
                continue
            if name == "[Content_Types].xml" and not self.has_custom:
                ready = new_member(name, with_custom_properties_type(data), info.date_time,
                                   info.external_attr)
            elif name == "_rels/.rels" and not self.has_custom:
                ready = new_member(name, with_custom_properties_relationship(data),
                                   info.date_time, info.external_attr)
            else:
                ready = copied_member(raw, info, data)
            self._plan.append((name, info, ready, b""))
        self._patcher = patcher

    def render(self, context: dict[str, Any], identity: Identity,
               prefill: dict[str, Any] | None = None, title: str = "") -> bytes:
        """The issued form as .docx bytes."""
        return self.render_form(context, identity, prefill, title).data

    def render_form(self, context: dict[str, Any], identity: Identity,
                    prefill: dict[str, Any] | None = None, title: str = "") -> RenderedForm:
        """The issued form as .docx bytes, with the document tree it holds."""
        members: list[Member] = []
        document: etree._Element | None = None
        for name, info, ready, original in self._plan:
            if ready is not None:
                members.append(ready)
                continue
            if name in self.compiled:
                root = self._render_part(name, context, prefill or {})
                if name == "word/document.xml":
                    document = root
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            elif name == CUSTOM_PROPS_PART:
                data = custom_properties_xml(identity.properties(), original)
            else:  # docProps/core.xml
                now = now_w3cdtf()
                data = set_core_properties(original, {"title": title, "language": "en-GB",
                                                      "created": now, "modified": now})
            members.append(new_member(name, data, info.date_time, info.external_attr))
        if not self.has_custom:
            members.append(new_member(CUSTOM_PROPS_PART,
                                      custom_properties_xml(identity.properties())))
        assert document is not None  # word/document.xml is always in self.compiled
        try:
            return RenderedForm(zip_bytes(members), document)
        except TooLargeForZip as exc:
            raise TemplateError(f"{self.path}: a form made from it would be too large ({exc})"
                                ) from None

    def _render_part(self, name: str, context: dict[str, Any], prefill: dict[str, Any]
                     ) -> etree._Element:
        try:
            xml = self.compiled[name].render(context)
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                f"{self.path}: {name} uses a value the toolkit does not provide ({exc.message}); "
                "check the {{ ... }} placeholders against the form definition"
            ) from None
        # The same steps as docxtpl's render_xml_part, in the same order.
        # Undo the line breaks _compile put before each paragraph (for readable line numbers
        # in error messages), as docxtpl does with re.sub(r"\n<w:p([ >])", r"<w:p\1", xml).
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        if "{_" in xml or "_}" in xml:
            xml = (xml.replace("{_{", "{{").replace("}_}", "}}")
                   .replace("{_%", "{%").replace("%_}", "%}"))
        # resolve_listing turns tabs, newlines, \a and \f in run text into Word's own markup;
        # it only ever rewrites text inside paragraphs, so when none of those characters comes
        # after the first paragraph starts (the usual case) it would return xml unchanged, and
        # its dozens of regular expressions per paragraph can be skipped.
        first = _FIRST_PARAGRAPH.search(xml)
        if first is not None and _LISTING_CHARS.search(xml, first.start()):
            xml = self._patcher.resolve_listing(xml)
        try:
            root = etree.fromstring(xml.encode("utf-8"), SAFE_PARSER)
        except etree.XMLSyntaxError as exc:
            raise TemplateError(f"{self.path}: rendering {name} gave broken XML ({exc})") from None
        if name == "word/document.xml":
            fill_controls(root, self.definition, prefill)
            if root.find(f"{w('body')}/{w('sectPr')}") is None:
                raise TemplateError(f"{self.path}: rendering lost the page settings (w:sectPr)")
        return root


_FIRST_PARAGRAPH = re.compile(r"<w:p[ >]")
_LISTING_CHARS = re.compile("[\t\a\n\f]")


def _compiled(path: Path, name: str, data: bytes, patcher: DocxTemplate) -> jinja2.Template:
    """The part compiled, from the memo when these very bytes were compiled before."""
    return _COMPILED_PARTS.get((name, data),
                               lambda: _compile(path, name, data, patcher, _environment()))


def _compile(path: Path, name: str, data: bytes, patcher: DocxTemplate,
             env: jinja2.Environment) -> jinja2.Template:
    try:
        xml = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: {name} is not UTF-8 text; save the template again "
                            "from Word") from None
    # docxtpl's own preprocessing: joins tags split across runs, {%tr %} etc.
    xml = _unescape_placeholders(patcher.patch_xml(xml))
    # One paragraph a line, so that a Jinja error's line number finds its paragraph.
    xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
    try:
        return env.from_string(xml)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(_broken_placeholder(path, name, xml, exc.lineno)) from None


_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_ENTITIES = {"&apos;": "'", "&quot;": '"', "&#39;": "'", "&#34;": '"', "&amp;": "&"}


def _unescape_placeholders(xml: str) -> str:
    """Placeholders as typed: LibreOffice writes their quotes as &apos; or &quot;.

    Only the text between {{ and }} (or {% and %}) changes; Jinja reads it as code.
    """
    def plain(match: re.Match[str]) -> str:
        text = match.group(0)
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
        return text

    return _PLACEHOLDER.sub(plain, xml)


def _broken_placeholder(path: Path, name: str, xml: str, line: int) -> str:
    """What is wrong with a template whose placeholders Jinja cannot read, in plain words."""
    lines = xml.split("\n")
    paragraph = lines[line - 1] if 0 < line <= len(lines) else ""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", paragraph)).split())
    where = "the page header or footer" if name != "word/document.xml" else "the form"
    shown = f'the text "{text[:80]}"' if text else "a paragraph"
    return (f"{path}: {shown} in {where} has a placeholder the toolkit cannot read. "
            "Placeholders are the names in double curly brackets, such as {{ p.name }}, and "
            "must be kept exactly as they are: retype it in one go, in Word or LibreOffice, or "
            "rebuild the template with 'partnerships templates build --replace' and restyle it "
            "again")


def fill_controls(root: etree._Element, definition: FormDefinition,
                  prefill: dict[str, Any]) -> None:
    """Grow each repeating table to its starting rows and put carried-forward answers in."""
    by_tag: dict[str, list[etree._Element]] = {}
    for sdt in root.iter(SDT):
        tag = controls.tag_of(sdt)
        if tag:
            by_tag.setdefault(tag, []).append(sdt)
    for f in definition.fields.values():
        if f.type == "table":
            sections = [s for s in by_tag.get(f.id, []) if controls.kind_of(s) == "repeating"]
            if not sections:
                sections = _rewrapped(root, f, by_tag)
            for section in sections:
                _grow_table(section, f, prefill.get(f.id) or [])
        elif f.id in prefill and prefill[f.id] not in (None, "", False):
            for sdt in by_tag.get(f.id, []):
                set_value(sdt, f, prefill[f.id])


def _rewrapped(root: etree._Element, f: Field, by_tag: dict[str, list[etree._Element]]
               ) -> list[etree._Element]:
    """The table's row put back in a repeating section, where the template lost it.

    LibreOffice drops the wrapper when it saves a template (measured with 25.2): the row of
    tagged cells is still there, so the wrapper Word needs to add rows is built around it.
    """
    cell = next((sdt for column in f.columns for sdt in by_tag.get(f"{f.id}.{column.id}", [])),
                None)
    row = next(cell.iterancestors(w("tr")), None) if cell is not None else None
    if row is None:
        return []
    # <w:id> elements are the controls' ids (elsewhere w:id is an attribute).
    values = (element.get(w("val"), "") for element in root.iter(w("id")))
    used = [int(v) for v in values if v.lstrip("-").isdigit()]
    ids = itertools.count(max(used, default=0) + 1)
    return [controls.wrap_repeating_row(row, f.id, f.label, ids)]


def _grow_table(section: etree._Element, f: Field, rows: list[dict[str, Any]]) -> None:
    content = section.find(w("sdtContent"))
    if content is None:
        return
    items = [c for c in content if c.tag == SDT]
    if not items:
        return
    prototype = copy.deepcopy(items[0])
    for extra in items[1:]:
        content.remove(extra)
    wanted = len(rows) + 1 if rows else max(f.min_rows, 1)
    current = items[0]
    for index in range(wanted):
        item = current if index == 0 else copy.deepcopy(prototype)
        if index:
            current.addnext(item)
            current = item
        if index < len(rows):
            for cell in item.iter(SDT):
                tag = controls.tag_of(cell) or ""
                column_id = tag.split(".", 1)[-1]
                column = next((c for c in f.columns if c.id == column_id), None)
                value = cell_value(column, rows[index]) if column is not None else None
                if column is not None and value not in (None, "", False):
                    set_value(cell, column, value)


def cell_value(column: Field, row: dict[str, Any]) -> Any:
    """A table cell's answer as the form shows it: a figure in its row's unit ('90%')."""
    value = row.get(column.id)
    if column.type == "measure" and isinstance(value, int | float):
        return show_measure(value, row.get(column.unit_from or ""))
    return value


def set_value(sdt: etree._Element, f: Field, value: Any) -> None:
    """Put an answer into a control the way Word would show it."""
    if f.type == "checkbox":
        controls.set_checkbox(sdt, bool(value))
    elif f.type == "date":
        controls.set_date(sdt, value if isinstance(value, dt.date)
                          else dt.date.fromisoformat(str(value)))
    elif f.type == "choice":
        choice = f.choice_for(str(value))
        controls.set_choice(sdt, choice.label if choice else str(value))
    elif f.type == "money" and isinstance(value, int | float):
        controls.set_text(sdt, format_money(value))
    else:
        controls.set_text(sdt, str(value))
