"""Adding Word comments to a .docx, anchored on the runs inside a part of the document.

Comments are made with python-docx's own comments support (1.2 and later): it adds the
comments part, its relationship and content type, the comment itself and its range markers.
What python-docx cannot do is anchor a comment on a content control as a whole:
`Document.add_comment` takes runs (`w:r`) and puts `w:commentRangeStart` before the first and
`w:commentRangeEnd` and the reference run after the last, and python-docx has no content-control
API at all (`Paragraph.runs` leaves out the runs inside an inline `w:sdt`). So a comment here is
anchored on the runs *inside* the element given (a control's content, a paragraph, a table
row), wrapped as python-docx `Run` objects. The range markers and the reference run then sit
inside the control's content, which the schema allows (they are run-level content) and which
LibreOffice 25.2 keeps there when it saves the file again (measured). They carry no text, so
what the control shows is unchanged.

Nothing here knows what the document is about: which element gets which comment is the
caller's business.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import cast

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

from generator.errors import UnreadableFile
from generator.office.controls import SDT
from generator.office.ns import w

# Runs whose text a reader does not see are no anchor for what a person should look at.
_NOT_SHOWN = {w("del"), w("moveFrom")}


@dataclass(frozen=True)
class Author:
    """Who a comment is from, as Word shows it: a name and initials."""

    name: str
    initials: str

    @classmethod
    def named(cls, name: str) -> Author:
        """An author with initials made from the first letters of the name's words."""
        initials = "".join(word[0] for word in name.split() if word[0].isalnum())[:4]
        return cls(name, initials.upper())


class CommentedDocument:
    """A Word document opened to have comments added, then saved as new bytes."""

    def __init__(self, data: bytes) -> None:
        try:
            self._document: Document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on odd files
            raise UnreadableFile(f"the document cannot be opened to add comments "
                                 f"({type(exc).__name__}: {exc})") from exc

    @property
    def body(self) -> etree._Element:
        """The document's `w:body`: find the elements to comment on in it."""
        return self._document.element.body

    @property
    def styles(self) -> etree._Element | None:
        """The document's `w:styles`, or None when it has no styles part."""
        try:
            styles = self._document.part.part_related_by(RT.STYLES)
        except KeyError:
            return None
        return getattr(styles, "element", None)

    def comment_on(self, element: etree._Element, text: str, author: Author) -> None:
        """Add a comment saying `text` (paragraphs separated by newlines), anchored on the
        runs inside `element`, an element of `body`.

        An element with no run of its own (an empty answer box) is given one empty run to
        carry the anchor; it shows nothing.
        """
        runs = _anchor_runs(element)
        if not runs:
            runs = [_empty_run(element)]
        # Parsed by python-docx, the body's elements are its own element classes.
        paragraph = next(runs[0].iterancestors(w("p")), None)
        parent = (Paragraph(cast(CT_P, paragraph), self._document._body)
                  if paragraph is not None else self._document._body)
        wrapped = [Run(cast(CT_R, run), parent) for run in (runs[0], runs[-1])]
        self._document.add_comment(wrapped, text=text, author=author.name,
                                   initials=author.initials)

    def to_bytes(self) -> bytes:
        """The document with its comments, as a .docx file's bytes."""
        out = io.BytesIO()
        self._document.save(out)
        return out.getvalue()


def _anchor_runs(element: etree._Element) -> list[etree._Element]:
    """The runs inside `element` a reader sees, in document order (comment references
    already there are not anchors)."""
    found = []
    for run in element.iter(w("r")):
        if run.find(w("commentReference")) is not None:
            continue
        if any(parent.tag in _NOT_SHOWN for parent in run.iterancestors()):
            continue
        found.append(run)
    return found


def _empty_run(element: etree._Element) -> etree._Element:
    """A new empty run at the end of `element` where a run may go."""
    content = element.find(w("sdtContent")) if element.tag == SDT else None
    target = content if content is not None else element
    # Runs live in paragraphs, except in an inline control, whose content holds runs itself.
    paragraph = target if target.tag == w("p") else next(target.iter(w("p")), None)
    run = OxmlElement("w:r")
    (paragraph if paragraph is not None else target).append(run)
    return run
