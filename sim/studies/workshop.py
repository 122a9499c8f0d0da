"""What-if sweeps and scenario comparisons for workshops, under common random numbers.

Every value of a parameter (``whatif``) and every scenario (``compare``) runs with the same
root seed and replications. The model's keyed draws then give each household the same
numbers for the same decision in every run, so a difference between two runs is the
policy's, not noise; the tables report paired differences (replication by replication).

Both write into a folder through :class:`sim.runner.staging.StagedOutput`, like ``jambi-sim run``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.runner.records import mean_ci
from sim.runner.replications import Result, WorkerPool, run
from sim.scenario import Scenario, ScenarioError
from sim.scenario.table import leaves
from sim.show.i18n import num, pct, rupiah, tr


class WorkshopError(ValueError):
    """A mistake in a what-if or compare request; the message is for the user."""


def tunable() -> list[str]:
    """Names ``--param`` accepts: leaf names that are unique, numeric or a flag."""
    paths = [p for p, _ in leaves(Scenario)]
    counts: dict[str, int] = {}
    for p in paths:
        counts[p[-1]] = counts.get(p[-1], 0) + 1
    out = []
    for path, info in leaves(Scenario):
        if info.annotation in (int, float, bool):
            out.append(path[-1] if counts[path[-1]] == 1 else "__".join(path))
    return sorted(out)


def check_param(scenario: Scenario, param: str, values: Sequence[Any]) -> list[Scenario]:
    """One scenario per value; a clear error naming the flag, the key and the allowed
    names or range."""
    names = tunable()
    if param not in names:
        close = difflib.get_close_matches(param, names, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise WorkshopError(f"--param {param}: no such parameter.{hint} Valid names: "
                            f"{', '.join(names)}.")
    out = []
    for v in canonical_values(param, values, unique=False):
        try:
            out.append(scenario.with_overrides(**{param: v}))
        except ScenarioError as exc:
            raise WorkshopError(f"--values {v} for --param {param}: {exc}") from None
    return out


def param_kind(param: str) -> Any:
    """The schema type of a ``--param`` name (int, float or bool), None if unknown."""
    return {("__".join(p) if "__" in param else p[-1]): info.annotation
            for p, info in leaves(Scenario)}.get(param)


def canonical_values(param: str, values: Sequence[Any], unique: bool = True) -> list[Any]:
    """The values as the model takes them: an on/off parameter takes 0 and 1 only (2 and
    3 both meant 'on'); with ``unique``, two values that are the same parameter value are
    refused (the command line would label them as two levels of one run)."""
    kind = param_kind(param)
    out: list[Any] = []
    for v in values:
        if kind is bool:
            if v not in (0, 1):
                raise WorkshopError(f"--values {v} for --param {param}: it is switched on or "
                                    f"off; give 0 (off) and 1 (on).")
            v = bool(v)
        elif kind is int and isinstance(v, float) and v.is_integer():
            v = int(v)
        if unique and v in out:
            raise WorkshopError(f"--values: {v!r} is given twice for --param {param} (as the "
                                f"model takes it); give each value once.")
        out.append(v)
    return out


def value_labels(values: Sequence[Any], lang: str = "en") -> list[str]:
    """Labels that tell the values apart: on/off for a switch; numbers with as many
    decimals as needed (0.001 and 0.004 are not both '0.00')."""
    if all(isinstance(v, bool) for v in values):
        return [tr("on", lang) if v else tr("off", lang) for v in values]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return [num(v, lang, 0) for v in values]
    for digits in range(2, 13):
        labels = [num(v, lang, digits) for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return [repr(v) for v in values]


def parse_values(text: str) -> list[float | int]:
    """'0,0.25,1' -> [0, 0.25, 1] (whole numbers stay integers, for counts such as staff)."""
    vals: list[float | int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            v = float(part)
        except ValueError:
            raise WorkshopError(f"--values: '{part}' is not a number; give numbers separated "
                                f"by commas, e.g. 0,0.25,0.5,0.75,1.") from None
        if not np.isfinite(v):
            raise WorkshopError(f"--values: '{part}' is not a finite number.")
        vals.append(int(v) if v.is_integer() and "." not in part else v)
    if len(vals) < 2:
        raise WorkshopError("--values: give at least two values separated by commas, e.g. "
                            "0,0.5,1.")
    return vals


# ------------------------------------------------------------------- tables
def _per_rep_end(result: Result) -> np.ndarray:
    return np.array([s["enrolled_end"] for s in result.per_rep], dtype=float)


def outcome_table(labels: Sequence[str], results: Sequence[Result]) -> pd.DataFrame:
    """One row per run: active members at the end with its interval, the paired difference
    from the first run, days to card, losses, visits, cost to the citizen, premiums."""
    base = _per_rep_end(results[0])
    rows = []
    for label, r in zip(labels, results):
        s = r.summary
        end = s["enrolled_end"]
        diff = mean_ci(_per_rep_end(r) - base)
        c = s["cases"]
        closed = c["enrolled"] + c["rejected"] + c["abandoned"]
        rows.append({"run": label, "enrolled_end": end["mean"], "ci_low": end["ci_low"],
                     "ci_high": end["ci_high"], "diff_first": diff["mean"],
                     "diff_ci_low": diff["ci_low"], "diff_ci_high": diff["ci_high"],
                     "days_to_card_median": s["days_to_card"]["median"],
                     "applied": c["applied"], "abandoned_share": c["abandoned"] / closed
                     if closed else float("nan"),
                     "visits_per_enrollee": s["visits_per_enrollee"],
                     "citizen_cost_idr_per_enrollee": s["citizen_cost_idr_per_enrollee"],
                     "premium_idr_total": sum(s["premium_idr_by_year"].values())})
    return pd.DataFrame(rows)


def table_markdown(tab: pd.DataFrame, lang: str, first: str, head: str) -> str:
    """The table for slides, in the chosen language and number format."""
    def ci(lo: Any, hi: Any) -> str:
        return "" if lo is None or pd.isna(lo) else f" ({num(lo, lang)}–{num(hi, lang)})"

    cols = [head, f"{tr('enrolled_end', lang)} ({tr('ci95', lang)})",
            tr("diff_first", lang, first=first), tr("days_median", lang),
            tr("abandoned_share", lang), tr("visits", lang), tr("cost_per", lang),
            tr("budget_total", lang)]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in tab.to_dict("records"):
        sign = "+" if r["diff_first"] >= 0 else "−"
        lines.append("| " + " | ".join([
            str(r["run"]), num(r["enrolled_end"], lang) + ci(r["ci_low"], r["ci_high"]),
            sign + num(abs(r["diff_first"]), lang) + ci(r["diff_ci_low"], r["diff_ci_high"]),
            num(r["days_to_card_median"], lang), pct(r["abandoned_share"], lang),
            num(r["visits_per_enrollee"], lang, 1), rupiah(r["citizen_cost_idr_per_enrollee"],
                                                           lang),
            rupiah(r["premium_idr_total"], lang)]) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- runs
def whatif(scenario: Scenario, param: str, values: Sequence[Any], reps: int, seed: int,
           workers: int = 1, progress: Callable[[int], None] | None = None,
           pool: WorkerPool | None = None) -> list[Result]:
    """One run per value, all under the same seed and replications (on ``pool``'s workers,
    kept warm from one value to the next, when given)."""
    scenarios = check_param(scenario, param, values)  # values as canonical_values gives them
    return [run(sc, reps=reps, seed=seed, workers=workers, progress=progress, pool=pool)
            for sc in scenarios]


def write_whatif(staged: Any, scenario: Scenario, param: str, values: Sequence[Any],
                 results: Sequence[Result], reps: int, seed: int, lang: str) -> str:
    """Fan chart, table (CSV and Markdown) and the monthly timeseries of every value."""
    from sim.show.plots import fan, save_figures

    labels = [f"{param} = {label}" for label in value_labels(values, lang)]
    tab = outcome_table(labels, results).assign(param=param, value=list(values))
    ts = pd.concat([r.timeseries.assign(param=param, value=v)
                    for v, r in zip(values, results)], ignore_index=True)
    staged.write_csv("timeseries.csv", ts)
    staged.write_csv("whatif.csv", tab)
    md = table_markdown(tab, lang, labels[0], tr("value", lang))
    staged.write_text("whatif.md", md)
    save_figures(staged, {"whatif": fan(list(zip(values, [r.timeseries for r in results])),
                                        param, scenario, reps, seed, lang)})
    return md


def labels_for(results: Sequence[Result], files: Sequence[Any]) -> list[str]:
    names = [r.scenario.name for r in results]
    if len(set(names)) < len(names):  # two files with one name: tell them apart
        names = [f"{n} ({getattr(f, 'name', f)})" for n, f in zip(names, files)]
    return names


def write_compare(staged: Any, results: Sequence[Result], labels: Sequence[str],
                  lang: str) -> str:
    """Comparison figures, table (CSV and Markdown) and the monthly timeseries."""
    from sim.show.plots import compare_figures, save_figures

    for r, label in zip(results, labels):
        r.scenario = r.scenario.model_copy(update={"name": label})
    tab = outcome_table(labels, results)
    ts = pd.concat([r.timeseries.assign(scenario=label) for r, label in zip(results, labels)],
                   ignore_index=True)
    staged.write_csv("timeseries.csv", ts)
    staged.write_csv("compare.csv", tab)
    md = table_markdown(tab, lang, labels[0], tr("scenario", lang))
    staged.write_text("compare.md", md)
    save_figures(staged, compare_figures(results, lang))
    return md
