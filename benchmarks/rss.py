"""Peak memory of the benchmarked process and its workers, sampled from outside it.

``python -m benchmarks.rss PID`` samples, every SAMPLE_SECONDS, the resident set size (RSS)
of process PID plus the unique set size (USS: the pages no other process shares) of every
process it started (the generation workers; not this sampler). Forked workers share most of
their pages with the process they were forked from, so this counts each page in memory once,
where a sum of RSS would count the shared ones again for every worker. Each ``mark`` line on
its standard input is answered with the peak in MB since the previous mark, taking one more
sample first so that even a step shorter than the interval is seen.

Sampling from a separate process keeps the benchmarked process single-threaded (so it may
fork its workers safely) and its timings free of a sampling thread.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

SAMPLE_SECONDS = 0.05


def _children(process: psutil.Process) -> list[psutil.Process]:
    """The descendants of `process`; cheaply where Linux lists a process's children."""
    listing = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    try:
        pids = [int(pid) for pid in listing.read_text(encoding="ascii").split()]
    except (OSError, ValueError):
        return process.children(recursive=True)  # scans every process: slower
    found = []
    for pid in pids:
        try:
            child = psutil.Process(pid)
        except psutil.Error:
            continue
        found.append(child)
        found.extend(_children(child))
    return found


def tree_rss(process: psutil.Process, exclude: int) -> int:
    """Bytes in memory for `process` (its RSS) and its descendants (their USS), leaving out
    the process `exclude`."""
    try:
        total = process.memory_info().rss
        children = _children(process)
    except psutil.Error:
        return 0
    for child in children:
        if child.pid == exclude:
            continue
        try:
            total += child.memory_full_info().uss
        except psutil.Error:
            continue  # a worker that just exited
    return total


def sample(pid: int) -> None:
    process = psutil.Process(pid)
    me = os.getpid()
    lock = threading.Lock()
    peak = 0

    def measure() -> None:
        nonlocal peak
        value = tree_rss(process, me)
        with lock:
            peak = max(peak, value)

    def answer() -> None:
        nonlocal peak
        for line in sys.stdin:
            if line.strip() != "mark":
                continue
            measure()
            with lock:
                value, peak = peak, 0
            print(f"{value / 2**20:.1f}", flush=True)
        os._exit(0)  # the benchmark closed our input: it is done

    threading.Thread(target=answer, daemon=True).start()
    while process.is_running():
        measure()
        time.sleep(SAMPLE_SECONDS)


class PeakSampler:
    """Runs the sampler on this process; `mark()` is the peak in MB since the last mark."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.rss", str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def mark(self) -> float:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("mark\n")
        self._process.stdin.flush()
        return float(self._process.stdout.readline())

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=10)


def process_peak_mb() -> float | None:
    """The kernel's high-water mark of this process's own RSS (workers not included)."""
    try:
        import resource
    except ImportError:  # Windows
        info = psutil.Process().memory_info()
        peak = getattr(info, "peak_wset", None)
        return peak / 2**20 if peak else None
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return value / 2**20 if sys.platform == "darwin" else value / 1024


if __name__ == "__main__":
    sample(int(sys.argv[1]))
