"""A workspace: one folder holding a council's config, register, forms, returns and papers.

`init` creates it with the example register and copies of the framework data, form
definitions and Word templates, so the council edits its own copies. Every other command finds
the workspace from the current folder upwards, or from --workspace.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.council_year import (
    ACCEPTED_FORMS,
    BANK_HOLIDAY_REGIONS,
    Period,
    PeriodError,
    calendar_quarter,
    current_cycle,
    current_period,
    normal_cycle,
    parse_period,
)
from generator.drives import Location, locate
from generator.errors import WorkspaceError
from generator.fileio import atomic_write_text, clean_scratch, private_folder
from generator.formdefs import FORMS_DIR
from generator.framework import BUNDLED_FRAMEWORK, Framework, load_framework
from generator.money import VarianceLimit, format_money

CONFIG_NAME = "partnerships.toml"
# Remembers the sync folder the officer was last warned about, so the warning comes once.
SYNC_WARNED = "sync-warned.txt"
PACKAGE_DIR = Path(__file__).parent
TEXTS_DIR = PACKAGE_DIR / "data" / "texts"
EMAIL_DIR = PACKAGE_DIR / "data" / "email"


def bundled_templates_dir() -> Path:
    """The Word templates shipped with the toolkit (inside the wheel, or the repo's templates/)."""
    for candidate in (PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise WorkspaceError("the toolkit's Word templates are missing from this installation; "
                         "reinstall it (pip install .)")


CONFIG_TEMPLATE = """\
# Partnership Toolkit workspace settings. Paths are relative to this folder.

[council]
name = "{council}"
# The officer named as the author of committee papers and the sender of emails.
responsible_officer = "Executive Head of Service with responsibility for Partnerships"
contact_officer = "Partnerships Lead"
contact_email = "partnerships@example.org"
# The name shown as the author of the comments on a returned form sent back for correction.
comments_author = "Partnerships Team"

[decisions]
# An executive decision that means spending or saving this much (in £) or more is a key
# decision: it goes on the Forward Plan 28 days before it is taken. The forms print it.
key_decision_threshold = 100000

[committees]
scrutiny = "Scrutiny Committee"
cgb = "Corporate Governance Board"

[cycle]
# The council year (April to March) the forms and the annual report are for, and the
# quarter of it the monitoring forms are for: "Q3" (of the year above), "Q3 2026/27" or
# "2026/27 Q3". Quarter 1 is April to June, Quarter 3 October to December, Quarter 4
# January to March.
current = "{cycle}"
period = "{period}"
# Days between issuing a form and its return date, unless --due is given; a date that falls
# at a weekend or on a bank holiday moves to the next working day.
due_days = 28

[calendar]
# Whose bank holidays due dates avoid: "england-and-wales", "scotland" or "northern-ireland".
bank_holidays = "england-and-wales"

[money]
# A forecast outturn this far from the budget, in either direction, needs an explanation on
# the monitoring return (the budget commentary): a percentage of the budget, or pounds.
explain_variance_percent = 5
explain_variance_pounds = 25000

[workspace]
# How long a command waits while another officer's command is writing to this workspace
# before it says who is working in it, and after how many hours a lock left by a command
# that never finished (on another computer) is cleared.
lock_wait_seconds = 5
lock_stale_hours = 12

[paths]
register = "register.xlsx"
framework = "framework/framework.toml"
forms = "framework/forms"
templates = "templates"
texts = "texts"
issued = "forms/issued"
returns = "returns"
reports = "reports"
outbox = "outbox"
store = "store.sqlite"

[smtp]
# Used only by 'partnerships send --smtp'. The password is never stored: it is read from the
# environment variable named below, or asked for.
host = ""
port = 587
security = "starttls"
user = ""
password_env = "PARTNERSHIPS_SMTP_PASSWORD"
# The longest one email may take to send, in seconds; a slower server is given up.
deadline = 60

[mailbox]
# Used only by 'partnerships collect --mailbox', which reads the folder returns arrive in.
host = ""
# security: "tls" (port 993) or "starttls" (port 143).
security = "tls"
port = 993
user = ""
folder = "INBOX"
# Where the password comes from, never from this file: "environment" (the variable named
# in password_env), "keyring" (the system's keyring, saved there once with
# 'python -m keyring set partnerships-toolkit USER') or "oauth2" (Microsoft 365: the
# command in token_command prints an access token; IT sets it up).
password_from = "environment"
password_env = "PARTNERSHIPS_IMAP_PASSWORD"
token_command = ""
# Leave these empty to leave messages where they are, or name folders (which must exist)
# to move each message taken in, and each with something refused, once it has been read.
processed_folder = ""
needs_attention_folder = ""
# How long to wait for an answer from the mail server, in seconds.
timeout = 30
"""


@dataclass
class Workspace:
    root: Path
    config: dict[str, Any]
    # What the workspace itself has to say while a command runs (a stale lock cleared, say),
    # for commands whose results have no notices of their own; the command line prints them.
    notices: list[str] = field(default_factory=list, compare=False)

    def path(self, key: str) -> Path:
        value = self.config.get("paths", {}).get(key)
        if not value:
            raise WorkspaceError(f"{self.config_path}: [paths] {key} is not set")
        return (self.root / value).resolve()

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def council(self) -> str:
        return str(self.config.get("council", {}).get("name", ""))

    @property
    def cycle(self) -> str:
        return str(self.config.get("cycle", {}).get("current") or current_cycle())

    @property
    def period(self) -> Period:
        """The quarter the monitoring forms are for ([cycle] period), in the current year."""
        text = self.config.get("cycle", {}).get("period")
        if not text:
            return current_period()
        where = f"{self.config_path}: [cycle] period"
        try:
            period = calendar_quarter(str(text)) or parse_period(str(text), self.cycle)
        except PeriodError as exc:
            raise WorkspaceError(f"{where}: {exc}") from None
        if period.cycle != normal_cycle(self.cycle):
            raise WorkspaceError(f'{where}: "{text}" is a quarter of {period.cycle}, but the '
                                 f"council year is {self.cycle} ([cycle] current); write a "
                                 f"quarter of {self.cycle}, such as Q{period.quarter}")
        return period

    @property
    def due_days(self) -> int:
        return int(self.setting("cycle", "due_days"))

    @property
    def bank_holidays(self) -> str:
        """Whose bank holidays due dates avoid ([calendar] bank_holidays)."""
        region = self.setting("calendar", "bank_holidays")
        if region not in BANK_HOLIDAY_REGIONS:
            raise WorkspaceError(f'{self.config_path}: [calendar] bank_holidays "{region}" is '
                                 f"not one of {', '.join(BANK_HOLIDAY_REGIONS)}")
        return str(region)

    @property
    def variance_limit(self) -> VarianceLimit:
        """How far a forecast may be from the budget before a return must explain it."""
        return VarianceLimit(self.amount_setting("money", "explain_variance_percent"),
                             self.amount_setting("money", "explain_variance_pounds"))

    def amount_setting(self, section: str, key: str) -> float:
        """A number of the settings that must not be negative (a percentage, pounds)."""
        value = self.setting(section, key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise WorkspaceError(f"{self.config_path}: [{section}] {key} must be a number, 0 "
                                 f"or more, such as {DEFAULT_SETTINGS[section][key]}")
        return float(value)

    def check_settings(self) -> None:
        """Refuse settings a command would trip over later (the region of bank holidays, the
        variance thresholds, the key decision threshold, the days to return a form), each
        with the file, the setting and what is expected: checked when the workspace opens."""
        _ = self.bank_holidays, self.variance_limit, self.decisions_context()
        days = self.setting("cycle", "due_days")
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise WorkspaceError(f"{self.config_path}: [cycle] due_days is '{days}'; give the "
                                 "number of days a form is due after it is issued, such as 28")

    def decisions_context(self) -> dict[str, str]:
        """The [decisions] settings as a form prints them: the key decision threshold."""
        threshold = self.setting("decisions", "key_decision_threshold")
        if threshold is None or threshold == "":
            return {"key_decision_threshold": "the amount the council's constitution sets"}
        if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
                or threshold <= 0:
            raise WorkspaceError(f"{self.config_path}: [decisions] key_decision_threshold is "
                                 f"'{threshold}'; give the amount in pounds as a number, such "
                                 "as 100000")
        return {"key_decision_threshold": format_money(threshold)}

    def setting(self, section: str, key: str, default: Any = None) -> Any:
        """A setting of partnerships.toml; one a workspace made before it existed lacks is
        as the settings of a new workspace give it."""
        own = self.config.get(section, {})
        if key in own:
            return own[key]
        return DEFAULT_SETTINGS.get(section, {}).get(key, default)

    @property
    def framework_path(self) -> Path:
        path = self.path("framework")
        return path if path.exists() else BUNDLED_FRAMEWORK

    @property
    def forms_dir(self) -> Path:
        path = self.path("forms")
        return path if path.is_dir() else FORMS_DIR

    @property
    def templates_dir(self) -> Path:
        path = self.path("templates")
        return path if path.is_dir() else bundled_templates_dir()

    def framework(self) -> Framework:
        return load_framework(self.framework_path)

    @contextlib.contextmanager
    def writing(self, command: str, note: Callable[[str], None] | None = None
                ) -> Iterator[None]:
        """Hold the workspace's writer lock while a command changes the workspace.

        Another command writing to it is waited for a few seconds (`[workspace]
        lock_wait_seconds`), then WorkspaceBusy says who it is. Temporary files that a
        command killed half-way left behind are removed first.
        """
        from generator.lock import DEFAULT_STALE_SECONDS, DEFAULT_WAIT_SECONDS, writer_lock

        wait = self._seconds("lock_wait_seconds", DEFAULT_WAIT_SECONDS)
        stale = self._seconds("lock_stale_hours", DEFAULT_STALE_SECONDS / 3600) * 3600
        with writer_lock(self.root, command, wait=wait, stale_after=stale,
                         note=note or self.notices.append):
            clean_scratch(self.root)
            yield

    def _seconds(self, key: str, default: float) -> float:
        value = self.setting("workspace", key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise WorkspaceError(f"{self.config_path}: [workspace] {key} must be a number "
                                 f"of {'hours' if key.endswith('hours') else 'seconds'}, "
                                 f"such as {default:g}")
        return float(value)

    @functools.cached_property
    def location(self) -> Location:
        """Where the workspace is: on a network drive, in a folder a sync client copies."""
        return locate(self.root)

    def sync_warning(self) -> str | None:
        """A warning that a sync client copies the workspace: once for each sync folder."""
        sync = self.location.sync
        if sync is None:
            return None
        marker = private_folder(self.root) / SYNC_WARNED
        with contextlib.suppress(OSError):
            if marker.read_text(encoding="utf-8") == sync.folder:
                return None
        with contextlib.suppress(OSError):
            atomic_write_text(marker, sync.folder)
        return (f"the workspace is inside {sync.folder}, which {sync.client} keeps in sync: "
                "it may copy store.sqlite while a command is writing to it, or bring back an "
                "older copy from another computer, and returns or the record of emails sent "
                "would be lost. Move the workspace to a network drive or a folder that is not "
                "synced (see 'Sharing a workspace' in the README); this warning is not repeated")

    def sharing(self, journal_mode: str) -> str:
        """One line: where the workspace is and the journal the store uses there."""
        journal = ("a write-ahead log (WAL)" if journal_mode == "wal"
                   else "a rollback journal")
        where = self.location
        if where.network:
            return (f"The workspace is on {where.network}: the store uses {journal}, so "
                    "officers on several computers can share it, one changing command at a "
                    "time.")
        if where.sync is not None:
            return (f"The workspace is in {where.sync.folder}, which {where.sync.client} keeps "
                    f"in sync: the store uses {journal}, so it is one complete file between "
                    "commands, but see 'Sharing a workspace' in the README.")
        return (f"The workspace is on a local disk: the store uses {journal}; share it with "
                "other computers only from a network drive.")

    def text(self, name: str) -> str:
        """An editable text of the workspace (email or report wording), or the bundled one."""
        own = self.path("texts") / name
        if own.exists():
            return own.read_text(encoding="utf-8")
        for folder in (TEXTS_DIR, EMAIL_DIR):
            if (folder / name).exists():
                return (folder / name).read_text(encoding="utf-8")
        raise WorkspaceError(f"no text named {name} in {self.path('texts')}")


def init_workspace(folder: Path, *, council: str | None = None,
                   today: dt.date | None = None) -> Workspace:
    """Create a workspace with the example register; refuse if one is already there."""
    folder = folder.resolve()
    if (folder / CONFIG_NAME).exists():
        raise WorkspaceError(f"{folder} is already a workspace ({CONFIG_NAME} exists); "
                             "nothing was changed. Choose another folder")
    if folder.exists() and any(folder.iterdir()):
        raise WorkspaceError(f"{folder} is not empty; nothing was changed. Choose a new or "
                             "empty folder so no file of yours is overwritten")
    from generator.register import write_example_register

    framework = load_framework()
    council = council or framework.strategy["council"]
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("forms/issued", "returns", "reports", "outbox", "texts", "framework/forms",
                "templates"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(BUNDLED_FRAMEWORK, folder / "framework" / "framework.toml")
    for definition in FORMS_DIR.glob("*.toml"):
        shutil.copyfile(definition, folder / "framework" / "forms" / definition.name)
    if (FORMS_DIR / "archive").is_dir():
        shutil.copytree(FORMS_DIR / "archive", folder / "framework" / "forms" / "archive")
    for template in bundled_templates_dir().glob("*.docx"):
        shutil.copyfile(template, folder / "templates" / template.name)
    for source in (TEXTS_DIR, EMAIL_DIR):
        if source.is_dir():
            for text in source.glob("*.txt"):
                shutil.copyfile(text, folder / "texts" / text.name)
    escaped = council.replace("\\", "\\\\").replace('"', '\\"')
    atomic_write_text(folder / CONFIG_NAME, CONFIG_TEMPLATE.format(
        council=escaped, cycle=current_cycle(today), period=current_period(today)))
    write_example_register(folder / "register.xlsx")
    return open_workspace(folder)


# What a setting is when a workspace's partnerships.toml lacks it (one made before the
# setting existed): as the settings of a new workspace give it.
DEFAULT_SETTINGS: dict[str, Any] = tomllib.loads(
    CONFIG_TEMPLATE.format(council="", cycle="", period=""))


def open_workspace(folder: Path) -> Workspace:
    """Open the workspace at `folder` (bringing an old calendar-quarter period up to date)."""
    config_path = folder / CONFIG_NAME
    try:
        text = config_path.read_text(encoding="utf-8")
        config = tomllib.loads(text)
    except FileNotFoundError:
        raise WorkspaceError(f"{folder} is not a workspace (no {CONFIG_NAME}); create one with "
                             "'partnerships init FOLDER'") from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{config_path}: not valid TOML: {exc}") from None
    notices: list[str] = []
    _quarters_of_the_council_year(config_path, text, config, notices)
    workspace = Workspace(folder.resolve(), config, notices)
    workspace.check_settings()
    return workspace


_PERIOD_LINE = re.compile(r'^(?P<key>\s*period\s*=\s*)"(?P<old>[^"\n]*)"', re.MULTILINE)


def _quarters_of_the_council_year(path: Path, text: str, config: dict[str, Any],
                                  notices: list[str]) -> None:
    """Rewrite an old calendar-quarter `[cycle] period` ('2026-Q4') as the quarter of the
    council year it covers ('Q3 2026/27'), in the settings and in the file, saying so."""
    old = config.get("cycle", {}).get("period")
    period = calendar_quarter(old) if isinstance(old, str) else None
    if period is None:
        return
    config["cycle"]["period"] = str(period)
    section = re.search(r"^\s*\[cycle\]\s*$", text, re.MULTILINE)
    found = _PERIOD_LINE.search(text, section.end()) if section else None
    said = (f'{path.name}: [cycle] period "{old}" was a calendar quarter; periods are now '
            f"quarters of the council year ({ACCEPTED_FORMS}): {period.months} is {period}")
    if found is None or found.group("old") != old:
        notices.append(said + f"; change it to \"{period}\" in {path.name}")
        return
    updated = f'{text[:found.start()]}{found.group("key")}"{period}"{text[found.end():]}'
    try:
        atomic_write_text(path, updated)
    except OSError:
        notices.append(said + f"; change it to \"{period}\" in {path.name}")
        return
    notices.append(said + ", and the file now says so")


def find_workspace(start: Path | None = None) -> Workspace:
    """The workspace containing `start` (default: the current folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).exists():
            return open_workspace(folder)
    raise WorkspaceError(f"no workspace found in {here} or above it; run the command inside a "
                         "workspace, pass --workspace FOLDER, or create one with "
                         "'partnerships init FOLDER'")
