"""Text from outside never drives the terminal: control characters are shown, not obeyed.

A file name or a document property can carry escape sequences that set the terminal's
title, clear the screen or print a forged line. Every line the command prints shows them
escaped; JSON output keeps the exact text.
"""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from generator.cli import main
from generator.terminal import json_dumps, printable

from support import complete_answers, fill, rewrite_part

FORGED = "\x1b]0;pwned\x07\x1b[2J\naccepted   all-is-well.docx"


def cli(workspace, *args):
    return CliRunner().invoke(main, ["--workspace", str(workspace.root), *map(str, args)])


def raw_controls(text: str) -> list[str]:
    return [ch for ch in text if ord(ch) < 32 and ch not in "\n\t" or 0x7F <= ord(ch) <= 0x9F]


def test_printable_shows_every_control_character_escaped_and_keeps_the_rest():
    assert printable("Café\tbudget") == "Café\tbudget"
    assert printable("a\x1b[2Jb\nc\rd\x9be\u202ef") == "a\\x1b[2Jb\\nc\\rd\\x9be\\u202ef"


def test_json_output_keeps_the_exact_text_and_escapes_what_a_terminal_would_obey():
    text = json_dumps({"file": FORGED + "\x9b\u2028"})

    assert raw_controls(text.replace("\n", "")) == []
    assert json.loads(text) == {"file": FORGED + "\x9b\u2028"}


def test_a_file_name_with_escape_sequences_is_one_escaped_line_in_collect_and_history(
        workspace, explore_forms):
    form = explore_forms[0]
    path = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id),
                name=f"{FORGED}.docx")

    collected = cli(workspace, "collect", path)
    history = cli(workspace, "history", form.partnership_id)

    for output in (collected.output, history.output):
        assert raw_controls(output) == []
        assert "\\x1b]0;pwned\\x07\\x1b[2J\\naccepted   all-is-well.docx" in output
    assert not any(line.startswith("accepted   all-is-well") for line in
                   collected.output.splitlines())


def test_a_document_property_with_escape_sequences_is_shown_escaped(workspace, explore_forms):
    form = explore_forms[0]
    path = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    # XML cannot hold ESC itself, but it can hold the one-character CSI (U+009B) and newlines.
    rewrite_part(path, "docProps/custom.xml", lambda data: re.sub(
        rb'(name="pt_issue"><vt:lpwstr>)[^<]*', rb"\g<1>P007-explore-202627-&#155;2J&#10;ok",
        data))

    result = cli(workspace, "collect", path)

    assert result.exit_code == 1
    assert raw_controls(result.output) == []
    assert "P007-explore-202627-\\x9b2J\\nok" in result.output


def test_collect_json_keeps_the_file_name_exactly(workspace, explore_forms):
    form = explore_forms[0]
    path = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id),
                name=f"{FORGED}.docx")

    result = cli(workspace, "collect", "--json", path)

    (outcome,) = json.loads(result.stdout)
    assert outcome["file"] == str(path)
