"""SMTP servers on 127.0.0.1 for tests, and a guard that keeps tests off the network.

`smtp_server` runs aiosmtpd (a real server) with a `Recorder` handler. `RawSmtpServer` is a
small server on a plain socket for the misbehaviour aiosmtpd cannot produce: taking a message
and hanging up before answering, answering one byte every few seconds, or holding its answer
until the test lets it go.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from types import TracebackType

import pytest
from aiosmtpd.controller import Controller

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything tries to look up or connect to a host other than loopback."""
    real_getaddrinfo = socket.getaddrinfo
    real_create_connection = socket.create_connection

    def getaddrinfo(host, *args, **kwargs):
        if host not in LOOPBACK and host is not None:
            raise AssertionError(f"test tried to look up {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        if address[0] not in LOOPBACK:
            raise AssertionError(f"test tried to connect to {address!r}")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)


class LoopbackController(Controller):
    """aiosmtpd Controller that listens on a free port chosen by the OS (port 0)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Recorder:
    """aiosmtpd handler that records what it receives and can misbehave on request."""

    def __init__(
        self,
        refuse: tuple[str, ...] = (),
        require_auth: bool = False,
        messages_per_connection: int | None = None,
    ) -> None:
        self.refuse = set(refuse)
        self.require_auth = require_auth
        self.messages_per_connection = messages_per_connection
        self.received: list[tuple[str, list[str], bytes]] = []
        self.per_session: dict[int, int] = {}
        self.lock = threading.Lock()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        count = self.per_session.get(id(session), 0)
        if self.messages_per_connection is not None and count >= self.messages_per_connection:
            return "421 4.7.0 Too many messages on this connection"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.per_session[id(session)] = self.per_session.get(id(session), 0) + 1
        with self.lock:
            self.received.append(
                (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [parse(data) for _, _, data in self.received]

    def by_recipient(self) -> dict[str, EmailMessage]:
        """Each message received, by its first recipient."""
        with self.lock:
            return {rcpts[0]: parse(data) for _, rcpts, data in self.received}


@contextmanager
def smtp_server(handler: Recorder, **smtp_parameters: object) -> Iterator[int]:
    """Run an SMTP server on 127.0.0.1 and yield its port."""
    controller = LoopbackController(handler, hostname="127.0.0.1", port=0, **smtp_parameters)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


DROP = "drop"  # RawSmtpServer(after_data=DROP): hang up instead of answering


class RawSmtpServer:
    """An SMTP server on a plain socket that misbehaves as asked; use it as a context manager.

    - ``after_data``: the answer to the end of a message ("250 ..." takes it, "554 ..."
      refuses it), or DROP: the message is taken but the connection closes before any answer,
      so the client cannot know it arrived.
    - ``drip``: "all" sends every answer, the greeting included, one byte every
      ``drip_every`` seconds; "after-data" does so from the answer to the end of a message.
    - ``hold``: once a message is taken, wait for this event before answering
      (``took_message`` is set first, so a test knows the message is in).

    Every message whose end the server read is in ``received`` (sender, recipients, data),
    whether or not it answered: that is what the recipient would get.
    """

    def __init__(self, *, after_data: str = "250 2.0.0 Accepted for delivery",
                 drip: str | None = None, drip_every: float = 2.0,
                 hold: threading.Event | None = None) -> None:
        self.after_data = after_data
        self.drip = drip
        self.drip_every = drip_every
        self.hold = hold
        self.received: list[tuple[str, list[str], bytes]] = []
        self.took_message = threading.Event()
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []

    def __enter__(self) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.05)
        self._listener = listener
        self._start(self._accept)
        return int(listener.getsockname()[1])

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(10)
        if self._listener is not None:
            self._listener.close()

    def recipients(self) -> list[str]:
        """The first recipient of each message received, in order (repeats included)."""
        with self._lock:
            return [rcpts[0] for _, rcpts, _ in self.received]

    def _start(self, target: object, *args: object) -> None:
        def run() -> None:
            try:
                target(*args)  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - kept for the test, never raised in a thread
                self.errors.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            connection.settimeout(30)
            with self._lock:
                self._connections.append(connection)
            self._start(self._serve, connection)

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            try:
                self._converse(connection, reader)
            except (OSError, ValueError):
                pass  # the client hung up, or the test ended

    def _converse(self, connection: socket.socket, reader: object) -> None:
        answers = _Answers(self, connection)
        answers.send("220 127.0.0.1 ESMTP test server")
        sender, recipients = "", []
        for raw in iter(reader.readline, b""):  # type: ignore[attr-defined]
            command = raw.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in _PLAIN_REPLIES:
                answers.send(_PLAIN_REPLIES[verb])
            elif verb == "MAIL":
                sender, recipients = _address(command), []
                answers.send("250 2.1.0 OK")
            elif verb == "RCPT":
                recipients.append(_address(command))
                answers.send("250 2.1.5 OK")
            elif verb == "DATA":
                if not self._take_message(answers, reader, sender, recipients):
                    return
            elif verb == "QUIT":
                answers.send("221 2.0.0 Bye")
                return
            else:
                answers.send("500 5.5.2 Command not recognised")

    def _take_message(self, answers: _Answers, reader: object, sender: str,
                      recipients: list[str]) -> bool:
        """Read a message to its end and answer it as asked; False when the connection is to
        end (the client hung up, the test ended, or the server drops it)."""
        answers.send("354 End data with <CR><LF>.<CR><LF>")
        lines = []
        for line in iter(reader.readline, b""):  # type: ignore[attr-defined]
            if line == b".\r\n":
                break
            lines.append(line)
        else:
            return False  # the client hung up before the end of the message
        with self._lock:
            self.received.append((sender, list(recipients), b"".join(lines)))
        self.took_message.set()
        while self.hold is not None and not self.hold.is_set():
            if self._stop.wait(0.02):
                return False
        if self.after_data == DROP:
            return False
        answers.dripping = answers.dripping or self.drip == "after-data"
        answers.send(self.after_data)
        return True


# The answers to the commands that need nothing but an answer.
_PLAIN_REPLIES = {"EHLO": "250 127.0.0.1", "HELO": "250 127.0.0.1", "RSET": "250 2.0.0 OK",
                  "NOOP": "250 2.0.0 OK"}


class _Answers:
    """What RawSmtpServer says to one client: each answer at once, or one byte every
    ``drip_every`` seconds while dripping."""

    def __init__(self, server: RawSmtpServer, connection: socket.socket) -> None:
        self.server = server
        self.connection = connection
        self.dripping = server.drip == "all"

    def send(self, line: str) -> None:
        data = (line + "\r\n").encode("ascii")
        if not self.dripping:
            self.connection.sendall(data)
            return
        for byte in data:
            if self.server._stop.wait(self.server.drip_every):
                raise OSError("the test ended")
            self.connection.sendall(bytes([byte]))


def _address(command: str) -> str:
    return command.partition(":")[2].strip().split(" ")[0].strip("<>")
