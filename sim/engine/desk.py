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

from sim.engine.events import EventQueue, Handler
from sim.engine.fields import slots
from sim.engine.worktime import WorkCalendar


class Waiting:
    """An item in a desk's queue, served in ``(key, seq)`` order: its key (working time of
    arrival, or -inf once promoted), arrival number and time. The service's end event
    carries it on to ``_finish``."""

    __slots__ = slots(__file__, "Waiting")  # the fields: desk.pxd

    def __lt__(self, other: Waiting) -> bool:
        return self.key < other.key or (self.key == other.key and self.seq < other.seq)


class DeskClient:
    """What a desk asks of the one it works for: ``service_time(item)``, an item's service
    time in working days; ``start(item, t)``, False to drop an item instead of serving it
    (a withdrawn case); ``serve(item, t_start, t_end)``, told when a service is booked (a
    journey log); ``decide(item, t)``, given each served item. An office is one
    (:class:`sim.model.office_state.OfficeState`): compiled, the desk calls it in C, and
    these are C methods (``desk.pxd``), which a Python subclass cannot override: from
    Python, make a client of plain functions with :class:`Callbacks`."""

    __slots__ = slots(__file__, "DeskClient")  # none: desk.pxd declares its methods

    def service_time(self, item: Any) -> float:
        raise NotImplementedError

    def start(self, item: Any, t: float) -> bool:
        return True

    def serve(self, item: Any, t_start: float, t_end: float) -> None:
        pass

    def decide(self, item: Any, t: float) -> None:
        raise NotImplementedError


class Callbacks(DeskClient):
    """A desk's client made of functions: ``sample(item)``, ``on_done(item, t)`` and,
    optionally, ``on_start(item, t)`` and ``on_service(item, t_start, t_end)``."""

    __slots__ = slots(__file__, "Callbacks")  # the fields: desk.pxd

    def __init__(self, sample: Callable[[Any], float], on_done: Callable[[Any, float], None],
                 on_start: Callable[[Any, float], bool] | None = None,
                 on_service: Callable[[Any, float, float], None] | None = None):
        self.sample = sample
        self.on_done = on_done
        self.on_start = on_start
        self.on_service = on_service

    def service_time(self, item: Any) -> float:
        return self.sample(item)

    def start(self, item: Any, t: float) -> bool:
        return self.on_start is None or self.on_start(item, t)

    def serve(self, item: Any, t_start: float, t_end: float) -> None:
        if self.on_service is not None:
            self.on_service(item, t_start, t_end)

    def decide(self, item: Any, t: float) -> None:
        self.on_done(item, t)


class ServiceDesk(Handler):
    """FIFO-by-key queue in front of ``servers`` parallel servers, working for ``client``
    (a :class:`DeskClient`): it asks the client for each item's service time and whether
    to serve it, tells it when a service is booked, and gives it each served item."""

    __slots__ = slots(__file__, "ServiceDesk")  # the fields: desk.pxd

    def __init__(self, name: str, servers: int, calendar: WorkCalendar, events: EventQueue,
                 client: DeskClient):
        self.name = name
        self.servers = servers
        self.calendar = calendar
        self.events = events
        self.client = client
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
    def arrive(self, item: Any, t: float, key=None) -> None:  # noqa: ANN001 (a float or None)
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
        queue, cal, client = self.queue, self.calendar, self.client
        while self.busy < self.servers and queue:
            w: Waiting = heappop(queue)
            item, t_arr = w.item, w.t_arr
            if not client.start(item, t):
                self.departed += 1
                self.sojourn_total += t - t_arr
                continue
            self.busy += 1
            self.started += 1
            start, end = cal.serve(t, client.service_time(item))  # from the next open moment
            self.wait_total += start - t_arr
            self.waited += start > t_arr
            client.serve(item, start, end)
            self.events.call(end, self, 0, w)  # on_event: the service ends

    def on_event(self, kind, t, a, b):  # noqa: ANN001, ANN201 (C types: events.pxd)
        """A service ends: the desk's one kind of event."""
        self._finish(t, a)

    def _finish(self, t: float, w: Waiting) -> None:
        item, t_arr = w.item, w.t_arr
        self._area += (len(self.queue) + self.busy) * (t - self._last_t)
        self._last_t = t
        self.busy -= 1
        self.completed += 1
        self.departed += 1
        self.sojourn_total += t - t_arr
        self.client.decide(item, t)
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
