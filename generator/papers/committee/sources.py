"""Where each figure of a committee paper comes from: the annex's "Sources" sheet.

A table of a paper may say, row by row, which return (or which other record) its figures
were taken from (`Table.sources`). The annex then has a Sources sheet with one row per figure
and rating of those tables: the paper, its section (the table's caption), the partnership,
what the figure is, its value, and the return it came from (reference, form, the question
on the form, period, when it was received and the file as stored). Beside each such table
the paper says where to look, so a member can trace any figure to the return it came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from generator.store import Return, parse_time

SHEET = "Sources"
HEADERS = ["Paper", "Section", "Partnership", "Figure", "Value", "Return reference", "Form",
           "Question on the form", "Period", "Received", "File as stored"]


@dataclass(frozen=True)
class Source:
    """The record a row of figures was taken from."""

    reference: str  # the return's reference (the issued form's id), or the record's
    form: str  # the form's title, or the record's name ("Partnership register")
    period: str  # the quarter or council year the figures are for
    received: dt.datetime | None = None
    file_name: str = ""
    # The question on the form each column's figure answers, by column header: those columns
    # are traced whatever they hold (a target typed as "90%"), as are numbers and ratings; a
    # column not named here answers the question its header names.
    questions: Mapping[str, str] = field(default_factory=dict)
    # Columns whose figure comes from another record than the rest of the row (a savings
    # target set at Design beside the year's savings from the annual review), by header.
    elsewhere: Mapping[str, Source] = field(default_factory=dict)

    @classmethod
    def of_return(cls, ret: Return, *, form: str, period: str,
                  questions: Mapping[str, str] | None = None) -> Source:
        return cls(ret.issue_id or f"return {ret.id}", form, period,
                   parse_time(ret.received_at), ret.file_name, dict(questions or {}))


class Traced(Protocol):
    """What this module reads of a paper's table (`tables.Table`, which imports this module)."""

    caption: str
    headers: list[str]
    rows: Sequence[Sequence[object]]
    rag: tuple[int, ...]
    sources: Sequence[Source | None] | None
    traced_in: str | None


def is_figure(value: object) -> bool:
    """A number the paper shows (money, a count, a score, a share)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def source_rows(paper: str, tables: Sequence[Traced]) -> list[list[object]]:
    """The Sources sheet's rows: one per figure and rating of every table that says where its
    rows come from."""
    rows: list[list[object]] = []
    for table in tables:
        # A table traced in another's section (the principles matrix, in every principle's
        # rating with its evidence) adds no rows of its own: the same figures, twice.
        if table.sources is None or table.traced_in not in (None, table.caption):
            continue
        who = table.headers.index("Partnership") if "Partnership" in table.headers else None
        for row, source in zip(table.rows, table.sources, strict=False):
            if source is None:
                continue
            for c, value in enumerate(row):
                header = table.headers[c]
                origin = source.elsewhere.get(header, source)
                if not (is_figure(value) or (c in table.rag and value)
                        or (header in origin.questions and value)):
                    continue
                rows.append([paper, table.caption, row[who] if who is not None else "", header,
                             value, origin.reference, origin.form,
                             origin.questions.get(header, header), origin.period,
                             origin.received, origin.file_name])
    return rows


def reference_note(table: Traced) -> str:
    """What the paper says beside a table whose figures are traced in the annex."""
    return (f"Where these figures come from: the data annex, sheet '{SHEET}', section "
            f"'{table.traced_in or table.caption}'.")
