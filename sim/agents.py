"""Mesa agents: households (KK) in RTs, and the offices a case passes through.

Households hear of Jambi Bugar, decide to apply, and leave the eligible pool
(death, moving, central PBI-JK, rising income, re-verification). Offices serve
cases at a :class:`~sim.engine.desk.ServiceDesk` and decide: approve, return for
missing documents (rework) or reject. What happens between offices lives in
:mod:`sim.pathways` (the route) and :mod:`sim.coordination` (the barriers).
Agents act only when an event reaches them: an idle agent costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from sim.engine.worktime import WorkCalendar
from sim.engine.desk import ServiceDesk

if TYPE_CHECKING:
    from sim.model import JambiBugarModel
    from sim.pathways import Case

SEGMENTS = ("poor_household", "institutional", "homeless_neglected", "mental_disorder")


class Household(mesa.Agent):
    """A family (KK) with its members, living in one RT; or an institution's roster."""

    model: JambiBugarModel

    def __init__(self, model: JambiBugarModel, rt: int, segment: str, members: int,
                 eligible: bool, has_docs: bool, in_dtks: bool, cost_factor: float,
                 patience: float):
        super().__init__(model)
        self.rt = rt
        self.segment = segment
        self.members = members
        self.eligible = eligible
        self.has_docs = has_docs
        self.in_dtks = in_dtks
        self.cost_factor = cost_factor  # distance multiplier on trip costs
        self.patience = patience
        self.aware = False
        self.status = "uninsured"  # uninsured | enrolled | gone
        self.exit_reason = ""
        self.case: Case | None = None
        self.exit_gen = 0

    @property
    def referred(self) -> bool:
        """Enrolled through Dinas Sosial (institution or outreach), not through the RT head."""
        return self.segment != "poor_household"

    def hear(self, t: float) -> None:
        """Learn of the programme (campaign, word of mouth, media)."""
        if self.aware or self.status != "uninsured":
            return
        self.model.tally(self, -1)
        self.aware = True
        self.model.tally(self, +1)
        self.consider(t)

    def consider(self, t: float) -> None:
        """Decide whether to apply now, or to think again later."""
        m = self.model
        if self.status != "uninsured" or self.case is not None:
            return
        beh = m.scenario.behaviour
        rng = m.streams["apply"]
        p = 1.0 if self.referred else (
            beh.apply_prob_online if m.pathway_at(t) == "online" else beh.apply_prob_manual)
        if rng.random() < p:
            m.events.schedule(t + rng.exponential(beh.apply_delay_days), self.apply)
        else:
            m.events.schedule(t + rng.exponential(beh.reconsider_days), self.reconsider)

    def reconsider(self, t: float) -> None:
        if self.case is None and self.status == "uninsured":
            self.consider(t)

    def apply(self, t: float) -> None:
        """Open a case (the first visit to the RT head, or a referral to Dinas Sosial)."""
        if self.status == "uninsured" and self.case is None:
            self.model.flow.start(self, t)

    def enroll(self, t: float) -> None:
        """The BPJS card is active: count the members, tell the neighbours."""
        m = self.model
        m.tally(self, -1)
        self.status = "enrolled"
        m.tally(self, +1)
        m.tell_neighbours(self, t)

    def leave(self, t: float, reason: str) -> None:
        """Leave the programme's population for good (moved, central PBI, not poor, ...)."""
        if self.status == "gone":
            return
        m = self.model
        m.tally(self, -1)
        self.status, self.exit_reason = "gone", reason
        m.tally(self, +1)
        m.release_quota(t)

    def lose_member(self, t: float) -> None:
        """One member dies; the household leaves when none remain."""
        m = self.model
        m.tally(self, -1)
        self.members -= 1
        m.tally(self, +1)
        if self.members <= 0:
            self.leave(t, "death")
        else:
            m.release_quota(t)

    def deactivate(self, t: float, still_eligible: bool) -> None:
        """Re-verification removes the household from the membership."""
        m = self.model
        m.tally(self, -1)
        self.status = "uninsured"
        self.eligible = self.eligible and still_eligible
        m.tally(self, +1)
        if not still_eligible:
            self.leave(t, "reverified_out")
            return
        m.release_quota(t)
        rng = m.streams["reapply"]
        if rng.random() < m.scenario.behaviour.reapply_prob:
            m.events.schedule(t + rng.exponential(m.scenario.behaviour.apply_delay_days),
                              self.apply)


class Office(mesa.Agent):
    """An office with a work queue, staff, a service-time distribution and a calendar."""

    stage = "office"
    model: JambiBugarModel

    def __init__(self, model: JambiBugarModel, name: str, calendar: WorkCalendar,
                 servers: int, sample: Any):
        super().__init__(model)
        self.name = name
        self.calendar = calendar
        self.desk = ServiceDesk(name, servers, calendar, model.events, sample,
                                on_done=self.decide, on_start=self.start)

    def receive(self, case: Case, t: float) -> None:
        """A case joins this office's queue."""
        key = self.model.rules.queue_key(self.stage, self.calendar.to_work(t), case.complex)
        self.desk.arrive(case, t, key)

    def start(self, case: Case, t: float) -> bool:
        """Serve the case unless its household has gone meanwhile."""
        return self.model.flow.still_wanted(case, t)

    def decide(self, case: Case, t: float) -> None:
        """Approve, or return for missing documents."""
        flow = self.model.flow
        if case.verifying or not flow.draw_rework(self.stage):
            flow.approve(case, t)
        else:
            flow.rework(case, t)


class RTHead(Office):
    """Ketua RT: cover letter (manual) or KK/KTP check and recommendation (online)."""

    stage = "rt"


class Lurah(Office):
    """Lurah office: SKTM (manual) or online entry of the case (online)."""

    stage = "lurah"


class Camat(Office):
    """Camat office: endorses the SKTM (manual pathway only)."""

    stage = "camat"


class DinasSosial(Office):
    """Social Services: eligibility and DTKS check, recommendation."""

    stage = "dinsos"

    def decide(self, case: Case, t: float) -> None:
        flow = self.model.flow
        hh = case.household
        if case.verifying:
            flow.approve(case, t)
        elif not hh.eligible:
            flow.reject(case, t, "ineligible")
        elif flow.draw_mismatch():
            flow.reject(case, t, "dtks_mismatch")
        elif not hh.in_dtks:
            flow.wait_for_dtks(case, t)
        else:
            super().decide(case, t)


class DownstreamAgency(Office):
    """An agency that receives cases another agency approved, and may judge them otherwise
    (the beliefs barrier)."""

    def decide(self, case: Case, t: float) -> None:
        if not case.verifying and self.model.rules.diverges(self.stage):
            self.model.flow.reject(case, t, "divergent_judgement")
        else:
            super().decide(case, t)


class DinasKesehatan(DownstreamAgency):
    """Health Office: validates and submits the registration to BPJS."""

    stage = "dinkes"


class BPJSKesehatan(DownstreamAgency):
    """BPJS Kesehatan Cabang Jambi: registers and activates at the monthly cut-off."""

    stage = "bpjs"


class TimKoordinasi(Office):
    """The mayor's Tim Koordinasi JKN Daerah: approval sittings and periodic reviews."""

    stage = "tim"

    def review(self, t: float) -> None:
        """Review meeting: escalate stalled cases at the agencies, release held hand-offs."""
        m = self.model
        stall = m.scenario.coordination.hierarchy.stall_days
        for office in m.agencies.values():
            m.escalated += office.desk.promote(t, stall)
        m.escalated += m.flow.release_holds(t, stall)
