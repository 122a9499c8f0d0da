"""The protocol by which the model runs its parts, as Starsim runs its modules.

A component is a part of the model that has its own state and acts at fixed points of the
calendar. It gets everything it needs when it is built (its collaborators are arguments of
its constructor, never attached afterwards); the model then calls its hooks, for every
component in the order the components were listed (:attr:`JambiBugarModel.components`):

1. ``start(events)``: once, after every component is built: put its own events on the
   queue (the households of the first day, year starts, review meetings, dated shocks).
   Events due at the same time and priority run in the order they were put on the queue,
   so the components' order is part of the model's definition.
2. ``day_end(day)``: at the end of every simulated day, after the day's events.
3. ``month_end(t)``: on the last simulated day of each month, after ``day_end``.
4. ``row(t)``: the component's columns of that month's timeseries row.
5. ``audit()``: its own invariants, checked between steps; each violation a sentence.

Every hook is optional: this base class does nothing in each. Adding a mechanism to the
model means writing a component and listing it, not editing the model's step. A class that
cannot subclass this one (a C type of the compiled core: the case flow) has the same hooks
and is registered as a component (``Component.register``), so ``isinstance`` holds.
"""

from __future__ import annotations

from abc import ABC
from typing import Any

from sim.engine.events import EventQueue


class Component(ABC):
    """A part of the model with hooks at the start, each day's end, each month's end."""

    def start(self, events: EventQueue) -> None:
        """Schedule the component's own events (called once, before the first day)."""

    def day_end(self, day: int) -> None:
        """The end of model day ``day`` (all of that day's events have run)."""

    def month_end(self, t: float) -> None:
        """The last simulated day of a month (``t`` is that day)."""

    def row(self, t: float) -> dict[str, Any]:
        """The component's columns of the month's timeseries row."""
        return {}

    def audit(self) -> list[str]:
        """Violations of the component's own invariants (empty when all hold)."""
        return []
