"""Excel sheets written safely (openpyxl): user text is never a formula.

Every str value is stored as text: a cell whose text starts with "=", "+", "-", "@",
a tab or a carriage return also gets Excel's quote prefix, so "=HYPERLINK(...)" or
"+44 1306 ..." shows as typed and never runs. Characters XML 1.0 forbids become
U+FFFD. Numbers and dates stay numbers and dates, with formats by column.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import openpyxl
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from generator.errors import ToolkitError
from generator.fileio import save_document

# What colours a cell from its text: (fill, text colour) as hex RRGGBB, or None.
CellColours = Callable[[str], tuple[str, str] | None]

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "MAX_CELL_TEXT",
    "add_table_sheet",
    "stream_table_sheet",
    "set_print_layout",
    "safe_sheet_title",
    "save_workbook_atomic",
]

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
MAX_CELL_TEXT = 32_767  # Excel's limit on characters in a cell
_TRUNCATED = "… [truncated]"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text openpyxl would not take as plain text: a formula, or an error code such as "#N/A".
_PLAIN_UNSAFE = (*_FORMULA_START, "#")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_SHEET_MAX = 31
_RESERVED_SHEET_NAMES = {"history"}  # Excel reserves "History" for change tracking
_MIN_WIDTH, _MAX_WIDTH = 8.0, 60.0


def _clean_text(value: str) -> str:
    """Text Excel can hold: forbidden XML characters become U+FFFD; at most 32,767 characters."""
    text = _XML_ILLEGAL.sub("\ufffd", value)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - len(_TRUNCATED)] + _TRUNCATED
    return text


def safe_sheet_title(wb: openpyxl.Workbook, title: str, *, reusing: str | None = None) -> str:
    """A sheet title Excel accepts and `wb` does not already use (case-insensitively).

    Removes []:*?/\\ and control characters, leading/trailing apostrophes, avoids the
    reserved name "History", shortens to 31 characters and adds " (2)", " (3)", ... to
    make it unique. `reusing` names a sheet that is being renamed (its name is free).
    """
    base = _SHEET_FORBIDDEN.sub(" ", str(title))
    base = " ".join(base.split()).strip("'").strip() or "Sheet"
    if base.lower() in _RESERVED_SHEET_NAMES:
        base = f"{base} sheet"
    base = base[:_SHEET_MAX].rstrip("'").rstrip() or "Sheet"
    used = {name.lower() for name in wb.sheetnames if name != reusing}
    candidate = base
    n = 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: _SHEET_MAX - len(suffix)].rstrip("'").rstrip() + suffix
        n += 1
    return candidate


def _to_excel_datetime(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones: show aware datetimes in UK local time."""
    if value.tzinfo is None:
        return value
    try:
        zone: dt.tzinfo = ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:
        zone = dt.UTC
    return value.astimezone(zone).replace(tzinfo=None)


def _is_blank_default_sheet(wb: openpyxl.Workbook) -> Worksheet | None:
    """The untouched "Sheet" a new Workbook() starts with, if that is all `wb` holds."""
    if len(wb.worksheets) != 1 or len(wb.sheetnames) != 1:
        return None
    ws = wb.worksheets[0]
    if ws.title == "Sheet" and ws.max_row == 1 and ws.max_column == 1 and ws["A1"].value is None:
        return ws
    return None


def add_table_sheet(
    wb: openpyxl.Workbook,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    number_formats: Mapping[str, str] | None = None,
    colour_columns: Sequence[str] = (),
    colour_of: CellColours | None = None,
    col_widths: Mapping[str, float] | None = None,
    footer: str | None = None,
) -> Worksheet:
    """Add a sheet holding a table: bold frozen header row, auto filter, sensible widths.

    - `title` is made a valid, unique sheet title (see `safe_sheet_title`). The blank
      "Sheet" of a new Workbook() is reused rather than left behind.
    - str values are always text (never formulas or error codes; see module docs);
      None, NaN and infinities are empty cells; numbers stay numbers; dates and times
      stay dates with DATE_FORMAT / DATETIME_FORMAT (time zones converted to UK time);
      other values are written as their text.
    - `number_formats` maps a header to an Excel number format, e.g.
      {"Budget (£)": '"£"#,##0'}, applied to that column's numbers and dates.
    - `colour_columns` names the headers of columns whose cells `colour_of` colours: it
      maps a cell's text to (fill, text colour) as hex RRGGBB, or None to leave it plain.
    - `col_widths` maps a header to a width in characters; other columns are sized
      from their contents (8 to 60 characters); longer text wraps.
    - The sheet prints landscape, one page wide, its header row on every page, with `footer`
      (default: the sheet's title) and the page number at the foot (`set_print_layout`).
    Raises ValueError for no headers, a row of the wrong length, or a header name in
    the options that is not in `headers`.
    """
    plan = _Columns.plan(headers, number_formats, colour_columns, colour_of, col_widths)
    ws = _new_sheet(wb, title)
    _write_header(ws, plan.headers)
    longest = [len(h) for h in plan.headers]
    looks = _Looks()
    r = 1
    for r, row in enumerate(rows, start=2):
        plan.check_row(r - 1, row)
        for c, value in enumerate(row):
            cell = _unmerged_cell(ws, r, c + 1)
            shown, number_format = _set_value(cell, value, plan.formats.get(c))
            if shown is None:
                continue
            longest[c] = max(longest[c], max(len(line) for line in shown.split("\n")))
            looks.apply(cell, number_format, plan.wraps(c, shown),
                        plan.colours(c, shown, colour_of))
    plan.finish(ws, longest, last_row=r, footer=footer)
    return ws


def set_print_layout(ws: Any, title: str) -> None:
    """Print `ws` (a worksheet, or a write-only one) as agenda packs need it: landscape A4,
    one page wide (as many pages long as it takes), the header row on every page, and a
    footer with `title` and "Page n of m"."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # 0: as many pages down as the rows need
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    # In a header or footer "&" starts a code: a literal one is written "&&".
    left = _clean_text(title).replace("&", "&&")[:200]
    for footer in (ws.oddFooter, ws.evenFooter):
        if footer is not None:  # openpyxl makes both with every sheet
            footer.left.text = left
            footer.right.text = "Page &P of &N"


def stream_table_sheet(
    wb: openpyxl.Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    number_formats: Mapping[str, str] | None = None,
    colour_columns: Sequence[str] = (),
    colour_of: CellColours | None = None,
    col_widths: Mapping[str, float] | None = None,
    footer: str | None = None,
    bold_last_row: bool = False,
) -> None:
    """`add_table_sheet` for a workbook made with `openpyxl.Workbook(write_only=True)`: the
    same sheet, written row by row to a temporary file instead of held as cells in memory
    (a committee paper's annex at 1,000 partnerships held half a gigabyte of cells). The
    rows are read twice: once for the column widths, once to write them."""
    plan = _Columns.plan(headers, number_formats, colour_columns, colour_of, col_widths)
    ws = wb.create_sheet(safe_sheet_title(wb, title))
    # A write-only sheet takes its widths and layout before its first row.
    plan.finish(ws, _longest_lines(ws, plan, rows), last_row=len(rows) + 1, footer=footer)
    bold = Font(bold=True)
    header_cells = []
    for header in plan.headers:
        cell = WriteOnlyCell(ws)
        _set_text(cell, header)
        cell.font, cell.alignment = bold, _WRAP
        header_cells.append(cell)
    ws.append(header_cells)
    last = len(rows) - 1
    looks = _Looks()
    for r, row in enumerate(rows):
        ws.append([_streamed_cell(ws, looks, plan, c, value, colour_of,
                                  bold=bold_last_row and r == last)
                   for c, value in enumerate(row)])


# Rows a streamed sheet's column widths are measured on: all of a short sheet; of a long
# one, the first rows and an even spread of the rest (a width is capped, and measuring each
# of 100,000 rows took a fifth of the time of a large annex).
WIDTH_SAMPLE_ROWS = 2000


def _longest_lines(ws: Any, plan: _Columns, rows: Sequence[Sequence[object]]) -> list[int]:
    """Each column's longest line of text as shown, for its width (a first pass over rows,
    which also checks each row's length)."""
    scratch = WriteOnlyCell(ws)
    longest = [len(h) for h in plan.headers]
    step = max(1, len(rows) // WIDTH_SAMPLE_ROWS)
    for r, row in enumerate(rows, start=1):
        plan.check_row(r, row)
        if r > WIDTH_SAMPLE_ROWS // 2 and r % step:
            continue
        for c, value in enumerate(row):
            shown, _ = _set_value(scratch, value, plan.formats.get(c))
            if shown is not None:
                longest[c] = max(longest[c], max(len(line) for line in shown.split("\n")))
    return longest


_WRAP = Alignment(wrap_text=True, vertical="top")


def _streamed_cell(ws: Any, looks: _Looks, plan: _Columns, c: int, value: object,
                   colour_of: CellColours | None, *, bold: bool) -> Cell | str | None:
    """One cell of a streamed sheet, with the look `add_table_sheet` gives it (each look set
    once per sheet and copied, as there); plain text with no look of its own is given as
    text, which openpyxl writes through one cell of its own (a cell of ours for each costs
    twice the time)."""
    if value is None:
        return None
    if isinstance(value, str) and not bold and c not in plan.coloured:
        text = _clean_text(value)
        if not text.startswith(_PLAIN_UNSAFE) and not plan.wraps(c, text):
            return text  # openpyxl types it as text: no formula or error code starts so
    cell = WriteOnlyCell(ws)
    shown, number_format = _set_value(cell, value, plan.formats.get(c))
    if shown is None:
        return cell
    colours = plan.colours(c, shown, colour_of)
    looks.apply(cell, number_format, plan.wraps(c, shown), colours)
    if bold:  # the total row: one a sheet
        cell.font = Font(bold=True, color=colours[1] if colours is not None else None)
    return cell


@dataclass(frozen=True)
class _Columns:
    """A table sheet's columns as both writers need them: the headers as written, each
    column's number format, which columns are coloured, and the widths given."""

    headers: list[str]
    formats: dict[int, str]
    coloured: set[int]
    widths: dict[str, float]

    @classmethod
    def plan(cls, headers: Sequence[str], number_formats: Mapping[str, str] | None,
             colour_columns: Sequence[str], colour_of: CellColours | None,
             col_widths: Mapping[str, float] | None) -> _Columns:
        """Raises ValueError for no headers or an option naming a column not in them."""
        cleaned = [_clean_text(str(h)) for h in headers]
        if not cleaned:
            raise ValueError("a sheet needs at least one column header")
        index_of = {header: i for i, header in reversed(list(enumerate(cleaned)))}
        formats, widths = dict(number_formats or {}), dict(col_widths or {})
        _check_columns(index_of, number_formats=formats, col_widths=widths,
                       colour_columns=list(colour_columns))
        return cls(cleaned, {index_of[name]: fmt for name, fmt in formats.items()},
                   {index_of[name] for name in colour_columns} if colour_of else set(), widths)

    def check_row(self, number: int, row: Sequence[object]) -> None:
        if len(row) != len(self.headers):
            raise ValueError(f"row {number} has {len(row)} cells but the sheet has "
                             f"{len(self.headers)} columns")

    def wraps(self, c: int, shown: str) -> bool:
        """Text longer than its column is wrapped, so that nothing is cut at the printed
        edge."""
        return "\n" in shown or len(shown) > int(self.widths.get(self.headers[c],
                                                                  _MAX_WIDTH)) - 2

    def colours(self, c: int, shown: str, colour_of: CellColours | None
                ) -> tuple[str, str] | None:
        return colour_of(shown) if colour_of is not None and c in self.coloured else None

    def finish(self, ws: Any, longest: Sequence[int], *, last_row: int,
               footer: str | None) -> None:
        """Column widths (given, else from the contents), the frozen header row, the filter
        and the print layout."""
        for c, header in enumerate(self.headers):
            ws.column_dimensions[get_column_letter(c + 1)].width = self.widths.get(
                header, min(_MAX_WIDTH, max(_MIN_WIDTH, longest[c] + 2)))
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(self.headers))}{last_row}"
        ws.print_title_rows = "1:1"
        set_print_layout(ws, footer or ws.title)


def _check_columns(index_of: Mapping[str, int], **options: Iterable[str]) -> None:
    """Raise ValueError when an option of `add_table_sheet` names a column not in the headers."""
    for option, names in options.items():
        unknown = [name for name in names if name not in index_of]
        if unknown:
            raise ValueError(f"{option} names columns not in the headers: {', '.join(unknown)}")


def _new_sheet(wb: openpyxl.Workbook, title: str) -> Worksheet:
    """A new sheet titled `title` (made valid and unique); the blank "Sheet" of a new
    Workbook() is reused rather than left behind."""
    blank = _is_blank_default_sheet(wb)
    if blank is not None:
        blank.title = safe_sheet_title(wb, title, reusing=blank.title)
        return blank
    return wb.create_sheet(safe_sheet_title(wb, title))


def _write_header(ws: Worksheet, headers: Sequence[str]) -> None:
    bold = Font(bold=True)
    alignment = Alignment(wrap_text=True, vertical="top")
    for c, header in enumerate(headers, start=1):
        cell = _unmerged_cell(ws, 1, c)
        _set_text(cell, header)
        cell.font = bold
        cell.alignment = alignment


class _Looks:
    """Each look of a sheet's cells (number format, wrapping, colours, quote prefix), set
    through openpyxl once per sheet and copied to the cells that share it: setting a style
    hashes the whole style object to find it in the workbook (1.6 s of the Scrutiny annex at
    1,000 partnerships)."""

    def __init__(self) -> None:
        self._styles: dict[tuple[str | None, bool, tuple[str, str] | None, bool],
                           StyleArray] = {}
        self._wrap = Alignment(wrap_text=True, vertical="top")

    def apply(self, cell: Cell, number_format: str | None, wrap: bool,
              colours: tuple[str, str] | None) -> None:
        if (number_format, wrap, colours) == (None, False, None):
            return
        look = (number_format, wrap, colours, bool(cell.quotePrefix))
        if look in self._styles:
            cast(Any, cell)._style = copy(self._styles[look])  # openpyxl's way to copy a style
            return
        if number_format:
            cell.number_format = number_format
        if wrap:
            cell.alignment = self._wrap
        if colours is not None:
            fill, text = colours
            cell.fill = PatternFill(fill_type="solid", start_color=fill, end_color=fill)
            cell.font = Font(color=text)
        self._styles[look] = copy(cast(Any, cell)._style)


def _unmerged_cell(ws: Worksheet, row: int, column: int) -> Cell:
    """`ws.cell(row, column)` of a sheet `add_table_sheet` has just made or taken blank.

    Such a sheet has no merged cells, so this is always a Cell, never a MergedCell.
    """
    cell = ws.cell(row=row, column=column)
    if not isinstance(cell, Cell):
        raise TypeError(f"cell {cell.coordinate} of sheet {ws.title!r} is merged")
    return cell


def _set_text(cell: Cell, text: str) -> str:
    """Store `text` as a string cell, quote-prefixed when Excel would read it as a formula."""
    text = _clean_text(text)
    cell.value = text
    cell.data_type = "s"  # never "f" (formula) or "e" (error code such as "#N/A")
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True
    return text


def _set_value(cell: Cell, value: object, number_format: str | None
               ) -> tuple[str | None, str | None]:
    """Write one value; returns the text it shows (for column widths), None when empty, and
    the number format the cell should have (set by the caller), if any."""
    if value is None:
        return None, None
    if isinstance(value, str):
        return _set_text(cell, value), None
    if isinstance(value, bool):
        cell.value = value
        return ("FALSE" if not value else "TRUE"), None
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and (math.isnan(value) or math.isinf(value)):
            return None, None  # Excel cannot store NaN or infinity
        cell.value = value
        return (f"{value:,}" if number_format else str(value)), number_format
    if isinstance(value, dt.datetime):
        cell.value = _to_excel_datetime(value)
        return "00/00/0000 00:00", number_format or DATETIME_FORMAT
    if isinstance(value, dt.date):
        cell.value = value
        return "00/00/0000", number_format or DATE_FORMAT
    if isinstance(value, dt.time | dt.timedelta):
        cell.value = value
        return str(value), number_format
    return _set_text(cell, str(value)), None


def workbook_bytes(wb: openpyxl.Workbook) -> bytes:
    """The workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def save_workbook_atomic(wb: openpyxl.Workbook, path: Path) -> None:
    """Save the workbook to `path` atomically: never leaves a half-written file.

    Missing folders are created. Raises ToolkitError if the file cannot be written or
    replaced (for example because it is open in Excel).
    """
    save_document(Path(path), workbook_bytes(wb), program="Excel", error=ToolkitError)
