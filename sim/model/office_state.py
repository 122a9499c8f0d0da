"""An office's state and decisions: the base of the Mesa agent :class:`sim.model.agents.Office`.

Compiled (sim/_compiled.py), this is a C type (``office_state.pxd``) and ``Office`` a Mesa
agent that derives from it and from :class:`sim._mesa.Agent`, so an office is still a
``mesa.Agent``. Each stage's decision is here (:meth:`OfficeState.judge`), by stage: the
Python subclasses of ``Office`` name their stage and do not override the methods below.
"""

from __future__ import annotations

from typing import Any

from sim.engine.desk import DeskClient, ServiceDesk
from sim.engine.events import EventQueue
from sim.engine.fields import slots
from sim.engine.streams import KeyedDraws
from sim.engine.worktime import WorkCalendar
from sim.model.coordination import DOWNSTREAM


class ServiceTimes:
    """Service times in working days at the offices of one type: ``mean`` times a
    unit-mean draw (or ``mean`` itself when ``fixed``). A first pass takes the household's
    next visit draws (kept on the case for the decision), a re-check only a time. The
    offices of a type share one (a city has thousands of RTs)."""

    __slots__ = slots(__file__, "ServiceTimes")  # the fields: office_state.pxd

    def __init__(self, mean: float, fixed: bool, visit: KeyedDraws, recheck: KeyedDraws):
        self.mean = mean
        self.fixed = fixed
        self.visit = visit
        self.recheck = recheck

    def time(self, case: Any) -> float:
        idx = case.hidx
        if case.verifying:
            return self.mean if self.fixed else self.mean * self.recheck.draw(idx)
        visit = self.visit  # the group (time, rework, judge), read without a new array
        u = visit.take(idx)
        case.u_rework, case.u_judge = visit.value(1), visit.value(2)
        return self.mean if self.fixed else self.mean * u


class OfficeState(DeskClient):
    """An office with a work queue, staff, service times and a calendar: its desk's client.

    ``flow`` is what its decisions set in motion (:class:`sim.model.pathways.CaseFlow`),
    ``rules`` the barriers at its desk (:class:`sim.model.coordination.CoordinationRules`).
    """

    __slots__ = slots(__file__, "OfficeState")  # the fields: office_state.pxd (a C type)

    stage = "office"

    def __init__(self, name: str, calendar: WorkCalendar, servers: int,
                 service: ServiceTimes, flow: Any, rules: Any, events: EventQueue):
        self.name = name
        self.calendar = calendar
        self.flow = flow
        self.rules = rules
        self.stage_key = self.stage  # the subclass's stage, read as a field
        self.screens = self.stage == "dinsos"  # eligibility and the DTKS (Dinas Sosial)
        self.downstream = self.stage in DOWNSTREAM  # may judge otherwise (beliefs)
        self.cherry_pick = rules.queue_key(self.stage, 0.0, True)  # complex cases' handicap
        self.service = service
        self.journey = flow.journey
        self.desk = ServiceDesk(name, servers, calendar, events, self)
        self.staff = servers
        self.surge_staff = 0  # extra servers during a backlog (set by set_surge)
        self.surge_queue = float("inf")  # queue length that starts a surge
        self.surges = 0

    def set_surge(self, backlog_days: float, extra_share: float, mean_service: float) -> None:
        """Answer a backlog as offices do: when more than ``backlog_days`` working days of
        work per regular staff member are queued, add ``floor(staff * extra_share)``
        servers (overtime, batch sessions, borrowed staff); drop them when it clears."""
        self.surge_staff = int(self.staff * extra_share)
        self.surge_queue = backlog_days * self.staff / max(mean_service, 1e-9)

    def adapt(self) -> None:
        """Staff the desk for its backlog (never below the servers now busy)."""
        desk = self.desk
        surge = len(desk.queue) > self.surge_queue
        if surge and desk.servers < self.staff + self.surge_staff:
            self.surges += 1
        desk.servers = max(self.staff + (self.surge_staff if surge else 0), desk.busy)

    def receive(self, case: Any, t: float) -> None:
        """A case joins this office's queue (complex cases later under cherry-picking)."""
        if self.surge_staff:
            self.adapt()
        w = self.calendar.to_work(t)
        self.desk.arrive(case, t, w + self.cherry_pick if case.complex_case else w)

    # ------------------------------------------------ its desk's client (DeskClient)
    # (c: the case as a C type when compiled, office_state.pxd)
    def service_time(self, case: Any) -> float:
        return self.service.time(case)

    def start(self, case: Any, t: float) -> bool:
        """Serve the case unless its household has gone meanwhile."""
        c = case
        if c.household.status == "gone":
            return self.flow.still_wanted(c, t)  # closes the case
        return True

    def serve(self, case: Any, t_start: float, t_end: float) -> None:
        self.journey.serve_case(case, t_start, t_end)

    def decide(self, case: Any, t: float) -> None:
        """Approve, or return for missing documents. A re-check after a verification round
        only approves; a first pass decides with the numbers drawn with its service."""
        c = case
        if self.surge_staff:
            self.adapt()  # the desk re-staffs before it takes its next case
        if c.verifying:
            self.flow.approve(c, t)
            return
        self.judge(c, t, c.u_rework, c.u_judge)

    def judge(self, case: Any, t: float, u_rework: float, u_judge: float) -> None:
        """A first pass's decision. Dinas Sosial checks eligibility and the DTKS first; a
        downstream agency (Dinas Kesehatan, BPJS) may reject what upstream approved (the
        beliefs barrier). Then any office may return the case for missing documents."""
        flow = self.flow
        if self.screens:
            hh = case.household
            if not hh.eligible:
                flow.reject(case, t, "ineligible")
                return
            if u_judge < flow.p_mismatch:
                flow.reject(case, t, "dtks_mismatch")
                return
            if not hh.in_dtks:
                flow.wait_for_dtks(case, t)
                return
        elif self.downstream and self.rules.diverges(self.stage_key, u_judge):
            flow.reject(case, t, "divergent_judgement")
            return
        if u_rework < flow.rework_prob[self.stage_key]:
            flow.rework(case, t)
        else:
            flow.approve(case, t)
