"""Word content controls (w:sdt): what a control is, its value, and setting it as Word does.

python-docx has no content-control API, so this module works on lxml elements directly.
Reading follows what the document shows with all tracked changes accepted: deleted text
(w:del) and moved-from text are skipped, inserted text (w:ins) is kept, and text formatted as
hidden (w:vanish, directly or through its character style) is not shown, so not read.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import cast

from lxml import etree

from generator.office.ns import W_NS, XML_NS, w, w14, w15

SDT, SDT_PR, SDT_CONTENT = w("sdt"), w("sdtPr"), w("sdtContent")
CHECKED_GLYPH, UNCHECKED_GLYPH = "\u2612", "\u2610"
DATE_FORMAT = "dd/MM/yyyy"
_SKIPPED = {w("del"), w("moveFrom"), w("delText"), w("instrText"), w("delInstrText"),
            w("rPr"), w("pPr"), w("sdtPr"), w("commentReference"),
            w("footnoteReference"), w("endnoteReference")}


# Clark names used for every control and run of a form, built once (a form's reading asked
# for some 3,000 of them: a tenth of its time).
_TAG, _VAL, _RPR, _VANISH, _RSTYLE = w("tag"), w("val"), w("rPr"), w("vanish"), w("rStyle")
_FLDCHAR, _FLDCHARTYPE, _R, _T, _P = w("fldChar"), w("fldCharType"), w("r"), w("t"), w("p")
_SOFT, _SYM, _CHAR = w("softHyphen"), w("sym"), w("char")
_SHOWING_PLACEHOLDER = w("showingPlcHdr")
_KINDS = {w("text"): "text", w("dropDownList"): "dropdown", w("comboBox"): "combobox",
          w("date"): "date", w14("checkbox"): "checkbox", w15("repeatingSection"): "repeating",
          w15("repeatingSectionItem"): "repeating_item", w("group"): "group"}
_LISTS, _LIST_ITEM, _VALUE, _DISPLAY = ((w("dropDownList"), w("comboBox")), w("listItem"),
                                         w("value"), w("displayText"))


def first_child(parent: etree._Element, tag: str) -> etree._Element | None:
    """The first child of `parent` named `tag` (a Clark name), or None.

    `find` with the same name gives the same element, but lxml runs its path matching in
    Python on every call, and `iterchildren(tag)` makes a filtering iterator: looking at the
    children in turn takes 0.5 µs where those take 1.6 and 0.8, for the few children of the
    elements asked about (a control, its properties, a run), ~500 times a form.
    """
    for child in parent:
        if child.tag == tag:
            return child
    return None


def first_of_each(elements: Iterable[etree._Element], one: str, other: str
                  ) -> tuple[etree._Element | None, etree._Element | None]:
    """The first element named `one` and the first named `other` (Clark names) among
    `elements`, in one pass that stops when both are found."""
    first = second = None
    for element in elements:
        tag = element.tag
        if tag == one:
            if first is None:
                first = element
        elif tag == other and second is None:
            second = element
        if first is not None and second is not None:
            break
    return first, second


_WRAPPERS = (SDT, SDT_CONTENT, w("customXml"))


def wrapped_children(parent: etree._Element, tag: str) -> Iterator[etree._Element]:
    """The children of `parent` named `tag` (a Clark name), in order, counting those wrapped
    in a content control or custom XML: Word puts a content control around a whole cell or
    row when one is selected as the control is inserted."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from wrapped_children(child, tag)


def tag_of(sdt: etree._Element) -> str | None:
    """The control's tag (the field id), or None when it has none."""
    pr = first_child(sdt, SDT_PR)
    if pr is None:
        return None
    tag = first_child(pr, _TAG)
    return tag.get(_VAL) if tag is not None else None


def alias_of(sdt: etree._Element) -> str | None:
    pr = sdt.find(SDT_PR)
    alias = pr.find(w("alias")) if pr is not None else None
    return alias.get(w("val")) if alias is not None else None


def kind_of(sdt: etree._Element) -> str:
    """One of text, dropdown, combobox, date, checkbox, repeating, repeating_item, group or
    richtext (a control with none of those properties)."""
    pr = first_child(sdt, SDT_PR)
    if pr is None:
        return "richtext"
    for child in pr:
        kind = _KINDS.get(child.tag)
        if kind is not None:
            return kind
    return "richtext"


def kind_placeholder_and_text(sdt: etree._Element, hidden_styles: frozenset[str] = frozenset()
                              ) -> tuple[str, bool, str]:
    """A control's kind (as `kind_of`), whether it shows its placeholder (w:showingPlcHdr, its
    first one) and what it shows (as `content_text`; empty for a checkbox, whose text is only
    its glyph), in one visit: a form has some 150 boxes, each read this way."""
    pr, content = first_of_each(sdt, SDT_PR, SDT_CONTENT)
    kind: str | None = None
    placeholder: bool | None = None
    if pr is not None:
        for prop in pr:
            tag = prop.tag
            if tag == _SHOWING_PLACEHOLDER:
                if placeholder is None:
                    placeholder = prop.get(_VAL, "1") not in _OFF
            elif kind is None:
                kind = _KINDS.get(tag)
    if kind == "checkbox" or content is None:
        return kind or "richtext", bool(placeholder), ""
    return kind or "richtext", bool(placeholder), _shown(content, hidden_styles)


def is_multiline(sdt: etree._Element) -> bool:
    text = sdt.find(f"{SDT_PR}/{w('text')}")
    return text is not None and text.get(w("multiLine")) in ("1", "true", "on")


# The first w:tag of each control's properties, in document order, found by libxml2 in one
# pass: looking at each w:tag's parents in Python took some 0.08 ms more of a form's ~4.
_FIRST_TAGS = etree.XPath("descendant-or-self::w:sdt/w:sdtPr/w:tag[1]", namespaces={"w": W_NS})


def tagged_controls(root: etree._Element) -> Iterator[tuple[str, etree._Element]]:
    """(tag, control) for each control in `root` (itself included) with a tag, in document
    order: what `tag_of` gives for each of `root.iter(SDT)`, found from the tags themselves,
    which is quicker than visiting every control's properties."""
    for tag in cast(list[etree._Element], _FIRST_TAGS(root)):
        value = tag.get(_VAL)
        if value:
            yield value, cast(etree._Element, cast(etree._Element, tag.getparent()).getparent())


def iter_controls(root: etree._Element) -> Iterator[etree._Element]:
    """Every content control in document order, nested ones included."""
    return root.iter(SDT)


class _ParagraphEnd(str):
    """The newline ending a paragraph, told apart from a typed line break (w:br) by identity."""


_PARAGRAPH_END = _ParagraphEnd("\n")
_SHOWN_LEAVES = {w("t"), w("br"), w("cr"), w("tab"), w("noBreakHyphen"), w("sym")}


def visible_text(element: etree._Element, hidden_styles: frozenset[str] = frozenset()) -> str:
    """The text a reader sees in an element, changes accepted; paragraphs end with a newline.

    The newline ending the last paragraph is dropped; a line break typed at the end (w:br)
    is kept, as it is part of the answer. Runs formatted as hidden are left out: directly
    (w:vanish) or through a character style whose id is in `hidden_styles`.
    """
    parts: list[str] = []
    _collect_text(element, parts, [], hidden_styles)
    if parts and parts[-1] is _PARAGRAPH_END:
        parts.pop()
    return "".join(parts)


def _collect_text(el: etree._Element, out: list[str], fields: list[bool],
                  hidden_styles: frozenset[str]) -> None:
    # `fields` holds the complex fields open at this point in document order, innermost last:
    # True while in a field's code (fldChar begin to separate), False in its shown result.
    # Nothing inside any field's code is shown, not even the result of a field nested in it.
    for child in el:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag == _FLDCHAR:
            _track_field(child.get(_FLDCHARTYPE), fields)
        elif tag in _SKIPPED or tag == _SOFT:
            continue
        elif tag == _R and is_hidden(child, hidden_styles):
            # Nothing of a hidden run is shown, but a field it opens or closes still counts.
            for mark in child.iter(_FLDCHAR):
                _track_field(mark.get(_FLDCHARTYPE), fields)
        elif tag in _SHOWN_LEAVES:
            shown = _leaf_text(child) if True not in fields else None
            if shown is not None:
                out.append(shown)
        else:
            _collect_text(child, out, fields, hidden_styles)
            if tag == _P:
                out.append(_PARAGRAPH_END)


# What each leaf of a run shows, when it is always the same. A page or column break inside
# an answer is still a break between lines.
_LEAF_TEXT = {w("br"): "\n", w("cr"): "\n", w("tab"): "\t", w("noBreakHyphen"): "\u2011"}


def _leaf_text(leaf: etree._Element) -> str | None:
    """The text a leaf of a run (w:t, w:br, w:sym...) shows; None for a symbol it cannot."""
    if leaf.tag == _T:
        return leaf.text or ""
    if leaf.tag == _SYM:
        try:
            return chr(int(leaf.get(_CHAR) or "", 16))
        except (ValueError, OverflowError):  # not hex, or beyond any character (110000+)
            return None
    return _LEAF_TEXT[leaf.tag]


_OFF = ("0", "false", "off")


def _switch(element: etree._Element | None) -> bool | None:
    """An on/off run property (w:vanish...): True, False, or None when it is not set."""
    if element is None:
        return None
    return element.get(_VAL, "1").strip().lower() not in _OFF


def is_hidden(run: etree._Element, hidden_styles: frozenset[str] = frozenset()) -> bool:
    """Whether a run (w:r) is formatted as hidden text, which Word and LibreOffice don't show."""
    rpr = first_child(run, _RPR)
    if rpr is None:
        return False
    direct = _switch(first_child(rpr, _VANISH))
    if direct is not None:
        return direct
    style = first_child(rpr, _RSTYLE)
    return style is not None and style.get(_VAL) in hidden_styles


def hidden_character_styles(styles: etree._Element | None) -> frozenset[str]:
    """The ids of the character styles in a styles part (word/styles.xml) that hide text,
    themselves or through the styles they are based on."""
    if styles is None:
        return frozenset()
    vanish: dict[str, bool | None] = {}
    based_on: dict[str, str] = {}
    for style in styles.findall(w("style")):
        style_id = style.get(w("styleId"))
        if style.get(w("type")) != "character" or not style_id:
            continue
        vanish[style_id] = _switch(style.find(f"{w('rPr')}/{w('vanish')}"))
        parent = style.find(w("basedOn"))
        if parent is not None and parent.get(w("val")):
            based_on[style_id] = parent.get(w("val"), "")
    hidden = set()
    for style_id in vanish:
        seen: set[str] = set()
        current: str | None = style_id
        # The nearest style in the chain that sets w:vanish decides; a loop decides nothing.
        while current is not None and current not in seen and current in vanish:
            seen.add(current)
            if vanish[current] is not None:
                if vanish[current]:
                    hidden.add(style_id)
                break
            current = based_on.get(current)
    return frozenset(hidden)


def _track_field(kind: str | None, fields: list[bool]) -> None:
    if kind == "begin":
        fields.append(True)
    elif kind == "separate" and fields:
        fields[-1] = False
    elif kind == "end" and fields:
        fields.pop()


def content_text(sdt: etree._Element, hidden_styles: frozenset[str] = frozenset()) -> str:
    """What a control shows (see `visible_text`)."""
    content = first_child(sdt, SDT_CONTENT)
    return "" if content is None else _shown(content, hidden_styles)


def _shown(content: etree._Element, hidden_styles: frozenset[str]) -> str:
    """What a control's content (w:sdtContent) shows."""
    plain = _one_plain_run(content, hidden_styles)
    return plain if plain is not None else visible_text(content, hidden_styles)


def _one_plain_run(content: etree._Element, hidden_styles: frozenset[str]) -> str | None:
    """What a control's content shows when it is one run of text only (run properties and
    w:t, as most answers are); None for anything else, which `visible_text` reads. The same
    text `visible_text` gives, in a third of the time."""
    if len(content) != 1:
        return None
    run = content[0]
    if run.tag != _R:
        return None
    texts = []
    for leaf in run:
        if leaf.tag == _T:
            texts.append(leaf.text or "")
        elif leaf.tag != _RPR:
            return None
    return "" if is_hidden(run, hidden_styles) else "".join(texts)


def checkbox_state(sdt: etree._Element) -> bool:
    """A checkbox's state from w14:checked (never from the glyph); missing value means true."""
    checked = sdt.find(f"{SDT_PR}/{w14('checkbox')}/{w14('checked')}")
    if checked is None:
        return False
    value = checked.get(w14("val"))
    return value is None or value.strip().lower() in ("1", "true", "on")


def date_value(sdt: etree._Element) -> str | None:
    """The w:fullDate of a date control as an ISO date, or None (also when it is no real date).

    This is the date last picked from the calendar, not necessarily the answer: LibreOffice
    keeps it when the shown date is retyped or deleted (see `date_answer`).
    """
    date = sdt.find(f"{SDT_PR}/{w('date')}")
    if date is None:
        return None
    full = date.get(w("fullDate"))
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", full or "")
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def values_shown_as(sdt: etree._Element, shown: str) -> Iterator[str]:
    """The value of each item of a dropdown or combo box that shows `shown`, in order: the
    items of `list_items` whose display text is `shown`, without listing the others."""
    return (value for display, value in _items(sdt) if display == shown)


def list_items(sdt: etree._Element) -> list[tuple[str, str]]:
    """(display text, value) of each item of a dropdown or combo box."""
    return list(_items(sdt))


def _items(sdt: etree._Element) -> Iterator[tuple[str, str]]:
    """(display text, value) of each item of a dropdown or combo box, one at a time."""
    pr = first_child(sdt, SDT_PR)
    if pr is None:
        return
    for holder in (first_child(pr, _LISTS[0]), first_child(pr, _LISTS[1])):
        if holder is None:
            continue
        for item in holder:
            if item.tag == _LIST_ITEM:
                value = item.get(_VALUE) or ""
                yield item.get(_DISPLAY) or value, value


# ---- writing values, as Word does when a person types, picks or ticks ----------------------

def _content(sdt: etree._Element) -> etree._Element:
    content = sdt.find(SDT_CONTENT)
    if content is None:
        content = etree.SubElement(sdt, SDT_CONTENT)
    return content


def _run_properties(sdt: etree._Element) -> etree._Element | None:
    rpr = sdt.find(f"{SDT_PR}/{w('rPr')}")
    return etree.fromstring(etree.tostring(rpr)) if rpr is not None else None


def _clear_placeholder_flag(sdt: etree._Element) -> None:
    pr = sdt.find(SDT_PR)
    if pr is not None:
        for flag in pr.findall(w("showingPlcHdr")):
            pr.remove(flag)


def make_runs(text: str, rpr: etree._Element | None = None) -> list[etree._Element]:
    """Runs showing `text`, with line breaks as w:br and tabs as w:tab (as Word writes them)."""
    run = etree.Element(w("r"))
    if rpr is not None:
        run.append(rpr)
    for i, line in enumerate(text.split("\n")):
        if i:
            etree.SubElement(run, w("br"))
        for j, chunk in enumerate(line.split("\t")):
            if j:
                etree.SubElement(run, w("tab"))
            if chunk:
                t = etree.SubElement(run, w("t"))
                t.text = chunk
                t.set(f"{{{XML_NS}}}space", "preserve")
    return [run]


def set_text(sdt: etree._Element, text: str) -> None:
    """Replace the control's content with `text`, clearing the placeholder state."""
    content = _content(sdt)
    paragraph = content.find(w("p"))
    target = paragraph if paragraph is not None else content
    if paragraph is not None:
        # A block-level control: keep one paragraph (and its properties), drop the rest.
        for extra in content.findall(w("p"))[1:]:
            content.remove(extra)
        for child in list(paragraph):
            if child.tag != w("pPr"):
                paragraph.remove(child)
    else:
        for child in list(content):
            content.remove(child)
    for run in make_runs(text, _run_properties(sdt)):
        target.append(run)
    _clear_placeholder_flag(sdt)


def wrap_repeating_row(row: etree._Element, tag: str, alias: str,
                       ids: Iterator[int]) -> etree._Element:
    """Put a table row (w:tr) inside a locked repeating-section control, as Word builds one.

    Word then offers its plus button to add rows; `ids` gives the two controls' w:id values.
    Returns the repeating section, which stands in the table where the row stood.
    """
    section = etree.Element(SDT)
    pr = etree.SubElement(section, SDT_PR)
    etree.SubElement(pr, w("alias")).set(w("val"), alias[:60])
    etree.SubElement(pr, w("tag")).set(w("val"), tag)
    etree.SubElement(pr, w("id")).set(w("val"), str(next(ids)))
    etree.SubElement(pr, w("lock")).set(w("val"), "sdtLocked")
    etree.SubElement(pr, w15("repeatingSection"))
    item = etree.SubElement(etree.SubElement(section, SDT_CONTENT), SDT)
    item_pr = etree.SubElement(item, SDT_PR)
    etree.SubElement(item_pr, w("id")).set(w("val"), str(next(ids)))
    etree.SubElement(item_pr, w15("repeatingSectionItem"))
    content = etree.SubElement(item, SDT_CONTENT)
    table = row.getparent()
    if table is None:
        raise ValueError("the row is not in a table")
    table.replace(row, section)
    content.append(row)
    return section


def set_choice(sdt: etree._Element, display_text: str) -> None:
    """Pick an item of a dropdown by its display text."""
    set_text(sdt, display_text)


def set_checkbox(sdt: etree._Element, checked: bool) -> None:
    box = sdt.find(f"{SDT_PR}/{w14('checkbox')}")
    if box is None:
        raise ValueError(f"control '{tag_of(sdt)}' is not a checkbox")
    state = box.find(w14("checked"))
    if state is None:
        state = etree.Element(w14("checked"))
        box.insert(0, state)
    state.set(w14("val"), "1" if checked else "0")
    set_text(sdt, CHECKED_GLYPH if checked else UNCHECKED_GLYPH)


def set_date(sdt: etree._Element, value: dt.date) -> None:
    date = sdt.find(f"{SDT_PR}/{w('date')}")
    if date is None:
        raise ValueError(f"control '{tag_of(sdt)}' is not a date")
    date.set(w("fullDate"), value.strftime("%Y-%m-%dT00:00:00Z"))
    set_text(sdt, format_date(value, date_format_of(sdt)))


def date_format_of(sdt: etree._Element) -> str:
    fmt = sdt.find(f"{SDT_PR}/{w('date')}/{w('dateFormat')}")
    return (fmt.get(w("val")) if fmt is not None else None) or DATE_FORMAT


_WORD_TO_STRFTIME = [("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"),
                     ("dddd", "%A"), ("ddd", "%a"), ("dd", "%d")]


@lru_cache(maxsize=64)
def _strftime_pattern(word_format: str) -> str:
    pattern = word_format
    for word, py in _WORD_TO_STRFTIME:
        pattern = pattern.replace(word, py)
    # Single-letter d and M (no leading zero) are read with the zero-padded directives.
    pattern = re.sub(r"(?<!%)\bd\b", "%d", pattern)
    return re.sub(r"(?<!%)\bM\b", "%m", pattern)


def format_date(value: dt.date, word_format: str = DATE_FORMAT) -> str:
    return value.strftime(_strftime_pattern(word_format))


# ---- reading dates as a person in the UK writes them ------------------------------------------

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_MONTH_NUMBERS = {name.lower(): number for number, name in enumerate(MONTHS, start=1)}
_MONTH_NUMBERS.update({name[:3].lower(): number for name, number in
                       zip(MONTHS, range(1, 13), strict=True)})
_MONTH_NUMBERS["sept"] = 9
_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?"
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d{4})")
_YEAR_MONTH_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_IN_WORDS = re.compile(
    rf"(?:{_WEEKDAY}\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{{4}})")


def _uk_date_parts(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of text written as a UK date, real or not: day first (4/11/2026,
    04-11-2026, 4.11.2026), in words (4 November 2026, Wednesday 4 Nov 2026) or ISO
    (2026-11-04). None when it is not written as a date at all."""
    text = " ".join(text.split()).lower()
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        day, _, month, year = match.groups()
        return int(year), int(month), int(day)
    if match := _YEAR_MONTH_DAY.fullmatch(text):
        year, month, day = match.groups()
        return int(year), int(month), int(day)
    if (match := _IN_WORDS.fullmatch(text)) and match.group(2) in _MONTH_NUMBERS:
        day, month_name, year = match.groups()
        return int(year), _MONTH_NUMBERS[month_name], int(day)
    return None


def parse_shown_date(text: str, word_format: str | None = None) -> dt.date | None:
    """The date in text a person typed or a date control shows, or None if it is no real date.

    UK orders only, day first: 4/11/2026 and 04/11/2026 are 4 November 2026, never 11 April;
    also 4 November 2026 and 2026-11-04. Failing those, the control's own format
    (`word_format`, as in w:dateFormat) is tried.
    """
    parts = _uk_date_parts(text)
    if parts is not None:
        try:
            return dt.date(*parts)
        except ValueError:
            pass
    return _in_format(" ".join(text.split()), word_format) if word_format else None


def impossible_date(text: str) -> str | None:
    """Why text written as a UK date is no real date ("February 2026 has 28 days"), or None
    when it is a real date or not written as a date."""
    parts = _uk_date_parts(text)
    if parts is None:
        return None
    year, month, day = parts
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if year < 1:
        return "there is no year 0"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"{MONTHS[month - 1]} {year} has {days} days"
    return None


def date_answer(sdt: etree._Element, shown: str) -> str | None:
    """The answer of a date control showing `shown` (its placeholder already ruled out).

    What the document shows is the answer: LibreOffice keeps the last picked w:fullDate when
    a person retypes or deletes the date. So an ISO date when the shown text is a date (the
    shown date wins over a different w:fullDate), None when the control shows nothing, and the
    shown text itself when it is not a date, for validation to report.
    """
    shown = " ".join(shown.split())
    if not shown:
        return None
    word_format = date_format_of(sdt)
    stored = date_value(sdt)
    full = dt.date.fromisoformat(stored) if stored else None
    # The control's own rendering of its stored date: nothing was retyped. Checked first so
    # that a control formatted month first keeps the date picked from its calendar.
    if full is not None and _shows_the_date(shown, full, word_format):
        return full.isoformat()
    parsed = parse_shown_date(shown, word_format)
    if parsed is not None:
        return parsed.isoformat()
    if full is not None and impossible_date(shown) is None and _names(shown, full):
        # A format this module cannot read (month names in Welsh, say) showing the numbers of
        # the stored date: the control shows the date that was picked.
        return full.isoformat()
    return shown


def _shows_the_date(shown: str, full: dt.date, word_format: str) -> bool:
    """Whether `shown` reads as `full` in the control's format. Most show it as the control
    wrote it, which is checked first: formatting a date takes a fraction of the time of
    parsing one. That check needs a format that writes the day, month and whole year."""
    pattern = _strftime_pattern(word_format)
    if _whole_date(pattern) and shown == full.strftime(pattern):
        return True
    return _in_format(shown, word_format) == full


@lru_cache(maxsize=64)
def _whole_date(pattern: str) -> bool:
    """Whether a strftime pattern writes a date's day, month and four-digit year, and nothing
    but those and its weekday: the only text it writes for a date reads back as that date."""
    directives = set(re.findall(r"%(.)", pattern))
    return ({"d", "Y"} <= directives and bool(directives & {"m", "b", "B"})
            and directives <= set("dmbBYaA%"))


def _in_format(text: str, word_format: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, _strftime_pattern(word_format)).date()
    except ValueError:
        return None


def _names(shown: str, full: dt.date) -> bool:
    """Whether the numbers in `shown` are the day and year of `full` (and maybe its month)."""
    numbers = {int(n) for n in re.findall(r"\d+", shown)}
    years = {full.year, full.year % 100}
    return (full.day in numbers and bool(numbers & years)
            and numbers <= {full.day, full.month} | years)
