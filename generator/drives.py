"""Where a folder is: this computer's own disk, a network drive, or a folder a sync client copies.

SQLite's write-ahead log needs every program using a database to run on one computer (they
share memory), and file locking over a network is only as good as the network's file system;
a sync client such as OneDrive copies files whenever it likes, even half-written. So the
store and the officer need to know where a workspace is.

Each answer is a pure function of facts about the path (`Facts`): the mounts on Linux and
macOS, the drive type of a Windows drive letter, the sync folders the computer knows of. Tests
give these functions the shapes of each platform; `facts_for` gathers the facts on the running
computer. Nothing here knows about partnerships.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

# File systems whose files live on another computer (Linux /proc/self/mountinfo and macOS
# statfs names). A FUSE file system is named "fuse.NAME"; those listed reach a server.
NETWORK_FILE_SYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "smb2", "9p", "afs", "ceph", "glusterfs",
    "davfs", "webdav", "afpfs", "ncpfs", "coda", "lustre", "gpfs", "beegfs", "ocfs2", "gfs2",
    "orangefs", "pvfs2", "ftp", "fuse.sshfs", "fuse.glusterfs", "fuse.cephfs",
    "fuse.ceph-fuse", "fuse.rclone", "fuse.s3fs", "fuse.davfs2", "fuse.gvfsd-fuse",
    "fuse.smbnetfs", "fuse.curlftpfs", "fuse.juicefs", "fuse.gcsfuse", "fuse.moosefs",
})
DRIVE_REMOTE = 4  # GetDriveTypeW: a network drive
DRIVE_FIXED = 3
# Attributes a Windows cloud files provider (OneDrive, Dropbox, Box...) sets on its files.
_CLOUD_ATTRIBUTES = 0x00040000 | 0x00080000 | 0x00100000 | 0x00400000


@dataclass(frozen=True)
class Mount:
    """One mounted file system: where it is mounted, its type, and what it mounts."""

    point: str
    fstype: str
    source: str = ""
    local: bool | None = None  # macOS MNT_LOCAL; None where the platform does not say


@dataclass(frozen=True)
class Facts:
    """What the computer says about a path: the input of `network_drive` and `sync_folder`."""

    platform: str  # as sys.platform: "win32", "linux", "darwin"
    path: str  # absolute
    mounts: tuple[Mount, ...] = ()  # Linux and macOS
    drive_type: int | None = None  # Windows: GetDriveTypeW of the path's drive letter
    drive_target: str = ""  # Windows: the share a mapped drive letter stands for
    home: str = ""
    sync_roots: tuple[tuple[str, str], ...] = ()  # (sync client, its folder) known here
    cloud_files: bool = False  # Windows: the folder is a cloud files placeholder


@dataclass(frozen=True)
class SyncFolder:
    """A folder a sync client keeps copied to the cloud (and to the officer's other PCs)."""

    client: str  # "OneDrive"
    folder: str


@dataclass(frozen=True)
class Location:
    """Where a folder is: `network` describes the network drive ('' on a local disk)."""

    path: str
    network: str = ""
    sync: SyncFolder | None = None


def _pure(platform: str, path: str) -> PurePath:
    return PureWindowsPath(path) if platform == "win32" else PurePosixPath(path)


def _key(platform: str, path: PurePath) -> tuple[str, ...]:
    # Windows and macOS compare names without regard to case.
    parts = path.parts
    return tuple(p.casefold() for p in parts) if platform in ("win32", "darwin") else parts


def _within(platform: str, path: PurePath, folder: PurePath) -> bool:
    inner, outer = _key(platform, path), _key(platform, folder)
    return len(inner) >= len(outer) and inner[:len(outer)] == outer


def network_drive(facts: Facts) -> str:
    """How the network drive holding `facts.path` is described, or '' for a local disk."""
    if facts.platform == "win32":
        return _windows_network_drive(facts)
    mount = holding_mount(facts)
    if mount is None:
        return ""
    if mount.fstype in NETWORK_FILE_SYSTEMS or mount.local is False:
        source = f"{mount.source} " if mount.source else ""
        return f"a network share ({source}mounted at {mount.point}, {mount.fstype})"
    return ""


def _windows_network_drive(facts: Facts) -> str:
    drive = PureWindowsPath(facts.path).drive
    folded = drive.casefold()
    if folded.startswith("\\\\?\\unc\\"):
        return f"a network share (\\\\{drive[8:]})"
    if folded.startswith(("\\\\?\\", "\\\\.\\")):
        drive = drive[4:]  # a long path or device path of a drive letter: \\?\C:
    elif drive.startswith("\\\\"):
        return f"a network share ({drive})"
    if facts.drive_type == DRIVE_REMOTE:
        target = f" ({facts.drive_target})" if facts.drive_target else ""
        return f"the network drive {drive}{target}"
    return ""


def holding_mount(facts: Facts) -> Mount | None:
    """The mount the path is on: the one with the longest mount point containing it."""
    path = _pure(facts.platform, facts.path)
    found: Mount | None = None
    for mount in facts.mounts:
        point = _pure(facts.platform, mount.point)
        if _within(facts.platform, path, point) and (
                found is None or len(point.parts) >= len(_pure(facts.platform,
                                                               found.point).parts)):
            found = mount  # a later mount on the same point hides an earlier one
    return found


# Folders named after a sync client, directly in the home folder (or in macOS's CloudStorage,
# where each provider's folder is "Provider-account").
_HOME_FOLDERS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("OneDrive", lambda name: name == "onedrive" or name.startswith(("onedrive - ",
                                                                     "onedrive-"))),
    ("Dropbox", lambda name: name == "dropbox" or name.startswith(("dropbox (", "dropbox-"))),
    ("Google Drive", lambda name: name in ("google drive", "my drive")
     or name.startswith("googledrive")),
    ("iCloud Drive", lambda name: name in ("icloud drive", "iclouddrive")),
    ("Box", lambda name: name in ("box", "box sync") or name.startswith("box-")),
)


def sync_folder(facts: Facts) -> SyncFolder | None:
    """The sync client's folder holding `facts.path`, or None when none copies it."""
    platform = facts.platform
    path = _pure(platform, facts.path)
    for client, root in facts.sync_roots:
        if root and _within(platform, path, _pure(platform, root)):
            return SyncFolder(client, root)
    if facts.home:
        home = _pure(platform, facts.home)
        if _within(platform, path, home):
            found = _named_sync_folder(platform, path, home)
            if found is not None:
                return found
    if platform == "win32" and len(path.parts) > 1 and path.parts[1].casefold() == "my drive":
        # Google Drive for desktop shows itself as a drive letter holding "My Drive".
        return SyncFolder("Google Drive", str(PureWindowsPath(path.parts[0], path.parts[1])))
    if facts.cloud_files:
        return SyncFolder("a cloud sync client", facts.path)
    return None


def _named_sync_folder(platform: str, path: PurePath, home: PurePath) -> SyncFolder | None:
    rest = path.parts[len(home.parts):]
    if not rest:
        return None
    folded = [part.casefold() for part in rest]
    if folded[:2] == ["library", "cloudstorage"] and len(rest) > 2:
        provider = rest[2]
        client = next((name for name, matches in _HOME_FOLDERS
                       if matches(provider.casefold())), provider.split("-")[0])
        return SyncFolder(client, str(home.joinpath(*rest[:3])))
    if folded[:2] == ["library", "mobile documents"]:
        return SyncFolder("iCloud Drive", str(home.joinpath(*rest[:2])))
    for client, matches in _HOME_FOLDERS:
        if matches(folded[0]):
            return SyncFolder(client, str(home / rest[0]))
    return None


def locate(path: Path) -> Location:
    """Where the folder `path` is on this computer: its network drive and its sync client."""
    facts = facts_for(path)
    return Location(facts.path, network_drive(facts), sync_folder(facts))


# ---- gathering the facts on the running computer -------------------------------------------


def facts_for(path: Path) -> Facts:
    """The facts about `path` on this computer (a missing path: its nearest existing folder)."""
    absolute = os.path.realpath(path)
    home = ""
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        home = str(Path.home())
    mounts: tuple[Mount, ...] = ()
    drive_type: int | None = None
    target = ""
    if sys.platform.startswith("linux"):
        mounts = parse_mountinfo(_read_mountinfo())
    elif sys.platform == "darwin":
        mounts = _darwin_mount(absolute)
    elif sys.platform == "win32":
        drive_type, target = _windows_drive(absolute)
    return Facts(sys.platform, absolute, mounts, drive_type, target, home,
                 _sync_roots(Path(absolute), home), _windows_cloud_files(absolute))


def _read_mountinfo() -> str:
    try:
        return Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _unescape(field: str) -> str:
    # The kernel writes space, tab, newline and backslash in paths as octal escapes.
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def parse_mountinfo(text: str) -> tuple[Mount, ...]:
    """The mounts listed in Linux's /proc/self/mountinfo, in its order."""
    mounts = []
    for line in text.splitlines():
        before, separator, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not separator or len(fields) < 5 or not tail:
            continue
        mounts.append(Mount(_unescape(fields[4]), tail[0],
                            _unescape(tail[1]) if len(tail) > 1 else ""))
    return tuple(mounts)


def _existing(path: str) -> str:
    folder = Path(path)
    while not folder.exists() and folder.parent != folder:
        folder = folder.parent
    return str(folder)


def _darwin_mount(path: str) -> tuple[Mount, ...]:
    """The mount holding `path`, from statfs (its type is not in os.statvfs)."""
    if sys.platform != "darwin":
        return ()
    import ctypes
    import ctypes.util

    class StatFs(ctypes.Structure):
        # struct statfs with 64-bit inodes (<sys/mount.h>)
        _fields_ = [("f_bsize", ctypes.c_uint32), ("f_iosize", ctypes.c_int32),
                    ("f_blocks", ctypes.c_uint64), ("f_bfree", ctypes.c_uint64),
                    ("f_bavail", ctypes.c_uint64), ("f_files", ctypes.c_uint64),
                    ("f_ffree", ctypes.c_uint64), ("f_fsid", ctypes.c_int32 * 2),
                    ("f_owner", ctypes.c_uint32), ("f_type", ctypes.c_uint32),
                    ("f_flags", ctypes.c_uint32), ("f_fssubtype", ctypes.c_uint32),
                    ("f_fstypename", ctypes.c_char * 16),
                    ("f_mntonname", ctypes.c_char * 1024),
                    ("f_mntfromname", ctypes.c_char * 1024),
                    ("f_flags_ext", ctypes.c_uint32), ("f_reserved", ctypes.c_uint32 * 7)]

    mnt_local = 0x00001000
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        # Intel Macs name the 64-bit-inode call statfs$INODE64; Apple silicon only has it.
        statfs = getattr(libc, "statfs$INODE64", None) or libc.statfs
        result = StatFs()
        if statfs(os.fsencode(_existing(path)), ctypes.byref(result)) != 0:
            return ()
    except (OSError, AttributeError):
        return ()
    return (Mount(os.fsdecode(result.f_mntonname), os.fsdecode(result.f_fstypename),
                  os.fsdecode(result.f_mntfromname), bool(result.f_flags & mnt_local)),)


def _windows_drive(path: str) -> tuple[int | None, str]:
    """GetDriveTypeW of the path's drive letter, and the share a mapped letter stands for."""
    if sys.platform != "win32":
        return None, ""
    import ctypes

    drive = PureWindowsPath(path).drive
    if drive.startswith("\\\\?\\") and drive[5:6] == ":":
        drive = drive[4:]
    if len(drive) != 2 or drive[1] != ":":
        return None, ""
    kind = int(ctypes.windll.kernel32.GetDriveTypeW(drive + "\\"))
    target = ""
    if kind == DRIVE_REMOTE:
        buffer = ctypes.create_unicode_buffer(1024)
        size = ctypes.c_ulong(len(buffer))
        if ctypes.windll.mpr.WNetGetConnectionW(drive, buffer, ctypes.byref(size)) == 0:
            target = buffer.value
    return kind, target


def _windows_cloud_files(path: str) -> bool:
    """Whether the folder carries the attributes a cloud files provider sets."""
    if sys.platform != "win32":
        return False
    import ctypes

    attributes = int(ctypes.windll.kernel32.GetFileAttributesW(_existing(path)))
    return attributes != 0xFFFFFFFF and bool(attributes & _CLOUD_ATTRIBUTES)


def _sync_roots(path: Path, home: str) -> tuple[tuple[str, str], ...]:
    """The sync folders this computer knows of: OneDrive's variables, Dropbox's settings, and
    any folder above `path` marked as Dropbox's."""
    roots: list[tuple[str, str]] = []
    for variable in ("OneDriveCommercial", "OneDriveConsumer", "OneDrive"):
        if os.environ.get(variable):
            roots.append(("OneDrive", os.environ[variable]))
    info_files = [Path(home) / ".dropbox" / "info.json"] if home else []
    for variable in ("APPDATA", "LOCALAPPDATA"):
        if os.environ.get(variable):
            info_files.append(Path(os.environ[variable]) / "Dropbox" / "info.json")
    for info in info_files:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            accounts = json.loads(info.read_text(encoding="utf-8"))
            roots.extend(("Dropbox", str(account["path"])) for account in accounts.values()
                         if isinstance(account, dict) and account.get("path"))
    for folder in (path, *path.parents):
        # Dropbox marks the top of its folder with a .dropbox file (in the home folder,
        # .dropbox is its settings folder instead).
        with contextlib.suppress(OSError):
            if (folder / ".dropbox").is_file():
                roots.append(("Dropbox", str(folder)))
                break
    return tuple(roots)
