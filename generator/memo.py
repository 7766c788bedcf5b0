"""A memo of work done before on the same input: a template compiled, a file parsed.

Tests, the demo and a council's batches do the same work on the same bytes again and again
(every workspace holds its own copy of the framework, every form of a batch the same styles
part); a `Memo` keeps the last few results by a key naming exactly what they were made from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Up to `keep` results by key, the oldest dropped first. A result that raises is never
    kept, so its error is raised again each time. Threads may share one: two making the same
    result at once both make it, and one of them is kept."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._kept: dict[K, V] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The result kept for `key`, or `make()` kept and returned."""
        with self._lock:
            if key in self._kept:
                return self._kept[key]
        made = make()  # outside the lock: making may take a while
        with self._lock:
            if key not in self._kept and len(self._kept) >= self.keep:
                del self._kept[next(iter(self._kept))]
            self._kept[key] = made
        return made
