"""RAG ratings as both the Word and the Excel layer show them (no document library imported).

The colours and the way a rating word is recognised are the same in a paper and in its annex.
"""

from __future__ import annotations

import re

__all__ = ["RAG_FILLS", "rag_rating"]

#: RAG rating -> (fill colour, text colour), hex RRGGBB without "#".
#: Contrast ratios (WCAG 2.x formula): Red 6.5:1, Amber 12.8:1, Green 6.2:1, Grey 14.9:1.
#: "Grey" is used for "Not rated". The rating word is always written in the cell too.
RAG_FILLS: dict[str, tuple[str, str]] = {
    "Red": ("C00000", "FFFFFF"),
    "Amber": ("FFC000", "000000"),
    "Green": ("00703C", "FFFFFF"),
    "Grey": ("D9D9D9", "000000"),
}

_RAG_WORD = re.compile(r"^\s*(green|amber|red|grey|gray|not rated)\b", re.IGNORECASE)


def rag_rating(text: object) -> str | None:
    """The RAG_FILLS key for a cell whose text starts with a rating word, else None.

    "Green", "Amber", "Red" map to themselves; "Not rated" and "Grey" map to "Grey".
    The word must stand alone ("Redhill" is not a rating).
    """
    if text is None:
        return None
    match = _RAG_WORD.match(str(text))
    if not match:
        return None
    word = match.group(1).lower()
    if word in ("grey", "gray", "not rated"):
        return "Grey"
    return word.capitalize()
