"""The demo: a whole cycle on the bundled example register, with forms filled as a person would.

The example answers are generated from the form definitions, so every field gets an answer of
its type; a few carry characters that must survive the round trip (&, <, quotes, {{ }},
accents, line breaks).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.fileio import write_new
from generator.formdefs import Field, FormDefinition, form_titles, form_types, load_definition
from generator.forms.fill import fill_form
from generator.forms.issue import issue_forms
from generator.papers.summary import SummaryRow, write_summary
from generator.register import Partnership, read_register
from generator.returns.collect import collect
from generator.returns.tracker import status_rows, write_tracker
from generator.store import Store
from generator.vocabulary import MONITORING, REVIEW
from generator.wording import plural
from generator.workspace import Workspace, init_workspace

SENTENCES = [
    "Both councils have agreed the same priorities for the service.",
    "The partner authority asked us to consider a joint approach.",
    "Savings come mainly from one shared management team and one IT system.",
    "Residents will still be able to get face-to-face help at the council offices.",
    "Recruitment of specialists has been difficult for both councils.",
    "The arrangement will be reviewed by the joint board every year.",
]
KPI_NAMES = ["Applications processed within target", "Customer satisfaction",
             "Cost per case", "Calls answered within 60 seconds", "Inspections completed"]
RISK_NAMES = ["Loss of key staff", "IT system changeover delayed", "Partner withdraws",
              "Demand higher than forecast"]
ACTIONS = ["Agree the fee schedule for next year with the partners",
           "Move both councils onto one case management system",
           "Report unit costs to the joint board every quarter",
           "Review the Inter-Authority Agreement before its notice date"]
# Answers the register cannot give, said as a Business Manager would.
KNOWN_ANSWERS = {
    "s151_officer": "Helen Shaw, Chief Finance Officer",
    "monitoring_officer": "Mark Adeyemi, Head of Legal Services",
    "notice_period": "Twelve months, to end on 31 March",
    "unit_cost_measure": "per case",
}


# Money answers made from the partnership's budget in the register, when it has one.
_FROM_BUDGET = ("budget", "forecast", "running_cost", "council_contribution")


def example_value(f: Field, partnership: Partnership, rng: random.Random,
                  today: dt.date) -> Any:
    """A plausible answer of the field's type, as a Business Manager might give."""
    if f.id in ("completed_by", "head_of_service", "period"):
        return _known_answer(f.id, partnership, today)
    if f.id in KNOWN_ANSWERS:
        return KNOWN_ANSWERS[f.id]
    if f.id in _FROM_BUDGET and partnership.budget:
        return _budget_line(f.id, partnership.budget, partnership.contribution, rng)
    if f.id == "cashable_savings":
        return round((partnership.budget or 100000) * rng.choice([0.02, 0.05, 0.08]), -2)
    return _answer_of_type(f, partnership, rng, today)


def _known_answer(field_id: str, partnership: Partnership, today: dt.date) -> str:
    """Who completes the form, their head of service, or this quarter."""
    if field_id == "completed_by":
        return partnership.bm_name
    if field_id == "head_of_service":
        return partnership.head_of_service
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _budget_line(field_id: str, budget: float, contribution: float | None,
                 rng: random.Random) -> float:
    """An amount in line with the partnership's budget (its contribution, for the council's)."""
    base = budget if field_id != "council_contribution" else (contribution or budget / 3)
    # Forecasts land a little under or over budget, as they do.
    factor = 1.0 if field_id != "forecast" else rng.choice([0.94, 0.98, 1.0, 1.03, 1.08])
    return round(base * factor, -2)


def _answer_of_type(f: Field, partnership: Partnership, rng: random.Random,
                    today: dt.date) -> Any:
    """An answer that fits the field's type."""
    if f.type == "checkbox":
        return rng.random() < 0.8
    if f.type == "date":
        return (today - dt.timedelta(days=rng.randint(0, 6))).isoformat()
    if f.type == "choice":
        # Mostly the first (best) choices, sometimes a weaker one.
        weights = [6, 3, 1, 1, 1, 1][: len(f.choices)] + [1] * max(0, len(f.choices) - 6)
        return rng.choices(f.choices, weights=weights)[0].value
    if f.type == "money":
        return rng.choice([12500, 48000, 125000, 7250.5, 300000])
    if f.type == "integer":
        return rng.randint(1, 5)
    if f.type == "number":
        return rng.choice([1.5, 2, 3, 4.25])
    if f.type == "multiline":
        return " ".join(rng.sample(SENTENCES, 2))
    if f.type == "email":
        return partnership.bm_email
    return rng.choice(["Joint board of both councils", "Head of Shared Service",
                       "Quarterly report to the board", "Council offices, Dorking"])


def example_row(f: Field, partnership: Partnership, rng: random.Random, today: dt.date,
                index: int) -> dict[str, Any]:
    row = {}
    for column in f.columns:
        if column.id == "action" and f.id != "issues":
            row[column.id] = ACTIONS[index % len(ACTIONS)]
        elif column.id in ("name", "description", "issue", "opportunity", "action"):
            names = KPI_NAMES if f.id == "kpis" else RISK_NAMES
            row[column.id] = names[index % len(names)]
        elif column.id in ("target", "actual"):
            row[column.id] = rng.choice(["95%", "90%", "4.5 out of 5", "£120 per case"])
        else:
            row[column.id] = example_value(column, partnership, rng, today)
    return row


def example_answers(definition: FormDefinition, partnership: Partnership, *,
                    seed: int = 0, today: dt.date | None = None) -> dict[str, Any]:
    """Answers to every field of a form, deterministic for a seed and partnership."""
    today = today or dt.date.today()
    rng = random.Random(f"{seed}:{definition.type}:{partnership.id}")
    answers: dict[str, Any] = {}
    for f in definition.fields.values():
        if f.type == "table":
            answers[f.id] = [example_row(f, partnership, rng, today, i)
                             for i in range(rng.randint(2, 4))]
        else:
            answers[f.id] = example_value(f, partnership, rng, today)
    return answers


@dataclass
class DemoResult:
    workspace: Path
    issued: list[Path] = field(default_factory=list)
    returns: list[Path] = field(default_factory=list)
    summary: list[Path] = field(default_factory=list)
    drafts: list[Path] = field(default_factory=list)  # the emails, written as drafts
    problems: list[str] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)


def fill_issued(ws: Workspace, form_type: str, issued: list[Any], *, seed: int,
                today: dt.date, skip: Sequence[str] = ()) -> list[Path]:
    """Fill each issued form as its Business Manager would, saved into the returns folder."""
    framework = ws.framework()
    definition = load_definition(form_type, framework=framework, forms_dir=ws.forms_dir)
    register = read_register(ws.path("register"), framework)
    paths = []
    for form in issued:
        if form.partnership_id in skip:
            continue
        partnership = register.get(form.partnership_id)
        assert partnership is not None
        answers = example_answers(definition, partnership, seed=seed, today=today)
        if "period" in answers:
            answers["period"] = ws.period
        filled = fill_form(form.path.read_bytes(), definition, answers,
                           author=partnership.bm_name)
        paths.append(write_new(ws.path("returns") / f"{form.path.stem} (completed).docx",
                               filled))
    return paths


def fresh_folder(folder: Path) -> Path:
    """`folder` when it is new or empty, else the first free `folder-2`, `folder-3`, ..."""
    candidate, n = folder, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


def previous_cycle(cycle: str) -> str:
    """The council year before '2026/27': '2025/26'."""
    start = int(cycle[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def previous_period(period: str) -> str:
    """The quarter before '2026-Q1': '2025-Q4'."""
    year, quarter = int(period[:4]), int(period[-1])
    return f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"


def _round(ws: Workspace, form_type: str, *, today: dt.date, seed: int,
           result: DemoResult, skip: Sequence[str] = (), issued_on: dt.date | None = None,
           due: dt.date | None = None) -> int:
    """Issue a form (on `issued_on`, by default today), write the emails that send it as
    drafts, fill it as each Business Manager would, and collect the returns."""
    from generator.mail.plan import deliver, prepare_send

    issued = issue_forms(ws, form_type, today=issued_on or today, due=due).written
    result.issued.extend(f.path for f in issued)
    sent = deliver(ws, prepare_send(ws, form_type, today=issued_on or today))
    result.drafts.extend(r.path for r in sent if r.ok and r.path is not None)
    filled = fill_issued(ws, form_type, issued, seed=seed, today=today, skip=skip)
    result.returns.extend(filled)
    collected = collect(ws, filled)
    for outcome in collected.outcomes:
        if outcome.outcome not in ("accepted", "warnings"):
            result.problems.append(f"{outcome.file}: {outcome.outcome}: "
                                   + "; ".join(outcome.reasons))
    return len(issued)


def run_demo(folder: Path, *, today: dt.date | None = None, seed: int = 0,
             say: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Create an example workspace and run a whole annual cycle on the example register.

    Last year's annual reviews and last quarter's monitoring returns are filled and collected
    first, so this year's forms carry answers forward and the Scrutiny report can show the
    direction of travel. One annual review is left outstanding to show how gaps are reported.
    """
    from generator.papers.committee import compile_cgb, compile_scrutiny

    today = today or dt.date.today()
    target = fresh_folder(folder)
    if target != folder:
        say(f"{folder} already has files in it; using {target} so nothing is overwritten")
    ws = init_workspace(target, today=today)
    result = DemoResult(ws.root)
    say(f"Created an example workspace in {ws.root}")
    cycle, period = ws.cycle, ws.period

    ws.config["cycle"]["current"] = previous_cycle(cycle)
    count = _round(ws, REVIEW, today=today, seed=seed + 1, result=result)
    say(f"Last year ({ws.cycle}): {count} annual reviews issued, filled and collected")
    ws.config["cycle"]["current"] = cycle
    ws.config["cycle"]["period"] = previous_period(period)
    count = _round(ws, MONITORING, today=today, seed=seed + 2, result=result)
    say(f"Last quarter ({ws.period}): {count} monitoring returns issued, filled and collected")
    ws.config["cycle"]["period"] = period

    outstanding = ["P005"]
    # This year's reviews went out five weeks ago and were due last week, so the one left
    # outstanding is overdue and is chased today.
    reviews_issued = today - dt.timedelta(weeks=5)
    reviews_due = _weekday_on_or_before(today - dt.timedelta(days=7))
    forms = form_types(ws.forms_dir, ws.framework())
    for form_type in forms:
        skip = outstanding if form_type == REVIEW else ()
        dates = {"issued_on": reviews_issued, "due": reviews_due} if form_type == REVIEW else {}
        count = _round(ws, form_type, today=today, seed=seed, result=result, skip=skip, **dates)
        note = f" ({', '.join(skip)} left outstanding)" if skip else ""
        say(f"This cycle ({cycle}): {plural(count, form_type + ' form')} issued, filled as each "
            f"Business Manager would, and collected{note}")

    framework = ws.framework()
    # The summary of the first form of the framework: the Explore checklist.
    definition = load_definition(forms[0], framework=framework, forms_dir=ws.forms_dir)
    register = read_register(ws.path("register"), framework)
    rows = []
    with Store(ws.path("store")) as store:
        for ret in store.current_returns(form_type=definition.type, cycle=cycle):
            partnership = register.get(ret.partnership_id or "")
            rows.append(SummaryRow(ret.partnership_id or "",
                                   partnership.name if partnership else "",
                                   ret.answers, "Accepted with warnings"
                                   if ret.outcome == "warnings" else "Accepted"))
    docx_path, xlsx_path = write_summary(definition, rows, ws.path("reports"),
                                         council=ws.council, cycle=cycle, today=today)
    result.summary = [docx_path, xlsx_path]
    say(f"Explore summary: {docx_path}")

    from generator.mail.plan import deliver, prepare_chase

    chased = deliver(ws, prepare_chase(ws, today=today))
    result.drafts.extend(r.path for r in chased if r.ok and r.path is not None)
    say(f"Emails: {plural(len(result.drafts), 'draft')} written to {ws.path('outbox')}, "
        f"with {plural(len(chased), 'reminder')} for the overdue review")

    with Store(ws.path("store")) as store:
        write_tracker(status_rows(store, cycle=cycle, today=today),
                      ws.path("reports") / "tracker.xlsx", form_titles(ws.forms_dir, framework))
    cgb = compile_cgb(ws, today=today)
    scrutiny = compile_scrutiny(ws, today=today)
    result.outputs = {
        "Explore summary (Word)": docx_path,
        "Explore summary (Excel)": xlsx_path,
        "Return tracker (Excel)": ws.path("reports") / "tracker.xlsx",
        "CGB update (Word)": cgb.docx,
        "CGB update data annex (Excel)": cgb.xlsx,
        "Scrutiny Committee data annex (Excel)": scrutiny.xlsx,
        "Email drafts (folder)": ws.path("outbox"),
        "Scrutiny Committee annual report (Word)": scrutiny.docx,
    }
    return result


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:  # Saturday, Sunday
        day -= dt.timedelta(days=1)
    return day
