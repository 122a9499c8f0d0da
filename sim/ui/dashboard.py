"""What the workshop dashboard shows, without the browser: settings to a scenario, the
baseline and the changed scenario under one seed, and every figure of the page.

The page (:mod:`sim.ui.app`) keeps one :class:`Settings` per browser session; a change runs
the changed scenario from start to end (the baseline of a seed is computed once and
shared, read only) and redraws. :func:`run_stepwise` publishes the run's months as it
goes, so the plots grow while a city-scale replication runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sim.model import JambiBugarModel
from sim.model.cases import REFERRAL_ROUTES
from sim.runner.funnel import days_by_year, funnel_table
from sim.runner.records import case_table, journey_table
from sim.runner.replications import collector_paused
from sim.scenario import Barriers, Scenario
from sim.scenario.offices import OFFICES
from sim.show.i18n import RESULTS, date_text, num, pathway, rupiah, stage, tr
from sim.show.plots import OI, RC, funnel_panel, subplots

BARRIER_NAMES = tuple(Barriers.model_fields)
CAMPAIGN_MONTHS = {0: (), 1: (3,), 2: (3, 9), 4: (1, 4, 7, 10), 12: tuple(range(1, 13))}
OFFICE_QUEUES = OFFICES


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything a participant can change on the page (hashable: one run per value)."""

    barriers: tuple[float, ...]
    hierarchy: bool
    hierarchy_strength: float
    review_interval_days: int
    approval_interval_days: int
    network: bool
    network_strength: float
    collaboration: bool
    collaboration_strength: float
    pathway_mode: str
    online_from: dt.date
    campaigns_per_year: int
    campaign_reach: float
    budget_scale: float
    seed: int

    @classmethod
    def of(cls, sc: Scenario, seed: int = 1) -> Settings:
        """The settings a scenario already has (the page starts from them)."""
        c = sc.coordination
        months = {d.month for d in sc.awareness.campaign_dates}
        per_year = min(CAMPAIGN_MONTHS, key=lambda k: abs(k - len(months)))
        return cls(barriers=tuple(getattr(sc.barriers, b) for b in BARRIER_NAMES),
                   hierarchy=c.hierarchy.enabled, hierarchy_strength=c.hierarchy.strength,
                   review_interval_days=c.hierarchy.review_interval_days,
                   approval_interval_days=c.hierarchy.approval_interval_days,
                   network=c.network.enabled, network_strength=c.network.strength,
                   collaboration=c.collaboration.enabled,
                   collaboration_strength=c.collaboration.strength,
                   pathway_mode=sc.time.pathway_mode,
                   online_from=sc.time.online_from or dt.date(2021, 3, 1),
                   campaigns_per_year=per_year, campaign_reach=sc.awareness.campaign_reach,
                   budget_scale=1.0, seed=seed)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def scenario(self, base: Scenario) -> Scenario:
        """The base scenario with these settings applied."""
        t = base.time
        camp = base.awareness.campaign_dates  # kept as they are unless the count changes
        if self.campaigns_per_year != Settings.of(base).campaigns_per_year:
            camp = tuple(dt.date(y, m, 1) for y in range(t.start.year, t.end.year + 1)
                         for m in CAMPAIGN_MONTHS[self.campaigns_per_year]
                         if t.start <= dt.date(y, m, 1) <= t.end)
        budget = {y: v * self.budget_scale for y, v in base.program.budget_idr_by_year.items()}
        online_from = min(max(self.online_from, t.start + dt.timedelta(days=1)), t.end)
        return base.with_overrides(
            **dict(zip(BARRIER_NAMES, self.barriers)),
            coordination__hierarchy__enabled=self.hierarchy,
            coordination__hierarchy__strength=self.hierarchy_strength,
            review_interval_days=self.review_interval_days,
            approval_interval_days=self.approval_interval_days,
            coordination__network__enabled=self.network,
            coordination__network__strength=self.network_strength,
            coordination__collaboration__enabled=self.collaboration,
            coordination__collaboration__strength=self.collaboration_strength,
            pathway_mode=self.pathway_mode, online_from=online_from,
            campaign_dates=camp, campaign_reach=self.campaign_reach,
            budget_idr_by_year=budget)


class Run:
    """One replication for the page: its monthly rows at once, and (when finished) its case
    table and visit log, built from the model on first use. The coverage plot and the
    summary line need neither, so a change redraws without waiting for them; the tabs that
    show cases build them once, and the model is then let go."""

    def __init__(self, scenario: Scenario, seed: int, timeseries: pd.DataFrame,
                 model: Any = None, seconds: float = 0.0) -> None:
        self.scenario = scenario
        self.seed = seed
        self.timeseries = timeseries
        self.seconds = seconds
        self._model = model
        self._cases: pd.DataFrame | None = None
        self._journey: pd.DataFrame | None = None
        self._lock = threading.Lock()
        self.summary = _summary(model) if model is not None else None

    @property
    def done(self) -> bool:
        return self.summary is not None

    def _tables(self) -> None:
        with self._lock:  # two tabs may ask at once, from two threads
            if self._cases is None and self._model is not None:
                self._journey = journey_table(self._model)
                self._cases = case_table(self._model, self._journey)
                self._model = None

    @property
    def cases(self) -> pd.DataFrame | None:
        self._tables()
        return self._cases

    @property
    def journey(self) -> pd.DataFrame | None:
        self._tables()
        return self._journey


def _summary(model: Any) -> tuple[float, float]:
    """Median days to card and mean cost to the citizen of the enrolled citizen cases, as
    the case table defines them (``days_to_card`` to 0.1 day, ``cost_idr`` to the rupiah)."""
    done = [c for c in model.flow.cases
            if c.outcome == "enrolled" and c.route not in REFERRAL_ROUTES]
    if not done:
        return math.nan, math.nan
    days = (np.array([c.t_outcome for c in done]) - np.array([c.t_applied for c in done]))
    return (float(np.median(days.round(1))),
            float(np.mean([round(c.cost) for c in done])))


def run_stepwise(sc: Scenario, seed: int, publish: Callable[[Run], None] | None = None,
                 every_s: float = 2.0, cancelled: Callable[[], bool] = lambda: False
                 ) -> Run | None:
    """One replication, day by day; every ``every_s`` seconds the months so far are
    published (the plots grow while it runs). None if cancelled.

    The first partial result comes after a whole interval: drawing it takes the run's
    own processor time (about a tenth of a run), so a run that ends sooner -- at city
    scale on an idle machine, within the dashboard's 2-second goal -- is shown complete
    at once, and only a slow one (a busy machine, a larger city) grows on screen. The
    cyclic garbage collector is paused while the model runs, as in ``run_one``.
    """
    t0 = time.perf_counter()
    with collector_paused():
        model = JambiBugarModel(scenario=sc, seed=seed)
        last = t0
        while model.running:
            model.step()
            if cancelled():
                return None
            now = time.perf_counter()
            if publish is not None and now - last > every_s and model.monthly:
                publish(Run(sc, seed, pd.DataFrame(model.monthly)))
                last = now
    return Run(sc, seed, pd.DataFrame(model.monthly), model, time.perf_counter() - t0)


_BASELINES: dict[tuple[str, int], Run] = {}
_LOCK = threading.Lock()


def baseline(sc: Scenario, seed: int) -> Run:
    """The baseline of a seed: computed once per server, shared read only."""
    key = (sc.model_dump_json(), seed)
    with _LOCK:
        if key not in _BASELINES:
            _BASELINES[key] = run_stepwise(sc, seed)
        return _BASELINES[key]


_GAPS: dict[tuple[str, int], Any] = {}


def gap_by_cause(run: Run) -> Any:
    """The gap of a run's scenario by cause (one paired replication, in this process):
    computed when asked (seven more runs) and kept per server, like the baselines."""
    from sim.runner.attribution import attribute_gap

    key = (run.scenario.model_dump_json(), run.seed)
    with _LOCK:
        if key not in _GAPS:
            _GAPS[key] = attribute_gap(run.scenario, 1, run.seed, workers=1)
        return _GAPS[key]


# ------------------------------------------------------------------ ensemble
ENSEMBLE_ENV = "JAMBI_SIM_ENSEMBLE_CSV"  # the interactive sets, as `jambi-sim dashboard` read them


def ensemble_csv(ens: Any) -> str:
    """The interactive sets of an ensemble as the CSV the server reads back (numbered
    from 0, all marked interactive): small enough for the environment."""
    sets = ens.pick("interactive")
    lines = [",".join(("set", "interactive", *ens.columns))]
    for k, i in enumerate(sets):
        lines.append(",".join((str(k), "True", *(repr(v) for v in ens.values[i]))))
    return "\n".join(lines) + "\n"


def ensemble_from_env(env: dict[str, str], scenario: Scenario) -> Any:
    """The server's ensemble (None if the scenario names none)."""
    from sim.runner.ensemble import read_ensemble

    text = env.get(ENSEMBLE_ENV)
    if not text:
        return None
    return read_ensemble(text.encode("utf-8"), env.get("JAMBI_SIM_ENSEMBLE_FILE", "ensemble"),
                         base=scenario)


_ENSEMBLE_RUNS: dict[tuple[str, str, int], Any] = {}


def ensemble_answer(base: Run, changed: Run, ens: Any, pool: Any = None) -> dict[str, Any]:
    """The baseline and the changed scenario over every set of ``ens`` (one replication
    each, the seed of the page), paired set by set: the changed scenario's band and, per
    output, the difference with the share of sets that agree. The baseline's runs are
    kept per server."""
    from sim.runner.ensemble import changes, describe, paired, run_ensemble, values
    from sim.show.ensemble import COMPARED

    sets = list(range(len(ens)))
    extra = changes(changed.scenario, base.scenario)

    def runs(extra: dict[str, Any]) -> Any:
        key = (base.scenario.model_dump_json(), repr(sorted(extra.items())), base.seed)
        with _LOCK:
            if key in _ENSEMBLE_RUNS:
                return _ENSEMBLE_RUNS[key]
        got = run_ensemble(base.scenario, ens, sets, 1, base.seed, pool, extra=extra)
        with _LOCK:
            _ENSEMBLE_RUNS[key] = got
        return got

    a = runs({})
    b = runs(extra) if extra else a
    return {"sets": len(sets), "changes": extra,
            "band": describe(values(b, "active_members_end")),
            "diff": {o: paired(values(a, o), values(b, o)) for o in COMPARED}}


# ------------------------------------------------------------------ figures
def _dates(ax: Any) -> None:
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))


def _frame(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def _name(which: str, lang: str) -> str:
    return tr("baseline" if which == "base" else "changed", lang)


COLORS = {"base": OI["grey"], "changed": OI["blue"]}


def fig_coverage(base: Run, changed: Run, lang: str) -> Any:
    """Active members, both scenarios, against the target and the budget quota."""
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(10, 5.4))
        sc = changed.scenario
        for which, r in (("base", base), ("changed", changed)):
            ts = r.timeseries
            d = pd.to_datetime(ts["date"])
            ax.plot(d, ts["enrolled"], color=COLORS[which], lw=2.5 if which == "changed" else 2,
                    label=f"{_name(which, lang)}: {num(float(ts['enrolled'].iloc[-1]), lang)}")
            if which == "changed":
                ax.step(d, ts["quota_cap"], where="pre", color=OI["orange"], ls=":", lw=2,
                        label=tr("cap", lang))
        p = sc.program
        ax.axhline(p.target, color=OI["vermillion"], ls="--", lw=2,
                   label=tr("target", lang, target=num(p.target, lang)))
        ax.scatter([pd.Timestamp(dt.date(2024, 3, 31))], [p.observed_enrolled], marker="D",
                   color=OI["black"], zorder=5, s=50,
                   label=tr("observed", lang, obs=num(p.observed_enrolled, lang)))
        t = sc.time
        if t.pathway_mode == "switch" and t.online_from and t.start < t.online_from <= t.end:
            ax.axvline(pd.Timestamp(t.online_from), color=OI["green"], ls="-.", lw=2,
                       label=tr("online_go_live", lang))
        ax.set_xlim(pd.Timestamp(t.start), pd.Timestamp(t.end) + pd.Timedelta(days=40))
        ax.set_ylim(0, max(p.target, p.observed_enrolled) * 1.1)
        ax.set(xlabel=tr("year", lang), ylabel=tr("members", lang))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: num(v, lang)))
        _dates(ax)
        _frame(ax)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False,
                  fontsize=10, ncols=3)
        fig.tight_layout()
    return fig


def fig_funnel(base: Run, changed: Run, lang: str) -> Any:
    with matplotlib.rc_context(RC):
        fig, axes = subplots(1, 2, figsize=(14, 6.5))
        for ax, which, r in zip(axes, ("base", "changed"), (base, changed)):
            funnel_panel(ax, funnel_table(r.cases, 1, by=None), lang, legend=which == "base")
            ax.set_title(_name(which, lang), loc="left")
        axes[0].legend(loc="lower right", frameon=False, fontsize=10)
        fig.tight_layout()
    return fig


def fig_backlog(base: Run, changed: Run, lang: str) -> Any:
    with matplotlib.rc_context(RC):
        fig, axes = subplots(1, 2, figsize=(13, 4.8), sharey=True)
        colors = [OI["black"], OI["sky"], OI["purple"], OI["orange"], OI["blue"],
                  OI["vermillion"]]
        for ax, which, r in zip(axes, ("base", "changed"), (base, changed)):
            d = pd.to_datetime(r.timeseries["date"])
            for office, c in zip(OFFICE_QUEUES, colors):
                ax.plot(d, r.timeseries[f"queue_{office}"], color=c, lw=2,
                        label=stage(office, lang))
            ax.set_title(_name(which, lang), loc="left")
            ax.set(xlabel=tr("year", lang))
            _dates(ax)
            _frame(ax)
        axes[0].set_ylabel(tr("backlog_axis", lang))
        axes[0].yaxis.set_major_formatter(FuncFormatter(lambda v, _: num(v, lang)))
        axes[1].legend(frameon=False, fontsize=10)
        fig.tight_layout()
    return fig


def fig_days(base: Run, changed: Run, lang: str) -> Any:
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(10, 4.8))
        for k, (which, r) in enumerate((("base", base), ("changed", changed))):
            tab = days_by_year(r.cases)
            for p, marker in (("manual", "s"), ("online", "o")):
                t = tab[(tab["pathway"] == p) & (tab["enrolled"] > 0)]
                if len(t):
                    ax.errorbar(t["year"] + (k - 0.5) * 0.2, t["median"],
                                yerr=[t["median"] - t["q25"], t["q75"] - t["median"]],
                                fmt=marker, color=COLORS[which], ms=8, lw=2.5,
                                label=f"{_name(which, lang)}, {pathway(p, lang)}")
        ax.set(xlabel=tr("year", lang), ylabel=tr("days_axis", lang))
        ax.set_ylim(bottom=0)
        _frame(ax)
        ax.legend(frameon=False, fontsize=10)
        fig.tight_layout()
    return fig


def fig_cost(base: Run, changed: Run, lang: str) -> Any:
    with matplotlib.rc_context(RC):
        fig, (a1, a2) = subplots(1, 2, figsize=(10, 4.4))
        names, visits, cost = [], [], []
        for which, r in (("base", base), ("changed", changed)):
            c = r.cases
            e = c[(~c["route"].isin(REFERRAL_ROUTES)) & (c["outcome"] == "enrolled")]
            names.append(_name(which, lang))
            visits.append(float(e["visits"].mean()) if len(e) else 0.0)
            cost.append(float(e["cost_idr"].mean()) if len(e) else 0.0)
        colors = [COLORS["base"], COLORS["changed"]]
        a1.bar(names, visits, color=colors)
        a2.bar(names, cost, color=colors)
        for k in range(2):
            a1.text(k, visits[k], num(visits[k], lang, 1), ha="center", va="bottom")
            a2.text(k, cost[k], rupiah(cost[k], lang), ha="center", va="bottom")
        a1.set_ylabel(tr("visits_axis", lang))
        a2.set_ylabel(tr("cost_axis", lang))
        a2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: rupiah(v, lang)))
        for a in (a1, a2):
            _frame(a)
        fig.tight_layout()
    return fig


def pick_case(run: Run) -> int:
    """A telling household to replay: a manual case with a bounce or rework, else any."""
    c = run.cases
    for mask in ((c["route"] == "manual") & (c["bounces"] + c["reworks"] > 0)
                 & (c["outcome"] == "enrolled"), ~c["route"].isin(REFERRAL_ROUTES)):
        if mask.any():
            return int(c.loc[mask, "case_id"].iloc[0])
    return int(c["case_id"].iloc[0])


def fig_replay(run: Run, case_id: int, lang: str) -> Any:
    """One case's visits as a timeline: waiting, service, and what came of each visit."""
    j = run.journey[run.journey["case_id"] == case_id]
    row = run.cases[run.cases["case_id"] == case_id].iloc[0]
    t0 = run.scenario.time.start
    applied = (dt.date.fromisoformat(row["applied"]) - t0).days
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(11, 0.9 + 0.5 * max(len(j), 2)))
        prev = None
        for k, v in enumerate(j.itertuples()):
            y = len(j) - k
            end = v.day_out if not np.isnan(v.day_out) else float(len(run.timeseries) * 30.5)
            if prev is not None and v.day_in > prev[1] + 0.5:  # a hand-off or a trip
                ax.plot([prev[1] - applied, v.day_in - applied], [prev[0], y], color=OI["grey"],
                        ls=":", lw=1.5)
            prev = (y, end)
            ax.barh(y, end - v.day_in, left=v.day_in - applied, color=OI["sky"], height=0.6)
            if not np.isnan(v.day_start):
                ax.barh(y, max(v.day_end - v.day_start, 0.3), left=v.day_start - applied,
                        color=OI["blue"], height=0.6)
            res = RESULTS[lang].get(v.result, v.result)
            color = OI["vermillion"] if v.result in ("bounced", "rework", "rejected",
                                                     "abandoned", "verify") else "black"
            ax.text(end - applied + 2, y, f"{res} ({num(end - v.day_in, lang)} d)",
                    va="center", fontsize=10, color=color)
        ax.set_yticks([len(j) - k for k in range(len(j))],
                      [stage(s, lang) for s in j["stage"]])
        ax.set_xlabel(tr("replay_days", lang))
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=OI["sky"], label=tr("replay_wait", lang)),
                           Patch(color=OI["blue"], label=tr("replay_service", lang)),
                           Line2D([], [], color=OI["grey"], ls=":",
                                  label=tr("replay_transit", lang))],
                  frameon=False, loc="upper right", fontsize=10)
        right = max(float(np.nanmax(j["day_out"])) - applied if len(j) else 10, 10)
        ax.set_xlim(0, right * 1.3 + 10)
        outcome = row["outcome"]
        out = tr("outcome_in_process", lang) if outcome == "in_process" else \
            RESULTS[lang].get(outcome, outcome)
        ax.set_title(tr("replay_title", lang, id=case_id, pathway=pathway(row["route"], lang)
                        if row["route"] not in REFERRAL_ROUTES else "referral", outcome=out)
                     + f" · {date_text(row['applied'], lang)}", loc="left", fontsize=12)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
    return fig


def fig_accounting(base: Run, changed: Run, lang: str) -> Any:
    """Where everyone ever eligible is on the last date, both scenarios (the gap
    attribution's paired runs are ``jambi-sim run``'s: too slow for a change here)."""
    from sim.show.gap import accounts_side_by_side

    return accounts_side_by_side({_name(w, lang): r.timeseries.iloc[-1] for w, r in
                                  (("base", base), ("changed", changed))}, lang)


FIGURES = {"coverage": fig_coverage, "funnel": fig_funnel, "backlog": fig_backlog,
           "days": fig_days, "cost": fig_cost, "accounting": fig_accounting}


def summary_line(which: str, r: Run, lang: str) -> str:
    days, cost = r.summary if r.summary is not None else (math.nan, math.nan)
    ts = r.timeseries
    return tr("summary_line", lang, name=_name(which, lang),
              members=num(float(ts["enrolled"].iloc[-1]), lang),
              date=date_text(ts["date"].iloc[-1], lang),
              days=num(None if math.isnan(days) else days, lang),
              cost=rupiah(None if math.isnan(cost) else cost, lang))
