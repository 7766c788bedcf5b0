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
import io
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import jinja2
from docxtpl import DocxTemplate
from lxml import etree

from generator.errors import TemplateError
from generator.formdefs import Field, FormDefinition
from generator.office import controls
from generator.office.controls import SDT, w

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
        env = _environment()
        # (name, zip entry, record ready to write or None when made per form, template bytes)
        self._plan: list[tuple[str, zipfile.ZipInfo, _Member | None, bytes]] = []
        for info, data in members:
            name = info.filename
            # The document is always rendered (its tables grow, answers are carried forward);
            # headers and footers only when they hold placeholders.
            if name == "word/document.xml" or (
                    _RENDERED_PARTS.match(name) and (b"{{" in data or b"{%" in data)):
                self.compiled[name] = _compile(path, name, data, patcher, env)
            if name in self.compiled or name in (CUSTOM_PROPS_PART, "docProps/core.xml"):
                self._plan.append((name, info, None, data))
                continue
            if name == "[Content_Types].xml" and not self.has_custom:
                ready = _member(name, _add_content_type(data), info.date_time,
                                info.external_attr, path)
            elif name == "_rels/.rels" and not self.has_custom:
                ready = _member(name, _add_relationship(data), info.date_time,
                                info.external_attr, path)
            else:
                ready = _copied_member(raw, info, data, path)
            self._plan.append((name, info, ready, b""))
        self._patcher = patcher

    def render(self, context: dict[str, Any], identity: Identity,
               prefill: dict[str, Any] | None = None, title: str = "") -> bytes:
        """The issued form as .docx bytes."""
        return self.render_form(context, identity, prefill, title).data

    def render_form(self, context: dict[str, Any], identity: Identity,
                    prefill: dict[str, Any] | None = None, title: str = "") -> RenderedForm:
        """The issued form as .docx bytes, with the document tree it holds."""
        members: list[_Member] = []
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
                data = core_properties_xml(original, title)
            members.append(_member(name, data, info.date_time, info.external_attr, self.path))
        if not self.has_custom:
            members.append(_member(CUSTOM_PROPS_PART,
                                   custom_properties_xml(identity.properties()),
                                   _EARLIEST, 0, self.path))
        assert document is not None  # word/document.xml is always in self.compiled
        return RenderedForm(_zip(members, self.path), document)

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
            root = etree.fromstring(xml.encode("utf-8"), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise TemplateError(f"{self.path}: rendering {name} gave broken XML ({exc})") from None
        if name == "word/document.xml":
            fill_controls(root, self.definition, prefill)
            if root.find(f"{w('body')}/{w('sectPr')}") is None:
                raise TemplateError(f"{self.path}: rendering lost the page settings (w:sectPr)")
        return root


_FIRST_PARAGRAPH = re.compile(r"<w:p[ >]")
_LISTING_CHARS = re.compile("[\t\a\n\f]")


def _compile(path: Path, name: str, data: bytes, patcher: DocxTemplate,
             env: jinja2.Environment) -> jinja2.Template:
    try:
        xml = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateError(f"{path}: {name} is not UTF-8 text; save the template again "
                            "from Word") from None
    # docxtpl's own preprocessing: joins tags split across runs, {%tr %} etc.
    xml = patcher.patch_xml(xml)
    xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
    try:
        return env.from_string(xml)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            f"{path}: {name} has a broken placeholder near line "
            f"{exc.lineno}: {exc.message}; re-type the {{{{ ... }}}} or {{% ... %}} "
            "text in Word in one go, or rebuild the template"
        ) from None


# ---- writing the .docx zip ---------------------------------------------------------------
#
# zipfile can only add a member by compressing it again, and a template's unchanged parts
# (styles.xml alone is some 350 KB) would then cost more to write than everything else in a
# form. zipfile has no public way to write bytes that are already compressed, so this is a
# minimal writer for exactly what zipfile itself writes: a local header with the sizes and
# CRC filled in (no data descriptor), no extra fields, no zip64, then the central directory
# and its end record (PKWARE APPNOTE 6.3, sections 4.3.7, 4.3.12, 4.3.16). Each unchanged
# member's record is made once per template around the compressed bytes the template itself
# holds (checked against the CRC when zipfile read the member); a form's zip is those records
# as they are plus the few parts made for it, compressed then.

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP_VERSION = 20  # 2.0, the version needed for deflate, as zipfile records it
_CREATE_SYSTEM = 0 if sys.platform == "win32" else 3  # MS-DOS or Unix, as zipfile records it
_UTF8_NAME = 0x800
_ZIP32_LIMIT = 0xFFFFFFFF  # at or past this a zip needs zip64, which no Word form comes near
_EARLIEST = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


@dataclass(frozen=True, slots=True)
class _Member:
    """One zip member: its local record ready to write, and its central directory fields."""

    name: bytes
    flags: int
    method: int
    dostime: int
    dosdate: int
    crc: int
    compressed_size: int
    size: int
    external_attr: int
    record: bytes  # local header + name + compressed data


def _member(name: str, data: bytes, date_time: tuple[int, ...], external_attr: int,
            template: Path) -> _Member:
    """A member holding `data`, deflated as zipfile does at compresslevel 6."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = compressor.compress(data) + compressor.flush()
    return _record(name, packed, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), date_time,
                   external_attr, template)


def _copied_member(raw: bytes, info: zipfile.ZipInfo, data: bytes, template: Path) -> _Member:
    """A member of the template as it is there, compressed bytes copied, not recompressed.

    `data` is the member as zipfile read it (so its CRC was checked); it is compressed anew
    only if the template stores it in a way this writer does not copy (e.g. zip64).
    """
    start = info.header_offset
    header = raw[start:start + _LOCAL_HEADER.size]
    if (info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            and not info.flag_bits & 0x1 and len(header) == _LOCAL_HEADER.size
            and header[:4] == b"PK\x03\x04" and info.compress_size < _ZIP32_LIMIT):
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
        begin = start + _LOCAL_HEADER.size + name_length + extra_length
        packed = raw[begin:begin + info.compress_size]
        if len(packed) == info.compress_size:
            return _record(info.filename, packed, info.compress_type, info.CRC, len(data),
                           info.date_time, info.external_attr, template)
    return _member(info.filename, data, info.date_time, info.external_attr, template)


def _record(name: str, packed: bytes, method: int, crc: int, size: int,
            date_time: tuple[int, ...], external_attr: int, template: Path) -> _Member:
    try:
        encoded, flags = name.encode("ascii"), 0
    except UnicodeEncodeError:
        encoded, flags = name.encode("utf-8"), _UTF8_NAME
    if size >= _ZIP32_LIMIT or len(packed) >= _ZIP32_LIMIT:
        raise TemplateError(f"{template}: its part {name} is too large for a Word form")
    if tuple(date_time) < _EARLIEST:
        date_time = _EARLIEST
    year, month, day, hour, minute, second = date_time[:6]
    dostime = hour << 11 | minute << 5 | second // 2
    dosdate = (year - 1980) << 9 | month << 5 | day
    header = _LOCAL_HEADER.pack(b"PK\x03\x04", _ZIP_VERSION, 0, flags, method, dostime,
                                dosdate, crc, len(packed), size, len(encoded), 0)
    return _Member(encoded, flags, method, dostime, dosdate, crc, len(packed), size,
                   external_attr, header + encoded + packed)


def _zip(members: list[_Member], template: Path) -> bytes:
    """A zip archive of `members`, in order."""
    records: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for m in members:
        directory.append(_CENTRAL_HEADER.pack(
            b"PK\x01\x02", _ZIP_VERSION, _CREATE_SYSTEM, _ZIP_VERSION, 0, m.flags, m.method,
            m.dostime, m.dosdate, m.crc, m.compressed_size, m.size, len(m.name), 0, 0, 0, 0,
            m.external_attr, offset) + m.name)
        records.append(m.record)
        offset += len(m.record)
    central = b"".join(directory)
    if offset + len(central) >= _ZIP32_LIMIT or len(members) > 0xFFFF:
        raise TemplateError(f"{template}: a form made from it would be too large")
    end = _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(central),
                           offset, 0)
    return b"".join(records) + central + end


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
