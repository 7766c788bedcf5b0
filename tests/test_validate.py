"""Each answer of a form becomes its typed value, or a message saying what is wrong."""

from __future__ import annotations

import pytest

from generator.formdefs import Field
from generator.forms.validate import coerce
from generator.framework import Choice

YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))


def field(kind: str, **more) -> Field:
    return Field("answer", "Answer", kind, **more)


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("text", "  as typed ", "  as typed "),
    ("multiline", "two\nlines", "two\nlines"),
    ("checkbox", True, True),
    ("date", "04/11/2026", "2026-11-04"),
    ("date", "2026-11-04", "2026-11-04"),
    ("money", "£12,500", 12500),
    ("number", "2.5", 2.5),
    ("integer", "3", 3),
    ("email", " jane@example.org ", "jane@example.org"),
])
def test_an_answer_becomes_the_value_of_its_type(kind, raw, value):
    assert coerce(field(kind), raw) == (value, None)


def test_a_choice_answer_becomes_the_value_of_the_choice_its_label_names():
    assert coerce(field("choice", choices=YES_NO), "  YES ") == ("yes", None)


@pytest.mark.parametrize("kind", ["text", "choice", "date", "money", "checkbox"])
def test_an_empty_answer_is_no_answer(kind):
    assert coerce(field(kind), "") == (None, None)
    assert coerce(field(kind), None) == (None, None)


@pytest.mark.parametrize(("kind", "raw", "message"), [
    ("choice", "Maybe", '"Maybe" is not one of the choices (Yes, No); pick one from the list'),
    ("date", "30/02/2026", '"30/02/2026" is not a real date (February 2026 has 28 days); pick '
                           "one from the calendar or type DD/MM/YYYY"),
    ("date", "next week", '"next week" is not a date; pick one from the calendar or type '
                          "DD/MM/YYYY"),
    ("money", "about 10k", '"about 10k" is not an amount of money; type a number of pounds '
                           "such as 12500 or £12,500"),
    ("number", "lots", '"lots" is not a number; type digits such as 3'),
    ("integer", "2.5", '"2.5" is not a whole number; type digits such as 3'),
    ("email", "jane at example", '"jane at example" is not an email address (expected '
                                 "name@example.org)"),
])
def test_an_answer_that_is_not_of_its_type_keeps_its_text_and_says_why(kind, raw, message):
    assert coerce(field(kind, choices=YES_NO), raw) == (raw, message)


def test_an_answer_longer_than_its_field_takes_is_refused_before_its_type_is_read():
    assert coerce(field("money", max_length=5), "123456") == (
        "123456", "is 6 characters long; the most this answer takes is 5: shorten it or "
                  "attach a document instead")
