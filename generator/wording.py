"""Small pieces of English shared by everything an officer reads."""

from __future__ import annotations

import datetime as dt


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 warning', '2 warnings', '0 forms'; `many` for irregular plurals ('1 copy', '2 copies')."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def long_date(value: dt.date) -> str:
    """A date as a letter gives it: "Wednesday 25 November 2026"."""
    return f"{value:%A} {value.day} {value:%B %Y}"
