"""A multi-server office desk: c servers, a priority queue, service in working time.

This is the queueing component every office uses. With an always-open calendar,
exponential service and Poisson arrivals it is an M/M/c queue, which the test suite
checks against Erlang C. It also keeps the time-integrated number in the system, so
Little's law (L = lambda W) can be checked on the model's own output.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappop, heappush
from typing import Any

from sim.engine.events import EventQueue
from sim.engine.fields import slots
from sim.engine.worktime import WorkCalendar


class Waiting:
    """An item in a desk's queue, served in ``(key, seq)`` order: its key (working time of
    arrival, or -inf once promoted), arrival number and time. The service's end event
    carries it on to ``_finish``."""

    __slots__ = slots(__file__, "Waiting")  # the fields: desk.pxd

    def __lt__(self, other: Waiting) -> bool:
        return self.key < other.key or (self.key == other.key and self.seq < other.seq)


class ServiceDesk:
    """FIFO-by-key queue in front of ``servers`` parallel servers.

    ``sample(item)`` returns the item's service time in working days; ``on_start(item, t)``
    may return False to drop an item instead of serving it (a withdrawn case);
    ``on_service(item, t_start, t_end)`` hears when a service is booked (for a journey
    log); ``on_done(item, t)`` receives each served item.
    """

    __slots__ = slots(__file__, "ServiceDesk")  # the fields: desk.pxd

    def __init__(self, name: str, servers: int, calendar: WorkCalendar, events: EventQueue,
                 sample: Callable[[Any], float], on_done: Callable[[Any, float], None],
                 on_start: Callable[[Any, float], bool] | None = None,
                 on_service: Callable[[Any, float, float], None] | None = None):
        self.name = name
        self.servers = servers
        self.calendar = calendar
        self.events = events
        self.sample = sample
        self.on_done = on_done
        self.on_start = on_start
        self.on_service = on_service
        self.queue: list[Waiting] = []  # a heap by (key, seq)
        self.busy = 0
        self._seq = 0
        # statistics
        self.arrivals = 0
        self.started = 0
        self.completed = 0
        self.wait_total = 0.0
        self.waited = 0  # items that found every server busy or the office closed
        self.departed = 0  # served or dropped
        self.sojourn_total = 0.0  # time in system of departed items
        self._area = 0.0
        self._last_t = 0.0

    # ------------------------------------------------------------------ state
    def __len__(self) -> int:
        return len(self.queue)

    @property
    def in_system(self) -> int:
        return len(self.queue) + self.busy

    def area(self, t: float) -> float:
        """Integral of the number in system from 0 to t (for Little's law)."""
        return self._area + (len(self.queue) + self.busy) * (t - self._last_t)

    # ------------------------------------------------------------- behaviour
    def arrive(self, item: Any, t: float, key: float | None = None) -> None:
        """An item joins the queue; it starts at once if a server is free."""
        self._area += (len(self.queue) + self.busy) * (t - self._last_t)
        self._last_t = t
        self.arrivals += 1
        self._seq += 1
        w: Waiting = Waiting.__new__(Waiting)
        w.key = self.calendar.to_work(t) if key is None else key
        w.seq = self._seq
        w.t_arr = t
        w.item = item
        heappush(self.queue, w)
        if self.busy < self.servers:
            self._dispatch(t)

    def _dispatch(self, t: float) -> None:
        queue, cal = self.queue, self.calendar
        while self.busy < self.servers and queue:
            w: Waiting = heappop(queue)
            item, t_arr = w.item, w.t_arr
            if self.on_start is not None and not self.on_start(item, t):
                self.departed += 1
                self.sojourn_total += t - t_arr
                continue
            self.busy += 1
            self.started += 1
            start, end = cal.serve(t, self.sample(item))  # from the next open moment
            self.wait_total += start - t_arr
            self.waited += start > t_arr
            if self.on_service is not None:
                self.on_service(item, start, end)
            self.events.at(end, self._finish, (w,))

    def _finish(self, t: float, w: Waiting) -> None:
        item, t_arr = w.item, w.t_arr
        self._area += (len(self.queue) + self.busy) * (t - self._last_t)
        self._last_t = t
        self.busy -= 1
        self.completed += 1
        self.departed += 1
        self.sojourn_total += t - t_arr
        self.on_done(item, t)
        self._dispatch(t)

    def promote(self, t: float, older_than: float) -> int:
        """Move items that have waited longer than ``older_than`` days to the front."""
        changed = 0
        for w in self.queue:
            if t - w.t_arr > older_than and w.key != float("-inf"):
                w.key = float("-inf")
                changed += 1
        if changed:
            heapify(self.queue)
        return changed
