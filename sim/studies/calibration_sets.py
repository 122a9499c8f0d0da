"""The calibration's ensemble (issue 22): which accepted points it keeps, and how far the
data narrow each input across it. Read by :mod:`sim.runner.ensemble`."""

from __future__ import annotations

import numpy as np
import pandas as pd


def draw_ensemble(accepted: pd.DataFrame, names: list[str], integer: dict[str, bool],
                  seed: int, ensemble_size: int, min_reps: int, interactive_size: int
                  ) -> pd.DataFrame:
    """The ensemble: a seeded random sample of ``ensemble_size`` accepted points among
    those run with at least ``ensemble_min_reps`` replications (all of them if fewer),
    numbered 0.. in a random order, the first ``interactive_size`` marked for interactive
    use. Columns: set, interactive, wave, point, reps, I_max, then the factors."""
    pool = accepted[accepted["reps"] >= min_reps]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(22,)))
    order = rng.permutation(len(pool))[:ensemble_size]
    picked = pool.iloc[order].reset_index(drop=True)
    out = pd.DataFrame({"set": np.arange(len(picked)),
                        "interactive": np.arange(len(picked)) < interactive_size})
    for c in ("wave", "point", "reps", "I_max"):
        out[c] = picked[c].to_numpy() if len(picked) else []
    for n in names:
        v = picked[n].to_numpy(dtype=float) if len(picked) else np.array([])
        out[n] = np.round(v).astype(int) if integer[n] else v
    return out


def spread(ensemble: pd.DataFrame, names: list[str], lo: np.ndarray,
            hi: np.ndarray) -> dict[str, dict[str, float]]:
    """Each input across the ensemble: its 5th and 95th percentiles, and the width of that
    range over the prior's (1 = the data do not narrow it; a uniform prior gives 0.9)."""
    out: dict[str, dict[str, float]] = {}
    for j, n in enumerate(names):
        v = ensemble[n].to_numpy(dtype=float) if len(ensemble) else np.array([])
        if len(v) < 2:
            continue
        p5, p95 = np.quantile(v, [0.05, 0.95])
        out[n] = {"p5": float(p5), "p95": float(p95),
                  "width_over_prior": round(float((p95 - p5) / (hi[j] - lo[j])), 3)}
    return out
