"""An event queue with a deterministic tie-break, as in SimPy's heap.

An entry is an :class:`Event`, ordered by ``(time, order)`` where ``order`` packs the
priority and a counter: simultaneous events run by priority, then in the order they were
scheduled. A callback is called as ``callback(time, *args)``; up to three arguments sit in
the event itself, not in a tuple of their own. In the compiled core (``events.pxd``) an
event keeps its time and order as C numbers, not as float and int objects of their own,
and comes from a free list: in a large city an event is read days after it was scheduled,
long out of the processor's cache, and each object it points to is one more slow read.

Most events a city schedules lie far in the future (exits, background awareness,
reconsidering); they wait in buckets of ``BUCKET_DAYS`` days (one day) and join the heap
only when the clock reaches their bucket, found through a small heap of bucket numbers.
The order of events is exactly that of one heap (``tests/test_events.py``); the heap just
stays small: about 50 events on average at city scale and 200 at four times the city,
against 600 and 2,400 with 32-day buckets, so each push and pop walks fewer levels, and
the cost per event grows less with the city's size.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappop, heappush
from typing import Any

from sim.engine.fields import slots

# Priorities for events at the same time (lower runs first).
URGENT, NORMAL, LATE = 0, 1, 2
HANDLED = -2  # Event.nargs of an event for a Handler (EventQueue.call)
BUCKET_BITS = 0  # buckets of one day
BUCKET_DAYS = 1 << BUCKET_BITS
FAR = 1 << 22  # buckets from this number on (11,000 years of days) are kept by number


class Handler:
    """An object that takes its own events: :meth:`EventQueue.call` schedules
    ``target.on_event(kind, time, a, b)``, ``kind`` a number the target gives its own
    meaning. Compiled, the event holds the target, not a bound method with its arguments
    in a tuple, and the call is a C call (``events.pxd``): about 600 instructions less an
    event, three events in four of a city replication."""

    __slots__ = slots(__file__, "Handler")  # none: events.pxd declares its method

    def on_event(self, kind, t, a, b):  # noqa: ANN001, ANN201 (C types: events.pxd)
        raise NotImplementedError


class Event:
    """One scheduled call, ``callback(time, *args)``, ordered by ``(time, order)``: the
    order of the tuple ``(time, order, callback, *args)`` in a heap, where ``order`` is
    unique. Up to three arguments are kept in ``a``, ``b``, ``c``; more as a tuple in
    ``a`` (``nargs`` -1). Keeping ``args`` as the tuple instead is simpler and gives the
    same results, but one more object per event costs the compiled core about 2% at city
    scale and 3.5% at ten times the city (A/B, paired rounds)."""

    __slots__ = slots(__file__, "Event")  # the fields: events.pxd

    def __lt__(self, other: Event) -> bool:
        return _before(self, other)

    def fire(self) -> None:
        """Make the call."""
        n = self.nargs
        if n == HANDLED:
            target: Handler = self.callback
            target.on_event(self.kind, self.time, self.a, self.b)
        elif n == 0:
            self.callback(self.time)
        elif n == 1:
            self.callback(self.time, self.a)
        elif n == 2:
            self.callback(self.time, self.a, self.b)
        elif n == 3:
            self.callback(self.time, self.a, self.b, self.c)
        else:
            self.callback(self.time, *self.a)


def _before(a: Event, b: Event) -> bool:
    """Whether event ``a`` runs before ``b`` (``Event.__lt__``, as a C function compiled)."""
    return a.time < b.time or (a.time == b.time and a.order < b.order)


# The heap of the day's events: heapq's algorithm step for step (push: sift the new entry
# up; pop: move the hole the root leaves down to a leaf by the earlier child, then the last
# entry up into it), written out so that the compiled core compares two events in C, not
# through Python's rich comparison and a bool object. The list is the one heapq would
# make, which still builds a day's heap (heapify).
def _push(heap: list, e: Event) -> None:
    heap.append(e)
    _sift_up(heap, e, len(heap) - 1)


def _sift_up(heap, e, i):  # noqa: ANN001, ANN202 (events.pxd)
    """Put ``e`` at place ``i`` of the heap, or above it, moving later parents down."""
    while i > 0:
        p = (i - 1) >> 1
        parent = heap[p]
        if not _before(e, parent):
            break
        heap[i] = parent
        i = p
    heap[i] = e


def _pop(heap: list) -> Event:
    last = heap.pop()
    n = len(heap)
    if n == 0:
        return last
    top = heap[0]
    i = 0
    child = 1
    while child < n:  # the hole goes down to a leaf, by the earlier child
        right = child + 1
        if right < n and not _before(heap[child], heap[right]):
            child = right
        heap[i] = heap[child]
        i = child
        child = 2 * i + 1
    _sift_up(heap, last, i)  # and the last entry goes up from there to its place
    return top


def _event(time: float, order, callback: Callable[..., Any], args: tuple) -> Event:  # noqa: ANN001
    # (order: an int, a C long long in events.pxd, where the compiled core calls this in C)
    e: Event = Event.__new__(Event)  # compiled: from the free list, no __init__ call
    e.time = float(time)  # a C double when compiled: a float in both builds
    e.order = order
    e.callback = callback
    e.kind = 0
    n = len(args)
    if n == 0:
        e.nargs = 0
    elif n == 1:
        e.nargs, e.a = 1, args[0]
    elif n == 2:
        e.nargs, e.a, e.b = 2, args[0], args[1]
    elif n == 3:
        e.nargs, e.a, e.b, e.c = 3, args[0], args[1], args[2]
    else:
        e.nargs, e.a = -1, args
    return e


class EventQueue:
    __slots__ = slots(__file__, "EventQueue")  # the fields: events.pxd

    def __init__(self, horizon: float = float("inf")) -> None:
        """``horizon``: the end of the run; an event at or after it could never run, so it
        is counted (``beyond``) and not kept. Its place in the order is still taken, so
        every other event runs exactly as if it were kept. Most events a household
        schedules far ahead (an exit years away) fall there."""
        self.horizon = horizon
        self.beyond = 0
        self._heap: list[Event] = []
        self._counter = 0
        self.processed = 0
        self.now = float("-inf")
        # A bucket's events sit in _days at its number: found without a Python int or a
        # dict lookup (about 250 instructions an event, compiled); the rare bucket beyond
        # FAR, in _far by its number.
        self._days: list[list[Event] | None] = []
        self._far: dict[int, list[Event]] = {}
        self._keys: list[int] = []  # heap of the numbers of the buckets that hold events
        self._near = 0  # events before day _near * BUCKET_DAYS go straight to the heap

    def schedule(self, time: float, callback: Callable[..., Any], *args: Any,
                 priority: int = NORMAL) -> None:
        """Call ``callback(time, *args)`` at ``time`` (:meth:`at`, for Python callers)."""
        self.at(time, callback, args, priority)

    def at(self, time: float, callback: Callable[..., Any], args: tuple = (),
           priority=NORMAL) -> None:  # noqa: ANN001 (priority: a C int)
        """:meth:`schedule` with the arguments as one tuple: what the compiled core calls,
        in C, with the time and priority as C numbers (``events.pxd``)."""
        order = self._order(time, callback, priority)
        if order >= 0:
            self._place(_event(time, order, callback, args))

    def call(self, time: float, target: Handler, kind, a: Any = None, b: Any = None,
             priority=NORMAL) -> None:  # noqa: ANN001 (kind, priority: C ints)
        """Call ``target.on_event(kind, time, a, b)`` at ``time``: in the same order as
        :meth:`at` would call a method of the target."""
        order = self._order(time, target, priority)
        if order >= 0:
            e = _event(time, order, target, ())
            e.nargs, e.kind, e.a, e.b = HANDLED, kind, a, b
            self._place(e)

    def _order(self, time, callback, priority):  # noqa: ANN001, ANN202 (events.pxd)
        """The next event's place in the order, or -1 if it falls at or after the horizon
        (counted in ``beyond``)."""
        if time < self.now:
            name = getattr(callback, "__name__", repr(callback))
            raise RuntimeError(f"event {name} scheduled at {time} before now "
                               f"({self.now}): time must not run backwards")
        if not URGENT <= priority <= LATE:
            raise ValueError(f"priority must be URGENT, NORMAL or LATE (0-2), got {priority!r}")
        self._counter += 1
        if time >= self.horizon:
            self.beyond += 1
            return -1
        order = priority  # (C long long numbers in events.pxd: no Python ints, no overflow)
        return (order << 48) | self._counter  # the priority above the counter's 48 bits

    def _place(self, entry):  # noqa: ANN001, ANN202 (events.pxd)
        """Put an event in the heap, or in its day's bucket."""
        time = entry.time
        if time < 1e15:
            b, bits = int(time), BUCKET_BITS  # (C numbers compiled: the shift in C)
            b >>= bits
        else:  # never: inf
            b = 1 << 40
        if b < self._near:
            _push(self._heap, entry)
            return
        if b < FAR:
            days = self._days
            if b >= len(days):  # room for twice the days, at least up to b
                days.extend([None] * (max(b + 1, 2 * len(days)) - len(days)))
            bucket = days[b]
            if bucket is None:
                days[b] = [entry]
                heappush(self._keys, b)
            else:
                bucket.append(entry)
            return
        bucket = self._far.get(b)
        if bucket is None:
            self._far[b] = [entry]
            heappush(self._keys, b)
        else:
            bucket.append(entry)

    def _take(self, b):  # noqa: ANN001, ANN202 (a C number in events.pxd)
        """Bucket number b's events, taken out of their place."""
        if b < FAR:
            bucket = self._days[b]
            self._days[b] = None
            return bucket
        return self._far.pop(b)

    def _advance(self, t_end: float) -> None:
        """Move the earliest bucket into the heap, if it starts before t_end.

        Invariant: every event earlier than ``_near * BUCKET_DAYS`` is in the heap, every
        later one in a bucket; so the heap's events always come first."""
        b = self._keys[0]
        if b * BUCKET_DAYS >= t_end:
            self._near = max(self._near, b)
            return
        heappop(self._keys)
        bucket = self._take(b)
        heap = self._heap
        if len(bucket) > len(heap):
            heap.extend(bucket)
            heapify(heap)
        else:
            for entry in bucket:
                _push(heap, entry)
        self._near = b + 1

    def run_until(self, t_end: float) -> None:
        """Run every event with time < t_end, in (time, priority, counter) order."""
        heap = self._heap
        while True:
            while heap:
                entry: Event = heap[0]
                if entry.time >= t_end:
                    break
                _pop(heap)
                self.now = entry.time
                self.processed += 1
                entry.fire()
            if self._keys and self._near * BUCKET_DAYS < t_end:
                self._advance(t_end)
                continue
            return

    def __len__(self) -> int:
        return len(self._heap) + sum(len(self._bucket(b)) for b in self._keys)

    def _bucket(self, b: int) -> list[Event]:
        return self._days[b] if b < FAR else self._far[b]

    def next_time(self) -> float:
        best = self._heap[0].time if self._heap else float("inf")
        for b in self._keys:
            if b * BUCKET_DAYS < best:
                best = min(best, min(e.time for e in self._bucket(b)))
        return best
