"""Taking returns straight from the mailbox: the Partnerships folder, read over IMAP.

`collect_mailbox` reads each message of the folder it has not read before, finds the forms in
it exactly as `collect` finds them in a saved email (`returns.emails`) and takes each in with
the same `Collector`: the same outcomes, limits and one-line reports, each form kept with the
sender and date of the message that carried it. IMAP is spoken by imapclient, the maintained
client that wraps the standard library's imaplib with parsed responses, MOVE and XOAUTH2.

It never deletes or changes a message: messages are fetched with BODY.PEEK (so not even marked
as read) from a folder opened read-only, unless the settings name a folder to move messages
to (`processed_folder` for a message whose forms were taken in, `needs_attention_folder` for
one with anything refused). Only then is the folder opened for writing, and a message moved
once everything taken from it is kept.

What it has read is kept in the store (`mailbox_messages`): each message by the folder's
UIDVALIDITY and its UID, with its Message-ID and the SHA-256 of its bytes. A second run reads
only new messages; a message a person moves back into the folder has a new UID, so it is read
again; when the server renumbers the folder (a new UIDVALIDITY) each message is fetched once
more and one read before (same Message-ID and bytes) is not taken again. A message is recorded
as read only after everything taken from it is committed; a run that dies in between leaves
it to be read again, and its forms then come out as duplicates, which change nothing.

The password never goes into the workspace: it comes from an environment variable or the
system keyring (the keyring library: Windows Credential Manager, macOS Keychain, the Secret
Service on Linux); for Microsoft 365, an OAuth2 access token comes from a command the
council's IT sets (`token_command`) and is sent with XOAUTH2. A wrong password, a server that
cannot be reached, a certificate that does not verify and a folder that does not exist each
stop the run before anything is read, with one line saying what to do; a connection lost
half-way stops it at the message being read, which is left for the next run.
"""

from __future__ import annotations

import hashlib
import imaplib
import os
import shlex
import socket
import sqlite3
import ssl
import subprocess
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import MailboxError
from generator.failures import explain_failure
from generator.hosts import is_loopback
from generator.returns.collect import Collector, CollectResult, Incoming, Outcome, email_incomings
from generator.returns.emails import DEFAULT_LIMITS, EmailLimits, message_headers, too_large
from generator.store import MailboxMessage, Store
from generator.wording import plural
from generator.workspace import Workspace

__all__ = ["MailboxError", "MailboxResult", "MailboxSettings", "collect_mailbox",
           "credential", "mailbox_settings"]

SECURITY_CHOICES = ("tls", "starttls", "none")
PASSWORD_SOURCES = ("environment", "keyring", "oauth2")
DEFAULT_PASSWORD_ENV = "PARTNERSHIPS_IMAP_PASSWORD"
DEFAULT_KEYRING_SERVICE = "partnerships-toolkit"
TOKEN_COMMAND_SECONDS = 60
_SETTINGS_HELP = "see 'Taking returns from the mailbox' in the README"
_NOTHING_READ = "nothing was read"


class _ConnectionLost(Exception):
    """The connection to the mail server broke (or timed out) in the middle of the run."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class MailboxSettings:
    """The [mailbox] settings of a workspace."""

    host: str
    port: int
    security: str
    user: str
    folder: str
    password_from: str = "environment"
    password_env: str = DEFAULT_PASSWORD_ENV
    keyring_service: str = DEFAULT_KEYRING_SERVICE
    token_command: str = ""
    processed_folder: str = ""
    needs_attention_folder: str = ""
    ca_file: Path | None = None
    timeout: float = 30.0

    @property
    def account(self) -> str:
        """The mailbox as the store remembers it: user and server."""
        return f"{self.user.casefold()}@{self.host.casefold()}"

    @property
    def moves(self) -> bool:
        return bool(self.processed_folder or self.needs_attention_folder)


def mailbox_settings(ws: Workspace) -> MailboxSettings:
    """The workspace's [mailbox] settings, checked; MailboxError says what to fix."""
    section = _MailboxSection(ws)
    host = section.host()
    security = section.security()
    port = section.port(security)
    user = section.user()
    if security == "none" and not is_loopback(host):
        raise section.fail(f"security 'none' would send the password for {user} unencrypted "
                           f"to {host}; use security = \"tls\" (port 993) or \"starttls\" "
                           "(port 143)")
    password_from = section.choice("password_from", "environment", PASSWORD_SOURCES)
    timeout = section.timeout()
    ca_text = section.text("ca_file")
    settings = MailboxSettings(
        host=host, port=port, security=security, user=user,
        folder=section.text("folder", "INBOX"), password_from=password_from,
        password_env=section.text("password_env", DEFAULT_PASSWORD_ENV) or DEFAULT_PASSWORD_ENV,
        keyring_service=section.text("keyring_service", DEFAULT_KEYRING_SERVICE)
        or DEFAULT_KEYRING_SERVICE,
        token_command=section.text("token_command"),
        processed_folder=section.text("processed_folder"),
        needs_attention_folder=section.text("needs_attention_folder"),
        ca_file=(ws.root / ca_text).resolve() if ca_text else None, timeout=timeout)
    section.check_together(settings)
    return settings


# What a setting left empty by default looks like when set, for the message when it is not
# text: "host must be text in quotes, such as ..." needs an example a person can follow.
_EXAMPLES = {"host": "outlook.office365.com", "user": "partnerships@council.gov.uk",
             "ca_file": "council-certificates.pem", "token_command": "get-mail-token.cmd",
             "processed_folder": "Processed", "needs_attention_folder": "Needs attention"}


class _MailboxSection:
    """The [mailbox] table of a workspace's settings, each value checked as it is read; every
    refusal names the setting and what to put."""

    def __init__(self, ws: Workspace) -> None:
        section = ws.config.get("mailbox")
        if not isinstance(section, dict):
            raise MailboxError(f"{ws.config_path} has no [mailbox] section, so the mailbox "
                               f"cannot be read; add one ({_SETTINGS_HELP})")
        self.values: dict[str, Any] = section
        self.where = f"{ws.config_path}: [mailbox]"

    def fail(self, problem: str) -> MailboxError:
        return MailboxError(f"{self.where} {problem}")

    def text(self, key: str, default: str = "") -> str:
        value = self.values.get(key, default)
        if not isinstance(value, str):
            example = default or _EXAMPLES.get(key)
            raise self.fail(f"{key} must be text in quotes"
                            + (f', such as "{example}"' if example else ""))
        return value.strip()

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        value = self.text(key, default).lower()
        if value not in choices:
            raise self.fail(f"{key} '{value}' is not one of {', '.join(choices)}")
        return value

    def host(self) -> str:
        host = self.text("host")
        if not host or any(c.isspace() for c in host):
            raise self.fail(f"host is not set to the mail server's name; set it "
                            f"({_SETTINGS_HELP})")
        return host

    def security(self) -> str:
        security = self.text("security", "tls").lower()
        security = "tls" if security == "ssl" else security
        if security not in SECURITY_CHOICES:
            raise self.fail(f"security '{security}' is not one of "
                            f"{', '.join(SECURITY_CHOICES)}")
        return security

    def port(self, security: str) -> int:
        port = self.values.get("port", 993 if security == "tls" else 143)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise self.fail(f"port '{port}' is not a port number (993 for tls, 143 for "
                            "starttls)")
        return port

    def user(self) -> str:
        user = self.text("user")
        if not user:
            raise self.fail(f"user is not set to the mailbox's user name; set it "
                            f"({_SETTINGS_HELP})")
        return user

    def timeout(self) -> float:
        timeout = self.values.get("timeout", 30)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise self.fail("timeout must be a number of seconds, such as 30")
        return float(timeout)

    def check_together(self, settings: MailboxSettings) -> None:
        """What the settings must be together: folders to move to that are not the folder
        read, a token command for OAuth2, a certificate file that is there."""
        if not settings.folder:
            raise self.fail("folder is empty; name the folder returns arrive in")
        for key in ("processed_folder", "needs_attention_folder"):
            if getattr(settings, key) == settings.folder:
                raise self.fail(f"{key} is the folder being read; name another folder, or "
                                "leave it empty to leave messages where they are")
        if settings.password_from == "oauth2" and not settings.token_command:
            raise self.fail("token_command is empty; with password_from = \"oauth2\" it must "
                            "name the command that prints an access token (IT sets it)")
        if settings.ca_file is not None and not settings.ca_file.is_file():
            raise self.fail(f"ca_file {settings.ca_file} does not exist; name the council's "
                            "certificate authority file, or leave it empty")


# --------------------------------------------------------------------------- credentials


@dataclass(frozen=True)
class Credential:
    """How to log in: a password, or an OAuth2 access token (XOAUTH2)."""

    kind: str  # "password" or "token"
    secret: str = field(repr=False)


def credential(settings: MailboxSettings) -> Credential:
    """The password or token for the mailbox, from where the settings say; MailboxError
    when it is not there. Never written anywhere."""
    if settings.password_from == "environment":
        password = os.environ.get(settings.password_env)
        if not password:
            raise MailboxError(
                f"the password for {settings.user} is not set: set the environment variable "
                f"{settings.password_env}, or keep it in the system keyring (password_from = "
                f"\"keyring\"); {_NOTHING_READ}")
        return Credential("password", password)
    if settings.password_from == "keyring":
        return Credential("password", _keyring_password(settings))
    return Credential("token", _token(settings))


def _keyring_password(settings: MailboxSettings) -> str:
    import keyring
    import keyring.errors

    try:
        password = keyring.get_password(settings.keyring_service, settings.user)
    except keyring.errors.KeyringError as exc:
        raise MailboxError(f"the system keyring cannot be used on this computer ({exc}); set "
                           f"password_from = \"environment\" and the variable "
                           f"{settings.password_env} instead; {_NOTHING_READ}") from None
    if not password:
        raise MailboxError(
            f"no password for {settings.user} is kept in the system keyring under "
            f"'{settings.keyring_service}'; save it once with: python -m keyring set "
            f"{settings.keyring_service} {settings.user}; {_NOTHING_READ}")
    return password


def _token(settings: MailboxSettings) -> str:
    command = settings.token_command
    try:
        arguments: str | list[str] = command if os.name == "nt" else shlex.split(command)
        done = subprocess.run(arguments, capture_output=True, timeout=TOKEN_COMMAND_SECONDS,
                              check=False)
    except subprocess.TimeoutExpired:
        raise MailboxError(f"the token command ([mailbox] token_command) gave no token within "
                           f"{TOKEN_COMMAND_SECONDS} seconds; ask IT to check it; "
                           f"{_NOTHING_READ}") from None
    except (OSError, ValueError) as exc:
        raise MailboxError(f"the token command ([mailbox] token_command) could not be run "
                           f"({exc}); ask IT to check it; {_NOTHING_READ}") from None
    lines = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode != 0 or not lines:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = f"it ended with code {done.returncode}" if done.returncode else "it printed nothing"
        detail = f": {said[0][:200]}" if said else ""
        raise MailboxError(f"the token command ([mailbox] token_command) gave no access token "
                           f"({why}{detail}); ask IT to check it; {_NOTHING_READ}")
    return lines[0].strip()


# --------------------------------------------------------------------------- the connection


@contextmanager
def _connected(settings: MailboxSettings, login: Credential) -> Iterator[Any]:
    """A logged-in IMAPClient; MailboxError for each way connecting can fail."""
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    server = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context(
        cafile=str(settings.ca_file) if settings.ca_file else None)
    try:
        client = IMAPClient(settings.host, port=settings.port, ssl=settings.security == "tls",
                            ssl_context=context, timeout=settings.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise _certificate(settings, exc) from None
    except socket.gaierror:
        raise MailboxError(f"the mail server {settings.host} cannot be found; check [mailbox] "
                           f"host, and that this computer is on the council's network; "
                           f"{_NOTHING_READ}") from None
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"the mail server {server} cannot be reached ({_reason(exc)}); check "
                           "[mailbox] host, port and security, and that this computer can "
                           f"reach it; {_NOTHING_READ}") from None
    try:
        if settings.security == "starttls":
            if not client.has_capability("STARTTLS"):
                raise MailboxError(f"the mail server {server} does not offer STARTTLS; use "
                                   "security = \"tls\" with port 993; " + _NOTHING_READ)
            client.starttls(context)
        if login.kind == "token":
            client.oauth2_login(settings.user, login.secret)
        else:
            client.login(settings.user, login.secret)
    except ssl.SSLCertVerificationError as exc:
        _close(client)
        raise _certificate(settings, exc) from None
    except LoginError:
        _close(client)
        what = ("access token from [mailbox] token_command" if login.kind == "token"
                else f"password from {_password_place(settings)}")
        raise MailboxError(f"the mail server refused to log {settings.user} in with the "
                           f"{what}; check [mailbox] user and the "
                           f"{'token' if login.kind == 'token' else 'password'}; "
                           f"{_NOTHING_READ}") from None
    except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
        _close(client)
        raise MailboxError(f"the connection to the mail server {server} failed while logging "
                           f"in ({_reason(exc)}); try again later; {_NOTHING_READ}") from None
    except MailboxError:
        _close(client)
        raise
    try:
        yield client
    finally:
        _close(client, logout=True)


def _password_place(settings: MailboxSettings) -> str:
    if settings.password_from == "keyring":
        return f"the system keyring ('{settings.keyring_service}')"
    return f"the environment variable {settings.password_env}"


def _certificate(settings: MailboxSettings, exc: ssl.SSLCertVerificationError) -> MailboxError:
    reason = exc.verify_message or _reason(exc)
    return MailboxError(
        f"the mail server {settings.host}'s certificate could not be verified ({reason}), so "
        "it may not be the council's server and no password was sent; ask IT, and if the "
        "council uses its own certificate authority, set [mailbox] ca_file to it; "
        + _NOTHING_READ)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _close(client: Any, *, logout: bool = False) -> None:
    try:
        if logout:
            client.logout()
        else:
            client.shutdown()
    except Exception:  # noqa: BLE001, S110 - the connection may be gone already
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001, S110
            pass


# --------------------------------------------------------------------------- reading


@dataclass
class MailboxResult(CollectResult):
    """What `collect_mailbox` did: one outcome per form (or refused message), and counts."""

    folder: str = ""
    messages: int = 0  # messages read in this run
    already_read: int = 0  # messages recognised as read before the folder was renumbered
    left: int = 0  # messages left for the next run (the run stopped)

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in _OUTCOMES if self.count(o)]
        text = (f"{plural(self.messages, 'new message')} read from {self.folder}"
                + (f": {', '.join(parts)}" if parts else ""))
        if self.already_read:
            text += f"; {plural(self.already_read, 'message')} read before were not taken again"
        if self.left:
            text += f"; {plural(self.left, 'message')} left for the next run"
        return text


_OUTCOMES = ("accepted", "warnings", "rejected", "duplicate", "superseded", "not taken in")


def collect_mailbox(ws: Workspace, *, limits: EmailLimits = DEFAULT_LIMITS,
                    progress: Callable[[Iterable[int]], Iterable[int]] | None = None
                    ) -> MailboxResult:
    """Take in the returns in the [mailbox] folder that were not read before.

    Holds the workspace's writer lock like `collect`. Raises MailboxError (one line, nothing
    read) for settings, credentials, a server that cannot be reached or refuses the login, a
    certificate that does not verify or a folder that does not exist. A connection lost
    half-way ends the run with the message being read reported "not taken in".
    """
    settings = mailbox_settings(ws)
    login = credential(settings)
    result = MailboxResult(folder=settings.folder)
    with ws.writing("collect --mailbox", note=result.notices.append), \
            Store(ws.path("store")) as store, _connected(settings, login) as client:
        _Reading(settings, client, store, Collector(ws, store), result, limits).run(progress)
    return result


class _Reading:
    """One run over the folder."""

    def __init__(self, settings: MailboxSettings, client: Any, store: Store,
                 collector: Collector, result: MailboxResult, limits: EmailLimits) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.collector = collector
        self.result = result
        self.limits = limits
        self.uidvalidity = 0

    def run(self, progress: Callable[[Iterable[int]], Iterable[int]] | None) -> None:
        settings = self.settings
        self._check_folders()
        try:
            selected = self.client.select_folder(settings.folder, readonly=not settings.moves)
            self.uidvalidity = int(selected[b"UIDVALIDITY"])
            uids = sorted(int(uid) for uid in self.client.search("ALL"))
        except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"the folder '{settings.folder}' could not be opened "
                               f"({_reason(exc)}); try again later; {_NOTHING_READ}") from None
        known = self.store.mailbox_messages(settings.account, settings.folder, self.uidvalidity)
        new = [uid for uid in uids if uid not in known]
        done = 0
        try:
            # Moves a run before this one could not finish (its connection was lost).
            for uid in uids:
                message = known.get(uid)
                if message is not None and message.move_to and not message.moved_at:
                    self._move(uid, message.move_to)
            for uid in (progress or iter)(new):
                done += 1
                if not self._one(uid):
                    self.result.left = len(new) - done
                    return
        except _ConnectionLost as exc:
            self.result.left = len(new) - done
            self.result.notices.append(
                f"the connection to the mail server was lost ({exc}) after a message was "
                "taken in and before it was moved; the next run moves it")

    def _check_folders(self) -> None:
        settings = self.settings
        wanted = [("folder", settings.folder), ("processed_folder", settings.processed_folder),
                  ("needs_attention_folder", settings.needs_attention_folder)]
        try:
            missing = [(key, name) for key, name in wanted
                       if name and not self.client.folder_exists(name)]
            names = [str(f[2]) for f in self.client.list_folders()] if missing else []
        except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"the mailbox's folders could not be listed ({_reason(exc)}); "
                               f"try again later; {_NOTHING_READ}") from None
        if missing:
            key, name = missing[0]
            shown = ", ".join(sorted(names)[:15]) + (" ..." if len(names) > 15 else "")
            raise MailboxError(f"the folder '{name}' ([mailbox] {key}) does not exist in the "
                               f"mailbox of {settings.user}; its folders are: {shown}; correct "
                               f"the setting or create the folder; {_NOTHING_READ}")

    def _fetch(self, uid: int, items: list[str]) -> dict[bytes, Any] | None:
        try:
            found = self.client.fetch([uid], items)
        except (OSError, ssl.SSLError, imaplib.IMAP4.abort, EOFError) as exc:
            raise _ConnectionLost(_reason(exc)) from None
        except imaplib.IMAP4.error:
            return None  # the message went (expunged by someone) while this run was reading
        return found.get(uid)

    def _one(self, uid: int) -> bool:
        """Read, take in, record and move one message; False when the run must stop."""
        settings, result = self.settings, self.result
        label = f"{settings.folder} message {uid}"
        try:
            head = self._fetch(uid, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            if head is None:
                return True  # it went (moved or deleted by someone) while this run was reading
            size = int(head.get(b"RFC822.SIZE", 0))
            body = self._fetch(uid, ["BODY.PEEK[]"]) if size <= self.limits.max_bytes else {}
            if body is None:
                return True
        except _ConnectionLost as exc:
            result.outcomes.append(Outcome(label, "not taken in", reasons=[
                f"the connection to the mail server was lost while reading this message "
                f"({exc}); nothing of it was taken in: run collect --mailbox again"]))
            return False
        if size > self.limits.max_bytes:
            # Refused from its size alone, never downloaded.
            header = next((v for k, v in head.items() if k.startswith(b"BODY[")), b"")
            message_id, _ = message_headers(bytes(header or b""))
            result.messages += 1
            return self._finish(uid, [Outcome(label, "rejected", reasons=[
                str(too_large(size, self.limits))])], message_id, "")
        data = bytes(body.get(b"BODY[]") or b"")
        sha256 = hashlib.sha256(data).hexdigest()
        message_id, subject = message_headers(data)
        earlier = self.store.mailbox_read_before(settings.account, settings.folder,
                                                 self.uidvalidity, message_id, sha256)
        if earlier is not None:
            result.already_read += 1
            destination = self._destination(earlier.outcome)
            self._record(uid, message_id, sha256, earlier.outcome, destination)
            if destination:
                self._move(uid, destination)
            return True
        result.messages += 1
        name = f"{label}: {subject}" if subject else label
        outcomes: list[Outcome] = []
        for incoming in email_incomings(data, name, self.limits):
            if self._take(incoming, outcomes):
                result.outcomes.extend(outcomes)
                return False
        return self._finish(uid, outcomes, message_id, sha256)

    def _take(self, incoming: Incoming, outcomes: list[Outcome]) -> bool:
        """Take one form in; True when the store cannot be written (the run stops)."""
        try:
            outcomes.append(self.collector.take(incoming))
        except (sqlite3.Error, OSError) as exc:
            outcomes.append(Outcome(incoming.name, "not taken in", reasons=[
                f"{explain_failure(exc)}; this message was not taken in, run collect "
                "--mailbox again"]))
            return True
        return False

    def _finish(self, uid: int, outcomes: list[Outcome], message_id: str, sha256: str) -> bool:
        """Report, record and move a message whose forms are all kept or refused."""
        self.result.outcomes.extend(outcomes)
        outcome = "attention" if any(o.outcome == "rejected" for o in outcomes) else "processed"
        destination = self._destination(outcome)
        try:
            self._record(uid, message_id, sha256, outcome, destination)
        except (sqlite3.Error, OSError) as exc:
            self.result.notices.append(f"{explain_failure(exc)}; the message last read is "
                                       "read again by the next run")
            return False
        if destination:
            self._move(uid, destination)
        return True

    def _destination(self, outcome: str) -> str | None:
        """The folder a message is moved to after it was read, if the settings name one."""
        settings = self.settings
        return (settings.needs_attention_folder if outcome == "attention"
                else settings.processed_folder) or None

    def _record(self, uid: int, message_id: str, sha256: str, outcome: str,
                move_to: str | None) -> None:
        self.store.record_mailbox_message(self.settings.account, self.settings.folder,
                                          MailboxMessage(self.uidvalidity, uid, message_id,
                                                         sha256, outcome, move_to, None))

    def _move(self, uid: int, destination: str) -> None:
        """Move a message that was read; raises _ConnectionLost when the line drops."""
        client = self.client
        try:
            if client.has_capability("MOVE"):
                client.move([uid], destination)
            elif client.has_capability("UIDPLUS"):
                client.copy([uid], destination)
                client.delete_messages([uid])
                client.uid_expunge([uid])
            else:
                self.result.notices.append(
                    f"the mail server cannot move messages, so message {uid} was left in "
                    f"{self.settings.folder}; clear the [mailbox] folders to move to")
                return
        except (OSError, ssl.SSLError, imaplib.IMAP4.abort, EOFError) as exc:
            raise _ConnectionLost(_reason(exc)) from None
        except imaplib.IMAP4.error as exc:
            self.result.notices.append(f"message {uid} could not be moved to {destination} "
                                       f"({_reason(exc)}); it stays in {self.settings.folder}")
            return
        self.store.mailbox_message_moved(self.settings.account, self.settings.folder,
                                         self.uidvalidity, uid)

