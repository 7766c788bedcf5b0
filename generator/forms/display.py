"""Answers and the framework as a person reads them on a form, in a summary or in a paper."""

from __future__ import annotations

import datetime as dt
from typing import Any

from generator.council_year import long_date
from generator.formdefs import Field
from generator.framework import Framework
from generator.money import format_money


def display_value(f: Field, value: Any) -> str:
    """An answer as a person would read it on a form or in a paper."""
    if value is None or value == "" or value == []:
        return ""
    if f.type == "checkbox":
        return "Yes" if value else "No"
    if f.type == "choice":
        choice = next((c for c in f.choices if c.value == value), None)
        return choice.label if choice else str(value)
    if f.type == "date":
        try:
            return f"{dt.date.fromisoformat(str(value)):%d/%m/%Y}"
        except ValueError:
            return str(value)
    if f.type == "money" and isinstance(value, int | float):
        return format_money(value)
    if f.type == "table":
        return f"{len(value)} row{'s' if len(value) != 1 else ''}"
    return str(value)


def paper_value(f: Field, value: Any) -> str:
    """An answer as a committee paper writes it: as `display_value`, but dates in words
    ("30 November 2026"), as papers give them."""
    if f.type == "date" and value not in (None, ""):
        return long_date(value)
    return display_value(f, value)


def workbook_value(f: Field, value: Any) -> object:
    """An answer as a workbook cell holds it: the label people read for a choice, a real date
    for a date, a number for money and numbers, Yes or No for a tick box; None when empty."""
    if value is None or value == "" or value == []:
        return None
    if f.type in ("date", "choice", "checkbox") or (f.type == "table"):
        shown = display_value(f, value)
        if f.type == "date":
            try:
                return dt.date.fromisoformat(str(value))
            except ValueError:
                return shown
        return shown
    if f.type in ("money", "number") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        return value
    return str(value)


def framework_context(framework: Framework) -> dict[str, Any]:
    context = framework.context()
    for key in ("design_expectations", "agreement_clauses"):
        context[key] = [{**item, "number": n} for n, item in enumerate(context[key], start=1)]
    return context
