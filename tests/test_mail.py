"""Tests for generator.mail.message: addresses, messages, drafts, SMTP sending and templates.

SMTP tests run a real aiosmtpd server on 127.0.0.1 inside the test. An autouse fixture
refuses any connection or name lookup for another host, so nothing here can reach the
network even if the code under test goes wrong.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import socket
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from generator.errors import MailError
from generator.mail.message import (
    DOCX_CONTENT_TYPE,
    Attachment,
    OutgoingEmail,
    build_message,
    check_address,
    safe_filename,
    write_drafts,
)
from generator.mail.smtp import SendResult, SmtpSettings, _failure_reason, send_all
from generator.mail.texts import TEMPLATE_NAMES, default_template_text, render_text

from smtp_support import DROP, RawSmtpServer, Recorder, parse, smtp_server

SENDER = "partnerships@anytown.gov.uk"
DOCX_BYTES = b"PK\x03\x04" + bytes(range(256)) * 40 + b"\r\n.\r\n\n.\x00end"

# --------------------------------------------------------------------------- helpers


def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settings(port: int, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender_name": "Anytown Partnerships Team",
        "sender_address": SENDER,
        "timeout": 5.0,
    }
    values.update(overrides)
    return SmtpSettings(**values)  # type: ignore[arg-type]


def outgoing(n: int = 1, **overrides: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "key": f"send:explore:2026/27:bm{n}@example.org",
        "to_name": f"Business Manager {n}",
        "to_address": f"bm{n}@example.org",
        "subject": f"Partnership forms {n}",
        "body": f"Dear Business Manager {n},\n\nPlease find the form attached.\n",
        "attachments": (Attachment(f"Partnership {n} - Explore.docx", DOCX_BYTES),),
    }
    values.update(overrides)
    return OutgoingEmail(**values)  # type: ignore[arg-type]




def body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def attachments(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [
        (part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    ]


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "address",
    [
        "jane@example.org",
        "jane.smith+forms@anytown.gov.uk",
        "o'brien@council.example.co.uk",
        "j_smith-1@sub.domain.example",
        "zoe@bücher.example",
    ],
)
def test_check_address_accepts_ordinary_addresses(address: str) -> None:
    assert check_address(address) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("jane.example.org", "has no @"),
        ("jane smith@example.org", "has spaces"),
        (" jane@example.org", "has spaces at the start or end"),
        ("jane@example", "domain 'example' has no dot"),
        ("jane@@example.org", "has more than one @"),
        ("@example.org", "has nothing before the @"),
        ("jane@", "has nothing after the @"),
        ("Jane <jane@example.org>", "has spaces"),
        ("<jane@example.org>", "angle brackets"),
        ("jane@example.org;bob@example.org", "one address only"),
        ("jane..smith@example.org", "two dots together"),
        ("jane@example..org", "two dots together"),
        ("jane@-example.org", "hyphen"),
        ("jane@192.168.0.1", "ends in a number"),
        ("zoë@example.org", "non-English characters before the @"),
        ("jane(x)@example.org", "characters not allowed before the @: ( )"),
        ("jane@exa_mple.org", "characters that are not allowed"),
        ("jane\u200b@example.org", "invisible control characters"),
    ],
)
def test_check_address_explains_what_is_wrong(address: str, reason: str) -> None:
    result = check_address(address)
    assert result is not None
    assert reason in result


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("a" * 65 + "@example.org", "has more than 64 characters before the @"),
        ("a@" + "b" * 64 + ".org",
         f"domain '{'b' * 64}.org' has a part longer than 63 characters"),
        ("a@" + ("b" * 60 + ".") * 5 + "org", "is too long (more than 254 characters)"),
        ("jane@example-.org", "domain 'example-.org' has a part starting or ending with a hyphen"),
        ("jane@☃.net", None),
        ("=?utf-8?q?x?=@example.org",
         "is not a valid address (missing trailing whitespace after encoded-word)"),
    ],
)
def test_check_address_says_exactly_what_is_wrong(address: str, reason: str | None) -> None:
    assert check_address(address) == reason


# --------------------------------------------------------------------------- messages


def test_build_message_sets_addresses_subject_date_and_message_id() -> None:
    message = parse(build_message(outgoing(), "Sam Officer", SENDER, draft=False).as_bytes())

    assert message["From"].addresses[0].display_name == "Sam Officer"
    assert message["From"].addresses[0].addr_spec == SENDER
    assert message["To"].addresses[0].display_name == "Business Manager 1"
    assert message["To"].addresses[0].addr_spec == "bm1@example.org"
    assert message["Subject"] == "Partnership forms 1"
    assert message["Date"].datetime is not None
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith(
        "@anytown.gov.uk>"
    )
    assert message["X-Unsent"] is None


def test_build_message_uses_crlf_line_endings_throughout() -> None:
    raw = build_message(outgoing(), "Sam", SENDER, draft=False).as_bytes()

    assert b"\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")


def test_build_message_body_reads_back_unchanged() -> None:
    body = "Dear Jane,\n\nLine with £ and é and “quotes”.\n\n" + "long " * 60 + "\n"
    message = parse(build_message(outgoing(body=body), "Sam", SENDER, draft=False).as_bytes())

    assert body_text(message) == body
    assert message.get_body(preferencelist=("plain",))["Content-Type"].params["charset"] == "utf-8"


def test_build_message_attachment_reads_back_byte_for_byte_with_docx_type() -> None:
    message = parse(build_message(outgoing(), "Sam", SENDER, draft=False).as_bytes())

    assert attachments(message) == [("Partnership 1 - Explore.docx", DOCX_CONTENT_TYPE, DOCX_BYTES)]


def test_build_message_keeps_several_attachments_in_order_with_their_types() -> None:
    files = (
        Attachment("a.docx", b"first"),
        Attachment("b.pdf", b"%PDF-1.7 second", "application/pdf"),
    )
    message = parse(
        build_message(outgoing(attachments=files), "Sam", SENDER, draft=False).as_bytes()
    )

    assert attachments(message) == [
        ("a.docx", DOCX_CONTENT_TYPE, b"first"),
        ("b.pdf", "application/pdf", b"%PDF-1.7 second"),
    ]


def test_build_message_encodes_non_ascii_names_and_subject_in_ascii_headers() -> None:
    email_ = outgoing(to_name="Zoë Ångström-O'Brien, MBE", subject="Évaluation – 2026/27 forms")
    raw = build_message(email_, "Siân Jones", SENDER, draft=False).as_bytes()
    headers = raw.split(b"\r\n\r\n", 1)[0]
    message = parse(raw)

    assert headers.isascii()
    assert message["To"].addresses[0].display_name == "Zoë Ångström-O'Brien, MBE"
    assert message["From"].addresses[0].display_name == "Siân Jones"
    assert message["Subject"] == "Évaluation – 2026/27 forms"


def test_build_message_non_ascii_attachment_filename_uses_rfc2231() -> None:
    name = "Évaluation – Café Partnership.docx"
    email_ = outgoing(attachments=(Attachment(name, b"data"),))
    raw = build_message(email_, "Sam", SENDER, draft=False).as_bytes()

    assert b"filename*=utf-8''" in raw
    assert attachments(parse(raw)) == [(name, DOCX_CONTENT_TYPE, b"data")]


def test_build_message_makes_windows_unsafe_attachment_filename_safe() -> None:
    email_ = outgoing(attachments=(Attachment('Q1: "Youth" <2026/27>?.docx', b"data"),))
    message = parse(build_message(email_, "Sam", SENDER, draft=False).as_bytes())

    assert attachments(message)[0][0] == "Q1- -Youth- -2026-27-.docx"


def test_build_message_puts_a_subject_with_line_breaks_on_one_line() -> None:
    email_ = outgoing(subject="Forms\r\nBcc: victim@example.org")
    message = parse(build_message(email_, "Sam", SENDER, draft=False).as_bytes())

    assert message["Subject"] == "Forms Bcc: victim@example.org"
    assert message["Bcc"] is None


def test_build_message_draft_adds_x_unsent() -> None:
    message = parse(build_message(outgoing(), "Sam", SENDER, draft=True).as_bytes())

    assert message["X-Unsent"] == "1"


def test_build_message_draft_may_have_no_sender() -> None:
    message = parse(build_message(outgoing(), "", "", draft=True).as_bytes())

    assert message["From"] is None
    assert message["To"].addresses[0].addr_spec == "bm1@example.org"


def test_build_message_lists_cc_addresses() -> None:
    email_ = outgoing(cc=("head@example.org", "clerk@example.org"))
    message = parse(build_message(email_, "Sam", SENDER, draft=False).as_bytes())

    assert [a.addr_spec for a in message["Cc"].addresses] == [
        "head@example.org",
        "clerk@example.org",
    ]


def test_build_message_rejects_an_unusable_recipient_address() -> None:
    with pytest.raises(MailError, match="'jane.example.org' has no @"):
        build_message(outgoing(to_address="jane.example.org"), "Sam", SENDER, draft=False)


def test_build_message_rejects_a_malformed_content_type() -> None:
    email_ = outgoing(attachments=(Attachment("a.docx", b"x", "not a type"),))
    with pytest.raises(MailError, match="invalid content type"):
        build_message(email_, "Sam", SENDER, draft=False)


# --------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ('a<b>c:d"e/f\\g|h?i*j.docx', "a-b-c-d-e-f-g-h-i-j.docx"),
        ("CON.docx", "CON_.docx"),
        ("lpt1", "lpt1_"),
        ("nul.tar.gz", "nul_.tar.gz"),
        ("report. . .", "report"),
        ("  spaced   out  .docx", "spaced out.docx"),
        ("tab\there\nnewline.docx", "tab here newline.docx"),
        ("invoice\u202excod.docx", "invoicexcod.docx"),
        ("", "email"),
        ("...", "email"),
    ],
)
def test_safe_filename_makes_names_windows_safe(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_safe_filename_cuts_long_names_to_100_characters_keeping_extension() -> None:
    result = safe_filename("Partnership " * 20 + ".docx")

    assert len(result) <= 100
    assert result.endswith(".docx")
    assert not result[:-5].endswith((" ", "."))


# --------------------------------------------------------------------------- drafts


def test_write_drafts_writes_one_readable_eml_per_email(tmp_path: Path) -> None:
    paths = write_drafts([outgoing(1), outgoing(2)], tmp_path, "Sam Officer", SENDER)

    assert [p.name for p in paths] == [
        "Business Manager 1 - Partnership forms 1.eml",
        "Business Manager 2 - Partnership forms 2.eml",
    ]
    message = parse(paths[1].read_bytes())
    assert message["X-Unsent"] == "1"
    assert message["To"].addresses[0].addr_spec == "bm2@example.org"
    assert body_text(message) == outgoing(2).body
    assert attachments(message) == [("Partnership 2 - Explore.docx", DOCX_CONTENT_TYPE, DOCX_BYTES)]


def test_write_drafts_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "Business Manager 1 - Partnership forms 1.eml"
    existing.write_bytes(b"officer's own file")

    paths = write_drafts([outgoing(1)], tmp_path, "Sam", SENDER)

    assert existing.read_bytes() == b"officer's own file"
    assert paths == [tmp_path / "Business Manager 1 - Partnership forms 1-2.eml"]


def test_write_drafts_numbers_repeated_names_within_one_batch(tmp_path: Path) -> None:
    paths = write_drafts([outgoing(1), outgoing(1), outgoing(1)], tmp_path, "Sam", SENDER)

    assert [p.name for p in paths] == [
        "Business Manager 1 - Partnership forms 1.eml",
        "Business Manager 1 - Partnership forms 1-2.eml",
        "Business Manager 1 - Partnership forms 1-3.eml",
    ]


def test_write_drafts_treats_names_differing_only_in_case_as_the_same(tmp_path: Path) -> None:
    emails = [outgoing(1, to_name="JANE"), outgoing(1, to_name="jane")]

    paths = write_drafts(emails, tmp_path, "Sam", SENDER)

    assert paths[1].name == "jane - Partnership forms 1-2.eml"


def test_write_drafts_uses_windows_safe_file_names(tmp_path: Path) -> None:
    email_ = outgoing(to_name="CON", subject='Forms for 2026/27: "Explore"? ' + "x" * 200)

    (path,) = write_drafts([email_], tmp_path, "Sam", SENDER)

    assert not set('<>:"/\\|?*') & set(path.name)
    assert len(path.name) <= 100
    assert path.name.endswith(".eml")
    assert path.name.startswith("CON - Forms for 2026-27 - -Explore")


def test_write_drafts_leaves_no_temporary_files(tmp_path: Path) -> None:
    write_drafts([outgoing(1), outgoing(2)], tmp_path, "Sam", SENDER)

    assert sorted(os.listdir(tmp_path)) == [
        "Business Manager 1 - Partnership forms 1.eml",
        "Business Manager 2 - Partnership forms 2.eml",
    ]


def test_write_drafts_writes_nothing_when_one_email_is_unusable(tmp_path: Path) -> None:
    emails = [outgoing(1), outgoing(2, to_address="bm2@example")]

    with pytest.raises(MailError, match="'bm2@example': domain 'example' has no dot"):
        write_drafts(emails, tmp_path, "Sam", SENDER)

    assert os.listdir(tmp_path) == []


def test_write_drafts_creates_the_folder(tmp_path: Path) -> None:
    paths = write_drafts([outgoing()], tmp_path / "drafts" / "2026-27", "Sam", SENDER)

    assert paths[0].parent == tmp_path / "drafts" / "2026-27"
    assert paths[0].is_file()


# --------------------------------------------------------------------------- sending


def test_send_all_delivers_each_email_with_its_attachment() -> None:
    handler = Recorder()
    name = "Zoë Ångström"
    emails = [outgoing(1, to_name=name), outgoing(2)]
    with smtp_server(handler) as port:
        results = send_all(emails, settings(port), None)

    assert results == [
        SendResult(emails[0].key, "bm1@example.org", sent=True, error=None),
        SendResult(emails[1].key, "bm2@example.org", sent=True, error=None),
    ]
    assert [(frm, rcpts) for frm, rcpts, _ in handler.received] == [
        (SENDER, ["bm1@example.org"]),
        (SENDER, ["bm2@example.org"]),
    ]
    first = handler.messages()[0]
    assert first["To"].addresses[0].display_name == name
    assert first["From"].addresses[0].display_name == "Anytown Partnerships Team"
    assert body_text(first) == emails[0].body
    assert attachments(first) == [("Partnership 1 - Explore.docx", DOCX_CONTENT_TYPE, DOCX_BYTES)]


def test_send_all_sends_to_cc_recipients_as_well() -> None:
    handler = Recorder()
    email_ = outgoing(cc=("head@example.org",))
    with smtp_server(handler) as port:
        (result,) = send_all([email_], settings(port), None)

    assert result.sent
    assert handler.received[0][1] == ["bm1@example.org", "head@example.org"]


def test_send_all_refused_recipient_fails_that_email_and_delivers_the_others() -> None:
    handler = Recorder(refuse=("bm2@example.org",))
    emails = [outgoing(1), outgoing(2), outgoing(3)]
    with smtp_server(handler) as port:
        results = send_all(emails, settings(port), None)

    assert [r.sent for r in results] == [True, False, True]
    assert results[1].error == (
        "recipient refused: bm2@example.org (550 5.1.1 Mailbox unavailable)"
    )
    assert [rcpts for _, rcpts, _ in handler.received] == [
        ["bm1@example.org"],
        ["bm3@example.org"],
    ]


def test_send_all_refused_cc_still_sends_and_warns() -> None:
    handler = Recorder(refuse=("gone@example.org",))
    with smtp_server(handler) as port:
        (result,) = send_all([outgoing(cc=("gone@example.org",))], settings(port), None)

    assert result.sent and result.error is None
    assert result.warning is not None and "gone@example.org" in result.warning
    assert handler.received[0][1] == ["bm1@example.org"]


def authenticator_for(password: bytes, attempts: list[str]):
    def authenticator(server, session, envelope, mechanism, auth_data):
        attempts.append(mechanism)
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"officer"
            and auth_data.password == password
        )
        return AuthResult(success=ok, handled=False)

    return authenticator


def test_send_all_wrong_password_fails_every_email_with_authentication_failed() -> None:
    handler = Recorder(require_auth=True)
    attempts: list[str] = []
    emails = [outgoing(1), outgoing(2), outgoing(3)]
    with smtp_server(
        handler, authenticator=authenticator_for(b"right", attempts), auth_require_tls=False
    ) as port:
        results = send_all(emails, settings(port, user="officer"), "wrong")

    assert [r.sent for r in results] == [False, False, False]
    assert all(
        r.error and r.error.startswith("authentication failed for user officer") for r in results
    )
    assert len({r.error for r in results}) == 1
    assert len(attempts) <= 2  # one login (smtplib tries PLAIN then LOGIN), not one per email
    assert handler.received == []


def test_send_all_right_password_delivers() -> None:
    handler = Recorder(require_auth=True)
    attempts: list[str] = []
    with smtp_server(
        handler, authenticator=authenticator_for(b"right", attempts), auth_require_tls=False
    ) as port:
        results = send_all([outgoing(1), outgoing(2)], settings(port, user="officer"), "right")

    assert [r.sent for r in results] == [True, True]
    assert len(handler.received) == 2
    assert len(attempts) == 1


def test_send_all_without_login_to_a_server_requiring_one_says_so_once() -> None:
    handler = Recorder(require_auth=True)
    attempts: list[str] = []
    with smtp_server(
        handler, authenticator=authenticator_for(b"right", attempts), auth_require_tls=False
    ) as port:
        results = send_all([outgoing(1), outgoing(2)], settings(port), None)

    assert [r.sent for r in results] == [False, False]
    assert all(r.error and "requires a user name and password" in r.error for r in results)


def test_send_all_connection_refused_gives_a_clear_error_for_every_email() -> None:
    port = closed_port()

    results = send_all([outgoing(1), outgoing(2)], settings(port), None)

    assert [r.error for r in results] == [f"connection refused by 127.0.0.1:{port}"] * 2
    assert not any(r.sent for r in results)


def test_send_all_silent_server_times_out_with_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)  # accepts the connection but never says hello
        port = listener.getsockname()[1]

        results = send_all([outgoing(1), outgoing(2)], settings(port, timeout=0.3), None)

    assert [r.error for r in results] == [f"no answer from 127.0.0.1:{port} within 0.3 seconds"] * 2


def test_send_all_starttls_to_a_server_without_it_gives_a_clear_error() -> None:
    with smtp_server(Recorder()) as port:
        (result,) = send_all([outgoing()], settings(port, security="starttls"), None)

    assert not result.sent
    assert (
        result.error == f"127.0.0.1:{port} does not offer STARTTLS; check the mail security setting"
    )


def test_send_all_ssl_to_a_plain_server_gives_a_clear_error() -> None:
    with smtp_server(Recorder()) as port:
        (result,) = send_all([outgoing()], settings(port, security="ssl"), None)

    assert not result.sent
    assert result.error is not None
    assert result.error.startswith(
        f"secure connection to 127.0.0.1:{port} failed (the server did not answer with SSL/TLS)"
    )


def test_send_all_skips_keys_already_sent() -> None:
    handler = Recorder()
    emails = [outgoing(1), outgoing(2), outgoing(3)]
    with smtp_server(handler) as port:
        results = send_all(emails, settings(port), None, already_sent=lambda k: k == emails[1].key)

    assert results[1] == SendResult(emails[1].key, "bm2@example.org", False, None, skipped=True)
    assert [r.sent for r in results] == [True, False, True]
    assert [rcpts for _, rcpts, _ in handler.received] == [["bm1@example.org"], ["bm3@example.org"]]


def test_send_all_sends_a_key_repeated_in_the_batch_only_once() -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        results = send_all([outgoing(1), outgoing(1)], settings(port), None)

    assert [(r.sent, r.skipped) for r in results] == [(True, False), (False, True)]
    assert len(handler.received) == 1


def test_send_all_does_not_connect_when_everything_was_already_sent() -> None:
    results = send_all([outgoing(1)], settings(closed_port()), None, already_sent=lambda k: True)

    assert results[0].skipped and results[0].error is None


def test_send_all_calls_on_sent_right_after_each_delivery() -> None:
    handler = Recorder(refuse=("bm2@example.org",))
    seen: list[tuple[str, int]] = []
    emails = [outgoing(1), outgoing(2), outgoing(3)]
    with smtp_server(handler) as port:
        results = send_all(
            emails,
            settings(port),
            None,
            on_sent=lambda r: seen.append((r.key, len(handler.received))),
        )

    assert seen == [(emails[0].key, 1), (emails[2].key, 2)]
    assert [r.sent for r in results] == [True, False, True]


def test_send_all_on_sent_failure_stops_the_batch() -> None:
    handler = Recorder()

    def on_sent(result: SendResult) -> None:
        raise RuntimeError("store is read-only")

    with smtp_server(handler) as port, pytest.raises(RuntimeError, match="read-only"):
        send_all([outgoing(1), outgoing(2)], settings(port), None, on_sent=on_sent)

    assert len(handler.received) == 1


def test_send_all_unusable_address_fails_only_that_email() -> None:
    handler = Recorder()
    emails = [outgoing(1, to_address="bm1 at example.org"), outgoing(2)]
    with smtp_server(handler) as port:
        results = send_all(emails, settings(port), None)

    assert results[0].error == "the address 'bm1 at example.org' has spaces"
    assert results[1].sent


def test_send_all_unusable_domain_is_explained_readably() -> None:
    handler = Recorder()
    with smtp_server(handler) as port:
        (result,) = send_all([outgoing(to_address="bm1@example")], settings(port), None)

    assert result.error == "the address 'bm1@example': domain 'example' has no dot"
    assert handler.received == []


def test_send_all_reconnects_when_the_server_limits_messages_per_connection() -> None:
    handler = Recorder(messages_per_connection=1)
    with smtp_server(handler) as port:
        results = send_all([outgoing(1), outgoing(2), outgoing(3)], settings(port), None)

    assert [r.sent for r in results] == [True, True, True]
    assert [rcpts for _, rcpts, _ in handler.received] == [
        ["bm1@example.org"],
        ["bm2@example.org"],
        ["bm3@example.org"],
    ]


class HangUpAfterEachMessage(Recorder):
    """Closes the connection shortly after accepting each message, like an idle timeout."""

    async def handle_DATA(self, server, session, envelope):
        status = await super().handle_DATA(server, session, envelope)
        asyncio.get_running_loop().call_later(0.02, server.transport.close)
        return status


def test_send_all_reconnects_when_the_server_hangs_up_between_messages() -> None:
    handler = HangUpAfterEachMessage()
    with smtp_server(handler) as port:
        results = send_all(
            [outgoing(1), outgoing(2), outgoing(3)],
            settings(port),
            None,
            on_sent=lambda r: time.sleep(0.1),  # give the server time to hang up
        )

    assert [r.sent for r in results] == [True, True, True]
    assert [rcpts for _, rcpts, _ in handler.received] == [
        ["bm1@example.org"],
        ["bm2@example.org"],
        ["bm3@example.org"],
    ]


def test_send_all_never_sends_again_an_email_whose_answer_was_lost_after_the_message() -> None:
    dropping = RawSmtpServer(after_data=DROP)
    with dropping as port:
        results = send_all([outgoing(1), outgoing(2)], settings(port), None)

    assert dropping.recipients() == ["bm1@example.org", "bm2@example.org"]
    assert [(r.sent, r.maybe_sent) for r in results] == [(False, True), (False, True)]
    assert results[0].error == (
        f"may have been sent: 127.0.0.1:{port} closed the connection after taking the email, "
        "before confirming it"
    )


def test_send_all_gives_up_on_a_dripping_server_at_the_deadline_and_tries_no_more() -> None:
    # Not a byte of the greeting comes within the deadline, however short it is.
    with RawSmtpServer(drip="all", drip_every=2) as port:
        started = time.monotonic()
        results = send_all([outgoing(1), outgoing(2)], settings(port, deadline=0.3), None)
        elapsed = time.monotonic() - started

    assert elapsed < 30
    assert results[0].error == (
        f"not sent: 127.0.0.1:{port} did not finish within 0.3 seconds (the [smtp] deadline)"
    )
    assert results[1].error is not None and results[1].error.startswith("not tried: ")
    assert not any(r.sent or r.maybe_sent for r in results)


def test_send_all_deadline_passing_after_the_message_leaves_it_may_have_been_sent() -> None:
    with RawSmtpServer(drip="after-data", drip_every=2) as port:
        (result,) = send_all([outgoing(1)], settings(port, deadline=1.0), None)

    assert result.maybe_sent and not result.sent
    assert result.error == (
        f"may have been sent: 127.0.0.1:{port} did not confirm it within 1 second "
        "(the [smtp] deadline)"
    )


def test_send_all_message_refused_after_the_message_is_not_sent_and_not_in_doubt() -> None:
    with RawSmtpServer(after_data="554 5.6.0 Message refused") as port:
        (result,) = send_all([outgoing(1)], settings(port), None)

    assert (result.sent, result.maybe_sent) == (False, False)
    assert result.error == "message rejected by the mail server (554 5.6.0 Message refused)"


@pytest.mark.parametrize(
    ("overrides", "password", "message"),
    [
        ({"security": "tls"}, None, "Mail security 'tls' is not known"),
        ({"sender_address": ""}, None, "No sender address"),
        ({"sender_address": "partnerships"}, None, "has no @"),
        ({"user": "officer"}, None, "A password is needed"),
        ({"port": 0}, None, "not between 1 and 65535"),
        ({"host": "smtp.example.org", "user": "officer"}, "pw", "unencrypted"),
    ],
)
def test_send_all_raises_mail_error_for_unusable_settings(
    overrides: dict[str, object], password: str | None, message: str
) -> None:
    values = {"port": closed_port(), **overrides}
    with pytest.raises(MailError, match=message):
        send_all([outgoing()], settings(**values), password)


def test_send_all_with_no_emails_returns_no_results() -> None:
    assert send_all([], settings(closed_port()), None) == []


# --------------------------------------------------------------------------- templates


def test_render_text_splits_subject_and_body() -> None:
    template = "Subject: Forms for {{ name }}\n\nDear {{ name }},\n\nThanks.\n"

    assert render_text(template, {"name": "Jane"}) == ("Forms for Jane", "Dear Jane,\n\nThanks.\n")


def test_render_text_does_not_html_escape() -> None:
    subject, body = render_text("Subject: {{ x }}\n\n{{ x }}\n", {"x": "Tom & Jerry <Ltd>"})

    assert subject == "Tom & Jerry <Ltd>"
    assert body == "Tom & Jerry <Ltd>\n"


def test_render_text_block_lines_leave_no_blank_lines() -> None:
    template = "Subject: s\n\nForms:\n{% for f in forms %}\n  - {{ f }}\n{% endfor %}\nEnd\n"

    assert render_text(template, {"forms": ["a", "b"]})[1] == "Forms:\n  - a\n  - b\nEnd\n"


def test_render_text_accepts_windows_line_endings_and_a_byte_order_mark() -> None:
    template = "\ufeffSubject: Hello\r\n\r\nLine one\r\nLine two\r\n"

    assert render_text(template, {}) == ("Hello", "Line one\nLine two\n")


def test_render_text_unknown_name_names_the_line_and_the_known_names() -> None:
    template = "Subject: s\n\nDear {{ recipient_name }},\n\n{{ recipent_name }}\n"

    with pytest.raises(MailError) as caught:
        render_text(template, {"recipient_name": "Jane"}, source_name="send.txt")

    message = str(caught.value)
    assert message.startswith("send.txt, line 5")
    assert "'recipent_name' is not a name this email knows" in message
    assert "recipient_name" in message.split("names available:")[1]


def test_render_text_unknown_field_names_the_line() -> None:
    template = "Subject: s\n\n{% for f in forms %}\n{{ f.titel }}\n{% endfor %}\n"

    with pytest.raises(MailError, match=r"line 4 .*'titel' is not one of the fields"):
        render_text(template, {"forms": [{"title": "x"}]})


def test_render_text_syntax_error_names_the_line() -> None:
    template = "Subject: s\n\nHello\n{% for f in forms %}\n{{ f }}\n"

    with pytest.raises(MailError, match=r"line \d+.*expected the following tags: 'endfor'"):
        render_text(template, {"forms": []})


def test_render_text_body_may_start_with_whitespace_control() -> None:
    template = "Subject: s\n\n{%- if true %}\nHello\n{% endif %}\n"

    assert render_text(template, {}) == ("s", "Hello\n")


def test_render_text_runtime_error_names_the_line() -> None:
    template = "Subject: s\n\nOne\nTwo {{ 1 / zero }}\n"

    with pytest.raises(MailError, match=r"line 4 \('Two .*division by zero"):
        render_text(template, {"zero": 0})


def test_render_text_error_in_subject_names_line_one() -> None:
    with pytest.raises(MailError, match=r"line 1 .*'council' is not a name"):
        render_text("Subject: {{ council }}\n\nBody\n", {})


def test_render_text_requires_a_subject_line_first() -> None:
    with pytest.raises(MailError, match="line 1: the first line must start with 'Subject:'"):
        render_text("Dear Jane,\n\nBody\n", {})


def test_render_text_requires_a_blank_line_after_the_subject() -> None:
    with pytest.raises(MailError, match="line 2: the line after the subject must be blank"):
        render_text("Subject: s\nDear Jane,\n", {})


def test_render_text_sandbox_blocks_unsafe_attributes() -> None:
    with pytest.raises(MailError, match="not allowed in a template"):
        render_text("Subject: s\n\n{{ x.__class__.__mro__ }}\n", {"x": "text"})


def test_render_text_rejects_an_empty_subject() -> None:
    with pytest.raises(MailError, match="subject is empty"):
        render_text("Subject: {{ x }}\n\nBody\n", {"x": ""})


FORMS = [
    {
        "partnership_name": "Healthy Towns",
        "form_title": "Explore form",
        "filename": "Healthy Towns - Explore.docx",
        "reason": "Phase 1 (Explore) of the Partnership Strategy",
        "period": "2026/27",
        "days_overdue": 1,
    },
    {
        "partnership_name": "Youth Trust",
        "form_title": "Annual review form",
        "filename": "Youth Trust - Annual review.docx",
        "reason": "the annual review of existing partnerships",
        "period": "2026/27",
        "days_overdue": 12,
    },
]
CONTEXTS: dict[str, dict[str, object]] = {
    "send": {
        "recipient_name": "Jane Smith",
        "council": "Anytown Borough Council",
        "forms": FORMS,
        "due_date": "Friday 15 January 2027",
        "sender_name": "Sam Officer",
        "return_instructions": "Please email completed forms to partnerships@anytown.gov.uk.",
    },
    "query": {
        "recipient_name": "Jane Smith",
        "partnership_name": "Healthy Towns",
        "form_title": "Explore form",
        "problems": [{"label": "Question 3", "message": "needs an answer"}],
        "commented": True,
        "sender_name": "Sam Officer",
    },
}
CONTEXTS["chase"] = CONTEXTS["send"]


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_default_templates_render_with_their_documented_variables(name: str) -> None:
    subject, body = render_text(default_template_text(name), CONTEXTS[name], source_name=name)

    assert subject
    assert body.startswith("Dear Jane Smith,\n")
    assert body.rstrip().endswith("Sam Officer")
    for value in ("Healthy Towns", "Explore form"):
        assert value in body


@pytest.mark.parametrize("name", ["send", "chase"])
def test_default_templates_list_every_form_and_agree_in_number(name: str) -> None:
    _, body_many = render_text(default_template_text(name), CONTEXTS[name])
    one = {**CONTEXTS[name], "forms": FORMS[:1]}
    subject_one, body_one = render_text(default_template_text(name), one)

    assert "Youth Trust - Annual review.docx" in body_many
    assert "forms" not in subject_one
    assert "Youth Trust" not in body_one


def test_default_chase_template_says_how_overdue_each_form_is() -> None:
    _, body = render_text(default_template_text("chase"), CONTEXTS["chase"])

    assert "1 day overdue" in body
    assert "12 days overdue" in body


def test_default_query_template_lists_each_problem() -> None:
    _, body = render_text(default_template_text("query"), CONTEXTS["query"])

    assert "- Question 3: needs an answer\n" in body


@pytest.mark.parametrize(("error", "reason"), [
    (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 No such user")}),
     "recipient refused: a@example.org (550 5.1.1 No such user)"),
    (smtplib.SMTPSenderRefused(552, b"5.3.4 Message too big", "me@example.org"),
     "the email is too large for the mail server (552 5.3.4 Message too big)"),
    (smtplib.SMTPSenderRefused(553, b"5.7.1 Not yours", "me@example.org"),
     "sender address team@example.org refused (553 5.7.1 Not yours)"),
    (smtplib.SMTPDataError(554, b"5.6.0 Message refused"),
     "message rejected by the mail server (554 5.6.0 Message refused)"),
    (smtplib.SMTPResponseException(451, b"4.3.0 Try later"),
     "mail server error (451 4.3.0 Try later)"),
    (smtplib.SMTPNotSupportedError("no STARTTLS"), "mail server error (no STARTTLS)"),
])
def test_each_refusal_of_the_mail_server_is_said_in_words(error, reason) -> None:
    assert _failure_reason(error, "team@example.org") == reason
