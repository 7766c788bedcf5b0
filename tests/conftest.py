"""Shared fixtures: a fresh workspace from the example register, forms issued from it,
LibreOffice to fill them in, and a real IMAP server (Dovecot) to take them from."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

# Compiled modules are kept (in __pycache__, which git ignores) even where the shell sets
# PYTHONDONTWRITEBYTECODE: the suite starts the toolkit in dozens of processes of its own,
# and without them each one compiled every module it imports from source again (0.9 s a
# process where 0.3 s does). Set before the toolkit is first imported, below; the test
# workers and every process they start inherit the environment.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# numpy (which matplotlib imports, and openpyxl where a test imports it directly) starts an
# OpenBLAS thread for every core as it is imported, some 120 ms of processor time a process
# on this 2-core machine, and the toolkit does no linear algebra: one thread is enough, in
# the workers and every command.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _use_memory_for_temporary_files(folder: Path = Path("/dev/shm"),
                                    room: int = 1 << 30) -> None:
    """Temporary files in memory where Linux keeps a tmpfs with room to spare, unless the shell
    chose a temporary folder (TMPDIR).

    The suite writes thousands of small files, and the toolkit flushes each to the disk
    (fsync), as it must for an officer: on this machine's disk that cost some 5 s of system
    time a run, on a tmpfs nothing. Every test folder (tmp_path), and every command,
    LibreOffice and Dovecot the tests start, use the folder, through TMPDIR. A run holds at
    most some 75 MB there at once, and leaves some 36 MB (the folders of its session: the
    demo's, LibreOffice's profile), which the next run removes. With less than 1 GB free
    (Docker gives /dev/shm 64 MB by default) the disk is used as before.
    """
    if not sys.platform.startswith("linux") or os.environ.get("TMPDIR"):
        return
    try:
        stats = os.statvfs(folder)
    except OSError:
        return
    if stats.f_bavail * stats.f_frsize >= room and os.access(folder, os.W_OK | os.X_OK):
        os.environ["TMPDIR"] = str(folder)
        tempfile.tempdir = None  # worked out again, from TMPDIR, when next asked for


_use_memory_for_temporary_files()

from generator.demo import DemoResult, run_demo
from generator.forms.issue import IssuedForm, issue_forms
from generator.framework import Framework, load_framework
from generator.workspace import Workspace, init_workspace

from editors.libreoffice import EditorUnavailable, LibreOfficeEditor
from imap_support import Dovecot, DovecotUnavailable, Mailbox
from smtp_support import only_loopback

TODAY = dt.date(2026, 11, 25)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): one test worker more than this machine has cores.

    Many tests wait: for a command they started to reach its lock, for LibreOffice to open a
    form, for Dovecot or a mail server. With a worker a core, the core of a waiting worker
    idles; the extra worker uses it. On a 2-core machine, in the same hour, three workers took
    68.9 to 73.9 s a run (five runs) and two workers 74.3 to 78.5 s (six runs).
    PYTEST_XDIST_AUTO_NUM_WORKERS still sets the number (xdist's own hook reads it).
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    try:
        cores = len(os.sched_getaffinity(0))  # the cores this process may use (Linux)
    except AttributeError:  # Windows and macOS
        cores = os.cpu_count() or 1
    return cores + 1


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Hypothesis's Unicode tables are built once, by the process that runs the test workers,
    while they start and collect the tests.

    Hypothesis builds the tables its text strategies draw characters from on first use (1.5 s
    of processor time) and keeps them in .hypothesis/. From a fresh clone, each worker that ran
    a property test built them; built here, the workers read them in 30 ms. (Hypothesis warns
    of such work while pytest is still starting up: a session has started here.)
    """
    config = session.config
    if hasattr(config, "workerinput") or not config.getoption("numprocesses", None):
        return  # a worker, or no workers
    import warnings

    from hypothesis import strategies as st
    from hypothesis.errors import NonInteractiveExampleWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonInteractiveExampleWarning)
        st.characters(codec="utf-8", exclude_categories=("Cs",)).example()


@pytest.fixture(autouse=True)
def _only_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test, whatever the code under test does, reaches anything but this machine."""
    only_loopback(monkeypatch)


@pytest.fixture
def framework() -> Framework:
    return load_framework()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws", today=TODAY)


@pytest.fixture
def explore_forms(workspace: Workspace) -> list[IssuedForm]:
    return issue_forms(workspace, "explore", today=TODAY).written


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DemoResult:
    """The README's first command, run once for the whole run: tests read what it wrote (and
    may add files of their own beside it, never change its files).

    The first test worker to need it runs it; the others wait for it and read what it wrote
    from demo.json (as pytest-xdist's documentation does it). The demo takes some 4 s.
    """
    if worker_id == "master":  # not under xdist (`-n 0`)
        return run_demo(tmp_path_factory.mktemp("demo") / "demo", today=TODAY)
    shared = tmp_path_factory.getbasetemp().parent  # the same folder for every worker
    record = shared / "demo.json"
    with FileLock(shared / "demo.lock"):
        if not record.exists():
            result = run_demo(shared / "demo", today=TODAY)
            record.write_text(json.dumps(dataclasses.asdict(result), default=str),
                              encoding="utf-8")
    return _demo_result(json.loads(record.read_text(encoding="utf-8")))


def _demo_result(data: dict[str, Any]) -> DemoResult:
    assert set(data) == {f.name for f in dataclasses.fields(DemoResult)}, "read every field"
    return DemoResult(
        workspace=Path(data["workspace"]),
        issued=[Path(p) for p in data["issued"]], returns=[Path(p) for p in data["returns"]],
        summary=[Path(p) for p in data["summary"]], drafts=[Path(p) for p in data["drafts"]],
        problems=list(data["problems"]),
        outputs={label: Path(p) for label, p in data["outputs"].items()})


@pytest.fixture(scope="session")
def libreoffice_editor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOfficeEditor]:
    """One headless LibreOffice for the whole session, in which tests fill forms in.

    Only for tests marked `libreoffice`. Skipped where it cannot run, unless CI says it must.
    """
    from generator.office.libreoffice import find_soffice

    soffice = find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    try:
        editor = LibreOfficeEditor.start(soffice, tmp_path_factory.mktemp("libreoffice"))
    except EditorUnavailable as exc:
        if os.environ.get("PARTNERSHIPS_REQUIRE_LIBREOFFICE"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield editor
    editor.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot on 127.0.0.1 for the whole session (see imap_support).

    Skipped where it is not installed or cannot start, unless CI says it must run.
    """
    try:
        server = Dovecot.start()
    except DovecotUnavailable as exc:
        if os.environ.get("PARTNERSHIPS_REQUIRE_DOVECOT"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    """An empty mailbox of its own on the session's Dovecot."""
    return dovecot.new_mailbox()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """LibreOffice tests skip where it is missing, unless CI says it must be there."""
    from generator.office.libreoffice import find_soffice

    if find_soffice() is not None:
        return
    if os.environ.get("PARTNERSHIPS_REQUIRE_LIBREOFFICE"):
        return  # let them run and fail loudly
    skip = pytest.mark.skip(reason="LibreOffice is not installed")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)
