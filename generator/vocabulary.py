"""The toolkit's own words: return states, RAG ratings, and the answers the papers read.

The framework (principles, phases, forms, scales) is data a council edits. What is declared
here is what the code itself relies on: the states a form can be in, the ratings a paper
colours, and which form fields the committee papers read. A council that renames one of
those fields in its definitions is told, when the definitions load, which paper needs it
(`check_paper_fields`), instead of the paper silently printing "Not answered".
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class ReturnState(enum.StrEnum):
    """Where an issued form stands (the words `status`, the tracker and the papers show)."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_WARNINGS = "accepted with warnings"
    REJECTED = "rejected"
    OUTSTANDING = "outstanding"
    OVERDUE = "overdue"
    REPLACED = "replaced by a later issue"
    RETURNED_ON_ANOTHER_COPY = "returned on another copy"


# The states in which a form has come back (nothing more to send or chase).
RETURNED_STATES = (ReturnState.ACCEPTED, ReturnState.ACCEPTED_WITH_WARNINGS,
                   ReturnState.REJECTED, ReturnState.RETURNED_ON_ANOTHER_COPY)


class Rag(enum.StrEnum):
    """A RAG rating as papers and workbooks show it (the word is always written too)."""

    GREEN = "Green"
    AMBER = "Amber"
    RED = "Red"
    GREY = "Grey"  # not rated


# Rating -> (fill colour, text colour), hex RRGGBB. Contrast ratios (WCAG 2.x formula):
# Red 6.5:1, Amber 12.8:1, Green 6.2:1, Grey 14.9:1.
RAG_FILLS: dict[Rag, tuple[str, str]] = {
    Rag.RED: ("C00000", "FFFFFF"),
    Rag.AMBER: ("FFC000", "000000"),
    Rag.GREEN: ("00703C", "FFFFFF"),
    Rag.GREY: ("D9D9D9", "000000"),
}

_RAG_WORD = re.compile(r"^\s*(green|amber|red|grey|gray|not rated)\b", re.IGNORECASE)


def rag_rating(text: object) -> Rag | None:
    """The rating a cell's text starts with, else None.

    "Green", "Amber", "Red" map to themselves; "Not rated" and "Grey" map to Grey. The word
    must stand alone ("Redhill" is not a rating).
    """
    if text is None:
        return None
    match = _RAG_WORD.match(str(text))
    if not match:
        return None
    word = match.group(1).lower()
    return Rag.GREY if word in ("grey", "gray", "not rated") else Rag(word.capitalize())


def rag_colours(text: str) -> tuple[str, str] | None:
    """The (fill, text) colours of a cell whose text starts with a rating word, else None."""
    rating = rag_rating(text)
    return RAG_FILLS[rating] if rating is not None else None


# ---- the form fields the papers read -------------------------------------------------------

SCRUTINY = "the Scrutiny Committee report"
CGB = "the Corporate Governance Board update"
REVIEW = "review"
MONITORING = "monitoring"


@dataclass(frozen=True)
class PaperField:
    """A field of the forms a committee paper reads.

    `id` may hold "{number}": the field is then one per principle of the framework.
    `kind` is the field type the paper expects ("text" accepts multi-line text too); a table
    lists the `columns` it reads.
    """

    forms: tuple[str, ...]
    id: str
    meaning: str
    kind: str
    papers: tuple[str, ...]
    columns: tuple[str, ...] = ()

    def for_principle(self, number: int) -> str:
        return self.id.replace("{number}", str(number))


_REVIEW, _MONITORING, _BOTH = (REVIEW,), (MONITORING,), (REVIEW, MONITORING)
PRINCIPLE_RATING = PaperField(_REVIEW, "p{number}_rating", "the rating against each principle",
                              "choice", (SCRUTINY,))
PRINCIPLE_EVIDENCE = PaperField(_REVIEW, "p{number}_evidence", "the evidence for each rating",
                                "text", (SCRUTINY,))
OVERALL_RATING = PaperField(_REVIEW, "overall_rating", "the overall rating", "choice",
                            (SCRUTINY,))
RECOMMENDATION = PaperField(_REVIEW, "recommendation", "the recommendation", "choice",
                            (SCRUTINY,))
RECOMMENDATION_REASON = PaperField(_REVIEW, "recommendation_reason",
                                   "the reason for the recommendation", "text", (SCRUTINY,))
VFM_ASSESSMENT = PaperField(_REVIEW, "vfm_assessment", "the value for money assessment",
                            "choice", (SCRUTINY,))
BENEFITS_ACHIEVED = PaperField(_REVIEW, "benefits_achieved", "the benefits achieved", "text",
                               (SCRUTINY,))
CASHABLE_SAVINGS = PaperField(_REVIEW, "cashable_savings", "the cashable savings", "money",
                              (SCRUTINY,))
NON_CASHABLE_BENEFITS = PaperField(_REVIEW, "non_cashable_benefits",
                                   "the non-cashable benefits", "text", (SCRUTINY,))
KPI_SUMMARY = PaperField(_REVIEW, "kpi_summary", "the summary of performance", "text",
                         (SCRUTINY,))
BUDGET = PaperField(_MONITORING, "budget", "the budget for the year", "money", (SCRUTINY, CGB))
FORECAST = PaperField(_MONITORING, "forecast", "the forecast outturn", "money",
                      (SCRUTINY, CGB))
BUDGET_COMMENTARY = PaperField(_MONITORING, "budget_commentary", "the budget commentary",
                               "text", (CGB,))
PERIOD = PaperField(_MONITORING, "period", "the period of the return", "text", (SCRUTINY, CGB))
KPIS = PaperField(_BOTH, "kpis", "the key performance indicators", "table", (SCRUTINY, CGB),
                  ("name", "target", "actual", "rag", "commentary"))
RISKS = PaperField(_BOTH, "risks", "the risks", "table", (SCRUTINY, CGB),
                   ("description", "likelihood", "impact", "mitigation", "owner"))

PAPER_FIELDS = (PRINCIPLE_RATING, PRINCIPLE_EVIDENCE, OVERALL_RATING, RECOMMENDATION,
                RECOMMENDATION_REASON, VFM_ASSESSMENT, BENEFITS_ACHIEVED, CASHABLE_SAVINGS,
                NON_CASHABLE_BENEFITS, KPI_SUMMARY, BUDGET, FORECAST, BUDGET_COMMENTARY,
                PERIOD, KPIS, RISKS)
