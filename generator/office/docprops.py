"""Document properties of an Office package: custom properties, and core ones (title, dates).

A form's identity is kept in custom properties (docProps/custom.xml), which Word and
LibreOffice keep when they save; the core properties carry its title, language and times.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

from lxml import etree

from generator.office.ns import CORE_NS, CUSTOM_NS, DC_NS, DCTERMS_NS, VT_NS, XSI_NS
from generator.office.xml import SAFE_PARSER

CUSTOM_PROPS_PART = "docProps/custom.xml"
CUSTOM_PROPS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
CUSTOM_PROPS_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
# The core properties this module sets, by the short names callers use.
CORE_NAMES = {"title": f"{{{DC_NS}}}title", "language": f"{{{DC_NS}}}language",
              "created": f"{{{DCTERMS_NS}}}created", "modified": f"{{{DCTERMS_NS}}}modified",
              "lastModifiedBy": f"{{{CORE_NS}}}lastModifiedBy"}


def now_w3cdtf() -> str:
    """The time now as the core properties write it (UTC, to the second)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def custom_properties_xml(props: dict[str, str], existing: bytes | None = None) -> bytes:
    """docProps/custom.xml holding `props`, keeping any other properties already there."""
    kept = []
    if existing:
        root = etree.fromstring(existing, SAFE_PARSER)
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
        f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}">'
        + "".join(entries) + "</Properties>"
    ).encode("utf-8")


def with_custom_properties_type(data: bytes) -> bytes:
    """[Content_Types].xml with the custom properties part declared."""
    override = (f'<Override PartName="/{CUSTOM_PROPS_PART}" ContentType="{CUSTOM_PROPS_TYPE}"/>'
                ).encode()
    return data.replace(b"</Types>", override + b"</Types>")


def with_custom_properties_relationship(data: bytes) -> bytes:
    """_rels/.rels with a relationship to the custom properties part."""
    ids = {int(n) for n in re.findall(rb'Id="rId(\d+)"', data)}
    new_id = max(ids, default=0) + 1
    rel = (f'<Relationship Id="rId{new_id}" Type="{CUSTOM_PROPS_REL}" '
           f'Target="{CUSTOM_PROPS_PART}"/>').encode()
    return data.replace(b"</Relationships>", rel + b"</Relationships>")


def set_core_properties(data: bytes, values: Mapping[str, str]) -> bytes:
    """docProps/core.xml with the properties in `values` set (keys as in CORE_NAMES)."""
    root = etree.fromstring(data, SAFE_PARSER)
    for key, value in values.items():
        if not value:
            continue
        qname = CORE_NAMES[key]
        element = root.find(qname)
        if element is None:
            element = etree.SubElement(root, qname)
            if qname.startswith(f"{{{DCTERMS_NS}}}"):
                element.set(f"{{{XSI_NS}}}type", "dcterms:W3CDTF")
        element.text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
