"""Scenario discovery: which combinations of factors make an outcome meet a threshold?

``jambi-sim discover EXPERIMENT.toml`` runs an experiment's sweep (the resumable run store
of :mod:`sim.studies.sweeps`), labels each design point by whether its outcome meets a
threshold, and runs PRIM, the Patient Rule Induction Method of the EMA Workbench
(``ema_workbench.analysis.prim.Prim``, Friedman and Fisher 1999; Bryant and Lempert 2010),
to find a *box*: a range for some of the factors inside which most points meet the
threshold. The experiment file is the usual sweep experiment (:mod:`sim.studies.spec`)
plus a ``[discover]`` table::

    [discover]
    outcome = "active_members_end"   # a name from sim.OUTPUTS (yearly: active_members_2026)
    threshold = 30000
    direction = "at_least"           # or "at_most"
    peel_alpha = 0.05                # optional, EMA's defaults: share peeled per step
    paste_alpha = 0.05               #   share pasted back per step
    mass_min = 0.05                  #   smallest box, as a share of the points
    threshold_density = 0.8          #   the density the chosen box must reach

Choices, stated once:

- **One label per point**: the outcome's mean over the point's replications (its runs
  that finished; a point whose runs all failed is left out and counted). Replications share
  seeds across points (common random numbers), so the mean compares points fairly; with
  ``reps = 1`` it is the run itself. PRIM then sees each combination of factors once.
- **The chosen box**: PRIM peels a trajectory of ever smaller boxes (and pastes the last
  one back out). The chosen box is the one with the **highest coverage among the boxes
  whose density is at least** ``threshold_density`` (ties: fewer restricted factors, then
  the earlier box). If no box reaches that density, no box is chosen, and the report says
  how dense the densest box was. EMA's ``Prim`` needs a density threshold and has no
  default; 0.8 is the value of its documentation's examples. EMA has no minimum coverage:
  its ``mass_min`` (default 0.05) is the nearest setting.
- **Dated outcomes**: the catalogue has no outcome on an arbitrary date, only the end date
  and 31 December of each simulated year (``active_members_<year>``), so the table has no
  ``date`` key: name the yearly outcome instead.
- **The calibrated set as a factor** (``set = {}``: each point runs one of the base
  scenario's accepted sets): a set's number means nothing to a reader, so PRIM does not see
  it. It sees instead the set's calibrated values, one column ``set: <parameter>`` per
  ensemble parameter that is not itself a factor (:func:`with_set_values`); a box then
  reads "where the calibrated exits are low", an uncertainty a reader can name. The
  points table keeps the set's number too.

:func:`find_boxes` is pure (no files, no global state): a DataFrame ``x`` and a boolean
``y`` in, a :class:`Discovery` out. The EMA Workbench is imported only when it runs. The
file's loader and the report's tables and figures are in :mod:`sim.studies.discover_report`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

DIRECTIONS = ("at_least", "at_most")
# EMA Workbench 2.5.3, ema_workbench/analysis/prim.py, Prim.__init__: peel_alpha=0.05,
# paste_alpha=0.05, mass_min=0.05; its threshold (the density) has no default.
PEEL_ALPHA = 0.05
PASTE_ALPHA = 0.05
MASS_MIN = 0.05
THRESHOLD_DENSITY = 0.8
# PRIM's settings: (name, default, lowest (excluded), highest)
SETTINGS = (("peel_alpha", PEEL_ALPHA, 0.0, 0.5), ("paste_alpha", PASTE_ALPHA, 0.0, 0.5),
            ("mass_min", MASS_MIN, 0.0, 1.0),
            ("threshold_density", THRESHOLD_DENSITY, 0.0, 1.0))
KEYS = ("outcome", "threshold", "direction", *(k for k, *_ in SETTINGS))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


@dataclass(frozen=True)
class Discover:
    """The ``[discover]`` table of an experiment file, checked."""

    outcome: str
    threshold: float
    direction: str = "at_least"
    peel_alpha: float = PEEL_ALPHA
    paste_alpha: float = PASTE_ALPHA
    mass_min: float = MASS_MIN
    threshold_density: float = THRESHOLD_DENSITY

    @classmethod
    def parse(cls, data: Any, model: str = "jambi") -> Discover:
        """The table as a :class:`Discover`, or a ValueError naming the key
        (``discover.<key>``) and what it allows: every name is checked here, before any
        run."""
        from sim.runner.catalogue import YEARLY_PREFIXES, is_output, output_names
        from sim.scenario.errors import _clean

        if not isinstance(data, dict):
            raise ValueError(f"discover must be a table with the keys {', '.join(KEYS)}, "
                             f"got {_clean(repr(data))[:60]}")
        unknown = [k for k in data if k not in KEYS]
        if unknown:
            raise ValueError(f"discover: unknown key {', '.join(repr(_clean(str(k))) for k in unknown)}"
                             f"; allowed keys: {', '.join(KEYS)}")
        for key in ("outcome", "threshold"):
            if key not in data:
                raise ValueError(f"discover.{key} is missing; the table needs outcome "
                                 f"(a name from sim.OUTPUTS), threshold (a number) and "
                                 f"direction ({' or '.join(map(repr, DIRECTIONS))})")
        outcome = data["outcome"]
        names = ["y"] if model != "jambi" else output_names()
        ok = isinstance(outcome, str) and (outcome == "y" if model != "jambi"
                                           else is_output(outcome))
        if not ok:
            yearly = "" if model != "jambi" else \
                f", and per year: {', '.join(p + '<year>' for p in YEARLY_PREFIXES)}"
            raise ValueError(f"discover.outcome = {_clean(repr(outcome))[:60]}: unknown "
                             f"outcome; allowed: {', '.join(names)}{yearly}")
        threshold = data["threshold"]
        if not _number(threshold):
            raise ValueError(f"discover.threshold = {_clean(repr(threshold))[:60]}: must be "
                             f"a number (in the outcome's unit, e.g. 30000 people)")
        direction = data.get("direction", "at_least")
        if direction not in DIRECTIONS:
            raise ValueError(f"discover.direction = {_clean(repr(direction))[:60]}: allowed "
                             f"values: {', '.join(map(repr, DIRECTIONS))}")
        values = {}
        for key, default, lo, hi in SETTINGS:
            v = data.get(key, default)
            if not _number(v) or not lo < v <= hi:
                raise ValueError(f"discover.{key} = {_clean(repr(v))[:60]}: must be a number "
                                 f"above {lo:g} and at most {hi:g} (default {default:g})")
            values[key] = float(v)
        return cls(outcome, float(threshold), direction, **values)

    def meets(self, values: np.ndarray) -> np.ndarray:
        """Whether each value meets the threshold (NaN never does)."""
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            return v >= self.threshold if self.direction == "at_least" else \
                v <= self.threshold

    def prim_settings(self) -> dict[str, float]:
        return {"peel_alpha": self.peel_alpha, "paste_alpha": self.paste_alpha,
                "mass_min": self.mass_min, "threshold_density": self.threshold_density}


@dataclass
class Discovery:
    """What PRIM found. ``trajectory``: one row per box of the peeling (and pasting)
    trajectory: ``step``, ``coverage``, ``density``, ``mass``, ``n`` (points in the box),
    ``k`` (of them meeting the threshold), ``restricted`` (factors restricted).
    ``limits[step]``: each factor's (lower, upper), or for a nominal factor the tuple of
    values kept. ``chosen``: the chosen step (None: no box reaches ``threshold_density``).
    ``ranges``: each factor's full range (the design's, or the data's)."""

    factors: list[str]
    n: int
    n_interest: int
    threshold_density: float
    trajectory: pd.DataFrame
    limits: list[dict[str, Any]]
    ranges: dict[str, Any]
    chosen: int | None
    settings: dict[str, float] = field(default_factory=dict)

    @property
    def share(self) -> float:
        return self.n_interest / self.n if self.n else float("nan")

    def restricted(self, step: int | None = None) -> list[str]:
        """The factors the box of ``step`` (default: the chosen one) restricts."""
        step = self.chosen if step is None else step
        if step is None:
            return []
        lim, full = self.limits[step], self.limits[0]
        return [f for f in self.factors if lim[f] != full[f]]

    def box(self, step: int | None = None) -> pd.DataFrame:
        """One row per restricted factor of the box: ``factor``, ``lower``, ``upper`` (or
        ``values`` for a nominal factor), the full range, and the box's coverage, density,
        mass and n."""
        step = self.chosen if step is None else step
        cols = ["factor", "lower", "upper", "values", "full_lower", "full_upper",
                "coverage", "density", "mass", "n"]
        if step is None:
            return pd.DataFrame(columns=cols)
        t = self.trajectory.iloc[step]
        rows = []
        for f in self.restricted(step):
            lim, full = self.limits[step][f], self.ranges[f]
            nominal = isinstance(lim, tuple) and not _numeric_pair(lim)
            if not nominal:  # a side PRIM left as the data's min or max is not restricted
                first = self.limits[0][f]
                lim = (full[0] if lim[0] == first[0] else lim[0],
                       full[1] if lim[1] == first[1] else lim[1])
            rows.append({"factor": f,
                         "lower": None if nominal else lim[0],
                         "upper": None if nominal else lim[1],
                         "values": " | ".join(map(str, lim)) if nominal else "",
                         "full_lower": None if nominal else full[0],
                         "full_upper": None if nominal else full[1],
                         "coverage": float(t["coverage"]), "density": float(t["density"]),
                         "mass": float(t["mass"]), "n": int(t["n"])})
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> dict[str, Any]:
        """The chosen box as plain data (for summary.json)."""
        out: dict[str, Any] = {"points": self.n, "points_meeting": self.n_interest,
                               "share_meeting": self.share,
                               "prim": self.settings, "chosen_step": self.chosen,
                               "steps": len(self.trajectory),
                               "max_density": float(self.trajectory["density"].max())
                               if len(self.trajectory) else None}
        if self.chosen is None:
            out["box"] = None
            return out
        t = self.trajectory.iloc[self.chosen]
        out["box"] = {
            "coverage": float(t["coverage"]), "density": float(t["density"]),
            "mass": float(t["mass"]), "n": int(t["n"]), "k": int(t["k"]),
            "restrictions": {r["factor"]: ({"values": r["values"].split(" | ")} if r["values"]
                                           else {"lower": _plain(r["lower"]),
                                                 "upper": _plain(r["upper"])})
                             for r in self.box().to_dict("records")}}
        return out


def _numeric_pair(lim: tuple) -> bool:
    return len(lim) == 2 and all(isinstance(v, (int, float, np.number))
                                 and not isinstance(v, (bool, np.bool_)) for v in lim)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _limits(box_lim: pd.DataFrame, factors: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in factors:
        lo, hi = box_lim[f].iloc[0], box_lim[f].iloc[1]
        if isinstance(lo, set):  # a nominal factor: the values kept
            out[f] = tuple(sorted(lo, key=str))
        else:
            out[f] = (_plain(lo), _plain(hi))
    return out


def choose(trajectory: pd.DataFrame, threshold_density: float) -> int | None:
    """The step with the highest coverage among those with density >= threshold_density
    (ties: fewer restricted factors, then the earlier step); None if there is none."""
    ok = trajectory[trajectory["density"] >= threshold_density - 1e-12]
    if ok.empty:
        return None
    best = ok.sort_values(["coverage", "restricted", "step"],
                          ascending=[False, True, True], kind="stable")
    return int(best["step"].iloc[0])


def find_boxes(x: pd.DataFrame, y: np.ndarray, peel_alpha: float = PEEL_ALPHA,
               threshold_density: float = THRESHOLD_DENSITY, mass_min: float = MASS_MIN,
               paste_alpha: float = PASTE_ALPHA,
               ranges: dict[str, Any] | None = None) -> Discovery:
    """PRIM (EMA Workbench) on factors ``x`` (one row per point; numeric or nominal
    columns) and ``y`` (True where the point meets the threshold): its peeling and pasting
    trajectory and the chosen box (see the module's docstring for the rule). ``ranges``:
    each factor's full range for the report (default: its range in ``x``).

    Raises TypeError or ValueError for inputs PRIM cannot read, naming what is wrong.
    Needs ``ema_workbench`` (``pip install -e '.[ema]'``)."""
    if not isinstance(x, pd.DataFrame) or x.shape[1] == 0 or len(x) == 0:
        raise TypeError(f"x must be a non-empty DataFrame of factors (a column each), got "
                        f"{type(x).__name__}")
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must be one value per row of x ({len(x)}), got shape {y.shape}")
    if y.dtype != bool:
        if not np.isin(y, (0, 1)).all():
            raise ValueError("y must be True/False (meets the threshold or not)")
        y = y.astype(bool)
    given = {"peel_alpha": peel_alpha, "paste_alpha": paste_alpha, "mass_min": mass_min,
             "threshold_density": threshold_density}
    for name, _, lo, hi in SETTINGS:
        v = given[name]
        if not _number(v) or not lo < v <= hi:
            raise ValueError(f"{name} must be a number above {lo:g} and at most {hi:g}, "
                             f"got {v!r}")
    factors = [str(c) for c in x.columns]
    x = x.reset_index(drop=True).copy()
    x.columns = factors
    if x.isna().any().any():
        raise ValueError(f"x has missing values in {', '.join(x.columns[x.isna().any()])}")
    settings = {"peel_alpha": float(peel_alpha), "paste_alpha": float(paste_alpha),
                "mass_min": float(mass_min), "threshold_density": float(threshold_density)}
    full = _full_limits(x)
    rng = {f: ranges[f] if ranges and f in ranges else full[f] for f in factors}
    n, k = len(y), int(y.sum())
    if k in (0, n):  # nothing to separate: the whole design is the only box
        traj = pd.DataFrame([{"step": 0, "coverage": 1.0 if k else float("nan"),
                              "density": k / n, "mass": 1.0, "n": n, "k": k,
                              "restricted": 0}])
        return Discovery(factors, n, k, float(threshold_density), traj, [full], rng,
                         choose(traj, threshold_density) if k else None, settings)
    with warnings.catch_warnings():
        # importing the workbench warns about optional parallel back-ends, and its
        # trajectory bookkeeping about a pandas deprecation: neither is the user's
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis.prim import Prim, PrimBox
        except ImportError:
            raise ImportError("scenario discovery needs the EMA Workbench: pip install -e "
                              "'.[ema]'") from None
        prim = Prim(x, y.astype(int), threshold=float(threshold_density),
                    peel_alpha=float(peel_alpha), paste_alpha=float(paste_alpha),
                    mass_min=float(mass_min))
        # Prim.find_box without its last step: find_box swaps a box whose final density is
        # below the threshold for the whole design, losing the trajectory we report.
        box = PrimBox(prim, prim.box_init, prim.yi_remaining[:])
        box = prim._paste(prim._peel(box))
    pt = box.peeling_trajectory
    limits = [_limits(b, factors) for b in box.box_lims]
    traj = pd.DataFrame({"step": np.arange(len(pt)), "coverage": pt["coverage"].astype(float),
                         "density": pt["density"].astype(float),
                         "mass": pt["mass"].astype(float), "n": pt["n"].astype(int),
                         "k": pt["k"].astype(int)})
    traj["restricted"] = [sum(lim[f] != limits[0][f] for f in factors) for lim in limits]
    traj = traj.reset_index(drop=True)
    return Discovery(factors, n, k, float(threshold_density), traj, limits, rng,
                     choose(traj, threshold_density), settings)


def _full_limits(x: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in x.columns:
        col = x[f]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            out[f] = (_plain(col.min()), _plain(col.max()))
        else:
            out[f] = tuple(sorted(set(col), key=str))
    return out


SET_PREFIX = "set: "  # the columns that carry a calibrated set's values


def with_set_values(points: pd.DataFrame, ensemble_of: Any, factors: list[str],
                    base: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """``points`` with a column ``set: <parameter>`` per parameter of the ensemble that is
    not a factor (each point's set's value), and the names PRIM sees: the factors but
    ``set``, then those columns. ``ensemble_of(file)``: the ensemble of a base scenario
    (``Bases.ensemble``); ``base``: the experiment's scenario (a point's ``scenario``
    column, where the design varies it, wins)."""
    if "set" not in factors:
        return points, list(factors)
    out = points.copy()
    files = out["scenario"] if "scenario" in out else pd.Series([base] * len(out),
                                                                index=out.index)
    added: list[str] = []
    for file in dict.fromkeys(files):
        ens = ensemble_of(file)
        rows = files == file
        for param in ens.columns:
            if param in factors:
                continue
            col = SET_PREFIX + param
            if col not in out:
                out[col] = np.nan
                added.append(col)
            out.loc[rows, col] = [ens.params(int(i))[param] for i in out.loc[rows, "set"]]
    return out, [f for f in factors if f != "set"] + added


# ------------------------------------------------------------------ from a sweep's table
def point_table(table: pd.DataFrame, factors: list[str], spec: Discover
                ) -> tuple[pd.DataFrame, int]:
    """One row per design point: its factors, the outcome's mean over its finished
    replications (``<outcome>``), the replications that finished (``reps_ok``) and whether
    the mean meets the threshold (``meets``); and the number of points left out because
    none of their runs finished."""
    ok = table[table["status"] == "ok"]
    g = ok.groupby("point", sort=True)
    mean = g[spec.outcome].mean()
    reps = g[spec.outcome].count()
    first = table.drop_duplicates("point").set_index("point").sort_index()
    pts = first[factors].copy()
    pts[spec.outcome] = mean.reindex(pts.index)
    pts["reps_ok"] = reps.reindex(pts.index).fillna(0).astype(int)
    dropped = int(pts[spec.outcome].isna().sum())
    pts = pts[pts[spec.outcome].notna()].copy()
    pts["meets"] = spec.meets(pts[spec.outcome].to_numpy())
    return pts.reset_index(), dropped


def in_box(x: pd.DataFrame, found: Discovery, step: int | None = None) -> np.ndarray:
    """Whether each row of ``x`` lies in the box of ``step`` (default: the chosen one)."""
    step = found.chosen if step is None else step
    inside = np.ones(len(x), dtype=bool)
    if step is None:
        return inside & False
    for f in found.restricted(step):
        lim = found.limits[step][f]
        col = x[f]
        if _numeric_pair(lim) and pd.api.types.is_numeric_dtype(col) and \
                not pd.api.types.is_bool_dtype(col):
            inside &= (col.to_numpy() >= lim[0]) & (col.to_numpy() <= lim[1])
        else:
            inside &= col.isin(lim).to_numpy()
    return inside
