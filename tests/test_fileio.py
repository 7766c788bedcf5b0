"""Writing files: atomic, Windows-safe names, never overwriting."""

from __future__ import annotations

from generator.fileio import atomic_write_bytes, safe_filename, write_new


def test_write_new_never_overwrites_and_numbers_the_new_file(tmp_path):
    first = write_new(tmp_path / "form.docx", b"one")
    second = write_new(tmp_path / "form.docx", b"two")

    assert (first.name, second.name) == ("form.docx", "form-2.docx")
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["form-2.docx", "form.docx"]


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    atomic_write_bytes(tmp_path / "a.xlsx", b"data")

    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]


def test_file_names_are_ones_windows_accepts():
    assert safe_filename('P001 A/B: "Shared" <Service>?* ') == "P001 A-B- -Shared- -Service-"
    assert safe_filename("CON") == "CON_"
    assert safe_filename("name. ") == "name"
    assert safe_filename("") == "file"
