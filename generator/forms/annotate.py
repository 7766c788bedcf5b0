"""Corrections asked for inside a returned form: a Word comment on each answer with a problem.

A copy of the returned file gets one comment per answer box that has a problem, saying in
plain words what is wrong and what to do. Nothing else changes: the answers are exactly as the
Business Manager gave them, and the copy keeps the form's identity (its document properties),
so once corrected and sent back it is taken in as a later return of the same issued form.
Comments are never part of an answer (`read` leaves them out), so a form sent back with them
still in it reads the same.

Where each comment goes:

- a problem with an answer: on that answer's box (the first, if the box was copied);
- a problem with a table cell: on that cell's box in its row; a row added without boxes: on
  the row; the table as a whole ("needs at least one row"): on its first row;
- text typed outside the boxes: on the paragraph holding it;
- anything else (an answer box that is missing, a changed reference): at the top of the form,
  starting with the question's label.

A problem with the email that carried the form (who sent it) is not the form's to fix and gets
no comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lxml import etree

from generator.formdefs import FormDefinition
from generator.forms.read import answer_rows
from generator.forms.validate import OUTSIDE_THE_BOXES, SENDER, Problem
from generator.office import controls
from generator.office.comments import Author, CommentedDocument
from generator.office.controls import SDT
from generator.office.ns import w

__all__ = ["AnnotatedForm", "annotate_form", "comment_text"]

# Messages that continue a sentence whose subject is the answer ("is required but...").
_PREDICATES = ("is ", "are ", "appears ", "needs ", "was ", "has ")


@dataclass(frozen=True)
class AnnotatedForm:
    """The annotated copy's bytes and how many comments it carries."""

    data: bytes
    comments: int


def annotate_form(data: bytes, problems: Sequence[Problem],
                  definition: FormDefinition | None, author: Author) -> AnnotatedForm:
    """A copy of the form `data` with a comment from `author` on each problem's answer box.

    Problems anchored on the same box share one comment, one paragraph each. Raises
    UnreadableFile when the file cannot be opened to add comments.
    """
    document = CommentedDocument(data)
    body = document.body
    hidden = controls.hidden_character_styles(document.styles)
    boxes: dict[str, list[etree._Element]] = {}
    for sdt in body.iter(SDT):
        tag = controls.tag_of(sdt)
        if tag:
            boxes.setdefault(tag.strip(), []).append(sdt)
    fields = definition.fields.values() if definition is not None else []
    tables = {f.id for f in fields if f.type == "table"}
    anchors: dict[int, tuple[etree._Element, list[str]]] = {}
    for problem in problems:
        if not problem.field and problem.label == SENDER:
            continue
        anchor, labelled = _anchor(problem, body, boxes, definition, hidden)
        subject = "This table" if problem.field in tables else "This answer"
        text = comment_text(problem, labelled=labelled, subject=subject)
        anchors.setdefault(id(anchor), (anchor, []))[1].append(text)
    for element, texts in _in_document_order(body, anchors.values()):
        document.comment_on(element, "\n".join(texts), author)
    return AnnotatedForm(document.to_bytes(), len(anchors))


def comment_text(problem: Problem, *, labelled: bool = False,
                 subject: str = "This answer") -> str:
    """What a comment says about a problem: one or two plain sentences.

    A message that goes on from the answer ("is required but was left empty") starts with
    `subject`, or with the question's label when the comment is not on the answer itself
    (`labelled`). A message that does not say what to do is followed by what to do.
    """
    message = " ".join(problem.message.split())
    if labelled and problem.label:
        text = f"{problem.label}: {message}"
    elif message.startswith(_PREDICATES):
        text = f"{subject} {message}"
    else:
        text = message[:1].upper() + message[1:]
    if not text.endswith((".", "!", "?")):
        text += "."
    if ";" not in message:
        text += (" Please put this right and send the form back." if problem.severity == "error"
                 else " Please check it.")
    return text


def _anchor(problem: Problem, body: etree._Element, boxes: dict[str, list[etree._Element]],
            definition: FormDefinition | None, hidden: frozenset[str]
            ) -> tuple[etree._Element, bool]:
    """Where a problem's comment goes, and whether the comment must name the question."""
    field_id = problem.field.strip()
    if not field_id:
        if problem.label == OUTSIDE_THE_BOXES:
            paragraph = _paragraph_showing(body, _quoted(problem.message), hidden)
            if paragraph is not None:
                return paragraph, False
        return _top(body), True
    fields = definition.fields if definition is not None else {}
    table_id, _, column = field_id.partition(".")
    table = fields.get(table_id)
    if table is not None and table.type == "table":
        rows = answer_rows(body, table, hidden)
        if problem.row is not None and 0 < problem.row <= len(rows):
            row = rows[problem.row - 1]
            if column:
                box = next((s for s in row.iter(SDT) if controls.tag_of(s) == field_id), None)
                if box is not None:
                    return box, False
            return row, False
        if rows and not column:
            return rows[0], False
    if field_id in boxes:
        return boxes[field_id][0], False
    return _top(body), True


def _top(body: etree._Element) -> etree._Element:
    """The first paragraph showing text outside the answer boxes (the form's title)."""
    first = None
    for paragraph in body.iter(w("p")):
        if next(paragraph.iterancestors(SDT), None) is not None:
            continue
        first = first if first is not None else paragraph
        if controls.visible_text(paragraph).strip():
            return paragraph
    return first if first is not None else body


def _quoted(message: str) -> str:
    """The text quoted at the start of a message ('"..." was typed outside ...')."""
    if message.startswith('"'):
        end = message.find('" ', 1)
        if end > 0:
            return message[1:end]
    return ""


def _paragraph_showing(body: etree._Element, shown: str, hidden: frozenset[str]
                       ) -> etree._Element | None:
    """The first paragraph outside the answer boxes whose text is `shown` (which may be cut
    short with an ellipsis), as collect quoted it."""
    if not shown:
        return None
    start = shown[:-1] if shown.endswith("…") else None
    for paragraph in body.iter(w("p")):
        if next(paragraph.iterancestors(SDT), None) is not None:
            continue
        text = " ".join("".join(controls.visible_text(child, hidden) for child in paragraph
                                if child.tag != SDT).split())
        if text == shown or (start is not None and text.startswith(start)):
            return paragraph
    return None


def _in_document_order(body: etree._Element,
                       anchors: Iterable[tuple[etree._Element, list[str]]]
                       ) -> list[tuple[etree._Element, list[str]]]:
    """The anchors in the order they appear, so the comments are numbered down the form."""
    # The anchors are alive while this runs, so their ids cannot be taken by other elements.
    position = {id(element): number for number, element in enumerate(body.iter())}
    return sorted(anchors, key=lambda item: position.get(id(item[0]), -1))
