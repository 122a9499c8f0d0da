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
FUNNEL_STAGES = ("rt", "lurah", "camat", "dinsos", "dinkes", "bpjs", "activation")


def _num(v: float, lang: str) -> str:
    """Thousands separator: 26,469 in English, 26.469 in Bahasa Indonesia."""
    text = f"{v:,.0f}"
    return text.replace(",", ".") if lang == "id" else text


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)


def coverage(ts: pd.DataFrame, scenario: Any, lang: str = "en") -> Any:
    L = LABELS[lang]
    g = ts.assign(date=pd.to_datetime(ts["date"])).groupby("date")
    mean, lo, hi = g["enrolled"].mean(), g["enrolled"].min(), g["enrolled"].max()
    cap = g["quota_cap"].first()
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


def funnel(cases: pd.DataFrame, reps: int, lang: str = "en") -> Any:
    L = LABELS[lang]
    citizen = cases[cases["route"] != "referral"]
    panels = [p for p in ("manual", "online") if (citizen["pathway"] == p).any()]
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(6 * max(1, len(panels)), 4.8),
                             squeeze=False, sharex=True)
    for ax, p in zip(axes[0], panels):
        sub = citizen[citizen["pathway"] == p]
        stages = [s for s in FUNNEL_STAGES if s == "activation" or (sub[f"{s}_in"] != "").any()]
        reached = [((sub["outcome"] == "enrolled").sum() if s == "activation"
                    else (sub[f"{s}_in"] != "").sum()) / reps for s in stages]
        lost = [(sub["outcome"].isin(["abandoned", "rejected"]) & (sub["outcome_stage"] == s)
                 ).sum() / reps for s in stages]
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


def days_to_card(cases: pd.DataFrame, lang: str = "en") -> Any:
    L = LABELS[lang]
    citizen = cases[(cases["route"] != "referral") & (cases["outcome"] == "enrolled")]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    top = float(np.nanquantile(citizen["days_to_card"], 0.99)) if len(citizen) else 1.0
    bins = np.linspace(0, max(top, 1.0), 40)
    for p, color in (("manual", "tab:orange"), ("online", "tab:green")):
        d = citizen.loc[citizen["pathway"] == p, "days_to_card"].dropna()
        if len(d) == 0:
            continue
        ax.hist(d, bins=bins, weights=np.full(len(d), 1 / len(d)), alpha=0.55, color=color,
                label=f"{L['manual'] if p == 'manual' else L['online_p']} "
                      f"({L['median']} {d.median():.0f})")
        ax.axvline(d.median(), color=color, ls="--")
    ax.set(title=L["days_title"], xlabel=L["days"], ylabel=L["share"])
    ax.legend()
    _style(ax)
    return fig


def all_figures(result: Any, lang: str = "en") -> dict[str, Any]:
    reps = int(result.summary["reps"])
    return {"coverage.png": coverage(result.timeseries, result.scenario, lang),
            "funnel.png": funnel(result.cases, reps, lang),
            "days_to_card.png": days_to_card(result.cases, lang)}
