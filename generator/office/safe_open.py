"""Open untrusted Word (.docx) files safely.

Returned forms arrive by email from outside the council, so every byte is treated as hostile:
the file is identified from its contents (never its name) before it is unzipped, the zip's
limits are checked from its central directory before anything is decompressed, each part is
decompressed lazily with a hard cap, and XML is parsed with `SAFE_PARSER`, which never loads a
DTD, expands an entity or touches the network. Every refusal is an `UnreadableFile` (one of the
subclasses below) whose message is one line saying what the file is and what to do about it.
"""

from __future__ import annotations

import codecs
import hashlib
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from typing import cast
from urllib.parse import unquote, urlsplit

from lxml import etree

from generator.errors import (
    DamagedFile,
    EmptyFile,
    LegacyWordFile,
    MacroEnabledFile,
    NotAWordDocument,
    OversizedFile,
    PasswordProtectedFile,
    TamperedFile,
    UnreadableFile,
)
from generator.office.xml import bytes_are_text, check_untrusted, clean, parse_xml
from generator.wording import file_size

__all__ = ["MAX_MEMBERS", "MAX_MEMBER_BYTES", "MAX_RATIO", "MAX_TOTAL_BYTES", "WordPackage",
           "open_package"]

MAX_MEMBER_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_MEMBERS = 2000
# Small XML parts legitimately compress far better than MAX_RATIO; they cannot do harm anyway.
_RATIO_APPLIES_ABOVE = 1024 * 1024


_RESEND = "ask the sender to attach the form again"
_RESAVE = "open it in Word and save it as a Word Document (.docx), then send it again"
_RETURN_FORM = "ask the sender to return the form itself as a Word Document (.docx)"
_FRESH_COPY = "ask the sender to fill in a fresh copy of the form and send it again"
_BOMB = "looks like a zip bomb, so it was not opened"
_SHRINK = "if it is a genuine form, ask the sender to remove large pictures and send it again"

_CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

_WORD_MAIN_TYPES = frozenset(
    {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    }
)
_MACRO_MAIN_TYPES = frozenset(
    {
        "application/vnd.ms-word.document.macroenabled.main+xml",
        "application/vnd.ms-word.template.macroenabledtemplate.main+xml",
    }
)
_VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaproject"

_STRICT_W = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_STRICT_TO_TRANSITIONAL: tuple[tuple[str, str], ...] = tuple(
    sorted(
        (
            (_STRICT_W, "http://schemas.openxmlformats.org/wordprocessingml/2006/main"),
            (
                "http://purl.oclc.org/ooxml/officeDocument/relationships",
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/math",
                "http://schemas.openxmlformats.org/officeDocument/2006/math",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/sharedTypes",
                "http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/customXml",
                "http://schemas.openxmlformats.org/officeDocument/2006/customXml",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/bibliography",
                "http://schemas.openxmlformats.org/officeDocument/2006/bibliography",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/characteristics",
                "http://schemas.openxmlformats.org/officeDocument/2006/characteristics",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
                "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/customProperties",
                "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
            ),
            (
                "http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes",
                "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/main",
                "http://schemas.openxmlformats.org/drawingml/2006/main",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing",
                "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/picture",
                "http://schemas.openxmlformats.org/drawingml/2006/picture",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/chart",
                "http://schemas.openxmlformats.org/drawingml/2006/chart",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/chartDrawing",
                "http://schemas.openxmlformats.org/drawingml/2006/chartDrawing",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/diagram",
                "http://schemas.openxmlformats.org/drawingml/2006/diagram",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/lockedCanvas",
                "http://schemas.openxmlformats.org/drawingml/2006/lockedCanvas",
            ),
            (
                "http://purl.oclc.org/ooxml/drawingml/compatibility",
                "http://schemas.openxmlformats.org/drawingml/2006/compatibility",
            ),
            (
                "http://purl.oclc.org/ooxml/schemaLibrary/main",
                "http://schemas.openxmlformats.org/schemaLibrary/2006/main",
            ),
        ),
        # Longest first, so that e.g. .../drawingml/chartDrawing is not caught by .../chart.
        key=lambda pair: -len(pair[0]),
    )
)

_CORE_KEYS = frozenset(
    {
        "title",
        "subject",
        "creator",
        "keywords",
        "description",
        "lastModifiedBy",
        "revision",
        "created",
        "modified",
        "lastPrinted",
        "category",
        "contentStatus",
        "identifier",
        "language",
        "version",
    }
)

_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f]")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_NAME_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
# Everything the standard zip reader raises on a hostile or truncated archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    struct.error,
    IndexError,
    KeyError,
    OverflowError,
)


@dataclass
class WordPackage:
    """A returned Word file that passed every safety check, with its main parts parsed.

    `document` is the main document part (normally word/document.xml); in a Strict OOXML file
    its namespaces have been translated to the transitional ones, so `w:` lookups just work.
    """

    path: Path | None
    sha256: str
    size: int
    document: etree._Element
    custom_properties: dict[str, str]
    core_properties: dict[str, str]
    app_name: str | None
    strict: bool
    document_part: str = "word/document.xml"
    _reader: _PartReader | None = field(default=None, repr=False, compare=False)

    def part(self, name: str) -> bytes | None:
        """Return the raw bytes of another zip member (e.g. "word/styles.xml"), or None.

        The name may start with "/" and is matched case-insensitively, as OPC part names are.
        Members are size-checked and decompressed with a cap; each is read at most once.
        Strict namespaces are NOT translated here: use `part_xml` for that.
        """
        if self._reader is None:
            return None
        return self._reader.read(name)

    def part_xml(self, name: str, *, only_if: bytes | None = None) -> etree._Element | None:
        """Parse another XML member safely (strict namespaces translated), or None if absent.

        With `only_if` (an element's name), a UTF-8 part that does not hold those bytes is
        checked as any part is but not parsed (None): it cannot hold what the caller looks
        for. A form's styles part is 340 KB and took 7.7 ms of a form's reading to parse.
        """
        if self._reader is None:
            return None
        return self._reader.parse(name, translate=self.strict, only_if=only_if)

    def part_fingerprint(self, name: str) -> str | None:
        """A digest of the member as stored (its compressed bytes, method, declared size and
        checksum), or None if absent. Two members with one fingerprint decompress to the same
        bytes, or fail the same check: what was learnt from one holds for the other."""
        if self._reader is None:
            return None
        return self._reader.fingerprint(name)

    def part_names(self) -> list[str]:
        """Names of every member of the zip, in archive order."""
        if self._reader is None:
            return []
        return self._reader.names()


def open_package(source: Path | bytes, name: str | None = None) -> WordPackage:
    """Open an untrusted .docx (a path or its bytes) and parse its main parts.

    `name` is how the file is called in messages (default: the path's file name, or
    "The file"). Raises an `UnreadableFile` subclass with a one-line message whenever the file
    is empty, is not a Word document, is damaged, encrypted, macro-enabled, over a size
    limit, or contains anything Word never writes. External relationships are never followed.
    """
    data, path, display = _load(source, name)
    _refuse_if_not_zip(data, display)
    reader = _open_zip(data, display)

    content_types = reader.parse("[Content_Types].xml")
    if content_types is None:
        raise _foreign_zip(reader, display)
    overrides, defaults = _content_type_maps(content_types)

    def content_type(part: str) -> str | None:
        key = part.lower()
        if key in overrides:
            return overrides[key]
        return defaults.get(posixpath.splitext(key)[1].lstrip("."))

    package_rels = _relationship_targets(reader.parse("_rels/.rels"))
    main = package_rels.get("officedocument")
    if main is None or not reader.has(main):
        main = next(
            (
                part
                for part, ctype in overrides.items()
                if ctype in _WORD_MAIN_TYPES | _MACRO_MAIN_TYPES and reader.has(part)
            ),
            None,
        )
    if main is None:
        raise _foreign_zip(reader, display)
    main_type = content_type(main) or ""
    if "spreadsheetml" in main_type or "ms-excel" in main_type:
        raise _foreign_zip(reader, display, excel=True)
    if "presentationml" in main_type or "ms-powerpoint" in main_type:
        raise _foreign_zip(reader, display, powerpoint=True)
    has_vba = any(
        member.endswith("vbaproject.bin") or content_type(member) == _VBA_CONTENT_TYPE
        for member in reader.keys()
    )
    if main_type in _MACRO_MAIN_TYPES or has_vba:
        raise MacroEnabledFile(
            f"{display} is a macro-enabled document (.docm); the toolkit does not accept "
            "macros: save it as a Word Document (.docx)"
        )
    if main_type not in _WORD_MAIN_TYPES:
        raise NotAWordDocument(
            f"{display} is not a Word document (its main part has the content type "
            f"{clean(main_type or 'unknown', 80)}); {_RETURN_FORM}"
        )

    document = reader.parse(main)
    assert document is not None  # reader.has(main) was checked above
    strict = etree.QName(document).namespace == _STRICT_W
    if strict:
        document = reader.parse(main, translate=True)
        assert document is not None

    core = reader.parse(package_rels.get("coreproperties") or "docProps/core.xml")
    app = reader.parse(package_rels.get("extendedproperties") or "docProps/app.xml")
    custom = reader.parse(package_rels.get("customproperties") or "docProps/custom.xml")

    return WordPackage(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        document=document,
        custom_properties=_custom_properties(custom),
        core_properties=_core_properties(core),
        app_name=_app_name(app),
        strict=strict,
        document_part=reader.canonical_name(main),
        _reader=reader,
    )


def _load(source: Path | bytes, name: str | None) -> tuple[bytes, Path | None, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        path = None
        display = clean(name) or "The file"
    else:
        path = Path(source)
        display = clean(name if name else path.name) or "The file"
        try:
            with path.open("rb") as handle:
                # One byte past the limit tells "too big" apart without reading a huge file.
                data = handle.read(MAX_TOTAL_BYTES + 1)
        except OSError as exc:
            raise UnreadableFile(
                f"{display} cannot be read ({clean(exc.strerror or str(exc), 80)}); "
                "check the file exists and is not open in another program"
            ) from exc
    if len(data) > MAX_TOTAL_BYTES:
        raise OversizedFile(
            f"{display} is over {file_size(MAX_TOTAL_BYTES)}, too large for a form; "
            "ask the sender to remove large pictures and send it again"
        )
    return data, path, display


def _refuse_if_not_zip(data: bytes, display: str) -> None:
    if not data:
        raise EmptyFile(f"{display} is empty (0 bytes): {_RESEND}")
    if data.startswith(_CFB_SIGNATURE):
        raise _compound_file_error(data, display)
    if not data.startswith(b"PK"):
        raise _not_a_zip_error(data, display)


def _not_a_zip_error(data: bytes, display: str) -> NotAWordDocument:
    """What a file that is not a zip archive is instead, by its first bytes."""
    if b"%PDF-" in data[:1024]:
        return NotAWordDocument(
            f"{display} is a PDF, not a Word document (whatever its name says); {_RETURN_FORM}, "
            "not a PDF"
        )
    picture = _picture_kind(data)
    if picture:
        return NotAWordDocument(
            f"{display} is a picture ({picture}), not a Word document; {_RETURN_FORM}, "
            "not a photo or scan"
        )
    text = _as_text(data[:4096])
    if text is None:
        return NotAWordDocument(
            f"{display} is not a Word document (unrecognised file type); {_RETURN_FORM}"
        )
    return _text_file_error(text.lstrip("\ufeff \t\r\n").lower(), display)


def _text_file_error(start: str, display: str) -> NotAWordDocument:
    """What a text file is, by its start (lower-cased): RTF, an email or web page, XML."""
    if start.startswith("{\\rtf"):
        return NotAWordDocument(f"{display} is a Rich Text Format (.rtf) file; {_RESAVE}")
    if "mime-version:" in start[:2048]:
        if "multipart/related" in start:
            return NotAWordDocument(f"{display} is a single-file web page (.mht); {_RESAVE}")
        return NotAWordDocument(
            f"{display} is an email message, not a Word document; save the form attached to it "
            "and send that instead"
        )
    if start.startswith("<!doctype html") or "<html" in start[:2048]:
        return NotAWordDocument(f"{display} is a web page (HTML), not a Word document; {_RESAVE}")
    if start.startswith("<?xml") or start.startswith("<"):
        if any(
            marker in start
            for marker in ("<pkg:package", "/office/2006/xmlpackage", "/office/word/2003/wordml")
        ):
            return NotAWordDocument(f"{display} is a Word XML Document (.xml); {_RESAVE}")
        return NotAWordDocument(f"{display} is an XML file, not a Word document; {_RETURN_FORM}")
    return NotAWordDocument(f"{display} is a plain text file, not a Word document; {_RETURN_FORM}")


def _compound_file_error(data: bytes, display: str) -> UnreadableFile:
    """Classify an OLE2/CFB container by the UTF-16LE stream names in its directory."""

    def has_stream(stream: str) -> bool:
        return stream.encode("utf-16-le") in data

    if has_stream("EncryptedPackage") or has_stream("EncryptionInfo"):
        return PasswordProtectedFile(
            f"{display} is password-protected; ask the sender to remove the password "
            "(File > Info > Protect Document) and send it again"
        )
    if has_stream("Workbook"):
        return NotAWordDocument(
            f"{display} is an Excel 97-2003 workbook, not a Word document; {_RETURN_FORM}"
        )
    if has_stream("PowerPoint Document"):
        return NotAWordDocument(
            f"{display} is a PowerPoint 97-2003 presentation, not a Word document; {_RETURN_FORM}"
        )
    if has_stream("__substg1.0_"):
        return NotAWordDocument(
            f"{display} is an Outlook message (.msg), not a Word document; save the form "
            "attached to it and send that instead"
        )
    return LegacyWordFile(f"{display} is a Word 97-2003 .doc file; {_RESAVE}")


def _picture_kind(data: bytes) -> str | None:
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xff\xd8\xff", "JPEG"),
        (b"GIF8", "GIF"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
    )
    for signature, kind in signatures:
        if data.startswith(signature):
            return kind
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "HEIC"
    return None


def _as_text(head: bytes) -> str | None:
    """Decode the start of a file if it looks like text, else None."""
    encoding = _utf16_encoding(head)
    if encoding is None:
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
        encoding = "utf-8"
    # Incremental so that a character cut at the 4096-byte boundary is not an error.
    text = codecs.getincrementaldecoder(encoding)("replace").decode(head)
    if any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text):
        return None
    return text


def _utf16_encoding(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(b"<\x00"):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE) or data.startswith(b"\x00<"):
        return "utf-16-be"
    return None


def _translate_strict(data: bytes) -> bytes:
    encoding = _utf16_encoding(data)
    if encoding is None:
        for strict, transitional in _STRICT_TO_TRANSITIONAL:
            data = data.replace(strict.encode("ascii"), transitional.encode("ascii"))
        return data
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return data  # the parser will report it as damaged
    for strict, transitional in _STRICT_TO_TRANSITIONAL:
        text = text.replace(strict, transitional)
    return text.encode(encoding)


@dataclass(frozen=True, slots=True)
class _Member:
    info: zipfile.ZipInfo
    start: int  # offset of the compressed data within the file
    end: int


class _PartReader:
    """Lazy, capped, cached access to the members of an already-checked zip."""

    def __init__(self, data: bytes, members: dict[str, _Member], display: str) -> None:
        self._data = data
        self._members = members
        self._display = display
        self._cache: dict[str, bytes] = {}

    def keys(self) -> list[str]:
        return list(self._members)

    def names(self) -> list[str]:
        return [member.info.orig_filename for member in self._members.values()]

    def has(self, name: str) -> bool:
        return _key(name) in self._members

    def member_size(self, name: str) -> int | None:
        member = self._members.get(_key(name))
        return member.info.file_size if member else None

    def canonical_name(self, name: str) -> str:
        member = self._members.get(_key(name))
        return member.info.orig_filename if member else name

    def read(self, name: str, *, keep: bool = True) -> bytes | None:
        """A member's bytes, decompressed once; `keep=False` for bytes used only once."""
        key = _key(name)
        if key in self._cache:
            return self._cache[key]
        member = self._members.get(key)
        if member is None:
            return None
        content = self._inflate(member)
        if keep:
            self._cache[key] = content
        return content

    def fingerprint(self, name: str) -> str | None:
        member = self._members.get(_key(name))
        if member is None:
            return None
        info = member.info
        digest = hashlib.sha256(memoryview(self._data)[member.start : member.end])
        digest.update(struct.pack("<HQL", info.compress_type, info.file_size, info.CRC))
        return digest.hexdigest()

    def parse(self, name: str, translate: bool = False,
              only_if: bytes | None = None) -> etree._Element | None:
        # The parsed tree is what callers keep: holding the bytes too doubled the memory.
        data = self.read(name, keep=False)
        if data is None:
            return None
        if translate:
            data = _translate_strict(data)
        part = self.canonical_name(name)
        try:
            if only_if is not None and only_if not in data and bytes_are_text(data):
                check_untrusted(data, part)
                return None
            return parse_xml(data, part)
        except TamperedFile as exc:
            raise TamperedFile(f"{self._display} was not opened: {exc}; {_FRESH_COPY}") from exc
        except DamagedFile as exc:
            raise DamagedFile(f"{self._display} is damaged: {exc}; {_RESEND}") from exc
        except OversizedFile as exc:
            raise OversizedFile(f"{self._display} was not opened: {exc}; {_FRESH_COPY}") from exc

    def _inflate(self, member: _Member) -> bytes:
        info = member.info
        raw = memoryview(self._data)[member.start : member.end]
        if info.compress_type == zipfile.ZIP_STORED:
            content = bytes(raw)
            complete = True
        else:
            inflater = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                # The cap is one byte past the declared size: enough to prove it lied.
                content = inflater.decompress(raw, info.file_size + 1)
            except zlib.error as exc:
                raise DamagedFile(
                    f"{self._display} is damaged or incomplete (corrupt zip: "
                    f"{clean(info.orig_filename)} cannot be decompressed); {_RESEND}"
                ) from exc
            complete = inflater.eof
        if len(content) > info.file_size:
            raise OversizedFile(
                f"{self._display} {_BOMB}: its part {clean(info.orig_filename)} decompresses to "
                f"more than the {info.file_size} bytes its zip entry declares; {_FRESH_COPY}"
            )
        if not complete or len(content) != info.file_size:
            raise DamagedFile(
                f"{self._display} is damaged or incomplete (corrupt zip: "
                f"{clean(info.orig_filename)} is shorter than its zip entry declares); {_RESEND}"
            )
        if zlib.crc32(content) != info.CRC:
            raise DamagedFile(
                f"{self._display} is damaged or incomplete (corrupt zip: "
                f"{clean(info.orig_filename)} failed its checksum); {_RESEND}"
            )
        return content


def _key(name: str) -> str:
    return name.lstrip("/").lower()


def _open_zip(data: bytes, display: str) -> _PartReader:
    """Check every limit from the zip's directory, before any member is decompressed."""
    try:
        infos = zipfile.ZipFile(BytesIO(data)).infolist()
    except _ZIP_ERRORS as exc:
        raise DamagedFile(f"{display} is damaged or incomplete (truncated zip); {_RESEND}") from exc
    if len(infos) > MAX_MEMBERS:
        raise OversizedFile(
            f"{display} {_BOMB}: it has {len(infos)} parts inside, over the limit of "
            f"{MAX_MEMBERS}; {_FRESH_COPY}"
        )
    members: dict[str, _Member] = {}
    total = 0
    for info in infos:
        name = info.orig_filename
        if _unsafe_member_name(name):
            raise TamperedFile(
                f"{display} contains a part with an unsafe name ({clean(name, 60)!r}); Word never "
                f"writes these, so the file was tampered with; {_FRESH_COPY}"
            )
        if _key(name) in members:
            raise TamperedFile(
                f"{display} contains two parts named {clean(name, 60)}; Word never writes these, "
                f"so the file was tampered with; {_FRESH_COPY}"
            )
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise PasswordProtectedFile(
                f"{display} is password-protected (an encrypted zip); ask the sender to remove "
                "the password and send it again"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise DamagedFile(
                f"{display} uses a zip compression method Word never writes "
                f"(method {info.compress_type}); {_RESAVE}"
            )
        if info.file_size > MAX_MEMBER_BYTES:
            raise OversizedFile(
                f"{display} {_BOMB}: its part {clean(name, 60)} would decompress to "
                f"{file_size(info.file_size)}, over the {file_size(MAX_MEMBER_BYTES)} limit per "
                f"part; {_SHRINK}"
            )
        if info.file_size > _RATIO_APPLIES_ABOVE and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            raise OversizedFile(
                f"{display} {_BOMB}: its part {clean(name, 60)} is compressed {ratio}:1, over the "
                f"{MAX_RATIO}:1 limit; {_FRESH_COPY}"
            )
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise OversizedFile(
                f"{display} {_BOMB}: its parts would decompress to over "
                f"{file_size(MAX_TOTAL_BYTES)} in total; {_SHRINK}"
            )
        members[_key(name)] = _locate(data, info, display)
    _refuse_overlaps(members.values(), display)
    return _PartReader(data, members, display)


def _unsafe_member_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or _DRIVE_LETTER.match(name):
        return True
    if _CONTROL_CHARACTER.search(name):
        return True
    segments = name.rstrip("/").split("/")
    return any(segment in ("", ".", "..") for segment in segments)


def _locate(data: bytes, info: zipfile.ZipInfo, display: str) -> _Member:
    """Find a member's compressed bytes via its local header, as the zip reader itself would."""
    offset = info.header_offset
    if offset < 0:
        raise DamagedFile(f"{display} is damaged or incomplete (truncated zip); {_RESEND}")
    header = data[offset : offset + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise DamagedFile(f"{display} is damaged or incomplete (truncated zip); {_RESEND}")
    fields = _LOCAL_HEADER.unpack(header)
    name_length, extra_length = fields[-2], fields[-1]
    name_start = offset + _LOCAL_HEADER.size
    raw_name = data[name_start : name_start + name_length]
    encoding = "utf-8" if info.flag_bits & _UTF8_NAME_FLAG else "cp437"
    try:
        local_name = raw_name.decode(encoding)
    except UnicodeDecodeError:
        local_name = None
    if local_name != info.orig_filename:
        # Tools that read local headers and tools that read the directory would see different
        # files: a classic way to smuggle content past a scanner.
        raise TamperedFile(
            f"{display} names the part {clean(info.orig_filename, 60)} differently in two places "
            f"inside its zip; Word never does this, so the file was tampered with; {_FRESH_COPY}"
        )
    start = name_start + name_length + extra_length
    end = start + info.compress_size
    if end > len(data):
        raise DamagedFile(f"{display} is damaged or incomplete (truncated zip); {_RESEND}")
    return _Member(info=info, start=start, end=end)


def _refuse_overlaps(members: Iterable[_Member], display: str) -> None:
    spans = sorted((member.info.header_offset, member.end) for member in members)
    for (_, previous_end), (next_start, _) in pairwise(spans):
        if next_start < previous_end:
            raise TamperedFile(
                f"{display} has overlapping parts inside its zip (a zip bomb technique); Word "
                f"never writes these, so the file was tampered with; {_FRESH_COPY}"
            )


def _foreign_zip(
    reader: _PartReader, display: str, *, excel: bool = False, powerpoint: bool = False
) -> NotAWordDocument:
    """Say what a zip that is not a Word document looks like."""
    keys = set(reader.keys())
    if excel or "xl/workbook.xml" in keys:
        return NotAWordDocument(
            f"{display} is an Excel workbook, not a Word document; {_RETURN_FORM}"
        )
    if powerpoint or "ppt/presentation.xml" in keys:
        return NotAWordDocument(
            f"{display} is a PowerPoint presentation, not a Word document; {_RETURN_FORM}"
        )
    mimetype = reader.member_size("mimetype")
    if mimetype is not None and mimetype <= 256:
        kind = (reader.read("mimetype") or b"").decode("ascii", "replace")
        if "opendocument.text" in kind:
            return NotAWordDocument(
                f"{display} is an OpenDocument Text (.odt) file; open it in Word or LibreOffice "
                "and save it as a Word Document (.docx), then send it again"
            )
        if "opendocument" in kind:
            return NotAWordDocument(
                f"{display} is an OpenDocument spreadsheet or presentation, not a Word "
                f"document; {_RETURN_FORM}"
            )
    if not keys:
        return NotAWordDocument(
            f"{display} is an empty zip archive, not a Word document; {_RETURN_FORM}"
        )
    if "[content_types].xml" in keys:
        return NotAWordDocument(
            f"{display} is an Office file but not a Word document (it has no main document "
            f"part); {_RETURN_FORM}"
        )
    return NotAWordDocument(
        f"{display} is a zip archive, not a Word document; {_RETURN_FORM}, not zipped"
    )


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _all_text(element: etree._Element) -> str:
    # lxml-stubs type itertext() as yielding str | bytes; lxml yields str only.
    return "".join(cast(Iterator[str], element.itertext()))


def _elements(root: etree._Element | None) -> Iterator[etree._Element]:
    """The child elements of `root`, leaving out comments and processing instructions; none
    when there is no `root`."""
    if root is not None:
        yield from (child for child in root if isinstance(child.tag, str))


def _content_type_maps(root: etree._Element) -> tuple[dict[str, str], dict[str, str]]:
    overrides: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for child in _elements(root):
        kind = _local(child)
        content_type = (child.get("ContentType") or "").strip().lower()
        if kind == "Override" and child.get("PartName"):
            overrides[_key(unquote(child.get("PartName", "")))] = content_type
        elif kind == "Default" and child.get("Extension"):
            defaults[child.get("Extension", "").lower()] = content_type
    return overrides, defaults


def _relationship_targets(root: etree._Element | None) -> dict[str, str]:
    """Map package relationship kinds ("officedocument", "coreproperties"...) to part names.

    The kind is the last segment of the relationship type with hyphens removed, so that
    transitional ("extended-properties") and strict ("extendedProperties") types agree.
    External targets are skipped: they are never followed.
    """
    targets: dict[str, str] = {}
    for rel in _elements(root):
        if _local(rel) != "Relationship" or (rel.get("TargetMode") or "").lower() == "external":
            continue
        kind = (rel.get("Type") or "").rstrip("/").rsplit("/", 1)[-1].replace("-", "").lower()
        target = _resolve_target(rel.get("Target") or "")
        if kind and target and kind not in targets:
            targets[kind] = target
    return targets


def _resolve_target(target: str) -> str | None:
    """Resolve a package-relative target to a member name; None for anything outside it."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    path = posixpath.normpath(unquote(parts.path).lstrip("/"))
    if path in ("", ".", "..") or path.startswith("../") or "\\" in path:
        return None
    return path


def _custom_properties(root: etree._Element | None) -> dict[str, str]:
    """Each named custom property, with the text of its value."""
    properties: dict[str, str] = {}
    for prop in _elements(root):
        if _local(prop) == "property" and prop.get("name"):
            value = next(_elements(prop), None)
            properties[prop.get("name", "")] = _all_text(value) if value is not None else ""
    return properties


def _core_properties(root: etree._Element | None) -> dict[str, str]:
    """The core properties the toolkit reads (_CORE_KEYS) that are not empty."""
    texts = ((_local(child), _all_text(child).strip()) for child in _elements(root))
    return {key: value for key, value in texts if key in _CORE_KEYS and value}


def _app_name(root: etree._Element | None) -> str | None:
    for child in _elements(root):
        if _local(child) == "Application":
            return _all_text(child).strip() or None
    return None
