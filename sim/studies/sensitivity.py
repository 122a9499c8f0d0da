"""Global sensitivity analysis through SALib's ProblemSpec, over the plausible ranges.

The sweep engine runs every point of a Sobol' or Morris design ``reps`` times (common random
numbers: rep ``r`` of every point uses the same seed). The analysis takes the mean over the
replications of each point, so the indices describe the expected outcome, and reports beside
them the share of the output's variance that is noise (the variance between replications of a
point, over the total variance of single runs). Convergence: the indices recomputed on the
first n base samples (Sobol') or trajectories (Morris).

Python API::

    sp = salib_problem(["turf", "power"], outputs=["gap_to_target"])
    sp.sample_sobol(64, seed=1)
    sp.evaluate(evaluate, sp["names"], sp["outputs"], reps=2, seed=1)
    sp.analyze_sobol()
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.design import Design
from sim.studies.spec import Experiment, ExperimentError

WIDE_CONF = 0.1  # a Sobol' index whose 95% half-width exceeds this cannot be read
MIN_SOBOL_N = 16   # Sobol' base samples below which the indices and intervals mean nothing
MIN_MORRIS_R = 4   # Morris trajectories below which mu* and its interval mean nothing
MIN_LHS_POINTS = 10  # an emulator needs points to fit and points held out to check it
NOISY = 0.5  # a noise share above which the point means need more replications


# ------------------------------------------------------------------ evaluation (API)
def evaluate(X: np.ndarray, names: list[str], outputs: list[str], reps: int = 1,
             seed: int = 0, scenario: Any = None, workers: int = 1) -> np.ndarray:
    """The model at each row of ``X``: a matrix (rows, outputs) of means over ``reps``.

    Columns of ``X`` are the parameters ``names`` (as ``sim.run`` accepts them; integer
    parameters are rounded). Replication ``r`` of every row runs with ``seed`` and rep ``r``
    (common random numbers). ``scenario``: a Scenario, a TOML path or None (the baseline).
    Works as ``ProblemSpec.evaluate(evaluate, names, outputs, reps=..., seed=...)``.
    """
    from sim import checks
    from sim.runner.catalogue import check_outputs
    from sim.scenario import bounds, load_scenario
    from sim.scenario.schema import parameter_names
    from sim.studies.sweeps import Job, _chunks, _key, _local

    # every input mistake is an error naming its argument, never a NaN in the result
    reps = checks.whole_number("reps", reps, 1, 10_000)
    seed = checks.whole_number("seed", seed, 0, checks.MAX_SEED)
    workers = checks.whole_number("workers", workers, 1, 256)
    names = parameter_names(names)
    try:
        X = np.atleast_2d(np.asarray(X, dtype=float))
    except (TypeError, ValueError):
        raise TypeError(f"X must be a matrix of numbers (rows, {len(names)}), got "
                        f"{type(X).__name__}") from None
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(f"X has {X.shape[-1]} columns for {len(names)} names")
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or infinite values")
    integer = {n: b.integer for n, b in bounds(list(names), kind="validation").items()}
    base = load_scenario(scenario)
    outputs = check_outputs(outputs, base)
    jobs = []
    for i, row in enumerate(X):
        sc = base.with_overrides(**{n: (int(round(x)) if integer[n] else float(x))
                                    for n, x in zip(names, row)})
        for r in range(reps):
            jobs.append(Job(_key("jambi", "", seed, r), i, r, seed, "jambi", sc))
    Y = np.full((len(X), reps, len(outputs)), np.nan)
    size = max(1, min(16, math.ceil(len(jobs) / max(1, 8 * workers))))
    for records in _local(_chunks(jobs, size), workers):
        for rec in records:
            if rec["status"] == "ok":
                Y[rec["point"], rec["rep"]] = [rec["outputs"].get(o, np.nan) for o in outputs]
    return Y.mean(axis=1)


# ------------------------------------------------------------------ analysis
def point_means(exp: Experiment, table: pd.DataFrame, output: str) -> tuple[np.ndarray, float]:
    """Per point: the mean over replications (design order), and the noise share: the
    variance between replications of a point over the variance of single runs. The two are
    separate estimates (and under common random numbers the noise repeats at every point),
    so their ratio can exceed 1 when the signal is small; it is capped at 1 (all noise)."""
    g = table.groupby("point")[output]
    means = g.mean().sort_index().to_numpy(dtype=float)
    noise = float("nan")
    if exp.reps >= 2:
        within = float(np.nanmean(g.var(ddof=1).to_numpy(dtype=float)))
        total = float(np.nanvar(table[output].to_numpy(dtype=float), ddof=1))
        noise = min(1.0, within / total) if total > 0 else float("nan")
    return means, noise


def noise_warning(output: str, noise: float) -> str | None:
    """The warning for an output whose runs are mostly noise between replications (more
    than NOISY of their variance), or None: the point means every index (or emulator)
    rests on then need more replications."""
    if math.isnan(noise) or noise <= NOISY:
        return None
    return (f"{output}: about {noise:.0%} of the variance of single runs is noise between "
            f"replications (an estimate, capped at 100%); the point means the indices rest "
            f"on need more 'reps'.")


def _spec(design: Design, output: str):
    from SALib import ProblemSpec

    return ProblemSpec({"names": list(design.problem["names"]),
                        "bounds": [list(b) for b in design.problem["bounds"]],
                        "outputs": [output]})


def _sobol(exp: Experiment, design: Design, y: np.ndarray, output: str, n: int | None = None):
    D = len(design.names)
    block = 2 * D + 2 if exp.second_order else D + 2
    rows = len(y) if n is None else n * block
    sp = _spec(design, output).set_samples(design.X[:rows]).set_results(y[:rows])
    sp.analyze_sobol(calc_second_order=exp.second_order, num_resamples=200,
                     conf_level=0.95, seed=exp.seed)
    return sp.analysis


def _morris(exp: Experiment, design: Design, y: np.ndarray, output: str, n: int | None = None):
    D = len(design.names)
    rows = len(y) if n is None else n * (D + 1)
    sp = _spec(design, output).set_samples(design.X[:rows]).set_results(y[:rows])
    sp.analyze_morris(num_resamples=200, conf_level=0.95, num_levels=exp.morris_levels,
                      seed=exp.seed)
    return sp.analysis


def _sizes(total: int, first: int = 4) -> list[int]:
    out, n = [], first
    while n < total:
        out.append(n)
        n *= 2
    return out + [total]


def analyse(exp: Experiment, design: Design, table: pd.DataFrame) -> dict[str, Any]:
    """Indices for every output: a plain dict (the content of sensitivity.json)."""
    if exp.design not in ("sobol", "morris"):
        raise ExperimentError(f"sensitivity needs a sobol or morris design; {exp.name} is a "
                              f"{exp.design} design (use 'jambi-sim sweep' for it).")
    report = report_head(exp, design)
    D = len(design.names)
    few = (exp.design == "sobol" and exp.samples < MIN_SOBOL_N) or \
        (exp.design == "morris" and exp.samples < MIN_MORRIS_R)
    if few:
        need = MIN_SOBOL_N if exp.design == "sobol" else MIN_MORRIS_R
        report["warnings"].append(
            f"samples = {exp.samples} is too few for a {exp.design} study: its indices and "
            f"their intervals cannot be read (the bootstrap has nothing to resample); use "
            f"samples = {need} at least, more to rank the factors.")
    failed = int((table["status"] != "ok").sum()) if "status" in table else 0
    if failed:
        report["warnings"].append(f"{failed} of {len(table)} run(s) failed; the points they "
                                  f"belong to have no value.")
    for output in exp.outputs:
        y, noise = point_means(exp, table, output)
        entry: dict[str, Any] = {"noise_share": noise}
        if np.isnan(y).any():
            msg = (f"{output}: {int(np.isnan(y).sum())} of {len(y)} points have no value (failed "
                   f"runs or an undefined outcome); no indices for it.")
            report["warnings"].append(msg)
            entry["error"] = msg
            report["outputs"][output] = entry
            continue
        if np.nanvar(y) == 0:
            msg = f"{output}: constant over the design; no indices for it."
            report["warnings"].append(msg)
            entry["error"] = msg
            report["outputs"][output] = entry
            continue
        if exp.design == "sobol":
            a = _sobol(exp, design, y, output)
            entry.update({k: _list(a[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")})
            if exp.second_order:
                entry["S2"] = _list(a["S2"])
                entry["S2_conf"] = _list(a["S2_conf"])
            conv = []
            for n in _sizes(exp.samples):
                c = _sobol(exp, design, y, output, n)
                conv.append({"n": n, "runs": n * (2 * D + 2 if exp.second_order else D + 2)
                             * exp.reps, "S1": _list(c["S1"]), "ST": _list(c["ST"])})
            entry["convergence"] = conv
            entry["ranks"] = rank_stability(conv, design.names)
            if entry["ranks"] and not entry["ranks"]["stable"] and not few:
                r = entry["ranks"]
                report["warnings"].append(
                    f"{output}: the top {len(r['top'])} total indices change rank from "
                    f"N = {r['n'][0]} to N = {r['n'][1]} ({', '.join(r['before'])} -> "
                    f"{', '.join(r['top'])}): read their order as not settled; raise "
                    f"'samples'.")
            odd = [f for f, v in zip(design.names, a["ST"]) if not -0.1 <= v <= 1.1]
            if odd and not few:
                report["warnings"].append(
                    f"{output}: total indices outside [0, 1] ({', '.join(odd[:5])}): too few "
                    f"samples (or reps) for this output; raise 'samples'.")
            wide = [f for f, w in zip(design.names, a["ST_conf"]) if w > WIDE_CONF]
            if wide:
                report["warnings"].append(
                    f"{output}: the 95% intervals of the total index of {', '.join(wide[:5])}"
                    f"{' and others' if len(wide) > 5 else ''} are wider than +-{WIDE_CONF}; "
                    f"too wide to rank them: raise 'samples'"
                    + (f" (and 'reps' if the noise share, {noise:.0%}, is large)."
                       if not math.isnan(noise) else "."))
        else:
            a = _morris(exp, design, y, output)
            entry.update({k: _list(a[k]) for k in ("mu", "mu_star", "sigma", "mu_star_conf")})
            conv = []
            for n in _sizes(exp.samples, 2):
                c = _morris(exp, design, y, output, n)
                conv.append({"n": n, "runs": n * (D + 1) * exp.reps,
                             "mu_star": _list(c["mu_star"])})
            entry["convergence"] = conv
            top = float(np.max(a["mu_star"]))
            wide = [f for f, m, w in zip(design.names, a["mu_star"], a["mu_star_conf"])
                    if m >= 0.25 * top and w > 0.5 * m]
            if wide:
                report["warnings"].append(
                    f"{output}: mu* of {', '.join(wide[:5])} has a 95% interval wider than half "
                    f"its value; raise 'samples' (trajectories) to rank them.")
        if noise_warning(output, noise):
            report["warnings"].append(noise_warning(output, noise))
        report["outputs"][output] = entry
    return report


def report_head(exp: Experiment, design: Design, **more: Any) -> dict[str, Any]:
    """What every sensitivity report starts with: the experiment, its design, what it
    varied and what it fixed (and the calibrated sets a ``set`` factor drew)."""
    report: dict[str, Any] = {"experiment": exp.name, "description": exp.description,
                              "scenario": exp.scenario, "design": exp.design,
                              "samples": exp.samples, "reps": exp.reps, "seed": exp.seed,
                              "points": len(design.points), "factors": design.names,
                              "fixed": {k: _plain(v) for k, v in exp.fixed.items()}, **more,
                              "outputs": {}, "warnings": []}
    if "set" in design.names:
        report["sets"] = sorted({int(p["set"]) for p in design.points})
    return report


RANKED = 3  # the top total indices whose order the report checks for stability


def rank_stability(conv: list[dict[str, Any]], names: list[str], top: int = RANKED
                   ) -> dict[str, Any] | None:
    """Whether the ``top`` factors by total index, in order, are the same on the last two
    sample sizes of the convergence series (N/2 and N): ``{"n": [N/2, N], "before": [...],
    "top": [...], "stable": bool}``; None with fewer than two sizes."""
    if len(conv) < 2:
        return None
    a, b = conv[-2], conv[-1]
    k = min(top, len(names))

    def order(c: dict[str, Any]) -> list[str]:
        st = np.asarray(c["ST"], dtype=float)
        return [names[i] for i in np.argsort(-st, kind="stable")[:k]]

    before, after = order(a), order(b)
    return {"n": [int(a["n"]), int(b["n"])], "before": before, "top": after,
            "stable": before == after}


def _plain(v: Any) -> Any:
    return v.isoformat() if hasattr(v, "isoformat") else v


def _list(a: Any) -> Any:
    return np.asarray(a, dtype=float).round(6).tolist()


def indices_table(report: dict[str, Any]) -> pd.DataFrame:
    """Tidy indices: output, factor, index, value, conf (95% half-width)."""
    rows = []
    names = report["factors"]
    for output, e in report["outputs"].items():
        pairs = (("S1", "S1_conf"), ("ST", "ST_conf")) if "ST" in e else \
            (("mu_star", "mu_star_conf"), ("sigma", None), ("mu", None))
        for idx, conf in pairs:
            if idx not in e:
                continue
            for i, f in enumerate(names):
                rows.append({"output": output, "factor": f, "index": idx, "value": e[idx][i],
                             "conf": e[conf][i] if conf else float("nan"),
                             "noise_share": e["noise_share"]})
        if "S2" in e:
            for i, fi in enumerate(names):
                for j in range(i + 1, len(names)):
                    rows.append({"output": output, "factor": f"{fi} x {names[j]}",
                                 "index": "S2", "value": e["S2"][i][j],
                                 "conf": e["S2_conf"][i][j], "noise_share": e["noise_share"]})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ figures
def figures(report: dict[str, Any]) -> dict[str, Any]:
    from sim.show.plots import subplots


    figs = {}
    names = report["factors"]
    for output, e in report["outputs"].items():
        if "error" in e:
            continue
        key = "ST" if "ST" in e else "mu_star"
        # largest first; a long screening shows its leaders (all of them are in indices.csv)
        order = sorted(range(len(names)), key=lambda i: -np.nan_to_num(e[key][i], nan=-1.0))
        shown = order[:TOP_FACTORS]
        fig, ax = subplots(figsize=(8, 0.35 * len(shown) + 1.8))
        y = np.arange(len(shown))

        def pick(k: str, e: dict[str, Any] = e, shown: list[int] = shown) -> list[float]:
            return [e[k][i] for i in shown]

        if "ST" in e:
            ax.barh(y - 0.2, pick("S1"), 0.4, xerr=pick("S1_conf"), label="first order S1")
            ax.barh(y + 0.2, pick("ST"), 0.4, xerr=pick("ST_conf"), label="total ST")
            ax.set_xlabel("Sobol' index (95% bootstrap interval)")
        else:
            ax.barh(y - 0.2, pick("mu_star"), 0.4, xerr=pick("mu_star_conf"), label="mu*")
            ax.barh(y + 0.2, pick("sigma"), 0.4, label="sigma")
            from sim.runner.catalogue import OUTPUTS

            unit = f", {OUTPUTS[output].unit}" if output in OUTPUTS else ""
            ax.set_xlabel(f"Morris elementary effect on {output}{unit} (mu* with 95% interval)")
        ax.set_yticks(y, [names[i] for i in shown])
        ax.invert_yaxis()
        noise = e["noise_share"]
        title = output + ("" if math.isnan(noise) else f" (noise share {noise:.0%})")
        if "holdout_r2" in e:
            title += f"; emulator held-out R2 {e['holdout_r2']:.2f}"
        if len(shown) < len(names):
            title += (f"\nthe {len(shown)} largest of {len(names)} factors by "
                      f"{'mu*' if key == 'mu_star' else 'ST'} (all in indices.csv)")
        ax.set_title(title)
        ax.legend(loc="lower right")
        fig.tight_layout()
        figs[f"indices_{output}.png"] = fig
        if not e.get("convergence"):
            continue
        fig, ax = subplots(figsize=(9, 4))
        ns = [c["n"] for c in e["convergence"]]
        lead = order[:CONVERGENCE_LINES]
        for i in lead:
            ax.plot(ns, [c[key][i] for c in e["convergence"]], marker="o", label=names[i])
        ax.set_xscale("log", base=2)
        ax.set_xlabel("base samples" if report["design"] == "sobol" else "trajectories")
        ax.set_ylabel(key)
        more = f" (the {len(lead)} largest of {len(names)})" if len(lead) < len(names) else ""
        clipped = ""
        if key == "ST":  # a Sobol' index lies in [0, 1]: tiny samples' wild values clipped
            top = max(c[key][i] for c in e["convergence"] for i in lead)
            if top > 1.5:
                ax.set_ylim(-0.1, 1.5)
                clipped = "\n(axis cut at 1.5: smaller samples went beyond it)"
        ax.set_title(f"Convergence of {key} for {output}{more}{clipped}",
                     fontsize=10 if clipped else None)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        figs[f"convergence_{output}.png"] = fig
    return figs


TOP_FACTORS = 20  # bars drawn per output, largest index first
CONVERGENCE_LINES = 8  # factors drawn in a convergence plot


def write_report(report: dict[str, Any], folder: Path, draw: bool = True) -> list[str]:
    """sensitivity.json, indices.csv and figures/ in ``folder``; returns the files written."""
    folder = Path(folder)
    written = []

    def atomic(name: str, text: str) -> None:
        tmp = folder / f".{name}.tmp-{os.getpid()}"
        tmp.write_text(text)
        os.replace(tmp, folder / name)
        written.append(name)

    atomic("sensitivity.json", json.dumps(report, indent=2, default=float) + "\n")
    atomic("indices.csv", indices_table(report).to_csv(index=False))
    atomic("report.md", report_markdown(report))
    if draw:

        (folder / "figures").mkdir(exist_ok=True)
        for name, fig in figures(report).items():
            fig.savefig(folder / "figures" / name, dpi=110)
            written.append(f"figures/{name}")
    return written


def report_markdown(report: dict[str, Any], top: int = 8) -> str:
    """The study in words: what it varied and fixed, the largest indices per output with
    their intervals, whether the top ranks held from N/2 to N, and the warnings."""
    names = report["factors"]
    lines = [f"# Sensitivity study '{report['experiment']}'", ""]
    if report.get("description"):
        lines += [report["description"], ""]
    lines += [f"- Base scenario: `{report.get('scenario') or 'the schema defaults'}`.",
              f"- Design: {report['design']}, N = {report['samples']}, "
              f"{report['points']} points x {report['reps']} replication(s) (common random "
              f"numbers), seed {report.get('seed', '')}.",
              f"- Factors ({len(names)}): {', '.join(f'`{n}`' for n in names)}."]
    fixed = report.get("fixed") or {}
    lines.append("- Fixed by the experiment file: " + (
        ", ".join(f"`{k}` = {v}" for k, v in fixed.items()) if fixed else
        "nothing (every other input keeps the base scenario's value)."))
    if "sets" in report:
        lines.append(f"- `set`: one of {len(report['sets'])} calibrated sets per point "
                     f"(numbers {report['sets'][0]} to {report['sets'][-1]}); a point runs its "
                     f"set's values for every input that is not a factor, so the set's "
                     f"indices measure how much the choice among the accepted sets matters.")
    lines.append("")
    for output, e in report["outputs"].items():
        lines += [f"## {output}", ""]
        if "error" in e:
            lines += [e["error"], ""]
            continue
        noise = e.get("noise_share", float("nan"))
        if math.isnan(noise):
            lines += ["Noise between replications: not measured (one replication per "
                      "point).", ""]
        else:
            lines += [f"Noise between replications: {noise:.0%} of the variance of single "
                      f"runs.", ""]
        if "ST" in e:
            order = np.argsort(e["ST"])[::-1][:top]
            lines += ["| factor | total (ST) | 95% +- | first order (S1) | 95% +- |",
                      "|---|---:|---:|---:|---:|"]
            lines += [f"| `{names[i]}` | {e['ST'][i]:.3f} | {e['ST_conf'][i]:.3f} | "
                      f"{e['S1'][i]:.3f} | {e['S1_conf'][i]:.3f} |" for i in order]
            r = e.get("ranks")
            if r:
                lines += ["", (f"Top {len(r['top'])} by total index at N = {r['n'][1]}: "
                               f"{', '.join(r['top'])}; "
                               + (f"the same order at N = {r['n'][0]} (stable)." if r["stable"]
                                  else f"at N = {r['n'][0]}: {', '.join(r['before'])} "
                                       f"(**not stable**: read the order as unsettled)."))]
        elif "mu_star" in e:
            order = np.argsort(e["mu_star"])[::-1][:top]
            lines += ["| factor | mu* | 95% +- | sigma |", "|---|---:|---:|---:|"]
            lines += [f"| `{names[i]}` | {e['mu_star'][i]:.4g} | {e['mu_star_conf'][i]:.3g} | "
                      f"{e['sigma'][i]:.4g} |" for i in order]
        lines.append("")
    if report["warnings"]:
        lines += ["## Warnings", ""] + [f"- {w}" for w in report["warnings"]] + [""]
    return "\n".join(lines)


def has_indices(report: dict[str, Any]) -> bool:
    """True if at least one output has indices (False: the study's result is empty)."""
    return any("error" not in e for e in report["outputs"].values())


def summary_text(report: dict[str, Any], top: int = 8) -> str:
    lines = []
    names = report["factors"]
    for output, e in report["outputs"].items():
        if "error" in e:
            continue
        noise = e["noise_share"]
        head = f"{output}" + ("" if math.isnan(noise) else f" (noise share {noise:.0%})")
        if "holdout_r2" in e:
            head += (f" [emulator: held-out R2 {e['holdout_r2']:.2f}, RMSE "
                     f"{e['holdout_rmse']:.4g}]")
        if "ST" in e:
            order = np.argsort(e["ST"])[::-1][:top]
            lines.append(head + ": total (first) order, 95% half-width")
            lines += [f"  {names[i]:40s} ST {e['ST'][i]:6.3f} +-{e['ST_conf'][i]:.3f}   "
                      f"S1 {e['S1'][i]:6.3f} +-{e['S1_conf'][i]:.3f}" for i in order]
        else:
            order = np.argsort(e["mu_star"])[::-1][:top]
            lines.append(head + ": Morris mu* (95% half-width) and sigma")
            lines += [f"  {names[i]:40s} mu* {e['mu_star'][i]:12.4g} +-"
                      f"{e['mu_star_conf'][i]:.3g}  sigma {e['sigma'][i]:12.4g}" for i in order]
    lines += [f"warning: {w}" for w in report["warnings"]]
    return "\n".join(lines)
