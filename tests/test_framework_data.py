"""The framework is data: forms, phases and rules come from files a council edits.

A council that adds a form definition gets a new form; one that renames a field the papers
read is told which paper needs it; the agreement checklist's clause rule is a rule in the
definition like any other.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.register import example_rows, read_register, write_register
from generator.returns.collect import collect

from conftest import TODAY
from support import complete_answers, fill


def cli(workspace, *args):
    return CliRunner().invoke(main, ["--workspace", str(workspace.root), *map(str, args)])


def add_exit_form(workspace) -> None:
    """A council's own exit form: the review's questions, under its own name."""
    forms = workspace.path("forms")
    text = (forms / "review.toml").read_text(encoding="utf-8")
    text = text.replace('type = "review"', 'type = "exit"', 1)
    text = re.sub(r'^title = ".*"$', 'title = "Exit review of a partnership"', text, count=1,
                  flags=re.MULTILINE)
    text = text.replace("order = 1", "order = 3", 1)
    (forms / "exit.toml").write_text(text, encoding="utf-8")


def test_a_council_that_adds_a_form_definition_and_its_template_can_issue_that_form(
        workspace):
    add_exit_form(workspace)

    built = cli(workspace, "templates", "build", "--form", "exit")
    issued = cli(workspace, "forms", "exit", "--due", "2027-03-31")

    assert built.exit_code == 0, built.output
    assert issued.exit_code == 0, issued.output
    paths = [line for line in issued.stdout.splitlines() if line.endswith(".docx")]
    assert len(paths) == 5 and all(" exit 2026-27" in p for p in paths)
    reading = read_form(Path(paths[0]), forms_dir=workspace.forms_dir,
                        framework=workspace.framework())
    assert reading.form == "exit" and reading.definition is not None
    assert reading.definition.title == "Exit review of a partnership"


def test_a_new_form_is_listed_among_the_forms_in_the_order_of_its_phase(workspace):
    add_exit_form(workspace)

    result = cli(workspace, "forms", "no-such-form")

    assert result.exit_code == 2
    assert ("(the forms are explore, design, agreement, review, monitoring, exit)"
            in result.stderr)


def test_renaming_a_field_the_papers_read_is_an_error_naming_the_file_the_field_and_the_paper(
        workspace):
    definition = workspace.path("forms") / "review.toml"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace('id = "overall_rating"', 'id = "overall_score"'),
                          encoding="utf-8")

    issued = cli(workspace, "forms", "review")
    report = cli(workspace, "report", "scrutiny")

    for result in (issued, report):
        assert result.exit_code == 1
        assert f"Error: {definition}: field 'overall_rating' (the overall rating) is missing; " \
               "the Scrutiny Committee report reads it" in result.stderr


def test_a_form_of_a_phase_the_framework_does_not_have_is_refused(workspace):
    definition = workspace.path("forms") / "explore.toml"
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace('phase = "Explore"', 'phase = "Discover"'),
                          encoding="utf-8")

    result = cli(workspace, "forms", "explore")

    assert result.exit_code == 1
    assert "phase 'Discover' is not a phase of the framework (Explore, Design, Deliver)" \
        in result.stderr


def test_the_register_takes_its_phases_from_the_framework(workspace):
    framework = workspace.path("framework")
    text = framework.read_text(encoding="utf-8")
    text = text.replace("\n[[phases]]\n", "\n[[phases]]\nnumber = 4\nid = \"Exit\"\ntitle = "
                        "\"Exit\"\ndescription = \"Leaving in good order.\"\n\n[[phases]]\n", 1)
    framework.write_text(text, encoding="utf-8")
    rows = example_rows()
    rows[0]["phase"] = "exit"
    write_register(workspace.path("register"), rows)

    register = read_register(workspace.path("register"), workspace.framework())

    assert register.get("P001").phase == "Exit"


def test_a_clause_an_iaa_must_contain_marked_missing_is_a_warning_naming_it(workspace):
    form = issue_forms(workspace, "agreement", partnership_id="P006", today=TODAY).written[0]
    answers = {**complete_answers(workspace, "agreement", "P006"), "instrument": "iaa",
               "clause_parties_status": "missing"}

    (outcome,) = collect(workspace, [fill(workspace, form, answers)]).outcomes

    assert outcome.outcome == "warnings"
    assert any("the clause 'Parties and definitions' is missing; the strategy expects an "
               "Inter-Authority Agreement to cover it" in r for r in outcome.reasons)


def test_a_clause_an_mou_need_not_contain_marked_missing_is_no_problem(workspace):
    form = issue_forms(workspace, "agreement", partnership_id="P006", today=TODAY).written[0]
    clauses = workspace.framework().agreement_clauses
    optional = next(c for c in clauses if not c.mou_expected)
    answers = {**complete_answers(workspace, "agreement", "P006"), "instrument": "mou",
               f"clause_{optional.id}_status": "missing"}

    (outcome,) = collect(workspace, [fill(workspace, form, answers)]).outcomes

    assert not any(f"clause '{optional.title}'" in r for r in outcome.reasons)
