"""The store keeps original files apart from the rows it scans, and indexes serve its reads."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from generator.errors import StoreError
from generator.returns.tracker import status_rows
from generator.store import MIGRATIONS, Store

SAMPLES = Path(__file__).parent / "samples"
TODAY = dt.date(2026, 11, 25)


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.fixture
def v3_store(tmp_path: Path) -> Path:
    """A store written by the toolkit before the files moved apart (schema 3): explore forms
    issued and drafted, three returns taken in and one of them superseded by a fourth."""
    path = tmp_path / "store.sqlite"
    shutil.copyfile(SAMPLES / "store-v3.sqlite", path)
    return path


_RETURN_COLUMNS = ("id, issue_id, partnership_id, form_type, version, cycle, period, file_name, "
                   "sha256, received_at, sender, doc_modified, answers, problems, outcome, "
                   "superseded_by")


def test_a_store_written_before_loses_nothing_when_its_files_move_apart(v3_store: Path) -> None:
    assert _rows(v3_store, "PRAGMA user_version") == [(3,)]
    returns_before = _rows(v3_store, f"SELECT {_RETURN_COLUMNS} FROM returns ORDER BY id")
    files_before = dict(_rows(v3_store, "SELECT id, original FROM returns"))
    others_before = {table: _rows(v3_store, f"SELECT * FROM {table} ORDER BY rowid")
                     for table in ("issued", "sends", "send_issues")}

    with Store(v3_store) as store:
        kept = {r.id: store.original(r.id) for r in store.all_returns()}

    assert _rows(v3_store, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert _rows(v3_store, f"SELECT {_RETURN_COLUMNS} FROM returns ORDER BY id") \
        == returns_before
    assert kept == files_before and len(kept) == 4
    assert {table: _rows(v3_store, f"SELECT * FROM {table} ORDER BY rowid")
            for table in others_before} == others_before


def test_every_kept_file_still_matches_its_sha256_after_the_move(v3_store: Path) -> None:
    with Store(v3_store) as store:
        for ret in store.all_returns():
            assert hashlib.sha256(store.original(ret.id)).hexdigest() == ret.sha256


def test_the_returns_rows_no_longer_carry_the_files(v3_store: Path) -> None:
    Store(v3_store).close()

    columns = [row[1] for row in _rows(v3_store, "PRAGMA table_info(returns)")]

    assert "original" not in columns
    assert _rows(v3_store, "SELECT COUNT(*) FROM originals") == [(4,)]


def test_the_space_the_files_left_is_given_back(v3_store: Path) -> None:
    Store(v3_store).close()

    assert _rows(v3_store, "PRAGMA freelist_count") == [(0,)]


def test_a_store_another_program_is_reading_is_still_upgraded(v3_store: Path) -> None:
    reader = sqlite3.connect(v3_store, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM returns").fetchone()
    try:
        with Store(v3_store) as store:
            files = [store.original(r.id) for r in store.all_returns()]
    finally:
        reader.close()

    assert len(files) == 4


def test_a_store_a_newer_toolkit_wrote_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()

    with pytest.raises(StoreError, match="written by a newer version of the toolkit"):
        Store(path)

    assert _rows(path, "PRAGMA user_version") == [(len(MIGRATIONS) + 1,)]


def test_a_return_taken_in_now_keeps_its_file_apart(tmp_path: Path) -> None:
    with Store(tmp_path / "store.sqlite") as store:
        kept = store.add_return(
            issue_id="P001-explore-202627-x", partnership_id="P001", form_type="explore",
            version=1, cycle="2026/27", period="", file_name="a.docx", sha256="ab" * 32,
            original=b"the file", sender="", doc_modified=None, answers={}, problems=[],
            outcome="accepted")

        assert kept.id is not None and store.original(kept.id) == b"the file"


# --------------------------------------------------------------------------- query plans

FORMS = 3000


def _fill(store: Store) -> None:
    """FORMS issued forms over two cycles, each with a return and a send (tiny files)."""
    with store.transaction() as db:
        for n in range(FORMS):
            issue = f"P{n:05d}-review-{n}"
            cycle = "2026/27" if n % 2 else "2025/26"
            db.execute("INSERT INTO issued (issue_id, form_type, version, partnership_id, "
                       "partnership_name, cycle, issued_at, file_path, state) VALUES "
                       "(?, ?, 1, ?, 'Name', ?, '2026-11-01T00:00:00Z', 'f.docx', 'issued')",
                       (issue, "review" if n % 3 else "monitoring", f"P{n:05d}", cycle))
            cursor = db.execute(
                "INSERT INTO returns (issue_id, partnership_id, form_type, version, cycle, "
                "period, file_name, sha256, received_at, outcome) VALUES "
                "(?, ?, ?, 1, ?, '', 'f.docx', ?, '2026-11-20T00:00:00Z', 'accepted')",
                (issue, f"P{n:05d}", "review" if n % 3 else "monitoring", cycle, f"{n:064x}"))
            db.execute("INSERT INTO originals VALUES (?, x'00')", (cursor.lastrowid,))
            cursor = db.execute(
                "INSERT INTO sends (key, kind, issue_ids, to_address, prepared_at, via, state) "
                "VALUES (?, 'send', '[]', 'a@example.org', '2026-11-02T00:00:00Z', 'draft', "
                "'drafted')", (f"send:{n}",))
            db.execute("INSERT INTO send_issues VALUES (?, ?, 'send')", (cursor.lastrowid, issue))


@contextmanager
def _statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements the store runs inside the block, with their values filled in."""
    seen: list[str] = []
    store.db.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        store.db.set_trace_callback(None)


READS: dict[str, Callable[[Store], object]] = {
    "status of a cycle": lambda store: status_rows(store, cycle="2026/27", today=TODAY),
    "export of a cycle": lambda store: store.current_returns(form_type="review",
                                                             cycle="2026/27"),
    "history of a partnership": lambda store: store.history("P00042"),
    "papers: the accepted returns of a form": lambda store: store.current_returns(
        form_type="monitoring"),
    "papers: a partnership's latest accepted return": lambda store: store.latest_accepted(
        "P00042", "monitoring"),
    "papers: the issued forms of a type": lambda store: store.all_issued(form_type="monitoring"),
}


@pytest.mark.parametrize("read", READS)
def test_reads_of_a_few_thousand_forms_are_served_by_indexes(tmp_path: Path, read: str) -> None:
    with Store(tmp_path / "store.sqlite") as store:
        _fill(store)
        with _statements(store) as statements:
            READS[read](store)

        plans = {sql: [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}")]
                 for sql in statements}

    assert statements
    scans = {sql: [step for step in plan if step.startswith("SCAN")]
             for sql, plan in plans.items()}
    assert all(not steps for steps in scans.values()), scans


def test_taking_a_return_in_looks_up_its_partnership_s_returns_not_all_of_its_form(
        tmp_path: Path) -> None:
    with Store(tmp_path / "store.sqlite") as store:
        _fill(store)
        with _statements(store) as statements:
            store.add_return(
                issue_id="P00042-review-42", partnership_id="P00042", form_type="review",
                version=1, cycle="2025/26", period="", file_name="b.docx", sha256="cd" * 32,
                original=b"x", sender="", doc_modified=None, answers={}, problems=[],
                outcome="accepted")
        plans = [row[3] for sql in statements if sql.startswith("SELECT")
                 for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}")]

    assert plans and not [step for step in plans if "returns_form_cycle" in step], plans


def test_status_of_every_cycle_reads_each_table_once_whatever_the_number_of_forms(
        tmp_path: Path) -> None:
    with Store(tmp_path / "store.sqlite") as store:
        _fill(store)
        with _statements(store) as statements:
            rows = status_rows(store, today=TODAY)
        scans = [[step for step in (row[3] for row in
                                    store.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
                  if step.startswith("SCAN")] for sql in statements]

    assert len(rows) == FORMS
    # Every form is shown, so one table of each query is read whole, once; the rest is
    # looked up by index.
    assert len(statements) == 3
    assert all(len(steps) <= 1 for steps in scans), scans


def test_a_list_of_issued_forms_leaves_out_their_printed_text_and_says_so(v3_store: Path) -> None:
    # Send and status list thousands of forms; only taking a return in needs a form's text.
    with Store(v3_store) as store:
        listed = store.all_issued()[0]
        one = store.issued(listed.issue_id)

    assert listed.static_text is None
    with pytest.raises(ValueError, match="Store.issued"):
        listed.static_lines  # noqa: B018 - reading it is the point
    assert one is not None and one.static_lines
    assert replace(one, static_text=None) == listed
