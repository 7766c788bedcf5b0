"""Officer-written text of the committee papers, read from the workspace's texts.

Officer-written text lives in the workspace's `texts/scrutiny.txt` and `texts/cgb.txt`, in
"## Heading" sections (the format is described at the top of those files). A paragraph that
starts with `TO COMPLETE:` is shown in the paper as a highlighted placeholder for the report
author, so nothing unfinished can pass for finished text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.errors import WorkspaceError
from generator.workspace import Workspace

MARKER = "TO COMPLETE:"
PLACEHOLDER_PREFIX = "[To be completed by the report author: "

# The sections of texts/scrutiny.txt and texts/cgb.txt, by normalised heading.
SECTIONS = (
    "meeting date", "cabinet member", "report of", "contact officer", "wards affected",
    "key decision", "exempt", "council strategy priority", "purpose", "recommendations",
    "reasons for the recommendations", "executive summary", "options considered",
    "consultation", "financial implications", "legal implications", "risk implications",
    "equalities implications", "environmental implications", "human resources implications",
    "data protection implications", "procurement implications", "background papers",
)

OPTIONAL_SECTIONS = ("executive summary",)  # left out quietly when missing
NUMBERED_SECTIONS = ("recommendations",)  # read as numbered items (`OfficerText.items`)

# Part 1 of Schedule 12A to the Local Government Act 1972: descriptions of exempt information.
SCHEDULE_12A = {
    1: "information relating to any individual",
    2: "information which is likely to reveal the identity of an individual",
    3: "information relating to the financial or business affairs of any particular person "
       "(including the authority holding that information)",
    4: "information relating to any consultations or negotiations, or contemplated "
       "consultations or negotiations, in connection with any labour relations matter arising "
       "between the authority or a Minister of the Crown and employees of, or office holders "
       "under, the authority",
    5: "information in respect of which a claim to legal professional privilege could be "
       "maintained in legal proceedings",
    6: "information which reveals that the authority proposes to give under any enactment a "
       "notice by virtue of which requirements are imposed on a person, or to make an order or "
       "direction under any enactment",
    7: "information relating to any action taken or to be taken in connection with the "
       "prevention, investigation or prosecution of crime",
}



@dataclass(frozen=True)
class Piece:
    """A paragraph of officer text, or a placeholder saying what the author must write."""

    text: str
    placeholder: bool = False

    @property
    def shown(self) -> str:
        """The words as they appear in a table cell."""
        return f"{PLACEHOLDER_PREFIX}{self.text}]" if self.placeholder else self.text


def _section_key(heading: str) -> str:
    return " ".join(heading.split()).casefold().rstrip(":")


class OfficerText:
    """The "## Heading" sections of an editable text, with {names} filled in."""

    def __init__(self, text: str, source: str, values: dict[str, str]) -> None:
        self.source = source
        self.sections: dict[str, list[str]] = {}
        self.unknown: list[str] = []
        current: str | None = None
        for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
            line = raw.rstrip()
            if line.startswith("## "):
                current = _section_key(line[3:])
                if current not in SECTIONS and line[3:].strip() not in self.unknown:
                    self.unknown.append(line[3:].strip())
                self.sections.setdefault(current, [])
            elif line.startswith("#") and not line.startswith("##"):
                continue  # a note for the person editing the file
            elif current is not None:
                self.sections[current].append(_fill(line, values))

    @classmethod
    def from_workspace(cls, ws: Workspace, name: str, values: dict[str, str]) -> OfficerText:
        try:
            text = ws.text(name)
            source = f"texts/{name}"
        except WorkspaceError:
            text, source = "", f"texts/{name} (missing)"
        return cls(text, source, values)

    def notes(self) -> list[str]:
        notes = [f"{self.source}: the section '## {name}' is not used by the paper (the "
                 f"sections are: {', '.join(s.capitalize() for s in SECTIONS)})"
                 for name in self.unknown]
        missing = [s for s in SECTIONS if s not in self.sections and s not in OPTIONAL_SECTIONS]
        if missing:
            notes.append(f"{self.source}: no '## {missing[0].capitalize()}' section"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                         + "; a placeholder is shown in its place")
        return notes

    def placeholders(self) -> list[str]:
        """The sections, by heading, that still hold a placeholder for the report author."""
        return [key.capitalize() for key in SECTIONS
                if any(p.placeholder for p in (self.items(key) if key in NUMBERED_SECTIONS
                                               else self.pieces(key)))]

    def pieces(self, key: str, *, hint: str = "") -> list[Piece]:
        """The section's paragraphs (split at blank lines); a placeholder if it is missing.

        An empty section gives no pieces (the officer chose to leave it out).
        """
        if key not in self.sections:
            if key in OPTIONAL_SECTIONS:
                return []
            return [Piece(hint or f"the {key} (add a '## {key.capitalize()}' section to "
                          f"{self.source})", True)]
        paragraphs: list[list[str]] = [[]]
        for line in self.sections[key]:
            if line.strip():
                paragraphs[-1].append(line.strip())
            elif paragraphs[-1]:
                paragraphs.append([])
        return [_piece("\n".join(lines)) for lines in paragraphs if lines]

    def value(self, key: str, *, hint: str = "") -> Piece:
        """The section as one line (for the front sheet)."""
        pieces = self.pieces(key, hint=hint)
        if not pieces:
            return Piece(hint or f"the {key}", True)
        if any(p.placeholder for p in pieces):
            return next(p for p in pieces if p.placeholder)
        return Piece(" ".join(" ".join(p.text.split()) for p in pieces))

    def items(self, key: str, *, hint: str = "") -> list[Piece]:
        """Numbered items: lines starting '1.', '2)' or '-' begin an item; others continue it."""
        if key not in self.sections:
            return self.pieces(key, hint=hint)
        items: list[list[str]] = []
        starts_item = re.compile(r"^\s*(?:\d+\s*[.)]|[-*•])\s+")
        fresh = True
        for line in self.sections[key]:
            if not line.strip():
                fresh = True
                continue
            if starts_item.match(line) or fresh or not items:
                items.append([starts_item.sub("", line).strip()])
            else:
                items[-1].append(line.strip())
            fresh = False
        return [_piece(" ".join(lines)) for lines in items if " ".join(lines).strip()]


def _fill(line: str, values: dict[str, str]) -> str:
    """Replace the known {names} only; any other braces are left as typed."""
    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return re.sub(r"\{([a-z_]+)\}", swap, line)


def _piece(text: str) -> Piece:
    if text.upper().startswith(MARKER):
        hint = text[len(MARKER):].strip() or "this part of the report"
        return Piece(" ".join(hint.split()), True)
    return Piece(text)


def exempt_piece(piece: Piece) -> tuple[Piece, int | None]:
    """The exempt entry as shown, and the Schedule 12A paragraph number when exempt."""
    if piece.placeholder:
        return piece, None
    text = piece.text.strip()
    if re.match(r"(?i)^no\b", text) or not text:
        return Piece("No"), None
    if re.match(r"(?i)^yes\b", text):
        match = re.search(r"(?i)paragraph\s*(\d+)|\b([1-7])\b", text)
        number = int(match.group(1) or match.group(2)) if match else None
        if number not in SCHEDULE_12A:
            return Piece("say which paragraph (1 to 7) of Part 1 of Schedule 12A to the Local "
                         "Government Act 1972 makes this report exempt, e.g. 'Yes, paragraph "
                         "3'", True), None
        return Piece(f"Yes: exempt under paragraph {number} of Part 1 of Schedule 12A to the "
                     f"Local Government Act 1972 ({SCHEDULE_12A[number]})"), number
    return Piece(text), None


