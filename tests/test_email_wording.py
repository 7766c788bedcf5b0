"""What the emails say: a subject naming the form and its period, a plain body, a draft file
name cut at a word, the same advice on renaming the file as the form gives, and a warning
while the From address is still the example one a new workspace starts with."""

from __future__ import annotations

import re

from generator.forms.issue import issue_forms
from generator.mail.plan import deliver, prepare_send
from generator.office import controls

from conftest import TODAY
from smtp_support import parse
from support import document_xml, set_setting

DANIEL = "daniel.okafor@example.org"  # Business Manager of P005 (Deliver) and P007 (Explore)


def drafted(ws, form_type, **kwargs):
    """Issue the forms of `form_type`, write their drafts, and return each draft by address."""
    issue_forms(ws, form_type, today=TODAY, **kwargs)
    plan = prepare_send(ws, form_type, today=TODAY)
    deliver(ws, plan)
    messages = {}
    for path in sorted(ws.path("outbox").glob("*.eml")):
        message = parse(path.read_bytes())
        messages[message["To"].addresses[0].addr_spec] = (path, message)
    return plan, messages


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def test_the_subject_of_a_monitoring_email_names_the_form_and_the_quarter(workspace):
    workspace.config["cycle"]["period"] = "Q3 2026/27"

    _, messages = drafted(workspace, "monitoring")

    subject = messages[DANIEL][1]["Subject"]
    assert subject.startswith("Mole Valley District Council: Deliver: monitoring return for "
                              "Q3 2026/27")


def test_the_subject_of_an_annual_form_names_the_form_and_the_council_year(workspace):
    _, messages = drafted(workspace, "explore")

    subject = messages[DANIEL][1]["Subject"]
    assert subject.startswith("Mole Valley District Council: Explore: initial partnership "
                              "checklist for 2026/27, to return by ")


def test_the_body_names_each_form_once_and_says_what_it_is_part_of_plainly(workspace):
    _, messages = drafted(workspace, "review")

    text = body(messages[DANIEL][1])
    assert "Annual review of an existing partnership, for the annual review" not in text
    assert "Annual review of an existing partnership for 2026/27 (file " in text
    assert ("It is part of the annual review of existing partnerships against the Partnership "
            "Strategy.") in text


def test_the_email_and_the_form_agree_that_renaming_the_file_is_fine(workspace):
    issued = issue_forms(workspace, "review", today=TODAY).written
    deliver(workspace, prepare_send(workspace, "review", today=TODAY))
    message = parse(next(workspace.path("outbox").glob("*Daniel*.eml")).read_bytes())
    form = issued[0].path

    text = body(message)
    form_text = " ".join(controls.visible_text(p)
                         for p in document_xml(form).iter(controls.w("p")))

    assert "renaming the file is fine" in form_text
    assert "You can rename the file" in text
    assert "file name" not in text.replace('(file "', "")


def test_a_draft_file_name_is_cut_at_the_end_of_a_word(workspace):
    _, messages = drafted(workspace, "agreement")

    for path, message in messages.values():
        whole = f"{message['To'].addresses[0].display_name} - {message['Subject']}"
        whole = whole.replace(": ", " - ").replace("/", "-")
        stem = re.sub(r"-\d+$", "", path.stem)
        assert len(path.name) <= 100
        assert whole.startswith(stem), (stem, whole)
        assert whole[len(stem):len(stem) + 1] in ("", " ", ","), path.name
        assert stem.split()[-1] not in ("for", "of", "an", "to", "by"), path.name


def test_sending_from_the_example_address_warns_to_set_the_councils_own(workspace):
    plan, _ = drafted(workspace, "review")

    assert any("the emails come from partnerships@example.org, the example address" in notice
               and "[council] contact_email" in notice for notice in plan.notices)


def test_sending_from_the_councils_own_address_gives_no_such_warning(workspace):
    workspace = set_setting(workspace, "contact_email", '"partnerships@molevalley.gov.uk"')

    plan, _ = drafted(workspace, "review")

    assert not any("example address" in notice for notice in plan.notices)
