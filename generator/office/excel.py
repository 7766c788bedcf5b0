"""Excel workbooks of table sheets, written safely: user text is never a formula.

Every str value is stored as text: a cell whose text starts with "=", "+", "-", "@",
a tab or a carriage return also gets Excel's quote prefix, so "=HYPERLINK(...)" or
"+44 1306 ..." shows as typed and never runs. Characters XML 1.0 forbids become
U+FFFD. Numbers and dates stay numbers and dates, with formats by column.

A `TableWorkbook` writes each sheet's SpreadsheetML as text straight into the .xlsx as the
sheet is added, rather than through openpyxl: openpyxl builds an object for every cell and
took 10 of the 18 seconds of the Scrutiny report's annex at 1,000 partnerships (about 15 µs a
cell; this writer takes under 2). Only the package so far and the workbook's short texts
(shared strings, each kept once) are held, so a sheet of a million cells costs little more
memory than one of ten. openpyxl still reads workbooks (the register, and the tests, which
open what this module writes).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tempfile
import weakref
import zipfile
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.errors import ToolkitError
from generator.fileio import save_document

# What colours a cell from its text: (fill, text colour) as hex RRGGBB, or None.
CellColours = Callable[[str], tuple[str, str] | None]

__all__ = [
    "DATETIME_FORMAT",
    "DATE_FORMAT",
    "MAX_CELL_TEXT",
    "WIDTH_SAMPLE_ROWS",
    "StreamedSheet",
    "TableWorkbook",
    "column_letter",
    "safe_sheet_title",
]

DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
_TIME_FORMAT = "hh:mm"
_DURATION_FORMAT = "[h]:mm:ss"
MAX_CELL_TEXT = 32_767  # Excel's limit on characters in a cell
_TRUNCATED = "… [truncated]"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_SHEET_MAX = 31
_RESERVED_SHEET_NAMES = {"history"}  # Excel reserves "History" for change tracking
_MIN_WIDTH, _MAX_WIDTH = 8.0, 60.0
_FOOTER_TEXT_MAX = 200  # Excel allows 255 characters in a footer, codes included
# Excel counts days from 30 December 1899 (its 1900 date system, leap-year slip included).
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)

# Rows a sheet's column widths are measured on: all of a short sheet; of a long one, the
# first rows and an even spread of the rest (a width is capped, and measuring each of
# 100,000 rows took a fifth of the time of a large annex).
WIDTH_SAMPLE_ROWS = 2000
# A streamed sheet's rows are measured as they come: the first half of the sample, then one
# row in so many (how many rows will come is not known).
_STREAMED_WIDTH_EVERY = 200
# Texts up to this long are kept once in the workbook's shared strings, and their cells made
# into XML once a column (at most this many cells a sheet).
_MEMO_TEXT, _MEMO_CELLS = 300, 100_000


def _clean_text(value: str) -> str:
    """Text Excel can hold: forbidden XML characters become U+FFFD; at most 32,767 characters."""
    text = _XML_ILLEGAL.sub("\ufffd", value)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - len(_TRUNCATED)] + _TRUNCATED
    return text


def safe_sheet_title(title: str, taken: Collection[str] = ()) -> str:
    """A sheet title Excel accepts and that is not one of `taken` (case-insensitively).

    Removes []:*?/\\ and control characters, leading/trailing apostrophes, avoids the
    reserved name "History", shortens to 31 characters and adds " (2)", " (3)", ... to
    make it unique.
    """
    base = _SHEET_FORBIDDEN.sub(" ", str(title))
    base = " ".join(base.split()).strip("'").strip() or "Sheet"
    if base.lower() in _RESERVED_SHEET_NAMES:
        base = f"{base} sheet"
    base = base[:_SHEET_MAX].rstrip("'").rstrip() or "Sheet"
    used = {name.lower() for name in taken}
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


def column_letter(index: int) -> str:
    """The letters of the column numbered `index` from 1: 1 is "A", 27 is "AA"."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------- XML text

def _escape(text: str) -> str:
    """`text` as XML element content. A carriage return is written as a character reference:
    a parser would read a bare one as a line feed."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _attribute(text: str) -> str:
    """`text` as an XML attribute value (in double quotes)."""
    return _escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _text_element(text: str) -> str:
    """A <t> holding `text`, spaces at either end kept."""
    if text != text.strip():
        return f'<t xml:space="preserve">{_escape(text)}</t>'
    return f"<t>{_escape(text)}</t>"


def _inline_text(text: str) -> str:
    """The <is> of a text cell that holds its text itself."""
    return f"<is>{_text_element(text)}</is>"


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


# --------------------------------------------------------------------------- looks

class _Look(NamedTuple):
    """How a cell looks: its number format, wrapping, colours (fill, text), quote prefix
    and boldness. A tuple: one is made for each cell that is not plain."""

    number_format: str | None = None
    wrap: bool = False
    colours: tuple[str, str] | None = None
    quote: bool = False
    bold: bool = False


_PLAIN = _Look()


class _Styles:
    """The workbook's cell looks, each given an index into styles.xml's cellXfs as first met
    (0 is the plain look)."""

    def __init__(self) -> None:
        self._index: dict[_Look, int] = {_PLAIN: 0}

    def of(self, look: _Look) -> int:
        index = self._index.get(look)
        if index is None:
            index = self._index[look] = len(self._index)
        return index

    def xml(self) -> str:
        formats: dict[str, int] = {}
        fonts: dict[tuple[bool, str | None], int] = {(False, None): 0}
        fills: dict[str, int] = {}
        xfs = []
        for look in self._index:  # in index order: dicts keep insertion order
            number = 0
            if look.number_format:
                number = formats.setdefault(look.number_format, 164 + len(formats))
            text_colour = look.colours[1] if look.colours else None
            font = fonts.setdefault((look.bold, text_colour), len(fonts))
            fill = fills.setdefault(look.colours[0], 2 + len(fills)) if look.colours else 0
            attributes = (f'numFmtId="{number}" fontId="{font}" fillId="{fill}" borderId="0" '
                          'xfId="0"')
            if number:
                attributes += ' applyNumberFormat="1"'
            if font:
                attributes += ' applyFont="1"'
            if fill:
                attributes += ' applyFill="1"'
            if look.quote:
                attributes += ' quotePrefix="1"'
            if look.wrap:
                xfs.append(f'<xf {attributes} applyAlignment="1">'
                           '<alignment vertical="top" wrapText="1"/></xf>')
            else:
                xfs.append(f"<xf {attributes}/>")
        parts = [_XML_HEAD, f'<styleSheet xmlns="{_NS}">']
        if formats:
            parts.append(f'<numFmts count="{len(formats)}">')
            parts += [f'<numFmt numFmtId="{n}" formatCode="{_attribute(code)}"/>'
                      for code, n in formats.items()]
            parts.append("</numFmts>")
        parts.append(f'<fonts count="{len(fonts)}">')
        for bold, colour in fonts:
            parts.append("<font>" + ("<b/>" if bold else "") + '<sz val="11"/>'
                         + (f'<color rgb="FF{colour}"/>' if colour else "")
                         + '<name val="Calibri"/><family val="2"/></font>')
        parts.append(f'</fonts><fills count="{2 + len(fills)}">'
                     '<fill><patternFill patternType="none"/></fill>'
                     '<fill><patternFill patternType="gray125"/></fill>')
        parts += [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{fill}"/>'
                  f'<bgColor rgb="FF{fill}"/></patternFill></fill>' for fill in fills]
        parts.append('</fills><borders count="1"><border><left/><right/><top/><bottom/>'
                     '<diagonal/></border></borders><cellStyleXfs count="1">'
                     '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                     f'<cellXfs count="{len(xfs)}">')
        parts += xfs
        parts.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
                     'builtinId="0"/></cellStyles></styleSheet>')
        return "".join(parts)


# --------------------------------------------------------------------------- columns

@dataclass(frozen=True)
class _Columns:
    """A table sheet's columns: the headers as written, each column's number format, which
    columns are coloured, and the widths given."""

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

    def width_xml(self, rows: Sequence[Sequence[object]]) -> str:
        """The sheet's <cols> for `rows` (see `cols_xml`), measured on a sample of a long
        sheet's rows. Checks each row's length on the way."""
        longest = [len(h) for h in self.headers]
        step = max(1, len(rows) // WIDTH_SAMPLE_ROWS)
        for r, row in enumerate(rows, start=1):
            self.check_row(r, row)
            if r <= WIDTH_SAMPLE_ROWS // 2 or not r % step:
                self.measure(longest, row)
        return self.cols_xml(longest)

    def measure(self, longest: list[int], row: Sequence[object]) -> None:
        """Widen `longest` (each column's longest line of text as shown) for `row`."""
        for c, value in enumerate(row):
            shown = _shown(value, self.formats.get(c))
            if shown is not None:
                longest[c] = max(longest[c], max(len(line) for line in shown.split("\n")))

    def cols_xml(self, longest: Sequence[int]) -> str:
        """The sheet's <cols>: widths given, else from each column's longest line of text,
        8 to 60 characters."""
        cols = []
        for c, header in enumerate(self.headers):
            width = self.widths.get(header, min(_MAX_WIDTH, max(_MIN_WIDTH, longest[c] + 2)))
            cols.append(f'<col min="{c + 1}" max="{c + 1}" width="{width:g}" customWidth="1"/>')
        return "<cols>" + "".join(cols) + "</cols>"


def _check_columns(index_of: Mapping[str, int], **options: Iterable[str]) -> None:
    """Raise ValueError when an option of `add_sheet` names a column not in the headers."""
    for option, names in options.items():
        unknown = [name for name in names if name not in index_of]
        if unknown:
            raise ValueError(f"{option} names columns not in the headers: {', '.join(unknown)}")


def _shown(value: object, number_format: str | None) -> str | None:
    """The text a value shows (for column widths), None when the cell is empty."""
    if value is None:
        return None
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float | Decimal) and (math.isnan(value) or math.isinf(value)):
            return None
        return f"{value:,}" if number_format else str(value)
    if isinstance(value, dt.datetime):
        return "00/00/0000 00:00"
    if isinstance(value, dt.date):
        return "00/00/0000"
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return _clean_text(str(value))


def _serial(value: dt.date | dt.datetime) -> float | int:
    """A date or time as Excel's serial number of days."""
    if isinstance(value, dt.datetime):
        return (_to_excel_datetime(value) - _EXCEL_EPOCH).total_seconds() / 86400
    return (value - _EXCEL_EPOCH.date()).days


# --------------------------------------------------------------------------- the workbook

@dataclass(frozen=True)
class _Sheet:
    title: str
    last_cell: str  # the table's bottom-right cell, "D12"
    part: int  # the number in its part's name, xl/worksheets/sheet<part>.xml


def _discard(archive: zipfile.ZipFile, file: IO[bytes]) -> None:
    archive.close()
    file.close()


class _RowWriter:
    """A sheet's rows as SpreadsheetML text, with the workbook's looks and shared strings.

    A column's values repeat (a paper's name, a partnership's, a file's and when it was
    received, in every row of the Sources sheet): each short text and each date is made into
    XML once a column. Only those: 1, 1.0 and True are equal as keys.
    """

    def __init__(self, book: TableWorkbook, plan: _Columns, colour_of: CellColours | None
                 ) -> None:
        self.book, self.plan, self.colour_of = book, plan, colour_of
        self.letters = [column_letter(c + 1) for c in range(len(plan.headers))]
        self.made: list[dict[object, str]] = [{} for _ in self.letters]
        self.remembered = 0

    def header(self) -> str:
        """Row 1: the headers, bold and wrapped."""
        styles = self.book._styles
        plain = styles.of(_Look(wrap=True, bold=True))
        quoted = styles.of(_Look(wrap=True, bold=True, quote=True))
        return '<row r="1">' + "".join(
            f'<c r="{self.letters[c]}1" s="{quoted if h.startswith(_FORMULA_START) else plain}" '
            f't="inlineStr">{_inline_text(h)}</c>' for c, h in enumerate(self.plan.headers)
        ) + "</row>"

    def rows(self, rows: Sequence[Sequence[object]], *, first: int = 2,
             bold_last: bool = False) -> Iterator[str]:
        """The XML of `rows`, numbered from `first`, in chunks of rows."""
        letters, made, cell_of = self.letters, self.made, self._cell
        last = first + len(rows) - 1 if bold_last else -1  # the total row, if any
        chunk: list[str] = []
        for r, row in enumerate(rows, start=first):
            bold = r == last
            chunk.append(f'<row r="{r}">')
            for c, value in enumerate(row):
                kind = type(value)
                if kind is str:
                    if not value:
                        continue  # Excel keeps no empty text: an empty cell
                    memo = len(value) <= _MEMO_TEXT  # type: ignore[arg-type]
                elif value is None:
                    continue
                else:
                    memo = kind is dt.datetime or kind is dt.date
                if memo and not bold:
                    cell = made[c].get(value)
                    if cell is None:
                        cell = cell_of(value, c, bold)
                        if self.remembered < _MEMO_CELLS:
                            made[c][value] = cell
                            self.remembered += 1
                else:
                    cell = cell_of(value, c, bold)
                chunk.append(f'<c r="{letters[c]}{r}"{cell}')
            chunk.append("</row>")
            if len(chunk) > 4096:
                yield "".join(chunk)
                chunk = []
        if chunk:
            yield "".join(chunk)

    def _cell(self, value: object, c: int, bold: bool) -> str:
        """One cell's XML after its reference, `<c r="A1"` (the value is not None)."""
        plan, colour_of, book = self.plan, self.colour_of, self.book
        number_format = plan.formats.get(c)
        if isinstance(value, str) or not isinstance(
                value, bool | int | float | Decimal | dt.date | dt.time | dt.timedelta):
            text = _clean_text(value if isinstance(value, str) else str(value))
            quote, wrap = text.startswith(_FORMULA_START), plan.wraps(c, text)
            colours = (colour_of(text) if colour_of is not None and c in plan.coloured
                       else None)
            content = book._text(text)
            if quote or wrap or colours or bold:
                style = book._styles.of(_Look(None, wrap, colours, quote, bold))
                return f' s="{style}"{content}'
            return content
        if isinstance(value, bool):
            style = book._styles.of(_Look(bold=bold))
            return f' s="{style}" t="b"><v>{int(value)}</v></c>'
        number: object
        if isinstance(value, int | float | Decimal):
            if isinstance(value, float | Decimal) and (math.isnan(value) or math.isinf(value)):
                return "/>"  # Excel cannot store NaN or infinity: an empty cell
            number = repr(value) if isinstance(value, float) else str(value)
        elif isinstance(value, dt.datetime):
            number, number_format = _serial(value), number_format or DATETIME_FORMAT
        elif isinstance(value, dt.date):
            number, number_format = _serial(value), number_format or DATE_FORMAT
        elif isinstance(value, dt.time):
            number = (value.hour * 3600 + value.minute * 60 + value.second) / 86400
            number_format = number_format or _TIME_FORMAT
        else:  # a timedelta
            number = value.total_seconds() / 86400
            number_format = number_format or _DURATION_FORMAT
        style = book._styles.of(_Look(number_format, bold=bold))
        return f' s="{style}"><v>{number}</v></c>'


class StreamedSheet:
    """A sheet of a `TableWorkbook` whose rows come a few at a time (see
    `TableWorkbook.add_streamed_sheet`)."""

    def __init__(self, title: str, writer: _RowWriter, footer: str | None) -> None:
        self.title, self._writer, self._footer = title, writer, footer
        self._file = tempfile.TemporaryFile()
        weakref.finalize(self, self._file.close)
        self._count = 0
        self._longest = [len(h) for h in writer.plan.headers]

    def add_rows(self, rows: Sequence[Sequence[object]]) -> None:
        """Write `rows` after those added before. Raises ValueError for a row of the wrong
        length (nothing of `rows` is written then)."""
        plan = self._writer.plan
        for n, row in enumerate(rows, start=self._count + 1):
            plan.check_row(n, row)
        for n, row in enumerate(rows, start=self._count + 1):
            if n <= WIDTH_SAMPLE_ROWS // 2 or not n % _STREAMED_WIDTH_EVERY:
                plan.measure(self._longest, row)
        for chunk in self._writer.rows(rows, first=self._count + 2):
            self._file.write(chunk.encode())
        self._count += len(rows)

    def write_into(self, book: TableWorkbook) -> None:
        """Put the sheet into `book`'s package (when the workbook is finished)."""
        self._file.seek(0)
        book._write_part(self.title, self._writer, self._writer.plan.cols_xml(self._longest),
                         self._count, self._footer,
                         iter(lambda: self._file.read(1 << 20), b""))
        self._file.close()


class TableWorkbook:
    """A workbook of table sheets, each written into the package as it is added.

    `add_sheet` adds a table; `to_bytes` or `save` finishes the workbook (after which no
    sheet can be added). Every sheet has a bold, frozen header row, an auto filter, sensible
    widths, and prints landscape, one page wide, its header row on every page, with its
    footer and the page number at the foot.
    """

    def __init__(self) -> None:
        # Spooled: a small workbook stays in memory, a large one goes to a temporary file.
        self._file = tempfile.SpooledTemporaryFile(max_size=32 << 20)
        self._zip = zipfile.ZipFile(self._file, "w", zipfile.ZIP_DEFLATED)
        # A workbook let go unfinished (a paper that failed half way) closes its file.
        weakref.finalize(self, _discard, self._zip, self._file)
        self._parts = 0  # sheet parts begun, each named by its number
        self._sheets: list[_Sheet] = []
        self._styles = _Styles()
        self._shared: dict[str, int] = {}  # each short text of the workbook, by its number
        self._streamed: list[StreamedSheet] = []  # written into the package when finished
        self._bytes: bytes | None = None

    @property
    def sheet_titles(self) -> list[str]:
        return [sheet.title for sheet in self._sheets]

    def add_sheet(
        self,
        title: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[object]],
        *,
        number_formats: Mapping[str, str] | None = None,
        colour_columns: Sequence[str] = (),
        colour_of: CellColours | None = None,
        col_widths: Mapping[str, float] | None = None,
        footer: str | None = None,
        bold_last_row: bool = False,
    ) -> str:
        """Add a sheet holding a table; returns its title.

        - `title` is made a valid title no other sheet has (see `safe_sheet_title`).
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
        - `footer` (default: the sheet's title) is printed at the foot of every page.
        - `bold_last_row` makes the last row (a total) bold.
        Raises ValueError for no headers, a row of the wrong length, or a header name in
        the options that is not in `headers`, and once the workbook is finished.
        """
        if self._bytes is not None:
            raise ValueError("the workbook is finished: no sheet can be added")
        plan = _Columns.plan(headers, number_formats, colour_columns, colour_of, col_widths)
        table = rows if isinstance(rows, Sequence) else list(rows)
        cols = plan.width_xml(table)  # checks each row's length first
        name = safe_sheet_title(title, self.sheet_titles + self._streamed_titles())
        writer = _RowWriter(self, plan, colour_of)
        self._write_part(name, writer, cols, len(table), footer, (
            chunk.encode() for chunk in writer.rows(table, bold_last=bold_last_row)))
        return name

    def add_streamed_sheet(self, title: str, headers: Sequence[str], *,
                           number_formats: Mapping[str, str] | None = None,
                           col_widths: Mapping[str, float] | None = None,
                           footer: str | None = None) -> StreamedSheet:
        """A sheet whose rows come a few at a time while other sheets are added (the Sources
        of a paper's annex, traced table by table): its rows go to a temporary file as they
        come (`StreamedSheet.add_rows`), not held, and the sheet goes into the workbook after
        every other sheet when the workbook is finished. Options as `add_sheet`'s; its column
        widths are measured on its first rows and a spread of the rest."""
        if self._bytes is not None:
            raise ValueError("the workbook is finished: no sheet can be added")
        plan = _Columns.plan(headers, number_formats, (), None, col_widths)
        name = safe_sheet_title(title, self.sheet_titles + self._streamed_titles())
        sheet = StreamedSheet(name, _RowWriter(self, plan, None), footer)
        self._streamed.append(sheet)
        return sheet

    def _streamed_titles(self) -> list[str]:
        return [sheet.title for sheet in self._streamed]

    def _write_part(self, name: str, writer: _RowWriter, cols: str, count: int,
                    footer: str | None, body: Iterable[bytes]) -> None:
        """A sheet's part: its head, header row, `count` rows' XML (`body`) and its tail."""
        last_cell = f"{column_letter(len(writer.letters))}{count + 1}"
        self._parts += 1
        with self._zip.open(f"xl/worksheets/sheet{self._parts}.xml", "w") as part:
            part.write(self._sheet_head(cols, last_cell, first=not self._sheets).encode())
            part.write(writer.header().encode())
            for chunk in body:
                part.write(chunk)
            part.write(("</sheetData>" + self._sheet_tail(last_cell, footer or name)).encode())
        self._sheets.append(_Sheet(name, last_cell, self._parts))

    def _sheet_head(self, cols: str, last_cell: str, *, first: bool) -> str:
        selected = ' tabSelected="1"' if first else ""
        return (f'{_XML_HEAD}<worksheet xmlns="{_NS}" xmlns:r="{_REL_NS}">'
                '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
                f'<dimension ref="A1:{last_cell}"/>'
                f'<sheetViews><sheetView workbookViewId="0"{selected}>'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView>'
                '</sheetViews><sheetFormatPr defaultRowHeight="15"/>' + cols + "<sheetData>")

    def _text(self, text: str) -> str:
        """A text cell's type and content: a short text is kept once in the workbook's shared
        strings, which the cells refer to by number (a paper's name, repeated in every row of
        the Sources sheet, is written once); a long one is written in its cell."""
        if len(text) > _MEMO_TEXT:
            return f' t="inlineStr">{_inline_text(text)}</c>'
        index = self._shared.get(text)
        if index is None:
            index = self._shared[text] = len(self._shared)
        return f' t="s"><v>{index}</v></c>'

    def _sheet_tail(self, last_cell: str, footer: str) -> str:
        # In a header or footer "&" starts a code: a literal one is written "&&".
        left = _clean_text(footer).replace("&", "&&")[:_FOOTER_TEXT_MAX]
        footer_xml = _escape(f"&L{left}&RPage &P of &N")
        return (f'<autoFilter ref="A1:{last_cell}"/>'
                '<printOptions gridLines="1"/>'
                '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/>'
                '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" '
                'fitToHeight="0"/>'
                f"<headerFooter><oddFooter>{footer_xml}</oddFooter></headerFooter>"
                "</worksheet>")

    def to_bytes(self) -> bytes:
        """The workbook as the bytes of an .xlsx file. Raises ValueError when it has no
        sheet (Excel cannot open a workbook without one)."""
        if self._bytes is None:
            for sheet in self._streamed:
                sheet.write_into(self)
            self._streamed.clear()
            if not self._sheets:
                raise ValueError("a workbook needs at least one sheet")
            for name, text in self._package_parts():
                self._zip.writestr(name, text)
            self._zip.close()
            self._file.seek(0)
            self._bytes = self._file.read()
            _discard(self._zip, self._file)
        return self._bytes

    def save(self, path: Path) -> None:
        """Save the workbook to `path` atomically: never leaves a half-written file.

        Missing folders are created. Raises ToolkitError if the file cannot be written or
        replaced (for example because it is open in Excel).
        """
        save_document(Path(path), self.to_bytes(), program="Excel", error=ToolkitError)

    def _package_parts(self) -> list[tuple[str, str]]:
        sheets, names, rels, types = [], [], [], []
        for n, sheet in enumerate(self._sheets, start=1):
            sheets.append(f'<sheet name="{_attribute(sheet.title)}" sheetId="{n}" r:id="rId{n}"/>')
            quoted = "'" + sheet.title.replace("'", "''") + "'"
            first, last = "$A$1", "$" + re.sub(r"(\d+)$", r"$\1", sheet.last_cell)
            names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{n - 1}" '
                         f'hidden="1">{_escape(f"{quoted}!{first}:{last}")}</definedName>')
            names.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{n - 1}">'
                         f"{_escape(quoted)}!$1:$1</definedName>")
            rels.append(f'<Relationship Id="rId{n}" Type="{_REL_NS}/worksheet" '
                        f'Target="worksheets/sheet{sheet.part}.xml"/>')
            types.append(f'<Override PartName="/xl/worksheets/sheet{sheet.part}.xml" '
                         f'ContentType="{_CT}.worksheet+xml"/>')
        styles_id = len(self._sheets) + 1
        rels.append(f'<Relationship Id="rId{styles_id}" Type="{_REL_NS}/styles" '
                    'Target="styles.xml"/>')
        rels.append(f'<Relationship Id="rId{styles_id + 1}" Type="{_REL_NS}/sharedStrings" '
                    'Target="sharedStrings.xml"/>')
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [
            ("[Content_Types].xml",
             f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
             'content-types"><Default Extension="rels" ContentType="application/'
             'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
             'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
             f'ContentType="{_CT}.sheet.main+xml"/><Override PartName="/xl/styles.xml" '
             f'ContentType="{_CT}.styles+xml"/><Override PartName="/xl/sharedStrings.xml" '
             f'ContentType="{_CT}.sharedStrings+xml"/>' + "".join(types)
             + '<Override PartName="/docProps/core.xml" ContentType="application/'
             'vnd.openxmlformats-package.core-properties+xml"/><Override '
             'PartName="/docProps/app.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'),
            ("_rels/.rels",
             f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_REL_NS}"><Relationship Id="rId1" '
             f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/><Relationship '
             f'Id="rId2" Type="{_PACKAGE_REL_NS}/metadata/core-properties" '
             f'Target="docProps/core.xml"/><Relationship Id="rId3" '
             f'Type="{_REL_NS}/extended-properties" Target="docProps/app.xml"/>'
             "</Relationships>"),
            ("docProps/app.xml",
             f'{_XML_HEAD}<Properties xmlns="http://schemas.openxmlformats.org/'
             'officeDocument/2006/extended-properties"><Application>Partnership Toolkit'
             "</Application></Properties>"),
            ("docProps/core.xml",
             f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
             'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/'
             '1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/'
             '2001/XMLSchema-instance"><dc:creator>Partnership Toolkit</dc:creator>'
             f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
             f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified>'
             "</cp:coreProperties>"),
            ("xl/workbook.xml",
             f'{_XML_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}"><bookViews>'
             '<workbookView activeTab="0"/></bookViews><sheets>' + "".join(sheets)
             + "</sheets><definedNames>" + "".join(names) + "</definedNames>"
             '<calcPr calcId="191029"/></workbook>'),
            ("xl/_rels/workbook.xml.rels",
             f'{_XML_HEAD}<Relationships xmlns="{_PACKAGE_REL_NS}">' + "".join(rels)
             + "</Relationships>"),
            ("xl/styles.xml", self._styles.xml()),
            ("xl/sharedStrings.xml", self._shared_strings_xml()),
        ]

    def _shared_strings_xml(self) -> str:
        count = len(self._shared)
        return (f'{_XML_HEAD}<sst xmlns="{_NS}" count="{count}" uniqueCount="{count}">'
                + "".join(f"<si>{_text_element(text)}</si>" for text in self._shared)
                + "</sst>")

