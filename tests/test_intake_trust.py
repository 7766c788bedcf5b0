"""Every return credited to the right partnership, at the right time, from the right place.

The identity in a form's document properties, the date an email claims and the time a
document says it was saved all come from outside: each is checked before it is believed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from email.message import EmailMessage
from pathlib import Path

import pytest

from generator.forms.identity import new_issue_id
from generator.returns.collect import collect
from generator.store import Store, in_force_order

from support import complete_answers, fill, rewrite_part

DOCX = "vnd.openxmlformats-officedocument.wordprocessingml.document"


def issued(workspace, issue_id):
    with Store(workspace.path("store")) as store:
        found = store.issued(issue_id)
    assert found is not None
    return found


def emailed(path: Path, attachment: Path, *, sender: str, date: str) -> Path:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "partnerships@example.org"
    message["Subject"] = "Re: your form"
    message["Date"] = date
    message.set_content("Attached.")
    message.add_attachment(attachment.read_bytes(), maintype="application", subtype=DOCX,
                           filename=attachment.name)
    path.write_bytes(message.as_bytes())
    return path


def relabelled(path: Path, *, issue: str, partnership: str, target: Path) -> Path:
    """The file with its identity properties changed, as anyone can in File > Properties."""
    def change(data: bytes) -> bytes:
        text = data.decode("utf-8")
        text = re.sub(r'(name="pt_issue"><vt:lpwstr>)[^<]*', rf"\g<1>{issue}", text)
        text = re.sub(r'(name="pt_partnership"><vt:lpwstr>)[^<]*', rf"\g<1>{partnership}", text)
        return text.encode("utf-8")

    return rewrite_part(path, "docProps/custom.xml", change, target)


# ---- whose return is it ------------------------------------------------------------------


def test_a_form_relabelled_as_another_partnerships_is_rejected_naming_both(
        workspace, explore_forms, tmp_path):
    mine, theirs = explore_forms[0], explore_forms[1]
    filled = fill(workspace, mine, complete_answers(workspace, "explore", mine.partnership_id))
    forged = relabelled(filled, issue=theirs.issue_id, partnership=theirs.partnership_id,
                        target=tmp_path / "forged.docx")

    result = collect(workspace, [forged])

    (outcome,) = result.outcomes
    assert outcome.outcome == "rejected"
    (reason,) = outcome.reasons
    assert theirs.issue_id in reason and mine.issue_id in reason
    assert mine.partnership_name in reason and theirs.partnership_name in reason
    with Store(workspace.path("store")) as store:
        assert store.all_returns() == []  # credited to nobody: neither status shows it


def test_issue_references_carry_at_least_64_random_bits():
    reference = new_issue_id("review", "P001", "2026/27")

    random_part = reference.rsplit("-", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{16,}", random_part)
    assert new_issue_id("review", "P001", "2026/27") != reference


def test_an_emailed_return_from_someone_else_is_taken_in_with_a_warning_naming_both(
        workspace, explore_forms, tmp_path):
    form = explore_forms[0]
    record = issued(workspace, form.issue_id)
    filled = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    message = emailed(tmp_path / "forwarded.eml", filled, sender="Sam Clerk <sam@example.net>",
                      date=email.utils.format_datetime(dt.datetime.now(dt.UTC)))

    result = collect(workspace, [message])

    (outcome,) = result.outcomes
    assert outcome.outcome == "warnings"
    warning = next(r for r in outcome.reasons if r.startswith("Sender"))
    assert "sam@example.net" in warning and record.recipient_email in warning


def test_an_emailed_return_from_the_business_manager_needs_no_warning(
        workspace, explore_forms, tmp_path):
    form = explore_forms[0]
    record = issued(workspace, form.issue_id)
    filled = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    message = emailed(tmp_path / "reply.eml", filled,
                      sender=record.recipient_email.upper(),
                      date=email.utils.format_datetime(dt.datetime.now(dt.UTC)))

    assert collect(workspace, [message]).outcomes[0].outcome == "accepted"


# ---- when did it arrive ------------------------------------------------------------------


@pytest.mark.parametrize("claimed", ["Sun, 31 Dec 2099 09:00:00 +0000",
                                     "Mon, 01 Jan 2001 09:00:00 +0000"])
def test_an_email_date_in_the_future_or_before_the_form_was_issued_is_not_believed(
        workspace, explore_forms, tmp_path, claimed):
    form = explore_forms[0]
    record = issued(workspace, form.issue_id)
    filled = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id))
    message = emailed(tmp_path / "reply.eml", filled, sender=record.recipient_email,
                      date=claimed)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)

    collect(workspace, [message])

    with Store(workspace.path("store")) as store:
        received = dt.datetime.fromisoformat(store.all_returns()[0].received_at)
    assert before <= received <= dt.datetime.now(dt.UTC)


def test_a_return_saved_ten_years_ahead_is_still_replaced_by_a_later_correction(
        workspace, explore_forms):
    form = explore_forms[0]
    answers = complete_answers(workspace, "explore", form.partnership_id)
    future = dt.datetime(2036, 11, 30, 9, 0, tzinfo=dt.UTC)
    first = fill(workspace, form, {**answers, "rationale": "First go"}, name="first.docx",
                 modified=future)
    collect(workspace, [first])

    correction = fill(workspace, form, {**answers, "rationale": "Corrected"},
                      name="corrected.docx")
    result = collect(workspace, [correction])

    assert result.outcomes[0].outcome == "accepted"
    with Store(workspace.path("store")) as store:
        (current,) = store.current_returns(form_type="explore")
    assert current.answers["rationale"] == "Corrected"


def test_saved_times_with_offsets_rank_as_moments_not_as_text():
    # 12:30 at +02:00 is 10:30 UTC: earlier than 11:00 UTC, though it sorts later as text.
    taken_in = "2026-11-30T12:00:00Z"
    earlier = in_force_order(1, taken_in, "2026-11-30T12:30:00+02:00")
    later = in_force_order(2, taken_in, "2026-11-30T11:00:00Z")

    assert earlier < later


# ---- where did it come from --------------------------------------------------------------


def test_a_link_in_a_returns_folder_to_a_file_outside_it_is_ignored_with_the_reason(
        workspace, explore_forms, tmp_path):
    form = explore_forms[0]
    outside = fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id),
                   folder=tmp_path / "elsewhere")
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "link.docx").symlink_to(outside)

    result = collect(workspace, [folder])

    assert result.outcomes == []
    (ignored,) = result.ignored
    assert ignored.path.endswith("link.docx")
    assert "outside the folder" in ignored.reason and str(outside) in ignored.reason


def test_a_link_to_a_folder_is_listed_not_searched(workspace, explore_forms, tmp_path):
    form = explore_forms[0]
    fill(workspace, form, complete_answers(workspace, "explore", form.partnership_id),
         folder=tmp_path / "elsewhere")
    folder = tmp_path / "returns"
    folder.mkdir()
    (folder / "shortcut").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    result = collect(workspace, [folder])

    assert result.outcomes == []
    assert [(Path(i.path).name, "a link to a folder" in i.reason) for i in result.ignored] == [
        ("shortcut", True)]
