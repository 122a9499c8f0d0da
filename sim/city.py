"""Kota Jambi's geography and offices: RT -> kelurahan -> kecamatan, the office that serves
each step of a household's case, and what a trip there costs the citizen.

Kelurahan are assigned to kecamatan in turn; the kelurahan created by the 2023 split
(Kepmendagri 100.1.1-6117/2022) take cases of their RTs from ``split_date``, before which
their parent kelurahan serves them.
"""

from __future__ import annotations

from typing import Any

import mesa

from sim.agents import AGENCY_CLASSES, Camat, Lurah, Office, RTHead
from sim.cases import OFFICES
from sim.coordination import CoordinationRules
from sim.engine.desk import ServiceDesk
from sim.engine.events import EventQueue
from sim.engine.streams import Streams
from sim.engine.worktime import Clock, WorkCalendar
from sim.scenario import Scenario


class City:
    """The offices of every office type, and who serves whom."""

    def __init__(self, model: mesa.Model, scenario: Scenario, clock: Clock, events: EventQueue,
                 streams: Streams, rules: CoordinationRules, flow: Any):
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
        # office is the same draw, whichever Lurah serves it.
        self.service_draws = {s: self._service_draws(streams, f"service:{s}", s)
                              for s in OFFICES}
        self.recheck_draws = {s: self._service_draws(streams, f"recheck:{s}", s)
                              for s in OFFICES}
        self.mean_service = {s: self.params[s].service_days * rules.service_multiplier(s)
                             for s in OFFICES}
        decide = {s: streams.keyed(f"decide:{s}", group=2) for s in OFFICES}
        cals = {s: WorkCalendar(clock, p.weekends, p.holidays, p.year_end_closing_days)
                for s, p in self.params.items()}

        def make(cls: type[Office], stage: str, name: str) -> Office:
            return cls(model, name, cals[stage], self.params[stage].staff, self.sampler(stage),
                       flow, rules, decide[stage], events)

        self.rt_heads = [make(RTHead, "rt", f"RT {i + 1}") for i in range(pop.n_rt)]
        self.lurahs = [make(Lurah, "lurah", f"Kelurahan {k + 1}") for k in range(n_kel)]
        self.camats = [make(Camat, "camat", f"Kecamatan {k + 1}") for k in range(pop.n_kecamatan)]
        self.agencies: dict[str, Office] = {s: make(cls, s, s) for s, cls in AGENCY_CLASSES.items()}
        self.desks: list[ServiceDesk] = [o.desk for o in self.rt_heads + self.lurahs + self.camats]
        self.desks += [o.desk for o in self.agencies.values()]
        beh = self.behaviour
        self.trip_base = {"docs": beh.cost_city_idr, "rt": beh.cost_rt_idr,
                          "lurah": beh.cost_lurah_idr, "camat": beh.cost_camat_idr,
                          "dinsos": beh.cost_city_idr, "dinkes": beh.cost_city_idr,
                          "bpjs": beh.cost_city_idr}

    def _service_draws(self, streams: Streams, name: str, stage: str) -> Any:
        """Unit-mean service times: fixed (cv 0), exponential (cv 1) or gamma."""
        cv = self.params[stage].service_cv
        if cv == 0:
            return None
        if cv == 1:
            return streams.keyed(name, "exponential")
        return streams.keyed(name, "gamma", shape=1.0 / cv ** 2)

    def sampler(self, stage: str) -> Any:
        """Service time in working days of a case at an office of this type: the
        household's next keyed draw (a re-check after a verification round has its own)."""
        mean = self.mean_service[stage]
        draws, recheck = self.service_draws[stage], self.recheck_draws[stage]
        if draws is None:
            return lambda case: mean

        def sample(case: Any) -> float:
            return mean * (recheck if case.verifying else draws)(case.household.idx)
        return sample

    def office_for(self, hh: Any, stage: str, t: float) -> Office:
        """The office that serves a household's case at a step of its route."""
        if stage == "rt":
            return self.rt_heads[hh.rt]
        if stage in self.agencies:
            return self.agencies[stage]
        kel = self.rt_kel[hh.rt]
        if t < self.t_split:
            kel = self.kel_parent[kel]
        if stage == "lurah":
            return self.lurahs[kel]
        return self.camats[self.kel_kec[kel]]

    def trip_cost(self, hh: Any, stage: str) -> float:
        """Round-trip transport to an office (IDR), by distance class and household."""
        return self.trip_base[stage] * hh.cost_factor

    def queue(self, kind: str) -> int:
        """Cases in the queues (or in service) of one office type."""
        if kind in self.agencies:
            return self.agencies[kind].desk.in_system
        group = {"rt": self.rt_heads, "lurah": self.lurahs, "camat": self.camats}[kind]
        return sum(o.desk.in_system for o in group)
