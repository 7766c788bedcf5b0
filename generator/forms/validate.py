"""Checking answers read from a form against its definition.

Every problem names the field as the person saw it, what was found and what was expected.
All problems of a form are collected; nothing stops at the first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from generator.errors import MoneyError, TooLarge
from generator.formdefs import Field, FormDefinition
from generator.money import VarianceLimit, format_money, parse_money, parse_number
from generator.office.controls import impossible_date, parse_shown_date
from generator.performance import MeasureError, indicators, read_measure
from generator.vocabulary import BUDGET, BUDGET_COMMENTARY, FORECAST, KPIS

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
    typed = _TYPED.get(f.type)
    return typed(f, text) if typed is not None else (text, None)


def _choice(f: Field, text: str) -> tuple[Any, str | None]:
    choice = f.choice_for(text)
    if choice is None:
        allowed = ", ".join(c.label for c in f.choices)
        return text, (f"{_shown(text)} is not one of the choices ({allowed}); "
                      "pick one from the list")
    return choice.value, None


def _date(_f: Field, text: str) -> tuple[Any, str | None]:
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


def _money(_f: Field, text: str) -> tuple[Any, str | None]:
    try:
        return parse_money(text), None
    except TooLarge as exc:
        return text, str(exc)
    except MoneyError:
        return text, (f"{_shown(text)} is not an amount of money; type a number of pounds "
                      "such as 12500 or £12,500")


def _number(f: Field, text: str) -> tuple[Any, str | None]:
    try:
        return parse_number(text, integer=f.type == "integer"), None
    except TooLarge as exc:
        return text, str(exc)
    except MoneyError:
        kind = "a whole number" if f.type == "integer" else "a number"
        return text, f"{_shown(text)} is not {kind}; type digits such as 3"


def _email(_f: Field, text: str) -> tuple[Any, str | None]:
    cleaned = text.strip()
    if not EMAIL.match(cleaned):
        return text, f"{_shown(text)} is not an email address (expected name@example.org)"
    return cleaned, None


# How the text of an answer becomes the typed answer, by field type; text types keep the
# text as it is.
_TYPED: dict[str, Callable[[Field, str], tuple[Any, str | None]]] = {
    "choice": _choice, "date": _date, "money": _money, "number": _number, "integer": _number,
    "email": _email,
}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value is False


def validate_answers(definition: FormDefinition, raw: dict[str, Any],
                     missing_controls: set[str], *, variance: VarianceLimit | None = None
                     ) -> tuple[dict[str, Any], list[Problem]]:
    """Typed answers and every problem found, for the raw values read from a form.

    `variance`: how far a forecast may be from the budget before the return must explain it
    (the workspace's settings); without it no explanation is asked for.
    """
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
            if f.id == KPIS.id:
                problems.extend(_overrides_without_reason(definition, f, answers[f.id]))
            continue
        value, error = coerce(f, raw.get(f.id))
        answers[f.id] = value
        if error:
            problems.append(Problem(f.id, f.label, error))
        elif f.required and _empty(value) and f.type != "checkbox":
            problems.append(Problem(f.id, f.label, "is required but was left empty"))
    problems.extend(_rule_problems(definition, answers))
    if variance is not None:
        problems.extend(_unexplained_variance(definition, answers, variance))
    return answers, problems


def _overrides_without_reason(definition: FormDefinition, f: Field,
                              rows: list[dict[str, Any]]) -> list[Problem]:
    """A warning for each indicator given another RAG than the one worked out, without
    saying why (the papers show it as an override either way)."""
    reason = next((c for c in f.columns if c.id == "rag_reason"), None)
    if reason is None or definition.framework is None:
        return []
    found = []
    for number, kpi in enumerate(indicators(rows, definition.framework), start=1):
        if kpi.overridden and not kpi.reason:
            found.append(Problem(
                f"{f.id}.{reason.id}", f"{f.label}, row {number}, {reason.label}",
                f"{kpi.name}: the RAG given is {kpi.rag}, but the actual "
                f"{kpi.shown(kpi.actual)} against the target {kpi.target_text} works out as "
                f"{kpi.calculated}; say why you rate it differently, or clear the RAG",
                severity="warning", row=number))
    return found


def _unexplained_variance(definition: FormDefinition, answers: dict[str, Any],
                          limit: VarianceLimit) -> list[Problem]:
    """An error when the forecast is further from the budget than the council's threshold
    and the budget commentary does not explain it."""
    commentary = definition.field(BUDGET_COMMENTARY.id)
    if commentary is None or not definition.field(BUDGET.id) or \
            not definition.field(FORECAST.id) or not _empty(answers.get(commentary.id)):
        return []
    budget, forecast = answers.get(BUDGET.id), answers.get(FORECAST.id)
    if not (isinstance(budget, int | float) and isinstance(forecast, int | float)):
        return []
    if not limit.needs_explaining(budget, forecast):
        return []
    return [Problem(commentary.id, commentary.label,
                    f"the forecast outturn {format_money(forecast)} is "
                    f"{limit.describe(budget, forecast)} the budget of {format_money(budget)}, "
                    f"beyond the {limit.wording} that needs explaining; say why and what is "
                    "being done about it")]


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
        for column in sorted(f.columns, key=lambda c: c.type == "measure"):
            value, error = coerce(column, raw_row.get(column.id))
            if column.type == "measure" and error is None:
                value, error = _measure(value, row.get(column.unit_from or ""))
            row[column.id] = value
            where = f"{f.label}, row {number}, {column.label}"
            if error:
                problems.append(Problem(f"{f.id}.{column.id}", where, error, row=number))
            elif column.required and _empty(value) and column.type != "checkbox":
                problems.append(Problem(
                    f"{f.id}.{column.id}", where,
                    "is empty but the rest of the row is filled in; complete it or clear the row",
                    row=number))
        kept.append({c.id: row.get(c.id) for c in f.columns})
    if f.required and not kept:
        problems.append(Problem(f.id, f.label, "needs at least one row"))
    return kept


def _measure(value: Any, unit: Any) -> tuple[Any, str | None]:
    """A figure read in its row's unit; kept as typed while the row gives no unit (the unit
    itself is then the answer to put right)."""
    if value is None or not isinstance(unit, str) or not unit:
        return value, None
    try:
        return read_measure(value, unit), None
    except MeasureError as exc:
        return value, str(exc)


def today_iso() -> str:
    return dt.date.today().isoformat()
