"""One size of the benchmark, run in a process of its own so its memory figures are its own.

Steps, each timed over every form of the size and repeated (`repeats`), the median kept:

1. generate: `issue_forms` for the annual review, the whole command (register read, template
   compiled, forms rendered, written and recorded in the store), against a plain docxtpl loop
   (load the template, render with autoescape, save) over the same template and contexts;
2. send (before the forms are filled, as a form already returned is not sent):
   `partnerships send review`, every form drafted into the outbox (one email per Business
   Manager, five forms each), as a command of its own with its own peak memory;
3. read: `read_form` (open safely, read the answers, validate them) on every filled form,
   against docx2python extracting the same files, and against the floor: unzipping
   word/document.xml and parsing it with lxml;
4. collect: `collect` taking every filled form into a fresh copy of the store;
5. status: `partnerships status` as an officer runs it (a process of its own, start-up
   included), with every form issued, drafted and returned;
6. report: `compile_scrutiny`, the Scrutiny paper and its Excel annex;
7. each step's peak memory as the command an officer runs, in a process of its own
   (`own_process_peaks`): generate, read (`partnerships read --json` on every filled form),
   collect and the report.

The toolkit and its peer run alternately, so that drift on a shared machine hurts both alike.
From 5,000 forms the peers (docxtpl, docx2python) run once: a run of theirs takes minutes and
their figure is only there for the ratio.
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from docx2python import docx2python
from docxtpl import DocxTemplate
from lxml import etree

from benchmarks.commands import run_command
from benchmarks.fixtures import FORM, TODAY, build_workspace, copy_workspace
from benchmarks.rss import PeakSampler, process_peak_mb
from generator.demo import example_answers
from generator.formdefs import load_definition
from generator.forms.display import framework_context
from generator.forms.fill import fill_form
from generator.forms.issue import IssuedForm, form_job, issue_forms
from generator.forms.read import read_form
from generator.register import read_register
from generator.returns.collect import collect
from generator.store import Store
from generator.workspace import Workspace


def default_repeats(size: int) -> int:
    """More runs for small sizes, where one run is short and noisy."""
    return max(3, min(15, 500 // max(size, 1)))


PEER_ONCE_FROM = 5000


def peer_runs(size: int, repeats: int) -> int:
    """How many of the runs also time the peer: every run, or the first from PEER_ONCE_FROM."""
    return 1 if size >= PEER_ONCE_FROM else repeats


def say(text: str) -> None:
    print(text, flush=True)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    value = action()
    return time.perf_counter() - start, value


def median_ms_per_form(seconds: list[float], size: int) -> float:
    return statistics.median(seconds) * 1000 / size


class SizeRun:
    def __init__(self, size: int, repeats: int, folder: Path) -> None:
        self.size = size
        self.repeats = repeats
        self.folder = folder
        self.rss = PeakSampler()
        self.peaks: dict[str, float] = {}
        self.results: dict[str, Any] = {}
        self.pristine = build_workspace(folder / "pristine", size)
        self.ws: Workspace | None = None
        self.issued: list[IssuedForm] = []
        self.filled: list[Path] = []

    def step(self, name: str, action: Callable[[], Any]) -> tuple[float, Any]:
        """Time one run of a toolkit step, and keep its peak memory."""
        self.rss.mark()
        seconds, value = timed(action)
        self.peaks[name] = max(self.peaks.get(name, 0.0), self.rss.mark())
        return seconds, value

    # ---- 1. generating --------------------------------------------------------------------

    def generate(self) -> None:
        template = self.pristine.templates_dir / f"{FORM}.docx"
        contexts = self._contexts()
        env = jinja2.Environment(autoescape=True)

        def plain_loop(out: Path) -> None:
            for index, context in enumerate(contexts):
                doc = DocxTemplate(template)
                doc.render(context, env)
                doc.save(out / f"{index}.docx")

        toolkit, serial, peer = [], [], []
        for run in range(self.repeats):
            ws = copy_workspace(self.pristine, self.folder / f"generate-{run}")
            seconds, result = self.step("generate", partial(issue_forms, ws, FORM, today=TODAY))
            assert len(result.written) == self.size, result.notices
            toolkit.append(seconds)
            one = copy_workspace(self.pristine, self.folder / f"serial-{run}")
            serial.append(timed(partial(issue_forms, one, FORM, today=TODAY, workers=1))[0])
            shutil.rmtree(one.root)
            if run < peer_runs(self.size, self.repeats):
                out = self.folder / f"docxtpl-{run}"
                out.mkdir()
                peer.append(timed(partial(plain_loop, out))[0])
                shutil.rmtree(out)
            if run < self.repeats - 1:
                shutil.rmtree(ws.root)
            else:
                self.ws, self.issued = ws, result.written
        ms = median_ms_per_form(toolkit, self.size)
        peer_ms = median_ms_per_form(peer, self.size)
        self.results["generate"] = {"ms_per_form": ms, "peer_ms_per_form": peer_ms,
                                    "ratio": ms / peer_ms}
        self.results["_generate"] = {"total_s": statistics.median(toolkit),
                                     "serial_ms_per_form": median_ms_per_form(serial, self.size),
                                     "peer_total_s": statistics.median(peer)}
        say(f"  generate  toolkit {ms:7.2f} ms/form (one process: "
            f"{self.results['_generate']['serial_ms_per_form']:.2f})  docxtpl {peer_ms:7.2f} "
            f"ms/form  ratio {ms / peer_ms:.3f}  total {statistics.median(toolkit):.2f} s  "
            f"peak {self.peaks['generate']:.0f} MB")

    def _contexts(self) -> list[dict[str, Any]]:
        """The contexts issue_forms renders, built by the same code, for the plain loop."""
        ws = self.pristine
        framework = ws.framework()
        definition = load_definition(FORM, framework=framework, forms_dir=ws.forms_dir)
        register = read_register(ws.path("register"), framework)
        base = framework_context(framework)
        due = TODAY + dt.timedelta(days=ws.due_days)  # as issue_forms sets it
        with Store(ws.path("store")) as store:
            return [form_job(ws, definition, p, due=due, store=store).full_context(base)
                    for p in register.in_scope]

    # ---- 3. reading back ------------------------------------------------------------------

    def fill(self) -> None:
        """Fill every issued form as its Business Manager would (not timed)."""
        assert self.ws is not None
        ws = self.ws
        framework = ws.framework()
        definition = load_definition(FORM, framework=framework, forms_dir=ws.forms_dir)
        register = read_register(ws.path("register"), framework)
        folder = ws.path("returns")
        started = time.perf_counter()
        for form in self.issued:
            partnership = register.get(form.partnership_id)
            assert partnership is not None
            answers = example_answers(definition, partnership, seed=0, today=TODAY)
            data = fill_form(form.path.read_bytes(), definition, answers,
                             author=partnership.bm_name)
            path = folder / f"{form.path.stem} (completed).docx"
            path.write_bytes(data)
            self.filled.append(path)
        say(f"  (filled {len(self.filled)} forms as their Business Managers would, in "
            f"{time.perf_counter() - started:.1f} s: not timed)")

    def read(self) -> None:
        assert self.ws is not None
        framework = self.ws.framework()
        forms_dir = self.ws.forms_dir
        files = self.filled

        def toolkit_read() -> list[Any]:
            return [read_form(path, framework=framework, forms_dir=forms_dir)
                    for path in files]

        def docx2python_read() -> None:
            for path in files:
                with docx2python(path) as content:
                    content.text  # noqa: B018 - extraction happens on access

        def floor_read() -> None:
            for path in files:
                with zipfile.ZipFile(path) as archive:
                    etree.fromstring(archive.read("word/document.xml"))

        toolkit: list[float] = []
        peer: list[float] = []
        floor: list[float] = []
        for _ in range(self.repeats):
            seconds, readings = self.step("read", toolkit_read)
            rejected = [r for r in readings if not r.ok]
            if rejected:
                raise SystemExit(f"{len(rejected)} filled forms read with errors, e.g. "
                                 f"{rejected[0].file}: {rejected[0].errors[0].message}")
            toolkit.append(seconds)
            if len(peer) < peer_runs(self.size, self.repeats):
                peer.append(timed(docx2python_read)[0])
            floor.append(timed(floor_read)[0])
        ms = median_ms_per_form(toolkit, self.size)
        peer_ms = median_ms_per_form(peer, self.size)
        floor_ms = median_ms_per_form(floor, self.size)
        self.results["read"] = {"ms_per_form": ms, "peer_ms_per_form": peer_ms,
                                "ratio": ms / peer_ms, "floor_ms_per_form": floor_ms}
        self.results["_read"] = {"total_s": statistics.median(toolkit)}
        say(f"  read      toolkit {ms:7.2f} ms/form  docx2python {peer_ms:7.2f} ms/form  "
            f"ratio {ms / peer_ms:.3f} ({peer_ms / ms:.0f}x faster)  floor {floor_ms:.2f} "
            f"ms/form  total {statistics.median(toolkit):.2f} s  peak {self.peaks['read']:.0f} MB")

    # ---- 4. collecting --------------------------------------------------------------------

    def collect(self) -> None:
        assert self.ws is not None
        ws = self.ws
        store = ws.path("store")
        backup = self.folder / "store-before-collect"
        shutil.copyfile(store, backup)
        returns = ws.path("returns")
        runs = []
        for run in range(self.repeats):
            if run:
                restore_store(backup, store)
            seconds, result = self.step("collect", lambda: collect(ws, [returns]))
            taken = result.count("accepted") + result.count("warnings")
            if taken != self.size:
                raise SystemExit(f"collect took in {taken} of {self.size} returns: "
                                 f"{result.summary()}")
            runs.append(seconds)
        total = statistics.median(runs)
        self.results["collect"] = {"total_s": total}
        say(f"  collect   toolkit {total * 1000 / self.size:7.2f} ms/form  total {total:.2f} s"
            f"  peak {self.peaks['collect']:.0f} MB")

    # ---- 2. sending -----------------------------------------------------------------------

    def send(self) -> None:
        """`partnerships send review` drafting every form, from the same store each run."""
        assert self.ws is not None
        ws = self.ws
        store = ws.path("store")
        backup = self.folder / "store-before-send"
        shutil.copyfile(store, backup)
        runs, peaks = [], []
        for run in range(self.repeats):
            last = run == self.repeats - 1
            seconds, peak = run_command(["send", FORM], workspace=ws.root)
            drafts = len(list(ws.path("outbox").glob("*.eml")))
            if drafts == 0:
                raise SystemExit("send wrote no drafts")
            runs.append(seconds)
            peaks.append(peak or 0.0)
            if not last:  # the next run starts from the store as it was, with no drafts
                shutil.rmtree(ws.path("outbox"))
                restore_store(backup, store)
        total = statistics.median(runs)
        self.peaks["send"] = max(peaks)
        self.results["send"] = {"total_s": total, "emails": drafts, "peak_mb": max(peaks)}
        say(f"  send      toolkit {total * 1000 / self.size:7.2f} ms/form  total {total:.2f} s"
            f"  ({drafts} drafts)  peak {max(peaks):.0f} MB (the command's own process)")

    # ---- 5. status ------------------------------------------------------------------------

    def status(self) -> None:
        """`partnerships status` as an officer runs it, on every form issued, sent, returned."""
        assert self.ws is not None
        runs, peaks = [], []
        for _ in range(max(self.repeats, 3)):
            seconds, peak = run_command(["status"], workspace=self.ws.root)
            runs.append(seconds)
            peaks.append(peak or 0.0)
        total = statistics.median(runs)
        self.peaks["status"] = max(peaks)
        self.results["status"] = {"total_s": total, "peak_mb": max(peaks)}
        say(f"  status    toolkit {total * 1000 / self.size:7.2f} ms/form  total {total:.2f} s"
            f"  peak {max(peaks):.0f} MB (the command's own process)")

    # ---- 6. the Scrutiny report -----------------------------------------------------------

    def report(self) -> None:
        assert self.ws is not None
        ws = self.ws
        from generator.papers.committee import compile_scrutiny

        runs = []
        # Three runs at every size, the median kept: one run at 1,000 partnerships took 4.6
        # to 6.6 s on the same commit, so a single run was decided by one slow moment.
        for _ in range(3):
            seconds, paper = self.step("report", lambda: compile_scrutiny(
                ws, cycle=ws.cycle, today=TODAY))
            for part in (paper.docx, paper.xlsx):
                if part is None or not Path(part).is_file():
                    raise SystemExit(f"compile_scrutiny wrote no {part}")
            runs.append(seconds)
        total = statistics.median(runs)
        self.results["report"] = {"total_s": total}
        say(f"  report    toolkit {total * 1000 / self.size:7.2f} ms/partnership  "
            f"total {total:.2f} s  peak {self.peaks['report']:.0f} MB")

    # ---- 7. memory as an officer meets it -------------------------------------------------

    def own_process_peaks(self) -> None:
        """Generate, read + validate (`partnerships read`), collect and the Scrutiny report
        once more, each as the command an officer runs, in a process of its own: the peak
        memory of the step is then its own. Measured in this process, it also counted what the
        benchmark holds (the peers' contexts, the filled forms) and the heap earlier steps left
        behind; those figures are kept as `_in_process_peaks`."""
        assert self.ws is not None
        ws = self.ws
        self.results["_in_process_peaks"] = dict(self.peaks)
        fresh = copy_workspace(self.pristine, self.folder / "generate-command")
        self.peaks["generate"] = _peak(run_command(["forms", FORM, "--quiet"],
                                                   workspace=fresh.root))
        shutil.rmtree(fresh.root)
        self.peaks["read"] = _peak(run_command(["read", "--json", *map(str, self.filled)],
                                               workspace=ws.root))
        restore_store(self.folder / "store-before-collect", ws.path("store"))
        self.peaks["collect"] = _peak(run_command(["collect", str(ws.path("returns"))],
                                                  workspace=ws.root))
        self.peaks["report"] = _peak(run_command(["report", "scrutiny"], workspace=ws.root))
        say(f"  own process: generate peak {self.peaks['generate']:.0f} MB, read "
            f"{self.peaks['read']:.0f} MB, collect {self.peaks['collect']:.0f} MB, report "
            f"{self.peaks['report']:.0f} MB")

    def close(self) -> None:
        self.rss.close()


def restore_store(backup: Path, store: Path) -> None:
    """Put the store back as `backup` holds it, with no write-ahead log of the run since."""
    for extra in (store.with_name(store.name + "-wal"), store.with_name(store.name + "-shm")):
        extra.unlink(missing_ok=True)
    shutil.copyfile(backup, store)


def _peak(run: tuple[float, float | None]) -> float:
    """The peak memory of a command `run_command` ran (sampled, so never None here)."""
    return run[1] or 0.0


def run_size(size: int, repeats: int | None = None) -> dict[str, Any]:
    """Every step at one size; the figures of the JSON shape plus a few extra (`_` keys)."""
    repeats = repeats or default_repeats(size)
    started = time.perf_counter()
    say(f"size {size}: {size} partnerships, {repeats} runs per step")
    with tempfile.TemporaryDirectory(prefix=f"partnerships-bench-{size}-") as tmp:
        run = SizeRun(size, repeats, Path(tmp))
        try:
            run.generate()
            run.send()
            run.fill()
            run.read()
            run.collect()
            run.status()
            run.report()
            run.own_process_peaks()
        finally:
            run.close()
    results = run.results
    results["peak_rss_mb"] = max(run.peaks.values())
    results["_peaks"] = run.peaks
    results["_process_peak_mb"] = process_peak_mb()
    results["_wall_s"] = time.perf_counter() - started
    results["_repeats"] = repeats
    say(f"  size {size} done in {results['_wall_s']:.0f} s; peak RSS of the toolkit steps "
        f"{results['peak_rss_mb']:.0f} MB")
    return results


if __name__ == "__main__":
    import json

    figures = run_size(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    Path(sys.argv[3] if len(sys.argv) > 3 else "size.json").write_text(
        json.dumps(figures), encoding="utf-8")
