"""No money value, date or word in a table of the committee papers is broken across lines, as
LibreOffice lays the pages out (agenda packs are published as PDF)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from editors.libreoffice import LibreOfficeEditor

PAPERS = ("Scrutiny Committee annual report (Word)", "CGB update (Word)", "Explore summary (Word)")
_WORD = re.compile(r'<word xMin="[^"]*" yMin="([^"]*)"[^>]*>(.*?)</word>')


def _pdf_words(editor: LibreOfficeEditor, docx_path: Path, folder: Path) -> set[str]:
    """Every word of the PDF LibreOffice makes of the paper, and every run of two or three
    words standing on one line."""
    pdf = editor.save_as(docx_path, folder / f"{docx_path.stem}.pdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                         text=True, check=True, encoding="utf-8").stdout
    words = [(top, _plain(html.unescape(text))) for top, text in _WORD.findall(out)]
    shown = {text for _, text in words}
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            run = words[i:i + n]
            if len({top for top, _ in run}) == 1:
                shown.add(" ".join(text for _, text in run))
    return shown


def _plain(text: str) -> str:
    return text.replace("\u2011", "-").replace("\u00a0", " ")


def _table_words(docx_path: Path) -> set[str]:
    """Each run of characters a table cell shows between ordinary spaces: a word, a number,
    or a date or quarter kept together (no-break spaces inside)."""
    words: set[str] = set()
    for table in docx.Document(str(docx_path)).tables:
        for row in table.rows:
            for cell in row.cells:
                words.update(re.split(r"[ \t\n]+", cell.text.strip()))
    return {_plain(w) for w in words if w}


@pytest.mark.libreoffice
@pytest.mark.parametrize("label", PAPERS)
def test_no_word_number_or_date_of_a_table_is_broken_across_lines(demo, label, tmp_path,
                                                                 libreoffice_editor):
    paper = demo.outputs[label]
    shown = _pdf_words(libreoffice_editor, paper, tmp_path)

    broken = {w for w in _table_words(paper) - shown if not _at_its_hyphen(w, shown)}

    assert broken == set()


def _at_its_hyphen(word: str, shown: set[str]) -> bool:
    """A compound word of letters ("in-house") may break after its own hyphen, as print does;
    numbers and dates never do (they are kept together)."""
    parts = word.split("-")
    if len(parts) < 2 or any(not part[:1].isalpha() for part in parts[1:]) \
            or not parts[0][-1:].isalpha():
        return False
    pieces = [f"{part}-" for part in parts[:-1]] + [parts[-1]]
    return all(piece in shown for piece in pieces)
