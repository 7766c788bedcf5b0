"""Numbers from outside: an absurd figure is a clear problem, never infinity or invalid JSON."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from generator.cli import main
from generator.errors import MoneyError, RegisterError
from generator.forms.issue import issue_forms
from generator.money import parse_money, parse_number
from generator.register import COLUMNS, example_rows, read_register, write_register
from generator.returns.collect import collect

from conftest import TODAY
from support import complete_answers, fill

FOUR_HUNDRED_DIGITS = "9" * 400


def _no_constants(name: str) -> None:
    raise AssertionError(f"JSON holds {name}, which is not JSON")


@pytest.fixture
def absurd_return(workspace):
    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]
    answers = complete_answers(workspace, "monitoring", "P001")
    return fill(workspace, form, {**answers, "budget": FOUR_HUNDRED_DIGITS})


def test_a_400_digit_amount_on_a_form_is_rejected_as_too_large(workspace, absurd_return):
    result = collect(workspace, [absurd_return])

    assert result.outcomes[0].outcome == "rejected"
    assert any("too large to be an amount of money" in r for r in result.outcomes[0].reasons)


def test_read_json_stays_valid_json_when_a_form_holds_an_absurd_amount(workspace, absurd_return):
    result = CliRunner().invoke(main, ["--workspace", str(workspace.root), "read", "--json",
                                       str(absurd_return)])

    readings = json.loads(result.stdout, parse_constant=_no_constants)
    assert readings[0]["problems"][0]["field"] == "budget"


def test_amounts_beyond_ten_billion_pounds_and_non_finite_numbers_are_refused():
    for text in (FOUR_HUNDRED_DIGITS, "£10,000,000,001", float("inf"), float("nan")):
        with pytest.raises(MoneyError):
            parse_money(text)
    for text in ("inf", "nan", "1e5", FOUR_HUNDRED_DIGITS):
        with pytest.raises(MoneyError):
            parse_number(text)

    assert parse_money("£10,000,000,000") == 10_000_000_000


def test_a_register_budget_of_400_digits_is_a_problem_of_its_cell(workspace):
    rows = example_rows()
    rows[0]["budget"] = FOUR_HUNDRED_DIGITS
    write_register(workspace.path("register"), rows)

    with pytest.raises(RegisterError) as caught:
        read_register(workspace.path("register"), workspace.framework())

    budget_column = get_column_letter([c.key for c in COLUMNS].index("budget") + 1)
    assert any(f"Partnerships!{budget_column}2" in p and "too large" in p
               for p in caught.value.problems)
