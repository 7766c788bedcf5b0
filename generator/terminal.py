"""Text from outside, made safe to show on a terminal or to print as JSON.

File names, attachment names, document properties and answers come from people and programs
outside the council. Printed as they are, an escape sequence in one of them could set the
terminal's title, clear the screen or print a forged "accepted" line. Everything the command
line echoes goes through `printable`; JSON keeps the exact text, with the characters a
terminal would act on written as JSON escapes (`json_dumps`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# Bidirectional overrides and isolates can make text read differently from what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_LINE_SEPARATORS = frozenset("\u2028\u2029\u0085")


def _unsafe(ch: str) -> bool:
    if ch == "\t":
        return False
    return (unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS
            or ch in _LINE_SEPARATORS)


def _escape(ch: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """`text` with every control character shown escaped (`\\x1b`, `\\n`), tabs kept.

    The result is one line that a terminal shows as it is and never acts upon.
    """
    value = str(text)
    if not any(_unsafe(ch) for ch in value):
        return value
    return "".join(_escape(ch) if _unsafe(ch) else ch for ch in value)


_JSON_UNSAFE = re.compile("[\u007f-\u009f\u2028\u2029" + "".join(sorted(_BIDI_CONTROLS)) + "]")


def json_dumps(data: Any, *, indent: int | None = 2) -> str:
    """JSON for scripts: always valid (no NaN or Infinity), the text exactly as it was.

    Characters a terminal would act on are written as \\u escapes, which a JSON reader
    turns back into the same characters.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
