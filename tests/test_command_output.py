"""What the commands print for people: totals, plurals, dates and times as people write them,
and plain words for a file that is not a form or a council year written another way."""

from __future__ import annotations

import re

import docx
from click.testing import CliRunner

from generator.cli import main
from generator.forms.issue import issue_forms

from conftest import TODAY
from support import complete_answers, fill, set_setting


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def status_lines(workspace) -> list[str]:
    return run("--workspace", workspace.root, "status").stdout.splitlines()


def test_status_ends_with_a_line_of_totals(workspace, explore_forms):
    form = explore_forms[0]
    run("--workspace", workspace.root, "collect",
        fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id)))

    lines = status_lines(workspace)

    assert lines[-1] == "3 forms: 1 accepted, 2 outstanding"


def test_status_of_one_form_says_form_not_forms(workspace):
    issue_forms(workspace, "explore", partnership_id="P007", today=TODAY)

    lines = status_lines(workspace)

    assert lines[-1] == "1 form: 1 outstanding"


def test_status_shows_the_quarter_of_a_monitoring_form(workspace):
    workspace = set_setting(workspace, "period", '"Q3 2026/27"')
    issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY)

    lines = status_lines(workspace)

    assert lines[0].startswith("P001   monitoring Q3 2026/27  outstanding")


def test_status_shows_dates_as_people_write_them(workspace, explore_forms):
    lines = status_lines(workspace)

    assert re.search(r"issued \d{1,2} [A-Z][a-z]+ \d{4} for", lines[0])
    assert "due 23 December 2026" in lines[0]
    assert not re.search(r"\d{4}-\d\d-\d\d", lines[0])


def test_history_shows_when_each_return_came_in_as_people_write_it(workspace, explore_forms):
    form = explore_forms[0]
    run("--workspace", workspace.root, "collect",
        fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id)))

    result = run("--workspace", workspace.root, "history", form.partnership_id)

    when = result.stdout.split("  ")[1]
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d", when), when


def test_read_of_a_word_file_that_is_not_a_form_says_so_plainly(tmp_path):
    letter = tmp_path / "letter.docx"
    document = docx.Document()
    document.add_paragraph("Dear Sir or Madam")
    document.save(str(letter))

    result = run("read", letter)

    assert result.exit_code == 1
    assert "not a form this toolkit issued" in result.stdout
    assert "None" not in result.stdout


def test_export_of_a_cycle_written_with_a_hyphen_is_a_usage_error_naming_the_form_accepted(
        workspace):
    result = run("--workspace", workspace.root, "export", "--cycle", "2026-27")

    assert result.exit_code == 2
    assert ("'2026-27' is not a council year as the toolkit writes them; give it as 2026/27"
            in result.stderr)
    assert not list(workspace.path("reports").glob("answers-*.xlsx"))


def test_read_counts_table_rows_in_words_without_brackets(workspace):
    form = issue_forms(workspace, "review", partnership_id="P001", today=TODAY).written[0]
    answers = complete_answers(workspace, "review", "P001")
    answers["actions"] = answers["actions"][:1]

    result = run("--workspace", workspace.root, "read", fill(workspace, form, answers))

    assert "Recommendations and actions for the coming year: 1 row\n" in result.stdout
    assert "(s)" not in result.stdout


def test_send_summary_puts_each_count_in_the_singular_or_plural(workspace):
    issue_forms(workspace, "explore", partnership_id="P007", today=TODAY)

    result = run("--workspace", workspace.root, "send", "explore")

    assert "1 email written to" in result.stderr
    assert "0 forms held back; 0 problems." in result.stderr
    assert "(s)" not in result.stderr


def test_status_says_when_a_form_was_drafted_in_words(workspace, explore_forms):
    run("--workspace", workspace.root, "send", "explore")

    lines = status_lines(workspace)

    assert re.search(r"\(draft \d{1,2} [A-Z][a-z]+ \d{4}\)", lines[0]), lines[0]
    assert not re.search(r"\d{4}-\d\d-\d\d", lines[0])


def test_send_says_when_a_form_held_back_was_returned_in_words(workspace, explore_forms):
    form = explore_forms[0]
    run("--workspace", workspace.root, "collect",
        fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id)))

    result = run("--workspace", workspace.root, "send", "explore")

    held = next(line for line in result.stdout.splitlines() if line.startswith("held"))
    assert re.search(r"returned on \d{1,2} [A-Z][a-z]+ \d{4} \(accepted", held), held


def test_forms_says_when_a_form_already_issued_was_issued_in_words(workspace, explore_forms):
    result = run("--workspace", workspace.root, "forms", "explore", "--id", "P007")

    assert re.search(r"already has an explore form for 2026/27 \(\S+ on \d{1,2} [A-Z][a-z]+ "
                     r"\d{4}\); not issued again", result.stderr), result.stderr
