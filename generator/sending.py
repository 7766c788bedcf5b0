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
  default), or sends them through the SMTP server of the workspace config, and records each
  one in the store's ``sends`` table as soon as it is written or accepted. Forms already
  recorded are held back by the next :func:`prepare_send` unless ``resend=True``, so running
  a command twice never sends twice, and an SMTP run that failed half-way sends only the rest
  when run again.

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
import mimetypes
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from generator.errors import MailError, RegisterError, ToolkitError
from generator.formdefs import FormDefinition, load_definition
from generator.forms import long_date
from generator.mail import (
    DOCX_CONTENT_TYPE,
    Attachment,
    OutgoingEmail,
    SendResult,
    SmtpSettings,
    check_address,
    render_text,
    safe_filename,
    send_all,
    write_drafts,
)
from generator.register import SHEET, _header_key, _text
from generator.store import Issued, Return, Store
from generator.tracker import status_rows
from generator.workspace import Workspace

__all__ = [
    "ChasePlan",
    "Contact",
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
    "read_contacts",
    "smtp_settings",
]

DEFAULT_PASSWORD_ENV = "PARTNERSHIPS_SMTP_PASSWORD"
RETURNED_STATES = ("accepted", "accepted with warnings", "rejected", "returned on another copy")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Contact:
    """A partnership's Business Manager as the register gives them, and where."""

    partnership_id: str
    name: str
    address: str
    cell: str  # the register cell holding the address, e.g. "register.xlsx, Partnerships!K5"


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
    run; ``skipped`` when the store said it had already been written or sent; ``error`` says
    in plain English why it was not delivered.
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

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
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
                "error": self.error, "warning": self.warning}


# --------------------------------------------------------------------------- the register


def read_contacts(ws: Workspace) -> dict[str, Contact]:
    """Each partnership's Business Manager name and address from the register, with its cell.

    Deliberately lenient: only the ID, Business Manager and email columns are read, and an
    address is taken as written (whitespace collapsed, as the register reader does), so that
    :func:`prepare_send` can report a bad address by its cell and still email everyone else.
    """
    path = ws.path("register")
    if not path.exists():
        raise RegisterError(f"{path}: register not found")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise RegisterError(f"{path}: cannot be read as an Excel workbook (.xlsx): {exc}; save "
                            "it from Excel as 'Excel Workbook (.xlsx)'") from None
    try:
        sheet = workbook[SHEET] if SHEET in workbook.sheetnames else workbook.worksheets[0]
        title = sheet.title
        rows = list(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()
    columns: dict[str, int] = {}
    for index, header in enumerate(rows[0] if rows else ()):
        key = _header_key(header)
        if key and key not in columns:
            columns[key] = index
    missing = [key for key in ("id", "bm_name", "bm_email") if key not in columns]
    if missing:
        raise RegisterError(f"{path.name}, {title}!1: the register has no column for "
                            f"{', '.join(missing)}; row 1 must hold the column headers")
    contacts: dict[str, Contact] = {}
    for row_number, row in enumerate(rows[1:], start=2):
        def cell(key: str, _row: tuple[Any, ...] = row) -> str:
            index = columns[key]
            return _text(_row[index]) if index < len(_row) else ""

        pid = cell("id")
        if not pid or pid in contacts:
            continue  # 'partnerships register check' reports blank and repeated IDs
        where = f"{path.name}, {title}!{get_column_letter(columns['bm_email'] + 1)}{row_number}"
        contacts[pid] = Contact(pid, cell("bm_name"), cell("bm_email"), where)
    return contacts


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
        self.contacts = read_contacts(ws)
        self.framework = ws.framework()
        self.definitions: dict[tuple[str, int], FormDefinition] = {}
        self.sender_name, self.sender_address = _sender(ws)

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

    def form_attachment(self, issued: Issued) -> Attachment | None:
        """The issued form as an attachment, or None (and a problem) if its file is gone."""
        path = Path(issued.file_path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.plan.problems.append(Note(
                issued.partnership_id, (issued.issue_id,),
                f"{issued.partnership_id} {issued.partnership_name}: the issued {issued.form_type}"
                f" form {path} cannot be read ({exc.strerror or exc}); issue it again with "
                f"'partnerships forms {issued.form_type} --id {issued.partnership_id}'"))
            return None
        return Attachment(safe_filename(path.name, default="form.docx"), data,
                          _content_type(path.name))

    def contact(self, issued: Issued, what: str) -> Contact | None:
        """The usable contact for a form, or None with a problem saying what is wrong."""
        contact = self.contacts.get(issued.partnership_id)
        register = self.ws.path("register").name
        if contact is None:
            self.plan.problems.append(Note(
                issued.partnership_id, (issued.issue_id,),
                f"{issued.partnership_id} {issued.partnership_name} is no longer in {register}; "
                f"nothing was prepared for its {issued.form_type} form"))
            return None
        reason = check_address(contact.address)
        if reason:
            who = contact.name or "its Business Manager"
            self.plan.problems.append(Note(
                issued.partnership_id, (issued.issue_id,),
                f"{_address_text(contact, reason)} ({issued.partnership_id} "
                f"{issued.partnership_name}); nothing was prepared for {who} ({what}). "
                f"Correct the address in {register} and run the command again"))
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
            "due_date": long_date(dt.date.fromisoformat(earliest)) if earliest
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
            "filename": attachment.filename,
            "due_date": long_date(due) if due else "",
            "issue_id": issued.issue_id,
        }

    def recorded(self, issue_id: str, kind: str, key_prefix: str | None = None
                 ) -> dict[str, Any] | None:
        """The latest record of ``kind`` for an issue (whose key starts with the prefix)."""
        rows = [row for row in self.store.sends_for_issue(issue_id) if row["kind"] == kind
                and (key_prefix is None or str(row["key"]).startswith(key_prefix))]
        return rows[-1] if rows else None


def _content_type(filename: str) -> str:
    if filename.lower().endswith(".docx"):
        return DOCX_CONTENT_TYPE
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


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
    stamp = row.get("sent_at") or row.get("prepared_at") or ""
    try:
        day = dt.date.fromisoformat(str(stamp)[:10])
    except ValueError:
        return str(stamp)
    return f"{day.day} {day:%B %Y}"


def _earlier(row: dict[str, Any], *, what: str) -> str:
    if row.get("sent_at"):
        return f"{what} already sent to {row['to_address']} on {_when(row)}"
    where = f" ({row['file_path']})" if row.get("file_path") else ""
    return f"{what} already prepared as a draft email on {_when(row)}{where}"


def _returned_name(ret: Return) -> str:
    """The file name a return came in as (the attachment's, for a saved email)."""
    return Path(ret.file_name.split(" > ")[-1].replace("\\", "/")).name or "returned form.docx"


# --------------------------------------------------------------------------- send


def prepare_send(ws: Workspace, form_type: str, *, resend: bool = False,
                 partnership_id: str | None = None, today: dt.date | None = None) -> SendPlan:
    """Plan the emails that send the issued ``form_type`` forms of the current cycle.

    One email per Business Manager (by address), with every form due from them attached and
    the subject and body from the workspace's ``send.txt``. Left out: forms replaced by a later
    issue (silently), forms already returned, and forms already sent or drafted (unless
    ``resend``), each listed in ``plan.held``; forms whose Business Manager address is missing
    or malformed, or whose file is gone, each listed in ``plan.problems`` with the register
    cell or file to fix. Nothing is written or recorded: see :func:`deliver`.
    """
    today = today or dt.date.today()
    plan = SendPlan(form_type=form_type)
    load_definition(form_type, framework=ws.framework(), forms_dir=ws.forms_dir)  # known type?
    with Store(ws.path("store")) as store:
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
            label = f"{issued.partnership_id} {issued.partnership_name}"
            if row.state == "replaced by a later issue":
                continue
            if row.state in RETURNED_STATES:
                plan.held.append(Note(issued.partnership_id, (issued.issue_id,),
                                      f"{label}: the {form_type} form was already returned on "
                                      f"{row.returned_at} ({row.state}); it is not sent again"))
                continue
            earlier = planner.recorded(issued.issue_id, "send")
            if earlier is not None:
                resent_today = any(str(r["key"]).endswith(f":resend:{today.isoformat()}")
                                   for r in store.sends_for_issue(issued.issue_id))
                if resend and not resent_today:
                    resent.add(issued.issue_id)
                else:
                    hint = ("it was already sent again today" if resend
                            else "use --resend to send it again")
                    plan.held.append(Note(issued.partnership_id, (issued.issue_id,),
                                          f"{label}: {_earlier(earlier, what='the form was')}; "
                                          f"{hint}"))
                    continue
            attachment = planner.form_attachment(issued)
            if attachment is not None:
                due.append((issued, attachment))
        template, source = planner.template("send.txt")
        for contact, members in planner.group(due, f"the {form_type} form"):
            issue_ids = tuple(sorted(issued.issue_id for issued, _ in members))
            key = "send:" + ",".join(issue_ids)
            if resent & set(issue_ids):
                key += f":resend:{today.isoformat()}"
            forms = [planner.form_context(issued, att) for issued, att in members]
            context = {**planner.common_context(
                forms, [i.due_date for i, _ in members if i.due_date]),
                "recipient_name": contact.name or "Business Manager", "form_type": form_type}
            subject, body = render_text(template, context, source_name=source)
            plan.emails.append(PlannedEmail(
                "send",
                OutgoingEmail(key, contact.name, contact.address, subject, body,
                              tuple(att for _, att in members)),
                issue_ids, tuple(issued.partnership_id for issued, _ in members)))
    return plan


# --------------------------------------------------------------------------- chase


def prepare_chase(ws: Workspace, *, today: dt.date | None = None) -> ChasePlan:
    """Plan reminders for overdue forms and a query for each rejected return.

    Overdue (past the due date, no return): one reminder per Business Manager from
    ``chase.txt``, listing each form with how many days overdue it is, the forms re-attached.
    Rejected (the latest return was rejected and none is accepted): one query per form from
    ``query.txt``, listing each thing to fix (label and message, as the validation gave them),
    with the returned file attached so it is corrected rather than started again.
    A form already chased or queried today is held back, so running this twice in a day
    sends nothing twice. Address problems are reported as for :func:`prepare_send`.
    """
    today = today or dt.date.today()
    day = today.isoformat()
    plan = ChasePlan(today=today)
    with Store(ws.path("store")) as store:
        planner = _Planner(ws, store, plan, today)
        overdue: list[tuple[Issued, Attachment]] = []
        queries: list[tuple[Issued, Return]] = []
        for row in status_rows(store, cycle=ws.cycle, today=today):
            if row.state not in ("overdue", "rejected"):
                continue
            issued = store.issued(row.issue)
            assert issued is not None
            label = f"{issued.partnership_id} {issued.partnership_name}"
            kind = "chase" if row.state == "overdue" else "query"
            earlier = planner.recorded(issued.issue_id, kind, f"{kind}:{day}:")
            if earlier is not None:
                what = "a reminder was" if kind == "chase" else "a query was"
                plan.held.append(Note(issued.partnership_id, (issued.issue_id,),
                                      f"{label} ({issued.form_type}): "
                                      f"{_earlier(earlier, what=what)}; not repeated today"))
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
            issue_ids = tuple(sorted(issued.issue_id for issued, _ in members))
            forms = []
            for issued, attachment in members:
                days = (today - dt.date.fromisoformat(str(issued.due_date))).days
                forms.append({**planner.form_context(issued, attachment), "days_overdue": days})
            context = {**planner.common_context(
                forms, [i.due_date for i, _ in members if i.due_date]),
                "recipient_name": contact.name or "Business Manager"}
            subject, body = render_text(template, context, source_name=source)
            plan.emails.append(PlannedEmail(
                "chase",
                OutgoingEmail(f"chase:{day}:" + ",".join(issue_ids), contact.name,
                              contact.address, subject, body,
                              tuple(att for _, att in members)),
                issue_ids, tuple(issued.partnership_id for issued, _ in members)))

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
    name = safe_filename(_returned_name(ret), default="returned form.docx")
    attachment = Attachment(name, planner.store.original(ret.id), _content_type(name))
    errors = [p for p in ret.problems if p.get("severity", "error") == "error"] or ret.problems
    problems = [{"label": (p.get("label") or "The form").strip(),
                 "message": (p.get("message") or "").strip(), "field": p.get("field", "")}
                for p in errors]
    form = planner.form_context(issued, attachment)
    context = {**planner.common_context([form], [issued.due_date] if issued.due_date else []),
               **form, "recipient_name": contact.name or "Business Manager",
               "problems": problems, "returned_on": _when({"sent_at": ret.received_at})}
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
    sender_name, sender_address = _sender(ws)
    if not sender_address:
        raise MailError(f"{ws.config_path}: [council] contact_email is not set; it is the "
                        "address the emails are sent from")
    user = str(ws.setting("smtp", "user", "") or "").strip() or None
    security = str(ws.setting("smtp", "security", "starttls") or "starttls").strip().lower()
    return SmtpSettings(host=host, port=port, security=security, user=user,
                        sender_name=sender_name, sender_address=sender_address, timeout=timeout)


def _result(planned: PlannedEmail, **values: Any) -> DeliveryResult:
    e = planned.email
    return DeliveryResult(planned.kind, e.key, e.to_name, e.to_address, e.subject,
                          planned.attachment_names, planned.issue_ids, **values)


def _key_recorded(store: Store, key: str) -> bool:
    return store.db.execute("SELECT 1 FROM sends WHERE key = ?", (key,)).fetchone() is not None


def deliver(ws: Workspace, plan: MailPlan, *, smtp: bool = False,
            password: str | None = None) -> list[DeliveryResult]:
    """Write the planned emails as drafts (default) or send them over SMTP; record each one.

    Drafts: one .eml per email in the workspace outbox, marked unsent (``X-Unsent: 1``) so
    Outlook and Thunderbird open it ready to send, each recorded in the store (``via="draft"``)
    so that the next plan holds those forms back.

    SMTP (``smtp=True``): sent with the workspace's [smtp] settings and ``password`` (never
    stored). Each email is recorded as sent the moment the server accepts it, so a failure or
    crash part-way never causes a repeat: the failed ones are reported, with the reason, and
    go out when the command is run again. Emails whose key is already recorded are skipped.
    Raises MailError for settings that can never work, before anything is sent.
    """
    if not plan.emails:
        return []
    by_key = {planned.email.key: planned for planned in plan.emails}
    with Store(ws.path("store")) as store:
        if smtp:
            settings = smtp_settings(ws)

            def on_sent(result: SendResult) -> None:
                planned = by_key[result.key]
                store.record_send(key=result.key, kind=planned.kind,
                                  issue_ids=list(planned.issue_ids),
                                  to_address=result.to_address, via="smtp", file_path=None,
                                  sent=True)

            results = send_all([p.email for p in plan.emails], settings, password,
                               already_sent=lambda key: _key_recorded(store, key),
                               on_sent=on_sent)
            return [_result(by_key[r.key], sent=r.sent, skipped=r.skipped, error=r.error,
                            warning=r.warning) for r in results]

        sender_name, sender_address = _sender(ws)
        todo = [p for p in plan.emails if not _key_recorded(store, p.email.key)]
        paths = write_drafts([p.email for p in todo], ws.path("outbox"), sender_name,
                             sender_address)
        written = {}
        for planned, path in zip(todo, paths, strict=True):
            store.record_send(key=planned.email.key, kind=planned.kind,
                              issue_ids=list(planned.issue_ids),
                              to_address=planned.email.to_address, via="draft",
                              file_path=str(path), sent=False)
            written[planned.email.key] = path
        return [_result(p, path=written[p.email.key]) if p.email.key in written
                else _result(p, skipped=True) for p in plan.emails]
