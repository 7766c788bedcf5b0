"""``python -m benchmarks [--sizes 10,100,1000,5000] [--json FILE] [--markdown FILE]``

Runs each size in a fresh process (`benchmarks.run`), then the short commands on the example
workspace (`benchmarks.startup`) and the large returns (`benchmarks.large_return`); prints each
step as it finishes, a table at the end and each step's growth from 1,000 to 5,000 forms, and
writes the figures as JSON (the shape of issue 7, with issue 12's additions) and as Markdown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.forms.issue import PARALLEL_MIN_FORMS

LIBRARIES = ("partnership-toolkit", "docxtpl", "python-docx", "jinja2", "lxml", "openpyxl",
             "matplotlib", "docx2python", "psutil")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    import psutil  # type: ignore[import-untyped]

    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "libraries": versions,
        "load_average_at_start": round(load, 2) if load is not None else None,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "peak_rss": "sampled every 20 to 50 ms from a separate process: each step as the "
                    "command an officer runs (`partnerships forms`, `read --json`, `collect`, "
                    "`send`, `status`, `report scrutiny`), once more in a process of its own, "
                    "with the processes it starts",
    }


def run_sizes(sizes: list[int], repeats: int | None) -> dict[str, dict[str, Any]]:
    """Each size in a process of its own; its figures keyed by size."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="partnerships-bench-") as tmp:
        for size in sizes:
            out = Path(tmp) / f"{size}.json"
            command = [sys.executable, "-m", "benchmarks.run", str(size), str(repeats or 0),
                       str(out)]
            subprocess.run(command, check=True)
            results[str(size)] = json.loads(out.read_text(encoding="utf-8"))
    return results


def run_startup(runs: int = 20) -> dict[str, Any]:
    """The short commands on the example workspace, in a process of its own."""
    with tempfile.TemporaryDirectory(prefix="partnerships-bench-") as tmp:
        out = Path(tmp) / "startup.json"
        subprocess.run([sys.executable, "-m", "benchmarks.startup", str(out), str(runs)],
                       check=True)
        figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return figures


def startup_table(figures: dict[str, Any]) -> str:
    lines = ["| command (example workspace, 10 partnerships) | median | fastest | slowest | runs |",
             "|---|---:|---:|---:|---:|"]
    for name, f in figures.items():
        shown = "history P001" if name == "history" else name
        lines.append(f"| `partnerships {shown}` | {f['median_ms']:.0f} ms | {f['min_ms']:.0f} ms "
                     f"| {f['max_ms']:.0f} ms | {f['runs']} |")
    return "\n".join(lines)


#: Each step's total time at a size, for the growth from 1,000 to 5,000 forms.
STEPS = {
    "generate": lambda f: f["_generate"]["total_s"],
    "read + validate": lambda f: f["_read"]["total_s"],
    "collect": lambda f: f["collect"]["total_s"],
    "send": lambda f: f["send"]["total_s"],
    "status": lambda f: f["status"]["total_s"],
    "Scrutiny report + annex": lambda f: f["report"]["total_s"],
}
GROWTH_FROM, GROWTH_TO = "1000", "5000"


def growth(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """For every step, its total time at 1,000 and 5,000 forms and the factor between them."""
    if GROWTH_FROM not in results or GROWTH_TO not in results:
        return {}
    found = {}
    for step, total in STEPS.items():
        small, large = total(results[GROWTH_FROM]), total(results[GROWTH_TO])
        if small and large:
            found[step] = {"from_s": small, "to_s": large, "factor": large / small}
    return found


def growth_table(factors: dict[str, dict[str, float]]) -> str:
    lines = ["| step | 1,000 forms | 5,000 forms | growth (linear is 5) |",
             "|---|---:|---:|---:|"]
    for step, g in factors.items():
        lines.append(f"| {step} | {g['from_s']:.2f} s | {g['to_s']:.2f} s | "
                     f"{g['factor']:.1f} × |")
    return "\n".join(lines)


LARGE_RETURNS = ((50, "pictures"), (50, "text"), (76, "pictures"), (76, "text"))


def run_large_returns() -> list[dict[str, Any]]:
    """Each large return built and taken in by processes of their own (benchmarks.large_return)."""
    figures = []
    with tempfile.TemporaryDirectory(prefix="partnerships-bench-") as tmp:
        for megabytes, shape in LARGE_RETURNS:
            out = Path(tmp) / f"{megabytes}-{shape}.json"
            subprocess.run([sys.executable, "-m", "benchmarks.large_return", str(megabytes),
                            shape, str(out)], check=True)
            found = json.loads(out.read_text(encoding="utf-8"))
            found.pop("reasons", None)
            print(f"large return {megabytes} MB ({shape}): {found['seconds']} s, peak "
                  f"{found['peak_mb']} MB", flush=True)
            figures.append(found)
    return figures


def large_table(figures: list[dict[str, Any]]) -> str:
    lines = ["| return | carried as | outcome | time | process before reading | peak RSS |",
             "|---:|---|---|---:|---:|---:|"]
    for f in figures:
        lines.append(f"| {f['file_mb']:.0f} MB | {f['shape']} | {f['outcome']} | "
                     f"{f['seconds']:.2f} s | {f['baseline_mb']:.0f} MB | {f['peak_mb']:.0f} MB |")
    return "\n".join(lines)


def public(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures of one size in exactly the shape of issue 7, rounded."""
    def rounded(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rounded(item) for key, item in value.items()}
        return round(value, 4) if isinstance(value, float) else value

    return {key: rounded(value) for key, value in figures.items() if not key.startswith("_")}


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def table(results: dict[str, dict[str, Any]]) -> str:
    """The figures as a Markdown table, one row per size and step."""
    lines = [
        "| forms | step | toolkit ms/form | peer | peer ms/form | toolkit ÷ peer | "
        "floor ms/form | toolkit total | peak RSS |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size, figures in results.items():
        count = int(size)
        gen, read = figures["generate"], figures["read"]
        extra_gen, extra_read = figures["_generate"], figures["_read"]
        peaks = figures["_peaks"]
        lines.append(
            f"| {count:,} | generate | {_ms(gen['ms_per_form'])} "
            f"(1 process: {_ms(extra_gen['serial_ms_per_form'])}) | docxtpl | "
            f"{_ms(gen['peer_ms_per_form'])} | {gen['ratio']:.3f} | | "
            f"{_s(extra_gen['total_s'])} | {peaks['generate']:.0f} MB |")
        lines.append(
            f"| {count:,} | read + validate | {_ms(read['ms_per_form'])} | docx2python | "
            f"{_ms(read['peer_ms_per_form'])} | {read['ratio']:.3f} | "
            f"{_ms(read['floor_ms_per_form'])} | {_s(extra_read['total_s'])} | "
            f"{peaks['read']:.0f} MB |")
        collect = figures["collect"]["total_s"]
        lines.append(
            f"| {count:,} | collect | {_ms(collect * 1000 / count)} | | | | | "
            f"{_s(collect)} | {peaks['collect']:.0f} MB |")
        for step, label in (("send", "send (drafts)"), ("status", "status")):
            if step in figures:
                total = figures[step]["total_s"]
                lines.append(f"| {count:,} | {label} | {_ms(total * 1000 / count)} | | | | | "
                             f"{_s(total)} | {peaks[step]:.0f} MB |")
        report = figures["report"]["total_s"]
        report_ms = None if report is None else report * 1000 / count
        peak = f"{peaks['report']:.0f} MB" if "report" in peaks else "n/a"
        lines.append(f"| {count:,} | Scrutiny report + annex | {_ms(report_ms)} | | | | | "
                     f"{_s(report)} | {peak} |")
    return "\n".join(lines)


def machine_line(info: dict[str, Any]) -> str:
    libraries = ", ".join(f"{name} {version}" for name, version in info["libraries"].items()
                          if version)
    return (f"{info['cpu_count']} × {info['cpu_model']}, {info['memory_gb']} GB, "
            f"{info['platform']}, Python {info['python']}; {libraries}")


def verdicts(results: dict[str, dict[str, Any]], startup: dict[str, Any] | None = None,
             large: list[dict[str, Any]] | None = None) -> list[str]:
    """Each target of issues 7 and 12 against the figures of this run."""
    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    lines = []
    gens = {size: f["generate"]["ratio"] for size, f in results.items()}
    worst = max(gens, key=lambda size: gens[size])
    lines.append(f"Generate ≤ 0.3 × docxtpl per form: {mark(gens[worst] <= 0.3)} (at most "
                 f"{gens[worst]:.3f}, at {int(worst):,} forms).")
    parallel = [(size, f["generate"]["ms_per_form"], f["_generate"]["serial_ms_per_form"])
                for size, f in results.items()
                if f["generate"]["ms_per_form"] < f["_generate"]["serial_ms_per_form"]]
    if not parallel and any(int(size) >= PARALLEL_MIN_FORMS for size in results):
        lines.append(f"A batch uses both cores: **not met** (from {PARALLEL_MIN_FORMS} forms, "
                     "workers were no faster than one process in this run).")
    if parallel:
        size, ms, serial = parallel[-1]
        lines.append(f"A batch uses both cores: from {PARALLEL_MIN_FORMS} forms (at "
                     f"{int(size):,}: {ms:.2f} ms per form against {serial:.2f} in one "
                     "process).")
    reads = {size: f["read"] for size, f in results.items()}
    slowest = max(reads, key=lambda size: reads[size]["ms_per_form"])
    least = min(reads, key=lambda size: reads[size]["peer_ms_per_form"]
                / reads[size]["ms_per_form"])
    times = reads[least]["peer_ms_per_form"] / reads[least]["ms_per_form"]
    lines.append(f"Read + validate ≤ 5 ms per form: "
                 f"{mark(reads[slowest]['ms_per_form'] <= 5)} (at most "
                 f"{reads[slowest]['ms_per_form']:.2f} ms); ≥ 10 × faster than docx2python: "
                 f"{mark(times >= 10)} (at least {times:.0f} ×).")
    floor = max(reads, key=lambda size: reads[size]["ms_per_form"]
                / reads[size]["floor_ms_per_form"])
    over = reads[floor]["ms_per_form"] / reads[floor]["floor_ms_per_form"]
    lines.append(f"Read + validate within 3 × the unzip-and-parse floor: {mark(over <= 3)} "
                 f"(at most {over:.1f} ×, at {int(floor):,} forms).")
    collects = {size: f["collect"]["total_s"] / f["_read"]["total_s"]
                for size, f in results.items()}
    most = max(collects, key=lambda size: collects[size])
    lines.append(f"Collect within 2 × read + validate: {mark(collects[most] <= 2)} (at most "
                 f"{collects[most]:.1f} ×, at {int(most):,} forms).")
    if "1000" in results:
        collect = results["1000"]["collect"]["total_s"]
        lines.append(f"Collect 1,000 returns < 15 s: {mark(collect < 15)} ({collect:.1f} s).")
    for size, limit in (("1000", 5), ("5000", 25)):
        if size in results and results[size]["report"]["total_s"] is not None:
            report = results[size]["report"]["total_s"]
            lines.append(f"Scrutiny report and annex for {int(size):,} partnerships < {limit} s: "
                         f"{mark(report < limit)} ({report:.1f} s).")
    factors = growth(results)
    if factors:
        steepest = max(factors, key=lambda step: factors[step]["factor"])
        factor = factors[steepest]["factor"]
        lines.append(f"Every step's growth from 1,000 to 5,000 forms ≤ 6 ×: {mark(factor <= 6)} "
                     f"(at most {factor:.1f} ×, {steepest}).")
    if "5000" in results and "status" in results["5000"]:
        status = results["5000"]["status"]["total_s"]
        lines.append(f"`status` at 5,000 forms < 1 s: {mark(status < 1)} ({status:.2f} s, "
                     "start-up included).")
    if startup:
        slow = max(startup["status"]["median_ms"], startup["history"]["median_ms"])
        helped = startup["--help"]["median_ms"]
        lines.append(f"On the example workspace `status` and `history` < 200 ms: "
                     f"{mark(slow < 200)} (at most {slow:.0f} ms); `--help` < 100 ms: "
                     f"{mark(helped < 100)} ({helped:.0f} ms); medians of "
                     f"{startup['status']['runs']}.")
    peak = max(f["peak_rss_mb"] for f in results.values())
    lines.append(f"Peak memory < 400 MB at every size for every step: {mark(peak < 400)} (at "
                 f"most {peak:.0f} MB).")
    sends = {size: f["send"]["peak_mb"] for size, f in results.items() if "send" in f}
    if len(sends) > 1:
        lines.append("`send` peak memory independent of the number of forms: "
                     + ", ".join(f"{value:.0f} MB at {int(size):,}"
                                 for size, value in sends.items()) + ".")
    fifty = [f for f in large or [] if round(f["file_mb"]) == 50]
    if fifty:
        worst_large = max(f["peak_mb"] for f in fifty)
        lines.append(f"A 50 MB return read within 400 MB: {mark(worst_large < 400)} (at most "
                     f"{worst_large:.0f} MB).")
    return lines


HOW_TO_READ = [
    "**ms/form** is the median over repeated runs ({repeats}) of one run's wall time divided by "
    "the number of forms; **toolkit total** is the median run's wall time. The toolkit and its "
    "peer run alternately, in the same process.",
    "**generate**: `issue_forms` for the annual review form, the whole command (register read, "
    "template compiled, forms rendered, written and recorded in the store), using both cores "
    "from {parallel} forms up; *1 process* is the same with `workers=1`. Peer: a plain docxtpl "
    "loop (`DocxTemplate(template).render(context, Environment(autoescape=True))` then `.save()`) "
    "over the same template and the same contexts. **toolkit ÷ peer**: lower is better.",
    "**read + validate**: `read_form` on every filled form (opened safely, answers read and "
    "validated). Peer: docx2python extracting the same files. Floor: `zipfile` + `lxml` parse "
    "of `word/document.xml` alone.",
    "**collect**: `collect` taking every filled form into a copy of the store (SQLite writes of "
    "each original file and its answers included).",
    "**send (drafts)**: `partnerships send review` writing every form into the outbox as "
    "drafts, one email per Business Manager, as a command of its own (start-up included); its "
    "peak is that process's own memory.",
    "**status**: `partnerships status` as an officer runs it (a process of its own, start-up "
    "included) with every form issued, drafted and returned; its peak is that process's own.",
    "**Scrutiny report + annex**: `compile_scrutiny`, the paper with its charts and the Excel "
    "annex, for every partnership (ms per partnership); the median of three runs at every "
    "size.",
    "**growth**: a step's total time at 5,000 forms divided by its time at 1,000; a step whose "
    "cost grows linearly is about 5. From 5,000 forms the peers run once.",
    "**peak RSS**: {peak_rss}; each size runs in a process of its own.",
]


def markdown(document: dict[str, Any], results: dict[str, dict[str, Any]], wall: float,
             command: str) -> str:
    info = document["machine"]
    sizes = ", ".join(f"{int(size):,}" for size in results)
    repeats = ", ".join(f"{figures['_repeats']} at {int(size):,} forms"
                        for size, figures in results.items())
    targets = "\n".join(f"- {line}" for line in verdicts(
        results, document.get("startup"), document.get("large_returns")))
    factors = growth(results)
    notes = "\n".join("- " + line.format(repeats=repeats, peak_rss=info["peak_rss"],
                                         parallel=PARALLEL_MIN_FORMS)
                      for line in HOW_TO_READ)
    return (
        f"# Benchmark results\n\n"
        f"From one run of `{command}` on {info['date'][:10]} ({wall / 60:.1f} minutes; sizes "
        f"{sizes}; load average {info['load_average_at_start']} at the start).\n\n"
        f"Machine: {machine_line(info)}.\n\n"
        f"{table(results)}\n\n"
        + (f"Growth from 1,000 to 5,000 forms:\n\n{growth_table(factors)}\n\n"
           if factors else "")
        + (f"Short commands:\n\n{startup_table(document['startup'])}\n\n"
           if document.get("startup") else "")
        + (f"Large returns, each taken in by a fresh process:\n\n"
           f"{large_table(document['large_returns'])}\n\n" if document["large_returns"] else "")
        + f"Against the targets of issues 7 and 12:\n\n{targets}\n\n"
        f"How to read it:\n\n{notes}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000,5000",
                        help="numbers of partnerships, comma-separated (default "
                             "10,100,1000,5000)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write the figures as JSON to FILE")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the table as Markdown to FILE")
    parser.add_argument("--no-large", action="store_true",
                        help="leave out the large returns (50 and 76 MB)")
    parser.add_argument("--no-startup", action="store_true",
                        help="leave out the short commands on the example workspace")
    parser.add_argument("--repeats", type=int, metavar="N",
                        help="runs per step (default: 15 at 10 forms, 5 at 100, 3 at 1,000)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    except ValueError:
        parser.error("--sizes takes whole numbers separated by commas, e.g. 10,100,1000")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes takes whole numbers of 1 or more")
    info = machine()
    print(f"Machine: {machine_line(info)}", flush=True)
    started = time.perf_counter()
    results = run_sizes(sizes, args.repeats)
    startup = None if args.no_startup else run_startup()
    large = [] if args.no_large else run_large_returns()
    wall = time.perf_counter() - started
    factors = growth(results)
    document = {"machine": info, "sizes": {size: public(f) for size, f in results.items()},
                "growth": factors, "startup": startup, "large_returns": large}
    print()
    print(table(results))
    if factors:
        print()
        print(growth_table(factors))
    if startup:
        print()
        print(startup_table(startup))
    if large:
        print()
        print(large_table(large))
    print()
    for line in verdicts(results, startup, large):
        print(f"- {line}")
    print(f"\nTotal wall time {wall:.0f} s.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"Wrote {args.json}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
        args.markdown.write_text(markdown(document, results, wall, command), encoding="utf-8")
        print(f"Wrote {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
