"""The council year (April to March, '2026/27'), its monitoring periods, and dates in words.

Every date an officer or a committee member reads is written by `long_date`, so the papers,
the forms and the emails say the same day the same way.
"""

from __future__ import annotations

import datetime as dt
import re

_CYCLE = re.compile(r"\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*")
_QUARTER_MONTHS = {1: "January to March", 2: "April to June", 3: "July to September",
                   4: "October to December"}


def long_date(value: dt.date | str | None, *, weekday: bool = False) -> str:
    """'20 November 2026' ('Friday 20 November 2026' with `weekday`); '' for None.

    Takes a date, or an ISO date or time as text (text that is not one is returned as it is).
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            date = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        date = value
    day = f"{date.day} {date:%B %Y}"
    return f"{date:%A} {day}" if weekday else day


def long_time(moment: dt.datetime) -> str:
    """'30 November 2026, 11:11' in local time: a moment as an officer reads it."""
    local = moment.astimezone() if moment.tzinfo else moment
    return f"{local.day} {local:%B %Y, %H:%M}"


def current_cycle(today: dt.date | None = None) -> str:
    """The council year (April to March) containing `today`, as '2026/27'."""
    today = today or dt.date.today()
    start = today.year if today.month >= 4 else today.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def is_cycle(text: str) -> bool:
    """Whether `text` is a council year as the toolkit writes them: '2026/27'."""
    match = re.fullmatch(r"(\d{4})/(\d{2})", text)
    if not match:
        return False
    return int(match.group(2)) == (int(match.group(1)) + 1) % 100


def normal_cycle(cycle: str) -> str:
    """A council year as '2026/27' when it looks like one ('2026-27', '2026/2027')."""
    match = _CYCLE.fullmatch(cycle or "")
    if not match or int(match.group(2)[-2:]) != (int(match.group(1)) + 1) % 100:
        return (cycle or "").strip()
    return f"{match.group(1)}/{match.group(2)[-2:]}"


def previous_cycle(cycle: str) -> str | None:
    """The council year before `cycle`: '2025/26' for '2026/27'; None if it is not a year."""
    match = _CYCLE.fullmatch(cycle or "")
    if not match:
        return None
    start = int(match.group(1)) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def current_period(today: dt.date | None = None) -> str:
    """The calendar quarter containing `today`, as '2026-Q4'."""
    today = today or dt.date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def normal_period(period: str | None) -> str:
    """A monitoring period as 'YYYY-Qn' when it looks like one ('2026 q4' -> '2026-Q4')."""
    text = " ".join(str(period or "").split())
    match = re.fullmatch(r"(\d{4})\s*[-/ ]?\s*[Qq]\s*([1-4])", text)
    return f"{match.group(1)}-Q{match.group(2)}" if match else text


def previous_period(period: str) -> str | None:
    """The quarter before `period`: '2026-Q3' for '2026-Q4', '2025-Q4' for '2026-Q1'."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", normal_period(period))
    if not match:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


def period_text(period: str) -> str:
    """'2026-Q4 (October to December 2026)'; other periods as they are."""
    match = re.fullmatch(r"(\d{4})-Q([1-4])", normal_period(period))
    if not match:
        return period
    return f"{match.group(0)} ({_QUARTER_MONTHS[int(match.group(2))]} {match.group(1)})"
