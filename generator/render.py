"""Rendering a form template for one partnership, fast enough for thousands.

A template is parsed and compiled once per batch (`CompiledTemplate`); each form is then one
Jinja render of document.xml (autoescaped, StrictUndefined), a little lxml work for the
repeating tables and carried-forward answers, and a zip written with the unchanged parts
copied as they are. The identity of the issued form goes into custom document properties.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
from docxtpl import DocxTemplate
from lxml import etree

from generator import controls
from generator.controls import SDT, w
from generator.errors import TemplateError
from generator.formdefs import Field, FormDefinition

CUSTOM_PROPS_PART = "docProps/custom.xml"
CUSTOM_PROPS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
CUSTOM_PROPS_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
IDENTITY_KEYS = ("pt_form", "pt_version", "pt_partnership", "pt_cycle", "pt_issue", "pt_due",
                 "pt_period")
_RENDERED_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=True)


@dataclass(frozen=True)
class Identity:
    """What an issued form is: stamped into it and recorded in the store."""

    form: str
    version: int
    partnership: str
    cycle: str
    issue: str
    due: str = ""
    period: str = ""

    def properties(self) -> dict[str, str]:
        return {"pt_form": self.form, "pt_version": str(self.version),
                "pt_partnership": self.partnership, "pt_cycle": self.cycle,
                "pt_issue": self.issue, "pt_due": self.due, "pt_period": self.period}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env


class CompiledTemplate:
    """A Word template parsed and compiled once, rendered many times."""

    def __init__(self, path: Path, definition: FormDefinition) -> None:
        self.path = path
        self.definition = definition
        try:
            raw = path.read_bytes()
            source = zipfile.ZipFile(io.BytesIO(raw))
        except (OSError, zipfile.BadZipFile) as exc:
            raise TemplateError(
                f"{path}: cannot open the template as a Word document: {exc}"
            ) from None
        self.members: list[tuple[zipfile.ZipInfo, bytes]] = []
        self.compiled: dict[str, jinja2.Template] = {}
        patcher = DocxTemplate(io.BytesIO(raw))
        env = _environment()
        for info in source.infolist():
            data = source.read(info.filename)
            if _RENDERED_PARTS.match(info.filename) and (b"{{" in data or b"{%" in data):
                xml = data.decode("utf-8")
                # docxtpl's own preprocessing: joins tags split across runs, {%tr %} etc.
                xml = patcher.patch_xml(xml)
                xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
                try:
                    self.compiled[info.filename] = env.from_string(xml)
                except jinja2.TemplateSyntaxError as exc:
                    raise TemplateError(
                        f"{path}: {info.filename} has a broken placeholder near line "
                        f"{exc.lineno}: {exc.message}; re-type the {{{{ ... }}}} or {{% ... %}} "
                        "text in Word in one go, or rebuild the template"
                    ) from None
            self.members.append((info, data))
        self._patcher = patcher
        names = {info.filename for info, _ in self.members}
        if "word/document.xml" not in names:
            raise TemplateError(f"{path}: not a Word document (no word/document.xml)")
        self.has_custom = CUSTOM_PROPS_PART in names

    def render(self, context: dict[str, Any], identity: Identity,
               prefill: dict[str, Any] | None = None, title: str = "") -> bytes:
        """The issued form as .docx bytes."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as target:
            for info, data in self.members:
                name = info.filename
                if name in self.compiled:
                    data = self._render_part(name, context, prefill or {})
                elif name == "[Content_Types].xml" and not self.has_custom:
                    data = _add_content_type(data)
                elif name == "_rels/.rels" and not self.has_custom:
                    data = _add_relationship(data)
                elif name == CUSTOM_PROPS_PART:
                    data = custom_properties_xml(identity.properties(), data)
                elif name == "docProps/core.xml":
                    data = core_properties_xml(data, title)
                target.writestr(_fresh_info(info), data)
            if not self.has_custom:
                target.writestr(_fresh_info(zipfile.ZipInfo(CUSTOM_PROPS_PART)),
                                custom_properties_xml(identity.properties()))
        return out.getvalue()

    def _render_part(self, name: str, context: dict[str, Any], prefill: dict[str, Any]) -> bytes:
        try:
            xml = self.compiled[name].render(context)
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                f"{self.path}: {name} uses a value the toolkit does not provide ({exc.message}); "
                "check the {{ ... }} placeholders against the form definition"
            ) from None
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = self._patcher.resolve_listing(xml)
        try:
            root = etree.fromstring(xml.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise TemplateError(f"{self.path}: rendering {name} gave broken XML ({exc})") from None
        if name == "word/document.xml":
            fill_controls(root, self.definition, prefill)
            if root.find(f"{w('body')}/{w('sectPr')}") is None:
                raise TemplateError(f"{self.path}: rendering lost the page settings (w:sectPr)")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fresh_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    fresh.compress_type = zipfile.ZIP_DEFLATED
    fresh.external_attr = info.external_attr
    return fresh


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
            for section in by_tag.get(f.id, []):
                if controls.kind_of(section) == "repeating":
                    _grow_table(section, f, prefill.get(f.id) or [])
        elif f.id in prefill and prefill[f.id] not in (None, "", False):
            for sdt in by_tag.get(f.id, []):
                set_value(sdt, f, prefill[f.id])


def _grow_table(section: etree._Element, f: Field, rows: list[dict[str, Any]]) -> None:
    content = section.find(w("sdtContent"))
    items = [c for c in content if c.tag == SDT] if content is not None else []
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
                value = rows[index].get(column_id)
                if column is not None and value not in (None, "", False):
                    set_value(cell, column, value)


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
        controls.set_text(sdt, f"£{value:,.0f}" if float(value).is_integer() else f"£{value:,.2f}")
    else:
        controls.set_text(sdt, str(value))


def custom_properties_xml(props: dict[str, str], existing: bytes | None = None) -> bytes:
    """docProps/custom.xml holding `props`, keeping any other properties already there."""
    kept = []
    if existing:
        root = etree.fromstring(existing, _PARSER)
        for prop in root:
            if prop.get("name") not in props:
                kept.append(etree.tostring(prop, encoding="unicode"))
    entries = []
    pid = 2 + len(kept)
    for name, value in props.items():
        entries.append(f'<property fmtid="{FMTID}" pid="{pid}" name="{escape(name)}">'
                       f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>")
        pid += 1
    for i, xml in enumerate(kept):
        entries.insert(i, re.sub(r'pid="\d+"', f'pid="{2 + i}"', xml, count=1))
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        + "".join(entries) + "</Properties>"
    ).encode("utf-8")


def _add_content_type(data: bytes) -> bytes:
    override = (f'<Override PartName="/{CUSTOM_PROPS_PART}" ContentType="{CUSTOM_PROPS_TYPE}"/>'
                ).encode()
    return data.replace(b"</Types>", override + b"</Types>")


def _add_relationship(data: bytes) -> bytes:
    ids = {int(n) for n in re.findall(rb'Id="rId(\d+)"', data)}
    new_id = max(ids, default=0) + 1
    rel = (f'<Relationship Id="rId{new_id}" Type="{CUSTOM_PROPS_REL}" '
           f'Target="{CUSTOM_PROPS_PART}"/>').encode()
    return data.replace(b"</Relationships>", rel + b"</Relationships>")


def core_properties_xml(data: bytes, title: str) -> bytes:
    """Set the title, language and created/modified times of an issued form."""
    root = etree.fromstring(data, _PARSER)
    ns = {"dc": "http://purl.org/dc/elements/1.1/",
          "dcterms": "http://purl.org/dc/terms/",
          "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for qname, value in ((f"{{{ns['dc']}}}title", title), (f"{{{ns['dc']}}}language", "en-GB"),
                         (f"{{{ns['dcterms']}}}created", now),
                         (f"{{{ns['dcterms']}}}modified", now)):
        if not value:
            continue
        el = root.find(qname)
        if el is None:
            el = etree.SubElement(root, qname)
            if "dcterms" in qname:
                el.set("{http://www.w3.org/2001/XMLSchema-instance}type", "dcterms:W3CDTF")
        el.text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
