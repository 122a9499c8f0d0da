"""The two enrollment pathways as explicit routes, and the life of a case along them.

Manual (before the website; docs/sources.md#the-two-pathways): the citizen goes in person
to the RT head, the Lurah (SKTM), the Camat (SKTM endorsement), Dinas Sosial
(recommendation, DTKS check) and Dinas Kesehatan (registration); Dinas Kesehatan sends
the registration to BPJS on paper; BPJS activates at the next monthly cut-off.

Online (Perwal Jambi No. 3/2021): the citizen visits only the RT head with KK and KTP;
the RT head recommends to the Lurah, who enters the case online; Dinas Sosial verifies;
Dinas Kesehatan validates and forwards; BPJS activates. Hand-offs are electronic.

Referred segments (institutional residents, homeless and neglected people, people with a
mental disorder) enter at Dinas Sosial and make no visits; an institution's case carries
its whole roster (bulk enrollment).

A route (:mod:`sim.model.routes`) is a sequence of steps: offices, and places a case waits
(the Tim's sitting, only in a what-if: the thesis describes the Tim as setting policy and
holding review meetings, not as a case gate; the quota; the BPJS activation). A hand-off goes from one office to the next office of the route, and the case passes the
waiting steps between them on arrival.

Every case ends in exactly one terminal state (enrolled, rejected, abandoned) or is
still in process at the end; ``where`` always says where an open case is. Every visit is
a row of the journey log (:class:`~sim.model.cases.Journey`).
"""

from __future__ import annotations

from sim._mesa import mesa
from sim.engine.events import EventQueue
from sim.engine.fields import slots
from sim.engine.streams import Streams
from sim.engine.worktime import Clock
from sim.model.agents import Household, Office
from sim.model.cases import OFFICES, OUTCOMES, RESULT_CODE, CaseRecord, Journey, VisitCount
from sim.model.city import City
from sim.model.component import Component
from sim.model.coordination import HANDOFF_DRAWS, CoordinationRules
from sim.model.program import Program, Quota
from sim.model.routes import OFFICE_ROUTES, PLACES, VISITED, routes  # noqa: F401 (former home)
from sim.model.scenario_numbers import numbers_of
from sim.scenario import Scenario

# The case as the compiled core's C type (cases.pxd): ``case: Case`` fields read directly.
# Otherwise (no Cython, or its run-time shim's AttributeError) the same class, imported.
try:
    from cython.cimports.sim.model.cases import Case
except (ImportError, AttributeError):
    from sim.model.cases import Case

BOUNCED, HANDED_OFF = RESULT_CODE["bounced"], RESULT_CODE["handed_off"]


class CaseFlow:
    """Moves cases along their route; the only place that changes a case's state.

    It builds the :class:`~sim.model.city.City` whose offices serve its cases (the offices
    hand their decisions back to it) and the :class:`~sim.model.program.Quota` that gives
    them slots. With ``tables`` (the default) every case is kept in ``cases`` and every
    visit in the ``journey`` log, for the case and journey tables. Without, a closed case
    is let go and visits are only counted: ``record`` keeps what the outcome catalogue
    needs either way.
    """

    __slots__ = slots(__file__, "CaseFlow")  # the fields: pathways.pxd (a C type when compiled)
    start, month_end, row = Component.start, Component.month_end, Component.row  # no-op hooks

    def __init__(self, model: mesa.Model, scenario: Scenario, clock: Clock, events: EventQueue,
                 streams: Streams, rules: CoordinationRules, program: Program,
                 trace: list[tuple] | None = None, tables: bool = True):
        self.sc = scenario
        self.num = numbers_of(scenario)  # the numbers the handlers read, copied (a C type)
        self.clock = clock
        self.events = events
        self.rules = rules
        self.program = program
        self.trace = trace
        self.quota = Quota(program, self._admitted, self._withdrawn)
        self.routes = routes(rules.approval_gate)
        # the office a step belongs to, for logs: the office itself, or the last one before
        self.step_office = {mode: tuple(next((s for s in reversed(r[:i + 1]) if s in OFFICES),
                                             r[0]) for i in range(len(r)))
                            for mode, r in self.routes.items()}
        # the next office after each step (hand-offs go office to office)
        self.next_office = {mode: tuple(next((s for s in r[i + 1:] if s in OFFICES),
                                             "activation") for i in range(len(r)))
                            for mode, r in self.routes.items()}
        t = scenario.time
        if t.pathway_mode == "online":
            self.t_online = 0.0
        elif t.pathway_mode == "manual" or t.online_from is None:
            self.t_online = float("inf")
        else:
            self.t_online = clock.t(t.online_from)
        single = scenario.sustainability.single_agency_from
        self.t_single = clock.t(single) if single else float("inf")
        self.rework_prob = {s: getattr(scenario.offices, s).rework_prob for s in OFFICES}
        self.p_mismatch = scenario.batches.dtks_mismatch_prob * rules.mismatch_factor
        self.tables = tables
        self.cases: list[Case] = []  # every case, in id order (empty without tables)
        self.record = CaseRecord()  # every case's outcome columns, row id - 1
        self.journey: Journey | VisitCount = Journey() if tables else VisitCount()
        self.open = 0
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.where = dict.fromkeys(PLACES, 0)
        self.dropout: dict[str, int] = {}
        self.handoffs = 0
        self.held: dict[int, Case] = {}
        # keyed draws: the n-th draw of each decision for each household
        k = streams.keyed
        self.u_tolerance = k("tolerance", "exponential", per_block=3)
        self.u_docs = k("docs", "exponential")
        # per_block: draws each household gets in the shared first block (from measured use)
        self.u_handoff = {s: k(f"handoff:{s}", HANDOFF_DRAWS, per_block=3) for s in OFFICES}
        self.u_verify_wait = k("verify_wait", "exponential")
        self.u_rework = k("rework_delay", "exponential")
        self.u_resend = k("resend", "exponential")
        self.u_reconsider = k("reconsider", "exponential", per_block=3)
        self.horizon = 0.0  # the end of the last day run (for the audit)
        # the offices, last: they register as Mesa agents and hand their decisions back here
        self.city = City(model, scenario, clock, events, streams, rules, self)

    def pathway_at(self, t: float) -> str:
        """The pathway in force on day t."""
        return "online" if t >= self.t_online else "manual"

    # ---------------------------------------------------------------- helpers
    def _move(self, case: Case, where: str) -> None:
        if case.where:
            self.where[case.where] -= 1
        case.where = where
        if where:
            self.where[where] += 1

    def log(self, t: float, event: str, case: Case, detail: str = "",
            stage: str | None = None) -> None:
        if self.trace is not None:
            office = stage or self.step_office[case.route][case.idx]
            self.trace.append((round(t, 6), event, case.id, office, detail))

    def _visit(self, case: Case, stage: str, t: float) -> None:
        case.visit = self.journey.open(case, stage, t)

    def _end_visit(self, case: Case, t: float, result: str) -> None:
        if case.visit >= 0:
            self.journey.close(case.visit, t, result)
            case.visit = -1

    def office(self, case: Case) -> Office:  # the office serving the case's current step
        return case.offices[case.idx]

    def still_wanted(self, case: Case, t: float) -> bool:
        """False (and the case is closed) if the household has gone."""
        if case.household.status == "gone":
            self.close(case, t, "abandoned", "household_left")
            return False
        return True

    # ---------------------------------------------------------------- opening
    def open_case(self, hh: Household, t: float, route: str | None = None) -> None:
        """Open a case: first a Dukcapil trip if the KK/KTP is missing, then the route:
        the household's own (by pathway in force), or ``route`` (a reactivation through
        Dinas Sosial, a registration drive: no trips)."""
        pathway = self.pathway_at(t)
        if route is None:
            route = "referral" if hh.referred else pathway
            if t >= self.t_single:
                route = "referral_single" if hh.referred else "single"
        tol = hh.patience * self.u_tolerance.draw(hh.idx)
        case = Case(len(self.record) + 1, hh, pathway, route, self.routes[route], t, tol)
        city = self.city
        case.offices = city.offices_for(hh, case.steps, t)
        if self.tables:
            self.cases.append(case)
        self.record.open(case)
        hh.case = case
        self.open += 1
        self.log(t, "apply", case, route)
        if hh.has_docs or route in ("reactivation", "drive"):
            self._step(t, case)
            return
        if not route.startswith("referral") and self.gives_up(
                case, t, city.trip_cost(hh, "docs"), "docs"):
            return
        self._visit(case, "docs", t)
        self._move(case, "docs")
        self.events.at(t + self.u_docs.draw(hh.idx) * self.num.docs_days, self._docs_ready, (case,))

    def _docs_ready(self, t: float, case: Case) -> None:
        case.household.has_docs = True
        self._end_visit(case, t, "approved")
        self._step(t, case)

    # ----------------------------------------------------------------- moving
    def _step(self, t: float, case: Case) -> None:
        """The case reaches its current step: an office, or a place it waits."""
        step = case.steps[case.idx]
        if step in OFFICES:
            self.go(t, case)
        elif step == "quota":
            if self.still_wanted(case, t):
                self._visit(case, "quota", t)
                self._move(case, "quota")
                self.record.quota_in(case, t)
                self.quota.wait(case, t)
        elif step == "tim":
            if self.still_wanted(case, t):
                self._visit(case, "tim", t)
                self._move(case, "tim")
                self.events.at(self.rules.next_sitting(t), self._tim_approved, (case,))
        else:  # pragma: no cover - routes are built above
            raise ValueError(f"unknown route step {step!r}")

    def go(self, t: float, case: Case) -> None:
        """The case reaches its current office; the citizen goes in person where required."""
        hh = case.household
        if hh.status == "gone":
            self.close(case, t, "abandoned", "household_left")
            return
        stage = case.steps[case.idx]
        if stage in VISITED[case.route] and self.gives_up(
                case, t, self.city.trip_base[stage] * case.cost_factor, stage):
            return
        # _visit and _move, written out: once per office visit (A/B, 10x city: 2.4% of a run)
        case.visit = self.journey.open(case, stage, t)
        where = self.where
        if case.where:
            where[case.where] -= 1
        where["queue"] += 1
        case.where = "queue"
        if self.trace is not None:
            self.log(t, "arrive", case)
        office = case.offices[case.idx]
        office.receive(case, t)

    def gives_up(self, case: Case, t: float, trip_cost: float, stage: str) -> bool:
        """A decision point before a visit: abandon if the burden exceeds the tolerance;
        otherwise make the visit (one more trip, its cost and a day)."""
        num = self.num
        burden = (num.burden_per_wait_day * (t - case.t_applied)
                  + num.burden_per_visit * (case.visits + 1)
                  + num.burden_per_100k_idr * (case.cost + trip_cost) / 1e5)
        if burden > case.tolerance:
            self.close(case, t, "abandoned", "burden", stage)
            return True
        case.visits += 1
        case.cost += trip_cost
        self.record.visit(case)
        return False

    # -------------------------------------------------------------- decisions
    def approve(self, case: Case, t: float) -> None:
        """The office lets the case go: to the next office, or to activation."""
        stage = case.steps[case.idx]
        if self.trace is not None:
            self.log(t, "approve", case)
        case.verifying = False
        if stage == "bpjs":
            self._end_visit(case, t, "approved")
            case.idx += 1  # activation
            self._visit(case, "activation", t)
            self._move(case, "activation")
            self.events.at(self.program.activation_time(t), self._activate, (case,))
            return
        nxt = self.next_office[case.route][case.idx]
        carried = nxt in VISITED[case.route]
        num = self.num
        mean = num.travel_gap_days if carried else (
            num.handoff_days_paper if case.pathway == "manual" else num.handoff_days_online)
        u = case.handoff  # the draws kept over a verification round
        if u is None:
            draws = self.u_handoff[stage]
            u = draws.view(case.hidx)  # (its scratch: kept as a copy, below)
        office = case.offices[case.idx]
        arrive, bounce, verify, held = self.rules.handoff(stage, nxt, t, mean, office.calendar,
                                                          carried, u)
        if verify and case.verified != case.idx:
            case.handoff = self.u_handoff[stage].keep()
            self._verification_round(case, t, office)
            return
        case.handoff = None
        if self.rules.relations is not None:
            self.rules.relations.handed_off(stage, nxt, bounce)
        # _end_visit and _move(case, "transit"), written out (see go)
        self.journey.leave(case.visit, t, BOUNCED if bounce else HANDED_OFF)
        case.visit = -1
        where = self.where
        where[case.where] -= 1
        where["transit"] += 1
        case.where = "transit"
        self.handoffs += 1
        if bounce:
            case.bounces += 1
        else:
            case.idx += 1
        if held:
            self.held[case.id] = case
            case.held_since = t
        if self.trace is not None:
            self.log(t, "handoff", case, f"{stage}->{nxt}" + (" bounce" if bounce else ""),
                     stage=stage if bounce else nxt)
        self.events.at(arrive, self._arrive, (case, case.token))

    def _verification_round(self, case: Case, t: float, office: Office) -> None:
        """Accountability: the sender collects letters and sign-offs, then re-checks."""
        case.verified, case.verifying = case.idx, True
        case.verifications += 1
        self._end_visit(case, t, "verify")
        self._move(case, "transit")
        self.log(t, "verify", case)
        wait = self.u_verify_wait.draw(case.hidx) * self.num.verification_days
        self.events.at(office.calendar.add(t, wait), self._recheck, (case,))

    def _recheck(self, t: float, case: Case) -> None:
        if self.still_wanted(case, t):
            self._visit(case, case.steps[case.idx], t)
            self._move(case, "queue")
            self.office(case).receive(case, t)

    def _arrive(self, t: float, case: Case, token: int) -> None:
        if token != case.token or case.outcome is not None:
            return  # superseded by a release at a review meeting
        if self.held:
            self.held.pop(case.id, None)
        if case.steps[case.idx] in OFFICES:
            self.go(t, case)
        else:
            self._step(t, case)

    def release_holds(self, t: float, stall_days: float) -> int:
        """Hierarchy: held hand-offs older than ``stall_days`` arrive now."""
        released = [c for c in self.held.values() if t - c.held_since > stall_days]
        for case in released:
            case.token += 1
            self.held.pop(case.id)
            self.events.at(t, self._arrive, (case, case.token))
        return len(released)

    def rework(self, case: Case, t: float) -> None:
        """Returned for missing documents: the citizen must bring them (a visit)."""
        case.reworks += 1
        self._end_visit(case, t, "rework")
        self._move(case, "citizen")
        self.log(t, "rework", case)
        delay = self.u_rework.draw(case.hidx) * self.num.rework_days
        self.events.at(t + delay, self._reworked, (case,))

    def _reworked(self, t: float, case: Case) -> None:
        if not self.still_wanted(case, t):
            return
        stage = case.steps[case.idx]
        if case.route in ("online", "single") and stage not in VISITED["online"]:
            # the citizen brings the documents to the RT head, who re-sends them online
            if self.gives_up(case, t, self.city.trip_cost(case.household, "rt"), stage):
                return
            lat = self.num.handoff_days_online
            cal = self.city.rt_heads[case.household.rt].calendar
            self._move(case, "transit")
            arrive = cal.add(t, self.u_resend.draw(case.hidx) * lat)
            self.events.at(arrive, self._arrive, (case, case.token))
            return
        self.go(t, case)

    def reject(self, case: Case, t: float, reason: str) -> None:
        self._end_visit(case, t, "rejected")
        self.close(case, t, "rejected", reason)
        hh = case.household
        if reason in ("dtks_mismatch", "divergent_judgement") and hh.eligible:
            hh.come_back(t)  # wrongly rejected: it may try again (reentry)

    # ------------------------------------------------------- batches and quota
    def wait_for_dtks(self, case: Case, t: float) -> None:
        """Not in the DTKS yet: proposed, and waits for the next DTKS fixing date."""
        self._end_visit(case, t, "dtks_wait")
        self._visit(case, "dtks", t)
        self._move(case, "dtks")
        self.log(t, "dtks_wait", case)
        self.events.at(self.program.next_dtks(t), self._dtks_fixed, (case,))

    def _dtks_fixed(self, t: float, case: Case) -> None:
        case.household.in_dtks = True
        if not self.still_wanted(case, t):
            return
        self._end_visit(case, t, "approved")
        case.verifying = True  # checks done: the recommendation can be issued
        self._visit(case, "dinsos", t)
        self._move(case, "queue")
        self.office(case).receive(case, t)

    def _tim_approved(self, t: float, case: Case) -> None:
        if self.still_wanted(case, t):
            self._end_visit(case, t, "approved")
            case.idx += 1
            self._step(t, case)

    def _withdrawn(self, case: Case, t: float) -> bool:
        """The quota asks whether a waiting case is still wanted (closing it if not)."""
        if case.household.status == "gone":
            self.close(case, t, "abandoned", "household_left")
            return True
        return False

    def _admitted(self, case: Case, t: float) -> None:
        """The quota gave the case a slot: on to BPJS."""
        self.record.quota_out(case, t)
        self._end_visit(case, t, "approved")
        case.idx += 1
        self.go(t, case)

    def _activate(self, t: float, case: Case) -> None:
        if self.still_wanted(case, t):
            case.household.enroll(t)  # members count as active before the quota slot is freed
            self.close(case, t, "enrolled", "card")

    # ------------------------------------------------------------------ close
    def close(self, case: Case, t: float, outcome: str, reason: str,
              stage: str | None = None) -> None:
        """Put the case in its one terminal state."""
        if stage is None:
            stage = "docs" if case.where == "docs" else case.steps[case.idx]
        self._end_visit(case, t, {"enrolled": "enrolled", "rejected": "rejected"}.get(
            outcome, "left" if reason == "household_left" else "abandoned"))
        self._move(case, "")
        case.outcome, case.t_outcome, case.outcome_stage, case.reason = outcome, t, stage, reason
        self.record.close(case)
        self.counts[outcome] += 1
        self.open -= 1
        if self.rules.relations is not None and stage in ("dinkes", "bpjs") and \
                (reason == "divergent_judgement" or (outcome, reason) == ("abandoned", "burden")):
            up = next((s for s in reversed(case.steps[:case.idx]) if s in ("dinsos", "dinkes")),
                      None)
            self.rules.relations.blamed(stage, up)
        hh = case.household
        if outcome == "abandoned" and reason == "burden":
            self.dropout[stage] = self.dropout.get(stage, 0) + 1
            # the household may try again later, e.g. once the website is open
            self.events.at(t + self.u_reconsider.draw(hh.idx) * self.num.reconsider_days,
                                 hh.reconsider)
        hh.case_closed()
        self.held.pop(case.id, None)
        self.log(t, outcome, case, reason, stage="bpjs" if outcome == "enrolled" else None)
        if case.admitted:
            self.quota.release(case, t)

    # ------------------------------------------------------------ component
    def day_end(self, day: int) -> None:
        self.horizon = day + 1.0

    def audit(self) -> list[str]:
        """Every case is counted once, located once, and closed cleanly; the desks, the
        journey log and the quota agree with the cases."""
        bad = []
        if len(self.record) != self.open + sum(self.counts.values()):
            bad.append(f"cases {len(self.record)} != open {self.open} + closed {self.counts}")
        if self.open != sum(self.where.values()):
            bad.append(f"open {self.open} != located {self.where}")
        if any(v < 0 for v in self.where.values()):
            bad.append(f"negative location count {self.where}")
        in_desks = sum(d.in_system for d in self.city.desks)
        if self.where["queue"] != in_desks:
            bad.append(f"queue count {self.where['queue']} != desks {in_desks}")
        for d in self.city.desks:
            if not (0 <= d.busy <= d.servers):
                bad.append(f"desk {d.name}: queue {len(d.queue)} busy {d.busy}")
        return bad + (self.audit_cases(self.cases) if self.tables else [])

    def audit_cases(self, cases: list[Case]) -> list[str]:
        """The cases' own states, and the journey log and the quota against them:
        ``cases`` is every case (with tables) or every open case (without, a closed case
        is let go: the model finds the open ones through their households)."""
        bad, q = [], self.quota
        if len(cases) != (len(self.record) if self.tables else self.open):
            bad.append(f"{len(cases)} cases reachable, {len(self.record)} recorded, "
                       f"{self.open} open")
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
        horizon, j = self.horizon, self.journey
        for i in range(len(j) if self.tables else 0):
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
        return bad


Component.register(CaseFlow)  # a component, though (compiled) a C type cannot subclass one
