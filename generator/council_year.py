"""The council year (April to March, '2026/27'), its quarters, working days, and dates in words.

A council's financial year runs from 1 April to 31 March and is named '2026/27'. Its quarters
are counted within it: Quarter 1 is April to June, Quarter 3 October to December, Quarter 4
January to March. A period is written 'Q3 2026/27' and explained 'October to December 2026'
(`Period`). Officers may type 'Q3', 'Q3 2026/27' or '2026/27 Q3' (`parse_period`).

Before the toolkit counted quarters this way it wrote calendar quarters as '2026-Q4'; such a
period, still found in older settings and stores, covers the same months as a quarter of the
council year ('2026-Q4', October to December 2026, is Q3 2026/27: `calendar_quarter`).

Due dates fall on working days: not at a weekend and not on a bank holiday of the council's
part of the UK (`working_day_on_or_after`), as the `holidays` library keeps them.

Every date an officer or a committee member reads is written by `long_date`, so the papers,
the forms and the emails say the same day the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.errors import InvalidRequest

if TYPE_CHECKING:
    import holidays

_CYCLE = re.compile(r"\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*")
_MONTHS = ("April to June", "July to September", "October to December", "January to March")


class PeriodError(InvalidRequest):
    """A period typed in a way the toolkit does not read; the message shows the ways it does."""


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
    return Period.containing(today or dt.date.today()).cycle


def is_cycle(text: str) -> bool:
    """Whether `text` is a council year as the toolkit writes them: '2026/27'."""
    match = re.fullmatch(r"(\d{4})/(\d{2})", text)
    if not match:
        return False
    return int(match.group(2)) == (int(match.group(1)) + 1) % 100


def normal_cycle(cycle: str) -> str:
    """A council year as '2026/27' when it looks like one ('2026-27', '2026/2027')."""
    start = _cycle_start(cycle)
    return _cycle_name(start) if start is not None else (cycle or "").strip()


def previous_cycle(cycle: str) -> str | None:
    """The council year before `cycle`: '2025/26' for '2026/27'; None if it is not a year."""
    match = _CYCLE.fullmatch(cycle or "")
    if not match:
        return None
    return _cycle_name(int(match.group(1)) - 1)


def _cycle_name(start: int) -> str:
    return f"{start}/{(start + 1) % 100:02d}"


def _cycle_start(text: str | None) -> int | None:
    """The year a council year starts ('2026/27' -> 2026), or None when it is not one."""
    match = _CYCLE.fullmatch(text or "")
    if not match or int(match.group(2)[-2:]) != (int(match.group(1)) + 1) % 100:
        return None
    return int(match.group(1))


# ---- periods ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A quarter of a council year: `start_year` 2026 and `quarter` 3 is Q3 2026/27."""

    start_year: int
    quarter: int

    @classmethod
    def containing(cls, day: dt.date) -> Period:
        """The quarter of the council year that `day` falls in."""
        start = day.year if day.month >= 4 else day.year - 1
        return cls(start, (day.month - 4) % 12 // 3 + 1)

    @property
    def cycle(self) -> str:
        """The council year: '2026/27'."""
        return _cycle_name(self.start_year)

    def __str__(self) -> str:
        return f"Q{self.quarter} {self.cycle}"

    @property
    def months(self) -> str:
        """'October to December 2026'."""
        return f"{_MONTHS[self.quarter - 1]} {self.first_day.year}"

    @property
    def text(self) -> str:
        """'Q3 2026/27 (October to December 2026)'."""
        return f"{self} ({self.months})"

    @property
    def in_file_names(self) -> str:
        """'Q3 2026-27': the period where a '/' cannot go."""
        return str(self).replace("/", "-")

    @property
    def first_day(self) -> dt.date:
        month = 4 + 3 * (self.quarter - 1)
        return dt.date(self.start_year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next.first_day - dt.timedelta(days=1)

    @property
    def previous(self) -> Period:
        if self.quarter == 1:
            return Period(self.start_year - 1, 4)
        return Period(self.start_year, self.quarter - 1)

    @property
    def next(self) -> Period:
        if self.quarter == 4:
            return Period(self.start_year + 1, 1)
        return Period(self.start_year, self.quarter + 1)

    @property
    def year_end(self) -> bool:
        """Quarter 4: its figures are the year's outturn, not a forecast."""
        return self.quarter == 4


def current_period(today: dt.date | None = None) -> Period:
    """The quarter of the council year containing `today`."""
    return Period.containing(today or dt.date.today())


def last_quarter(cycle: str) -> Period:
    """Quarter 4 of a council year, whose figures are the year's outturn."""
    start = _cycle_start(cycle)
    if start is None:
        raise PeriodError(f'"{cycle}" is not a council year; write it as 2026/27')
    return Period(start, 4)


_QUARTER = r"(?:q|quarter)\s*([1-4])"
_YEAR = r"(\d{4})\s*[/-]\s*(\d{2}|\d{4})"
_FORMS = (
    (re.compile(rf"{_QUARTER}", re.I), None),
    (re.compile(rf"{_QUARTER}\s*,?\s*{_YEAR}", re.I), (2, 3, 1)),
    (re.compile(rf"{_YEAR}\s*,?\s*{_QUARTER}", re.I), (1, 2, 3)),
)
_CALENDAR_QUARTER = re.compile(r"(\d{4})\s*-\s*Q([1-4])", re.I)
ACCEPTED_FORMS = "Q3, Q3 2026/27 or 2026/27 Q3"


def calendar_quarter(text: str | None) -> Period | None:
    """The quarter of the council year that an old calendar quarter ('2026-Q4', October to
    December 2026) covers (Q3 2026/27), or None when `text` is not written that way."""
    match = _CALENDAR_QUARTER.fullmatch(" ".join(str(text or "").split()))
    if match is None:
        return None
    year, quarter = int(match.group(1)), int(match.group(2))
    return Period(year - 1, 4) if quarter == 1 else Period(year, quarter - 1)


def parse_period(text: str | None, cycle: str | None = None) -> Period:
    """A period as an officer types it: 'Q3' (of `cycle`), 'Q3 2026/27' or '2026/27 Q3'.

    Anything else raises PeriodError, whose message shows the accepted forms (and, for an
    old calendar quarter such as '2026-Q4', the quarter of the council year it means).
    """
    typed = " ".join(str(text or "").split())
    for pattern, groups in _FORMS:
        match = pattern.fullmatch(typed)
        if match is None:
            continue
        if groups is None:
            start = _cycle_start(cycle)
            if start is None:
                raise PeriodError(f'"{typed}" names a quarter but not the council year; write '
                                  "it with its year, such as Q3 2026/27")
            return Period(start, int(match.group(1)))
        first, last, quarter = (match.group(g) for g in groups)
        start = _cycle_start(f"{first}/{last}")
        if start is None:
            raise PeriodError(f'"{typed}": {first}/{last} is not a council year (April to '
                              f"March, such as 2026/27); write the period as {ACCEPTED_FORMS}")
        return Period(start, int(quarter))
    old = calendar_quarter(typed)
    hint = (f"; {typed} was a calendar quarter: {old.months} is {old}" if old is not None
            else "")
    raise PeriodError(f'"{typed}" is not a period; write a quarter of the council year as '
                      f"{ACCEPTED_FORMS} (Quarter 1 is April to June, Quarter 4 January to "
                      f"March){hint}")


def stored_period(text: str | None) -> Period | None:
    """The period a store, a form's properties or a settings file holds, or None for none.

    Reads the way the toolkit writes periods ('Q3 2026/27') and the old calendar quarters
    ('2026-Q4'); anything else (an empty period, text typed long ago) is None.
    """
    if not text or not str(text).strip():
        return None
    try:
        return parse_period(text)
    except PeriodError:
        return calendar_quarter(text)


def period_text(period: str | Period | None) -> str:
    """'Q3 2026/27 (October to December 2026)'; text that is not a period as it is."""
    found = period if isinstance(period, Period) else stored_period(period)
    return found.text if found is not None else str(period or "")


# ---- working days ----------------------------------------------------------------------

# The bank holidays of each part of the UK (England and Wales share theirs), by the name a
# workspace's settings give (gov.uk's names for its bank holiday lists), as the `holidays`
# library's subdivisions of GB.
BANK_HOLIDAY_REGIONS = {"england-and-wales": "ENG", "scotland": "SCT",
                        "northern-ireland": "NIR"}


def check_region(region: str) -> str:
    """`region` if it names a part of the UK the toolkit knows the bank holidays of."""
    if region not in BANK_HOLIDAY_REGIONS:
        raise InvalidRequest(f'"{region}" is not one of the bank holiday regions: '
                             f"{', '.join(BANK_HOLIDAY_REGIONS)}")
    return region


@functools.lru_cache(maxsize=8)
def _bank_holidays(region: str) -> holidays.HolidayBase:
    import holidays  # 35 ms of start-up, needed only when a date is checked

    return holidays.country_holidays("GB", subdiv=BANK_HOLIDAY_REGIONS[check_region(region)])


def not_a_working_day(day: dt.date, region: str) -> str | None:
    """Why `day` is not a working day ('a Saturday', 'a bank holiday (Christmas Day)'), or
    None when it is one."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    name = _bank_holidays(region).get(day)
    return f"a bank holiday ({name})" if name else None


def working_day_on_or_after(day: dt.date, region: str) -> dt.date:
    """`day` itself when it is a working day, else the next one."""
    while not_a_working_day(day, region):
        day += dt.timedelta(days=1)
    return day
