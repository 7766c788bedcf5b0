"""A small writer of Outlook .msg files, for tests only.

extract-msg reads .msg files but cannot write one, and a test needs an Outlook message holding
a form that the toolkit itself issued and filled. So this module writes one, following the
published formats:

- MS-OXMSG (Outlook Item File Format): a message is a storage holding a property stream
  (`__properties_version1.0`: a header, then one 16-byte entry per property), one
  `__substg1.0_IIIITTTT` stream per variable-length property (strings as UTF-16LE without a
  terminator, the entry's size counting one), a `__nameid_version1.0` storage at the top,
  `__recip_version1.0_#N` storages for recipients and `__attach_version1.0_#N` storages for
  attachments; an attached message is the storage `__substg1.0_3701000D` of its attachment,
  with a 24-byte property header instead of the top level's 32.
- MS-CFB (Compound File Binary), version 3: 512-byte sectors, streams under 4,096 bytes in the
  mini stream (64-byte sectors), siblings in a red-black tree ordered by name length and then
  upper-cased name.

Its output is read back with extract-msg by every test that uses it, and
tests/test_msg_support.py checks that it follows the same conventions as a file Outlook made
(tests/samples/msg, from a public repository; see the README there): the property header
sizes, the sizes given for strings, binaries and attached messages, the storage names. It
writes only what the tests need (no RTF body, no named properties, files up to about 6 MB,
which need no DIFAT sector).
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- MS-OXMSG

PT_LONG = 0x0003
PT_BOOLEAN = 0x000B
PT_OBJECT = 0x000D
PT_UNICODE = 0x001F
PT_SYSTIME = 0x0040
PT_BINARY = 0x0102

ATTACH_BY_VALUE = 1
ATTACH_EMBEDDED_MSG = 5
ATTACH_BY_WEB_REFERENCE = 7

_READABLE_WRITABLE = 0x6
_FILETIME_EPOCH = dt.datetime(1601, 1, 1, tzinfo=dt.UTC)


@dataclass
class FileAttachment:
    """A file attached by value (PR_ATTACH_METHOD 1), or a link to one online (7)."""

    filename: str
    data: bytes = b""
    mime_type: str | None = None
    url: str | None = None  # a web reference (a OneDrive or SharePoint link) instead of data


@dataclass
class OutlookMessage:
    """An email as Outlook keeps it. `headers` are the internet headers of a received one."""

    subject: str
    sender_name: str = "Priya Natarajan"
    sender_address: str = "priya.natarajan@example.org"
    sent: dt.datetime | None = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    headers: str | None = None
    body: str = "Please find the form attached."
    message_class: str = "IPM.Note"
    to: tuple[str, str] = ("Partnerships Team", "partnerships@example.org")
    attachments: list[FileAttachment | OutlookMessage] = field(default_factory=list)


def msg_bytes(message: OutlookMessage) -> bytes:
    """The .msg file Outlook would save for `message` (dragged out of it onto a folder)."""
    return compound_file(_message_storage(message, top=True))


def _message_storage(message: OutlookMessage, *, top: bool) -> dict[str, object]:
    props: list[tuple[int, int, object]] = [
        (0x001A, PT_UNICODE, message.message_class),
        (0x0037, PT_UNICODE, message.subject),
        (0x0E1D, PT_UNICODE, message.subject),
        (0x0C1A, PT_UNICODE, message.sender_name),
        (0x0C1E, PT_UNICODE, "SMTP"),
        (0x0C1F, PT_UNICODE, message.sender_address),
        (0x5D01, PT_UNICODE, message.sender_address),
        (0x0E07, PT_LONG, 1),  # MSGFLAG_READ, and not MSGFLAG_UNSENT: it was sent
        (0x340D, PT_LONG, 0x00040000),  # STORE_UNICODE_OK: strings are UTF-16
        (0x1000, PT_UNICODE, message.body),
        (0x0E1B, PT_BOOLEAN, bool(message.attachments)),
    ]
    if message.sent is not None:
        props.append((0x0039, PT_SYSTIME, message.sent))
        props.append((0x0E06, PT_SYSTIME, message.sent))
    if message.headers is not None:
        props.append((0x007D, PT_UNICODE, message.headers))
    storage: dict[str, object] = {}
    if top:
        storage["__nameid_version1.0"] = {"__substg1.0_00020102": b"",
                                          "__substg1.0_00030102": b"",
                                          "__substg1.0_00040102": b""}
    name, address = message.to
    storage["__recip_version1.0_#00000000"] = _property_storage(
        [(0x0C15, PT_LONG, 1), (0x3000, PT_LONG, 0), (0x3001, PT_UNICODE, name),
         (0x3002, PT_UNICODE, "SMTP"), (0x3003, PT_UNICODE, address),
         (0x39FE, PT_UNICODE, address)], header=bytes(8))
    for number, attachment in enumerate(message.attachments):
        storage[f"__attach_version1.0_#{number:08X}"] = _attachment_storage(attachment, number)
    counts = struct.pack("<4I", 1, len(message.attachments), 1, len(message.attachments))
    header = bytes(8) + counts + (bytes(8) if top else b"")
    storage.update(_property_storage(props, header=header))
    return storage


def _attachment_storage(attachment: FileAttachment | OutlookMessage, number: int
                        ) -> dict[str, object]:
    props: list[tuple[int, int, object]] = [
        (0x0E21, PT_LONG, number),
        (0x0FFE, PT_LONG, 7),  # MAPI_ATTACH
        (0x370B, PT_LONG, 0xFFFFFFFF),  # not rendered in the body
    ]
    if isinstance(attachment, OutlookMessage):
        props += [(0x3705, PT_LONG, ATTACH_EMBEDDED_MSG),
                  (0x3001, PT_UNICODE, attachment.subject),
                  (0x3701, PT_OBJECT, _message_storage(attachment, top=False))]
        return _property_storage(props, header=bytes(8))
    props += [(0x3001, PT_UNICODE, attachment.filename),
              (0x3707, PT_UNICODE, attachment.filename),
              (0x3704, PT_UNICODE, _short_name(attachment.filename))]
    if attachment.mime_type:
        props.append((0x370E, PT_UNICODE, attachment.mime_type))
    if attachment.url is not None:
        props += [(0x3705, PT_LONG, ATTACH_BY_WEB_REFERENCE),
                  (0x370D, PT_UNICODE, attachment.url)]
    else:
        props += [(0x3705, PT_LONG, ATTACH_BY_VALUE), (0x3701, PT_BINARY, attachment.data)]
    return _property_storage(props, header=bytes(8))


def _short_name(filename: str) -> str:
    stem, _, extension = filename.rpartition(".")
    return f"{stem.replace(' ', '')[:6].upper()}~1.{extension[:3].upper()}"


def _property_storage(props: list[tuple[int, int, object]], header: bytes) -> dict[str, object]:
    """The property stream (header then 16-byte entries) and the streams it points to."""
    storage: dict[str, object] = {}
    entries = bytearray(header)
    for prop_id, prop_type, value in props:
        tag = f"__substg1.0_{prop_id:04X}{prop_type:04X}"
        if prop_type == PT_UNICODE:
            assert isinstance(value, str)
            data = value.encode("utf-16-le")
            storage[tag] = data
            fixed = struct.pack("<II", len(data) + 2, 0)
        elif prop_type == PT_BINARY:
            assert isinstance(value, bytes)
            storage[tag] = value
            fixed = struct.pack("<II", len(value), 0)
        elif prop_type == PT_OBJECT:
            storage[tag] = value
            fixed = struct.pack("<II", 0xFFFFFFFF, 1)  # as Outlook writes an attached message
        elif prop_type == PT_SYSTIME:
            assert isinstance(value, dt.datetime)
            fixed = struct.pack("<Q", (value - _FILETIME_EPOCH) // dt.timedelta(microseconds=1)
                                * 10)
        else:
            assert isinstance(value, int)
            fixed = struct.pack("<Q", int(value))
        entries += struct.pack("<HHI", prop_type, prop_id, _READABLE_WRITABLE) + fixed
    storage["__properties_version1.0"] = bytes(entries)
    return storage


# --------------------------------------------------------------------------- MS-CFB

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_ENTRIES_PER_SECTOR = SECTOR // 128
_IDS_PER_SECTOR = SECTOR // 4


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    black: bool = True
    start: int = ENDOFCHAIN
    size: int = 0


def compound_file(tree: dict[str, object]) -> bytes:
    """A version 3 compound file whose root storage holds `tree`: a name maps to the bytes of
    a stream or to a dict, another storage."""
    entries = [_Entry("Root Entry", 5)]
    _add_children(entries, 0, tree)
    for entry in entries:
        _link_siblings(entries, entry)

    mini = bytearray()
    minifat: list[int] = []
    big = [e for e in entries if e.kind == 2 and len(e.data) >= MINI_CUTOFF]
    for entry in entries:
        if entry.kind == 2 and 0 < len(entry.data) < MINI_CUTOFF:
            entry.start, entry.size = len(minifat), len(entry.data)
            count = -(-len(entry.data) // MINI_SECTOR)
            minifat += list(range(entry.start + 1, entry.start + count)) + [ENDOFCHAIN]
            mini += entry.data.ljust(count * MINI_SECTOR, b"\0")
        elif entry.kind == 2 and not entry.data:
            entry.start, entry.size = ENDOFCHAIN, 0

    directory_sectors = -(-len(entries) // _ENTRIES_PER_SECTOR)
    minifat_sectors = -(-len(minifat) // _IDS_PER_SECTOR)
    mini_sectors = -(-len(mini) // SECTOR)
    big_sectors = sum(-(-len(e.data) // SECTOR) for e in big)
    content = directory_sectors + minifat_sectors + mini_sectors + big_sectors
    fat_sectors = 1
    while fat_sectors * _IDS_PER_SECTOR < content + fat_sectors:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("this test writer keeps files under about 6 MB (no DIFAT sectors)")

    fat: list[int] = [FATSECT] * fat_sectors
    sectors: list[bytes] = []

    def chain(data: bytes) -> int:
        first = fat_sectors + len(sectors)
        count = -(-len(data) // SECTOR)
        for index in range(count):
            sectors.append(data[index * SECTOR:(index + 1) * SECTOR].ljust(SECTOR, b"\0"))
            fat.append(first + index + 1 if index + 1 < count else ENDOFCHAIN)
        return first if count else ENDOFCHAIN

    first_minifat = chain(b"".join(struct.pack("<I", n) for n in minifat))
    entries[0].start, entries[0].size = chain(bytes(mini)), len(mini)
    for entry in big:
        entry.start, entry.size = chain(entry.data), len(entry.data)
    unused = [_unused_entry()] * (directory_sectors * _ENTRIES_PER_SECTOR - len(entries))
    first_directory = chain(b"".join([_directory_entry(e) for e in entries] + unused))

    fat += [FREESECT] * (fat_sectors * _IDS_PER_SECTOR - len(fat))
    difat = list(range(fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
              + struct.pack("<HHHHH6x", 0x3E, 3, 0xFFFE, 9, 6)
              + struct.pack("<IIIIIIIII", 0, fat_sectors, first_directory, 0, MINI_CUTOFF,
                            first_minifat if minifat else ENDOFCHAIN, minifat_sectors,
                            ENDOFCHAIN, 0)
              + struct.pack("<109I", *difat))
    assert len(header) == SECTOR
    return header + struct.pack(f"<{len(fat)}I", *fat) + b"".join(sectors)


def _add_children(entries: list[_Entry], parent: int, tree: dict[str, object]) -> None:
    for name, value in tree.items():
        index = len(entries)
        if isinstance(value, dict):
            entries.append(_Entry(name, 1))
            _add_children(entries, index, value)
        else:
            assert isinstance(value, bytes)
            entries.append(_Entry(name, 2, value))
        entries[parent].children.append(index)


def _link_siblings(entries: list[_Entry], parent: _Entry) -> None:
    """Arrange a storage's children as a balanced red-black tree: every level full but the
    last, whose nodes are red, so every path has the same number of black nodes."""
    ordered = sorted(parent.children, key=lambda i: (len(entries[i].name),
                                                     entries[i].name.upper()))

    def build(items: list[int], depth: int, depths: dict[int, int]) -> int:
        if not items:
            return NOSTREAM
        middle = len(items) // 2
        node = items[middle]
        depths[node] = depth
        entries[node].left = build(items[:middle], depth + 1, depths)
        entries[node].right = build(items[middle + 1:], depth + 1, depths)
        return node

    depths: dict[int, int] = {}
    parent.child = build(ordered, 0, depths)
    deepest = max(depths.values(), default=0)
    for node, depth in depths.items():
        entries[node].black = not (depth == deepest and depth > 0)


def _directory_entry(entry: _Entry) -> bytes:
    name = entry.name.encode("utf-16-le")
    assert len(name) <= 62, entry.name
    return (name.ljust(64, b"\0") + struct.pack("<HBB", len(name) + 2, entry.kind,
                                                1 if entry.black else 0)
            + struct.pack("<III", entry.left, entry.right, entry.child)
            + bytes(16) + bytes(4) + bytes(16)
            + struct.pack("<IQ", entry.start, entry.size))


def _unused_entry() -> bytes:
    return bytes(64) + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", *[NOSTREAM] * 3) \
        + bytes(36) + struct.pack("<IQ", 0, 0)
