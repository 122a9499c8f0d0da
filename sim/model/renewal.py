"""The dated, city-wide events that reach the households: demand that renews, and churn.

:class:`Renewal` puts on the queue, when the model starts (in this order):

* the city's socialisation campaigns (``awareness.campaign_*``), central PBI-JK's yearly
  take-overs (``exits.central_pbi_*``) and the re-verification tranches
  (``exits.reverification_*``);

* people dropped from central PBI-JK at each revision (``demand.pbi_drop_*``): the
  eligible share enters the pool, aware;
* registration drives (``policy.drive_*``): the city opens cases in bulk for a share of
  the uninsured eligible households, through the checks or straight to BPJS.

The website's opening is the act of a second team, :class:`TimTerpadu`: the "tim terpadu
pelaksanaan program Jambi Bugar" whose decree set up the website under Perwal Jambi No.
3/2021 (the thesis, chapter 1). It is not the mayor's Tim Koordinasi JKN Daerah of 2018
(:class:`~sim.model.agents.TimKoordinasi`, policy and review meetings): at the launch
(``time.online_from``) its socialisation makes a share of the unaware households aware
(``demand.website_reach``), and from then on RT heads may tell the others
(``demand.rt_recruit_per_year``; households arriving later get the same chance,
:meth:`~sim.model.population.Population.recruit`).

The household-level parts of renewal (the inflow by date, illness, coming back, the
front door) are the population's (:mod:`sim.model.population`): they act on one
household at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from sim._mesa import Agent, mesa
from sim.engine.events import URGENT, EventQueue
from sim.engine.worktime import Clock
from sim.model.agents import Household, Left
from sim.model.component import Component
from sim.model.population import Population
from sim.scenario import Scenario


class Renewal(Component):
    """Campaigns, PBI-JK take-overs, re-verification, PBI-JK drops, registration drives."""

    def __init__(self, scenario: Scenario, clock: Clock, population: Population):
        self.sc = scenario
        self.clock = clock
        self.population = population
        self.registered = 0  # households a drive registered
        self._n_events: dict[str, int] = {}
        # model times of the removal batches that may remove members (a central PBI-JK
        # take-over or a re-verification tranche with a share above 0), in the order put
        # on the queue: the refill outcomes (sim.runner.catalogue) start from them
        self.removal_times: list[float] = []

    def start(self, events: EventQueue) -> None:
        clock, d, pol, sc = self.clock, self.sc.demand, self.sc.policy, self.sc
        for day in sc.awareness.campaign_dates:
            if clock.start <= day <= clock.end:
                events.schedule(clock.t(day), self._campaign, priority=URGENT)
        ex = sc.exits
        for day, share in zip(ex.central_pbi_dates, ex.central_pbi_share):
            if clock.start < day <= clock.end:
                events.schedule(clock.t(day), self._central_pbi, share, priority=URGENT)
                if share * ex.central_pbi_scale > 0:
                    self.removal_times.append(clock.t(day))
        for day in ex.reverification_dates:
            if clock.start < day <= clock.end:
                events.schedule(clock.t(day), self._reverify, priority=URGENT)
                if ex.reverification_share > 0:
                    self.removal_times.append(clock.t(day))
        for day, people in zip(d.pbi_drop_dates, d.pbi_drop_people):
            if clock.start < day <= clock.end:
                events.schedule(clock.t(day), self._pbi_drop, people, priority=URGENT)
        for day in pol.drive_dates:
            if clock.start <= day <= clock.end:
                events.schedule(clock.t(day), self._drive, priority=URGENT)

    def event_draws(self, name: str) -> np.ndarray:
        """One uniform per household for the next city-wide event of this kind."""
        j = self._n_events.get(name, 0)
        self._n_events[name] = j + 1
        return self.population.streams.event(name, j, len(self.population.households))

    def drawn_below(self, u: np.ndarray, p: float) -> Iterator[Household | Left]:
        """The listed households whose draw in ``u`` is below ``p``, in list (idx) order,
        each read from the list when reached: the households, and the order, of a loop
        over every household that tests the draw among its conditions, without reading the
        other households (these loops took about 4% of a city replication)."""
        households = self.population.households
        return (households[i] for i in np.flatnonzero(u < p))

    def _campaign(self, t: float) -> None:
        pop = self.population
        u = self.event_draws("campaign")
        for hh in self.drawn_below(u, self.sc.awareness.campaign_reach):
            if not hh.aware and hh.status == "uninsured":
                pop.hear(hh, t)

    def _central_pbi(self, t: float, share: float) -> None:
        """Central PBI-JK takes households over: covered, but out of the city's stock."""
        pop = self.population
        u = self.event_draws("central_pbi")
        for hh in self.drawn_below(u, share * self.sc.exits.central_pbi_scale):
            if hh.status != "gone" and hh.segment == "poor_household":
                pop.leave(hh, t, "central_pbi")

    def _reverify(self, t: float) -> None:
        pop, ex = self.population, self.sc.exits
        u, w = self.event_draws("reverification"), self.event_draws("reverification_wrongful")
        for hh in self.drawn_below(u, ex.reverification_share):
            if hh.status == "enrolled" and hh.segment != "institutional":
                pop.deactivate(hh, t, still_eligible=w[hh.idx] < ex.reverification_wrongful)

    def _pbi_drop(self, t: float, people: int) -> None:
        self.population.pbi_drop(t, round(people * self.sc.demand.pbi_drop_eligible_share))

    def _drive(self, t: float) -> None:
        pop, pol = self.population, self.sc.policy
        u = self.event_draws("drive")
        route = "referral" if pol.drive_checked else "drive"
        for hh in self.drawn_below(u, pol.drive_share):
            if hh.status == "uninsured" and hh.eligible and hh.case is None:
                self.registered += 1
                pop.register(hh, t, route)

    def row(self, t: float) -> dict[str, int]:
        return {"drive_registered": self.registered}


class TimTerpadu(Agent, Component):
    """The tim terpadu pelaksanaan program Jambi Bugar: the team whose decree set up the
    website (Perwal Jambi No. 3/2021). At the launch its socialisation reaches a share of
    the unaware households, and RT heads start to recruit the others. It holds no review
    meetings: the thesis records none (those are the Tim Koordinasi's)."""

    def __init__(self, model: mesa.Model, scenario: Scenario, population: Population,
                 t_online: float, horizon: float):
        super().__init__(model)
        self.name = "Tim Terpadu Jambi Bugar"
        self.sc = scenario
        self.population = population
        self.t_online = t_online
        self.horizon = horizon

    def start(self, events: EventQueue) -> None:
        """The launch on the website's date; on the first day if it opened before."""
        if math.isfinite(self.t_online) and self.t_online <= self.horizon:
            events.schedule(max(0.0, self.t_online), self.launch, priority=URGENT)

    def launch(self, t: float) -> None:
        """The website opens: socialisation, then RT heads recruit."""
        pop = self.population
        u = pop.streams.event("website", 0, len(pop.households))
        reach = self.sc.demand.website_reach
        for hh in pop.households:
            if not hh.aware and hh.status == "uninsured":
                if u[hh.idx] < reach:
                    pop.hear(hh, t)
                else:
                    pop.recruit(hh, t)
