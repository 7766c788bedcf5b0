"""Filling in an issued form the way a person does in Word.

Used by the demo and the tests: it types into the content controls (replacing the placeholder
run and clearing w:showingPlcHdr), picks dropdown items, ticks checkboxes (w14:checked), picks
dates (w:fullDate plus the shown text) and adds table rows by copying the last row of a
repeating section, as Word's plus button does. Nothing else in the document changes.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from lxml import etree

from generator.formdefs import FormDefinition
from generator.forms.render import cell_value, set_value
from generator.office import controls
from generator.office.controls import SDT
from generator.office.docprops import set_core_properties
from generator.office.ns import w, w15
from generator.office.xml import SAFE_PARSER
from generator.office.zipio import copy_package


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
    # Looked up once: the rows a table gains hold only its columns' boxes ("table.column"),
    # never a box of another field.
    boxes = _by_tag(root)
    for field_id, value in answers.items():
        f = definition.fields.get(field_id)
        if f is None:
            raise KeyError(f"{definition.type} has no field '{field_id}'")
        if f.type == "table":
            _fill_table(root, f.id, f, value)
            continue
        for sdt in boxes.get(f.id, []):
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
            value = cell_value(column, row)
            if value is None or value == "":
                _clear(sdt)
            else:
                set_value(sdt, column, value)


def fill_form(docx_bytes: bytes, definition: FormDefinition, answers: dict[str, Any], *,
              author: str = "A. Person", modified: dt.datetime | None = None) -> bytes:
    """A copy of the form with `answers` filled in and saved, as Word would save it."""
    stamp = (modified or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def filled(data: bytes) -> bytes:
        root = etree.fromstring(data, SAFE_PARSER)
        fill_document(root, definition, answers)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    return copy_package(docx_bytes, {
        "word/document.xml": filled,
        "docProps/core.xml": lambda data: set_core_properties(
            data, {"lastModifiedBy": author, "modified": stamp}),
    })
