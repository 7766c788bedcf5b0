"""Reading amounts of money and numbers as people type them."""

from __future__ import annotations

import re


class MoneyError(ValueError):
    """Text that is not an amount of money or a number."""


_MONEY = re.compile(r"^(?P<neg>-|\()?\s*£?\s*(?P<num>\d{1,3}(,\d{3})+|\d+)(?P<dec>\.\d+)?\s*\)?$")
_SUFFIXES = {"k": 1_000, "m": 1_000_000}


def parse_money(value: object) -> float | int:
    """An amount of pounds from a number or text such as '£12,500', '12500.50', '(1,200)'.

    Vague amounts ('about 10k', '12-15k', 'TBC') are refused with a message saying what to type.
    """
    if isinstance(value, bool):
        raise MoneyError(f'"{value}" is not an amount of money')
    if isinstance(value, int | float):
        return _tidy(float(value))
    text = " ".join(str(value).split()).replace("GBP", "").replace("gbp", "").strip()
    compact = text.replace(" ", "")
    match = _MONEY.match(compact)
    if match is None or (compact.startswith("(") != compact.endswith(")")):
        raise MoneyError(
            f'"{text}" is not an amount of money; type a number of pounds such as 12500 or '
            "£12,500"
        )
    amount = float(match.group("num").replace(",", "") + (match.group("dec") or ""))
    return _tidy(-amount if match.group("neg") else amount)


def _tidy(amount: float) -> float | int:
    # Whole pounds read back as whole numbers: "£12,500" is 12500, not 12500.0.
    return int(amount) if amount.is_integer() else amount


def parse_number(value: object, *, integer: bool = False) -> float | int:
    """A number from text such as '3', '2.5', '1,200'; a whole number when `integer`."""
    if isinstance(value, bool):
        raise MoneyError(f'"{value}" is not a number')
    text = " ".join(str(value).split()).replace(",", "")
    try:
        number = float(text)
    except ValueError:
        raise MoneyError(f'"{value}" is not a number; type digits such as 3 or 2.5') from None
    if number != number or number in (float("inf"), float("-inf")):
        raise MoneyError(f'"{value}" is not a number; type digits such as 3 or 2.5')
    if integer:
        if not number.is_integer():
            raise MoneyError(f'"{value}" is not a whole number')
        return int(number)
    return int(number) if number.is_integer() and "." not in text else number
