"""Money and numbers: read as people type them, rounded and written as councils show them.

One parser (`parse_money`, `parse_number`), one rounding (`tidy_amount`), one way of writing
pounds (`format_money`) and one wording for an amount nobody gave (`NOT_GIVEN`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from generator.errors import MoneyError, TooLarge

# No partnership of a district council comes near these: a larger figure is a typing slip
# (or a hostile file), and beyond about 1e308 a float becomes infinity, which JSON, Excel
# and the papers cannot show.
MAX_AMOUNT = 10_000_000_000
MAX_NUMBER = 1_000_000_000_000


def _bounded(number: float, limit: float, text: str, what: str) -> float:
    if not math.isfinite(number) or abs(number) > limit:
        raise TooLarge(f'"{_short(text)}" is too large to be {what} (the most is '
                         f"{limit:,.0f}); check the figure")
    return number


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


_MONEY = re.compile(r"^(?P<neg>-|\()?\s*£?\s*(?P<num>\d{1,3}(,\d{3})+|\d+)(?P<dec>\.\d+)?\s*\)?$")
_SUFFIXES = {"k": 1_000, "m": 1_000_000}
# Digits as people type them: no exponents, "inf" or "nan", which float() would accept.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def parse_money(value: object) -> float | int:
    """An amount of pounds from a number or text such as '£12,500', '12500.50', '(1,200)'.

    Vague amounts ('about 10k', '12-15k', 'TBC') are refused with a message saying what to type.
    """
    if isinstance(value, bool):
        raise MoneyError(f'"{value}" is not an amount of money')
    if isinstance(value, int | float):
        return _tidy(_bounded(float(value), MAX_AMOUNT, str(value), "an amount of money"))
    text = " ".join(str(value).split()).replace("GBP", "").replace("gbp", "").strip()
    compact = text.replace(" ", "")
    match = _MONEY.match(compact)
    if match is None or (compact.startswith("(") != compact.endswith(")")):
        raise MoneyError(
            f'"{text}" is not an amount of money; type a number of pounds such as 12500 or '
            "£12,500"
        )
    amount = float(match.group("num").replace(",", "") + (match.group("dec") or ""))
    amount = _bounded(amount, MAX_AMOUNT, text, "an amount of money")
    return _tidy(-amount if match.group("neg") else amount)


def _tidy(amount: float) -> float | int:
    # Whole pounds read back as whole numbers: "£12,500" is 12500, not 12500.0.
    return int(amount) if amount.is_integer() else amount


def parse_number(value: object, *, integer: bool = False) -> float | int:
    """A number from text such as '3', '2.5', '1,200'; a whole number when `integer`."""
    if isinstance(value, bool):
        raise MoneyError(f'"{value}" is not a number')
    text = " ".join(str(value).split()).replace(",", "")
    if isinstance(value, int | float):
        number = float(value)
    elif _NUMBER.match(text):
        number = float(text)
    else:
        raise MoneyError(f'"{_short(str(value))}" is not a number; type digits such as 3 or 2.5')
    _bounded(number, MAX_NUMBER, str(value), "a number")
    if integer:
        if not number.is_integer():
            raise MoneyError(f'"{value}" is not a whole number')
        return int(number)
    return int(number) if number.is_integer() and "." not in text else number


# What a form, a paper or an email says for an amount nobody gave.
NOT_GIVEN = "Not given"


def tidy_amount(value: float) -> float | int:
    """An amount rounded to the penny; a whole number of pounds as an int (12500, not 12500.0)."""
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def format_money(value: float | None) -> str:
    """'£12,500' for whole pounds, '£7,250.50' otherwise; NOT_GIVEN for None."""
    if value is None:
        return NOT_GIVEN
    return f"£{value:,.0f}" if float(value).is_integer() else f"£{value:,.2f}"


def stored_money(value: Any) -> float | int | None:
    """An amount as kept in the store (a number, or text as typed long ago), or None."""
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float):
        return value
    try:
        return parse_money(value)
    except MoneyError:
        return None


@dataclass(frozen=True)
class VarianceLimit:
    """How far a forecast outturn may be from the budget, either way, before the monitoring
    return must explain it: `percent` of the budget, or `pounds` (the workspace's settings)."""

    percent: float
    pounds: float

    def needs_explaining(self, budget: float, forecast: float) -> bool:
        """Whether the variance passes either threshold."""
        variance = abs(forecast - budget)
        return variance > self.pounds or (budget != 0 and variance / abs(budget) * 100
                                          > self.percent)

    @staticmethod
    def describe(budget: float, forecast: float) -> str:
        """'£12,000 (8.0%) over' or '£3,000 (2.5%) under'."""
        variance = tidy_amount(forecast - budget)
        share = f" ({abs(variance) / abs(budget):.1%})" if budget else ""
        return f"{format_money(abs(variance))}{share} {'over' if variance > 0 else 'under'}"

    @property
    def wording(self) -> str:
        """'5% or £25,000'."""
        return f"{self.percent:g}% or {format_money(tidy_amount(self.pounds))}"
