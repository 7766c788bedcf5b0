"""The council year: quarters of the financial year, periods as officers type them, due dates
on working days, and stores and settings written when periods were calendar quarters."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.council_year import (
    Period,
    PeriodError,
    calendar_quarter,
    parse_period,
    working_day_on_or_after,
)
from generator.errors import WorkspaceError
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.returns.collect import collect
from generator.store import MIGRATIONS, Store
from generator.workspace import Workspace, open_workspace

from conftest import TODAY
from support import complete_answers, document_xml, fill, rewrite_part, set_setting

SAMPLES = Path(__file__).parent / "samples"


def run(*args: object) -> object:
    return CliRunner().invoke(main, [str(a) for a in args])


# ---- periods ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Q3 2026/27", "2026/27 Q3", "q3 2026-27", "Quarter 3 2026/27",
                                   "Q3"])
def test_a_period_is_read_in_each_accepted_form(typed: str) -> None:
    assert parse_period(typed, "2026/27") == Period(2026, 3)


def test_quarter_3_is_october_to_december_of_the_years_first_calendar_year() -> None:
    assert Period(2026, 3).text == "Q3 2026/27 (October to December 2026)"


def test_quarter_4_is_january_to_march_of_the_years_second_calendar_year() -> None:
    assert Period(2026, 4).text == "Q4 2026/27 (January to March 2027)"


@pytest.mark.parametrize("typed", ["2026-Q5", "Q5 2026/27", "next quarter", "Q3 2026/28"])
def test_a_period_typed_otherwise_is_refused_naming_the_accepted_forms(typed: str) -> None:
    with pytest.raises(PeriodError, match="Q3, Q3 2026/27 or 2026/27 Q3"):
        parse_period(typed, "2026/27")


def test_an_old_calendar_quarter_is_refused_saying_which_quarter_it_means() -> None:
    with pytest.raises(PeriodError, match="2026-Q4 was a calendar quarter: October to December "
                                          "2026 is Q3 2026/27"):
        parse_period("2026-Q4", "2026/27")


def test_an_old_calendar_quarter_covers_the_same_months_as_its_council_quarter() -> None:
    assert [str(calendar_quarter(f"2027-Q{n}")) for n in (1, 2, 3, 4)] == [
        "Q4 2026/27", "Q1 2027/28", "Q2 2027/28", "Q3 2027/28"]


def test_report_cgb_takes_a_period_in_any_accepted_form(workspace: Workspace) -> None:
    result = run("--workspace", workspace.root, "report", "cgb", "--period", "2026/27 Q3")

    assert result.exit_code == 0, result.output
    assert "cgb-update-Q3-2026-27.docx" in result.stdout


@pytest.mark.parametrize("typed", ["Q3 2026/27 please", "2026-Q5"])
def test_report_cgb_with_a_period_it_cannot_read_is_a_usage_error(workspace: Workspace,
                                                                  typed: str) -> None:
    result = run("--workspace", workspace.root, "report", "cgb", "--period", typed)

    assert result.exit_code == 2
    assert "write a quarter of the council year as Q3, Q3 2026/27 or 2026/27 Q3" in \
        result.stderr
    assert not list(workspace.path("reports").glob("cgb-update*"))


# ---- working days ----------------------------------------------------------------------


def test_a_due_date_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # 28 December 2026 is the substitute day for Boxing Day, a Saturday.
    assert working_day_on_or_after(dt.date(2026, 12, 28), "england-and-wales") == \
        dt.date(2026, 12, 29)


def test_a_due_date_at_a_weekend_moves_to_the_monday() -> None:
    assert working_day_on_or_after(dt.date(2026, 11, 28), "england-and-wales") == \
        dt.date(2026, 11, 30)


def test_the_second_of_january_is_a_bank_holiday_in_scotland_only() -> None:
    # 2 January 2026 is a Friday.
    assert working_day_on_or_after(dt.date(2026, 1, 2), "england-and-wales") == \
        dt.date(2026, 1, 2)
    assert working_day_on_or_after(dt.date(2026, 1, 2), "scotland") == dt.date(2026, 1, 5)


def test_forms_due_on_a_bank_holiday_by_default_are_due_the_next_working_day(
        workspace: Workspace) -> None:
    # 28 days after 30 November 2026 is Monday 28 December, a bank holiday.
    issue_forms(workspace, "monitoring", today=dt.date(2026, 11, 30))

    with Store(workspace.path("store")) as store:
        due = {i.due_date for i in store.all_issued(form_type="monitoring")}

    assert due == {"2026-12-29"}


def test_the_region_of_bank_holidays_is_a_setting(workspace: Workspace) -> None:
    ws = set_setting(workspace, "bank_holidays", '"scotland"')

    assert ws.bank_holidays == "scotland"


def test_an_unknown_region_of_bank_holidays_names_the_ones_known(workspace: Workspace) -> None:
    # The workspace refuses it as it opens (set_setting opens it again).
    with pytest.raises(WorkspaceError, match="not one of england-and-wales, scotland, "
                                        "northern-ireland"):
        set_setting(workspace, "bank_holidays", '"wales"')


# ---- the monitoring form's period ------------------------------------------------------


def test_the_monitoring_form_states_its_period_in_the_block_about_the_partnership(
        workspace: Workspace) -> None:
    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]

    text = "".join(document_xml(form.path).itertext())

    assert "PeriodQ3 2026/27 (October to December 2026)" in text


def test_the_monitoring_form_is_named_and_stamped_with_its_period(workspace: Workspace) -> None:
    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]

    assert form.path.name == "P001 Building Control Shared Service monitoring Q3 2026-27.docx"
    assert read_form(form.path).period == "Q3 2026/27"


def test_a_return_for_another_period_is_refused_naming_both(workspace: Workspace) -> None:
    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]
    path = fill(workspace, form, complete_answers(workspace, "monitoring", "P001"))
    rewrite_part(path, "docProps/custom.xml", lambda data: re.sub(
        rb'(name="pt_period"><vt:lpwstr>)[^<]*', rb"\g<1>Q2 2026/27", data))

    outcome = collect(workspace, [path]).outcomes[0]

    assert outcome.outcome == "rejected"
    assert any("says it is for Q2 2026/27" in r and "was issued for Q3 2026/27 (October to "
               "December 2026)" in r for r in outcome.reasons)


def test_status_shows_each_monitoring_forms_period(workspace: Workspace) -> None:
    issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY)

    result = run("--workspace", workspace.root, "status", "--json")

    assert [r["period"] for r in json.loads(result.stdout)] == ["Q3 2026/27"]


# ---- stores and settings of old -------------------------------------------------------


@pytest.fixture
def old_workspace(workspace: Workspace) -> Workspace:
    """The workspace with the store a toolkit of calendar quarters wrote (schema 5: monitoring
    forms issued for "2026-Q4", two returns taken in) and its settings' period "2026-Q4"."""
    shutil.copyfile(SAMPLES / "store-v5-calendar-quarters.sqlite", workspace.path("store"))
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(re.sub(r'(?m)^period = "[^"]*"', 'period = "2026-Q4"',
                                            text), encoding="utf-8")
    return workspace


def _periods(path: Path, table: str) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute(f"SELECT period FROM {table}")}
    finally:
        db.close()


def test_the_sample_store_was_written_with_calendar_quarters(old_workspace: Workspace) -> None:
    path = old_workspace.path("store")

    assert _periods(path, "issued") == _periods(path, "returns") == {"2026-Q4"}
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 5


def test_a_store_of_calendar_quarters_is_migrated_to_quarters_of_the_council_year(
        old_workspace: Workspace) -> None:
    with Store(old_workspace.path("store")) as store:
        issued = store.all_issued(form_type="monitoring")
        returns = store.all_returns()

    assert {i.period for i in issued} == {r.period for r in returns} == {"Q3 2026/27"}
    assert len(issued) == 5 and len(returns) == 2
    assert sqlite3.connect(old_workspace.path("store")).execute(
        "PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_settings_with_a_calendar_quarter_are_rewritten_and_the_officer_told(
        old_workspace: Workspace) -> None:
    ws = open_workspace(old_workspace.root)

    assert str(ws.period) == "Q3 2026/27"
    assert 'period = "Q3 2026/27"' in ws.config_path.read_text(encoding="utf-8")
    assert any('"2026-Q4" was a calendar quarter' in n for n in ws.notices)


def test_a_migrated_store_still_counts_the_returns_for_the_quarter(
        old_workspace: Workspace) -> None:
    result = run("--workspace", old_workspace.root, "status", "--json")

    rows = json.loads(result.stdout)
    assert result.exit_code == 0
    assert {r["period"] for r in rows} == {"Q3 2026/27"}
    assert sorted(r["state"] for r in rows) == ["accepted", "accepted", "outstanding",
                                                "outstanding", "outstanding"]


def test_the_sample_stores_first_return_reads_as_a_file_of_its_own(
        old_workspace: Workspace) -> None:
    with Store(old_workspace.path("store")) as store:
        data = store.original(store.all_returns()[0].id)

    assert zipfile.is_zipfile(__import__("io").BytesIO(data))


def test_history_shows_the_period_of_each_monitoring_return(workspace: Workspace) -> None:
    form = issue_forms(workspace, "monitoring", partnership_id="P001", today=TODAY).written[0]
    collect(workspace, [fill(workspace, form, complete_answers(workspace, "monitoring", "P001"))])

    result = run("--workspace", workspace.root, "history", "P001")

    assert result.exit_code == 0
    assert "monitoring Q3 2026/27" in result.stdout
