"""What the gap to the target is made of: one cause removed at a time, in paired runs.

Each cause in :data:`CAUSES` is a set of parameter overrides that switches one mechanism
off (no quota, no front door, no churn, no wrongful rejections, no abandonment, everyone
aware, no coordination barriers). :func:`attribute_gap` runs the scenario as it is (the
baseline) and once with each cause removed, under common random numbers: the same root
seed and the same replication indices, so replication ``r`` of a pair draws the same keyed
numbers (:mod:`sim.engine.streams`) and the pair differs by the cause, not by noise.

For each cause it reports the members that removing it would add on the end date: the
mean of the paired differences (cause removed minus baseline, replication by replication)
and its 95% t-interval. The parts are not forced to add up to the gap: causes interact
(without a quota, fewer rejections add more members than with one), so one cause's
members may be another's too, and the sum may be more or less than the gap. It is a
one-at-a-time experiment, which sees each cause with all the others in place, not a
decomposition of the gap (interactions would need a design that varies causes together).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim import checks
from sim.runner.records import mean_ci
from sim.runner.replications import (
    RepResult,
    ResourceError,
    WorkerPool,
    check_memory,
    run_one,
)
from sim.scenario import Scenario, load_scenario

DEFAULT_REPS = 3  # paired replications per cause in ``jambi-sim run`` (default_reps)
HUGE_BUDGET_IDR = 1e15  # a premium budget no city spends: the budget caps nobody
BARRIERS = ("specialization", "power", "performance_management", "turf", "beliefs",
            "politics", "accountability")


@dataclass(frozen=True)
class Cause:
    """One cause of the gap and how to remove it.

    ``fixed`` holds the overrides that do not depend on the scenario (flat names, as for
    ``Scenario.with_overrides``); :meth:`overrides` adds those that do (the budget of
    each year the scenario lists)."""

    name: str
    en: str  # what removing it means, in English
    id: str  # and in Bahasa Indonesia
    fixed: dict[str, Any]
    no_budget_cap: bool = False

    def overrides(self, scenario: Scenario) -> dict[str, Any]:
        out = dict(self.fixed)
        if self.no_budget_cap:
            out["program.budget_idr_by_year"] = dict.fromkeys(
                scenario.program.budget_idr_by_year, HUGE_BUDGET_IDR)
        return out

    def meaning(self, lang: str = "en") -> str:
        return self.id if lang == "id" else self.en


CAUSES: dict[str, Cause] = {c.name: c for c in [
    Cause("cap", "No quota: the target caps nobody and every year's premium budget is "
                 "unlimited (a fixed budget rule).",
          "Tanpa kuota: target tidak membatasi dan anggaran premi tiap tahun tak terbatas "
          "(aturan anggaran tetap).",
          {"policy.target_is_cap": False, "sustainability.budget_rule": "fixed"},
          no_budget_cap=True),
    Cause("front_door", "No rationing at the front door: the RT head opens a case even when "
                        "the quota is full.",
          "Tanpa penjatahan di pintu depan: ketua RT tetap membuka berkas walau kuota penuh.",
          {"rationing.front_door": False}),
    Cause("churn", "No churn: nobody dies, moves away, rises out of poverty, is "
                   "re-verified out or is taken over by central PBI-JK.",
          "Tanpa perputaran: tidak ada yang meninggal, pindah, keluar dari kemiskinan, "
          "dinonaktifkan saat verifikasi ulang atau dialihkan ke PBI-JK pusat.",
          {"exits.death_per_year": 0.0, "exits.move_per_year": 0.0,
           "exits.income_rise_per_year": 0.0, "exits.reverification_share": 0.0,
           "exits.central_pbi_scale": 0.0}),
    Cause("rejections", "No wrongful rejections: no DTKS data mismatch and no downstream "
                        "agency judging an eligible case otherwise.",
          "Tanpa penolakan keliru: tidak ada ketidaksesuaian data DTKS dan tidak ada "
          "instansi hilir yang menilai lain berkas yang layak.",
          {"batches.dtks_mismatch_prob": 0.0, "coordination.divergence_max": 0.0}),
    Cause("abandonment", "No abandonment: households never give up on a case, and always "
                         "come back after 'kuota penuh'.",
          "Tanpa pengunduran diri: rumah tangga tidak pernah menyerah, dan selalu kembali "
          "setelah 'kuota penuh'.",
          {"behaviour.patience": 100.0, "rationing.retry_prob": 1.0}),
    Cause("awareness", "Everyone aware on the first day: every household uninsured on the "
                       "start date knows of the programme.",
          "Semua tahu sejak hari pertama: setiap rumah tangga yang belum berjaminan pada "
          "tanggal mulai mengetahui program.",
          {"awareness.initial": 1.0}),
    Cause("barriers", "No coordination barriers: all seven of Peters' barriers at 0.",
          "Tanpa hambatan koordinasi: ketujuh hambatan Peters bernilai 0.",
          {f"barriers.{b}": 0.0 for b in BARRIERS}),
]}


def paired_scenarios(scenario: Scenario, causes: Sequence[str] | None = None
                     ) -> dict[str, Scenario]:
    """The scenario with each cause removed (only its overrides changed)."""
    names = list(CAUSES) if causes is None else list(causes)
    unknown = [c for c in names if c not in CAUSES]
    if unknown or not names:
        raise ValueError(f"causes: unknown {', '.join(map(repr, unknown)) or 'none given'}; "
                         f"allowed: {', '.join(CAUSES)}")
    return {c: scenario.with_overrides(**CAUSES[c].overrides(scenario)) for c in names}


def target_on(scenario: Scenario, day: dt.date) -> int:
    """The target in force on a day (``policy.target_from`` changes it)."""
    target = scenario.program.target
    for d, v in sorted(scenario.policy.target_from.items()):
        if dt.date.fromisoformat(d) <= day:
            target = v
    return int(target)


@dataclass
class Attribution:
    """Members each removed cause adds on the end date, from paired replications."""

    scenario: Scenario
    seed: int
    reps: int
    target: int
    baseline: list[float]  # active members on the end date, by replication
    removed: dict[str, list[float]]  # cause -> active members with it removed, by rep
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def differences(self, cause: str) -> np.ndarray:
        """Members added, replication by replication (removed minus baseline)."""
        return np.asarray(self.removed[cause], float) - np.asarray(self.baseline, float)

    def added(self, cause: str) -> dict[str, float]:
        """Mean and 95% interval of the paired differences."""
        return mean_ci(self.differences(cause))

    def gap(self) -> dict[str, float]:
        """Target minus active members on the end date (mean and 95% interval)."""
        return mean_ci([self.target - a for a in self.baseline])

    def rows(self) -> list[dict[str, Any]]:
        """One row per cause: members added (mean, interval), share of the gap, meaning."""
        gap = self.gap()["mean"]
        out = []
        for c in self.removed:
            a = self.added(c)
            out.append({"cause": c, "members_added": a["mean"], "ci_low": a["ci_low"],
                        "ci_high": a["ci_high"],
                        "share_of_gap": a["mean"] / gap if gap > 0 else math.nan,
                        "reps": self.reps, "meaning_en": CAUSES[c].en,
                        "meaning_id": CAUSES[c].id})
        return out

    def summary(self) -> dict[str, Any]:
        """The ``gap_attribution`` block of summary.json."""
        return {
            "date": self.scenario.time.end.isoformat(), "reps": self.reps, "seed": self.seed,
            "target": self.target, "active": mean_ci(self.baseline), "gap": self.gap(),
            "causes": {c: {"members_added": self.added(c), "meaning_en": CAUSES[c].en,
                           "meaning_id": CAUSES[c].id, "overrides": self.overrides.get(c, {})}
                       for c in self.removed},
            "notes": "members each cause's removal would add on the end date: the mean of "
                     "the paired differences (cause removed minus the scenario as it is, "
                     "same seed and replication, common random numbers) and its 95% "
                     "t-interval. Causes interact: the parts are not forced to add up to "
                     "the gap (target minus active members).",
        }


def attribute_gap(scenario: Scenario | str | Path, reps: int, seed: int,
                  pool: WorkerPool | None = None,
                  workers: int = 1, causes: Sequence[str] | None = None,
                  baseline: Sequence[dict[str, Any]] | None = None,
                  progress: Callable[[int], None] | None = None) -> Attribution:
    """Run the scenario and each cause removed, ``reps`` paired replications each.

    Args:
        scenario: a Scenario or a TOML path.
        reps, seed: replications 0 to reps - 1 of the root seed, for every run.
        pool: a warm :class:`WorkerPool` to run on; else ``workers`` processes.
        causes: names from :data:`CAUSES` (default all).
        baseline: the per-replication stats of a run of this very scenario and seed
            (``Result.per_rep``): the replications it holds are not run again.
        progress: called with 1 after each replication.
    """
    reps = checks.whole_number("reps", reps, 1, 1_000_000)
    seed = checks.whole_number("seed", seed, 0, checks.MAX_SEED)
    sc = load_scenario(scenario)
    pairs = paired_scenarios(sc, causes)
    known = {int(s["rep"]): float(s["enrolled_end"]) for s in baseline or ()}
    found: dict[str, dict[int, float]] = {"": known, **{c: {} for c in pairs}}
    tags = [("", r) for r in range(reps) if r not in known]  # the baseline's missing reps
    tags += [(c, r) for c in pairs for r in range(reps)]
    jobs = [(pairs.get(c, sc), seed, r, False) for c, r in tags]
    n = pool.workers if pool is not None else min(workers, len(jobs))
    while pool is None and n > 1:  # fewer workers where the memory is short
        try:
            check_memory(sc, n)
            break
        except ResourceError:
            n -= 1
    check_memory(sc, n)
    for (c, r), res in zip(tags, _replications(jobs, n, pool)):
        found[c][r] = float(res.stats["enrolled_end"])
        if progress:
            progress(1)
    return Attribution(sc, seed, reps, target_on(sc, sc.time.end),
                       [known[r] for r in range(reps)],
                       {c: [found[c][r] for r in range(reps)] for c in pairs},
                       {c: CAUSES[c].overrides(sc) for c in pairs})


def attribute_over_sets(base: Scenario, ens: Any, sets: Sequence[int], reps: int, seed: int,
                        baseline: np.ndarray, pool: WorkerPool | None = None,
                        causes: Sequence[str] | None = None,
                        progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The gap by cause, set by set: for each set of the ensemble, each cause removed
    from that set's scenario (:meth:`Cause.overrides` of the set's own scenario), ``reps``
    replications paired with the set's own runs (``baseline``: :func:`run_ensemble`'s
    table of these sets and replications, the same seed). Per cause: the members its
    removal adds, over every set and replication, the range of the sets' means, and the
    share of sets that agree it adds members (:func:`sim.runner.ensemble.paired`)."""
    from sim.runner.ensemble import paired, values

    names = list(CAUSES) if causes is None else list(causes)
    paired_scenarios(base, names)  # unknown causes refused before any run
    jobs, tags = [], []
    for k, i in enumerate(sets):
        sc = ens.scenario(base, i)
        for c in names:
            variant = sc.with_overrides(**CAUSES[c].overrides(sc))
            for r in range(reps):
                jobs.append((variant, seed, r, False))
                tags.append((c, k, r))
    removed = {c: np.full((len(sets), reps), np.nan) for c in names}
    for (c, k, r), res in zip(tags, _replications(jobs, 1, pool)):
        removed[c][k, r] = float(res.stats["scalars"]["active_members_end"])
        if progress:
            progress(1)
    own = values(baseline, "active_members_end")
    target = target_on(base, base.time.end)
    gap = target - own
    return {"date": base.time.end.isoformat(), "target": target, "sets": list(sets),
            "n_sets": len(sets), "reps": reps, "seed": seed,
            "gap": {"mean": float(np.nanmean(gap)),
                    "set_means_range": [float(np.nanmin(np.nanmean(gap, axis=1))),
                                        float(np.nanmax(np.nanmean(gap, axis=1)))]},
            "causes": {c: {**paired(own, removed[c], claim="up"),
                           "meaning_en": CAUSES[c].en, "meaning_id": CAUSES[c].id}
                       for c in names},
            "notes": "for each set, the members each cause's removal adds on the end date "
                     "(cause removed minus the set as it is, the same seeds and "
                     "replications); a set agrees when its 95% interval lies above zero. "
                     "Causes interact: the parts need not add up to the gap."}


def default_reps(run_reps: int) -> int:
    """Paired replications of each cause for a run of ``run_reps``: as many, at most
    :data:`DEFAULT_REPS` (seven causes cost seven runs; under common random numbers the
    paired differences vary far less than the runs do)."""
    return min(run_reps, DEFAULT_REPS)


def _replications(jobs: list[tuple[Scenario, int, int, bool]], workers: int,
                  pool: WorkerPool | None) -> Any:
    """Each job's RepResult, in job order: on ``pool``, on a pool of ``workers`` made for
    the call, or in this process."""
    if pool is not None:
        yield from pool.replications(jobs)
    elif workers > 1:
        with WorkerPool(workers) as own:
            yield from own.replications(jobs)
    else:
        for job in jobs:
            res: RepResult = run_one(*job)
            yield res
