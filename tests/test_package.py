"""Tests for generator.office.safe_open: opening untrusted Word files safely.

Every bad file is built here, in memory or under tmp_path, from a minimal python-docx document.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
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
    ToolkitError,
    UnreadableFile,
)
from generator.office import safe_open as package
from generator.office.safe_open import WordPackage, open_package
from generator.office.xml import SAFE_PARSER, parse_xml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
STRICT_W = "http://purl.oclc.org/ooxml/wordprocessingml/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_R = "http://purl.oclc.org/ooxml/officeDocument/relationships"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
TEXT = "Partnership with Riverside Youth Trust"


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="session")
def docx_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A minimal valid .docx with one paragraph, as written by python-docx."""
    path = tmp_path_factory.mktemp("docx") / "form.docx"
    document = docx.Document()
    document.add_paragraph(TEXT)
    document.save(str(path))
    return path.read_bytes()


def rewrite(
    source: bytes,
    replace: dict[str, bytes] | None = None,
    add: list[tuple[str, bytes]] | None = None,
    drop: frozenset[str] = frozenset(),
    stored: frozenset[str] = frozenset(),
) -> bytes:
    """Copy a zip, replacing, adding or dropping members (names are written verbatim);
    deflated at level 1, the fastest."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = replace.get(info.filename, old.read(info))
            method = zipfile.ZIP_STORED if info.filename in stored else zipfile.ZIP_DEFLATED
            new.writestr(zipfile.ZipInfo(info.filename), data, compress_type=method,
                         compresslevel=1)
        for name, data in add or []:
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            new.writestr(zipfile.ZipInfo(name), data, compress_type=method, compresslevel=1)
    return out.getvalue()


def member(source: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        return archive.read(name)


def central_entry(raw: bytes, name: str) -> int:
    """Offset of a member's central directory header, found by walking the directory."""
    end = raw.rfind(b"PK\x05\x06")
    (position,) = struct.unpack("<L", raw[end + 16 : end + 20])
    while raw[position : position + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<3H", raw[position + 28 : position + 34])
        if raw[position + 46 : position + 46 + name_len] == name.encode():
            return position
        position += 46 + name_len + extra_len + comment_len
    raise AssertionError(f"{name} not in central directory")


def patch(raw: bytes, offset: int, fmt: str, value: int) -> bytes:
    size = struct.calcsize(fmt)
    return raw[:offset] + struct.pack(fmt, value) + raw[offset + size :]


def refused(
    source: Path | bytes, cls: type[UnreadableFile], phrase: str, name: str | None = None
) -> str:
    """Open source, expect exactly `cls` with `phrase` in a one-line message; return it."""
    with pytest.raises(UnreadableFile) as caught:
        open_package(source, name=name)
    message = str(caught.value)
    assert caught.type is cls, f"{caught.type.__name__}: {message}"
    assert phrase in message
    assert "\n" not in message and "\r" not in message
    return message


def with_document(docx_bytes: bytes, transform: Callable[[bytes], bytes]) -> bytes:
    xml = member(docx_bytes, "word/document.xml")
    return rewrite(docx_bytes, replace={"word/document.xml": transform(xml)})


def inject_doctype(xml: bytes, doctype: bytes) -> bytes:
    """Put a DOCTYPE straight after the XML declaration of a part."""
    declaration_end = xml.index(b"?>") + 2
    return xml[:declaration_end] + doctype + xml[declaration_end:]


def texts(pkg: WordPackage) -> list[str]:
    return [t.text or "" for t in pkg.document.iterfind(".//w:t", NS)]


CUSTOM_XML = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
 xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">
<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="PartnershipId">
<vt:lpwstr>P-0042</vt:lpwstr></property>
<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="3" name="FormCode">
<vt:lpwstr>annual-review</vt:lpwstr></property>
<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="4" name="FormVersion">
<vt:i4>3</vt:i4></property>
</Properties>"""


def with_custom_properties(docx_bytes: bytes, custom_xml: bytes = CUSTOM_XML) -> bytes:
    """Add docProps/custom.xml with its content-type override and package relationship."""
    types = member(docx_bytes, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Override PartName="/docProps/custom.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>',
    )
    rels = member(docx_bytes, "_rels/.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>',
    )
    return rewrite(
        docx_bytes,
        replace={"[Content_Types].xml": types, "_rels/.rels": rels},
        add=[("docProps/custom.xml", custom_xml)],
    )


# --------------------------------------------------------------------------- valid files


def test_opens_valid_docx_from_path(tmp_path: Path, docx_bytes: bytes) -> None:
    path = tmp_path / "form.docx"
    path.write_bytes(docx_bytes)

    pkg = open_package(path)

    assert isinstance(pkg, WordPackage)
    assert pkg.path == path
    assert pkg.size == len(docx_bytes)
    assert pkg.sha256 == hashlib.sha256(docx_bytes).hexdigest()
    assert pkg.document.tag == f"{{{W}}}document"
    assert texts(pkg) == [TEXT]
    assert pkg.strict is False
    assert pkg.document_part == "word/document.xml"
    assert pkg.custom_properties == {}


def test_opens_valid_docx_from_bytes(docx_bytes: bytes) -> None:
    pkg = open_package(docx_bytes, name="form.docx")

    assert pkg.path is None
    assert texts(pkg) == [TEXT]


def test_reads_app_name_and_core_properties(tmp_path: Path) -> None:
    document = docx.Document()
    props = document.core_properties
    props.title = "Annual review"
    props.author = "Business Manager"
    props.last_modified_by = "Jo Bloggs"
    path = tmp_path / "form.docx"
    document.save(str(path))

    pkg = open_package(path)

    assert pkg.core_properties["title"] == "Annual review"
    assert pkg.core_properties["creator"] == "Business Manager"
    assert pkg.core_properties["lastModifiedBy"] == "Jo Bloggs"
    assert pkg.core_properties["created"].startswith("20")
    assert pkg.core_properties["modified"].endswith("Z")
    assert pkg.app_name == "Microsoft Macintosh Word"


def test_reads_custom_properties(docx_bytes: bytes) -> None:
    pkg = open_package(with_custom_properties(docx_bytes))

    assert pkg.custom_properties == {
        "PartnershipId": "P-0042",
        "FormCode": "annual-review",
        "FormVersion": "3",
    }


def test_missing_optional_properties_give_empty_values(docx_bytes: bytes) -> None:
    raw = rewrite(docx_bytes, drop=frozenset({"docProps/core.xml", "docProps/app.xml"}))

    pkg = open_package(raw)

    assert pkg.core_properties == {}
    assert pkg.app_name is None
    assert pkg.custom_properties == {}


def test_part_returns_raw_bytes_or_none(docx_bytes: bytes) -> None:
    pkg = open_package(docx_bytes)

    assert pkg.part("word/styles.xml") == member(docx_bytes, "word/styles.xml")
    assert pkg.part("/word/styles.xml") == member(docx_bytes, "word/styles.xml")
    assert pkg.part("word/missing.xml") is None
    assert "word/styles.xml" in pkg.part_names()
    styles = pkg.part_xml("word/styles.xml")
    assert styles is not None and styles.tag == f"{{{W}}}styles"


def test_a_part_without_the_name_asked_for_is_checked_but_not_parsed(docx_bytes: bytes) -> None:
    pkg = open_package(docx_bytes)

    assert pkg.part_xml("word/styles.xml", only_if=b"no-such-element") is None
    assert pkg.part_xml("word/styles.xml", only_if=b"style") is not None


def test_a_part_not_parsed_for_lack_of_the_name_is_still_refused_for_a_dtd(
        docx_bytes: bytes) -> None:
    styles = member(docx_bytes, "word/styles.xml")
    hostile = styles.replace(b"?>", b'?><!DOCTYPE w:styles [<!ENTITY e "x">]>', 1)
    pkg = open_package(rewrite(docx_bytes, replace={"word/styles.xml": hostile}))

    with pytest.raises(TamperedFile):
        pkg.part_xml("word/styles.xml", only_if=b"no-such-element")


def test_a_utf16_part_is_parsed_whatever_its_bytes_hold(docx_bytes: bytes) -> None:
    # In UTF-16 an element's name is not among the part's bytes as ASCII: looking for it there
    # would miss it, so such a part is always parsed.
    styles = member(docx_bytes, "word/styles.xml").decode("utf-8")
    utf16 = styles.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    pkg = open_package(rewrite(docx_bytes, replace={"word/styles.xml": utf16}))

    assert pkg.part_xml("word/styles.xml", only_if=b"style") is not None


def test_parts_that_are_not_needed_are_not_decompressed(docx_bytes: bytes) -> None:
    # A corrupt picture does not stop the form opening, because it is never read...
    raw = rewrite(docx_bytes, stored=frozenset({"docProps/thumbnail.jpeg"}))
    offset = raw.index(member(docx_bytes, "docProps/thumbnail.jpeg")[:64])
    raw = raw[: offset + 10] + bytes([raw[offset + 10] ^ 0xFF]) + raw[offset + 11 :]

    pkg = open_package(raw)

    # ...but is caught the moment someone asks for it.
    with pytest.raises(DamagedFile, match="failed its checksum"):
        pkg.part("docProps/thumbnail.jpeg")


def test_utf16_document_part_is_accepted(docx_bytes: bytes) -> None:
    def to_utf16(xml: bytes) -> bytes:
        text = xml.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
        return text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    pkg = open_package(with_document(docx_bytes, to_utf16))

    assert texts(pkg) == [TEXT]


def test_strict_ooxml_is_translated_to_transitional_namespaces(docx_bytes: bytes) -> None:
    def to_strict(xml: bytes) -> bytes:
        return xml.replace(W.encode(), STRICT_W.encode()).replace(R.encode(), STRICT_R.encode())

    rels = member(docx_bytes, "_rels/.rels").replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
    )
    raw = rewrite(with_document(docx_bytes, to_strict), replace={"_rels/.rels": rels})

    pkg = open_package(raw)

    assert pkg.strict is True
    assert pkg.document.tag == f"{{{W}}}document"
    assert texts(pkg) == [TEXT]


# --------------------------------------------------------------------------- not a zip


def test_zero_byte_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "form.docx"
    path.write_bytes(b"")

    message = refused(path, EmptyFile, "is empty (0 bytes): ask the sender to attach the form")

    assert message.startswith("form.docx ")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.docx", UnreadableFile, "nowhere.docx cannot be read")


def test_legacy_doc_is_refused_with_how_to_convert() -> None:
    raw = CFB_SIGNATURE + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(512)

    refused(raw, LegacyWordFile, "is a Word 97-2003 .doc file; open it in Word and save it")


def test_bare_cfb_header_is_taken_for_a_legacy_doc() -> None:
    refused(CFB_SIGNATURE + bytes(1024), LegacyWordFile, "Word 97-2003 .doc")


def test_encrypted_docx_is_refused_as_password_protected() -> None:
    raw = CFB_SIGNATURE + bytes(504) + "EncryptedPackage".encode("utf-16-le") + bytes(512)

    refused(raw, PasswordProtectedFile, "is password-protected; ask the sender to remove")


def test_encryption_info_stream_alone_means_password_protected() -> None:
    raw = CFB_SIGNATURE + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(512)

    refused(raw, PasswordProtectedFile, "File > Info > Protect Document")


def test_pdf_with_a_docx_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "form.docx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")

    refused(path, NotAWordDocument, "form.docx is a PDF, not a Word document")


def test_rtf_is_refused() -> None:
    refused(b"{\\rtf1\\ansi\\deff0 {\\fonttbl}Hello}", NotAWordDocument, "Rich Text Format")


def test_html_is_refused() -> None:
    raw = b"<!DOCTYPE html>\n<html><body><p>Form</p></body></html>"

    refused(raw, NotAWordDocument, "is a web page (HTML)")


@pytest.mark.parametrize(("raw", "says"), [
    (b"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=x\r\n",
     "is a single-file web page (.mht)"),
    (b"MIME-Version: 1.0\r\nFrom: jane@example.org\r\n", "is an email message"),
    (b'<?xml version="1.0"?>\n<pkg:package xmlns:pkg="http://schemas.microsoft.com/office/'
     b'2006/xmlPackage"/>', "is a Word XML Document (.xml)"),
    (b'<?xml version="1.0"?>\n<answers/>', "is an XML file, not a Word document"),
])
def test_other_text_files_are_refused_saying_what_they_are(raw: bytes, says: str) -> None:
    refused(raw, NotAWordDocument, says)


def test_plain_text_is_refused() -> None:
    refused(b"Name: Riverside Youth Trust\r\nScore: 3\r\n", NotAWordDocument, "plain text")


def test_unrecognised_binary_is_refused() -> None:
    refused(bytes(range(256)) * 4, NotAWordDocument, "unrecognised file type")


def test_picture_of_the_form_is_refused() -> None:
    refused(b"\x89PNG\r\n\x1a\n" + bytes(64), NotAWordDocument, "is a picture (PNG)")


def test_file_over_the_total_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 1000)
    path = tmp_path / "big.docx"
    path.write_bytes(b"PK" + bytes(5000))

    refused(path, OversizedFile, "too large for a form")


def test_untrusted_name_cannot_break_the_message_line() -> None:
    message = refused(b"", EmptyFile, "is empty", name="evil\nError: all fine.docx")

    assert message.startswith("evil Error: all fine.docx is empty")


# --------------------------------------------------------------------------- damaged zips


def test_truncated_docx_is_refused_as_damaged(docx_bytes: bytes) -> None:
    refused(
        docx_bytes[: len(docx_bytes) // 2],
        DamagedFile,
        "is damaged or incomplete (truncated zip)",
    )


def test_crc_mismatch_in_a_needed_part_is_refused(docx_bytes: bytes) -> None:
    raw = rewrite(docx_bytes, stored=frozenset({"word/document.xml"}))
    raw = raw.replace(TEXT.encode(), TEXT.upper().encode())

    refused(raw, DamagedFile, "word/document.xml failed its checksum")


def test_malformed_document_xml_is_refused_naming_the_part(docx_bytes: bytes) -> None:
    raw = with_document(docx_bytes, lambda xml: xml.replace(b"</w:body>", b""))

    refused(raw, DamagedFile, "word/document.xml is not well-formed XML")


# --------------------------------------------------------------------------- other zips


def test_xlsx_is_refused_as_an_excel_workbook(tmp_path: Path) -> None:
    path = tmp_path / "form.docx"
    openpyxl.Workbook().save(path)

    refused(path, NotAWordDocument, "is an Excel workbook, not a Word document")


def test_plain_zip_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "hello")

    refused(out.getvalue(), NotAWordDocument, "is a zip archive, not a Word document")


def test_zip_without_content_types_is_refused(docx_bytes: bytes) -> None:
    raw = rewrite(docx_bytes, drop=frozenset({"[Content_Types].xml"}))

    refused(raw, NotAWordDocument, "is a zip archive, not a Word document")


def test_zip_without_main_document_part_is_refused(docx_bytes: bytes) -> None:
    raw = rewrite(docx_bytes, drop=frozenset({"word/document.xml"}))

    refused(raw, NotAWordDocument, "has no main document part")


def test_odt_is_refused_with_how_to_convert() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")

    refused(out.getvalue(), NotAWordDocument, "OpenDocument Text (.odt)")


def test_docm_content_type_is_refused(docx_bytes: bytes) -> None:
    types = member(docx_bytes, "[Content_Types].xml").replace(
        DOCX_MAIN.encode(), DOCM_MAIN.encode()
    )
    raw = rewrite(docx_bytes, replace={"[Content_Types].xml": types})

    refused(raw, MacroEnabledFile, "is a macro-enabled document (.docm); the toolkit does not")


def test_vba_project_part_is_refused(docx_bytes: bytes) -> None:
    raw = rewrite(docx_bytes, add=[("word/vbaProject.bin", CFB_SIGNATURE + bytes(512))])

    refused(raw, MacroEnabledFile, "save it as a Word Document (.docx)")


# --------------------------------------------------------------------------- zip bombs


def test_forged_small_declared_size_is_caught_while_decompressing(docx_bytes: bytes) -> None:
    big = member(docx_bytes, "word/document.xml") + b" " * 5_000_000
    raw = rewrite(docx_bytes, replace={"word/document.xml": big})
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        local = archive.getinfo("word/document.xml").header_offset
    raw = patch(raw, local + 22, "<L", 1000)
    raw = patch(raw, central_entry(raw, "word/document.xml") + 24, "<L", 1000)

    refused(raw, OversizedFile, "decompresses to more than the 1000 bytes")


def stream_zeros(name: str, megabytes: int, docx_bytes: bytes) -> bytes:
    """A docx plus one member of zeros, compressed chunk by chunk (never held whole)."""
    out = io.BytesIO(docx_bytes)
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w") as handle:
            for _ in range(megabytes):
                handle.write(chunk)
    return out.getvalue()


def test_100_mb_of_zeros_is_refused_before_decompressing(
        docx_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = stream_zeros("word/media/image1.png", 100, docx_bytes)
    inflated: list[tuple[object, ...]] = []
    real = zlib.decompressobj
    monkeypatch.setattr(zlib, "decompressobj",
                        lambda *args, **kwargs: inflated.append(args) or real(*args, **kwargs))

    refused(raw, OversizedFile, "looks like a zip bomb, so it was not opened")

    assert inflated == []  # refused from the sizes the zip declares, before any part is read


def test_high_compression_ratio_is_refused(docx_bytes: bytes) -> None:
    raw = stream_zeros("word/media/image1.png", 20, docx_bytes)

    refused(raw, OversizedFile, "is compressed 1028:1, over the 200:1 limit")


def test_total_decompressed_size_is_limited(
    docx_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "MAX_TOTAL_BYTES", 500_000)

    refused(docx_bytes, OversizedFile, "in total")


def test_too_many_members_are_refused(docx_bytes: bytes) -> None:
    extra = [(f"word/media/p{i}.xml", b"") for i in range(package.MAX_MEMBERS)]

    refused(rewrite(docx_bytes, add=extra), OversizedFile, "parts inside, over the limit")


def test_overlapping_members_are_refused(docx_bytes: bytes) -> None:
    # A member whose local header and data sit inside another member's data: the trick
    # behind non-recursive zip bombs.
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("word/media/b.bin", b"payload", compress_type=zipfile.ZIP_STORED)
    quoted = inner.getvalue()[: 30 + len("word/media/b.bin") + len(b"payload")]
    raw = rewrite(
        docx_bytes,
        add=[("word/media/a.bin", quoted), ("word/media/b.bin", b"payload")],
        stored=frozenset({"word/media/a.bin", "word/media/b.bin"}),
    )
    raw = patch(raw, central_entry(raw, "word/media/b.bin") + 42, "<L", raw.index(quoted))

    refused(raw, TamperedFile, "overlapping parts")


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize(
    "evil_name",
    ["../evil.xml", "word/../../evil.xml", "/etc/evil.xml", "word\\evil.xml", "C:/evil.xml"],
)
def test_path_tricks_in_member_names_are_refused(docx_bytes: bytes, evil_name: str) -> None:
    raw = rewrite(docx_bytes, add=[(evil_name, b"<x/>")])

    refused(raw, TamperedFile, "unsafe name")


def test_duplicate_document_member_is_refused(docx_bytes: bytes) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        raw = rewrite(docx_bytes, add=[("word/document.xml", b"<x/>")])

    refused(raw, TamperedFile, "contains two parts named word/document.xml")


def test_local_header_name_differing_from_directory_is_refused(docx_bytes: bytes) -> None:
    raw = rewrite(docx_bytes, add=[("word/media/aaaa.bin", b"x")])
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        local = archive.getinfo("word/media/aaaa.bin").header_offset
    raw = raw[: local + 30] + b"word/media/bbbb.bin" + raw[local + 30 + 19 :]

    refused(raw, TamperedFile, "differently in two places")


def test_doctype_with_entity_in_document_is_refused(docx_bytes: bytes) -> None:
    raw = with_document(
        docx_bytes,
        lambda xml: inject_doctype(xml, b'<!DOCTYPE x [<!ENTITY e "boom">]>').replace(
            TEXT.encode(), b"&e;"
        ),
    )

    message = refused(
        raw,
        TamperedFile,
        "word/document.xml declares a DTD or entities; Word never writes these, "
        "so the file was tampered with",
    )
    assert "boom" not in message


def test_billion_laughs_is_refused(docx_bytes: bytes) -> None:
    laughs = [b'<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">'.encode() for i in range(1, 10)
    ]
    doctype = b"<!DOCTYPE w:document [" + b"".join(laughs) + b"]>"
    raw = with_document(
        docx_bytes, lambda xml: inject_doctype(xml, doctype).replace(TEXT.encode(), b"&lol9;")
    )

    refused(raw, TamperedFile, "declares a DTD or entities")


def test_external_entity_is_refused_and_never_read(docx_bytes: bytes, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    doctype = f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode()
    raw = with_document(
        docx_bytes, lambda xml: inject_doctype(xml, doctype).replace(TEXT.encode(), b"&xxe;")
    )

    message = refused(raw, TamperedFile, "declares a DTD or entities")

    assert "TOP-SECRET-VALUE" not in message


def test_etc_passwd_entity_contents_never_appear(docx_bytes: bytes) -> None:
    doctype = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    raw = with_document(
        docx_bytes, lambda xml: inject_doctype(xml, doctype).replace(TEXT.encode(), b"&xxe;")
    )

    message = refused(raw, TamperedFile, "declares a DTD or entities")

    assert "root:" not in message


def test_safe_parser_itself_never_expands_or_fetches_entities(tmp_path: Path) -> None:
    # Second line of defence, should the DTD scan in parse_xml ever be bypassed.
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    xml = (
        f'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY e "boom">]>'
        "<x><a>&xxe;</a><b>&e;</b></x>"
    ).encode()

    root = etree.fromstring(xml, SAFE_PARSER)

    serialised = etree.tostring(root)
    assert b"TOP-SECRET-VALUE" not in serialised
    assert b"boom" not in serialised


def test_doctype_in_utf16_part_is_refused(docx_bytes: bytes) -> None:
    def to_utf16_with_doctype(xml: bytes) -> bytes:
        text = inject_doctype(xml, b'<!doctype x [<!entity e "boom">]>').decode("utf-8")
        return text.replace("'UTF-8'", "'UTF-16'").replace('"UTF-8"', '"UTF-16"').encode("utf-16")

    refused(with_document(docx_bytes, to_utf16_with_doctype), TamperedFile, "declares a DTD")


def test_doctype_hidden_by_an_exotic_encoding_is_refused() -> None:
    xml = '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'

    with pytest.raises(TamperedFile, match="declares a DTD"):
        parse_xml(xml.encode("utf-32"), "word/document.xml")


@pytest.mark.parametrize(
    "part",
    ["[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml"],
)
def test_doctype_in_any_parsed_part_is_refused(docx_bytes: bytes, part: str) -> None:
    xml = inject_doctype(member(docx_bytes, part), b'<!DOCTYPE x [<!ENTITY e "boom">]>')

    refused(rewrite(docx_bytes, replace={part: xml}), TamperedFile, f"{part} declares a DTD")


def test_doctype_in_custom_properties_is_refused(docx_bytes: bytes) -> None:
    custom = inject_doctype(CUSTOM_XML, b'<!DOCTYPE x [<!ENTITY e "boom">]>')

    refused(
        with_custom_properties(docx_bytes, custom),
        TamperedFile,
        "docProps/custom.xml declares a DTD",
    )


def test_external_relationships_are_never_followed(docx_bytes: bytes) -> None:
    # An external core-properties target must be ignored in favour of the part in the file.
    rels = member(docx_bytes, "_rels/.rels").replace(
        b'Target="docProps/core.xml"',
        b'Target="file:///etc/passwd" TargetMode="External"',
    )
    raw = rewrite(docx_bytes, replace={"_rels/.rels": rels})

    pkg = open_package(raw)

    assert pkg.core_properties["creator"] == "python-docx"


# --------------------------------------------------------------------------- API


def test_parse_xml_turns_syntax_errors_into_damaged_file() -> None:
    with pytest.raises(DamagedFile, match="docProps/core.xml is not well-formed XML"):
        parse_xml(b"<a><b></a>", "docProps/core.xml")


def test_parse_xml_message_for_a_dtd() -> None:
    with pytest.raises(TamperedFile) as caught:
        parse_xml(b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "word/document.xml")

    assert str(caught.value) == (
        "word/document.xml declares a DTD or entities; Word never writes these, "
        "so the file was tampered with"
    )


def test_every_refusal_is_a_toolkit_error() -> None:
    for cls in (
        EmptyFile,
        LegacyWordFile,
        PasswordProtectedFile,
        NotAWordDocument,
        DamagedFile,
        MacroEnabledFile,
        OversizedFile,
        TamperedFile,
    ):
        assert issubclass(cls, UnreadableFile)
        assert issubclass(cls, ToolkitError)


def test_safe_parser_settings() -> None:
    # lxml exposes no getters, so check behaviour: no DTD is loaded for a doctype.
    root = etree.fromstring(b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>', SAFE_PARSER)

    assert root.getroottree().docinfo.system_url == "http://127.0.0.1:9/x.dtd"
    assert root.getroottree().docinfo.externalDTD is None


# --------------------------------------------------------------------------- fuzzing


def _small_docx() -> bytes:
    out = io.BytesIO()
    document = docx.Document()
    document.add_paragraph(TEXT)
    document.save(out)
    return out.getvalue()


SMALL_DOCX = _small_docx()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, len(SMALL_DOCX) - 1), st.integers(0, 255)), max_size=8),
    cut=st.integers(1, len(SMALL_DOCX)),
)
def test_mangled_docx_only_ever_raises_unreadable_file(
    edits: list[tuple[int, int]], cut: int
) -> None:
    raw = bytearray(SMALL_DOCX[:cut])
    for position, value in edits:
        if position < len(raw):
            raw[position] = value
    try:
        pkg = open_package(bytes(raw))
    except UnreadableFile as exc:
        assert "\n" not in str(exc)
    else:
        assert pkg.document is not None


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(min_size=1, max_size=2048))
def test_arbitrary_bytes_only_ever_raise_unreadable_file(raw: bytes) -> None:
    with pytest.raises(UnreadableFile):
        open_package(raw)


def test_a_part_of_millions_of_tiny_elements_is_refused_before_it_is_parsed(docx_bytes):
    # Small once compressed, but its tree would take some 20 times its size in memory.
    letters = random.Random(0).choices("abcdefghijklmnopqrstuvwxyz", k=800_000)
    runs = b"".join(f"<w:r><w:t>{a}{b}</w:t></w:r>".encode()
                    for a, b in zip(letters[::2], letters[1::2], strict=True))
    document = (f'<w:document xmlns:w="{W}"><w:body><w:p>'.encode() + runs
                + b"</w:p></w:body></w:document>")
    dense = rewrite(docx_bytes, replace={"word/document.xml": document})

    message = refused(dense, OversizedFile, "far more than any form", name="dense.docx")

    assert message == (
        "dense.docx was not opened: word/document.xml holds 1,600,006 XML tags, far more than "
        "any form (the limit is 1,000,000); ask the sender to fill in a fresh copy of the form "
        "and send it again")
