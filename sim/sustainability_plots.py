"""Sustainability figures and indicators: coverage, waiting and coordination over time,
with bands across replications, for a scenario with and without a standing Tim Koordinasi.

    python -m sim.sustainability_plots scenarios/sustainability_transition.toml \\
        scenarios/coordination_shock.toml scenarios/tim_lapses.toml \\
        scenarios/single_agency.toml --reps 5 --out results/sustainability

For each scenario file it runs two variants under the same seeds (common random numbers):
``standing Tim`` (the Tim Koordinasi keeps meeting to the end) and ``no standing Tim`` (no
review meetings after the first political transition, or after the file's own
``relations.tim_meetings_until``). It writes one figure per scenario
(``<name>.png``: active members, days from application to card and mean working trust,
median and 10-90% band across replications) and ``indicators.csv`` / ``indicators.md``
(one row per scenario and variant: members in March 2024 and at the end, the
sustainability indicator, recovery time, steady-state gap, time to refill).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from sim.runner import run  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402
from sim.scenario.schema import PAIRS  # noqa: E402
from sim.sustainability import indicators  # noqa: E402

SEIZED = "2024-03-31"  # the seed's observation month (26,469 by March 2024)


def variants(sc: Scenario) -> dict[str, Scenario]:
    """The scenario with a standing Tim, and without one."""
    r = sc.relations
    lapse = r.tim_meetings_until or (r.transitions[0] if r.transitions else sc.time.start)
    return {"standing Tim": sc.with_overrides(tim_meetings_until=None),
            "no standing Tim": sc.with_overrides(tim_meetings_until=lapse)}


def study(sc: Scenario, reps: int, seed: int, workers: int = 1) -> dict[str, Any]:
    """Run both variants; return their timeseries and per-rep indicators."""
    out = {}
    for label, v in variants(sc).items():
        res = run(v, reps=reps, seed=seed, workers=workers)
        ts = res.timeseries
        per_rep = []
        for rep, rows in ts.groupby("rep"):
            recs = rows.to_dict("records")
            ind = indicators(recs, v)
            march = rows.loc[rows["date"] == SEIZED, "enrolled"]
            ind["enrolled_2024_03"] = float(march.iloc[0]) if len(march) else math.nan
            cov = rows.loc[rows["date"] == SEIZED, "coverage_city"] \
                if "coverage_city" in rows else []
            ind["coverage_city_2024_03"] = float(cov.iloc[0]) if len(cov) else math.nan
            ind["uhc_months"] = float(rows["uhc_prioritas"].sum()) \
                if "uhc_prioritas" in rows else math.nan
            per_rep.append(ind)
        cards = res.cases.loc[res.cases["outcome"] == "enrolled",
                              ["rep", "outcome_date", "days_to_card"]]
        out[label] = {"scenario": v, "timeseries": ts, "indicators": pd.DataFrame(per_rep),
                      "cards": cards}
    return out


def _band(ax: Any, ts: pd.DataFrame, col: str, label: str, color: str) -> None:
    g = ts.groupby("date")[col]
    x = pd.to_datetime(g.median().index)
    ax.fill_between(x, g.quantile(0.1).values, g.quantile(0.9).values, color=color, alpha=0.25,
                    linewidth=0)
    ax.plot(x, g.median().values, color=color, label=label)


def _waiting_band(ax: Any, cards: pd.DataFrame, label: str, color: str) -> None:
    """Mean days from application to card of the cases enrolled each quarter: per
    replication, then median and 10-90% band across replications."""
    c = cards.copy()
    c["quarter"] = pd.to_datetime(c["outcome_date"]).dt.to_period("Q").dt.start_time
    per_rep = c.groupby(["quarter", "rep"])["days_to_card"].mean().unstack("rep")
    ax.fill_between(per_rep.index, per_rep.quantile(0.1, axis=1), per_rep.quantile(0.9, axis=1),
                    color=color, alpha=0.25, linewidth=0)
    ax.plot(per_rep.index, per_rep.median(axis=1), color=color, label=label)


def figure(name: str, results: dict[str, Any], path: Path) -> None:
    """Active members, cases in the pipeline and mean trust over time, bands across reps."""
    fig, axes = plt.subplots(3, 1, figsize=(9, 10), sharex=True)
    colors = {"standing Tim": "tab:blue", "no standing Tim": "tab:red"}
    for label, res in results.items():
        ts = res["timeseries"].copy()
        ts["coord_mean"] = ts[[f"coord_{p}" for p in PAIRS]].mean(axis=1)
        _band(axes[0], ts, "enrolled", label, colors[label])
        _waiting_band(axes[1], res["cards"], label, colors[label])
        _band(axes[2], ts, "coord_mean", label, colors[label])
    sc = next(iter(results.values()))["scenario"]
    axes[0].axhline(sc.program.target, color="grey", ls="--", lw=1, label="target (30,000)")
    axes[0].scatter([pd.Timestamp(SEIZED)], [sc.program.observed_enrolled], color="black",
                    zorder=5, label="observed 26,469 (March 2024)")
    axes[0].set_ylabel("active members (people)")
    axes[1].set_ylabel("days from application to card\n(cases enrolled that quarter)")
    axes[2].set_ylabel("working trust, mean of 3 pairs")
    axes[2].axhline(sc.relations.threshold, color="grey", ls=":", lw=1,
                    label="working threshold")
    for d in sc.relations.transitions:
        for ax in axes:
            ax.axvline(pd.Timestamp(d), color="black", lw=0.6, alpha=0.5)
    for ax in axes:
        ax.legend(loc="best", fontsize=8)
    reps = int(next(iter(results.values()))["timeseries"]["rep"].nunique())
    axes[0].set_title(f"{name}: median and 10-90% band across {reps} replications\n"
                      f"(vertical lines: political transitions)")
    axes[2].set_xlabel("date")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def table(name: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for label, res in results.items():
        ind = res["indicators"]
        row = {"scenario": name, "variant": label, "reps": len(ind)}
        for col in ind.columns:
            row[col] = float(ind[col].mean())
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sim.sustainability_plots",
                                description=__doc__.split("\n")[0])
    p.add_argument("scenarios", type=Path, nargs="+")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--seed", type=int, default=20240331)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("runs/sustainability"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in args.scenarios:
        sc = load_scenario(path)
        results = study(sc, args.reps, args.seed, args.workers)
        figure(sc.name, results, args.out / f"{sc.name}.png")
        rows += table(sc.name, results)
        print(f"{sc.name}: done ({dt.datetime.now():%H:%M:%S})", flush=True)
    df = pd.DataFrame(rows)
    df.to_csv(args.out / "indicators.csv", index=False)
    keep = ["scenario", "variant", "reps", "enrolled_2024_03", "enrolled_end",
            "coverage_city_2024_03", "coverage_city_end", "gap_steady",
            "sustain_all_held"] + [f"sustain_{p}_months" for p in PAIRS] + \
        [f"sustain_{p}_share" for p in PAIRS] + [f"sustain_{p}_recover" for p in PAIRS] + \
        [f"coord_{p}_end" for p in PAIRS] + ["uhc_months"] + \
        ["recovery_months", "refill_months_mean"]
    md = df[[c for c in keep if c in df.columns]].round(3)
    (args.out / "indicators.md").write_text(markdown(md))
    print(md.to_string(index=False))
    return 0


def markdown(df: pd.DataFrame) -> str:
    """A plain markdown table (no extra dependency)."""
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
