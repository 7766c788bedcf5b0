"""A workspace on the council's shared drive, used by two officers on two PCs (issue 17).

Where a folder is (a network drive, a folder a sync client copies) is decided by pure
functions of what the computer reports; the first tests give them the path shapes of each
platform. The rest run the real command in processes of their own on a folder the toolkit
takes for an SMB share (tests/shares.py): two at once, one killed while it holds the lock.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.drives import (
    DRIVE_FIXED,
    DRIVE_REMOTE,
    Facts,
    Mount,
    SyncFolder,
    facts_for,
    network_drive,
    parse_mountinfo,
    sync_folder,
)
from generator.lock import lock_file
from generator.register import example_rows, write_register
from generator.store import Store
from generator.workspace import Workspace, init_workspace

from conftest import TODAY
from processes import REPO, environment, run, start, wait_until
from shares import SHARE_SOURCE, pretend_share
from support import complete_answers, fill, run_here, set_setting

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="pretends a share through /proc/self/mountinfo")


# ---- Windows: the shape of the path, and what Windows says of a drive letter ----------------


def test_a_unc_path_is_on_a_network_share():
    assert network_drive(Facts("win32", r"\\fs01\shared\Partnerships")) == \
        r"a network share (\\fs01\shared)"


def test_a_long_unc_path_is_on_a_network_share():
    assert network_drive(Facts("win32", r"\\?\UNC\fs01\shared\Partnerships")) == \
        r"a network share (\\fs01\shared)"


def test_a_drive_letter_windows_calls_remote_is_a_network_drive_naming_its_share():
    facts = Facts("win32", r"S:\Partnerships", drive_type=DRIVE_REMOTE,
                  drive_target=r"\\fs01\shared")

    assert network_drive(facts) == r"the network drive S: (\\fs01\shared)"


def test_a_long_path_on_a_mapped_drive_letter_is_a_network_drive():
    facts = Facts("win32", r"\\?\S:\Partnerships", drive_type=DRIVE_REMOTE)

    assert network_drive(facts) == "the network drive S:"


def test_a_fixed_drive_letter_is_not_a_network_drive():
    assert network_drive(Facts("win32", r"C:\Partnerships", drive_type=DRIVE_FIXED)) == ""


# ---- Linux and macOS: the type of the mount holding the path -------------------------------

LINUX_MOUNTS = parse_mountinfo(textwrap.dedent("""\
    22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
    40 22 0:50 / /mnt/shared rw,relatime shared:40 - cifs //fs01/shared rw,vers=3.1.1
    41 22 0:51 / /home/jane/team\\040files rw shared:41 - nfs4 fs02:/export/team rw
    42 40 0:52 / /mnt/shared/scratch rw - tmpfs tmpfs rw
    43 22 0:53 / /media/jane/laptop rw - fuse.sshfs jane@laptop:/ rw
    44 22 0:54 / /mnt/shared-old rw - ext4 /dev/sdb1 rw
"""))


@pytest.mark.parametrize(("path", "mount"), [
    ("/mnt/shared/Partnerships", "//fs01/shared mounted at /mnt/shared, cifs"),
    ("/home/jane/team files/Partnerships", "fs02:/export/team mounted at /home/jane/team "
                                           "files, nfs4"),
    ("/media/jane/laptop/Partnerships", "jane@laptop:/ mounted at /media/jane/laptop, "
                                        "fuse.sshfs"),
])
def test_a_linux_folder_on_a_network_mount_is_on_a_network_share(path, mount):
    assert network_drive(Facts("linux", path, LINUX_MOUNTS)) == f"a network share ({mount})"


@pytest.mark.parametrize("path", [
    "/home/jane/Partnerships",
    "/mnt/shared-old/Partnerships",  # a name beginning like a share's is not inside it
    "/mnt/shared/scratch/Partnerships",  # a local mount inside a share hides it
])
def test_a_linux_folder_on_a_local_mount_is_not_on_a_network_share(path):
    assert network_drive(Facts("linux", path, LINUX_MOUNTS)) == ""


def test_a_mac_folder_on_an_smb_volume_is_on_a_network_share():
    facts = Facts("darwin", "/Volumes/Partnerships/2026", (
        Mount("/Volumes/Partnerships", "smbfs", "//jane@fs01/Partnerships", local=False),))

    assert network_drive(facts) == ("a network share (//jane@fs01/Partnerships mounted at "
                                    "/Volumes/Partnerships, smbfs)")


def test_a_mac_folder_on_a_file_system_of_unknown_type_not_marked_local_is_on_the_network():
    facts = Facts("darwin", "/Volumes/Team/2026", (
        Mount("/Volumes/Team", "acmefs", "acme://team", local=False),))

    assert network_drive(facts) != ""


def test_a_mac_folder_on_the_startup_disk_is_not_on_a_network_share():
    facts = Facts("darwin", "/Users/jane/Partnerships", (
        Mount("/System/Volumes/Data", "apfs", "/dev/disk3s5", local=True),))

    assert network_drive(facts) == ""


# ---- sync clients ----------------------------------------------------------------------------


def test_a_folder_inside_the_onedrive_folder_windows_names_is_synced_by_onedrive():
    facts = Facts("win32", r"D:\Sync\OneDrive - Anytown Council\Partnerships",
                  home=r"C:\Users\jane",
                  sync_roots=(("OneDrive", r"D:\Sync\OneDrive - Anytown Council"),))

    assert sync_folder(facts) == SyncFolder("OneDrive", r"D:\Sync\OneDrive - Anytown Council")


@pytest.mark.parametrize(("platform", "home", "path", "expected"), [
    ("win32", r"C:\Users\jane", r"c:\users\JANE\OneDrive - Anytown Council\Partnerships",
     SyncFolder("OneDrive", r"C:\Users\jane\OneDrive - Anytown Council")),
    ("win32", r"C:\Users\jane", r"C:\Users\jane\Dropbox (Anytown)\Partnerships",
     SyncFolder("Dropbox", r"C:\Users\jane\Dropbox (Anytown)")),
    ("win32", r"C:\Users\jane", r"C:\Users\jane\iCloudDrive\Partnerships",
     SyncFolder("iCloud Drive", r"C:\Users\jane\iCloudDrive")),
    ("win32", r"C:\Users\jane", r"C:\Users\jane\Box\Partnerships",
     SyncFolder("Box", r"C:\Users\jane\Box")),
    ("win32", r"C:\Users\jane", r"G:\My Drive\Partnerships",
     SyncFolder("Google Drive", r"G:\My Drive")),
    ("darwin", "/Users/jane", "/Users/jane/Library/CloudStorage/OneDrive-AnytownCouncil/P",
     SyncFolder("OneDrive", "/Users/jane/Library/CloudStorage/OneDrive-AnytownCouncil")),
    ("darwin", "/Users/jane", "/Users/jane/Library/CloudStorage/GoogleDrive-jane@example.org"
                              "/My Drive/P",
     SyncFolder("Google Drive", "/Users/jane/Library/CloudStorage/GoogleDrive-jane@example.org")),
    ("darwin", "/Users/jane", "/Users/jane/Library/CloudStorage/Box-Box/P",
     SyncFolder("Box", "/Users/jane/Library/CloudStorage/Box-Box")),
    ("darwin", "/Users/jane", "/Users/jane/Library/Mobile Documents/com~apple~CloudDocs/P",
     SyncFolder("iCloud Drive", "/Users/jane/Library/Mobile Documents")),
    ("linux", "/home/jane", "/home/jane/OneDrive/Partnerships",
     SyncFolder("OneDrive", "/home/jane/OneDrive")),
])
def test_a_folder_in_a_sync_clients_own_folder_is_synced_by_it(platform, home, path, expected):
    assert sync_folder(Facts(platform, path, home=home)) == expected


@pytest.mark.parametrize(("platform", "home", "path"), [
    ("win32", r"C:\Users\jane", r"C:\Users\jane\Documents\Partnerships"),
    ("win32", r"C:\Users\jane", r"S:\Post\Box\Partnerships"),
    ("darwin", "/Users/jane", "/Users/jane/Documents/Partnerships"),
    ("linux", "/home/jane", "/home/jane/work/Dropbox notes/Partnerships"),
])
def test_a_folder_no_sync_client_owns_is_not_synced(platform, home, path):
    assert sync_folder(Facts(platform, path, home=home)) is None


def test_a_folder_below_dropbox_s_marker_file_is_synced_by_dropbox(tmp_path):
    (tmp_path / "Team Dropbox").mkdir()
    (tmp_path / "Team Dropbox" / ".dropbox").write_text("{}", encoding="utf-8")
    workspace = tmp_path / "Team Dropbox" / "Partnerships"
    workspace.mkdir()

    assert sync_folder(facts_for(workspace)) == SyncFolder("Dropbox",
                                                           str(tmp_path / "Team Dropbox"))


# ---- the store's journal -------------------------------------------------------------------


def test_a_store_on_a_share_uses_the_rollback_journal(tmp_path, monkeypatch):
    pretend_share(tmp_path, monkeypatch)

    with Store(tmp_path / "store.sqlite") as store:
        assert store.journal_mode == "delete"


def test_a_store_in_a_synced_folder_uses_the_rollback_journal(tmp_path):
    (tmp_path / ".dropbox").write_text("{}", encoding="utf-8")

    with Store(tmp_path / "store.sqlite") as store:
        assert store.journal_mode == "delete"


def integrity(path: Path) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()


def journal_kept_in(path: Path) -> str:
    """The journal mode the store file itself records (read without the toolkit, which would
    choose one for this computer)."""
    db = sqlite3.connect(path)
    try:
        return str(db.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        db.close()


def test_a_store_moved_onto_a_share_keeps_what_was_only_in_its_write_ahead_log(workspace,
                                                                               monkeypatch):
    # A command that died on the local disk with its last changes still only in the WAL.
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import datetime as dt, time
        from pathlib import Path
        from generator.forms.issue import issue_forms
        from generator.store import Store
        from generator.workspace import open_workspace
        ws = open_workspace(Path({str(workspace.root)!r}))
        held = Store(ws.path("store"))  # kept open, so closing the others checkpoints nothing
        issue_forms(ws, "explore", today=dt.date(2026, 11, 25))
        print("issued", flush=True)
        time.sleep(60)
    """)], cwd=REPO, env=environment(), stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline() == "issued\n"
    writer.send_signal(signal.SIGKILL)
    writer.communicate()
    store_path = workspace.path("store")
    assert Path(f"{store_path}-wal").stat().st_size > 0
    pretend_share(workspace.root, monkeypatch)

    with Store(store_path) as store:
        mode, issued = store.journal_mode, store.all_issued()

    assert mode == "delete"
    assert sorted(i.partnership_id for i in issued) == ["P007", "P008", "P009"]
    assert not Path(f"{store_path}-wal").exists()
    assert integrity(store_path) == "ok"


@linux_only
def test_a_store_moved_from_a_share_to_a_local_disk_goes_back_to_wal_keeping_everything(
        workspace):
    on_share = run(workspace.root, "forms", "explore", share=workspace.root)
    assert on_share.returncode == 0, on_share.stderr

    with Store(workspace.path("store")) as store:
        mode, issued = store.journal_mode, store.all_issued()

    assert mode == "wal"
    assert sorted(i.partnership_id for i in issued) == ["P007", "P008", "P009"]
    assert integrity(workspace.path("store")) == "ok"


# ---- two officers on two PCs ---------------------------------------------------------------


def many_partnerships(ws: Workspace, count: int) -> None:
    """A register of `count` in-scope partnerships in the Deliver phase."""
    template = next(r for r in example_rows() if r["id"] == "P001")
    rows = [{**template, "id": f"B{n:04d}", "name": f"Shared Service {n}"}
            for n in range(1, count + 1)]
    write_register(ws.path("register"), rows)


def lock_left_behind(ws: Workspace, command: str, *, computer: str | None = None,
                     keep: bool = False) -> subprocess.Popen[str]:
    """A command (on `computer`, else this one) that took the writer lock; killed at once
    unless `keep`, when the caller ends it."""
    pretend = f"socket.gethostname = lambda: {computer!r}" if computer else ""
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import socket, time
        {pretend}
        from pathlib import Path
        from generator.lock import writer_lock
        with writer_lock(Path({str(ws.root)!r}), {command!r}):
            print("holding", flush=True)
            time.sleep(120)
    """)], cwd=REPO, env=environment(), stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
    if not keep:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    return holder


@linux_only
def test_two_officers_changing_a_workspace_on_a_share_at_once_lose_nothing(workspace,
                                                                         explore_forms):
    for form in explore_forms:
        fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    many_partnerships(workspace, 12)
    workspace = set_setting(workspace, "lock_wait_seconds", "120")
    share = workspace.root

    issuing = start(workspace.root, "forms", "review", share=share)
    collecting = start(workspace.root, "collect", str(workspace.path("returns")), share=share)
    results = [p.communicate(timeout=180) for p in (issuing, collecting)]

    assert [p.returncode for p in (issuing, collecting)] == [0, 0], results
    assert journal_kept_in(workspace.path("store")) == "delete"
    with Store(workspace.path("store")) as store:
        reviews = [i.partnership_id for i in store.all_issued(form_type="review")]
        kept = sorted(r.issue_id or "" for r in store.all_returns())
    assert sorted(reviews) == [f"B{n:04d}" for n in range(1, 13)]
    assert kept == sorted(f.issue_id for f in explore_forms)
    assert integrity(workspace.path("store")) == "ok"


@linux_only
def test_a_command_killed_while_it_holds_the_lock_on_a_share_is_taken_over_and_its_work_kept(
        workspace):
    many_partnerships(workspace, 30)
    share = workspace.root
    issued_folder = workspace.path("issued") / "review"
    first = start(workspace.root, "forms", "review", share=share)
    assert wait_until(lambda: issued_folder.is_dir() and any(issued_folder.iterdir()),
                      timeout=120), "no form was ever issued"
    assert lock_file(workspace.root).exists()
    first.send_signal(signal.SIGKILL)
    first.communicate()

    again = run(workspace.root, "forms", "review", share=share)

    assert again.returncode == 0, again.stderr
    assert "ended without finishing; its lock on the workspace was cleared" in again.stderr
    assert journal_kept_in(workspace.path("store")) == "delete"
    assert not Path(f"{workspace.path('store')}-journal").exists()
    with Store(workspace.path("store")) as store:
        issued = store.all_issued(form_type="review")
    assert sorted(i.partnership_id for i in issued) == [f"B{n:04d}" for n in range(1, 31)]
    assert sorted(issued_folder.iterdir()) == sorted(Path(i.file_path) for i in issued)
    assert integrity(workspace.path("store")) == "ok"


def test_a_lock_another_computer_left_is_taken_over_once_older_than_the_settings_allow(
        workspace):
    lock_left_behind(workspace, "collect", computer="PC-FINANCE-07")
    thirteen_hours_ago = time.time() - 13 * 3600
    os.utime(lock_file(workspace.root), (thirteen_hours_ago, thirteen_hours_ago))

    result = run_here(workspace, "forms", "review")

    assert result.exit_code == 0, result.stderr
    assert ("the lock taken by" in result.stderr and "on PC-FINANCE-07 for 'partnerships "
            "collect' is older than 12 hours; its lock on the workspace was cleared"
            in result.stderr)


def test_a_recent_lock_of_another_computer_is_waited_for_although_its_process_is_not_here(
        workspace):
    lock_left_behind(workspace, "collect", computer="PC-FINANCE-07")
    workspace = set_setting(workspace, "lock_wait_seconds", "0.5")

    result = run_here(workspace, "forms", "review")

    assert result.exit_code == 1
    assert "on PC-FINANCE-07 has been running 'partnerships collect'" in result.stderr


@linux_only
@pytest.mark.parametrize("command", [["status"], ["history", "P001"]])
def test_a_reading_command_on_a_share_does_not_wait_for_a_command_changing_it(workspace,
                                                                             command):
    workspace = set_setting(workspace, "lock_wait_seconds", "600")
    holder = lock_left_behind(workspace, "collect", keep=True)
    try:
        result = run(workspace.root, *command, share=workspace.root, timeout=120)
    finally:
        holder.kill()
        holder.communicate()

    assert result.returncode == 0, result.stderr
    assert "in use" not in result.stderr


@pytest.mark.parametrize("command", [["templates", "build", "--replace"], ["export"]])
def test_a_command_writing_files_into_the_workspace_waits_for_the_lock_and_says_who_holds_it(
        workspace, command):
    workspace = set_setting(workspace, "lock_wait_seconds", "0.5")
    holder = lock_left_behind(workspace, "collect", keep=True)
    try:
        result = run_here(workspace, *command)
    finally:
        holder.kill()
        holder.communicate()

    assert result.exit_code == 1
    assert "the workspace is in use" in result.stderr
    assert "has been running 'partnerships collect'" in result.stderr


# ---- status and the sync warning -----------------------------------------------------------


@linux_only
def test_status_says_the_workspace_is_on_a_network_drive_and_which_journal_the_store_uses(
        workspace):
    result = run(workspace.root, "status", share=workspace.root)

    assert result.returncode == 0, result.stderr
    assert (f"The workspace is on a network share ({SHARE_SOURCE} mounted at "
            f"{workspace.root}, cifs): the store uses a rollback journal, so"
            in result.stderr)


def test_status_says_a_workspace_on_a_local_disk_uses_a_write_ahead_log(workspace):
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "status"])

    assert result.exit_code == 0, result.output
    assert ("The workspace is on a local disk: the store uses a write-ahead log (WAL)"
            in result.stderr)


def test_a_workspace_in_a_synced_folder_is_warned_about_once_naming_the_folder(tmp_path):
    dropbox = tmp_path / "Dropbox"
    dropbox.mkdir()
    (dropbox / ".dropbox").write_text("{}", encoding="utf-8")
    ws = init_workspace(dropbox / "Partnerships", today=TODAY)

    first, second = (CliRunner().invoke(main, ["--workspace", str(ws.root), "status"])
                     for _ in range(2))

    assert first.exit_code == 0 and second.exit_code == 0
    assert (f"warning: the workspace is inside {dropbox}, which Dropbox keeps in sync: it may "
            "copy store.sqlite while a command is writing to it" in first.stderr)
    assert "warning:" not in second.stderr


# ---- partnerships unlock -------------------------------------------------------------------


def unlock(ws: Workspace, *args: str, answer: str | None = None):
    return CliRunner().invoke(main, ["--workspace", str(ws.root), "unlock", *args],
                              input=answer)


def test_unlock_without_a_lock_says_there_is_nothing_to_clear(workspace):
    result = unlock(workspace)

    assert result.exit_code == 0
    assert "No command holds the workspace's lock, so there is nothing to clear" in result.stdout


def test_unlock_says_who_holds_the_lock_and_since_when_and_keeps_it_when_told_no(workspace):
    lock_left_behind(workspace, "collect")

    result = unlock(workspace, answer="n\n")

    assert result.exit_code == 1
    assert "has been running 'partnerships collect' in this workspace since" in result.stdout
    assert "The lock was kept. Nothing was changed." in result.stderr
    assert lock_file(workspace.root).exists()


def test_unlock_clears_the_lock_when_told_yes(workspace):
    lock_left_behind(workspace, "collect")

    result = unlock(workspace, answer="y\n")

    assert result.exit_code == 0, result.output
    assert "The lock was cleared" in result.stdout
    assert not lock_file(workspace.root).exists()


def test_unlock_with_yes_clears_the_lock_without_asking(workspace):
    lock_left_behind(workspace, "collect")

    result = unlock(workspace, "--yes")

    assert result.exit_code == 0, result.output
    assert "Clear the lock?" not in result.output
    assert not lock_file(workspace.root).exists()


def test_unlock_says_when_the_lock_s_command_ended_without_finishing_on_this_computer(
        workspace):
    lock_left_behind(workspace, "collect")

    result = unlock(workspace, answer="n\n")

    assert "That command is no longer running: it ended without finishing" in result.stdout


def test_unlock_says_when_the_lock_s_command_is_still_running_on_this_computer(workspace):
    holder = lock_left_behind(workspace, "collect", keep=True)
    try:
        result = unlock(workspace, answer="n\n")
    finally:
        holder.kill()
        holder.communicate()

    assert f"That command is still running on this computer (process {holder.pid})." \
        in result.stdout
