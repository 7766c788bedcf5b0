"""Email messages: addresses checked in plain English, MIME messages and Outlook drafts.

- :func:`check_address` says in plain English why an address cannot be used.
- :func:`build_message` and :func:`write_draft` turn :class:`OutgoingEmail` values into
  RFC 5322 / MIME messages, and drafts that Outlook opens ready to send (``X-Unsent: 1``),
  written with :mod:`generator.fileio` so no draft is ever half-written under its name.

Sending them is :mod:`generator.mail.smtp`; their wording, :mod:`generator.mail.texts`.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from generator import fileio
from generator.errors import MailError

__all__ = [
    "DOCX_CONTENT_TYPE",
    "Attachment",
    "OutgoingEmail",
    "build_message",
    "check_address",
    "draft_message_id",
    "draft_path",
    "new_message_id",
    "safe_filename",
    "write_draft",
    "write_drafts",
]

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email: its bytes, or ``load`` to read them when the message is
    built (so a batch of emails never holds every attached file in memory at once)."""

    filename: str  # as shown to the recipient; made Windows-safe by build_message
    data: bytes = b""
    content_type: str = DOCX_CONTENT_TYPE
    load: Callable[[], bytes] | None = field(default=None, compare=False, repr=False)

    def content(self) -> bytes:
        """The attachment's bytes (read now, if it was given as ``load``)."""
        return self.load() if self.load is not None else self.data


@dataclass(frozen=True)
class OutgoingEmail:
    """One email to one recipient (plus optional copies)."""

    key: str  # stable id used to avoid sending twice, e.g. "send:explore:2026/27:jane@x.org"
    to_name: str
    to_address: str
    subject: str
    body: str  # plain text
    attachments: tuple[Attachment, ...] = ()
    cc: tuple[str, ...] = ()


# --------------------------------------------------------------------------- addresses

_LOCAL_ALLOWED = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$")
_LABEL_ALLOWED = re.compile(r"^[A-Za-z0-9-]+$")


def check_address(address: str) -> str | None:
    """Say why an email address cannot be used, or return None when it looks usable.

    The reason completes the sentence "The address ... ", e.g. "is empty", "has no @",
    "has spaces", "domain 'x' has no dot". Only the form of the address is checked (no
    network lookups), using :mod:`email.headerregistry` parsing plus simple sanity rules
    that catch the mistakes people make when typing or pasting addresses. Internationalised
    domain names are accepted; non-ASCII characters before the @ are not, because most
    mail servers cannot deliver to them.
    """
    whole = _whole_address_problem(address)
    if whole is not None:
        return whole
    local, domain = address.split("@")
    if not local:
        return "has nothing before the @"
    if not domain:
        return "has nothing after the @"
    return _local_part_problem(local) or _domain_problem(domain) or _parsing_problem(
        local, domain)


def _whole_address_problem(address: str) -> str | None:
    """What is wrong with the address as a whole: empty, spaces, several addresses, no @."""
    if not isinstance(address, str) or not address.strip():
        return "is empty"
    if address != address.strip():
        return "has spaces at the start or end"
    if any(ch.isspace() for ch in address):
        return "has spaces"
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in address):
        return "has invisible control characters"
    if "<" in address or ">" in address:
        return "has angle brackets; give just the address, without a name"
    if "," in address or ";" in address:
        return "has a comma or semicolon; give one address only"
    if address.count("@") == 0:
        return "has no @"
    if address.count("@") > 1:
        return "has more than one @"
    if len(address) > 254:
        return "is too long (more than 254 characters)"
    return None


def _local_part_problem(local: str) -> str | None:
    """What is wrong with the part before the @."""
    if not local.isascii():
        return "has accented or non-English characters before the @"
    if len(local) > 64:
        return "has more than 64 characters before the @"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "has a dot at the start or end of the part before the @, or two dots together"
    if not _LOCAL_ALLOWED.match(local):
        bad = sorted({ch for ch in local if not _LOCAL_ALLOWED.match(ch)})
        return "has characters not allowed before the @: " + " ".join(bad)
    return None


def _domain_problem(domain: str) -> str | None:
    """What is wrong with the domain, said with the domain as typed."""
    if "." not in domain:
        return f"domain '{domain}' has no dot"
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return f"domain '{domain}' has characters that are not allowed"
    labels = ascii_domain.split(".")
    if any(not label for label in labels):
        return f"domain '{domain}' has a dot at the start or end, or two dots together"
    label_problem = next(filter(None, (_label_problem(label) for label in labels)), None)
    if label_problem is not None:
        return f"domain '{domain}' {label_problem}"
    if labels[-1].isdigit():
        return f"domain '{domain}' ends in a number, not a name like .org or .uk"
    return None


def _label_problem(label: str) -> str | None:
    """What is wrong with one part of a domain (between its dots)."""
    if not _LABEL_ALLOWED.match(label):
        return "has characters that are not allowed"
    if label.startswith("-") or label.endswith("-"):
        return "has a part starting or ending with a hyphen"
    if len(label) > 63:
        return "has a part longer than 63 characters"
    return None


def _parsing_problem(local: str, domain: str) -> str | None:
    """Whether the email parsers read the address back as it is (a last check)."""
    address = f"{local}@{_ascii_domain(domain)}"
    try:
        parsed = Address(addr_spec=address)
    except (HeaderParseError, ValueError, IndexError) as exc:
        return f"is not a valid address ({exc})"
    if parsed.addr_spec != address:
        return "is not a valid address"
    name, addr = parseaddr(address)
    if name or addr != address:
        return "is not a valid address"
    return None


def _address_problem(label: str, address: str, reason: str) -> str:
    """Join a label, an address and a check_address reason into one readable phrase."""
    joiner = ": " if reason.startswith("domain") else " "
    return f"{label} '{address}'{joiner}{reason}"


def _ascii_domain(domain: str) -> str | None:
    """The domain in ASCII (IDNA/punycode for international names), or None if impossible."""
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def _ascii_address(address: str) -> str:
    """``address`` with its domain converted to ASCII; assumes check_address passed."""
    local, domain = address.split("@")
    ascii_domain = _ascii_domain(domain)
    assert ascii_domain is not None
    return f"{local}@{ascii_domain}"


def _one_line(text: str) -> str:
    """Collapse all whitespace (including line breaks) so a header value is one line."""
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- file names

def safe_filename(name: str, *, default: str = "email", max_length: int = 100) -> str:
    """A Windows-safe file name (see generator.fileio.safe_filename); "email" when empty."""
    return fileio.safe_filename(name, default=default, max_length=max_length)


# --------------------------------------------------------------------------- messages


def new_message_id(sender_address: str) -> str:
    """A new Message-ID in the sender's domain, found without any DNS lookup."""
    domain = sender_address.strip().split("@")[1] if "@" in sender_address else ""
    # An explicit domain: make_msgid() would otherwise look up this computer's name in DNS.
    return make_msgid(domain=_ascii_domain(domain or "partnership-toolkit.invalid")
                      or "localhost")


def build_message(
    email: OutgoingEmail,
    sender_name: str,
    sender_address: str,
    *,
    draft: bool,
    message_id: str | None = None,
) -> EmailMessage:
    """Build the RFC 5322 / MIME message for ``email``.

    Uses ``email.policy.SMTP`` (CRLF line endings). Names and the subject may contain any
    Unicode (encoded as RFC 2047 words); the plain-text body is UTF-8 (quoted-printable when
    not ASCII); attachments are base64 with their content type and a Windows-safe file name
    (RFC 2231 when not ASCII). Date and Message-ID (``message_id``, or a new one) headers
    are always set; attachments given as ``load`` are read now. ``draft=True``
    adds ``X-Unsent: 1`` so Outlook opens the saved .eml ready to send; a draft may have
    no sender (Outlook then uses the officer's own account).

    Raises MailError if an address is unusable or an attachment's content type is
    malformed; both are mistakes in the caller's data, not the recipient's.
    """
    sender_address = sender_address.strip()
    _validate(email, sender_address, draft=draft)
    msg = EmailMessage(policy=email_policy.SMTP)
    if sender_address:
        msg["From"] = Address(
            display_name=_one_line(sender_name), addr_spec=_ascii_address(sender_address)
        )
    msg["To"] = Address(
        display_name=_one_line(email.to_name), addr_spec=_ascii_address(email.to_address)
    )
    if email.cc:
        msg["Cc"] = [Address(addr_spec=_ascii_address(cc)) for cc in email.cc]
    msg["Subject"] = _one_line(email.subject)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = message_id or new_message_id(sender_address)
    if draft:
        msg["X-Unsent"] = "1"

    body = email.body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"
    if body.isascii():
        msg.set_content(body, subtype="plain", charset="utf-8")
    else:
        msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")

    for attachment in email.attachments:
        maintype, subtype = _content_type(email, attachment)
        filename = safe_filename(attachment.filename, default="attachment")
        msg.add_attachment(
            bytes(attachment.content()), maintype=maintype, subtype=subtype, filename=filename
        )
        # the part just added; iter_parts() yields the same parts as get_payload(), but typed
        part = list(msg.iter_parts())[-1]
        if filename.isascii():
            # Older mail programs read the name from Content-Type. Not done for non-ASCII
            # names: Python's header folding then garbles the content type itself.
            part.set_param("name", filename)
        del part["MIME-Version"]  # only belongs on the top-level message
    return msg


def _validate(email: OutgoingEmail, sender_address: str, *, draft: bool) -> None:
    """Raise MailError if build_message could not build ``email``."""
    if sender_address or not draft:
        reason = check_address(sender_address)
        if reason:
            raise MailError(_address_problem("The sender address", sender_address, reason) + ".")
    reason = check_address(email.to_address)
    if reason:
        raise MailError(
            f"Email '{email.key}': "
            + _address_problem("the address", email.to_address, reason)
            + "."
        )
    for cc in email.cc:
        reason = check_address(cc)
        if reason:
            raise MailError(
                f"Email '{email.key}': " + _address_problem("the copy address", cc, reason) + "."
            )

    for attachment in email.attachments:
        _content_type(email, attachment)


_TOKEN = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+$")


def _content_type(email: OutgoingEmail, attachment: Attachment) -> tuple[str, str]:
    """The (maintype, subtype) of an attachment; MailError if it is malformed."""
    maintype, slash, subtype = attachment.content_type.strip().partition("/")
    if not slash or not _TOKEN.match(maintype) or not _TOKEN.match(subtype):
        raise MailError(
            f"Email '{email.key}': attachment '{attachment.filename}' has an invalid "
            f"content type '{attachment.content_type}'."
        )
    return maintype, subtype


def draft_path(folder: Path, email: OutgoingEmail, taken: Collection[str] = ()) -> Path:
    """Where the draft of ``email`` goes in ``folder``: "<recipient> - <subject>.eml".

    The name is made Windows-safe (see :func:`safe_filename`) and is not one already in the
    folder or in ``taken`` (full paths or names), compared ignoring case as Windows does:
    "-2", "-3", ... is added instead.
    """
    label = _one_line(email.to_name) or email.to_address
    # Cut at a word, with room left for the "-2" that a name already taken gets.
    subject = _one_line(email.subject).replace(": ", " - ")  # ':' is not allowed in a name
    stem = fileio.cut_at_word(safe_filename(f"{label} - {subject}", max_length=200), 90)
    try:
        existing = os.listdir(folder)
    except FileNotFoundError:
        existing = []
    used = {name.casefold() for name in existing}
    used |= {Path(name).name.casefold() for name in taken}
    for n in range(1, 100_000):
        name = fileio.fit_name(stem, ".eml", 100, "email", suffix="" if n == 1 else f"-{n}")
        if name.casefold() not in used:
            return folder / name
    raise MailError(f"Cannot find a free file name for '{stem}.eml' in {folder}.")


def write_draft(path: Path, data: bytes) -> Path:
    """Write a draft at ``path`` (or the next free numbered name) and return where it went.

    Written in full to a temporary file first (in the workspace's private folder) and only
    then given its name, so no draft is ever half-written under a real name, and an existing
    file is never overwritten. Raises OSError (a full disk, a locked folder) as it comes.
    """
    return fileio.write_new(path, data)


def draft_message_id(path: Path) -> str | None:
    """The Message-ID of the complete, readable email in ``path``, or None if it is not one."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data:
        return None
    message = BytesParser(policy=email_policy.default).parsebytes(data)
    if any(part.defects for part in message.walk()):
        return None  # cut short: a multipart message without its closing boundary, say
    value = message.get("Message-ID")
    return str(value).strip() if value else None


def write_drafts(
    emails: Sequence[OutgoingEmail], folder: Path, sender_name: str, sender_address: str
) -> list[Path]:
    """Write one .eml draft per email into ``folder`` and return their paths, in order.

    File names are as :func:`draft_path` gives them; an existing file is never overwritten.
    Each is written as :func:`write_draft` does, so a crash never leaves a half-written
    draft. The folder is created if needed. Everything is checked first, so a mistake in one
    email writes no drafts at all.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MailError(f"Cannot create the drafts folder {folder}: {exc.strerror}.") from exc
    for outgoing in emails:  # check everything first, so a mistake writes no drafts at all
        _validate(outgoing, sender_address.strip(), draft=True)
    used: list[str] = []
    paths = []
    for outgoing in emails:
        data = build_message(outgoing, sender_name, sender_address, draft=True).as_bytes()
        target = draft_path(folder, outgoing, used)
        try:
            path = write_draft(target, data)
        except OSError as exc:
            raise MailError(f"Cannot write the draft {target}: {exc.strerror}.") from exc
        used.append(path.name)
        paths.append(path)
    return paths
