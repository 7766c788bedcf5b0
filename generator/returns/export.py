"""Exporting the accepted answers of a cycle to Excel: one sheet per form type."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from generator.fileio import unused_path
from generator.formdefs import Field, FormDefinition, form_types, load_definition
from generator.forms.display import workbook_value
from generator.office.excel import TableWorkbook
from generator.store import Return, Store, parse_time
from generator.vocabulary import ReturnState
from generator.workspace import Workspace

MONEY_FORMAT = '"£"#,##0.00'
_OUTCOMES = {"accepted": ReturnState.ACCEPTED, "warnings": ReturnState.ACCEPTED_WITH_WARNINGS,
             "rejected": ReturnState.REJECTED}


def export_answers(ws: Workspace, path: Path | None = None, *, cycle: str | None = None
                   ) -> tuple[Path, int]:
    """Write the accepted returns of `cycle` (default: the current one); return path and count.

    The workbook goes to `path`, or to a new reports/answers-CYCLE.xlsx (never over an
    earlier one), under the workspace's writer lock.
    """
    cycle = cycle or ws.cycle
    with ws.writing("export"):
        name = f"answers-{cycle.replace('/', '-')}.xlsx"
        target = path or unused_path(ws.path("reports") / name)
        return target, _write_answers(ws, target, cycle)


def _write_answers(ws: Workspace, path: Path, cycle: str) -> int:
    framework = ws.framework()
    workbook = TableWorkbook()
    title = f"Accepted answers, {cycle}"
    count = 0
    with Store(ws.path("store")) as store:
        for form_type in form_types(ws.forms_dir, framework):
            returns = store.current_returns(form_type=form_type, cycle=cycle)
            if not returns:
                continue
            definitions: dict[int, FormDefinition] = {}
            current = load_definition(form_type, framework=framework, forms_dir=ws.forms_dir)
            scalars = [f for f in current.fields.values() if f.type != "table"]
            rows = []
            for ret in returns:
                definitions.setdefault(ret.version or current.version, current)
                rows.append(_return_cells(ret) + [workbook_value(f, ret.answers.get(f.id))
                                                  for f in scalars])
            workbook.add_sheet(form_type,
                            ["Partnership ID", "Reference", "Received", "Outcome"]
                            + [f.label for f in scalars], rows,
                            number_formats=_money_formats(scalars), footer=title)
            for table in current.tables:
                table_rows = [[ret.partnership_id, ret.issue_id, n]
                              + [workbook_value(c, row.get(c.id)) for c in table.columns]
                              for ret in returns
                              for n, row in enumerate(ret.answers.get(table.id) or [], start=1)]
                workbook.add_sheet(f"{form_type} {table.id}",
                                ["Partnership ID", "Reference", "Row"]
                                + [c.label for c in table.columns], table_rows,
                                number_formats=_money_formats(table.columns), footer=title)
            count += len(returns)
    if count == 0:
        workbook.add_sheet("No returns", ["Message"],
                           [[f"No accepted returns for {cycle} yet."]], footer=title)
    workbook.save(path)
    return count


def _return_cells(ret: Return) -> list[object]:
    """Which return a row is: partnership, reference, when it came (a real date and time)
    and its outcome in words."""
    received = parse_time(ret.received_at)
    return [ret.partnership_id, ret.issue_id, received or ret.received_at,
            str(_OUTCOMES.get(ret.outcome, ret.outcome)).capitalize()]


def _money_formats(fields: Sequence[Field]) -> dict[str, str]:
    return {f.label: MONEY_FORMAT for f in fields if f.type == "money"}
