"""The calibrated ensemble: answers from every accepted parameter set, not one (issue 22).

``jambi-sim calibrate`` writes ``ensemble.csv``: a seeded random sample of the accepted
points, each accepted on at least 10 replications, numbered 0.. (``set``), the first 30 marked
``interactive``. A scenario names it (``ensemble = "../results/calibration/ensemble.csv"``,
relative to the scenario file); every command reads it once, as bytes, and records its hash.

Set ``i`` of a scenario is the scenario with the set's values in place of its own
(:meth:`Ensemble.scenario`). An ensemble run gives each (set, replication) the seed and
replication number a single-set run would use, so the sets share common random numbers:
the difference between two scenarios under set ``i`` and replication ``r`` is paired.

What is reported:

- a **headline** (:func:`describe`): the mean over every set and replication, with a band
  (the 2.5 and 97.5 percentiles over sets and replications) and the range of the sets'
  means;
- a **difference** (:func:`paired`): per set, the mean paired difference of the
  replications with its 95% t-interval; a set *agrees* with a claimed sign when its
  interval lies wholly on that side of zero (or beyond a stated smallest effect); the
  **agreement share** comes with its Wilson 95% interval (:func:`agreement`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario import Scenario, ScenarioError

META = ("set", "interactive", "wave", "point", "reps", "I_max")  # not parameters
WHICH = ("interactive", "all")  # named subsets of an ensemble


@dataclass(frozen=True)
class Ensemble:
    """The accepted sets of a calibration, as read from one file."""

    origin: str  # the file, for messages
    sha256: str  # of the bytes read
    columns: tuple[str, ...]  # the parameters each set gives (dotted scenario keys)
    values: tuple[tuple[Any, ...], ...]  # one row of values per set, in set order
    interactive: tuple[int, ...]  # the sets marked for interactive use

    def __len__(self) -> int:
        return len(self.values)

    def params(self, i: int) -> dict[str, Any]:
        """Set ``i``'s values by parameter."""
        return dict(zip(self.columns, self.values[self.check_set(i)]))

    def scenario(self, base: Scenario, i: int) -> Scenario:
        """``base`` with set ``i``'s values in place of its own."""
        return base.with_overrides(**self.params(i))

    def check_set(self, i: Any) -> int:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or \
                not 0 <= int(i) < len(self.values):
            raise ScenarioError(f"{self.origin}: no set {i!r}; the sets are numbered 0 to "
                                f"{len(self.values) - 1}.")
        return int(i)

    def pick(self, which: str | int | Sequence[int]) -> list[int]:
        """The sets ``which`` names: 'interactive' (the seeded subsample), 'all', one set
        number, or a list of set numbers."""
        if isinstance(which, str):
            if which == "interactive":
                return list(self.interactive) or list(range(len(self)))
            if which == "all":
                return list(range(len(self)))
            raise ScenarioError(f"{self.origin}: unknown subset {which!r}; use one of "
                                f"{', '.join(WHICH)}, or a set number 0 to {len(self) - 1}.")
        if isinstance(which, (int, np.integer)) and not isinstance(which, bool):
            return [self.check_set(which)]
        return [self.check_set(i) for i in which]


def read_ensemble(data: bytes, origin: str, base: Scenario | None = None) -> Ensemble:
    """Parse and check an ensemble file's bytes. Every column but :data:`META` must be a
    scenario parameter (an unknown one is refused with the valid ones near it); with
    ``base``, every set must give a valid scenario."""
    from sim.scenario import parameter_table

    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (a spreadsheet's export) is fine
    except UnicodeDecodeError:
        raise ScenarioError(f"{origin}: not UTF-8 text (an ensemble is a CSV file written by "
                            f"'jambi-sim calibrate').") from None
    rows = list(csv.reader(io.StringIO(text)))
    head = [h.strip() for h in rows[0]] if rows else []
    if "set" not in head:
        raise ScenarioError(f"{origin}: not an ensemble file: the first line must name the "
                            f"columns, 'set' among them (written by 'jambi-sim calibrate').")
    dup = sorted({h for h in head if head.count(h) > 1})
    if dup:
        raise ScenarioError(f"{origin}: column(s) {', '.join(map(repr, dup))} given twice; "
                            f"each parameter may have one column.")
    table = {row["parameter"]: row for row in parameter_table()}
    numeric = {k for k, row in table.items() if row["lo"] is not None or row["integer"]}
    params = [h for h in head if h not in META]
    bad = [h for h in params if h not in numeric]
    if bad:
        import difflib

        near = list(dict.fromkeys(m for h in bad  # closest first
                                  for m in difflib.get_close_matches(h, numeric, n=3)))
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        what = ["not a numeric parameter" if h in table else "unknown" for h in bad]
        raise ScenarioError(f"{origin}: column(s) {', '.join(f'{h!r} ({w})' for h, w in zip(bad, what))}; "
                            f"an ensemble's columns are {', '.join(META)} and numeric "
                            f"scenario parameters (jambi-sim params lists them).{hint}")
    if not params:
        raise ScenarioError(f"{origin}: the file gives no parameter column.")
    idx = {h: j for j, h in enumerate(head)}
    values, interactive = [], []
    for n, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != len(head):
            raise ScenarioError(f"{origin}: line {n} has {len(row)} fields, not {len(head)}.")
        try:
            s = int(row[idx["set"]])
        except ValueError:
            raise ScenarioError(f"{origin}: line {n}: set {row[idx['set']]!r} is not a whole "
                                f"number.") from None
        if s != len(values):
            raise ScenarioError(f"{origin}: line {n}: set {s}; the sets must be numbered "
                                f"0, 1, 2, ... in order (expected {len(values)}).")
        vals = []
        for h in params:
            cell = row[idx[h]].strip()
            try:
                v: Any = int(cell) if cell.lstrip("-").isdigit() else float(cell)
            except ValueError:
                raise ScenarioError(f"{origin}: line {n}, column {h}: {cell!r} is not a "
                                    f"number.") from None
            if isinstance(v, float) and not math.isfinite(v):
                raise ScenarioError(f"{origin}: line {n}, column {h}: {cell!r} is not a "
                                    f"finite number.")
            vals.append(v)
        values.append(tuple(vals))
        if "interactive" in idx and row[idx["interactive"]].strip().lower() in ("true", "1"):
            interactive.append(s)
    if not values:
        raise ScenarioError(f"{origin}: the file holds no set.")
    ens = Ensemble(origin, hashlib.sha256(data).hexdigest(), tuple(params), tuple(values),
                   tuple(interactive))
    if base is not None:
        for i in range(len(ens)):
            try:
                ens.scenario(base, i)
            except ScenarioError as exc:
                raise ScenarioError(f"{origin}: set {i} does not give a valid scenario: "
                                    f"{exc}") from None
    return ens


def ensemble_path(scenario: Scenario, scenario_file: str | Path) -> Path | None:
    """Where a scenario's ensemble file is (relative to the scenario file), or None."""
    if not scenario.ensemble:
        return None
    return Path(os.path.normpath(Path(scenario_file).parent / scenario.ensemble))


def changes(changed: Scenario, base: Scenario) -> dict[str, Any]:
    """The parameters (dotted keys) where ``changed`` differs from ``base``: what a
    participant or a compared file changed, to apply on top of each set."""
    from sim.scenario import parameter_table

    def at(sc: Any, key: str) -> Any:
        for part in key.split("."):
            sc = getattr(sc, part)
        return sc

    return {row["parameter"]: at(changed, row["parameter"]) for row in parameter_table()
            if row["parameter"] not in LABELS
            and at(changed, row["parameter"]) != at(base, row["parameter"])}


LABELS = ("name", "description", "calibrated_by", "ensemble")  # change no run


# ------------------------------------------------------------------ running
def ensemble_jobs(base: Scenario, ens: Ensemble, sets: Iterable[int], reps: int, seed: int,
                  extra: dict[str, Any] | None = None
                  ) -> list[tuple[Scenario, int, int, bool]]:
    """The (scenario, seed, rep, tables) jobs of ``reps`` replications of each set, set
    by set: replication ``r`` of every set has the seed and number a single run would.
    ``extra``: values applied after the set's (what a whatif varies)."""
    jobs = []
    for i in sets:
        sc = ens.scenario(base, i)
        if extra:
            sc = sc.with_overrides(**extra)
        jobs += [(sc, seed, r, False) for r in range(reps)]
    return jobs


def run_ensemble(base: Scenario, ens: Ensemble, sets: Sequence[int], reps: int, seed: int,
                 pool: Any = None, progress: Callable[[int], None] | None = None,
                 extra: dict[str, Any] | None = None) -> np.ndarray:
    """Every catalogue scalar of ``reps`` replications of each set: an array of dicts
    shaped (sets, reps). ``pool``: a :class:`sim.runner.WorkerPool`, else this process."""
    from sim.runner.replications import run_one

    jobs = ensemble_jobs(base, ens, sets, reps, seed, extra)
    it = pool.replications(jobs) if pool is not None else (run_one(*j) for j in jobs)
    out = np.empty(len(jobs), dtype=object)
    for k, res in enumerate(it):
        out[k] = dict(res.stats["scalars"])
        if progress is not None:
            progress(1)
    return out.reshape(len(sets), reps)


def values(scalars: np.ndarray, output: str) -> np.ndarray:
    """One output from :func:`run_ensemble`'s table, as floats shaped (sets, reps); an
    unknown output is refused with the valid ones listed."""
    first = scalars.flat[0]
    if output not in first:
        from sim.runner.catalogue import OUTPUTS

        raise ScenarioError(f"unknown output {output!r}; the outputs are "
                            f"{', '.join(sorted(OUTPUTS))} (sim.OUTPUTS).")
    return np.vectorize(lambda d: float(d[output]) if d[output] is not None else np.nan,
                        otypes=[float])(scalars)


def describe(v: np.ndarray) -> dict[str, Any]:
    """The headline of one output over an ensemble: its mean over sets and replications,
    the band holding 95% of them, and the range of the sets' means."""
    flat = v[np.isfinite(v)]
    with warnings.catch_warnings():  # a set with no value at all (nobody enrolled) is NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        set_means = np.nanmean(v, axis=1) if v.shape[1] else np.array([])
    if not len(flat):
        return {"mean": None, "band_2_5_97_5": [None, None], "set_means_range": [None, None],
                "sets": int(v.shape[0]), "reps": int(v.shape[1])}
    return {"mean": float(flat.mean()),
            "band_2_5_97_5": [float(np.quantile(flat, 0.025)), float(np.quantile(flat, 0.975))],
            "set_means_range": [float(np.nanmin(set_means)), float(np.nanmax(set_means))],
            "sets": int(v.shape[0]), "reps": int(v.shape[1])}


def _t975(df: int) -> float:
    """The 97.5% point of Student's t with ``df`` degrees of freedom."""
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def paired(a: np.ndarray, b: np.ndarray, claim: str = "auto",
           smallest: float = 0.0) -> dict[str, Any]:
    """``b - a`` of one output under common random numbers, set by set (both shaped
    (sets, reps), the same sets and replications). Each set's difference is the mean of its
    paired replications, with a 95% t-interval (none with one replication). A set agrees
    with the claim ('up', 'down', or 'auto': the sign of the ensemble's mean difference)
    when its interval lies beyond ``smallest`` on the claimed side (with one replication:
    its difference does)."""
    if a.shape != b.shape:
        raise ValueError(f"paired: shapes differ ({a.shape} and {b.shape}); the runs must "
                         f"be the same sets and replications")
    if claim not in ("auto", "up", "down"):
        raise ValueError(f"paired: claim must be 'auto', 'up' or 'down', not {claim!r}")
    d = b - a
    n_sets, reps = d.shape
    n = np.isfinite(d).sum(axis=1)  # an undefined output (nobody enrolled) is left out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(d, axis=1)
        sd = np.nanstd(d, axis=1, ddof=1) if reps > 1 else np.zeros(n_sets)
        overall = float(np.nanmean(d)) if np.isfinite(d).any() else math.nan
    half = np.array([0.0 if reps == 1 and k == 1 else
                     (_t975(k - 1) * sd[j] / math.sqrt(k) if k >= 2 else math.nan)
                     for j, k in enumerate(n)])
    lo, hi = mean - half, mean + half
    sign = ("up" if not overall < 0 else "down") if claim == "auto" else claim
    # a set with no interval (too few defined replications) does not agree
    agrees = np.isfinite(lo) & ((lo > smallest) if sign == "up" else (hi < -smallest))
    share = agreement(int(np.sum(agrees)), n_sets)
    return {"mean": overall, "claim": sign, "smallest_effect": smallest,
            "per_set": [{"diff": float(m), "ci95": [float(x), float(y)], "agrees": bool(g)}
                        for m, x, y, g in zip(mean, lo, hi, agrees)],
            "set_diff_range": [float(np.nanmin(mean)), float(np.nanmax(mean))]
            if np.isfinite(mean).any() else [math.nan, math.nan],
            **share}


def agreement(k: int, n: int) -> dict[str, Any]:
    """``k`` of ``n`` sets agree: the share with its Wilson 95% score interval."""
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"agreement: need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    z = 1.959963984540054
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    lo = 0.0 if k == 0 else max(0.0, centre - half)
    hi = 1.0 if k == n else min(1.0, centre + half)
    return {"agree": k, "sets": n, "share": p, "share_ci95": [lo, hi]}


def agree_text(share: dict[str, Any], lang: str = "en") -> str:
    """'27 of 30 sets (90%, 95% CI 74-97%)' or its Indonesian."""
    lo, hi = (round(100 * x) for x in share["share_ci95"])
    pct = round(100 * share["share"])
    if lang == "id":
        return (f"{share['agree']} dari {share['sets']} set ({pct}%, IK 95% {lo}–{hi}%)")
    return f"{share['agree']} of {share['sets']} sets ({pct}%, 95% CI {lo}–{hi}%)"


# ------------------------------------------------------------------ answers
def _numeric_outputs(scalars: np.ndarray) -> list[str]:
    first = scalars.flat[0]
    return [k for k, v in first.items()
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            or v is None]


def run_block(base: Scenario, ens: Ensemble, sets: Sequence[int], reps: int, seed: int,
              pool: Any = None, progress: Callable[[int], None] | None = None,
              scalars: np.ndarray | None = None) -> dict[str, Any]:
    """What ``jambi-sim run`` reports over the ensemble: every numeric output described
    over sets and replications, and how many sets end below the target. ``scalars``:
    :func:`run_ensemble`'s table of these very sets, if already run."""
    if scalars is None:
        scalars = run_ensemble(base, ens, sets, reps, seed, pool, progress)
    outputs = {o: describe(values(scalars, o)) for o in _numeric_outputs(scalars)}
    block: dict[str, Any] = {"file": ens.origin, "sha256": ens.sha256, "sets": list(sets),
                             "n_sets": len(sets), "reps": reps, "seed": seed,
                             "outputs": outputs}
    target = base.program.target
    if "active_members_end" in outputs:
        means = np.nanmean(values(scalars, "active_members_end"), axis=1)
        block["below_target"] = {"target": target,
                                 **agreement(int(np.sum(means < target)), len(sets))}
    return block


def compare_block(scenarios: Sequence[Scenario], labels: Sequence[str], ens: Ensemble,
                  sets: Sequence[int], reps: int, seed: int, outputs: Sequence[str],
                  pool: Any = None, progress: Callable[[int], None] | None = None,
                  overrides: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Each scenario against the first, over the ensemble, paired within each set and
    replication (common random numbers): per output, the mean difference, its range over
    the sets and the share of sets that agree. ``overrides``: per scenario, values applied
    after the set's (a whatif's parameter), so the set never undoes what is compared."""
    def runs(k: int) -> np.ndarray:
        extra = overrides[k] if overrides is not None else None
        return run_ensemble(scenarios[k], ens, sets, reps, seed, pool, progress, extra)

    tables = [runs(k) for k in range(len(scenarios))]
    ref = tables[0]
    variants = []
    for k in range(1, len(scenarios)):
        variants.append({"label": labels[k], "outputs": {
            o: paired(values(ref, o), values(tables[k], o)) for o in outputs}})
    return {"file": ens.origin, "sha256": ens.sha256, "sets": list(sets),
            "n_sets": len(sets), "reps": reps, "seed": seed, "reference": labels[0],
            "variants": variants}
