"""A real IMAP server for the tests: Dovecot from the operating system's packages, on 127.0.0.1.

`Dovecot.start` writes a throwaway configuration into a new folder and runs dovecot in the
foreground as a child of the tests, once per session: IMAP with STARTTLS on one port and IMAP
over TLS on another, with a certificate signed by a certificate authority made for the session
(`ca_file`, which no system trusts). Any user name logs in with `PASSWORD`, so each test takes
a user of its own (`new_mailbox`) and starts with an empty mailbox; an OAuth2 access token
(XOAUTH2) is checked by a small token server on 127.0.0.1, which accepts `token_for(user)`.
Messages are put in the mailbox with IMAP APPEND, as a mail server delivering them would.

`DroppingProxy` stands between the toolkit and Dovecot and hangs up in the middle of the
n-th message the toolkit fetches, as a dropped connection does.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import http.server
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "Test-Passw0rd"
START_SECONDS = 20


class DovecotUnavailable(Exception):
    """Dovecot is not installed here, or did not start; says which."""


def token_for(user: str) -> str:
    """The OAuth2 access token the test token server accepts for `user`."""
    return f"test-token-for-{user}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float, *,
                   greeting: bool = True) -> bool:
    """Whether the server came to listen on `port` (and greeted, unless TLS comes first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                if not greeting or connection.recv(4).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def _end_with_this_process() -> None:
    """Run in Dovecot's process before it starts: Linux stops it (SIGTERM) when the tests'
    process ends, even killed outright, so no Dovecot outlives the tests."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _certificates(folder: Path) -> Path:
    """A certificate authority and a certificate for 127.0.0.1 signed by it; the CA's file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Partnerships test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                       crl_sign=True, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False,
                                       decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(cert.public_bytes(pem))
    (folder / "server.key").write_bytes(key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(folder / "server.key", 0o600)
    return folder / "ca.pem"


class _TokenServer(http.server.ThreadingHTTPServer):
    """What Dovecot asks whether an access token is good: `token_for(user)` is, for user."""

    daemon_threads = True


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        token = (query.get("access_token") or [""])[0]
        prefix = token_for("")
        if token.startswith(prefix) and len(token) > len(prefix):
            status, body = 200, {"email": token[len(prefix):]}
        else:
            status, body = 401, {"error": "invalid_token"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@dataclass
class Dovecot:
    """A running Dovecot of the tests' own."""

    folder: Path
    process: subprocess.Popen[bytes]
    port: int  # IMAP, with STARTTLS offered
    tls_port: int  # IMAP over TLS
    ca_file: Path
    token_server: _TokenServer

    @classmethod
    def start(cls) -> Dovecot:
        if not Path(DOVECOT).exists():
            raise DovecotUnavailable("Dovecot is not installed (Debian: apt-get install "
                                     "dovecot-imapd)")
        # Not under pytest's temporary folder: Dovecot's own processes run as other users and
        # must reach these files, and its socket paths must stay short.
        folder = Path(tempfile.mkdtemp(prefix="partnerships-dovecot-"))
        folder.chmod(0o755)
        try:
            return cls._start_in(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    @classmethod
    def _start_in(cls, folder: Path) -> Dovecot:
        import grp  # Unix only, as Dovecot is: imported here so Windows can import this module
        import pwd

        ca_file = _certificates(folder)
        token_server = _TokenServer(("127.0.0.1", 0), _TokenHandler)
        (folder / "oauth2.conf.ext").write_text(
            f"tokeninfo_url = http://127.0.0.1:{token_server.server_port}/tokeninfo"
            "?access_token=\nusername_attribute = email\n")
        mail = folder / "mail"
        mail.mkdir()
        (folder / "base").mkdir()
        if os.geteuid() == 0:
            # Dovecot runs its login processes as dovenull and never keeps mail as root.
            internal, group, login = "dovecot", "dovecot", "dovenull"
            owner = pwd.getpwnam("nobody")
            os.chown(mail, owner.pw_uid, owner.pw_gid)
        else:
            owner = pwd.getpwuid(os.geteuid())
            internal = login = owner.pw_name
            group = grp.getgrgid(os.getegid()).gr_name
        port, tls_port = _free_port(), _free_port()
        config = folder / "dovecot.conf"
        config.write_text(_CONFIG.format(
            folder=folder, port=port, tls_port=tls_port, internal=internal, group=group,
            login=login, uid=owner.pw_uid, gid=owner.pw_gid, password=PASSWORD))
        process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   preexec_fn=_end_with_this_process)
        # Started after Popen: preexec_fn is unsafe once other threads run.
        threading.Thread(target=token_server.serve_forever, daemon=True).start()
        server = cls(folder, process, port, tls_port, ca_file, token_server)
        if not (_wait_for_port(port, process, START_SECONDS)
                and _wait_for_port(tls_port, process, START_SECONDS, greeting=False)):
            log = folder / "dovecot.log"
            said = log.read_text(errors="replace") if log.exists() else ""
            if process.poll() is not None and process.stderr is not None:
                said += process.stderr.read().decode(errors="replace")
            server.stop()
            raise DovecotUnavailable(f"Dovecot did not start: {said.strip()[-2000:]}")
        return server

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
        self.token_server.shutdown()
        self.token_server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_mailbox(self) -> Mailbox:
        """An empty mailbox of a user of its own."""
        return Mailbox(self, f"bm{secrets.token_hex(4)}@council.example")


# Any user logs in with the password; mail is kept under the folder, a maildir per user.
# The anvil listener for auth penalties is moved aside so that a test's failed login does not
# slow down the next one (Dovecot then skips the penalty: auth-penalty.c).
_CONFIG = """\
base_dir = {folder}/base
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{folder}/server.pem
ssl_key = <{folder}/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {folder}/oauth2.conf.ext
}}
passdb {{
  driver = static
  mechanisms = plain login
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    path = unused-auth-penalty
  }}
}}
"""


class Mailbox:
    """One user's mailbox on the test Dovecot, seen the way a person's email program sees it."""

    def __init__(self, server: Dovecot, user: str) -> None:
        self.server = server
        self.user = user

    def client(self):  # -> IMAPClient
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.server.port, ssl=False, timeout=10)
        client.login(self.user, PASSWORD)
        return client

    def create(self, *folders: str) -> None:
        with self.client() as client:
            for folder in folders:
                client.create_folder(folder)

    def delete(self, folder: str) -> None:
        with self.client() as client:
            client.delete_folder(folder)

    def append(self, folder: str, message: bytes) -> int:
        """Deliver a message into a folder; its UID."""
        with self.client() as client:
            answer = client.append(folder, message)
        # "[APPENDUID <uidvalidity> <uid>] Append completed."
        return int(answer.split(b"]")[0].split()[-1])

    def uids(self, folder: str) -> list[int]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def uidvalidity(self, folder: str) -> int:
        with self.client() as client:
            return int(client.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def flags(self, folder: str) -> dict[int, tuple[bytes, ...]]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            return {uid: tuple(found) for uid, found in client.get_flags(client.search("ALL"))
                    .items()}

    def subjects(self, folder: str) -> list[str]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            found = client.fetch(uids, ["ENVELOPE"]) if uids else {}
            return [found[uid][b"ENVELOPE"].subject.decode() for uid in sorted(found)]

    def move(self, uid: int, source: str, destination: str) -> None:
        """Move a message as a person does in their email program."""
        with self.client() as client:
            client.select_folder(source)
            client.move([uid], destination)


class DroppingProxy:
    """A TCP proxy to Dovecot on 127.0.0.1 that hangs up half-way through sending the
    `drop_at`-th whole message (BODY[]) the client fetches, once."""

    def __init__(self, target_port: int, drop_at: int) -> None:
        self.target_port = target_port
        self.drop_at = drop_at
        self.bodies = 0
        self.dropped = False
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, from_server: bool) -> None:
        marker = b"BODY[] {"
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if from_server and not self.dropped and marker in data:
                    self.bodies += data.count(marker)
                    if self.bodies >= self.drop_at:
                        self.dropped = True
                        at = data.index(marker) + len(marker) + 200
                        sink.sendall(data[:at])
                        break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
        except OSError:
            pass
        self.listener.close()
        self.thread.join(timeout=5)
