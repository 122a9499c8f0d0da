"""The programme: its rules, its membership counts and its money.

:class:`Program` answers questions of the rules in force on a day (the premium rate, the
yearly cap on active members, the next BPJS activation date, the next DTKS fixing date).
:class:`Quota` owns the programme's membership counts: people with an active card
(``active``), people whose case was admitted to BPJS but not yet closed (``pending``),
and the cases waiting for a free slot (``waiting``). They change only through its
methods (``tests/test_structure.py`` checks that nothing else assigns them).
:class:`Ledger` owns the money: premiums and member-months accrued day by day for the
active members, by month, and the spending of a year so far.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from typing import Any

from sim.engine.events import LATE, EventQueue
from sim.engine.fields import slots
from sim.engine.worktime import Clock, dtks_fix_times, monthly_cutoff_activation
from sim.model.component import Component
from sim.scenario import Scenario

# Years whose premium budget has a source (docs/sources.md#budgets); the others are
# assumptions, scaled together by program.budget_unsourced_scale.
SOURCED_BUDGET_YEARS = frozenset({"2021", "2023"})
BIG = 10**9  # no cap


class Program:
    """Premium rates, budget caps, activation and DTKS dates for one scenario."""

    def __init__(self, scenario: Scenario, clock: Clock):
        self.p = scenario.program
        self.b = scenario.batches
        self.clock = clock
        self._dtks = dtks_fix_times(clock, self.b.dtks_fixes_per_year_before,
                                    self.b.dtks_monthly_from)
        # The rate the city pays, by date: the class III premium (before, then after
        # premium_change_date), the city's share where the central government pays part
        # (program.city_premium_idr_from), then later changes (sustainability.premium_changes;
        # assumptions). On each day the latest change in force applies.
        changes = [(self.p.premium_change_date, self.p.premium_idr_after)]
        changes += [(dt.date.fromisoformat(d), v)
                    for d, v in self.p.city_premium_idr_from.items()]
        changes += [(dt.date.fromisoformat(d), v)
                    for d, v in scenario.sustainability.premium_changes.items()]
        self._changes = sorted(changes, key=lambda c: c[0])  # stable: ties keep the order
        self._change_days = [d for d, _ in self._changes]
        self._change_t = [clock.t(d) for d in self._change_days]
        self._rates = [self.p.premium_idr_before] + [v for _, v in self._changes]
        self.uhc_now = False  # UHC Prioritas reached by the feedback rule (sim.model.sustainability)
        self._activation: dict[int, float] = {}  # activation_time at the cut-off, by day
        self._t_uhc = clock.t(self.b.uhc_prioritas_from) if self.b.uhc_prioritas_from \
            else float("inf")
        pol = scenario.policy
        changes_t = sorted((dt.date.fromisoformat(d), v) for d, v in pol.target_from.items())
        self._target_t = [clock.t(d) for d, _ in changes_t]
        self._targets = [self.p.target] + [v for _, v in changes_t]
        self._target_caps = pol.target_is_cap
        self._t_cap_until = clock.t(pol.cap_until) if pol.cap_until else float("inf")
        # the premium budget in force in each simulated year (IDR; inf: none), as the caps
        # use it: the last year given carries on, unsourced years scaled; set_budget
        # replaces a year's (the responsive rule)
        self.budgets: dict[int, float] = {}
        self.caps = self._yearly_caps()
        # the first model day of each year, to look caps up without dates
        self._year_starts = [clock.t(dt.date(y, 1, 1)) for y in sorted(self.caps)]
        self._cap_list = [self.caps[y] for y in sorted(self.caps)]
        self._cap_from, self._cap_to, self._cap_now = 0.0, 0.0, 0  # cap(t): none kept yet

    def premium_rate(self, day: dt.date) -> float:
        """Premium the city pays per member-month on a calendar day (IDR)."""
        return self._rates[bisect_right(self._change_days, day)]

    def premium_rate_at(self, t: float) -> float:
        return self._rates[bisect_right(self._change_t, t)]

    def _yearly_caps(self) -> dict[int, int]:
        """Active-member cap per year from the budget: budget / that year's premium bill
        (the target caps separately, by date: :meth:`cap`). Years without a source
        (all but 2021 and 2023) are scaled by ``program.budget_unsourced_scale``."""
        budgets = {int(y): v * (1.0 if y in SOURCED_BUDGET_YEARS else self.p.budget_unsourced_scale)
                   for y, v in self.p.budget_idr_by_year.items()}
        caps = {}
        for year in range(self.clock.start.year, self.clock.date(self.clock.span).year + 1):
            known = [y for y in budgets if y <= year] or sorted(budgets)[:1]
            budget = budgets[max(known)] if known else float("inf")
            self.budgets[year] = budget
            bill = self.yearly_bill(year)
            caps[year] = BIG if bill <= 0 else int(min(budget // bill, BIG))
        return caps

    def yearly_bill(self, year: int) -> float:
        """Premium bill for one member over a calendar year (IDR)."""
        return sum(self.premium_rate(dt.date(year, mo, 1)) for mo in range(1, 13))

    def set_budget(self, year: int, budget: float) -> None:
        """A budget set during the run (the responsive rule): the year's cap follows it."""
        self.budgets[year] = budget
        bill = self.yearly_bill(year)
        self.caps[year] = BIG if bill <= 0 else int(min(budget // bill, BIG))
        self._cap_list = [self.caps[y] for y in sorted(self.caps)]
        self._cap_to = self._cap_from  # the cap kept by cap(t) may have changed

    def target_at(self, t: float) -> int:
        """The target in force at model time t (``policy.target_from`` changes it)."""
        return self._targets[bisect_right(self._target_t, t)]

    def cap(self, t: float) -> int:
        """The cap on active plus pending members at model time t: the year's budget cap,
        and the target in force where it is a cap (``policy.target_is_cap``, until
        ``policy.cap_until``)."""
        if self._cap_from <= t < self._cap_to:  # asked about once an application: kept
            return self._cap_now  # with the span of time over which it holds
        starts, inf = self._year_starts, float("inf")
        i = bisect_right(starts, t)
        cap = self._cap_list[max(0, i - 1)]
        lo, hi = starts[i - 1] if i else -inf, starts[i] if i < len(starts) else inf
        if self._target_caps and t < self._t_cap_until:
            j, when = bisect_right(self._target_t, t), self._target_t
            cap = min(cap, self._targets[j])
            lo = max(lo, when[j - 1] if j else -inf)
            hi = min(hi, when[j] if j < len(when) else inf, self._t_cap_until)
        elif self._target_caps:
            lo = max(lo, self._t_cap_until)
        self._cap_from, self._cap_to, self._cap_now = lo, hi, cap
        return cap

    def set_uhc(self, reached: bool) -> None:
        """UHC Prioritas reached (or lost) by the feedback rule: activation follows it."""
        self.uhc_now = reached

    def activation_time(self, t: float) -> float:
        """When a card registered at t becomes active: the same day under UHC Prioritas,
        otherwise at the monthly cut-off."""
        if t >= self._t_uhc or self.uhc_now:
            return t
        day = int(t)  # the cut-off's answer depends on the day only: worked out once a day
        at = self._activation.get(day)
        if at is None:
            at = self._activation[day] = monthly_cutoff_activation(self.clock, t,
                                                                   self.b.bpjs_cutoff_day)
        return at

    def next_dtks(self, t: float) -> float:
        return self._dtks[bisect_right(self._dtks, t)]

    def year_starts(self) -> list[float]:
        """Model times of each new budget year after the first."""
        return [self.clock.t(dt.date(y, 1, 1))
                for y in range(self.clock.start.year + 1, self.clock.end.year + 1)]

    def cap_changes(self) -> list[float]:
        """Model times the cap may rise: each new budget year, each dated target change,
        the day the target stops capping."""
        return sorted(set(self.year_starts()) |
                      {t for t in [*self._target_t, self._t_cap_until]
                       if 0 < t <= self.clock.horizon})


class Quota:
    """Active, pending and waiting members under the yearly cap; admits first come, first
    served, whenever a slot may have come free and at the start of each budget year.

    ``admit_to(case, t)`` is called for each case given a slot; it may close other cases
    (and so call :meth:`release`) before returning: the queue is consistent before each
    call, and the loop re-checks the cap after it.
    A component (registered: compiled, a C type, ``program.pxd``, cannot subclass one).
    """

    __slots__ = slots(__file__, "Quota")  # the fields: program.pxd
    day_end, month_end, row = Component.day_end, Component.month_end, Component.row

    def __init__(self, program: Program, admit_to: Callable[[Any, float], None],
                 drop: Callable[[Any, float], bool]):
        self.program = program
        self.admit_to = admit_to
        self.drop = drop  # True if a waiting case is withdrawn instead of admitted
        self.active = 0  # people with an active card
        self.pending = 0  # people admitted to BPJS whose case is still open
        self.waiting: deque[Any] = deque()
        self._admitting = False

    def allows(self, members, t: float) -> bool:  # noqa: ANN001 (C ints: program.pxd)
        return self.active + self.pending + members <= self.program.cap(t)

    def full(self, members, t: float) -> bool:  # noqa: ANN001
        """No slot for a new case: cases are already waiting, or these members would pass
        the cap (what the front door sees: ``rationing.front_door``)."""
        return bool(self.waiting) or not self.allows(members, t)

    def wait(self, case: Any, t: float) -> None:
        """A case asks for a slot."""
        self.waiting.append(case)
        self.admit(t)

    def admit(self, t: float) -> None:
        """Give slots to waiting cases, in order, while the cap allows."""
        if self._admitting:  # a case closed during an admission: the loop below goes on
            return
        self._admitting = True
        try:
            q = self.waiting
            while q:
                case = q[0]
                if self.drop(case, t):
                    q.popleft()
                    continue
                if not self.allows(case.members, t):
                    break
                q.popleft()
                self.pending += case.members
                case.admitted = True
                self.admit_to(case, t)
        finally:
            self._admitting = False

    def release(self, case: Any, t: float) -> None:
        """An admitted case closed: its slot is free."""
        if case.admitted:
            case.admitted = False
            self.pending -= case.members
        self.admit(t)

    def count_active(self, people) -> None:  # noqa: ANN001 (a C int)
        """Members gained (+) or lost (-) an active card. Nothing is admitted here: the
        caller admits (:meth:`admit`) once the change it is part of is complete (a
        household that leaves first closes its case)."""
        self.active += people

    # ------------------------------------------------------------ component
    def start(self, events: EventQueue) -> None:
        """A new budget year or a dated target may bring a higher cap: admit then."""
        for t in self.program.cap_changes():
            events.schedule(t, self.admit, priority=LATE)

    def audit(self) -> list[str]:
        bad = []
        if self.active < 0 or self.pending < 0:
            bad.append(f"negative member counts: active {self.active}, pending {self.pending}")
        return bad


Component.register(Quota)


class Ledger(Component):
    """Premiums owed for the active members, accrued day by day, by calendar month.

    ``premium_by_month`` (IDR) and ``member_months`` (active members x months) are keyed
    ``YYYY-MM``; a day adds the active members x that day's rate / the days in its month.
    The rate per day is worked out once, so a day's accrual does no calendar arithmetic.
    """

    def __init__(self, program: Program, clock: Clock, quota: Quota):
        self.quota = quota
        self.premium_by_month: dict[str, float] = {}
        self.member_months: dict[str, float] = {}
        self._days: list[tuple[str, int, float]] = []  # per model day: month, its days, rate
        for d in range(clock.horizon + 1):
            today = clock.date(d)
            first = dt.date(today.year, today.month, 1)
            nxt = dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
            self._days.append((f"{today.year:04d}-{today.month:02d}", (nxt - first).days,
                               program.premium_rate_at(d)))

    def day_end(self, day: int) -> None:
        month, days_in_month, rate = self._days[day]
        active = self.quota.active
        self.premium_by_month[month] = self.premium_by_month.get(month, 0.0) + \
            active * rate / days_in_month
        self.member_months[month] = self.member_months.get(month, 0.0) + \
            active / days_in_month

    def spent_in(self, year: int) -> float:
        """Premium spending of a calendar year so far (IDR)."""
        prefix = f"{year:04d}-"
        return sum(v for k, v in self.premium_by_month.items() if k.startswith(prefix))

    def of_month(self, month: str) -> float:
        """The premium owed for one month so far (IDR)."""
        return self.premium_by_month.get(month, 0.0)
