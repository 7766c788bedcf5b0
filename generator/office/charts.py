"""Charts for committee papers as PNG bytes, with alt text built from the same data.

Charts use matplotlib's object-oriented API with the Agg canvas directly: no pyplot,
no global backend switch, no figure registry, so nothing leaks between charts and
nothing changes for other code using matplotlib. Colours are the Okabe-Ito
colourblind-safe palette; values are written on the bars and stacked segments are
hatched, so colour is never the only signal.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec, TypeGuard

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from generator.memo import Memo

__all__ = [
    "DPI",
    "PALETTE",
    "bar_chart",
    "describe_bar_chart",
    "describe_stacked_bar_chart",
    "grid_chart",
    "stacked_bar_chart",
]

DPI = 150
_SIZE_INCHES = (6.3, 3.9)  # 16 cm wide, the default picture width in a paper

#: Okabe-Ito palette (colourblind-safe), in the order series use it.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
#: Colours for series named after ratings, distinguishable with colour-vision deficiency.
_RATING_COLOURS = {
    "green": "#009E73",
    "amber": "#E69F00",
    "red": "#D55E00",
    "not rated": "#BBBBBB",
    "grey": "#BBBBBB",
}
_PLOT_WIDTH_INCHES = 4.6  # the axes' share of the figure, leaving room for the legend
_FONT_SIZE = 8
_HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]
_NO_DATA = "No data"


P = ParamSpec("P")

# Charts drawn before, by everything they were drawn from. The same data always gives the same
# picture, and drawing one takes a fifth of a second: the demo, a paper made again and the
# tests draw the same charts over and over.
_DRAWN: Memo[str, bytes] = Memo(keep=32)
# What a chart's key may be made of: values whose repr says all they hold.
_PLAIN = (str, int, float, type(None))


def _frozen(value: object) -> object:
    """`value` with every mapping and list made a tuple, so its repr names all it holds.
    Raises TypeError for anything else: its repr might not say what it holds."""
    if isinstance(value, Mapping):
        return ("mapping", tuple((_frozen(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, _PLAIN):
        return value
    raise TypeError(type(value).__name__)


def _kept(draw: Callable[P, bytes]) -> Callable[P, bytes]:
    """`draw`, giving back the picture it drew before from the same arguments (made only of
    text, numbers, lists and mappings; anything else is drawn afresh)."""
    @functools.wraps(draw)
    def kept(*args: P.args, **kwargs: P.kwargs) -> bytes:
        try:
            key = repr((draw.__name__, _frozen(args), _frozen(sorted(kwargs.items()))))
        except TypeError:
            return draw(*args, **kwargs)
        return _DRAWN.get(key, lambda: draw(*args, **kwargs))
    return kept


def _new_figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=_SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    figure.clear()
    return buffer.getvalue()


def _values(values: Sequence[float | None]) -> list[float]:
    """Series values as floats; None becomes NaN (drawn as no bar, labelled "No data")."""
    return [math.nan if v is None else float(v) for v in values]


def _check(categories: Sequence[str], series: Mapping[str, Sequence[float | None]]) -> None:
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(
                f"series '{name}' has {len(values)} values for {len(categories)} categories"
            )


def _wrap(text: str, width: int) -> str:
    return textwrap.fill(str(text), width=width, break_long_words=True) or " "


def _colour(name: str, index: int) -> str:
    return _RATING_COLOURS.get(str(name).strip().lower(), PALETTE[index % len(PALETTE)])


def _no_data_chart(title: str) -> bytes:
    figure, axes = _new_figure()
    axes.set_title(_wrap(title, 70))
    axes.text(0.5, 0.5, _NO_DATA, ha="center", va="center", fontsize=16, transform=axes.transAxes)
    axes.set_axis_off()
    return _png(figure)


def _format_categories(axes: Axes, categories: Sequence[str]) -> None:
    """Category labels wrapped to the space each category has; slanted when crowded."""
    per_category = _PLOT_WIDTH_INCHES / len(categories)
    chars = max(6, int(per_category * 72 / (_FONT_SIZE * 0.62)))
    crowded = (
        any(len(textwrap.wrap(str(c), chars, break_long_words=True)) > 3 for c in categories)
        or len(categories) > 10
    )
    axes.set_xticks(range(len(categories)))
    if crowded:
        labels = [_wrap(c, 24) for c in categories]
        axes.set_xticklabels(labels, rotation=40, ha="right", fontsize=_FONT_SIZE)
    else:
        labels = [_wrap(c, chars) for c in categories]
        axes.set_xticklabels(labels, fontsize=_FONT_SIZE)


def _label_axes(axes: Axes, categories: Sequence[str], *, title: str, ylabel: str,
                xlabel: str) -> None:
    """The title, the axis labels and the category labels; no box around the plot."""
    axes.set_title(_wrap(title, 70))
    axes.set_ylabel(ylabel)
    if xlabel:
        axes.set_xlabel(xlabel)
    _format_categories(axes, categories)
    axes.spines[["top", "right"]].set_visible(False)


def _legend(axes: Axes) -> None:
    """The legend, to the right of the plot."""
    axes.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _count(value: float) -> str:
    """A count as a label shows it: whole numbers without decimals, others with one."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


@_kept
def bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str,
    value_format: str = "{:,.0f}",
    xlabel: str = "",
) -> bytes:
    """Grouped bar chart (e.g. budget against forecast per partnership) as PNG bytes.

    Each value is written above its bar with `value_format` (e.g. "£{:,.0f}"); missing
    values (None) get no bar and the label "No data". With no categories or no series
    the chart says "No data". Raises ValueError if a series length differs from the
    number of categories.
    """
    _check(categories, series)
    if not categories or not series:
        return _no_data_chart(title)
    figure, axes = _new_figure()
    vertical = _grouped_bars(axes, categories, series, value_format)
    _label_axes(axes, categories, title=title, ylabel=ylabel, xlabel=xlabel)
    axes.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: value_format.format(y)))
    axes.margins(y=0.3 if vertical else 0.15)
    if len(series) > 1:
        _legend(axes)
    return _png(figure)


def _grouped_bars(axes: Axes, categories: Sequence[str],
                  series: Mapping[str, Sequence[float | None]], value_format: str) -> bool:
    """Draw one bar per series side by side in each category, each with its value written
    on it; True when the values are written vertically (they would not fit across)."""
    count = len(series)
    width = 0.8 / count
    all_labels: list[list[str]] = []
    bar_groups = []
    for index, (name, raw) in enumerate(series.items()):
        values = _values(raw)
        offset = (index - (count - 1) / 2) * width
        positions = [i + offset for i in range(len(categories))]
        heights = [0.0 if math.isnan(v) else v for v in values]
        bars = axes.bar(
            positions,
            heights,
            width,
            label=str(name),
            color=_colour(name, index),
            edgecolor="black",
            linewidth=0.5,
            hatch=_HATCHES[index % len(_HATCHES)] if count > 1 else "",
        )
        labels = [_NO_DATA if math.isnan(v) else value_format.format(v) for v in values]
        all_labels.append(labels)
        bar_groups.append(bars)
    # write values horizontally when they fit over their bars, else vertically
    bar_inches = _PLOT_WIDTH_INCHES * 0.8 / (count * len(categories))
    longest = max(len(label) for labels in all_labels for label in labels)
    vertical = longest * _FONT_SIZE * 0.6 / 72 > bar_inches * 1.05
    for bars, labels in zip(bar_groups, all_labels, strict=True):
        axes.bar_label(
            bars, labels=labels, padding=2, fontsize=_FONT_SIZE, rotation=90 if vertical else 0
        )
    return vertical


@_kept
def stacked_bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str,
    xlabel: str = "",
) -> bytes:
    """Stacked bar chart (e.g. counts of Green/Amber/Red/Not rated per principle) as PNG.

    Series named after ratings get matching colourblind-safe colours; every series also
    has its own hatching, and each non-zero segment shows its value. With no
    categories or no series the chart says "No data". Raises ValueError if a series
    length differs from the number of categories.
    """
    _check(categories, series)
    if not categories or not series:
        return _no_data_chart(title)
    figure, axes = _new_figure()
    _stacked_bars(axes, categories, series)
    _label_axes(axes, categories, title=title, ylabel=ylabel, xlabel=xlabel)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(axes)
    return _png(figure)


def _stacked_bars(axes: Axes, categories: Sequence[str],
                  series: Mapping[str, Sequence[float | None]]) -> None:
    """Draw the series stacked in each category, each non-zero segment with its value."""
    bottoms = [0.0] * len(categories)
    for index, (name, raw) in enumerate(series.items()):
        values = [0.0 if math.isnan(v) else v for v in _values(raw)]
        bars = axes.bar(
            range(len(categories)),
            values,
            0.6,
            bottom=bottoms,
            label=str(name),
            color=_colour(name, index),
            edgecolor="black",
            linewidth=0.5,
            hatch=_HATCHES[index % len(_HATCHES)],
        )
        axes.bar_label(
            bars,
            labels=[_count(v) if v else "" for v in values],
            label_type="center",
            fontsize=_FONT_SIZE,
            color="black",
            bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none"},
        )
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]


def _plural(count: int, noun: tuple[str, str]) -> str:
    return f"{count} {noun[0] if count == 1 else noun[1]}"


def _description(chart: str, categories: Sequence[str],
                 series: Mapping[str, Sequence[float | None]], *, title: str,
                 noun: tuple[str, str], category: Callable[[int], str]) -> str:
    """Alt text: what the chart is, then a sentence per category, `category(i)` after its
    name ("No data." when there is nothing to show)."""
    _check(categories, series)
    head = f"{chart}: {title.strip().rstrip('.')}"
    if not categories or not series:
        return f"{head}. No data."
    sentences = [f"{head} for {_plural(len(categories), noun)}."]
    sentences += [f"{name}: {category(i)}." for i, name in enumerate(categories)]
    return " ".join(sentences)


def _reported(value: float | None) -> TypeGuard[float]:
    """A value given (not None, not NaN)."""
    return value is not None and not math.isnan(float(value))


def describe_bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    value_format: str = "{:,.0f}",
    noun: tuple[str, str] = ("category", "categories"),
) -> str:
    """Alt text for `bar_chart` from the same data: one sentence per category.

    E.g. "Bar chart: Budget against forecast for 2 partnerships. Building Control:
    Budget £120,000, Forecast £125,000. ..." `noun` is the (singular, plural) name of
    the categories. Missing values are "not reported".
    """
    def amounts(i: int) -> str:
        shown = [(name, values[i]) for name, values in series.items()]
        return ", ".join(f"{name} {value_format.format(value)}" if _reported(value)
                         else f"{name} not reported" for name, value in shown)

    return _description("Bar chart", categories, series, title=title, noun=noun,
                        category=amounts)


def describe_stacked_bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    noun: tuple[str, str] = ("category", "categories"),
) -> str:
    """Alt text for `stacked_bar_chart`: counts per series and the total for each category.

    E.g. "Stacked bar chart: Ratings by principle for 5 principles. Leadership: Green 3,
    Amber 1, Red 0, Not rated 2 (total 6). ..."
    """
    def counts(i: int) -> str:
        shown = [(name, values[i]) for name, values in series.items()]
        parts = [f"{name} {_count(value)}" if _reported(value) else f"{name} not reported"
                 for name, value in shown]
        total = sum((float(value) for _, value in shown if _reported(value)), 0.0)
        return f"{', '.join(parts)} (total {_count(total)})"

    return _description("Stacked bar chart", categories, series, title=title, noun=noun,
                        category=counts)


@_kept
def grid_chart(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[str]],
    fills: Sequence[Sequence[str]],
    *,
    title: str,
    row_label: str,
    column_label: str,
) -> bytes:
    """A grid of labelled cells (a heat map) as PNG: `rows` from top to bottom, `columns`
    from left to right, each cell's text (wrapped) on its fill (hex RRGGBB, light enough
    for black text). The text carries the meaning; the fill only echoes it."""
    if len(cells) != len(rows) or any(len(row) != len(columns) for row in cells):
        raise ValueError("the cells must be one list per row, one text per column")
    figure = Figure(figsize=(6.3, 5.2), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    for r, (texts, colours) in enumerate(zip(cells, fills, strict=True)):
        for c, (text, colour) in enumerate(zip(texts, colours, strict=True)):
            axes.add_patch(_cell(c, len(rows) - 1 - r, f"#{colour}"))
            axes.text(c + 0.5, len(rows) - 0.5 - r, _wrap(text, 16), ha="center",
                      va="center", fontsize=6.5, color="black")
    axes.set_xlim(0, len(columns))
    axes.set_ylim(0, len(rows))
    axes.set_xticks([c + 0.5 for c in range(len(columns))])
    axes.set_xticklabels([_wrap(c, 12) for c in columns], fontsize=_FONT_SIZE)
    axes.set_yticks([len(rows) - 0.5 - r for r in range(len(rows))])
    axes.set_yticklabels([_wrap(r, 14) for r in rows], fontsize=_FONT_SIZE)
    axes.set_xlabel(column_label)
    axes.set_ylabel(row_label)
    axes.set_title(_wrap(title, 70))
    axes.tick_params(length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    return _png(figure)


def _cell(x: int, y: int, colour: str) -> Rectangle:
    return Rectangle((x, y), 1, 1, facecolor=colour, edgecolor="white", linewidth=2)
