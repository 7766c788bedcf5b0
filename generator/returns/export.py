"""Exporting the accepted answers of a cycle to Excel: one sheet per form type."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from generator.fileio import unused_path
from generator.formdefs import FormDefinition, form_types, load_definition
from generator.office.excel import add_table_sheet, save_workbook_atomic
from generator.store import Store
from generator.workspace import Workspace


def _cell(value: object) -> object:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value


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
    workbook = openpyxl.Workbook()
    count = 0
    with Store(ws.path("store")) as store:
        for form_type in form_types(ws.forms_dir, framework):
            returns = store.current_returns(form_type=form_type, cycle=cycle)
            if not returns:
                continue
            definitions: dict[int, FormDefinition] = {}
            current = load_definition(form_type, framework=framework, forms_dir=ws.forms_dir)
            scalars = [f for f in current.fields.values() if f.type != "table"]
            headers = ["Partnership ID", "Reference", "Received", "Outcome"] + \
                [f.label for f in scalars]
            rows = []
            for ret in returns:
                definitions.setdefault(ret.version or current.version, current)
                rows.append([ret.partnership_id, ret.issue_id, ret.received_at[:10],
                             ret.outcome] + [_cell(ret.answers.get(f.id)) for f in scalars])
            add_table_sheet(workbook, form_type, headers, rows)
            for table in current.tables:
                table_rows = [[ret.partnership_id, ret.issue_id, n]
                              + [_cell(row.get(c.id)) for c in table.columns]
                              for ret in returns
                              for n, row in enumerate(ret.answers.get(table.id) or [], start=1)]
                add_table_sheet(workbook, f"{form_type} {table.id}",
                                ["Partnership ID", "Reference", "Row"]
                                + [c.label for c in table.columns], table_rows)
            count += len(returns)
    if count == 0:
        add_table_sheet(workbook, "No returns", ["Message"],
                        [[f"No accepted returns for {cycle} yet."]])
    save_workbook_atomic(workbook, path)
    return count
