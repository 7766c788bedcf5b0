"""Corrections asked for inside the returned form: a Word comment on each answer to put right.

Every form here is issued and filled by the toolkit itself, taken in with `collect`, and then
annotated from the store, as `annotate` and `chase` do.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from generator.cli import main
from generator.forms.annotate import annotate_form
from generator.forms.fill import fill_form
from generator.forms.issue import IssuedForm, issue_forms
from generator.forms.read import read_form
from generator.forms.validate import SENDER, Problem
from generator.mail.message import DOCX_CONTENT_TYPE
from generator.mail.plan import deliver, prepare_chase
from generator.office.comments import Author
from generator.office.controls import SDT, tag_of, w
from generator.office.safe_open import open_package
from generator.returns.collect import collect
from generator.returns.corrections import write_annotated
from generator.returns.tracker import status_rows
from generator.store import Store
from generator.workspace import Workspace

from conftest import TODAY
from editors.libreoffice import type_into
from support import (
    HOSTILE_TEXT,
    complete_answers,
    definition_for,
    fill,
    rewrite_document,
    set_setting,
)

TEAM = "Partnerships Team"
REQUIRED = ("This answer is required but was left empty. Please put this right and send the "
            "form back.")
NEEDS_COMMENT = ("A comment is needed when the assessment is 'No' or 'Not known'. Please put "
                 "this right and send the form back.")


# --------------------------------------------------------------------------- helpers


def explore_answers(ws: Workspace, form: IssuedForm) -> dict[str, Any]:
    """A complete Explore return, except that the rationale is left empty and principle 3
    is assessed 'No' without the comment that needs."""
    answers = complete_answers(ws, "explore", form.partnership_id)
    del answers["rationale"]
    answers["p3_assessment"] = "no"
    answers.pop("p3_comment", None)
    return answers


def taken_in(ws: Workspace, path: Path) -> int:
    """Collect one returned file; its return's number."""
    (outcome,) = collect(ws, [path]).outcomes
    assert outcome.return_id is not None, outcome
    return outcome.return_id


@pytest.fixture
def rejected(workspace: Workspace, explore_forms: list[IssuedForm]) -> int:
    """P007's Explore return, rejected for two answers: its return number."""
    form = explore_forms[0]
    return taken_in(workspace, fill(workspace, form, explore_answers(workspace, form)))


def comments(source: Path | bytes) -> list[tuple[str, str, str]]:
    """Each comment in a .docx, in document order: where it is anchored (the tag of the
    answer box holding it, with ' row N' in a table, or the paragraph's text), its author
    and its text."""
    data = source.read_bytes() if isinstance(source, Path) else source
    package = zipfile.ZipFile(io.BytesIO(data))
    document = etree.fromstring(package.read("word/document.xml"))
    said = {}
    if "word/comments.xml" in package.namelist():
        for comment in etree.fromstring(package.read("word/comments.xml")):
            text = "\n".join("".join(t.text or "" for t in p.iter(w("t")))
                             for p in comment.iter(w("p")))
            said[comment.get(w("id"))] = (comment.get(w("author")) or "", text)
    found = []
    for start in document.iter(w("commentRangeStart")):
        author, text = said[start.get(w("id"))]
        found.append((_where(document, start), author, text))
    return found


def _where(document: etree._Element, element: etree._Element) -> str:
    box = next((s for s in element.iterancestors(SDT) if tag_of(s)), None)
    if box is None:
        paragraph = next(element.iterancestors(w("p")))
        return "".join(t.text or "" for t in paragraph.iter(w("t")))
    tag = tag_of(box) or ""
    if "." not in tag:
        return tag
    rows = [next(s.iterancestors(w("tr"))) for s in document.iter(SDT) if tag_of(s) == tag]
    return f"{tag} row {rows.index(next(box.iterancestors(w('tr')))) + 1}"


def answers_of(ws: Workspace, source: Path | bytes) -> tuple[dict[str, Any], list[Problem]]:
    reading = read_form(source, framework=ws.framework(), forms_dir=ws.forms_dir)
    return reading.answers, reading.problems


def box_texts(source: Path | bytes) -> list[str]:
    """The text of every w:t inside an answer box, in order: what the person typed."""
    package = open_package(source.read_bytes() if isinstance(source, Path) else source)
    return [t.text or "" for sdt in package.document.iter(SDT)
            for t in sdt.iter(w("t"))]


def run(ws: Workspace, *args: str):
    return CliRunner().invoke(main, ["--workspace", str(ws.root), *args])


# --------------------------------------------------------------------------- the comments


def test_a_rejected_return_gets_a_comment_on_each_answer_to_put_right(workspace, rejected):
    copy = write_annotated(workspace, f"#{rejected}")

    assert comments(copy.path) == [("rationale", TEAM, REQUIRED),
                                   ("p3_comment", TEAM, NEEDS_COMMENT)]
    assert copy.comments == 2


def test_the_copy_keeps_every_answer_and_the_forms_identity_exactly_as_returned(
        workspace, explore_forms):
    form = explore_forms[0]
    answers = explore_answers(workspace, form)
    typed_in = ["alignment_comment", "driver_detail", "p1_comment", "p2_comment", "p4_comment",
                "p5_comment", "p6_comment", "p7_comment", "p8_comment"]
    answers.update(zip(typed_in, HOSTILE_TEXT, strict=True))
    returned = fill(workspace, form, answers)
    number = taken_in(workspace, returned)

    copy = write_annotated(workspace, f"#{number}")

    assert answers_of(workspace, copy.path) == answers_of(workspace, returned)
    assert box_texts(copy.path) == box_texts(returned)
    assert (open_package(copy.path.read_bytes()).custom_properties
            == open_package(returned.read_bytes()).custom_properties)


def test_a_problem_in_a_table_cell_is_commented_on_that_cell_in_its_row(workspace):
    (form, *_) = issue_forms(workspace, "design", today=TODAY).written
    answers = complete_answers(workspace, "design", form.partnership_id)
    answers["contributions"] = [
        {"partner": "Mole Valley", "amount": 12500, "basis": "Population"},
        {"partner": "Elmbridge", "basis": "Population"}]
    number = taken_in(workspace, fill(workspace, form, answers))

    copy = write_annotated(workspace, f"#{number}")

    assert comments(copy.path) == [(
        "contributions.amount row 2", TEAM,
        "This answer is empty but the rest of the row is filled in; complete it or clear the "
        "row.")]


def test_text_typed_outside_the_answer_boxes_is_commented_where_it_was_typed(
        workspace, explore_forms):
    form = explore_forms[0]
    returned = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))

    def type_a_note(root: etree._Element) -> None:
        body = root.find(w("body"))
        note = etree.SubElement(body, w("p"))
        etree.SubElement(etree.SubElement(note, w("r")), w("t")).text = "Ring me about P3"
        body.insert(len(body) - 1, note)  # before the section properties, as Word keeps it

    number = taken_in(workspace, rewrite_document(returned, type_a_note))

    copy = write_annotated(workspace, f"#{number}")

    assert comments(copy.path) == [(
        "Ring me about P3", TEAM,
        '"Ring me about P3" was typed outside the answer boxes and is not read; put it in an '
        "answer box if it matters.")]


def test_the_comments_are_signed_with_the_team_name_in_the_settings(workspace, rejected):
    ws = set_setting(workspace, "comments_author", '"Corporate Policy & Partnerships"')

    copy = write_annotated(ws, f"#{rejected}")

    assert {author for _, author, _ in comments(copy.path)} == {"Corporate Policy & Partnerships"}
    document = zipfile.ZipFile(copy.path).read("word/comments.xml")
    assert b'w:initials="CPP"' in document


def test_who_sent_the_email_is_not_the_forms_to_fix_and_gets_no_comment(workspace, rejected):
    with Store(workspace.path("store")) as store:
        data = store.original(rejected)
    definition = definition_for(workspace, "explore")
    problems = [Problem("", SENDER, "the email came from someone else", severity="warning"),
                Problem("rationale", "Rationale", "is required but was left empty")]

    annotated = annotate_form(data, problems, definition, Author.named(TEAM))

    assert comments(annotated.data) == [("rationale", TEAM, REQUIRED)]


def test_a_form_sent_back_with_the_comments_still_in_it_reads_exactly_the_same(
        workspace, explore_forms, rejected):
    with Store(workspace.path("store")) as store:
        original = store.original(rejected)
    copy = write_annotated(workspace, f"#{rejected}")

    again = collect(workspace, [copy.path]).outcomes[0]

    assert answers_of(workspace, copy.path) == answers_of(workspace, original)
    assert again.outcome == "rejected"
    with Store(workspace.path("store")) as store:
        first, second = store.returns_for_issue(explore_forms[0].issue_id)
    assert second.answers == first.answers and second.problems == first.problems


def test_the_corrected_copy_sent_back_is_accepted_as_the_forms_return(
        workspace, explore_forms, rejected):
    form = explore_forms[0]
    copy = write_annotated(workspace, f"#{rejected}")
    corrected = copy.path.with_name("corrected.docx")
    corrected.write_bytes(fill_form(copy.path.read_bytes(), definition_for(workspace, "explore"),
                                    {"rationale": "Both councils need one team.",
                                     "p3_comment": "The larger council hosts."}))

    outcome = collect(workspace, [corrected]).outcomes[0]

    assert (outcome.outcome, outcome.issue) == ("accepted", form.issue_id)
    with Store(workspace.path("store")) as store:
        (row,) = [r for r in status_rows(store, today=TODAY) if r.issue == form.issue_id]
    assert row.state == "accepted"


# --------------------------------------------------------------------------- LibreOffice


@pytest.mark.libreoffice
def test_libreoffice_saves_the_copy_again_with_each_comment_still_on_its_answer(
        workspace, rejected, tmp_path, libreoffice_editor):
    copy = write_annotated(workspace, f"#{rejected}")

    resaved = libreoffice_editor.save_as(copy.path, tmp_path / "libreoffice" / copy.path.name)

    assert comments(resaved) == comments(copy.path)
    assert answers_of(workspace, resaved)[0] == answers_of(workspace, copy.path)[0]


@pytest.mark.libreoffice
def test_corrections_typed_in_libreoffice_into_the_copy_are_read_and_accepted(
        workspace, explore_forms, rejected, libreoffice_editor, tmp_path):
    copy = write_annotated(workspace, f"#{rejected}")
    corrected = tmp_path / "corrected.docx"

    libreoffice_editor.edit(copy.path, corrected, [
        type_into("rationale", "Both councils need one team."),
        type_into("p3_comment", "The larger council hosts.")])
    outcome = collect(workspace, [corrected]).outcomes[0]

    assert outcome.outcome == "accepted", outcome.reasons
    with Store(workspace.path("store")) as store:
        kept = store.return_by_id(outcome.return_id or 0)
    assert kept is not None
    assert kept.answers["rationale"] == "Both councils need one team."
    assert kept.answers["p3_comment"] == "The larger council hosts."


# --------------------------------------------------------------------------- the command


def test_annotate_writes_the_copy_into_the_outbox_and_says_what_it_did(workspace, rejected):
    result = run(workspace, "annotate", f"#{rejected}")

    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent == workspace.path("outbox")
    assert path.name.endswith(" (with comments).docx")
    assert result.stderr == (f"Return #{rejected} (P007 explore, rejected): 2 comments added; "
                             "the answers are as returned.\n")


def test_annotate_takes_the_reference_printed_on_the_form(workspace, explore_forms, rejected):
    result = run(workspace, "annotate", explore_forms[0].issue_id, "--output",
                 str(workspace.root / "for Daniel.docx"))

    assert result.exit_code == 0, result.output
    assert comments(workspace.root / "for Daniel.docx")[0][0] == "rationale"


def test_annotate_never_overwrites_a_copy_written_before(workspace, rejected):
    first = run(workspace, "annotate", str(rejected)).stdout.strip()

    second = run(workspace, "annotate", str(rejected)).stdout.strip()

    assert second != first and Path(first).exists() and Path(second).exists()
    assert Path(second).stem.endswith("-2")


def test_annotate_a_return_without_problems_says_there_is_nothing_to_comment_on(
        workspace, explore_forms):
    form = explore_forms[0]
    number = taken_in(workspace, fill(workspace, form,
                                      complete_answers(workspace, "explore", form.partnership_id)))

    result = run(workspace, "annotate", f"#{number}")

    assert result.exit_code == 1
    assert result.stderr == (f"Error: return #{number} (P007 explore) was accepted with no "
                             "problem to put right in the form; there is nothing to comment "
                             "on\n")


def test_annotate_something_that_is_not_a_return_says_what_to_give(workspace, rejected):
    result = run(workspace, "annotate", "P007 explore")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'P007 explore' is neither a return number (such as 12, shown as #12 by "
        "'partnerships history') nor the reference of an issued form (such as "
        "P007-explore-202627-3f9a2c, printed on the form)\n")


# --------------------------------------------------------------------------- chase


def test_chase_sends_the_returned_form_back_with_a_comment_on_each_problem(
        workspace, explore_forms, rejected):
    deliver(workspace, prepare_chase(workspace, today=TODAY))

    (draft,) = workspace.path("outbox").glob("*.eml")
    from email import message_from_bytes, policy

    message = message_from_bytes(draft.read_bytes(), policy=policy.default)
    ((name, content_type, data),) = [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()]
    assert name.endswith(" (with comments).docx") and content_type == DOCX_CONTENT_TYPE
    assert comments(data) == [("rationale", TEAM, REQUIRED), ("p3_comment", TEAM, NEEDS_COMMENT)]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "with a comment beside each answer to correct" in body
