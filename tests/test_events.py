"""The event queue runs events exactly in (time, priority, order scheduled) order, as one
plain heap would, although far-future events wait in day buckets."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from sim.engine import events
from sim.engine.events import LATE, NORMAL, URGENT, EventQueue


class Reference:
    """A plain heap with the same tie-break: the order every event queue must give."""

    def __init__(self) -> None:
        self.heap: list = []
        self.n = 0
        self.now = float("-inf")

    def schedule(self, t, cb, *args, priority=NORMAL):
        self.n += 1
        heapq.heappush(self.heap, (t, priority, self.n, cb, args))

    def run_until(self, t_end):
        while self.heap and self.heap[0][0] < t_end:
            t, _, _, cb, args = heapq.heappop(self.heap)
            self.now = t
            cb(t, *args)


def trace(q, seed: int, horizon: float) -> list[tuple]:
    """Events that schedule more events: near and far, same-day ties, whole days, never."""
    rng = np.random.default_rng(seed)
    seen: list[tuple] = []

    def cb(t, name):
        seen.append((t, name))
        for _ in range(int(rng.integers(0, 3))):
            kind = rng.integers(0, 5)
            if kind == 0:
                dt = 0.0  # now, after the current event
            elif kind == 1:
                dt = float(rng.integers(0, 3))  # whole days: bucket edges
            elif kind == 2:
                dt = float(rng.exponential(0.3))  # later today
            elif kind == 3:
                dt = float(rng.exponential(200.0))  # far future
            else:
                dt = float("inf") if rng.random() < 0.1 else float(rng.exponential(40))
            prio, label = int(rng.choice([URGENT, NORMAL, LATE])), f"{name}.{len(seen)}"
            if isinstance(q, EventQueue) and len(seen) % 2:  # what the compiled core calls
                q.at(t + dt, cb, (label,), prio)
            else:
                q.schedule(t + dt, cb, label, priority=prio)

    for i in range(200):
        q.schedule(float(rng.uniform(0, horizon)), cb, f"e{i}",
                   priority=int(rng.choice([URGENT, NORMAL, LATE])))
    for stop in np.linspace(horizon / 7, horizon, 7):  # run in slices, like the model's steps
        q.run_until(float(stop))
    return seen


@pytest.mark.parametrize("seed", range(5))
def test_order_is_that_of_one_heap(seed: int) -> None:
    got = trace(EventQueue(), seed, 1000.0)
    want = trace(Reference(), seed, 1000.0)
    assert len(got) > 1000
    assert got == want


@pytest.mark.parametrize("seed", range(3))
def test_a_horizon_drops_only_events_that_could_never_run(seed: int) -> None:
    """With the run's end as horizon, events at or after it are not kept, and every
    other event runs exactly as in one heap (their places in the order are kept)."""
    q = EventQueue(horizon=1000.0)
    got = trace(q, seed, 1000.0)
    assert got == trace(Reference(), seed, 1000.0)
    assert q.beyond > 0 and len(q) == 0  # the trace runs to 1000: nothing can be left
    late = EventQueue(horizon=10.0)
    late.schedule(10.0, lambda t: None)
    late.schedule(float("inf"), lambda t: None)
    assert (len(late), late.beyond) == (0, 2)


def test_the_heap_holds_only_the_current_day(monkeypatch) -> None:
    """Far-future events wait in buckets: the heap never holds an event of a later bucket."""
    q = EventQueue()
    biggest = []

    def cb(t):
        biggest.append(max(e.time for e in q._heap) if q._heap else t)

    for t in np.random.default_rng(1).uniform(0, 300, 2000):
        q.schedule(float(t), cb)
    q.run_until(400.0)
    assert len(biggest) == 2000
    # when an event runs, everything still in the heap is due before the end of its bucket
    assert all(b < (int(t) >> events.BUCKET_BITS) * events.BUCKET_DAYS + events.BUCKET_DAYS
               for b, t in zip(biggest, sorted(np.random.default_rng(1).uniform(0, 300, 2000))))


def test_callbacks_get_their_arguments_however_many() -> None:
    """Up to three arguments sit in the event itself, more in a tuple: each callback gets
    exactly what was scheduled, in order."""
    q = EventQueue()
    got = []

    def cb(t, *args):
        got.append((t, args))

    expected = []
    for n in range(6):
        args = tuple(f"arg{n}.{i}" for i in range(n)) + ((None,) if n == 5 else ())
        q.schedule(float(n), cb, *args)
        expected.append((float(n), args))
    q.run_until(10.0)
    assert got == expected


def test_at_checks_what_schedule_checks() -> None:
    q = EventQueue()
    q.at(1.0, lambda t: None)
    q.run_until(2.0)
    with pytest.raises(RuntimeError, match="before now"):
        q.at(0.5, lambda t: None)
    with pytest.raises(ValueError, match="priority"):
        q.at(3.0, lambda t: None, (), LATE + 1)


@pytest.mark.parametrize("seed", range(3))
def test_the_day_heap_is_the_list_heapq_makes(seed: int) -> None:
    """The queue's own push and pop are heapq's algorithm step for step: after every
    operation the list holds the same events in the same places as a heapq twin's, ties in
    time and days built by heapify among them."""
    def event(t: float, order: int) -> events.Event:
        e = events.Event.__new__(events.Event)
        e.time, e.order, e.callback, e.nargs = t, order, print, 0
        return e

    rng = np.random.default_rng(seed)
    ours: list = []
    twin: list = []
    made = 0
    for step in range(3000):
        if ours and rng.random() < 0.45:
            assert events._pop(ours) is heapq.heappop(twin)
        elif rng.random() < 0.01:  # a day's bucket merged in, as _advance does
            bucket = [event(float(rng.integers(0, 50)), made + j)
                      for j in range(int(rng.integers(1, 40)))]
            made += len(bucket)
            ours.extend(bucket)
            twin.extend(bucket)
            heapq.heapify(ours)
            heapq.heapify(twin)
        else:
            e = event(float(rng.integers(0, 50)) + float(rng.random() < 0.5) * 0.25, made)
            made += 1
            events._push(ours, e)
            heapq.heappush(twin, e)
        assert all(a is b for a, b in zip(ours, twin, strict=True)), step
