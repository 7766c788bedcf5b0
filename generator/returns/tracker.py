"""What is outstanding: every issued form with its return state, and tracker.xlsx."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.council_year import long_date
from generator.errors import ToolkitError
from generator.register import read_register
from generator.store import Return, Store
from generator.vocabulary import rag_colours
from generator.wording import plural
from generator.workspace import Workspace

_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")
# Every state a form can be in, in the order the totals line gives them.
STATES = ("accepted", "accepted with warnings", "returned on another copy", "rejected",
          "outstanding", "overdue", "replaced by a later issue")
RAG_OF_STATE = {"accepted": "Green", "accepted with warnings": "Green", "outstanding": "Amber",
                "rejected": "Red", "overdue": "Red", "replaced by a later issue": "Grey",
                "returned on another copy": "Grey"}


@dataclass(frozen=True)
class StatusRow:
    partnership_id: str
    partnership_name: str
    form: str
    issue: str
    cycle: str
    issued_at: str
    sent_to: str
    sent: str
    due_date: str | None
    returned_at: str | None
    state: str
    detail: str
    period: str = ""
    """The quarter of a monitoring return ('Q3 2026/27'); empty for a form issued once a year."""

    @property
    def form_and_period(self) -> str:
        """'monitoring Q3 2026/27', 'review 2026/27': which form, and for when."""
        return f"{self.form} {self.period or self.cycle}"

    @property
    def rag(self) -> str:
        return RAG_OF_STATE.get(self.state, "Grey")

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rag": self.rag}


def status_rows(store: Store, *, cycle: str | None = None,
                today: dt.date | None = None) -> list[StatusRow]:
    """One row per issued form: issued, returned, accepted or rejected, outstanding, overdue.

    A form issued again for the same partnership, form, cycle and quarter is another copy of
    the same form: a return of any copy counts as the form's return, and the earlier copies
    are shown as replaced. Monitoring returns of different quarters are different forms.
    """
    today = today or dt.date.today()
    issued_forms = store.all_issued(cycle=cycle)
    latest_issue: dict[tuple[str, str, str, str], str] = {}
    # The returns and sends of every form in two queries, not two queries per form.
    returns = store.return_states(cycle=cycle)
    sends = store.send_states(cycle=cycle)
    accepted_in_slot: dict[tuple[str, str, str, str], str] = {}
    for issued in issued_forms:
        latest_issue[issued.slot] = issued.issue_id
        if any(r.superseded_by is None and r.outcome != "rejected"
               for r in returns.get(issued.issue_id, ())):
            accepted_in_slot[issued.slot] = issued.issue_id
    rows = []
    for issued in issued_forms:
        own = returns.get(issued.issue_id, [])
        current = [r for r in own if r.superseded_by is None and r.outcome != "rejected"]
        rejected = [r for r in own if r.outcome == "rejected"]
        returned_at = max((r.received_at for r in own), default=None)
        due = dt.date.fromisoformat(issued.due_date) if issued.due_date else None
        if current:
            ret = current[-1]
            state = "accepted with warnings" if ret.outcome == "warnings" else "accepted"
            detail = plural(ret.problem_count, "warning") if ret.problem_count else ""
        elif issued.slot in accepted_in_slot:
            state = "returned on another copy"
            detail = f"the return came back on {accepted_in_slot[issued.slot]}"
        elif rejected:
            state = "rejected"
            detail = f"{plural(rejected[-1].problem_count, 'problem')} to fix"
        elif latest_issue[issued.slot] != issued.issue_id:
            state, detail = "replaced by a later issue", ""
        elif due is not None and due < today:
            state = "overdue"
            detail = f"{plural((today - due).days, 'day')} overdue"
        else:
            state = "outstanding"
            detail = f"due in {plural((due - today).days, 'day')}" if due else ""
        rows.append(StatusRow(issued.partnership_id, issued.partnership_name, issued.form_type,
                              issued.issue_id, issued.cycle, issued.issued_at[:10],
                              f"{issued.recipient_name} <{issued.recipient_email}>",
                              _sent(sends.get(issued.issue_id, [])), issued.due_date,
                              returned_at[:10] if returned_at else None, state, detail,
                              issued.period or ""))
    return rows


def status_lines(rows: list[StatusRow]) -> list[str]:
    """The rows as `status` prints them: the first columns as wide as their longest entry,
    dates as people write them, and a line of totals at the end."""
    if not rows:
        return ["No forms issued."]
    forms = max(len(r.form_and_period) for r in rows)
    states = max(len(r.state) for r in rows)
    lines = []
    for r in rows:
        returned = f"returned {long_date(r.returned_at)}" if r.returned_at else "not returned"
        due = f"due {long_date(r.due_date)}" if r.due_date else "no due date"
        # `sent` keeps its ISO date for the JSON and the workbook; people read it in words.
        sent = _ISO_DATE.sub(lambda m: long_date(m.group(0)), r.sent)
        lines.append(f"{r.partnership_id:<6} {r.form_and_period:<{forms}}  {r.state:<{states}}  "
                     f"issued {long_date(r.issued_at)} for {r.sent_to} ({sent}), {due}, "
                     f"{returned}. {r.detail}".rstrip())
    return [*lines, status_totals(rows)]


def status_totals(rows: list[StatusRow]) -> str:
    """'12 forms: 3 accepted, 1 rejected, 8 outstanding', the states in the order of STATES."""
    counts = {state: sum(1 for r in rows if r.state == state) for state in STATES}
    parts = [f"{count} {state}" for state, count in counts.items() if count]
    return f"{plural(len(rows), 'form')}: {', '.join(parts)}"


def _sent(sends: list[dict[str, Any]]) -> str:
    """How the form went out, from its sends (not failed): 'emailed 2026-11-25', 'draft
    2026-11-25', 'may have been emailed 2026-11-25: check Sent Items', 'being sent now' or
    'not sent yet'."""
    emailed = [s["sent_at"] for s in sends if s["sent_at"]]
    if emailed:
        return f"emailed {max(emailed)[:10]}"
    drafts = [s["prepared_at"] for s in sends if s.get("state", "drafted") == "drafted"]
    if drafts:
        return f"draft {max(drafts)[:10]}"
    unsure = [s["prepared_at"] for s in sends if s.get("state") == "unknown"]
    if unsure:
        return f"may have been emailed {max(unsure)[:10]}: check Sent Items"
    return "being sent now" if sends else "not sent yet"


def write_tracker(rows: list[StatusRow], path: Path,
                  form_titles: Mapping[str, str] | None = None) -> Path:
    """tracker.xlsx: frozen header, filters, the state in words with a RAG fill; each form by
    its title (`form_titles`, by form type) where it is known."""
    titles = form_titles or {}
    from generator.office.excel import TableWorkbook

    workbook = TableWorkbook()
    headers = ["Partnership ID", "Partnership", "Form", "Reference", "Cycle", "Period",
               "Issued", "Sent to", "Sent", "Due", "Returned", "RAG", "Status", "Detail"]
    body = []
    for r in rows:
        body.append([r.partnership_id, r.partnership_name, titles.get(r.form, r.form), r.issue,
                     r.cycle, r.period,
                     _date(r.issued_at), r.sent_to, r.sent, _date(r.due_date), _date(r.returned_at),
                     r.rag, r.state.capitalize(), r.detail])
    dates = {"Issued": "dd/mm/yyyy", "Due": "dd/mm/yyyy", "Returned": "dd/mm/yyyy"}
    workbook.add_sheet("Tracker", headers, body, colour_columns=["RAG"],
                       colour_of=rag_colours, number_formats=dates, footer="Return tracker")
    workbook.save(path)
    return path


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text[:10]) if text else None


def partnership_history(ws: Workspace, partnership_id: str) -> tuple[str, list[Return]]:
    """The partnership's id as kept, and every return of it over time, superseded ones too.

    The id is matched ignoring case ('p003' finds P003); an id neither the register nor the
    store knows is an error saying so.
    """
    with Store(ws.path("store")) as store:
        known = store.partnership_ids()
        wanted = next((pid for pid in known if pid.casefold() == partnership_id.casefold()),
                      None)
        if wanted is not None:
            return wanted, store.history(wanted)
    try:
        register = read_register(ws.path("register"), ws.framework())
    except ToolkitError:
        register = None
    if register is not None:
        found = next((p.id for p in register.partnerships
                      if p.id.casefold() == partnership_id.casefold()), None)
        if found is not None:
            return found, []
    raise ToolkitError(f"'{partnership_id}' is not a partnership of the register and no form "
                       "was issued to it; 'partnerships register check' lists the IDs")
