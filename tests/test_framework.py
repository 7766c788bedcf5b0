"""The framework and form definitions are data, validated when loaded."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from generator.errors import FrameworkError
from generator.formdefs import form_types, load_definition, parse_definition
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
        "knows (1)")
