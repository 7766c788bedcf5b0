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
    assert "4. Partnership to be considered only where optimal to service delivery" in text


def test_the_form_identity_is_in_its_document_properties(explore_forms):
    form = explore_forms[0]

    props = open_package(form.path).custom_properties

    assert props["pt_form"] == "explore"
    assert props["pt_version"] == "2"
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
    assert controls.kind_of(tags["head_of_service_agreed"]) == "checkbox"
    assert controls.kind_of(tags["completed_on"]) == "date"
    assert controls.is_multiline(tags["rationale"])


def _control(*properties: str) -> etree._Element:
    """A content control whose properties (w:sdtPr) hold these elements, in this order."""
    sdt = etree.Element(controls.SDT)
    pr = etree.SubElement(sdt, controls.SDT_PR)
    etree.SubElement(pr, controls.w("alias"))
    for name in properties:
        etree.SubElement(pr, name)
    return sdt


@pytest.mark.parametrize(("element", "kind"), [
    (controls.w("text"), "text"), (controls.w("dropDownList"), "dropdown"),
    (controls.w("comboBox"), "combobox"), (controls.w("date"), "date"),
    (controls.w14("checkbox"), "checkbox"), (controls.w15("repeatingSection"), "repeating"),
    (controls.w15("repeatingSectionItem"), "repeating_item"), (controls.w("group"), "group"),
])
def test_a_control_is_the_kind_its_properties_say(element, kind):
    assert controls.kind_of(_control(element)) == kind


def test_a_control_without_a_kind_in_its_properties_is_rich_text():
    assert controls.kind_of(_control()) == "richtext"
    assert controls.kind_of(etree.Element(controls.SDT)) == "richtext"


def test_the_first_kind_in_a_controls_properties_is_its_kind():
    assert controls.kind_of(_control(controls.w("date"), controls.w("text"))) == "date"


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


def _last_quarter_return(workspace) -> None:
    """P002's monitoring return for Q3 2026/27: two indicators and one risk."""
    set_period(workspace, "Q3 2026/27")
    first = issue_forms(workspace, "monitoring", partnership_id="P002", today=TODAY).written[0]
    kpis = [{"name": "Benefit claims processed in 10 days", "unit": "percentage",
             "polarity": "higher", "target": "90%", "tolerance": "5%", "actual": "88%",
             "commentary": "Backlog & staff"},
            {"name": "Council tax collected", "unit": "percentage", "polarity": "higher",
             "target": "98%", "tolerance": "1%", "actual": "98.5%"}]
    risks = [{"description": "Partner withdraws", "inherent_likelihood": "3",
              "inherent_impact": "5", "likelihood": "2", "impact": "5",
              "mitigation": "Notice period", "owner": "Owen Marsh"}]
    answers = {**complete_answers(workspace, "monitoring", "P002"), "kpis": kpis, "risks": risks}
    assert collect(workspace, [fill(workspace, first, answers)]).outcomes[0].outcome in (
        "accepted", "warnings")


def set_period(workspace, period: str) -> None:
    workspace.config["cycle"]["period"] = period


def test_a_monitoring_return_carries_last_quarters_indicators_with_refs_and_no_actual(
        workspace):
    _last_quarter_return(workspace)
    set_period(workspace, "Q4 2026/27")

    second = issue_forms(workspace, "monitoring", partnership_id="P002", today=TODAY).written[0]

    kpis = read_form(second.path).answers["kpis"]
    assert [(k["ref"], k["name"], k["unit"], k["target"], k["tolerance"]) for k in kpis] == [
        ("K1", "Benefit claims processed in 10 days", "percentage", 90, 5),
        ("K2", "Council tax collected", "percentage", 98, 1)]
    assert [(k["actual"], k["rag"], k["commentary"]) for k in kpis] == [(None, None, None)] * 2


def test_a_monitoring_return_shows_last_quarters_actual_beside_each_indicator(workspace):
    _last_quarter_return(workspace)
    set_period(workspace, "Q4 2026/27")

    second = issue_forms(workspace, "monitoring", partnership_id="P002", today=TODAY).written[0]

    previous = [k["previous"] for k in read_form(second.path).answers["kpis"]]
    assert "Q3 2026/27" in previous[0] and "88%" in previous[0]
    assert "98.5%" in previous[1]


def test_a_monitoring_return_carries_each_risk_with_its_inherent_score_and_asks_for_now(
        workspace):
    _last_quarter_return(workspace)
    set_period(workspace, "Q4 2026/27")

    second = issue_forms(workspace, "monitoring", partnership_id="P002", today=TODAY).written[0]

    [risk] = read_form(second.path).answers["risks"]
    assert (risk["ref"], risk["description"], risk["inherent_likelihood"],
            risk["inherent_impact"], risk["likelihood"], risk["impact"]) == (
        "R1", "Partner withdraws", "3", "5", None, None)
    assert "Q3 2026/27" in risk["previous"] and "10" in risk["previous"]


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
