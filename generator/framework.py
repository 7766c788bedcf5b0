"""The strategy's content (scopes, objectives, principles, phases, scales) loaded from data.

The data lives in `data/framework.toml` (or a workspace's own copy). It is validated on load so
that a council editing it gets a message naming the file and the entry at fault.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import FrameworkError

DATA_DIR = Path(__file__).parent / "data"
BUNDLED_FRAMEWORK = DATA_DIR / "framework.toml"


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
        wanted = " ".join(text.split()).casefold()
        for scope in self.scopes:
            if wanted in (scope.id.casefold(), scope.label.casefold()):
                return scope
        return None

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


def _where(kind: str, index: int, table: dict[str, Any]) -> str:
    label = table.get("id") or table.get("number") or ""
    return f"{kind} entry {index + 1}" + (f" ('{label}')" if label else "")


def parse_framework(data: dict[str, Any], source: Path) -> Framework:
    """Validate framework data already read from TOML; raise FrameworkError on the first fault."""
    r = _Reader(source)
    strategy = data.get("strategy", {})
    if not isinstance(strategy, dict):
        raise r.fail("strategy", "must be a [strategy] table")
    for key in ("council", "title"):
        r.text(strategy, key, "[strategy]")

    scopes = []
    for i, t in enumerate(r.entries(data, "scopes")):
        w = _where("scopes", i, t)
        scopes.append(
            Scope(r.text(t, "id", w), r.text(t, "label", w), r.boolean(t, "in_scope", w, True),
                  r.text(t, "description", w))
        )
    r.unique([s.id for s in scopes], "scopes")
    if not any(s.in_scope for s in scopes):
        raise r.fail("scopes", "no partnership type is in scope")

    objectives = []
    for i, t in enumerate(r.entries(data, "objectives")):
        w = _where("objectives", i, t)
        objectives.append(Objective(r.integer(t, "number", w), r.text(t, "id", w),
                                    r.text(t, "title", w), r.text(t, "statement", w)))
    r.unique([o.id for o in objectives], "objectives")

    principles = []
    for i, t in enumerate(r.entries(data, "principles")):
        w = _where("principles", i, t)
        considerations = t.get("considerations", [])
        if not isinstance(considerations, list) or not all(
            isinstance(c, str) for c in considerations
        ):
            raise r.fail(w, "'considerations' must be a list of text")
        principles.append(Principle(r.integer(t, "number", w), r.text(t, "id", w),
                                    r.text(t, "title", w), r.text(t, "statement", w),
                                    tuple(considerations)))
    r.unique([p.id for p in principles], "principles")
    r.unique([str(p.number) for p in principles], "principles (number)")

    phases = []
    for i, t in enumerate(r.entries(data, "phases")):
        w = _where("phases", i, t)
        phases.append(Phase(r.integer(t, "number", w), r.text(t, "id", w),
                            r.text(t, "title", w), r.text(t, "description", w)))
    r.unique([p.id for p in phases], "phases")

    raw_scales = data.get("scales", {})
    if not isinstance(raw_scales, dict) or not raw_scales:
        raise r.fail("scales", "must be [scales.NAME] tables, at least one")
    scales: dict[str, Scale] = {}
    for name, t in raw_scales.items():
        w = f"scales.{name}"
        raw_choices = t.get("choices") if isinstance(t, dict) else None
        if not isinstance(raw_choices, list) or not raw_choices:
            raise r.fail(w, "'choices' is missing or empty")
        choices = []
        for j, c in enumerate(raw_choices):
            cw = f"{w} choice {j + 1}"
            if not isinstance(c, dict):
                raise r.fail(cw, "must be a table with value and label")
            score = c.get("score")
            choices.append(Choice(r.text(c, "value", cw), r.text(c, "label", cw),
                                  c.get("rag"), score if isinstance(score, int) else None,
                                  r.boolean(c, "flag", cw, False)))
        r.unique([c.value for c in choices], w)
        r.unique([c.label for c in choices], w + " (label)")
        scales[name] = Scale(name, r.text(t, "title", w), tuple(choices))

    def items(key: str) -> tuple[Item, ...]:
        out = []
        for i, t in enumerate(r.entries(data, key, required=False)):
            w = _where(key, i, t)
            out.append(Item(r.text(t, "id", w), r.text(t, "title", w),
                            r.boolean(t, "mandatory", w, False),
                            r.boolean(t, "mou_expected", w, False)))
        r.unique([x.id for x in out], key)
        return tuple(out)

    return Framework(
        source=source,
        strategy={k: str(v) for k, v in strategy.items()},
        scopes=tuple(scopes),
        objectives=tuple(sorted(objectives, key=lambda o: o.number)),
        principles=tuple(sorted(principles, key=lambda p: p.number)),
        phases=tuple(sorted(phases, key=lambda p: p.number)),
        scales=scales,
        design_expectations=items("design_expectations"),
        agreement_clauses=items("agreement_clauses"),
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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FrameworkError(f"{path}: framework file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(f"{path}: not valid TOML: {exc}") from None
    return parse_framework(data, path)
