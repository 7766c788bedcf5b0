"""The command line: help everywhere, documented JSON, and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from generator import __version__
from generator.cli import main
from generator.fileio import private_folder

from support import complete_answers, fill


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def all_commands(group: click.Group = main, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=" ".join)
def test_every_command_has_help(path):
    result = run(*path, "--help")

    assert result.exit_code == 0
    assert "Usage:" in result.output
    command = dict(all_commands())[path]
    assert (command.help or "").strip(), path


def test_version():
    result = run("--version")

    assert result.output.strip() == f"partnerships, version {__version__}"


def test_init_then_init_again_is_refused_with_exit_1(tmp_path):
    first = run("init", tmp_path / "ws")
    second = run("init", tmp_path / "ws")

    assert first.exit_code == 0
    assert second.exit_code == 1
    assert "already a workspace" in second.stderr


def test_an_unknown_form_type_is_a_usage_error_with_exit_2(workspace):
    result = run("--workspace", workspace.root, "forms", "grant-application")

    assert result.exit_code == 2
    assert ("'grant-application' is not a form of this workspace (the forms are explore, "
            "design, agreement, review, monitoring)") in result.stderr


def test_a_form_type_typed_in_capitals_suggests_the_form_meant(workspace):
    result = run("--workspace", workspace.root, "forms", "Review")

    assert result.exit_code == 2
    assert "did you mean 'review'?" in result.stderr


def test_forms_prints_each_path_written(workspace):
    result = run("--workspace", workspace.root, "forms", "explore", "--due", "2027-01-15")

    paths = result.stdout.splitlines()
    assert result.exit_code == 0
    assert len(paths) == 3
    assert all(p.endswith(".docx") for p in paths)


def test_a_bad_due_date_is_a_usage_error(workspace):
    result = run("--workspace", workspace.root, "forms", "explore", "--due", "soon")

    assert result.exit_code == 2
    assert "'soon' is not a date" in result.stderr


def test_read_a_clean_form_exits_0_and_prints_answers(workspace, explore_forms):
    form = explore_forms[0]
    path = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))

    result = run("--workspace", workspace.root, "read", path)

    assert result.exit_code == 0
    assert "Which type of partnership is this?: Shared service" in result.stdout
    assert "problem" not in result.stdout


def test_read_a_form_with_problems_exits_1_and_lists_them_by_label(workspace, explore_forms):
    path = fill(workspace, explore_forms[0], {"rationale": "Because."})

    result = run("--workspace", workspace.root, "read", path)

    assert result.exit_code == 1
    assert "problem: Recommendation: is required but was left empty" in result.stdout


def test_read_json_has_the_documented_shape(workspace, explore_forms):
    form = explore_forms[0]
    answers = complete_answers(workspace, "explore", form.partnership_id)
    path = fill(workspace, form, answers)

    result = run("read", "--json", path)

    data = json.loads(result.stdout)
    assert len(data) == 1
    item = data[0]
    assert {"file", "form", "version", "partnership", "issue", "answers", "problems"} <= set(item)
    assert item["form"] == "explore" and item["version"] == 2
    assert item["partnership"] == form.partnership_id and item["issue"] == form.issue_id
    assert item["answers"] == answers
    assert item["problems"] == []


def test_read_json_of_several_forms_is_one_array_in_the_order_given(workspace, explore_forms):
    # The forms are printed as each is read: the array is written one element at a time.
    good = fill(workspace, explore_forms[0],
                complete_answers(workspace, "explore", explore_forms[0].partnership_id))
    empty = fill(workspace, explore_forms[1], {})

    result = run("read", "--json", good, empty)

    data = json.loads(result.stdout)
    assert [item["issue"] for item in data] == [explore_forms[0].issue_id,
                                                 explore_forms[1].issue_id]
    assert data[0]["problems"] == [] and data[1]["problems"]
    assert result.exit_code == 1


def test_read_json_problems_have_field_label_and_message(workspace, explore_forms):
    path = fill(workspace, explore_forms[0], {})

    result = run("read", "--json", path)

    problem = json.loads(result.stdout)[0]["problems"][0]
    assert problem["field"] == "scope_type"
    assert problem["label"] == "Which type of partnership is this?"
    assert problem["message"] == "is required but was left empty"
    assert result.exit_code == 1


def test_read_a_missing_file_is_a_usage_error(tmp_path):
    result = run("read", tmp_path / "nope.docx")

    assert result.exit_code == 2


def test_a_register_with_problems_lists_each_cell_and_exits_1(workspace):
    from generator.register import example_rows, write_register

    rows = example_rows()
    rows[0]["bm_email"] = "nobody"
    write_register(workspace.path("register"), rows)

    result = run("--workspace", workspace.root, "forms", "review")

    assert result.exit_code == 1
    assert 'register.xlsx, Partnerships!K2: "nobody" is not an email address' in result.stderr


def test_commands_outside_a_workspace_say_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    result = run("forms", "explore")

    assert result.exit_code == 1
    assert "partnerships init FOLDER" in result.stderr


def test_templates_check_exits_1_on_a_mismatch(workspace, tmp_path):
    import shutil

    from generator.office import controls

    from support import rewrite_document

    path = tmp_path / "review.docx"
    shutil.copyfile(workspace.path("templates") / "review.docx", path)
    rewrite_document(path, lambda root: [
        sdt.getparent().remove(sdt) for sdt in list(root.iter(controls.SDT))
        if controls.tag_of(sdt) == "overall_rating"])

    bad = run("templates", "check", path)
    good = run("templates", "check", workspace.path("templates") / "review.docx")

    assert bad.exit_code == 1
    assert "missing control 'overall_rating'" in bad.stdout
    assert good.exit_code == 0


def test_status_lists_outstanding_forms_and_writes_no_workbook_unasked(workspace, explore_forms):
    result = run("--workspace", workspace.root, "status", "--json")

    rows = json.loads(result.stdout)
    assert [r["state"] for r in rows] == ["outstanding"] * 3
    assert not (workspace.path("reports") / "tracker.xlsx").exists()


def test_status_with_xlsx_writes_the_tracker_workbook(workspace, explore_forms):
    import openpyxl

    result = run("--workspace", workspace.root, "status", "--xlsx")

    assert result.exit_code == 0
    assert "Tracker written" in result.stderr
    sheet = openpyxl.load_workbook(workspace.path("reports") / "tracker.xlsx")["Tracker"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref
    assert [c.value for c in sheet[1]][11:13] == ["RAG", "Status"]
    assert [c.value for c in sheet[2]][12] == "Outstanding"


def test_status_says_how_each_form_went_out(workspace, explore_forms):
    before = run("--workspace", workspace.root, "status", "--json")
    send = run("--workspace", workspace.root, "send", "explore")

    after = run("--workspace", workspace.root, "status", "--json")

    assert send.exit_code == 0
    assert [r["sent"] for r in json.loads(before.stdout)] == ["not sent yet"] * 3
    assert all(r["sent"].startswith("draft 20") for r in json.loads(after.stdout))


def test_status_text_says_when_each_form_was_issued_for_whom_and_its_state(workspace,
                                                                          explore_forms):
    result = run("--workspace", workspace.root, "status")

    line = next(line for line in result.stdout.splitlines() if line.startswith("P007"))
    assert "outstanding" in line
    assert "for Daniel Okafor <daniel.okafor@example.org> (not sent yet)" in line
    assert "not returned" in line


def test_history_finds_a_partnership_whatever_the_case_of_its_id(workspace, explore_forms):
    from support import complete_answers, fill

    form = explore_forms[0]
    path = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    run("--workspace", workspace.root, "collect", path)

    result = run("--workspace", workspace.root, "history", form.partnership_id.lower())

    assert result.exit_code == 0
    assert "explore 2026/27  accepted" in result.stdout


def test_history_of_an_unknown_id_says_it_is_unknown(workspace):
    result = run("--workspace", workspace.root, "history", "P999")

    assert result.exit_code == 1
    assert "'P999' is not a partnership of the register" in result.stderr


def test_a_fault_of_the_toolkit_is_one_plain_line_and_its_details_go_to_a_log(
        workspace, explore_forms, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("internal_lookup_key")

    monkeypatch.setattr("generator.returns.tracker.status_rows", broken)

    result = run("--workspace", workspace.root, "status")

    assert result.exit_code == 1
    said = result.stderr.strip()
    assert len(said.splitlines()) == 1
    assert "unexpected fault in the toolkit" in said
    assert "KeyError" not in said and "internal_lookup_key" not in said
    log = next((private_folder(workspace.root) / "logs").glob("error-*.txt"))
    assert log.name in said
    assert "KeyError: 'internal_lookup_key'" in log.read_text(encoding="utf-8")
