"""Each email goes out once: two runs at once, a run killed half-way, a lost or slow mail server.

Racy behaviour is tested with real processes (`python -m generator` from this worktree) and
real servers on 127.0.0.1: aiosmtpd, or a small raw server where the server must misbehave in
a way aiosmtpd cannot (tests/smtp_support.py). Two runs are made to overlap by holding the
store's write lock while both start, so each plans before either can record anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import generator.store as store_module
from generator.cli import main
from generator.forms.issue import IssuedForm, issue_forms
from generator.lock import current_holder
from generator.mail.message import build_message, draft_path, new_message_id, write_draft
from generator.mail.plan import deliver, prepare_chase, prepare_send
from generator.register import example_rows, write_register
from generator.returns.tracker import status_rows
from generator.store import MIGRATIONS, Store
from generator.workspace import Workspace, init_workspace, open_workspace

from conftest import TODAY
from processes import all_idle, start, wait_until
from smtp_support import DROP, RawSmtpServer, Recorder, parse, smtp_server

OWEN = "owen.marsh@example.org"  # Business Manager of P002 and P004
DANIEL = "daniel.okafor@example.org"  # P005: the first email of a review send (by name)
REVIEW_MANAGERS = sorted(["priya.natarajan@example.org", OWEN,
                          "sofia.grant-lewis@example.org", DANIEL])
MAYBE_SENT = "may have been sent: check Sent Items, then `send --resend`"


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def review_forms(workspace: Workspace) -> list[IssuedForm]:
    """Review forms for the five in-scope Deliver partnerships (Owen Marsh has two)."""
    return issue_forms(workspace, "review", today=TODAY).written


def configure_smtp(ws: Workspace, port: int, **settings: object) -> Workspace:
    """Point the workspace at a server on 127.0.0.1, as an officer would edit the settings."""
    values = {"host": '"127.0.0.1"', "port": port, "security": '"none"', "user": '""',
              **settings}
    text = ws.config_path.read_text(encoding="utf-8")
    for key, value in values.items():
        line = f"{key} = {value}"
        if re.search(rf"^{key} = ", text, flags=re.MULTILINE):
            text = re.sub(rf"^{key} = .*$", line, text, count=1, flags=re.MULTILINE)
        else:
            text = text.replace("[smtp]\n", f"[smtp]\n{line}\n", 1)
    ws.config_path.write_text(text, encoding="utf-8")
    return open_workspace(ws.root)


def with_partnerships(ws: Workspace, count: int) -> list[IssuedForm]:
    """A register of `count` Deliver partnerships, each with its own Business Manager, and
    their review forms issued."""
    model = next(row for row in example_rows() if row["id"] == "P001")
    rows = [{**model, "id": f"P{n:03d}", "name": f"Partnership {n}", "bm_name": f"Manager {n}",
             "bm_email": f"manager{n}@example.org"} for n in range(1, count + 1)]
    write_register(ws.path("register"), rows)
    return issue_forms(ws, "review", today=TODAY).written


def run(ws: Workspace, *args: str) -> Result:
    return CliRunner().invoke(main, ["--workspace", str(ws.root), *args])


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@contextlib.contextmanager
def holding_the_store(ws: Workspace) -> Iterator[None]:
    """Hold the store's write lock, as another program writing to it would."""
    db = sqlite3.connect(ws.path("store"), isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
        db.execute("ROLLBACK")
    finally:
        db.close()


def at_once(ws: Workspace, *commands: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """Run the commands in processes of their own, each planning before any can record."""
    with holding_the_store(ws):
        processes = [start(ws.root, *command) for command in commands]
        all_planned(ws, processes)
    return [finish(process) for process in processes]


def all_planned(ws: Workspace, processes: list[subprocess.Popen[str]]) -> None:
    """Wait until every process has made its plan: one holds the workspace's writer lock and
    waits for the store, the others wait for the lock, and none uses the processor. Where
    processes cannot be watched (no /proc), wait two seconds: each plans in well under one."""
    if not Path("/proc/self/stat").is_file():
        time.sleep(2)
        return
    pids = [process.pid for process in processes]

    def planned_or_ended() -> bool:
        if any(process.poll() is not None for process in processes):
            return True  # nothing more to wait for: the test's checks say what happened
        holder = current_holder(ws.root)
        return holder is not None and holder.pid in pids and all_idle(pids, 0.3)

    # Never longer than the later run waits for the writer lock (5 s) before giving up.
    wait_until(planned_or_ended, timeout=4)


def draft_files(ws: Workspace) -> list[Path]:
    return sorted(ws.path("outbox").glob("*.eml"))


def attached(ws: Workspace) -> list[str]:
    """The name of every file attached to every draft in the outbox (repeats included)."""
    return sorted(part.get_filename() or "" for path in draft_files(ws)
                  for part in parse(path.read_bytes()).iter_attachments())


def names(forms: list[IssuedForm]) -> list[str]:
    return sorted(form.path.name for form in forms)


def recorded_paths(ws: Workspace, forms: list[IssuedForm]) -> set[str]:
    """Every outbox file the store knows of: drafts written, and names reserved for one."""
    with Store(ws.path("store")) as store:
        return {row["file_path"] for form in forms
                for row in store.sends_for_issue(form.issue_id) if row["file_path"]}


def issue_of(forms: list[IssuedForm], partnership_id: str) -> str:
    return next(f.issue_id for f in forms if f.partnership_id == partnership_id)


def another_run() -> str:
    """How a run still going (this very process) names itself when it claims an email."""
    return f"{socket.gethostname()}:{os.getpid()}:another-run"


# --------------------------------------------------------------------------- two runs at once


def test_two_send_runs_at_once_write_each_draft_once(workspace, review_forms):
    outcomes = at_once(workspace, ("send", "review"), ("send", "review"))

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert attached(workspace) == names(review_forms)
    assert len(draft_files(workspace)) == 4


def test_two_smtp_send_runs_at_once_send_each_email_once(workspace, review_forms):
    handler = Recorder()
    with smtp_server(handler) as port:
        ws = configure_smtp(workspace, port)
        outcomes = at_once(ws, ("send", "review", "--smtp"), ("send", "review", "--smtp"))

    assert [code for code, _, _ in outcomes] == [0, 0], outcomes
    assert sorted(rcpts[0] for _, rcpts, _ in handler.received) == REVIEW_MANAGERS


def test_a_send_for_one_partnership_at_the_same_time_as_a_send_for_all_sends_its_form_once(
        workspace, review_forms):
    at_once(workspace, ("send", "review"), ("send", "review", "--id", "P002"))
    p002 = next(f.path.name for f in review_forms if f.partnership_id == "P002")

    assert attached(workspace).count(p002) == 1
    run(workspace, "send", "review")  # sends whatever the overlap left out
    assert attached(workspace) == names(review_forms)


def test_an_email_whose_form_another_run_is_writing_is_not_written_and_says_so(workspace,
                                                                              review_forms):
    plan = prepare_send(workspace, "review", today=TODAY)
    p002 = issue_of(review_forms, "P002")
    with Store(workspace.path("store")) as store:
        store.claim_send(key=f"send:{p002}", kind="send", issue_ids=[p002], to_address=OWEN,
                         via="draft", claimer=another_run())

    results = deliver(workspace, plan)

    (owen,) = [r for r in results if r.to_address == OWEN]
    assert owen.status == "failed"
    assert owen.error is not None and "P002" in owen.error and "another run" in owen.error
    assert sorted(r.to_address for r in results if r.status == "drafted") == sorted(
        set(REVIEW_MANAGERS) - {OWEN})
    assert OWEN not in {parse(p.read_bytes())["To"].addresses[0].addr_spec
                        for p in draft_files(workspace)}


def test_a_form_another_run_is_sending_is_held_back_with_a_clear_line(workspace, review_forms):
    p002 = issue_of(review_forms, "P002")
    with Store(workspace.path("store")) as store:
        store.claim_send(key=f"send:{p002}", kind="send", issue_ids=[p002], to_address=OWEN,
                         via="smtp", claimer=another_run())

    plan = prepare_send(workspace, "review", today=TODAY)

    (held,) = plan.held
    assert held.partnership_id == "P002" and "being sent by another run" in held.message
    (owen,) = [e for e in plan.emails if e.email.to_address == OWEN]
    assert owen.partnership_ids == ("P004",)


# --------------------------------------------------------------------------- killed runs


def test_a_send_killed_at_a_random_point_while_writing_drafts_leaves_no_empty_or_unknown_draft(
        tmp_path):
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    # Three trials at random points (the seed is in every message): each run of the suite
    # tries others. Each is killed while it writes a draft picked at random, some time into
    # it (a draft takes about 7 ms): killed at a random time instead, a third of the trials
    # came after the last draft and tried nothing.
    for trial in range(3):
        ws = init_workspace(tmp_path / f"ws{trial}", today=TODAY)
        forms = with_partnerships(ws, 30)
        written_before = rng.randrange(len(forms))
        process = start(ws.root, "send", "review")
        deadline = time.monotonic() + 60
        while (process.poll() is None and len(draft_files(ws)) <= written_before
               and time.monotonic() < deadline):
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.01))
        process.send_signal(signal.SIGKILL)
        process.communicate()

        left = draft_files(ws)
        assert [p.name for p in left if p.stat().st_size == 0] == [], f"seed {seed}"
        assert {str(p) for p in left} <= recorded_paths(ws, forms), f"seed {seed}"
        deliver(ws, prepare_send(ws, "review", today=TODAY))
        assert attached(ws) == names(forms), f"seed {seed}"
        assert {str(p) for p in draft_files(ws)} == recorded_paths(ws, forms), f"seed {seed}"
        assert [p.name for p in ws.path("outbox").iterdir() if p.suffix != ".eml"] == []
        assert list((ws.root / ".partnerships" / "tmp").glob("*")) == []


def test_an_smtp_send_killed_after_the_server_took_an_email_does_not_send_it_again(
        workspace, review_forms):
    import threading

    hold = threading.Event()
    taking = RawSmtpServer(hold=hold)
    with taking as port:
        ws = configure_smtp(workspace, port)
        process = start(ws.root, "send", "review", "--smtp")
        assert taking.took_message.wait(60)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        hold.set()

    handler = Recorder()
    with smtp_server(handler) as port:
        ws = configure_smtp(workspace, port)
        plan = prepare_send(ws, "review", today=TODAY)
        deliver(ws, plan, smtp=True)

    assert taking.recipients() == [DANIEL]
    assert sorted(handler.by_recipient()) == sorted(set(REVIEW_MANAGERS) - {DANIEL})
    (held,) = plan.held
    assert held.partnership_id == "P005" and MAYBE_SENT in held.message


def a_run_that_died() -> str:
    """How a run whose process has ended named itself in its claims."""
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return f"{socket.gethostname()}:{finished.pid}:dead-run"


def claim_as_dead_run(ws: Workspace, planned) -> tuple[Path, str]:
    """Claim a planned email as a run that then died would have: its draft name reserved."""
    message_id = new_message_id("partnerships@example.org")
    with Store(ws.path("store")) as store:
        claim = store.claim_send(
            key=planned.email.key, kind=planned.kind, issue_ids=list(planned.issue_ids),
            to_address=planned.email.to_address, via="draft", claimer=a_run_that_died(),
            message_id=message_id,
            pick_path=lambda reserved: str(draft_path(ws.path("outbox"), planned.email,
                                                      reserved)))
    assert claim.file_path is not None
    return Path(claim.file_path), message_id


def test_a_complete_draft_a_run_wrote_before_it_died_is_recorded_not_written_again(
        workspace, review_forms):
    plan = prepare_send(workspace, "review", today=TODAY)
    owen = next(e for e in plan.emails if e.email.to_address == OWEN)
    reserved, message_id = claim_as_dead_run(workspace, owen)
    write_draft(reserved, build_message(owen.email, "Partnerships", "partnerships@example.org",
                                        draft=True, message_id=message_id).as_bytes())

    again = prepare_send(workspace, "review", today=TODAY)
    deliver(workspace, again)

    assert any(str(reserved) in notice for notice in again.notices)
    assert attached(workspace) == names(review_forms)
    assert reserved in draft_files(workspace)


def test_an_empty_draft_a_run_left_when_it_died_is_removed_and_the_draft_written_again(
        workspace, review_forms):
    plan = prepare_send(workspace, "review", today=TODAY)
    owen = next(e for e in plan.emails if e.email.to_address == OWEN)
    reserved, _ = claim_as_dead_run(workspace, owen)
    reserved.write_bytes(b"")  # a file system without hard links claims the name this way

    deliver(workspace, prepare_send(workspace, "review", today=TODAY))

    assert [p for p in draft_files(workspace) if p.stat().st_size == 0] == []
    assert attached(workspace) == names(review_forms)


def test_a_send_stopped_with_ctrl_c_after_writing_a_draft_records_it(workspace, review_forms,
                                                                    monkeypatch):
    import generator.mail.plan

    real_write_draft, written = generator.mail.plan.write_draft, []

    def write_then_interrupt(path: Path, data: bytes) -> Path:
        written.append(real_write_draft(path, data))
        raise KeyboardInterrupt

    monkeypatch.setattr(generator.mail.plan, "write_draft", write_then_interrupt)
    stopped = run(workspace, "send", "review")
    monkeypatch.undo()
    run(workspace, "send", "review")

    assert stopped.exit_code == 130 and "Stopped (Ctrl+C)" in stopped.output
    assert written[0] in draft_files(workspace)
    assert attached(workspace) == names(review_forms)


# --------------------------------------------------------------------------- a lost answer


def test_an_email_whose_answer_was_lost_after_the_message_is_reported_and_not_sent_again(
        workspace, review_forms):
    dropping = RawSmtpServer(after_data=DROP)
    with dropping as port:
        configure_smtp(workspace, port)
        result = run(workspace, "send", "review", "--smtp")

    assert result.exit_code == 1
    assert sorted(dropping.recipients()) == REVIEW_MANAGERS  # each once, none retried
    lines = [line for line in result.stdout.splitlines() if line.startswith("unknown")]
    assert len(lines) == 4 and all(MAYBE_SENT in line for line in lines)


def test_an_email_that_may_have_been_sent_is_held_back_by_the_next_run(workspace,
                                                                      review_forms):
    with RawSmtpServer(after_data=DROP) as port:
        configure_smtp(workspace, port)
        run(workspace, "send", "review", "--smtp")
    handler = Recorder()
    with smtp_server(handler) as port:
        configure_smtp(workspace, port)

        result = run(workspace, "send", "review", "--smtp")

    assert handler.received == []
    assert result.stdout.count(MAYBE_SENT) == 5  # one held line per form


def test_send_resend_sends_an_email_that_may_have_been_sent_once_more(workspace, review_forms):
    with RawSmtpServer(after_data=DROP) as port:
        configure_smtp(workspace, port)
        run(workspace, "send", "review", "--smtp")
    handler = Recorder()
    with smtp_server(handler) as port:
        configure_smtp(workspace, port)

        result = run(workspace, "send", "review", "--smtp", "--resend")

    assert result.exit_code == 0, result.output
    assert sorted(rcpts[0] for _, rcpts, _ in handler.received) == REVIEW_MANAGERS


def test_status_says_an_email_that_may_have_been_sent_is_to_be_checked(workspace, review_forms):
    with RawSmtpServer(after_data=DROP) as port:
        configure_smtp(workspace, port)
        run(workspace, "send", "review", "--smtp")

    with Store(workspace.path("store")) as store:
        rows = status_rows(store, cycle=workspace.cycle, today=TODAY)

    assert {row.sent for row in rows} == {
        f"may have been emailed {dt.date.today().isoformat()}: check Sent Items"}


def test_a_reminder_whose_answer_was_lost_is_not_sent_again_the_same_day(workspace):
    issue_forms(workspace, "review", today=TODAY - dt.timedelta(days=38),
                due=TODAY - dt.timedelta(days=10))
    dropping = RawSmtpServer(after_data=DROP)
    with dropping as port:
        ws = configure_smtp(workspace, port)
        first = deliver(ws, prepare_chase(ws, today=TODAY), smtp=True)
        again = prepare_chase(ws, today=TODAY)
        deliver(ws, again, smtp=True)

    assert {r.status for r in first} == {"unknown"}
    assert sorted(dropping.recipients()) == REVIEW_MANAGERS
    assert again.emails == [] and all("may have been sent" in n.message for n in again.held)


# --------------------------------------------------------------------------- slow or refusing


def test_a_server_dripping_its_answers_is_given_up_at_the_deadline_with_a_clear_line(
        workspace, review_forms):
    # Not a byte of the greeting comes within the deadline, however short it is.
    with RawSmtpServer(drip="all", drip_every=2) as port:
        configure_smtp(workspace, port, deadline=0.3)
        started = time.monotonic()
        result = run(workspace, "send", "review", "--smtp")
        elapsed = time.monotonic() - started

    assert elapsed < 30
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    assert len(failed) == 4
    assert "did not finish within 0.3 seconds" in failed[0]
    assert all("not tried" in line for line in failed[1:])
    assert prepare_send(workspace, "review", today=TODAY).held == []  # free to send again


def test_a_server_dripping_its_answer_to_the_message_leaves_it_may_have_been_sent(
        workspace, review_forms):
    with RawSmtpServer(drip="after-data", drip_every=2) as port:
        ws = configure_smtp(workspace, port, deadline=1)
        started = time.monotonic()
        results = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)
        elapsed = time.monotonic() - started

    assert elapsed < 30
    assert [r.status for r in results] == ["unknown", "failed", "failed", "failed"]
    assert results[0].error is not None and MAYBE_SENT in results[0].error
    assert [n.partnership_id for n in prepare_send(ws, "review", today=TODAY).held] == ["P005"]


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_server_refusing_the_connection_sends_nothing_and_the_next_run_sends_everything(
        workspace, review_forms):
    ws = configure_smtp(workspace, closed_port())
    refused = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)
    handler = Recorder()
    with smtp_server(handler) as port:
        ws = configure_smtp(workspace, port)
        again = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)

    assert {r.status for r in refused} == {"failed"}
    assert all("connection refused" in (r.error or "") for r in refused)
    assert {r.status for r in again} == {"sent"} and len(again) == 4


def test_a_message_the_server_refuses_is_sent_by_the_next_run_without_resend(workspace,
                                                                            review_forms):
    with RawSmtpServer(after_data="554 5.6.0 Message refused") as port:
        ws = configure_smtp(workspace, port)
        refused = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)
    handler = Recorder()
    with smtp_server(handler) as port:
        ws = configure_smtp(workspace, port)
        again = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)

    assert {r.status for r in refused} == {"failed"}
    assert all("554 5.6.0 Message refused" in (r.error or "") for r in refused)
    assert sorted(r.to_address for r in again if r.status == "sent") == REVIEW_MANAGERS


# --------------------------------------------------------------------------- store and disk


def test_a_busy_store_stops_send_with_one_line_and_writes_no_draft(workspace, review_forms,
                                                                  monkeypatch):
    monkeypatch.setattr("generator.store.BUSY_TIMEOUT_SECONDS", 0.2)
    with holding_the_store(workspace):
        result = run(workspace, "send", "review")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "the store is busy" in result.output
    assert draft_files(workspace) == []
    assert len(run(workspace, "send", "review").stdout.splitlines()) == 4  # all go later


def test_a_full_disk_while_writing_drafts_stops_with_one_line_and_the_rerun_writes_the_rest(
        workspace, review_forms, monkeypatch):
    import generator.fileio as fileio

    real_write, drafts_written = fileio._finished_temp_file, []

    def disk_fills_up(path, data):
        if path.suffix == ".eml":
            drafts_written.append(path)
            if len(drafts_written) == 2:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(path, data)

    monkeypatch.setattr(fileio, "_finished_temp_file", disk_fills_up)
    result = run(workspace, "send", "review")
    monkeypatch.setattr(fileio, "_finished_temp_file", real_write)

    assert result.exit_code == 1
    assert "Traceback" not in result.output and "the disk is full" in result.output
    assert len(draft_files(workspace)) == 1
    run(workspace, "send", "review")
    assert attached(workspace) == names(review_forms)


# --------------------------------------------------------------------------- the store


def test_a_store_written_before_claims_keeps_its_sends_and_holds_those_forms_back(
        workspace, monkeypatch):
    before_claims = MIGRATIONS[:MIGRATIONS.index(store_module._v3_send_claims)]
    monkeypatch.setattr(store_module, "MIGRATIONS", before_claims)
    forms = issue_forms(workspace, "review", today=TODAY)  # the store as it was written
    p001, p002, p004 = (issue_of(forms.written, pid) for pid in ("P001", "P002", "P004"))
    db = sqlite3.connect(workspace.path("store"), isolation_level=None)
    db.execute("INSERT INTO sends (key, kind, issue_ids, to_address, prepared_at, sent_at, via, "
               "file_path) VALUES (?, 'send', ?, ?, '2026-11-20T09:00:00Z', NULL, 'draft', ?)",
               (f"send:{p002},{p004}", f'["{p002}", "{p004}"]', OWEN,
                str(workspace.path("outbox") / "Owen.eml")))
    db.execute("INSERT INTO sends (key, kind, issue_ids, to_address, prepared_at, sent_at, via, "
               "file_path) VALUES (?, 'send', ?, 'priya.natarajan@example.org', "
               "'2026-11-21T09:00:00Z', '2026-11-21T09:00:01Z', 'smtp', NULL)",
               (f"send:{p001}", f'["{p001}"]'))
    db.close()
    monkeypatch.undo()

    plan = prepare_send(workspace, "review", today=TODAY)

    assert sorted(n.partnership_id for n in plan.held) == ["P001", "P002", "P004"]
    assert "already sent to priya.natarajan@example.org on 21 November 2026" in plan.held[0].message
    assert sorted(pid for e in plan.emails for pid in e.partnership_ids) == ["P003", "P005"]
    with Store(workspace.path("store")) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert [r["state"] for r in store.sends_for_issue(p004)] == ["drafted"]
        assert [r["state"] for r in store.sends_for_issue(p001)] == ["sent"]


# --------------------------------------------------------------------------- memory


def peak_sending_drafts(ws: Workspace, forms: int, form_bytes: int) -> int:
    """The most memory (bytes, as tracemalloc counts it) that planning and writing the drafts
    of `forms` review forms of `form_bytes` each takes."""
    for form in with_partnerships(ws, forms):
        form.path.write_bytes(os.urandom(form_bytes))
    tracemalloc.start()
    try:
        deliver(ws, prepare_send(ws, "review", today=TODAY))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(draft_files(ws)) == forms
    return peak


def test_send_holds_one_email_in_memory_at_a_time(tmp_path):
    # Forms of random bytes (which do not compress) of 250 KB each. Holding every message
    # would add some 330 KB of encoded email a form: 4 MB from 4 forms to 16. Sending one at a
    # time adds only the plan's lines and the store's rows (some 0.3 MB here).
    one_form = 250_000
    few = peak_sending_drafts(init_workspace(tmp_path / "few", today=TODAY), 4, one_form)
    many = peak_sending_drafts(init_workspace(tmp_path / "many", today=TODAY), 16, one_form)

    assert many - few < 4 * one_form, f"4 forms: peak {few:,} bytes; 16 forms: {many:,}"
