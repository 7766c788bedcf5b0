"""The toolkit's own words: return states, RAG ratings, trends, the units an indicator is
measured in, and the answers the papers read.

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


# ---- indicators and risks -----------------------------------------------------------------

# The units an indicator is measured in and which way is better: the values of the
# framework's `kpi_unit` and `polarity` scales, which the toolkit reads figures by.
PERCENTAGE, POUNDS, NUMBER, DAYS = "percentage", "pounds", "number", "days"
KPI_UNITS = (PERCENTAGE, POUNDS, NUMBER, DAYS)
HIGHER, LOWER = "higher", "lower"
POLARITIES = (HIGHER, LOWER)


class Trend(enum.StrEnum):
    """How an indicator moved since the previous period, in words with an arrow (never
    colour alone). The arrow shows better or worse, whichever way the figure moved."""

    BETTER = "better ↑"
    SAME = "same →"
    WORSE = "worse ↓"
    NEW = "new: no earlier figure"


class RiskTrend(enum.StrEnum):
    """How a risk's residual score moved since the previous period, in words with an arrow
    that follows the score."""

    FALLING = "falling ↓"
    STEADY = "steady →"
    RISING = "rising ↑"
    NEW = "new: no earlier score"


# The column of a carried-forward table the toolkit fills, on each issued form, with the
# figures of earlier periods (shown to the person; never read back).
PREVIOUS = "previous"
# The field in which a Business Manager typed the period on monitoring forms of version 1
# (the form states it since version 2); a return whose typed period is another is refused.
PERIOD_TYPED = "period"


# ---- the form fields the papers read -------------------------------------------------------

SCRUTINY = "the Scrutiny Committee report"
CGB = "the Corporate Governance Board update"
CARRIED = "the monitoring return and the annual review, which carry it forward"
REVIEW = "review"
MONITORING = "monitoring"
DESIGN = "design"
EXPLORE = "explore"


@dataclass(frozen=True)
class PaperField:
    """A field of the forms a committee paper reads.

    `id` may hold "{number}": the field is then one per principle of the framework.
    `kind` is the field type the paper expects ("text" accepts multi-line text too); a table
    lists the `columns` it reads. A field (or column) the papers read only from a given
    version of the form on is expected in definitions of that version or later (`since`,
    `columns_since`): a workspace's older definitions are still read, and so are returns of
    them.
    """

    forms: tuple[str, ...]
    id: str
    meaning: str
    kind: str
    papers: tuple[str, ...]
    columns: tuple[str, ...] = ()
    since: int = 1
    columns_since: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def for_principle(self, number: int) -> str:
        return self.id.replace("{number}", str(number))

    def columns_in(self, version: int) -> tuple[str, ...]:
        """The columns a definition of `version` must have."""
        return self.columns + tuple(c for since, columns in self.columns_since
                                    if version >= since for c in columns)


_REVIEW, _MONITORING, _BOTH = (REVIEW,), (MONITORING,), (REVIEW, MONITORING)


def _reviewed(field_id: str, meaning: str, kind: str, since: int = 1) -> PaperField:
    """A field of the annual review: only the Scrutiny Committee report reads it."""
    return PaperField(_REVIEW, field_id, meaning, kind, (SCRUTINY,), since=since)


def _designed(field_id: str, meaning: str, since: int = 1) -> PaperField:
    """An amount of the Design assessment the Scrutiny Committee report reads."""
    return PaperField((DESIGN,), field_id, meaning, "money", (SCRUTINY,), since=since)


PRINCIPLE_RATING = _reviewed("p{number}_rating", "the rating against each principle", "choice")
PRINCIPLE_EVIDENCE = _reviewed("p{number}_evidence", "the evidence for each rating", "text")
OVERALL_RATING = _reviewed("overall_rating", "the overall rating", "choice")
RECOMMENDATION = _reviewed("recommendation", "the recommendation", "choice")
RECOMMENDATION_REASON = _reviewed("recommendation_reason", "the reason for the recommendation",
                                  "text")
VFM_ASSESSMENT = _reviewed("vfm_assessment", "the value for money assessment", "choice")
BENEFITS_ACHIEVED = _reviewed("benefits_achieved", "the benefits achieved", "text")
CASHABLE_SAVINGS = _reviewed("cashable_savings", "the cashable savings", "money")
NON_CASHABLE_SAVINGS = _reviewed("non_cashable_savings", "the non-cashable savings", "money",
                                 since=2)
REVIEW_ONE_OFF_COSTS = _reviewed("one_off_costs", "the one-off costs of the year", "money",
                                 since=2)
NON_CASHABLE_BENEFITS = _reviewed("non_cashable_benefits", "the non-cashable benefits", "text")
KPI_SUMMARY = _reviewed("kpi_summary", "the summary of performance", "text")
COMPLETED_ON = PaperField(_REVIEW, "completed_on", "the date the review was completed", "date",
                          (SCRUTINY, CGB))
SAVINGS_BASELINE = _designed("savings_baseline", "the baseline cost of the business case",
                             since=2)
SAVINGS_TARGET = _designed("savings_target", "the savings target of the business case",
                           since=2)
SETUP_COST = _designed("setup_cost", "the set-up cost")
DESIGN_ONE_OFF_COSTS = _designed("one_off_costs", "the other one-off costs")
BUDGET = PaperField(_MONITORING, "budget", "the budget for the year", "money", (SCRUTINY, CGB))
FORECAST = PaperField(_MONITORING, "forecast", "the forecast outturn", "money",
                      (SCRUTINY, CGB))
BUDGET_COMMENTARY = PaperField(_MONITORING, "budget_commentary",
                               "the explanation of the budget variance", "text",
                               (SCRUTINY, CGB))
KPIS = PaperField(_BOTH, "kpis", "the key performance indicators", "table", (SCRUTINY, CGB),
                  ("name", "target", "actual", "rag", "commentary"),
                  columns_since=((2, ("ref", "unit", "polarity", "tolerance", "rag_reason",
                                      PREVIOUS)),))
RISKS = PaperField(_BOTH, "risks", "the risks", "table", (SCRUTINY, CGB),
                   ("description", "likelihood", "impact", "mitigation", "owner"),
                   columns_since=((2, ("ref", "inherent_likelihood", "inherent_impact",
                                       PREVIOUS)),))
DESIGN_KPIS = PaperField((DESIGN,), "kpis", "the key performance indicators", "table",
                         (CARRIED,), ("name", "target"),
                         columns_since=((2, ("unit", "polarity", "tolerance")),))

# The dates of the agreement the Scrutiny report's forward look reads from the review.
AGREEMENT_ENDS = _reviewed("agreement_ends", "when the agreement ends or comes up for renewal",
                           "date", since=2)
NOTICE_BY = _reviewed("notice_by", "the last date to give notice", "date", since=2)

# What the Corporate Governance Board update reads of the emerging partnerships' Explore and
# Design assessments, and of the reviews' actions (its actions log).
EMERGING_RECOMMENDATION = PaperField((EXPLORE, DESIGN), "recommendation", "the recommendation",
                                     "choice", (CGB,))
EMERGING_REASON = PaperField((EXPLORE, DESIGN), "recommendation_reason",
                             "the reason for the recommendation", "text", (CGB,))
LAST_YEAR_ACTIONS = PaperField(_REVIEW, "last_year_actions",
                               "last year's recommendations and actions", "table", (CGB,),
                               ("action", "owner", "due", "progress"), since=2)
AGREED_ACTIONS = PaperField(_REVIEW, "actions", "the recommendations and actions agreed",
                            "table", (CGB,), ("action", "owner", "due"), since=2)

PAPER_FIELDS = (PRINCIPLE_RATING, PRINCIPLE_EVIDENCE, OVERALL_RATING, RECOMMENDATION,
                RECOMMENDATION_REASON, COMPLETED_ON, VFM_ASSESSMENT, BENEFITS_ACHIEVED,
                CASHABLE_SAVINGS, NON_CASHABLE_SAVINGS, REVIEW_ONE_OFF_COSTS,
                NON_CASHABLE_BENEFITS, KPI_SUMMARY, SAVINGS_BASELINE, SAVINGS_TARGET,
                SETUP_COST, DESIGN_ONE_OFF_COSTS, BUDGET, FORECAST, BUDGET_COMMENTARY, KPIS,
                RISKS, DESIGN_KPIS, EMERGING_RECOMMENDATION, EMERGING_REASON,
                LAST_YEAR_ACTIONS, AGREED_ACTIONS, AGREEMENT_ENDS, NOTICE_BY)
