"""Checking answers read from a form against its definition.

Every problem names the field as the person saw it, what was found and what was expected.
All problems of a form are collected; nothing stops at the first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from generator.errors import MoneyError, TooLarge
from generator.formdefs import Field, FormDefinition
from generator.money import parse_money, parse_number
from generator.office.controls import impossible_date, parse_shown_date

EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


# Labels of problems that are about the form as a whole, not one answer (field "").
OUTSIDE_THE_BOXES = "Text outside the answer boxes"
SENDER = "Sender"


@dataclass(frozen=True)
class Problem:
    field: str
    label: str
    message: str
    severity: str = "error"  # "error" rejects the form; "warning" is told but accepted
    row: int | None = None  # for a table's cell: the row, counted from 1 as the form shows it

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        if self.row is None:
            del found["row"]
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Problem:
        """A problem as `to_json` gave it (as the store keeps it)."""
        row = data.get("row")
        return cls(str(data.get("field") or ""), str(data.get("label") or ""),
                   str(data.get("message") or ""), str(data.get("severity") or "error"),
                   row if isinstance(row, int) else None)


def _shown(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f'"{text[:limit]}…"' if len(text) > limit else f'"{text}"'


def coerce(f: Field, raw: Any) -> tuple[Any, str | None]:
    """The typed answer for a raw value read from a control, or an error message."""
    if raw is None or raw == "":
        return None, None
    if f.type == "checkbox":
        return bool(raw), None
    text = str(raw)
    if len(text) > f.max_length:
        return text, (f"is {len(text):,} characters long; the most this answer takes is "
                      f"{f.max_length:,}: shorten it or attach a document instead")
    if f.type == "choice":
        choice = f.choice_for(text)
        if choice is None:
            allowed = ", ".join(c.label for c in f.choices)
            return text, (f"{_shown(text)} is not one of the choices ({allowed}); "
                          "pick one from the list")
        return choice.value, None
    if f.type == "date":
        # Day first, as in the UK; an ISO date (2026-11-04) is what the reader gives for a
        # date it could read. A date that does not exist (30/02/2026) is never accepted.
        parsed = parse_shown_date(text)
        if parsed is not None:
            return parsed.isoformat(), None
        why = impossible_date(text)
        if why:
            return text, (f"{_shown(text)} is not a real date ({why}); pick one from the "
                          "calendar or type DD/MM/YYYY")
        return text, (f"{_shown(text)} is not a date; pick one from the calendar or "
                      "type DD/MM/YYYY")
    if f.type == "money":
        try:
            return parse_money(text), None
        except TooLarge as exc:
            return text, str(exc)
        except MoneyError:
            return text, (f"{_shown(text)} is not an amount of money; type a number of pounds "
                          "such as 12500 or £12,500")
    if f.type in ("number", "integer"):
        try:
            return parse_number(text, integer=f.type == "integer"), None
        except TooLarge as exc:
            return text, str(exc)
        except MoneyError:
            kind = "a whole number" if f.type == "integer" else "a number"
            return text, f"{_shown(text)} is not {kind}; type digits such as 3"
    if f.type == "email":
        cleaned = text.strip()
        if not EMAIL.match(cleaned):
            return text, f"{_shown(text)} is not an email address (expected name@example.org)"
        return cleaned, None
    return text, None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value is False


def validate_answers(definition: FormDefinition, raw: dict[str, Any],
                     missing_controls: set[str]) -> tuple[dict[str, Any], list[Problem]]:
    """Typed answers and every problem found, for the raw values read from a form."""
    answers: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in definition.fields.values():
        if f.id in missing_controls:
            problems.append(Problem(
                f.id, f.label,
                "the answer box is missing from the form (deleted, or its tag changed); "
                "fill in a fresh copy of the form or ask the Partnerships team to take it in",
            ))
            answers[f.id] = [] if f.type == "table" else None
            continue
        if f.type == "table":
            answers[f.id] = _table(f, raw.get(f.id) or [], problems)
            continue
        value, error = coerce(f, raw.get(f.id))
        answers[f.id] = value
        if error:
            problems.append(Problem(f.id, f.label, error))
        elif f.required and _empty(value) and f.type != "checkbox":
            problems.append(Problem(f.id, f.label, "is required but was left empty"))
    problems.extend(_rule_problems(definition, answers))
    return answers, problems


def _rule_problems(definition: FormDefinition, answers: dict[str, Any]) -> list[Problem]:
    """What the definition's rules find: a required answer left empty, or, for a rule
    with `expected`, an item the chosen answer expects (a clause a chosen kind of
    agreement should contain, say) that the person marked as missing."""
    problems = []
    for rule in definition.rules:
        if answers.get(rule.when) not in rule.values:
            continue
        if rule.require is not None and _empty(answers.get(rule.require)):
            label = definition.fields[rule.require].label
            problems.append(Problem(rule.require, label, rule.message, rule.severity))
        elif rule.expected is not None:
            flag, wording = rule.expected.for_answer(answers.get(rule.expected.field))
            if rule.item.get(flag):
                problems.append(Problem(rule.when, definition.fields[rule.when].label,
                                        rule.message.replace("{expected}", wording), rule.severity))
    return problems


def _table(f: Field, rows: list[dict[str, Any]], problems: list[Problem]) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    for number, raw_row in enumerate(rows, start=1):
        if all(_empty(raw_row.get(c.id)) for c in f.columns):
            continue
        row: dict[str, Any] = {}
        for column in f.columns:
            value, error = coerce(column, raw_row.get(column.id))
            row[column.id] = value
            where = f"{f.label}, row {number}, {column.label}"
            if error:
                problems.append(Problem(f"{f.id}.{column.id}", where, error, row=number))
            elif column.required and _empty(value) and column.type != "checkbox":
                problems.append(Problem(
                    f"{f.id}.{column.id}", where,
                    "is empty but the rest of the row is filled in; complete it or clear the row",
                    row=number))
        kept.append(row)
    if f.required and not kept:
        problems.append(Problem(f.id, f.label, "needs at least one row"))
    return kept


def today_iso() -> str:
    return dt.date.today().isoformat()
