"""Kota Jambi's geography and offices: RT -> kelurahan -> kecamatan, the office that serves
each step of a household's case, and what a trip there costs the citizen.

Kelurahan are assigned to kecamatan in turn; the kelurahan created by the 2023 split
(Kepmendagri 100.1.1-6117/2022) take cases of their RTs from ``split_date``, before which
their parent kelurahan serves them.
"""

from __future__ import annotations

from typing import Any

from sim._mesa import mesa
from sim.engine.desk import ServiceDesk
from sim.engine.events import EventQueue
from sim.engine.streams import Streams
from sim.engine.worktime import Clock, WorkCalendar
from sim.model.agents import AGENCY_CLASSES, Camat, CaseHandler, Lurah, Office, RTHead
from sim.model.cases import OFFICES
from sim.model.coordination import CoordinationRules
from sim.model.office_state import ServiceTimes
from sim.scenario import Scenario


class City:
    """The offices of every office type, and who serves whom."""

    def __init__(self, model: mesa.Model, scenario: Scenario, clock: Clock, events: EventQueue,
                 streams: Streams, rules: CoordinationRules, flow: CaseHandler):
        pop, offices = scenario.population, scenario.offices
        self.behaviour = scenario.behaviour
        self.params = {s: getattr(offices, s) for s in OFFICES}
        n_kel = pop.n_kelurahan + pop.n_kelurahan_new
        self.kel_kec = [k % pop.n_kecamatan for k in range(pop.n_kelurahan)]
        self.kel_parent = list(range(pop.n_kelurahan)) + [
            (j * 7) % pop.n_kelurahan for j in range(pop.n_kelurahan_new)]
        self.kel_kec += [self.kel_kec[self.kel_parent[k]] for k in range(pop.n_kelurahan, n_kel)]
        self.rt_kel = [i % n_kel for i in range(pop.n_rt)]
        self.t_split = clock.t(pop.split_date)
        # Office types share their keyed draws: a household's n-th service at any Lurah
        # office is the same draw, whichever Lurah serves it. A first-pass service draws
        # its time and the office's two decision numbers (rework; DTKS mismatch or
        # divergent judgement) as one group; a re-check after a verification round or a
        # DTKS wait only takes a service time, from its own key.
        self.visit_draws = {s: streams.keyed(f"visit:{s}", (self._service_kind(s), "uniform",
                                                            "uniform"), per_block=3,
                                           shape=self._shape(s))
                            for s in OFFICES}
        self.recheck_draws = {s: streams.keyed(f"recheck:{s}", self._service_kind(s),
                                               shape=self._shape(s)) for s in OFFICES}
        self.mean_service = {s: self.params[s].service_days * rules.service_multiplier(s)
                             for s in OFFICES}
        cals = {s: WorkCalendar(clock, p.weekends, p.holidays, p.year_end_closing_days)
                for s, p in self.params.items()}
        # service times per office type, shared by its offices (a city has thousands of RTs)
        service = {s: ServiceTimes(self.mean_service[s], self.params[s].service_cv == 0,
                                   self.visit_draws[s], self.recheck_draws[s])
                   for s in OFFICES}

        def make(cls: type[Office], stage: str, name: str) -> Office:
            office = cls(model, name, cals[stage], self.params[stage].staff,
                         service[stage], flow, rules, events)
            p = self.params[stage]
            office.set_surge(p.surge_backlog_days, p.surge_extra_share,
                             self.mean_service[stage])
            return office

        self.rt_heads = [make(RTHead, "rt", f"RT {i + 1}") for i in range(pop.n_rt)]
        self.lurahs = [make(Lurah, "lurah", f"Kelurahan {k + 1}") for k in range(n_kel)]
        self.camats = [make(Camat, "camat", f"Kecamatan {k + 1}") for k in range(pop.n_kecamatan)]
        self.agencies: dict[str, Office] = {s: make(cls, s, s) for s, cls in AGENCY_CLASSES.items()}
        self.desks: list[ServiceDesk] = [o.desk for o in self.rt_heads + self.lurahs + self.camats]
        self.desks += [o.desk for o in self.agencies.values()]
        self._served: dict[tuple, tuple] = {}  # (steps, RT, before the split): offices_for
        beh = self.behaviour
        self.trip_base = {"docs": beh.cost_city_idr, "rt": beh.cost_rt_idr,
                          "lurah": beh.cost_lurah_idr, "camat": beh.cost_camat_idr,
                          "dinsos": beh.cost_city_idr, "dinkes": beh.cost_city_idr,
                          "bpjs": beh.cost_city_idr}

    def _service_kind(self, stage: str) -> str:
        """Unit-mean service times: exponential (cv 1), gamma, or fixed (cv 0: the draw is
        not used)."""
        cv = self.params[stage].service_cv
        return "exponential" if cv == 1 else "uniform" if cv == 0 else "gamma"

    def _shape(self, stage: str) -> float:
        cv = self.params[stage].service_cv
        return 1.0 / cv ** 2 if cv > 0 else 1.0

    def offices_for(self, hh: Any, steps: tuple[str, ...], t: float) -> tuple[Office | None, ...]:
        """The office that serves a household's case at each step of its route, opened
        at time t (None at a step that is no office): its RT head, its kelurahan's lurah
        and kecamatan's camat (before the split, the parent kelurahan's), the agencies.
        An RT's cases on one route share one answer, worked out once (3.9% of a city
        replication, compiled, when worked out for every case)."""
        key = (steps, hh.rt, t < self.t_split)
        offices = self._served.get(key)
        if offices is None:
            offices = self._served[key] = self._offices_for(hh.rt, steps, t)
        return offices

    def _offices_for(self, rt: int, steps: tuple[str, ...], t: float) -> tuple[Office | None, ...]:
        kel = self.rt_kel[rt]
        if t < self.t_split:
            kel = self.kel_parent[kel]
        agencies = self.agencies
        offices = []
        for stage in steps:
            if stage == "rt":
                offices.append(self.rt_heads[rt])
            elif stage in agencies:
                offices.append(agencies[stage])
            elif stage == "lurah":
                offices.append(self.lurahs[kel])
            elif stage == "camat":
                offices.append(self.camats[self.kel_kec[kel]])
            else:
                offices.append(None)
        return tuple(offices)

    def trip_cost(self, hh: Any, stage: str) -> float:
        """Round-trip transport to an office (IDR), by distance class and household."""
        return self.trip_base[stage] * hh.cost_factor

    def queue(self, kind: str) -> int:
        """Cases in the queues (or in service) of one office type."""
        if kind in self.agencies:
            return self.agencies[kind].desk.in_system
        group = {"rt": self.rt_heads, "lurah": self.lurahs, "camat": self.camats}[kind]
        return sum(o.desk.in_system for o in group)
