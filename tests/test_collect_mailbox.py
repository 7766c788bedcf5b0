"""Collecting returns straight from the mailbox, over IMAP from a real Dovecot on 127.0.0.1.

The forms are issued and filled by the toolkit itself; the Business Managers' replies are
delivered into the test mailbox with IMAP APPEND, as a mail server would deliver them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import socket
import sqlite3
import subprocess
import sys
import textwrap
import tomllib
from email.message import EmailMessage
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend

import generator.store as store_module
from generator.cli import main
from generator.errors import MailboxError
from generator.forms.issue import IssuedForm, issue_forms
from generator.lock import WorkspaceBusy
from generator.register import read_register
from generator.returns.emails import EmailLimits
from generator.returns.mailbox import collect_mailbox, mailbox_settings
from generator.store import MIGRATIONS, Store
from generator.workspace import Workspace, open_workspace

from conftest import TODAY
from imap_support import PASSWORD, DroppingProxy, Mailbox, token_for
from processes import REPO, environment
from support import complete_answers, fill

FOLDER = "Partnerships"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PASSWORD_ENV = "PARTNERSHIPS_IMAP_PASSWORD"


# --------------------------------------------------------------------------- helpers


def use_mailbox(ws: Workspace, mailbox: Mailbox, **settings: object) -> Workspace:
    """Point the workspace's [mailbox] settings at the test mailbox, as an officer would."""
    values: dict[str, object] = {"host": "127.0.0.1", "port": mailbox.server.port,
                                 "security": "none", "user": mailbox.user, "folder": FOLDER,
                                 **settings}
    text = ws.config_path.read_text(encoding="utf-8").split("[mailbox]")[0]
    text += "[mailbox]\n" + "".join(f"{key} = {json.dumps(value)}\n"
                                    for key, value in values.items())
    ws.config_path.write_text(text, encoding="utf-8")
    return open_workspace(ws.root)


@pytest.fixture
def ws(workspace: Workspace, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The workspace reading the test mailbox's Partnerships folder, its password set."""
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    mailbox.create(FOLDER)
    return use_mailbox(workspace, mailbox)


def manager(ws: Workspace, form: IssuedForm) -> str:
    """The Business Manager of a form's partnership, as their email's From shows them."""
    partnership = read_register(ws.path("register"), ws.framework()).get(form.partnership_id)
    assert partnership is not None
    return email.utils.formataddr((partnership.bm_name, partnership.bm_email))


def filled(ws: Workspace, form: IssuedForm, tmp_path: Path, **changes: object) -> bytes:
    """The form filled in completely by its Business Manager (with `changes`)."""
    answers = {**complete_answers(ws, form.form_type, form.partnership_id), **changes}
    answers = {key: value for key, value in answers.items() if value is not None}
    return fill(ws, form, answers, folder=tmp_path / "filled",
                name=f"{form.partnership_id}.docx").read_bytes()


def sent_after_issue(ws: Workspace, form: IssuedForm) -> dt.datetime:
    """A minute after the form was issued: a date the toolkit believes."""
    with Store(ws.path("store")) as store:
        issued = store.issued(form.issue_id)
    assert issued is not None
    return dt.datetime.fromisoformat(issued.issued_at.replace("Z", "+00:00")) + \
        dt.timedelta(minutes=1)


def reply(sender: str, sent: dt.datetime, *forms: tuple[str, bytes],
          subject: str = "Re: Explore checklist") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "partnerships@council.example"
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(sent)
    message["Message-ID"] = email.utils.make_msgid(domain="example.org")
    message.set_content("Attached, thanks.")
    for name, data in forms:
        message.add_attachment(data, maintype="application", subtype=DOCX.split("/")[1],
                               filename=name)
    return message


def deliver_reply(ws: Workspace, mailbox: Mailbox, form: IssuedForm, tmp_path: Path,
                  **changes: object) -> int:
    """The form's Business Manager replies with it filled in; the message's UID."""
    message = reply(manager(ws, form), sent_after_issue(ws, form),
                    ("checklist.docx", filled(ws, form, tmp_path, **changes)))
    return mailbox.append(FOLDER, message.as_bytes())


def outcomes(result) -> list[tuple[str, str]]:
    return [(o.file, o.outcome) for o in result.outcomes]


def kept(ws: Workspace) -> list[tuple[str | None, str, str]]:
    """Each return kept: its partnership, outcome and sender."""
    with Store(ws.path("store")) as store:
        return [(r.partnership_id, r.outcome, r.sender) for r in store.all_returns()]


def run(ws: Workspace, *args: str):
    return CliRunner().invoke(main, ["--workspace", str(ws.root), *args])


class MemoryKeyring(KeyringBackend):
    """A system keyring that keeps its passwords in memory, for one test."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


# --------------------------------------------------------------------------- taking in


def test_new_messages_are_taken_in_with_their_senders_and_left_unread_in_the_folder(
        ws, mailbox, explore_forms, tmp_path):
    first = deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    second = deliver_reply(ws, mailbox, explore_forms[1], tmp_path)

    result = collect_mailbox(ws)

    assert outcomes(result) == [
        (f"{FOLDER} message {first}: Re: Explore checklist > checklist.docx", "accepted"),
        (f"{FOLDER} message {second}: Re: Explore checklist > checklist.docx", "accepted")]
    assert kept(ws) == [(form.partnership_id, "accepted", manager(ws, form))
                        for form in explore_forms[:2]]
    assert mailbox.uids(FOLDER) == [first, second]
    assert all(b"\\Seen" not in flags for flags in mailbox.flags(FOLDER).values())


def test_the_date_a_return_counts_from_is_the_messages_date(ws, mailbox, explore_forms,
                                                             tmp_path):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)

    collect_mailbox(ws)

    with Store(ws.path("store")) as store:
        (kept_return,) = store.all_returns()
    sent = sent_after_issue(ws, explore_forms[0])
    assert kept_return.received_at == sent.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_message_with_two_forms_takes_in_both(ws, mailbox, explore_forms, tmp_path):
    p007, p008 = explore_forms[0], explore_forms[1]
    message = reply(manager(ws, p007), sent_after_issue(ws, p007),
                    ("first.docx", filled(ws, p007, tmp_path)),
                    ("second.docx", filled(ws, p008, tmp_path)))
    uid = mailbox.append(FOLDER, message.as_bytes())

    result = collect_mailbox(ws)

    # The second form is another Business Manager's: taken in, with the sender named.
    assert [(Path(o.file.split(" > ")[-1]).name, o.outcome, o.partnership)
            for o in result.outcomes] == [("first.docx", "accepted", p007.partnership_id),
                                          ("second.docx", "warnings", p008.partnership_id)]
    assert result.outcomes[1].reasons[0].startswith("Sender: the email came from ")
    assert result.messages == 1
    assert all(o.file.startswith(f"{FOLDER} message {uid}: ") for o in result.outcomes)


def test_a_forwarded_reply_is_kept_with_the_business_managers_address(
        ws, mailbox, explore_forms, tmp_path):
    form = explore_forms[0]
    original = reply(manager(ws, form), sent_after_issue(ws, form),
                     ("checklist.docx", filled(ws, form, tmp_path)))
    forwarded = EmailMessage()
    forwarded["From"] = "Sam Okafor <sam.okafor@council.example>"
    forwarded["Subject"] = "Fwd: Re: Explore checklist"
    forwarded["Date"] = email.utils.format_datetime(dt.datetime.now(dt.UTC))
    forwarded.set_content("Forwarding the return below.")
    forwarded.add_attachment(original)
    mailbox.append(FOLDER, forwarded.as_bytes())

    result = collect_mailbox(ws)

    assert [(o.file.split(": ", 1)[1], o.outcome) for o in result.outcomes] == [
        ("Fwd: Re: Explore checklist > Re: Explore checklist > checklist.docx", "accepted")]
    assert kept(ws) == [(form.partnership_id, "accepted", manager(ws, form))]


def test_a_message_with_no_form_is_refused_in_one_line_and_not_reported_again(
        ws, mailbox, explore_forms):
    message = reply("Out of Office <daniel.okafor@example.org>", dt.datetime.now(dt.UTC),
                    subject="Automatic reply: Explore checklist")
    uid = mailbox.append(FOLDER, message.as_bytes())

    first = collect_mailbox(ws)
    again = collect_mailbox(ws)

    assert [(o.file, o.outcome, o.reasons) for o in first.outcomes] == [
        (f"{FOLDER} message {uid}: Automatic reply: Explore checklist", "rejected",
         ["the saved email has no Word attachment"])]
    assert again.outcomes == [] and again.messages == 0
    assert mailbox.uids(FOLDER) == [uid]


def test_a_message_over_the_size_limit_is_refused_without_being_read(
        ws, mailbox, explore_forms, tmp_path):
    form = explore_forms[0]
    huge = reply(manager(ws, form), sent_after_issue(ws, form),
                 ("checklist.docx", filled(ws, form, tmp_path)),
                 ("site photos.docx", b"\0" * 300_000))
    uid = mailbox.append(FOLDER, huge.as_bytes())

    result = collect_mailbox(ws, limits=EmailLimits(max_bytes=200_000))

    ((name, outcome, reasons),) = [(o.file, o.outcome, o.reasons) for o in result.outcomes]
    assert (name, outcome) == (f"{FOLDER} message {uid}", "rejected")
    assert reasons[0].startswith("the email is too large to read (")
    assert "over the 195 KB limit" in reasons[0]
    assert kept(ws) == []


def test_a_second_run_takes_nothing_twice(ws, mailbox, explore_forms, tmp_path):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    collect_mailbox(ws)
    deliver_reply(ws, mailbox, explore_forms[1], tmp_path)

    again = collect_mailbox(ws)

    assert [(o.partnership, o.outcome) for o in again.outcomes] == [
        (explore_forms[1].partnership_id, "accepted")]
    assert len(kept(ws)) == 2


def test_messages_are_moved_to_processed_or_needs_attention_when_the_settings_ask(
        ws, mailbox, explore_forms, tmp_path):
    mailbox.create("Processed", "Needs attention")
    ws = use_mailbox(ws, mailbox, processed_folder="Processed",
                     needs_attention_folder="Needs attention")
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    deliver_reply(ws, mailbox, explore_forms[1], tmp_path, rationale=None)

    result = collect_mailbox(ws)

    assert [o.outcome for o in result.outcomes] == ["accepted", "rejected"]
    assert mailbox.uids(FOLDER) == []
    assert len(mailbox.uids("Processed")) == 1
    assert len(mailbox.uids("Needs attention")) == 1


def test_a_message_moved_back_by_a_person_is_read_again(ws, mailbox, explore_forms,
                                                         tmp_path):
    mailbox.create("Processed")
    ws = use_mailbox(ws, mailbox, processed_folder="Processed")
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    collect_mailbox(ws)
    (processed,) = mailbox.uids("Processed")
    mailbox.move(processed, "Processed", FOLDER)

    again = collect_mailbox(ws)

    assert [o.outcome for o in again.outcomes] == ["duplicate"]
    assert again.messages == 1
    assert mailbox.uids(FOLDER) == [] and len(mailbox.uids("Processed")) == 1


def test_a_connection_dropped_mid_fetch_keeps_what_was_taken_and_reads_the_rest_next_time(
        ws, mailbox, explore_forms, tmp_path):
    uids = [deliver_reply(ws, mailbox, form, tmp_path) for form in explore_forms]
    proxy = DroppingProxy(mailbox.server.port, drop_at=2)
    try:
        dropped = collect_mailbox(use_mailbox(ws, mailbox, port=proxy.port, timeout=5))
    finally:
        proxy.close()

    again = collect_mailbox(ws)

    assert [(o.file.split(":")[0], o.outcome) for o in dropped.outcomes] == [
        (f"{FOLDER} message {uids[0]}", "accepted"),
        (f"{FOLDER} message {uids[1]}", "not taken in")]
    assert "connection to the mail server was lost" in dropped.outcomes[1].reasons[0]
    assert dropped.left == 1
    assert [(o.file.split(":")[0], o.outcome) for o in again.outcomes] == [
        (f"{FOLDER} message {uids[1]}", "accepted"), (f"{FOLDER} message {uids[2]}", "accepted")]
    assert sorted(p for p, _, _ in kept(ws)) == sorted(f.partnership_id for f in explore_forms)


def test_a_renumbered_folder_takes_nothing_twice_and_takes_in_what_is_new(
        ws, mailbox, explore_forms, tmp_path):
    messages = [reply(manager(ws, form), sent_after_issue(ws, form),
                      ("checklist.docx", filled(ws, form, tmp_path))).as_bytes()
                for form in explore_forms]
    mailbox.append(FOLDER, messages[0])
    collect_mailbox(ws)
    before = mailbox.uidvalidity(FOLDER)
    # The server is rebuilt: the folder comes back with the same message, under a new
    # UIDVALIDITY, and a new message arrives.
    mailbox.delete(FOLDER)
    mailbox.create(FOLDER)
    mailbox.append(FOLDER, messages[0])
    mailbox.append(FOLDER, messages[1])
    assert mailbox.uidvalidity(FOLDER) != before

    again = collect_mailbox(ws)

    assert [(o.partnership, o.outcome) for o in again.outcomes] == [
        (explore_forms[1].partnership_id, "accepted")]
    assert again.already_read == 1
    assert "1 message read before were not taken again" in again.summary()


def test_a_message_is_not_recorded_as_read_when_its_form_could_not_be_kept(
        ws, mailbox, explore_forms, tmp_path, monkeypatch):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    collect_mailbox(ws)  # the store exists: another program can now hold it
    deliver_reply(ws, mailbox, explore_forms[1], tmp_path)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = sqlite3.connect(ws.path("store"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        busy = collect_mailbox(ws)
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    again = collect_mailbox(ws)

    assert [o.outcome for o in busy.outcomes] == ["not taken in"]
    assert "the store is busy" in busy.outcomes[0].reasons[0]
    assert [(o.partnership, o.outcome) for o in again.outcomes] == [
        (explore_forms[1].partnership_id, "accepted")]


def test_collect_mailbox_waits_for_another_command_writing_to_the_workspace(
        ws, mailbox, explore_forms, tmp_path):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    ws.config["workspace"]["lock_wait_seconds"] = 0.2
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from generator.lock import writer_lock
            with writer_lock(Path({str(ws.root)!r}), "send review"):
                print("holding", flush=True)
                time.sleep(60)
        """)], cwd=REPO, env=environment(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        with pytest.raises(WorkspaceBusy, match="has been running 'partnerships send review'"):
            collect_mailbox(ws)
    finally:
        holder.kill()
        holder.communicate()

    assert kept(ws) == []
    assert collect_mailbox(ws).count("accepted") == 1


def test_a_store_written_before_the_mailbox_was_read_keeps_its_returns(
        ws, mailbox, tmp_path, monkeypatch):
    before = MIGRATIONS[:MIGRATIONS.index(store_module._v4_mailbox_messages)]
    monkeypatch.setattr(store_module, "MIGRATIONS", before)
    forms = issue_forms(ws, "explore", today=TODAY).written  # the store as it was written
    # A return kept as the toolkit of that schema kept it, its file in the row (collect now
    # keeps files apart, which that schema had no table for).
    returned = fill(ws, forms[0], complete_answers(ws, "explore", forms[0].partnership_id))
    data = returned.read_bytes()
    with sqlite3.connect(ws.path("store")) as db:
        db.execute("INSERT INTO returns (issue_id, partnership_id, form_type, version, cycle, "
                   "period, file_name, sha256, original, received_at, outcome) VALUES "
                   "(?, ?, 'explore', 1, ?, '', ?, ?, ?, '2026-11-25T10:00:00Z', 'accepted')",
                   (forms[0].issue_id, forms[0].partnership_id, ws.cycle, returned.name,
                    hashlib.sha256(data).hexdigest(), data))
    monkeypatch.undo()
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    deliver_reply(ws, mailbox, forms[1], tmp_path)

    result = collect_mailbox(ws)

    assert [o.outcome for o in result.outcomes] == ["accepted"]
    with Store(ws.path("store")) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert [p for p, _, _ in kept(ws)] == [f.partnership_id for f in forms[:2]]
    assert collect_mailbox(ws).outcomes == []


# --------------------------------------------------------------------------- logging in


def test_tls_with_the_councils_certificate_authority_reads_the_mailbox(
        ws, mailbox, dovecot, explore_forms, tmp_path):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    ws = use_mailbox(ws, mailbox, security="tls", port=dovecot.tls_port,
                     ca_file=str(dovecot.ca_file))

    assert collect_mailbox(ws).count("accepted") == 1


def test_starttls_with_the_councils_certificate_authority_reads_the_mailbox(
        ws, mailbox, dovecot, explore_forms, tmp_path):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    ws = use_mailbox(ws, mailbox, security="starttls", ca_file=str(dovecot.ca_file))

    assert collect_mailbox(ws).count("accepted") == 1


def test_the_password_can_come_from_the_system_keyring(ws, mailbox, explore_forms, tmp_path,
                                                        monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    saved = MemoryKeyring()
    saved.set_password("partnerships-toolkit", mailbox.user, PASSWORD)
    previous = keyring.get_keyring()
    keyring.set_keyring(saved)
    try:
        deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
        result = collect_mailbox(use_mailbox(ws, mailbox, password_from="keyring"))
    finally:
        keyring.set_keyring(previous)

    assert result.count("accepted") == 1


def test_an_oauth2_token_from_the_councils_token_command_logs_in(
        ws, mailbox, explore_forms, tmp_path, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    command = f"{sys.executable} -c \"print('{token_for(mailbox.user)}')\""
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)

    result = collect_mailbox(use_mailbox(ws, mailbox, password_from="oauth2",
                                         token_command=command))

    assert result.count("accepted") == 1


def one_line_error(ws: Workspace) -> str:
    """What `collect --mailbox` says when it cannot read the mailbox (it must exit 1)."""
    result = run(ws, "collect", "--mailbox")
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    return line


def test_a_wrong_password_is_one_line_and_nothing_is_read(ws, mailbox, explore_forms,
                                                          tmp_path, monkeypatch):
    deliver_reply(ws, mailbox, explore_forms[0], tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")

    line = one_line_error(ws)

    assert line == (f"Error: the mail server refused to log {mailbox.user} in with the "
                    f"password from the environment variable {PASSWORD_ENV}; check [mailbox] "
                    "user and the password; nothing was read")
    assert kept(ws) == []


def test_a_token_the_server_refuses_is_one_line(ws, mailbox, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)
    ws = use_mailbox(ws, mailbox, password_from="oauth2",
                     token_command=f"{sys.executable} -c \"print('expired')\"")

    assert one_line_error(ws) == (
        f"Error: the mail server refused to log {mailbox.user} in with the access token from "
        "[mailbox] token_command; check [mailbox] user and the token; nothing was read")


def test_a_server_that_is_down_is_one_line(ws, mailbox):
    with socket.socket() as nothing_listening:
        nothing_listening.bind(("127.0.0.1", 0))
        port = nothing_listening.getsockname()[1]
        ws = use_mailbox(ws, mailbox, port=port)

        line = one_line_error(ws)

    assert line == (
        f"Error: the mail server 127.0.0.1:{port} cannot be reached (the connection was "
        "refused); check [mailbox] host, port and security, and that this computer can reach "
        "it; nothing was read")


def test_a_certificate_that_does_not_verify_is_one_line(ws, mailbox, dovecot):
    ws = use_mailbox(ws, mailbox, security="tls", port=dovecot.tls_port)

    assert one_line_error(ws) == (
        "Error: the mail server 127.0.0.1's certificate could not be verified (unable to get "
        "local issuer certificate), so it may not be the council's server and no password was "
        "sent; ask IT, and if the council uses its own certificate authority, set [mailbox] "
        "ca_file to it; nothing was read")


def test_a_folder_that_does_not_exist_is_one_line_naming_the_folders(ws, mailbox):
    ws = use_mailbox(ws, mailbox, folder="Partnership returns")

    assert one_line_error(ws) == (
        f"Error: the folder 'Partnership returns' ([mailbox] folder) does not exist in the "
        f"mailbox of {mailbox.user}; its folders are: INBOX, {FOLDER}; correct the setting or "
        "create the folder; nothing was read")


def test_a_password_that_is_not_set_is_one_line(ws, mailbox, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV)

    assert one_line_error(ws) == (
        f"Error: the password for {mailbox.user} is not set: set the environment variable "
        f"{PASSWORD_ENV}, or keep it in the system keyring (password_from = \"keyring\"); "
        "nothing was read")


def test_a_workspace_without_mailbox_settings_says_where_to_set_them(workspace):
    text = workspace.config_path.read_text(encoding="utf-8").split("[mailbox]")[0]
    workspace.config_path.write_text(text, encoding="utf-8")

    assert one_line_error(workspace) == (
        f"Error: {workspace.config_path} has no [mailbox] section, so the mailbox cannot be "
        "read; add one (see 'Taking returns from the mailbox' in the README)")


SETTINGS = {"host": "mail.example.gov.uk", "user": "partnerships@example.gov.uk"}


@pytest.mark.parametrize(("changed", "problem"), [
    ({"host": ""}, "host is not set to the mail server's name; set it (see 'Taking returns "
                   "from the mailbox' in the README)"),
    ({"host": 12}, 'host must be text in quotes, such as "outlook.office365.com"'),
    ({"processed_folder": ["Done"]}, 'processed_folder must be text in quotes, such as '
                                     '"Processed"'),
    ({"security": "plain"}, "security 'plain' is not one of tls, starttls, none"),
    ({"security": "none"}, "security 'none' would send the password for "
                           "partnerships@example.gov.uk unencrypted to mail.example.gov.uk; use "
                           'security = "tls" (port 993) or "starttls" (port 143)'),
    ({"port": "993"}, "port '993' is not a port number (993 for tls, 143 for starttls)"),
    ({"port": 70000}, "port '70000' is not a port number (993 for tls, 143 for starttls)"),
    ({"user": ""}, "user is not set to the mailbox's user name; set it (see 'Taking returns "
                   "from the mailbox' in the README)"),
    ({"password_from": "file"}, "password_from 'file' is not one of environment, keyring, "
                                "oauth2"),
    ({"timeout": True}, "timeout must be a number of seconds, such as 30"),
    ({"folder": " "}, "folder is empty; name the folder returns arrive in"),
    ({"needs_attention_folder": "INBOX"}, "needs_attention_folder is the folder being read; "
                                          "name another folder, or leave it empty to leave "
                                          "messages where they are"),
    ({"password_from": "oauth2"}, 'token_command is empty; with password_from = "oauth2" it '
                                  "must name the command that prints an access token (IT "
                                  "sets it)"),
])
def test_each_mailbox_setting_that_cannot_work_is_named_with_what_to_put(workspace, changed,
                                                                       problem):
    ws = Workspace(workspace.root, {"mailbox": {**SETTINGS, **changed}})

    with pytest.raises(MailboxError) as error:
        mailbox_settings(ws)

    assert str(error.value) == f"{ws.config_path}: [mailbox] {problem}"


def test_mailbox_settings_left_out_take_their_defaults(workspace):
    settings = mailbox_settings(Workspace(workspace.root, {"mailbox": {
        **SETTINGS, "security": "SSL", "password_env": "", "timeout": 2.5}}))

    assert (settings.port, settings.security, settings.folder, settings.password_from,
            settings.password_env, settings.timeout, settings.ca_file) == (
        993, "tls", "INBOX", "environment", "PARTNERSHIPS_IMAP_PASSWORD", 2.5, None)


# --------------------------------------------------------------------------- the command


def test_the_readme_settings_examples_are_settings_the_toolkit_takes(workspace):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Taking returns from the mailbox")[1].split("\n### ")[0]
    examples = [block.split("```")[0] for block in section.split("```toml\n")[1:]]

    found = [mailbox_settings(Workspace(workspace.root, tomllib.loads(text)))
             for text in examples]

    assert [(s.host, s.port, s.security, s.password_from) for s in found] == [
        ("mail.example-council.gov.uk", 993, "tls", "environment"),
        ("outlook.office365.com", 993, "tls", "oauth2")]


def test_collect_mailbox_prints_one_line_per_form_and_a_summary(ws, mailbox, explore_forms,
                                                                tmp_path):
    uid = deliver_reply(ws, mailbox, explore_forms[0], tmp_path, rationale=None)

    result = run(ws, "collect", "--mailbox")

    form = explore_forms[0]
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"rejected   {FOLDER} message {uid}: Re: Explore checklist > checklist.docx "
        f"({form.partnership_id} explore)")
    assert result.stderr.splitlines()[-1] == (
        f"1 new message read from {FOLDER}: 1 rejected")


def test_collect_mailbox_takes_no_files(ws, tmp_path):
    result = run(ws, "collect", "--mailbox", str(tmp_path))

    assert result.exit_code == 2
    assert "--mailbox reads the mailbox folder: give it no files and no --as" in result.output


def test_without_folders_to_move_to_no_message_is_deleted_moved_or_flagged(
        ws, mailbox, explore_forms, tmp_path):
    uid = deliver_reply(ws, mailbox, explore_forms[0], tmp_path, rationale=None)

    run(ws, "collect", "--mailbox")

    assert mailbox.uids(FOLDER) == [uid]
    assert mailbox.subjects(FOLDER) == ["Re: Explore checklist"]
    (flags,) = mailbox.flags(FOLDER).values()
    assert not {b"\\Seen", b"\\Deleted", b"\\Flagged"} & set(flags)
