"""Working calendars and batch cycles: model time (days since the start) to dates and back.

Offices serve in *working time*: a service of s working days that starts at clock
time t ends where the office's cumulative open time has grown by s. Closed days
(weekends, public holidays, Lebaran collective leave, year-end closing) are flat
stretches of that curve, so a case never progresses on a closed day.

Holiday dates are the fixed national holidays, Idul Fitri with collective leave
(cuti bersama) and Idul Adha; the smaller moving holidays are left out
(assumption, see docs/model.md). Idul Fitri and Idul Adha follow the national calendar
for 2016-2027 and the tabular Hijri calendar in other years, so each falls in its own
year (two in some years, such as Idul Fitri in 2000), within a day or two of the
observed date.
"""

from __future__ import annotations

import datetime as dt
import math
from array import array
from bisect import bisect_right

from sim.engine.fields import slots

# Idul Fitri (first day) and Idul Adha by year, as set by the national calendar
# (SKB cuti bersama). Other years are computed from the Hijri calendar below.
IDUL_FITRI = {2016: "07-06", 2017: "06-25", 2018: "06-15", 2019: "06-05", 2020: "05-24",
              2021: "05-13", 2022: "05-02", 2023: "04-22", 2024: "04-10", 2025: "03-31",
              2026: "03-20", 2027: "03-10"}
IDUL_ADHA = {2016: "09-12", 2017: "09-01", 2018: "08-22", 2019: "08-11", 2020: "07-31",
             2021: "07-20", 2022: "07-10", 2023: "06-29", 2024: "06-17", 2025: "06-06",
             2026: "05-27", 2027: "05-17"}
FIXED = ("01-01", "05-01", "06-01", "08-17", "12-25")
LEBARAN_LEAVE = range(-2, 4)  # two days before to three days after Idul Fitri
HIJRI_EPOCH_JDN = 1948440  # 1 Muharram 1 AH, civil epoch (16 July 622, Julian)
JDN_OF_ORDINAL_0 = 1721425  # date.fromordinal(1) (1 January 1 AD) is JDN 1721426


def hijri_to_date(year: int, month: int, day: int) -> dt.date:
    """A date of the tabular (arithmetical) Hijri calendar, 30-year cycle, civil epoch.

    It matches the Indonesian official dates of 2016-2027 to the day in 19 of 24 feasts and
    is one day early in the others; observed (rukyat) dates can differ by a day or two.
    """
    jdn = (day + math.ceil(29.5 * (month - 1)) + (year - 1) * 354 + (3 + 11 * year) // 30
           + HIJRI_EPOCH_JDN - 1)
    return dt.date.fromordinal(jdn - JDN_OF_ORDINAL_0)


def _feasts(table: dict[int, str], year: int, month: int, day: int) -> list[dt.date]:
    """Every date of Hijri (month, day) that falls in Gregorian ``year`` (one, sometimes
    two, as in 2000 for Idul Fitri); the national calendar where it is tabled."""
    if year in table:
        return [dt.date(year, *map(int, table[year].split("-")))]
    guess = round((year - 622) * 365.2425 / 354.367)  # Hijri year that starts near `year`
    return [d for h in range(guess - 2, guess + 3) if h >= 1
            for d in [hijri_to_date(h, month, day)] if d.year == year]


def idul_fitri(year: int) -> list[dt.date]:
    """First day of Idul Fitri (1 Syawal) in ``year``."""
    return _feasts(IDUL_FITRI, year, 10, 1)


def idul_adha(year: int) -> list[dt.date]:
    """Idul Adha (10 Dzulhijjah) in ``year``."""
    return _feasts(IDUL_ADHA, year, 12, 10)


def public_holidays(year: int) -> set[dt.date]:
    """National holidays and Lebaran collective leave for one year (leave days of a feast
    near the year's edge may fall in the next or previous year)."""
    days = {dt.date(year, *map(int, md.split("-"))) for md in FIXED}
    for fitri in idul_fitri(year):
        days |= {fitri + dt.timedelta(days=k) for k in LEBARAN_LEAVE}
    days |= set(idul_adha(year))
    return days


class Clock:
    """Converts between model time (float days since ``start``) and calendar dates."""

    def __init__(self, start: dt.date, end: dt.date, margin_days: int = 3 * 366):
        self.start = start
        self.end = end
        self.horizon = (end - start).days + 1  # days simulated, end inclusive
        self.span = self.horizon + margin_days  # calendars extend past the end
        self._ord0 = start.toordinal()

    def date(self, t: float) -> dt.date:
        return dt.date.fromordinal(self._ord0 + int(t))

    def t(self, d: dt.date) -> float:
        return float(d.toordinal() - self._ord0)

    def weekday(self, t: float) -> int:
        """``date(t).weekday()`` (Monday 0), without making the date: day 1 is a Monday."""
        return (self._ord0 + int(t) + 6) % 7

    def month_ends(self) -> set[int]:
        """The model days that end a calendar month inside the run, and the last day."""
        last = self.horizon - 1
        return {d for d in range(last + 1)
                if d == last or self.date(d + 1).month != self.date(d).month}

    def next_month_start(self, t: float) -> float:
        d = self.date(t)
        first = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return self.t(first)


class WorkCalendar:
    """Open days of one office, with working-time conversion in O(log n)."""

    __slots__ = slots(__file__, "WorkCalendar")  # the fields: worktime.pxd

    def __init__(self, clock: Clock, weekends: bool = True, holidays: bool = True,
                 year_end_closing_days: int = 0):
        hol: set[dt.date] = set()
        if holidays:
            for y in range(clock.start.year, clock.date(clock.span).year + 1):
                hol |= public_holidays(y)
        self.open: list[bool] = []
        for d in range(clock.span):
            day = clock.date(d)
            closed = (weekends and day.weekday() >= 5) or day in hol or (
                day.month == 12 and day.day > 31 - year_end_closing_days)
            self.open.append(not closed)
        self.cum = [0.0]
        for o in self.open:
            self.cum.append(self.cum[-1] + (1.0 if o else 0.0))
        self.always_open = all(self.open)
        # last_day[k]: the last index d with cum[d] <= k, for whole k below cum[-1] (cum
        # counts whole days and steps by 0 or 1, so every such k is some cum[d])
        self.last_day = [0] * int(self.cum[-1])
        for d, c in enumerate(self.cum):
            if c < self.cum[-1]:
                self.last_day[int(c)] = d
        # The same numbers as flat arrays, which the compiled core reads as C numbers
        # (worktime.pxd): read as list items, each step of a conversion made a float or an
        # int object (about 1.2 million a city replication).
        self._n = len(self.open)
        self._total = self.cum[-1]
        self._openv = array("B", self.open)
        self._cumv = array("d", self.cum)
        self._lastv = array("q", self.last_day)

    def to_work(self, t: float) -> float:
        """Cumulative working time at clock time t."""
        if self.always_open:
            return t
        d = int(t)
        if d >= self._n:
            return self._total + (t - self._n)
        return self._cumv[d] + ((t - d) if self._openv[d] else 0.0)

    def from_work(self, w: float) -> float:
        """Clock time at which cumulative working time reaches w; work that ends exactly
        at a day's close is dated at the next open day's start (never on a closed day)."""
        if self.always_open:
            return w
        if w >= self._total:
            return self._n + (w - self._total)
        d = self._day_at(w)
        return d + (w - self._cumv[d])

    def _day_at(self, w):  # noqa: ANN001, ANN202 (C numbers in worktime.pxd)
        """``bisect_right(cum, w) - 1`` for w below ``cum[-1]``: the last day whose
        cumulative working time is at most w, read from ``last_day`` for w >= 0."""
        if w < 0:
            return bisect_right(self.cum, w) - 1
        k = int(w)
        return self._lastv[k]

    def add(self, t: float, work_days: float) -> float:
        """Clock time after ``work_days`` of working time from t."""
        return self.from_work(self.to_work(t) + work_days)

    def serve(self, t: float, work_days: float) -> tuple[float, float]:
        """A service asked for at clock time t: when it starts (the next open moment) and
        when ``work_days`` of working time later it ends. The same as ``from_work`` of
        ``to_work(t)`` and of ``to_work(t) + work_days``, in one call (compiled, C calls)."""
        w0 = self.to_work(t)
        return self.from_work(w0), self.from_work(w0 + work_days)


def monthly_cutoff_activation(clock: Clock, t: float, cutoff_day: int) -> float:
    """BPJS activation: the 1st of next month if registered by the cut-off day, else a month later."""
    d = clock.date(t)
    nxt = clock.next_month_start(t)
    return nxt if d.day <= cutoff_day else clock.next_month_start(nxt)


def dtks_fix_times(clock: Clock, per_year_before: int, monthly_from: dt.date) -> list[float]:
    """Model times of DTKS fixing dates: evenly spaced months before, monthly after."""
    months_before = [1 + round(12 * k / per_year_before) for k in range(per_year_before)]
    out = []
    for y in range(clock.start.year, clock.date(clock.span).year + 1):
        for m in range(1, 13):
            day = dt.date(y, m, 1)
            if day >= monthly_from or m in months_before:
                out.append(clock.t(day))
    return [t for t in out if t > 0] + [float("inf")]
