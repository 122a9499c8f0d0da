"""Working calendars and batch cycles: model time (days since the start) to dates and back.

Offices serve in *working time*: a service of s working days that starts at clock
time t ends where the office's cumulative open time has grown by s. Closed days
(weekends, public holidays, Lebaran collective leave, year-end closing) are flat
stretches of that curve, so a case never progresses on a closed day.

Holiday dates are the fixed national holidays, Idul Fitri with collective leave
(cuti bersama) and Idul Adha; the smaller moving holidays are left out
(assumption, see docs/model.md).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right

# Idul Fitri (first day) by year: national calendar (assumption beyond 2027: -11 days a year).
IDUL_FITRI = {2016: "07-06", 2017: "06-25", 2018: "06-15", 2019: "06-05", 2020: "05-24",
              2021: "05-13", 2022: "05-02", 2023: "04-22", 2024: "04-10", 2025: "03-31",
              2026: "03-20", 2027: "03-10"}
IDUL_ADHA = {2016: "09-12", 2017: "09-01", 2018: "08-22", 2019: "08-11", 2020: "07-31",
             2021: "07-20", 2022: "07-10", 2023: "06-29", 2024: "06-17", 2025: "06-06",
             2026: "05-27", 2027: "05-17"}
FIXED = ("01-01", "05-01", "06-01", "08-17", "12-25")
LEBARAN_LEAVE = range(-2, 4)  # two days before to three days after Idul Fitri


def _moving(table: dict[int, str], year: int) -> dt.date:
    if year in table:
        return dt.date.fromisoformat(f"{year}-{table[year]}")
    base = max(table) if year > max(table) else min(table)
    d = dt.date.fromisoformat(f"{base}-{table[base]}")
    return d + dt.timedelta(days=round((year - base) * -10.875))


def public_holidays(year: int) -> set[dt.date]:
    """National holidays and Lebaran collective leave for one year."""
    days = {dt.date.fromisoformat(f"{year}-{md}") for md in FIXED}
    fitri = _moving(IDUL_FITRI, year)
    days |= {fitri + dt.timedelta(days=k) for k in LEBARAN_LEAVE}
    days.add(_moving(IDUL_ADHA, year))
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

    def next_month_start(self, t: float) -> float:
        d = self.date(t)
        first = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        return self.t(first)


class WorkCalendar:
    """Open days of one office, with working-time conversion in O(log n)."""

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

    def to_work(self, t: float) -> float:
        """Cumulative working time at clock time t."""
        if self.always_open:
            return t
        d = int(t)
        if d >= len(self.open):
            return self.cum[-1] + (t - len(self.open))
        return self.cum[d] + ((t - d) if self.open[d] else 0.0)

    def from_work(self, w: float) -> float:
        """Clock time at which cumulative working time reaches w; work that ends exactly
        at a day's close is dated at the next open day's start (never on a closed day)."""
        if self.always_open:
            return w
        if w >= self.cum[-1]:
            return len(self.open) + (w - self.cum[-1])
        d = bisect_right(self.cum, w) - 1
        return d + (w - self.cum[d])

    def add(self, t: float, work_days: float) -> float:
        """Clock time after ``work_days`` of working time from t."""
        return self.from_work(self.to_work(t) + work_days)

    def serve(self, t: float, work_days: float) -> tuple[float, float]:
        """A service asked for at clock time t: when it starts (the next open moment) and
        when ``work_days`` of working time later it ends. The same as ``from_work`` of
        ``to_work(t)`` and of ``to_work(t) + work_days``, in one call."""
        if self.always_open:
            return t, t + work_days
        cum, n = self.cum, len(self.open)
        d = int(t)
        if d >= n:
            w0 = cum[-1] + (t - n)
        else:
            w0 = cum[d] + ((t - d) if self.open[d] else 0.0)
        w1 = w0 + work_days
        last = cum[-1]
        if w0 >= last:
            start = n + (w0 - last)
        else:
            k = bisect_right(cum, w0) - 1
            start = k + (w0 - cum[k])
        if w1 >= last:
            return start, n + (w1 - last)
        k = bisect_right(cum, w1) - 1
        return start, k + (w1 - cum[k])


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
