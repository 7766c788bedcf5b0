"""The emerging partnerships (for the Corporate Governance Board's advice, and named in the
Scrutiny report) and the actions log of the CGB update, on the demo's papers."""

from __future__ import annotations

import docx
import openpyxl

from generator.framework import load_framework
from generator.register import read_register

import support

CGB = "CGB update (Word)"
SCRUTINY = "Scrutiny Committee annual report (Word)"


def _emerging_ids(demo) -> set[str]:
    framework = load_framework()
    register = read_register(demo.workspace / "register.xlsx", framework)
    return {p.id for p in register.in_scope if p.phase in ("Explore", "Design")}


def _table(demo, label: str, *headers: str) -> list[list[str]]:
    return support.table_starting(demo.outputs[label], *headers)


def test_the_cgb_update_lists_each_emerging_partnership_with_its_recommendation(demo):
    rows = _table(demo, CGB, "Partnership", "Phase", "Latest assessment")[1:]
    framework = load_framework()
    labels = {c.label for name in ("explore_recommendation", "design_recommendation")
              for c in framework.scale(name).choices}

    assert {row[0].split()[0] for row in rows} == _emerging_ids(demo)
    assert all(row[4] in labels for row in rows), rows


def test_the_scrutiny_report_gives_the_recommendation_on_each_emerging_partnership(demo):
    rows = _table(demo, SCRUTINY, "Partnership", "Phase", "Latest assessment")[1:]

    assert {row[0].split()[0] for row in rows} == _emerging_ids(demo)
    assert "listed for completeness" not in " ".join(
        p.text for p in docx.Document(str(demo.outputs[SCRUTINY])).paragraphs)


def test_the_actions_log_gives_each_action_its_owner_due_date_and_progress(demo):
    rows = _table(demo, CGB, "Partnership", "Action", "Owner", "Due", "Status")[1:]
    progress = {c.label for c in load_framework().scale("action_progress").choices}

    assert rows
    assert all(row[1] and row[2] and row[3] for row in rows)
    assert all(row[4] in progress or row[4].startswith("Open: agreed in the ") for row in rows)


def test_the_cgb_annex_has_the_emerging_partnerships_and_the_actions_log(demo):
    sheets = openpyxl.load_workbook(demo.outputs["CGB update data annex (Excel)"]).sheetnames

    assert {"Emerging", "Actions log", "Sources"} <= set(sheets)
