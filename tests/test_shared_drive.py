"""A workspace on the council's shared drive, used by two officers on two PCs (issue 17).

Where a folder is (a network drive, a folder a sync client copies) is decided by pure
functions of what the computer reports; the first tests give them the path shapes of each
platform. The rest run the real command in processes of their own on a folder the toolkit
takes for an SMB share (tests/shares.py): two at once, one killed while it holds the lock.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

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
