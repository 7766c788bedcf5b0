"""Collecting returns: real-world files each get a clear outcome and the batch goes on."""

from __future__ import annotations

import datetime as dt
import email.utils
import io
import json
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from lxml import etree

from generator.office import controls
from generator.returns.collect import MAX_FILE_BYTES, collect
from generator.store import Store

from support import complete_answers, fill, rewrite_document, rewrite_part


@pytest.fixture
def returned(workspace, explore_forms) -> list[Path]:
    """Each Explore form filled in completely, as its Business Manager would."""
    return [fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
            for form in explore_forms]


def outcomes(result) -> list[tuple[str, str]]:
    return [(Path(o.file.split(" > ")[-1]).name, o.outcome) for o in result.outcomes]


def kept(workspace) -> list[tuple[str, str, bool]]:
    with Store(workspace.path("store")) as store:
        return [(r.issue_id, r.outcome, r.superseded_by is None) for r in store.all_returns()]


def test_complete_returns_are_accepted_and_kept_with_their_bytes(workspace, returned):
    result = collect(workspace, [workspace.path("returns")])

    assert [o.outcome for o in result.outcomes] == ["accepted"] * 3
    with Store(workspace.path("store")) as store:
        stored = store.all_returns()
        assert [store.original(r.id) for r in stored] == [p.read_bytes() for p in returned]
    assert not result.any_rejected


def test_a_renamed_file_still_matches_its_issued_form(workspace, returned, explore_forms):
    renamed = returned[0].rename(returned[0].with_name("my answers FINAL v2.docx"))

    result = collect(workspace, [renamed])

    assert result.outcomes[0].issue == explore_forms[0].issue_id
    assert result.outcomes[0].outcome == "accepted"


def test_taking_the_same_file_in_twice_changes_nothing(workspace, returned):
    collect(workspace, [returned[0]])
    before = kept(workspace)

    result = collect(workspace, [returned[0]])

    assert outcomes(result) == [(returned[0].name, "duplicate")]
    assert kept(workspace) == before


def test_a_later_return_supersedes_the_earlier_which_stays_in_history(workspace, explore_forms):
    form = explore_forms[0]
    answers = complete_answers(workspace, "explore", form.partnership_id)
    first = fill(workspace, form, answers, name="first.docx")
    collect(workspace, [first])
    answers["rationale"] = "Revised rationale."
    second = fill(workspace, form, answers, name="second.docx")

    result = collect(workspace, [second])

    assert result.outcomes[0].outcome == "accepted"
    assert "replaces the earlier return" in result.outcomes[0].reasons[0]
    history = kept(workspace)
    assert [(outcome, current) for _, outcome, current in history] == [
        ("accepted", False), ("accepted", True)]


def test_two_returns_of_one_form_in_a_batch_keep_the_newer_and_tell_the_officer(
        workspace, explore_forms):
    import datetime as dt

    from generator.forms.fill import fill_form

    from support import definition_for

    form = explore_forms[0]
    definition = definition_for(workspace, "explore")
    answers = complete_answers(workspace, "explore", form.partnership_id)
    folder = workspace.path("returns")
    newer = folder / "a-newer.docx"
    newer.write_bytes(fill_form(form.path.read_bytes(), definition,
                                {**answers, "rationale": "Newer"},
                                modified=dt.datetime(2026, 11, 20, 10, 0)))
    older = folder / "b-older.docx"
    older.write_bytes(fill_form(form.path.read_bytes(), definition,
                                {**answers, "rationale": "Older"},
                                modified=dt.datetime(2026, 11, 19, 10, 0)))

    result = collect(workspace, [folder])

    assert outcomes(result) == [("a-newer.docx", "accepted"), ("b-older.docx", "superseded")]
    with Store(workspace.path("store")) as store:
        current = store.current_returns(form_type="explore")
    assert [r.answers["rationale"] for r in current] == ["Newer"]


def test_required_answers_left_empty_are_rejected_with_every_label(workspace, explore_forms):
    blank = fill(workspace, explore_forms[0], {})

    result = collect(workspace, [blank])

    outcome = result.outcomes[0]
    assert outcome.outcome == "rejected"
    assert "Which type of partnership is this?: is required but was left empty" in \
        outcome.reasons
    assert "Recommendation: is required but was left empty" in outcome.reasons
    assert result.any_rejected


def test_money_typed_with_a_pound_sign_is_a_number_and_vague_amounts_are_problems(workspace):
    from generator.forms.issue import issue_forms

    from conftest import TODAY

    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]
    answers = complete_answers(workspace, "monitoring", "P001")
    good = fill(workspace, form, {**answers, "budget": "£12,500", "forecast": "13000"},
                name="good.docx")
    bad = fill(workspace, form, {**answers, "budget": "about 10k"}, name="bad.docx")

    result = collect(workspace, [good, bad])

    assert outcomes(result) == [("good.docx", "accepted"), ("bad.docx", "rejected")]
    with Store(workspace.path("store")) as store:
        assert store.current_returns(form_type="monitoring")[0].answers["budget"] == 12500
    assert result.outcomes[1].reasons == [
        'Budget for the year (£): "about 10k" is not an amount of money; type a number of pounds '
        "such as 12500 or £12,500"]


def test_text_typed_outside_the_answer_boxes_is_a_warning_that_shows_it(workspace, returned):
    def add_paragraph(root):
        body = root.find(controls.w("body"))
        p = etree.SubElement(body, controls.w("p"))
        r = etree.SubElement(p, controls.w("r"))
        etree.SubElement(r, controls.w("t")).text = "PS: we also need a new van"
        body.remove(p)
        body.insert(3, p)

    rewrite_document(returned[0], add_paragraph)

    result = collect(workspace, [returned[0]])

    assert result.outcomes[0].outcome == "warnings"
    assert any('"PS: we also need a new van" was typed outside the answer boxes' in r
               for r in result.outcomes[0].reasons)


def test_a_deleted_answer_box_is_rejected_naming_it(workspace, returned):
    def delete_rationale(root):
        for sdt in list(root.iter(controls.SDT)):
            if controls.tag_of(sdt) == "rationale":
                sdt.getparent().remove(sdt)

    rewrite_document(returned[0], delete_rationale)

    result = collect(workspace, [returned[0]])

    assert result.outcomes[0].outcome == "rejected"
    assert any(r.startswith("What is the rationale for the partnership?: the answer box is "
                            "missing") for r in result.outcomes[0].reasons)


def test_a_form_whose_tags_were_all_stripped_says_which_editors_work(workspace, returned):
    def strip_tags(root):
        for tag in list(root.iter(controls.w("tag"))):
            tag.getparent().remove(tag)

    rewrite_document(returned[0], strip_tags)

    result = collect(workspace, [returned[0]])

    assert result.outcomes[0].outcome == "rejected"
    assert "LibreOffice 24.2 or later" in result.outcomes[0].reasons[0]


def test_a_form_without_its_identity_is_rejected_and_can_be_taken_in_with_as(
        workspace, returned, explore_forms):
    def strip_identity(data: bytes) -> bytes:
        return data.replace(b"pt_", b"xx_")

    rewrite_part(returned[0], "docProps/custom.xml", strip_identity)

    refused = collect(workspace, [returned[0]])
    taken = collect(workspace, [returned[0]], as_issue=explore_forms[0].issue_id)

    assert refused.outcomes[0].outcome == "rejected"
    assert "--as ISSUE_ID" in refused.outcomes[0].reasons[0]
    assert taken.outcomes[0].outcome == "accepted"


def test_a_form_of_another_cycle_is_rejected_with_the_cycles_named(workspace, returned):
    workspace.config["cycle"]["current"] = "2027/28"

    result = collect(workspace, [returned[0]])

    assert result.outcomes[0].reasons == [
        "it is the form for 2026/27, but the current cycle is 2027/28; send the 2027/28 form "
        "instead"]


def bump_definition_version(workspace, form_type: str, keep_archive: bool) -> None:
    """The council revises a form: version 3 becomes current, version 2 archived or not."""
    current = workspace.forms_dir / f"{form_type}.toml"
    text = current.read_text(encoding="utf-8")
    if keep_archive:
        archive = workspace.forms_dir / "archive"
        archive.mkdir(exist_ok=True)
        (archive / f"{form_type}.v2.toml").write_text(text, encoding="utf-8")
    current.write_text(text.replace("version = 2", "version = 3", 1), encoding="utf-8")


def test_a_superseded_form_version_is_refused_saying_what_to_do(workspace, returned):
    bump_definition_version(workspace, "explore", keep_archive=False)

    result = collect(workspace, [returned[0]])

    assert result.outcomes[0].outcome == "rejected"
    assert result.outcomes[0].reasons[0].startswith(
        "version 2 of the explore form is no longer supported (the current version is 3)")


def test_an_older_form_version_is_read_with_its_archived_definition(workspace, returned):
    bump_definition_version(workspace, "explore", keep_archive=True)

    result = collect(workspace, [returned[0]])

    assert result.outcomes[0].outcome == "accepted"


def bad_files(folder: Path, good: Path) -> dict[str, str]:
    """Each kind of file that arrives by email and is not a usable form, and the phrase
    its one-line reason must contain."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.docx").write_bytes(b"")
    (folder / "legacy.doc").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600)
    (folder / "locked.docx").write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 100
                                         + "EncryptedPackage".encode("utf-16-le") + b"\0" * 400)
    (folder / "scan.docx").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    data = good.read_bytes()
    (folder / "truncated.docx").write_bytes(data[: len(data) // 2])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("notes.txt", "hello")
    (folder / "plain.docx").write_bytes(buffer.getvalue())
    rewrite_part(good, "word/document.xml",
                 lambda d: d.replace(b"<w:document", b'<!DOCTYPE x [<!ENTITY e "boom">]>'
                                     b"<w:document", 1), folder / "entity.docx")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in zipfile.ZipFile(good).infolist():
            zf.writestr(info, zipfile.ZipFile(good).read(info.filename))
        zf.writestr("word/media/bomb.bin", b"\0" * (60 * 1024 * 1024))
    (folder / "bomb.docx").write_bytes(bomb.getvalue())
    tricked = io.BytesIO()
    with zipfile.ZipFile(tricked, "w") as zf:
        for info in zipfile.ZipFile(good).infolist():
            zf.writestr(info, zipfile.ZipFile(good).read(info.filename))
        zf.writestr("../../evil.xml", "<x/>")
    (folder / "tricked.docx").write_bytes(tricked.getvalue())
    rewrite_part(good, "[Content_Types].xml",
                 lambda d: d.replace(b"document.main+xml", b"document.macroEnabled.main+xml")
                 .replace(b"wordprocessingml.document.macroEnabled",
                          b"vnd.ms-word.document.macroEnabled"),
                 folder / "macros.docm")
    with (folder / "huge.docx").open("wb") as huge:
        huge.truncate(MAX_FILE_BYTES + 1)  # sparse where the file system allows
    return {"empty.docx": "empty", "legacy.doc": "Word 97-2003", "locked.docx": "password",
            "scan.docx": "PDF", "truncated.docx": "damaged", "plain.docx": "not a Word",
            "entity.docx": "DTD", "bomb.docx": "", "tricked.docx": "", "macros.docm": "macro",
            "huge.docx": "huge.docx is 100 MB, larger than any form"}


def test_every_kind_of_unusable_file_gets_a_one_line_reason_and_the_batch_goes_on(
        workspace, returned, tmp_path):
    expected = bad_files(tmp_path / "inbox", returned[0])

    result = collect(workspace, [tmp_path / "inbox", returned[1]])

    by_name = {Path(o.file).name: o for o in result.outcomes}
    for name, phrase in expected.items():
        outcome = by_name[name]
        assert outcome.outcome == "rejected", name
        assert len(outcome.reasons) == 1 and "\n" not in outcome.reasons[0], name
        assert phrase.lower() in outcome.reasons[0].lower(), (name, outcome.reasons)
    assert by_name[returned[1].name].outcome == "accepted"
    assert [(outcome, current) for _, outcome, current in kept(workspace)] == [
        ("accepted", True)]


def test_a_symbol_no_character_has_shows_nothing_and_the_batch_goes_on(workspace, returned):
    def add_symbol(root: etree._Element) -> None:
        sdt = next(s for s in root.iter(controls.SDT) if controls.tag_of(s) == "rationale")
        text = next(sdt.iter(controls.w("t")))
        run = text.getparent()
        symbol = etree.SubElement(run, controls.w("sym"))
        symbol.set(controls.w("char"), "FFFFFFFFFFFFFFFFFFFF")

    odd = rewrite_document(returned[0], add_symbol,
                           target=returned[0].with_name("odd symbol.docx"))

    result = collect(workspace, [odd, returned[1]])

    assert [o.outcome for o in result.outcomes] == ["accepted", "accepted"]


def test_enormous_text_in_a_field_is_rejected(workspace, explore_forms):
    answers = complete_answers(workspace, "explore", explore_forms[0].partnership_id)
    answers["rationale"] = "x" * 25000
    path = fill(workspace, explore_forms[0], answers)

    result = collect(workspace, [path])

    assert result.outcomes[0].outcome == "rejected"
    assert "25,000 characters long" in result.outcomes[0].reasons[0]


def test_a_saved_email_is_taken_in_through_its_word_attachment(workspace, returned, tmp_path,
                                                               explore_forms):
    with Store(workspace.path("store")) as store:
        issued = store.issued(explore_forms[0].issue_id)
    assert issued is not None
    sent = dt.datetime.fromisoformat(issued.issued_at.replace("Z", "+00:00"))
    message = EmailMessage()
    message["From"] = f"{issued.recipient_name} <{issued.recipient_email}>"
    message["To"] = "partnerships@example.org"
    message["Subject"] = "Re: Explore checklist"
    message["Date"] = email.utils.format_datetime(sent)
    message.set_content("Attached, thanks.")
    message.add_attachment(returned[0].read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="checklist.docx")
    eml = tmp_path / "reply.eml"
    eml.write_bytes(message.as_bytes())

    result = collect(workspace, [eml])

    assert result.outcomes[0].outcome == "accepted"
    assert result.outcomes[0].file.endswith("reply.eml > checklist.docx")
    with Store(workspace.path("store")) as store:
        stored = store.all_returns()[0]
    assert stored.sender == f"{issued.recipient_name} <{issued.recipient_email}>"
    assert stored.received_at == issued.issued_at


def test_an_email_without_a_word_attachment_is_rejected(workspace, tmp_path):
    message = EmailMessage()
    message["From"] = "someone@example.org"
    message.set_content("I forgot the attachment")
    eml = tmp_path / "oops.eml"
    eml.write_bytes(message.as_bytes())

    result = collect(workspace, [eml])

    assert result.outcomes[0].reasons == ["the saved email has no Word attachment"]


def test_an_interrupted_write_leaves_the_store_as_it_was(workspace, returned):
    collect(workspace, [returned[0]])
    before = kept(workspace)

    with Store(workspace.path("store")) as store, pytest.raises(KeyboardInterrupt):
        with store.transaction() as db:
            db.execute("UPDATE returns SET outcome = 'rejected'")
            raise KeyboardInterrupt

    assert kept(workspace) == before


def test_json_output_has_one_object_per_file_with_the_documented_keys(workspace, returned):
    from click.testing import CliRunner

    from generator.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["--workspace", str(workspace.root), "collect", "--json",
                                  str(workspace.path("returns"))])

    data = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [sorted(item) for item in data] == [
        ["file", "form", "issue", "outcome", "partnership", "reasons"]] * 3


@pytest.mark.libreoffice
def test_returns_resaved_by_libreoffice_are_taken_in_with_identical_answers(
        workspace, returned, tmp_path, libreoffice_editor):
    from generator.forms.read import read_form

    resaved = [libreoffice_editor.save_as(path, tmp_path / "libreoffice" / path.name)
               for path in returned]

    result = collect(workspace, resaved)

    assert [o.outcome for o in result.outcomes] == ["accepted"] * 3
    with Store(workspace.path("store")) as store:
        kept_answers = {r.issue_id: r.answers for r in store.current_returns()}
    for original in returned:
        reading = read_form(original)
        assert kept_answers[reading.issue] == reading.answers
