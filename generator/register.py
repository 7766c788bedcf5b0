"""The partnership register: an Excel workbook with one row per partnership.

Reading validates every row and reports every problem at once, each with its sheet and cell.
Out-of-scope rows are kept and marked as such; they are never sent a form.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import MoneyError, RegisterError
from generator.framework import Framework
from generator.money import format_money, parse_money

SHEET = "Partnerships"
EXAMPLE_DATA = Path(__file__).parent / "data" / "example_register.toml"
PHASES = ("Explore", "Design", "Deliver")
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
)


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

    def context(self) -> dict[str, Any]:
        """The partnership as the text a form shows."""
        agreement = self.agreement_type
        if self.agreement_date:
            agreement += f", {self.agreement_date:%d %B %Y}"
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


def read_register(path: Path, framework: Framework) -> Register:
    """Read and validate the register; raise RegisterError listing every problem found."""
    # Imported here: openpyxl takes longer to import than most commands take to run.
    import openpyxl
    from openpyxl.utils import get_column_letter

    name = path.name
    if not path.exists():
        raise RegisterError(f"{path}: register not found")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RegisterError(
            f"{path}: cannot be read as an Excel workbook (.xlsx): {exc}; save it from Excel as "
            "'Excel Workbook (.xlsx)'"
        ) from None
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        title = sheet.title
        hidden_rows = _hidden_rows(path, getattr(sheet, "_worksheet_path", ""))
    finally:
        workbook.close()
    problems: list[str] = []
    notices: list[str] = []
    if not rows:
        raise RegisterError(f"{name}, {title}: the sheet is empty; row 1 must hold the headers")
    columns: dict[str, int] = {}
    for index, header in enumerate(rows[0]):
        key = _header_key(header)
        if key and key not in columns:
            columns[key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in columns]
    if missing:
        raise RegisterError(
            f"{name}, {title}!1: missing column(s) {', '.join(repr(m) for m in missing)}; "
            "row 1 must hold the column headers",
            [f"{name}, {title}!1: missing column '{m}'" for m in missing],
        )
    in_scope_labels = "; ".join(s.label for s in framework.in_scope)
    partnerships: list[Partnership] = []
    seen: dict[str, int] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        def cell(key: str, _row: tuple = row) -> object:
            index = columns.get(key)
            return _row[index] if index is not None and index < len(_row) else None

        def where(key: str, _row_number: int = row_number) -> str:
            return f"{name}, {title}!{get_column_letter(columns[key] + 1)}{_row_number}"

        if all(_text(v) == "" for v in row):
            continue
        before = len(problems)
        values: dict[str, Any] = {c.key: _text(cell(c.key)) for c in COLUMNS}
        for column in COLUMNS:
            if column.required and column.key in columns and not values[column.key]:
                problems.append(f"{where(column.key)}: {column.header} is empty")
        pid = values["id"]
        if pid and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", pid):
            problems.append(f'{where("id")}: ID "{pid}" must be letters, digits, - or _ '
                            "(up to 32), as it becomes part of file names")
        elif pid in seen:
            problems.append(f'{where("id")}: ID "{pid}" is also used in row {seen[pid]}; '
                            "every partnership needs its own ID")
        elif pid:
            seen[pid] = row_number
        scope = framework.scope_by_label(values["type"]) if values["type"] else None
        if values["type"] and scope is None:
            problems.append(f'{where("type")}: type "{values["type"]}" is not a partnership type '
                            f"of the framework; in-scope types are {in_scope_labels}")
        elif scope is not None and not scope.in_scope:
            notices.append(
                f'{where("type")}: type "{values["type"]}" is out of scope of the strategy '
                f"({scope.description[0].lower() + scope.description[1:].rstrip('.')}); "
                f"in-scope types are {in_scope_labels}. Listed, but no form is issued."
            )
        phase = values["phase"].capitalize()
        if values["phase"] and phase not in PHASES:
            problems.append(f'{where("phase")}: phase "{values["phase"]}" must be one of '
                            f"{', '.join(PHASES)}")
        agreement = AGREEMENT_TYPES.get(values["agreement_type"].casefold())
        if agreement is None:
            problems.append(f'{where("agreement_type")}: agreement "{values["agreement_type"]}" '
                            "must be IAA, MoU or None yet")
        depth = REPORT_DEPTHS.get(values["report_depth"].casefold())
        if depth is None:
            problems.append(f'{where("report_depth")}: report depth "{values["report_depth"]}" '
                            "must be Board or Summary")
        email = values["bm_email"]
        for key in ("bm_email", "hos_email"):
            if values[key] and not EMAIL.match(values[key]):
                problems.append(f'{where(key)}: "{values[key]}" is not an email address '
                                "(expected name@example.org)")
        money: dict[str, float | None] = {}
        for key in ("budget", "contribution"):
            raw = cell(key)
            try:
                money[key] = parse_money(raw) if raw not in (None, "") else None
            except MoneyError as exc:
                problems.append(f"{where(key)}: {exc}")
        dates: dict[str, dt.date | None] = {}
        for key in ("agreement_date", "next_review"):
            try:
                dates[key] = _date(cell(key)) if key in columns else None
            except ValueError as exc:
                problems.append(f"{where(key)}: {exc}")
        if len(problems) > before or scope is None:
            continue
        partnerships.append(Partnership(
            id=pid, name=values["name"], service_area=values["service_area"],
            type_id=scope.id, type_label=scope.label, in_scope=scope.in_scope,
            partners=tuple(p.strip() for p in re.split(r"[;\n]", str(cell("partners") or ""))
                           if p.strip()),
            host=values["host"], agreement_type=agreement or "None yet",
            agreement_date=dates.get("agreement_date"), phase=phase,
            bm_name=values["bm_name"], bm_email=email, head_of_service=values["head_of_service"],
            hos_email=values["hos_email"],
            budget=money.get("budget"), contribution=money.get("contribution"),
            next_review=dates.get("next_review"), report_depth=depth or "Summary",
            row=row_number, hidden=row_number in hidden_rows,
        ))
    if problems:
        count = len(problems)
        raise RegisterError(
            f"{path}: {count} problem{'s' if count != 1 else ''} in the register; fix "
            f"{'them' if count != 1 else 'it'} in Excel and run the command again",
            problems,
        )
    if not partnerships:
        raise RegisterError(f"{path}: the register has no partnerships (rows after the headers)")
    notices.extend(f"{name}, {title}!{p.row}: the row of {p.id} {p.name} is hidden in Excel; it "
                   "is still a partnership of the register" for p in partnerships if p.hidden)
    return Register(path, partnerships, notices)


def _hidden_rows(path: Path, sheet_part: str) -> set[int]:
    """The numbers of the rows hidden in Excel (openpyxl's fast reader does not say)."""
    from lxml import etree

    hidden: set[int] = set()
    if not sheet_part:
        return hidden
    try:
        with zipfile.ZipFile(path) as archive, archive.open(sheet_part.lstrip("/")) as part:
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
    data = tomllib.loads(EXAMPLE_DATA.read_text(encoding="utf-8"))
    return list(data["partnerships"])


def write_register(path: Path, rows: list[dict[str, Any]]) -> None:
    """Write a register workbook with the standard columns (used for the example register)."""
    import openpyxl

    from generator.office.excel import add_table_sheet, save_workbook_atomic

    workbook = openpyxl.Workbook()
    default_sheet = workbook.active  # the "Sheet" every new Workbook() starts with
    if default_sheet is None:
        # never: a new Workbook() has one; before this check, remove(None) raised ValueError
        raise ValueError("a new workbook has no sheet to remove")
    workbook.remove(default_sheet)
    headers = [c.header for c in COLUMNS]
    formats = {"Annual budget (£)": '"£"#,##0', "Council contribution (£)": '"£"#,##0',
               "Agreement date": "dd/mm/yyyy", "Next review date": "dd/mm/yyyy"}
    add_table_sheet(workbook, SHEET, headers,
                    ([row.get(c.key) for c in COLUMNS] for row in rows),
                    number_formats=formats,
                    col_widths={c.header: c.width for c in COLUMNS})
    save_workbook_atomic(workbook, path)


def write_example_register(path: Path) -> None:
    write_register(path, example_rows())


__all__ = ["COLUMNS", "Partnership", "Register", "read_register", "write_register",
           "write_example_register"]
