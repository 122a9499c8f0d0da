"""Calibration by history matching, on the sweep engine (issue 11).

``jambi-sim calibrate experiments/calibration.toml --out results/calibration`` runs:

1. **Wave 1**: a Latin hypercube over the factors' prior ranges (``sweep`` with
   ``design = "lhs"``), ``reps`` replications per point under common random numbers
   (rep ``r`` of every point uses the same seed).
2. **Screening**: a Gaussian-process emulator per target output (the surrogate of
   :mod:`sim.studies.surrogate`) and its Sobol' total indices: which factors the targets
   can inform at all.
3. **History matching**: for a candidate x and target k with observation z_k,

       I_k(x) = |E[f_k(x)] - z_k| / sqrt(Var_emulator(x) + obs_sd^2 + definition_sd^2
                                          + discrepancy_sd^2)

   (one-sided for bounds: only the violation counts). x is non-implausible when the largest
   I_k is below ``cutoff`` (3, Pukelsheim's three-sigma rule). Wave 2 runs points drawn from
   the emulator's non-implausible region.
4. **Acceptance** on the simulator itself: every run point (both waves) with the emulator
   variance replaced by the replication variance of its mean. The accepted points are the
   non-implausible region the data allow. Among the accepted points run with the most
   replications (the last wave's, at least 10 in ``experiments/calibration.toml``), the one
   with the smallest largest implausibility is the calibrated set, run again with
   ``final_reps`` replications.
5. **Reading B** of 26,469 (everyone ever enrolled; ``docs/observations.md``) is checked on
   the same runs: how many points are non-implausible when that target is compared with
   ``people_ever_enrolled`` instead.

Runs are kept in ``--runs`` (default ``runs/<name>``; resumable like every sweep); the small
report goes to ``--out``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.runner.catalogue import is_output
from sim.studies.calibration_sets import draw_ensemble, spread
from sim.studies.design import Design, build_design
from sim.studies.spec import (
    Bases,
    Experiment,
    ExperimentError,
    Factor,
    check_names,
    check_outputs_exist,
    folder_name,
    read_spec,
)


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class Target(_Strict):
    name: str = Field(min_length=1, description="Short name of the target.")
    output: str = Field(description="The catalogue output compared (sim.runner.catalogue.OUTPUTS).")
    observed: float = Field(strict=False, description="The observed value (or the bound).")
    kind: Literal["value", "at_most", "at_least"] = Field(
        "value", description="value: near the observation; at_most / at_least: a bound, "
                             "only its violation counts.")
    obs_sd: float = Field(ge=0, strict=False, description="Observation error (sd).")
    definition_sd: float = Field(
        0.0, ge=0, strict=False, description="Uncertainty of what the observation counts (sd).")
    discrepancy_sd: float = Field(
        0.0, ge=0, strict=False, description="Model discrepancy (sd): what the model leaves out.")
    source: str = Field("", description="Where the observation comes from.")
    computes: str = Field("", description="What the model computes for it.")

    @property
    def sd(self) -> float:
        return math.sqrt(self.obs_sd ** 2 + self.definition_sd ** 2 + self.discrepancy_sd ** 2)


class Wave(_Strict):
    samples: int = Field(ge=2, le=100_000, description="Points run in this wave.")
    reps: int = Field(ge=1, le=1000, description="Replications per point.")


class Alternative(_Strict):
    target: str = Field(description="The target whose reading is changed.")
    output: str = Field(description="The output compared under the other reading.")
    label: str = Field("", description="What the other reading is.")


class Calibration(_Strict):
    name: str = folder_name()  # folder runs/<name>
    description: str = ""
    scenario: str | None = Field(None, description="Base scenario, relative to this file.")
    seed: int = Field(20240331, ge=0, le=2**32 - 1)
    cutoff: float = Field(3.0, gt=0, strict=False, description="Implausibility cut-off.")
    candidates: int = Field(20000, ge=100, le=10_000_000,
                            description="Emulator evaluations per wave to find the region.")
    waves: list[Wave] = Field(min_length=1, max_length=5)
    final_reps: int = Field(20, ge=1, le=1000,
                            description="Replications of the calibrated set's final check.")
    ensemble_size: int = Field(100, ge=1, le=100_000,
                               description="Accepted sets kept as the ensemble (a seeded "
                                           "random sample of the accepted points).")
    ensemble_min_reps: int = Field(10, ge=1, le=1000,
                                   description="Replications a point needs to join the "
                                               "ensemble (its acceptance rests on them).")
    interactive_size: int = Field(30, ge=1, le=100_000,
                                  description="Sets of the ensemble marked for interactive "
                                              "use (a seeded subsample).")
    fixed: dict[str, Any] = Field(default_factory=dict)
    factors: dict[str, Factor] = Field(min_length=2)
    targets: list[Target] = Field(min_length=1)
    alternative: Alternative | None = None
    report_outputs: list[str] = Field(default_factory=list,
                                      description="Further outputs kept in the tables.")

    @model_validator(mode="after")
    def _check(self) -> Calibration:
        bad = [t.output for t in self.targets if not is_output(t.output)]
        bad += [o for o in self.report_outputs if not is_output(o)]
        if self.alternative is not None and not is_output(self.alternative.output):
            bad.append(self.alternative.output)
        if bad:
            raise ValueError(f"unknown outputs {', '.join(map(repr, bad))}; see "
                             f"sim.runner.catalogue.OUTPUTS")
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise ValueError("targets: names must be unique")
        if self.alternative is not None and self.alternative.target not in names:
            raise ValueError(f"alternative.target '{self.alternative.target}' is not a target")
        for name, f in self.factors.items():
            if f.values is not None or f.levels is not None:
                raise ValueError(f"factors.{name}: give 'range = [lo, hi]' or {{}} (the "
                                 f"plausible range), not values")
        return self

    def outputs(self) -> list[str]:
        out = [t.output for t in self.targets] + list(self.report_outputs)
        if self.alternative is not None:
            out.append(self.alternative.output)
        return list(dict.fromkeys(out))

    def experiment(self, wave: int) -> Experiment:
        w = self.waves[wave]
        return Experiment(name=f"{self.name}_wave{wave + 1}", description=self.description,
                          scenario=self.scenario, design="lhs", samples=w.samples,
                          reps=w.reps, seed=self.seed, outputs=self.outputs(),
                          factors=self.factors, fixed=self.fixed)


def load_calibration(path: str | Path, read: Callable[[Path], bytes] | None = None
                     ) -> tuple[Calibration, Bases]:
    """Load and check a calibration file; returns it and its base scenario (read once;
    ``read``: see :class:`sim.studies.spec.Bases`)."""
    path = Path(path)
    cal = read_spec(path, Calibration, "no such calibration file (the shipped one is "
                                       "experiments/calibration.toml).", read)
    exp = cal.experiment(0)
    check_names(exp, path)
    bases = Bases(path.resolve().parent, read)
    check_outputs_exist(exp, path, bases)  # outputs within the simulated years
    from sim.studies.design import check_size

    for w in range(len(cal.waves)):  # every wave's size, before the first run
        check_size(cal.experiment(w))
    return cal, bases


def implausibility(mean: np.ndarray, var: np.ndarray, target: Target) -> np.ndarray:
    """I(x) for one target: the distance to the observation (one-sided for a bound) over
    the total sd (emulator or replication variance, observation, definition, discrepancy)."""
    sd = np.sqrt(np.asarray(var, dtype=float) + target.sd ** 2)
    sd = np.where(sd > 0, sd, 1e-12)
    d = np.asarray(mean, dtype=float) - target.observed
    if target.kind == "at_most":
        d = np.maximum(d, 0.0)
    elif target.kind == "at_least":
        d = np.minimum(d, 0.0)
    return np.abs(d) / sd


def point_stats(table: pd.DataFrame, outputs: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per point: the mean over replications and the variance of that mean."""
    ok = table[table["status"] == "ok"]
    g = ok.groupby("point")[outputs]
    n = g.count()
    var = (g.var(ddof=1) / n).fillna(0.0)
    return g.mean(), var


@dataclass
class Emulators:
    names: list[str]
    lo: np.ndarray
    hi: np.ndarray
    gps: dict[str, Any]
    holdout_r2: dict[str, float]

    def predict(self, output: str, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            mu, sd = self.gps[output].predict((X - self.lo) / (self.hi - self.lo),
                                              return_std=True)
        return mu, sd ** 2


def fit_emulators(X: np.ndarray, means: pd.DataFrame, outputs: list[str], lo: np.ndarray,
                  hi: np.ndarray, names: list[str], seed: int) -> Emulators:
    """A GP per output on the point means; the held-out R^2 of each (a fifth of the points
    left out, then refit on all)."""
    from sim.studies.surrogate import fit_emulator

    gps, r2 = {}, {}
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    order = rng.permutation(len(X))
    n_test = max(2, len(X) // 5)
    test, train = order[:n_test], order[n_test:]
    for o in outputs:
        y = means[o].to_numpy(dtype=float)
        ok = np.isfinite(y)
        if ok.sum() < 4:
            raise ExperimentError(f"calibration: too few finite values of {o} to fit an "
                                  f"emulator; add samples.")
        tr, te = train[ok[train]], test[ok[test]]
        if len(tr) >= 4 and len(te) >= 2 and np.var(y[te]) > 0:
            pred, _ = fit_emulator(X[tr], y[tr], lo, hi, seed)
            resid = y[te] - pred(X[te])
            r2[o] = round(1.0 - float(np.sum(resid ** 2) / np.sum((y[te] - y[te].mean()) ** 2)),
                          4)
        _, gp = fit_emulator(X[ok], y[ok], lo, hi, seed)
        gps[o] = gp
    return Emulators(names, lo, hi, gps, r2)


def screening(em: Emulators, targets: list[Target], seed: int) -> dict[str, dict[str, float]]:
    """Sobol' total indices of each target output, from its emulator (no model runs)."""
    from SALib import ProblemSpec

    out: dict[str, dict[str, float]] = {}
    for t in targets:
        if t.output in out:
            continue
        sp = ProblemSpec({"names": em.names, "bounds": np.c_[em.lo, em.hi].tolist(),
                          "outputs": [t.output]})
        sp.sample_sobol(256, calc_second_order=False, seed=seed)
        mu, _ = em.predict(t.output, np.asarray(sp.samples))
        sp.set_results(mu)
        sp.analyze_sobol(calc_second_order=False, num_resamples=100, seed=seed)
        out[t.output] = {n: round(float(v), 3) for n, v in zip(em.names, sp.analysis["ST"])}
    return out


# ------------------------------------------------------------------ the run
def _design(names: list[str], X: np.ndarray, integer: dict[str, bool]) -> Design:
    points = [{n: (int(round(x)) if integer[n] else float(x)) for n, x in zip(names, row)}
              for row in X]
    return Design(names, points, X, None, integer)


def _box(cal: Calibration, design: Design) -> tuple[np.ndarray, np.ndarray]:
    b = np.array(design.problem["bounds"], dtype=float)
    return b[:, 0], b[:, 1]


def _sweep_wall(path: Path, res: Any) -> float:
    """Seconds the runs kept in ``path`` took to run, over every invocation that ran some
    of them (kept in ``path/wall.json``): a resumed calibration reports how long its runs
    took, not the moment it spent finding them done."""
    f = path / "wall.json"
    try:
        before = float(json.loads(f.read_text())["wall_s"])
    except (OSError, ValueError, KeyError, TypeError):
        before = 0.0
    if res.ran:
        before += res.wall_s
        f.write_text(json.dumps({"wall_s": round(before, 1)}) + "\n")
    return before if before > 0 else res.wall_s


def calibrate(cal: Calibration, bases: Bases | Path, runs: Path, workers: int = 1,
              scheduler: str | None = None, progress: Any = None,
              say: Any = print, pool: Any = None) -> dict[str, Any]:
    """Run the waves and the final check; return the report (plain data). ``bases``: as
    :func:`load_calibration` returned them; ``pool``: a WorkerPool its caller owns."""
    from sim.studies.sweeps import sweep

    t0 = time.perf_counter()
    outputs = cal.outputs()
    targets = cal.targets
    exp1 = cal.experiment(0)
    d1 = build_design(exp1)
    lo, hi = _box(cal, d1)
    names, integer = d1.names, d1.integer
    tables: list[pd.DataFrame] = []
    X_all: list[np.ndarray] = []
    waves_info: list[dict[str, Any]] = []
    emulators: Emulators | None = None
    screen: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(np.random.SeedSequence(cal.seed, spawn_key=(11,)))
    swept_now = swept_total = 0.0  # seconds in sweeps: this invocation, and all that ran runs
    for w in range(len(cal.waves)):
        exp = cal.experiment(w)
        if w == 0:
            design = d1
        else:
            assert emulators is not None
            C = lo + rng.random((cal.candidates, len(names))) * (hi - lo)
            for j, n in enumerate(names):
                if integer[n]:
                    C[:, j] = np.round(C[:, j])
            imax = np.zeros(len(C))
            for t in targets:
                mu, var = emulators.predict(t.output, C)
                imax = np.maximum(imax, implausibility(mu, var, t))
            keep = np.flatnonzero(imax < cal.cutoff)
            share = len(keep) / len(C)
            if len(keep) >= exp.samples:
                pick = rng.choice(keep, exp.samples, replace=False)
            else:  # too few: the least implausible candidates
                pick = np.argsort(imax)[:exp.samples]
            waves_info[-1]["emulated_non_implausible_share"] = round(share, 4)
            say(f"Wave {w}: the emulator finds {share:.1%} of the prior box non-implausible; "
                f"wave {w + 1} runs {exp.samples} point(s) from it.")
            design = _design(names, C[pick], integer)
        say(f"Wave {w + 1}: {len(design.points)} point(s) x {exp.reps} rep(s).")
        res = sweep(exp, bases, runs / f"wave{w + 1}", workers=workers, scheduler=scheduler,
                    progress=progress, design=design, pool=pool)
        if res.failed:
            raise ExperimentError(f"calibration wave {w + 1}: {res.failed} run(s) failed; see "
                                  f"{runs}/wave{w + 1}/runs.jsonl")
        swept_now += res.wall_s
        wave_wall = _sweep_wall(runs / f"wave{w + 1}", res)
        swept_total += wave_wall
        table = res.table.assign(wave=w + 1)
        tables.append(table)
        X_all.append(np.asarray([[p[n] for n in names] for p in design.points], dtype=float))
        waves_info.append({"wave": w + 1, "points": len(design.points), "reps": exp.reps,
                           "runs": res.runs, "ran_now": res.ran, "reused": res.reused,
                           "wall_s": round(wave_wall, 1)})
        means, _ = point_stats(table, outputs)
        if w == 0:
            emulators = fit_emulators(X_all[0], means, outputs, lo, hi, names, cal.seed)
            screen = screening(emulators, targets, cal.seed)
        elif w < len(cal.waves) - 1:  # refit on every run point for the next wave
            X = np.vstack(X_all)
            m = pd.concat([point_stats(t, outputs)[0] for t in tables], ignore_index=True)
            emulators = fit_emulators(X, m, outputs, lo, hi, names, cal.seed)

    # ---------------------------------------------------------------- acceptance
    rows = []
    for w, (table, X) in enumerate(zip(tables, X_all)):
        means, var = point_stats(table, outputs)
        for i in means.index:
            row: dict[str, Any] = {"wave": w + 1, "point": int(i), "reps": cal.waves[w].reps}
            row.update({n: X[i, j] for j, n in enumerate(names)})
            imax = 0.0
            for t in targets:
                val = float(implausibility(means.loc[i, t.output], var.loc[i, t.output], t))
                row[f"I_{t.name}"] = round(val, 3)
                imax = max(imax, val)
            row["I_max"] = round(imax, 3)
            if cal.alternative is not None:
                alt = cal.alternative
                t = next(x for x in targets if x.name == alt.target)
                alt_t = t.model_copy(update={"output": alt.output})
                ib = max([float(implausibility(means.loc[i, alt.output],
                                               var.loc[i, alt.output], alt_t))] +
                         [row[f"I_{x.name}"] for x in targets if x.name != alt.target])
                row["I_max_reading_b"] = round(ib, 3)
            row.update({o: float(means.loc[i, o]) for o in outputs})
            rows.append(row)
    points = pd.DataFrame(rows)
    accepted = points[points["I_max"] < cal.cutoff].sort_values("I_max")
    if accepted.empty:
        best = points.sort_values("I_max").iloc[0]
        say(f"No point is non-implausible (smallest largest implausibility "
            f"{best['I_max']:.2f}); the least implausible point is reported.")
    # The calibrated set is the least implausible accepted point among those run with the
    # most replications (the last wave's, by design), so that noise does not pick it.
    eligible = accepted if len(accepted) else points.sort_values("I_max")
    best = eligible[eligible["reps"] == eligible["reps"].max()].iloc[0]
    chosen = {n: (int(round(best[n])) if integer[n] else float(best[n])) for n in names}

    # ---------------------------------------------------------------- final check
    final_exp = cal.experiment(0).model_copy(update={
        "name": f"{cal.name}_final", "samples": 1, "reps": cal.final_reps})
    final_design = _design(names, np.array([[chosen[n] for n in names]], dtype=float), integer)
    say(f"Final check: the calibrated set, {cal.final_reps} replications.")
    fres = sweep(final_exp, bases, runs / "final", workers=workers, scheduler=scheduler,
                 progress=progress, design=final_design, pool=pool)
    swept_now += fres.wall_s
    swept_total += _sweep_wall(runs / "final", fres)
    ft = fres.table[fres.table["status"] == "ok"]
    final = {}
    for t in targets:
        v = ft[t.output].to_numpy(dtype=float)
        mean = float(np.mean(v))
        half = float(1.96 * np.std(v, ddof=1) / math.sqrt(len(v))) if len(v) > 1 else 0.0
        final[t.name] = {"output": t.output, "observed": t.observed, "kind": t.kind,
                         "mean": mean, "ci95": [mean - half, mean + half],
                         "range_2_5_97_5": [float(np.quantile(v, 0.025)),
                                            float(np.quantile(v, 0.975))],
                         "implausibility": round(float(implausibility(
                             mean, np.var(v, ddof=1) / len(v) if len(v) > 1 else 0.0, t)), 3)}
    ensemble = draw_ensemble(accepted, names, integer, cal.seed, cal.ensemble_size,
                             cal.ensemble_min_reps, cal.interactive_size)
    if len(ensemble) < cal.ensemble_size:
        say(f"Only {len(ensemble)} accepted point(s) ran at least {cal.ensemble_min_reps} "
            f"replications: the ensemble holds {len(ensemble)} set(s), not "
            f"{cal.ensemble_size}.")
    prior = {n: [float(lo[j]), float(hi[j])] for j, n in enumerate(names)}
    posterior = {}
    for j, n in enumerate(names):
        v = accepted[n].to_numpy(dtype=float) if len(accepted) else np.array([])
        width = hi[j] - lo[j]
        posterior[n] = {
            "prior": prior[n],
            "accepted_min": float(v.min()) if len(v) else None,
            "accepted_max": float(v.max()) if len(v) else None,
            "accepted_mean": float(v.mean()) if len(v) else None,
            # sd of accepted values over the sd of the uniform prior: near 1 = not identified
            "sd_ratio": round(float(v.std(ddof=1) / (width / math.sqrt(12))), 3)
            if len(v) > 2 else None,
        }
    corr = []
    if len(accepted) > 4:
        c = accepted[names].astype(float).corr().to_numpy()
        for a in range(len(names)):
            for b in range(a + 1, len(names)):
                if np.isfinite(c[a, b]) and abs(c[a, b]) >= 0.4:
                    corr.append({"a": names[a], "b": names[b], "r": round(float(c[a, b]), 3)})
        corr.sort(key=lambda r: -abs(r["r"]))
    report = {
        "name": cal.name, "description": cal.description, "scenario": cal.scenario,
        "seed": cal.seed, "cutoff": cal.cutoff, "factors": names,
        "targets": [t.model_dump() | {"total_sd": t.sd} for t in targets],
        "waves": waves_info, "runs_total": int(sum(len(t) for t in tables) + len(ft)),
        "points_run": len(points), "accepted": len(accepted),
        "accepted_reading_b": int((points["I_max_reading_b"] < cal.cutoff).sum())
        if "I_max_reading_b" in points else None,
        "emulator_holdout_r2": emulators.holdout_r2 if emulators else {},
        "screening_total_sobol": screen,
        "alternative": cal.alternative.model_dump() if cal.alternative else None,
        "tradeoff_pair": _top_two(screen.get(targets[0].output, {})),
        "chosen": chosen, "chosen_I_max": float(best["I_max"]),
        "ensemble": {"sets": len(ensemble), "asked": cal.ensemble_size,
                     "min_reps": cal.ensemble_min_reps,
                     "interactive": int(ensemble["interactive"].sum()) if len(ensemble) else 0,
                     "spread": spread(ensemble, names, lo, hi)},
        "runs_reused": int(sum(w["reused"] for w in waves_info) + fres.reused),
        "final_check": final, "posterior": posterior, "correlations": corr,
        # this invocation's own time, with each sweep counted at the time its runs took
        "wall_s": round(time.perf_counter() - t0 - swept_now + swept_total, 1),
        "cpu_count": os.cpu_count(), "workers": workers,
    }
    return {"report": report, "points": points, "accepted": accepted, "ensemble": ensemble}


def _top_two(indices: dict[str, float]) -> list[str] | None:
    """The two factors with the largest Sobol' total index of an output."""
    ranked = sorted(indices, key=lambda n: -indices[n])
    return ranked[:2] if len(ranked) >= 2 else None
