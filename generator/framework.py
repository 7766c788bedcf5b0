"""The strategy's content (scopes, objectives, principles, phases, scales) loaded from data,
with the council's conventions for performance (`Performance`) and risk (`RiskMatrix`).

The data lives in `data/framework.toml` (or a workspace's own copy). It is validated on load so
that a council editing it gets a message naming the file and the entry at fault. A workspace's
copy made before a table of conventions existed ([performance], [risk_matrix], the scales of
an indicator's unit and direction) takes that table from the bundled file.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from generator.errors import FrameworkError
from generator.memo import Memo
from generator.vocabulary import KPI_UNITS, POLARITIES

DATA_DIR = Path(__file__).parent / "data"
BUNDLED_FRAMEWORK = DATA_DIR / "framework.toml"

T = TypeVar("T")


def typed_as(text: str, *names: str) -> bool:
    """Whether `text`, as a person typed it, is one of `names`, ignoring case and the spaces
    around and between its words."""
    wanted = as_typed(text)
    return any(wanted == name.casefold() for name in names)


def as_typed(text: str) -> str:
    """`text` as `typed_as` compares it: its words single-spaced, case folded."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Scope:
    id: str
    label: str
    in_scope: bool
    description: str


@dataclass(frozen=True)
class Objective:
    number: int
    id: str
    title: str
    statement: str


@dataclass(frozen=True)
class Principle:
    number: int
    id: str
    title: str
    statement: str
    considerations: tuple[str, ...]


@dataclass(frozen=True)
class Phase:
    number: int
    id: str
    title: str
    description: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    rag: str | None = None
    score: int | None = None
    flag: bool = False  # the papers point members to answers with this choice


@dataclass(frozen=True)
class Scale:
    id: str
    title: str
    choices: tuple[Choice, ...]

    def label_of(self, value: str) -> str:
        """The label shown in Word for a stored value (the value itself when unknown)."""
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return value

    def choice(self, value: str | None) -> Choice | None:
        """The choice with this stored value, or None."""
        for choice in self.choices:
            if choice.value == value:
                return choice
        return None


@dataclass(frozen=True)
class Item:
    """A titled entry of a list such as the end-of-Design expectations or agreement clauses."""

    id: str
    title: str
    mandatory: bool = False
    mou_expected: bool = False


@dataclass(frozen=True)
class Level:
    """A level of likelihood or impact in the risk matrix: its score, its name and what it
    means (for an impact, one descriptor per impact area)."""

    score: int
    label: str
    descriptors: tuple[tuple[str, str], ...]  # (area id, descriptor); likelihood: ("", text)

    @property
    def choice_label(self) -> str:
        """'3 Possible': the score and its name, as a form's list offers it."""
        return f"{self.score} {self.label}"


@dataclass(frozen=True)
class Band:
    """A band of risk scores: its name and its lowest and highest score."""

    name: str
    lowest: int
    highest: int
    exception: bool = False  # the CGB update lists risks in this band among its exceptions
    colour: str = "D9D9D9"  # its fill on the heat map, hex RRGGBB (light: the text is black)


@dataclass(frozen=True)
class RiskMatrix:
    """The council's risk matrix: what each level of likelihood and impact means, the bands
    of the score (likelihood times impact) and the score at which a risk is escalated."""

    likelihood: tuple[Level, ...]
    impact: tuple[Level, ...]
    impact_areas: tuple[tuple[str, str], ...]  # (id, title)
    bands: tuple[Band, ...]
    escalate_at: int

    @property
    def highest(self) -> int:
        return len(self.likelihood) * len(self.impact)

    def band(self, score: int | None) -> Band | None:
        """The band a score falls in; None for no score."""
        if score is None:
            return None
        return next((b for b in self.bands if b.lowest <= score <= b.highest), None)

    def escalated(self, score: int | None) -> bool:
        """Whether a residual score goes to the corporate risk register."""
        return score is not None and score >= self.escalate_at

    def scale(self, kind: str) -> Scale:
        """The choices of a form's likelihood or impact list: '1 Rare' ... '5 Almost
        certain', each kept as its score."""
        levels = self.likelihood if kind == "likelihood" else self.impact
        title = f"{kind.capitalize()} (1 {levels[0].label.lower()} to {len(levels)} " \
                f"{levels[-1].label.lower()})"
        return Scale(kind, title, tuple(Choice(str(level.score), level.choice_label)
                                        for level in levels))

    def scoring(self) -> str:
        """How a risk is scored, in words: 'likelihood (1 to 5) times impact (1 to 5): low 1
        to 4, ...'."""
        bands = ", ".join(f"{b.name.lower()} {b.lowest} to {b.highest}" for b in self.bands)
        return (f"likelihood (1 to {len(self.likelihood)}) times impact (1 to "
                f"{len(self.impact)}): {bands}")

    def context(self) -> dict[str, Any]:
        """The matrix as plain data for templates."""
        areas = dict(self.impact_areas)
        return {
            "likelihood": [{"score": lv.score, "label": lv.label,
                            "descriptor": lv.descriptors[0][1]} for lv in self.likelihood],
            "impact": [{"score": lv.score, "label": lv.label,
                        "descriptors": [{"area": areas[a], "text": t} for a, t in lv.descriptors]}
                       for lv in self.impact],
            "impact_areas": [title for _, title in self.impact_areas],
            "escalate_at": self.escalate_at,
            "scoring": self.scoring(),
        }


@dataclass(frozen=True)
class Performance:
    """How indicators are rated ([performance] in the framework)."""

    default_tolerance_percent: float
    green_needs_kpis_on_target_percent: float


@dataclass(frozen=True, eq=False)
class Framework:
    source: Path
    strategy: dict[str, str]
    scopes: tuple[Scope, ...]
    objectives: tuple[Objective, ...]
    principles: tuple[Principle, ...]
    phases: tuple[Phase, ...]
    scales: dict[str, Scale]
    risk_matrix: RiskMatrix
    performance: Performance
    design_expectations: tuple[Item, ...] = ()
    agreement_clauses: tuple[Item, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def scope(self, scope_id: str) -> Scope | None:
        """The scope with this id, or None."""
        return next((s for s in self.scopes if s.id == scope_id), None)

    def scope_by_label(self, text: str) -> Scope | None:
        """The scope whose id or label matches `text`, ignoring case and spacing."""
        return next((s for s in self.scopes if typed_as(text, s.id, s.label)), None)

    @property
    def in_scope(self) -> tuple[Scope, ...]:
        return tuple(s for s in self.scopes if s.in_scope)

    def scale(self, scale_id: str) -> Scale:
        """The named answer scale; a FrameworkError names the file when it is missing."""
        try:
            return self.scales[scale_id]
        except KeyError:
            raise FrameworkError(
                f"{self.source}: no scale named '{scale_id}' (scales are: "
                f"{', '.join(sorted(self.scales))})"
            ) from None

    def context(self) -> dict[str, Any]:
        """The framework as plain data for templates."""
        return {
            "strategy": dict(self.strategy),
            "scopes": [vars(s) for s in self.scopes],
            "objectives": [vars(o) for o in self.objectives],
            "principles": [
                {**vars(p), "considerations": list(p.considerations)} for p in self.principles
            ],
            "phases": [vars(p) for p in self.phases],
            "design_expectations": [vars(i) for i in self.design_expectations],
            "agreement_clauses": [vars(i) for i in self.agreement_clauses],
            "risk_matrix": self.risk_matrix.context(),
        }


class _Reader:
    """Pulls typed values out of TOML tables, naming the file and entry in every error."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> FrameworkError:
        return FrameworkError(f"{self.source}: {where}: {message}")

    def text(self, table: dict[str, Any], key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"'{key}' is missing or empty; give it as text")
        return value.strip()

    def integer(self, table: dict[str, Any], key: str, where: str) -> int:
        value = table.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"'{key}' is missing or not a whole number")
        return value

    def boolean(self, table: dict[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, f"'{key}' must be true or false")
        return value

    def entries(self, data: dict[str, Any], key: str, *, required: bool = True) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, "must be a list of [[" + key + "]] tables")
        if required and not value:
            raise self.fail(key, "no entries; at least one is needed")
        return value

    def unique(self, values: list[str], what: str) -> None:
        seen: set[str] = set()
        for value in values:
            if value in seen:
                raise self.fail(what, f"duplicate id '{value}'; every id must be unique")
            seen.add(value)

    def listed(self, data: dict[str, Any], key: str, build: Callable[[dict, str], T], *,
               required: bool = True) -> list[T]:
        """Each [[key]] table, made into what `build(table, where)` makes of it."""
        return [build(table, _where(key, i, table))
                for i, table in enumerate(self.entries(data, key, required=required))]

    def strategy(self, data: dict[str, Any]) -> dict[str, str]:
        strategy = data.get("strategy", {})
        if not isinstance(strategy, dict):
            raise self.fail("strategy", "must be a [strategy] table")
        for key in ("council", "title"):
            self.text(strategy, key, "[strategy]")
        return {k: str(v) for k, v in strategy.items()}

    def scope(self, t: dict[str, Any], w: str) -> Scope:
        return Scope(self.text(t, "id", w), self.text(t, "label", w),
                     self.boolean(t, "in_scope", w, True), self.text(t, "description", w))

    def objective(self, t: dict[str, Any], w: str) -> Objective:
        return Objective(self.integer(t, "number", w), self.text(t, "id", w),
                         self.text(t, "title", w), self.text(t, "statement", w))

    def principle(self, t: dict[str, Any], w: str) -> Principle:
        considerations = t.get("considerations", [])
        if not isinstance(considerations, list) or not all(
            isinstance(c, str) for c in considerations
        ):
            raise self.fail(w, "'considerations' must be a list of text")
        return Principle(self.integer(t, "number", w), self.text(t, "id", w),
                         self.text(t, "title", w), self.text(t, "statement", w),
                         tuple(considerations))

    def phase(self, t: dict[str, Any], w: str) -> Phase:
        return Phase(self.integer(t, "number", w), self.text(t, "id", w),
                     self.text(t, "title", w), self.text(t, "description", w))

    def item(self, t: dict[str, Any], w: str) -> Item:
        return Item(self.text(t, "id", w), self.text(t, "title", w),
                    self.boolean(t, "mandatory", w, False),
                    self.boolean(t, "mou_expected", w, False))

    def items(self, data: dict[str, Any], key: str) -> tuple[Item, ...]:
        """An optional list of titled entries, such as the agreement clauses."""
        items = self.listed(data, key, self.item, required=False)
        self.unique([x.id for x in items], key)
        return tuple(items)

    def scales(self, data: dict[str, Any]) -> dict[str, Scale]:
        raw_scales = data.get("scales", {})
        if not isinstance(raw_scales, dict) or not raw_scales:
            raise self.fail("scales", "must be [scales.NAME] tables, at least one")
        return {name: self.scale(name, t) for name, t in raw_scales.items()}

    def scale(self, name: str, t: Any) -> Scale:
        w = f"scales.{name}"
        raw_choices = t.get("choices") if isinstance(t, dict) else None
        if not isinstance(raw_choices, list) or not raw_choices:
            raise self.fail(w, "'choices' is missing or empty")
        choices = [self.choice(c, f"{w} choice {j + 1}") for j, c in enumerate(raw_choices)]
        self.unique([c.value for c in choices], w)
        self.unique([c.label for c in choices], w + " (label)")
        return Scale(name, self.text(t, "title", w), tuple(choices))

    def number(self, table: dict[str, Any], key: str, where: str, *, lowest: float = 0,
               highest: float | None = None) -> float:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < lowest \
                or (highest is not None and value > highest):
            top = f" to {highest:g}" if highest is not None else " or more"
            raise self.fail(where, f"'{key}' must be a number, {lowest:g}{top}")
        return float(value)

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a [{key}] table")
        return value

    def performance(self, data: dict[str, Any]) -> Performance:
        t = self.table(data, "performance")
        return Performance(
            self.number(t, "default_tolerance_percent", "[performance]", highest=100),
            self.number(t, "green_needs_kpis_on_target_percent", "[performance]", highest=100))

    def levels(self, t: dict[str, Any], kind: str, areas: tuple[tuple[str, str], ...]
               ) -> tuple[Level, ...]:
        where = f"risk_matrix.{kind}"
        entries = t.get(kind)
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) \
                or not entries:
            raise self.fail(where, f"must be a list of [[{where}]] tables, one per score")
        levels = []
        for i, entry in enumerate(entries):
            w = f"{where} entry {i + 1}"
            score = self.integer(entry, "score", w)
            if score != i + 1:
                raise self.fail(w, f"'score' is {score}, but the levels must be numbered 1, "
                                   f"2, 3... in order (this one is {i + 1})")
            keys = [("", "descriptor")] if kind == "likelihood" else \
                [(area, area) for area, _ in areas]
            levels.append(Level(score, self.text(entry, "label", w),
                                tuple((area, self.text(entry, key, w)) for area, key in keys)))
        return tuple(levels)

    def bands(self, t: dict[str, Any], highest: int) -> tuple[Band, ...]:
        entries = t.get("bands")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries) \
                or not entries:
            raise self.fail("risk_matrix.bands", "must be a list of [[risk_matrix.bands]] "
                                                 "tables, lowest scores first")
        bands, expected = [], 1
        for i, entry in enumerate(entries):
            w = f"risk_matrix.bands entry {i + 1}"
            band = Band(self.text(entry, "name", w), self.integer(entry, "lowest", w),
                        self.integer(entry, "highest", w),
                        self.boolean(entry, "exception", w, False), self.colour(entry, w))
            if band.lowest != expected or band.highest < band.lowest:
                raise self.fail(w, f"'{band.name}' runs from {band.lowest} to {band.highest}, "
                                   f"but the next band must start at {expected} (every score "
                                   f"from 1 to {highest} in exactly one band)")
            bands.append(band)
            expected = band.highest + 1
        if expected != highest + 1:
            raise self.fail("risk_matrix.bands", f"the bands end at {expected - 1}, but scores "
                                                 f"go up to {highest}")
        return tuple(bands)

    def colour(self, t: dict[str, Any], where: str) -> str:
        value = t.get("colour", "D9D9D9")
        if not isinstance(value, str) or not re.fullmatch(r"[0-9A-Fa-f]{6}", value):
            raise self.fail(where, "'colour' must be six hex digits (RRGGBB), such as "
                                   "\"F4B183\"")
        return value.upper()

    def risk_matrix(self, data: dict[str, Any]) -> RiskMatrix:
        t = self.table(data, "risk_matrix")
        raw_areas = t.get("impact_areas")
        if not isinstance(raw_areas, list) or not raw_areas or \
                not all(isinstance(a, dict) for a in raw_areas):
            raise self.fail("[risk_matrix]", "'impact_areas' must be a list of { id = ..., "
                                             "title = ... }")
        areas = tuple((self.text(a, "id", "[risk_matrix] impact_areas"),
                       self.text(a, "title", "[risk_matrix] impact_areas")) for a in raw_areas)
        self.unique([a for a, _ in areas], "[risk_matrix] impact_areas")
        likelihood = self.levels(t, "likelihood", areas)
        impact = self.levels(t, "impact", areas)
        highest = len(likelihood) * len(impact)
        escalate_at = self.integer(t, "escalate_at", "[risk_matrix]")
        if not 1 <= escalate_at <= highest:
            raise self.fail("[risk_matrix]", f"'escalate_at' is {escalate_at}, but scores run "
                                             f"from 1 to {highest}")
        return RiskMatrix(likelihood, impact, areas, self.bands(t, highest), escalate_at)

    def known_values(self, scales: dict[str, Scale], name: str, known: tuple[str, ...]) -> None:
        """A scale whose values the toolkit reads figures by must keep them: it may reword
        their labels only."""
        values = tuple(c.value for c in scales[name].choices)
        if sorted(values) != sorted(known):
            raise self.fail(f"scales.{name}", f"the values must be {', '.join(known)} (the "
                                              "labels may say anything)")

    def choice(self, c: Any, w: str) -> Choice:
        if not isinstance(c, dict):
            raise self.fail(w, "must be a table with value and label")
        score = c.get("score")
        return Choice(self.text(c, "value", w), self.text(c, "label", w), c.get("rag"),
                      score if isinstance(score, int) else None,
                      self.boolean(c, "flag", w, False))


def _where(kind: str, index: int, table: dict[str, Any]) -> str:
    label = table.get("id") or table.get("number") or ""
    return f"{kind} entry {index + 1}" + (f" ('{label}')" if label else "")


# The tables of conventions a framework file written before they existed takes from the
# bundled file, and the scales the risk matrix makes.
CONVENTIONS = ("performance", "risk_matrix")
CONVENTION_SCALES = ("kpi_unit", "polarity")
MATRIX_SCALES = ("likelihood", "impact")


def _with_conventions(data: dict[str, Any], source: Path) -> dict[str, Any]:
    """`data` with the tables of conventions it lacks taken from the bundled framework."""
    missing = [key for key in CONVENTIONS if key not in data]
    scales = data.get("scales")
    # An empty or malformed [scales] is left for the reader to name as the fault.
    missing_scales = [key for key in CONVENTION_SCALES
                      if isinstance(scales, dict) and scales and key not in scales]
    if not (missing or missing_scales) or source.resolve() == BUNDLED_FRAMEWORK.resolve():
        return data
    bundled = read_toml(BUNDLED_FRAMEWORK, "framework file")
    data = {**data, **{key: bundled[key] for key in missing}}
    if missing_scales:
        data["scales"] = {**data["scales"],
                          **{key: bundled["scales"][key] for key in missing_scales}}
    return data


def _scales_with_matrix(r: _Reader, data: dict[str, Any], matrix: RiskMatrix,
                        own_matrix: bool) -> dict[str, Scale]:
    """The framework's scales, with the likelihood and impact lists made from the risk
    matrix (a file older than [risk_matrix] keeps the lists it has)."""
    scales = r.scales(data)
    for name in MATRIX_SCALES:
        if name in scales and own_matrix:
            raise r.fail(f"scales.{name}", "remove this scale: its choices come from "
                                           f"[[risk_matrix.{name}]]")
        if name not in scales:
            scales[name] = matrix.scale(name)
    for name, known in (("kpi_unit", KPI_UNITS), ("polarity", POLARITIES)):
        r.known_values(scales, name, known)
    return scales


def parse_framework(data: dict[str, Any], source: Path) -> Framework:
    """Validate framework data already read from TOML; raise FrameworkError on the first fault."""
    r = _Reader(source)
    own_matrix = "risk_matrix" in data
    data = _with_conventions(data, source)
    strategy = r.strategy(data)
    scopes = r.listed(data, "scopes", r.scope)
    r.unique([s.id for s in scopes], "scopes")
    if not any(s.in_scope for s in scopes):
        raise r.fail("scopes", "no partnership type is in scope")
    objectives = r.listed(data, "objectives", r.objective)
    r.unique([o.id for o in objectives], "objectives")
    principles = r.listed(data, "principles", r.principle)
    r.unique([p.id for p in principles], "principles")
    r.unique([str(p.number) for p in principles], "principles (number)")
    phases = r.listed(data, "phases", r.phase)
    r.unique([p.id for p in phases], "phases")
    matrix = r.risk_matrix(data)
    scales = _scales_with_matrix(r, data, matrix, own_matrix)
    return Framework(
        source=source,
        strategy=strategy,
        scopes=tuple(scopes),
        objectives=tuple(sorted(objectives, key=lambda o: o.number)),
        principles=tuple(sorted(principles, key=lambda p: p.number)),
        phases=tuple(sorted(phases, key=lambda p: p.number)),
        scales=scales,
        risk_matrix=matrix,
        performance=r.performance(data),
        design_expectations=r.items(data, "design_expectations"),
        agreement_clauses=r.items(data, "agreement_clauses"),
    )


def load_framework(path: Path | None = None) -> Framework:
    """Load and validate the framework file (the bundled one when `path` is None)."""
    resolved = Path(path or BUNDLED_FRAMEWORK).resolve()
    try:
        stat = resolved.stat()
    except FileNotFoundError:
        raise FrameworkError(f"{resolved}: framework file not found") from None
    # The file's size and time are part of the key, so an edited framework is read again.
    return _load_cached(resolved, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_cached(path: Path, _mtime: int = 0, _size: int = 0) -> Framework:
    return parse_framework(read_toml(path, "framework file"), path)


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A data file of the framework (`what` it is, for the message when it is not there or
    is not valid TOML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkError(f"{path}: {what} not found") from None
    try:
        parsed = _TOML_READ.get(text, lambda: tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{path}: not valid TOML: {exc}") from None
    # A copy: the readers may change what they are given, and the kept one must not change.
    return copy.deepcopy(parsed)


# Parsed data files by their text. Every workspace holds its own copy of the framework and
# form definitions, mostly unchanged: parsing the framework takes 3.5 ms, a copy 0.4 ms.
_TOML_READ: Memo[str, dict[str, Any]] = Memo(keep=16)
