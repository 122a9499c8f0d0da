"""The people the programme is for: households, how they hear of it, decide, and leave.

Parts, each run by events in the documented order of ``JambiBugarModel.step``:

* **households** -- the uninsured at the start (and institutions' rosters), then new
  eligible households arriving (a Poisson process);
* **awareness** -- background hearing (media, clinics), city campaigns, word of mouth
  from neighbours whose card arrived;
* **decisions** -- an aware household applies (chance by pathway in force) or thinks
  again later;
* **exits** -- a member dies, the household moves away or rises out of poverty;
  central PBI-JK takes households over; re-verification tranches deactivate members.

The stocks of people (eligible, aware) are owned here; active members are owned by the
:class:`~sim.model.program.Quota`, which this part tells of every change.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from sim._mesa import mesa
from sim.engine.events import URGENT, EventQueue
from sim.engine.streams import Streams
from sim.engine.worktime import Clock
from sim.model.agents import Household
from sim.model.component import Component
from sim.model.program import Quota
from sim.scenario import Scenario

PATIENCE_SD = 0.5  # log-sd of household patience (assumption, see docs/model.md)


class _Left:
    """Stands in the city's lists for a household that has left for good.

    It keeps the household's place, so every draw indexed by position (a neighbour picked
    by word of mouth, a city-wide event's array) is the same as if the household were
    still listed; and it answers as a departed household does: gone, holding no case,
    hearing nothing.
    """

    __slots__ = ()
    status = "gone"
    aware = True
    case = None
    members = 0
    eligible = False
    segment = "gone"

    def hear(self, t: float) -> None:
        """A departed household hears nothing (as ``Population.hear`` of a gone one)."""


LEFT = _Left()


class Population(Component):
    """Households of one replication, and the events of their lives. As a component it
    builds the first day's households and puts the city-wide events (campaigns, central
    PBI-JK take-overs, re-verification tranches) on the queue when the model starts."""

    def __init__(self, model: mesa.Model, scenario: Scenario, clock: Clock, events: EventQueue,
                 streams: Streams, quota: Quota, n_rt: int,
                 pathway_at: Callable[[float], str], on_apply: Callable[[Household, float], None],
                 keep_departed: bool = True):
        self.model = model  # only to register the households as Mesa agents
        self.sc = scenario
        self.clock = clock
        self.events = events
        self.streams = streams
        self.quota = quota
        self.pathway_at = pathway_at
        self.on_apply = on_apply
        self.keep_departed = keep_departed  # False: let households that left go (forget)
        # every household by idx, and each RT's households; one that has left is LEFT
        self.households: list[Household | _Left] = []
        self.rt_members: list[list[Household | _Left]] = [[] for _ in range(n_rt)]
        self.eligible_people = 0
        self.aware_people = 0
        self.ever_people = 0  # members of households carded at least once, when first carded
        # keyed draws: the n-th decision of each kind for each household
        self.u_awareness = streams.keyed("awareness", "exponential", per_block=1)
        self.u_consider = streams.keyed("consider", ("uniform", "exponential"), per_block=4)
        self.u_exit = streams.keyed("exit", ("exponential", "uniform"), per_block=2)
        self.u_word = streams.keyed("word_of_mouth", per_block=6)
        self.u_reapply = streams.keyed("reapply:deactivated", ("uniform", "exponential"),
                                       per_block=1)
        ex = scenario.exits
        self._exit_household_rate = ex.move_per_year + ex.income_rise_per_year
        self._exit_event = self._exit  # one bound method for every pending exit
        self._n_events: dict[str, int] = {}

    # ------------------------------------------------------------ households
    def build(self) -> None:
        """The uninsured households on the first day, then institutions' rosters."""
        pop = self.sc.population
        rng = self.streams["population"]
        share_ref = min(pop.share_homeless_neglected + pop.share_mental_disorder, 1.0)
        mean_size = (1 - share_ref) * pop.household_size + share_ref
        n_elig = int(round(pop.uninsured_people_start * pop.eligible_share / mean_size))
        n_inel = int(round(n_elig * pop.ineligible_applicant_share /
                           max(1e-9, 1 - pop.ineligible_applicant_share)))
        initial = self.sc.awareness.initial
        for i in range(n_elig + n_inel):
            self._new_household(0.0, rng, eligible=i < n_elig, aware=rng.random() < initial)
        institutions = ([pop.lapas_residents] if pop.lapas_residents > 0 else []) + \
            [pop.panti_jompo_residents] * pop.panti_jompo + \
            [pop.panti_asuhan_residents] * pop.panti_asuhan
        inst_rng = self.streams["institutions"]
        for residents in institutions:
            if residents <= 0:
                continue
            hh = self._register(int(rng.integers(pop.n_rt)), "institutional", residents,
                                True, True, True, 1.0, 1.0)
            hh.aware = True
            self._count(hh, +1)
            self.events.schedule(float(inst_rng.uniform(0, 365)), hh.apply)
        self._initial_members()
        if pop.arrivals_per_year > 0:
            self._schedule_arrival(0.0)

    def _initial_members(self) -> None:
        """The members already carded on the first day (``program.initial_members``):
        eligible poor households in the DTKS, drawn from their own stream so that the
        other households are the same whatever the stock."""
        target = self.sc.program.initial_members
        pop, rng, people = self.sc.population, self.streams["initial_members"], 0
        sd = PATIENCE_SD
        while people < target:
            members = min(1 + int(rng.poisson(pop.household_size - 1)), target - people)
            patience = self.sc.behaviour.patience * float(np.exp(rng.normal(-sd * sd / 2, sd)))
            hh = self._register(int(rng.integers(pop.n_rt)), "poor_household", members, True,
                                True, True, float(rng.lognormal(-0.125, 0.5)), patience)
            hh.aware, hh.status, hh.ever_enrolled = True, "enrolled", True
            self._count(hh, +1)
            self.ever_people += members
            people += members
            self._schedule_exit(hh, 0.0)

    def _register(self, rt: int, segment: str, members: int, eligible: bool, has_docs: bool,
                  in_dtks: bool, cost_factor: float, patience: float) -> Household:
        hh = Household(self.model, self, len(self.households), rt, segment, members, eligible,
                       has_docs, in_dtks, cost_factor, patience)
        self.households.append(hh)
        self.rt_members[rt].append(hh)
        return hh

    def _new_household(self, t: float, rng: np.random.Generator, eligible: bool,
                       aware: bool) -> Household:
        pop = self.sc.population
        u = rng.random()
        if u < pop.share_homeless_neglected:
            segment, members = "homeless_neglected", 1
        elif u < pop.share_homeless_neglected + pop.share_mental_disorder:
            segment, members = "mental_disorder", 1
        else:
            segment, members = "poor_household", 1 + int(rng.poisson(pop.household_size - 1))
        sd = PATIENCE_SD
        patience = self.sc.behaviour.patience * float(np.exp(rng.normal(-sd * sd / 2, sd)))
        hh = self._register(
            int(rng.integers(pop.n_rt)), segment, members,
            eligible=eligible or segment != "poor_household",
            has_docs=segment == "poor_household" and rng.random() < pop.valid_docs_share,
            in_dtks=rng.random() < pop.in_dtks_share,
            cost_factor=float(rng.lognormal(-0.125, 0.5)), patience=patience)
        self._count(hh, +1)
        if aware:
            self.hear(hh, t)
        else:
            rate = self.sc.awareness.background_per_year
            if rate > 0:
                self.events.schedule(t + self.u_awareness(hh.idx) * 365.0 / rate, hh.hear)
        self._schedule_exit(hh, t)
        return hh

    def _schedule_arrival(self, t: float) -> None:
        rate = self.sc.population.arrivals_per_year
        self.events.schedule(t + self.streams["arrivals"].exponential(365.0 / rate),
                             self._arrive)

    def _arrive(self, t: float) -> None:
        self._new_household(t, self.streams["arrivals"], eligible=True, aware=False)
        self._schedule_arrival(t)

    # ----------------------------------------------------------------- stocks
    def _count(self, hh: Household, sign: int) -> None:
        """Add (+1) or remove (-1) a household's contribution to the people stocks."""
        if hh.status == "enrolled":
            self.quota.count_active(sign * hh.members)
        elif hh.status == "uninsured" and hh.eligible:
            self.eligible_people += sign * hh.members
            if hh.aware:
                self.aware_people += sign * hh.members

    def _set(self, hh: Household, **state: Any) -> None:
        """Change a household's state, keeping the stocks in step."""
        self._count(hh, -1)
        for k, v in state.items():
            setattr(hh, k, v)
        self._count(hh, +1)

    # ------------------------------------------------------- awareness, decisions
    def hear(self, hh: Household, t: float) -> None:
        if hh.aware or hh.status != "uninsured":
            return
        self._set(hh, aware=True)
        self.consider(hh, t)

    def consider(self, hh: Household, t: float) -> None:
        """Apply now (after a delay), or think again later."""
        if hh.status != "uninsured" or hh.case is not None:
            return
        beh = self.sc.behaviour
        p = 1.0 if hh.referred else (
            beh.apply_prob_online if self.pathway_at(t) == "online" else beh.apply_prob_manual)
        u, e = self.u_consider.group(hh.idx)
        if u < p:
            self.events.schedule(t + e * beh.apply_delay_days, hh.apply)
        else:
            self.events.schedule(t + e * beh.reconsider_days, hh.reconsider)

    def apply(self, hh: Household, t: float) -> None:
        self.on_apply(hh, t)

    def enroll(self, hh: Household, t: float) -> None:
        """The card is active: count the members, tell the neighbours."""
        if not hh.ever_enrolled:
            hh.ever_enrolled = True
            self.ever_people += hh.members
        self._set(hh, status="enrolled")
        self.tell_neighbours(hh, t)

    def tell_neighbours(self, hh: Household, t: float) -> None:
        """Word of mouth: a Poisson number of neighbours in the RT hear of it, each after
        an exponential delay."""
        aw = self.sc.awareness
        if aw.word_of_mouth_contacts <= 0:
            return
        draw = self.u_word
        e = hh.idx
        # Poisson count by inversion of one uniform
        lam = aw.word_of_mouth_contacts
        u, k, p = draw(e), 0, math.exp(-lam)
        cdf = p
        while u > cdf and k < 1000:
            k += 1
            p *= lam / k
            cdf += p
        neighbours = self.rt_members[hh.rt]
        for _ in range(k):
            target = neighbours[min(int(draw(e) * len(neighbours)), len(neighbours) - 1)]
            delay = -math.log1p(-draw(e)) * aw.word_of_mouth_days
            self.events.schedule(t + delay, target.hear)

    # ------------------------------------------------------------------ exits
    def _schedule_exit(self, hh: Household, t: float) -> None:
        rate = self._exit_household_rate + hh.members * self.sc.exits.death_per_year
        if rate > 0 and hh.segment != "institutional":
            hh.exit_gen += 1
            e, u_cause = self.u_exit.group(hh.idx)
            self.events.schedule(t + e * 365.0 / rate, self._exit_event, hh, hh.exit_gen,
                                 u_cause)

    def _exit(self, t: float, hh: Household, gen: int, u_cause: float) -> None:
        if hh.status == "gone" or gen != hh.exit_gen:
            return
        ex = self.sc.exits
        death = hh.members * ex.death_per_year
        total = ex.move_per_year + ex.income_rise_per_year + death
        x = u_cause * total
        if x >= ex.move_per_year + ex.income_rise_per_year:
            self.lose_member(hh, t)
        else:
            self.leave(hh, t, "moved" if x < ex.move_per_year else "income_rise")
        if hh.status != "gone":
            self._schedule_exit(hh, t)

    def leave(self, hh: Household, t: float, reason: str) -> None:
        """Leave the programme's population for good (moved, central PBI, not poor, ...)."""
        if hh.status == "gone":
            return
        self._set(hh, status="gone", exit_reason=reason)
        if hh.case is None and not self.keep_departed:  # else once its case closes
            self.forget(hh)
        self.quota.admit(t)

    def case_closed(self, hh: Household) -> None:
        """The household's case is over: one that has left can now be let go."""
        if hh.status == "gone" and not self.keep_departed:
            self.forget(hh)

    def forget(self, hh: Household) -> None:
        """A household that has left for good, with no open case, stops being an agent
        of the city: it leaves Mesa's registry and the city's lists (``LEFT`` keeps its
        place), and is freed once no pending event refers to it. Over a run about two in
        five households leave, so a study's memory follows the households still there.
        Only without tables (``keep_departed`` False): the case and journey tables, and
        anyone inspecting the model afterwards, see every household."""
        hh.remove()
        self.households[hh.idx] = LEFT
        neighbours = self.rt_members[hh.rt]
        neighbours[neighbours.index(hh)] = LEFT

    def lose_member(self, hh: Household, t: float) -> None:
        """One member dies; the household leaves when none remain."""
        self._set(hh, members=hh.members - 1)
        if hh.members <= 0:
            self.leave(hh, t, "death")
        else:
            self.quota.admit(t)

    # ------------------------------------------------------------ component
    def start(self, events: EventQueue) -> None:
        self.build()
        self.schedule_city_events()

    def audit(self) -> list[str]:
        """The people stocks agree with the households they count."""
        bad = []
        active = sum(h.members for h in self.households if h.status == "enrolled")
        if active != self.quota.active:
            bad.append(f"active members {self.quota.active} != {active}")
        elig = [h for h in self.households if h.status == "uninsured" and h.eligible]
        if sum(h.members for h in elig) != self.eligible_people or \
                sum(h.members for h in elig if h.aware) != self.aware_people:
            bad.append("eligible/aware stocks out of step with households")
        return bad

    # ------------------------------------------------------- city-wide events
    def schedule_city_events(self) -> None:
        sc, clock, ev = self.sc, self.clock, self.events
        for d in sc.awareness.campaign_dates:
            if clock.start <= d <= clock.end:
                ev.schedule(clock.t(d), self._campaign, priority=URGENT)
        for d, share in zip(sc.exits.central_pbi_dates, sc.exits.central_pbi_share):
            if clock.start < d <= clock.end:
                ev.schedule(clock.t(d), self._central_pbi, share, priority=URGENT)
        for d in sc.exits.reverification_dates:
            if clock.start < d <= clock.end:
                ev.schedule(clock.t(d), self._reverify, priority=URGENT)

    def _event_draws(self, name: str) -> np.ndarray:
        """One uniform per household for the next city-wide event of this kind."""
        j = self._n_events.get(name, 0)
        self._n_events[name] = j + 1
        return self.streams.event(name, j, len(self.households))

    def _campaign(self, t: float) -> None:
        u = self._event_draws("campaign")
        reach = self.sc.awareness.campaign_reach
        for hh in self.households:
            if not hh.aware and hh.status == "uninsured" and u[hh.idx] < reach:
                self.hear(hh, t)

    def _central_pbi(self, t: float, share: float) -> None:
        u = self._event_draws("central_pbi")
        for hh in self.households:
            if hh.status != "gone" and hh.segment == "poor_household" and u[hh.idx] < share:
                self.leave(hh, t, "central_pbi")

    def _reverify(self, t: float) -> None:
        ex = self.sc.exits
        u, w = self._event_draws("reverification"), self._event_draws("reverification_wrongful")
        for hh in self.households:
            if hh.status == "enrolled" and hh.segment != "institutional" and \
                    u[hh.idx] < ex.reverification_share:
                self.deactivate(hh, t, still_eligible=w[hh.idx] < ex.reverification_wrongful)

    def deactivate(self, hh: Household, t: float, still_eligible: bool) -> None:
        """Re-verification removes the household from the membership."""
        self._set(hh, status="uninsured", eligible=hh.eligible and still_eligible)
        if not still_eligible:
            self.leave(hh, t, "reverified_out")
            return
        self.quota.admit(t)
        u, e = self.u_reapply.group(hh.idx)
        if u < self.sc.behaviour.reapply_prob:
            self.events.schedule(t + e * self.sc.behaviour.apply_delay_days, hh.apply)
