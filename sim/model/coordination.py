"""What coordination does: Peters' seven barriers and three mechanisms, in one place.

B. Guy Peters (2018), "The challenge of policy coordination", Policy Design and
Practice 1(1), as used by the thesis (section 1.5.1; docs/sources.md#coordination-theory). Every
barrier is a level in [0, 1] (0 = absent). They act only where a case crosses from
one agency to another (Lurah/Camat -> Dinas Sosial -> Dinas Kesehatan -> BPJS), and on
those agencies' own desks. Each effect below names its direction and quotes the seed.

Barriers (all *raise* days to card or losses as they rise):

- specialization -- "silo dimana departemen bekerja secara mandiri": a data-format or
  criteria mismatch bounces the case back to the sending office, which must process it
  again (chance ``bounce_max * specialization``). On the manual pathway the citizen must
  go back there in person; a second pass also faces that office's checks again.
- power -- "mendominasi proses pengambilan keputusan": the hand-off waits for the
  dominant agency's sign-off (chance ``escalation_max * power``, mean
  ``escalation_days`` working days).
- performance_management -- "lebih terfokus pada pencapaian target mereka sendiri":
  agencies favour easy cases (a complex case queues as if it had arrived
  ``cherry_pick_days * level`` working days later) and hold outgoing hand-offs until the weekly report
  (Friday) with chance ``report_hold_max * level``.
- turf -- "mempertahankan anggaran, personel": agencies withhold staff time, so each
  agency service takes ``1 / (1 - turf_capacity_loss * turf)`` times longer.
- beliefs -- "pandangan yang sangat berbeda": the downstream agency (Dinas Kesehatan,
  BPJS) rejects a case upstream approved (chance ``divergence_max * beliefs``).
- politics -- "kepentingan politik yang berlainan": hand-offs freeze for
  ``freeze_days * politics`` days before each election and before each new fiscal year.
- accountability -- "khawatir kehilangan kontrol atau akuntabilitas": the sending agency
  runs an extra verification round before it lets go (chance ``verification_max * level``):
  it waits for letters and sign-offs (mean ``verification_days`` working days), then
  checks the case again, which uses its staff time.

Mechanisms (scenario switches):

- hierarchy (Tim Koordinasi JKN Daerah, "menetapkan kebijakan, mengoordinasikan ...
  pertemuan review dan evaluasi secara berkala"): its directives scale power and politics
  by ``1 - strength``; its review meetings escalate cases stalled longer than
  ``stall_days`` and release held hand-offs. It is not a case gate: only the what-if
  ``approval_sittings = true`` makes submissions to BPJS wait for a sitting (every
  ``approval_interval_days``); the seed gives the Tim no such role.
- network ("hubungan baik formal maupun informal"): office-to-office hand-off latency is
  cut by ``strength`` and that share of format bounces is settled by a phone call.
- collaboration ("pemahaman yang seragam"; a shared database and joint verification):
  specialization bounces, belief divergence, DTKS data mismatches and extra verification
  are all scaled by ``1 - strength``.

When coordination evolves (``relations.enabled``), the chances of a bounce, a sign-off
wait, a report hold, a verification round and a downstream rejection on a hand-off between
two agencies are further scaled by that pair's working trust (:mod:`sim.model.relations`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from sim.engine.fields import slots
from sim.engine.worktime import Clock, WorkCalendar
from sim.scenario import Scenario
from sim.scenario.offices import AGENCIES

DOWNSTREAM = ("dinkes", "bpjs")  # agencies that receive what another agency approved
UPSTREAM = {"dinkes": "dinsos", "bpjs": "dinkes"}  # who approved what they judge
# A hand-off's draws: uniforms for verify, hold, escalate, bounce and settle; unit
# exponentials for the latency and the sign-off wait.
HANDOFF_DRAWS = ("uniform",) * 5 + ("exponential",) * 2


class PairTrust(Protocol):
    """Working trust between agency pairs, when coordination evolves
    (:class:`sim.model.relations.Relations`): how strongly the barriers bite on a pair's
    hand-off, and what each hand-off, bounce or blame does to the pair."""

    def factor(self, src: str, dst: str) -> float: ...
    def hold_factor(self, src: str) -> float: ...
    def handed_off(self, src: str, dst: str, bounced: bool) -> None: ...
    def blamed(self, stage: str, upstream: str | None = None) -> None: ...


class CoordinationRules:
    """Effective barrier levels and their effects for one scenario; with ``relations``,
    each agency pair's working trust scales the barriers on its hand-offs."""

    __slots__ = slots(__file__, "CoordinationRules")  # the fields: coordination.pxd (a C type)

    def __init__(self, scenario: Scenario, clock: Clock, relations: PairTrust | None = None):
        b, c = scenario.barriers, scenario.coordination
        self.c = c
        self.clock = clock
        hier = c.hierarchy.strength if c.hierarchy.enabled else 0.0
        self.network = c.network.strength if c.network.enabled else 0.0
        self.collab = c.collaboration.strength if c.collaboration.enabled else 0.0
        self.hierarchy = c.hierarchy.enabled
        # the Tim's approval sitting is a case gate only in the what-if that switches it on
        self.approval_gate = c.hierarchy.enabled and c.hierarchy.approval_sittings
        self.p_bounce = b.specialization * c.bounce_max * (1 - self.collab)
        self.p_escalate = b.power * (1 - hier) * c.escalation_max
        self.p_report_hold = b.performance_management * c.report_hold_max
        self.cherry_pick = b.performance_management * c.cherry_pick_days
        self.turf_multiplier = 1.0 / (1.0 - b.turf * c.turf_capacity_loss)
        self.p_diverge = b.beliefs * c.divergence_max * (1 - self.collab)
        self.p_verify = b.accountability * c.verification_max * (1 - self.collab)
        self.mismatch_factor = 1 - self.collab
        self.escalation_days = c.escalation_days  # mean sign-off wait, working days
        freeze = int(round(b.politics * (1 - hier) * c.freeze_days))
        self.freezes = self._freeze_windows(freeze, c.election_dates)
        # working trust between agency pairs (sim.model.relations); None = fixed dials
        self.relations = relations

    def _freeze_windows(self, days: int, elections: tuple[dt.date, ...]) -> list[tuple[float, float]]:
        if days <= 0:
            return []
        clock = self.clock
        ends = [clock.t(d) for d in elections]
        ends += [clock.t(dt.date(y, 1, 1)) for y in range(clock.start.year + 1,
                                                           clock.date(clock.span).year + 1)]
        return sorted((e - days, e) for e in ends)

    # --------------------------------------------------------------- desks
    def service_multiplier(self, stage: str) -> float:
        return self.turf_multiplier if stage in AGENCIES else 1.0

    def queue_key(self, stage: str, work_time: float, complex_case: bool) -> float:
        if stage in AGENCIES and complex_case:
            return work_time + self.cherry_pick
        return work_time

    def diverges(self, stage: str, u: float) -> bool:
        """Downstream agency rejects what upstream approved (beliefs), given the decision's
        uniform draw ``u``."""
        if stage not in DOWNSTREAM:
            return False
        if self.relations is None:
            return u < self.p_diverge
        return u < self.p_diverge * self.relations.factor(UPSTREAM[stage], stage)

    # ------------------------------------------------------------ hand-offs
    def handoff(self, src: str, dst: str, t: float, mean: float, cal: WorkCalendar,
                carried: bool, u: Sequence[float]) -> tuple[float, bool, bool, bool]:
        """Decide latency, holds, bounce and verification for a hand-off from src to dst.

        Returns ``(arrive, bounce, verify, held)``: the clock time the case reaches the
        receiver; whether it is returned to the sender for a format or criteria mismatch;
        whether the sender first runs an extra verification round; whether it waited on a
        sign-off, the report day or a freeze (a hold the hierarchy can release).

        ``mean`` is the mean latency in working days (electronic, paper, or the citizen's
        own travel gap when ``carried``). ``u`` holds the hand-off's seven draws (see
        ``HANDOFF_DRAWS``): the same seven whatever the barrier levels, so common random
        numbers hold across scenarios.
        """
        u_verify, u_hold, u_escalate, u_bounce, u_settle = u[0], u[1], u[2], u[3], u[4]
        e_latency, e_escalation = u[5], u[6]
        latency = e_latency * mean
        escalation = e_escalation * self.escalation_days
        if not carried:
            latency *= 1 - self.network  # informal ties speed office-to-office hand-offs
        if dst not in AGENCIES:
            return cal.add(t, latency), False, False, False
        p_verify, p_hold = self.p_verify, self.p_report_hold
        p_escalate, p_bounce = self.p_escalate, self.p_bounce
        if self.relations is not None:  # the pair's working trust scales the barriers
            f = self.relations.factor(src, dst)
            p_verify, p_escalate, p_bounce = p_verify * f, p_escalate * f, p_bounce * f
            p_hold *= f * self.relations.hold_factor(src)
        verify = u_verify < p_verify
        held = False
        if u_hold < p_hold:
            t = self._next_friday(t)
            held = True
        if u_escalate < p_escalate:
            latency += escalation
            held = True
        bounce = u_bounce < p_bounce
        if bounce and u_settle < self.network:
            bounce, latency = False, latency + 1.0  # settled informally by phone
        arrive = cal.add(t, latency)
        thawed = self._after_freeze(arrive)
        return thawed, bounce, verify, held or thawed > arrive

    def _next_friday(self, t: float) -> float:
        wd = self.clock.weekday(t)
        return max(t, float(int(t) + (4 - wd) % 7))  # on a Friday it goes the same day

    def _after_freeze(self, t: float) -> float:
        for lo, hi in self.freezes:
            if lo <= t < hi:
                return hi
            if lo > t:
                break
        return t

    # ------------------------------------------------------------ hierarchy
    def review_times(self) -> list[float]:
        if not self.hierarchy:
            return []
        step = self.c.hierarchy.review_interval_days
        return [float(k) for k in range(step, self.clock.horizon, step)]

    def next_sitting(self, t: float) -> float:
        """The day of the Tim's next approval sitting after day t (the approval layer);
        sittings fall every ``approval_interval_days`` calendar days."""
        step = self.c.hierarchy.approval_interval_days
        return float((int(t) // step + 1) * step)
