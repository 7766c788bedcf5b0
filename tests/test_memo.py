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


def test_threads_sharing_a_memo_all_get_a_result_and_it_stays_within_its_size() -> None:
    import threading

    memo: Memo[int, list[int]] = Memo(keep=3)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def work(start: int) -> None:
        try:
            for key in range(start, start + 200):
                results.append(memo.get(key % 5, lambda key=key: [key % 5]))  # type: ignore[misc]
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == 800 and all(len(r) == 1 for r in results)
    assert len(memo) <= 3
