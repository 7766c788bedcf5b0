"""Reading saved emails for the Word forms inside them: .eml files and Outlook .msg files.

Officers save a Business Manager's reply from their email program, or drag it out of Outlook
(a .msg file), or forward it to a shared mailbox first, so the form may be a plain attachment,
an inline part, inside a message forwarded as an attachment (nested a few levels), inside an
S/MIME clear-signed message, or inside an .eml or .msg attached to a .msg. Every one of those
is found. What cannot be read is refused with one line saying what it is and what to do: an
encrypted or opaque-signed message (application/pkcs7-mime), attachments hidden in
winmail.dat, a link to a file online instead of a copy, forwards nested too deeply, a damaged
.msg, and an email over a limit.

Emails come from outside the council, so every byte is treated as hostile: the size, the parts
walked, the files found and the depth of forwards are all capped (`EmailLimits`), the MIME
parts are counted from the raw bytes before the email is parsed, and nothing is ever fetched
(a message/external-body part or a link attachment is never followed). Outlook files are read
with extract-msg (over olefile), never with a hand-written reader; its own recursion into
attached messages is held back (delayAttachments) so that the depth limit here applies.

winmail.dat (TNEF) is refused rather than read: the one Python reader, tnefparse, has had no
release since 2021, and Outlook itself shows those attachments, so the officer can save the
form from there. Signatures are not checked: the signed content is read like any other.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from generator.errors import (
    DamagedEmail,
    EmailTooLarge,
    EmptyAttachment,
    EncryptedEmail,
    LinkedAttachment,
    NestedTooDeep,
    NoWordAttachment,
    TooManyParts,
    UnreadableFile,
    WinmailAttachment,
)

__all__ = [
    "DEFAULT_LIMITS",
    "EMAIL_SUFFIXES",
    "WORD_ATTACHMENT_TYPES",
    "DamagedEmail",
    "EmailAttachment",
    "EmailLimits",
    "EmailTooLarge",
    "EmptyAttachment",
    "EncryptedEmail",
    "LinkedAttachment",
    "NestedTooDeep",
    "NoWordAttachment",
    "TooManyParts",
    "WinmailAttachment",
    "message_headers",
    "parse_date",
    "read_saved_email",
    "too_large",
]

EMAIL_SUFFIXES = (".eml", ".msg")
WORD_ATTACHMENT_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml",
                         "application/msword", "application/vnd.ms-word")
WORD_SUFFIXES = (".docx", ".docm", ".doc", ".dotx")


@dataclass(frozen=True)
class EmailLimits:
    """How much of one saved email is read, forwards and attachments included."""

    max_bytes: int = 100 * 1024 * 1024
    max_depth: int = 5  # messages forwarded inside messages
    max_attachments: int = 100  # files found, at every depth
    max_parts: int = 1000  # MIME parts and Outlook attachments walked, at every depth


DEFAULT_LIMITS = EmailLimits()


@dataclass(frozen=True)
class EmailAttachment:
    """One Word attachment found in a saved email, or one part of it that was refused.

    `name` shows where it came from ("reply.eml > Re: Explore checklist > form.docx", a
    forwarded message named by its subject). `sender` (its From, as written) and `sent_at`
    (its Date header, an aware datetime, None when missing or unparseable) are those of the
    message that directly carried it, however deep. `data` is None exactly when `refusal`
    says why the part could not be taken.
    """

    name: str
    data: bytes | None
    sender: str
    sent_at: dt.datetime | None
    refusal: UnreadableFile | None = None


def read_saved_email(data: bytes, name: str, *, limits: EmailLimits = DEFAULT_LIMITS,
                     word_only: bool = True) -> list[EmailAttachment]:
    """Every Word attachment anywhere in a saved email (.eml or .msg, told apart by content),
    in the order they appear, and each part that was refused on the way.

    `name` is how the email is called in the names given back. Raises an `UnreadableFile`
    subclass with a one-line message when the email as a whole cannot be used: over a limit,
    damaged, or with no Word attachment at all. With `word_only=False`, every attached file
    is given back, not only Word ones.
    """
    if len(data) > limits.max_bytes:
        raise too_large(len(data), limits)
    walk = _Walk(limits, word_only)
    top = _Carrier(name, 0)
    if data.startswith(_CFB_SIGNATURE):
        walk.outlook_bytes(data, top)
    else:
        walk.mime_bytes(data, top)
    if not walk.found:
        raise NoWordAttachment("the saved email has no Word attachment")
    return walk.found


def too_large(size: int, limits: EmailLimits = DEFAULT_LIMITS) -> EmailTooLarge:
    """The refusal of an email of `size` bytes, over the limit (checked before it is read)."""
    return EmailTooLarge(f"the email is too large to read ({_size(size)}, over the "
                         f"{_size(limits.max_bytes)} limit); {_SAVE_FORMS}")


def message_headers(data: bytes) -> tuple[str, str]:
    """The Message-ID and Subject of an RFC 5322 message, each as one clean line ("" when
    missing); only the header is read."""
    end = data.find(b"\r\n\r\n")
    end = data.find(b"\n\n") if end < 0 else end
    head = data[: end if 0 <= end < _HEADER_LIMIT else _HEADER_LIMIT]
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
    return _text(headers.get("Message-ID"), 300), _text(headers.get("Subject"), 80)


# --------------------------------------------------------------------------- walking

_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_SMALLEST_COMPOUND_FILE = 1536  # a header, a FAT sector and a directory sector
_PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_TNEF = ("application/ms-tnef", "application/vnd.ms-tnef")
_OUTLOOK_TYPES = ("application/vnd.ms-outlook",)
_FORWARDED_TYPES = ("message/rfc822", "message/global")
_ENCODED = ("base64", "quoted-printable")
_SAVE_FORMS = "save the forms from it one by one and collect those files instead"
_HEADER_LIMIT = 256 * 1024  # more header than any genuine email has
_SAVE_FORM = "open it in your email program, save the form itself and collect that file"
# Every MIME part starts on a boundary line ("--" then the boundary), so the lines starting
# with "--" bound the parts before anything is parsed; quoted text adds a few more, never this
# many more. Parsing is the costly step (a second per few thousand parts).
_BOUNDARY_LINES_PER_PART = 4


@dataclass(frozen=True)
class _Carrier:
    """The message that directly carries what is being walked."""

    path: str
    depth: int
    sender: str = ""
    sent_at: dt.datetime | None = None


@dataclass
class _Walk:
    limits: EmailLimits
    word_only: bool
    found: list[EmailAttachment] = field(default_factory=list)
    parts: int = 0
    files: int = 0

    # ---- counting and recording

    def count_part(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            raise TooManyParts(f"the saved email has more than {self.limits.max_parts} parts, "
                               f"more than any genuine email; {_SAVE_FORMS}")

    def count_file(self) -> None:
        self.files += 1
        if self.files > self.limits.max_attachments:
            raise TooManyParts(f"the saved email has more than {self.limits.max_attachments} "
                               f"attachments, over the limit for one email; {_SAVE_FORMS}")

    def take(self, carrier: _Carrier, filename: str, data: bytes) -> None:
        self.found.append(EmailAttachment(f"{carrier.path} > {filename}", data,
                                          carrier.sender, carrier.sent_at))

    def refuse(self, carrier: _Carrier, path: str, refusal: UnreadableFile) -> None:
        self.found.append(EmailAttachment(path, None, carrier.sender, carrier.sent_at, refusal))

    def forwarded(self, carrier: _Carrier, label: str) -> _Carrier | None:
        """The carrier for a message inside `carrier`, or None (refused) when too deep."""
        inner = _Carrier(f"{carrier.path} > {label or 'forwarded message'}", carrier.depth + 1)
        if inner.depth > self.limits.max_depth:
            self.refuse(carrier, inner.path, NestedTooDeep(
                f"this message is forwarded inside more than {self.limits.max_depth} other "
                f"messages, over the limit; {_SAVE_FORM}"))
            return None
        return inner

    # ---- what any attached file is

    def attached_file(self, carrier: _Carrier, filename: str, content_type: str,
                      payload: Callable[[], bytes | None], smime_type: str = "") -> None:
        """Decide what one attached file is: a form, an email to walk, a refusal or nothing."""
        lowered = filename.lower()
        if content_type in _PKCS7_MIME or lowered.endswith(".p7m"):
            self.refuse(carrier, carrier.path, _encrypted(smime_type))
        elif content_type in _TNEF or lowered == "winmail.dat":
            self.refuse(carrier, carrier.path, WinmailAttachment(
                "the message hides its attachments in winmail.dat (Outlook's rich text format), "
                "which the toolkit does not read; open the email in Outlook and save the form "
                "itself, or ask the sender to send it again as HTML or plain text"))
        elif content_type in _FORWARDED_TYPES or lowered.endswith(".eml"):
            self.count_file()
            inner = self.forwarded(carrier, filename)
            if inner is not None:
                self.nested(carrier, inner, payload(), outlook=False)
        elif content_type in _OUTLOOK_TYPES or lowered.endswith(".msg"):
            self.count_file()
            inner = self.forwarded(carrier, filename)
            if inner is not None:
                self.nested(carrier, inner, payload(), outlook=True)
        elif lowered.endswith(WORD_SUFFIXES) or content_type.startswith(WORD_ATTACHMENT_TYPES):
            self.count_file()
            data = payload()
            if not data:
                self.refuse(carrier, f"{carrier.path} > {filename or 'attachment'}",
                            EmptyAttachment("the attachment is empty; ask the sender to attach "
                                            "the form again"))
            else:
                self.take(carrier, filename or "attachment", data)
        elif filename or not content_type.startswith("text/"):
            self.count_file()
            if not self.word_only:
                self.take(carrier, filename or "attachment", payload() or b"")

    def nested(self, carrier: _Carrier, inner: _Carrier, data: bytes | None, *,
               outlook: bool) -> None:
        """Walk an email attached as a file; a damaged one is refused, the rest goes on."""
        try:
            if data and data.startswith(_CFB_SIGNATURE):
                self.outlook_bytes(data, inner)
            elif outlook:
                raise DamagedEmail(_NOT_OUTLOOK)
            else:
                self.mime_bytes(data or b"", inner)
        except DamagedEmail as exc:
            self.refuse(carrier, inner.path, exc)

    # ---- MIME (.eml)

    def mime_bytes(self, data: bytes, carrier: _Carrier, *, inherit: bool = False) -> None:
        """Walk an RFC 5322 message; `inherit` keeps the carrier's From and Date when the
        bytes are the content of the carrier itself (the signed part of an Outlook message)."""
        boundary_lines = data.count(b"\n--") + data.startswith(b"--")
        if boundary_lines > _BOUNDARY_LINES_PER_PART * self.limits.max_parts:
            raise TooManyParts(f"the saved email has more than {self.limits.max_parts} parts, "
                               f"more than any genuine email; {_SAVE_FORMS}")
        try:
            message = email.message_from_bytes(data, policy=email.policy.compat32)
        except RecursionError as exc:
            raise TooManyParts("the saved email's parts are nested too deeply to read; "
                               f"{_SAVE_FORMS}") from exc
        except Exception as exc:  # noqa: BLE001 - the parser's failures are not documented
            raise DamagedEmail(f"the saved email cannot be read ({_one_line(str(exc), 80)}); "
                               "save it again from your email program") from exc
        self.mime(message, _with_headers(carrier, message, inherit=inherit))

    def mime(self, root: email.message.Message, carrier: _Carrier) -> None:
        # A stack, not recursion: nesting is bounded by the part count, not by Python's stack.
        stack: list[tuple[email.message.Message, _Carrier]] = [(root, carrier)]
        while stack:
            part, carrier = stack.pop()
            self.count_part()
            content_type = part.get_content_type()
            children = [child for child in (part.get_payload() if part.is_multipart() else [])
                        if isinstance(child, email.message.Message)]
            encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
            if content_type in _FORWARDED_TYPES and children and encoding in _ENCODED:
                # Not allowed for a forward, but sent by some programs: the parser then sees
                # the encoded text as a message without headers, so decode it and read that.
                self.attached_file(carrier, _filename(part), content_type,
                                   _transfer_decoder(children[0], encoding))
            elif content_type in _FORWARDED_TYPES and children:
                self.count_file()
                label = _text(children[0].get("Subject"), 80) or _filename(part)
                inner = self.forwarded(carrier, label)
                if inner is not None:
                    stack.append((children[0], _with_headers(inner, children[0])))
            elif part.is_multipart():
                # multipart/* (signed included: its signature part is just not a form), and
                # message/* other than a forward (delivery reports, external bodies: never
                # followed, only their headers are here).
                stack.extend((child, carrier) for child in reversed(children))
            else:
                self.attached_file(carrier, _filename(part), content_type,
                                   _payload_decoder(part),
                                   smime_type=str(part.get_param("smime-type") or "").lower())

    # ---- Outlook (.msg)

    def outlook_bytes(self, data: bytes, carrier: _Carrier) -> None:
        import extract_msg
        from extract_msg.enums import ErrorBehavior

        if len(data) < _SMALLEST_COMPOUND_FILE:
            # olefile takes bytes this short for a file name to open, not a file's contents.
            raise _damaged_outlook(f"only {len(data)} bytes long")
        try:
            # delayAttachments: attached messages are opened only when walked, within limits.
            message = extract_msg.openMsg(
                data, delayAttachments=True, strict=False,
                errorBehavior=ErrorBehavior.ATTACH_SUPPRESS_ALL)
        except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds on bad input
            if _other_compound_file(data):
                raise DamagedEmail(_NOT_OUTLOOK) from exc
            raise _damaged_outlook(f"{type(exc).__name__}: {exc}") from exc
        try:
            self.outlook(message, carrier)
        finally:
            try:
                message.close()
            except Exception:  # noqa: BLE001, S110 - closing a damaged file may fail too
                pass

    def outlook(self, message: Any, carrier: _Carrier) -> None:
        from extract_msg.enums import AttachmentType

        self.count_part()
        try:
            message_class = str(message.classType or "").lower()
            if not message_class:
                raise DamagedEmail(_NOT_OUTLOOK)
            carrier = _with_outlook_headers(carrier, message)
            if message_class.startswith("ipm.note.smime"):
                # Outlook keeps an S/MIME message as one attachment holding the whole MIME
                # entity: multipart/signed for a clear signature, pkcs7-mime otherwise.
                listed = (message.rawAttachments if hasattr(message, "rawAttachments")
                          else message.attachments)
                raw = [a for a in listed if a.type is AttachmentType.DATA]
                if message_class.startswith("ipm.note.smime.multipartsigned") and raw:
                    self.mime_bytes(raw[0].data or b"", carrier, inherit=True)
                else:
                    self.refuse(carrier, carrier.path, _encrypted(""))
                return
            attachments = list(message.attachments)
        except UnreadableFile:
            raise
        except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds on bad input
            raise _damaged_outlook(f"{type(exc).__name__}: {exc}") from exc
        for attachment in attachments:
            self.outlook_attachment(attachment, carrier, AttachmentType)

    def outlook_attachment(self, attachment: Any, carrier: _Carrier, kinds: Any) -> None:
        self.count_part()
        try:
            filename = _basename(_text(attachment.longFilename or attachment.shortFilename
                                       or attachment.displayName or "", 120))
            kind = attachment.type
        except Exception:  # noqa: BLE001 - an unreadable attachment record: nothing to name
            return
        try:
            if kind in (kinds.MSG, kinds.SIGNED_EMBEDDED):
                self.count_file()
                inner_message = attachment.data
                label = _text(getattr(inner_message, "subject", None), 80) or filename
                inner = self.forwarded(carrier, label)
                if inner is not None:
                    try:
                        self.outlook(inner_message, inner)
                    except DamagedEmail as exc:
                        self.refuse(carrier, inner.path, exc)
            elif kind is kinds.DATA:
                content_type = str(attachment.getStringStream("__substg1.0_370E") or "")
                self.attached_file(carrier, filename, content_type.strip().lower(),
                                   lambda: attachment.data)
            elif _is_word(filename) and kind is kinds.WEB:
                self.count_file()
                self.refuse(carrier, f"{carrier.path} > {filename}", LinkedAttachment(
                    f"{filename} is a link to a file online, not an attached copy, and the "
                    "toolkit never fetches files from the internet; ask the sender to attach "
                    "the form itself"))
            elif _is_word(filename):
                self.count_file()
                self.refuse(carrier, f"{carrier.path} > {filename}", DamagedEmail(
                    "the attachment cannot be taken out of the Outlook message (it is damaged "
                    f"or stored in a way the toolkit does not read); {_SAVE_FORM}"))
        except UnreadableFile:
            raise
        except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds on bad input
            self.refuse(carrier, f"{carrier.path} > {filename or 'attachment'}",
                        _damaged_outlook(f"{type(exc).__name__}: {exc}"))


# --------------------------------------------------------------------------- headers and text

_NOT_OUTLOOK = ("the file is not an Outlook message but another kind of Office file; drag the "
                "email out of Outlook again, or save the form itself and collect that")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")


def _other_compound_file(data: bytes) -> bool:
    """Whether `data` is a sound compound file but not an Outlook message (a Word 97-2003
    document, say), as opposed to a damaged one."""
    import olefile

    if len(data) < _SMALLEST_COMPOUND_FILE:
        return False
    try:
        with olefile.OleFileIO(data) as compound:
            return not compound.exists("__properties_version1.0")
    except Exception:  # noqa: BLE001 - damaged: olefile raises many kinds
        return False


def _damaged_outlook(detail: str) -> DamagedEmail:
    return DamagedEmail(f"the saved Outlook message is damaged or incomplete "
                        f"({_one_line(detail, 80)}); drag it out of Outlook again")


def _encrypted(smime_type: str) -> EncryptedEmail:
    if smime_type == "signed-data":
        return EncryptedEmail(
            "the message is signed in a way that wraps what it carries (opaque S/MIME "
            "signing), so the form inside cannot be read; open it in Outlook, save the form "
            "itself and collect that, or ask the sender to sign with a clear signature")
    return EncryptedEmail(
        "the message is encrypted (S/MIME), so the form inside cannot be read; open it in "
        "Outlook, save the form itself and collect that, or ask the sender to send it again "
        "unencrypted")


def _with_headers(carrier: _Carrier, message: email.message.Message, *,
                  inherit: bool = False) -> _Carrier:
    sender = _text(message.get("From"), 300)
    sent_at = parse_date(message.get("Date"))
    if inherit:
        return replace(carrier, sender=sender or carrier.sender,
                       sent_at=sent_at or carrier.sent_at)
    return replace(carrier, sender=sender, sent_at=sent_at)


def _with_outlook_headers(carrier: _Carrier, message: Any) -> _Carrier:
    """From and Date of an Outlook message: from the internet headers Outlook kept when it
    received it, else from its sender and submit-time properties (a message never received,
    such as a sent item or one attached from Sent Items)."""
    sender, sent_at = "", None
    header_text = message.getStringStream("__substg1.0_007D")
    if header_text:
        headers = email.parser.Parser(policy=email.policy.compat32).parsestr(
            str(header_text)[:256 * 1024], headersonly=True)
        sender = _text(headers.get("From"), 300)
        sent_at = parse_date(headers.get("Date"))
    if not sender:
        name = _text(message.getStringStream("__substg1.0_0C1A"), 200)
        address = _text(message.getStringStream("__substg1.0_5D01"), 200)
        if not address:
            # PR_SENDER_EMAIL_ADDRESS is an Exchange (X.500) address for internal senders.
            candidate = _text(message.getStringStream("__substg1.0_0C1F"), 200)
            address = candidate if "@" in candidate else ""
        sender = f"{name} <{address}>" if name and address and name != address else (
            address or name)
    if sent_at is None:
        submitted = message.getPropertyVal("00390040")
        if isinstance(submitted, dt.datetime):
            sent_at = submitted if submitted.tzinfo else submitted.replace(tzinfo=dt.UTC)
    return replace(carrier, sender=sender, sent_at=sent_at)


def parse_date(value: object) -> dt.datetime | None:
    """A Date header as an aware datetime (its own offset kept), or None when missing or
    unparseable. "-0000" (time in UTC, zone unknown: RFC 5322 3.3) is taken as UTC."""
    text = _text(value, 200)
    if not text:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _text(value: object, limit: int) -> str:
    """A header or property as one clean line: encoded words decoded, control characters and
    undecodable bytes dropped, at most `limit` characters."""
    if value is None:
        return ""
    raw = value if isinstance(value, email.header.Header) else str(value)[: limit * 8]
    try:
        chunks = email.header.decode_header(raw)
    except Exception:  # noqa: BLE001 - a malformed encoded word is shown as it was written
        chunks = [(str(raw), None)]
    return _one_line("".join(_chunk_text(chunk, charset) for chunk, charset in chunks), limit)


def _chunk_text(chunk: str | bytes, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    name = (charset or "").lower()
    if name in ("", "unknown-8bit", "ascii", "us-ascii"):
        # Raw 8-bit headers: UTF-8 from most programs, Windows-1252 from some older ones.
        try:
            return chunk.decode("utf-8")
        except UnicodeDecodeError:
            return chunk.decode("cp1252", "replace")
    try:
        return chunk.decode(name, "replace")
    except LookupError:
        return chunk.decode("utf-8", "replace")


def _one_line(text: str, limit: int) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8", "replace")
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _filename(part: email.message.Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001 - a malformed RFC 2231 parameter
        name = ""
    return _basename(_text(name, 120))


def _basename(name: str) -> str:
    # Some programs send the sender's whole path ("C:\Users\...\form.docx").
    return re.split(r"[\\/]", name)[-1].strip()


def _payload_decoder(part: email.message.Message) -> Callable[[], bytes | None]:
    def decoded() -> bytes | None:
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else None
    return decoded


def _transfer_decoder(headless: email.message.Message, encoding: str
                      ) -> Callable[[], bytes | None]:
    def decoded() -> bytes | None:
        raw = str(headless.get_payload()).encode("ascii", "surrogateescape")
        try:
            return binascii.a2b_base64(raw) if encoding == "base64" else quopri.decodestring(raw)
        except (binascii.Error, ValueError):
            return None
    return decoded


def _is_word(filename: str) -> bool:
    return filename.lower().endswith(WORD_SUFFIXES)


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
