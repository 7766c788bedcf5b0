"""The store: an SQLite database in the workspace holding what was issued and every return.

Nothing is ever deleted or overwritten. A later return for the same issued form supersedes the
earlier one, which stays in the history. Each file is taken in within one transaction, so an
interrupted run leaves the store as it was before that file.

Emails are claimed before they are written or sent (`claim_send`, one write transaction that
checks and inserts) and their outcome is recorded after (`finish_send`), so two runs at once,
or a run after one that died, never send the same form twice in the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.council_year import calendar_quarter
from generator.errors import StoreError

# How long a command waits for another program writing to the store before it reports that
# the store is busy (commands of the toolkit itself wait for each other's writer lock first).
BUSY_TIMEOUT_SECONDS = 30.0


def _run(db: sqlite3.Connection, script: str) -> None:
    # executescript() would commit the migration's transaction half-way; run statement by
    # statement so a migration applies whole or not at all.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1(db: sqlite3.Connection) -> None:
    _run(db, """
        CREATE TABLE issued (
            issue_id TEXT PRIMARY KEY,
            form_type TEXT NOT NULL,
            version INTEGER NOT NULL,
            partnership_id TEXT NOT NULL,
            partnership_name TEXT NOT NULL,
            cycle TEXT NOT NULL,
            period TEXT NOT NULL DEFAULT '',
            due_date TEXT,
            issued_at TEXT NOT NULL,
            recipient_name TEXT NOT NULL DEFAULT '',
            recipient_email TEXT NOT NULL DEFAULT '',
            file_path TEXT NOT NULL,
            static_text TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX issued_partnership ON issued (partnership_id, form_type);
        CREATE TABLE returns (
            id INTEGER PRIMARY KEY,
            issue_id TEXT,
            partnership_id TEXT,
            form_type TEXT,
            version INTEGER,
            cycle TEXT,
            period TEXT,
            file_name TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            original BLOB NOT NULL,
            received_at TEXT NOT NULL,
            sender TEXT NOT NULL DEFAULT '',
            doc_modified TEXT,
            answers TEXT NOT NULL DEFAULT '{}',
            problems TEXT NOT NULL DEFAULT '[]',
            outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'warnings', 'rejected')),
            superseded_by INTEGER REFERENCES returns (id)
        );
        CREATE INDEX returns_issue ON returns (issue_id);
        CREATE INDEX returns_partnership ON returns (partnership_id, form_type);
        CREATE TABLE sends (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            issue_ids TEXT NOT NULL,
            to_address TEXT NOT NULL,
            prepared_at TEXT NOT NULL,
            sent_at TEXT,
            via TEXT NOT NULL,
            file_path TEXT
        );
    """)


def _v2_issue_state(db: sqlite3.Connection) -> None:
    # An issue is recorded ('writing') before its file is given its name and marked
    # 'issued' after, so a run killed in between is noticed by the next one.
    _run(db, """
        ALTER TABLE issued ADD COLUMN state TEXT NOT NULL DEFAULT 'issued'
            CHECK (state IN ('writing', 'issued', 'abandoned'));
        CREATE INDEX issued_slot ON issued (partnership_id, form_type, cycle, period)
    """)


SEND_STATES = ("claimed", "drafted", "sent", "failed", "unknown")


def send_slot(key: str) -> str:
    """The way an email carries its forms, from its key: two live sends of one form may not
    share a slot ('send', 'resend:DATE', 'chase:DATE' or 'query:DATE')."""
    parts = key.split(":")
    if parts[0] == "send":
        return f"resend:{parts[3]}" if len(parts) >= 4 and parts[2] == "resend" else "send"
    return f"{parts[0]}:{parts[1]}" if len(parts) > 1 else parts[0]


def _v3_send_claims(db: sqlite3.Connection) -> None:
    """Sends are claimed before they are written or sent, and record how each one ended.

    state: claimed (a run is writing or sending it: claimed_by names the computer, process
    and run), drafted, sent, failed (not written or sent: the next run may try again) or
    unknown (an SMTP email the server may have taken without confirming it). message_id is
    the email's Message-ID, which finds a draft a run that died had written. send_issues
    lists the issued forms each email carries, indexed by form, in its slot (`send_slot`).
    """
    _run(db, """
        ALTER TABLE sends ADD COLUMN state TEXT NOT NULL DEFAULT 'sent'
            CHECK (state IN ('claimed', 'drafted', 'sent', 'failed', 'unknown'));
        ALTER TABLE sends ADD COLUMN claimed_by TEXT;
        ALTER TABLE sends ADD COLUMN message_id TEXT;
        ALTER TABLE sends ADD COLUMN detail TEXT;
        ALTER TABLE sends ADD COLUMN finished_at TEXT;
        UPDATE sends SET state = 'drafted' WHERE sent_at IS NULL;
        CREATE TABLE send_issues (
            send_id INTEGER NOT NULL REFERENCES sends (id),
            issue_id TEXT NOT NULL,
            slot TEXT NOT NULL,
            PRIMARY KEY (send_id, issue_id)
        );
        CREATE INDEX send_issues_issue ON send_issues (issue_id, slot);
        CREATE INDEX sends_state ON sends (state)
    """)
    for row in db.execute("SELECT id, key, issue_ids FROM sends").fetchall():
        for issue_id in json.loads(row[2]):
            db.execute("INSERT OR IGNORE INTO send_issues VALUES (?, ?, ?)",
                       (row[0], issue_id, send_slot(row[1])))


def _v4_mailbox_messages(db: sqlite3.Connection) -> None:
    """The messages `collect --mailbox` has read, so that none is taken twice.

    One row per message read from a mailbox folder, by the folder's UIDVALIDITY and the
    message's UID (a message moved back into the folder has a new UID, so it is read again),
    with its Message-ID and the SHA-256 of its bytes (which recognise it when the server has
    renumbered the folder: a new UIDVALIDITY). outcome: processed (every form in it was taken
    in) or attention (something in it was refused: a rejected form, no form, too large);
    move_to: the folder it is to be moved to, if any, and moved_at once it was.
    """
    _run(db, """
        CREATE TABLE mailbox_messages (
            id INTEGER PRIMARY KEY,
            account TEXT NOT NULL,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            message_id TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL DEFAULT '',
            read_at TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('processed', 'attention')),
            move_to TEXT,
            moved_at TEXT,
            UNIQUE (account, folder, uidvalidity, uid)
        );
        CREATE INDEX mailbox_messages_identity ON mailbox_messages
            (account, folder, message_id, sha256)
    """)


def _v5_originals_apart(db: sqlite3.Connection) -> None:
    """Each return's original file moves to a table of its own, and indexes serve the reads.

    The files were about 40 KB of each 49 KB returns row, so every scan of returns (status,
    export, the papers) read them through the page cache: the columns the store reads took
    129 ms a scan at 10,000 returns, 65 ms with the files apart. The index of returns by
    partnership gains the cycle, so that finding a form's returns when one is taken in never
    prefers the index by form type and cycle (every return of the form: collect grew as the
    square of the returns, 7 s for the first 1,000 of 5,000 and 11.3 s for the last).
    """
    _run(db, """
        CREATE TABLE originals (
            return_id INTEGER PRIMARY KEY REFERENCES returns (id),
            data BLOB NOT NULL
        );
        INSERT INTO originals (return_id, data) SELECT id, original FROM returns;
        ALTER TABLE returns DROP COLUMN original;
        DROP INDEX returns_partnership;
        CREATE INDEX returns_partnership ON returns (partnership_id, form_type, cycle);
        CREATE INDEX returns_form_cycle ON returns (form_type, cycle);
        CREATE INDEX issued_form_cycle ON issued (form_type, cycle);
        CREATE INDEX issued_cycle ON issued (cycle)
    """)


def _v6_quarters_of_the_council_year(db: sqlite3.Connection) -> None:
    """Periods are quarters of the council year ('Q3 2026/27'), no longer calendar quarters.

    A period kept as '2026-Q4' (October to December 2026) becomes the quarter of the council
    year covering the same months, 'Q3 2026/27', in what was issued and in the returns, so a
    form issued before and its return still match the forms and papers of that quarter.
    """
    def council_quarter(text: str | None) -> str | None:
        period = calendar_quarter(text)
        return str(period) if period is not None else text

    db.create_function("council_quarter", 1, council_quarter, deterministic=True)
    old = "period GLOB '[0-9][0-9][0-9][0-9]-Q[1-4]'"
    _run(db, f"""
        UPDATE issued SET period = council_quarter(period) WHERE {old};
        UPDATE returns SET period = council_quarter(period) WHERE {old}
    """)


# Ordered schema changes; the number applied is kept in PRAGMA user_version.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1, _v2_issue_state, _v3_send_claims, _v4_mailbox_messages, _v5_originals_apart,
    _v6_quarters_of_the_council_year]


WAL = "wal"
ROLLBACK = "delete"


def journal_mode_for(path: Path) -> str:
    """SQLite's rollback journal for a store on a network drive or in a synced folder, else WAL.

    WAL keeps recent changes in a second file and in memory shared by the programs using the
    store, so every one of them must be on one computer: two PCs using one store over a share
    can lose changes without an error. A sync client copies files one by one, whenever it
    likes: with the rollback journal the store is one complete file after every change.
    """
    from generator.drives import locate

    where = locate(path.parent)
    return ROLLBACK if where.network or where.sync else WAL


def _use_journal_mode(db: sqlite3.Connection, mode: str) -> None:
    """Put the store in `mode` unless it is already; wait while another connection holds it.

    Changing the journal mode needs the store to itself, and SQLite reports "database is
    locked" at once rather than waiting (measured: two commands opening a new store at the
    same moment); the mode is kept in the file, so only the first opening changes it. Leaving
    WAL, what is still only in the write-ahead log is first copied into the store itself.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    while True:
        current = str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if current == mode:
            return
        try:
            if current == WAL:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            db.execute(f"PRAGMA journal_mode={mode}").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Issued:
    issue_id: str
    form_type: str
    version: int
    partnership_id: str
    partnership_name: str
    cycle: str
    period: str
    due_date: str | None
    issued_at: str
    recipient_name: str
    recipient_email: str
    file_path: str
    # The form's printed text (some 12 KB a form): None when read by `all_issued`, which
    # lists many forms and leaves it out; `Store.issued` reads it.
    static_text: str | None
    state: str = "issued"

    @property
    def static_lines(self) -> list[str]:
        if self.static_text is None:
            raise ValueError(f"the printed text of {self.issue_id} was not read: "
                             "read the form with Store.issued")
        return list(json.loads(self.static_text or "[]"))

    @property
    def slot(self) -> tuple[str, str, str, str]:
        """The form this issue is a copy of: partnership, form type, cycle and period."""
        return (self.partnership_id, self.form_type, self.cycle, self.period or "")


@dataclass(frozen=True)
class Kept:
    """What `Store.add_return` did: the new return's id and the ids it put out of force
    (its own id there means a return already kept is newer), or the return that already
    holds the very same file (nothing was added)."""

    id: int | None
    superseded: list[int]
    duplicate_of: Return | None


def parse_time(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time as an aware datetime (a time without an offset is taken as UTC)."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_EARLIEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def in_force_order(return_id: int, received_at: str, doc_modified: str | None
                   ) -> tuple[dt.datetime, dt.datetime, int]:
    """How returns of one form rank: the one taken in last is in force.

    Returns taken in at the same moment (one batch of files) rank by the time the document
    says it was saved, but only when that time is plausible (not after it was taken in):
    a sender's clock set ten years ahead must never keep a later correction out of force.
    """
    received = parse_time(received_at) or _EARLIEST
    modified = parse_time(doc_modified)
    if modified is None or modified > received:
        modified = _EARLIEST
    return received, modified, return_id


@dataclass(frozen=True)
class Return:
    id: int
    issue_id: str | None
    partnership_id: str | None
    form_type: str | None
    version: int | None
    cycle: str | None
    period: str | None
    file_name: str
    sha256: str
    received_at: str
    sender: str
    doc_modified: str | None
    answers: dict[str, Any]
    problems: list[dict[str, str]]
    outcome: str
    superseded_by: int | None

    @property
    def current(self) -> bool:
        return self.superseded_by is None


class Store:
    """The SQLite store of a workspace."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Another command or program writing at the same moment is waited for this long
            # before "the store is busy" is reported.
            self.db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS)
            self.db.row_factory = sqlite3.Row
            mode = journal_mode_for(path)
            _use_journal_mode(self.db, mode)
            # With a rollback journal, only FULL makes a commit durable when the power fails.
            self.db.execute(f"PRAGMA synchronous={'NORMAL' if mode == WAL else 'FULL'}")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc):
                raise StoreError(f"{path}: the store is busy: another program has it open and "
                                 "did not let go in time. Nothing was changed; try again when "
                                 "it ends") from None
            raise StoreError(f"{path}: cannot open the store: {exc}") from None

    def close(self) -> None:
        self.db.close()

    @property
    def journal_mode(self) -> str:
        """The journal the store uses now: 'wal' or 'delete' (SQLite's rollback journal)."""
        return str(self.db.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        if self._version() == len(MIGRATIONS):
            return
        # Every migration still to apply, in one transaction: the store moves to the current
        # version whole or not at all (a new store is made in one commit, not six).
        with self.transaction():
            # Another command may have applied some while this one waited for the lock.
            start = self._version()
            applied = MIGRATIONS[start:]
            for migration in applied:
                migration(self.db)
            if applied:
                self.db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        # Only a store that held returns before has space to give back; a new one has none.
        if start > 0 and _v5_originals_apart in applied:
            self._reclaim_free_pages()

    def _version(self) -> int:
        """The store's migration number; StoreError if a newer toolkit wrote it."""
        version = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path} was written by a newer version of the toolkit; "
                             "upgrade the toolkit to use it")
        return version

    def _reclaim_free_pages(self) -> None:
        """Give back the space a migration freed (the files copied out of the returns rows
        left the store twice its size: 261 MB became 469 MB at 5,000 returns), if no other
        program is reading the store now; otherwise SQLite reuses the space as returns come."""
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            self.db.execute("VACUUM")
        except sqlite3.OperationalError:
            pass
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # ---- issued forms --------------------------------------------------------------------

    def record_issue(self, issued: Issued) -> None:
        """Record an issue whose file is about to be written (state 'writing')."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO issued (issue_id, form_type, version, partnership_id, "
                "partnership_name, cycle, period, due_date, issued_at, recipient_name, "
                "recipient_email, file_path, static_text, state) VALUES (:issue_id, :form_type, "
                ":version, :partnership_id, :partnership_name, :cycle, :period, :due_date, "
                ":issued_at, :recipient_name, :recipient_email, :file_path, :static_text, "
                "'writing')", vars(issued))

    def finish_issue(self, issue_id: str, file_path: str) -> None:
        """The issued form's file is in place under `file_path`."""
        with self.transaction() as db:
            db.execute("UPDATE issued SET state = 'issued', file_path = ? WHERE issue_id = ?",
                       (file_path, issue_id))

    def settle_interrupted_issues(self) -> list[Issued]:
        """Settle issues a killed run left half-done; return those that were abandoned.

        An issue recorded but never marked issued either has its file in place (the run died
        just after writing it: it is issued) or not (nothing reached anyone: abandoned).
        """
        abandoned: list[Issued] = []
        rows = self.db.execute("SELECT * FROM issued WHERE state = 'writing'").fetchall()
        for row in rows:
            issued = Issued(**dict(row))
            done = Path(issued.file_path).is_file()
            with self.transaction() as db:
                db.execute("UPDATE issued SET state = ? WHERE issue_id = ?",
                           ("issued" if done else "abandoned", issued.issue_id))
            if not done:
                abandoned.append(issued)
        return abandoned

    def issued(self, issue_id: str) -> Issued | None:
        row = self.db.execute("SELECT * FROM issued WHERE issue_id = ? AND state = 'issued'",
                              (issue_id,)).fetchone()
        return Issued(**dict(row)) if row else None

    _ISSUED_LISTED = ("issue_id, form_type, version, partnership_id, partnership_name, cycle, "
                      "period, due_date, issued_at, recipient_name, recipient_email, file_path, "
                      "state")

    def all_issued(self, *, cycle: str | None = None, form_type: str | None = None,
                   partnership_id: str | None = None) -> list[Issued]:
        # Every column but the printed text, which none of the lists needs (at 5,000 forms it
        # was 60 MB of a send's memory).
        sql, args = (f"SELECT {self._ISSUED_LISTED}, NULL AS static_text FROM issued "
                     "WHERE state = 'issued'", [])
        for column, value in (("cycle", cycle), ("form_type", form_type),
                              ("partnership_id", partnership_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        rows = self.db.execute(sql + " ORDER BY issued_at, rowid", args).fetchall()
        return [Issued(**dict(r)) for r in rows]

    # ---- returns -------------------------------------------------------------------------

    def _return(self, row: sqlite3.Row) -> Return:
        data = dict(row)
        data["answers"] = json.loads(data["answers"])
        data["problems"] = json.loads(data["problems"])
        return Return(**data)

    _COLUMNS = ("id, issue_id, partnership_id, form_type, version, cycle, period, file_name, "
                "sha256, received_at, sender, doc_modified, answers, problems, outcome, "
                "superseded_by")

    def by_sha256(self, sha256: str) -> Return | None:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM returns WHERE sha256 = ?",
                              (sha256,)).fetchone()
        return self._return(row) if row else None

    def return_by_id(self, return_id: int) -> Return | None:
        row = self.db.execute(f"SELECT {self._COLUMNS} FROM returns WHERE id = ?",
                              (return_id,)).fetchone()
        return self._return(row) if row else None

    def returns_for_issue(self, issue_id: str) -> list[Return]:
        rows = self.db.execute(f"SELECT {self._COLUMNS} FROM returns WHERE issue_id = ? "
                               "ORDER BY id", (issue_id,)).fetchall()
        return [self._return(r) for r in rows]

    def partnership_ids(self) -> list[str]:
        """Every partnership a form was issued to."""
        return [row[0] for row in self.db.execute(
            "SELECT DISTINCT partnership_id FROM issued ORDER BY partnership_id")]

    def history(self, partnership_id: str) -> list[Return]:
        rows = self.db.execute(f"SELECT {self._COLUMNS} FROM returns WHERE partnership_id = ? "
                               "ORDER BY received_at, id", (partnership_id,)).fetchall()
        return [self._return(r) for r in rows]

    def all_returns(self) -> list[Return]:
        rows = self.db.execute(f"SELECT {self._COLUMNS} FROM returns ORDER BY id").fetchall()
        return [self._return(r) for r in rows]

    def original(self, return_id: int) -> bytes:
        """The bytes of the file a return was taken in from."""
        row = self.db.execute("SELECT data FROM originals WHERE return_id = ?",
                              (return_id,)).fetchone()
        if row is None:
            raise StoreError(f"no return with id {return_id}")
        return bytes(row[0])

    def current_returns(self, *, form_type: str | None = None, cycle: str | None = None,
                        accepted_only: bool = True) -> list[Return]:
        """The return in force for each issued form (not superseded), optionally accepted only."""
        sql = f"SELECT {self._COLUMNS} FROM returns WHERE superseded_by IS NULL"
        args: list[Any] = []
        if accepted_only:
            sql += " AND outcome IN ('accepted', 'warnings')"
        if form_type:
            sql += " AND form_type = ?"
            args.append(form_type)
        if cycle:
            sql += " AND cycle = ?"
            args.append(cycle)
        return [self._return(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def accepted_of(self, partnership_id: str, form_types: tuple[str, ...]) -> list[Return]:
        """The partnership's accepted returns in force of the given form types, oldest first."""
        marks = ", ".join("?" * len(form_types))
        rows = self.db.execute(
            f"SELECT {self._COLUMNS} FROM returns WHERE partnership_id = ? AND form_type IN "
            f"({marks}) AND outcome IN ('accepted', 'warnings') AND superseded_by IS NULL "
            "ORDER BY received_at, id", (partnership_id, *form_types)).fetchall()
        return [self._return(r) for r in rows]

    def return_states(self, *, cycle: str | None = None) -> dict[str, list[ReturnState]]:
        """What came back on each issued form (of `cycle`), oldest first, without the answers.

        One query, served by the index of returns by issue (`status` at 5,000 forms asked once
        per form).
        """
        sql = ("SELECT r.id, r.issue_id, r.outcome, r.superseded_by, r.received_at, r.problems "
               "FROM issued i JOIN returns r ON r.issue_id = i.issue_id WHERE i.state = 'issued'")
        args: list[Any] = []
        if cycle is not None:
            sql += " AND i.cycle = ?"
            args.append(cycle)
        found: dict[str, list[ReturnState]] = {}
        for row in self.db.execute(sql + " ORDER BY r.id", args):
            found.setdefault(row["issue_id"], []).append(ReturnState(
                row["id"], row["outcome"], row["superseded_by"], row["received_at"],
                len(json.loads(row["problems"]))))
        return found

    def send_states(self, *, cycle: str | None = None, kind: str = "send"
                    ) -> dict[str, list[dict[str, Any]]]:
        """The sends of `kind` carrying each issued form (of `cycle`), oldest first; failed
        attempts are left out. One query, served by the index of send_issues by form."""
        sql = ("SELECT si.issue_id, s.* FROM issued i "
               "JOIN send_issues si ON si.issue_id = i.issue_id "
               "JOIN sends s ON s.id = si.send_id "
               "WHERE i.state = 'issued' AND s.state != 'failed' AND s.kind = ?")
        args: list[Any] = [kind]
        if cycle is not None:
            sql += " AND i.cycle = ?"
            args.append(cycle)
        found: dict[str, list[dict[str, Any]]] = {}
        for row in self.db.execute(sql + " ORDER BY s.id", args):
            found.setdefault(row["issue_id"], []).append(dict(row))
        return found

    def latest_accepted(self, partnership_id: str, form_type: str,
                        before_issue: str | None = None) -> Return | None:
        """The partnership's latest accepted return of a form type, for carrying answers forward."""
        rows = self.db.execute(
            f"SELECT {self._COLUMNS} FROM returns WHERE partnership_id = ? AND form_type = ? "
            "AND outcome IN ('accepted', 'warnings') AND superseded_by IS NULL "
            "ORDER BY received_at DESC, id DESC", (partnership_id, form_type)).fetchall()
        for row in rows:
            if before_issue is None or row["issue_id"] != before_issue:
                return self._return(row)
        return None

    def add_return(self, *, issue_id: str, partnership_id: str, form_type: str,
                   version: int | None, cycle: str, period: str, file_name: str,
                   sha256: str, original: bytes, sender: str, doc_modified: str | None,
                   answers: dict[str, Any], problems: list[dict[str, str]], outcome: str,
                   received_at: str | None = None) -> Kept:
        """Keep a return unless the same file is kept already; settle which return is in force.

        The check for the same file and the insert happen in one write transaction, so two
        commands taking the same file in at once keep it once. Of the accepted returns of one
        form (same partnership, form type, cycle and period, whichever issue of it they came
        back on), the one taken in last is in force (`in_force_order`); the others point to it.
        """
        with self.transaction() as db:
            row = db.execute(f"SELECT {self._COLUMNS} FROM returns WHERE sha256 = ?",
                             (sha256,)).fetchone()
            if row is not None:
                return Kept(None, [], self._return(row))
            cursor = db.execute(
                "INSERT INTO returns (issue_id, partnership_id, form_type, version, cycle, "
                "period, file_name, sha256, received_at, sender, doc_modified, "
                "answers, problems, outcome) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (issue_id, partnership_id, form_type, version, cycle, period, file_name, sha256,
                 received_at or now_iso(), sender, doc_modified,
                 json.dumps(answers, ensure_ascii=False, allow_nan=False),
                 json.dumps(problems, ensure_ascii=False, allow_nan=False),
                 outcome))
            new_id = int(cursor.lastrowid or 0)
            db.execute("INSERT INTO originals (return_id, data) VALUES (?, ?)",
                       (new_id, original))
            superseded: list[int] = []
            if outcome != "rejected":
                rows = db.execute(
                    "SELECT id, received_at, doc_modified FROM returns WHERE partnership_id = ? "
                    "AND form_type = ? AND cycle = ? AND COALESCE(period, '') = ? AND "
                    "outcome != 'rejected' AND superseded_by IS NULL",
                    (partnership_id, form_type, cycle, period or "")).fetchall()
                winner = max(rows, key=lambda r: in_force_order(
                    r["id"], r["received_at"], r["doc_modified"]))
                for other in rows:
                    if other["id"] != winner["id"]:
                        db.execute("UPDATE returns SET superseded_by = ? WHERE id = ?",
                                   (winner["id"], other["id"]))
                        superseded.append(int(other["id"]))
            return Kept(new_id, superseded, None)

    # ---- mailbox -------------------------------------------------------------------------

    def mailbox_messages(self, account: str, folder: str, uidvalidity: int
                         ) -> dict[int, MailboxMessage]:
        """The messages already read from a folder as it is numbered now, by UID."""
        rows = self.db.execute(
            "SELECT uidvalidity, uid, message_id, sha256, outcome, move_to, moved_at FROM "
            "mailbox_messages WHERE account = ? AND folder = ? AND uidvalidity = ?",
            (account, folder, uidvalidity)).fetchall()
        return {int(r["uid"]): MailboxMessage(**dict(r)) for r in rows}

    def mailbox_read_before(self, account: str, folder: str, uidvalidity: int,
                            message_id: str, sha256: str) -> MailboxMessage | None:
        """The very same message as read from the folder before it was renumbered (under
        another UIDVALIDITY), or None."""
        row = self.db.execute(
            "SELECT uidvalidity, uid, message_id, sha256, outcome, move_to, moved_at FROM "
            "mailbox_messages WHERE account = ? AND folder = ? AND uidvalidity != ? AND "
            "message_id = ? AND sha256 = ? ORDER BY id DESC LIMIT 1",
            (account, folder, uidvalidity, message_id, sha256)).fetchone()
        return MailboxMessage(**dict(row)) if row is not None else None

    def record_mailbox_message(self, account: str, folder: str, message: MailboxMessage
                               ) -> None:
        """Record a message as read: only once everything taken from it is kept."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO mailbox_messages (account, folder, uidvalidity, uid, "
                "message_id, sha256, read_at, outcome, move_to, moved_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (account, folder, message.uidvalidity, message.uid, message.message_id,
                 message.sha256, now_iso(), message.outcome, message.move_to,
                 message.moved_at))

    def mailbox_message_moved(self, account: str, folder: str, uidvalidity: int,
                              uid: int) -> None:
        """Record that a message read was moved to the folder it was to go to."""
        with self.transaction() as db:
            db.execute("UPDATE mailbox_messages SET moved_at = ? WHERE account = ? AND "
                       "folder = ? AND uidvalidity = ? AND uid = ?",
                       (now_iso(), account, folder, uidvalidity, uid))

    # ---- sending -------------------------------------------------------------------------

    def claim_send(self, *, key: str, kind: str, issue_ids: list[str], to_address: str,
                   via: str, claimer: str, message_id: str | None = None,
                   pick_path: Callable[[set[str]], str] | None = None) -> SendClaim:
        """Claim an email before it is written or sent, or say which sends stand in its way.

        In one write transaction: the email's key must be new or its earlier attempt failed,
        and none of its forms may be in another live send (not failed) in the same slot (see
        `send_slot`), in any slot for a first send, or in a send of its kind still claimed.
        `pick_path(reserved)` chooses the draft's file name, avoiding the names other claims
        have reserved; it is recorded with the claim so the file can be found if the run dies.
        """
        slot = send_slot(key)
        with self.transaction() as db:
            own = db.execute("SELECT * FROM sends WHERE key = ?", (key,)).fetchone()
            if own is not None and own["state"] != "failed":
                return SendClaim(None, {issue_id: dict(own) for issue_id in issue_ids})
            own_id = own["id"] if own is not None else -1
            blocked: dict[str, dict[str, Any]] = {}
            for issue_id in issue_ids:
                row = db.execute(
                    "SELECT s.* FROM send_issues si JOIN sends s ON s.id = si.send_id "
                    "WHERE si.issue_id = ? AND s.id != ? AND s.state != 'failed' AND "
                    "(si.slot = ? OR (? = 'send' AND s.kind = 'send') OR "
                    "(s.state = 'claimed' AND s.kind = ?)) ORDER BY s.id LIMIT 1",
                    (issue_id, own_id, slot, slot, kind)).fetchone()
                if row is not None:
                    blocked[issue_id] = dict(row)
            if blocked:
                return SendClaim(None, blocked)
            file_path = None
            if pick_path is not None:
                reserved = {r[0] for r in db.execute(
                    "SELECT file_path FROM sends WHERE state = 'claimed' AND file_path IS NOT "
                    "NULL")}
                file_path = pick_path(reserved)
            values = (kind, json.dumps(issue_ids), to_address, now_iso(), via, file_path,
                      claimer, message_id)
            if own is None:
                cursor = db.execute(
                    "INSERT INTO sends (kind, issue_ids, to_address, prepared_at, via, "
                    "file_path, claimed_by, message_id, key, state) "
                    "VALUES (?,?,?,?,?,?,?,?,?,'claimed')", (*values, key))
                send_id = int(cursor.lastrowid or 0)
            else:
                send_id = int(own["id"])
                db.execute(
                    "UPDATE sends SET kind = ?, issue_ids = ?, to_address = ?, prepared_at = ?, "
                    "via = ?, file_path = ?, claimed_by = ?, message_id = ?, state = 'claimed', "
                    "sent_at = NULL, detail = NULL, finished_at = NULL WHERE id = ?",
                    (*values, send_id))
                db.execute("DELETE FROM send_issues WHERE send_id = ?", (send_id,))
            db.executemany("INSERT INTO send_issues VALUES (?, ?, ?)",
                           [(send_id, issue_id, slot) for issue_id in issue_ids])
            return SendClaim(send_id, {}, file_path)

    def finish_send(self, send_id: int, *, claimer: str, state: str,
                    file_path: str | None = None, detail: str | None = None) -> bool:
        """Record how a claimed email ended; False if it is no longer this claimer's to settle.

        `state` is drafted, sent, failed (not written or sent: a later run may try again) or
        unknown (it may have been sent). Only the run named in the claim settles it, so two
        runs tidying up after a third that died never both do.
        """
        if state not in SEND_STATES or state == "claimed":
            raise ValueError(f"not an outcome: {state}")
        with self.transaction() as db:
            stamp = now_iso()
            cursor = db.execute(
                "UPDATE sends SET state = ?, file_path = COALESCE(?, file_path), detail = ?, "
                "finished_at = ?, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE NULL END "
                "WHERE id = ? AND state = 'claimed' AND claimed_by = ?",
                (state, file_path, detail, stamp, state, stamp, send_id, claimer))
            return cursor.rowcount == 1

    def claimed_sends(self) -> list[dict[str, Any]]:
        """Every email a run has claimed and not yet settled, oldest first."""
        rows = self.db.execute("SELECT * FROM sends WHERE state = 'claimed' ORDER BY id")
        return [dict(r) for r in rows]

    def sends_for_issue(self, issue_id: str) -> list[dict[str, Any]]:
        """The sends carrying an issued form, oldest first; failed attempts are left out."""
        rows = self.db.execute(
            "SELECT s.* FROM send_issues si JOIN sends s ON s.id = si.send_id "
            "WHERE si.issue_id = ? AND s.state != 'failed' ORDER BY s.id", (issue_id,))
        return [dict(r) for r in rows]


@dataclass(frozen=True)
class ReturnState:
    """What `status` needs of a return: its outcome, whether it is in force, when it came."""

    id: int
    outcome: str
    superseded_by: int | None
    received_at: str
    problem_count: int


@dataclass(frozen=True)
class MailboxMessage:
    """A message `collect --mailbox` has read (see `_v4_mailbox_messages`)."""

    uidvalidity: int
    uid: int
    message_id: str
    sha256: str
    outcome: str
    move_to: str | None
    moved_at: str | None


@dataclass(frozen=True)
class SendClaim:
    """What `Store.claim_send` did: `send_id` when claimed, else the sends in the way by form.

    `file_path` is the draft name reserved with the claim, if one was asked for.
    """

    send_id: int | None
    blocked: dict[str, dict[str, Any]]
    file_path: str | None = None
