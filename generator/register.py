"""The partnership register: an Excel workbook with one row per partnership.

Reading validates every row and reports every problem at once, each with its sheet and cell.
Out-of-scope rows are kept and marked as such; they are never sent a form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import MoneyError, RegisterError
from generator.framework import Framework, read_toml
from generator.memo import Memo
from generator.money import format_money, parse_money
from generator.wording import plural

SHEET = "Partnerships"
EXAMPLE_DATA = Path(__file__).parent / "data" / "example_register.toml"
AGREEMENT_TYPES = {"iaa": "IAA", "mou": "MoU", "none yet": "None yet", "none": "None yet",
                   "": "None yet"}
REPORT_DEPTHS = {"board": "Board", "summary": "Summary", "": "Summary"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    width: float = 18


# The register's columns, in order. Headers are matched ignoring case and spacing.
COLUMNS = (
    Column("id", "ID", True, 8),
    Column("name", "Partnership name", True, 36),
    Column("service_area", "Service area", True, 24),
    Column("type", "Type", True, 34),
    Column("partners", "Partner authorities", True, 40),
    Column("host", "Host authority", True, 28),
    Column("agreement_type", "Agreement (IAA / MoU / None yet)", False, 16),
    Column("agreement_date", "Agreement date", False, 14),
    Column("phase", "Phase (Explore / Design / Deliver)", True, 14),
    Column("bm_name", "Business Manager", True, 22),
    Column("bm_email", "Business Manager email", True, 30),
    Column("head_of_service", "Executive Head of Service", True, 22),
    Column("budget", "Annual budget (£)", False, 14),
    Column("contribution", "Council contribution (£)", False, 14),
    Column("next_review", "Next review date", False, 14),
    Column("report_depth", "Report depth (Board / Summary)", False, 14),
    # Added later, so it comes last: registers made before it keep their layout.
    Column("hos_email", "Executive Head of Service email", False, 30),
    Column("short_name", "Short name (for charts)", False, 18),
)

# A chart names a partnership with no short name by its name cut to this many characters.
SHORT_NAME_LENGTH = 22


@dataclass(frozen=True)
class Partnership:
    id: str
    name: str
    service_area: str
    type_id: str
    type_label: str
    in_scope: bool
    partners: tuple[str, ...]
    host: str
    agreement_type: str
    agreement_date: dt.date | None
    phase: str
    bm_name: str
    bm_email: str
    head_of_service: str
    hos_email: str
    budget: float | None
    contribution: float | None
    next_review: dt.date | None
    report_depth: str
    row: int = 0
    hidden: bool = False  # the row is hidden in Excel (still a partnership of the register)
    short_name: str = ""  # what a chart calls it (the register's "Short name" column)

    @property
    def chart_name(self) -> str:
        """The partnership's short name, else its name cut at a word to fit a chart's axis."""
        if self.short_name:
            return self.short_name
        if len(self.name) <= SHORT_NAME_LENGTH:
            return self.name
        cut = self.name[:SHORT_NAME_LENGTH + 1].rsplit(" ", 1)[0].rstrip(" ,;-")
        words = cut.split(" ")
        while len(words) > 1 and words[-1].casefold() in ("and", "of", "for", "the", "&"):
            words.pop()
        return " ".join(words) + "…"

    def context(self) -> dict[str, Any]:
        """The partnership as the text a form shows."""
        agreement = self.agreement_type
        if self.agreement_date:
            agreement += f", {self.agreement_date.day} {self.agreement_date:%B %Y}"
        return {
            "id": self.id,
            "name": self.name,
            "service_area": self.service_area,
            "type_label": self.type_label,
            "partners": "; ".join(self.partners),
            "host": self.host,
            "agreement_text": agreement,
            "business_manager": f"{self.bm_name} ({self.bm_email})",
            "bm_name": self.bm_name,
            "head_of_service": self.head_of_service,
            "budget_text": format_money(self.budget),
            "contribution_text": format_money(self.contribution),
            "phase": self.phase,
        }


@dataclass
class Register:
    path: Path
    partnerships: list[Partnership]
    notices: list[str] = field(default_factory=list)

    @property
    def in_scope(self) -> list[Partnership]:
        return [p for p in self.partnerships if p.in_scope]

    @property
    def out_of_scope(self) -> list[Partnership]:
        return [p for p in self.partnerships if not p.in_scope]

    def get(self, partnership_id: str) -> Partnership | None:
        return next((p for p in self.partnerships if p.id == partnership_id), None)


def _norm(text: object) -> str:
    return re.sub(r"[^a-z0-9£]+", " ", str(text or "").casefold()).strip()


def _header_key(text: object) -> str | None:
    wanted = _norm(text)
    for column in COLUMNS:
        header = _norm(column.header)
        # "Phase (Explore / Design / Deliver)" also matches a plain "Phase".
        if wanted in (header, _norm(column.header.split("(")[0]), _norm(column.key)):
            return column.key
    return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d %B %Y", "%d %b %Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f'"{text}" is not a date; write it as DD/MM/YYYY')


EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class _Sheet:
    """The register's sheet as read: its rows by number, and where each column is."""

    path: Path
    title: str
    columns: dict[str, int]  # column key -> index
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number, values) of the rows not blank
    hidden: frozenset[int]

    def value(self, row: tuple[Any, ...], key: str) -> object:
        index = self.columns.get(key)
        return row[index] if index is not None and index < len(row) else None

    def text(self, row: tuple[Any, ...], key: str) -> str:
        return _text(self.value(row, key))

    def where(self, key: str, row_number: int) -> str:
        """'register.xlsx, Partnerships!K4': the cell of a column in a row."""
        from generator.office.excel import column_letter

        return f"{self.path.name}, {self.title}!{column_letter(self.columns[key] + 1)}" \
               f"{row_number}"


def _open_sheet(path: Path, required: list[Column]) -> _Sheet:
    """The register's sheet, its header row matched to the columns; the one place the
    register file is opened. RegisterError if it cannot be read or lacks a column."""
    if not path.exists():
        raise RegisterError(f"{path}: register not found")
    try:
        title, rows, hidden = _sheet_contents(path.read_bytes())
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RegisterError(
            f"{path}: cannot be read as an Excel workbook (.xlsx): {exc}; save it from Excel as "
            "'Excel Workbook (.xlsx)'"
        ) from None
    if not rows:
        raise RegisterError(f"{path.name}, {title}: the sheet is empty; row 1 must hold the "
                            "headers")
    columns: dict[str, int] = {}
    for index, header in enumerate(rows[0]):
        key = _header_key(header)
        if key and key not in columns:
            columns[key] = index
    missing = [c.header for c in required if c.key not in columns]
    if missing:
        raise RegisterError(
            f"{path.name}, {title}!1: missing column(s) {', '.join(repr(m) for m in missing)}; "
            "row 1 must hold the column headers",
            [f"{path.name}, {title}!1: missing column '{m}'" for m in missing],
        )
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=2)
                if any(_text(v) for v in row)]
    return _Sheet(path, title, columns, numbered, hidden)


# What a register workbook holds, by its bytes: commands read the register several times
# (forms, send and the papers each check it), and openpyxl takes some 6 ms a reading.
# Kept as tuples, so that no reader can change what the next one is given.
_SHEETS_READ: Memo[bytes, tuple[str, tuple[tuple[Any, ...], ...], frozenset[int]]] = Memo(
    keep=8)


def _sheet_contents(data: bytes) -> tuple[str, tuple[tuple[Any, ...], ...], frozenset[int]]:
    """The title, rows (cell values) and hidden row numbers of the register's sheet."""
    return _SHEETS_READ.get(hashlib.sha256(data).digest(), lambda: _read_sheet(data))


def _read_sheet(data: bytes) -> tuple[str, tuple[tuple[Any, ...], ...], frozenset[int]]:
    # Imported here: openpyxl takes longer to import than most commands take to run.
    from generator.office.xlsx_reader import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = tuple(sheet.iter_rows(values_only=True))
        title = sheet.title
        hidden = _hidden_rows(data, getattr(sheet, "_worksheet_path", ""))
    finally:
        workbook.close()
    return title, rows, frozenset(hidden)


class _RowReader:
    """Checks the rows of the register one by one, collecting every problem."""

    def __init__(self, sheet: _Sheet, framework: Framework) -> None:
        self.sheet = sheet
        self.framework = framework
        self.problems: list[str] = []
        self.notices: list[str] = []
        self.seen: dict[str, int] = {}
        self.in_scope_labels = "; ".join(s.label for s in framework.in_scope)
        # The phases of the framework, by id or title as typed (any case).
        self.phases = {name.casefold(): phase.id for phase in framework.phases
                       for name in (phase.id, phase.title)}

    def problem(self, key: str, number: int, message: str) -> None:
        self.problems.append(f"{self.sheet.where(key, number)}: {message}")

    def partnership(self, number: int, row: tuple[Any, ...]) -> Partnership | None:
        """The partnership of a row, or None when the row has a problem (recorded)."""
        sheet = self.sheet
        before = len(self.problems)
        values: dict[str, Any] = {c.key: sheet.text(row, c.key) for c in COLUMNS}
        for column in COLUMNS:
            if column.required and column.key in sheet.columns and not values[column.key]:
                self.problem(column.key, number, f"{column.header} is empty")
        self._check_id(values["id"], number)
        scope = self._scope(values["type"], number)
        phase = self._phase(values["phase"], number)
        agreement = self._choice(values, "agreement_type", AGREEMENT_TYPES, number,
                                 "agreement", "IAA, MoU or None yet")
        depth = self._choice(values, "report_depth", REPORT_DEPTHS, number, "report depth",
                             "Board or Summary")
        for key in ("bm_email", "hos_email"):
            if values[key] and not EMAIL.match(values[key]):
                self.problem(key, number, f'"{values[key]}" is not an email address (expected '
                                          "name@example.org)")
        money = {key: self._money(row, key, number) for key in ("budget", "contribution")}
        dates = {key: self._date(row, key, number) for key in ("agreement_date", "next_review")}
        if len(self.problems) > before or scope is None:
            return None
        return Partnership(
            id=values["id"], name=values["name"], service_area=values["service_area"],
            type_id=scope.id, type_label=scope.label, in_scope=scope.in_scope,
            partners=tuple(p.strip() for p in re.split(r"[;\n]", str(sheet.value(row, "partners")
                                                                     or "")) if p.strip()),
            host=values["host"], agreement_type=agreement or "None yet",
            agreement_date=dates["agreement_date"], phase=phase,
            bm_name=values["bm_name"], bm_email=values["bm_email"],
            head_of_service=values["head_of_service"], hos_email=values["hos_email"],
            budget=money["budget"], contribution=money["contribution"],
            next_review=dates["next_review"], report_depth=depth or "Summary",
            row=number, hidden=number in sheet.hidden, short_name=values["short_name"],
        )

    def _check_id(self, pid: str, number: int) -> None:
        if pid and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", pid):
            self.problem("id", number, f'ID "{pid}" must be letters, digits, - or _ (up to 32), '
                                       "as it becomes part of file names")
        elif pid in self.seen:
            self.problem("id", number, f'ID "{pid}" is also used in row {self.seen[pid]}; '
                                       "every partnership needs its own ID")
        elif pid:
            self.seen[pid] = number

    def _scope(self, typed: str, number: int) -> Any:
        scope = self.framework.scope_by_label(typed) if typed else None
        if typed and scope is None:
            self.problem("type", number, f'type "{typed}" is not a partnership type of the '
                                         f"framework; in-scope types are {self.in_scope_labels}")
        elif scope is not None and not scope.in_scope:
            described = scope.description[0].lower() + scope.description[1:].rstrip(".")
            self.notices.append(
                f'{self.sheet.where("type", number)}: type "{typed}" is out of scope of the '
                f"strategy ({described}); in-scope types are {self.in_scope_labels}. Listed, "
                "but no form is issued.")
        return scope

    def _phase(self, typed: str, number: int) -> str:
        phase = self.phases.get(typed.casefold(), typed)
        if typed and phase not in self.phases.values():
            self.problem("phase", number, f'phase "{typed}" must be one of '
                                          f"{', '.join(self.phases.values())}")
        return phase

    def _choice(self, values: dict[str, Any], key: str, allowed: dict[str, str], number: int,
                what: str, expected: str) -> str | None:
        chosen = allowed.get(values[key].casefold())
        if chosen is None:
            self.problem(key, number, f'{what} "{values[key]}" must be {expected}')
        return chosen

    def _money(self, row: tuple[Any, ...], key: str, number: int) -> float | None:
        raw = self.sheet.value(row, key)
        try:
            return parse_money(raw) if raw not in (None, "") else None
        except MoneyError as exc:
            self.problem(key, number, str(exc))
            return None

    def _date(self, row: tuple[Any, ...], key: str, number: int) -> dt.date | None:
        if key not in self.sheet.columns:
            return None
        try:
            return _date(self.sheet.value(row, key))
        except ValueError as exc:
            self.problem(key, number, str(exc))
            return None


def read_register(path: Path, framework: Framework) -> Register:
    """Read and validate the register; raise RegisterError listing every problem found."""
    sheet = _open_sheet(path, [c for c in COLUMNS if c.required])
    reader = _RowReader(sheet, framework)
    partnerships = [p for number, row in sheet.rows
                    if (p := reader.partnership(number, row)) is not None]
    if reader.problems:
        count = len(reader.problems)
        raise RegisterError(
            f"{path}: {plural(count, 'problem')} in the register; fix "
            f"{'them' if count != 1 else 'it'} in Excel and run the command again",
            reader.problems,
        )
    if not partnerships:
        raise RegisterError(f"{path}: the register has no partnerships (rows after the headers)")
    notices = reader.notices + [
        f"{path.name}, {sheet.title}!{p.row}: the row of {p.id} {p.name} is hidden in Excel; it "
        "is still a partnership of the register" for p in partnerships if p.hidden]
    return Register(path, partnerships, notices)


@dataclass(frozen=True)
class Contact:
    """A partnership's Business Manager as the register gives them, and where."""

    partnership_id: str
    name: str
    address: str
    cell: str  # the register cell holding the address, e.g. "register.xlsx, Partnerships!K5"


def read_contacts(path: Path) -> dict[str, Contact]:
    """Each partnership's Business Manager name and address, with the address's cell.

    Deliberately lenient, for sending: only the ID, Business Manager and email columns are
    read, and an address is taken as written, so that a bad address can be reported by its
    cell while everyone else is still emailed ('register check' reports every problem).
    """
    by_key = {c.key: c for c in COLUMNS}
    sheet = _open_sheet(path, [by_key["id"], by_key["bm_name"], by_key["bm_email"]])
    contacts: dict[str, Contact] = {}
    for number, row in sheet.rows:
        pid = sheet.text(row, "id")
        if pid and pid not in contacts:
            contacts[pid] = Contact(pid, sheet.text(row, "bm_name"), sheet.text(row, "bm_email"),
                                    sheet.where("bm_email", number))
    return contacts


def _hidden_rows(data: bytes, sheet_part: str) -> set[int]:
    """The numbers of the rows hidden in Excel (openpyxl's fast reader does not say)."""
    from lxml import etree

    hidden: set[int] = set()
    if not sheet_part:
        return hidden
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, \
                archive.open(sheet_part.lstrip("/")) as part:
            for _, row in etree.iterparse(part, tag=f"{{{_SHEET_NS}}}row",
                                          resolve_entities=False, no_network=True,
                                          load_dtd=False):
                if row.get("hidden") in ("1", "true") and (row.get("r") or "").isdigit():
                    hidden.add(int(row.get("r", "0")))
                row.clear()
    except (KeyError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return set()  # the rows themselves were read; hidden or not is only a notice
    return hidden


_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def example_rows() -> list[dict[str, Any]]:
    """The bundled example partnerships as dictionaries keyed by column key."""
    data = read_toml(EXAMPLE_DATA, "example register")  # a copy: callers may change it
    return list(data["partnerships"])


def write_register(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write a register workbook with the standard columns (used for the example register)."""
    from generator.office.excel import TableWorkbook

    workbook = TableWorkbook()
    headers = [c.header for c in COLUMNS]
    formats = {"Annual budget (£)": '"£"#,##0', "Council contribution (£)": '"£"#,##0',
               "Agreement date": "dd/mm/yyyy", "Next review date": "dd/mm/yyyy"}
    workbook.add_sheet(SHEET, headers, [[row.get(c.key) for c in COLUMNS] for row in rows],
                       number_formats=formats, col_widths={c.header: c.width for c in COLUMNS})
    workbook.save(path)


def write_example_register(path: Path) -> None:
    write_register(path, example_rows())


__all__ = ["COLUMNS", "Partnership", "Register", "read_register", "write_register",
           "write_example_register"]
