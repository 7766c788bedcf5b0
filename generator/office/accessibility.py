"""Accessibility check of a committee paper (`partnerships report check FILE`).

Checks a .docx against the parts of the Public Sector Bodies Accessibility Regulations
2018 (WCAG 2.2 AA) that can be checked mechanically:

- `heading-order`: headings ("Title", "Heading 1".."Heading 9") start at level 1 or
  Title and never skip a level going down;
- `empty-heading`: no heading paragraph without text;
- `no-headings`: the document has at least one heading;
- `table-header`: every table's first row is a header row (w:tblHeader);
- `merged-cells`: no merged cells (w:gridSpan > 1, w:vMerge, w:hMerge);
- `alt-text`: every drawing (wp:docPr) has alt text or is marked decorative; legacy
  VML pictures have alt text;
- `title`: the document title (core properties) is set;
- `language`: a language is set (core properties or styles.xml docDefaults) and is the
  expected one;
- `contrast`: text in table cells has a contrast ratio of at least 4.5:1 with its
  background (cell, paragraph or run shading, else white); other body text at least
  4.5:1, or 3:1 for large text (18pt, or 14pt bold), against its shading or the page;
- `colour-only`: no shaded table cell without text (the colour would carry the meaning
  alone);
- `link-text`: link text is descriptive: not "click here", "here", "link", "more", a
  bare URL or empty.

Text colours and sizes are resolved from the run, its character style, the paragraph
style (with base styles) and the document defaults; table style formatting is not
considered. Text colour "auto" counts as black.

The package is opened as returned forms are (`generator.office.safe_open`): its contents
checked before anything is decompressed, no entities, no network, no DTDs, size limits on
every part.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from generator.errors import ReportError, UnreadableFile
from generator.office.controls import wrapped_children
from generator.office.ns import (
    A_NS,
    ADEC_NS,
    DC_NS,
    MC_NS,
    PKG_REL_NS,
    R_NS,
    V_NS,
    W_NS,
    WP_NS,
)
from generator.office.safe_open import open_package
from generator.wording import plural

__all__ = ["Finding", "check_paper", "contrast_ratio", "format_findings", "link_text_problem"]

MIN_CONTRAST = 4.5
MIN_CONTRAST_LARGE = 3.0

W, R, WP, A, MC, V = W_NS, R_NS, WP_NS, A_NS, MC_NS, V_NS
PKG_REL, DC, ADEC = PKG_REL_NS, DC_NS, ADEC_NS

_OFFICE_DOCUMENT = "/officeDocument"
_CORE_PROPERTIES = "/metadata/core-properties"
_SECONDARY_PARTS = ("header", "footer", "footnotes", "endnotes")


_HEADING = re.compile(r"^heading ([1-9])$")
_BAD_LINK_TEXT = {
    "click here",
    "here",
    "link",
    "more",
    "click",
    "read more",
    "this link",
    "click this link",
    "more info",
    "more information",
}
_HIGHLIGHT = {
    "black": "000000",
    "blue": "0000FF",
    "cyan": "00FFFF",
    "darkBlue": "000080",
    "darkCyan": "008080",
    "darkGray": "808080",
    "darkGreen": "008000",
    "darkMagenta": "800080",
    "darkRed": "800000",
    "darkYellow": "808000",
    "green": "00FF00",
    "lightGray": "C0C0C0",
    "magenta": "FF00FF",
    "red": "FF0000",
    "white": "FFFFFF",
    "yellow": "FFFF00",
}
_HEX = re.compile(r"^[0-9A-Fa-f]{6}$")


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass(frozen=True)
class Finding:
    """One accessibility problem: the rule broken, where, and what to do about it."""

    rule: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message} [{self.rule}]"


def format_findings(findings: list[Finding]) -> str:
    """Plain-text report of findings, one per line, or a pass message when there are none."""
    if not findings:
        return "No accessibility problems found."
    lines = [f"{plural(len(findings), 'accessibility problem')} found:"]
    lines.extend(f"- {finding}" for finding in findings)
    return "\n".join(lines)


# --------------------------------------------------------------------------- colour


def _luminance(hex_colour: str) -> float:
    channels = []
    for i in (0, 2, 4):
        c = int(hex_colour[i : i + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (1 to 21) of two RRGGBB colours (a leading "#" is allowed)."""
    fg, bg = foreground.lstrip("#"), background.lstrip("#")
    for colour in (fg, bg):
        if not _HEX.match(colour):
            raise ValueError(f"not an RRGGBB colour: {colour!r}")
    lighter, darker = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _hex_or_none(value: str | None) -> str | None:
    if value is None or not _HEX.match(value):
        return None  # "auto", "none", theme-only values
    return value.upper()


def _shading_colour(shd: etree._Element | None) -> str | None:
    """The background colour a w:shd element paints, or None for no shading."""
    if shd is None:
        return None
    pattern = shd.get(_w("val"), "clear")
    if pattern == "nil":
        return None
    if pattern == "solid":
        return _hex_or_none(shd.get(_w("color"))) or "000000"
    return _hex_or_none(shd.get(_w("fill")))


# --------------------------------------------------------------------------- package


class _Package:
    """The parts of a .docx needed for the checks, opened with the same safe opener and limits
    as returned forms (a paper given to `report check` may come from anywhere)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise ReportError(f"File not found: {path}")
        try:
            self._word = open_package(path)
        except UnreadableFile as exc:
            raise _cannot_check(exc) from None
        self.path = path

    def close(self) -> None:
        """Nothing to close: the package was read into memory when it was opened."""

    def xml(self, name: str) -> etree._Element | None:
        """Parse part `name`, or None if it does not exist."""
        try:
            return self._word.part_xml(name)
        except UnreadableFile as exc:
            raise _cannot_check(exc) from None

    def rels(self, part: str) -> list[tuple[str, str, str, str]]:
        """(id, type, target part name or URL, target mode) for each relationship of `part`."""
        folder, name = posixpath.split(part)
        rels = self.xml(posixpath.join(folder, "_rels", f"{name}.rels"))
        if rels is None:
            return []
        result = []
        for rel in rels.iter(f"{{{PKG_REL}}}Relationship"):
            target = rel.get("Target", "")
            mode = rel.get("TargetMode", "Internal")
            if mode != "External":
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
            result.append((rel.get("Id", ""), rel.get("Type", ""), target, mode))
        return result


def _cannot_check(exc: UnreadableFile) -> ReportError:
    # The opener's advice (its message's last clause) is for returned forms ("ask the
    # sender..."); a paper is the officer's own, so keep what it found, with a paper's advice.
    found = str(exc).rsplit("; ", 1)[0]
    return ReportError(f"{found}; save the paper again from Word and check the saved copy")


def _iter(
    root: etree._Element, tags: Collection[str], skip: Collection[str] = ()
) -> Iterator[etree._Element]:
    """Elements with a tag in `tags` in document order, skipping mc:Fallback and `skip`."""
    stack = [root]
    fallback = f"{{{MC}}}Fallback"
    while stack:
        element = stack.pop()
        if not isinstance(element.tag, str):
            continue
        if element is not root and (element.tag == fallback or element.tag in skip):
            continue
        if element.tag in tags:
            yield element
        stack.extend(reversed(element))


def _text(element: etree._Element) -> str:
    parts = []
    for node in _iter(element, {_w("t"), _w("tab"), _w("br"), _w("cr"), _w("noBreakHyphen")}):
        if node.tag == _w("t"):
            parts.append(node.text or "")
        elif node.tag == _w("tab"):
            parts.append("\t")
        elif node.tag == _w("noBreakHyphen"):
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- styles


class _Styles:
    """Style names, base styles and run properties from styles.xml."""

    def __init__(self, root: etree._Element | None) -> None:
        self.names: dict[str, str] = {}
        self.based_on: dict[str, str] = {}
        self.run_props: dict[str, etree._Element] = {}
        self.default_paragraph: str | None = None
        self.default_run_props: etree._Element | None = None
        self.language: str | None = None
        if root is None:
            return
        defaults = root.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}")
        if defaults is not None:
            self.default_run_props = defaults
            lang = defaults.find(_w("lang"))
            lang_value = (lang.get(_w("val")) or "").strip() if lang is not None else ""
            if lang_value:
                self.language = lang_value
        for style in root.iter(_w("style")):
            style_id = style.get(_w("styleId"), "")
            name = style.find(_w("name"))
            self.names[style_id] = name.get(_w("val"), "") if name is not None else style_id
            based = style.find(_w("basedOn"))
            if based is not None:
                self.based_on[style_id] = based.get(_w("val"), "")
            rpr = style.find(_w("rPr"))
            if rpr is not None:
                self.run_props[style_id] = rpr
            if style.get(_w("type")) == "paragraph" and style.get(_w("default")) in ("1", "true"):
                self.default_paragraph = style_id

    def run_property(self, style_id: str | None, tag: str) -> etree._Element | None:
        """The w:`tag` run property a style (or its base styles) sets, or None."""
        seen: set[str] = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            rpr = self.run_props.get(style_id)
            found = rpr.find(_w(tag)) if rpr is not None else None
            if found is not None:
                return found
            style_id = self.based_on.get(style_id)
        return None

    def heading_level(self, paragraph: etree._Element) -> int | None:
        """0 for Title, 1-9 for Heading N, None for any other paragraph."""
        style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
        style_id = style.get(_w("val")) if style is not None else self.default_paragraph
        if not style_id:
            return None
        name = self.names.get(style_id, style_id).strip().lower()
        if name == "title":
            return 0
        match = _HEADING.match(name)
        return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- checks


# What a link may hold instead of text: a picture.
_LINK_OBJECTS = {_w("drawing"), _w("pict")}


@dataclass
class _ComplexField:
    """A complex field (w:fldChar begin, its code, separate, what it shows, end) being read."""

    code: str = ""
    showing: bool = False  # past its separate mark: reading what it shows
    text: str = ""
    has_object: bool = False

    @property
    def hyperlink(self) -> bool:
        return self.code.strip().upper().startswith("HYPERLINK")

    def read(self, node: etree._Element) -> None:
        """Take in a node of a run inside the field: part of its code, or of what it shows."""
        if not self.showing:
            if node.tag == _w("instrText"):
                self.code += node.text or ""
        elif node.tag == _w("t"):
            self.text += node.text or ""
        elif node.tag in _LINK_OBJECTS:
            self.has_object = True


class _OpenFields:
    """The complex fields open at a point of a paragraph, innermost last."""

    def __init__(self) -> None:
        self.fields: list[_ComplexField] = []

    def mark(self, kind: str | None) -> _ComplexField | None:
        """Take a field's begin, separate or end mark; the field, when it ends."""
        if kind == "begin":
            self.fields.append(_ComplexField())
        elif kind == "separate" and self.fields:
            self.fields[-1].showing = True
        elif kind == "end" and self.fields:
            return self.fields.pop()
        return None

    def read(self, node: etree._Element) -> None:
        if self.fields:
            self.fields[-1].read(node)


def _complex_hyperlinks(paragraph: etree._Element
                        ) -> Iterator[tuple[etree._Element, str, bool]]:
    """(the run ending it, shown text, holds a picture) for each HYPERLINK complex field."""
    open_fields = _OpenFields()
    for run in _iter(paragraph, {_w("r")}):
        for node in run:
            if node.tag != _w("fldChar"):
                open_fields.read(node)
                continue
            ended = open_fields.mark(node.get(_w("fldCharType")))
            if ended is not None and ended.hyperlink:
                yield run, ended.text, ended.has_object


class _Checker:
    def __init__(self, package: _Package) -> None:
        self.package = package
        # (group, order, finding): group 0 document properties, 1 body, 2 headers/footers/notes
        self.findings: list[tuple[int, int, Finding]] = []
        root_rels = package.rels("")
        main = next((t for _, ty, t, _m in root_rels if ty.endswith(_OFFICE_DOCUMENT)), None)
        if main is None:
            main = "word/document.xml" if package.xml("word/document.xml") is not None else None
        if main is None:
            raise ReportError(f"{package.path} is not a Word document (.docx)")
        self.main = main
        document = package.xml(main)
        if document is None or document.tag != _w("document"):
            raise ReportError(f"{package.path} is not a Word document (.docx)")
        self.document = document
        self.core_name = next(
            (t for _, ty, t, _m in root_rels if ty.endswith(_CORE_PROPERTIES)), None
        )
        self.doc_rels = package.rels(main)
        styles_part = next((t for _, ty, t, _m in self.doc_rels if ty.endswith("/styles")), None)
        self.styles = _Styles(package.xml(styles_part) if styles_part else None)
        body = document.find(_w("body"))
        self.body = body if body is not None else document
        # document order of every body element, to sort findings
        # keyed by element; `add` looks up None (no element) too, which finds nothing
        self.order: dict[etree._Element | None, int] = {
            el: i for i, el in enumerate(self.body.iter())
        }
        self.paragraph_numbers = {p: i for i, p in enumerate(_iter(self.body, {_w("p")}), start=1)}

    def add(self, group: int, element: etree._Element | None, finding: Finding) -> None:
        self.findings.append((group, self.order.get(element, 0), finding))

    # -- metadata
    def check_metadata(self, expected_language: str | None) -> None:
        core = self.package.xml(self.core_name) if self.core_name else None
        title = core.findtext(f"{{{DC}}}title") if core is not None else None
        if not (title or "").strip():
            self.add(
                0,
                None,
                Finding(
                    "title",
                    "document properties",
                    "The document has no title. Set the title in File > Info > Properties; "
                    "screen readers announce it.",
                ),
            )
        core_lang = (core.findtext(f"{{{DC}}}language") or "").strip() if core is not None else ""
        style_lang = self.styles.language or ""
        if not core_lang and not style_lang:
            self.add(
                0,
                None,
                Finding(
                    "language",
                    "document properties",
                    "No document language is set. Set it to "
                    f"{expected_language or 'the language of the text'} so screen readers "
                    "pronounce the text correctly (in Word: Review > Language > Set Proofing "
                    "Language, with the whole document selected).",
                ),
            )
            return
        if expected_language:
            for where, value in (("core properties", core_lang), ("default style", style_lang)):
                if value and value.lower() != expected_language.lower():
                    self.add(
                        0,
                        None,
                        Finding(
                            "language",
                            f"document properties ({where})",
                            f"The document language is '{value}' but '{expected_language}' is "
                            "expected. Select the whole document and set it in Review > "
                            "Language > Set Proofing Language.",
                        ),
                    )

    # -- headings
    def check_headings(self) -> None:
        previous: int | None = None
        seen_any = False
        for paragraph in _iter(self.body, {_w("p")}, skip={_w("txbxContent")}):
            number = self.paragraph_numbers.get(paragraph, 0)
            level = self.styles.heading_level(paragraph)
            if level is None:
                continue
            seen_any = True
            name = "Title" if level == 0 else f"Heading {level}"
            text = _text(paragraph)
            if not text.strip():
                self.add(
                    1,
                    paragraph,
                    Finding(
                        "empty-heading",
                        f"empty {name} (paragraph {number})",
                        f"This {name} paragraph has no text. Delete it or give it a heading; "
                        "use spacing in the style instead of empty headings.",
                    ),
                )
                continue
            location = f"heading '{_short(text)}' (paragraph {number})"
            if previous is None and level > 1:
                self.add(
                    1,
                    paragraph,
                    Finding(
                        "heading-order",
                        location,
                        f"The first heading is {name}; start with Heading 1 (or Title).",
                    ),
                )
            elif previous is not None and level > previous + 1:
                before = "Title" if previous == 0 else f"Heading {previous}"
                self.add(
                    1,
                    paragraph,
                    Finding(
                        "heading-order",
                        location,
                        f"{name} follows {before}, skipping a level. Use Heading "
                        f"{previous + 1} here, or add the missing level above it.",
                    ),
                )
            previous = level
        if not seen_any:
            self.add(
                0,
                None,
                Finding(
                    "no-headings",
                    "document",
                    "The document has no headings. Use the Heading 1, Heading 2... styles "
                    "so readers can navigate by heading.",
                ),
            )

    # -- tables
    def check_tables(self) -> None:
        tables = _iter(self.body, {_w("tbl")}, skip={_w("txbxContent")})
        for number, table in enumerate(tables, start=1):
            caption = table.find(f"{_w('tblPr')}/{_w('tblCaption')}")
            caption_text = (caption.get(_w("val")) or "") if caption is not None else ""
            rows = list(wrapped_children(table, _w("tr")))
            if caption_text.strip():
                label = f"table {number} '{_short(caption_text, 50)}'"
            elif rows and _text(rows[0]).strip():
                label = f"table {number} (starting '{_short(_text(rows[0]), 40)}')"
            else:
                label = f"table {number}"
            if not rows:
                continue
            header = rows[0].find(f"{_w('trPr')}/{_w('tblHeader')}")
            if header is None or header.get(_w("val"), "1").lower() in ("0", "false", "off"):
                self.add(
                    1,
                    table,
                    Finding(
                        "table-header",
                        label,
                        "The first row is not marked as a header row. Mark it (Table Properties "
                        "> Row > Repeat as header row) so screen readers can name each column.",
                    ),
                )
            merged: list[str] = []
            for r, row in enumerate(rows, start=1):
                for c, cell in enumerate(wrapped_children(row, _w("tc")), start=1):
                    tc_pr = cell.find(_w("tcPr"))
                    if tc_pr is not None:
                        span = tc_pr.find(_w("gridSpan"))
                        if (span is not None and _int(span.get(_w("val"))) > 1) or (
                            tc_pr.find(_w("vMerge")) is not None
                            or tc_pr.find(_w("hMerge")) is not None
                        ):
                            merged.append(f"row {r}, column {c}")
                    self._check_cell(cell, tc_pr, f"{label}, row {r}, column {c}")
            if merged:
                shown = "; ".join(merged[:5]) + ("; ..." if len(merged) > 5 else "")
                self.add(
                    1,
                    table,
                    Finding(
                        "merged-cells",
                        label,
                        f"{len(merged)} merged cell(s) ({shown}). Merged cells confuse screen "
                        "readers; split them and repeat the value, or restructure the table.",
                    ),
                )

    def _check_cell(self, cell: etree._Element, tc_pr: etree._Element | None, where: str) -> None:
        cell_fill = _shading_colour(tc_pr.find(_w("shd")) if tc_pr is not None else None)
        text = _text(cell)
        if not text.strip():
            has_object = next(_iter(cell, {_w("drawing"), _w("pict"), _w("object")}), None)
            if cell_fill is not None and cell_fill != "FFFFFF" and has_object is None:
                self.add(
                    1,
                    cell,
                    Finding(
                        "colour-only",
                        where,
                        f"The cell is shaded #{cell_fill} but has no text, so the colour carries "
                        "the meaning alone. Write the rating or value in words (e.g. 'Red').",
                    ),
                )
            return
        worst: tuple[float, str, str] | None = None
        for paragraph in _iter(cell, {_w("p")}, skip={_w("tbl")}):
            ppr = paragraph.find(_w("pPr"))
            par_style = ppr.find(_w("pStyle")) if ppr is not None else None
            par_style_id = (
                par_style.get(_w("val")) if par_style is not None else self.styles.default_paragraph
            )
            par_fill = _shading_colour(ppr.find(_w("shd")) if ppr is not None else None)
            for run in _iter(paragraph, {_w("r")}):
                if not "".join(t.text or "" for t in run.iter(_w("t"))).strip():
                    continue
                fg, bg, _large = self._run_format(run, par_style_id)
                background = bg or par_fill or cell_fill or "FFFFFF"
                ratio = contrast_ratio(fg, background)
                if worst is None or ratio < worst[0]:
                    worst = (ratio, fg, background)
        if worst is not None and worst[0] < MIN_CONTRAST:
            ratio, fg, bg = worst
            self.add(
                1,
                cell,
                Finding(
                    "contrast",
                    where,
                    f"Text #{fg} on #{bg} has a contrast ratio of {ratio:.1f}:1; at least "
                    f"{MIN_CONTRAST}:1 is needed. Use a darker fill with white text or a lighter "
                    "fill with black text.",
                ),
            )

    def _run_format(
        self, run: etree._Element, par_style_id: str | None
    ) -> tuple[str, str | None, bool]:
        """(text colour, run background or None, is large text) of a run.

        Properties come from the run, its character style, the paragraph style and the
        document defaults, in that order. Text colour "auto" counts as black. Large text
        (WCAG) is at least 18pt, or 14pt bold.
        """
        rpr = run.find(_w("rPr"))
        run_style = rpr.find(_w("rStyle")) if rpr is not None else None
        run_style_id = run_style.get(_w("val")) if run_style is not None else None

        def prop(tag: str) -> etree._Element | None:
            for found in (
                rpr.find(_w(tag)) if rpr is not None else None,
                self.styles.run_property(run_style_id, tag),
                self.styles.run_property(par_style_id, tag),
                (
                    self.styles.default_run_props.find(_w(tag))
                    if self.styles.default_run_props is not None
                    else None
                ),
            ):
                if found is not None:
                    return found
            return None

        colour_element = prop("color")
        colour = _hex_or_none(colour_element.get(_w("val"))) if colour_element is not None else None
        background = None
        if rpr is not None:
            highlight = rpr.find(_w("highlight"))
            if highlight is not None:
                background = _HIGHLIGHT.get(highlight.get(_w("val"), ""))
            background = _shading_colour(rpr.find(_w("shd"))) or background
        if background is None and run_style_id:
            highlight = self.styles.run_property(run_style_id, "highlight")
            if highlight is not None:
                background = _HIGHLIGHT.get(highlight.get(_w("val"), ""))
        size_element = prop("sz")
        half_points = _int(size_element.get(_w("val")) if size_element is not None else "22")
        bold_element = prop("b")
        bold = bold_element is not None and bold_element.get(_w("val"), "1").lower() not in (
            "0",
            "false",
            "off",
        )
        large = half_points >= 36 or (bold and half_points >= 28)
        return colour or "000000", background, large

    def check_text_contrast(self) -> None:
        """Text outside tables against the page (or its paragraph/run shading)."""
        background = self.document.find(_w("background"))
        page = _hex_or_none(background.get(_w("color"))) if background is not None else None
        page = page or "FFFFFF"
        paragraphs = _iter(self.body, {_w("p")}, skip={_w("tbl"), _w("txbxContent")})
        for paragraph in paragraphs:
            ppr = paragraph.find(_w("pPr"))
            par_style = ppr.find(_w("pStyle")) if ppr is not None else None
            par_style_id = (
                par_style.get(_w("val")) if par_style is not None else self.styles.default_paragraph
            )
            par_fill = _shading_colour(ppr.find(_w("shd")) if ppr is not None else None)
            worst: tuple[float, float, str, str] | None = None  # (shortfall, ratio, fg, bg)
            for run in _iter(paragraph, {_w("r")}):
                if not "".join(t.text or "" for t in run.iter(_w("t"))).strip():
                    continue
                fg, bg, large = self._run_format(run, par_style_id)
                bg = bg or par_fill or page
                ratio = contrast_ratio(fg, bg)
                needed = MIN_CONTRAST_LARGE if large else MIN_CONTRAST
                if ratio < needed and (worst is None or ratio - needed < worst[0]):
                    worst = (ratio - needed, ratio, fg, bg)
            if worst is None:
                continue
            _, ratio, fg, bg = worst
            number = self.paragraph_numbers.get(paragraph, 0)
            level = self.styles.heading_level(paragraph)
            text = _text(paragraph)
            if level is not None:
                location = f"heading '{_short(text)}' (paragraph {number})"
            else:
                location = f"paragraph {number} '{_short(text, 40)}'"
            style_name = self.styles.names.get(par_style_id or "", par_style_id or "")
            if style_name == style_name.lower():  # built-in names are stored as "heading 2"
                style_name = style_name[:1].upper() + style_name[1:]
            self.add(
                1,
                paragraph,
                Finding(
                    "contrast",
                    location,
                    f"Text #{fg} on #{bg} has a contrast ratio of {ratio:.1f}:1; at least "
                    f"{MIN_CONTRAST}:1 is needed ({MIN_CONTRAST_LARGE}:1 for text of 18pt, or "
                    f"14pt bold). Darken the text colour (style '{style_name}' or the text "
                    "itself).",
                ),
            )

    # -- drawings and links, in the body and in headers, footers and notes
    def _parts(self) -> Iterator[tuple[str, etree._Element]]:
        yield "", self.body
        for _rid, rel_type, target, mode in self.doc_rels:
            kind = rel_type.rsplit("/", 1)[-1]
            if mode != "External" and kind in _SECONDARY_PARTS:
                root = self.package.xml(target)
                if root is not None:
                    yield f" in {kind} ({target})", root

    def check_drawings(self) -> None:
        number = 0
        doc_pr_tag = f"{{{WP}}}docPr"
        shape_tag = f"{{{V}}}shape"
        for suffix, root in self._parts():
            group = 1 if not suffix else 2
            for element in _iter(root, {doc_pr_tag, shape_tag}):
                if element.tag == shape_tag:
                    if element.find(f"{{{V}}}imagedata") is None:
                        continue
                    number += 1
                    if not (element.get("alt") or "").strip():
                        self.add(
                            group,
                            element,
                            Finding(
                                "alt-text",
                                f"image {number}{suffix}",
                                "This picture has no alt text. Add a description (right-click "
                                "> Edit Alt Text) or mark it as decorative.",
                            ),
                        )
                    continue
                number += 1
                if (element.get("descr") or "").strip() or _is_decorative(element):
                    continue
                name = (element.get("title") or element.get("name") or "").strip()
                label = f"image {number}" + (f" '{_short(name, 40)}'" if name else "") + suffix
                self.add(
                    group,
                    element,
                    Finding(
                        "alt-text",
                        label,
                        "This picture or shape has no alt text. Add a description of what it "
                        "shows (right-click > Edit Alt Text) or mark it as decorative.",
                    ),
                )

    def check_links(self) -> None:
        for suffix, root in self._parts():
            group = 1 if not suffix else 2
            paragraphs = list(_iter(root, {_w("p")}))
            number_of = {p: i for i, p in enumerate(paragraphs, start=1)}
            for paragraph in paragraphs:
                for element, text, has_object in self._links_in(paragraph):
                    problem = link_text_problem(text, has_object)
                    if problem is None:
                        continue
                    shown = f"link '{_short(text, 40)}'" if text.strip() else "link"
                    self.add(
                        group,
                        element,
                        Finding(
                            "link-text",
                            f"{shown} (paragraph {number_of[paragraph]}){suffix}",
                            problem,
                        ),
                    )

    def _links_in(self, paragraph: etree._Element) -> Iterator[tuple[etree._Element, str, bool]]:
        """(element, display text, contains a picture) for each hyperlink in a paragraph."""
        for link in _iter(paragraph, {_w("hyperlink")}):
            yield link, _text(link), next(_iter(link, _LINK_OBJECTS), None) is not None
        for field in _iter(paragraph, {_w("fldSimple")}):
            if (field.get(_w("instr")) or "").strip().upper().startswith("HYPERLINK"):
                yield field, _text(field), next(_iter(field, _LINK_OBJECTS), None) is not None
        yield from _complex_hyperlinks(paragraph)

    def result(self) -> list[Finding]:
        return [finding for _, _, finding in sorted(self.findings, key=lambda f: (f[0], f[1]))]


def _int(value: str | None) -> int:
    try:
        return int(value or "1")
    except ValueError:
        return 1


def _is_decorative(doc_pr: etree._Element) -> bool:
    for element in doc_pr.iter(f"{{{ADEC}}}decorative"):
        if (element.get("val") or "").lower() in ("1", "true"):
            return True
    return False


def link_text_problem(text: str, has_object: bool = False) -> str | None:
    """Why link text is not descriptive, or None when it is fine.

    Not descriptive: empty (unless the link holds a picture, whose alt text is then the
    link text), "click here", "here", "link", "more" and similar, or a bare web address.
    """
    normal = " ".join(text.split()).lower().strip(" .,:;!?…")
    if not normal:
        if has_object:
            return None  # a linked picture: its alt text is the link text (checked separately)
        return "This link has no text. Give it text that says where it goes."
    if normal in _BAD_LINK_TEXT:
        return (
            f"The link text '{text.strip()}' does not say where the link goes. Use descriptive "
            "text such as 'Partnership Framework (PDF)'."
        )
    if normal.startswith(("http:", "https:", "http", "www.")):
        return (
            "The link text is a web address. Use words that say where the link goes; "
            "screen readers read addresses out character by character."
        )
    return None


def check_paper(path: Path, *, expected_language: str | None = "en-GB") -> list[Finding]:
    """Check a Word paper for accessibility problems; [] when it passes.

    Findings are ordered: document properties first, then problems in the body in
    document order, then pictures and links in headers, footers and notes.
    `expected_language` (default "en-GB", None to accept any) is compared with the
    languages set. Raises ReportError if the file is missing or not a Word document.
    """
    package = _Package(Path(path))
    try:
        checker = _Checker(package)
        checker.check_metadata(expected_language)
        checker.check_headings()
        checker.check_tables()
        checker.check_text_contrast()
        checker.check_drawings()
        checker.check_links()
        return checker.result()
    finally:
        package.close()
