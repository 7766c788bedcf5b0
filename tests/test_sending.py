"""Sending forms to Business Managers and chasing returns: drafts, SMTP, the store, the CLI.

Drafts are read back with Python's email package. SMTP tests run a real aiosmtpd server on
127.0.0.1 inside the test; an autouse fixture refuses any name lookup or connection to any
other host, so nothing here can reach the network even if the code under test goes wrong.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from generator.cli import main
from generator.council_year import long_date
from generator.errors import MailError
from generator.forms.issue import IssuedForm, issue_forms
from generator.forms.read import read_form
from generator.mail.message import DOCX_CONTENT_TYPE
from generator.mail.plan import deliver, prepare_chase, prepare_send
from generator.register import example_rows, write_register
from generator.returns.collect import collect
from generator.store import Store
from generator.workspace import Workspace, open_workspace

from conftest import TODAY
from smtp_support import Recorder, parse, smtp_server
from support import complete_answers, fill

OWEN = "owen.marsh@example.org"  # Business Manager of P002 and P004, both in Deliver
SOFIA = "sofia.grant-lewis@example.org"  # P003 (Deliver) and P008 (Explore)
DANIEL = "daniel.okafor@example.org"  # P005 (Deliver) and P007 (Explore)
REVIEW_MANAGERS = sorted(["priya.natarajan@example.org", OWEN, SOFIA, DANIEL])


# --------------------------------------------------------------------------- helpers


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"officer"
          and auth_data.password == b"right")
    return AuthResult(success=ok, handled=False)


def use_smtp(ws: Workspace, port: int, user: str = "") -> Workspace:
    """Point the workspace config at the test server (as an officer would edit it)."""
    text = ws.config_path.read_text(encoding="utf-8")
    for key, value in (("host", '"127.0.0.1"'), ("port", str(port)), ("security", '"none"'),
                       ("user", f'"{user}"')):
        text = re.sub(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.MULTILINE)
    ws.config_path.write_text(text, encoding="utf-8")
    return open_workspace(ws.root)


def drafts(ws: Workspace) -> dict[str, EmailMessage]:
    """The .eml drafts in the outbox, by recipient address."""
    found = {}
    for path in sorted(ws.path("outbox").glob("*.eml")):
        message = parse(path.read_bytes())
        found[message["To"].addresses[0].addr_spec] = message
    return found


def body_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return body.get_content().replace("\r\n", "\n")


def attachments(message: EmailMessage) -> list[tuple[str | None, str, bytes]]:
    return [(part.get_filename(), part.get_content_type(), part.get_payload(decode=True))
            for part in message.iter_attachments()]


def issued_files(forms: list[IssuedForm], *partnership_ids: str) -> list[tuple[str, str, bytes]]:
    return [(f.path.name, DOCX_CONTENT_TYPE, f.path.read_bytes())
            for f in forms if f.partnership_id in partnership_ids]


def sends(ws: Workspace, issue_id: str) -> list[dict]:
    with Store(ws.path("store")) as store:
        return store.sends_for_issue(issue_id)


def with_bad_address(ws: Workspace, partnership_id: str, address: str) -> None:
    """Rewrite the register with one Business Manager email changed."""
    rows = example_rows()
    for row in rows:
        if row["id"] == partnership_id:
            row["bm_email"] = address
    write_register(ws.path("register"), rows)


def run(ws: Workspace, *args: str, **kwargs) -> object:
    return CliRunner().invoke(main, ["--workspace", str(ws.root), *args], **kwargs)


@pytest.fixture
def review_forms(workspace: Workspace) -> list[IssuedForm]:
    """Review forms for the five in-scope Deliver partnerships (Owen Marsh has two)."""
    return issue_forms(workspace, "review", today=TODAY).written


@pytest.fixture
def overdue_forms(workspace: Workspace) -> list[IssuedForm]:
    """Review forms that were due ten days before TODAY."""
    return issue_forms(workspace, "review", today=TODAY - dt.timedelta(days=38),
                       due=TODAY - dt.timedelta(days=10)).written


def send_drafts(ws: Workspace, **kwargs) -> list:
    return deliver(ws, prepare_send(ws, "review", today=TODAY, **kwargs))


# --------------------------------------------------------------------------- drafts


def test_send_writes_one_draft_per_business_manager_with_all_their_forms(workspace,
                                                                         review_forms):
    results = send_drafts(workspace)

    assert len(review_forms) == 5
    assert sorted(r.to_address for r in results) == REVIEW_MANAGERS
    assert sorted(drafts(workspace)) == REVIEW_MANAGERS
    owen = drafts(workspace)[OWEN]
    assert [name for name, _, _ in attachments(owen)] == [
        f.path.name for f in review_forms if f.partnership_id in ("P002", "P004")]


def test_send_draft_is_marked_unsent_and_addressed_from_the_register(workspace, review_forms):
    send_drafts(workspace)

    owen = drafts(workspace)[OWEN]
    assert owen["X-Unsent"] == "1"
    assert owen["To"].addresses[0].display_name == "Owen Marsh"
    assert owen["From"].addresses[0].addr_spec == "partnerships@example.org"
    due = long_date(TODAY + dt.timedelta(days=28), weekday=True)
    assert owen["Subject"] == ("Mole Valley District Council: Annual review of an existing "
                               f"partnership for 2026/27 (2 forms), to return by {due}")


def test_send_draft_body_lists_each_form_with_its_reason_due_date_and_how_to_return_it(
        workspace, review_forms):
    send_drafts(workspace)

    body = body_text(drafts(workspace)[OWEN])
    assert body.startswith("Dear Owen Marsh,\n")
    for form in review_forms:
        if form.partnership_id in ("P002", "P004"):
            assert f'{form.partnership_name}: Annual review of an existing partnership' in body
            assert f'(file "{form.path.name}")' in body
    assert "They are part of the annual review of existing partnerships" in body
    assert f"return them by {long_date(TODAY + dt.timedelta(days=28), weekday=True)}" in body
    assert "reply to this email with the Word files attached" in body
    assert "partnerships@example.org" in body


def test_send_draft_attachments_are_the_issued_forms_byte_for_byte(workspace, review_forms):
    send_drafts(workspace)

    found = drafts(workspace)
    assert attachments(found[OWEN]) == issued_files(review_forms, "P002", "P004")
    assert attachments(found[DANIEL]) == issued_files(review_forms, "P005")


def test_send_takes_subject_and_body_from_the_workspace_copy_of_send_txt(workspace,
                                                                        review_forms):
    (workspace.path("texts") / "send.txt").write_text(
        "Subject: Forms for {{ recipient_name }}\n\n{% for form in forms %}\n"
        "* {{ form.partnership_id }}\n{% endfor %}\nBy {{ due_date }}.\n", encoding="utf-8")

    send_drafts(workspace)

    owen = drafts(workspace)[OWEN]
    assert owen["Subject"] == "Forms for Owen Marsh"
    due = long_date(TODAY + dt.timedelta(days=28), weekday=True)
    assert body_text(owen) == f"* P002\n* P004\nBy {due}.\n"


def test_send_records_each_draft_in_the_store(workspace, review_forms):
    (result,) = [r for r in send_drafts(workspace) if r.to_address == OWEN]

    for form in review_forms:
        if form.partnership_id in ("P002", "P004"):
            (record,) = sends(workspace, form.issue_id)
            assert (record["kind"], record["via"], record["to_address"]) == ("send", "draft", OWEN)
            assert record["sent_at"] is None
            assert record["file_path"] == str(result.path)


def test_send_only_the_partnership_asked_for(workspace, review_forms):
    results = deliver(workspace, prepare_send(workspace, "review", partnership_id="P004",
                                              today=TODAY))

    assert [(r.to_address, r.attachments) for r in results] == [
        (OWEN, tuple(f.path.name for f in review_forms if f.partnership_id == "P004"))]


@pytest.mark.parametrize(("address", "reason"), [
    ("sofia.grant-lewis.example.org", "has no @"),
    ("sofia..grant-lewis@example.org", "two dots together"),
    ("", "is empty"),
])
def test_send_unusable_address_is_reported_by_register_cell_and_the_others_still_go(
        workspace, review_forms, address, reason):
    with_bad_address(workspace, "P003", address)

    plan = prepare_send(workspace, "review", today=TODAY)
    results = deliver(workspace, plan)

    (problem,) = plan.problems
    assert problem.message.startswith("register.xlsx, Partnerships!K4: the Business Manager "
                                      "email")
    assert reason in problem.message
    assert "nothing was prepared for Sofia Grant-Lewis" in problem.message
    assert sorted(r.to_address for r in results) == sorted(set(REVIEW_MANAGERS) - {SOFIA})
    assert len(list(workspace.path("outbox").glob("*.eml"))) == 3
    assert sends(workspace, next(f for f in review_forms if f.partnership_id == "P003").issue_id) \
        == []


def test_send_twice_holds_everything_back_until_resend(workspace, review_forms):
    send_drafts(workspace)

    again = prepare_send(workspace, "review", today=TODAY)

    assert again.emails == []
    assert len(again.held) == 5
    assert all("already prepared as a draft email on" in n.message and "use --resend"
               in n.message for n in again.held)
    assert deliver(workspace, again) == []
    assert len(list(workspace.path("outbox").glob("*.eml"))) == 4


def test_send_with_resend_prepares_the_forms_again_under_new_keys(workspace, review_forms):
    first = send_drafts(workspace)

    second = send_drafts(workspace, resend=True)

    assert sorted(r.to_address for r in second) == REVIEW_MANAGERS
    assert all(r.status == "drafted" for r in second)
    assert {r.key for r in first}.isdisjoint(r.key for r in second)
    assert len(list(workspace.path("outbox").glob("*.eml"))) == 8


def test_send_with_resend_sends_a_form_again_only_once_a_day(workspace, review_forms):
    send_drafts(workspace)
    send_drafts(workspace, resend=True)

    third = prepare_send(workspace, "review", resend=True, today=TODAY)

    assert third.emails == []
    assert len(third.held) == 5
    assert all(n.message.endswith("; it was already sent again today") for n in third.held)


def test_send_holds_back_a_form_already_returned(workspace, review_forms):
    form = next(f for f in review_forms if f.partnership_id == "P005")
    answers = complete_answers(workspace, "review", "P005")
    collect(workspace, [fill(workspace, form, answers)])

    plan = prepare_send(workspace, "review", today=TODAY)

    assert DANIEL not in [e.email.to_address for e in plan.emails]
    assert [n.partnership_id for n in plan.held] == ["P005"]
    assert "already returned" in plan.held[0].message


# --------------------------------------------------------------------------- SMTP


def test_send_smtp_delivers_one_email_per_business_manager_and_records_them(workspace,
                                                                           review_forms):
    handler = Recorder()
    with smtp_server(handler) as port:
        ws = use_smtp(workspace, port)
        results = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)

    assert all(r.status == "sent" for r in results)
    received = handler.by_recipient()
    assert sorted(received) == REVIEW_MANAGERS
    assert received[OWEN]["X-Unsent"] is None
    assert attachments(received[OWEN]) == issued_files(review_forms, "P002", "P004")
    for form in review_forms:
        (record,) = sends(ws, form.issue_id)
        assert record["via"] == "smtp" and record["sent_at"] is not None


def test_send_smtp_refused_recipient_fails_that_email_only_and_a_rerun_sends_just_it(
        workspace, review_forms):
    refusing = Recorder(refuse=(OWEN,))
    with smtp_server(refusing) as port:
        ws = use_smtp(workspace, port)
        first = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True)

    (failed,) = [r for r in first if not r.ok]
    assert failed.to_address == OWEN
    assert failed.error == f"recipient refused: {OWEN} (550 5.1.1 Mailbox unavailable)"
    assert sorted(r.to_address for r in first if r.sent) == sorted(set(REVIEW_MANAGERS) - {OWEN})

    handler = Recorder()
    with smtp_server(handler) as port:
        ws = use_smtp(workspace, port)
        plan = prepare_send(ws, "review", today=TODAY)
        second = deliver(ws, plan, smtp=True)

    assert [(r.to_address, r.status) for r in second] == [(OWEN, "sent")]
    assert sorted(handler.by_recipient()) == [OWEN]
    assert len(plan.held) == 3


def test_send_smtp_logs_in_when_the_server_requires_it(workspace, review_forms):
    handler = Recorder(require_auth=True)
    with smtp_server(handler, authenticator=authenticator, auth_require_tls=False) as port:
        ws = use_smtp(workspace, port, user="officer")
        results = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True,
                          password="right")

    assert all(r.sent for r in results)
    assert sorted(handler.by_recipient()) == REVIEW_MANAGERS


def test_send_smtp_wrong_password_fails_every_email_and_records_nothing(workspace,
                                                                       review_forms):
    handler = Recorder(require_auth=True)
    with smtp_server(handler, authenticator=authenticator, auth_require_tls=False) as port:
        ws = use_smtp(workspace, port, user="officer")
        results = deliver(ws, prepare_send(ws, "review", today=TODAY), smtp=True,
                          password="wrong")

    assert all(r.error and r.error.startswith("authentication failed") for r in results)
    assert handler.received == []
    assert all(sends(ws, f.issue_id) == [] for f in review_forms)


def test_send_smtp_without_a_mail_server_configured_says_so(workspace, review_forms):
    with pytest.raises(MailError, match=r"\[smtp\] host is not set"):
        deliver(workspace, prepare_send(workspace, "review", today=TODAY), smtp=True)


# --------------------------------------------------------------------------- chase


def test_chase_reminds_each_business_manager_of_overdue_forms_with_them_attached(
        workspace, overdue_forms):
    plan = prepare_chase(workspace, today=TODAY)
    deliver(workspace, plan)

    assert {e.kind for e in plan.emails} == {"chase"}
    owen = drafts(workspace)[OWEN]
    assert owen["X-Unsent"] == "1"
    assert owen["Subject"] == ("Reminder: Mole Valley District Council: Annual review of an "
                               "existing partnership for 2026/27 overdue (2 forms)")
    body = body_text(owen)
    for form in overdue_forms:
        if form.partnership_id in ("P002", "P004"):
            assert f'(file "{form.path.name}", 10 days overdue)' in body
    assert f"due by {long_date(TODAY - dt.timedelta(days=10), weekday=True)}" in body
    assert attachments(owen) == issued_files(overdue_forms, "P002", "P004")
    assert sorted(drafts(workspace)) == REVIEW_MANAGERS


def test_chase_leaves_out_forms_not_yet_due_and_forms_accepted(workspace, overdue_forms):
    issue_forms(workspace, "explore", today=TODAY)  # due in four weeks
    form = next(f for f in overdue_forms if f.partnership_id == "P005")
    collect(workspace, [fill(workspace, form, complete_answers(workspace, "review", "P005"))])

    plan = prepare_chase(workspace, today=TODAY)

    assert sorted(pid for e in plan.emails for pid in e.partnership_ids) == [
        "P001", "P002", "P003", "P004"]


def test_chase_twice_on_one_day_sends_nothing_twice_but_chases_again_next_day(workspace,
                                                                             overdue_forms):
    deliver(workspace, prepare_chase(workspace, today=TODAY))

    same_day = prepare_chase(workspace, today=TODAY)
    next_day = prepare_chase(workspace, today=TODAY + dt.timedelta(days=1))

    assert same_day.emails == []
    assert len(same_day.held) == 5 and all("not repeated today" in n.message
                                           for n in same_day.held)
    assert sorted(e.email.to_address for e in next_day.emails) == REVIEW_MANAGERS


def test_chase_queries_a_rejected_return_field_by_field_with_the_returned_form(workspace,
                                                                             explore_forms):
    form = next(f for f in explore_forms if f.partnership_id == "P007")
    answers = complete_answers(workspace, "explore", "P007")
    del answers["rationale"]
    returned = fill(workspace, form, answers)
    assert collect(workspace, [returned]).outcomes[0].outcome == "rejected"

    plan = prepare_chase(workspace, today=TODAY)
    deliver(workspace, plan)

    (query,) = plan.emails
    assert query.kind == "query"
    message = drafts(workspace)[DANIEL]
    assert message["Subject"] == ("Query about your Explore: initial partnership checklist for "
                                  "Joint Procurement Hub")
    body = body_text(message)
    with Store(workspace.path("store")) as store:
        (ret,) = store.returns_for_issue(form.issue_id)
    errors = [p for p in ret.problems if p["severity"] == "error"]
    assert errors
    for problem in errors:
        assert f"- {problem['label']}: {problem['message']}\n" in body
    assert "- What is the rationale for the partnership?: is required" in body
    # The returned form goes back as returned, with a comment on each problem (see
    # test_corrections.py): the same answers, under the returned file's name.
    ((name, content_type, data),) = attachments(message)
    assert (name, content_type) == (f"{returned.stem} (with comments).docx", DOCX_CONTENT_TYPE)
    assert read_form(data).answers == read_form(returned).answers


def test_chase_smtp_sends_reminders_and_records_them(workspace, overdue_forms):
    handler = Recorder()
    with smtp_server(handler) as port:
        ws = use_smtp(workspace, port)
        results = deliver(ws, prepare_chase(ws, today=TODAY), smtp=True)

    assert all(r.sent for r in results)
    assert sorted(handler.by_recipient()) == REVIEW_MANAGERS
    assert prepare_chase(ws, today=TODAY).emails == []


# --------------------------------------------------------------------------- CLI


def test_cli_send_prints_one_line_per_email_with_its_draft(workspace, review_forms):
    result = run(workspace, "send", "review")

    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("drafted")]
    assert len(lines) == 4
    owen = next(line for line in lines if OWEN in line)
    assert "2 attached: P002 " in owen and str(workspace.path("outbox")) in owen


def test_cli_send_again_asks_for_resend(workspace, review_forms):
    run(workspace, "send", "review")

    result = run(workspace, "send", "review")

    assert result.exit_code == 0
    assert result.stdout.count("use --resend") == 5
    assert len(list(workspace.path("outbox").glob("*.eml"))) == 4


def test_cli_send_bad_address_names_the_cell_and_exits_1(workspace, review_forms):
    with_bad_address(workspace, "P002", "owen.marsh@example")

    result = run(workspace, "send", "review", "--json")

    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [p["partnership"] for p in data["problems"]] == ["P002"]
    assert "register.xlsx, Partnerships!K3" in data["problems"][0]["message"]
    assert {r["to_address"] for r in data["results"]} == {
        "priya.natarajan@example.org", OWEN, SOFIA, DANIEL}  # P004 still goes to Owen


def test_cli_send_smtp_asks_for_the_password_when_its_variable_is_unset(workspace,
                                                                       review_forms,
                                                                       monkeypatch):
    monkeypatch.delenv("PARTNERSHIPS_SMTP_PASSWORD", raising=False)
    handler = Recorder(require_auth=True)
    with smtp_server(handler, authenticator=authenticator, auth_require_tls=False) as port:
        use_smtp(workspace, port, user="officer")
        result = run(workspace, "send", "review", "--smtp", input="right\n")

    assert result.exit_code == 0, result.output
    assert "Password for officer on 127.0.0.1" in result.output
    assert "right" not in result.output
    assert result.stdout.count("sent ") == 4
    assert sorted(handler.by_recipient()) == REVIEW_MANAGERS


def test_cli_send_smtp_reads_the_password_from_its_variable(workspace, review_forms,
                                                           monkeypatch):
    monkeypatch.setenv("PARTNERSHIPS_SMTP_PASSWORD", "right")
    handler = Recorder(require_auth=True)
    with smtp_server(handler, authenticator=authenticator, auth_require_tls=False) as port:
        use_smtp(workspace, port, user="officer")
        result = run(workspace, "send", "review", "--smtp")

    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert len(handler.received) == 4


def test_cli_send_smtp_failure_exits_1_with_the_reason(workspace, review_forms):
    with smtp_server(Recorder(refuse=(OWEN,))) as port:
        use_smtp(workspace, port)
        result = run(workspace, "send", "review", "--smtp")

    assert result.exit_code == 1
    (failed,) = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    assert OWEN in failed and "recipient refused" in failed


def test_cli_chase_json_lists_each_reminder(workspace):
    real_today = dt.date.today()  # the command chases as of the real date
    issue_forms(workspace, "review", today=real_today - dt.timedelta(days=38),
                due=real_today - dt.timedelta(days=10))

    result = run(workspace, "chase", "--json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(r["to_address"] for r in data["results"]) == REVIEW_MANAGERS
    assert {r["status"] for r in data["results"]} == {"drafted"}
    assert all(Path(r["path"]).is_file() for r in data["results"])
