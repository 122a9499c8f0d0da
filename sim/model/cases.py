"""A case (one household's application) and its journey log (one row per visit).

The journey log keeps every visit of every case to an office or a waiting place, in the
spirit of Ciw's data records: when the case arrived, when service started and ended, when
it left, and what came of it. Revisits after a bounce, a rework or a verification round
are separate rows. The wide case table (``cases.csv``) is derived from it.
"""

from __future__ import annotations

from array import array
from typing import Any

import numpy as np

from sim.engine.fields import slots
from sim.scenario.offices import OFFICES as KINDS

# Route steps. Offices have a desk; the other steps are places a case waits.
OFFICES = KINDS  # the office kinds (sim.scenario.offices), in the manual route order
STAGES = ("docs", "rt", "lurah", "camat", "dinsos", "dtks", "dinkes", "tim", "quota", "bpjs",
          "activation")
STAGE_CODE = {s: i for i, s in enumerate(STAGES)}
# What came of a visit.
RESULTS = ("open", "approved", "handed_off", "bounced", "verify", "rework", "dtks_wait",
           "rejected", "abandoned", "left", "enrolled")
RESULT_CODE = {r: i for i, r in enumerate(RESULTS)}
OUTCOMES = ("enrolled", "rejected", "abandoned")
# Routes without visits of the citizen's own (referred segments, reactivations, drives):
# left out of the citizen figures (funnel, days to card, visits, households).
REFERRAL_ROUTES = ("referral", "referral_single", "reactivation", "drive")

NAN = float("nan")


class Case:
    """One application of one household, from the first step to its outcome.

    ``hidx`` and ``cost_factor`` are the household's, fixed for its life: the case reads
    them without reaching for the household (in a large city, one slow memory read less
    per event). In the compiled core (``cases.pxd``) a case keeps its numbers in itself.
    """

    __slots__ = slots(__file__, "Case")  # the fields: cases.pxd

    def __init__(self, cid: int, hh: Any, pathway: str, route: str, steps: tuple[str, ...],
                 t: float, tolerance: float):
        self.id = cid
        self.household = hh
        self.hidx = hh.idx  # the household's place: keys the case's draws
        self.cost_factor = hh.cost_factor  # the household's trip-cost multiplier (fixed)
        self.pathway = pathway  # manual | online: the pathway in force when applying
        self.route = route  # manual | online | referral: the route taken
        self.steps = steps  # the route's steps (see sim.model.pathways.routes)
        self.idx = 0  # the current step
        self.t_applied = t
        self.members = hh.members
        self.visits = 0  # in-person visits by the citizen
        self.cost = 0.0  # the citizen's transport cost (IDR)
        self.tolerance = tolerance
        self.outcome: str | None = None
        self.t_outcome = NAN
        self.outcome_stage = ""
        self.reason = ""
        self.where = ""  # where an open case is (one of pathways.PLACES)
        self.token = 0  # invalidates a scheduled arrival that a review meeting brought forward
        self.complex_case = hh.referred or not hh.in_dtks
        self.verifying = False
        self.verified = -1  # the step at which the last verification round ran
        self.reworks = 0
        self.bounces = 0
        self.verifications = 0
        self.held_since = NAN
        self.admitted = False  # holds a quota slot, not yet closed
        self.offices: tuple[Any, ...] = ()  # the office serving each step (None: a place)
        self.visit = -1  # row of the current visit in the journey log
        self.handoff: Any = None  # draws of a hand-off waiting on a verification round
        self.draws: Any = None  # the current service's draws: service time, decision numbers

    @property
    def stage(self) -> str:
        return self.steps[self.idx]


class VisitLog:
    """What the case flow writes of each visit: a :class:`Journey` keeps it, a
    :class:`VisitCount` only numbers the visits. One C type for both in the compiled core
    (``cases.pxd``), so the flow calls them without Python's method lookup. ``row`` is a
    visit's row (an int), ``code`` a result's code (:data:`RESULT_CODE`)."""

    __slots__ = slots(__file__, "VisitLog")  # none: the fields are the subclasses'

    def open(self, case: Case, stage: str, t: float) -> int:
        """A visit begins; returns its row."""
        raise NotImplementedError

    def serve_case(self, case: Case, t_start: float, t_end: float) -> None:
        """An office booked the case's service (the desk's journey hook)."""

    def close(self, row, t: float, result: str) -> None:
        """The visit ends with ``result``."""

    def leave(self, row, t: float, code) -> None:
        """``close`` with the result already coded (the hand-off's hot path)."""


class Journey(VisitLog):
    """The per-visit log, in compact columns (about 30 bytes a visit)."""

    __slots__ = slots(__file__, "Journey")  # the fields: cases.pxd

    def __init__(self) -> None:
        self.case = array("i")
        self.stage = array("b")
        self.t_in = array("d")  # arrived (joined the queue or the waiting place)
        self.t_start = array("d")  # service started (offices only)
        self.t_end = array("d")  # service ended (offices only)
        self.t_out = array("d")  # left the office or place
        self.result = array("b")

    def __len__(self) -> int:
        return len(self.case)

    def open(self, case: Case, stage: str, t: float) -> int:
        self.case.append(case.id)
        self.stage.append(STAGE_CODE[stage])
        self.t_in.append(t)
        self.t_start.append(NAN)
        self.t_end.append(NAN)
        self.t_out.append(NAN)
        self.result.append(0)
        return len(self.case) - 1

    def serve_case(self, case: Case, t_start: float, t_end: float) -> None:
        self.t_start[case.visit] = t_start
        self.t_end[case.visit] = t_end

    def close(self, row, t: float, result: str) -> None:
        self.t_out[row] = t
        self.result[row] = RESULT_CODE[result]

    def leave(self, row, t: float, code) -> None:
        self.t_out[row] = t
        self.result[row] = code

    def columns(self) -> dict[str, Any]:
        """The log as plain columns (stage and result as names)."""
        return {"case_id": list(self.case),
                "stage": [STAGES[i] for i in self.stage],
                "t_in": list(self.t_in), "t_start": list(self.t_start),
                "t_end": list(self.t_end), "t_out": list(self.t_out),
                "result": [RESULTS[i] for i in self.result]}


class VisitCount(VisitLog):
    """Stands in for the :class:`Journey` when no journey log is kept (``run_one(...,
    tables=False)``): it numbers the visits and stores nothing about them."""

    __slots__ = slots(__file__, "VisitCount")  # the fields: cases.pxd

    def __init__(self) -> None:
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def open(self, case: Case, stage: str, t: float) -> int:
        self.n += 1
        return self.n - 1


class CaseRecord:
    """What the outcome catalogue needs of every case, in compact columns (about 40 bytes a
    case), row ``id - 1`` for case ``id``: kept whether or not the :class:`Case` objects
    are, so a run that keeps no tables can let a closed case go.

    ``visits`` and ``cost`` follow the case's own counts as it goes; the outcome columns
    are written when it closes (``outcome`` 0 while in process). ``quota_days`` adds up
    the days the case waited at the quota for a slot (the budget or target cap), from
    reaching it (:meth:`quota_in`) to its admission (:meth:`quota_out`); ``cost_factor``
    and ``in_dtks`` are the household's distance multiplier and DTKS listing when the
    case opened."""

    __slots__ = slots(__file__, "CaseRecord")  # the fields: cases.pxd

    def __init__(self) -> None:
        self.household = array("i")
        self.members = array("i")
        self.route = array("b")  # index into names
        self.pathway = array("b")  # index into names
        self.t_applied = array("d")
        self.outcome = array("b")  # 0: in process, else 1 + index into OUTCOMES
        self.t_outcome = array("d")
        self.left = array("b")  # closed because the household left
        self.visits = array("i")
        self.cost = array("d")
        self.t_quota = array("d")  # when the case reached the quota (NaN: not yet)
        self.quota_days = array("d")  # days waited at the quota, admissions so far
        self.cost_factor = array("d")
        self.in_dtks = array("b")
        self.names: list[str] = []  # route and pathway names, in order of first use

    def __len__(self) -> int:
        return len(self.household)

    def _code(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            self.names.append(name)
            return len(self.names) - 1

    def open(self, case: Case) -> None:
        """A case begins (its id is the next row's number)."""
        self.household.append(case.hidx)
        self.members.append(case.members)
        self.route.append(self._code(case.route))
        self.pathway.append(self._code(case.pathway))
        self.t_applied.append(case.t_applied)
        self.outcome.append(0)
        self.t_outcome.append(NAN)
        self.left.append(0)
        self.visits.append(case.visits)
        self.cost.append(case.cost)
        self.t_quota.append(NAN)
        self.quota_days.append(0.0)
        self.cost_factor.append(case.cost_factor)
        self.in_dtks.append(case.household.in_dtks)

    def quota_in(self, case: Case, t: float) -> None:
        """The case reached the quota and asks for a slot."""
        self.t_quota[case.id - 1] = t

    def quota_out(self, case: Case, t: float) -> None:
        """The quota gave the case a slot: its wait there is over."""
        i = case.id - 1
        self.quota_days[i] += t - self.t_quota[i]
        self.t_quota[i] = NAN

    def visit(self, case: Case) -> None:
        """The case made a visit (its ``visits`` and ``cost`` changed)."""
        self.visits[case.id - 1] = case.visits
        self.cost[case.id - 1] = case.cost

    def close(self, case: Case) -> None:
        """The case reached its outcome."""
        i = case.id - 1
        self.outcome[i] = 1 + OUTCOMES.index(case.outcome)
        self.t_outcome[i] = case.t_outcome
        self.left[i] = case.reason == "household_left"

    def categories(self, column: str) -> list[str]:
        """The names the codes of ``route``, ``pathway`` or ``outcome`` stand for."""
        return ["in_process", *OUTCOMES] if column == "outcome" else list(self.names)

    def columns(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (int64, float64, bool; ``route``, ``pathway`` and
        ``outcome`` as int8 codes, see :meth:`categories`), without a Python object per
        number."""

        def codes(a: array) -> np.ndarray:
            return np.frombuffer(a, dtype=np.int8).copy() if len(a) else np.zeros(0, np.int8)

        def ints(a: array) -> np.ndarray:
            return np.frombuffer(a, dtype=a.typecode).astype(np.int64) if len(a) \
                else np.zeros(0, np.int64)

        def floats(a: array) -> np.ndarray:
            return np.frombuffer(a, dtype=np.float64).copy() if len(a) else np.zeros(0)

        return {"household_id": ints(self.household), "members": ints(self.members),
                "route": codes(self.route), "pathway": codes(self.pathway),
                "outcome": codes(self.outcome),
                "t_applied": floats(self.t_applied), "t_outcome": floats(self.t_outcome),
                "left": ints(self.left).astype(bool),
                "visits": ints(self.visits), "cost": floats(self.cost),
                "quota_days": floats(self.quota_days),
                "cost_factor": floats(self.cost_factor),
                "in_dtks": ints(self.in_dtks).astype(bool)}
