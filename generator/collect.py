"""Taking in returned forms: files, folders and saved emails, one outcome per file.

Each file is matched to what was issued by the identity stamped in it (never by its name),
read, validated and kept in the store with its original bytes. One bad file never stops the
batch. Taking the same file in twice changes nothing; a later return for the same issued form
supersedes the earlier one, which stays in the history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.email_intake import EMAIL_SUFFIXES, read_saved_email
from generator.errors import ToolkitError, UnreadableFile
from generator.forms import static_lines
from generator.package import open_package
from generator.reader import FormReading, read_package
from generator.render import Identity
from generator.store import Store
from generator.validate import Problem
from generator.workspace import Workspace

OUTCOMES = ("accepted", "warnings", "rejected", "duplicate", "superseded")
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
    ignored: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def any_rejected(self) -> bool:
        return self.count("rejected") > 0

    def summary(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in OUTCOMES if self.count(o)]
        text = f"{len(self.outcomes)} file(s): " + (", ".join(parts) or "nothing taken in")
        if self.ignored:
            text += f"; {len(self.ignored)} other file(s) in the folders ignored"
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


def gather(paths: Sequence[Path], ignored: list[str]) -> Iterator[Path]:
    """The files to take in: named files as they are, folders searched recursively."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                if found.resolve() in seen:
                    continue
                seen.add(found.resolve())
                if _is_candidate(found):
                    yield found
                else:
                    ignored.append(str(found))
        elif path.resolve() not in seen:
            seen.add(path.resolve())
            yield path


def _read_file(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(f"{path.name} is {size / 1e6:.0f} MB, larger than any form; "
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
    yield from _email_attachments(path, data)


def _email_attachments(path: Path, data: bytes) -> Iterator[Incoming]:
    try:
        found = read_saved_email(data, str(path))
    except UnreadableFile as exc:
        yield Incoming(str(path), None, error=str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - any malformed email is one rejected input
        yield Incoming(str(path), None, error=f"the saved email cannot be read ({exc})")
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


class Collector:
    """Takes returns into one workspace's store."""

    def __init__(self, ws: Workspace, store: Store, *, as_issue: str | None = None) -> None:
        self.ws = ws
        self.store = store
        self.framework = ws.framework()
        self.forms_dir = ws.forms_dir
        self.identity: Identity | None = None
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
            return Outcome(name, "duplicate", earlier.partnership_id, earlier.form_type,
                           earlier.issue_id, [f"the same file was taken in on "
                                              f"{earlier.received_at[:10]} ({earlier.outcome}); "
                                              "nothing changed"], earlier.id)
        try:
            package = open_package(incoming.data, name=Path(name.split(" > ")[-1]).name)
        except UnreadableFile as exc:
            return Outcome(name, "rejected", reasons=[str(exc)])
        reading = read_package(package, name, framework=self.framework,
                               forms_dir=self.forms_dir, identity=self.identity)
        outcome = Outcome(name, "rejected", reading.partnership, reading.form, reading.issue)
        issued = self.store.issued(reading.issue) if reading.issue else None
        mismatch = self._mismatch(reading, issued)
        if mismatch:
            outcome.reasons = [mismatch]
            return outcome
        assert issued is not None
        problems = list(reading.problems)
        if reading.definition is not None:
            typed = _outside_text(static_lines(package.document), issued.static_lines)
            for line in typed[:5]:
                shown = line if len(line) <= 80 else line[:80] + "…"
                problems.append(Problem("", "Text outside the answer boxes",
                                        f'"{shown}" was typed outside the answer boxes and is '
                                        "not read; put it in an answer box if it matters",
                                        severity="warning"))
        errors = [p for p in problems if p.severity == "error"]
        status = "rejected" if errors or reading.definition is None else (
            "warnings" if problems else "accepted")
        outcome.reasons = [f"{p.label}: {p.message}" if p.label else p.message
                           for p in (errors or problems)]
        sender = incoming.sender or reading.modified_by or ""
        new_id, superseded = self.store.add_return(
            issue_id=issued.issue_id, partnership_id=issued.partnership_id,
            form_type=issued.form_type, version=reading.version, cycle=issued.cycle,
            period=issued.period, file_name=name, sha256=sha256, original=incoming.data,
            sender=sender, doc_modified=reading.modified, answers=reading.answers,
            problems=[p.to_json() for p in problems], outcome=status,
            received_at=incoming.received_at)
        outcome.return_id = new_id
        outcome.outcome = status
        if superseded == [new_id]:
            outcome.outcome = "superseded"
            outcome.reasons.insert(0, "a newer return of this form (by the document's saved "
                                      "time) is already kept; this one is kept as history")
        elif superseded:
            outcome.reasons.insert(0, "replaces the earlier return of this form, which is kept "
                                      "as history")
        return outcome

    def _mismatch(self, reading: FormReading, issued: Any) -> str | None:
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
        return None


def collect(ws: Workspace, paths: Sequence[Path], *, as_issue: str | None = None,
            progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None
            ) -> CollectResult:
    """Take in every return under `paths`; report one outcome per file."""
    result = CollectResult()
    files = list(gather(paths, result.ignored))
    with Store(ws.path("store")) as store:
        collector = Collector(ws, store, as_issue=as_issue)
        for path in (progress or iter)(files):
            for incoming in expand(path):
                result.outcomes.append(collector.take(incoming))
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
