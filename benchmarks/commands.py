"""The toolkit's command line run as an officer runs it: a process of its own, timed and
its peak memory sampled.

``run_command(args)`` starts ``python -m generator ARGS`` and samples the resident set size
of that process (and the unshared memory of any it starts, as `benchmarks.rss` does) every
20 ms until it ends; the wall time includes the interpreter's start-up and the imports, as an
officer waits for them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from benchmarks.rss import tree_rss

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.02


def command_env() -> dict[str, str]:
    """This checkout's toolkit, whatever is installed."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def run_command(args: list[str], *, workspace: Path | None = None,
                sample: bool = True) -> tuple[float, float | None]:
    """Run one command to its end; its wall time in seconds and peak RSS in MB.

    With `sample=False` memory is not sampled (None), so that the sampling takes no time from
    a command of a few tens of milliseconds. Raises RuntimeError if it fails. Its output is
    thrown away.
    """
    command = [sys.executable, "-m", "generator"]
    if workspace is not None:
        command += ["--workspace", str(workspace)]
    started = time.perf_counter()
    process = subprocess.Popen([*command, *args], env=command_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    peak: int | None = None
    if sample:
        watched = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_rss(watched, exclude=os.getpid()))
            time.sleep(SAMPLE_SECONDS)
    assert process.stderr is not None
    errors = process.stderr.read().decode("utf-8", "replace")
    process.wait()
    seconds = time.perf_counter() - started
    process.stderr.close()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}): {errors[-2000:]}")
    return seconds, None if peak is None else peak / 2**20
