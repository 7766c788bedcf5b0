"""Writing files: atomic, Windows-safe names, never overwriting."""

from __future__ import annotations

import os

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


def test_inside_a_workspace_temporary_files_never_appear_beside_the_file(tmp_path, monkeypatch):
    (tmp_path / "partnerships.toml").write_text("", encoding="utf-8")
    seen_folders = []
    import generator.fileio as fileio

    real = fileio._finished_temp_file

    def spy(path, data):
        tmp = real(path, data)
        seen_folders.append(tmp.parent)
        return tmp

    monkeypatch.setattr(fileio, "_finished_temp_file", spy)
    write_new(tmp_path / "outbox" / "draft.eml", b"data")

    assert seen_folders == [tmp_path / ".partnerships" / "tmp"]
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["draft.eml"]


def test_the_next_run_removes_temporary_files_a_dead_run_left(tmp_path):
    from generator.fileio import clean_scratch, private_folder

    scratch = private_folder(tmp_path) / "tmp"
    scratch.mkdir()
    dead = scratch / "999999999-abc.tmp"  # no process has this id
    alive = scratch / f"{os.getpid()}-def.tmp"
    dead.write_bytes(b"half a form")
    alive.write_bytes(b"being written now")

    removed = clean_scratch(tmp_path)

    assert removed == [dead]
    assert alive.exists() and not dead.exists()
