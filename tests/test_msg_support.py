"""The test writer of .msg files lays them out as Outlook does, so tests built on it say
something about real Outlook files (compared with tests/samples/msg, made by Outlook)."""

from __future__ import annotations

import struct
from pathlib import Path

import olefile

from msg_support import FileAttachment, OutlookMessage, msg_bytes

SAMPLE = Path(__file__).parent / "samples" / "msg" / "msgInMsgInMsg.msg"
PROPERTIES = "__properties_version1.0"


def conventions(data: bytes) -> set[str]:
    """The MS-OXMSG conventions a file follows (and any it breaks, as "broken: ...")."""
    found: set[str] = set()
    with olefile.OleFileIO(data) as ole:
        for entry in ole.listdir(streams=True, storages=False):
            if entry[-1] != PROPERTIES:
                continue
            stream = ole.openstream(entry).read()
            parent = entry[:-1]
            header = 32 if not parent else 24 if parent[-1] == "__substg1.0_3701000D" else 8
            found.add(f"{header}-byte header")
            if (len(stream) - header) % 16:
                found.add(f"broken: entries of {'/'.join(entry)}")
            for offset in range(header, len(stream), 16):
                kind, prop, _ = struct.unpack_from("<HHI", stream, offset)
                size, reserved = struct.unpack_from("<II", stream, offset + 8)
                path = "/".join([*parent, f"__substg1.0_{prop:04X}{kind:04X}"])
                if kind == 0x001F:
                    ok = ole.exists(path) and ole.get_size(path) + 2 == size
                    found.add("string sizes count a terminator" if ok else f"broken: {path}")
                elif kind == 0x0102:
                    ok = ole.exists(path) and ole.get_size(path) == size
                    found.add("binary sizes are exact" if ok else f"broken: {path}")
                elif kind == 0x000D:
                    ok = ole.get_type(path) == olefile.STGTY_STORAGE and size == 0xFFFFFFFF
                    found.add(f"attached message: storage, size -1, {reserved}" if ok
                              else f"broken: {path}")
        if ole.exists("__nameid_version1.0"):
            found.add("named property storage")
    return found


def test_the_writer_follows_the_conventions_of_a_real_outlook_file():
    written = msg_bytes(OutlookMessage("Outer", attachments=[
        FileAttachment("blue.png", b"\x89PNG" * 40, "image/png"),
        OutlookMessage("Inner", attachments=[FileAttachment("green.png", b"\x89PNG")])]))

    assert conventions(written) == conventions(SAMPLE.read_bytes())
