"""Sustainability figures and indicators: coverage, waiting and coordination over time,
with bands across replications, for a scenario with and without a standing Tim Koordinasi.

    jambi-sim sustainability scenarios/sustainability_transition.toml \\
        scenarios/coordination_shock.toml scenarios/tim_lapses.toml \\
        scenarios/single_agency.toml --reps 4 --workers 2 \\
        --sets results/calibration/accepted.csv --max-sets 5 --out results/sustainability

With ``--sets FILE.csv`` (for example ``results/calibration/accepted.csv``) every row's
parameter values (columns named as ``sim.run`` accepts them; other columns are ignored and
listed) are applied to each scenario in turn, so the bands span parameter sets as well as
replications (``--max-sets`` rows at most, the first ones).

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

import datetime as dt
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.sustainability import SEED_MONTH, indicators
from sim.runner.replications import run
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.schema import PAIRS
from sim.show.plots import subplots

SEIZED = SEED_MONTH.isoformat()  # the observation month (26,469 by March 2024)


VARIANTS = ("standing Tim", "no standing Tim")  # the keys of variants()


def variants(sc: Scenario) -> dict[str, Scenario]:
    """The scenario with a standing Tim, and without one."""
    r = sc.relations
    lapse = r.tim_meetings_until or (r.transitions[0] if r.transitions else sc.time.start)
    return {"standing Tim": sc.with_overrides(tim_meetings_until=None),
            "no standing Tim": sc.with_overrides(tim_meetings_until=lapse)}


def read_sets(path: Path, max_sets: int, read: Callable[[Path], bytes] | None = None
              ) -> tuple[list[dict[str, Any]], list[str]]:
    """Parameter sets from a CSV file: one dict per row (at most ``max_sets``), keyed by the
    columns that name a parameter; and the columns that do not (ignored). ``read``: how to
    get the file's bytes (a command's reader, which reads each file once)."""
    import io

    from sim.scenario.schema import _resolve

    where = f"parameter-set file {path}"
    try:
        df = pd.read_csv(io.BytesIO(read(path)) if read is not None else path)
    except FileNotFoundError:
        raise ScenarioError(f"{where}: no such file.") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{where}: not a readable CSV table ({exc}).") from None
    names, ignored = [], []
    for col in df.columns:
        try:
            _resolve(str(col))
            names.append(col)
        except (ScenarioError, ValueError, KeyError):
            ignored.append(str(col))
    if not names:
        raise ScenarioError(f"{where}: no column names a parameter (columns: "
                            f"{', '.join(map(str, df.columns)) or 'none'}); name columns as "
                            "sim.run accepts them, e.g. 'barriers.turf' (see 'jambi-sim params').")
    if df.empty:
        raise ScenarioError(f"{where}: the table has no rows.")
    from sim.scenario.names import resolve_all
    from sim.scenario.schema import Scenario

    try:
        resolve_all(Scenario, [str(n) for n in names], "columns")
    except ScenarioError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    rows = df[names].head(max_sets)
    bad = rows.columns[rows.isna().any()].tolist()
    if bad:
        raise ScenarioError(f"{where}: empty values in column(s) {', '.join(bad)}.")
    return rows.to_dict("records"), ignored


def study(sc: Scenario, reps: int, seed: int, workers: int = 1,
          sets: list[dict[str, Any]] | None = None, pool: Any = None) -> dict[str, Any]:
    """Run both variants (for each parameter set, if given); return their timeseries and
    per-replication indicators, with a ``set`` column (0 without sets). ``pool``: a
    WorkerPool its caller owns, for every run."""
    out = {}
    bases = [sc.with_overrides(**p) for p in sets] if sets else [sc]
    for label in variants(sc):
        ts_all, cards_all, per_rep = [], [], []
        for k, base in enumerate(bases):
            v = variants(base)[label]
            res = run(v, reps=reps, seed=seed, workers=workers, pool=pool)
            ts, cards = res.timeseries.copy(), res.cases.loc[
                res.cases["outcome"] == "enrolled", ["rep", "outcome_date", "days_to_card"]]
            per_rep += _indicators(ts, v, k)
            # a band over sets and replications: each (set, rep) is one sample path
            ts["set"], cards = k, cards.assign(set=k)
            ts["rep"] = ts["rep"] + k * reps
            cards["rep"] = cards["rep"] + k * reps
            ts_all.append(ts)
            cards_all.append(cards)
        out[label] = {"scenario": variants(bases[0])[label], "sets": len(bases),
                      "timeseries": pd.concat(ts_all, ignore_index=True),
                      "indicators": pd.DataFrame(per_rep),
                      "cards": pd.concat(cards_all, ignore_index=True)}
    return out


def _indicators(ts: pd.DataFrame, v: Scenario, k: int) -> list[dict[str, Any]]:
    per_rep = []
    for _, rows in ts.groupby("rep"):
        recs = rows.to_dict("records")
        ind = indicators(recs, v)
        march = rows.loc[rows["date"] == SEIZED, "enrolled"]
        ind["enrolled_2024_03"] = float(march.iloc[0]) if len(march) else math.nan
        cov = rows.loc[rows["date"] == SEIZED, "coverage_city"] \
            if "coverage_city" in rows else []
        ind["coverage_city_2024_03"] = float(cov.iloc[0]) if len(cov) else math.nan
        ind["uhc_months"] = float(rows["uhc_prioritas"].sum()) \
            if "uhc_prioritas" in rows else math.nan
        ind["set"] = k
        per_rep.append(ind)
    return per_rep


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


def figure(name: str, results: dict[str, Any]) -> Any:
    """Active members, cases in the pipeline and mean trust over time, bands across reps."""
    fig, axes = subplots(3, 1, figsize=(9, 10), sharex=True)
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
    first = next(iter(results.values()))
    paths = int(first["timeseries"]["rep"].nunique())
    sets = int(first.get("sets", 1))
    across = (f"{sets} parameter sets x {paths // sets} replications" if sets > 1
              else f"{paths} replications")
    axes[0].set_title(f"{name}: median and 10-90% band across {across}\n"
                      f"(vertical lines: political transitions)")
    axes[2].set_xlabel("date")
    fig.tight_layout()
    return fig


SPREAD = ("enrolled_2024_03", "enrolled_end", "gap_steady")  # spread across sets reported


def table(name: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per variant: the mean of each indicator over every replication (of every
    parameter set); with several sets, the 10th and 90th percentiles of the sets' own means
    for the members in March 2024, at the end, and the steady-state gap."""
    rows = []
    for label, res in results.items():
        ind = res["indicators"]
        sets = int(res.get("sets", 1))
        row = {"scenario": name, "variant": label, "sets": sets, "reps": len(ind) // sets}
        for col in ind.columns:
            if col != "set":
                row[col] = float(ind[col].mean())
        if sets > 1:
            per_set = ind.groupby("set").mean(numeric_only=True)
            for col in SPREAD:
                if col in per_set:
                    row[f"{col}_sets_p10"] = float(per_set[col].quantile(0.1))
                    row[f"{col}_sets_p90"] = float(per_set[col].quantile(0.9))
        rows.append(row)
    return rows


def check_inputs(paths: list[Path | Scenario], reps: int, workers: int, sets_file: Path | None,
                 max_sets: int, read: Callable[[Path], bytes] | None = None
                 ) -> tuple[list[Scenario], list[dict[str, Any]] | None, list[str]]:
    """Every scenario and parameter set, checked before any run: the scenarios, the sets
    (None without ``sets_file``) and the set file's columns that name no parameter."""
    for flag, value, low in (("--reps", reps, 1), ("--workers", workers, 1),
                             ("--max-sets", max_sets, 1)):
        if value < low:
            raise ScenarioError(f"{flag} must be at least {low}, got {value}.")
    scenarios = [load_scenario(path) for path in paths]
    _check_relations(paths, scenarios)
    if sets_file is None:
        return scenarios, None, []
    sets, ignored = read_sets(sets_file, max_sets, read)
    for sc in scenarios:  # every value checked against the schema before any run
        for k, params in enumerate(sets):
            try:
                sc.with_overrides(**params)
            except ScenarioError as exc:
                raise ScenarioError(f"parameter-set file {sets_file}, row {k + 1}: "
                                    f"{exc}") from None
    return scenarios, sets, ignored


CARD_BYTES_PER_APPLICANT = 48  # a run's enrolled cases (dates, days to card) kept for a figure


def study_size(scenarios: list[Scenario], reps: int, n_sets: int) -> tuple[int, int]:
    """(runs, bytes): every run of the study (each scenario's two variants under each
    parameter set) and the memory this process needs: one ``run`` call's replications
    in flight with their tables, and every run of the scenario being drawn kept as its
    timeseries and enrolled cases, for the largest scenario."""
    from sim.runner.replications import TIMESERIES_BYTES, applicants, kept_bytes
    from sim.studies.design import PARENT_BYTES

    runs = len(scenarios) * len(VARIANTS) * n_sets * reps
    held = [reps * kept_bytes(sc) + len(VARIANTS) * n_sets * reps *
            (TIMESERIES_BYTES + CARD_BYTES_PER_APPLICANT * applicants(sc)) for sc in scenarios]
    return runs, PARENT_BYTES + int(max(held, default=0))


def _check_relations(paths: list[Any], scenarios: list[Scenario]) -> None:
    for path, sc in zip(paths, scenarios):  # the study reads the pairs' coordination states
        if not sc.relations.enabled:
            shown = f"scenario '{sc.name}'" if isinstance(path, Scenario) else path
            raise ScenarioError(f"{shown}: the sustainability study follows the agencies' "
                                f"working relations, which this scenario leaves off; set "
                                f"relations.enabled = true (a [relations] table), as "
                                f"scenarios/sustainability_transition.toml does.")


INDICATOR_COLUMNS = ["scenario", "variant", "sets", "reps", "enrolled_2024_03", "enrolled_end",
                     "coverage_city_2024_03", "coverage_city_end", "gap_steady",
                     "sustain_all_held"] + [f"sustain_{p}_months" for p in PAIRS] + \
    [f"sustain_{p}_share" for p in PAIRS] + [f"sustain_{p}_recover" for p in PAIRS] + \
    [f"coord_{p}_end" for p in PAIRS] + ["uhc_months", "recovery_months",
                                         "refill_months_mean"] + \
    [f"{c}_sets_{q}" for c in SPREAD for q in ("p10", "p90")]


def write_study(staged: Any, scenarios: list[Scenario], reps: int, seed: int, workers: int,
                sets: list[dict[str, Any]] | None,
                say: Callable[[str], None] = lambda text: None,
                pool: Any = None) -> pd.DataFrame:
    """Run every scenario's two variants; write ``<scenario>.png`` (:func:`figure_name`),
    ``indicators.csv`` and ``indicators.md`` through ``staged`` (a
    :class:`sim.runner.staging.StagedOutput`); return the indicators' table as written to
    ``indicators.md``."""
    rows, effects, taken = [], [], set()
    for sc in scenarios:
        results = study(sc, reps, seed, workers, sets, pool)
        staged.save_figure(figure_name(sc.name, taken), figure(sc.name, results))
        rows += table(sc.name, results)
        effects += tim_effect(sc.name, results, reps)
        say(f"{sc.name}: done ({dt.datetime.now():%H:%M:%S})")
    df = pd.DataFrame(rows)
    staged.write_csv("indicators.csv", df)
    staged.write_csv("tim_effect.csv", pd.DataFrame(effects))
    md = df[[c for c in INDICATOR_COLUMNS if c in df.columns]].round(3)
    staged.write_text("indicators.md", markdown(md) + "\n" + effect_markdown(effects))
    return md


def figure_name(name: str, taken: set[str]) -> str:
    """A file name for a scenario's figure that stays in the output folder whatever the
    scenario's name holds ('../../x', '/', spaces): letters, digits, '_', '-' and '.' only,
    never hidden, and distinct from the names in ``taken`` (two scenarios of one name
    keep both figures); the name is added to ``taken``."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._-") or "scenario"
    chosen, k = f"{stem}.png", 1
    while chosen in taken:
        k += 1
        chosen = f"{stem}_{k}.png"
    taken.add(chosen)
    return chosen


EFFECT_ON = ("enrolled_end", "gap_steady")


def tim_effect(name: str, results: dict[str, Any], reps: int) -> list[dict[str, Any]]:
    """What a standing Tim changes, paired within each parameter set and replication (the
    two variants share seeds): per indicator, the mean difference, its range over the sets
    and the share of sets that agree (:func:`sim.runner.ensemble.paired`)."""
    from sim.runner.ensemble import paired

    a = results["no standing Tim"]["indicators"]
    b = results["standing Tim"]["indicators"]
    n_sets = int(results["standing Tim"].get("sets", 1))
    out = []
    for col in EFFECT_ON:
        if col not in a or col not in b:
            continue
        x = a[col].to_numpy(dtype=float).reshape(n_sets, reps)
        y = b[col].to_numpy(dtype=float).reshape(n_sets, reps)
        d = paired(x, y)
        out.append({"scenario": name, "indicator": col, "sets": n_sets, "reps": reps,
                    "mean_difference": d["mean"], "set_min": d["set_diff_range"][0],
                    "set_max": d["set_diff_range"][1], "claim": d["claim"],
                    "sets_agree": d["agree"], "share": d["share"],
                    "share_ci95_lo": d["share_ci95"][0], "share_ci95_hi": d["share_ci95"][1]})
    return out


def effect_markdown(effects: list[dict[str, Any]]) -> str:
    """The standing Tim's effect with the share of sets that agree, in English and
    Bahasa Indonesia."""
    from sim.runner.ensemble import agree_text

    L = ["Standing Tim against none, paired within each set and replication / Tim tetap "
         "dibanding tanpa Tim, berpasangan dalam setiap set dan replikasi:", "",
         "| scenario | indicator | mean difference | range over sets | sets that agree | "
         "set yang sepakat |", "|---|---|---:|---|---|---|"]
    for e in effects:
        share = {"agree": e["sets_agree"], "sets": e["sets"], "share": e["share"],
                 "share_ci95": [e["share_ci95_lo"], e["share_ci95_hi"]]}
        L.append(f"| {e['scenario']} | {e['indicator']} | {e['mean_difference']:+,.1f} | "
                 f"{e['set_min']:+,.1f} to {e['set_max']:+,.1f} | {e['claim']}: "
                 f"{agree_text(share, 'en')} | {agree_text(share, 'id')} |")
    return "\n".join(L) + "\n"


def markdown(df: pd.DataFrame) -> str:
    """A plain markdown table (no extra dependency)."""
    lines = ["| " + " | ".join(df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # the former ``python -m sim.sustainability_plots``
    import sys

    print("jambi-sim: error: this study is now a command: jambi-sim sustainability "
          "SCENARIO.toml ... [--reps N] [--sets FILE.csv] (see jambi-sim sustainability "
          "--help).", file=sys.stderr)
    raise SystemExit(2)  # a usage mistake, as every jambi-sim command exits for one
