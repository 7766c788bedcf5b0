"""Zip plumbing for Office packages: write a zip from members, copy a package with changes.

zipfile can only add a member by compressing it again, and a template's unchanged parts
(styles.xml alone is some 350 KB) would then cost more to write than everything else in a
form. zipfile has no public way to write bytes that are already compressed, so this is a
minimal writer for exactly what zipfile itself writes: a local header with the sizes and
CRC filled in (no data descriptor), no extra fields, no zip64, then the central directory
and its end record (PKWARE APPNOTE 6.3, sections 4.3.7, 4.3.12, 4.3.16). An unchanged
member is copied around the compressed bytes the source holds (checked against the CRC when
zipfile read it); only the parts that change are compressed anew.

`copy_package` is the one way the toolkit copies a package with some parts changed or left
out: filling a form, patching a template, turning a .dotx into a .docx.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass


class TooLargeForZip(ValueError):
    """A part, or the whole package, would need zip64, which no Office form comes near."""


# zipfile can only add a member by compressing it again, and a template's unchanged parts
# (styles.xml alone is some 350 KB) would then cost more to write than everything else in a
# form. zipfile has no public way to write bytes that are already compressed, so this is a
# minimal writer for exactly what zipfile itself writes: a local header with the sizes and
# CRC filled in (no data descriptor), no extra fields, no zip64, then the central directory
# and its end record (PKWARE APPNOTE 6.3, sections 4.3.7, 4.3.12, 4.3.16). Each unchanged
# member's record is made once per template around the compressed bytes the template itself
# holds (checked against the CRC when zipfile read the member); a form's zip is those records
# as they are plus the few parts made for it, compressed then.

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_ZIP_VERSION = 20  # 2.0, the version needed for deflate, as zipfile records it
_CREATE_SYSTEM = 0 if sys.platform == "win32" else 3  # MS-DOS or Unix, as zipfile records it
_UTF8_NAME = 0x800
_ZIP32_LIMIT = 0xFFFFFFFF  # at or past this a zip needs zip64, which no Word form comes near
EARLIEST = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold


@dataclass(frozen=True, slots=True)
class Member:
    """One zip member: its local record ready to write, and its central directory fields."""

    name: bytes
    flags: int
    method: int
    dostime: int
    dosdate: int
    crc: int
    compressed_size: int
    size: int
    external_attr: int
    record: bytes  # local header + name + compressed data


def new_member(name: str, data: bytes, date_time: tuple[int, ...] = EARLIEST,
               external_attr: int = 0) -> Member:
    """A member holding `data`, deflated as zipfile does at compresslevel 6."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = compressor.compress(data) + compressor.flush()
    return _record(name, packed, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), date_time,
                   external_attr)


def copied_member(raw: bytes, info: zipfile.ZipInfo, data: bytes) -> Member:
    """A member of the zip `raw` as it is there, compressed bytes copied, not recompressed.

    `data` is the member as zipfile read it (so its CRC was checked); it is compressed anew
    only if the template stores it in a way this writer does not copy (e.g. zip64).
    """
    start = info.header_offset
    header = raw[start:start + _LOCAL_HEADER.size]
    if (info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            and not info.flag_bits & 0x1 and len(header) == _LOCAL_HEADER.size
            and header[:4] == b"PK\x03\x04" and info.compress_size < _ZIP32_LIMIT):
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[-2:]
        begin = start + _LOCAL_HEADER.size + name_length + extra_length
        packed = raw[begin:begin + info.compress_size]
        if len(packed) == info.compress_size:
            return _record(info.filename, packed, info.compress_type, info.CRC, len(data),
                           info.date_time, info.external_attr)
    return new_member(info.filename, data, info.date_time, info.external_attr)


def _record(name: str, packed: bytes, method: int, crc: int, size: int,
            date_time: tuple[int, ...], external_attr: int) -> Member:
    try:
        encoded, flags = name.encode("ascii"), 0
    except UnicodeEncodeError:
        encoded, flags = name.encode("utf-8"), _UTF8_NAME
    if size >= _ZIP32_LIMIT or len(packed) >= _ZIP32_LIMIT:
        raise TooLargeForZip(f"its part {name} is too large")
    if tuple(date_time) < EARLIEST:
        date_time = EARLIEST
    year, month, day, hour, minute, second = date_time[:6]
    dostime = hour << 11 | minute << 5 | second // 2
    dosdate = (year - 1980) << 9 | month << 5 | day
    header = _LOCAL_HEADER.pack(b"PK\x03\x04", _ZIP_VERSION, 0, flags, method, dostime,
                                dosdate, crc, len(packed), size, len(encoded), 0)
    return Member(encoded, flags, method, dostime, dosdate, crc, len(packed), size,
                   external_attr, header + encoded + packed)


def zip_bytes(members: list[Member]) -> bytes:
    """A zip archive of `members`, in order."""
    records: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for m in members:
        directory.append(_CENTRAL_HEADER.pack(
            b"PK\x01\x02", _ZIP_VERSION, _CREATE_SYSTEM, _ZIP_VERSION, 0, m.flags, m.method,
            m.dostime, m.dosdate, m.crc, m.compressed_size, m.size, len(m.name), 0, 0, 0, 0,
            m.external_attr, offset) + m.name)
        records.append(m.record)
        offset += len(m.record)
    central = b"".join(directory)
    if offset + len(central) >= _ZIP32_LIMIT or len(members) > 0xFFFF:
        raise TooLargeForZip("the whole would be too large")
    end = _END_RECORD.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(central),
                           offset, 0)
    return b"".join(records) + central + end


Change = bytes | Callable[[bytes], bytes] | None


def copy_package(data: bytes, changes: Mapping[str, Change]) -> bytes:
    """A copy of the zip `data` with the parts named in `changes` changed.

    A part maps to its new bytes, to a function of its old bytes, or to None (left out).
    Every other part is copied as it is, compressed bytes and all, in the same order.
    """
    members = []
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        for info in source.infolist():
            old = source.read(info.filename)
            if info.filename not in changes:
                members.append(copied_member(data, info, old))
                continue
            change = changes[info.filename]
            if change is None:
                continue
            new = change(old) if callable(change) else change
            members.append(new_member(info.filename, new, info.date_time, info.external_attr))
    return zip_bytes(members)


def read_part(data: bytes, name: str) -> bytes:
    """One part of a package the toolkit wrote itself (not for files from outside)."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return source.read(name)
