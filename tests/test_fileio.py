"""Writing files: atomic, Windows-safe names, never overwriting."""

from __future__ import annotations

import os
from pathlib import Path

from generator.fileio import atomic_write_bytes, cut_at_word, safe_filename, write_new


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


def test_files_written_together_are_kept_both_or_neither_after_a_kill_between_them(tmp_path):
    import subprocess
    import sys
    import textwrap

    from generator.fileio import clean_scratch

    (tmp_path / "partnerships.toml").write_text("", encoding="utf-8")
    reports = tmp_path / "reports"
    reports.mkdir()
    # A run that dies (as a laptop does) just after the paper got its name, before the annex.
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        import generator.fileio as fileio
        real_link, named = os.link, []
        def link(source, target):
            if named:
                os._exit(9)
            real_link(source, target)
            named.append(target)
        fileio.os.link = link
        reports = Path({str(reports)!r})
        fileio.write_together([(reports / "paper.docx", b"paper"),
                               (reports / "paper.xlsx", b"annex")])
    """)
    died = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    assert died.returncode == 9
    assert [p.name for p in reports.iterdir()] == ["paper.docx"]

    clean_scratch(tmp_path)

    assert list(reports.iterdir()) == []
    assert list((tmp_path / ".partnerships" / "tmp").iterdir()) == []


def test_files_written_together_are_both_there_after_a_normal_run(tmp_path):
    from generator.fileio import write_together

    write_together([(tmp_path / "paper.docx", b"paper"), (tmp_path / "paper.xlsx", b"annex")])

    assert sorted(p.name for p in tmp_path.iterdir()) == ["paper.docx", "paper.xlsx"]


def test_a_temporary_file_another_computer_is_writing_into_a_shared_workspace_is_left_alone(
        tmp_path):
    import subprocess
    import sys
    import textwrap

    from generator.fileio import clean_scratch

    (tmp_path / "partnerships.toml").write_text("", encoding="utf-8")
    # A command on another PC, half-way through writing a report into the shared workspace
    # (stopped here, so its process id is not a running process on this computer).
    script = textwrap.dedent(f"""
        import os, socket
        socket.gethostname = lambda: "PC-FINANCE-07"
        import generator.fileio as fileio
        fileio.os.replace = lambda source, target: os._exit(9)
        fileio.atomic_write_bytes(fileio.Path({str(tmp_path / "report.docx")!r}), b"report")
    """)
    stopped = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    assert stopped.returncode == 9
    (being_written,) = (tmp_path / ".partnerships" / "tmp").iterdir()

    removed = clean_scratch(tmp_path)

    assert removed == []
    assert being_written.exists()


def test_a_name_cut_short_ends_at_a_whole_word_not_a_joining_one():
    text = ("Owen Marsh - Annual review of an existing partnership for 2026-27, to return by "
            "28 December")

    cut = cut_at_word(text, 58)

    assert cut == "Owen Marsh - Annual review of an existing partnership"


def test_a_single_word_longer_than_the_limit_is_cut_within_it():
    assert cut_at_word("x" * 120, 90) == "x" * 90
