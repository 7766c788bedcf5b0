"""The toolkit's own words: RAG ratings and their colours."""

from __future__ import annotations

import pytest

from generator.office.accessibility import contrast_ratio
from generator.vocabulary import RAG_FILLS, rag_rating


def test_rag_fills_meet_wcag_contrast() -> None:
    for fill, text in RAG_FILLS.values():
        assert contrast_ratio(text, fill) >= 4.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Green", "Green"),
        ("amber - improving", "Amber"),
        ("Red", "Red"),
        ("Not rated", "Grey"),
        ("Grey", "Grey"),
        ("Redhill", None),
        ("", None),
        (None, None),
    ],
)
def test_rag_rating_reads_the_word_at_the_start(text: str | None, expected: str | None) -> None:
    assert rag_rating(text) == expected
