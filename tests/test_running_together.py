"""Two officers at once, a laptop that dies half-way: nothing lost, nothing twice, no traceback.

These tests start the real command in processes of their own (tests/processes.py), run two
at the same moment or kill one with SIGKILL at a random point, and then look at the store
and the workspace's folders. What runs after them (the command again, once another was
killed) runs in the test's own process (`support.run_here`): what it does then does not depend
on the process it runs in.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import store as store_module
from generator.cli import main
from generator.lock import lock_file
from generator.register import example_rows, write_register
from generator.store import Store
from generator.workspace import Workspace

from processes import REPO, children, environment, running, start, wait_until
from support import complete_answers, fill, run_here, set_setting

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads processes from /proc")


def many_partnerships(ws: Workspace, count: int) -> None:
    """A register of `count` in-scope partnerships in the Deliver phase."""
    template = next(r for r in example_rows() if r["id"] == "P001")
    rows = [{**template, "id": f"B{n:04d}", "name": f"Shared Service {n}"}
            for n in range(1, count + 1)]
    write_register(ws.path("register"), rows)


def issued_by_partnership(ws: Workspace) -> dict[str, int]:
    with Store(ws.path("store")) as store:
        counts: dict[str, int] = {}
        for issued in store.all_issued():
            counts[issued.partnership_id] = counts.get(issued.partnership_id, 0) + 1
    return counts


def kill_while_working(ws: Workspace, process: subprocess.Popen[str], after: float) -> None:
    """Kill the command `after` seconds into its work: from when it takes the workspace's
    writer lock, having started up and read what it needs (it may have ended by then)."""
    wait_until(lambda: lock_file(ws.root).exists() or process.poll() is not None, timeout=60)
    time.sleep(after)
    process.send_signal(signal.SIGKILL)


def no_traceback(*outputs: str) -> None:
    for output in outputs:
        assert "Traceback" not in output, output


# ---- two commands at once ---------------------------------------------------------------


def test_two_forms_commands_at_once_issue_each_form_once(workspace):
    many_partnerships(workspace, 12)

    first, second = start(workspace.root, "forms", "review"), start(workspace.root, "forms",
                                                                    "review")
    results = [p.communicate(timeout=120) for p in (first, second)]

    no_traceback(*(out + err for out, err in results))
    assert issued_by_partnership(workspace) == {f"B{n:04d}": 1 for n in range(1, 13)}
    assert len(list((workspace.path("issued") / "review").iterdir())) == 12


def test_two_collect_commands_at_once_take_each_return_in_once(workspace, explore_forms):
    for form in explore_forms:
        fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    folder = workspace.path("returns")

    first, second = start(workspace.root, "collect", str(folder)), start(
        workspace.root, "collect", str(folder))
    results = [p.communicate(timeout=120) for p in (first, second)]

    no_traceback(*(out + err for out, err in results))
    assert sorted(p.returncode for p in (first, second)) == [0, 0]
    with Store(workspace.path("store")) as store:
        kept = store.all_returns()
    assert sorted(r.issue_id for r in kept) == sorted(f.issue_id for f in explore_forms)
    words = [line.split()[0] for out, _ in results for line in out.splitlines()
             if not line.startswith(" ")]
    assert sorted(words) == sorted(["accepted"] * 3 + ["duplicate"] * 3)


def test_a_second_command_waits_then_says_who_is_working_in_the_workspace(workspace):
    workspace = set_setting(workspace, "lock_wait_seconds", "0.5")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from generator.lock import writer_lock
            with writer_lock(Path({str(workspace.root)!r}), "report scrutiny"):
                print("holding", flush=True)
                time.sleep(60)
        """)], cwd=REPO, env=environment(), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"

        result = run_here(workspace, "forms", "review")
    finally:
        holder.kill()
        holder.communicate()

    assert result.exit_code == 1
    no_traceback(result.stderr)
    (line,) = result.stderr.strip().splitlines()
    assert "the workspace is in use" in line
    assert "has been running 'partnerships report scrutiny'" in line
    assert "Nothing was changed; try again when it ends" in line
    assert issued_by_partnership(workspace) == {}


def test_a_lock_left_by_a_killed_command_is_cleared_with_a_note(workspace):
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pathlib import Path
            from generator.lock import writer_lock
            with writer_lock(Path({str(workspace.root)!r}), "collect"):
                print("holding", flush=True)
                time.sleep(60)
        """)], cwd=REPO, env=environment(), stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    holder.send_signal(signal.SIGKILL)
    holder.communicate()

    result = run_here(workspace, "forms", "review")

    assert result.exit_code == 0, result.stderr
    assert "'partnerships collect' by" in result.stderr
    assert "ended without finishing; its lock on the workspace was cleared" in result.stderr
    assert len(issued_by_partnership(workspace)) == 5


# ---- a command killed half-way -----------------------------------------------------------


def kill_while_issuing(ws: Workspace, process: subprocess.Popen[str], written: int,
                       into: float) -> None:
    """Kill `forms` `into` seconds after it has taken the lock and written `written` forms:
    while it works on the next one (it may have ended by then)."""
    folder = ws.path("issued") / "review"
    wait_until(lambda: process.poll() is not None or (
        lock_file(ws.root).exists() and folder.is_dir()
        and len(list(folder.glob("*.docx"))) >= written), timeout=60, interval=0.002)
    time.sleep(into)
    process.send_signal(signal.SIGKILL)


@linux_only
@pytest.mark.parametrize("trial", range(2))
def test_forms_killed_at_a_random_moment_leave_nothing_half_issued(workspace, trial):
    many_partnerships(workspace, 30)
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    process = start(workspace.root, "forms", "review")
    # Killed while it issues a form picked at random, some time into it: issuing the 30 takes
    # about 0.3 s, 10 ms a form. (Killed at a random time instead, most trials came after the
    # last form and tried nothing.) Each run of the suite tries other points.
    kill_while_issuing(workspace, process, rng.randrange(30), rng.uniform(0, 0.012))
    process.communicate()

    again = run_here(workspace, "forms", "review")

    assert again.exit_code == 0, f"seed {seed}: {again.stderr}"
    no_traceback(again.stderr)
    assert issued_by_partnership(workspace) == {f"B{n:04d}": 1 for n in range(1, 31)}, \
        f"seed {seed}"
    with Store(workspace.path("store")) as store:
        recorded = {Path(i.file_path) for i in store.all_issued()}
    on_disk = set((workspace.path("issued") / "review").iterdir())
    assert on_disk == recorded, f"seed {seed}"
    assert list((workspace.root / ".partnerships" / "tmp").iterdir()) == []


@linux_only
def test_render_workers_end_within_seconds_of_their_parent_being_killed(workspace):
    many_partnerships(workspace, 400)  # enough for the forms to be rendered by workers
    process = start(workspace.root, "forms", "review")
    assert wait_until(lambda: len(children(process.pid)) >= 2, timeout=60), \
        "the workers never started"
    workers = children(process.pid)

    os.kill(process.pid, signal.SIGKILL)
    process.communicate()

    assert wait_until(lambda: not any(running(pid) for pid in workers), timeout=3), \
        f"workers {workers} outlived their parent"


# ---- a store another program holds, a full disk -------------------------------------------


def test_a_store_held_by_another_program_gives_one_line_per_file_not_a_traceback(
        workspace, explore_forms, monkeypatch):
    paths = [fill(workspace, f, complete_answers(workspace, "explore", f.partnership_id))
             for f in explore_forms]
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    Store(workspace.path("store")).close()
    other = sqlite3.connect(workspace.path("store"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # as a database browser holding a write open
    try:
        result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "collect",
                                           *map(str, paths)])
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    not_taken = [line for line in result.stdout.splitlines() if line.startswith("not taken")]
    assert len(not_taken) == 3
    assert "the store is busy" in result.stdout and "run collect again" in result.stdout


def test_a_full_disk_while_issuing_is_one_line_saying_what_to_do(workspace, monkeypatch):
    import errno

    import generator.forms.issue as forms_module

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(forms_module, "write_new", full)

    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "forms", "review"])

    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: the disk is full, so ")
    assert "free some space and run the command again" in line


def test_two_commands_opening_a_new_store_at_once_both_find_it_ready(tmp_path):
    import threading

    for trial in range(10):
        path = tmp_path / f"store-{trial}.sqlite"
        errors: list[BaseException] = []

        def open_store(path: Path = path, errors: list[BaseException] = errors) -> None:
            try:
                Store(path).close()
            except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        with Store(path) as store:
            assert store.all_issued() == []


@pytest.mark.parametrize("trial", range(2))
def test_a_paper_killed_at_a_random_moment_is_never_left_without_its_annex(workspace, trial):
    rng = random.Random(trial)
    process = start(workspace.root, "report", "scrutiny")
    kill_while_working(workspace, process, rng.uniform(0, 0.3))  # writing takes ~0.25 s
    process.communicate()

    again = run_here(workspace, "report", "scrutiny")

    assert again.exit_code == 0, again.stderr
    papers = {p.stem for p in workspace.path("reports").glob("*.docx")}
    annexes = {p.stem for p in workspace.path("reports").glob("*.xlsx")}
    assert papers == annexes and papers
