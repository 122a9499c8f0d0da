"""The people the programme is for: households, how they hear of it, decide, and leave.

Parts, each run by events in the documented order of ``JambiBugarModel.step``:

* **households** -- the uninsured at the start, institutions' rosters, then arrivals;
* **awareness** -- background hearing (media, clinics), city campaigns, word of mouth
  from neighbours whose card arrived;
* **decisions** -- an aware household applies (by the pathway in force) or thinks again;
* **exits** -- a member dies, the household moves away or rises out of poverty;
  central PBI-JK takes households over; re-verification tranches deactivate members;
* **coming back** -- a household wrongly rejected or deactivated while eligible tries
  again, at a hazard that falls with each setback (``reentry``); a deactivated one may
  ask Dinas Sosial to reactivate it; one turned away at a full front door
  (``rationing``) may come back;
* **illness** -- an uninsured eligible household that falls ill may apply (``demand``).

The open-system inflows (the website's socialisation, RT heads who recruit, people
dropped from central PBI-JK, registration drives) are dated city-wide events of
:class:`~sim.model.renewal.Renewal`, which calls in here.

The stocks of people (eligible, aware) and the departed (``gone_people``, for
:mod:`sim.model.accounting`) are owned here; active members by the
:class:`~sim.model.program.Quota`, which this part tells of every change."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from sim._mesa import mesa
from sim.engine.events import EventQueue
from sim.engine.fields import slots
from sim.engine.scalars import Scalars
from sim.engine.streams import Streams
from sim.engine.worktime import Clock
from sim.model.accounting import ACCOUNTS, GONE_ACCOUNT, LAST_END_ACCOUNT
from sim.model.agents import LEFT, Household, HouseholdState, Left
from sim.model.component import Component
from sim.model.program import Quota
from sim.model.scenario_numbers import numbers_of
from sim.scenario import Scenario

PATIENCE_SD = 0.5  # log-sd of household patience (assumption, see docs/model.md)


class Population:
    """Households of one replication, and the events of their lives. As a component it
    builds the first day's households when the model starts; the city-wide events that
    reach them are :class:`~sim.model.renewal.Renewal`'s."""
    __slots__ = slots(__file__, "Population")  # the fields: population.pxd (a C type)
    day_end, month_end, row = Component.day_end, Component.month_end, Component.row

    def __init__(self, model: mesa.Model, scenario: Scenario, clock: Clock, events: EventQueue,
                 streams: Streams, quota: Quota, n_rt: int, pathway_at: Callable[[float], str],
                 on_apply: Callable[[Household, float, str | None], None],
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
        self.households: list[Household | Left] = []
        self.rt_members: list[list[Household | Left]] = [[] for _ in range(n_rt)]
        self.eligible_people = 0
        self.aware_people = 0
        self.ever_people = 0  # members of households carded at least once, when first carded
        # keyed draws: the n-th decision of each kind for each household
        self.u_awareness = streams.keyed("awareness", "exponential", per_block=1)
        self.u_consider = streams.keyed("consider", ("uniform", "exponential"), per_block=4)
        self.u_exit = streams.keyed("exit", ("exponential", "uniform"), per_block=2)
        self.u_word = streams.keyed("word_of_mouth", per_block=6)
        self.num = numbers_of(scenario)  # the numbers the handlers read, copied (a C type)
        self.u_reentry = streams.keyed("reentry", ("uniform", "exponential"), per_block=1)
        self.u_door = streams.keyed("front_door", ("uniform", "exponential"), per_block=1)
        self.u_illness = streams.keyed("illness", ("exponential", "uniform", "exponential"),
                                       per_block=1)
        self.u_rt = streams.keyed("rt_recruit", "exponential", per_block=1)
        self.u_initial = streams.keyed("initial_consider", "exponential", per_block=1)
        d = scenario.demand
        self.inflow_factor = [(clock.t(dt.date.fromisoformat(k)), v)
                              for k, v in sorted(d.inflow_factor_from.items())]
        self._illness_rate = d.illness_per_year
        # accounting: everyone who has been eligible (people), and where the departed went
        self.ever_eligible_people = 0
        self.gone_people = dict.fromkeys(ACCOUNTS[ACCOUNTS.index("moved_to_pbi_jk"):], 0)
        self.turned_away = 0  # applications turned away at a full front door
        self.comebacks = 0  # re-applications and reactivation requests after a setback
        self.from_pbi_jk = 0  # people dropped from central PBI-JK who entered the pool
        # Kept as they change, for the accounting (sim.model.accounting, which reads only
        # `unsettled`): the active members of counted households; the people of counted
        # uninsured households with no case and no front-door wait, by account; the other
        # counted uninsured households, by idx (_file).
        self.counted_active_people = 0
        self.settled_people = dict.fromkeys(LAST_END_ACCOUNT.values(), 0)
        self.unsettled: dict[int, Household] = {}
        self._exit_household_rate = self.num.move_per_year + self.num.income_rise_per_year
        self._exit_event = self._exit  # one bound method for every pending exit

    # ------------------------------------------------------------ households
    def build(self) -> None:
        """The uninsured households on the first day, then institutions' rosters."""
        pop = self.sc.population
        rng = Scalars(self.streams["population"])  # numpy's draws, as C calls compiled
        share_ref = min(pop.share_homeless_neglected + pop.share_mental_disorder, 1.0)
        mean_size = (1 - share_ref) * pop.household_size + share_ref
        n_elig = int(round(pop.uninsured_people_start * pop.eligible_share / mean_size))
        n_inel = int(round(n_elig * pop.ineligible_applicant_share /
                           max(1e-9, 1 - pop.ineligible_applicant_share)))
        initial = self.sc.awareness.initial
        settled = self.sc.demand.initial_state == "reconsidering"
        for i in range(n_elig + n_inel):
            aware = rng.random() < initial
            hh = self._new_household(0.0, rng, eligible=i < n_elig, aware=aware and not settled)
            if aware and settled:  # aware for a while: it thinks again at some point
                self._set(hh, aware=True)
                self.events.at(self.u_initial.draw(hh.idx) * self.num.reconsider_days,
                               hh.reconsider)
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
            self.ever_eligible_people += residents
            self.events.at(float(inst_rng.uniform(0, 365)), hh.apply)
        self._initial_members()
        if pop.arrivals_per_year > 0:
            self._schedule_arrival(0.0)

    def _initial_members(self) -> None:
        """The members already carded on the first day (``program.initial_members``):
        eligible poor households in the DTKS, drawn from their own stream so that the
        other households are the same whatever the stock."""
        target = self.sc.program.initial_members
        num, rng, people = self.num, Scalars(self.streams["initial_members"]), 0
        sd = PATIENCE_SD
        while people < target:
            members = min(1 + int(rng.poisson(num.household_size - 1)), target - people)
            patience = num.patience * float(np.exp(rng.normal(-sd * sd / 2, sd)))
            hh = self._register(int(rng.integers(num.n_rt)), "poor_household", members, True,
                                True, True, float(rng.lognormal(-0.125, 0.5)), patience)
            hh.aware, hh.status, hh.ever_enrolled = True, "enrolled", True
            self._count(hh, +1)
            self.ever_people += members
            self.ever_eligible_people += members
            people += members
            self._schedule_exit(hh, 0.0)

    def _register(self, rt, segment: str, members, eligible, has_docs,  # noqa: ANN001
                  in_dtks, cost_factor: float, patience: float) -> HouseholdState:  # (C ints)
        hh = Household(self.model, self, len(self.households), rt, segment, members, eligible,
                       has_docs, in_dtks, cost_factor, patience)
        self.households.append(hh)
        self.rt_members[rt].append(hh)
        return hh

    def _new_household(self, t: float, rng: Scalars, eligible,  # noqa: ANN001
                       aware) -> HouseholdState:  # eligible, aware: C ints (population.pxd)
        num = self.num
        u = rng.random()
        if u < num.share_homeless_neglected:
            segment, members = "homeless_neglected", 1
        elif u < num.share_homeless_neglected + num.share_mental_disorder:
            segment, members = "mental_disorder", 1
        else:
            segment, members = "poor_household", 1 + int(rng.poisson(num.household_size - 1))
        sd = PATIENCE_SD
        patience = num.patience * float(np.exp(rng.normal(-sd * sd / 2, sd)))
        hh = self._register(
            int(rng.integers(num.n_rt)), segment, members,
            eligible=eligible or segment != "poor_household",
            has_docs=segment == "poor_household" and rng.random() < num.valid_docs_share,
            in_dtks=rng.random() < num.in_dtks_share,
            cost_factor=float(rng.lognormal(-0.125, 0.5)), patience=patience)
        self._count(hh, +1)
        if hh.eligible:
            self.ever_eligible_people += hh.members
        if aware:
            self.hear(hh, t)
        else:
            rate = num.background_per_year
            if rate > 0:
                self.events.at(t + self.u_awareness.draw(hh.idx) * 365.0 / rate, hh.hear)
            if self.pathway_at(t) == "online":
                self.recruit(hh, t)
        self._schedule_exit(hh, t)
        if hh.eligible and self._illness_rate > 0:
            self._schedule_illness(hh, t)
        return hh

    def _schedule_arrival(self, t: float) -> None:
        """The next arrival, at the rate in force now (``demand.inflow_factor_from``; a
        gap drawn before a change of the rate keeps the old one)."""
        factor = 1.0
        for t_from, f in self.inflow_factor:
            if t_from <= t:
                factor = f
        rate = self.num.arrivals_per_year * factor
        if rate <= 0:  # none now: look again when the factor next changes
            nxt = [t_from for t_from, _ in self.inflow_factor if t_from > t]
            if nxt:
                self.events.at(nxt[0], self._schedule_arrival)
            return
        self.events.at(t + self.streams["arrivals"].exponential(365.0 / rate),
                             self._arrive)

    def _arrive(self, t: float) -> None:
        self._new_household(t, Scalars(self.streams["arrivals"]), eligible=True, aware=False)
        self._schedule_arrival(t)

    # ----------------------------------------------------------------- stocks
    def _count(self, hh: HouseholdState, sign) -> None:  # noqa: ANN001 (a C int)
        """Add (+1) or remove (-1) a household's contribution to the people stocks."""
        if hh.status == "enrolled":
            self.quota.count_active(sign * hh.members)
            if hh.counted:
                self.counted_active_people += sign * hh.members
        elif hh.status == "uninsured":
            if hh.eligible:
                self.eligible_people += sign * hh.members
                if hh.aware:
                    self.aware_people += sign * hh.members
            if hh.counted:
                self._file(hh, sign)

    def _file(self, hh: HouseholdState, sign) -> None:  # noqa: ANN001 (a C int)
        """File (+1) or unfile (-1) a counted uninsured household: under the account its last
        end settles, else unsettled (a case open, or coming back). ``hh.filed`` says where."""
        if sign < 0:
            if hh.filed == "unsettled":
                del self.unsettled[hh.idx]
            else:
                self.settled_people[hh.filed] -= hh.members
            hh.filed = ""
        elif hh.case is not None or hh.door_wait:
            self.unsettled[hh.idx], hh.filed = hh, "unsettled"
        else:
            hh.filed = LAST_END_ACCOUNT[hh.last_end]
            self.settled_people[hh.filed] += hh.members

    def _refile(self, hh: HouseholdState) -> None:
        """File a household again after its case, front-door wait or last end changed."""
        if hh.filed:
            self._file(hh, -1)
            self._file(hh, +1)

    def _set(self, hh: HouseholdState, **state: Any) -> None:
        """Change a household's state, keeping the stocks in step."""
        self._count(hh, -1)
        for k, v in state.items():
            setattr(hh, k, v)
        self._count(hh, +1)

    # ------------------------------------------------------- awareness, decisions
    def hear(self, hh: HouseholdState, t: float) -> None:
        if hh.aware or hh.status != "uninsured":
            return
        self._count(hh, -1)  # as _set(hh, aware=True), without its keywords (a hot path)
        hh.aware = True
        self._count(hh, +1)
        self.consider(hh, t)

    def consider(self, hh: HouseholdState, t: float) -> None:
        """Apply now (after a delay), or think again later."""
        if hh.status != "uninsured" or hh.case is not None:
            return
        beh = self.num
        p = 1.0 if hh.referred else (
            beh.apply_prob_online if self.pathway_at(t) == "online" else beh.apply_prob_manual)
        u, e = self.u_consider.take(hh.idx), self.u_consider.value(1)
        if u < p:
            self.events.at(t + e * beh.apply_delay_days, hh.apply)
        else:
            self.events.at(t + e * beh.reconsider_days, hh.reconsider)

    def apply(self, hh: HouseholdState, t: float) -> None:
        """Go to the RT head (or be referred): turned away if the quota is full and the
        front door rations (``rationing.front_door``), else a case opens."""
        if self.num.front_door and self.quota.full(hh.members, t):
            self.turn_away(hh, t)
            return
        hh.door_wait = False
        self.on_apply(hh, t, None)
        self._refile(hh)

    def turn_away(self, hh: HouseholdState, t: float) -> None:
        """'Kuota penuh': come back later, or give up and think again as one that declined."""
        self.turned_away += 1
        r = self.num
        u, e = self.u_door.take(hh.idx), self.u_door.value(1)
        if u < r.retry_prob:
            hh.door_wait = True
            self.events.at(t + e * r.retry_days, hh.apply)
        else:
            hh.door_wait, hh.last_end = False, "abandoned"
            self.events.at(t + e * r.reconsider_days, hh.reconsider)
        self._refile(hh)

    def come_back(self, hh: HouseholdState, t: float) -> None:
        """After a setback while eligible (a wrongful rejection, a deactivation): apply
        again at a hazard that each earlier setback lowers (``reentry``)."""
        re = self.num
        rate = re.reapply_per_year * re.memory ** hh.setbacks
        hh.setbacks += 1
        if rate > 0:
            self.events.at(t + self.u_reentry.group(hh.idx)[1] * 365.0 / rate,
                                 self._again, (hh,))

    def _again(self, t: float, hh: HouseholdState) -> None:
        if hh.status == "uninsured" and hh.case is None and hh.eligible:
            self.comebacks += 1
            self.apply(hh, t)

    def _reactivate(self, t: float, hh: HouseholdState) -> None:
        """Dinas Sosial is asked to reactivate a deactivated member (Permensos 21/2019)."""
        if hh.status == "uninsured" and hh.case is None:
            self.comebacks += 1
            hh.door_wait = False
            self.on_apply(hh, t, "reactivation")
            self._refile(hh)

    def register(self, hh: HouseholdState, t: float, route: str) -> None:
        """A registration drive opens a case for the household on ``route``."""
        if not hh.aware:
            self._set(hh, aware=True)
        hh.door_wait = False
        self.on_apply(hh, t, route)
        self._refile(hh)

    # ---------------------------------------------------------- renewal
    def recruit(self, hh: HouseholdState, t: float) -> None:
        """From the website's opening, the RT head may tell an unaware household."""
        rate = self.num.rt_recruit_per_year
        if rate > 0 and not hh.aware and hh.status == "uninsured":
            self.events.at(t + self.u_rt.draw(hh.idx) * 365.0 / rate, hh.hear)

    def _schedule_illness(self, hh: HouseholdState, t: float) -> None:
        e, u, d = self.u_illness.group(hh.idx)
        self.events.at(t + e * 365.0 / self._illness_rate, self._ill, (hh, u, d))

    def _ill(self, t: float, hh: HouseholdState, u: float, d: float) -> None:
        """Someone in the household falls ill: an uninsured eligible household hears of
        the programme where it seeks care, and may apply at once."""
        if hh.status == "gone":
            return
        if hh.status == "uninsured" and hh.eligible and hh.case is None:
            self.hear(hh, t)
            dem = self.num
            if u < dem.illness_apply_prob:
                self.events.at(t + d * dem.illness_apply_days, hh.apply)
        self._schedule_illness(hh, t)

    def pbi_drop(self, t: float, people: int) -> None:
        """People dropped from central PBI-JK who are eligible enter the pool, aware."""
        rng, arrived = Scalars(self.streams["pbi_drop"]), 0
        while arrived < people:
            hh = self._new_household(t, rng, eligible=True, aware=True)
            arrived += hh.members
        self.from_pbi_jk += arrived

    def enroll(self, hh: HouseholdState, t: float) -> None:
        """The card is active: count the members, tell the neighbours."""
        if not hh.ever_enrolled:
            hh.ever_enrolled = True
            self.ever_people += hh.members
        self._count(hh, -1)  # as _set(hh, status="enrolled"), without its keywords
        hh.status = "enrolled"
        self._count(hh, +1)
        self.tell_neighbours(hh, t)

    def tell_neighbours(self, hh: HouseholdState, t: float) -> None:
        """Word of mouth: a Poisson number of neighbours in the RT hear of it, each after
        an exponential delay."""
        aw = self.num
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
            self.events.at(t + delay, target.hear)

    # ------------------------------------------------------------------ exits
    def _schedule_exit(self, hh: HouseholdState, t: float) -> None:
        rate = self._exit_household_rate + hh.members * self.num.death_per_year
        if rate > 0 and hh.segment != "institutional":
            hh.exit_gen += 1
            e, u_cause = self.u_exit.take(hh.idx), self.u_exit.value(1)
            self.events.at(t + e * 365.0 / rate, self._exit_event, (hh, hh.exit_gen, u_cause))

    def _exit(self, t: float, hh: HouseholdState, gen: int, u_cause: float) -> None:
        if hh.status == "gone" or gen != hh.exit_gen:
            return
        ex = self.num
        death = hh.members * ex.death_per_year
        total = ex.move_per_year + ex.income_rise_per_year + death
        x = u_cause * total
        if x >= ex.move_per_year + ex.income_rise_per_year:
            self.lose_member(hh, t)
        else:
            self.leave(hh, t, "moved" if x < ex.move_per_year else "income_rise")
        if hh.status != "gone":
            self._schedule_exit(hh, t)

    def leave(self, hh: HouseholdState, t: float, reason: str) -> None:
        """Leave the programme's population for good (moved, central PBI, not poor, ...)."""
        if hh.status == "gone":
            return
        if hh.counted:
            self.gone_people[GONE_ACCOUNT[reason]] += hh.members
        self._set(hh, status="gone", exit_reason=reason)
        if hh.case is None and not self.keep_departed:  # else once its case closes
            self.forget(hh)
        self.quota.admit(t)

    def case_closed(self, hh: HouseholdState) -> None:
        """The household's case is over: filed again; one that has left can now be let go."""
        self._refile(hh)
        if hh.status == "gone" and not self.keep_departed:
            self.forget(hh)

    def forget(self, hh: HouseholdState) -> None:
        """A household gone for good, with no open case, leaves Mesa's registry and the
        city's lists (``LEFT`` keeps its place) and is freed once no pending event refers
        to it: about two in five leave over a run. Only without tables (``keep_departed``
        False): with them, the tables and anyone inspecting the model see every one."""
        hh.remove()
        self.households[hh.idx] = LEFT
        neighbours = self.rt_members[hh.rt]
        neighbours[neighbours.index(hh)] = LEFT

    def lose_member(self, hh: HouseholdState, t: float) -> None:
        """One member dies; the household leaves when none remain."""
        if hh.counted:
            self.gone_people["died"] += 1
        self._set(hh, members=hh.members - 1)
        if hh.members <= 0:
            self.leave(hh, t, "death")
        else:
            self.quota.admit(t)

    # ------------------------------------------------------------ component
    def start(self, events: EventQueue) -> None:
        self.build()

    def audit(self) -> list[str]:
        """The people stocks agree with the households they count."""
        bad = []
        active = sum(h.members for h in self.households if h.status == "enrolled")
        if active != self.quota.active:
            bad.append(f"active members {self.quota.active} != {active}")
        elig = [h for h in self.households if h.status == "uninsured" and h.eligible]
        if (sum(h.members for h in elig), sum(h.members for h in elig if h.aware)) != \
                (self.eligible_people, self.aware_people):
            bad.append("eligible/aware stocks out of step with households")
        return bad

    def deactivate(self, hh: HouseholdState, t: float, still_eligible: bool) -> None:
        """Re-verification removes the household from the membership. One still eligible
        may ask Dinas Sosial to reactivate it, or else apply again (:meth:`come_back`)."""
        self._set(hh, status="uninsured", eligible=hh.eligible and still_eligible)
        if not still_eligible:
            self.leave(hh, t, "reverified_out")
            return
        hh.last_end = "deactivated"
        self._refile(hh)
        self.quota.admit(t)
        re = self.num
        u, e = self.u_reentry.group(hh.idx)
        if u < re.reactivation_prob:
            self.events.at(t + e * re.reactivation_days, self._reactivate, (hh,))
        else:
            self.come_back(hh, t)


Component.register(Population)  # a component, though (compiled) a C type cannot be one
