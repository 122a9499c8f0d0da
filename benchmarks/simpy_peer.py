"""A plain SimPy model of the same pathway, the speed reference of the benchmark suite.

Cases arrive over the scenario's horizon (uniform arrival times, a Poisson process given
their number) and pass a six-office chain: their RT head, their Lurah, their Camat, then
Dinas Sosial, Dinas Kesehatan and BPJS. Each desk is a ``simpy.Resource`` with the staff
of the scenario (one per RT, Lurah and Camat office, as in the model's city), service
times are lognormal with the scenario's mean and coefficient of variation, a finished
case is returned to the same office with the scenario's rework probability (after the
citizen's rework delay), and between two offices a case drops out with probability
``dropout`` or is handed off after the citizen's travel gap. There are no calendars,
barriers, quotas or households: this is what a straightforward SimPy program of the
pathway costs, not a second model.

Every draw comes from numpy Generators spawned from one seed, one stream per kind of
draw, taken in blocks (as a careful SimPy program would), so the same seed gives the same
run. The run goes on until every case has finished or dropped out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.scenario import Scenario

OFFICES = ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs")
N_CASES = 40_000
DROPOUT = 0.10  # chance a case is lost between two offices (assumption of the peer)
BLOCK = 4096


class _Stream:
    """Draws of one distribution from one Generator, taken ``BLOCK`` at a time."""

    def __init__(self, draw: Callable[[int], np.ndarray]) -> None:
        self._draw = draw
        self._buf: list[float] = []
        self._i = 0

    def __call__(self) -> float:
        if self._i == len(self._buf):
            self._buf = self._draw(BLOCK).tolist()
            self._i = 0
        x = self._buf[self._i]
        self._i += 1
        return x


def _lognormal(rng: np.random.Generator, mean: float, cv: float) -> Callable[[int], np.ndarray]:
    """Lognormal draws with the given mean and coefficient of variation (cv 0: fixed)."""
    if cv <= 0:
        return lambda n: np.full(n, mean)
    sigma2 = math.log1p(cv * cv)
    mu, sigma = math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
    return lambda n: rng.lognormal(mu, sigma, n)


@dataclass
class PeerResult:
    """Counts and cost of one peer run."""

    cases: int
    handoffs: int = 0
    completed: int = 0
    reached: list[int] = field(default_factory=lambda: [0] * len(OFFICES))
    visits: list[int] = field(default_factory=lambda: [0] * len(OFFICES))
    dropped_after: list[int] = field(default_factory=lambda: [0] * len(OFFICES))
    end_time: float = 0.0
    runtime_s: float = 0.0

    @property
    def handoffs_per_s(self) -> float:
        return self.handoffs / self.runtime_s if self.runtime_s > 0 else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "handoffs": self.handoffs, "completed": self.completed,
                "reached": list(self.reached), "visits": list(self.visits),
                "dropped_after": list(self.dropped_after), "end_time": self.end_time,
                "runtime_s": self.runtime_s, "handoffs_per_s": self.handoffs_per_s}


class SimPyPeer:
    """The six-office chain in SimPy, parameterised from a Scenario's offices and city."""

    def __init__(self, scenario: Scenario, seed: int = 0, cases: int = N_CASES,
                 dropout: float = DROPOUT) -> None:
        if cases < 0:
            raise ValueError(f"cases must be >= 0, got {cases}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {dropout}")
        self.scenario, self.dropout = scenario, dropout
        self.env = simpy.Environment()
        names = ["arrivals", "route", "rework", "rework_delay", "dropout", "travel",
                 *(f"service:{o}" for o in OFFICES)]
        rngs = dict(zip(names, (np.random.default_rng(s)
                                for s in np.random.SeedSequence(seed).spawn(len(names)))))
        self.rngs = rngs
        pop, beh, offices = scenario.population, scenario.behaviour, scenario.offices
        self.horizon = float((scenario.time.end - scenario.time.start).days + 1)
        self.result = PeerResult(cases)
        n_rt, n_kel, n_kec = pop.n_rt, pop.n_kelurahan, pop.n_kecamatan
        staff = {o: max(1, getattr(offices, o).staff) for o in OFFICES}
        self.desks: list[list[simpy.Resource]] = [
            [simpy.Resource(self.env, staff["rt"]) for _ in range(n_rt)],
            [simpy.Resource(self.env, staff["lurah"]) for _ in range(n_kel)],
            [simpy.Resource(self.env, staff["camat"]) for _ in range(n_kec)],
            *([simpy.Resource(self.env, staff[o])] for o in OFFICES[3:])]
        # RT i lies in kelurahan i % n_kel, as in the model; kelurahan k in kecamatan k % n_kec.
        self.rt_of_case = rngs["route"].integers(n_rt, size=cases)
        self.place = [lambda rt: rt, lambda rt: rt % n_kel, lambda rt: rt % n_kel % n_kec,
                      *(lambda rt: 0 for _ in OFFICES[3:])]
        self.service = [_Stream(_lognormal(rngs[f"service:{o}"], getattr(offices, o).service_days,
                                           getattr(offices, o).service_cv)) for o in OFFICES]
        self.rework_prob = [getattr(offices, o).rework_prob for o in OFFICES]
        u = rngs["rework"]
        self.u_rework = _Stream(lambda n: u.random(n))
        d = rngs["dropout"]
        self.u_dropout = _Stream(lambda n: d.random(n))
        rd, tr = rngs["rework_delay"], rngs["travel"]
        self.rework_delay = _Stream(lambda n: rd.exponential(beh.rework_days, n))
        self.travel = _Stream(lambda n: tr.exponential(beh.travel_gap_days, n))

    def _arrivals(self) -> Generator[simpy.Event, Any, None]:
        times = np.sort(self.rngs["arrivals"].uniform(0.0, self.horizon, self.result.cases))
        env, now = self.env, 0.0
        for i, t in enumerate(times.tolist()):
            yield env.timeout(t - now)
            now = t
            env.process(self._case(int(self.rt_of_case[i])))

    def _case(self, rt: int) -> Generator[simpy.Event, Any, None]:
        env, res, last = self.env, self.result, len(OFFICES) - 1
        for k in range(len(OFFICES)):
            res.reached[k] += 1
            desk = self.desks[k][self.place[k](rt)]
            while True:
                res.visits[k] += 1
                with desk.request() as req:
                    yield req
                    yield env.timeout(self.service[k]())
                if self.u_rework() >= self.rework_prob[k]:
                    break
                yield env.timeout(self.rework_delay())
            if k == last:
                res.completed += 1
                return
            if self.u_dropout() < self.dropout:
                res.dropped_after[k] += 1
                return
            res.handoffs += 1
            yield env.timeout(self.travel())

    def run(self) -> PeerResult:
        """Run until every case has finished or dropped out."""
        self.env.process(self._arrivals())
        self.env.run()
        self.result.end_time = float(self.env.now)
        return self.result


def run_peer(scenario: Scenario | None = None, seed: int = 0, cases: int = N_CASES,
             dropout: float = DROPOUT) -> PeerResult:
    """One run of the SimPy peer (the baseline's offices by default), timed from set-up to
    the last event, as ``run_one`` times the model from its construction."""
    t0 = time.perf_counter()
    result = SimPyPeer(scenario or Scenario(), seed, cases, dropout).run()
    result.runtime_s = time.perf_counter() - t0
    return result
