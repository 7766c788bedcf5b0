"""Email drafts (.eml) and SMTP sending for issuing forms and chasing returns.

The module has four parts:

- :func:`check_address` says in plain English why an address cannot be used.
- :func:`build_message` and :func:`write_drafts` turn :class:`OutgoingEmail` values into
  RFC 5322 / MIME messages, and drafts that Outlook opens ready to send (``X-Unsent: 1``).
- :func:`send_all` sends a batch over one SMTP connection. It never raises for SMTP or
  network problems: every email gets a :class:`SendResult` with a plain-English reason.
- :func:`render_text` renders the subject and body from a plain-text template that
  officers can edit (the defaults live in ``generator/data/email/*.txt``).

Nothing here contacts the network except :func:`send_all`, and then only the host in the
:class:`SmtpSettings` it is given.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import smtplib
import socket
import ssl
import tempfile
import traceback
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from importlib import resources
from pathlib import Path

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from generator import fileio
from generator.errors import MailError

__all__ = [
    "DOCX_CONTENT_TYPE",
    "SECURITY_CHOICES",
    "TEMPLATE_NAMES",
    "Attachment",
    "OutgoingEmail",
    "SendResult",
    "SmtpSettings",
    "build_message",
    "check_address",
    "default_template_text",
    "render_text",
    "safe_filename",
    "send_all",
    "write_drafts",
]

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SECURITY_CHOICES = ("starttls", "ssl", "none")
TEMPLATE_NAMES = ("send", "chase", "query")


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email."""

    filename: str  # as shown to the recipient; made Windows-safe by build_message
    data: bytes
    content_type: str = DOCX_CONTENT_TYPE


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


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the council's mail server."""

    host: str
    port: int
    security: str  # "starttls" | "ssl" | "none"
    user: str | None = None
    sender_name: str = ""
    sender_address: str = ""
    timeout: float = 30.0


@dataclass(frozen=True)
class SendResult:
    """What happened to one email in :func:`send_all`.

    ``sent`` is True only when the email was accepted by the server in this run.
    ``skipped`` is True when ``already_sent`` said the key had been sent before (or the
    same key appeared earlier in the batch); such emails are not sent again and have
    ``sent=False, error=None``. ``error`` is a plain-English reason when sending failed.
    ``warning`` is set when the email was sent but some copy (cc) recipients were refused.
    """

    key: str
    to_address: str
    sent: bool
    error: str | None
    skipped: bool = False
    warning: str | None = None


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
    local, domain = address.split("@")
    if not local:
        return "has nothing before the @"
    if not domain:
        return "has nothing after the @"
    if not local.isascii():
        return "has accented or non-English characters before the @"
    if len(local) > 64:
        return "has more than 64 characters before the @"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "has a dot at the start or end of the part before the @, or two dots together"
    if not _LOCAL_ALLOWED.match(local):
        bad = sorted({ch for ch in local if not _LOCAL_ALLOWED.match(ch)})
        return "has characters not allowed before the @: " + " ".join(bad)
    if "." not in domain:
        return f"domain '{domain}' has no dot"
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return f"domain '{domain}' has characters that are not allowed"
    labels = ascii_domain.split(".")
    if any(not label for label in labels):
        return f"domain '{domain}' has a dot at the start or end, or two dots together"
    for label in labels:
        if not _LABEL_ALLOWED.match(label):
            return f"domain '{domain}' has characters that are not allowed"
        if label.startswith("-") or label.endswith("-"):
            return f"domain '{domain}' has a part starting or ending with a hyphen"
        if len(label) > 63:
            return f"domain '{domain}' has a part longer than 63 characters"
    if labels[-1].isdigit():
        return f"domain '{domain}' ends in a number, not a name like .org or .uk"
    try:
        parsed = Address(addr_spec=f"{local}@{ascii_domain}")
    except (HeaderParseError, ValueError, IndexError) as exc:
        return f"is not a valid address ({exc})"
    if parsed.addr_spec != f"{local}@{ascii_domain}":
        return "is not a valid address"
    name, addr = parseaddr(f"{local}@{ascii_domain}")
    if name or addr != f"{local}@{ascii_domain}":
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


def build_message(
    email: OutgoingEmail, sender_name: str, sender_address: str, *, draft: bool
) -> EmailMessage:
    """Build the RFC 5322 / MIME message for ``email``.

    Uses ``email.policy.SMTP`` (CRLF line endings). Names and the subject may contain any
    Unicode (encoded as RFC 2047 words); the plain-text body is UTF-8 (quoted-printable when
    not ASCII); attachments are base64 with their content type and a Windows-safe file name
    (RFC 2231 when not ASCII). Date and Message-ID headers are always set. ``draft=True``
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
    domain = sender_address.split("@")[1] if sender_address else "partnership-toolkit.invalid"
    # An explicit domain: make_msgid() would otherwise look up this computer's name in DNS.
    msg["Message-ID"] = make_msgid(domain=_ascii_domain(domain) or "localhost")
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
            bytes(attachment.data), maintype=maintype, subtype=subtype, filename=filename
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


def write_drafts(
    emails: Sequence[OutgoingEmail], folder: Path, sender_name: str, sender_address: str
) -> list[Path]:
    """Write one .eml draft per email into ``folder`` and return their paths, in order.

    File names are "<recipient> - <subject>.eml", made Windows-safe (see
    :func:`safe_filename`). An existing file is never overwritten: "-2", "-3", ... is added
    instead (names are compared ignoring case, as Windows does). Each file is written to a
    temporary file in the same folder first and then moved into place, so a crash never
    leaves a half-written draft. The folder is created if needed.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MailError(f"Cannot create the drafts folder {folder}: {exc.strerror}.") from exc
    for outgoing in emails:  # check everything first, so a mistake writes no drafts at all
        _validate(outgoing, sender_address.strip(), draft=True)
    used: set[str] = set()
    paths = []
    for outgoing in emails:
        msg = build_message(outgoing, sender_name, sender_address, draft=True)
        label = _one_line(outgoing.to_name) or outgoing.to_address
        stem = safe_filename(f"{label} - {_one_line(outgoing.subject)}", max_length=95)
        path = _write_new_file(folder, stem, ".eml", msg.as_bytes(), used)
        used.add(path.name.casefold())
        paths.append(path)
    return paths


def _write_new_file(folder: Path, stem: str, ext: str, data: bytes, used: set[str]) -> Path:
    """Atomically write ``data`` to a file in ``folder`` that did not exist before."""
    for n in range(1, 10_000):
        name = fileio.fit_name(stem, ext, 100, "email", suffix="" if n == 1 else f"-{n}")
        if name.casefold() in used:
            continue
        target = folder / name
        try:
            # Reserve the name: O_EXCL fails if the file exists, even if another program
            # created it a moment ago, so nothing is ever overwritten.
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        except OSError as exc:
            raise MailError(f"Cannot write the draft {target}: {exc.strerror}.") from exc
        os.close(fd)
        tmp_name = None
        try:
            with tempfile.NamedTemporaryFile(
                dir=folder, prefix=".draft-", suffix=".tmp", delete=False
            ) as tmp:
                tmp_name = tmp.name
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                if tmp_name:
                    os.unlink(tmp_name)
            with contextlib.suppress(OSError):
                os.unlink(target)
            raise MailError(f"Cannot write the draft {target}: {exc.strerror}.") from exc
        return target
    raise MailError(f"Cannot find a free file name for '{stem}{ext}' in {folder}.")


# --------------------------------------------------------------------------- sending

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_settings(settings: SmtpSettings, password: str | None) -> None:
    """Raise MailError for settings that can never work."""
    if settings.security not in SECURITY_CHOICES:
        raise MailError(
            f"Mail security '{settings.security}' is not known; "
            f"use one of: {', '.join(SECURITY_CHOICES)}."
        )
    if not settings.host or not settings.host.strip() or any(c.isspace() for c in settings.host):
        raise MailError(f"The mail server host '{settings.host}' is not a valid host name.")
    if not isinstance(settings.port, int) or not 0 < settings.port < 65536:
        raise MailError(f"The mail server port '{settings.port}' is not between 1 and 65535.")
    if not settings.timeout or settings.timeout <= 0:
        raise MailError("The mail server timeout must be more than 0 seconds.")
    if not settings.sender_address:
        raise MailError("No sender address is set in the mail settings.")
    reason = check_address(settings.sender_address)
    if reason:
        raise MailError(
            _address_problem("The sender address", settings.sender_address, reason) + "."
        )
    if settings.user and password is None:
        raise MailError(f"A password is needed to log in to the mail server as {settings.user}.")
    if settings.user and settings.security == "none" and not _is_loopback(settings.host):
        raise MailError(
            f"Refusing to send the password for {settings.user} unencrypted to "
            f"{settings.host}; set mail security to 'starttls' or 'ssl'."
        )


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {_one_line(text)}".strip()


class _Fatal(Exception):
    """A connection or login failure that means no further email can be sent."""


class _Connection:
    """One SMTP connection, opened on demand and reopened if it drops."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.smtp: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def is_open(self) -> bool:
        return self.smtp is not None and getattr(self.smtp, "sock", None) is not None

    def open(self) -> smtplib.SMTP:
        """Connect, secure and log in; raise _Fatal with a plain-English reason on failure."""
        if self.is_open():
            assert self.smtp is not None
            return self.smtp
        self.close()
        s = self.settings
        helo = _local_hostname()
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        try:
            if s.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, local_hostname=helo, timeout=s.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, local_hostname=helo, timeout=s.timeout)
        except smtplib.SMTPConnectError as exc:
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            raise _Fatal(f"{self.where} refused the connection ({reply})") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _Fatal(self._connection_reason(exc)) from exc
        try:
            if s.security == "starttls":
                self._starttls(smtp, context)
            if s.user:
                self._login(smtp, s.user)
        except BaseException:
            _close_quietly(smtp)
            raise
        self.smtp = smtp
        return smtp

    def _starttls(self, smtp: smtplib.SMTP, context: ssl.SSLContext) -> None:
        try:
            smtp.ehlo()
            smtp.starttls(context=context)
            smtp.ehlo()
        except smtplib.SMTPNotSupportedError as exc:
            raise _Fatal(
                f"{self.where} does not offer STARTTLS; check the mail security setting"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise _Fatal(self._connection_reason(exc)) from exc

    def _login(self, smtp: smtplib.SMTP, user: str) -> None:
        failed = f"authentication failed for user {user}"
        try:
            smtp.login(user, self.password or "")
        except smtplib.SMTPNotSupportedError as exc:
            raise _Fatal(
                f"{failed}: {self.where} does not offer logging in (no AUTH); "
                "check the mail security setting"
            ) from exc
        except smtplib.SMTPResponseException as exc:  # includes SMTPAuthenticationError
            raise _Fatal(f"{failed} ({_reply_text(exc.smtp_code, exc.smtp_error)})") from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _Fatal(self._connection_reason(exc)) from exc
        except smtplib.SMTPException as exc:  # e.g. no suitable authentication method
            raise _Fatal(f"{failed}: {exc}") from exc

    def _connection_reason(self, exc: BaseException) -> str:
        s = self.settings
        if isinstance(exc, ConnectionRefusedError):
            return f"connection refused by {self.where}"
        if isinstance(exc, socket.gaierror):
            return f"cannot find the mail server '{s.host}' (check the host name)"
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"no answer from {self.where} within {s.timeout:g} seconds"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return f"the certificate of {self.where} could not be verified ({exc.verify_message})"
        if isinstance(exc, ssl.SSLError):
            hint = ""
            if s.security == "ssl" and s.port != 465:
                hint = "; port 465 uses 'ssl', other ports usually need 'starttls'"
            detail = str(exc.reason or exc)
            if "WRONG_VERSION_NUMBER" in detail:
                detail = "the server did not answer with SSL/TLS"
            return f"secure connection to {self.where} failed ({detail}){hint}"
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return f"{self.where} closed the connection unexpectedly"
        if isinstance(exc, smtplib.SMTPResponseException):
            reply = _reply_text(exc.smtp_code, exc.smtp_error)
            return f"{self.where} answered with an error ({reply})"
        if isinstance(exc, OSError) and exc.strerror:
            return f"cannot connect to {self.where}: {exc.strerror}"
        return f"cannot connect to {self.where}: {exc}"

    def close(self, polite: bool = True) -> None:
        """Close the connection, saying QUIT first if ``polite`` and it is still open."""
        if self.smtp is not None:
            _close_quietly(self.smtp, polite=polite and self.is_open())
            self.smtp = None


def _close_quietly(smtp: smtplib.SMTP, polite: bool = False) -> None:
    if polite:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.close()


def _local_hostname() -> str:
    """The name this computer gives in EHLO, found without any DNS lookup."""
    name = socket.gethostname()
    if name and name.isascii() and re.fullmatch(r"[A-Za-z0-9.-]+", name):
        return name
    return "localhost"


class _Retry(Exception):
    """The server dropped the connection or said 421: the email was not accepted."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _send_one(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes) -> dict:
    """Send one message; translate 421 and dropped connections into _Retry."""
    try:
        return smtp.sendmail(sender, recipients, data)
    except smtplib.SMTPRecipientsRefused as exc:
        if any(code == 421 for code, _ in exc.recipients.values()):
            raise _Retry(_refused_text(exc.recipients)) from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code == 421:
            raise _Retry(_reply_text(exc.smtp_code, exc.smtp_error)) from exc
        raise
    except smtplib.SMTPServerDisconnected as exc:
        raise _Retry("the mail server closed the connection") from exc
    except OSError as exc:  # includes timeouts and resets
        raise _Retry(f"the connection to the mail server failed ({exc})") from exc


def _refused_text(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"recipient refused: {addr} ({_reply_text(code, resp)})"
        for addr, (code, resp) in refused.items()
    )


def _failure_reason(exc: smtplib.SMTPException, sender: str) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _refused_text(exc.recipients)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        reply = _reply_text(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code == 552:
            return f"the email is too large for the mail server ({reply})"
        return f"sender address {sender} refused ({reply})"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"message rejected by the mail server ({_reply_text(exc.smtp_code, exc.smtp_error)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"mail server error ({_reply_text(exc.smtp_code, exc.smtp_error)})"
    return f"mail server error ({exc})"


def send_all(
    emails: Sequence[OutgoingEmail],
    settings: SmtpSettings,
    password: str | None,
    already_sent: Callable[[str], bool] = lambda key: False,
    on_sent: Callable[[SendResult], None] = lambda r: None,
) -> list[SendResult]:
    """Send ``emails`` over one SMTP connection and return one SendResult each, in order.

    - The connection uses STARTTLS or SSL as ``settings.security`` says (with
      ``ssl.create_default_context()``, so certificates are checked) and logs in only when
      ``settings.user`` is set. It is opened only when there is something to send.
    - Emails whose key ``already_sent(key)`` reports, or whose key came earlier in this
      batch, are skipped (``skipped=True``) and never sent again.
    - ``on_sent(result)`` is called straight after each accepted email, so the caller can
      record it before the next one is sent; a crash mid-batch then never re-sends.
      Exceptions from ``already_sent`` or ``on_sent`` are the caller's and propagate.
    - A failure on one email (refused recipient, rejected message, unusable address) never
      stops the rest. If the server drops the connection or answers 421, it reconnects and
      tries that email once more. If connecting or logging in fails, that email and all
      remaining ones are marked failed with the same reason, without trying each again.

    Never raises for SMTP or network problems. Raises MailError only for settings that can
    never work (unknown security, missing sender or password, a password that would be sent
    unencrypted to another computer) or malformed attachments, before anything is sent.
    """
    _check_settings(settings, password)
    sender = _ascii_address(settings.sender_address)

    # Check every attachment first so a programming error raises before anything is sent.
    # Messages are built one at a time, just before sending, to keep memory use low.
    for outgoing in emails:
        for attachment in outgoing.attachments:
            _content_type(outgoing, attachment)

    connection = _Connection(settings, password)
    results: list[SendResult] = []
    fatal: str | None = None
    done_keys: set[str] = set()
    try:
        for outgoing in emails:
            key, to_address = outgoing.key, outgoing.to_address
            if key in done_keys or already_sent(key):
                results.append(SendResult(key, to_address, False, None, skipped=True))
                continue
            problem = _recipient_problem(outgoing)
            if problem is not None:
                results.append(SendResult(key, to_address, False, problem))
            elif fatal is not None:
                results.append(SendResult(key, to_address, False, fatal))
            else:
                msg = build_message(
                    outgoing, settings.sender_name, settings.sender_address, draft=False
                )
                recipients = _unique([outgoing.to_address, *outgoing.cc])
                result, fatal = _deliver(connection, outgoing, sender, recipients, msg.as_bytes())
                results.append(result)
                if result.sent:
                    done_keys.add(key)
                    on_sent(result)
    finally:
        connection.close()
    return results


def _unique(addresses: Sequence[str]) -> list[str]:
    """ASCII envelope addresses, each once (ignoring case), in order."""
    seen: set[str] = set()
    unique = []
    for address in addresses:
        ascii_address = _ascii_address(address)
        if ascii_address.casefold() not in seen:
            seen.add(ascii_address.casefold())
            unique.append(ascii_address)
    return unique


def _recipient_problem(outgoing: OutgoingEmail) -> str | None:
    """A plain-English reason the recipients of ``outgoing`` cannot be used, or None."""
    reason = check_address(outgoing.to_address)
    if reason:
        return _address_problem("the address", outgoing.to_address, reason)
    for cc in outgoing.cc:
        reason = check_address(cc)
        if reason:
            return _address_problem("the copy address", cc, reason)
    return None


def _deliver(
    connection: _Connection,
    outgoing: OutgoingEmail,
    sender: str,
    recipients: list[str],
    data: bytes,
) -> tuple[SendResult, str | None]:
    """Send one email, reconnecting once if needed. Returns (result, fatal reason or None)."""

    def failed(reason: str) -> SendResult:
        return SendResult(outgoing.key, outgoing.to_address, sent=False, error=reason)

    last_retry_reason = ""
    for _attempt in range(2):
        try:
            smtp = connection.open()
        except _Fatal as exc:
            return failed(str(exc)), str(exc)
        try:
            refused = _send_one(smtp, sender, recipients, data)
        except _Retry as exc:
            last_retry_reason = exc.reason
            connection.close(polite=False)
            continue
        except smtplib.SMTPException as exc:
            if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 530:
                reason = (
                    f"the mail server requires a user name and password "
                    f"({_reply_text(exc.smtp_code, exc.smtp_error)})"
                )
                return failed(reason), reason
            return failed(_failure_reason(exc, sender)), None
        warning = None
        if refused:
            warning = "sent, but " + _refused_text(refused)
        return SendResult(
            outgoing.key, outgoing.to_address, sent=True, error=None, warning=warning
        ), None
    return failed(f"not sent: {last_retry_reason} (tried twice)"), None


# --------------------------------------------------------------------------- templates

_SUBJECT_PREFIX = re.compile(r"^\s*subject\s*:", re.IGNORECASE)


def default_template_text(name: str) -> str:
    """The text of a bundled default template: ``"send"``, ``"chase"`` or ``"query"``."""
    if name not in TEMPLATE_NAMES:
        raise MailError(f"There is no default email template called '{name}'.")
    resource = resources.files("generator") / "data" / "email" / f"{name}.txt"
    return resource.read_text(encoding="utf-8")


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,  # a line holding only {% ... %} leaves no blank line behind
        lstrip_blocks=True,
    )


def render_text(
    template_text: str, context: Mapping[str, object], *, source_name: str = "email template"
) -> tuple[str, str]:
    """Render an editable email template into ``(subject, body)``.

    The template's first line is ``Subject: ...``, the second line is blank and the rest is
    the body. Both are Jinja2 templates, rendered in a sandbox with autoescaping off (it is
    plain text) and StrictUndefined (a misspelt name is an error, not a blank). Lines holding
    only ``{% ... %}`` leave no blank line behind. The subject becomes one line; in the body,
    trailing spaces are removed, runs of blank lines become one, and it ends with a newline.
    Windows line endings and a UTF-8 byte-order mark (as Notepad writes) are accepted.

    Raises MailError naming ``source_name``, the line and what is wrong, in plain English.
    """
    text = template_text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not _SUBJECT_PREFIX.match(lines[0]):
        raise MailError(
            f"{source_name}, line 1: the first line must start with 'Subject:' "
            f"(found '{_excerpt(lines[0])}')."
        )
    if len(lines) < 2 or lines[1].strip():
        raise MailError(
            f"{source_name}, line 2: the line after the subject must be blank; "
            "the body starts after it."
        )
    subject_source = _SUBJECT_PREFIX.sub("", lines[0], count=1)
    body_source = "\n".join(lines[2:])
    context = dict(context)
    subject = _one_line(_render(subject_source, context, source_name, lines, first_line=1))
    body = _render(body_source, context, source_name, lines, first_line=3)
    if not subject:
        raise MailError(f"{source_name}, line 1: the subject is empty once filled in.")
    body = "\n".join(line.rstrip() for line in body.split("\n"))
    body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
    return subject, body


def _render(
    source: str,
    context: dict[str, object],
    source_name: str,
    lines: list[str],
    *,
    first_line: int,
) -> str:
    """Render one part of a template; ``first_line`` is its first line's number in the file."""
    env = _environment()

    def problem(lineno: int | None, what: str) -> MailError:
        line = None if lineno is None else lineno + first_line - 1
        return MailError(_template_problem(source_name, lines, line, what))

    try:
        return env.from_string(source).render(context)
    except TemplateSyntaxError as exc:
        raise problem(exc.lineno, _syntax_text(exc)) from None
    except SecurityError as exc:
        raise problem(
            _template_line(exc), f"this is not allowed in a template ({_one_line(str(exc))})"
        ) from None
    except TemplateError as exc:  # UndefinedError and other rendering errors
        raise problem(_template_line(exc), _undefined_text(str(exc), context)) from None
    except Exception as exc:  # any other error in an officer's template is theirs to fix
        what = _one_line(str(exc)) or type(exc).__name__
        raise problem(_template_line(exc), f"{what} (check the expression on this line)") from None


def _template_line(exc: BaseException) -> int | None:
    """The template line a rendering error happened on, from Jinja's rewritten traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _syntax_text(exc: TemplateSyntaxError) -> str:
    message = _one_line(exc.message or str(exc))
    message = message.replace("Jinja was looking for", "expected")
    message = message.replace("Encountered unknown tag", "unknown tag")
    return message + " (check the {{ }} and {% %} markers)"


def _undefined_text(message: str, context: Mapping[str, object]) -> str:
    known = ", ".join(sorted(context)) or "none"
    m = re.fullmatch(r"'([^']+)' is undefined", message)
    if m:
        return f"'{m.group(1)}' is not a name this email knows (names available: {known})"
    m = re.fullmatch(r"'[^']*' has no attribute '([^']+)'", message)
    if m:
        return f"'{m.group(1)}' is not one of the fields available here (check the spelling)"
    m = re.fullmatch(r"'?[\w ]+'? has no element (.+)", message)
    if m:
        return f"there is no item {m.group(1)} in that list"
    return _one_line(message)


def _template_problem(source_name: str, lines: list[str], lineno: int | None, what: str) -> str:
    if lineno is None or not 1 <= lineno <= len(lines):
        return f"{source_name}: {what}."
    return f"{source_name}, line {lineno} ('{_excerpt(lines[lineno - 1])}'): {what}."


def _excerpt(line: str, limit: int = 60) -> str:
    line = line.strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."
