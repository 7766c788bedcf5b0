"""Filling in an issued form the way a person does in Word.

Used by the demo and the tests: it types into the content controls (replacing the placeholder
run and clearing w:showingPlcHdr), picks dropdown items, ticks checkboxes (w14:checked), picks
dates (w:fullDate plus the shown text) and adds table rows by copying the last row of a
repeating section, as Word's plus button does. Nothing else in the document changes.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import zipfile
from typing import Any

from lxml import etree

from generator.formdefs import FormDefinition
from generator.forms.render import set_value
from generator.office import controls
from generator.office.controls import SDT, w, w15


def _by_tag(root: etree._Element) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for sdt in root.iter(SDT):
        tag = controls.tag_of(sdt)
        if tag:
            found.setdefault(tag, []).append(sdt)
    return found


def _clear(sdt: etree._Element) -> None:
    """Empty a control back to a blank answer (used on rows copied from a filled row)."""
    if controls.kind_of(sdt) == "checkbox":
        controls.set_checkbox(sdt, False)
    else:
        controls.set_text(sdt, "")


def _table_items(root: etree._Element, table_id: str) -> tuple[etree._Element | None,
                                                                 list[etree._Element]]:
    for sdt in root.iter(SDT):
        if controls.tag_of(sdt) == table_id and controls.kind_of(sdt) == "repeating":
            content = sdt.find(w("sdtContent"))
            items = [c for c in content if c.tag == SDT] if content is not None else []
            return sdt, items
    return None, []


def fill_document(root: etree._Element, definition: FormDefinition,
                  answers: dict[str, Any]) -> None:
    """Set `answers` (field id -> value; tables as lists of row dicts) in a document tree."""
    for field_id, value in answers.items():
        f = definition.fields.get(field_id)
        if f is None:
            raise KeyError(f"{definition.type} has no field '{field_id}'")
        if f.type == "table":
            _fill_table(root, f.id, f, value)
            continue
        for sdt in _by_tag(root).get(f.id, []):
            if value is None or value == "":
                _clear(sdt)
            else:
                set_value(sdt, f, value)


def _fill_table(root: etree._Element, table_id: str, f: Any, rows: list[dict[str, Any]]) -> None:
    section, items = _table_items(root, table_id)
    if section is None:
        raise KeyError(f"no repeating table '{table_id}' in the document")
    while len(items) < len(rows):
        # Word's "+" inserts a copy of the item after the last one, answers cleared.
        clone = copy.deepcopy(items[-1])
        for sdt in clone.iter(SDT):
            if controls.tag_of(sdt):
                _clear(sdt)
        pr = clone.find(w("sdtPr"))
        if pr is not None and pr.find(w15("repeatingSectionItem")) is None:
            etree.SubElement(pr, w15("repeatingSectionItem"))
        items[-1].addnext(clone)
        items.append(clone)
    for item, row in zip(items, rows + [{}] * (len(items) - len(rows)), strict=True):
        for sdt in item.iter(SDT):
            tag = controls.tag_of(sdt) or ""
            column = next((c for c in f.columns if f"{f.id}.{c.id}" == tag), None)
            if column is None:
                continue
            value = row.get(column.id)
            if value is None or value == "":
                _clear(sdt)
            else:
                set_value(sdt, column, value)


def fill_form(docx_bytes: bytes, definition: FormDefinition, answers: dict[str, Any], *,
              author: str = "A. Person", modified: dt.datetime | None = None) -> bytes:
    """A copy of the form with `answers` filled in and saved, as Word would save it."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    out = io.BytesIO()
    stamp = (modified or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                root = etree.fromstring(data)
                fill_document(root, definition, answers)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            elif info.filename == "docProps/core.xml":
                data = _touch_core(data, author, stamp)
            target.writestr(info, data)
    return out.getvalue()


def _touch_core(data: bytes, author: str, stamp: str) -> bytes:
    root = etree.fromstring(data)
    cp = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
    dcterms = "http://purl.org/dc/terms/"
    for qname, value in ((f"{{{cp}}}lastModifiedBy", author), (f"{{{dcterms}}}modified", stamp)):
        el = root.find(qname)
        if el is None:
            el = etree.SubElement(root, qname)
            if qname.startswith(f"{{{dcterms}}}"):
                el.set("{http://www.w3.org/2001/XMLSchema-instance}type", "dcterms:W3CDTF")
        el.text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
