"""How long the short commands take on the 10-partnership example workspace.

``python -m benchmarks.startup OUT.json [RUNS]`` makes the example workspace with the whole demo
cycle (`partnerships demo`), then times ``--help``, ``status`` and ``history P001`` as an
officer runs them (a process each, `benchmarks.commands.run_command`), RUNS times each (20
unless given), alternating, and keeps the median.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.commands import run_command
from generator.demo import run_demo

COMMANDS = {"--help": ["--help"], "status": ["status"], "history": ["history", "P001"]}


def measure(runs: int = 20) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory(prefix="partnerships-bench-startup-") as tmp:
        demo = run_demo(Path(tmp) / "example", today=dt.date(2026, 11, 25))
        seconds: dict[str, list[float]] = {name: [] for name in COMMANDS}
        run_command(["status"], workspace=demo.workspace)  # warm the disk cache once
        for _ in range(runs):
            for name, args in COMMANDS.items():
                seconds[name].append(run_command(args, workspace=demo.workspace,
                                                 sample=False)[0])
    return {name: {"median_ms": statistics.median(values) * 1000,
                   "min_ms": min(values) * 1000, "max_ms": max(values) * 1000,
                   "runs": len(values)}
            for name, values in seconds.items()}


if __name__ == "__main__":
    figures = measure(int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    for name, f in figures.items():
        print(f"start-up  {name:<8} median {f['median_ms']:.0f} ms (min {f['min_ms']:.0f}, "
              f"max {f['max_ms']:.0f}) over {f['runs']} runs", flush=True)
    Path(sys.argv[1]).write_text(json.dumps(figures), encoding="utf-8")
