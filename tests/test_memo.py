"""Work done again on the same input is taken from a memo: the same result, never a stale one."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.framework import read_toml
from generator.memo import Memo


class Maker:
    """Makes a result for a key, and remembers which keys it was asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, key: str) -> list[str]:
        self.asked.append(key)
        return [key]


def test_a_result_is_made_once_for_a_key() -> None:
    memo: Memo[str, list[str]] = Memo(keep=2)
    make = Maker()

    first = memo.get("a", lambda: make("a"))
    again = memo.get("a", lambda: make("a"))

    assert first is again
    assert make.asked == ["a"]


def test_the_oldest_result_is_dropped_when_the_memo_is_full() -> None:
    memo: Memo[str, list[str]] = Memo(keep=2)
    make = Maker()

    for key in ("a", "b", "c", "a"):
        memo.get(key, lambda key=key: make(key))  # type: ignore[misc]

    assert make.asked == ["a", "b", "c", "a"]  # "a" went when "c" came, so it was made again


def test_a_result_that_raises_is_not_kept() -> None:
    memo: Memo[str, str] = Memo(keep=2)

    def broken() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError):
        memo.get("a", broken)

    assert memo.get("a", lambda: "made") == "made"


def test_a_data_file_read_again_is_not_changed_by_what_a_reader_did_to_it(tmp_path: Path) -> None:
    path = tmp_path / "data.toml"
    path.write_text('[scales]\nrag = ["Red", "Amber", "Green"]\n', encoding="utf-8")

    first = read_toml(path, "data file")
    first["scales"]["rag"].append("Blue")
    again = read_toml(path, "data file")

    assert again == {"scales": {"rag": ["Red", "Amber", "Green"]}}


def test_a_data_file_changed_on_disk_is_read_as_it_is_now(tmp_path: Path) -> None:
    path = tmp_path / "data.toml"
    path.write_text('title = "before"\n', encoding="utf-8")
    read_toml(path, "data file")

    path.write_text('title = "after"\n', encoding="utf-8")

    assert read_toml(path, "data file") == {"title": "after"}
