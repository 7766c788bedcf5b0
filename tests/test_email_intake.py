"""Reading saved emails: every Word attachment is found wherever it is, and what cannot be read
gets one line saying what it is and what to do.

The emails are built here with Python's email package, and the Outlook files with the test
writer in msg_support.py; the attachment bytes stand in for a form, since this module never
opens them (tests/test_collect_email.py takes real filled forms through collect).
"""

from __future__ import annotations

import base64
import datetime as dt
import email
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import pytest

from generator.errors import (
    DamagedEmail,
    EmailTooLarge,
    EncryptedEmail,
    LinkedAttachment,
    NestedTooDeep,
    NoWordAttachment,
    TooManyParts,
    WinmailAttachment,
)
from generator.returns import emails as email_intake
from generator.returns.emails import EmailLimits, parse_date, read_saved_email

from msg_support import FileAttachment, OutlookMessage, compound_file, msg_bytes

FORM = b"PK\x03\x04 stands in for a filled form"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BM = "Priya Natarajan <priya.natarajan@example.org>"
OFFICER = "Sam Okafor <sam.okafor@council.example>"
SAMPLES = Path(__file__).parent / "samples" / "msg"


def reply(form: bytes = FORM, *, sender: str = BM, date: str = "Tue, 24 Nov 2026 09:30:00 +0000",
          subject: str = "Re: Explore checklist") -> EmailMessage:
    """A Business Manager's reply with the filled form attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "partnerships@council.example"
    message["Subject"] = subject
    message["Date"] = date
    message.set_content("Attached, thanks.")
    message.add_attachment(form, maintype="application", subtype=DOCX.split("/")[1],
                           filename="checklist.docx")
    return message


def forward(inner: Message, *, sender: str = OFFICER,
            date: str = "Wed, 25 Nov 2026 14:00:00 +0000") -> EmailMessage:
    """`inner` forwarded as an attachment (message/rfc822), as Outlook's "Forward as
    Attachment" and most other programs do."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "returns@council.example"
    message["Subject"] = f"Fwd: {inner['Subject']}"
    message["Date"] = date
    message.set_content("Forwarding the return below.")
    message.add_attachment(inner)
    return message


def read(message: Message | bytes, **limits: int) -> list[email_intake.EmailAttachment]:
    data = message if isinstance(message, bytes) else message.as_bytes()
    return read_saved_email(data, "reply.eml", limits=EmailLimits(**limits))


def only_refusal(found: list[email_intake.EmailAttachment]) -> email_intake.EmailAttachment:
    refused = [item for item in found if item.refusal is not None]
    assert len(refused) == 1, found
    assert "\n" not in str(refused[0].refusal)
    return refused[0]


# --------------------------------------------------------------------------- .eml


def test_a_plain_word_attachment_is_found_with_its_sender_and_date():
    found = read(reply())

    assert [(a.name, a.data, a.sender, a.sent_at) for a in found] == [
        ("reply.eml > checklist.docx", FORM, BM,
         dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC))]


def test_a_form_in_a_forwarded_email_comes_with_the_business_managers_address_and_date():
    found = read(forward(reply()))

    assert [(a.name, a.data, a.sender, a.sent_at) for a in found] == [
        ("reply.eml > Re: Explore checklist > checklist.docx", FORM, BM,
         dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC))]


def test_a_forward_of_a_forward_gives_the_innermost_sender():
    twice = forward(forward(reply()), sender="Team Inbox <returns@council.example>")

    found = read(twice)

    assert [(a.name, a.sender) for a in found] == [
        ("reply.eml > Fwd: Re: Explore checklist > Re: Explore checklist > checklist.docx", BM)]


def test_the_signed_content_of_an_smime_signed_reply_is_read():
    content = MIMEMultipart("mixed")
    content.attach(MIMEText("Signed reply attached."))
    form = MIMEApplication(FORM, DOCX.split("/")[1])
    form.add_header("Content-Disposition", "attachment", filename="checklist.docx")
    content.attach(form)
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature", micalg="sha-256")
    signed.attach(content)
    signature = MIMEApplication(b"\x30\x82 dummy signature bytes", "pkcs7-signature",
                                name="smime.p7s")
    signature.add_header("Content-Disposition", "attachment", filename="smime.p7s")
    signed.attach(signature)
    signed["From"] = BM
    signed["Date"] = "Tue, 24 Nov 2026 09:30:00 +0000"

    found = read(signed)

    assert [(a.name, a.data, a.sender) for a in found] == [
        ("reply.eml > checklist.docx", FORM, BM)]


def test_an_inline_word_part_is_found():
    message = EmailMessage()
    message["From"] = BM
    message.set_content("See the form below.")
    message.add_alternative("<p>See the form below.</p>", subtype="html")
    message.get_payload()[1].add_related(FORM, maintype="application",
                                         subtype=DOCX.split("/")[1], disposition="inline",
                                         filename="checklist.docx")

    found = read(message)

    assert [(a.name, a.data) for a in found] == [("reply.eml > checklist.docx", FORM)]


def test_an_email_attached_as_an_eml_file_is_read():
    message = EmailMessage()
    message["From"] = OFFICER
    message.set_content("The reply, saved from my inbox.")
    message.add_attachment(reply().as_bytes(), maintype="application", subtype="octet-stream",
                           filename="Re Explore checklist.eml")

    found = read(message)

    assert [(a.name, a.sender) for a in found] == [
        ("reply.eml > Re Explore checklist.eml > checklist.docx", BM)]


def test_a_forward_wrongly_sent_base64_encoded_is_still_read():
    encoded = base64.encodebytes(reply().as_bytes()).decode("ascii")
    data = (f'From: {OFFICER}\nContent-Type: multipart/mixed; boundary="b"\n\n'
            "--b\nContent-Type: text/plain\n\nForwarding.\n"
            "--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
            f"{encoded}--b--\n").encode("ascii")

    found = read(data)

    assert [(a.data, a.sender) for a in found] == [(FORM, BM)]


def test_a_sender_written_in_encoded_words_is_decoded():
    found = read(reply(sender="=?utf-8?q?Zo=C3=AB_=C5=81=C3=B3d=C5=BA?= <zoe@example.org>"))

    assert found[0].sender == "Zoë Łódź <zoe@example.org>"


def test_the_date_keeps_the_offset_the_sender_wrote():
    found = read(reply(date="Tue, 24 Nov 2026 09:30:00 +0530"))

    assert found[0].sent_at == dt.datetime(2026, 11, 24, 9, 30,
                                           tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30)))


def test_a_missing_or_garbled_date_is_none():
    assert parse_date(None) is None
    assert parse_date("next Tuesday, probably") is None
    assert parse_date("Tue, 31 Feb 2026 09:30:00 +0000") is None


def test_a_date_written_with_minus_0000_is_taken_as_utc():
    assert parse_date("Tue, 24 Nov 2026 09:30:00 -0000") == dt.datetime(
        2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def test_an_email_without_a_word_attachment_is_refused():
    message = EmailMessage()
    message["From"] = BM
    message.set_content("I forgot the attachment")
    message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="logo.png")

    with pytest.raises(NoWordAttachment, match="^the saved email has no Word attachment$"):
        read(message)


def test_a_part_pointing_to_a_form_online_is_never_fetched():
    message = MIMEMultipart("mixed")
    message["From"] = BM
    message.attach(MIMEText("The form is online."))
    external = Message()
    external["Content-Type"] = ('message/external-body; access-type=URL; '
                                'URL="https://files.example.org/checklist.docx"')
    external.set_payload([EmailMessage()])
    message.attach(external)

    with pytest.raises(NoWordAttachment):
        read(message.as_bytes())


def test_an_encrypted_reply_is_refused_saying_to_save_the_form_from_outlook():
    message = MIMEApplication(b"\x30\x80 enveloped data", "pkcs7-mime", name="smime.p7m",
                              **{"smime-type": "enveloped-data"})
    message["From"] = BM

    refused = only_refusal(read(message))

    assert isinstance(refused.refusal, EncryptedEmail)
    assert refused.name == "reply.eml"
    assert str(refused.refusal).startswith("the message is encrypted (S/MIME)")
    assert "save the form itself" in str(refused.refusal)


def test_an_opaque_signed_reply_is_refused_asking_for_a_clear_signature():
    message = MIMEApplication(b"\x30\x80 signed data", "pkcs7-mime", name="smime.p7m",
                              **{"smime-type": "signed-data"})
    message["From"] = BM

    refused = only_refusal(read(message))

    assert isinstance(refused.refusal, EncryptedEmail)
    assert "opaque S/MIME signing" in str(refused.refusal)
    assert "clear signature" in str(refused.refusal)


def test_an_encrypted_message_inside_a_forward_is_refused_by_its_subject():
    inner = MIMEApplication(b"\x30\x80 enveloped data", "pkcs7-mime", name="smime.p7m",
                            **{"smime-type": "enveloped-data"})
    inner["From"] = BM
    inner["Subject"] = "Re: Explore checklist"

    refused = only_refusal(read(forward(inner)))

    assert refused.name == "reply.eml > Re: Explore checklist"
    assert refused.sender == BM


def test_attachments_hidden_in_winmail_dat_are_refused():
    message = EmailMessage()
    message["From"] = BM
    message.set_content("Attached.")
    message.add_attachment(b"\x78\x9f\x3e\x22 TNEF", maintype="application", subtype="ms-tnef",
                           filename="winmail.dat")

    refused = only_refusal(read(message))

    assert isinstance(refused.refusal, WinmailAttachment)
    assert "winmail.dat" in str(refused.refusal)


def test_forwards_nested_deeper_than_the_limit_are_refused_and_the_rest_is_read():
    message: Message = reply()
    for _ in range(3):
        message = forward(message)
    message.add_attachment(FORM, maintype="application", subtype=DOCX.split("/")[1],
                           filename="second.docx")

    found = read(message, max_depth=2)

    assert [a.name.rsplit(" > ", 1)[-1] for a in found if a.data] == ["second.docx"]
    refused = only_refusal(found)
    assert isinstance(refused.refusal, NestedTooDeep)
    assert refused.name.count(" > ") == 3
    assert "forwarded inside more than 2 other messages" in str(refused.refusal)


def test_an_email_over_the_size_limit_is_refused():
    with pytest.raises(EmailTooLarge, match="too large to read"):
        read(reply(), max_bytes=100)


def test_an_email_with_more_attachments_than_the_limit_is_refused():
    message = reply()
    for number in range(3):
        message.add_attachment(b"\x89PNG", maintype="image", subtype="png",
                               filename=f"photo{number}.png")

    with pytest.raises(TooManyParts, match="more than 3 attachments"):
        read(message, max_attachments=3)


def test_an_email_with_more_parts_than_the_limit_is_refused_before_it_is_parsed(monkeypatch):
    boundary_lines = "".join(f"--b\nContent-Type: text/plain\n\n{n}\n" for n in range(50))
    data = f'Content-Type: multipart/mixed; boundary="b"\n\n{boundary_lines}--b--\n'.encode()

    def never(*args, **kwargs):
        raise AssertionError("the email was parsed")

    monkeypatch.setattr(email, "message_from_bytes", never)

    with pytest.raises(TooManyParts, match="more than 10 parts"):
        read(data, max_parts=10)


def test_absurdly_nested_parts_are_refused_not_a_crash():
    levels = 1200
    data = "".join(f'Content-Type: multipart/mixed; boundary="b{n}"\n\n--b{n}\n'
                   for n in range(levels)) + "Content-Type: text/plain\n\nhi\n"
    data += "".join(f"\n--b{n}--\n" for n in reversed(range(levels)))

    with pytest.raises(TooManyParts, match="nested too deeply"):
        read(data.encode(), max_parts=2000)


# --------------------------------------------------------------------------- .msg

DOCX_ATTACHMENT = FileAttachment("checklist.docx", FORM, DOCX)
BM_HEADERS = ("Received: from mail.example.org by mx.council.example; "
              "Tue, 24 Nov 2026 09:30:05 +0000\r\n"
              f"From: {BM}\r\nTo: partnerships@council.example\r\n"
              "Subject: Re: Explore checklist\r\nDate: Tue, 24 Nov 2026 09:30:00 +0000\r\n"
              "MIME-Version: 1.0\r\n\r\n")


def outlook_reply(**changes: object) -> OutlookMessage:
    """The Business Manager's reply as Outlook keeps a received message."""
    fields: dict[str, object] = {"subject": "Re: Explore checklist", "headers": BM_HEADERS,
                                 "attachments": [DOCX_ATTACHMENT]}
    return OutlookMessage(**{**fields, **changes})  # type: ignore[arg-type]


def outlook_forward(inner: OutlookMessage | FileAttachment) -> OutlookMessage:
    return OutlookMessage("FW: Re: Explore checklist", sender_name="Sam Okafor",
                          sender_address="sam.okafor@council.example", attachments=[inner])


def read_msg(message: OutlookMessage | bytes, **limits: int
             ) -> list[email_intake.EmailAttachment]:
    data = message if isinstance(message, bytes) else msg_bytes(message)
    return read_saved_email(data, "reply.msg", limits=EmailLimits(**limits))


def test_a_form_in_a_msg_dragged_out_of_outlook_comes_with_the_headers_outlook_kept():
    found = read_msg(outlook_reply(sent=dt.datetime(2026, 11, 24, 9, 29, tzinfo=dt.UTC)))

    assert [(a.name, a.data, a.sender, a.sent_at) for a in found] == [
        ("reply.msg > checklist.docx", FORM, BM,
         dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC))]


def test_a_msg_never_received_gives_the_sender_and_the_time_it_was_sent():
    sent = dt.datetime(2026, 11, 24, 9, 30, 15, tzinfo=dt.UTC)

    found = read_msg(outlook_reply(headers=None, sent=sent))

    assert [(a.sender, a.sent_at) for a in found] == [(BM, sent)]


def test_a_form_in_a_msg_forwarded_inside_a_msg_comes_with_the_innermost_sender():
    found = read_msg(outlook_forward(outlook_reply()))

    assert [(a.name, a.data, a.sender) for a in found] == [
        ("reply.msg > Re: Explore checklist > checklist.docx", FORM, BM)]


def test_an_eml_attached_to_a_msg_is_read():
    eml = FileAttachment("Re Explore checklist.eml", reply().as_bytes(), "message/rfc822")

    found = read_msg(outlook_forward(eml))

    assert [(a.name, a.sender) for a in found] == [
        ("reply.msg > Re Explore checklist.eml > checklist.docx", BM)]


def test_a_msg_attached_to_an_eml_is_read():
    message = forward(reply())
    message.add_attachment(msg_bytes(outlook_reply()), maintype="application",
                           subtype="vnd.ms-outlook", filename="Re Explore checklist.msg")

    found = read(message)

    assert [(a.name, a.sender) for a in found] == [
        ("reply.eml > Re: Explore checklist > checklist.docx", BM),
        ("reply.eml > Re Explore checklist.msg > checklist.docx", BM)]


def test_a_clear_signed_msg_is_read():
    content = MIMEMultipart("mixed")
    form = MIMEApplication(FORM, DOCX.split("/")[1])
    form.add_header("Content-Disposition", "attachment", filename="checklist.docx")
    content.attach(form)
    signed = MIMEMultipart("signed", protocol="application/pkcs7-signature")
    signed.attach(content)
    signed.attach(MIMEApplication(b"\x30\x82 dummy signature", "pkcs7-signature"))
    smime = FileAttachment("smime.p7m", signed.as_bytes(), "multipart/signed")

    found = read_msg(outlook_reply(message_class="IPM.Note.SMIME.MultipartSigned",
                                   attachments=[smime]))

    assert [(a.name, a.data, a.sender) for a in found] == [
        ("reply.msg > checklist.docx", FORM, BM)]


def test_an_encrypted_msg_is_refused():
    smime = FileAttachment("smime.p7m", b"\x30\x80 enveloped", "application/pkcs7-mime")

    refused = only_refusal(read_msg(outlook_reply(message_class="IPM.Note.SMIME",
                                                  attachments=[smime])))

    assert isinstance(refused.refusal, EncryptedEmail)
    assert refused.name == "reply.msg"


def test_a_word_file_attached_as_a_link_is_refused_and_never_fetched():
    link = FileAttachment("checklist.docx", url="https://council-my.sharepoint.com/checklist.docx")

    refused = only_refusal(read_msg(outlook_reply(attachments=[link])))

    assert isinstance(refused.refusal, LinkedAttachment)
    assert refused.name == "reply.msg > checklist.docx"
    assert "never fetches files" in str(refused.refusal)


def test_msg_forwards_nested_deeper_than_the_limit_are_refused():
    message = outlook_reply()
    for _ in range(3):
        message = outlook_forward(message)

    refused = only_refusal(read_msg(message, max_depth=2))

    assert isinstance(refused.refusal, NestedTooDeep)


def test_a_damaged_msg_is_refused_saying_to_drag_it_out_again():
    data = msg_bytes(outlook_reply())

    with pytest.raises(DamagedEmail, match="damaged or incomplete .*drag it out of Outlook "
                                           "again$"):
        read_msg(data[: len(data) // 3])


def test_a_tiny_msg_is_never_taken_for_the_name_of_a_file_to_open(tmp_path, monkeypatch):
    tiny = bytes.fromhex("D0CF11E0A1B11AE1") + b"reply"
    monkeypatch.chdir(tmp_path)
    with open(tiny, "wb") as on_disk:  # a file named by those very bytes
        on_disk.write(msg_bytes(outlook_reply()))

    with pytest.raises(DamagedEmail, match="only 13 bytes long"):
        read_msg(tiny)


def test_another_office_file_named_msg_is_refused_as_not_an_outlook_message():
    word_97 = compound_file({"WordDocument": b"\xec\xa5" + bytes(600), "1Table": bytes(600)})

    with pytest.raises(DamagedEmail, match="not an Outlook message"):
        read_msg(word_97)


def test_a_damaged_msg_attached_to_an_email_is_refused_and_the_rest_is_read():
    message = reply()
    message.add_attachment(msg_bytes(outlook_reply())[:2000], maintype="application",
                           subtype="vnd.ms-outlook", filename="earlier reply.msg")

    found = read(message)

    assert [a.name for a in found if a.data] == ["reply.eml > checklist.docx"]
    refused = only_refusal(found)
    assert refused.name == "reply.eml > earlier reply.msg"
    assert isinstance(refused.refusal, DamagedEmail)


# --------------------------------------------------------------------------- real Outlook files


def test_a_real_outlook_message_with_forwards_nested_two_deep_is_walked():
    data = (SAMPLES / "msgInMsgInMsg.msg").read_bytes()

    found = read_saved_email(data, "sample.msg", word_only=False)

    assert [(a.name, len(a.data or b"")) for a in found] == [
        ("sample.msg > I have attachments! > green.png", 134),
        ("sample.msg > blue.png", 134)]


def test_a_real_received_outlook_message_gives_the_sender_and_date_from_its_headers():
    data = (SAMPLES / "attachmentFiles.msg").read_bytes()

    found = read_saved_email(data, "sample.msg", word_only=False)

    assert [a.name for a in found] == ["sample.msg > jpg.jpg", "sample.msg > png.png",
                                       "sample.msg > tif.tif"]
    assert {(a.sender, a.sent_at) for a in found} == {
        ('"hmailuser" <hmailuser@hmailserver.test>',
         dt.datetime(2023, 11, 1, 0, 48, 31, tzinfo=dt.UTC))}
