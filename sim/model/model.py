"""JambiBugarModel: the Mesa model of Jambi Bugar enrollment in Kota Jambi.

The model only wires its parts together; each part owns its state:

=====================  ==================================================================
``events``, ``clock``  the engine: event queue and calendar (:mod:`sim.engine`)
``rules``              Peters' barriers and mechanisms (:mod:`sim.model.coordination`)
``program``            premiums, budget caps, activation and DTKS dates (:mod:`sim.model.program`)
``flow``               cases on their routes, the journey log, and the ``Quota`` of
                       active, pending and waiting members (:mod:`sim.model.pathways`)
``city``               RTs, kelurahan, kecamatan and every office (:mod:`sim.model.city`)
``population``         households, awareness, decisions and exits (:mod:`sim.model.population`)
``tim``                the Tim Koordinasi's review meetings (:mod:`sim.model.agents`)
``relations``          working trust between agency pairs, if it evolves (:mod:`sim.model.relations`)
``sustain``            responsive budget and UHC Prioritas feedback (:mod:`sim.model.sustainability`)
=====================  ==================================================================

``step()`` advances one calendar day. Work is driven by the event queue, so cost grows
with hand-offs, decisions and arrivals, not with agents x days: a waiting household or an
empty office costs nothing. The model imports no I/O, plotting or CLI code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sim._mesa import mesa
from sim.checks import seed_and_rep
from sim.engine.events import LATE, EventQueue
from sim.engine.streams import Streams
from sim.engine.worktime import Clock
from sim.model.agents import TimKoordinasi
from sim.model.city import City
from sim.model.coordination import CoordinationRules
from sim.model.pathways import PLACES, CaseFlow
from sim.model.population import Population
from sim.model.program import Program
from sim.model.relations import Relations
from sim.model.sustainability import SustainabilityRules
from sim.scenario import Scenario, load_scenario


class JambiBugarModel(mesa.Model):
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
        **kwargs: flat parameter overrides, e.g. ``turf=0.8`` or
            ``offices__dinsos__staff=6`` (see ``Scenario.with_overrides``). Named
            ``kwargs`` because Mesa's SolaraViz only passes extra parameters to that name.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, seed: int = 0,
                 rep: int = 0, trace: bool = False, tables: bool = True, **kwargs: Any):
        seed, rep = seed_and_rep(seed, rep)  # errors name the argument
        self.scenario = sc = load_scenario(scenario).with_overrides(**kwargs)
        self.streams = Streams(seed, rep)
        super().__init__(rng=self.streams.seed_sequence("mesa"))
        self.seed, self.rep = seed, rep
        self.trace: list[tuple] | None = [] if trace else None
        self.day = -1
        self.clock = Clock(sc.time.start, sc.time.end)
        self.events = EventQueue(horizon=float(self.clock.horizon))  # the last step's end
        self.rules = CoordinationRules(sc, self.clock)
        self.program = Program(sc, self.clock)
        self.flow = CaseFlow(sc, self.clock, self.events, self.streams, self.rules,
                             self.program, self.trace, tables)
        self.quota = self.flow.quota
        self.city = City(self, sc, self.clock, self.events, self.streams, self.rules, self.flow)
        self.flow.city = self.city
        self.population = Population(self, sc, self.clock, self.events, self.streams,
                                     self.quota, sc.population.n_rt, self.flow.pathway_at,
                                     self.flow.start, keep_departed=tables)
        self.tim = TimKoordinasi(self, "Tim Koordinasi JKN Daerah",
                                 list(self.city.agencies.values()), self.flow,
                                 sc.coordination.hierarchy.stall_days)
        self.relations = Relations(sc, self.clock)
        self.evolving = sc.relations.enabled
        self.sustain = SustainabilityRules(sc, self.clock, self.program, self.spent_in,
                                           lambda: self.population.eligible_people)
        self.population.build()
        self.population.schedule_city_events()
        for t in self.program.year_starts():
            if sc.sustainability.budget_rule == "responsive":
                self.events.schedule(t, self.sustain.new_year, priority=LATE)
            self.events.schedule(t, self.quota.admit, priority=LATE)  # a new budget year
        lapse = sc.relations.tim_meetings_until
        t_lapse = self.clock.t(lapse) if lapse else float("inf")
        for t in self.rules.review_times():
            if t < t_lapse:
                self.events.schedule(t, self.tim.review, priority=LATE)
        if self.evolving:
            self.rules.relations = self.tim.relations = self.relations
            for t, name, args in self.relations.dated_events():
                self.events.schedule(t, getattr(self.relations, name), *args, priority=LATE)
        self.premium_by_month: dict[str, float] = {}
        self.member_months: dict[str, float] = {}  # active members x months, by month
        self.monthly: list[dict[str, Any]] = []
        self._accrual = self._daily_accrual()
        self._month_ends = self._month_end_days()
        self.datacollector = mesa.DataCollector(model_reporters={
            "day": "day", "enrolled": "active_members", "applied": "applied",
            "in_process": "in_process", "aware": "aware_people", "eligible": "eligible_people",
            "queue_dinsos": lambda m: m.city.queue("dinsos"),
            "queue_dinkes": lambda m: m.city.queue("dinkes"),
            "queue_bpjs": lambda m: m.city.queue("bpjs"),
        })

    # ------------------------------------------------------------- read-outs
    @property
    def households(self) -> list[Any]:
        return self.population.households

    @property
    def agencies(self) -> dict[str, Any]:
        return self.city.agencies

    @property
    def active_members(self) -> int:
        return self.quota.active

    @property
    def pending_members(self) -> int:
        return self.quota.pending

    @property
    def eligible_people(self) -> int:
        return self.population.eligible_people

    @property
    def aware_people(self) -> int:
        return self.population.aware_people

    @property
    def escalated(self) -> int:
        return self.tim.escalated

    @property
    def applied(self) -> int:
        return len(self.flow.record)

    @property
    def in_process(self) -> int:
        return self.flow.open

    @property
    def date(self) -> dt.date:
        return self.clock.date(max(self.day, 0))

    def quota_cap(self, t: float) -> int:
        return self.program.cap(t)

    # ---------------------------------------------------------------- step
    def _month_end_days(self) -> dict[int, str]:
        """Model day -> month key for each month's last simulated day (read from the
        daily calendar, ``_daily_accrual``)."""
        acc, last = self._accrual, self.clock.horizon - 1
        return {d: acc[d][0] for d in range(last + 1)
                if d == last or acc[d + 1][0] != acc[d][0]}

    def _daily_accrual(self) -> list[tuple[str, int, float]]:
        """Per model day: its month key, the days in its month and the premium rate (IDR
        per member per month). Worked out once, so a day's step does no calendar
        arithmetic."""
        out = []
        for d in range(self.clock.horizon + 1):
            today = self.clock.date(d)
            first = dt.date(today.year, today.month, 1)
            nxt = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
            out.append((f"{today.year:04d}-{today.month:02d}", (nxt - first).days,
                        self.program.premium_rate_at(d)))
        return out

    def step(self) -> None:
        """Advance one day.

        1. Run every event due before the end of the day, in (time, priority, counter)
           order: arrivals, awareness, applications, services, hand-offs, exits.
        2. Accrue the day's premium and member-months for the active members.
        3. On the month's last day, agencies sense their backlog and trust moves (if
           coordination evolves), the UHC Prioritas check runs, and a timeseries row is
           recorded.
        4. Collect the DataCollector row; after the last day set ``running`` to False.
        """
        self.day += 1
        day = self.day
        self.events.run_until(day + 1.0)
        month, days_in_month, rate = self._accrual[day]
        active = self.quota.active
        self.premium_by_month[month] = self.premium_by_month.get(month, 0.0) + \
            active * rate / days_in_month
        self.member_months[month] = self.member_months.get(month, 0.0) + \
            active / days_in_month
        if day in self._month_ends:
            self.month_end(float(day))
            self.monthly.append(self.snapshot())
        self.datacollector.collect(self)
        if day >= self.clock.horizon - 1:
            self.running = False

    def spent_in(self, year: int) -> float:
        """Premium spending of a calendar year so far (IDR)."""
        prefix = f"{year:04d}-"
        return sum(v for k, v in self.premium_by_month.items() if k.startswith(prefix))

    def month_end(self, t: float) -> None:
        """Agencies sense their backlog and trust moves (if coordination evolves); the
        sustainability rules check UHC Prioritas."""
        if self.evolving:
            offices = self.scenario.offices
            self.relations.month(t, {a: (self.city.queue(a), getattr(offices, a).staff)
                                     for a in self.city.agencies})
        self.sustain.month_end(t)

    def snapshot(self) -> dict[str, Any]:
        """One timeseries row: stocks, flows and queue lengths at the end of today."""
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
            "premium_idr": round(self.premium_by_month.get(today.strftime("%Y-%m"), 0.0)),
        }
        for kind in ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs"):
            row[f"queue_{kind}"] = self.city.queue(kind)
        for place in ("dtks", "tim", "quota", "activation"):
            row[f"waiting_{place}"] = f.where[place]
        if self.evolving:
            row.update(self.relations.row())
            row.update(self.sustain.row(float(self.day)))
        return row

    # ------------------------------------------------------------ checking
    def audit(self) -> list[str]:
        """Every invariant that must hold between steps; returns the violations."""
        f, q, bad = self.flow, self.quota, []
        if len(f.record) != f.open + sum(f.counts.values()):
            bad.append(f"cases {len(f.record)} != open {f.open} + closed {f.counts}")
        # every case with tables; else the open ones (a closed case is let go)
        cases = f.cases if f.tables else [h.case for h in self.households if h.case is not None]
        if len(cases) != (len(f.record) if f.tables else f.open):
            bad.append(f"{len(cases)} cases reachable, {len(f.record)} recorded, {f.open} open")
        if f.open != sum(f.where.values()):
            bad.append(f"open {f.open} != located {f.where}")
        if any(v < 0 for v in f.where.values()):
            bad.append(f"negative location count {f.where}")
        in_desks = sum(d.in_system for d in self.city.desks)
        if f.where["queue"] != in_desks:
            bad.append(f"queue count {f.where['queue']} != desks {in_desks}")
        for d in self.city.desks:
            if not (0 <= d.busy <= d.servers):
                bad.append(f"desk {d.name}: queue {len(d.queue)} busy {d.busy}")
        if self.events.next_time() < self.day + 1.0:
            bad.append("an event is due in the past")
        places = {c.where for c in cases if c.outcome is None}
        if not places <= set(PLACES):
            bad.append(f"open case in unknown place {places}")
        for c in cases:
            if (c.outcome is None) == bool(c.where == ""):
                bad.append(f"case {c.id}: outcome {c.outcome} but where '{c.where}'")
            if c.outcome is not None and c.t_outcome < c.t_applied:
                bad.append(f"case {c.id} ends before it starts")
            if c.outcome is not None and c.visit != -1:
                bad.append(f"case {c.id} closed with a visit still open")
        horizon = self.day + 1.0
        j = f.journey
        for i in range(len(j) if f.tables else 0):
            t_in, t_out = j.t_in[i], j.t_out[i]
            if t_in > horizon or t_out < t_in or t_out > horizon:
                bad.append(f"journey row {i}: in {t_in} out {t_out} outside the run so far")
            if j.t_start[i] < t_in or j.t_end[i] < j.t_start[i]:
                bad.append(f"journey row {i}: service {j.t_start[i]}..{j.t_end[i]} before "
                           f"arrival {t_in}")
        pending = sum(c.members for c in cases if c.admitted)
        if pending != q.pending:
            bad.append(f"pending members {q.pending} != {pending}")
        if sum(c.where == "quota" for c in cases if c.outcome is None) != len(q.waiting):
            bad.append(f"cases at the quota != waiting list {len(q.waiting)}")
        active = sum(h.members for h in self.households if h.status == "enrolled")
        elig = [h for h in self.households if h.status == "uninsured" and h.eligible]
        if active != q.active:
            bad.append(f"active members {q.active} != {active}")
        if sum(h.members for h in elig) != self.eligible_people or \
                sum(h.members for h in elig if h.aware) != self.aware_people:
            bad.append("eligible/aware stocks out of step with households")
        return bad
