"""The framework and form definitions are data, validated when loaded."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from generator.errors import FrameworkError
from generator.formdefs import FORMS_DIR, form_types, load_definition, parse_definition
from generator.framework import BUNDLED_FRAMEWORK, load_framework, parse_framework


def bundled() -> dict:
    return tomllib.loads(BUNDLED_FRAMEWORK.read_text(encoding="utf-8"))


def test_bundled_framework_has_the_strategy_content():
    framework = load_framework()

    assert [p.number for p in framework.principles] == list(range(1, 9))
    assert len(framework.objectives) == 3
    assert [p.id for p in framework.phases] == ["Explore", "Design", "Deliver"]
    assert {s.id for s in framework.in_scope} == {"shared_service", "goods_services", "traded"}
    assert {s.id for s in framework.scopes if not s.in_scope} == {
        "contracted_out", "grant", "joint_venture", "collaboration"}
    assert len(framework.design_expectations) == 7


def test_a_principle_without_a_title_is_an_error_naming_the_file_and_entry():
    data = bundled()
    del data["principles"][2]["title"]

    with pytest.raises(FrameworkError) as error:
        parse_framework(data, Path("framework.toml"))

    assert str(error.value) == ("framework.toml: principles entry 3 ('fair_hosting'): 'title' "
                                "is missing or empty; give it as text")


def test_a_duplicate_principle_id_is_an_error():
    data = bundled()
    data["principles"][1]["id"] = data["principles"][0]["id"]

    with pytest.raises(FrameworkError, match="principles: duplicate id 'willing_partners'"):
        parse_framework(data, Path("framework.toml"))


def test_a_scale_choice_without_a_label_is_an_error():
    data = bundled()
    del data["scales"]["assessment"]["choices"][1]["label"]

    with pytest.raises(FrameworkError, match="scales.assessment choice 2: 'label'"):
        parse_framework(data, Path("framework.toml"))


DELETE = object()


def edited(data: dict, edits: list[tuple[tuple, object]]) -> dict:
    """`data` with each (path, value) set, or removed when the value is DELETE."""
    for path, value in edits:
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return data


@pytest.mark.parametrize(("edits", "message"), [
    ([(("strategy",), "Mole Valley")],
     "strategy: must be a [strategy] table"),
    ([(("strategy", "title"), DELETE)],
     "[strategy]: 'title' is missing or empty; give it as text"),
    ([(("scopes",), [])],
     "scopes: no entries; at least one is needed"),
    ([(("scopes",), "shared services")],
     "scopes: must be a list of [[scopes]] tables"),
    ([(("scopes", 0, "in_scope"), "yes")],
     "scopes entry 1 ('shared_service'): 'in_scope' must be true or false"),
    ([(("scopes", 1, "label"), " ")],
     "scopes entry 2 ('goods_services'): 'label' is missing or empty; give it as text"),
    ([(("scopes", 2, "id"), "shared_service")],
     "scopes: duplicate id 'shared_service'; every id must be unique"),
    ([(("objectives", 0, "number"), "one")],
     "objectives entry 1 ('strategic'): 'number' is missing or not a whole number"),
    ([(("objectives", 2, "id"), "obj1_dummy"), (("objectives", 1, "id"), "obj1_dummy")],
     "objectives: duplicate id 'obj1_dummy'; every id must be unique"),
    ([(("principles", 3, "considerations"), "none")],
     "principles entry 4 ('optimal_delivery'): 'considerations' must be a list of text"),
    ([(("principles", 4, "number"), 1)],
     "principles (number): duplicate id '1'; every id must be unique"),
    ([(("phases", 1, "description"), DELETE)],
     "phases entry 2 ('Design'): 'description' is missing or empty; give it as text"),
    ([(("phases",), DELETE)],
     "phases: no entries; at least one is needed"),
    ([(("scales",), {})],
     "scales: must be [scales.NAME] tables, at least one"),
    ([(("scales", "assessment", "choices"), [])],
     "scales.assessment: 'choices' is missing or empty"),
    ([(("scales", "review", "choices", 0), "Green")],
     "scales.review choice 1: must be a table with value and label"),
    ([(("scales", "yes_no", "choices", 1, "value"), "yes")],
     "scales.yes_no: duplicate id 'yes'; every id must be unique"),
    ([(("scales", "yes_no", "choices", 1, "label"), "Yes")],
     "scales.yes_no (label): duplicate id 'Yes'; every id must be unique"),
    ([(("scales", "yes_no", "title"), DELETE)],
     "scales.yes_no: 'title' is missing or empty; give it as text"),
    ([(("scales", "yes_no", "choices", 0, "flag"), "yes")],
     "scales.yes_no choice 1: 'flag' must be true or false"),
    ([(("design_expectations", 2, "id"), DELETE)],
     "design_expectations entry 3: 'id' is missing or empty; give it as text"),
    ([(("agreement_clauses", 5, "mandatory"), "yes")],
     "agreement_clauses entry 6 ('host'): 'mandatory' must be true or false"),
    ([(("agreement_clauses", 6, "id"), "AC1_DUMMY"), (("agreement_clauses", 7, "id"), "AC1_DUMMY")],
     "agreement_clauses: duplicate id 'AC1_DUMMY'; every id must be unique"),
    ([(("agreement_clauses",), "none")],
     "agreement_clauses: must be a list of [[agreement_clauses]] tables"),
    ([(("phases", 0, "title"), DELETE), (("scopes", 3, "label"), DELETE)],
     "scopes entry 4 ('contracted_out'): 'label' is missing or empty; give it as text"),
    ([(("scales", "yes_no", "choices"), []), (("principles", 0, "statement"), DELETE)],
     "principles entry 1 ('willing_partners'): 'statement' is missing or empty; give it as text"),
    ([(("risk_matrix", "escalate_at"), 30)],
     "[risk_matrix]: 'escalate_at' is 30, but scores run from 1 to 25"),
    ([(("risk_matrix", "bands", 1, "lowest"), 6)],
     "risk_matrix.bands entry 2: 'Medium' runs from 6 to 9, but the next band must start at 5 "
     "(every score from 1 to 25 in exactly one band)"),
    ([(("risk_matrix", "bands", 3, "highest"), 20)],
     "risk_matrix.bands: the bands end at 20, but scores go up to 25"),
    ([(("risk_matrix", "bands", 0, "colour"), "green")],
     "risk_matrix.bands entry 1: 'colour' must be six hex digits (RRGGBB), such as \"F4B183\""),
    ([(("risk_matrix", "likelihood", 2, "descriptor"), DELETE)],
     "risk_matrix.likelihood entry 3: 'descriptor' is missing or empty; give it as text"),
    ([(("risk_matrix", "impact", 4, "reputation"), DELETE)],
     "risk_matrix.impact entry 5: 'reputation' is missing or empty; give it as text"),
    ([(("risk_matrix", "impact", 1, "score"), 3)],
     "risk_matrix.impact entry 2: 'score' is 3, but the levels must be numbered 1, 2, 3... in "
     "order (this one is 2)"),
    ([(("performance", "default_tolerance_percent"), -5)],
     "[performance]: 'default_tolerance_percent' must be a number, 0 to 100"),
    ([(("performance", "green_needs_kpis_on_target_percent"), "half")],
     "[performance]: 'green_needs_kpis_on_target_percent' must be a number, 0 to 100"),
    ([(("scales", "kpi_unit", "choices", 0, "value"), "percent")],
     "scales.kpi_unit: the values must be percentage, pounds, number, days (the labels may say "
     "anything)"),
])
def test_a_fault_in_the_framework_is_named_with_its_entry(edits, message):
    data = edited(bundled(), edits)

    with pytest.raises(FrameworkError) as error:
        parse_framework(data, Path("framework.toml"))

    assert str(error.value) == f"framework.toml: {message}"


def test_no_partnership_type_in_scope_is_an_error():
    data = edited(bundled(), [(("scopes", i, "in_scope"), False) for i in range(7)])

    with pytest.raises(FrameworkError) as error:
        parse_framework(data, Path("framework.toml"))

    assert str(error.value) == "framework.toml: scopes: no partnership type is in scope"


def test_the_lists_of_design_expectations_and_agreement_clauses_may_be_left_out():
    data = edited(bundled(), [(("design_expectations",), DELETE),
                              (("agreement_clauses",), DELETE)])

    framework = parse_framework(data, Path("framework.toml"))

    assert framework.design_expectations == () and framework.agreement_clauses == ()



def test_a_scope_is_found_by_its_id_or_label_however_it_is_cased_and_spaced():
    framework = load_framework()

    assert framework.scope_by_label("  SHARED_service ").id == "shared_service"
    assert framework.scope_by_label("shared   SERVICE").id == "shared_service"
    assert framework.scope_by_label("shared") is None


def test_a_choice_is_found_by_its_label_or_value_however_it_is_cased_and_spaced():
    field = load_definition("review").fields["overall_rating"]
    choice = field.choices[0]

    assert field.choice_for(f" {choice.label.upper()} ") == choice
    assert field.choice_for(choice.value.upper()) == choice
    assert field.choice_for("no such choice") is None

@pytest.mark.parametrize("form_type", form_types())
def test_every_form_definition_loads(form_type):
    definition = load_definition(form_type)

    assert definition.type == form_type
    assert definition.version >= 1
    assert definition.fields


def test_principle_fields_take_their_wording_from_the_framework():
    data = bundled()
    data["principles"][0]["title"] = "Only willing partners, reworded"
    framework = parse_framework(data, Path("framework.toml"))
    source = Path(__file__).parent.parent / "generator" / "data" / "forms" / "explore.toml"

    definition = parse_definition(tomllib.loads(source.read_text(encoding="utf-8")), source,
                                  framework)

    assert definition.fields["p1_assessment"].label == (
        "Principle 1: Only willing partners, reworded - assessment")


def test_a_rule_naming_an_unknown_field_is_an_error():
    source = Path(__file__).parent.parent / "generator" / "data" / "forms" / "explore.toml"
    data = tomllib.loads(source.read_text(encoding="utf-8"))
    data["rules"][0]["require"] = "no_such_field"

    with pytest.raises(FrameworkError, match="rule refers to unknown field 'no_such_field'"):
        parse_definition(data, source, load_framework())


def test_a_newer_version_than_known_says_to_update():
    with pytest.raises(FrameworkError) as error:
        load_definition("explore", 99)

    assert str(error.value).startswith(
        "the form is version 99 of the explore form, newer than the version this workspace "
        "knows (2)")


def definition_data(form_type: str) -> dict:
    return tomllib.loads((FORMS_DIR / f"{form_type}.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("form_type", "edits", "message"), [
    ("agreement", [(("form",), DELETE)],
     "[form]: missing: it gives the form's type, version and title"),
    ("agreement", [(("form", "type"), "")],
     "[form]: 'type' is missing or empty"),
    ("agreement", [(("form", "version"), 0)],
     "[form]: 'version' must be a whole number, 1 or more"),
    ("agreement", [(("form", "version"), "1")],
     "[form]: 'version' must be a whole number, 1 or more"),
    ("agreement", [(("sections",), [])],
     "sections: a form needs at least one [[sections]] entry"),
    ("agreement", [(("sections", 0, "id"), DELETE)],
     "sections entry 1: 'id' is missing or empty"),
    ("agreement", [(("sections", 1, "for_each"), "clauses")],
     "sections entry 2 ('clauses'): for_each must be one of principles, objectives, "
     "design_expectations, agreement_clauses"),
    ("agreement", [(("sections", 0, "fields", 1), "legal_basis")],
     "sections entry 1 ('instrument') field 2: must be a table with id, label and type"),
    ("agreement", [(("sections", 0, "fields", 1, "id"), "Legal basis")],
     "sections entry 1 ('instrument') field 2 ('Legal basis'): ids are lower-case letters, "
     "digits and underscores"),
    ("agreement", [(("sections", 0, "fields", 1, "type"), "dropdown")],
     "sections entry 1 ('instrument') field 2 ('legal_basis'): type 'dropdown' is not one of "
     "text, multiline, choice, checkbox, date, money, number, integer, email, measure, table"),
    ("agreement", [(("sections", 0, "fields", 1, "scale"), DELETE)],
     "sections entry 1 ('instrument') field 2 ('legal_basis'): a choice field needs 'scale' (a "
     "scale of the framework)"),
    ("agreement", [(("sections", 0, "fields", 1, "scale"), "no_such_scale")],
     "sections entry 1 ('instrument') field 2 ('legal_basis'): scale 'no_such_scale' is not in "
     "framework.toml"),
    ("agreement", [(("sections", 0, "fields", 1, "required"), "yes")],
     "sections entry 1 ('instrument') field 2 ('legal_basis'): 'required' must be true or false"),
    ("agreement", [(("sections", 0, "fields", 1, "label"), DELETE)],
     "sections entry 1 ('instrument') field 2 ('legal_basis'): 'label' is missing or empty"),
    ("review", [(("sections", 5, "fields", 0, "columns"), [])],
     "sections entry 6 ('performance') field 1 ('kpis'): a table needs 'columns'"),
    ("review", [(("sections", 5, "fields", 0, "columns", 1, "type"), "table")],
     "sections entry 6 ('performance') field 1 ('kpis') column 2 ('name'): a table needs "
     "'columns'"),
    ("review", [(("sections", 5, "fields", 0, "columns", 2, "id"), "name")],
     "sections entry 6 ('performance') field 1 ('kpis'): duplicate column 'name'"),
    ("agreement", [(("sections", 1, "rules", 0, "in"), "missing")],
     "sections entry 2 ('clauses') rule 1: 'in' must be a list of values"),
    ("agreement", [(("sections", 1, "rules", 0, "severity"), "fatal")],
     "sections entry 2 ('clauses') rule 1: 'severity' is 'error' (the default) or 'warning'"),
    ("agreement", [(("sections", 1, "rules", 0, "expected_by"), "instrument")],
     "sections entry 2 ('clauses') rule 1 expected_by: must be a table with 'field', "
     "'otherwise' and one entry per answer, each { flag = ..., as = ... }"),
    ("agreement", [(("sections", 1, "rules", 0, "expected_by", "mou"), "mou_expected")],
     "sections entry 2 ('clauses') rule 1 expected_by: 'mou' must be { flag = ..., as = ... }"),
    ("agreement", [(("sections", 1, "rules", 0, "expected_by", "otherwise", "as"), DELETE)],
     "sections entry 2 ('clauses') rule 1 expected_by otherwise: 'as' is missing or empty"),
    ("agreement", [(("rules", 0, "require"), DELETE)],
     "rules entry 1: 'require' is missing or empty"),
    ("agreement", [(("rules", 0, "message"), DELETE)],
     "rules entry 1: 'message' is missing or empty"),
    ("agreement", [(("sections", 0, "title"), DELETE)],
     "sections entry 1 ('instrument'): 'title' is missing or empty"),
    ("agreement", [(("sections", 3, "fields", 0, "id"), "instrument")],
     "sections entry 4 ('sign_off'): duplicate field id 'instrument'"),
    ("agreement", [(("sections", 1, "fields", 2, "id"), "clause_{id}_status")],
     "sections entry 2 ('clauses'): duplicate field id 'clause_parties_status'"),
    ("agreement", [(("sections", 0, "fields", 4, "id"), "reference_{number}")],
     "sections entry 1 ('instrument'): 'reference_{number}' uses {...} but the section has no "
     "for_each"),
    ("agreement", [(("rules", 0, "when"), "no_such_field")],
     "rules: rule refers to unknown field 'no_such_field'"),
    ("agreement", [(("sections", 1, "rules", 0, "expected_by", "field"), "no_such_field")],
     "rules: rule refers to unknown field 'no_such_field'"),
    ("agreement", [(("sections", 1, "rules", 0, "expected_by", "otherwise", "flag"), "optional")],
     "rules: rule on 'clause_parties_status' tests 'optional', which the section's items do "
     "not have"),
    ("agreement", [(("form", "phase"), DELETE)],
     "[form]: 'phase' is missing or empty"),
    ("agreement", [(("form", "phase"), "Deliverance")],
     "[form]: phase 'Deliverance' is not a phase of the framework (Explore, Design, Deliver)"),
    ("agreement", [(("form", "order"), "2")],
     "[form]: 'order' must be a whole number"),
    ("agreement", [(("form", "order"), True)],
     "[form]: 'order' must be a whole number"),
    ("agreement", [(("form", "per_period"), "no")],
     "[form]: 'per_period' must be true or false"),
    ("design", [(("sections", 7, "fields", 0, "min_rows"), "three")],
     "sections entry 8 ('risks') field 1 ('risks'): 'min_rows' must be a whole number, 0 or "
     "more, such as 3"),
    ("design", [(("sections", 7, "fields", 0, "min_rows"), 2.5)],
     "sections entry 8 ('risks') field 1 ('risks'): 'min_rows' must be a whole number, 0 or "
     "more, such as 3"),
    ("design", [(("sections", 7, "fields", 0, "min_rows"), -1)],
     "sections entry 8 ('risks') field 1 ('risks'): 'min_rows' must be a whole number, 0 or "
     "more, such as 3"),
    ("design", [(("sections", 7, "fields", 0, "max_length"), True)],
     "sections entry 8 ('risks') field 1 ('risks'): 'max_length' must be a whole number, 1 or "
     "more, such as 500"),
    ("agreement", [(("form", "title"), DELETE)],
     "[form]: 'title' is missing or empty"),
    ("agreement", [(("form", "title"), DELETE), (("form", "per_period"), "no")],
     "[form]: 'per_period' must be true or false"),
    ("agreement", [(("form", "phase"), "Nope"), (("rules", 0, "when"), "no_such_field")],
     "rules: rule refers to unknown field 'no_such_field'"),
    ("agreement", [(("rules", 0, "when"), "no_such_field"),
                   (("sections", 3, "fields", 0, "id"), "instrument")],
     "sections entry 4 ('sign_off'): duplicate field id 'instrument'"),
    ("agreement", [(("sections", 0, "title"), DELETE),
                   (("sections", 0, "fields", 1, "type"), "dropdown")],
     "sections entry 1 ('instrument') field 2 ('legal_basis'): type 'dropdown' is not one of "
     "text, multiline, choice, checkbox, date, money, number, integer, email, measure, table"),
    ("agreement",
     [(("sections", 0, "rules"), [{"when": "instrument", "in": ["mou"], "message": "m"}])],
     "sections entry 1 ('instrument') rule 1: 'require' is missing or empty"),
])
def test_a_fault_in_a_form_definition_is_named_with_its_section_and_field(form_type, edits,
                                                                          message):
    data = edited(definition_data(form_type), edits)

    with pytest.raises(FrameworkError) as error:
        parse_definition(data, Path(f"{form_type}.toml"), load_framework())

    assert str(error.value) == f"{form_type}.toml: {message}"
