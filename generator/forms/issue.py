"""Issuing forms: one Word form per partnership, pre-filled from the register and the store."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import multiprocessing.connection
import multiprocessing.context
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from generator.council_year import (
    Period,
    long_date,
    not_a_working_day,
    stored_period,
    working_day_on_or_after,
)
from generator.errors import InvalidRequest, ToolkitError
from generator.fileio import safe_filename, unused_path, write_new
from generator.formdefs import Field, FormDefinition, load_definition
from generator.forms.display import display_value, framework_context
from generator.forms.identity import Identity, new_issue_id
from generator.forms.read import static_lines
from generator.forms.render import CompiledTemplate
from generator.performance import indicators, scored_risks, with_refs
from generator.positions import FIGURES_FORMS, GIVES_KPIS, GIVES_RISKS, Figures, period_of
from generator.register import Partnership, Register, read_register
from generator.store import Issued, Return, Store, now_iso
from generator.vocabulary import KPIS, PREVIOUS, RISKS
from generator.wording import a_or_an
from generator.workspace import Workspace

NOT_ANSWERED = "not answered"
NONE_ON_RECORD = "None on record"  # no earlier figure of an indicator or a risk


@dataclass(frozen=True)
class IssuedForm:
    path: Path
    issue_id: str
    partnership_id: str
    partnership_name: str
    form_type: str


@dataclass
class IssueResult:
    written: list[IssuedForm] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # partnership ids already issued the form


@dataclass
class CarriedForward:
    """What earlier accepted returns give a new form."""

    previous: dict[str, str] = field(default_factory=dict)
    """The earlier answer shown beside each box ('' when there is no earlier return)."""
    prefill: dict[str, Any] = field(default_factory=dict)
    """Answers and table rows the new form starts with."""
    missing: list[str] = field(default_factory=list)
    """The form types with earlier answers to show but no accepted return on record."""


def carried_forward(definition: FormDefinition, partnership_id: str, store: Store | None,
                    period: Period | None = None) -> CarriedForward:
    """What earlier accepted returns show beside the boxes and pre-fill.

    A table starts as the rows of the latest accepted return of the first of its
    `prefill_from` forms that has any (its carried columns only, each row with its
    reference); its `previous` column shows the figures of the quarters before `period`.
    """
    carried = CarriedForward()
    earlier = _Earlier(store, partnership_id)
    for f in definition.fields.values():
        if f.previous_from:
            _show_previous(f, earlier.latest(f.previous_from), carried)
        if f.type == "table" and f.prefill_from:
            rows = earlier.rows(f)
            if rows:
                carried.prefill[f.id] = _with_history(f, rows, earlier, period, definition)
    return carried


def _show_previous(f: Field, last: Return | None, carried: CarriedForward) -> None:
    """The earlier answer shown beside a box (and pre-filled, for text)."""
    assert f.previous_from is not None
    if last is None:
        carried.previous[f.id] = ""
        if f.previous_from not in carried.missing:
            carried.missing.append(f.previous_from)
        return
    shown = display_value(f, last.answers.get(f.id)) or NOT_ANSWERED
    carried.previous[f.id] = f"{shown} ({last.cycle})"
    if shown != NOT_ANSWERED and f.type in ("text", "multiline"):
        carried.prefill[f.id] = last.answers.get(f.id)


def from_register(definition: FormDefinition, partnership: Partnership) -> dict[str, Any]:
    """The answers a form starts with from the partnership's row of the register."""
    found = {f.id: getattr(partnership, f.from_register) for f in definition.fields.values()
             if f.from_register}
    return {field_id: value for field_id, value in found.items() if value not in (None, "")}


class _Earlier:
    """A partnership's accepted returns, as far as a form issued to it carries them."""

    def __init__(self, store: Store | None, partnership_id: str) -> None:
        self.store = store
        self.partnership_id = partnership_id
        self._latest: dict[str, Return | None] = {}
        self._figures: Figures | None = None

    def latest(self, form_type: str) -> Return | None:
        """The latest accepted return of a form type: of the latest period, for a form
        issued once a quarter."""
        if form_type not in self._latest:
            returns = self.store.accepted_of(self.partnership_id, (form_type,)) \
                if self.store else []
            dated = [(period_of(r), r.received_at, r.id, r) for r in returns]
            known = [d for d in dated if d[0] is not None]
            self._latest[form_type] = max(known, key=lambda d: d[:3])[3] if known else None
        return self._latest[form_type]

    def rows(self, f: Field) -> list[dict[str, Any]]:
        """The rows a table starts with: those of the first form in `prefill_from` whose
        latest return has any, carried columns only, each with its reference."""
        carried = {c.id for c in f.columns if c.carried} or {c.id for c in f.columns}
        for form_type in f.prefill_from:
            last = self.latest(form_type)
            rows = last.answers.get(f.prefill_field or f.id) if last else None
            if isinstance(rows, list) and rows:
                kept = [{k: v for k, v in row.items() if k in carried} for row in rows
                        if isinstance(row, dict)]
                ref = next((c for c in f.columns if c.ref_prefix), None)
                return with_refs(kept, ref.ref_prefix) if ref else kept
        return []

    @property
    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = Figures(self.store.accepted_of(self.partnership_id, FIGURES_FORMS)
                                    if self.store else [])
        return self._figures


# How many earlier quarters a carried-forward table shows beside each indicator or risk.
EARLIER_QUARTERS = 4


def _with_history(f: Field, rows: list[dict[str, Any]], earlier: _Earlier,
                  period: Period | None, definition: FormDefinition) -> list[dict[str, Any]]:
    """The rows, each with the figures of earlier quarters in the `previous` column."""
    if period is None or PREVIOUS not in {c.id for c in f.columns} \
            or f.id not in (KPIS.id, RISKS.id) or definition.framework is None:
        return rows
    framework = definition.framework
    gives = GIVES_KPIS if f.id == KPIS.id else GIVES_RISKS
    shown: dict[str, list[str]] = {}
    for position in earlier.figures.history(gives, period, EARLIER_QUARTERS):
        answers = position.ret.answers.get(f.id) or []
        if f.id == KPIS.id:
            figures = {k.ref: k.shown(k.actual) for k in indicators(answers, framework)}
        else:
            figures = {r.ref: r.score_text for r in scored_risks(answers,
                                                                  framework.risk_matrix)}
        for ref, figure in figures.items():
            if figure:
                shown.setdefault(ref, []).append(f"{position.period}: {figure}")
    return [{**row, PREVIOUS: "; ".join(shown.get(str(row.get("ref")), [])) or NONE_ON_RECORD}
            for row in rows]


def select_partnerships(register: Register, definition: FormDefinition,
                        partnership_id: str | None) -> tuple[list[Partnership], list[str]]:
    """The partnerships a form goes to, and notices about those left out."""
    notices = [f"{p.id} {p.name}: out of scope of the strategy ({p.type_label}); no form issued"
               for p in register.out_of_scope]
    if partnership_id:
        chosen = register.get(partnership_id)
        if chosen is None:
            known = ", ".join(p.id for p in register.partnerships)
            raise ToolkitError(f"{register.path.name}: no partnership with ID '{partnership_id}' "
                               f"(IDs are {known})")
        if not chosen.in_scope:
            raise ToolkitError(f"{chosen.id} {chosen.name} is out of scope of the strategy "
                               f"({chosen.type_label}); no form is issued for it")
        return [chosen], []
    chosen_list = [p for p in register.in_scope if p.phase == definition.phase]
    if not chosen_list:
        notices.append(f"no in-scope partnership is in the {definition.phase} phase, so no "
                       f"{definition.type} form was issued")
    notices.extend(f"{p.id} {p.name}: its row ({p.row}) is hidden in {register.path.name}; "
                   "it is issued a form like every other row (unhide it, or delete the row if "
                   "the partnership has ended)" for p in chosen_list if p.hidden)
    return chosen_list, notices


@dataclass(frozen=True)
class FormJob:
    """What one form is rendered from; picklable, as it may be rendered in a worker process."""

    partnership_id: str
    identity: Identity
    context: dict[str, Any]  # this form's values, laid over the framework's (`base`)
    prefill: dict[str, Any]
    title: str

    def full_context(self, base: dict[str, Any]) -> dict[str, Any]:
        """The whole template context, given the framework context `base`."""
        return {**base, **self.context}


def form_job(ws: Workspace, definition: FormDefinition, partnership: Partnership, *,
             due: dt.date, store: Store | None, issue_id: str | None = None) -> FormJob:
    """The identity, context and carried-forward answers of one partnership's form."""
    form_type = definition.type
    issue_id = issue_id or new_issue_id(form_type, partnership.id, ws.cycle)
    period = ws.period if definition.per_period else None
    identity = Identity(form_type, definition.version, partnership.id, ws.cycle, issue_id,
                        due.isoformat(), str(period or ""))
    # The figures of earlier quarters shown: those before the form's period, or, on a form
    # issued once a year, before the quarter it is due in.
    carried = carried_forward(definition, partnership.id, store,
                              period or Period.containing(due))
    context = {
        "p": partnership.context(),
        "form": {"type": form_type, "version": definition.version, "title": definition.title,
                 "cycle": ws.cycle, "issue": issue_id, "due_text": long_date(due, weekday=True),
                 "period": str(period or ""), "period_text": period.text if period else "",
                 "earlier_note": earlier_note(ws, carried.missing)},
        "previous": carried.previous,
        "decisions": ws.decisions_context(),
        # What the forms say of the workspace's settings: the variance needing explanation.
        "settings": {"explain_variance": ws.variance_limit.wording},
    }
    prefill = {**from_register(definition, partnership), **carried.prefill}
    return FormJob(partnership.id, identity, context, prefill,
                   f"{definition.title}: {partnership.name}")


def earlier_note(ws: Workspace, missing: list[str]) -> str:
    """The one line saying no earlier answers are shown, naming the forms not on record."""
    if not missing:
        return ""
    titles = [load_definition(form_type, framework=ws.framework(),
                              forms_dir=ws.forms_dir).title for form_type in missing]
    named = " or ".join(f'"{title}"' for title in titles)
    return (f"No {named} form has been accepted for this partnership yet, so no earlier "
            "answers are shown beside the boxes.")


# Rendering is the CPU-bound part of issuing, so a large batch is rendered by worker
# processes, one per core, while this process names, writes and records each form in order.
# Starting the workers costs some 50 ms where they are forked from this process (Linux: fork,
# then each compiles the template) and ~0.5 s where each starts a fresh Python that imports
# the toolkit (Windows, macOS). Measured on 2 cores, workers start to pay off at about 50
# forms on an idle machine but only at about 150 when another program keeps one core busy:
# below these batch sizes one process is used.
PARALLEL_MIN_FORMS = 100
PARALLEL_MIN_FORMS_SPAWNED = 300
# This process's own work per form (file and store writes) caps what more workers can give.
MAX_WORKERS = 4

_worker: tuple[CompiledTemplate, dict[str, Any]] | None = None


def _render_job(template: CompiledTemplate, base: dict[str, Any], job: FormJob
                ) -> tuple[bytes, list[str]]:
    """A form's .docx bytes and its text outside the answer boxes (see `static_lines`)."""
    rendered = template.render_form(job.full_context(base), job.identity, job.prefill,
                                    title=job.title)
    return rendered.data, static_lines(rendered.document)


def _start_worker(path: Path, definition: FormDefinition, base: dict[str, Any]) -> None:
    global _worker
    # Ctrl+C is for the main process, which stops the pool; workers just finish their form.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_parent()
    _worker = (CompiledTemplate(path, definition), base)


def _exit_with_parent() -> None:
    """End this worker as soon as the process that started it is gone.

    A parent killed outright (kill -9, Task Manager, a laptop's battery) cannot stop its
    pool, and the workers would wait for work for ever. Every worker multiprocessing starts
    (forked or spawned, on every platform) holds a sentinel that becomes ready when its
    parent ends: a thread waits on it and ends the worker at once.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _render_in_worker(job: FormJob) -> tuple[bytes, list[str]]:
    assert _worker is not None, "_start_worker runs first in every worker"
    return _render_job(*_worker, job)


def _render_chunk_in_worker(jobs: list[FormJob]) -> list[tuple[bytes, list[str]]]:
    return [_render_in_worker(job) for job in jobs]


# Chunks of forms given to the workers and not yet taken back, per worker: enough to keep
# each busy, few enough that rendered forms do not pile up while this process writes them
# (`Executor.map` hands out every job at once: at 5,000 forms, hundreds of megabytes of
# rendered forms waited in memory).
CHUNKS_AHEAD_PER_WORKER = 2


def _in_order(pool: ProcessPoolExecutor, jobs: list[FormJob], chunk: int, ahead: int
              ) -> Iterator[tuple[bytes, list[str]]]:
    """Each job's form in order, rendered by `pool` `chunk` jobs at a time, no more than
    `ahead` chunks given out and not yet taken back."""
    chunks = (jobs[at:at + chunk] for at in range(0, len(jobs), chunk))
    pending = deque(pool.submit(_render_chunk_in_worker, c) for c in islice(chunks, ahead))
    while pending:
        results = pending.popleft().result()
        following = next(chunks, None)
        if following is not None:
            pending.append(pool.submit(_render_chunk_in_worker, following))
        yield from results


def _available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _pool_context() -> tuple[multiprocessing.context.BaseContext, int]:
    """How to start workers here, and the smallest batch that pays for starting them."""
    if ("fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
            and threading.active_count() == 1):
        # Forking copies this process, the compiled toolkit included; it is only safe while
        # no other thread might hold a lock at the moment of the fork.
        return multiprocessing.get_context("fork"), PARALLEL_MIN_FORMS
    return multiprocessing.get_context("spawn"), PARALLEL_MIN_FORMS_SPAWNED


def _rendered(template: CompiledTemplate, base: dict[str, Any], jobs: list[FormJob],
              workers: int | None) -> Generator[tuple[bytes, list[str]], None, None]:
    """Each job's form, in order; rendered by worker processes when that pays off.

    The forms are the same either way: each worker compiles the same template once and
    renders the same jobs. Should a worker die (out of memory, killed), the forms not yet
    rendered are rendered here instead.
    """
    context, threshold = _pool_context()
    if workers is None:
        workers = min(_available_cpus(), MAX_WORKERS) if len(jobs) >= threshold else 1
    workers = max(1, min(workers, len(jobs)))
    done = 0
    if workers > 1:
        try:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                       initializer=_start_worker,
                                       initargs=(template.path, template.definition, base))
        except (OSError, ImportError, NotImplementedError):
            pool = None  # no process support here (some sandboxes): render in this process
        if pool is not None:
            try:
                chunk = max(1, min(16, len(jobs) // (workers * 4)))
                for result in _in_order(pool, jobs, chunk, workers * CHUNKS_AHEAD_PER_WORKER):
                    yield result
                    done += 1
            except BrokenProcessPool:
                pass
            finally:
                # Also reached when the caller stops early: drop what is still queued.
                pool.shutdown(wait=True, cancel_futures=True)
    for job in jobs[done:]:
        yield _render_job(template, base, job)


def issue_forms(ws: Workspace, form_type: str, *, partnership_id: str | None = None,
                due: dt.date | None = None, today: dt.date | None = None,
                reissue: bool = False,
                progress: Callable[[Iterable[Partnership]], Iterable[Partnership]] | None = None,
                workers: int | None = None) -> IssueResult:
    """Write one form per partnership of the form's phase (or the one named) and record it.

    A partnership that already has this form for the cycle (and, for monitoring, the
    period) is not issued it again unless `reissue`; each is named in the notices. A due
    date before `today` is refused. `workers`: how many processes render the forms; by
    default one per core (up to MAX_WORKERS) for a batch of PARALLEL_MIN_FORMS or more, else
    this process alone. Files are named, written and recorded by this process, in register
    order, whatever renders them; each is recorded before it gets its name and marked issued
    after, so a run killed half-way leaves nothing half-issued (`settle_interrupted_issues`).
    """
    framework = ws.framework()
    definition = load_definition(form_type, framework=framework, forms_dir=ws.forms_dir)
    register = read_register(ws.path("register"), framework)
    partnerships, notices = select_partnerships(register, definition, partnership_id)
    result = IssueResult(notices=notices)
    today = today or dt.date.today()
    due = _due_date(ws, due, today, result.notices)
    if not partnerships:
        return result
    # Compiled before anything is written, so a broken template is reported first.
    template = CompiledTemplate(ws.templates_dir / f"{form_type}.docx", definition)
    base = framework_context(framework)
    folder = ws.path("issued") / form_type
    with ws.writing(f"forms {form_type}", note=result.notices.append), \
            Store(ws.path("store")) as store:
        for left in store.settle_interrupted_issues():
            result.notices.append(f"{left.partnership_id} {left.partnership_name}: the "
                                  f"{left.form_type} form an interrupted run started was never "
                                  "written; it is not on record")
        partnerships = _not_yet_issued(ws, store, definition, partnerships, reissue, result)
        jobs = [form_job(ws, definition, p, due=due, store=store) for p in partnerships]
        with closing(_rendered(template, base, jobs, workers)) as rendered:
            for partnership, job in zip((progress or iter)(partnerships), jobs, strict=True):
                data, lines = next(rendered)
                result.written.append(_write_form(ws, store, folder, definition, partnership,
                                                  job, data, lines))
    return result


def _due_date(ws: Workspace, due: dt.date | None, today: dt.date, notices: list[str]
              ) -> dt.date:
    """The date the forms are due: `due` as given (with a notice when it is no working day),
    or `[cycle] due_days` from today, moved on to a working day."""
    region = ws.bank_holidays
    if due is None:
        return working_day_on_or_after(today + dt.timedelta(days=ws.due_days), region)
    if due < today:
        raise InvalidRequest(f"the due date {long_date(due, weekday=True)} is in the past; give "
                             f"a date from today ({long_date(today, weekday=True)}) onwards")
    closed = not_a_working_day(due, region)
    if closed:
        after = working_day_on_or_after(due, region)
        notices.append(f"the due date {long_date(due, weekday=True)} is {closed}; the forms "
                       f"say it as given (the next working day is "
                       f"{long_date(after, weekday=True)})")
    return due


def _not_yet_issued(ws: Workspace, store: Store, definition: FormDefinition,
                    partnerships: list[Partnership], reissue: bool,
                    result: IssueResult) -> list[Partnership]:
    """The partnerships to issue to: those without this form yet, or all when reissuing."""
    period = str(ws.period) if definition.per_period else ""
    chosen = []
    for partnership in partnerships:
        if partnership.phase != definition.phase:
            result.notices.append(
                f"{partnership.id} {partnership.name} is in the {partnership.phase} phase, but "
                f"the {definition.type} form is for the {definition.phase} phase; issued as asked")
        earlier = [i for i in store.all_issued(cycle=ws.cycle, form_type=definition.type,
                                               partnership_id=partnership.id)
                   if (i.period or "") == period]
        if earlier and not reissue:
            when = ", ".join(f"{i.issue_id} on {long_date(i.issued_at)}" for i in earlier)
            result.skipped.append(partnership.id)
            result.notices.append(
                f"{partnership.id} {partnership.name} already has "
                f"{a_or_an(definition.type)} form for {period or ws.cycle} ({when}); not "
                "issued again. To issue a new copy, run the command again with --reissue")
            continue
        chosen.append(partnership)
    return chosen


def _write_form(ws: Workspace, store: Store, folder: Path, definition: FormDefinition,
                partnership: Partnership, job: FormJob, data: bytes,
                lines: list[str]) -> IssuedForm:
    """Record one rendered form, give its file its name, and mark it issued."""
    form_type, identity = definition.type, job.identity
    period = stored_period(identity.period)
    when = period.in_file_names if period else ws.cycle.replace("/", "-")
    name = safe_filename(f"{partnership.id} {partnership.name} {form_type} {when}") + ".docx"
    planned = unused_path(folder / name)
    store.record_issue(Issued(
        issue_id=identity.issue, form_type=form_type, version=definition.version,
        partnership_id=partnership.id, partnership_name=partnership.name,
        cycle=ws.cycle, period=identity.period, due_date=identity.due,
        issued_at=now_iso(), recipient_name=partnership.bm_name,
        recipient_email=partnership.bm_email, file_path=str(planned),
        static_text=json.dumps(lines, ensure_ascii=False)))
    path = write_new(planned, data)
    store.finish_issue(identity.issue, str(path))
    return IssuedForm(path, identity.issue, partnership.id, partnership.name, form_type)
