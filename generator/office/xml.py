"""The one parser for XML from outside the toolkit: returned forms, restyled templates, papers.

Office Open XML forbids DTDs, so a part that declares one is refused; entities are never
expanded and nothing is ever fetched; a part with more tags than any form could hold is
refused before it is parsed (its tree would take some 20 times its size in memory). Every
refusal is an UnreadableFile subclass whose message names the part.
"""

from __future__ import annotations

import re
from typing import Any, cast

from lxml import etree

from generator.errors import DamagedFile, OversizedFile, TamperedFile

# lxml parsers are not thread-safe: share this one within a thread only.
SAFE_PARSER: etree.XMLParser = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_blank_text=False,
)

MAX_XML_TAGS = 1_000_000

_DTD_MARKERS: tuple[bytes, ...] = tuple(
    marker.encode(encoding)
    for marker in ("<!doctype", "<!entity")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
# Searched case-insensitively in place: lowering a copy of a large part doubled its memory.
_DTD_PATTERN = re.compile(b"|".join(re.escape(m) for m in _DTD_MARKERS), re.IGNORECASE)


def check_untrusted(data: bytes, part_name: str) -> None:
    """The checks `parse_xml` makes before parsing: no DTD or entity declaration in UTF-8 or
    UTF-16 (`TamperedFile`), and not more tags than any form could hold (`OversizedFile`)."""
    # Every marker holds "<!" (ASCII) or "<\0!" (UTF-16 either way round): the case-blind
    # search runs only where one is. It took 2.5 ms for a form's 340 KB styles part. Both
    # hold "!", which most parts lack and a single-byte search rules out fastest.
    if b"!" in data and (b"<!" in data or b"<\x00!" in data) and _DTD_PATTERN.search(data):
        raise TamperedFile(_dtd_message(part_name))
    # Memory for the parsed tree grows with the number of elements, not the part's size: a
    # part of tiny runs takes some 20 times its size. No form comes near this many tags.
    tags = data.count(b"<")
    if tags > MAX_XML_TAGS:
        raise OversizedFile(
            f"{clean(part_name)} holds {tags:,} XML tags, far more than any form (the limit "
            f"is {MAX_XML_TAGS:,})"
        )


_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def bytes_are_text(data: bytes) -> bool:
    """Whether the part is in UTF-8 or ASCII, so that looking for an element's name in its
    bytes finds every element of that name (in UTF-16 the name's bytes are interleaved)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.startswith(b"<") or data[1:2] == b"\x00":
        return False
    declared = _DECLARED_ENCODING.match(data[:200])
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8", b"us-ascii",
                                                             b"ascii")


def parse_xml(data: bytes, part_name: str) -> etree._Element:
    """Parse one XML part of an untrusted file and return its root element.

    Refuses any DTD or entity declaration (in UTF-8, UTF-16 or any other encoding lxml knows)
    with `TamperedFile`, and turns a parse error into `DamagedFile` naming `part_name`; both
    subclass `UnreadableFile`. Entities are never expanded and nothing is ever fetched.
    """
    check_untrusted(data, part_name)
    try:
        root = etree.fromstring(data, SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise DamagedFile(
            f"{clean(part_name)} is not well-formed XML ({_parser_detail(exc)})"
        ) from exc
    # A DTD hidden by an exotic encoding (UTF-32, EBCDIC) slips past the byte scan above.
    # lxml-stubs' DocInfo lacks `doctype`, which lxml's DocInfo has; hence the cast.
    docinfo = cast(Any, root.getroottree().docinfo)
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise TamperedFile(_dtd_message(part_name))
    return root


def _parser_detail(exc: etree.XMLSyntaxError) -> str:
    # lxml appends "(<string>, line N)", which means nothing to a Business Manager.
    return clean(re.sub(r"\s*\(<string>, line \d+\)\s*$", "", str(exc)), 120)


def _dtd_message(part_name: str) -> str:
    return (
        f"{clean(part_name)} declares a DTD or entities; Word never writes these, "
        "so the file was tampered with"
    )


def clean(text: str | None, limit: int = 100) -> str:
    """Make untrusted text (file and part names, parser messages) safe for a one-line message."""
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."
