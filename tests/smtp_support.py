"""A real SMTP server on 127.0.0.1 for tests, and a guard that keeps tests off the network."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

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
