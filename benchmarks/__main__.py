"""``python -m benchmarks [--sizes 10,100,1000] [--json FILE] [--markdown FILE]``

Runs each size in a fresh process (`benchmarks.run`), prints each step as it finishes and a
table at the end, and writes the figures as JSON (the shape of issue 7) and as Markdown.
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
        "peak_rss": "sampled every 50 ms from a separate process, during the toolkit's own "
                    "steps: RSS of the benchmark process plus the USS (pages not shared) of "
                    "its worker processes",
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


def verdicts(results: dict[str, dict[str, Any]]) -> list[str]:
    """Each target of issue 7 against the figures of this run."""
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
    if "1000" in results:
        collect = results["1000"]["collect"]["total_s"]
        lines.append(f"Collect 1,000 returns < 15 s: {mark(collect < 15)} ({collect:.1f} s).")
        report = results["1000"]["report"]["total_s"]
        if report is None:
            lines.append("Scrutiny report for 1,000 partnerships < 30 s: not measured "
                         "(the report was not available).")
        else:
            lines.append(f"Scrutiny report for 1,000 partnerships < 30 s: "
                         f"{mark(report < 30)} ({report:.1f} s).")
    peak = max(f["peak_rss_mb"] for f in results.values())
    lines.append(f"Peak memory < 400 MB at every size: {mark(peak < 400)} (at most "
                 f"{peak:.0f} MB).")
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
    "**Scrutiny report + annex**: `compile_scrutiny`, the paper with its charts and the Excel "
    "annex, for every partnership (ms per partnership).",
    "**peak RSS**: {peak_rss}; each size runs in a process of its own.",
]


def markdown(document: dict[str, Any], results: dict[str, dict[str, Any]], wall: float,
             command: str) -> str:
    info = document["machine"]
    sizes = ", ".join(f"{int(size):,}" for size in results)
    repeats = ", ".join(f"{figures['_repeats']} at {int(size):,} forms"
                        for size, figures in results.items())
    targets = "\n".join(f"- {line}" for line in verdicts(results))
    notes = "\n".join("- " + line.format(repeats=repeats, peak_rss=info["peak_rss"],
                                         parallel=PARALLEL_MIN_FORMS)
                      for line in HOW_TO_READ)
    return (
        f"# Benchmark results\n\n"
        f"From one run of `{command}` on {info['date'][:10]} ({wall / 60:.1f} minutes; sizes "
        f"{sizes}; load average {info['load_average_at_start']} at the start).\n\n"
        f"Machine: {machine_line(info)}.\n\n"
        f"{table(results)}\n\n"
        + (f"Large returns, each taken in by a fresh process:\n\n"
           f"{large_table(document['large_returns'])}\n\n" if document["large_returns"] else "")
        + f"Against the targets of issue 7:\n\n{targets}\n\n"
        f"How to read it:\n\n{notes}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000",
                        help="numbers of partnerships, comma-separated (default 10,100,1000)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="also write the figures as JSON to FILE")
    parser.add_argument("--markdown", type=Path, metavar="FILE",
                        help="also write the table as Markdown to FILE")
    parser.add_argument("--no-large", action="store_true",
                        help="leave out the large returns (50 and 76 MB)")
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
    large = [] if args.no_large else run_large_returns()
    wall = time.perf_counter() - started
    document = {"machine": info, "sizes": {size: public(f) for size, f in results.items()},
                "large_returns": large}
    print()
    print(table(results))
    if large:
        print()
        print(large_table(large))
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
