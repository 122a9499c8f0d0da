"""The accounting of everyone ever eligible and the gap by cause, as tables and figures.

- ``accounting``: where everyone who has been eligible since the start date is on the end
  date (a bar per account, with its 95% interval across replications), and the accounts
  month by month as a stacked area (from the timeseries' ``acct_*`` columns);
- ``attribution``: the members each removed cause would add on the end date (paired runs
  of :mod:`sim.runner.attribution`), with the gap to the target as a reference line.

The tables carry English and Indonesian labels side by side (``accounting.csv``,
``attribution.csv``); the figures and ``accounting.md`` are in the run's ``--lang``.
Numbers come from ``summary.json``'s ``accounting`` block and an
:class:`~sim.runner.attribution.Attribution`; nothing here runs the model.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.model.accounting import ACCOUNTS
from sim.runner.totals import ACCOUNT_COLUMNS, Tally
from sim.show.i18n import ACCOUNT_LABELS, CAUSE_LABELS, date_text, num, pct, subtitle, tr
from sim.show.plots import OI, RC, _style, _thousands, _titles, save_figures, subplots

# Covered (green, sky), still eligible and uninsured in the city (warm colours), gone.
ACCOUNT_COLORS = {
    "active": OI["green"], "never_applied": OI["yellow"], "in_pipeline": OI["blue"],
    "waiting_slot": OI["purple"], "abandoned": OI["orange"], "rejected": OI["vermillion"],
    "deactivated": "#8C510A", "moved_to_pbi_jk": OI["sky"], "moved_away": "#C8C8C8",
    "no_longer_eligible": "#9A9A9A", "died": "#555555"}


# -------------------------------------------------------------------- tables
def accounting_table(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per account on the end date: people (mean, 95% interval), share of
    everyone ever eligible, and the label in both languages; then the total."""
    block = summary["accounting"]
    ever = block["ever_eligible"]["mean"]
    rows = [{"account": k, "label_en": ACCOUNT_LABELS["en"][k],
             "label_id": ACCOUNT_LABELS["id"][k], **block["accounts"][k],
             "share": block["accounts"][k]["mean"] / ever if ever else np.nan}
            for k in ACCOUNTS]
    rows.append({"account": "ever_eligible", "label_en": tr("ever_eligible", "en"),
                 "label_id": tr("ever_eligible", "id"), **block["ever_eligible"],
                 "share": 1.0 if ever else np.nan})
    tab = pd.DataFrame(rows, columns=["account", "label_en", "label_id", "mean", "ci_low",
                                      "ci_high", "share"])
    tab.insert(1, "date", block["date"])
    tab.insert(2, "reps", summary["reps"])
    return tab


def accounting_markdown(summary: dict[str, Any], lang: str = "en",
                        calibrated: bool = False) -> str:
    """The accounting table in one language, for reading (``accounting.md``)."""
    tab = accounting_table(summary)
    label = f"label_{'id' if lang == 'id' else 'en'}"
    ci = tr("ci95", lang)
    head = f"| {tr('account', lang)} | {tr('acct_people', lang)} | {ci} | % |"
    lines = [f"# {tr('acct_end', lang, date=date_text(summary['end_date'], lang))}", "",
             subtitle(summary["scenario"], summary["reps"], summary["seed"], lang,
                      calibrated=calibrated), "",
             head, "|---|---:|---:|---:|"]
    for r in tab.to_dict("records"):
        bounds = "" if r["ci_low"] is None or pd.isna(r["ci_low"]) else \
            f"{num(r['ci_low'], lang)} – {num(r['ci_high'], lang)}"
        name = f"**{r[label]}**" if r["account"] == "ever_eligible" else r[label]
        lines.append(f"| {name} | {num(r['mean'], lang)} | {bounds} | "
                     f"{pct(r['share'], lang, 1)} |")
    return "\n".join(lines + ["", tr("acct_note", lang), ""])


def attribution_table(attribution: Any) -> pd.DataFrame:
    """One row per removed cause: members added (mean, 95% interval), share of the gap,
    labels and meanings in both languages; then the gap itself."""
    rows = attribution.rows()
    for r in rows:
        r["label_en"] = CAUSE_LABELS["en"].get(r["cause"], r["cause"])
        r["label_id"] = CAUSE_LABELS["id"].get(r["cause"], r["cause"])
    gap = attribution.gap()
    rows.append({"cause": "gap", "members_added": gap["mean"], "ci_low": gap["ci_low"],
                 "ci_high": gap["ci_high"], "share_of_gap": 1.0, "reps": attribution.reps,
                 "label_en": "Gap to the target (target - active members)",
                 "label_id": "Kekurangan dari target (target - peserta aktif)",
                 "meaning_en": "", "meaning_id": ""})
    tab = pd.DataFrame(rows, columns=["cause", "label_en", "label_id", "members_added",
                                      "ci_low", "ci_high", "share_of_gap", "reps",
                                      "meaning_en", "meaning_id"])
    tab.insert(1, "date", attribution.scenario.time.end.isoformat())
    return tab


# ------------------------------------------------------------------- figures
def accounts_by_month(ts: pd.DataFrame | Tally) -> pd.DataFrame:
    """Mean of each account per month across reps (dates as rows, ``acct_*`` columns)."""
    if isinstance(ts, Tally):
        return ts.accounts_by_month()
    g = ts.assign(date=pd.to_datetime(ts["date"])).groupby("date")
    return g[ACCOUNT_COLUMNS].mean()


def accounting_figure(summary: dict[str, Any], monthly: pd.DataFrame, lang: str = "en",
                      calibrated: bool = False) -> Figure:
    """Where everyone ever eligible is on the end date (bars with 95% intervals), and the
    accounts month by month (stacked area)."""
    block = summary["accounting"]
    ever, end = block["ever_eligible"]["mean"], block["date"]
    with matplotlib.rc_context(RC):
        fig, (ax, ax2) = subplots(1, 2, figsize=(15, 8),
                                  gridspec_kw={"width_ratios": [1.1, 1]})
        labels = [ACCOUNT_LABELS[lang][k] for k in ACCOUNTS]
        y = np.arange(len(ACCOUNTS))[::-1]
        means = np.array([block["accounts"][k]["mean"] for k in ACCOUNTS])
        lo = np.array([_or(block["accounts"][k]["ci_low"], m) for k, m in zip(ACCOUNTS, means)])
        hi = np.array([_or(block["accounts"][k]["ci_high"], m) for k, m in zip(ACCOUNTS, means)])
        ax.barh(y, means, color=[ACCOUNT_COLORS[k] for k in ACCOUNTS], height=0.7,
                edgecolor="#333333", linewidth=0.5)
        ax.errorbar(means, y, xerr=[means - lo, hi - means], fmt="none", ecolor="black",
                    capsize=3, lw=1.2)
        top = max(float(hi.max()), 1.0)
        for yi, m, h in zip(y, means, hi):
            share = pct(m / ever, lang, 1) if ever else ""
            ax.text(h + top * 0.015, yi, f"{num(m, lang)}  ({share})", va="center",
                    fontsize=10)
        ax.set_yticks(y, labels)
        ax.set_xlim(0, top * 1.35)
        ax.set_xlabel(tr("acct_people", lang))
        ax.set_title(tr("acct_end", lang, date=date_text(end, lang)), loc="left", fontsize=12)
        _thousands(ax, lang, "x")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
        if len(monthly):
            ax2.stackplot(monthly.index, *[monthly[f"acct_{k}"] for k in ACCOUNTS],
                          colors=[ACCOUNT_COLORS[k] for k in ACCOUNTS], labels=labels,
                          edgecolor="white", linewidth=0.3)
        ax2.set_xlabel(tr("year", lang))
        ax2.set_ylabel(tr("acct_people", lang))
        ax2.set_title(tr("acct_month", lang), loc="left", fontsize=12)
        ax2.xaxis.set_major_locator(mdates.YearLocator())
        ax2.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        ax2.set_ylim(bottom=0)
        _thousands(ax2, lang)
        _style(ax2)
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False,
                   fontsize=9, ncols=3)
        title = tr("acct_title", lang, ever=num(ever, lang), date=date_text(end, lang),
                   active=num(block["accounts"]["active"]["mean"], lang))
        _titles(fig, title, subtitle(summary["scenario"], summary["reps"], summary["seed"],
                                     lang, calibrated=calibrated), tr("acct_note", lang))
    return fig


def accounts_side_by_side(rows: dict[str, Any], lang: str = "en",
                          colors: tuple[str, ...] = (OI["grey"], OI["blue"])) -> Figure:
    """Each account on the last date of one replication per scenario (``rows``: a name
    -> a timeseries row with the ``acct_*`` columns), as grouped bars: the dashboard's
    view of where everyone ever eligible is, baseline against the changed scenario."""
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(11, 6.4))
        y = np.arange(len(ACCOUNTS))[::-1].astype(float)
        h = 0.8 / max(len(rows), 1)
        top = max((float(r[f"acct_{k}"]) for r in rows.values() for k in ACCOUNTS),
                  default=1.0) or 1.0
        for i, ((name, row), color) in enumerate(zip(rows.items(), colors)):
            ever = float(row["ever_eligible"])
            values = [float(row[f"acct_{k}"]) for k in ACCOUNTS]
            ys = y + (len(rows) - 1) / 2 * h - i * h
            ax.barh(ys, values, height=h, color=color,
                    label=f"{name}: {tr('ever_eligible', lang).lower()} {num(ever, lang)}")
            for yi, v in zip(ys, values):
                ax.text(v + top * 0.01, yi, num(v, lang), va="center", fontsize=9)
        ax.set_yticks(y, [ACCOUNT_LABELS[lang][k] for k in ACCOUNTS])
        ax.set_xlim(0, top * 1.15)
        ax.set_xlabel(tr("acct_people", lang))
        _thousands(ax, lang, "x")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="lower right", frameon=False, fontsize=10)
        fig.tight_layout()
    return fig


def attribution_figure(attribution: Any, lang: str = "en") -> Figure:
    """Members each removed cause would add on the end date (mean and 95% interval of the
    paired differences), largest first, with the gap to the target as a dashed line."""
    tab = pd.DataFrame(attribution.rows()).sort_values("members_added", kind="stable")
    gap = attribution.gap()["mean"]
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(12, 1.6 + 0.75 * len(tab)))
        y = np.arange(len(tab))
        m = tab["members_added"].to_numpy(float)
        lo = np.array([_or(v, x) for v, x in zip(tab["ci_low"], m)])
        hi = np.array([_or(v, x) for v, x in zip(tab["ci_high"], m)])
        ax.barh(y, m, color=OI["blue"], height=0.6)
        ax.errorbar(m, y, xerr=[m - lo, hi - m], fmt="none", ecolor="black", capsize=4, lw=1.5)
        span = max(float(np.nanmax(np.abs(np.r_[lo, hi, gap]))), 1.0)
        for yi, v, h in zip(y, m, hi):
            ax.text(max(h, v, 0) + span * 0.015, yi, num(round(v) or 0, lang), va="center",
                    fontsize=11)  # never "−0"
        ax.axvline(gap, color=OI["vermillion"], ls="--", lw=2)
        ax.text(gap, 1.01, tr("attr_gap", lang, gap=num(gap, lang)), ha="center",
                va="bottom", color=OI["vermillion"], fontsize=11,
                transform=ax.get_xaxis_transform())
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [CAUSE_LABELS[lang].get(c, c) for c in tab["cause"]])
        ax.set_xlim(min(0.0, float(lo.min()) - span * 0.05), span * 1.18)
        ax.set_xlabel(tr("attr_axis", lang))
        _thousands(ax, lang, "x")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", alpha=0.3)
        sc = attribution.scenario
        _titles(fig, tr("attr_title", lang, date=date_text(sc.time.end, lang),
                        gap=num(gap, lang)),
                subtitle(sc.name, attribution.reps, attribution.seed, lang,
                         calibrated=bool(sc.calibrated_by)),
                tr("attr_note", lang, reps=attribution.reps))
    return fig


def _signed(value: float, lang: str) -> str:
    """+1,234 or −1,234 (and +0 for a value that rounds to 0)."""
    whole = round(value)
    return ("+" if whole >= 0 else "−") + num(abs(whole), lang)


def _or(value: Any, default: float) -> float:
    """An interval bound, or the mean where there is none (one replication)."""
    return default if value is None or pd.isna(value) else float(value)


# ------------------------------------------------------------------ writing
def write_gap(staged: Any, result: Any, attribution: Any = None, lang: str = "en",
              figures: bool = True) -> list[str]:
    """Write the accounting (``accounting.csv``, ``accounting.md``, and
    ``figures/accounting.*``) and, when given, the attribution (``attribution.csv``,
    ``figures/attribution.*``) through a :class:`~sim.runner.staging.StagedOutput`, as
    the run's other tables and figures are written. Returns the files written."""
    summary = result.summary
    if "accounting" not in summary:
        return []
    staged.write_csv("accounting.csv", accounting_table(summary))
    calibrated = bool(result.scenario.calibrated_by)
    staged.write_text("accounting.md", accounting_markdown(summary, lang, calibrated))
    names = ["accounting.csv", "accounting.md"]
    if attribution is not None:
        staged.write_csv("attribution.csv", attribution_table(attribution))
        names.append("attribution.csv")
    if figures:
        ts = result.timeseries if result.timeseries is not None else result.tally
        figs = {"accounting": accounting_figure(summary, accounts_by_month(ts), lang,
                                                calibrated=calibrated)}
        if attribution is not None:
            figs["attribution"] = attribution_figure(attribution, lang)
        names += save_figures(staged, figs)
    return names


def console_lines(summary: dict[str, Any], attribution: Any = None,
                  lang: str = "en") -> str:
    """The accounting and the attribution in a few lines, for the console."""
    block = summary.get("accounting")
    if not block:
        return ""
    a = {k: v["mean"] for k, v in block["accounts"].items()}
    lines = [tr("c_accounting", lang, ever=num(block["ever_eligible"]["mean"], lang),
                active=num(a["active"], lang), never=num(a["never_applied"], lang),
                aband=num(a["abandoned"], lang), rej=num(a["rejected"], lang),
                pbi=num(a["moved_to_pbi_jk"], lang),
                gone=num(a["moved_away"] + a["no_longer_eligible"] + a["died"], lang))]
    if attribution is not None:
        parts = ", ".join(f"{CAUSE_LABELS[lang].get(c, c).lower()} "
                          f"{_signed(attribution.added(c)['mean'], lang)}"
                          for c in attribution.removed)
        lines.append(tr("c_attribution", lang, reps=attribution.reps,
                        gap=num(attribution.gap()["mean"], lang), parts=parts))
    return "\n".join(lines)
