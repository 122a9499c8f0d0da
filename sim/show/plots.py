"""Figures of a run for slides and reports, in English or Bahasa Indonesia (``lang``).

- coverage: active members against the 30,000 target and the budget quota, with the
  26,469 observation of March 2024 and the website going live;
- funnel: applications, each office's arrivals, and where cases were lost: rejected or
  gave up at an office they reached, or gave up on the way between two offices;
- days to card by year of application, by pathway, with the censored share stated;
- what-if fan chart and scenario comparisons (``jambi-sim whatif`` / ``compare``).

Every figure has a title that says what to see and a subtitle with the scenario, the
replications, the seed and "uncalibrated". Colours are the Okabe-Ito palette (safe for
colour-blind readers); font sizes are for a projector. Labels and number formats come
from :mod:`sim.show.i18n`; the numbers from :mod:`sim.runner.funnel`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.model.cases import REFERRAL_ROUTES
from sim.runner.funnel import days_by_year, funnel_table
from sim.runner.totals import Tally
from sim.show.i18n import BARRIERS, date_text, num, pathway, rupiah, stage, subtitle, tr

# Arguments of pyplot.subplots that belong to the figure rather than to its grid of axes.
_FIGURE_KEYS = {"figsize", "dpi", "facecolor", "edgecolor", "frameon", "layout",
                "constrained_layout", "tight_layout"}


def subplots(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A figure and its axes, as ``pyplot.subplots`` makes them, without pyplot: the
    figure belongs to no backend, so drawing never changes the caller's backend or
    pyplot's list of open figures (nothing to close), and PNG and SVG are written by
    ``fig.savefig`` all the same."""
    fig = Figure(**{k: kwargs.pop(k) for k in list(kwargs) if k in _FIGURE_KEYS})
    return fig, fig.subplots(nrows, ncols, **kwargs)

# Okabe & Ito (2008), safe for the common colour-vision deficiencies.
OI = {"black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
      "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
      "grey": "#7F7F7F"}
SERIES = [OI["blue"], OI["orange"], OI["green"], OI["vermillion"], OI["purple"], OI["sky"],
          OI["black"], OI["yellow"]]
PATHWAY_COLOR = {"manual": OI["orange"], "online": OI["blue"]}
RC = {"font.size": 12, "axes.titlesize": 14, "axes.labelsize": 12, "legend.fontsize": 11,
      "xtick.labelsize": 11, "ytick.labelsize": 11, "figure.titlesize": 16,
      "svg.fonttype": "none"}


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def _thousands(ax: Any, lang: str, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: num(v, lang))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _titles(fig: Any, title: str, sub: str, note: str | None = None) -> None:
    """A title that says what to see, the run's subtitle under it, a note at the foot."""
    h = fig.get_figheight()
    fig.text(0.01, 1 - 0.1 / h, title, ha="left", va="top", fontweight="bold", fontsize=16)
    fig.text(0.01, 1 - 0.45 / h, sub, ha="left", va="top", fontsize=11, color="#444444")
    top = 1 - 0.75 / h
    if note:
        fig.text(0.01, 0.08 / h, note, ha="left", va="bottom", fontsize=10, color="#444444",
                 wrap=True)
        fig.tight_layout(rect=(0, 0.6 / h, 1, top))
    else:
        fig.tight_layout(rect=(0, 0, 1, top))


# ------------------------------------------------------------------ coverage
def coverage(ts: pd.DataFrame | Tally, scenario: Any, lang: str = "en",
             reps: int | None = None, seed: int | None = None, ax: Any = None) -> Any:
    """Active members over time against the target and the budget quota, from a
    timeseries table or a :class:`~sim.runner.totals.Tally` of the replications."""
    with matplotlib.rc_context(RC):
        if isinstance(ts, Tally):
            band = ts.coverage_band()
            mean, lo, hi, cap = band["mean"], band["lo"], band["hi"], band["cap"]
            reps = reps or ts.reps
        else:
            g = ts.assign(date=pd.to_datetime(ts["date"])).groupby("date")
            mean, lo, hi = g["enrolled"].mean(), g["enrolled"].min(), g["enrolled"].max()
            cap = g["quota_cap"].first()
        own = ax is None
        fig, ax = subplots(figsize=(11, 6)) if own else (ax.figure, ax)
        ax.fill_between(mean.index, lo, hi, color=OI["blue"], alpha=0.25, lw=0,
                        label=tr("sim_band", lang))
        ax.plot(mean.index, mean, color=OI["blue"], lw=2.5, label=tr("sim_mean", lang))
        ax.step(cap.index, cap, where="pre", color=OI["grey"], ls=":", lw=2, zorder=3,
                label=tr("cap", lang))
        p = scenario.program
        ax.axhline(p.target, color=OI["vermillion"], ls="--", lw=2,
                   label=tr("target", lang, target=num(p.target, lang)))
        end = pd.Timestamp(scenario.time.end)
        ax.scatter([end], [p.observed_enrolled], color=OI["black"], zorder=5, marker="D",
                   s=60, label=tr("observed", lang, obs=num(p.observed_enrolled, lang)))
        t = scenario.time
        if t.pathway_mode == "switch" and t.online_from and t.start < t.online_from <= t.end:
            ax.axvline(pd.Timestamp(t.online_from), color=OI["green"], ls="-.", lw=2,
                       label=tr("online_go_live", lang))
        ax.set(xlabel=tr("year", lang), ylabel=tr("members", lang))
        _thousands(ax, lang)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.set_ylim(0, max(p.target, float(hi.max())) * 1.08)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, ncols=3)
        _style(ax)
        if own:
            last = float(mean.iloc[-1]) if len(mean) else 0.0
            _titles(fig, tr("coverage_title", lang, end=num(last, lang),
                            date=date_text(t.end, lang), target=num(p.target, lang)),
                    subtitle(scenario.name, reps or int(ts["rep"].nunique()),
                             seed if seed is not None else 0, lang,
                             calibrated=bool(scenario.calibrated_by)))
        return fig


# -------------------------------------------------------------------- funnel
SEGMENTS = (("continued", "blue"), ("in_process", "sky"), ("rejected", "vermillion"),
            ("gave_up_here", "orange"))


def _biggest_loss(tab: pd.DataFrame, lang: str) -> tuple[str, float]:
    best, where = -1.0, ""
    rows = tab.to_dict("records")
    for k, r in enumerate(rows):
        here = r["rejected"] + r["gave_up_here"]
        if here > best:
            best, where = here, tr("loss_here", lang, stage=stage(r["step"], lang))
        if r["gave_up_way"] > best and k + 1 < len(rows):
            best = r["gave_up_way"]
            where = tr("loss_way", lang, stage=stage(rows[k + 1]["step"], lang))
    return where, best


def funnel_panel(ax: Any, tab: pd.DataFrame, lang: str = "en", legend: bool = True) -> None:
    """One pathway's funnel: a bar per step (went on, still in process, rejected, gave
    up here) and, between two steps, the cases that gave up on the way."""
    rows = tab.to_dict("records")
    y, labels, ticks = 0.0, [], []
    top = max((r["arrived"] for r in rows), default=1.0) or 1.0
    used = set()

    def lab(key: str) -> str | None:
        if key in used or not legend:
            return None
        used.add(key)
        return tr(key, lang)

    for k, r in enumerate(rows):
        if r["step"] == "enrolled":
            ax.barh(y, r["arrived"], color=OI["green"], height=0.7)
        else:
            left = 0.0
            for key, col in SEGMENTS:
                w = r[key]
                if w > 0:
                    ax.barh(y, w, left=left, color=OI[col], height=0.7, label=lab(key))
                left += w
        lost = []
        if r["rejected"] >= 0.5:
            lost.append(f"{num(r['rejected'], lang)} {tr('rejected', lang).lower()}")
        if r["gave_up_here"] >= 0.5:
            lost.append(f"{num(r['gave_up_here'], lang)} {tr('gave_up_here', lang).lower()}")
        text = num(r["arrived"], lang) + (f"   −{', −'.join(lost)}" if lost else "")
        ax.text(r["arrived"] + top * 0.01, y, text, va="center", fontsize=10,
                fontweight="bold" if r["step"] == "enrolled" else None)
        ticks.append(y)
        labels.append(stage(r["step"], lang))
        y -= 1.0
        if r["gave_up_way"] >= 0.5 and k + 1 < len(rows):
            start = rows[k + 1]["arrived"]
            ax.barh(y + 0.15, r["gave_up_way"], left=start, height=0.45, color=OI["purple"],
                    hatch="//", edgecolor="white", label=lab("gave_up_way"))
            ax.text(start + r["gave_up_way"] + top * 0.01, y + 0.15,
                    f"−{num(r['gave_up_way'], lang)} {tr('gave_up_way', lang).lower()}",
                    va="center", fontsize=10, color="#6b2f57")
            y -= 0.7
    ax.set_yticks(ticks, labels)
    ax.set_xlim(0, top * 1.55)
    ax.set_xlabel(tr("cases_axis", lang))
    _thousands(ax, lang, "x")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", alpha=0.3)


def funnel(cases: pd.DataFrame | Tally, reps: int, lang: str = "en", sub: str = "") -> Any:
    """Where applications were lost, one panel per pathway."""
    tab = cases.funnel_table() if isinstance(cases, Tally) else funnel_table(cases, reps)
    panels = [p for p in ("manual", "online") if (tab["pathway"] == p).any()]
    with matplotlib.rc_context(RC):
        n = max(1, len(panels))
        height = 2.5 + 0.45 * max((len(tab[tab["pathway"] == p]) * 1.6 for p in panels),
                                  default=8)
        fig, axes = subplots(1, n, figsize=(8.5 * n, height), squeeze=False)
        for i, (ax, p) in enumerate(zip(axes[0], panels)):
            t = tab[tab["pathway"] == p]
            funnel_panel(ax, t, lang, legend=i == 0)
            where, big = _biggest_loss(t, lang)
            ax.set_title(tr("funnel_headline", lang, pathway=pathway(p, lang), where=where,
                            n=num(big, lang), per=tr("per_run", lang)), loc="left",
                         fontsize=12)
        axes[0][0].legend(loc="lower right", frameon=False)
        _titles(fig, tr("funnel_title", lang), sub, tr("funnel_note", lang))
    return fig


# -------------------------------------------------------------- days to card
def days_to_card(cases: pd.DataFrame | Tally, lang: str = "en", sub: str = "",
                 end: str = "") -> Any:
    """Median days to card (middle half as a bar) by year of application and pathway,
    with the share of each year's applications still without an outcome."""
    tab = cases.days_by_year() if isinstance(cases, Tally) else days_by_year(cases)
    with matplotlib.rc_context(RC):
        fig, (ax, ax2) = subplots(2, 1, figsize=(11, 7.5), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 1.2]})
        paths = [p for p in ("manual", "online") if (tab["pathway"] == p).any()]
        offset = {p: (i - (len(paths) - 1) / 2) * 0.22 for i, p in enumerate(paths)}
        for p in paths:
            t = tab[tab["pathway"] == p]
            x = t["year"].to_numpy() + offset[p]
            c = PATHWAY_COLOR[p]
            ok = t["enrolled"].to_numpy() > 0
            ax.errorbar(x[ok], t["median"][ok],
                        yerr=[(t["median"] - t["q25"])[ok], (t["q75"] - t["median"])[ok]],
                        fmt="o", color=c, ms=8, lw=3, capsize=0, label=pathway(p, lang))
            for xi, m in zip(x[ok], t["median"][ok]):
                ax.annotate(f"{num(m, lang)}", (xi, m), xytext=(6, 0),
                            textcoords="offset points", va="center", fontsize=10, color=c)
            ax2.bar(x, 100 * t["in_process_share"], width=0.2, color=c)
        ax.set_ylabel(tr("days_axis", lang))
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False, title=tr("pathway", lang))
        _style(ax)
        ax2.set_ylabel(tr("days_pending", lang), fontsize=11)
        ax2.set_xlabel(tr("year", lang))
        ax2.set_ylim(0, 100)
        ax2.set_xticks(sorted(tab["year"].unique()))
        _style(ax2)
        _titles(fig, tr("days_title", lang), sub,
                tr("days_note", lang, end=date_text(end, lang) if end else ""))
    return fig


# ------------------------------------------------------------------- a run
def all_figures(result: Any, lang: str = "en") -> dict[str, Any]:
    """The run's figures by file stem (``coverage``, ``funnel``, ``days_to_card``)."""
    reps = int(result.summary["reps"])
    sub = subtitle(result.scenario.name, reps, result.seed, lang,
                   calibrated=bool(result.scenario.calibrated_by))
    # a streamed run keeps no tables, only their tally; both give the same figures
    tally = getattr(result, "tally", None)
    ts = result.timeseries if result.timeseries is not None else tally
    cases = result.cases if result.cases is not None else tally
    return {"coverage": coverage(ts, result.scenario, lang, reps, result.seed),
            "funnel": funnel(cases, reps, lang, sub),
            "days_to_card": days_to_card(cases, lang, sub,
                                         result.scenario.time.end.isoformat())}


def save_figures(staged: Any, figures: dict[str, Any], folder: str = "figures") -> list[str]:
    """Write each figure as PNG and SVG through a StagedOutput; close them."""
    names = []
    for stem, fig in figures.items():
        staged.save_figure(f"{folder}/{stem}.png", fig)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        staged.write_text(f"{folder}/{stem}.svg", buf.getvalue())
        names += [f"{folder}/{stem}.png", f"{folder}/{stem}.svg"]
    return names


# ------------------------------------------------------------------ what-if
def fan(runs: Sequence[tuple[float, pd.DataFrame]], param: str, scenario: Any, reps: int,
        seed: int, lang: str = "en", column: str = "enrolled") -> Any:
    """One band (10th to 90th percentile across replications) and mean line per value."""
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(11, 6))
        cmap = matplotlib.colormaps["viridis"]
        name = BARRIERS[lang].get(param, param)
        ends = []
        for i, (value, ts) in enumerate(runs):
            c = cmap(0.8 * i / max(1, len(runs) - 1))  # the light yellow end is too faint
            g = ts.assign(date=pd.to_datetime(ts["date"])).groupby("date")[column]
            lo, hi, mean = g.quantile(0.1), g.quantile(0.9), g.mean()
            ax.fill_between(mean.index, lo, hi, color=c, alpha=0.18, lw=0)
            ax.plot(mean.index, mean, color=c, lw=2.5, label=f"{name} = {num(value, lang, 2)}")
            ends.append(float(mean.iloc[-1]))
        p = scenario.program
        ax.axhline(p.target, color=OI["vermillion"], ls="--", lw=2,
                   label=tr("target", lang, target=num(p.target, lang)))
        if p.observed_enrolled <= p.target * 1.05:  # not for a toy city
            ax.scatter([pd.Timestamp(scenario.time.end)], [p.observed_enrolled], color="black",
                       marker="D", s=60, zorder=5,
                       label=tr("observed", lang, obs=num(p.observed_enrolled, lang)))
        ax.set(xlabel=tr("year", lang), ylabel=tr("members", lang))
        _thousands(ax, lang)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.set_ylim(0, max(p.target, max(ends, default=0)) * 1.08)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, ncols=4)
        ax.text(0.99, 0.02, tr("whatif_band", lang, reps=reps), transform=ax.transAxes,
                ha="right", fontsize=10, color="#444444")
        _style(ax)
        diff = ends[-1] - ends[0] if ends else 0.0
        sign = "+" if diff >= 0 else "−"
        title = tr("whatif_headline", lang, param=name, lo=num(runs[0][0], lang, 2),
                   hi=num(runs[-1][0], lang, 2), diff=sign + num(abs(diff), lang),
                   date=date_text(scenario.time.end, lang))
        _titles(fig, title, subtitle(scenario.name, reps, seed, lang,
                                     calibrated=bool(scenario.calibrated_by)))
    return fig


# ------------------------------------------------------------------ compare
def compare_figures(results: Sequence[Any], lang: str = "en") -> dict[str, Any]:
    """Side by side, under the same seeds: coverage, arrivals at each office, days to
    card by year, visits and cost to the citizen, premium spending against the budget."""
    names = [r.scenario.name for r in results]
    reps, seed = int(results[0].summary["reps"]), results[0].seed
    sub = subtitle(f" {tr('vs', lang)} ".join(names), reps, seed, lang,
                   calibrated=all(r.scenario.calibrated_by for r in results))
    colors = {n: SERIES[i % len(SERIES)] for i, n in enumerate(names)}
    figs: dict[str, Any] = {}
    with matplotlib.rc_context(RC):
        # coverage
        fig, ax = subplots(figsize=(11, 6))
        for r in results:
            g = r.timeseries.assign(date=pd.to_datetime(r.timeseries["date"])).groupby("date")
            m = g["enrolled"].mean()
            ax.fill_between(m.index, g["enrolled"].min(), g["enrolled"].max(),
                            color=colors[r.scenario.name], alpha=0.2, lw=0)
            ax.plot(m.index, m, color=colors[r.scenario.name], lw=2.5,
                    label=f"{r.scenario.name}: {num(float(m.iloc[-1]), lang)}")
        p = results[0].scenario.program
        ax.axhline(p.target, color=OI["vermillion"], ls="--", lw=2,
                   label=tr("target", lang, target=num(p.target, lang)))
        ax.set(xlabel=tr("year", lang), ylabel=tr("members", lang))
        _thousands(ax, lang)
        ax.xaxis.set_major_locator(mdates.YearLocator())
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, ncols=3)
        _style(ax)
        _titles(fig, tr("compare_coverage_title", lang), sub)
        figs["compare_coverage"] = fig
        # funnel: arrivals at each step, all pathways
        fig, ax = subplots(figsize=(11, 6.5))
        tabs = {r.scenario.name: funnel_table(r.cases, int(r.summary["reps"]), by=None)
                for r in results}
        steps = [s for s in ("applied", "rt", "lurah", "camat", "dinsos", "dinkes", "tim",
                             "quota", "bpjs", "activation", "enrolled")
                 if any((t["step"] == s).any() for t in tabs.values())]
        h = 0.8 / len(results)
        for i, (name, t) in enumerate(tabs.items()):
            vals = [float(t.loc[t["step"] == s, "arrived"].sum()) for s in steps]
            ys = np.arange(len(steps))[::-1] + (len(results) - 1) / 2 * h - i * h
            ax.barh(ys, vals, height=h, color=colors[name], label=name)
            for yv, v in zip(ys, vals):
                ax.text(v, yv, " " + num(v, lang), va="center", fontsize=9)
        ax.set_yticks(np.arange(len(steps))[::-1], [stage(s, lang) for s in steps])
        ax.set_xlabel(tr("cases_axis", lang))
        _thousands(ax, lang, "x")
        ax.legend(frameon=False, loc="lower right")
        ax.spines[["top", "right"]].set_visible(False)
        _titles(fig, tr("compare_funnel_title", lang), sub)
        figs["compare_funnel"] = fig
        # days to card by year
        fig, ax = subplots(figsize=(11, 6))
        for i, r in enumerate(results):
            d = r.cases[(~r.cases["route"].isin(REFERRAL_ROUTES)) & (r.cases["outcome"] == "enrolled")]
            yr = pd.to_datetime(d["applied"]).dt.year
            med = d.groupby(yr)["days_to_card"].median()
            ax.plot(med.index + (i - (len(results) - 1) / 2) * 0.08, med.values, "o-",
                    color=colors[r.scenario.name], lw=2.5, ms=8, label=r.scenario.name)
        ax.set(xlabel=tr("year", lang), ylabel=tr("days_median", lang))
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False)
        _style(ax)
        end = results[0].scenario.time.end.isoformat()
        _titles(fig, tr("compare_days_title", lang), sub,
                tr("days_note", lang, end=date_text(end, lang)))
        figs["compare_days_to_card"] = fig
        # visits and cost
        fig, (a1, a2) = subplots(1, 2, figsize=(12, 5.5))
        v = [results_value(r, "visits_per_enrollee") for r in results]
        c = [results_value(r, "citizen_cost_idr_per_enrollee") for r in results]
        a1.bar(names, v, color=[colors[n] for n in names])
        a2.bar(names, c, color=[colors[n] for n in names])
        for a, vals, f in ((a1, v, lambda x: num(x, lang, 1)), (a2, c, lambda x: rupiah(x, lang))):
            for k, x in enumerate(vals):
                a.text(k, x, f(x), ha="center", va="bottom", fontsize=11)
            _style(a)
            a.tick_params(axis="x", rotation=15)
        a1.set_ylabel(tr("visits_axis", lang))
        a2.set_ylabel(tr("cost_axis", lang))
        a2.yaxis.set_major_formatter(FuncFormatter(lambda x, _: rupiah(x, lang)))
        _titles(fig, tr("compare_cost_title", lang), sub)
        figs["compare_cost"] = fig
        # budget
        fig, ax = subplots(figsize=(11, 6))
        years = sorted({y for r in results for y in r.summary["premium_idr_by_year"]})
        w = 0.8 / len(results)
        for i, r in enumerate(results):
            spend = [r.summary["premium_idr_by_year"].get(y, 0.0) for y in years]
            ax.bar(np.arange(len(years)) + (i - (len(results) - 1) / 2) * w, spend, width=w,
                   color=colors[r.scenario.name], label=r.scenario.name)
        budget = results[0].scenario.program.budget_idr_by_year
        ax.scatter(np.arange(len(years)), [budget.get(y, np.nan) for y in years], marker="_",
                   s=900, color=OI["black"], linewidths=3, zorder=5,
                   label=tr("budget_line", lang))
        ax.set_xticks(np.arange(len(years)), years)
        ax.set(xlabel=tr("year", lang), ylabel=tr("budget", lang))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: rupiah(x, lang)))
        ax.legend(frameon=False)
        _style(ax)
        _titles(fig, tr("compare_budget_title", lang), sub)
        figs["compare_budget"] = fig
    return figs


def results_value(result: Any, key: str) -> float:
    v = result.summary.get(key)
    return float("nan") if v is None else float(v)
