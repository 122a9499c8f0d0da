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
        # the current first-pass service's two decision numbers (rework; DTKS mismatch or
        # divergent judgement), drawn with its service time
        self.u_rework = self.u_judge = 0.0

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
    """What the outcome catalogue needs of every case, in compact columns (66 bytes a case,
    and up to an eighth more of room to grow), row ``id - 1`` for case ``id``: kept whether or not the :class:`Case` objects
    are, so a run that keeps no tables can let a closed case go.

    ``visits`` and ``cost`` follow the case's own counts as it goes; the outcome columns
    are written when it closes (``outcome`` 0 while in process). ``quota_days`` adds up
    the days the case waited at the quota for a slot (the budget or target cap), from
    reaching it (:meth:`quota_in`) to its admission (:meth:`quota_out`); ``cost_factor``
    and ``in_dtks`` are the household's distance multiplier and DTKS listing when the
    case opened."""

    # The columns sit in three tables of rows, one row a case, row-major (a case's
    # numbers together): floats (t_applied, t_outcome, cost, t_quota: NaN when not at the
    # quota, quota_days: admissions so far, cost_factor), 32-bit ints (household, members,
    # visits) and 8-bit codes (route and pathway: index into ``names``; outcome: 0 in
    # process, else 1 + index into OUTCOMES; left: the household left; in_dtks; a sixth
    # byte unused, six to a row). A row is written through typed views of the tables (C
    # stores in the compiled core, memoryview items in the .py), not appended to an array
    # a column, whose every append parses its value as a Python call does (about 12,000
    # machine instructions a case opened, 4% of a run). The tables grow by an eighth (at
    # least 1,024 rows) when full. The ints are 32-bit, as the arrays were: compiled, a
    # value past 2**31 would wrap where the .py raises; a household index, a household's
    # members or a case's visits never comes near.

    __slots__ = slots(__file__, "CaseRecord")  # the fields: cases.pxd

    def __init__(self) -> None:
        self.n = 0  # rows (cases)
        self.rows = 0  # rows the tables have room for
        self.floats = array("d")
        self.ints = array("i")
        self.codes = array("b")
        self.names: list[str] = []  # route and pathway names, in order of first use
        self._f = self._i = self._b = None
        self._view()

    def _view(self) -> None:
        """Typed views of the tables, taken again after they grow (an array cannot grow
        while a view of it is held)."""
        self._f = memoryview(self.floats)
        self._i = memoryview(self.ints)
        self._b = memoryview(self.codes)

    def _unview(self) -> None:
        self._f = self._i = self._b = None

    def _grow(self) -> None:
        more = max(1024, self.rows >> 3)
        self._unview()
        try:
            self.floats.frombytes(bytes(8 * 6 * more))
            self.ints.frombytes(bytes(4 * 3 * more))
            self.codes.frombytes(bytes(6 * more))
            self.rows += more
        finally:  # (a failed growth, e.g. MemoryError, leaves the record usable)
            self._view()

    def __len__(self) -> int:
        return self.n

    def _code(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            self.names.append(name)
            return len(self.names) - 1

    def open(self, case: Case) -> None:
        """A case begins (its id is the next row's number)."""
        i = self.n
        if i == self.rows:
            self._grow()
        f, k, b = 6 * i, 3 * i, 6 * i
        self._f[f] = case.t_applied
        self._f[f + 1] = NAN
        self._f[f + 2] = case.cost
        self._f[f + 3] = NAN
        self._f[f + 4] = 0.0
        self._f[f + 5] = case.cost_factor
        self._i[k] = case.hidx
        self._i[k + 1] = case.members
        self._i[k + 2] = case.visits
        self._b[b] = self._code(case.route)
        self._b[b + 1] = self._code(case.pathway)
        self._b[b + 2] = 0
        self._b[b + 3] = 0
        self._b[b + 4] = case.household.in_dtks
        self.n = i + 1

    def quota_in(self, case: Case, t: float) -> None:
        """The case reached the quota and asks for a slot."""
        self._f[6 * (case.id - 1) + 3] = t

    def quota_out(self, case: Case, t: float) -> None:
        """The quota gave the case a slot: its wait there is over."""
        f = 6 * (case.id - 1)
        self._f[f + 4] += t - self._f[f + 3]
        self._f[f + 3] = NAN

    def visit(self, case: Case) -> None:
        """The case made a visit (its ``visits`` and ``cost`` changed)."""
        self._i[3 * (case.id - 1) + 2] = case.visits
        self._f[6 * (case.id - 1) + 2] = case.cost

    def close(self, case: Case) -> None:
        """The case reached its outcome."""
        i = case.id - 1
        self._b[6 * i + 2] = 1 + OUTCOMES.index(case.outcome)
        self._f[6 * i + 1] = case.t_outcome
        self._b[6 * i + 3] = case.reason == "household_left"

    def categories(self, column: str) -> list[str]:
        """The names the codes of ``route``, ``pathway`` or ``outcome`` stand for."""
        return ["in_process", *OUTCOMES] if column == "outcome" else list(self.names)

    def columns(self) -> dict[str, np.ndarray]:
        """The columns as numpy arrays (int64, float64, bool; ``route``, ``pathway`` and
        ``outcome`` as int8 codes, see :meth:`categories`), without a Python object per
        number."""
        n = self.n
        f = np.frombuffer(self.floats, np.float64, 6 * n).reshape(n, 6) if n else \
            np.zeros((0, 6))
        k = np.frombuffer(self.ints, np.int32, 3 * n).reshape(n, 3) if n else \
            np.zeros((0, 3), np.int32)
        b = np.frombuffer(self.codes, np.int8, 6 * n).reshape(n, 6) if n else \
            np.zeros((0, 6), np.int8)
        out = {"household_id": k[:, 0].astype(np.int64), "members": k[:, 1].astype(np.int64),
               "route": b[:, 0].copy(), "pathway": b[:, 1].copy(), "outcome": b[:, 2].copy(),
               "t_applied": f[:, 0].copy(), "t_outcome": f[:, 1].copy(),
               "left": b[:, 3].astype(bool),
               "visits": k[:, 2].astype(np.int64), "cost": f[:, 2].copy(),
               "quota_days": f[:, 4].copy(), "cost_factor": f[:, 5].copy(),
               "in_dtks": b[:, 4].astype(bool)}
        del f, k, b  # views of the tables: they could not grow while one is held
        return out
