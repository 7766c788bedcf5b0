"""The round trip: a form the toolkit issued, filled in and saved, reads back exactly.

Every fixture is built with the code under test: a workspace from the example register, forms
issued from it (`issue_forms`), filled as a person types into the controls (`support.fill`, which
uses `generator.forms.fill.fill_form`) and read back with `generator.forms.read.read_form`.
"""

from __future__ import annotations

import copy
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.demo import example_answers
from generator.formdefs import PLACEHOLDERS, form_types
from generator.forms.fill import fill_form
from generator.forms.issue import IssuedForm, from_register, issue_forms
from generator.forms.read import FormReading, read_form
from generator.office import controls
from generator.office.controls import SDT, SDT_CONTENT, SDT_PR, w
from generator.office.xml import SAFE_PARSER
from generator.register import example_rows, read_register, write_register
from generator.workspace import Workspace, init_workspace

from conftest import TODAY
from support import HOSTILE_TEXT, definition_for, document_xml, fill, rewrite_document, rewrite_part

# ---- helpers ---------------------------------------------------------------------------------


def issue_one(ws: Workspace, form_type: str) -> IssuedForm:
    written = issue_forms(ws, form_type, today=TODAY).written
    assert written, f"the example register issues no {form_type} form"
    return written[0]


def read(ws: Workspace, source: Path | bytes) -> FormReading:
    return read_form(source, framework=ws.framework(), forms_dir=ws.forms_dir)


def fill_and_read(ws: Workspace, form: IssuedForm, answers: dict[str, Any]) -> FormReading:
    return read(ws, fill(ws, form, answers))


def complete_answers(ws: Workspace, form: IssuedForm) -> dict[str, Any]:
    register = read_register(ws.path("register"), ws.framework())
    partnership = register.get(form.partnership_id)
    assert partnership is not None
    return example_answers(definition_for(ws, form.form_type), partnership, today=TODAY)


def controls_tagged(root: etree._Element, tag: str) -> list[etree._Element]:
    return [s for s in root.iter(SDT) if controls.tag_of(s) == tag]


def unwrap(sdt: etree._Element) -> None:
    """Replace a content control by what it contains (its w:sdtContent children)."""
    content = sdt.find(SDT_CONTENT)
    parent = sdt.getparent()
    index = parent.index(sdt)
    for offset, child in enumerate(list(content) if content is not None else []):
        parent.insert(index + offset, child)
    parent.remove(sdt)


def messages(reading: FormReading, severity: str = "error") -> list[tuple[str, str]]:
    return [(p.label, p.message) for p in reading.problems if p.severity == severity]


def table_problems(reading: FormReading, table_id: str) -> list[tuple[str, str, str]]:
    return [(p.severity, p.label, p.message) for p in reading.problems
            if p.field == table_id or p.field.startswith(f"{table_id}.")]


def set_custom_property(data: bytes, name: str, value: str) -> bytes:
    pattern = rf'(name="{name}"><vt:lpwstr>)[^<]*(</vt:lpwstr>)'
    changed, count = re.subn(pattern.encode(), rb"\g<1>" + value.encode() + rb"\g<2>", data)
    assert count == 1, f"{name} not found in docProps/custom.xml"
    return changed


EMPTY_CUSTOM_PROPERTIES = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)


@pytest.fixture(scope="module")
def design_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One workspace for the whole file, for the tests that fill in and read a copy of its
    design form and change nothing else (issuing a form for each test took most of the file's
    time). Tests that change the register or the form definitions take a `workspace` of their
    own."""
    return init_workspace(tmp_path_factory.mktemp("design") / "ws", today=TODAY)


@pytest.fixture(scope="module")
def design_form(design_ws: Workspace) -> IssuedForm:
    """The design form has a control of every type: text, multiline, dropdown, checkbox, date,
    money, number and repeating tables."""
    return issue_one(design_ws, "design")


CONTRIBUTION_A = {"partner": "Mole Valley", "amount": 12500, "basis": "Population"}
CONTRIBUTION_B = {"partner": "Epsom & Ewell", "amount": 7250.5, "basis": "Caseload"}
CONTRIBUTION_C = {"partner": "Elmbridge", "amount": 3000, "basis": "Agreed 20%"}


# ---- 1. every form type ----------------------------------------------------------------------


@pytest.mark.parametrize("form_type", form_types())
def test_complete_example_answers_read_back_identical(workspace: Workspace,
                                                      form_type: str) -> None:
    form = issue_one(workspace, form_type)
    answers = complete_answers(workspace, form)

    reading = fill_and_read(workspace, form, answers)

    assert reading.answers == answers
    assert reading.errors == []


@pytest.mark.parametrize("form_type", form_types())
def test_complete_form_carries_only_clause_warnings(workspace: Workspace, form_type: str) -> None:
    form = issue_one(workspace, form_type)

    reading = fill_and_read(workspace, form, complete_answers(workspace, form))

    unexpected = [p for p in reading.warnings
                  if not (form_type == "agreement" and re.fullmatch(r"clause_\w+_status", p.field))]
    assert unexpected == []


@pytest.mark.parametrize("form_type", form_types())
def test_returned_form_keeps_the_identity_it_was_issued_with(workspace: Workspace,
                                                             form_type: str) -> None:
    form = issue_one(workspace, form_type)

    reading = fill_and_read(workspace, form, complete_answers(workspace, form))

    assert (reading.form, reading.issue, reading.partnership) == (
        form_type, form.issue_id, form.partnership_id)


# ---- 2. every control type -------------------------------------------------------------------


@pytest.mark.parametrize(("field_id", "typed", "expected"), [
    pytest.param("decision_body", "Joint committee", "Joint committee", id="text"),
    pytest.param("hosting_over_time", "First year: us\nSecond year: them\n\nThen review",
                 "First year: us\nSecond year: them\n\nThen review", id="multiline"),
    pytest.param("recommendation", "More design work needed", "more_work",
                 id="dropdown-label-to-value"),
    pytest.param("head_of_service_agreed", True, True, id="checkbox-ticked"),
    pytest.param("head_of_service_agreed", False, False, id="checkbox-unticked"),
    pytest.param("completed_on", "2026-11-20", "2026-11-20", id="date-iso"),
    pytest.param("setup_cost", "£12,500", 12500, id="money-pounds-and-commas"),
    pytest.param("setup_cost", "7250.50", 7250.5, id="money-pence"),
    pytest.param("payback_years", "3", 3, id="number-whole"),
    pytest.param("payback_years", "2.5", 2.5, id="number-decimal"),
])
def test_control_reads_back_typed_value(design_ws: Workspace, design_form: IssuedForm,
                                        field_id: str, typed: Any, expected: Any) -> None:
    reading = fill_and_read(design_ws, design_form, {field_id: typed})

    assert reading.answers[field_id] == expected
    assert [p for p in reading.problems if p.field == field_id] == []


def test_dropdown_shows_the_label_of_the_value_picked(design_ws: Workspace,
                                                      design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"recommendation": "more_work"})

    shown = controls.content_text(controls_tagged(document_xml(path), "recommendation")[0])

    assert shown == "More design work needed"


def test_date_shows_the_uk_form_and_stores_the_iso_date(design_ws: Workspace,
                                                        design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"completed_on": "2026-11-20"})

    sdt = controls_tagged(document_xml(path), "completed_on")[0]

    assert (controls.content_text(sdt), controls.date_value(sdt)) == ("20/11/2026", "2026-11-20")


def test_date_typed_without_the_calendar_reads_as_iso(design_ws: Workspace,
                                                      design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"completed_on": "2026-11-20"})

    def type_over(root: etree._Element) -> None:
        sdt = controls_tagged(root, "completed_on")[0]
        sdt.find(f"{SDT_PR}/{w('date')}").attrib.pop(w("fullDate"))
        controls.set_text(sdt, "21/11/2026")

    reading = read(design_ws, rewrite_document(path, type_over))

    assert reading.answers["completed_on"] == "2026-11-21"


def test_vague_money_is_a_problem_naming_the_field_and_the_text(design_ws: Workspace,
                                                               design_form: IssuedForm) -> None:
    reading = fill_and_read(design_ws, design_form, {"setup_cost": "about 10k"})

    problems = [p for p in reading.errors if p.field == "setup_cost"]
    assert len(problems) == 1
    assert problems[0].label == "Set-up cost (£)"
    assert '"about 10k"' in problems[0].message


def test_number_that_is_not_a_number_is_a_problem(design_ws: Workspace,
                                                  design_form: IssuedForm) -> None:
    reading = fill_and_read(design_ws, design_form, {"payback_years": "three or so"})

    assert [(p.label, '"three or so"' in p.message) for p in reading.errors
            if p.field == "payback_years"] == [("Payback period (years)", True)]


def test_table_rows_read_back_with_typed_cells(design_ws: Workspace,
                                               design_form: IssuedForm) -> None:
    typed = [{"partner": "Mole Valley", "amount": "£12,500", "basis": "Population"},
             {"partner": "Epsom & Ewell", "amount": "7,250.50", "basis": "Caseload"}]

    reading = fill_and_read(design_ws, design_form, {"contributions": typed})

    assert reading.answers["contributions"] == [CONTRIBUTION_A, CONTRIBUTION_B]


def test_table_choice_and_date_cells_read_back_as_values(design_ws: Workspace,
                                                         design_form: IssuedForm) -> None:
    risks = [{"description": "Loss of key staff", "inherent_likelihood": "5",
              "inherent_impact": "5", "mitigation": "Cross-train\nRecruit early",
              "likelihood": "4", "impact": "5", "owner": "Head of Service"}]
    actions = [{"action": "Sign the agreement", "owner": "Legal", "due": "2027-01-31",
                "measure": "Signed copy on file"}]
    reading = fill_and_read(design_ws, design_form, {"risks": risks, "actions": actions})

    assert (reading.answers["risks"], reading.answers["actions"]) == (risks, actions)


# ---- 3. hostile values -----------------------------------------------------------------------


@pytest.mark.parametrize("value", HOSTILE_TEXT)
@pytest.mark.parametrize("field_id", ["decision_body", "hosting_over_time"])
def test_hostile_text_reads_back_byte_identical(design_ws: Workspace, design_form: IssuedForm,
                                                field_id: str, value: str) -> None:
    reading = fill_and_read(design_ws, design_form, {field_id: value})

    assert reading.answers[field_id] == value


@pytest.mark.parametrize("value", HOSTILE_TEXT)
def test_hostile_text_in_table_cells_reads_back_byte_identical(
        design_ws: Workspace, design_form: IssuedForm, value: str) -> None:
    risks = [{"description": value, "inherent_likelihood": None, "inherent_impact": None,
              "mitigation": value, "likelihood": None, "impact": None, "owner": value}]

    reading = fill_and_read(design_ws, design_form, {"risks": risks})

    assert reading.answers["risks"] == risks


@pytest.mark.parametrize("value", ["Ends with a line break\n", "Two breaks at the end\n\n",
                                   "\nStarts with a line break"])
def test_line_breaks_at_either_end_are_kept(design_ws: Workspace, design_form: IssuedForm,
                                            value: str) -> None:
    answers = {"hosting_over_time": value,
               "risks": [{"description": "Risk", "mitigation": value}]}

    reading = fill_and_read(design_ws, design_form, answers)

    assert reading.answers["hosting_over_time"] == value
    assert reading.answers["risks"][0]["mitigation"] == value


def test_document_with_hostile_answers_parses_and_keeps_page_settings(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    multiline = " | ".join(HOSTILE_TEXT)
    answers = {"decision_body": multiline, "hosting_over_time": multiline,
               "risks": [{"description": v, "mitigation": v} for v in HOSTILE_TEXT]}
    path = fill(design_ws, design_form, answers)

    root = etree.fromstring(zipfile.ZipFile(path).read("word/document.xml"), SAFE_PARSER)

    assert root.find(f"{w('body')}/{w('sectPr')}") is not None
    assert len(read(design_ws, path).answers["risks"]) == len(HOSTILE_TEXT)


HOSTILE_NAME = 'Fish & Chips <Joint> "Services" {{ x }} {% if y %}'


def test_hostile_partnership_name_in_register_appears_exactly_on_the_form(
        workspace: Workspace) -> None:
    rows = example_rows()
    target = next(r for r in rows if r["phase"] == "Design")
    target["name"] = HOSTILE_NAME
    write_register(workspace.path("register"), rows)

    form = issue_one(workspace, "design")

    root = etree.fromstring(zipfile.ZipFile(form.path).read("word/document.xml"), SAFE_PARSER)
    paragraphs = [controls.visible_text(p) for p in root.iter(w("p"))]
    assert form.partnership_name == HOSTILE_NAME
    assert any(HOSTILE_NAME in text for text in paragraphs)
    assert root.find(f"{w('body')}/{w('sectPr')}") is not None


def test_form_for_hostile_partnership_name_reads_back(workspace: Workspace) -> None:
    rows = example_rows()
    next(r for r in rows if r["phase"] == "Design")["name"] = HOSTILE_NAME
    write_register(workspace.path("register"), rows)
    form = issue_one(workspace, "design")
    answers = complete_answers(workspace, form)

    reading = fill_and_read(workspace, form, answers)

    assert (reading.answers, reading.errors) == (answers, [])


# ---- 4. untouched controls -------------------------------------------------------------------


def _empty_answers(ws: Workspace, form_type: str) -> dict[str, Any]:
    empty = {"table": [], "checkbox": False}
    return {f.id: empty.get(f.type) for f in definition_for(ws, form_type).fields.values()}


def _register_answers(ws: Workspace, form: IssuedForm) -> dict[str, Any]:
    """The answers an issued form starts with from the register (the monitoring budget)."""
    partnership = read_register(ws.path("register"), ws.framework()).get(form.partnership_id)
    assert partnership is not None
    return from_register(definition_for(ws, form.form_type), partnership)


@pytest.mark.parametrize("form_type", form_types())
def test_untouched_form_reads_every_answer_empty_but_those_from_the_register(
        workspace: Workspace, form_type: str) -> None:
    form = issue_one(workspace, form_type)

    reading = read(workspace, form.path)

    assert reading.answers == {**_empty_answers(workspace, form_type),
                               **_register_answers(workspace, form)}


def test_untouched_required_fields_are_reported_by_label(design_ws: Workspace,
                                                         design_form: IssuedForm) -> None:
    definition = definition_for(design_ws, "design")

    reading = read(design_ws, design_form.path)

    required = {f.label for f in definition.fields.values()
                if f.required and f.type not in ("table", "checkbox")}
    reported = {label for label, message in messages(reading)
                if message == "is required but was left empty"}
    assert reported == required


def test_partly_filled_form_leaves_untouched_answers_empty(design_ws: Workspace,
                                                           design_form: IssuedForm) -> None:
    reading = fill_and_read(design_ws, design_form, {"decision_body": "Joint committee"})

    expected = {**_empty_answers(design_ws, "design"), "decision_body": "Joint committee"}
    assert reading.answers == expected


def test_placeholder_shown_without_its_flag_reads_empty(design_ws: Workspace,
                                                        design_form: IssuedForm) -> None:
    def lose_flags(root: etree._Element) -> None:
        for flag in list(root.iter(w("showingPlcHdr"))):
            flag.getparent().remove(flag)

    path = rewrite_document(design_form.path, lose_flags,
                            target=design_ws.path("returns") / "no-flags.docx")

    reading = read(design_ws, path)

    assert not any(True for _ in document_xml(path).iter(w("showingPlcHdr")))
    assert reading.answers == _empty_answers(design_ws, "design")



# ---- 5. repeating tables ---------------------------------------------------------------------


def test_rows_added_beyond_the_starting_rows_come_back_in_order(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    rows = [{"partner": f"Partner {n}", "amount": 1000 * n, "basis": f"Share {n}"}
            for n in range(1, 8)]

    reading = fill_and_read(design_ws, design_form, {"contributions": rows})

    assert reading.answers["contributions"] == rows


def test_empty_rows_are_ignored(design_ws: Workspace, design_form: IssuedForm) -> None:
    rows = [CONTRIBUTION_A, {}, CONTRIBUTION_B, {}]

    reading = fill_and_read(design_ws, design_form, {"contributions": rows})

    assert reading.answers["contributions"] == [CONTRIBUTION_A, CONTRIBUTION_B]
    assert table_problems(reading, "contributions") == []


def test_half_filled_row_is_reported_with_its_row_number_and_column(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    rows = [CONTRIBUTION_A, {"partner": "Elmbridge", "basis": "Population"}]

    reading = fill_and_read(design_ws, design_form, {"contributions": rows})

    assert table_problems(reading, "contributions") == [(
        "error", "Contributions from each partner, row 2, Annual amount (£)",
        "is empty but the rest of the row is filled in; complete it or clear the row")]


def _contribution_rows(root: etree._Element) -> list[etree._Element]:
    return [next(s.iterancestors(w("tr"))) for s in controls_tagged(root, "contributions.partner")]


def test_row_added_without_controls_is_read_by_column_position(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"contributions": [CONTRIBUTION_A, CONTRIBUTION_B]})

    def add_plain_row(root: etree._Element) -> None:
        # As a person does with "Insert row below" outside the repeating section: a copy of a
        # row whose cells hold plain text, not the form's answer boxes.
        row = copy.deepcopy(_contribution_rows(root)[1])
        for sdt in list(row.iter(SDT)):
            unwrap(sdt)
        for tc, text in zip(row.findall(w("tc")), ["Elmbridge", "£3,000", "Agreed 20%"],
                            strict=True):
            texts = list(tc.iter(w("t")))
            texts[0].text = text
            for extra in texts[1:]:
                extra.getparent().remove(extra)
        table = next(_contribution_rows(root)[0].iterancestors(w("tbl")))
        table.append(row)

    reading = read(design_ws, rewrite_document(path, add_plain_row))

    assert reading.answers["contributions"] == [CONTRIBUTION_A, CONTRIBUTION_B, CONTRIBUTION_C]
    assert table_problems(reading, "contributions") == [(
        "warning", "Contributions from each partner",
        "row 4 was added without the form's answer boxes; it was read by column position: "
        "please check it")]


def test_cells_wrapped_in_a_content_control_read_back_their_answers(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"contributions": [CONTRIBUTION_A, CONTRIBUTION_B]})

    def wrap_partner_cells(root: etree._Element) -> None:
        # As Word does when a whole cell is selected and a content control inserted.
        for sdt in controls_tagged(root, "contributions.partner"):
            tc = next(sdt.iterancestors(w("tc")))
            wrapper = etree.Element(SDT)
            etree.SubElement(wrapper, SDT_PR)
            tc.addprevious(wrapper)
            etree.SubElement(wrapper, SDT_CONTENT).append(tc)

    reading = read(design_ws, rewrite_document(path, wrap_partner_cells))

    assert reading.answers["contributions"] == [CONTRIBUTION_A, CONTRIBUTION_B]
    assert table_problems(reading, "contributions") == []


def test_table_without_its_repeating_section_reads_the_same_rows(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    rows = [CONTRIBUTION_A, CONTRIBUTION_B, CONTRIBUTION_C, CONTRIBUTION_A, CONTRIBUTION_B]
    path = fill(design_ws, design_form, {"contributions": rows})

    def unwrap_sections(root: etree._Element) -> None:
        # What LibreOffice does: the w:tr rows stay in the w:tbl, the wrappers go.
        for kind in ("repeating", "repeating_item"):
            for sdt in [s for s in root.iter(SDT) if controls.kind_of(s) == kind]:
                unwrap(sdt)

    unwrapped = rewrite_document(path, unwrap_sections,
                                 target=design_ws.path("returns") / "unwrapped.docx")
    reading = read(design_ws, unwrapped)

    assert not [s for s in document_xml(unwrapped).iter(SDT)
                if controls.kind_of(s) in ("repeating", "repeating_item")]
    assert reading.answers["contributions"] == rows
    assert table_problems(reading, "contributions") == []


# ---- 7. damage -------------------------------------------------------------------------------

DECISION_BODY = "Which body will make decisions for the partnership?"


def test_deleted_control_is_reported_missing_by_label(design_ws: Workspace,
                                                      design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"decision_body": "Joint committee"})

    def delete(root: etree._Element) -> None:
        sdt = controls_tagged(root, "decision_body")[0]
        sdt.getparent().remove(sdt)

    reading = read(design_ws, rewrite_document(path, delete))

    assert [m for label, m in messages(reading) if label == DECISION_BODY] == [
        "the answer box is missing from the form (deleted, or its tag changed); fill in a fresh "
        "copy of the form or ask the Partnerships team to take it in"]
    assert reading.answers["decision_body"] is None


def test_control_with_changed_tag_is_missing_and_its_tag_unknown(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"decision_body": "Joint committee"})

    def retag(root: etree._Element) -> None:
        tag = controls_tagged(root, "decision_body")[0].find(f"{SDT_PR}/{w('tag')}")
        tag.set(w("val"), "decision_body_2")

    reading = read(design_ws, rewrite_document(path, retag))

    assert any(label == DECISION_BODY and "missing" in m for label, m in messages(reading))
    assert messages(reading, "warning") == [
        ("decision_body_2",
         "an answer box with this name is not part of the form and was ignored")]


def _duplicate(field_id: str, text: str) -> Callable[[etree._Element], None]:
    """A rewrite_document callback copying a control, the copy answered with `text`."""
    def change(root: etree._Element) -> None:
        original = controls_tagged(root, field_id)[0]
        twin = copy.deepcopy(original)
        controls.set_text(twin, text)
        original.addnext(twin)
    return change


def test_duplicated_control_with_different_answers_is_reported(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"decision_body": "Joint committee"})

    reading = read(design_ws, rewrite_document(path, _duplicate("decision_body", "Cabinet")))

    assert [m for label, m in messages(reading) if label == DECISION_BODY] == [
        "appears more than once with different answers (a copied box?); keep one answer and "
        "delete the copy"]


def test_duplicated_control_with_the_same_answer_is_accepted(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, {"decision_body": "Joint committee"})

    reading = read(design_ws, rewrite_document(path,
                                               _duplicate("decision_body", "Joint committee")))

    assert [p for p in reading.problems if p.field == "decision_body"] == []
    assert reading.answers["decision_body"] == "Joint committee"


def test_all_tags_stripped_gives_one_error_naming_what_to_use(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, complete_answers(design_ws, design_form))

    def strip_tags(root: etree._Element) -> None:
        # What LibreOffice 7.4 does when it saves a form.
        for tag in list(root.iter(w("tag"))):
            tag.getparent().remove(tag)

    reading = read(design_ws, rewrite_document(path, strip_tags))

    assert len(reading.problems) == 1
    assert reading.problems[0].severity == "error"
    assert "LibreOffice 24.2 or later" in reading.problems[0].message
    assert "Word" in reading.problems[0].message


def test_form_with_every_answer_box_removed_gives_one_error(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, complete_answers(design_ws, design_form))

    def unwrap_all(root: etree._Element) -> None:
        # What converting or re-typing the form does: the text stays, the boxes go.
        for sdt in reversed(list(root.iter(SDT))):
            unwrap(sdt)

    reading = read(design_ws, rewrite_document(path, unwrap_all))

    assert len(reading.problems) == 1
    assert "no answer boxes left" in reading.problems[0].message
    assert "LibreOffice 24.2 or later" in reading.problems[0].message


def test_stripped_custom_properties_give_one_error_mentioning_as_issue_id(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    path = fill(design_ws, design_form, complete_answers(design_ws, design_form))
    rewrite_part(path, "docProps/custom.xml", lambda _: EMPTY_CUSTOM_PROPERTIES)

    reading = read(design_ws, path)

    assert len(reading.errors) == 1
    assert "--as ISSUE_ID" in reading.errors[0].message
    assert reading.answers == {}


def test_stripped_custom_properties_read_when_the_identity_is_given(
        design_ws: Workspace, design_form: IssuedForm) -> None:
    from generator.forms.identity import Identity

    answers = complete_answers(design_ws, design_form)
    path = fill(design_ws, design_form, answers)
    rewrite_part(path, "docProps/custom.xml", lambda _: EMPTY_CUSTOM_PROPERTIES)
    identity = Identity("design", definition_for(design_ws, "design").version,
                        design_form.partnership_id, design_ws.cycle, design_form.issue_id)

    reading = read_form(path, framework=design_ws.framework(), forms_dir=design_ws.forms_dir,
                        identity=identity)

    assert (reading.issue, reading.answers, reading.errors) == (design_form.issue_id, answers, [])


def _bump_current_version(ws: Workspace, form_type: str) -> int:
    """Make the workspace's current definition one version newer than the forms issued;
    the version the forms were issued with."""
    issued = definition_for(ws, form_type).version
    path = ws.forms_dir / f"{form_type}.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"\nversion = {issued}\n", f"\nversion = {issued + 1}\n", 1),
                    encoding="utf-8")
    assert definition_for(ws, form_type).version == issued + 1
    return issued


def test_older_version_not_in_the_archive_says_which_version_and_what_to_do(
        workspace: Workspace) -> None:
    design_form = issue_one(workspace, "design")
    path = fill(workspace, design_form, complete_answers(workspace, design_form))
    issued = _bump_current_version(workspace, "design")

    reading = read(workspace, path)

    assert [p.message for p in reading.problems] == [
        f"version {issued} of the design form is no longer supported (the current version is "
        f"{issued + 1}); issue a new form with 'partnerships forms design --id ID' and ask for "
        "it to be completed again"]


def test_older_version_whose_archived_definition_is_a_folder_says_it_is_not_found(
        workspace: Workspace) -> None:
    design_form = issue_one(workspace, "design")
    path = fill(workspace, design_form, complete_answers(workspace, design_form))
    issued = _bump_current_version(workspace, "design")
    archive = workspace.forms_dir / "archive" / f"design.v{issued}.toml"
    archive.mkdir(parents=True)

    reading = read(workspace, path)

    assert [p.message for p in reading.problems] == [f"{archive}: form definition not found"]


def test_older_version_in_the_archive_reads_with_its_own_definition(
        workspace: Workspace) -> None:
    design_form = issue_one(workspace, "design")
    answers = complete_answers(workspace, design_form)
    path = fill(workspace, design_form, answers)
    issued = definition_for(workspace, "design").version
    archive = workspace.forms_dir / "archive" / f"design.v{issued}.toml"
    archive.parent.mkdir(exist_ok=True)
    archive.write_bytes((workspace.forms_dir / "design.toml").read_bytes())
    _bump_current_version(workspace, "design")

    reading = read(workspace, path)

    assert (reading.version, reading.answers, reading.errors) == (issued, answers, [])


@pytest.mark.parametrize(("stamp", "says"), [
    pytest.param("99", ["version 99", "update the toolkit"], id="newer-than-known"),
    pytest.param("0", ["version", "issue a new form"], id="zero"),
    pytest.param("one", ["version", "issue a new form"], id="not-a-number"),
])
def test_rewritten_version_stamp_is_one_error_saying_what_to_do(
        design_ws: Workspace, design_form: IssuedForm, stamp: str, says: list[str]) -> None:
    path = fill(design_ws, design_form, complete_answers(design_ws, design_form))
    rewrite_part(path, "docProps/custom.xml",
                 lambda data: set_custom_property(data, "pt_version", stamp))

    reading = read(design_ws, path)

    assert len(reading.problems) == 1
    assert reading.problems[0].severity == "error"
    assert all(fragment in reading.problems[0].message for fragment in says)


# ---- 9. property: any text a person can type reads back exactly ------------------------------

# Characters XML 1.0 allows in a document, less the control characters other than tab and line
# feed. Carriage returns are left out: XML parsers normalise "\r" and "\r\n" to "\n", and Word
# itself stores a typed line break as w:br, never as a character.
TYPED_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n",
                           blacklist_characters="\ufffe\uffff"),
    max_size=200)


@pytest.fixture(scope="module")
def issued_design(design_ws: Workspace, design_form: IssuedForm) -> tuple[Workspace, bytes]:
    """The file's design form, for every example (issuing is the slow part)."""
    return design_ws, design_form.path.read_bytes()


def _is_blank_or_placeholder(text: str) -> bool:
    return not text.strip() or text.strip() in set(PLACEHOLDERS.values())


@settings(max_examples=60, deadline=None)
@given(text=TYPED_TEXT)
@example(text="ends with a line break\n")
@example(text="\n\nbetween breaks\n\n")
def test_any_typed_text_reads_back_exactly(issued_design: tuple[Workspace, bytes],
                                           text: str) -> None:
    # A blank answer is no answer, and the placeholder's own words read as untouched.
    assume(not _is_blank_or_placeholder(text))
    ws, issued = issued_design
    answers = {"hosting_over_time": text,
               "risks": [{"description": "Risk", "mitigation": text}]}

    filled = fill_form(issued, definition_for(ws, "design"), answers)
    reading = read(ws, filled)

    assert reading.answers["hosting_over_time"] == text
    assert reading.answers["risks"][0]["mitigation"] == text
