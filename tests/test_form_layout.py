"""How an issued form reads from top to bottom: the slips a Business Manager noticed."""

from __future__ import annotations

import pytest
from docx import Document

from generator.formdefs import form_types
from generator.forms.issue import issue_forms
from generator.office import controls

from conftest import TODAY
from support import definition_for, document_xml


def all_text(path) -> str:
    return "\n".join(controls.visible_text(p) for p in document_xml(path).iter(controls.w("p")))


def body_paragraphs(path) -> list[tuple[str, str]]:
    """The form's own paragraphs (not those in tables), as (style name, text)."""
    return [(p.style.name, p.text) for p in Document(str(path)).paragraphs]


def issued(workspace, form_type, partnership_id=None):
    return issue_forms(workspace, form_type, partnership_id=partnership_id,
                       today=TODAY).written[0]


@pytest.mark.parametrize("form_type", form_types())
def test_the_note_on_required_answers_comes_before_the_first_question(workspace, form_type):
    paragraphs = body_paragraphs(issued(workspace, form_type).path)
    texts = [text for _, text in paragraphs]
    headings = [text for style, text in paragraphs if style == "Heading 1"]

    first_section = texts.index(headings[1])  # headings[0] is "About this partnership"
    assert texts.index("Answers marked * are required.") < first_section


@pytest.mark.parametrize("form_type", form_types())
def test_no_heading_repeats_the_one_before_it(workspace, form_type):
    headings = [text for style, text in body_paragraphs(issued(workspace, form_type).path)
                if style.startswith("Heading")]

    repeated = [a for a, b in zip(headings, headings[1:], strict=False) if a == b]
    assert repeated == []


@pytest.mark.parametrize("form_type", ["design", "review"])
def test_a_form_with_no_earlier_return_says_so_once(workspace, form_type):
    partnership = "P006" if form_type == "design" else "P001"
    text = all_text(issued(workspace, form_type, partnership).path)

    assert "None on record" not in text
    assert "Last accepted answer" not in text
    assert text.count("so no earlier answers are shown") == 1


# The principles' titles as the Partnership Strategy (November 2024) gives them.
STRATEGY_PRINCIPLES = [
    "Partnerships can only work between willing partners",
    "Partnerships work best where there is a shared culture and values",
    "Fair distribution of which authority should host, focused on which is best placed to "
    "deliver as each opportunity arises",
    "Partnership to be considered only where optimal to service delivery – it may be "
    "unsuitable to deliver core services with partners",
    "Partnership to be ‘right sized’",
    "Partnership to create benefit (financial and/or non-cashable) with value for money at the "
    "heart of partnership working",
    "Partnerships that support building capacity through bringing skills",
    "Partnerships are more effective where the same IT systems are used by each partner",
]


@pytest.mark.parametrize(("number", "title"), list(enumerate(STRATEGY_PRINCIPLES, start=1)))
def test_each_principle_is_shown_with_the_strategys_title_in_full(explore_forms, number, title):
    text = all_text(explore_forms[0].path)

    assert f"{number}. {title}" in text


def table_holding(path, tag):
    """The table whose cells hold the answer box with this tag (outside any nested table)."""
    box = next(s for s in document_xml(path).iter(controls.SDT) if controls.tag_of(s) == tag)
    return next(box.iterancestors(controls.w("tbl")))


def grid_widths(table) -> list[int]:
    return [int(col.get(controls.w("w"))) for col in table.iter(controls.w("gridCol"))]


def test_a_tables_written_columns_are_wider_than_its_drop_downs(workspace):
    form = issued(workspace, "review", "P001").path

    widths = grid_widths(table_holding(form, "kpis.commentary"))

    columns = [c.id for c in definition_for(workspace, "review").fields["kpis"].columns]
    commentary, rag = widths[columns.index("commentary")], widths[columns.index("rag")]
    assert commentary > rag


def test_the_principle_column_is_laid_out_as_built_not_as_wide_as_the_boxes(workspace):
    form = issued(workspace, "explore", "P007").path

    widths = grid_widths(table_holding(form, "p1_assessment"))

    assert widths[0] > widths[1]


@pytest.mark.parametrize(("form_type", "tag"), [("explore", "p1_assessment"),
                                                ("explore", "objective_1_assessment"),
                                                ("agreement", "clause_parties_status")])
def test_a_principle_or_clause_row_is_not_split_across_pages(workspace, form_type, tag):
    form = issued(workspace, form_type, {"explore": "P007"}.get(form_type, "P006")).path
    box = next(s for s in document_xml(form).iter(controls.SDT) if controls.tag_of(s) == tag)

    row = next(box.iterancestors(controls.w("tr")))

    assert row.find(f"{controls.w('trPr')}/{controls.w('cantSplit')}") is not None
