"""Held-out validation: patterns the calibration does not use (issue 11).

``jambi-sim heldout experiments/heldout.toml --out results/validation`` runs the scenario
``reps`` times and computes each pattern per replication from the outcome catalogue:
``value`` (one output), ``ratio`` (sum of ``a`` over sum of ``b``) or ``difference``
(sum of ``a`` minus sum of ``b``). A pattern passes when the mean over replications lies in
``[lo, hi]``. Written: ``table.md`` and ``table.csv`` (observed, simulated mean, 2.5-97.5% of
replications, pass or fail), ``patterns.png``, ``curve.png`` and ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.runner.catalogue import is_output
from sim.scenario.errors import _clean
from sim.studies.spec import Bases, ExperimentError, folder_name, read_spec


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class Pattern(_Strict):
    name: str = Field(min_length=1)
    what: str = Field(description="What is computed, in words.")
    observed: str = Field(description="What was observed, with its tolerance.")
    source: str = Field(description="Where the observation comes from.")
    why_held_out: str = Field("", description="Why this pattern is kept out of calibration.")
    confounded_with: str = Field("", description="Other changes at the same time whose "
                                 "effects the pattern cannot tell apart from the one it tests.")
    kind: Literal["value", "ratio", "difference"]
    a: list[str] = Field(min_length=1)
    b: list[str] = Field(default_factory=list)
    lo: float = Field(strict=False)
    hi: float = Field(strict=False)

    @model_validator(mode="after")
    def _check(self) -> Pattern:
        bad = [o for o in self.a + self.b if not is_output(o)]
        if bad:
            raise ValueError(f"unknown outputs {', '.join(map(repr, bad))}; see "
                             f"sim.runner.catalogue.OUTPUTS")
        if self.kind == "value" and (len(self.a) != 1 or self.b):
            raise ValueError("a 'value' pattern takes one output in 'a' and no 'b'")
        if self.kind != "value" and not self.b:
            raise ValueError(f"a '{self.kind}' pattern needs outputs in 'b'")
        if not self.lo <= self.hi:
            raise ValueError(f"lo ({self.lo}) must not exceed hi ({self.hi})")
        return self

    def per_rep(self, scalars: pd.DataFrame) -> np.ndarray:
        a = scalars[self.a].sum(axis=1).to_numpy(dtype=float)
        if self.kind == "value":
            return a
        b = scalars[self.b].sum(axis=1).to_numpy(dtype=float)
        if self.kind == "ratio":
            with np.errstate(divide="ignore", invalid="ignore"):
                return a / b
        return a - b


class HeldOut(_Strict):
    name: str = folder_name()  # folder runs/<name>
    scenario: str = Field(description="Scenario file, relative to this file.")
    reps: int = Field(20, ge=1, le=10_000)
    seed: int = Field(20240331, ge=0, le=2**63 - 1)
    patterns: list[Pattern] = Field(min_length=1)


def load_heldout(path: str | Path, read: Callable[[Path], bytes] | None = None
                 ) -> tuple[HeldOut, Path]:
    """Load and check a held-out file; returns it and its scenario's path. ``read``: how
    to get a file's bytes (a command's reader, which reads each file once)."""
    path = Path(path)
    spec = read_spec(path, HeldOut, "no such file (the shipped one is "
                                    "experiments/heldout.toml).", read)
    scenario = path.resolve().parent / spec.scenario
    if not scenario.is_file():
        raise ExperimentError(f"{path}: scenario = '{_clean(spec.scenario)}' is not a file "
                              f"(it is read relative to {path.resolve().parent}).")
    from sim.runner.catalogue import check_outputs
    from sim.scenario import ScenarioError

    try:  # every output must exist in the simulated years: refused now, not after the runs
        sc = Bases(path.resolve().parent, read)(spec.scenario)
        for p in spec.patterns:
            check_outputs(list(dict.fromkeys(p.a + p.b)), sc, f"patterns '{p.name}': outputs")
    except ScenarioError as exc:
        raise ExperimentError(f"{path}: {exc}") from None
    return spec, scenario


def evaluate(spec: HeldOut, scalars: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern: observed, simulated mean, 2.5-97.5% of replications, pass."""
    rows = []
    for p in spec.patterns:
        v = p.per_rep(scalars)
        v = v[np.isfinite(v)]
        mean = float(v.mean()) if len(v) else float("nan")
        rows.append({"pattern": p.name, "what": p.what, "observed": p.observed,
                     "accepted_range": f"{p.lo:g} to {p.hi:g}",
                     "simulated_mean": mean,
                     "simulated_p2_5": float(np.quantile(v, 0.025)) if len(v) else np.nan,
                     "simulated_p97_5": float(np.quantile(v, 0.975)) if len(v) else np.nan,
                     "reps": len(v),
                     "result": "pass" if len(v) and p.lo <= mean <= p.hi else "fail",
                     "source": p.source, "why_held_out": p.why_held_out,
                     "confounded_with": p.confounded_with})
    return pd.DataFrame(rows)


def _over_sets(spec: HeldOut, sc: Any, table: pd.DataFrame, ens: Any, sets: list[int],
               reps: int, pool: Any, progress: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Each pattern judged under each set of the ensemble (its mean over ``reps``
    replications in the accepted range): the share of sets under which it passes."""
    from sim.runner.ensemble import agreement, run_ensemble

    got = run_ensemble(sc, ens, sets, reps, spec.seed, pool, progress)
    passes = {p.name: 0 for p in spec.patterns}
    for k in range(len(sets)):
        judged = evaluate(spec, pd.DataFrame(list(got[k])))
        for r in judged.itertuples():
            passes[r.pattern] += r.result == "pass"
    shares = {name: agreement(n, len(sets)) for name, n in passes.items()}
    table = table.assign(
        sets_pass=[shares[n]["agree"] for n in table["pattern"]],
        sets=len(sets),
        sets_pass_ci95=[f"{shares[n]['share_ci95'][0]:.2f} to {shares[n]['share_ci95'][1]:.2f}"
                        for n in table["pattern"]])
    return table, {"file": ens.origin, "sha256": ens.sha256, "sets": sets,
                   "n_sets": len(sets), "reps": reps, "pass_share": shares}


def table_markdown(table: pd.DataFrame, spec: HeldOut, command: str) -> str:
    def f(x: float) -> str:
        return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"

    L = [f"# Held-out validation: {spec.name}", "",
         f"Regenerate: `{command}`. Scenario `{spec.scenario}`, {spec.reps} replications, "
         f"seed {spec.seed}. The patterns were fixed in `experiments/heldout.toml` before the "
         f"calibration ran and none is a calibration target. A pattern passes when the mean "
         f"over replications lies in the accepted range.", "",
         "| pattern | what | observed | accepted range | simulated mean | 2.5-97.5% of reps "
         "| result |", "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        L.append(f"| {r.pattern} | {r.what} | {r.observed} | {r.accepted_range} | "
                 f"{f(r.simulated_mean)} | {f(r.simulated_p2_5)} to {f(r.simulated_p97_5)} | "
                 f"**{r.result}** |")
    L += ["", "Sources and why each is held out:", ""]
    L += [f"- **{r.pattern}**: {r.source}. Held out: {r.why_held_out}."
          + (f" It cannot tell apart: {r.confounded_with}." if r.confounded_with else "")
          for r in table.itertuples()]
    n_pass = int((table["result"] == "pass").sum())
    L += ["", f"{n_pass} of {len(table)} patterns pass (the scenario's own values).", ""]
    if "sets_pass" in table:
        n = int(table["sets"].iloc[0])
        L += [f"Over the calibrated ensemble ({n} sets, each judged on its own replications): "
              f"the sets under which each pattern passes.", "",
              "| pattern | sets that pass | 95% interval of the share |", "|---|---|---|"]
        L += [f"| {r.pattern} | {r.sets_pass} of {n} | {r.sets_pass_ci95} |"
              for r in table.itertuples()]
        L.append("")
    return "\n".join(L)


def figures(table: pd.DataFrame, spec: HeldOut, scalars: pd.DataFrame,
            timeseries: pd.DataFrame, scenario: Any) -> dict[str, Any]:
    from sim.show.plots import subplots


    figs: dict[str, Any] = {}
    n = len(spec.patterns)
    fig, axes = subplots(1, n, figsize=(3.0 * n, 3.4), squeeze=False)
    for ax, p, r in zip(axes.flat, spec.patterns, table.itertuples()):
        v = p.per_rep(scalars)
        ax.scatter(np.linspace(-0.1, 0.1, len(v)), v, s=10, color="0.5", label="replications")
        ax.errorbar([0], [r.simulated_mean], yerr=[[r.simulated_mean - r.simulated_p2_5],
                                                    [r.simulated_p97_5 - r.simulated_mean]],
                    fmt="o", color="tab:blue" if r.result == "pass" else "tab:red", capsize=4,
                    label="mean, 2.5-97.5%")
        # the view: the replications, and each bound unless it is far outside them
        data = v[np.isfinite(v)]
        d_lo, d_hi = (float(data.min()), float(data.max())) if len(data) else (0.0, 1.0)
        span = max(d_hi - d_lo, 1e-9 + 0.05 * abs(d_hi))
        v_lo, v_hi = d_lo - 0.5 * span, d_hi + 0.5 * span
        if d_lo - 3 * span <= p.lo < v_lo:
            v_lo = p.lo - 0.2 * span
        if v_hi < p.hi <= d_hi + 3 * span:
            v_hi = p.hi + 0.2 * span
        ax.set_ylim(v_lo, v_hi)
        b_lo, b_hi = max(p.lo, v_lo), min(p.hi, v_hi)
        if b_lo < b_hi:
            ax.axhspan(b_lo, b_hi, color="tab:green", alpha=0.15, label="accepted (observed)")
        for bound in (p.lo, p.hi):
            if v_lo < bound < v_hi:
                ax.axhline(bound, color="tab:green", lw=1)
        ax.set_xticks([])
        rng = (f">= {p.lo:g}" if p.hi >= 1e8 else f"<= {p.hi:g}" if p.lo <= -1e8
               else f"{p.lo:g} to {p.hi:g}")
        ax.set_title(f"{p.name}: {r.result}\n(accepted {rng})", fontsize=9,
                     color="tab:blue" if r.result == "pass" else "tab:red")
        ax.tick_params(labelsize=7)
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(f"Held-out patterns, {spec.reps} replications (green: the range the "
                 f"observation allows)", fontsize=10)
    fig.tight_layout()
    figs["patterns.png"] = fig

    ts = timeseries.assign(date=pd.to_datetime(timeseries["date"]))
    g = ts.groupby("date")["enrolled"]
    fig, ax = subplots(figsize=(9, 4.2))
    ax.fill_between(g.mean().index, g.quantile(0.025), g.quantile(0.975), color="tab:blue",
                    alpha=0.2, label="2.5-97.5% of replications")
    ax.plot(g.mean().index, g.mean(), color="tab:blue", label="active members (mean)")
    cap = ts.groupby("date")["quota_cap"].mean()
    ax.step(cap.index, cap, where="post", color="0.5", lw=1, label="budget quota")
    target, observed = scenario.program.target, scenario.program.observed_enrolled
    ax.axhline(target, color="k", ls=":", lw=1, label=f"target {target:,}")
    ax.scatter([pd.Timestamp("2024-03-31")], [observed], color="tab:red", zorder=5,
               label=f"observed {observed:,} (March 2024, reading A)")
    if scenario.time.online_from is not None and scenario.time.pathway_mode == "switch":
        ax.axvline(pd.Timestamp(scenario.time.online_from), color="tab:green", ls="--", lw=1,
                   label="website (Perwal 3/2021)")
    ax.set_ylabel("people")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"{scenario.name} ({spec.reps} replications, seed {spec.seed}): active "
                 f"Jambi Bugar members", fontsize=10)
    fig.tight_layout()
    figs["curve.png"] = fig
    return figs


def heldout(spec: HeldOut, scenario: Path, out: Any, command: str, workers: int = 1,
            reps: int | None = None, progress: Any = None, draw: bool = True,
            read: Callable[[Path], bytes] | None = None, pool: Any = None,
            provenance: dict[str, Any] | None = None, ensemble: Any = None,
            sets: Sequence[int] = (), ensemble_reps: int = 3) -> pd.DataFrame:
    """Run, evaluate and write the validation folder (atomically); return the table.

    ``out``: the folder, or a :class:`sim.runner.staging.StagedOutput` its caller made;
    ``read``: how to get the scenario's bytes (a command's reader returns the bytes it
    already read, so what is hashed is what ran); ``pool``: a WorkerPool of the caller;
    ``provenance``: more for summary.json's provenance (a command's inputs and hashes);
    ``ensemble``, ``sets``: the calibrated ensemble (:mod:`sim.runner.ensemble`) and the
    sets to judge each pattern under too (``ensemble_reps`` replications each): the table
    then adds the share of sets under which each pattern passes."""
    import hashlib

    from sim._version import __version__
    from sim.runner.replications import run
    from sim.runner.staging import StagedOutput, check_out_dir
    from sim.scenario import Scenario
    from sim.scenario.source import read_bytes

    if reps is not None:
        spec = spec.model_copy(update={"reps": reps})
    data = (read or read_bytes)(scenario)  # read once: run and hashed
    sc = Scenario.from_bytes(data, origin=str(scenario))
    if not isinstance(out, StagedOutput):
        check_out_dir(out)
    res = run(sc, reps=spec.reps, seed=spec.seed, workers=workers, cases=False,
              progress=progress, pool=pool)
    scalars = res.scalars_by_rep()
    table = evaluate(spec, scalars)
    block = None
    if ensemble is not None and len(sets):
        table, block = _over_sets(spec, sc, table, ensemble, list(sets), ensemble_reps, pool,
                                  progress)
    staged = out if isinstance(out, StagedOutput) else \
        StagedOutput(out, note=f"command: {command}")
    staged.write_csv("table.csv", table.round(6))
    staged.write_text("table.md", table_markdown(table, spec, command))
    if draw:
        for name, fig in figures(table, spec, scalars, res.timeseries, sc).items():
            staged.save_figure(name, fig)
    staged.write_json("summary.json", {
        "name": spec.name, "scenario": spec.scenario, "reps": spec.reps, "seed": spec.seed,
        "passed": int((table["result"] == "pass").sum()), "patterns": len(table),
        "table": table.to_dict(orient="records"),
        "ensemble": block or {"sets": [], "n_sets": 0},
        "provenance": {"package_version": __version__, "command": command,
                       "scenario_file": str(scenario),
                       "scenario_sha256": hashlib.sha256(data).hexdigest(),
                       **(provenance or {}), "files": dict(staged.files)}})
    staged.finish()
    return table
