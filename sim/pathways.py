"""The two enrollment pathways and the life of a case, as a chain of hand-offs.

Manual (before the website; DOMAIN.md "The two pathways"): the citizen goes in person
to the RT head, the Lurah (SKTM), the Camat (SKTM endorsement), Dinas Sosial
(recommendation, DTKS check) and Dinas Kesehatan (registration); Dinas Kesehatan sends
the registration to BPJS on paper; BPJS activates at the next monthly cut-off.

Online (Perwal Jambi No. 3/2021): the citizen visits only the RT head with KK and KTP;
the RT head recommends to the Lurah, who enters the case online; Dinas Sosial verifies;
Dinas Kesehatan validates and forwards; BPJS activates. Hand-offs are electronic.

Referred segments (institutional residents, homeless and neglected people, people with a
mental disorder) enter at Dinas Sosial and make no visits; an institution's case carries
its whole roster (bulk enrollment).

Every case ends in exactly one terminal state (enrolled, rejected, abandoned) or is
still in process at the end; ``where`` always says where an open case is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.agents import Household, Office

if TYPE_CHECKING:
    from sim.model import JambiBugarModel

ROUTES = {
    "manual": ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs"),
    "online": ("rt", "lurah", "dinsos", "dinkes", "bpjs"),
    "referral": ("dinsos", "dinkes", "bpjs"),
}
# Offices the citizen visits in person, by pathway.
VISITED = {"manual": frozenset({"rt", "lurah", "camat", "dinsos", "dinkes"}),
           "online": frozenset({"rt"}), "referral": frozenset()}
STAGES = ("docs", "rt", "lurah", "camat", "dinsos", "dinkes", "tim", "quota", "bpjs",
          "activation")
# Where an open case can be.
PLACES = ("docs", "queue", "transit", "citizen", "dtks", "tim", "quota", "activation")
OUTCOMES = ("enrolled", "rejected", "abandoned")


class Case:
    """One application of one household, from the first step to its outcome."""

    __slots__ = ("id", "household", "pathway", "mode", "route", "idx", "t_applied", "members",
                 "visits", "cost", "tolerance", "stage_in", "stage_out", "outcome",
                 "t_outcome", "outcome_stage", "reason", "where", "token", "complex",
                 "verifying", "verified", "reworks", "bounces", "verifications", "held_since",
                 "admitted", "offices")

    def __init__(self, cid: int, hh: Household, pathway: str, mode: str, t: float,
                 tolerance: float):
        self.id = cid
        self.household = hh
        self.pathway = pathway  # manual | online (pathway in force when applying)
        self.mode = mode  # manual | online | referral (the route taken)
        self.route = ROUTES[mode]
        self.idx = 0
        self.t_applied = t
        self.members = hh.members
        self.visits = 0
        self.cost = 0.0
        self.tolerance = tolerance
        self.stage_in: dict[str, float] = {}
        self.stage_out: dict[str, float] = {}
        self.outcome: str | None = None
        self.t_outcome = float("nan")
        self.outcome_stage = ""
        self.reason = ""
        self.where = ""
        self.token = 0
        self.complex = hh.referred or not hh.in_dtks
        self.verifying = False
        self.verified = -1
        self.reworks = 0
        self.bounces = 0
        self.verifications = 0
        self.held_since = float("nan")
        self.admitted = False  # counted against the quota, not yet closed
        self.offices: dict[str, Office] = {}  # the office serving each stage of the route

    @property
    def stage(self) -> str:
        return self.route[self.idx]


class CaseFlow:
    """Moves cases along their route; the only place that changes a case's state."""

    def __init__(self, model: JambiBugarModel):
        self.m = model
        self.cases: list[Case] = []
        self.open = 0
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.where = dict.fromkeys(PLACES, 0)
        self.dropout: dict[str, int] = {}
        self.handoffs = 0
        self.held: dict[int, Case] = {}
        self.quota_wait: list[Case] = []
        self._admitting = False

    # ---------------------------------------------------------------- helpers
    def _move(self, case: Case, where: str) -> None:
        if case.where:
            self.where[case.where] -= 1
        case.where = where
        if where:
            self.where[where] += 1

    def log(self, t: float, event: str, case: Case, detail: str = "") -> None:
        if self.m.trace is not None:
            self.m.trace.append((round(t, 6), event, case.id, case.stage, detail))

    def _enter(self, case: Case, stage: str, t: float) -> None:
        case.stage_in.setdefault(stage, t)

    def _leave(self, case: Case, stage: str, t: float) -> None:
        case.stage_out[stage] = t

    def office(self, case: Case, stage: str | None = None) -> Office:
        return case.offices[stage or case.route[case.idx]]

    def still_wanted(self, case: Case, t: float) -> bool:
        """False (and the case is closed) if the household has gone."""
        if case.household.status == "gone":
            self.close(case, t, "abandoned", "household_left")
            return False
        return True

    # ---------------------------------------------------------------- opening
    def start(self, hh: Household, t: float) -> None:
        """Open a case: first a Dukcapil trip if the KK/KTP is missing, then the route."""
        m = self.m
        pathway = m.pathway_at(t)
        mode = "referral" if hh.referred else pathway
        tol = hh.patience * m.streams["dropout"].exponential(1.0)
        case = Case(len(self.cases) + 1, hh, pathway, mode, t, tol)
        case.offices = {s: m.office_for(hh, s, t) for s in case.route + ("rt",)}
        self.cases.append(case)
        hh.case = case
        self.open += 1
        self.log(t, "apply", case, mode)
        if hh.has_docs:
            self.go(t, case)
            return
        if mode != "referral" and self.gives_up(case, t, m.trip_cost(hh, "docs"), "docs"):
            return
        self._enter(case, "docs", t)
        self._move(case, "docs")
        m.events.schedule(t + m.streams["rework"].exponential(m.scenario.behaviour.docs_days),
                          self._docs_ready, case)

    def _docs_ready(self, t: float, case: Case) -> None:
        case.household.has_docs = True
        self._leave(case, "docs", t)
        self.go(t, case)

    # ----------------------------------------------------------------- moving
    def go(self, t: float, case: Case) -> None:
        """The case reaches its current stage; the citizen goes in person where required."""
        if not self.still_wanted(case, t):
            return
        stage = case.stage
        if stage in VISITED[case.mode] and self.gives_up(
                case, t, self.m.trip_cost(case.household, stage), stage):
            return
        self._enter(case, stage, t)
        self._move(case, "queue")
        self.log(t, "arrive", case)
        self.office(case).receive(case, t)

    def gives_up(self, case: Case, t: float, trip_cost: float, stage: str) -> bool:
        """A decision point before a visit: abandon if the burden exceeds the tolerance;
        otherwise make the visit (one more trip, its cost and a day)."""
        beh = self.m.scenario.behaviour
        burden = (beh.burden_per_wait_day * (t - case.t_applied)
                  + beh.burden_per_visit * (case.visits + 1)
                  + beh.burden_per_100k_idr * (case.cost + trip_cost) / 1e5)
        if burden > case.tolerance:
            self.close(case, t, "abandoned", "burden", stage)
            return True
        case.visits += 1
        case.cost += trip_cost
        return False

    def draw_rework(self, stage: str) -> bool:
        """Returned for missing documents? One draw per decision, whatever the chance."""
        return self.m.streams["rework"].random() < self.m.office_params[stage].rework_prob

    def draw_mismatch(self) -> bool:
        p = self.m.scenario.batches.dtks_mismatch_prob * self.m.rules.mismatch_factor
        return self.m.streams["mismatch"].random() < p

    # -------------------------------------------------------------- decisions
    def approve(self, case: Case, t: float) -> None:
        """The office lets the case go: to the next office, or to activation."""
        stage = case.stage
        self.log(t, "approve", case)
        if case.verifying:
            case.verifying = False
        if stage == "bpjs":
            self._leave(case, stage, t)
            self._move(case, "activation")
            self.m.events.schedule(self.m.activation_time(t), self._activate, case)
            return
        nxt = case.route[case.idx + 1]
        carried = nxt in VISITED[case.mode]
        beh, coord = self.m.scenario.behaviour, self.m.scenario.coordination
        mean = beh.travel_gap_days if carried else (
            coord.handoff_days_paper if case.pathway == "manual" else coord.handoff_days_online)
        h = self.m.rules.handoff(stage, nxt, t, mean, self.office(case).calendar, carried)
        if h.verify and case.verified != case.idx:
            self._verification_round(case, t)
            return
        self._leave(case, stage, t)
        self._move(case, "transit")
        self.handoffs += 1
        if h.bounce:
            case.bounces += 1
        else:
            case.idx += 1
        if h.held:
            self.held[case.id] = case
            case.held_since = t
        self.log(t, "handoff", case, f"{stage}->{nxt}" + (" bounce" if h.bounce else ""))
        self.m.events.schedule(h.arrive, self._arrive, case, case.token)

    def _verification_round(self, case: Case, t: float) -> None:
        """Accountability: the sender collects letters and sign-offs, then re-checks."""
        case.verified, case.verifying = case.idx, True
        case.verifications += 1
        self._move(case, "transit")
        self.log(t, "verify", case)
        office = self.office(case)
        wait = self.m.streams["rework"].exponential(1.0) * \
            self.m.scenario.coordination.verification_days
        self.m.events.schedule(office.calendar.add(t, wait), self._recheck, case)

    def _recheck(self, t: float, case: Case) -> None:
        if self.still_wanted(case, t):
            self._move(case, "queue")
            self.office(case).receive(case, t)

    def _arrive(self, t: float, case: Case, token: int) -> None:
        if token != case.token or case.outcome is not None:
            return  # superseded by a release at a review meeting
        self.held.pop(case.id, None)
        if case.stage == "bpjs" and "quota" not in case.stage_out:
            self.submit(t, case)
        else:
            self.go(t, case)

    def release_holds(self, t: float, stall_days: float) -> int:
        """Hierarchy: held hand-offs older than ``stall_days`` arrive now."""
        released = [c for c in self.held.values() if t - c.held_since > stall_days]
        for case in released:
            case.token += 1
            self.held.pop(case.id)
            self.m.events.schedule(t, self._arrive, case, case.token)
        return len(released)

    def rework(self, case: Case, t: float) -> None:
        """Returned for missing documents: the citizen must bring them (a visit)."""
        m = self.m
        case.reworks += 1
        self._move(case, "citizen")
        self.log(t, "rework", case)
        delay = m.streams["rework"].exponential(m.scenario.behaviour.rework_days)
        m.events.schedule(t + delay, self._reworked, case)

    def _reworked(self, t: float, case: Case) -> None:
        if not self.still_wanted(case, t):
            return
        stage = case.stage
        if case.mode == "online" and stage not in VISITED["online"]:
            # the citizen brings the documents to the RT head, who re-sends them online
            if self.gives_up(case, t, self.m.trip_cost(case.household, "rt"), stage):
                return
            lat = self.m.scenario.coordination.handoff_days_online
            cal = self.office(case, "rt").calendar
            self._move(case, "transit")
            arrive = cal.add(t, self.m.streams["rework"].exponential(1.0) * lat)
            self.m.events.schedule(arrive, self._arrive, case, case.token)
            return
        self.go(t, case)

    def reject(self, case: Case, t: float, reason: str) -> None:
        self._leave(case, case.stage, t)
        self.close(case, t, "rejected", reason)
        hh = case.household
        if reason in ("dtks_mismatch", "divergent_judgement") and hh.eligible:
            rng = self.m.streams["reapply"]
            if rng.random() < self.m.scenario.behaviour.reapply_prob:
                beh = self.m.scenario.behaviour
                self.m.events.schedule(t + rng.exponential(beh.reconsider_days), hh.apply)

    # ------------------------------------------------------- batches and quota
    def wait_for_dtks(self, case: Case, t: float) -> None:
        """Not in the DTKS yet: proposed, and waits for the next DTKS fixing date."""
        self._move(case, "dtks")
        self.log(t, "dtks_wait", case)
        self.m.events.schedule(self.m.next_dtks(t), self._dtks_fixed, case)

    def _dtks_fixed(self, t: float, case: Case) -> None:
        case.household.in_dtks = True
        if not self.still_wanted(case, t):
            return
        case.verifying = True  # checks done: the recommendation can be issued
        self._move(case, "queue")
        self.office(case).receive(case, t)

    def submit(self, t: float, case: Case) -> None:
        """Dinas Kesehatan's submission to BPJS: Tim approval (hierarchy), then the quota."""
        if not self.still_wanted(case, t):
            return
        if self.m.rules.hierarchy:
            self._enter(case, "tim", t)
            self._move(case, "tim")
            self.m.events.schedule(self.m.rules.next_sitting(t), self._approved_by_tim, case)
        else:
            self._queue_for_quota(t, case)

    def _approved_by_tim(self, t: float, case: Case) -> None:
        self._leave(case, "tim", t)
        if self.still_wanted(case, t):
            self._queue_for_quota(t, case)

    def _queue_for_quota(self, t: float, case: Case) -> None:
        self._enter(case, "quota", t)
        self._move(case, "quota")
        self.quota_wait.append(case)
        self.admit(t)

    def admit(self, t: float) -> None:
        """Send waiting cases to BPJS, first come first served, while the quota allows."""
        if self._admitting:
            return
        self._admitting = True
        try:
            self._admit(t)
        finally:
            self._admitting = False

    def _admit(self, t: float) -> None:
        m = self.m
        q = self.quota_wait
        while q:
            case = q[0]
            if case.household.status == "gone":
                q.pop(0)
                self.close(case, t, "abandoned", "household_left")
                continue
            if not m.quota_allows(case.members, t):
                break
            q.pop(0)
            m.pending_members += case.members
            case.admitted = True
            self._leave(case, "quota", t)
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
            stage = case.stage if outcome != "enrolled" else "activation"
            if outcome == "abandoned" and case.where in ("docs", "activation", "quota", "tim"):
                stage = case.where
        self._move(case, "")
        case.outcome, case.t_outcome, case.outcome_stage, case.reason = outcome, t, stage, reason
        self.counts[outcome] += 1
        self.open -= 1
        if outcome == "abandoned" and reason == "burden":
            self.dropout[stage] = self.dropout.get(stage, 0) + 1
            # the household may try again later, e.g. once the website is open
            self.m.events.schedule(
                t + self.m.streams["reapply"].exponential(
                    self.m.scenario.behaviour.reconsider_days), case.household.reconsider)
        case.household.case = None
        self.held.pop(case.id, None)
        self.log(t, outcome, case, reason)
        if case.admitted:
            case.admitted = False
            self.m.pending_members -= case.members
            self.m.release_quota(t)
