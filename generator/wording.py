"""Small pieces of English shared by everything an officer reads."""

from __future__ import annotations

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")


def number_word(count: int) -> str:
    """'three' for 3 (up to twelve), else the digits."""
    return _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else f"{count:,}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 warning', '2 warnings', '0 forms'; `many` for irregular plurals ('1 copy', '2 copies')."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"

