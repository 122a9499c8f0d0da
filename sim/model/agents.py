"""Mesa agents: households (KK) in RTs, and the offices a case passes through.

Agents hold their state and make their own decisions; what a decision sets in motion is
the job of the component the agent was given:

* a :class:`Household` hears of Jambi Bugar, decides whether to apply, enrolls and leaves
  through its ``life`` (the :class:`~sim.model.population.Population` that made it);
* an :class:`Office` serves cases at a :class:`~sim.engine.desk.ServiceDesk` and decides
  (approve, return for missing documents, reject) through its ``flow`` (the
  :class:`~sim.model.pathways.CaseFlow`), which moves the case on.

Agents act only when an event reaches them: an idle agent costs nothing. Each decision
reads its random number from keyed draws (``sim.engine.streams.KeyedDraws``): the n-th
decision of a kind for a household is the same in every scenario run under one seed.
"""

from __future__ import annotations

from typing import Any, Protocol

from sim._mesa import Agent, mesa
from sim.engine.events import LATE, EventQueue
from sim.engine.fields import slots
from sim.engine.worktime import WorkCalendar
from sim.model.component import Component
from sim.model.office_state import OfficeState, ServiceTimes

SEGMENTS = ("poor_household", "institutional", "homeless_neglected", "mental_disorder")


# Who the agents call: each protocol is what one collaborator must answer, and names the
# class that does (the agents do not import them: those classes build the agents).
class Life(Protocol):
    """What a household's decisions set in motion (:class:`sim.model.population.Population`)."""

    def hear(self, hh: Household, t: float) -> None: ...
    def consider(self, hh: Household, t: float) -> None: ...
    def apply(self, hh: Household, t: float) -> None: ...
    def enroll(self, hh: Household, t: float) -> None: ...
    def case_closed(self, hh: Household) -> None: ...
    def come_back(self, hh: Household, t: float) -> None: ...


class Visits(Protocol):
    """The journey log's side of a service (:class:`sim.model.cases.Journey`)."""

    def serve_case(self, case: Any, t_start: float, t_end: float) -> None: ...


class CaseHandler(Protocol):
    """What an office's decision sets in motion (:class:`sim.model.pathways.CaseFlow`)."""

    journey: Visits
    rework_prob: dict[str, float]
    p_mismatch: float

    def still_wanted(self, case: Any, t: float) -> bool: ...
    def approve(self, case: Any, t: float) -> None: ...
    def rework(self, case: Any, t: float) -> None: ...
    def reject(self, case: Any, t: float, reason: str) -> None: ...
    def wait_for_dtks(self, case: Any, t: float) -> None: ...
    def release_holds(self, t: float, stall_days: float) -> int: ...


class OfficeRules(Protocol):
    """What the barriers decide at a desk (:class:`sim.model.coordination.CoordinationRules`)."""

    def queue_key(self, stage: str, work_time: float, complex_case: bool) -> float: ...
    def diverges(self, stage: str, u: float) -> bool: ...


class Trust(Protocol):
    """Working trust, moved by the Tim's meetings (:class:`sim.model.relations.Relations`)."""

    def review(self, t: float) -> None: ...


class HouseholdState:
    """A family's state and its event handlers (a C type when compiled: ``agents.pxd``);
    :class:`Household` is the Mesa agent deriving from it. ``idx`` is the household's place
    in creation order; it keys the household's random draws. ``life`` is the population
    component that acts on its decisions."""

    __slots__ = slots(__file__, "HouseholdState")  # the fields: agents.pxd

    def __init__(self, life: Life, idx: int, rt: int, segment: str, members: int,
                 eligible: bool, has_docs: bool, in_dtks: bool, cost_factor: float,
                 patience: float):
        self.life = life
        self.idx = idx
        self.rt = rt
        self.segment = segment
        self.members = members
        self.eligible = eligible
        self.has_docs = has_docs
        self.in_dtks = in_dtks
        self.cost_factor = cost_factor  # distance multiplier on trip costs
        self.patience = patience
        self.referred = segment != "poor_household"  # enrolled through Dinas Sosial
        self.aware = False
        self.status = "uninsured"  # uninsured | enrolled | gone
        self.exit_reason = ""
        self.ever_enrolled = False  # carded at least once (the initial stock counts)
        self.counted = eligible  # eligible when it came: counted in the accounting
        self.last_end = ""  # its last setback: abandoned | rejected | deactivated
        self.setbacks = 0  # wrongful rejections and deactivations so far (reentry memory)
        self.door_wait = False  # turned away at a full front door, coming back
        self.case = None
        self.exit_gen = 0
        self.filed = ""  # where the population files it for the accounting (Population._file)

    # Event handlers: the population decides, in one place, what each one means.
    def hear(self, t: float) -> None:
        """Learn of the programme (campaign, word of mouth, media)."""
        self.life.hear(self, t)

    def reconsider(self, t: float) -> None:
        """Think again about applying."""
        if self.case is None and self.status == "uninsured":
            self.life.consider(self, t)

    def apply(self, t: float) -> None:
        """Open a case (the first visit to the RT head, or a referral to Dinas Sosial)."""
        if self.status == "uninsured" and self.case is None:
            self.life.apply(self, t)

    def enroll(self, t: float) -> None:
        """The BPJS card is active."""
        self.life.enroll(self, t)

    def case_closed(self) -> None:
        """Its case has reached its end (enrolled, rejected or abandoned)."""
        self.last_end = self.case.outcome
        self.case = None
        self.life.case_closed(self)

    def come_back(self, t: float) -> None:
        """A setback while still eligible (a wrongful rejection): it may try again."""
        self.life.come_back(self, t)


class Household(HouseholdState, Agent):
    """A family (KK) with its members, living in one RT; or an institution's roster: a Mesa
    agent, with its state in :class:`HouseholdState`."""

    # Mesa's own fields, in slots: built by a C type's allocator (compiled), a household
    # gets no inline values for its instance dict, so these would each make it a dict of
    # its own (about 200 bytes more a household; the dict stays there for anything else)
    __slots__ = ("model", "unique_id", "pos")

    def __init__(self, model: mesa.Model, life: Life, idx: int, rt: int, segment: str,
                 members: int, eligible: bool, has_docs: bool, in_dtks: bool,
                 cost_factor: float, patience: float):
        Agent.__init__(self, model)  # registered with the model first, as before
        HouseholdState.__init__(self, life, idx, rt, segment, members, eligible, has_docs,
                                in_dtks, cost_factor, patience)


class Left:
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


LEFT = Left()


class Office(OfficeState, Agent):
    """An office with a work queue, staff, a service-time distribution and a calendar: a
    Mesa agent. Its state, its desk and its decisions are those of :class:`OfficeState`
    (a C type when compiled); a subclass names its stage."""

    def __init__(self, model: mesa.Model, name: str, calendar: WorkCalendar, servers: int,
                 service: ServiceTimes, flow: CaseHandler, rules: OfficeRules,
                 events: EventQueue):
        Agent.__init__(self, model)  # registered with the model first, as before
        OfficeState.__init__(self, name, calendar, servers, service, flow, rules, events)


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

    stage = "dinsos"  # its checks: OfficeState.judge


class DownstreamAgency(Office):
    """An agency that receives cases another agency approved, and may judge them otherwise
    (the beliefs barrier, by its stage: OfficeState.judge)."""


class DinasKesehatan(DownstreamAgency):
    """Health Office: validates and submits the registration to BPJS."""

    stage = "dinkes"


class BPJSKesehatan(DownstreamAgency):
    """BPJS Kesehatan Cabang Jambi: registers and activates at the monthly cut-off."""

    stage = "bpjs"


class TimKoordinasi(Agent, Component):
    """The mayor's Tim Koordinasi JKN Daerah: it sets policy (its directives weight the
    power and politics barriers, :mod:`sim.model.coordination`) and holds periodic review
    meetings; it approves no case (its sitting is only the what-if ``approval_sittings``)."""

    stage = "tim"

    def __init__(self, model: mesa.Model, name: str, agencies: list[Office], flow: CaseHandler,
                 stall_days: float, meetings: list[float], relations: Trust | None = None):
        super().__init__(model)
        self.name = name
        self.agencies = agencies
        self.flow = flow
        self.stall_days = stall_days
        self.meetings = meetings  # model times of its review meetings
        self.escalated = 0
        self.relations = relations  # working trust (sim.model.relations), if it evolves

    def start(self, events: EventQueue) -> None:
        """Put the review meetings on the queue (the model runs the Tim as a component)."""
        for t in self.meetings:
            events.schedule(t, self.review, priority=LATE)

    def review(self, t: float) -> None:
        """Review meeting: escalate stalled cases at the agencies, release held hand-offs."""
        for office in self.agencies:
            self.escalated += office.desk.promote(t, self.stall_days)
        self.escalated += self.flow.release_holds(t, self.stall_days)
        if self.relations is not None:
            self.relations.review(t)  # meetings build working trust


AGENCY_CLASSES = {"dinsos": DinasSosial, "dinkes": DinasKesehatan, "bpjs": BPJSKesehatan}
