"""Taking in returned forms: files, folders and saved emails, one outcome per file.

Each file is matched to what was issued by the identity stamped in it (never by its name),
read, validated and kept in the store with its original bytes. One bad file never stops the
batch. Taking the same file in twice changes nothing; a later return for the same issued form
supersedes the earlier one, which stays in the history.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.council_year import long_date, stored_period
from generator.errors import ToolkitError, UnreadableFile
from generator.failures import explain_failure
from generator.forms.identity import Identity
from generator.forms.read import FormReading, read_package, static_lines
from generator.forms.validate import OUTSIDE_THE_BOXES, SENDER, Problem
from generator.office.safe_open import open_package
from generator.register import read_register
from generator.returns.emails import (
    DEFAULT_LIMITS,
    EMAIL_SUFFIXES,
    EmailLimits,
    read_saved_email,
)
from generator.store import Issued, Return, Store, parse_time
from generator.vocabulary import PERIOD_TYPED
from generator.wording import file_size, plural
from generator.workspace import Workspace

OUTCOMES = ("accepted", "warnings", "rejected", "duplicate", "superseded", "not taken in")
# Files a folder may hold that are worth a look: forms in any guise, and saved emails.
TAKEN_FROM_FOLDERS = {".docx", ".docm", ".doc", ".dotx", ".dot", ".rtf", ".odt", ".pdf",
                      *EMAIL_SUFFIXES}
MAX_FILE_BYTES = 100 * 1024 * 1024


@dataclass
class Outcome:
    """What happened to one file taken in."""

    file: str
    outcome: str
    partnership: str | None = None
    form: str | None = None
    issue: str | None = None
    reasons: list[str] = field(default_factory=list)
    return_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "outcome": self.outcome, "partnership": self.partnership,
                "form": self.form, "issue": self.issue, "reasons": self.reasons}


@dataclass
class CollectResult:
    outcomes: list[Outcome] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def any_rejected(self) -> bool:
        return self.count("rejected") + self.count("not taken in") > 0

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in OUTCOMES if self.count(o)]
        text = f"{plural(len(self.outcomes), 'file')}: " + (", ".join(parts)
                                                          or "nothing taken in")
        if self.ignored:
            text += f"; {plural(len(self.ignored), 'other file')} in the folders ignored"
        return text


@dataclass(frozen=True)
class Incoming:
    """One candidate return: its bytes and where it came from."""

    name: str
    data: bytes | None
    sender: str = ""
    received_at: str | None = None
    error: str | None = None


def _is_candidate(path: Path) -> bool:
    name = path.name
    # Word's lock files (~$name.docx) and hidden files are not returns.
    return (path.suffix.lower() in TAKEN_FROM_FOLDERS and not name.startswith("~$")
            and not name.startswith("."))


@dataclass(frozen=True)
class Ignored:
    """A file or folder found in a folder searched but not taken in, and why."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.path, "reason": self.reason}


def _within(target: Path, folder: Path) -> bool:
    try:
        target.relative_to(folder)
    except ValueError:
        return False
    return True


def _walk(folder: Path, ignored: list[Ignored]) -> Iterator[Path]:
    """The files in a folder and its subfolders, in order; links are listed, not followed.

    A link inside a returns folder could bring in a file from anywhere on the computer (or
    loop for ever), so a link to a folder is not searched and a link to a file is ignored,
    each with the reason.
    """
    top = folder.resolve()
    for here, dirs, files in os.walk(folder, followlinks=False):
        base = Path(here)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                ignored.append(Ignored(str(base / name), "a link to a folder; links are not "
                                                         "followed: copy the folder in instead"))
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in sorted(files):
            path = base / name
            if path.is_symlink():
                target = path.resolve()
                where = "inside" if _within(target, top) else "outside"
                ignored.append(Ignored(str(path), f"a link to a file {where} the folder "
                                                  f"({target}); links are not followed: copy "
                                                  "the file in instead"))
            elif _is_candidate(path):
                yield path
            else:
                ignored.append(Ignored(str(path), "not a form or a saved email"))


def gather(paths: Sequence[Path], ignored: list[Ignored]) -> Iterator[Path]:
    """The files to take in: named files as they are, folders searched recursively."""
    seen: set[Path] = set()
    for path in paths:
        found = _walk(path, ignored) if path.is_dir() else iter([path])
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(f"{path.name} is {file_size(size)}, larger than any form; "
                             "it was not read")
    return path.read_bytes()


def expand(path: Path) -> Iterator[Incoming]:
    """A file as one incoming return, or a saved email (.eml, .msg) as one per Word
    attachment found in it, forwarded messages included."""
    try:
        data = _read_file(path)
    except (OSError, UnreadableFile) as exc:
        yield Incoming(str(path), None, error=str(exc))
        return
    if path.suffix.lower() not in EMAIL_SUFFIXES:
        yield Incoming(str(path), data)
        return
    yield from email_incomings(data, str(path))


def email_incomings(data: bytes, name: str, limits: EmailLimits = DEFAULT_LIMITS
                    ) -> Iterator[Incoming]:
    """An email (a saved .eml or .msg, or a message read from the mailbox) as one incoming
    return per Word attachment found in it, each with the sender and date of the message
    that carried it; or one refused input saying why nothing in it can be taken."""
    try:
        found = read_saved_email(data, name, limits=limits)
    except UnreadableFile as exc:
        yield Incoming(name, None, error=str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - any malformed email is one rejected input
        yield Incoming(name, None, error=f"the saved email cannot be read ({exc})")
        return
    for attachment in found:
        received = None
        if attachment.sent_at is not None:
            received = attachment.sent_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        yield Incoming(attachment.name, attachment.data, attachment.sender, received,
                       error=None if attachment.refusal is None else str(attachment.refusal))


def _outside_text(reading_lines: list[str], issued_lines: list[str]) -> list[str]:
    issued = set(issued_lines)
    return [line for line in reading_lines if line not in issued]


# A sender's clock may run a few minutes fast without the email's date being implausible.
CLOCK_SKEW = dt.timedelta(minutes=5)


def received_time(claimed: str | None, issued_at: str, now: dt.datetime) -> str:
    """When a return counts as received: the email's date when plausible, else `now`.

    The date an email claims is the sender's clock: it is believed only when it is not in
    the future and not before the form was issued. Every time is kept in UTC.
    """
    when, issued = parse_time(claimed), parse_time(issued_at)
    if when is None or when > now + CLOCK_SKEW or (issued is not None and when < issued):
        when = now
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# An issue reference as printed on a form: partnership id, form type, cycle, random part.
_REFERENCE = re.compile(r"\b[A-Za-z0-9][A-Za-z0-9_-]*-[a-z][a-z0-9_]*-\d{6}-[0-9a-f]{6,}\b")


class Collector:
    """Takes returns into one workspace's store."""

    def __init__(self, ws: Workspace, store: Store, *, as_issue: str | None = None,
                 now: dt.datetime | None = None) -> None:
        self.ws = ws
        self.store = store
        self.framework = ws.framework()
        self.forms_dir = ws.forms_dir
        self.variance = ws.variance_limit
        # One moment for the whole batch: files taken in together rank by their saved time.
        self.now = now or dt.datetime.now(dt.UTC)
        self.identity: Identity | None = None
        self._contacts: dict[str, tuple[str, ...]] | None = None
        if as_issue:
            issued = store.issued(as_issue)
            if issued is None:
                raise ToolkitError(f"no issued form has the reference '{as_issue}'; "
                                   "'partnerships status' lists them")
            self.identity = Identity(issued.form_type, issued.version, issued.partnership_id,
                                     issued.cycle, issued.issue_id, issued.due_date or "",
                                     issued.period)

    def take(self, incoming: Incoming) -> Outcome:
        """Take one incoming file in; never raises for a bad file."""
        name = incoming.name
        if incoming.data is None:
            return Outcome(name, "rejected", reasons=[incoming.error or "could not be read"])
        sha256 = hashlib.sha256(incoming.data).hexdigest()
        earlier = self.store.by_sha256(sha256)
        if earlier is not None:
            return _duplicate(name, earlier)
        try:
            package = open_package(incoming.data, name=Path(name.split(" > ")[-1]).name)
        except UnreadableFile as exc:
            return Outcome(name, "rejected", reasons=[str(exc)])
        reading = read_package(package, name, framework=self.framework,
                               forms_dir=self.forms_dir, identity=self.identity,
                               variance=self.variance)
        outcome = Outcome(name, "rejected", reading.partnership, reading.form, reading.issue)
        issued = self.store.issued(reading.issue) if reading.issue else None
        mismatch = self._mismatch(reading, issued)
        lines = static_lines(package.document)
        if issued is not None and mismatch is None and self.identity is None:
            mismatch = self._content_disagrees(issued, lines)
        if mismatch:
            outcome.reasons = [mismatch]
            return outcome
        assert issued is not None
        problems = list(reading.problems)
        if reading.definition is not None:
            problems.extend(self._identity_warnings(issued, lines))
            typed = _outside_text(lines, issued.static_lines)
            for line in typed[:5]:
                shown = line if len(line) <= 80 else line[:80] + "…"
                problems.append(Problem("", OUTSIDE_THE_BOXES,
                                        f'"{shown}" was typed outside the answer boxes and is '
                                        "not read; put it in an answer box if it matters",
                                        severity="warning"))
            problems.extend(self._sender_warnings(issued, incoming))
        errors = [p for p in problems if p.severity == "error"]
        status = "rejected" if errors or reading.definition is None else (
            "warnings" if problems else "accepted")
        outcome.reasons = [f"{p.label}: {p.message}" if p.label else p.message
                           for p in (errors or problems)]
        sender = incoming.sender or reading.modified_by or ""
        kept = self.store.add_return(
            issue_id=issued.issue_id, partnership_id=issued.partnership_id,
            form_type=issued.form_type, version=reading.version, cycle=issued.cycle,
            period=issued.period, file_name=name, sha256=sha256, original=incoming.data,
            sender=sender, doc_modified=reading.modified, answers=reading.answers,
            problems=[p.to_json() for p in problems], outcome=status,
            received_at=received_time(incoming.received_at, issued.issued_at, self.now))
        if kept.duplicate_of is not None:
            # Another command took the very same file in a moment ago.
            return _duplicate(name, kept.duplicate_of)
        outcome.return_id = kept.id
        outcome.outcome = status
        if kept.id in kept.superseded:
            outcome.outcome = "superseded"
            outcome.reasons.insert(0, "a return of this form taken in later is already kept; "
                                      "this one is kept as history")
        elif kept.superseded:
            outcome.reasons.insert(0, "replaces the earlier return of this form, which is kept "
                                      "as history")
        return outcome

    def _mismatch(self, reading: FormReading, issued: Issued | None) -> str | None:
        if reading.issue is None:
            return reading.problems[0].message if reading.problems else "could not be read"
        if issued is None:
            return (f"its reference '{reading.issue}' matches no form issued from this "
                    "workspace; it may belong to another workspace or have been altered")
        if (reading.form, reading.partnership) != (issued.form_type, issued.partnership_id):
            return (f"it says it is the {reading.form} form of {reading.partnership}, but "
                    f"'{issued.issue_id}' was issued as the {issued.form_type} form of "
                    f"{issued.partnership_id}; it may have been altered")
        if issued.cycle != self.ws.cycle:
            return (f"it is the form for {issued.cycle}, but the current cycle is "
                    f"{self.ws.cycle}; send the {self.ws.cycle} form instead")
        if reading.definition is None:
            return reading.problems[0].message if reading.problems else "could not be read"
        return _another_period(reading, issued)

    def _content_disagrees(self, issued: Issued, lines: list[str]) -> str | None:
        """An error when the form's printed reference belongs to another issued form.

        The identity in the document properties can be edited (or copied from another
        form); the reference printed on the form when it was issued is a second witness.
        """
        for reference in sorted({m for line in lines for m in _REFERENCE.findall(line)}):
            if reference == issued.issue_id:
                continue
            other = self.store.issued(reference)
            if other is not None and other.slot != issued.slot:
                return (f"its document properties say it is {issued.partnership_id} "
                        f"{issued.partnership_name}'s {issued.form_type} form ({issued.issue_id}), "
                        f"but the form itself shows the reference {reference}, issued for "
                        f"{other.partnership_id} {other.partnership_name}; it may have been "
                        "altered or mixed up: ask the sender to return the form as issued")
        return None

    def _identity_warnings(self, issued: Issued, lines: list[str]) -> list[Problem]:
        printed = [line for line in issued.static_lines if issued.issue_id in line]
        present = set(lines)
        if printed and not any(line in present for line in printed):
            return [Problem("", "Form reference",
                            f"the form no longer shows its reference {issued.issue_id} as "
                            f"issued; check it is {issued.partnership_id} "
                            f"{issued.partnership_name}'s {issued.form_type} form",
                            severity="warning")]
        return []

    def _sender_warnings(self, issued: Issued, incoming: Incoming) -> list[Problem]:
        """A warning when an emailed return comes from someone other than those asked."""
        sender = _address(incoming.sender)
        if not sender:
            return []
        expected = self._expected_senders().get(issued.partnership_id)
        if not expected or sender.casefold() in {a.casefold() for a in expected}:
            return []
        named = " or ".join(expected)
        return [Problem("", SENDER,
                        f"the email came from {sender}, not from {named} (the Business "
                        "Manager or Executive Head of Service in the register); it was taken "
                        "in, but check it was sent on their behalf", severity="warning")]

    def _expected_senders(self) -> dict[str, tuple[str, ...]]:
        if self._contacts is None:
            try:
                register = read_register(self.ws.path("register"), self.framework)
            except ToolkitError:
                register = None  # the register is checked by the commands that need it
            self._contacts = {} if register is None else {
                p.id: tuple(a for a in (p.bm_email, p.hos_email) if a)
                for p in register.partnerships}
        return self._contacts


def _another_period(reading: FormReading, issued: Issued) -> str | None:
    """Why a return is refused when it says it is for another period than the one its form
    was issued for: in its properties, or in the period a form of old typed on it."""
    wanted = stored_period(issued.period)
    if wanted is None:
        return None
    stamped = stored_period(reading.period)
    typed_text = text_of(reading.answers.get(PERIOD_TYPED))
    typed = stored_period(typed_text)
    for said, found in ((f"says it is for {stamped}", stamped),
                        (f'gives its period as "{typed_text}" ({typed})', typed)):
        if found is not None and found != wanted:
            return (f"it {said}, but {issued.issue_id} was issued for {wanted.text}; send "
                    f"the return on the form issued for {found}, or correct the period and "
                    "send it again")
    return None


def text_of(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


def _address(sender: str) -> str:
    """The address in a From header such as 'Jane Smith <jane@example.org>'."""
    return email.utils.parseaddr(sender or "")[1].strip()


def _duplicate(name: str, earlier: Return) -> Outcome:
    when = long_date(earlier.received_at)
    return Outcome(name, "duplicate", earlier.partnership_id, earlier.form_type,
                   earlier.issue_id, [f"the same file was taken in on {when} "
                                      f"({earlier.outcome}); nothing changed"], earlier.id)


def collect(ws: Workspace, paths: Sequence[Path], *, as_issue: str | None = None,
            progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None
            ) -> CollectResult:
    """Take in every return under `paths`; report one outcome per file."""
    result = CollectResult()
    files = list(gather(paths, result.ignored))
    with ws.writing("collect", note=result.notices.append), Store(ws.path("store")) as store:
        collector = Collector(ws, store, as_issue=as_issue)
        stopped: str | None = None
        for path in (progress or iter)(files):
            if stopped is not None:
                result.outcomes.append(Outcome(str(path), "not taken in", reasons=[stopped]))
                continue
            for incoming in expand(path):
                try:
                    result.outcomes.append(collector.take(incoming))
                except (sqlite3.Error, OSError) as exc:
                    # The store cannot be written (disk full, held by another program):
                    # every later file would fail the same way, so the batch stops here.
                    stopped = (f"{explain_failure(exc)}; this file was not taken in, run "
                               "collect again")
                    result.outcomes.append(Outcome(incoming.name, "not taken in",
                                                   reasons=[stopped]))
                    break
        _mark_superseded_in_batch(result, store)
    return result


def _mark_superseded_in_batch(result: CollectResult, store: Store) -> None:
    """Two returns of one form in a batch: the older one is reported as superseded."""
    by_id = {o.return_id: o for o in result.outcomes
             if o.return_id is not None and o.outcome in ("accepted", "warnings")}
    for return_id, outcome in by_id.items():
        current = store.return_by_id(return_id)
        if current is not None and current.superseded_by in by_id:
            newer = by_id[current.superseded_by]
            outcome.outcome = "superseded"
            outcome.reasons.insert(0, f"{Path(newer.file).name} in this batch is a newer "
                                      "return of the same form; this one is kept as history")
