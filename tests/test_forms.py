"""Generating forms: one per partnership of the form's phase, pre-filled, stamped, never
overwritten."""

from __future__ import annotations

import zipfile

import pytest
from docx import Document
from lxml import etree

from generator.errors import ToolkitError
from generator.formdefs import form_types
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.office import controls
from generator.office.safe_open import open_package
from generator.register import example_rows, write_register
from generator.returns.collect import collect

from conftest import TODAY
from support import complete_answers, definition_for, document_xml, fill


def all_text(path) -> str:
    return "\n".join(controls.visible_text(p) for p in document_xml(path).iter(controls.w("p")))


def test_explore_forms_go_to_each_in_scope_partnership_in_the_explore_phase(explore_forms):
    assert sorted(f.partnership_id for f in explore_forms) == ["P007", "P008", "P009"]
    assert all(f.path.suffix == ".docx" and f.path.exists() for f in explore_forms)


@pytest.mark.parametrize(("form_type", "expected"), [
    ("design", ["P006"]), ("agreement", ["P006"]),
    ("review", ["P001", "P002", "P003", "P004", "P005"]),
    ("monitoring", ["P001", "P002", "P003", "P004", "P005"]),
])
def test_each_form_goes_to_the_partnerships_of_its_phase(workspace, form_type, expected):
    written = issue_forms(workspace, form_type, today=TODAY).written

    assert sorted(f.partnership_id for f in written) == expected


def test_the_form_is_prefilled_with_register_data(explore_forms):
    form = next(f for f in explore_forms if f.partnership_id == "P008")

    text = all_text(form.path)

    assert "Licensing Service for Kingsmead (P008)" in text
    assert "Kingsmead Borough Council" in text
    assert "Sofia Grant-Lewis (sofia.grant-lewis@example.org)" in text
    assert "Provision of goods or services to or from another authority" in text
    assert "Principle 4. Partnership only where optimal to service delivery" in text or \
        "4. Partnership only where optimal to service delivery" in text


def test_the_form_identity_is_in_its_document_properties(explore_forms):
    form = explore_forms[0]

    props = open_package(form.path).custom_properties

    assert props["pt_form"] == "explore"
    assert props["pt_version"] == "1"
    assert props["pt_partnership"] == form.partnership_id
    assert props["pt_cycle"] == "2026/27"
    assert props["pt_issue"] == form.issue_id


def test_every_answer_is_a_locked_content_control_tagged_with_its_field_id(workspace,
                                                                          explore_forms):
    definition = definition_for(workspace, "explore")
    root = document_xml(explore_forms[0].path)

    tags = {}
    for sdt in root.iter(controls.SDT):
        tags[controls.tag_of(sdt)] = sdt

    assert set(definition.fields) <= set(tags)
    assert all(sdt.find(f"{controls.SDT_PR}/{controls.w('lock')}").get(controls.w("val"))
               == "sdtLocked" for sdt in tags.values())
    assert controls.kind_of(tags["p1_assessment"]) == "dropdown"
    assert controls.kind_of(tags["objective_1"]) == "checkbox"
    assert controls.kind_of(tags["completed_on"]) == "date"
    assert controls.is_multiline(tags["rationale"])


def test_issuing_again_never_overwrites_an_earlier_form(workspace, explore_forms):
    first_bytes = {f.path: f.path.read_bytes() for f in explore_forms}

    again = issue_forms(workspace, "explore", today=TODAY, reissue=True).written

    assert {f.path for f in again}.isdisjoint(first_bytes)
    assert {f.issue_id for f in again}.isdisjoint({f.issue_id for f in explore_forms})
    assert all(path.read_bytes() == data for path, data in first_bytes.items())


def test_one_partnership_can_be_named(workspace):
    written = issue_forms(workspace, "review", partnership_id="P003", today=TODAY).written

    assert [f.partnership_id for f in written] == ["P003"]


def test_an_out_of_scope_partnership_gets_no_form(workspace):
    with pytest.raises(ToolkitError, match="P010 Community Grants Programme is out of scope"):
        issue_forms(workspace, "review", partnership_id="P010", today=TODAY)


def test_markup_in_register_data_is_shown_as_text_and_keeps_the_document_valid(workspace):
    rows = example_rows()
    rows[6]["name"] = 'Fish & Chips <Shared> "Service" {{ p.id }} {% if %}'
    write_register(workspace.path("register"), rows)

    form = issue_forms(workspace, "explore", partnership_id="P007", today=TODAY).written[0]

    root = document_xml(form.path)
    assert root.find(f"{controls.w('body')}/{controls.w('sectPr')}") is not None
    assert 'Fish & Chips <Shared> "Service" {{ p.id }} {% if %} (P007)' in all_text(form.path)
    assert Document(str(form.path)).core_properties.title.endswith(rows[6]["name"])


@pytest.mark.parametrize("form_type", form_types())
def test_every_part_of_a_generated_form_is_well_formed_xml(workspace, form_type):
    written = issue_forms(workspace, form_type, today=TODAY).written
    archive = zipfile.ZipFile(written[0].path)

    for name in archive.namelist():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(archive.read(name))
    root_tag = archive.read("word/document.xml")[:3000]
    assert b'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"' in root_tag
    assert b'mc:Ignorable="w14 w15 wp14"' in root_tag


def test_the_due_date_is_printed_on_the_form(workspace):
    import datetime as dt

    form = issue_forms(workspace, "review", partnership_id="P001", today=TODAY,
                       due=dt.date(2027, 1, 15)).written[0]

    assert "Friday 15 January 2027" in all_text(form.path)


def test_a_review_shows_last_years_accepted_rating_beside_each_principle(workspace):
    workspace.config["cycle"]["current"] = "2025/26"
    last_year = issue_forms(workspace, "review", partnership_id="P001", today=TODAY).written[0]
    answers = complete_answers(workspace, "review", "P001")
    answers.update({f"p{n}_rating": "partly_met" for n in range(1, 9)})
    answers["p3_rating"] = "fully_met"
    assert collect(workspace, [fill(workspace, last_year, answers)]).outcomes[0].outcome in (
        "accepted", "warnings")
    workspace.config["cycle"]["current"] = "2026/27"

    this_year = issue_forms(workspace, "review", partnership_id="P001", today=TODAY).written[0]

    text = all_text(this_year.path)
    assert "Last accepted answer: Fully met (2025/26)" in text
    assert text.count("Last accepted answer: Partly met (2025/26)") == 7


def test_a_monitoring_return_starts_from_last_quarters_kpis_and_risks(workspace):
    first = issue_forms(workspace, "monitoring", partnership_id="P002", today=TODAY).written[0]
    kpis = [{"name": "Benefit claims processed in 10 days", "target": "90%", "actual": "88%",
             "rag": "amber", "commentary": "Backlog & staff"},
            {"name": "Council tax collected", "target": "98%", "actual": "98.5%",
             "rag": "green", "commentary": ""}]
    risks = [{"description": "Partner withdraws", "likelihood": "2", "impact": "5",
              "mitigation": "Notice period", "owner": "Owen Marsh"}]
    answers = {**complete_answers(workspace, "monitoring", "P002"), "kpis": kpis, "risks": risks}
    assert collect(workspace, [fill(workspace, first, answers)]).outcomes[0].outcome in (
        "accepted", "warnings")

    workspace.config["cycle"]["period"] = "2027-Q1"
    second = issue_forms(workspace, "monitoring", partnership_id="P002", today=TODAY).written[0]

    reading = read_form(second.path)
    assert reading.answers["kpis"] == [{**k, "commentary": k["commentary"] or None}
                                       for k in kpis]
    assert reading.answers["risks"] == risks


def test_a_design_assessment_shows_the_explore_answers_and_prefills_the_rationale(workspace):
    explore = issue_forms(workspace, "explore", partnership_id="P006", today=TODAY).written[0]
    answers = complete_answers(workspace, "explore", "P006")
    answers.update({"rationale": "One audit team for both councils & lower fees.",
                    "p2_assessment": "partly"})
    assert collect(workspace, [fill(workspace, explore, answers)]).outcomes[0].outcome in (
        "accepted", "warnings")

    design = issue_forms(workspace, "design", partnership_id="P006", today=TODAY).written[0]

    assert "Last accepted answer: Partly (2026/27)" in all_text(design.path)
    assert read_form(design.path).answers["rationale"] == (
        "One audit team for both councils & lower fees.")
