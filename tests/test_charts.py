"""Tests for generator.office.charts: PNG output, no leaked figures, alt text from the data."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
import pytest
from PIL import Image

from generator.office import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CATEGORIES = ["Building Control", "Waste Collection", "Audit"]
BUDGET = {"Budget": [120000, 50000, 80000], "Forecast": [125000, 48000, None]}
RATINGS = {"Green": [3, 2, 0], "Amber": [1, 2, 3], "Red": [0, 1, 2], "Not rated": [2, 1, 1]}


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
