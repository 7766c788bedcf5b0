"""What the forms ask, as a council's governance officer and monitoring officer expect.

Each test opens a form issued from the bundled definitions, finds the answer box by its tag
and reads the question printed beside it, or the choices its list offers. The tests that only
read a form share one issued for the whole file (`example_form`); those that change a setting
or take a return in issue their own.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.formdefs import form_types
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.office import controls
from generator.returns.collect import collect
from generator.workspace import init_workspace

from conftest import TODAY
from support import complete_answers, document_xml, fill, set_setting

SAMPLES = Path(__file__).parent / "samples" / "forms"


def issued(workspace, form_type, partnership_id):
    return issue_forms(workspace, form_type, partnership_id=partnership_id,
                       today=TODAY).written[0]


def box(path, tag):
    """The answer box with this tag on the form."""
    found = [s for s in document_xml(path).iter(controls.SDT) if controls.tag_of(s) == tag]
    assert found, f"no answer box '{tag}' on {path.name}"
    return found[0]


def question(path, tag) -> str:
    """The words printed in the first cell of the table row holding the answer box."""
    row = next(box(path, tag).iterancestors(controls.w("tr")))
    first = row.find(controls.w("tc"))
    return " ".join(controls.visible_text(first).split())


def choices(path, tag) -> list[str]:
    return [label for label, _ in controls.list_items(box(path, tag))]


def text_of(path) -> str:
    return "\n".join(controls.visible_text(p) for p in document_xml(path).iter(controls.w("p")))


@pytest.fixture(scope="module")
def example_form(tmp_path_factory) -> Callable[[str, str], Path]:
    """The form of a type for a partnership of the example register, issued once for the
    whole file into a workspace no test changes (issuing took most of the file's time)."""
    ws = init_workspace(tmp_path_factory.mktemp("forms") / "ws", today=TODAY)

    @functools.cache
    def form(form_type: str, partnership_id: str) -> Path:
        return issued(ws, form_type, partnership_id).path

    return form


@pytest.fixture
def agreement(example_form):
    return example_form("agreement", "P006")


@pytest.fixture
def design(example_form):
    return example_form("design", "P006")


@pytest.fixture
def explore(example_form):
    return example_form("explore", "P007")


@pytest.fixture
def review(example_form):
    return example_form("review", "P001")


# ---- legal basis ---------------------------------------------------------------------------

LEGAL_ROUTES = [
    "s101 Local Government Act 1972",
    "s9EA Local Government Act 2000",
    "(Arrangements for the Discharge of Functions) (England) Regulations 2012",
    "s101(5) and s102 Local Government Act 1972",
    "s113 Local Government Act 1972",
    "Local Authorities (Goods and Services) Act 1970",
    "s1 Localism Act 2011",
    "s4 Localism Act 2011 and s95 Local Government Act 2003",
    "s93 Local Government Act 2003",
]


@pytest.mark.parametrize("route", LEGAL_ROUTES)
@pytest.mark.parametrize("form_type", ["agreement", "design"])
def test_the_legal_basis_offers_each_route_open_to_english_councils(example_form, form_type,
                                                                     route):
    form = example_form(form_type, "P006")

    offered = choices(form, "legal_basis")

    assert any(route in choice for choice in offered), offered


@pytest.mark.parametrize("form_type", ["agreement", "design"])
def test_the_procurement_exemption_relied_on_is_asked_for(example_form, form_type):
    form = example_form(form_type, "P006")

    offered = " | ".join(choices(form, "procurement_basis"))

    assert "Procurement Act 2023, Schedule 2, paragraph 2" in offered
    assert "vertical" in offered
    assert "Procurement Act 2023, Schedule 2, paragraph 3" in offered
    assert "horizontal" in offered
    assert "Procured" in offered


# ---- agreement clauses ---------------------------------------------------------------------

NEW_CLAUSES = {
    "default": "Default by an authority",
    "legal_proceedings": "Assistance with legal proceedings",
    "complaints": "Complaints and the Local Government and Social Care Ombudsman",
    "business_continuity": "Business continuity",
    "pensions": "Pensions (LGPS) and redundancy costs on exit",
    "assets": "Assets and accommodation",
    "contributions": "How future contributions are calculated",
    "service_levels": "Service level schedule and its annual review",
    "procurement": "The procurement exemption relied on",
    "conflicts": "Conflicts of interest",
}


@pytest.mark.parametrize(("clause", "title"), list(NEW_CLAUSES.items()))
def test_the_agreement_checklist_asks_for_each_clause_a_shared_service_agreement_needs(
        agreement, clause, title):
    assert title in question(agreement, f"clause_{clause}_status")


# ---- Explore -------------------------------------------------------------------------------

@pytest.mark.parametrize("form_type", form_types())
def test_no_form_prints_a_placeholder_of_its_definition(example_form, form_type):
    partnership = {"explore": "P007", "design": "P006", "agreement": "P006"}.get(form_type,
                                                                                  "P001")
    text = text_of(example_form(form_type, partnership))

    assert "{number}" not in text
    assert "{title}" not in text


def test_the_explore_checklist_asks_how_the_proposal_would_be_assessed_under_each_objective(
        explore):
    for number in (1, 2, 3):
        answer = box(explore, f"objective_{number}_assessment")

        assert controls.kind_of(answer) == "text"
    assert "How the proposal would be assessed and monitored" in text_of(explore)
    assert "Tick each objective" not in text_of(explore)


@pytest.mark.parametrize(("tag", "words"), [
    ("savings_baseline", "cost the council now"),
    ("option_do_nothing", "Do nothing"),
    ("option_in_house", "In-house"),
    ("option_other_partner", "Another partner"),
    ("option_outsource", "Outsource"),
    ("preferred_option", "preferred"),
])
def test_the_explore_checklist_asks_for_an_options_appraisal_against_the_baseline_cost(
        explore, tag, words):
    assert words in question(explore, tag)


def test_the_explore_checklist_asks_who_decides_and_whether_it_is_a_key_decision(explore):
    assert "decision" in question(explore, "decision_route")
    assert "key decision" in question(explore, "key_decision")


def test_the_key_decision_threshold_printed_on_the_forms_is_the_councils_own(workspace):
    workspace = set_setting(workspace, "key_decision_threshold", "250000")

    explore = issued(workspace, "explore", "P007").path

    assert "at least £250,000" in question(explore, "key_decision")


# ---- Design --------------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "words"), [
    ("decision_route", "decision"),
    ("key_decision", "key decision"),
    ("s151_agreed", "Section 151 officer"),
    ("monitoring_officer_agreed", "Monitoring Officer"),
    ("hr_advice", "HR"),
    ("procurement_advice", "procurement"),
    ("dpia", "data protection impact assessment"),
    ("eqia", "equality impact assessment"),
    ("staff_consultation", "staff"),
    ("union_consultation", "trade unions"),
    ("lgps", "Local Government Pension Scheme"),
    ("company_business_case", "business case"),
    ("shareholder_agreement", "shareholder agreement"),
    ("subsidy_control", "subsidy control"),
])
def test_the_design_assessment_asks_what_a_governance_officer_expects(design, tag, words):
    assert words.casefold() in question(design, tag).casefold()


def test_the_design_assessment_shows_the_explore_options_appraisal_beside_its_own(workspace):
    explore = issued(workspace, "explore", "P006")
    answers = {**complete_answers(workspace, "explore", "P006"), "preferred_option": "in_house"}
    assert collect(workspace, [fill(workspace, explore, answers)]).outcomes[0].outcome in (
        "accepted", "warnings")

    design = issued(workspace, "design", "P006").path

    assert "Last accepted answer: Improve the service in-house (2026/27)" in text_of(design)


# ---- annual review -------------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "words"), [
    ("strategy_alignment", "Council Strategy"),
    ("joint_review", "jointly with the partner authorities"),
    ("contributors", "contributed"),
    ("partner_views", "partner authorities think"),
    ("complaints", "complaints"),
    ("ombudsman_findings", "Ombudsman"),
    ("audit_opinion", "internal audit"),
    ("data_breaches", "data breaches"),
    ("unit_cost", "unit cost"),
    ("benchmarking", "compare"),
    ("agreement_ends", "agreement end"),
    ("notice_period", "notice"),
    ("notice_by", "notice"),
])
def test_the_annual_review_asks_what_real_partnership_reviews_ask(review, tag, words):
    assert words.casefold() in question(review, tag).casefold()


def test_last_years_recommendations_come_back_on_this_years_review_to_be_updated(workspace):
    workspace.config["cycle"]["current"] = "2025/26"
    last_year = issued(workspace, "review", "P001")
    agreed = [{"action": "Agree a new fee schedule with Kingsmead", "owner": "Priya Natarajan",
               "due": "2026-06-30"},
              {"action": "Move both councils onto one case system", "owner": "Tom Ellery",
               "due": "2026-09-30"}]
    answers = {**complete_answers(workspace, "review", "P001"), "actions": agreed}
    assert collect(workspace, [fill(workspace, last_year, answers)]).outcomes[0].outcome in (
        "accepted", "warnings")
    workspace.config["cycle"]["current"] = "2026/27"

    this_year = issued(workspace, "review", "P001")

    rows = read_form(this_year.path).answers["last_year_actions"]
    assert [(r["action"], r["owner"], r["due"]) for r in rows] == [
        (a["action"], a["owner"], a["due"]) for a in agreed]
    assert all(r["progress"] is None for r in rows)


# ---- monitoring ----------------------------------------------------------------------------

def test_the_monitoring_budget_box_starts_with_the_budget_in_the_register(example_form):
    form = example_form("monitoring", "P001")

    assert read_form(form).answers["budget"] == 812000


# ---- returns of the earlier versions -------------------------------------------------------

@pytest.mark.parametrize("form_type", ["explore", "design", "agreement", "review"])
def test_a_return_of_version_1_of_the_form_still_reads_to_the_same_answers(form_type):
    expected = json.loads((SAMPLES / f"{form_type}-v1.json").read_text(encoding="utf-8"))

    reading = read_form(SAMPLES / f"{form_type}-v1.docx")

    assert reading.version == 1
    assert reading.errors == []
    assert reading.answers == expected


@pytest.mark.parametrize("form_type", ["explore", "design", "agreement", "review"])
def test_the_form_is_now_version_2(example_form, form_type):
    partnership = {"explore": "P007", "review": "P001"}.get(form_type, "P006")

    assert read_form(example_form(form_type, partnership)).version == 2
