"""Small pieces of English shared by everything an officer reads."""

from __future__ import annotations

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve")


def number_word(count: int) -> str:
    """'three' for 3 (up to twelve), else the digits."""
    return _NUMBER_WORDS[count] if 0 <= count < len(_NUMBER_WORDS) else f"{count:,}"


def a_or_an(word: str) -> str:
    """'an explore form', 'an agreement', 'a review': the article for `word`, with it."""
    return f"{'an' if word[:1].casefold() in 'aeiou' else 'a'} {word}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 warning', '2 warnings', '0 forms'; `many` for irregular plurals ('1 copy', '2 copies')."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def file_size(size: int) -> str:
    """A number of bytes as people read it: '512 bytes', '40 KB', '200 MB' (1 KB = 1,024 bytes)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"
