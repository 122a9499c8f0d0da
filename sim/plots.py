"""Figures of a run, labelled in English or Bahasa Indonesia (``lang="en"|"id"``).

- coverage: active members against the 30,000 target, with the quota cap, the website
  go-live and the 26,469 observation of March 2024 marked;
- funnel: how many cases reached each office, and where they were lost;
- days to card: the distribution of application-to-card time, by pathway.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.tally import FUNNEL_STAGES, Tally, quantile_from_counts  # noqa: E402

LABELS = {
    "en": {
        "coverage_title": "Jambi Bugar coverage: simulated active members vs target",
        "members": "Active members (people)", "date": "Date",
        "sim_mean": "Simulated mean", "sim_band": "Range across replications",
        "target": "Target (30,000)", "cap": "Budget quota cap",
        "observed": "Observed: 26,469 (March 2024)", "online": "Website go-live",
        "funnel_title": "Where cases went: cases reaching each step",
        "cases": "Cases (mean per replication)", "reached": "Reached", "lost": "Lost here",
        "days_title": "Days from application to active card",
        "days": "Days to card", "share": "Share of enrolled cases", "median": "median",
        "manual": "Manual", "online_p": "Online",
        "stages": {"docs": "KK/KTP (Dukcapil)", "rt": "RT head", "lurah": "Lurah",
                   "camat": "Camat", "dinsos": "Dinas Sosial", "dinkes": "Dinas Kesehatan",
                   "tim": "Tim Koordinasi", "quota": "Quota", "bpjs": "BPJS Kesehatan",
                   "activation": "Card active"},
    },
    "id": {
        "coverage_title": "Cakupan Jambi Bugar: peserta aktif simulasi vs target",
        "members": "Peserta aktif (jiwa)", "date": "Tanggal",
        "sim_mean": "Rata-rata simulasi", "sim_band": "Rentang antar-replikasi",
        "target": "Target (30.000)", "cap": "Batas kuota anggaran",
        "observed": "Realisasi: 26.469 (Maret 2024)", "online": "Website mulai berlaku",
        "funnel_title": "Perjalanan berkas: jumlah berkas di tiap tahap",
        "cases": "Berkas (rata-rata per replikasi)", "reached": "Sampai", "lost": "Gugur di sini",
        "days_title": "Hari dari pendaftaran sampai kartu aktif",
        "days": "Hari sampai kartu aktif", "share": "Proporsi berkas terdaftar",
        "median": "median", "manual": "Manual", "online_p": "Daring",
        "stages": {"docs": "KK/KTP (Dukcapil)", "rt": "Ketua RT", "lurah": "Lurah",
                   "camat": "Camat", "dinsos": "Dinas Sosial", "dinkes": "Dinas Kesehatan",
                   "tim": "Tim Koordinasi", "quota": "Kuota", "bpjs": "BPJS Kesehatan",
                   "activation": "Kartu aktif"},
    },
}


def _num(v: float, lang: str) -> str:
    """Thousands separator: 26,469 in English, 26.469 in Bahasa Indonesia."""
    text = f"{v:,.0f}"
    return text.replace(",", ".") if lang == "id" else text


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def _tally(ts: pd.DataFrame | None, cases: pd.DataFrame | None) -> Tally:
    t = Tally()
    for rep in sorted(set(ts["rep"]) if ts is not None else set(cases["rep"])):
        t.add(ts[ts["rep"] == rep] if ts is not None else ts_empty(),
              cases[cases["rep"] == rep] if cases is not None else cases_empty())
    return t


def ts_empty() -> pd.DataFrame:
    return pd.DataFrame(columns=["date", "enrolled", "quota_cap"])


def cases_empty() -> pd.DataFrame:
    from sim.metrics import CASE_COLUMNS

    return pd.DataFrame(columns=CASE_COLUMNS)


def coverage(ts: pd.DataFrame | Tally, scenario: Any, lang: str = "en") -> Any:
    """Active members against target and quota, from a timeseries table or a Tally."""
    L = LABELS[lang]
    band = (ts if isinstance(ts, Tally) else _tally(ts, None)).coverage_band()
    mean, lo, hi, cap = band["mean"], band["lo"], band["hi"], band["cap"]
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.fill_between(mean.index, lo, hi, color="tab:blue", alpha=0.2, label=L["sim_band"])
    ax.plot(mean.index, mean, color="tab:blue", lw=2, label=L["sim_mean"])
    ax.step(cap.index, cap, where="pre", color="dimgrey", ls=":", lw=2, zorder=3,
            label=L["cap"])
    ax.axhline(scenario.program.target, color="tab:red", ls="--", label=L["target"])
    end = pd.Timestamp(scenario.time.end)
    ax.scatter([end], [scenario.program.observed_enrolled], color="black", zorder=5,
               marker="D", label=L["observed"])
    t = scenario.time
    if t.pathway_mode == "switch" and t.online_from and t.start < t.online_from <= t.end:
        ax.axvline(pd.Timestamp(t.online_from), color="tab:green", ls="-.", label=L["online"])
    ax.set(title=L["coverage_title"], xlabel=L["date"], ylabel=L["members"])
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _num(v, lang)))
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_ylim(0, max(scenario.program.target, float(hi.max())) * 1.1)
    ax.legend(loc="lower right", fontsize=9)
    _style(ax)
    return fig


def funnel(cases: pd.DataFrame | Tally, reps: int, lang: str = "en") -> Any:
    """Cases reaching each office and lost there, from a case table or a Tally."""
    L = LABELS[lang]
    t = cases if isinstance(cases, Tally) else _tally(None, cases)
    panels = [p for p in ("manual", "online") if t.figs[p]["cases"] > 0]
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(6 * max(1, len(panels)), 4.8),
                             squeeze=False, sharex=True)
    for ax, p in zip(axes[0], panels):
        stages = [s for s in FUNNEL_STAGES if s == "activation" or t.reached[p].get(s, 0) > 0]
        reached = [t.reached[p].get(s, 0) / reps for s in stages]
        lost = [t.lost[p].get(s, 0) / reps for s in stages]
        y = np.arange(len(stages))[::-1]
        ax.barh(y, reached, color="tab:blue", alpha=0.8, label=L["reached"])
        ax.barh(y, lost, left=np.array(reached) - np.array(lost), color="tab:red", alpha=0.7,
                label=L["lost"])
        for yi, r in zip(y, reached):
            ax.text(r, yi, " " + _num(r, lang), va="center", fontsize=8)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _num(v, lang)))
        ax.set_yticks(y, [L["stages"][s] for s in stages])
        ax.set(title=f"{L['manual'] if p == 'manual' else L['online_p']}", xlabel=L["cases"])
        ax.spines[["top", "right"]].set_visible(False)
    axes[0][0].legend(loc="lower right", fontsize=9)
    fig.suptitle(L["funnel_title"])
    fig.tight_layout()
    return fig


def days_to_card(cases: pd.DataFrame | Tally, lang: str = "en") -> Any:
    """Distribution of days to card by pathway, from a case table or a Tally."""
    L = LABELS[lang]
    t = cases if isinstance(cases, Tally) else _tally(None, cases)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    top = quantile_from_counts(t.days_all, 0.99) or 1.0
    bins = np.linspace(0, max(top, 1.0), 40)
    for p, color in (("manual", "tab:orange"), ("online", "tab:green")):
        counts = t.days[p]
        n = int(counts.sum())
        if n == 0:
            continue
        k = np.nonzero(counts)[0]
        median = quantile_from_counts(counts, 0.5)
        ax.hist(k / 10, bins=bins, weights=counts[k] / n, alpha=0.55, color=color,
                label=f"{L['manual'] if p == 'manual' else L['online_p']} "
                      f"({L['median']} {median:.0f})")
        ax.axvline(median, color=color, ls="--")
    ax.set(title=L["days_title"], xlabel=L["days"], ylabel=L["share"])
    ax.legend()
    _style(ax)
    return fig


def all_figures(result: Any, lang: str = "en") -> dict[str, Any]:
    """The three figures of a Result (from its tally when it streamed its tables away)."""
    reps = int(result.summary["reps"])
    t = result.tally if result.tally is not None else _tally(result.timeseries, result.cases)
    return {"coverage.png": coverage(t, result.scenario, lang),
            "funnel.png": funnel(t, reps, lang),
            "days_to_card.png": days_to_card(t, lang)}
