"""JambiBugarModel: the Mesa model of Jambi Bugar enrollment in Kota Jambi.

The model only wires its parts together; each part owns its state:

=====================  ==================================================================
``events``, ``clock``  the engine: event queue and calendar (:mod:`sim.engine`)
``relations``          working trust between agency pairs, if it evolves
                       (:mod:`sim.model.relations`)
``rules``              Peters' barriers and mechanisms (:mod:`sim.model.coordination`)
``program``            premiums, budget caps, activation and DTKS dates
                       (:mod:`sim.model.program`)
``flow``               cases on their routes and the journey log (:mod:`sim.model.pathways`);
                       it builds the ``city`` (RTs, kelurahan, kecamatan, every office:
                       :mod:`sim.model.city`) and the ``quota`` (active, pending and waiting
                       members: :class:`~sim.model.program.Quota`)
``ledger``             premiums and member-months accrued by month (:mod:`sim.model.program`)
``population``         households, awareness, decisions, exits, coming back
                       (:mod:`sim.model.population`)
``renewal``            campaigns, PBI-JK take-overs and drops, re-verification,
                       registration drives (:mod:`sim.model.renewal`)
``tim_terpadu``        the team behind the 2021 website: its socialisation at the launch
                       and RT recruitment (:mod:`sim.model.renewal`)
``accounting``         where everyone who has been eligible is (:mod:`sim.model.accounting`)
``tim``                the Tim Koordinasi's review meetings (:mod:`sim.model.agents`)
``sustain``            responsive budget and UHC Prioritas feedback
                       (:mod:`sim.model.sustainability`)
=====================  ==================================================================

The parts that act at fixed points of the calendar are the model's ``components``
(:mod:`sim.model.component`), run in this order: population, renewal, the Tim Terpadu, ledger, flow, the trust
dynamics if coordination evolves, sustain, quota, accounting, tim, the trust shocks if it evolves, then
any extra components given to the model. ``step()`` advances one calendar day. Work is driven by the event queue, so
cost grows with hand-offs, decisions and arrivals, not with agents x days: a waiting
household or an empty office costs nothing. The model imports no I/O, plotting or CLI code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim._mesa import DataCollector, Model
from sim.checks import seed_and_rep
from sim.engine.events import EventQueue
from sim.engine.streams import Streams
from sim.engine.worktime import Clock
from sim.model.accounting import Accounting
from sim.model.agents import TimKoordinasi
from sim.model.cases import OFFICES
from sim.model.component import Component
from sim.model.coordination import CoordinationRules
from sim.model.pathways import CaseFlow
from sim.model.population import Population
from sim.model.program import Ledger, Program
from sim.model.relations import Relations, TrustDynamics, TrustShocks
from sim.model.renewal import Renewal, TimTerpadu
from sim.model.sustainability import SustainabilityRules
from sim.scenario import Scenario, load_scenario

WAITING_PLACES = ("dtks", "tim", "quota", "activation")


class JambiBugarModel(Model):
    """Households, RT heads, Lurahs, Camats, three agencies and the Tim Koordinasi.

    Args:
        scenario: a :class:`Scenario`, a path to a TOML file, or None for the baseline.
        seed: root seed; replication ``rep`` uses ``SeedSequence(seed).spawn(...)[rep]``.
        rep: replication index.
        trace: keep an exact event log in ``model.trace`` (for tests and debugging).
        tables: keep every case and the journey log, for the case and journey tables
            (``sim.runner.records``). False keeps only what the outcome catalogue needs
            (``flow.record``) and lets closed cases and departed households go:
            ``run_one(..., tables=False)``.
        components: extra components, run after the model's own (a new mechanism, a
            probe for a test): each a :class:`~sim.model.component.Component`, or a
            function that makes one from the built model (``lambda m: Mine(m.quota)``),
            so it gets the parts it needs when it is built.
        **kwargs: flat parameter overrides, e.g. ``turf=0.8`` or
            ``offices__dinsos__staff=6`` (see ``Scenario.with_overrides``). Named
            ``kwargs`` because Mesa's SolaraViz only passes extra parameters to that name.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, seed: int = 0,
                 rep: int = 0, trace: bool = False, tables: bool = True,
                 components: Sequence[Component | Callable[[JambiBugarModel], Component]] = (),
                 **kwargs: Any):
        seed, rep = seed_and_rep(seed, rep)  # errors name the argument
        self.scenario = sc = load_scenario(scenario).with_overrides(**kwargs)
        self.streams = Streams(seed, rep)
        super().__init__(rng=self.streams.seed_sequence("mesa"))
        self.seed, self.rep = seed, rep
        self.trace: list[tuple] | None = [] if trace else None
        self.day = -1
        self.clock = clock = Clock(sc.time.start, sc.time.end)
        self.events = EventQueue(horizon=float(clock.horizon))  # the last step's end
        self.evolving = sc.relations.enabled
        self.relations = Relations(sc, clock)
        trust = self.relations if self.evolving else None
        self.rules = CoordinationRules(sc, clock, relations=trust)
        self.program = Program(sc, clock)
        self.flow = CaseFlow(self, sc, clock, self.events, self.streams, self.rules,
                             self.program, self.trace, tables)
        self.city, self.quota = self.flow.city, self.flow.quota
        self.ledger = Ledger(self.program, clock, self.quota)
        self.population = Population(self, sc, clock, self.events, self.streams, self.quota,
                                     sc.population.n_rt, self.flow.pathway_at,
                                     self.flow.open_case, keep_departed=tables)
        self.renewal = Renewal(sc, clock, self.population)
        self.tim_terpadu = TimTerpadu(self, sc, self.population, self.flow.t_online,
                                      float(clock.horizon))
        self.accounting = Accounting(self.population, self.quota)
        lapse = sc.relations.tim_meetings_until
        t_lapse = clock.t(lapse) if lapse else float("inf")
        self.tim = TimKoordinasi(self, "Tim Koordinasi JKN Daerah",
                                 list(self.city.agencies.values()), self.flow,
                                 sc.coordination.hierarchy.stall_days,
                                 [t for t in self.rules.review_times() if t < t_lapse], trust)
        self.sustain = SustainabilityRules(sc, clock, self.program, self.ledger,
                                           lambda: self.population.eligible_people,
                                           columns=self.evolving)
        # The order is part of the model: events put on the queue at the same time and
        # priority run in the order the components put them there, and the timeseries
        # columns follow it (sim.model.component).
        trust: list[Component] = []
        if self.evolving:
            staff = {a: getattr(sc.offices, a).staff for a in self.city.agencies}
            trust = [TrustDynamics(self.relations, self.city.queue, staff)]
        self.components: list[Component] = [
            self.population, self.renewal, self.tim_terpadu, self.ledger, self.flow, *trust, self.sustain,
            self.quota, self.accounting,
            self.tim, *([TrustShocks(self.relations)] if trust else [])]
        self.components += [c if isinstance(c, Component) else c(self) for c in components]
        for part in self.components:
            part.start(self.events)
        self._month_ends = clock.month_ends()
        self.monthly: list[dict[str, Any]] = []
        self.datacollector = DataCollector(model_reporters={
            "day": "day", "enrolled": "active_members", "applied": "applied",
            "in_process": "in_process", "aware": "aware_people", "eligible": "eligible_people",
            "queue_dinsos": lambda m: m.city.queue("dinsos"),
            "queue_dinkes": lambda m: m.city.queue("dinkes"),
            "queue_bpjs": lambda m: m.city.queue("bpjs"),
        })

    # ------------------------------------------------------------- read-outs
    # Each stock is its owner's; the model only reads them through.
    households = property(lambda self: self.population.households)
    agencies = property(lambda self: self.city.agencies)
    active_members = property(lambda self: self.quota.active)
    pending_members = property(lambda self: self.quota.pending)
    eligible_people = property(lambda self: self.population.eligible_people)
    aware_people = property(lambda self: self.population.aware_people)
    escalated = property(lambda self: self.tim.escalated)
    applied = property(lambda self: len(self.flow.record))
    in_process = property(lambda self: self.flow.open)
    premium_by_month = property(lambda self: self.ledger.premium_by_month)
    member_months = property(lambda self: self.ledger.member_months)

    @property
    def date(self) -> dt.date:
        return self.clock.date(max(self.day, 0))

    def quota_cap(self, t: float) -> int:
        return self.program.cap(t)

    def spent_in(self, year: int) -> float:
        """Premium spending of a calendar year so far (IDR)."""
        return self.ledger.spent_in(year)

    # ---------------------------------------------------------------- step
    def step(self) -> None:
        """Advance one day.

        1. Run every event due before the end of the day, in (time, priority, counter)
           order: arrivals, awareness, applications, services, hand-offs, exits.
        2. Every component's ``day_end`` (the ledger accrues the day's premium).
        3. On the month's last day, every component's ``month_end`` (agencies sense their
           backlog and trust moves, if coordination evolves; the UHC Prioritas check),
           then a timeseries row.
        4. Collect the DataCollector row; after the last day set ``running`` to False.
        """
        self.day += 1
        day = self.day
        self.events.run_until(day + 1.0)
        for part in self.components:
            part.day_end(day)
        if day in self._month_ends:
            t = float(day)
            for part in self.components:
                part.month_end(t)
            self.monthly.append(self.snapshot())
        self.datacollector.collect(self)
        if day >= self.clock.horizon - 1:
            self.running = False

    def snapshot(self) -> dict[str, Any]:
        """One timeseries row: stocks, flows and queue lengths at the end of today, then
        each component's own columns."""
        f = self.flow
        today = self.clock.date(self.day)
        target = self.scenario.program.target
        active = self.quota.active
        row: dict[str, Any] = {
            "date": today.isoformat(), "rep": self.rep, "eligible": self.eligible_people,
            "aware": self.aware_people, "applied": len(f.record), "in_process": f.open,
            "enrolled": active, "enrolled_cases": f.counts["enrolled"],
            "target": target, "gap": target - active, "quota_cap": self.program.cap(self.day),
            "abandoned": f.counts["abandoned"], "rejected": f.counts["rejected"],
            "premium_idr": round(self.ledger.of_month(today.strftime("%Y-%m"))),
        }
        for kind in OFFICES:
            row[f"queue_{kind}"] = self.city.queue(kind)
        for place in WAITING_PLACES:
            row[f"waiting_{place}"] = f.where[place]
        t = float(self.day)
        for part in self.components:
            row.update(part.row(t))
        return row

    # ------------------------------------------------------------ checking
    def audit(self) -> list[str]:
        """Every invariant that must hold between steps; returns the violations: the
        engine's (no event due in the past), then each component's own, then the one
        that spans two (without tables, the open cases are found through their
        households)."""
        bad = ["an event is due in the past"] if self.events.next_time() < self.day + 1.0 \
            else []
        for part in self.components:
            bad += part.audit()
        if not self.flow.tables:
            bad += self.flow.audit_cases([h.case for h in self.households
                                          if h.case is not None])
        return bad
