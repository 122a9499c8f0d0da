"""JambiBugarModel: the Mesa model of Jambi Bugar enrollment in Kota Jambi.

A steppable ``mesa.Model`` whose ``step()`` advances one calendar day. Work is driven by
an event queue (:mod:`sim.engine.events`), so cost grows with hand-offs, decisions and
arrivals, not with agents x days: a waiting household or an empty office costs nothing.
The model imports no I/O, plotting or CLI code.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from bisect import bisect_right
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from sim.agents import (
    BPJSKesehatan,
    Camat,
    DinasKesehatan,
    DinasSosial,
    Household,
    Lurah,
    Office,
    RTHead,
    TimKoordinasi,
)
from sim.engine.worktime import Clock, WorkCalendar, dtks_fix_times, monthly_cutoff_activation
from sim.coordination import CoordinationRules
from sim.engine.events import LATE, URGENT, EventQueue
from sim.pathways import PLACES, CaseFlow
from sim.engine.streams import Streams
from sim.scenario import Scenario, load_scenario

OFFICE_STAGES = ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs")
AGENCY_CLASSES = {"dinsos": DinasSosial, "dinkes": DinasKesehatan, "bpjs": BPJSKesehatan}


class JambiBugarModel(mesa.Model):
    """Households, RT heads, Lurahs, Camats, three agencies and the Tim Koordinasi.

    Args:
        scenario: a :class:`Scenario`, a path to a TOML file, or None for the baseline.
        seed: root seed; replication ``rep`` uses ``SeedSequence(seed).spawn(...)[rep]``.
        rep: replication index.
        trace: keep an exact event log in ``model.trace`` (for tests and debugging).
        **kwargs: flat parameter overrides, e.g. ``turf=0.8`` or
            ``offices__dinsos__staff=6`` (see ``Scenario.with_overrides``). Named
            ``kwargs`` because Mesa's SolaraViz only passes extra parameters to that name.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, seed: int = 0,
                 rep: int = 0, trace: bool = False, **kwargs: Any):
        self.scenario = load_scenario(scenario).with_overrides(**kwargs)
        self.streams = Streams(seed, rep)
        super().__init__(rng=self.streams.seed_sequence("mesa"))
        self.seed, self.rep = seed, rep
        sc = self.scenario
        self.trace: list[tuple] | None = [] if trace else None
        self.day = -1
        self.clock = Clock(sc.time.start, sc.time.end)
        self.events = EventQueue()
        self.rules = CoordinationRules(sc, self.clock, self.streams["coordination"])
        self.flow = CaseFlow(self)
        self.t_online = self._online_start()
        self._dtks = dtks_fix_times(self.clock, sc.batches.dtks_fixes_per_year_before,
                                    sc.batches.dtks_monthly_from)
        self._quota_caps = self._yearly_caps()
        self.active_members = 0
        self.pending_members = 0
        self.eligible_people = 0
        self.aware_people = 0
        self.escalated = 0
        self.premium_by_month: dict[str, float] = {}
        self.monthly: list[dict[str, Any]] = []
        self._build_offices()
        self._build_population()
        self._schedule_calendar_events()
        self.datacollector = mesa.DataCollector(model_reporters={
            "day": "day", "enrolled": "active_members", "applied": "applied",
            "in_process": "in_process", "aware": "aware_people", "eligible": "eligible_people",
            "queue_dinsos": lambda m: m.agencies["dinsos"].desk.in_system,
            "queue_dinkes": lambda m: m.agencies["dinkes"].desk.in_system,
            "queue_bpjs": lambda m: m.agencies["bpjs"].desk.in_system,
        })

    # ----------------------------------------------------------------- set-up
    def _online_start(self) -> float:
        t = self.scenario.time
        if t.pathway_mode == "online":
            return 0.0
        if t.pathway_mode == "manual" or t.online_from is None:
            return float("inf")
        return self.clock.t(t.online_from)

    def _yearly_caps(self) -> dict[int, int]:
        """Active-member cap per year: min(target, budget / that year's premium bill)."""
        prog = self.scenario.program
        budgets = {int(y): v for y, v in prog.budget_idr_by_year.items()}
        caps = {}
        for year in range(self.clock.start.year, self.clock.date(self.clock.span).year + 1):
            known = [y for y in budgets if y <= year] or sorted(budgets)[:1]
            budget = budgets[max(known)] if known else float("inf")
            bill = sum(self.premium_rate(dt.date(year, mo, 1)) for mo in range(1, 13))
            cap = prog.target if bill <= 0 else min(prog.target, int(budget // bill))
            caps[year] = int(cap)
        return caps

    def _sampler(self, stage: str):
        p = self.scenario.offices.__getattribute__(stage)
        rng = self.streams["service:" + stage]
        mean = p.service_days * self.rules.service_multiplier(stage)
        if p.service_cv == 0:
            return lambda: mean
        if p.service_cv == 1:
            return lambda: rng.exponential(mean)
        shape = 1.0 / p.service_cv ** 2
        return lambda: rng.gamma(shape, mean / shape)

    def _calendar(self, stage: str) -> WorkCalendar:
        p = getattr(self.scenario.offices, stage)
        return WorkCalendar(self.clock, p.weekends, p.holidays, p.year_end_closing_days)

    def _build_offices(self) -> None:
        sc = self.scenario
        pop, offices = sc.population, sc.offices
        self.office_params = {s: getattr(offices, s) for s in OFFICE_STAGES + ("tim",)}
        cals = {s: self._calendar(s) for s in OFFICE_STAGES + ("tim",)}
        samplers = {s: self._sampler(s) for s in OFFICE_STAGES + ("tim",)}
        n_kel = pop.n_kelurahan + pop.n_kelurahan_new
        self.kel_kec = [k % pop.n_kecamatan for k in range(pop.n_kelurahan)]
        self.kel_parent = list(range(pop.n_kelurahan)) + [
            (j * 7) % pop.n_kelurahan for j in range(pop.n_kelurahan_new)]
        self.kel_kec += [self.kel_kec[self.kel_parent[k]] for k in range(pop.n_kelurahan, n_kel)]
        self.rt_kel = [i % n_kel for i in range(pop.n_rt)]
        self.t_split = self.clock.t(pop.split_date)
        self.rt_heads = [RTHead(self, f"RT {i + 1}", cals["rt"], offices.rt.staff, samplers["rt"])
                         for i in range(pop.n_rt)]
        self.lurahs = [Lurah(self, f"Kelurahan {k + 1}", cals["lurah"], offices.lurah.staff,
                             samplers["lurah"]) for k in range(n_kel)]
        self.camats = [Camat(self, f"Kecamatan {k + 1}", cals["camat"], offices.camat.staff,
                             samplers["camat"]) for k in range(pop.n_kecamatan)]
        self.agencies: dict[str, Office] = {
            s: cls(self, s, cals[s], getattr(offices, s).staff, samplers[s])
            for s, cls in AGENCY_CLASSES.items()}
        self.tim = TimKoordinasi(self, "Tim Koordinasi JKN Daerah", cals["tim"],
                                 offices.tim.staff, samplers["tim"])
        self.desks = ([o.desk for o in self.rt_heads] + [o.desk for o in self.lurahs]
                      + [o.desk for o in self.camats] + [o.desk for o in self.agencies.values()])

    def _build_population(self) -> None:
        pop = self.scenario.population
        rng = self.streams["population"]
        self.households: list[Household] = []
        self.rt_members: list[list[Household]] = [[] for _ in range(pop.n_rt)]
        share_ref = pop.share_homeless_neglected + pop.share_mental_disorder
        share_ref = min(share_ref, 1.0)
        mean_size = (1 - share_ref) * pop.household_size + share_ref
        n_elig = int(round(pop.uninsured_people_start * pop.eligible_share / mean_size))
        n_inel = int(round(n_elig * pop.ineligible_applicant_share /
                           max(1e-9, 1 - pop.ineligible_applicant_share)))
        for i in range(n_elig + n_inel):
            self._new_household(0.0, rng, eligible=i < n_elig,
                                aware=rng.random() < self.scenario.awareness.initial)
        institutions = ([pop.lapas_residents] if pop.lapas_residents > 0 else []) + \
            [pop.panti_jompo_residents] * pop.panti_jompo + \
            [pop.panti_asuhan_residents] * pop.panti_asuhan
        for residents in institutions:
            if residents <= 0:
                continue
            hh = Household(self, int(rng.integers(pop.n_rt)), "institutional", residents,
                           True, True, True, 1.0, 1.0)
            self._register(hh)
            hh.aware = True
            self.tally(hh, +1)
            self.events.schedule(float(self.streams["apply"].uniform(0, 365)), hh.apply)

    def _new_household(self, t: float, rng: np.random.Generator, eligible: bool,
                       aware: bool) -> Household:
        pop, beh = self.scenario.population, self.scenario.behaviour
        u = rng.random()
        if u < pop.share_homeless_neglected:
            segment, members = "homeless_neglected", 1
        elif u < pop.share_homeless_neglected + pop.share_mental_disorder:
            segment, members = "mental_disorder", 1
        else:
            segment, members = "poor_household", 1 + int(rng.poisson(pop.household_size - 1))
        sd = 0.5
        patience = beh.patience * float(np.exp(rng.normal(-sd * sd / 2, sd)))
        hh = Household(self, int(rng.integers(pop.n_rt)), segment, members,
                       eligible=eligible or segment != "poor_household",
                       has_docs=segment == "poor_household" and rng.random() < pop.valid_docs_share,
                       in_dtks=rng.random() < pop.in_dtks_share,
                       cost_factor=float(rng.lognormal(-0.125, 0.5)), patience=patience)
        self._register(hh)
        self.tally(hh, +1)
        if aware:
            hh.hear(t)
        else:
            self._schedule_background_awareness(hh, t)
        self._schedule_exit(hh, t)
        return hh

    def _register(self, hh: Household) -> None:
        self.households.append(hh)
        self.rt_members[hh.rt].append(hh)

    def _schedule_calendar_events(self) -> None:
        sc, clock, ev = self.scenario, self.clock, self.events
        for d in sc.awareness.campaign_dates:
            if clock.start <= d <= clock.end:
                ev.schedule(clock.t(d), self._campaign, priority=URGENT)
        for d, share in zip(sc.exits.central_pbi_dates, sc.exits.central_pbi_share):
            if clock.start < d <= clock.end:
                ev.schedule(clock.t(d), self._central_pbi, share, priority=URGENT)
        for d in sc.exits.reverification_dates:
            if clock.start < d <= clock.end:
                ev.schedule(clock.t(d), self._reverify, priority=URGENT)
        for year in range(clock.start.year + 1, clock.end.year + 1):
            ev.schedule(clock.t(dt.date(year, 1, 1)), self._new_budget_year, priority=LATE)
        for t in self.rules.review_times():
            ev.schedule(t, self._review, priority=LATE)
        if sc.population.arrivals_per_year > 0:
            self._schedule_arrival(0.0)

    # ------------------------------------------------------------- lookups
    def office_for(self, hh: Household, stage: str, t: float) -> Office:
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

    def pathway_at(self, t: float) -> str:
        return "online" if t >= self.t_online else "manual"

    def trip_cost(self, hh: Household, stage: str) -> float:
        beh = self.scenario.behaviour
        base = {"rt": beh.cost_rt_idr, "lurah": beh.cost_lurah_idr,
                "camat": beh.cost_camat_idr}.get(stage, beh.cost_city_idr)
        return base * hh.cost_factor

    def premium_rate(self, day: dt.date) -> float:
        prog = self.scenario.program
        return prog.premium_idr_after if day >= prog.premium_change_date else prog.premium_idr_before

    def quota_cap(self, t: float) -> int:
        return self._quota_caps[self.clock.date(t).year]

    def quota_allows(self, members: int, t: float) -> bool:
        return self.active_members + self.pending_members + members <= self.quota_cap(t)

    def activation_time(self, t: float) -> float:
        b = self.scenario.batches
        if b.uhc_prioritas_from is not None and self.clock.date(t) >= b.uhc_prioritas_from:
            return t
        return monthly_cutoff_activation(self.clock, t, b.bpjs_cutoff_day)

    def next_dtks(self, t: float) -> float:
        return self._dtks[bisect_right(self._dtks, t)]

    # ------------------------------------------------------------ stocks
    def tally(self, hh: Household, sign: int) -> None:
        """Add (+1) or remove (-1) a household's contribution to the people stocks."""
        if hh.status == "enrolled":
            self.active_members += sign * hh.members
        elif hh.status == "uninsured" and hh.eligible:
            self.eligible_people += sign * hh.members
            if hh.aware:
                self.aware_people += sign * hh.members

    def release_quota(self, t: float) -> None:
        self.flow.admit(t)

    @property
    def applied(self) -> int:
        return len(self.flow.cases)

    @property
    def in_process(self) -> int:
        return self.flow.open

    # -------------------------------------------------------------- events
    def _schedule_background_awareness(self, hh: Household, t: float) -> None:
        rate = self.scenario.awareness.background_per_year
        if rate > 0:
            self.events.schedule(t + self.streams["awareness"].exponential(365.0 / rate), hh.hear)

    def _schedule_exit(self, hh: Household, t: float) -> None:
        ex = self.scenario.exits
        rate = ex.move_per_year + ex.income_rise_per_year + hh.members * ex.death_per_year
        if rate > 0 and hh.segment != "institutional":
            hh.exit_gen += 1
            self.events.schedule(t + self.streams["exits"].exponential(365.0 / rate),
                                 self._exit, hh, hh.exit_gen)

    def _exit(self, t: float, hh: Household, gen: int) -> None:
        if hh.status == "gone" or gen != hh.exit_gen:
            return
        ex = self.scenario.exits
        rates = np.array([ex.move_per_year, ex.income_rise_per_year, hh.members * ex.death_per_year])
        cause = int(self.streams["exits"].choice(3, p=rates / rates.sum()))
        if cause == 2:
            hh.lose_member(t)
        else:
            hh.leave(t, ("moved", "income_rise")[cause])
        if hh.status != "gone":
            self._schedule_exit(hh, t)

    def _schedule_arrival(self, t: float) -> None:
        rate = self.scenario.population.arrivals_per_year
        self.events.schedule(t + self.streams["arrivals"].exponential(365.0 / rate), self._arrive)

    def _arrive(self, t: float) -> None:
        self._new_household(t, self.streams["arrivals"], eligible=True, aware=False)
        self._schedule_arrival(t)

    def _campaign(self, t: float) -> None:
        rng, reach = self.streams["awareness"], self.scenario.awareness.campaign_reach
        for hh in self.households:
            if not hh.aware and hh.status == "uninsured" and rng.random() < reach:
                hh.hear(t)

    def tell_neighbours(self, hh: Household, t: float) -> None:
        aw = self.scenario.awareness
        rng = self.streams["awareness"]
        neighbours = self.rt_members[hh.rt]
        for _ in range(int(rng.poisson(aw.word_of_mouth_contacts))):
            target = neighbours[int(rng.integers(len(neighbours)))]
            self.events.schedule(t + rng.exponential(aw.word_of_mouth_days), target.hear)

    def _central_pbi(self, t: float, share: float) -> None:
        rng = self.streams["central_pbi"]
        for hh in self.households:
            if hh.status != "gone" and hh.segment == "poor_household" and rng.random() < share:
                hh.leave(t, "central_pbi")

    def _reverify(self, t: float) -> None:
        ex, rng = self.scenario.exits, self.streams["reverification"]
        for hh in self.households:
            if hh.status == "enrolled" and hh.segment != "institutional" and \
                    rng.random() < ex.reverification_share:
                hh.deactivate(t, still_eligible=rng.random() < ex.reverification_wrongful)

    def _new_budget_year(self, t: float) -> None:
        self.release_quota(t)

    def _review(self, t: float) -> None:
        self.tim.review(t)

    # ---------------------------------------------------------------- step
    @property
    def date(self) -> dt.date:
        return self.clock.date(max(self.day, 0))

    def step(self) -> None:
        """Advance one day.

        1. Run every event due before the end of the day, in (time, priority, counter)
           order: arrivals, awareness, applications, services, hand-offs, exits.
        2. Accrue the day's premium for the active members.
        3. On the month's last day, record a timeseries row.
        4. Collect the DataCollector row; after the last day set ``running`` to False.
        """
        self.day += 1
        self.events.run_until(self.day + 1.0)
        today = self.clock.date(self.day)
        month = today.strftime("%Y-%m")
        days_in_month = _cal.monthrange(today.year, today.month)[1]
        self.premium_by_month[month] = self.premium_by_month.get(month, 0.0) + \
            self.active_members * self.premium_rate(today) / days_in_month
        if (today + dt.timedelta(days=1)).day == 1 or self.day == self.clock.horizon - 1:
            self.monthly.append(self.snapshot())
        self.datacollector.collect(self)
        if self.day >= self.clock.horizon - 1:
            self.running = False

    def snapshot(self) -> dict[str, Any]:
        """One timeseries row: stocks, flows and queue lengths at the end of today."""
        f = self.flow
        today = self.clock.date(self.day)
        target = self.scenario.program.target
        row: dict[str, Any] = {
            "date": today.isoformat(), "rep": self.rep, "eligible": self.eligible_people,
            "aware": self.aware_people, "applied": len(f.cases), "in_process": f.open,
            "enrolled": self.active_members, "enrolled_cases": f.counts["enrolled"],
            "target": target, "gap": target - self.active_members, "quota_cap":
                self.quota_cap(self.day), "abandoned": f.counts["abandoned"],
            "rejected": f.counts["rejected"],
            "premium_idr": round(self.premium_by_month.get(today.strftime("%Y-%m"), 0.0)),
        }
        row["queue_rt"] = sum(o.desk.in_system for o in self.rt_heads)
        row["queue_lurah"] = sum(o.desk.in_system for o in self.lurahs)
        row["queue_camat"] = sum(o.desk.in_system for o in self.camats)
        for s, o in self.agencies.items():
            row[f"queue_{s}"] = o.desk.in_system
        for place in ("dtks", "tim", "quota", "activation"):
            row[f"waiting_{place}"] = f.where[place]
        return row

    # ------------------------------------------------------------ checking
    def audit(self) -> list[str]:
        """Every invariant that must hold between steps; returns the violations."""
        f, bad = self.flow, []
        if len(f.cases) != f.open + sum(f.counts.values()):
            bad.append(f"cases {len(f.cases)} != open {f.open} + closed {f.counts}")
        if f.open != sum(f.where.values()):
            bad.append(f"open {f.open} != located {f.where}")
        if any(v < 0 for v in f.where.values()):
            bad.append(f"negative location count {f.where}")
        in_desks = sum(d.in_system for d in self.desks)
        if f.where["queue"] != in_desks:
            bad.append(f"queue count {f.where['queue']} != desks {in_desks}")
        for d in self.desks:
            if len(d.queue) < 0 or not (0 <= d.busy <= d.servers):
                bad.append(f"desk {d.name}: queue {len(d.queue)} busy {d.busy}")
        if self.events.next_time() < self.day + 1.0:
            bad.append("an event is due in the past")
        places = {c.where for c in f.cases if c.outcome is None}
        if not places <= set(PLACES):
            bad.append(f"open case in unknown place {places}")
        for c in f.cases:
            if (c.outcome is None) == bool(c.where == ""):
                bad.append(f"case {c.id}: outcome {c.outcome} but where '{c.where}'")
            if c.outcome is not None and c.t_outcome < c.t_applied:
                bad.append(f"case {c.id} ends before it starts")
            for s, t_out in c.stage_out.items():
                if t_out < c.stage_in.get(s, -1.0):
                    bad.append(f"case {c.id}: leaves {s} before entering")
            times = list(c.stage_in.values()) + list(c.stage_out.values())
            if times and (min(times) < c.t_applied or max(times) > self.day + 1.0 or (
                    c.outcome is not None and max(times) > c.t_outcome)):
                bad.append(f"case {c.id}: stage dates outside its life")
        pending = sum(c.members for c in f.cases if c.admitted)
        if pending != self.pending_members:
            bad.append(f"pending members {self.pending_members} != {pending}")
        active = sum(h.members for h in self.households if h.status == "enrolled")
        elig = [h for h in self.households if h.status == "uninsured" and h.eligible]
        if active != self.active_members:
            bad.append(f"active members {self.active_members} != {active}")
        if sum(h.members for h in elig) != self.eligible_people or \
                sum(h.members for h in elig if h.aware) != self.aware_people:
            bad.append("eligible/aware stocks out of step with households")
        return bad
