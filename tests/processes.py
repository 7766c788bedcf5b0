"""Running the real `partnerships` command in processes of its own, as officers do.

Racy behaviour (two commands at once, a command killed half-way) is tested with real
processes: these helpers start the command from this checkout, and find and watch the
processes it starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def command(workspace: Path, *args: str, share: Path | None = None) -> list[str]:
    """The command line running `partnerships --workspace WS ARGS` from this checkout; with
    `share`, on a computer that sees that folder as an SMB share (tests/shares.py)."""
    program = [sys.executable, str(REPO / "tests" / "shares.py"), str(share)] if share else [
        sys.executable, "-m", "generator"]
    return [*program, "--workspace", str(workspace), *args]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def start(workspace: Path, *args: str, share: Path | None = None) -> subprocess.Popen[str]:
    """Start the command; its output is captured as text."""
    return subprocess.Popen(command(workspace, *args, share=share), cwd=REPO, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")


def run(workspace: Path, *args: str, timeout: float = 120,
        share: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command to its end."""
    return subprocess.run(command(workspace, *args, share=share), cwd=REPO, env=environment(),
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name in brackets may hold spaces; the parent id follows it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether a process is still running (a zombie waiting to be reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cpu_time(pid: int) -> int | None:
    """The processor time a process has used so far, in clock ticks (Linux: from /proc), or
    None when it has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # user and system time


def all_idle(pids: list[int], seconds: float) -> bool:
    """Whether none of the processes used the processor for `seconds`: each is waiting (for
    a lock, a server) rather than starting up or working. False when one has ended."""
    before = [cpu_time(pid) for pid in pids]
    time.sleep(seconds)
    after = [cpu_time(pid) for pid in pids]
    return None not in before and before == after


def wait_until(condition, timeout: float, interval: float = 0.01) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())
