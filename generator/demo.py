"""The demo: a whole cycle on the bundled example register, with forms filled as a person would.

The example answers are generated from the form definitions, so every field gets an answer of
its type; a few carry characters that must survive the round trip (&, <, quotes, {{ }},
accents, line breaks).
"""

from __future__ import annotations

import calendar
import contextvars
import datetime as dt
import random
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.council_year import Period, previous_cycle
from generator.fileio import write_new
from generator.formdefs import Field, FormDefinition, form_titles, form_types, load_definition
from generator.forms.fill import fill_form
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.papers.summary import SummaryRow, write_summary
from generator.performance import read_measure
from generator.register import Partnership, read_register
from generator.returns.collect import collect
from generator.returns.tracker import status_rows, write_tracker
from generator.store import Store
from generator.vocabulary import DESIGN, MONITORING, PREVIOUS, REVIEW
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
# Indicators as a Design assessment sets them: unit, which way is better, target, tolerance.
EXAMPLE_KPIS = [
    ("Applications processed within target", "percentage", "higher", 90, 5),
    ("Customer satisfaction", "percentage", "higher", 85, 5),
    ("Cost per case", "pounds", "lower", 120, 10),
    ("Calls answered within 60 seconds", "percentage", "higher", 80, 5),
    ("Average days to process a claim", "days", "lower", 10, 2),
]
# Risks: (likelihood, impact) before mitigation and after it.
EXAMPLE_RISKS = [
    ("Loss of key staff", (4, 4), (3, 3)),
    ("IT system changeover delayed", (3, 4), (2, 3)),
    ("Partner withdraws", (2, 5), (2, 4)),
    ("Demand higher than forecast", (4, 3), (3, 2)),
]
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


# The demo's story (data/demo_story.toml): what each example partnership's Business Manager
# says on its forms. It is told only while `run_demo` runs; other callers of the example
# answers (the tests) get the general examples.
STORY_FILE = Path(__file__).parent / "data" / "demo_story.toml"
_STORY: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("demo_story",
                                                                             default=None)


def load_story(path: Path = STORY_FILE, today: dt.date | None = None) -> dict[str, Any]:
    """The story, its years moved on to the council year of `today` (see the file)."""
    with path.open("rb") as handle:
        story = tomllib.load(handle)
    written = str(story.get("written_for") or "")
    if today is None or not written[:4].isdigit():
        return story
    years = Period.containing(today).start_year - int(written[:4])
    return _moved_on(story, years) if years else story


_CYCLE_OR_YEAR = re.compile(r"\b(20\d\d)(?:/(\d\d))?\b")


def _moved_on(value: Any, years: int) -> Any:
    """`value` (the story or a part of it) with every year in it `years` later."""
    if isinstance(value, dict):
        return {_moved_on(k, years): v if k == "written_for" else _moved_on(v, years)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_moved_on(v, years) for v in value]
    if not isinstance(value, str):
        return value

    def later(match: re.Match[str]) -> str:
        start = int(match.group(1)) + years
        return f"{start}/{(start + 1) % 100:02d}" if match.group(2) else str(start)

    moved = _CYCLE_OR_YEAR.sub(later, value)
    # 29 February moved to a year without one is the 28th.
    if moved.endswith("-02-29") and not calendar.isleap(int(moved[:4])):
        return moved[:-2] + "28"
    return moved


def _quarter_told(partnership: Partnership, today: dt.date) -> dict[str, Any]:
    """What the story says `partnership` reports for the quarter of `today` (its indicators'
    actuals and commentary, its forecast): nothing, for a quarter it does not tell."""
    told = (_told(partnership).get("quarters") or {}).get(str(Period.containing(today)))
    return told if isinstance(told, dict) else {}


def _told_kpi(quarter: dict[str, Any], index: int | None) -> tuple[float | None, str | None]:
    """The story's actual and commentary for the `index`th indicator of a quarter."""
    actuals, said = quarter.get("actuals") or [], quarter.get("commentary") or []
    if index is None or index >= len(actuals):
        return None, None
    return actuals[index], said[index] if index < len(said) else None


def _date_window(field_id: str) -> tuple[int, int]:
    """The days from filling in that a date answer of the story falls in (see the file)."""
    window = ((_STORY.get() or {}).get("dates") or {}).get(field_id)
    return (int(window[0]), int(window[1])) if isinstance(window, list) else (-6, 0)


def _told(partnership: Partnership) -> dict[str, Any]:
    """What the story says of `partnership` (nothing, outside `run_demo`)."""
    told = (_STORY.get() or {}).get(partnership.id, {})
    return told if isinstance(told, dict) else {}


# Money answers made from the partnership's budget in the register, when it has one.
_FROM_BUDGET = ("budget", "forecast", "running_cost", "council_contribution")
# A business case's baseline (the service's cost before) and savings target, as shares of the
# partnership's budget; a 15% savings target is the one 3C Shared Services reports against.
_BUSINESS_CASE = {"savings_baseline": 1.12, "savings_target": 0.15 * 1.12}


def example_value(f: Field, partnership: Partnership, rng: random.Random,
                  today: dt.date) -> Any:
    """A plausible answer of the field's type, as a Business Manager might give."""
    if f.id in ("completed_by", "head_of_service", "period"):
        return _known_answer(f.id, partnership, today)
    if f.id in KNOWN_ANSWERS:
        return KNOWN_ANSWERS[f.id]
    if f.id in _FROM_BUDGET and partnership.budget:
        return _budget_line(f.id, partnership.budget, partnership.contribution, rng)
    if f.id in _BUSINESS_CASE and partnership.budget:
        return round(partnership.budget * _BUSINESS_CASE[f.id], -3)
    if f.id == "cashable_savings":
        return round((partnership.budget or 100000) * rng.choice([0.02, 0.05, 0.08]), -2)
    return _answer_of_type(f, partnership, rng, today)


def _known_answer(field_id: str, partnership: Partnership, today: dt.date) -> str:
    """Who completes the form, their head of service, or this quarter."""
    if field_id == "completed_by":
        return partnership.bm_name
    if field_id == "head_of_service":
        return partnership.head_of_service
    return str(Period.containing(today))


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
        return (today + dt.timedelta(days=rng.randint(*_date_window(f.id)))).isoformat()
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
    told = _told(partnership)
    if f.type == "multiline":
        sentences = told.get("sentences") or SENTENCES
        return " ".join(rng.sample(sentences, min(2, len(sentences))))
    if f.type == "email":
        return partnership.bm_email
    if told.get("owner"):
        return str(told["owner"])
    return rng.choice(["Joint board of both councils", "Head of Shared Service",
                       "Quarterly report to the board", "Council offices, Dorking"])


def typed(value: float, unit: str) -> str:
    """A figure as a Business Manager types it in its unit: '90%', '£120', '10 days'."""
    return {"percentage": f"{value:g}%", "pounds": f"£{value:g}",
            "days": f"{value:g} days"}.get(unit, f"{value:g}")


def example_actual(row: dict[str, Any], rng: random.Random) -> str | None:
    """This period's actual for a carried-forward indicator: near its target, either side."""
    target = read_figure(row.get("target"), row.get("unit"))
    if target is None:
        return None
    step = max(abs(target) * 0.04, 1)
    better = 1 if row.get("polarity") == "higher" else -1
    actual = target + better * step * rng.choice([2, 1, 1, 0.5, 0, 0, -0.5, -1.5])
    if row.get("unit") == "percentage":
        actual = min(actual, 100.0)  # no more than all of them
    return typed(round(actual, 1 if row.get("unit") == "days" else 0), str(row.get("unit")))


def read_figure(value: Any, unit: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(read_measure(value, str(unit))) if value and unit else None
    except ValueError:
        return None


def example_row(f: Field, partnership: Partnership, rng: random.Random, today: dt.date,
                index: int) -> dict[str, Any]:
    columns = {c.id for c in f.columns}
    told = _told(partnership)
    if f.id == "kpis" and "unit" in columns:
        kpi = _example_kpi(columns, rng, index, told.get("kpis"), told.get("sentences"),
                           _quarter_told(partnership, today))
        return {c.id: kpi.get(c.id) for c in f.columns}
    if f.id == "risks" and "inherent_likelihood" in columns:
        risk = _example_risk(f, partnership, rng, today, index)
        return {c.id: risk.get(c.id) for c in f.columns}
    if isinstance(told.get(f.id), list) and told[f.id] and isinstance(told[f.id][0], dict):
        # The story's own row (an issue with its action, an opportunity with its benefit).
        item = told[f.id][index % len(told[f.id])]
        return {c.id: item[c.id] if c.id in item else example_value(c, partnership, rng, today)
                for c in f.columns}
    actions = told.get("actions") or ACTIONS
    row = {}
    for column in f.columns:
        if column.id == "action" and f.id != "issues":
            row[column.id] = actions[index % len(actions)]
        elif column.id in ("name", "description", "issue", "opportunity", "action"):
            names = KPI_NAMES if f.id == "kpis" else RISK_NAMES
            row[column.id] = names[index % len(names)]
        elif column.id in ("target", "actual"):
            row[column.id] = rng.choice(["95%", "90%", "4.5 out of 5", "£120 per case"])
        else:
            row[column.id] = example_value(column, partnership, rng, today)
    return row


def _example_kpi(columns: set[str], rng: random.Random, index: int,
                 told: list[dict[str, Any]] | None = None,
                 sentences: list[str] | None = None,
                 quarter: dict[str, Any] | None = None) -> dict[str, Any]:
    """An indicator as set in the Design assessment (the story's own, when it has them),
    with an actual when the form asks."""
    if told:
        kpi = told[index % len(told)]
        name, unit, polarity, target, tolerance = (kpi["name"], kpi["unit"], kpi["polarity"],
                                                   kpi["target"], kpi["tolerance"])
    else:
        name, unit, polarity, target, tolerance = EXAMPLE_KPIS[index % len(EXAMPLE_KPIS)]
    # Figures as they read back: a number in the row's unit (a form shows it with its unit).
    row: dict[str, Any] = {"name": name, "unit": unit, "polarity": polarity,
                           "target": target, "tolerance": tolerance,
                           "measure": "From the case management system",
                           "frequency": "Quarterly"}
    if "actual" in columns:
        _kpi_actual(row, rng, sentences, *_told_kpi(quarter or {}, index if told else None))
    return {k: v for k, v in row.items() if k in columns}


def _kpi_actual(row: dict[str, Any], rng: random.Random, sentences: list[str] | None,
                actual: float | None, commentary: str | None) -> None:
    """A quarter's actual and commentary for an indicator: the story's, else an actual near
    its target and a sentence of the partnership's."""
    typed_actual = typed(actual, str(row.get("unit"))) if actual is not None \
        else example_actual(row, rng)
    row["actual"] = read_measure(typed_actual, str(row.get("unit"))) \
        if typed_actual is not None else None
    row["commentary"] = commentary or rng.choice(sentences or SENTENCES)


def _example_risk(f: Field, partnership: Partnership, rng: random.Random, today: dt.date,
                  index: int) -> dict[str, Any]:
    """A risk scored before and after mitigation (the story's own, when it has them)."""
    told = _told(partnership).get("risks")
    extra: dict[str, Any] = {}
    if told:
        risk = told[index % len(told)]
        name, (inherent_l, inherent_i), (residual_l, residual_i) = \
            risk["description"], risk["inherent"], risk["residual"]
        extra = {k: risk[k] for k in ("mitigation", "owner") if k in risk}
    else:
        name, (inherent_l, inherent_i), (residual_l, residual_i) = \
            EXAMPLE_RISKS[index % len(EXAMPLE_RISKS)]
    row: dict[str, Any] = {"description": name, "inherent_likelihood": str(inherent_l),
                           "inherent_impact": str(inherent_i), "likelihood": str(residual_l),
                           "impact": str(residual_i), **extra}
    for column in f.columns:
        if column.id not in row and column.id not in ("ref", PREVIOUS):
            row[column.id] = example_value(column, partnership, rng, today)
    return row


def completed_row(f: Field, carried: dict[str, Any], rng: random.Random,
                  told: dict[str, Any] | None = None,
                  quarter: dict[str, Any] | None = None) -> dict[str, Any]:
    """A carried-forward row as the Business Manager completes it: what the form shows is
    kept, and this period's figures are given (a risk of the story keeps its scores after
    mitigation, so its trend is steady)."""
    row = dict(carried)
    told = told or {}
    if f.id == "kpis":
        names = [kpi.get("name") for kpi in told.get("kpis") or []]
        index = names.index(row.get("name")) if row.get("name") in names else None
        _kpi_actual(row, rng, told.get("sentences"), *_told_kpi(quarter or {}, index))
    elif f.id == "risks":
        known = next((r for r in told.get("risks") or []
                      if r["description"] == row.get("description")), None)
        for n, key in enumerate(("likelihood", "impact")):
            inherent = int(str(row.get(f"inherent_{key}") or 3).split()[0])
            row[key] = str(known["residual"][n] if known is not None
                           else max(1, inherent - rng.choice([0, 1, 1, 2])))
    else:
        # Last year's actions: each given its progress, and a word on it.
        for column in f.columns:
            if row.get(column.id) in (None, "") and column.type == "choice" and column.choices:
                row[column.id] = rng.choice(column.choices[:3]).value
            elif row.get(column.id) in (None, "") and column.type == "multiline":
                row[column.id] = rng.choice(SENTENCES)
    return row


def example_answers(definition: FormDefinition, partnership: Partnership, *,
                    seed: int = 0, today: dt.date | None = None,
                    carried: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    """Answers to every field of a form, deterministic for a seed and partnership.

    `carried`: the rows the issued form's tables start with (carried forward), which are
    completed rather than replaced.
    """
    today = today or dt.date.today()
    rng = random.Random(f"{seed}:{definition.type}:{partnership.id}")
    answers: dict[str, Any] = {}
    for f in definition.fields.values():
        if f.type == "table" and (carried or {}).get(f.id):
            answers[f.id] = [completed_row(f, row, rng, _told(partnership),
                                           _quarter_told(partnership, today))
                             for row in (carried or {})[f.id]]
        elif f.type == "table":
            told = _told(partnership).get(f.id)
            count = len(told) if isinstance(told, list) and told else rng.randint(2, 4)
            answers[f.id] = [example_row(f, partnership, rng, today, i) for i in range(count)]
        else:
            answers[f.id] = example_value(f, partnership, rng, today)
    said = _told(partnership).get("answers", {}).get(definition.type, {})
    answers.update({k: v for k, v in said.items() if k in definition.fields})
    if answers.get("audit_opinion") == "not_audited" and "audit_date" in answers:
        answers["audit_date"] = None  # no report to date
    quarter = _quarter_told(partnership, today)
    if "forecast" in quarter and "forecast" in answers \
            and isinstance(answers.get("budget"), int | float):
        answers["forecast"] = round(answers["budget"] * quarter["forecast"], -2)
        answers["budget_commentary"] = quarter.get("budget_commentary") \
            or answers.get("budget_commentary")
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
                today: dt.date, skip: Sequence[str] = (),
                adjust: Callable[[str, dict[str, Any]], None] | None = None,
                suffix: str = "completed") -> list[Path]:
    """Fill each issued form as its Business Manager would, saved into the returns folder.

    `adjust(partnership_id, answers)` may change a partnership's answers before they are typed.
    """
    framework = ws.framework()
    definition = load_definition(form_type, framework=framework, forms_dir=ws.forms_dir)
    register = read_register(ws.path("register"), framework)
    paths = []
    for form in issued:
        if form.partnership_id in skip:
            continue
        partnership = register.get(form.partnership_id)
        assert partnership is not None
        shown = read_form(form.path, framework=framework, forms_dir=ws.forms_dir).answers
        carried = {f.id: shown.get(f.id) or [] for f in definition.tables if f.prefill_from}
        answers = example_answers(definition, partnership, seed=seed, today=today,
                                  carried=carried)
        if adjust is not None:
            adjust(form.partnership_id, answers)
        filled = fill_form(form.path.read_bytes(), definition, answers,
                           author=partnership.bm_name)
        paths.append(write_new(ws.path("returns") / f"{form.path.stem} ({suffix}).docx",
                               filled))
    return paths


def fresh_folder(folder: Path) -> Path:
    """`folder` when it is new or empty, else the first free `folder-2`, `folder-3`, ..."""
    candidate, n = folder, 1
    while candidate.exists() and (not candidate.is_dir() or any(candidate.iterdir())):
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


def in_period(ws: Workspace, period: Period) -> None:
    """Set the workspace to a quarter (and its council year), as an officer would."""
    ws.config["cycle"]["current"] = period.cycle
    ws.config["cycle"]["period"] = str(period)


def _round(ws: Workspace, form_type: str, *, today: dt.date, seed: int,
           result: DemoResult, skip: Sequence[str] = (), issued_on: dt.date | None = None,
           due: dt.date | None = None,
           adjust: Callable[[str, dict[str, Any]], None] | None = None) -> int:
    """Issue a form (on `issued_on`, by default today), write the emails that send it as
    drafts, fill it as each Business Manager would, and collect the returns."""
    issued = issue_forms(ws, form_type, today=issued_on or today, due=due).written
    result.issued.extend(f.path for f in issued)
    _send(ws, form_type, issued_on or today, result)
    filled = fill_issued(ws, form_type, issued, seed=seed, today=today, skip=skip,
                         adjust=adjust)
    _take_in(ws, filled, result)
    return len(issued)


def _send(ws: Workspace, form_type: str, today: dt.date, result: DemoResult) -> None:
    """Write the emails that send the issued forms of a type as drafts, as `send` does."""
    from generator.mail.plan import deliver, prepare_send

    sent = deliver(ws, prepare_send(ws, form_type, today=today))
    result.drafts.extend(r.path for r in sent if r.ok and r.path is not None)


def _take_in(ws: Workspace, filled: list[Path], result: DemoResult) -> None:
    """Collect the filled forms; any not taken in is a problem of the demo."""
    result.returns.extend(filled)
    for outcome in collect(ws, filled).outcomes:
        if outcome.outcome not in ("accepted", "warnings"):
            result.problems.append(f"{outcome.file}: {outcome.outcome}: "
                                   + "; ".join(outcome.reasons))


def _business_cases(ws: Workspace, *, today: dt.date, seed: int, result: DemoResult) -> int:
    """The Design assessments of the partnerships now delivering, as made before they began:
    their savings targets and baselines, which the papers measure savings against."""
    framework = ws.framework()
    review_phase = load_definition(REVIEW, framework=framework, forms_dir=ws.forms_dir).phase
    register = read_register(ws.path("register"), framework)
    issued = [form for p in register.in_scope if p.phase == review_phase
              for form in issue_forms(ws, DESIGN, partnership_id=p.id, today=today).written]
    result.issued.extend(f.path for f in issued)
    _send(ws, DESIGN, today, result)
    filled = fill_issued(ws, DESIGN, issued, seed=seed, today=today)
    _take_in(ws, filled, result)
    return len(issued)


# What this quarter's monitoring returns show, beyond the everyday: an indicator's RAG the
# Business Manager overrides, with a reason; a risk escalated to the corporate risk register;
# an overspend explained; and a figure typed in the wrong unit, refused and then corrected.
OVERRIDDEN = ("P002", "K1", "green", "The target was met in October and November; December's "
              "figure reflects the planned system upgrade and has recovered since.")
ESCALATED = ("P001", "R1", "4", "5")
# A partnership its Business Manager rates Green overall in the annual review, which the
# figures contradict (the escalated risk above): for the report author to check.
RATED_GREEN = "P001"
MISTYPED = ("P003", "K3", "85%")


def _this_quarter(partnership_id: str, answers: dict[str, Any]) -> None:
    """The everyday return, with this quarter's notable events for the partnerships above."""
    def row(table: str, ref: str) -> dict[str, Any]:
        return next((r for r in answers.get(table) or [] if r.get("ref") == ref), {})

    if partnership_id == OVERRIDDEN[0]:
        row("kpis", OVERRIDDEN[1]).update(rag=OVERRIDDEN[2], rag_reason=OVERRIDDEN[3])
    if partnership_id == ESCALATED[0]:
        row("risks", ESCALATED[1]).update(likelihood=ESCALATED[2], impact=ESCALATED[3])


def _rated_green(partnership_id: str, answers: dict[str, Any]) -> None:
    if partnership_id == RATED_GREEN:
        answers["overall_rating"] = "green"


def _mistyped(partnership_id: str, answers: dict[str, Any]) -> None:
    _this_quarter(partnership_id, answers)
    target = next((r for r in answers.get("kpis") or [] if r.get("ref") == MISTYPED[1]), None)
    if partnership_id == MISTYPED[0] and target is not None:
        target["actual"] = MISTYPED[2]


def _monitoring_round(ws: Workspace, *, today: dt.date, seed: int, result: DemoResult,
                      say: Callable[[str], None]) -> int:
    """This quarter's monitoring: issued, filled and collected, one return refused for a
    figure in the wrong unit and taken in once corrected."""
    issued = issue_forms(ws, MONITORING, today=today).written
    result.issued.extend(f.path for f in issued)
    _send(ws, MONITORING, today, result)
    first = [f for f in issued if f.partnership_id == MISTYPED[0]]
    wrong = fill_issued(ws, MONITORING, first, seed=seed, today=today, adjust=_mistyped,
                        suffix="first try")
    for outcome in collect(ws, wrong).outcomes:
        reasons = "; ".join(outcome.reasons)
        say(f"  {outcome.partnership} sent a monitoring return with a figure in the wrong "
            f"unit: {outcome.outcome} ({reasons}); the Business Manager corrects it")
    result.returns.extend(wrong)
    filled = fill_issued(ws, MONITORING, issued, seed=seed, today=today, adjust=_this_quarter)
    _take_in(ws, filled, result)
    return len(issued)


def run_demo(folder: Path, *, today: dt.date | None = None, seed: int = 0,
             say: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Create an example workspace and run a whole annual cycle on the example register,
    each partnership's forms answered as the demo's story tells it (`load_story`).

    Last year's annual reviews and last quarter's monitoring returns are filled and collected
    first, so this year's forms carry answers forward and the Scrutiny report can show the
    direction of travel. One annual review is left outstanding to show how gaps are reported.
    """
    told = _STORY.set(load_story(today=today or dt.date.today()))
    try:
        return _run_demo(folder, today=today, seed=seed, say=say)
    finally:
        _STORY.reset(told)


def _run_demo(folder: Path, *, today: dt.date | None, seed: int,
              say: Callable[[str], None]) -> DemoResult:
    """The demo's cycle (see `run_demo`)."""
    from generator.papers.committee import compile_cgb, compile_scrutiny

    today = today or dt.date.today()
    target = fresh_folder(folder)
    if target != folder:
        say(f"{folder} already has files in it; using {target} so nothing is overwritten")
    ws = init_workspace(target, today=today)
    result = DemoResult(ws.root)
    say(f"Created an example workspace in {ws.root}")
    cycle, period = ws.cycle, ws.period

    # Last year's forms are issued and filled in on their own days, a year and a quarter
    # back, so that their dates (completed, audited, actions due) read as last year's.
    a_year_ago = _weekday_on_or_before(_years_before(today, 1))
    ws.config["cycle"]["current"] = previous_cycle(cycle) or cycle
    count = _business_cases(ws, today=a_year_ago - dt.timedelta(weeks=8), seed=seed + 3,
                            result=result)
    say(f"Earlier: {count} Design assessments (the business cases: savings targets and "
        "baselines) of the partnerships now delivering")
    count = _round(ws, REVIEW, today=a_year_ago, seed=seed + 1, result=result)
    say(f"Last year ({ws.cycle}): {count} annual reviews issued, filled and collected")
    in_period(ws, period.previous)
    count = _round(ws, MONITORING, today=_weekday_on_or_before(today - dt.timedelta(weeks=13)),
                   seed=seed + 2, result=result)
    say(f"Last quarter ({ws.period}): {count} monitoring returns issued, filled and collected")
    in_period(ws, period)

    outstanding = ["P005"]
    # This year's reviews went out five weeks ago and were due last week, so the one left
    # outstanding is overdue and is chased today.
    reviews_issued = today - dt.timedelta(weeks=5)
    reviews_due = _weekday_on_or_before(today - dt.timedelta(days=7))
    forms = form_types(ws.forms_dir, ws.framework())
    for form_type in forms:
        skip = outstanding if form_type == REVIEW else ()
        dates = {"issued_on": reviews_issued, "due": reviews_due} if form_type == REVIEW else {}
        if form_type == MONITORING:
            count = _monitoring_round(ws, today=today, seed=seed, result=result, say=say)
        else:
            count = _round(ws, form_type, today=today, seed=seed, result=result, skip=skip,
                           adjust=_rated_green if form_type == REVIEW else None, **dates)
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
    assert cgb.checks_file is not None and scrutiny.checks_file is not None  # always written
    result.outputs = {
        "Explore summary (Word)": docx_path,
        "Explore summary (Excel)": xlsx_path,
        "Return tracker (Excel)": ws.path("reports") / "tracker.xlsx",
        "CGB update (Word)": cgb.docx,
        "CGB update data annex (Excel)": cgb.xlsx,
        "CGB update: to check before publishing": cgb.checks_file,
        "Scrutiny Committee data annex (Excel)": scrutiny.xlsx,
        "Scrutiny Committee report: to check before publishing": scrutiny.checks_file,
        "Email drafts (folder)": ws.path("outbox"),
        "Scrutiny Committee annual report (Word)": scrutiny.docx,
    }
    return result


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for a 29th in a year without one)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _weekday_on_or_before(day: dt.date) -> dt.date:
    while day.weekday() >= 5:  # Saturday, Sunday
        day -= dt.timedelta(days=1)
    return day
