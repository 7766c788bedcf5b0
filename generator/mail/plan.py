"""Sending forms to Business Managers and chasing returns, as .eml drafts or over SMTP.

Three steps, each a function:

- :func:`prepare_send` plans the emails that issue one form type: ONE email per Business
  Manager, with every form due from them attached. :func:`prepare_chase` plans reminders for
  overdue forms (again one per Business Manager) and a query for each rejected return, which
  lists what must be fixed and attaches the returned file so it is corrected, not restarted.
- A plan holds the emails, the forms held back (already sent, already returned) and the
  problems (an unusable address, named by its register cell; a missing form file). Nothing
  is prepared for a Business Manager whose address is unusable; everyone else's email goes.
- :func:`deliver` writes the planned emails as .eml drafts into the workspace outbox (the
  default), or sends them through the SMTP server of the workspace config, one at a time.

Each email goes out once. Before it is written or sent it is claimed in the store (one write
transaction that checks and inserts, see :meth:`Store.claim_send`); its outcome is recorded
after: drafted, sent, failed (not written or sent: the next run tries again) or unknown (the
mail server was handed the whole email but never confirmed it: only ``--resend`` sends it
again, after a person has checked Sent Items). So two runs at once never both send a form,
whatever forms each groups into its emails, and forms already recorded are held back by the
next :func:`prepare_send` unless ``resend=True``. An email claimed by a run that died is
settled by the next run: a draft is looked for (by its Message-ID) under the name reserved
with the claim and recorded if it is complete; an SMTP email becomes unknown.

Addresses are taken from the register as it is now (a corrected address is used at once),
read leniently: only the ID, Business Manager and email columns matter here, so one
malformed address does not stop the emails to everyone else. Subjects and bodies come from
the workspace's editable ``texts/send.txt``, ``chase.txt`` and ``query.txt``.

Email keys (stable, so a repeat is recognised):

- ``send:<issue ids>`` the first time; ``send:<issue ids>:resend:<date>`` for ``--resend``
  (so a resend that failed half-way can be run again the same day, sending only the rest);
- ``chase:<date>:<issue ids>`` for reminders: the same day's chase is never duplicated;
- ``query:<date>:<return id>`` for queries about a rejected return.
"""

from __future__ import annotations

import datetime as dt
import functools
import mimetypes
import os
import re
import secrets
import socket
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import fileio
from generator.council_year import long_date, long_time
from generator.errors import MailError, ToolkitError
from generator.failures import explain_failure
from generator.formdefs import FormDefinition, load_definition
from generator.mail.message import (
    DOCX_CONTENT_TYPE,
    Attachment,
    OutgoingEmail,
    build_message,
    check_address,
    draft_message_id,
    draft_path,
    new_message_id,
    safe_filename,
    write_draft,
)
from generator.mail.smtp import Mailer, SmtpSettings
from generator.mail.texts import render_text
from generator.register import Contact, read_contacts
from generator.returns.tracker import status_rows
from generator.store import Issued, Return, SendClaim, Store, parse_time
from generator.workspace import Workspace

__all__ = [
    "ChasePlan",
    "DeliveryResult",
    "MailPlan",
    "Note",
    "PlannedEmail",
    "SendPlan",
    "deliver",
    "password_from_environment",
    "password_variable",
    "prepare_chase",
    "prepare_send",
    "smtp_settings",
]

DEFAULT_PASSWORD_ENV = "PARTNERSHIPS_SMTP_PASSWORD"
DEFAULT_DEADLINE = 60.0  # seconds one SMTP email may take, unless [smtp] deadline says
RETURNED_STATES = ("accepted", "accepted with warnings", "rejected", "returned on another copy")
# A claim this old is taken to be abandoned even if its run cannot be seen (another computer):
# no email takes an hour to write or send.
ABANDONED_AFTER = dt.timedelta(hours=1)
CHECK_SENT_ITEMS = "check Sent Items, then `send --resend` if it is not there"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class PlannedEmail:
    """One email of a plan: ``kind`` is "send", "chase" or "query"."""

    kind: str
    email: OutgoingEmail
    issue_ids: tuple[str, ...]
    partnership_ids: tuple[str, ...]

    @property
    def attachment_names(self) -> tuple[str, ...]:
        return tuple(safe_filename(a.filename, default="attachment")
                     for a in self.email.attachments)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.email.key, "to_name": self.email.to_name,
                "to_address": self.email.to_address, "subject": self.email.subject,
                "attachments": list(self.attachment_names), "issues": list(self.issue_ids),
                "partnerships": list(self.partnership_ids)}


@dataclass(frozen=True)
class Note:
    """A form left out of a plan, and why (one line, naming the register cell if relevant)."""

    partnership_id: str
    issue_ids: tuple[str, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"partnership": self.partnership_id, "issues": list(self.issue_ids),
                "message": self.message}


@dataclass
class MailPlan:
    """Emails to deliver, forms held back on purpose, and problems that need fixing.

    ``held`` is not an error (already sent, already returned); ``problems`` are (an unusable
    address, a missing form file): the officer must act on them.
    """

    emails: list[PlannedEmail] = field(default_factory=list)
    held: list[Note] = field(default_factory=list)
    problems: list[Note] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"emails": [e.to_json() for e in self.emails],
                "held": [n.to_json() for n in self.held],
                "problems": [n.to_json() for n in self.problems],
                "notices": list(self.notices)}


@dataclass
class SendPlan(MailPlan):
    """The emails issuing one form type (see :func:`prepare_send`)."""

    form_type: str = ""


@dataclass
class ChasePlan(MailPlan):
    """Reminders and queries (see :func:`prepare_chase`)."""

    today: dt.date | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one planned email.

    ``path`` is the draft written; ``sent`` is True when the mail server accepted it in this
    run; ``skipped`` when another run had already written or sent it, or is doing so now
    (``note`` says which); ``error`` says in plain English why it was not delivered;
    ``maybe_sent`` (with ``error``) when the server may have taken it without confirming.
    """

    kind: str
    key: str
    to_name: str
    to_address: str
    subject: str
    attachments: tuple[str, ...]
    issue_ids: tuple[str, ...]
    path: Path | None = None
    sent: bool = False
    skipped: bool = False
    error: str | None = None
    warning: str | None = None
    maybe_sent: bool = False
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        """drafted, sent, skipped, failed (not written or sent) or unknown (may have been)."""
        if self.maybe_sent:
            return "unknown"
        if self.error is not None:
            return "failed"
        if self.skipped:
            return "skipped"
        return "sent" if self.sent else "drafted"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "status": self.status,
                "to_name": self.to_name, "to_address": self.to_address,
                "subject": self.subject, "attachments": list(self.attachments),
                "issues": list(self.issue_ids), "path": str(self.path) if self.path else None,
                "error": self.error, "warning": self.warning, "note": self.note}


# --------------------------------------------------------------------------- the register


def _named(issued: Issued) -> str:
    """The partnership a form was issued to, as messages name it: "P001 Building Control"."""
    return f"{issued.partnership_id} {issued.partnership_name}"


def _address_text(contact: Contact, reason: str) -> str:
    if reason == "is empty":
        return f"{contact.cell}: the Business Manager email is empty"
    joiner = ": " if reason.startswith("domain") else " "
    return f"{contact.cell}: the Business Manager email '{contact.address}'{joiner}{reason}"


# --------------------------------------------------------------------------- shared helpers


class _Planner:
    """What prepare_send and prepare_chase share: the store, contacts, definitions, texts."""

    def __init__(self, ws: Workspace, store: Store, plan: MailPlan, today: dt.date) -> None:
        self.ws = ws
        self.store = store
        self.plan = plan
        self.today = today
        self.contacts = read_contacts(ws.path("register"))
        self.framework = ws.framework()
        self.definitions: dict[tuple[str, int], FormDefinition] = {}
        self.sender_name, self.sender_address = _sender(ws)
        if _is_example_address(self.sender_address):
            plan.notices.append(
                f"the emails come from {self.sender_address}, the example address "
                f"{ws.config_path.name} starts with, so replies and returned forms would go "
                f"nowhere: set [council] contact_email in {ws.config_path} to the team's own "
                "address before sending")

    def definition(self, issued: Issued) -> FormDefinition:
        key = (issued.form_type, issued.version)
        if key not in self.definitions:
            try:
                definition = load_definition(issued.form_type, issued.version,
                                             framework=self.framework,
                                             forms_dir=self.ws.forms_dir)
            except ToolkitError:  # an archived version is gone: its title and reason will do
                definition = load_definition(issued.form_type, framework=self.framework,
                                             forms_dir=self.ws.forms_dir)
            self.definitions[key] = definition
        return self.definitions[key]

    def template(self, name: str) -> tuple[str, str]:
        """The text of an editable email template and the name to give in errors."""
        own = self.ws.path("texts") / name
        return self.ws.text(name), str(own) if own.exists() else name

    def hold(self, issued: Issued, message: str) -> None:
        """Leave a form out of the plan on purpose, saying why (``plan.held``)."""
        self.plan.held.append(Note(issued.partnership_id, (issued.issue_id,), message))

    def problem(self, issued: Issued, message: str) -> None:
        """Leave a form out of the plan for a fault the officer must fix (``plan.problems``)."""
        self.plan.problems.append(Note(issued.partnership_id, (issued.issue_id,), message))

    def form_attachment(self, issued: Issued) -> Attachment | None:
        """The issued form as an attachment, or None (and a problem) if its file is gone.

        The file is read only when its email is built, one email at a time.
        """
        path = Path(issued.file_path)
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            self.problem(issued, f"{_named(issued)}: the issued {issued.form_type} form {path} "
                                 f"cannot be read ({exc.strerror or exc}); issue it again with "
                                 f"'partnerships forms {issued.form_type} --id "
                                 f"{issued.partnership_id}'")
            return None
        return Attachment(safe_filename(path.name, default="form.docx"),
                          content_type=_content_type(path.name), load=path.read_bytes)

    def contact(self, issued: Issued, what: str) -> Contact | None:
        """The usable contact for a form, or None with a problem saying what is wrong."""
        contact = self.contacts.get(issued.partnership_id)
        register = self.ws.path("register").name
        if contact is None:
            self.problem(issued, f"{_named(issued)} is no longer in {register}; nothing was "
                                 f"prepared for its {issued.form_type} form")
            return None
        reason = check_address(contact.address)
        if reason:
            who = contact.name or "its Business Manager"
            self.problem(issued, f"{_address_text(contact, reason)} ({_named(issued)}); nothing "
                                 f"was prepared for {who} ({what}). Correct the address in "
                                 f"{register} and run the command again")
            return None
        return contact

    def group(self, items: Iterable[tuple[Issued, Any]], what: str
              ) -> list[tuple[Contact, list[tuple[Issued, Any]]]]:
        """Items grouped by their Business Manager's address (ignoring case), in a stable order."""
        groups: dict[str, tuple[Contact, list[tuple[Issued, Any]]]] = {}
        for issued, extra in items:
            contact = self.contact(issued, what)
            if contact is not None:
                groups.setdefault(contact.address.casefold(), (contact, []))[1].append(
                    (issued, extra))
        ordered = sorted(groups.values(), key=lambda g: (g[0].name.casefold(), g[0].address))
        for _contact, members in ordered:
            members.sort(key=lambda m: (m[0].partnership_id, m[0].issue_id))
        return ordered

    def common_context(self, forms: list[dict[str, Any]], due_dates: list[str]) -> dict[str, Any]:
        # One email may carry forms issued on different days: it gives the earliest due date
        # (each form's own is in forms[].due_date for a template that wants it).
        earliest = min(due_dates) if due_dates else None
        return {
            "council": self.ws.council,
            "forms": forms,
            "due_date": long_date(dt.date.fromisoformat(earliest), weekday=True) if earliest
            else "the date given on the form",
            "sender_name": self.sender_name,
            "return_instructions": _return_instructions(self.sender_address, len(forms)),
        }

    def form_context(self, issued: Issued, attachment: Attachment) -> dict[str, Any]:
        definition = self.definition(issued)
        due = dt.date.fromisoformat(issued.due_date) if issued.due_date else None
        return {
            "partnership_id": issued.partnership_id,
            "partnership_name": issued.partnership_name,
            "form_type": issued.form_type,
            "form_title": definition.title,
            "reason": definition.reason or definition.title,
            # The council year of an annual form, the quarter of a monitoring return.
            "period": issued.period or issued.cycle,
            "filename": attachment.filename,
            "due_date": long_date(due, weekday=True) if due else "",
            "issue_id": issued.issue_id,
        }

    def email(self, kind: str, key: str, contact: Contact,
              members: list[tuple[Issued, Attachment]], forms: list[dict[str, Any]],
              template: str, source: str, **extra: Any) -> PlannedEmail:
        """One email to a Business Manager with each of their forms (``members``) attached,
        its text from ``template`` with ``forms`` (each form's context) and ``extra``."""
        context = {**self.common_context(forms, [i.due_date for i, _ in members if i.due_date]),
                   "recipient_name": contact.name or "Business Manager", **extra}
        subject, body = render_text(template, context, source_name=source)
        return PlannedEmail(
            kind, OutgoingEmail(key, contact.name, contact.address, subject, body,
                                tuple(attachment for _, attachment in members)),
            _issue_ids(members), tuple(issued.partnership_id for issued, _ in members))

    def recorded(self, issue_id: str, kind: str, key_prefix: str | None = None
                 ) -> list[dict[str, Any]]:
        """The live sends of ``kind`` for an issue (whose key starts with the prefix), oldest
        first: written, sent, in progress or in doubt, but not failed."""
        return [row for row in self.store.sends_for_issue(issue_id) if row["kind"] == kind
                and (key_prefix is None or str(row["key"]).startswith(key_prefix))]


def _content_type(filename: str) -> str:
    if filename.lower().endswith(".docx"):
        return DOCX_CONTENT_TYPE
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _is_example_address(address: str) -> bool:
    """Whether the address is at a domain kept for examples (RFC 2606), such as the
    partnerships@example.org a new workspace starts with."""
    domain = address.rpartition("@")[2].casefold().rstrip(".")
    return domain in ("example.org", "example.com", "example.net") or domain.endswith(
        (".example", ".invalid", ".example.org", ".example.com", ".example.net"))


def _sender(ws: Workspace) -> tuple[str, str]:
    """The name signing the emails and the address they come from, from [council]."""
    council = ws.config.get("council", {})
    name = str(council.get("responsible_officer") or council.get("contact_officer")
               or ws.council)
    address = str(council.get("contact_email") or "").strip()
    if address:
        reason = check_address(address)
        if reason:
            raise MailError(f"{ws.config_path}: [council] contact_email '{address}' {reason}; "
                            "it is the address the emails come from and forms return to")
    return name, address


def _return_instructions(sender_address: str, count: int) -> str:
    form = "form" if count == 1 else "forms"
    text = (f"To return the completed {form}, reply to this email with the Word "
            f"{'file' if count == 1 else 'files'} attached")
    if sender_address:
        text += f", or email {'it' if count == 1 else 'them'} to {sender_address}"
    return text + ". Please send the Word file itself, not a PDF, a scan or a printout."


def _when(row: dict[str, Any]) -> str:
    return long_date(str(row.get("sent_at") or row.get("prepared_at") or ""))


def _earlier(row: dict[str, Any], *, what: str, check: str) -> str:
    """What an earlier send of a form did, as a phrase: ``what`` is "the form was", say.

    ``check`` says what to do about an email the mail server never confirmed, after "may
    have been sent: ".
    """
    if row.get("state") == "unknown":
        subject = what.removesuffix(" was").removesuffix(" were")
        return (f"{subject} may have been sent: {check} (to {row['to_address']} on "
                f"{_when(row)}; the mail server did not confirm it)")
    if row.get("sent_at"):
        return f"{what} already sent to {row['to_address']} on {_when(row)}"
    where = f" ({row['file_path']})" if row.get("file_path") else ""
    return f"{what} already prepared as a draft email on {_when(row)}{where}"


def _in_progress(row: dict[str, Any], *, what: str) -> str:
    """A phrase saying another run is writing or sending an email now."""
    started = parse_time(str(row.get("prepared_at") or ""))
    since = f" (since {long_time(started)})" if started else ""
    doing = "written as a draft" if row.get("via") == "draft" else "sent"
    return (f"{what} being {doing} by another run now{since}; run the command again when "
            "it has finished")


def _original(store_path: Path, return_id: int) -> bytes:
    """A returned file as the store keeps it, read when its query email is built."""
    with Store(store_path) as store:
        return store.original(return_id)


# --------------------------------------------------------------------------- send


def prepare_send(ws: Workspace, form_type: str, *, resend: bool = False,
                 partnership_id: str | None = None, today: dt.date | None = None) -> SendPlan:
    """Plan the emails that send the issued ``form_type`` forms of the current cycle.

    One email per Business Manager (by address), with every form due from them attached and
    the subject and body from the workspace's ``send.txt``. Left out: forms replaced by a later
    issue (silently), forms already returned, and forms already sent or drafted (unless
    ``resend``), each listed in ``plan.held``; forms whose Business Manager address is missing
    or malformed, or whose file is gone, each listed in ``plan.problems`` with the register
    cell or file to fix. Also held back: forms another run is sending now, and forms whose
    email may have been sent (the mail server never confirmed it) unless ``resend``.

    Nothing is written or sent: see :func:`deliver`. The only thing recorded is how emails
    claimed by a run that died ended, as far as can be told (see :func:`settle_abandoned`).
    """
    today = today or dt.date.today()
    plan = SendPlan(form_type=form_type)
    load_definition(form_type, framework=ws.framework(), forms_dir=ws.forms_dir)  # known type?
    with Store(ws.path("store")) as store:
        plan.notices.extend(settle_abandoned(store))
        planner = _Planner(ws, store, plan, today)
        issued_forms = store.all_issued(cycle=ws.cycle, form_type=form_type,
                                        partnership_id=partnership_id)
        if not issued_forms:
            which = f" for {partnership_id}" if partnership_id else ""
            plan.notices.append(f"no {form_type} form has been issued{which} in {ws.cycle}; "
                                f"issue them first with 'partnerships forms {form_type}'")
            return plan
        states = {row.issue: row for row in status_rows(store, cycle=ws.cycle, today=today)}
        due: list[tuple[Issued, Attachment]] = []
        resent: set[str] = set()
        for issued in issued_forms:
            row = states[issued.issue_id]
            if row.state == "replaced by a later issue":
                continue
            if row.state in RETURNED_STATES:
                planner.hold(issued, f"{_named(issued)}: the {form_type} form was already "
                                     f"returned on {long_date(row.returned_at)} ({row.state}); "
                                     "it is not sent again")
                continue
            records = planner.recorded(issued.issue_id, "send")
            held = _not_sent_again(records, resend=resend, today=today)
            if held:
                planner.hold(issued, f"{_named(issued)}: {held}")
                continue
            if records:
                resent.add(issued.issue_id)
            attachment = planner.form_attachment(issued)
            if attachment is not None:
                due.append((issued, attachment))
        template, source = planner.template("send.txt")
        for contact, members in planner.group(due, f"the {form_type} form"):
            issue_ids = _issue_ids(members)
            key = "send:" + ",".join(issue_ids)
            if resent.intersection(issue_ids):
                key += f":resend:{today.isoformat()}"
            forms = [planner.form_context(issued, att) for issued, att in members]
            plan.emails.append(planner.email("send", key, contact, members, forms, template,
                                             source, form_type=form_type))
    return plan


def _not_sent_again(records: list[dict[str, Any]], *, resend: bool, today: dt.date
                    ) -> str | None:
    """Why a form is held back by its earlier sends (``records``, oldest first), or None
    when it goes: it was never sent, or ``resend`` asks for it again (once a day)."""
    busy = [r for r in records if r["state"] == "claimed"]
    if busy:
        return _in_progress(busy[0], what="the form is")
    if not records:
        return None
    resent_today = any(str(r["key"]).endswith(f":resend:{today.isoformat()}") for r in records)
    if resend and not resent_today:
        return None
    earlier = records[-1]
    said = _earlier(earlier, what="the form was", check=CHECK_SENT_ITEMS)
    if resend:
        return said + "; it was already sent again today"
    if earlier["state"] != "unknown":
        return said + "; use --resend to send it again"
    return said


def _issue_ids(members: list[tuple[Issued, Attachment]]) -> tuple[str, ...]:
    """The issues of the forms one email carries, in order."""
    return tuple(sorted(issued.issue_id for issued, _ in members))


# --------------------------------------------------------------------------- chase


def prepare_chase(ws: Workspace, *, today: dt.date | None = None) -> ChasePlan:
    """Plan reminders for overdue forms and a query for each rejected return.

    Overdue (past the due date, no return): one reminder per Business Manager from
    ``chase.txt``, listing each form with how many days overdue it is, the forms re-attached.
    Rejected (the latest return was rejected and none is accepted): one query per form from
    ``query.txt``, listing each thing to fix (label and message, as the validation gave them),
    with the returned file attached so it is corrected rather than started again.
    A form already chased or queried today (or being, by another run now) is held back, so
    running this twice in a day sends nothing twice. Address problems are reported as for
    :func:`prepare_send`, and emails claimed by a run that died are settled first.
    """
    today = today or dt.date.today()
    day = today.isoformat()
    plan = ChasePlan(today=today)
    with Store(ws.path("store")) as store:
        plan.notices.extend(settle_abandoned(store))
        planner = _Planner(ws, store, plan, today)
        overdue: list[tuple[Issued, Attachment]] = []
        queries: list[tuple[Issued, Return]] = []
        for row in status_rows(store, cycle=ws.cycle, today=today):
            if row.state not in ("overdue", "rejected"):
                continue
            issued = store.issued(row.issue)
            assert issued is not None
            label = f"{_named(issued)} ({issued.form_type})"
            kind = "chase" if row.state == "overdue" else "query"
            records = planner.recorded(issued.issue_id, kind, f"{kind}:{day}:")
            busy = [r for r in records if r["state"] == "claimed"]
            what = "a reminder" if kind == "chase" else "a query"
            if busy:
                planner.hold(issued, f"{label}: {_in_progress(busy[0], what=what + ' is')}")
                continue
            if records:
                said = _earlier(records[-1], what=f"{what} was",
                                check="check Sent Items")
                planner.hold(issued, f"{label}: {said}; not repeated today")
                continue
            if row.state == "overdue":
                attachment = planner.form_attachment(issued)
                if attachment is not None:
                    overdue.append((issued, attachment))
            else:
                rejected = [r for r in store.returns_for_issue(issued.issue_id)
                            if r.outcome == "rejected"]
                queries.append((issued, rejected[-1]))

        template, source = planner.template("chase.txt")
        for contact, members in planner.group(overdue, "a reminder"):
            forms = []
            for issued, attachment in members:
                days = (today - dt.date.fromisoformat(str(issued.due_date))).days
                forms.append({**planner.form_context(issued, attachment), "days_overdue": days})
            key = f"chase:{day}:" + ",".join(_issue_ids(members))
            plan.emails.append(planner.email("chase", key, contact, members, forms, template,
                                             source))

        template, source = planner.template("query.txt")
        for contact, members in planner.group(queries, "a query about a rejected return"):
            for issued, ret in members:
                plan.emails.append(_query(planner, contact, issued, ret, template, source, day))
    if not (plan.emails or plan.held or plan.problems):
        plan.notices.append(f"no form of {ws.cycle} is overdue and no return is waiting to be "
                            "corrected; there is nothing to chase")
    return plan


def _query(planner: _Planner, contact: Contact, issued: Issued, ret: Return, template: str,
           source: str, day: str) -> PlannedEmail:
    # Imported here: commenting a form needs python-docx, which `send` does not otherwise.
    from generator.returns.corrections import annotated_copy, annotated_name, returned_name

    # The returned form goes back with a comment on each problem; if it cannot be given
    # comments, the form as returned goes back and the email's list of problems stands alone.
    try:
        annotated: bytes | None = annotated_copy(planner.ws, planner.store, ret).data
    except ToolkitError:
        annotated = None
    if annotated is not None:
        name = annotated_name(ret)
        load = functools.partial(bytes, annotated)
    else:
        name = safe_filename(returned_name(ret), default="returned form.docx")
        load = functools.partial(_original, planner.ws.path("store"), ret.id)
    attachment = Attachment(name, content_type=_content_type(name), load=load)
    errors = [p for p in ret.problems if p.get("severity", "error") == "error"] or ret.problems
    problems = [{"label": (p.get("label") or "The form").strip(),
                 "message": (p.get("message") or "").strip(), "field": p.get("field", "")}
                for p in errors]
    form = planner.form_context(issued, attachment)
    context = {**planner.common_context([form], [issued.due_date] if issued.due_date else []),
               **form, "recipient_name": contact.name or "Business Manager",
               "problems": problems, "returned_on": _when({"sent_at": ret.received_at}),
               "commented": annotated is not None}
    subject, body = render_text(template, context, source_name=source)
    return PlannedEmail(
        "query",
        OutgoingEmail(f"query:{day}:{ret.id}", contact.name, contact.address, subject, body,
                      (attachment,)),
        (issued.issue_id,), (issued.partnership_id,))


# --------------------------------------------------------------------------- delivery


def password_variable(ws: Workspace) -> str:
    """The environment variable holding the SMTP password ([smtp] password_env)."""
    return str(ws.setting("smtp", "password_env", "") or DEFAULT_PASSWORD_ENV).strip()


def password_from_environment(ws: Workspace) -> str | None:
    """The SMTP password from its environment variable, or None when it is not set."""
    return os.environ.get(password_variable(ws)) or None


def smtp_settings(ws: Workspace) -> SmtpSettings:
    """The [smtp] settings of the workspace; MailError if the server is not configured."""
    host = str(ws.setting("smtp", "host", "") or "").strip()
    if not host:
        raise MailError(f"{ws.config_path}: [smtp] host is not set. Set it to the council's "
                        "mail server to send with --smtp, or leave out --smtp to write the "
                        "emails as drafts")
    raw_port = ws.setting("smtp", "port", 587)
    try:
        port = int(raw_port)
    except (TypeError, ValueError):
        raise MailError(f"{ws.config_path}: [smtp] port '{raw_port}' is not a number") from None
    try:
        timeout = float(ws.setting("smtp", "timeout", 30))
    except (TypeError, ValueError):
        raise MailError(f"{ws.config_path}: [smtp] timeout is not a number of seconds") from None
    try:
        deadline = float(ws.setting("smtp", "deadline", DEFAULT_DEADLINE))
    except (TypeError, ValueError):
        raise MailError(f"{ws.config_path}: [smtp] deadline is not a number of seconds; it is "
                        "the longest one email may take (60 unless set)") from None
    if timeout <= 0 or deadline <= 0:
        raise MailError(f"{ws.config_path}: [smtp] timeout and deadline must be more than 0 "
                        "seconds")
    sender_name, sender_address = _sender(ws)
    if not sender_address:
        raise MailError(f"{ws.config_path}: [council] contact_email is not set; it is the "
                        "address the emails are sent from")
    user = str(ws.setting("smtp", "user", "") or "").strip() or None
    security = str(ws.setting("smtp", "security", "starttls") or "starttls").strip().lower()
    return SmtpSettings(host=host, port=port, security=security, user=user,
                        sender_name=sender_name, sender_address=sender_address, timeout=timeout,
                        deadline=deadline)


def _result(planned: PlannedEmail, **values: Any) -> DeliveryResult:
    e = planned.email
    return DeliveryResult(planned.kind, e.key, e.to_name, e.to_address, e.subject,
                          planned.attachment_names, planned.issue_ids, **values)


# --------------------------------------------------------------------------- claims

_HOST = socket.gethostname()


def _new_claimer() -> str:
    """How a run names itself in its claims: computer, process and a token for this run."""
    return f"{_HOST}:{os.getpid()}:{secrets.token_hex(6)}"


def claim_abandoned(row: dict[str, Any], now: dt.datetime | None = None) -> bool:
    """Whether the run that claimed an email (a ``sends`` row still claimed) has gone.

    Gone: its process is no longer running on this computer, or the claim is older than
    ABANDONED_AFTER (the only sign there is for a run on another computer). A claim of this
    very process is never abandoned: its own run settles it.
    """
    host, _, rest = str(row.get("claimed_by") or "").partition(":")
    pid_text = rest.partition(":")[0]
    now = now or dt.datetime.now(dt.UTC)
    try:
        claimed = dt.datetime.strptime(str(row["prepared_at"]), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return True
    if now - claimed.replace(tzinfo=dt.UTC) > ABANDONED_AFTER:
        return True
    if host != _HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid != os.getpid() and not fileio.pid_alive(pid)


def _find_draft(row: dict[str, Any]) -> Path | None:
    """The complete draft a claim's run wrote, found by its Message-ID, or None.

    It is under the name reserved with the claim, or a numbered name after it if that one
    was taken meanwhile. A 0-byte file under the reserved name is the run's own unfinished
    claim on the name (only a file system without hard links leaves one) and is removed.
    """
    if not row.get("file_path") or not row.get("message_id"):
        return None
    reserved = Path(str(row["file_path"]))
    candidate, number = reserved, 1
    while candidate.exists() and number < 1000:
        if draft_message_id(candidate) == row["message_id"]:
            return candidate
        if candidate == reserved and candidate.stat().st_size == 0:
            candidate.unlink(missing_ok=True)
        number += 1
        candidate = reserved.with_name(f"{reserved.stem}-{number}{reserved.suffix}")
    return None


def settle_abandoned(store: Store) -> list[str]:
    """Record how each email claimed by a run that has gone ended, as far as can be told.

    A draft found complete under its reserved name is recorded as drafted (and a notice
    says so); a draft not found is failed, so it is written again. An SMTP email is
    unknown: the server may have taken it, so only --resend sends it again.
    """
    notices = []
    for row in store.claimed_sends():
        if not claim_abandoned(row):
            continue
        notice = _settle(store, row)
        if notice:
            notices.append(notice)
    return notices


def _settle(store: Store, row: dict[str, Any]) -> str | None:
    claimer = str(row["claimed_by"])
    if row["via"] == "draft":
        found = _find_draft(row)
        if found is not None:
            if store.finish_send(row["id"], claimer=claimer, state="drafted",
                                 file_path=str(found)):
                return (f"the draft {found}, written by a run that stopped before recording "
                        "it, is complete and is now recorded")
            return None
        store.finish_send(row["id"], claimer=claimer, state="failed",
                          detail="the run writing it stopped before the draft was written")
        return None
    store.finish_send(row["id"], claimer=claimer, state="unknown",
                      detail="the run sending it stopped before the mail server's answer "
                             "was recorded")
    return None


def _others_doing(row: dict[str, Any], *, kind: str) -> str:
    """What another run did, or is doing, with an email: a phrase for a skipped one."""
    state = row.get("state")
    if state == "claimed":
        doing = "writing it as a draft" if row.get("via") == "draft" else "sending it"
        return f"another run is {doing} now"
    if state == "drafted":
        return f"another run has written it as a draft ({row.get('file_path')})"
    if state == "unknown":
        again = "then `send --resend`" if kind == "send" else "it is not sent again today"
        return f"another run may have sent it: check Sent Items, {again}"
    return f"another run has sent it to {row.get('to_address')}"


# --------------------------------------------------------------------------- delivery


def deliver(ws: Workspace, plan: MailPlan, *, smtp: bool = False,
            password: str | None = None) -> list[DeliveryResult]:
    """Write the planned emails as drafts (default) or send them over SMTP, one at a time.

    Drafts: one .eml per email in the workspace outbox, marked unsent (``X-Unsent: 1``) so
    Outlook and Thunderbird open it ready to send, never half-written under its name.
    SMTP (``smtp=True``): sent with the workspace's [smtp] settings and ``password`` (never
    stored), each within the [smtp] deadline (60 seconds unless set).

    Each email is claimed in the store before it is built into a file or sent, and its
    outcome recorded straight after, so a crash, a lost connection or another run at the
    same time never causes a repeat. An email another run has written or sent, or is
    handling now, is skipped (``note`` says why); one sharing only some of its forms with
    another run's is not sent (it says which), to go with the next run. An email the server
    may have taken without confirming is reported (``maybe_sent``) and never sent again
    automatically. A busy store or a full disk stops the run: that email and the rest are
    reported not sent, with the reason. Temporary files a dead run left are removed first.
    Raises MailError for settings that can never work, before anything is sent.
    """
    if not plan.emails:
        return []
    mailer = Mailer(smtp_settings(ws), password) if smtp else None
    command = "chase" if isinstance(plan, ChasePlan) else "send"
    # The writer lock also removes temporary files a dead run left.
    with ws.writing(command, note=plan.notices.append), Store(ws.path("store")) as store:
        delivery = _Delivery(ws, store, mailer)
        try:
            return [delivery.one(planned) for planned in plan.emails]
        finally:
            delivery.settle_unfinished()
            if mailer is not None:
                mailer.close()


class _Delivery:
    """One run of deliver: the store, the claims of this run and what stopped it, if anything."""

    def __init__(self, ws: Workspace, store: Store, mailer: Mailer | None) -> None:
        self.store = store
        self.mailer = mailer
        self.outbox = ws.path("outbox")
        self.sender_name, self.sender_address = _sender(ws)
        self.claimer = _new_claimer()
        self.undone = "not sent" if mailer is not None else "not written"
        self.stopped: str | None = None  # why the rest of the batch is not tried
        self.unfinished: dict[str, Any] | None = None  # this run's claim being worked on

    def one(self, planned: PlannedEmail) -> DeliveryResult:
        """Claim, build, write or send, and record one email."""
        if self.stopped is None and self.mailer is not None:
            self.stopped = self.mailer.stopped
        if self.stopped is not None:
            return _result(planned, error=self.stopped)
        message_id = new_message_id(self.sender_address)
        claim = self._claim(planned, message_id)
        if isinstance(claim, DeliveryResult):
            return claim
        assert claim.send_id is not None
        self.unfinished = {"id": claim.send_id, "file_path": claim.file_path,
                           "message_id": message_id, "via": "draft" if self.mailer is None
                           else "smtp", "handed_over": False, "claimed_by": self.claimer}
        try:
            data = build_message(planned.email, self.sender_name, self.sender_address,
                                 draft=self.mailer is None,
                                 message_id=message_id).as_bytes()
        except (OSError, ToolkitError) as exc:  # an attached file gone since it was planned
            reason = _unreadable(exc)
            self._finish(claim.send_id, "failed", detail=reason)
            return _result(planned, error=f"{self.undone}: {reason}")
        if self.mailer is None:
            return self._draft(planned, claim, data)
        return self._send(planned, claim, data)

    def _claim(self, planned: PlannedEmail, message_id: str) -> SendClaim | DeliveryResult:
        """Claim the email in the store, or the result saying why it is not sent.

        When claims of runs that have gone stand in the way, they are settled and the claim
        is tried once more.
        """
        claim = SendClaim(None, {})
        for _attempt in range(2):
            try:
                claim = self._ask_store(planned, message_id)
            except (sqlite3.Error, OSError) as exc:
                return self._stop(planned, explain_failure(exc))
            if claim.send_id is not None:
                return claim
            gone = {row["id"]: row for row in claim.blocked.values()
                    if row["state"] == "claimed" and claim_abandoned(row)}
            if not gone:
                break
            try:
                for row in gone.values():
                    _settle(self.store, row)
            except (sqlite3.Error, OSError) as exc:
                return self._stop(planned, explain_failure(exc))
        return self._blocked(planned, claim)

    def _ask_store(self, planned: PlannedEmail, message_id: str) -> SendClaim:
        """Claim the email's forms in the store (and, for a draft, its file name)."""
        pick = None
        if self.mailer is None:
            self.outbox.mkdir(parents=True, exist_ok=True)

            def pick(reserved: set[str]) -> str:
                return str(draft_path(self.outbox, planned.email, reserved))

        return self.store.claim_send(
            key=planned.email.key, kind=planned.kind, issue_ids=list(planned.issue_ids),
            to_address=planned.email.to_address,
            via="draft" if self.mailer is None else "smtp", claimer=self.claimer,
            message_id=message_id, pick_path=pick)

    def _blocked(self, planned: PlannedEmail, claim: SendClaim) -> DeliveryResult:
        """The result for an email whose forms another run holds: skipped when it holds them
        all, else not sent, naming the partnerships of the forms it holds."""
        first = next(iter(claim.blocked.values()))
        if set(claim.blocked) == set(planned.issue_ids):
            return _result(planned, skipped=True,
                           note=f"{self.undone}: {_others_doing(first, kind=planned.kind)}")
        partnerships = []
        for issue_id in planned.issue_ids:
            issued = self.store.issued(issue_id) if issue_id in claim.blocked else None
            if issued is not None:
                partnerships.append(issued.partnership_id)
        forms = " and ".join(partnerships) or "some of them"
        return _result(planned, error=(
            f"{self.undone}: another run is sending or has sent the form for {forms} in an "
            f"email of its own; run the command again to send the other forms"))

    def _draft(self, planned: PlannedEmail, claim: SendClaim, data: bytes) -> DeliveryResult:
        assert claim.send_id is not None and claim.file_path is not None
        try:
            path = write_draft(Path(claim.file_path), data)
        except OSError as exc:
            reason = explain_failure(exc)
            self._finish(claim.send_id, "failed", detail=reason)
            return self._stop(planned, reason)
        problem = self._finish(claim.send_id, "drafted", file_path=str(path))
        if problem is not None:
            self._stop(planned, problem)
            return _result(planned, path=path, warning=(
                f"written, but the store could not record it ({problem}); the next run "
                "will find it and record it"))
        return _result(planned, path=path)

    def _send(self, planned: PlannedEmail, claim: SendClaim, data: bytes) -> DeliveryResult:
        assert claim.send_id is not None and self.mailer is not None and self.unfinished
        self.unfinished["handed_over"] = True  # from here, a crash leaves it in doubt
        result = self.mailer.send(planned.email, data)
        if result.sent:
            state, detail = "sent", None
        elif result.maybe_sent:
            state, detail = "unknown", result.error
        else:
            state, detail = "failed", result.error
        problem = self._finish(claim.send_id, state, detail=detail)
        if problem is not None:
            # Left claimed: the next run lists it as one that may have been sent.
            self._stop(planned, problem)
            if result.sent:
                return _result(planned, sent=True, warning=(
                    f"sent, but the store could not record it ({problem}); the next run "
                    "will list it as one that may have been sent"))
            if not result.maybe_sent:
                return _result(planned, error=result.error, warning=(
                    f"the store could not record this ({problem})"))
        if result.maybe_sent:
            why = (result.error or "").removeprefix("may have been sent: ")
            check = (CHECK_SENT_ITEMS if planned.kind == "send"
                     else "check Sent Items; it is not sent again today")
            return _result(planned, error=f"may have been sent: {check} ({why})",
                           maybe_sent=True)
        return _result(planned, sent=result.sent, error=result.error, warning=result.warning)

    def _finish(self, send_id: int, state: str, **values: Any) -> str | None:
        """Record a claimed email's outcome; the reason if the store could not."""
        try:
            self.store.finish_send(send_id, claimer=self.claimer, state=state, **values)
        except sqlite3.Error as exc:
            return explain_failure(exc)
        self.unfinished = None
        return None

    def _stop(self, planned: PlannedEmail, reason: str) -> DeliveryResult:
        """This email and the rest are not tried: the store or the disk cannot be used."""
        headline = re.split(r": |\. |, so ", reason, maxsplit=1)[0]
        self.stopped = f"{self.undone}: the run stopped before this email ({headline})"
        return _result(planned, error=f"{self.undone}: {reason}")

    def settle_unfinished(self) -> None:
        """After an interruption (Ctrl+C, a fault), record how this run's open claim ended."""
        row, self.unfinished = self.unfinished, None
        if row is None:
            return
        try:
            if row["via"] == "smtp" and not row["handed_over"]:
                self.store.finish_send(row["id"], claimer=self.claimer, state="failed",
                                       detail="the run stopped before sending it")
            else:
                _settle(self.store, row)
        except (sqlite3.Error, OSError):
            pass  # the next run settles it: this process will have gone


def _unreadable(exc: BaseException) -> str:
    """Why an email's attachment could not be read since it was planned."""
    if isinstance(exc, OSError):
        name = f" {exc.filename}" if exc.filename else ""
        return (f"the attached file{name} cannot be read ({exc.strerror or exc}); run the "
                "command again once it is back")
    return str(exc)
