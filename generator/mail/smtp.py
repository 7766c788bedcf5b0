"""Sending email over SMTP: one at a time over one connection, each within a deadline.

:class:`Mailer` sends emails one at a time over one SMTP connection, each within an overall
deadline; :func:`send_all` sends a batch with it. Neither raises for SMTP or network
problems: every email gets a :class:`SendResult` with a plain-English reason, and says when
the server may have taken an email without confirming it (``maybe_sent``): such an email is
never sent again automatically. Nothing here contacts the network but :class:`Mailer`, and
then only the host in the :class:`SmtpSettings` it is given.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import MailError
from generator.hosts import is_loopback
from generator.mail.message import (
    OutgoingEmail,
    _address_problem,
    _ascii_address,
    _content_type,
    _one_line,
    build_message,
    check_address,
)

SECURITY_CHOICES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """How to reach the council's mail server."""

    host: str
    port: int
    security: str  # "starttls" | "ssl" | "none"
    user: str | None = None
    sender_name: str = ""
    sender_address: str = ""
    timeout: float = 30.0  # the longest wait for any one answer
    deadline: float = 60.0  # the longest one email may take, from connecting to its answer


@dataclass(frozen=True)
class SendResult:
    """What happened to one email in :func:`send_all` or :meth:`Mailer.send`.

    ``sent`` is True only when the email was accepted by the server in this run.
    ``skipped`` is True when ``already_sent`` said the key had been sent before (or the
    same key appeared earlier in the batch); such emails are not sent again and have
    ``sent=False, error=None``. ``error`` is a plain-English reason when sending failed.
    ``maybe_sent`` is True (with ``error`` saying why) when the server was given the whole
    message but its answer never came: it may have been delivered, so it must not be sent
    again without a person checking. ``warning`` is set when the email was sent but some
    copy (cc) recipients were refused.
    """

    key: str
    to_address: str
    sent: bool
    error: str | None
    skipped: bool = False
    warning: str | None = None
    maybe_sent: bool = False



# --------------------------------------------------------------------------- sending

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
    if not settings.deadline or settings.deadline <= 0:
        raise MailError("The mail server deadline must be more than 0 seconds.")
    if not settings.sender_address:
        raise MailError("No sender address is set in the mail settings.")
    reason = check_address(settings.sender_address)
    if reason:
        raise MailError(
            _address_problem("The sender address", settings.sender_address, reason) + "."
        )
    if settings.user and password is None:
        raise MailError(f"A password is needed to log in to the mail server as {settings.user}.")
    if settings.user and settings.security == "none" and not is_loopback(settings.host):
        raise MailError(
            f"Refusing to send the password for {settings.user} unencrypted to "
            f"{settings.host}; set mail security to 'starttls' or 'ssl'."
        )


def _reply_text(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {_one_line(text)}".strip()


def _seconds(value: float) -> str:
    return "1 second" if value == 1 else f"{value:g} seconds"


class _Fatal(Exception):
    """A connection or login failure that means no further email can be sent."""


class _Retry(Exception):
    """The server dropped the connection or said 421 before it had the whole email: the
    email was not accepted, so it may be tried again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _MaybeSent(Exception):
    """The whole email was handed to the server, but its answer never came."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Connection:
    """One SMTP connection, opened on demand and reopened if it drops."""

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.smtp: smtplib.SMTP | None = None
        self._opening: smtplib.SMTP | None = None

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def is_open(self) -> bool:
        return self.smtp is not None and getattr(self.smtp, "sock", None) is not None

    def cut(self) -> None:
        """End any wait on the connection at once (called from the deadline's timer)."""
        smtp = self.smtp or self._opening
        sock = getattr(smtp, "sock", None) if smtp is not None else None
        if sock is not None:
            # The plain socket's shutdown, not SSLSocket's: that one would unwrap the TLS
            # layer under the reading thread's feet.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def open(self, deadline: _Deadline) -> smtplib.SMTP:
        """Connect, secure and log in; raise _Fatal with a plain-English reason on failure."""
        if self.is_open():
            assert self.smtp is not None
            return self.smtp
        self.close()
        s = self.settings
        helo = _local_hostname()
        # Connecting may not outlast the email's deadline; each answer after that is timed
        # by the timeout, and the deadline's timer cuts the connection when it passes.
        timeout = min(s.timeout, deadline.remaining())
        if timeout <= 0:
            raise _Fatal(self._connection_reason(TimeoutError()))
        smtp: smtplib.SMTP
        if s.security == "ssl":
            smtp = _UnconnectedSMTPSSL(s.host, local_hostname=helo, timeout=timeout,
                                       context=ssl.create_default_context())
        else:
            smtp = _UnconnectedSMTP(s.host, local_hostname=helo, timeout=timeout)
        self._opening = smtp
        try:
            try:
                code, reply = smtp.connect(s.host, s.port)
            except (smtplib.SMTPException, OSError) as exc:
                raise _Fatal(self._connection_reason(exc)) from exc
            if code != 220:
                raise _Fatal(f"{self.where} refused the connection ({_reply_text(code, reply)})")
            if smtp.sock is not None:
                smtp.sock.settimeout(s.timeout)
            if s.security == "starttls":
                self._starttls(smtp, ssl.create_default_context())
            if s.user:
                self._login(smtp, s.user)
        except BaseException:
            _close_quietly(smtp)
            raise
        finally:
            self._opening = None
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


class _UnconnectedSMTP(smtplib.SMTP):
    """An SMTP client for ``host`` that connects only when connect() is called, so the
    deadline's timer can reach its socket while the server's greeting is awaited."""

    def __init__(self, host: str, **options: Any) -> None:
        super().__init__(**options)
        self._host = host  # what STARTTLS checks the certificate against


class _UnconnectedSMTPSSL(smtplib.SMTP_SSL):
    """As _UnconnectedSMTP, over SSL from the start."""

    def __init__(self, host: str, **options: Any) -> None:
        super().__init__(**options)
        self._host = host  # what the SSL handshake checks the certificate against


class _Deadline:
    """The overall time one email may take, from connecting to the server's last answer.

    A timeout on each read alone lets a server that answers one byte every few seconds hold
    an email, and the batch, for as long as it likes. When the deadline passes, a timer cuts
    the connection, which ends whatever wait the sending thread is in.
    """

    def __init__(self, seconds: float, connection: _Connection) -> None:
        self.seconds = seconds
        self.expired = False
        self._end = time.monotonic() + seconds
        self._connection = connection
        self._lock = threading.Lock()
        self._over = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def passed(self) -> bool:
        return self.expired or time.monotonic() >= self._end

    def _expire(self) -> None:
        with self._lock:
            if self._over:
                return
            self.expired = True
            self._connection.cut()

    def stop(self) -> None:
        """The email is done: the timer must not cut the connection any more."""
        with self._lock:
            self._over = True
        self._timer.cancel()


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


def _reset(smtp: smtplib.SMTP) -> None:
    """Abandon the current transaction (RSET), leaving the connection usable if it is."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()


def _transaction(
    smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes, where: str
) -> dict[str, tuple[int, bytes]]:
    """Send one message: MAIL, RCPT, DATA. Returns the refused copy recipients.

    Until the whole message and its final "." are handed over, a dropped connection or a 421
    means the server did not take it (_Retry); a refusal raises the SMTPException. After
    that, a lost answer raises _MaybeSent: the server may have taken it.
    """
    try:
        refused = _hand_over(smtp, sender, recipients, data)
    except smtplib.SMTPServerDisconnected as exc:
        raise _Retry("the mail server closed the connection") from exc
    except smtplib.SMTPException:
        raise  # a refusal (smtplib's exceptions are OSErrors too)
    except OSError as exc:  # includes timeouts and resets
        raise _Retry(f"the connection to the mail server failed ({exc})") from exc
    _confirm(smtp, where)
    return refused


def _hand_over(smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes
               ) -> dict[str, tuple[int, bytes]]:
    """MAIL, RCPT and DATA up to the final "."; the refused copy recipients."""
    smtp.ehlo_or_helo_if_needed()
    options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, resp = smtp.mail(sender, options)
    if code != 250:
        raise _refusal(smtp, code, resp, smtplib.SMTPSenderRefused(code, resp, sender))
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, resp = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, resp)
        if code == 421:
            raise _Retry(_refused_text(refused))
    if len(refused) == len(recipients):
        _reset(smtp)
        raise smtplib.SMTPRecipientsRefused(refused)
    smtp.putcmd("data")
    code, resp = smtp.getreply()
    if code != 354:
        raise _refusal(smtp, code, resp, smtplib.SMTPDataError(code, resp))
    body = re.sub(rb"(?m)^\.", b"..", data)  # a line starting with "." gets another
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    # sendall either hands over every byte, the final "." last, or raises: if it raises,
    # the server cannot have the end of the message, so it did not take it.
    smtp.send(body + b".\r\n")
    return refused


def _refusal(smtp: smtplib.SMTP, code: int, resp: bytes, refusal: Exception) -> Exception:
    """What a reply refusing a step means: try again (421, the server is closing the
    connection), or `refusal`, the transaction abandoned."""
    if code == 421:
        return _Retry(_reply_text(code, resp))
    _reset(smtp)
    return refusal


def _confirm(smtp: smtplib.SMTP, where: str) -> None:
    """The server's answer to the whole message: taken, refused, or in doubt (_MaybeSent)."""
    try:
        code, resp = smtp.getreply()
    except smtplib.SMTPServerDisconnected as exc:
        if isinstance(exc.__context__, OSError) and not isinstance(
                exc.__context__, ConnectionResetError):
            raise _MaybeSent(f"the connection to {where} failed after the email was handed "
                             f"over, before it was confirmed ({exc.__context__})") from exc
        raise _MaybeSent(f"{where} closed the connection after taking the email, before "
                         "confirming it") from exc
    except OSError as exc:
        raise _MaybeSent(f"the connection to {where} failed after the email was handed over, "
                         f"before it was confirmed ({exc})") from exc
    if 200 <= code < 300:
        return
    if code == 421:
        raise _Retry(_reply_text(code, resp))
    if 400 <= code < 600:
        raise smtplib.SMTPDataError(code, resp)
    raise _MaybeSent(f"{where} answered the email with '{_reply_text(code, resp)}', which "
                     "does not say whether it took it")


def _refused_text(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"recipient refused: {addr} ({_reply_text(code, resp)})"
        for addr, (code, resp) in refused.items()
    )


def _failure_reason(exc: smtplib.SMTPException, sender: str) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _refused_text(exc.recipients)
    if not isinstance(exc, smtplib.SMTPResponseException):
        return f"mail server error ({exc})"
    reply = _reply_text(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 552:
        return f"the email is too large for the mail server ({reply})"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender address {sender} refused ({reply})"
    if isinstance(exc, smtplib.SMTPDataError):
        return f"message rejected by the mail server ({reply})"
    return f"mail server error ({reply})"


class Mailer:
    """Sends emails one at a time over one SMTP connection, each within an overall deadline.

    - The connection uses STARTTLS or SSL as ``settings.security`` says (with
      ``ssl.create_default_context()``, so certificates are checked) and logs in only when
      ``settings.user`` is set. It is opened by the first :meth:`send`.
    - Each email must be done within ``settings.deadline`` seconds, connecting included,
      however the server dribbles its answers; ``settings.timeout`` limits each wait.
    - If the server drops the connection or answers 421 before it has the whole email, it
      reconnects and tries that email once more. Once the whole email is handed over, a lost
      answer is never followed by a second copy: the result says ``maybe_sent``.
    - If connecting or logging in fails, or an email outlasts the deadline, no further email
      is tried: each gets the reason at once (:attr:`stopped`), without waiting again.

    Raises MailError for settings that can never work, before connecting. Use it in a
    ``with`` block, or call :meth:`close`.
    """

    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        _check_settings(settings, password)
        self.settings = settings
        self.sender = _ascii_address(settings.sender_address)
        self.stopped: str | None = None  # why no further email will be tried
        self._connection = _Connection(settings, password)

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye to the server and close the connection, if one is open."""
        self._connection.close()

    def send(self, outgoing: OutgoingEmail, message: bytes | None = None) -> SendResult:
        """Send one email (``message``, or the one :func:`build_message` makes of it).

        Never raises for SMTP or network problems: the result says what happened.
        """
        def failed(reason: str) -> SendResult:
            return SendResult(outgoing.key, outgoing.to_address, sent=False, error=reason)

        problem = _recipient_problem(outgoing)
        if problem is not None:
            return failed(problem)
        if self.stopped is not None:
            return failed(self.stopped)
        s = self.settings
        if message is None:
            message = build_message(
                outgoing, s.sender_name, s.sender_address, draft=False
            ).as_bytes()
        recipients = _unique([outgoing.to_address, *outgoing.cc])
        deadline = _Deadline(s.deadline, self._connection)
        try:
            return self._send(outgoing, recipients, message, deadline, failed)
        finally:
            deadline.stop()

    def _send(
        self,
        outgoing: OutgoingEmail,
        recipients: list[str],
        message: bytes,
        deadline: _Deadline,
        failed: Callable[[str], SendResult],
    ) -> SendResult:
        where = self._connection.where
        too_slow = f"{where} did not finish within {_seconds(deadline.seconds)}"
        last_retry_reason = ""
        for _attempt in range(2):
            try:
                smtp = self._connection.open(deadline)
            except _Fatal as exc:
                if deadline.passed():
                    return self._give_up(failed(f"not sent: {too_slow} (the [smtp] deadline)"))
                self.stopped = str(exc)
                return failed(str(exc))
            try:
                refused = _transaction(smtp, self.sender, recipients, message, where)
            except _Retry as exc:
                self._connection.close(polite=False)
                if deadline.passed():
                    return self._give_up(failed(f"not sent: {too_slow} (the [smtp] deadline)"))
                last_retry_reason = exc.reason
                continue
            except _MaybeSent as exc:
                self._connection.close(polite=False)
                reason = exc.reason
                if deadline.passed():
                    reason = (f"{where} did not confirm it within "
                              f"{_seconds(deadline.seconds)} (the [smtp] deadline)")
                result = SendResult(outgoing.key, outgoing.to_address, sent=False,
                                    error=f"may have been sent: {reason}", maybe_sent=True)
                return self._give_up(result) if deadline.passed() else result
            except smtplib.SMTPException as exc:
                if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 530:
                    self.stopped = (
                        f"the mail server requires a user name and password "
                        f"({_reply_text(exc.smtp_code, exc.smtp_error)})"
                    )
                    return failed(self.stopped)
                return failed(_failure_reason(exc, self.sender))
            warning = "sent, but " + _refused_text(refused) if refused else None
            return SendResult(
                outgoing.key, outgoing.to_address, sent=True, error=None, warning=warning
            )
        return failed(f"not sent: {last_retry_reason} (tried twice)")

    def _give_up(self, result: SendResult) -> SendResult:
        """After an email outlasted the deadline, try no more: the server is too slow."""
        self._connection.close(polite=False)
        self.stopped = (
            f"not tried: {self._connection.where} took more than "
            f"{_seconds(self.settings.deadline)} over an earlier email; run the command "
            "again later"
        )
        return result


def send_all(
    emails: Sequence[OutgoingEmail],
    settings: SmtpSettings,
    password: str | None,
    already_sent: Callable[[str], bool] = lambda key: False,
    on_sent: Callable[[SendResult], None] = lambda r: None,
) -> list[SendResult]:
    """Send ``emails`` with one :class:`Mailer` and return one SendResult each, in order.

    - Emails whose key ``already_sent(key)`` reports, or whose key came earlier in this
      batch, are skipped (``skipped=True``) and never sent again.
    - ``on_sent(result)`` is called straight after each accepted email, so the caller can
      record it before the next one is sent. Exceptions from ``already_sent`` or
      ``on_sent`` are the caller's and propagate.
    - A failure on one email (refused recipient, rejected message, unusable address) never
      stops the rest; see :class:`Mailer` for lost connections, ``maybe_sent`` and the
      deadline. The connection is opened only when there is something to send.

    Never raises for SMTP or network problems. Raises MailError only for settings that can
    never work (unknown security, missing sender or password, a password that would be sent
    unencrypted to another computer) or malformed attachments, before anything is sent.
    """
    _check_settings(settings, password)
    # Check every attachment first so a programming error raises before anything is sent.
    # Messages are built one at a time, just before sending, to keep memory use low.
    for outgoing in emails:
        for attachment in outgoing.attachments:
            _content_type(outgoing, attachment)

    results: list[SendResult] = []
    done_keys: set[str] = set()
    with Mailer(settings, password) as mailer:
        for outgoing in emails:
            key = outgoing.key
            if key in done_keys or already_sent(key):
                results.append(SendResult(key, outgoing.to_address, False, None, skipped=True))
                continue
            result = mailer.send(outgoing)
            results.append(result)
            if result.sent or result.maybe_sent:
                done_keys.add(key)
            if result.sent:
                on_sent(result)
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
