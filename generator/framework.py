"""The strategy's content (scopes, objectives, principles, phases, scales) loaded from data.

The data lives in `data/framework.toml` (or a workspace's own copy). It is validated on load so
that a council editing it gets a message naming the file and the entry at fault.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from generator.errors import FrameworkError

DATA_DIR = Path(__file__).parent / "data"
BUNDLED_FRAMEWORK = DATA_DIR / "framework.toml"

T = TypeVar("T")


def typed_as(text: str, *names: str) -> bool:
    """Whether `text`, as a person typed it, is one of `names`, ignoring case and the spaces
    around and between its words."""
    wanted = " ".join(text.split()).casefold()
    return any(wanted == name.casefold() for name in names)


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


@dataclass(frozen=True, eq=False)
class Framework:
    source: Path
    strategy: dict[str, str]
    scopes: tuple[Scope, ...]
    objectives: tuple[Objective, ...]
    principles: tuple[Principle, ...]
    phases: tuple[Phase, ...]
    scales: dict[str, Scale]
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


def parse_framework(data: dict[str, Any], source: Path) -> Framework:
    """Validate framework data already read from TOML; raise FrameworkError on the first fault."""
    r = _Reader(source)
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
    scales = r.scales(data)
    return Framework(
        source=source,
        strategy=strategy,
        scopes=tuple(scopes),
        objectives=tuple(sorted(objectives, key=lambda o: o.number)),
        principles=tuple(sorted(principles, key=lambda p: p.number)),
        phases=tuple(sorted(phases, key=lambda p: p.number)),
        scales=scales,
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
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(f"{path}: {what} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{path}: not valid TOML: {exc}") from None
