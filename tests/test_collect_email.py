"""Collecting returns from saved emails as officers really save them: forwarded, signed, and
dragged out of Outlook as .msg files. The forms are issued and filled by the toolkit itself."""

from __future__ import annotations

import datetime as dt
import email.utils
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from pathlib import Path

import pytest

from generator.returns.collect import collect
from generator.store import Store

from msg_support import FileAttachment, OutlookMessage, msg_bytes
from support import complete_answers, fill

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BM = "Daniel Okafor <daniel.okafor@example.org>"  # Business Manager of P007, the first form
OFFICER = "Sam Okafor <sam.okafor@council.example>"


@pytest.fixture
def sent(workspace, explore_forms) -> dt.datetime:
    """When the Business Manager replied: a minute after the form was issued (an email's date
    counts only when it is after the form was issued and not in the future)."""
    with Store(workspace.path("store")) as store:
        issued = store.issued(explore_forms[0].issue_id)
    assert issued is not None
    issued_at = dt.datetime.fromisoformat(issued.issued_at.replace("Z", "+00:00"))
    return issued_at + dt.timedelta(minutes=1)


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def form(workspace, explore_forms, tmp_path) -> bytes:
    """The first Explore form, filled in completely by its Business Manager (and kept out of
    the returns folder: it arrives only inside the emails below)."""
    answers = complete_answers(workspace, "explore", explore_forms[0].partnership_id)
    return fill(workspace, explore_forms[0], answers, folder=tmp_path / "filled").read_bytes()


def reply(form: bytes, sent: dt.datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = BM
    message["To"] = "partnerships@council.example"
    message["Subject"] = "Re: Explore checklist"
    message["Date"] = email.utils.format_datetime(sent)
    message.set_content("Attached, thanks.")
    message.add_attachment(form, maintype="application", subtype=DOCX.split("/")[1],
                           filename="checklist.docx")
    return message


def forward(inner: Message, sender: str = OFFICER) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["Subject"] = f"Fwd: {inner['Subject']}"
    message["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    message.set_content("Forwarding the return below.")
    message.add_attachment(inner)
    return message


def outlook_reply(form: bytes, sent: dt.datetime) -> OutlookMessage:
    headers = (f"From: {BM}\r\nTo: partnerships@council.example\r\n"
               f"Subject: Re: Explore checklist\r\nDate: {email.utils.format_datetime(sent)}"
               "\r\n\r\n")
    return OutlookMessage("Re: Explore checklist", headers=headers,
                          attachments=[FileAttachment("checklist.docx", form, DOCX)])


def saved(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def kept_senders(workspace) -> list[tuple[str, str | None]]:
    with Store(workspace.path("store")) as store:
        return [(r.sender, r.received_at) for r in store.all_returns()]


def test_a_forwarded_reply_is_accepted_with_the_business_managers_address(
        workspace, form, tmp_path, sent):
    eml = saved(tmp_path, "forwarded.eml", forward(reply(form, sent)).as_bytes())

    result = collect(workspace, [eml])

    assert [(Path(o.file).name, o.outcome) for o in result.outcomes] == [
        ("forwarded.eml > Re: Explore checklist > checklist.docx", "accepted")]
    assert kept_senders(workspace) == [(BM, stamp(sent))]


def test_a_forward_of_a_forward_is_accepted_with_the_innermost_sender(
        workspace, form, tmp_path, sent):
    twice = forward(forward(reply(form, sent)), sender="Returns Inbox <returns@council.example>")
    eml = saved(tmp_path, "twice.eml", twice.as_bytes())

    result = collect(workspace, [eml])

    assert [o.outcome for o in result.outcomes] == ["accepted"]
    assert kept_senders(workspace) == [(BM, stamp(sent))]


def test_an_smime_signed_reply_is_accepted(workspace, form, tmp_path, sent):
    content = reply(form, sent)
    for header in ("From", "To", "Subject", "Date"):
        del content[header]
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    signed.attach(content)
    signature = MIMEApplication(b"\x30\x82 dummy signature bytes", "pkcs7-signature",
                                name="smime.p7s")
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    signed.attach(signature)
    signed["From"] = BM
    signed["Date"] = email.utils.format_datetime(sent)
    eml = saved(tmp_path, "signed.eml", signed.as_bytes())

    result = collect(workspace, [eml])

    assert [(Path(o.file).name, o.outcome) for o in result.outcomes] == [
        ("signed.eml > checklist.docx", "accepted")]
    assert kept_senders(workspace) == [(BM, stamp(sent))]


def test_a_msg_dragged_out_of_outlook_is_accepted_with_its_sender(
        workspace, form, tmp_path, sent):
    dragged = saved(tmp_path, "Re Explore checklist.msg", msg_bytes(outlook_reply(form, sent)))

    result = collect(workspace, [dragged])

    assert [(Path(o.file).name, o.outcome) for o in result.outcomes] == [
        ("Re Explore checklist.msg > checklist.docx", "accepted")]
    assert kept_senders(workspace) == [(BM, stamp(sent))]


def test_a_msg_holding_a_forwarded_msg_is_accepted_with_the_innermost_sender(
        workspace, form, tmp_path, sent):
    forwarded = OutlookMessage("FW: Re: Explore checklist", sender_name="Sam Okafor",
                               sender_address="sam.okafor@council.example",
                               sent=dt.datetime.now(dt.UTC),
                               attachments=[outlook_reply(form, sent)])
    dragged = saved(tmp_path, "FW Explore checklist.msg", msg_bytes(forwarded))

    result = collect(workspace, [dragged])

    assert [(Path(o.file).name, o.outcome) for o in result.outcomes] == [
        ("FW Explore checklist.msg > Re: Explore checklist > checklist.docx", "accepted")]
    assert kept_senders(workspace) == [(BM, stamp(sent))]


def test_a_folder_search_takes_in_msg_files(workspace, form, sent):
    saved(workspace.path("returns"), "Re Explore checklist.msg",
          msg_bytes(outlook_reply(form, sent)))

    result = collect(workspace, [workspace.path("returns")])

    assert [o.outcome for o in result.outcomes] == ["accepted"]
    assert result.ignored == []


def unusable_emails(folder: Path, form: bytes, sent: dt.datetime) -> dict[str, str]:
    """Each kind of saved email the toolkit cannot read, and the phrase its one-line reason
    must contain."""
    encrypted = MIMEApplication(b"\x30\x80 enveloped data", "pkcs7-mime", name="smime.p7m",
                                **{"smime-type": "enveloped-data"})
    encrypted["From"] = BM
    saved(folder, "encrypted.eml", encrypted.as_bytes())
    opaque = MIMEApplication(b"\x30\x80 signed data", "pkcs7-mime", name="smime.p7m",
                             **{"smime-type": "signed-data"})
    opaque["From"] = BM
    saved(folder, "opaque.eml", opaque.as_bytes())
    winmail = EmailMessage()
    winmail["From"] = BM
    winmail.set_content("Attached.")
    winmail.add_attachment(b"\x78\x9f\x3e\x22", maintype="application", subtype="ms-tnef",
                           filename="winmail.dat")
    saved(folder, "winmail.eml", winmail.as_bytes())
    deep: Message = reply(form, sent)
    for _ in range(6):
        deep = forward(deep)
    saved(folder, "deep.eml", deep.as_bytes())
    whole = msg_bytes(outlook_reply(form, sent))
    saved(folder, "damaged.msg", whole[: len(whole) // 3])
    linked = OutlookMessage("Re: Explore checklist", attachments=[
        FileAttachment("checklist.docx", url="https://council-my.sharepoint.com/checklist.docx")])
    saved(folder, "linked.msg", msg_bytes(linked))
    return {"encrypted.eml": "encrypted (S/MIME)", "opaque.eml": "opaque S/MIME signing",
            "winmail.eml": "winmail.dat", "deep.eml": "forwarded inside more than 5",
            "damaged.msg": "damaged or incomplete", "linked.msg": "link to a file online"}


def test_every_kind_of_unreadable_email_gets_a_one_line_reason_and_the_batch_goes_on(
        workspace, form, explore_forms, tmp_path, sent):
    expected = unusable_emails(tmp_path / "inbox", form, sent)
    second = complete_answers(workspace, "explore", explore_forms[1].partnership_id)
    good = fill(workspace, explore_forms[1], second)

    result = collect(workspace, [tmp_path / "inbox", good])

    by_email = {Path(o.file.split(" > ")[0]).name: o for o in result.outcomes}
    for name, phrase in expected.items():
        outcome = by_email[name]
        assert outcome.outcome == "rejected", name
        assert len(outcome.reasons) == 1 and "\n" not in outcome.reasons[0], name
        assert phrase in outcome.reasons[0], (name, outcome.reasons)
    assert by_email[good.name].outcome == "accepted"
