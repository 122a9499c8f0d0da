"""A minimal event queue with a deterministic tie-break, as in SimPy's heap.

Entries are ``(time, priority, counter, callback, args)``: simultaneous events run
by priority, then in the order they were scheduled. A callback is called as
``callback(time, *args)``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

# Priorities for events at the same time (lower runs first).
URGENT, NORMAL, LATE = 0, 1, 2


class EventQueue:
    __slots__ = ("_heap", "_counter", "processed", "now")

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._counter = 0
        self.processed = 0
        self.now = float("-inf")

    def schedule(self, time: float, callback: Callable[..., Any], *args: Any,
                 priority: int = NORMAL) -> None:
        if time < self.now:
            raise RuntimeError(f"event {callback.__name__} scheduled at {time} before now "
                               f"({self.now}): time must not run backwards")
        self._counter += 1
        heapq.heappush(self._heap, (time, priority, self._counter, callback, args))

    def run_until(self, t_end: float) -> None:
        """Run every event with time < t_end, in (time, priority, counter) order."""
        heap = self._heap
        pop = heapq.heappop
        while heap and heap[0][0] < t_end:
            time, _, _, callback, args = pop(heap)
            self.now = time
            self.processed += 1
            callback(time, *args)

    def __len__(self) -> int:
        return len(self._heap)

    def next_time(self) -> float:
        return self._heap[0][0] if self._heap else float("inf")
