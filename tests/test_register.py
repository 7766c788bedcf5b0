"""Reading the partnership register: every problem at once, with sheet and cell."""

from __future__ import annotations

import openpyxl
import pytest

from generator.errors import RegisterError
from generator.register import example_rows, read_register, write_register


def test_the_example_register_has_every_phase_and_type(workspace, framework):
    register = read_register(workspace.path("register"), framework)

    phases = [p.phase for p in register.in_scope]
    assert 8 <= len(register.partnerships) <= 10
    assert phases.count("Explore") >= 3 and phases.count("Deliver") >= 4
    assert "Design" in phases
    assert {p.type_id for p in register.in_scope} == {"shared_service", "goods_services",
                                                     "traded"}
    assert [p.id for p in register.out_of_scope] == ["P010"]
    assert all(p.bm_email.endswith("@example.org") for p in register.partnerships)


def test_an_out_of_scope_row_is_listed_with_its_cell_and_the_in_scope_types(workspace,
                                                                           framework):
    register = read_register(workspace.path("register"), framework)

    assert register.notices == [
        'register.xlsx, Partnerships!D11: type "Grant" is out of scope of the strategy '
        "(grants to other organisations (voluntary, community and social enterprise)); "
        "in-scope types are Shared service; Provision of goods or services to or from another "
        "authority; Commercial traded service. Listed, but no form is issued."
    ]


def test_every_problem_is_reported_at_once_with_its_cell(tmp_path, framework):
    rows = example_rows()
    rows[1]["type"] = "Franchise"
    rows[2]["bm_email"] = "not-an-address"
    rows[3]["budget"] = "about 10k"
    rows[4]["id"] = rows[0]["id"]
    rows[5]["phase"] = "Planning"
    path = tmp_path / "register.xlsx"
    write_register(path, rows)

    with pytest.raises(RegisterError) as error:
        read_register(path, framework)

    assert error.value.problems == [
        'register.xlsx, Partnerships!D3: type "Franchise" is not a partnership type of the '
        "framework; in-scope types are Shared service; Provision of goods or services to or "
        "from another authority; Commercial traded service",
        'register.xlsx, Partnerships!K4: "not-an-address" is not an email address '
        "(expected name@example.org)",
        'register.xlsx, Partnerships!M5: "about 10k" is not an amount of money; type a number '
        "of pounds such as 12500 or £12,500",
        'register.xlsx, Partnerships!A6: ID "P001" is also used in row 2; every partnership '
        "needs its own ID",
        'register.xlsx, Partnerships!I7: phase "Planning" must be one of Explore, Design, '
        "Deliver",
    ]
    assert "5 problems in the register" in str(error.value)


def test_money_typed_as_text_with_a_pound_sign_reads_as_a_number(tmp_path, framework):
    rows = example_rows()
    rows[0]["budget"] = "£12,500"
    path = tmp_path / "register.xlsx"
    write_register(path, rows)

    register = read_register(path, framework)

    assert register.get("P001").budget == 12500


def test_a_missing_column_is_reported_by_its_header(tmp_path, framework):
    path = tmp_path / "register.xlsx"
    write_register(path, example_rows())
    workbook = openpyxl.load_workbook(path)
    workbook["Partnerships"].delete_cols(4)
    workbook.save(path)

    with pytest.raises(RegisterError, match="missing column\\(s\\) 'Type'"):
        read_register(path, framework)


def test_a_file_that_is_not_a_workbook_is_a_clear_error(tmp_path, framework):
    path = tmp_path / "register.xlsx"
    path.write_text("ID,Name\n", encoding="utf-8")

    with pytest.raises(RegisterError, match="cannot be read as an Excel workbook"):
        read_register(path, framework)


def test_a_formula_like_name_stays_text_in_the_register(tmp_path, framework):
    rows = example_rows()
    rows[0]["name"] = "=HYPERLINK(\"http://x\")"
    path = tmp_path / "register.xlsx"
    write_register(path, rows)

    register = read_register(path, framework)

    assert register.get("P001").name == '=HYPERLINK("http://x")'


def test_a_hidden_row_is_still_a_partnership_and_the_officer_is_told(workspace):
    import openpyxl

    from generator.forms.issue import issue_forms

    from conftest import TODAY

    book = openpyxl.load_workbook(workspace.path("register"))
    book["Partnerships"].row_dimensions[3].hidden = True  # P002
    book.save(workspace.path("register"))

    register = read_register(workspace.path("register"), workspace.framework())
    issued = issue_forms(workspace, "review", today=TODAY)

    assert [p.id for p in register.partnerships if p.hidden] == ["P002"]
    assert any(n.startswith("register.xlsx, Partnerships!3:") and "P002" in n
               for n in register.notices)
    assert "P002" in [f.partnership_id for f in issued.written]
    assert any(n.startswith("P002 ") and "is hidden in register.xlsx" in n
               for n in issued.notices)


def test_a_chart_names_a_partnership_by_its_short_name_from_the_register(tmp_path, framework):
    rows = example_rows()
    path = tmp_path / "register.xlsx"
    write_register(path, rows)

    p001 = read_register(path, framework).get("P001")

    assert p001.short_name == "Building Control"
    assert p001.chart_name == "Building Control"


def test_without_a_short_name_a_chart_cuts_the_name_at_a_word(tmp_path, framework):
    rows = [{**row, "short_name": None} for row in example_rows()]
    path = tmp_path / "register.xlsx"
    write_register(path, rows)

    names = {p.id: p.chart_name for p in read_register(path, framework).partnerships}

    assert names["P004"] == "Legal Services…"
    assert names["P003"] == "Environmental Health…"
    assert names["P007"] == "Joint Procurement Hub"
