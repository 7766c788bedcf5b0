"""Tests for generator.office.charts: PNG output, no leaked figures, alt text from the data."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from generator.memo import Memo
from generator.office import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CATEGORIES = ["Building Control", "Waste Collection", "Audit"]
BUDGET = {"Budget": [120000, 50000, 80000], "Forecast": [125000, 48000, None]}
RATINGS = {"Green": [3, 2, 0], "Amber": [1, 2, 3], "Red": [0, 1, 2], "Not rated": [2, 1, 1]}


@pytest.fixture(autouse=True)
def nothing_drawn_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test draws its charts afresh: none is taken from one an earlier test drew."""
    monkeypatch.setattr(charts, "_DRAWN", Memo(keep=32))


def count_drawings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a chart is drawn."""
    drawn: list[int] = []
    new_figure = charts._new_figure

    def counted():  # type: ignore[no-untyped-def]
        drawn.append(1)
        return new_figure()

    monkeypatch.setattr(charts, "_new_figure", counted)
    return drawn


def test_bar_chart_returns_non_empty_png() -> None:
    png = charts.bar_chart(CATEGORIES, BUDGET, title="Budget against forecast", ylabel="£")
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 1000


def test_stacked_bar_chart_returns_non_empty_png() -> None:
    png = charts.stacked_bar_chart(
        ["Leadership", "Governance", "Risk"], RATINGS, title="Ratings", ylabel="Partnerships"
    )
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 1000


def test_charts_are_150_dpi() -> None:
    png = charts.bar_chart(CATEGORIES, BUDGET, title="Budget", ylabel="£")
    dpi = Image.open(io.BytesIO(png)).info["dpi"]
    assert dpi == pytest.approx((150, 150), abs=0.5)


def test_a_chart_drawn_again_from_the_same_data_is_the_same_picture_drawn_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = count_drawings(monkeypatch)
    first = charts.bar_chart(CATEGORIES, BUDGET, title="Budget", ylabel="£")
    again = charts.bar_chart(list(CATEGORIES), dict(BUDGET), title="Budget", ylabel="£")

    assert again == first
    assert len(drawn) == 1


@pytest.mark.parametrize("change", ["value", "missing value", "title", "series order"])
def test_a_chart_from_data_that_differs_in_anything_is_drawn_afresh(
        monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    charts.bar_chart(CATEGORIES, BUDGET, title="Budget", ylabel="£")
    drawn = count_drawings(monkeypatch)
    budget, title = dict(BUDGET), "Budget"
    if change == "value":
        budget["Budget"] = [120000, 50000, 80001]
    elif change == "missing value":
        budget["Forecast"] = [125000, 48000, 0]
    elif change == "title":
        title = "Budget "
    else:
        budget = {"Forecast": BUDGET["Forecast"], "Budget": BUDGET["Budget"]}

    charts.bar_chart(CATEGORIES, budget, title=title, ylabel="£")

    assert len(drawn) == 1


def test_charts_leave_no_open_figures() -> None:
    # One of each is enough: a chart that left its figure open would leave one per call.
    charts.bar_chart(CATEGORIES, BUDGET, title="Budget", ylabel="£")
    charts.stacked_bar_chart(CATEGORIES, RATINGS, title="Ratings", ylabel="Count")
    charts.bar_chart([], {}, title="Empty", ylabel="£")
    assert plt.get_fignums() == []


@pytest.mark.parametrize("categories", [[], ["A"]])
def test_no_data_returns_a_png_instead_of_crashing(categories: list[str]) -> None:
    series = {"Budget": [1]} if categories else {}
    for chart in (charts.bar_chart, charts.stacked_bar_chart):
        png = chart(categories, series if categories else {}, title="Nothing", ylabel="£")
        assert png.startswith(PNG_SIGNATURE)
    assert charts.bar_chart([], {"Budget": []}, title="Nothing", ylabel="£").startswith(
        PNG_SIGNATURE
    )


def test_series_of_wrong_length_raises_value_error() -> None:
    with pytest.raises(ValueError, match="series 'Budget' has 1 values for 3 categories"):
        charts.bar_chart(CATEGORIES, {"Budget": [1]}, title="Bad", ylabel="£")


def test_many_long_categories_still_render() -> None:
    categories = [f"Partnership number {i} with a long name" for i in range(15)]
    png = charts.bar_chart(categories, {"Spend": list(range(15))}, title="Spend", ylabel="£")
    assert png.startswith(PNG_SIGNATURE)


def test_describe_bar_chart_has_a_sentence_per_category() -> None:
    text = charts.describe_bar_chart(
        CATEGORIES,
        BUDGET,
        title="Budget against forecast",
        value_format="£{:,.0f}",
        noun=("partnership", "partnerships"),
    )
    assert text == (
        "Bar chart: Budget against forecast for 3 partnerships. "
        "Building Control: Budget £120,000, Forecast £125,000. "
        "Waste Collection: Budget £50,000, Forecast £48,000. "
        "Audit: Budget £80,000, Forecast not reported."
    )


def test_describe_bar_chart_without_data_says_so() -> None:
    assert charts.describe_bar_chart([], {}, title="Spend") == "Bar chart: Spend. No data."


def test_describe_stacked_bar_chart_gives_counts_and_totals() -> None:
    text = charts.describe_stacked_bar_chart(
        ["Leadership"],
        {"Green": [3], "Amber": [1], "Red": [0]},
        title="Ratings by principle",
        noun=("principle", "principles"),
    )
    assert text == (
        "Stacked bar chart: Ratings by principle for 1 principle. "
        "Leadership: Green 3, Amber 1, Red 0 (total 4)."
    )
