"""The demo: a whole cycle on the bundled example register, with forms filled as a person would.

The example answers are generated from the form definitions, so every field gets an answer of
its type; a few carry characters that must survive the round trip (&, <, quotes, {{ }},
accents, line breaks).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.fileio import write_new
from generator.fill import fill_form
from generator.formdefs import Field, FormDefinition, load_definition
from generator.forms import issue_forms
from generator.reader import read_form
from generator.register import Partnership, read_register
from generator.summary import SummaryRow, write_summary
from generator.workspace import Workspace, init_workspace

TRICKY_TEXT = ('Costs & savings shared 50/50 < "fair share" — see {{ notes }} and {% raw %}.\n'
               "Second line: café, naïve, Zoë; tabs\tand ümlauts.")
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


def example_value(f: Field, partnership: Partnership, rng: random.Random,
                  today: dt.date) -> Any:
    """A plausible answer of the field's type, as a Business Manager might give."""
    if f.id == "completed_by":
        return partnership.bm_name
    if f.id == "head_of_service":
        return partnership.head_of_service
    if f.id == "period":
        return f"{today.year}-Q{(today.month - 1) // 3 + 1}"
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
        if column.id in ("name", "description", "issue", "opportunity", "action"):
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
    multiline = [f.id for f in definition.fields.values() if f.type == "multiline"]
    if multiline:
        answers[multiline[0]] = TRICKY_TEXT
    return answers


@dataclass
class DemoResult:
    workspace: Path
    issued: list[Path] = field(default_factory=list)
    returns: list[Path] = field(default_factory=list)
    summary: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    outputs: dict[str, Path] = field(default_factory=dict)


def fill_issued(ws: Workspace, form_type: str, issued: list[Any], *, seed: int,
                today: dt.date) -> list[Path]:
    """Fill each issued form as its Business Manager would, saved into the returns folder."""
    framework = ws.framework()
    definition = load_definition(form_type, framework=framework, forms_dir=ws.forms_dir)
    register = read_register(ws.path("register"), framework)
    paths = []
    for form in issued:
        partnership = register.get(form.partnership_id)
        assert partnership is not None
        answers = example_answers(definition, partnership, seed=seed, today=today)
        filled = fill_form(form.path.read_bytes(), definition, answers,
                           author=partnership.bm_name)
        paths.append(write_new(ws.path("returns") / f"{form.path.stem} (completed).docx",
                               filled))
    return paths


def run_demo(folder: Path, *, today: dt.date | None = None, seed: int = 0,
             say: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Create an example workspace and run the Explore cycle: issue, fill, read, summarise."""
    today = today or dt.date.today()
    ws = init_workspace(folder, today=today)
    result = DemoResult(ws.root)
    say(f"Created an example workspace in {ws.root}")
    issued = issue_forms(ws, "explore", today=today)
    result.issued = [f.path for f in issued.written]
    say(f"Issued {len(issued.written)} Explore checklists into {ws.path('issued') / 'explore'}")
    result.returns = fill_issued(ws, "explore", issued.written, seed=seed, today=today)
    say(f"Filled them in as each Business Manager would, into {ws.path('returns')}")
    framework = ws.framework()
    definition = load_definition("explore", framework=framework, forms_dir=ws.forms_dir)
    rows = []
    for path in result.returns:
        reading = read_form(path, framework=framework, forms_dir=ws.forms_dir)
        for problem in reading.problems:
            result.problems.append(f"{path.name}: {problem.label}: {problem.message}")
        status = "Problems found" if reading.errors else (
            "Accepted with warnings" if reading.warnings else "Accepted")
        issued_form = next(f for f in issued.written if f.issue_id == reading.issue)
        rows.append(SummaryRow(issued_form.partnership_id, issued_form.partnership_name,
                               reading.answers, status))
    say(f"Read back {len(rows)} returned forms")
    docx_path, xlsx_path = write_summary(definition, rows, ws.path("reports"),
                                         council=ws.council, cycle=ws.cycle, today=today)
    result.summary = [docx_path, xlsx_path]
    say(f"Summary written: {docx_path} and {xlsx_path}")
    return result
