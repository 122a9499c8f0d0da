"""Sweep figures: each outcome against each factor with replication bands, and a heatmap of
the point means over the first two factors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _axis_format(ax: Any, output: str) -> None:
    """Axis labels a reader can take in: Rp in billions, counts with thousands separators
    (matplotlib's default writes premiums as 1.3 with "1e10" above the axis)."""
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(
        (lambda v, _: f"Rp{v / 1e9:,.1f} bn") if output.startswith("premium_idr") else
        (lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}")))


def _label(v: Any) -> str:
    s = str(v)
    return s.rsplit("/", 1)[-1].removesuffix(".toml") if s.endswith(".toml") else s


def sweep_figures(table: pd.DataFrame, factors: list[str], outputs: list[str]) -> dict[str, Any]:
    from sim.show.plots import subplots


    ok = table[table["status"] == "ok"]
    figs: dict[str, Any] = {}
    if ok.empty:
        return figs
    for output in outputs:
        ncol = min(3, len(factors))
        nrow = int(np.ceil(len(factors) / ncol))
        fig, axes = subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), squeeze=False)
        for ax, f in zip(axes.flat, factors):
            # Mean over the other factors and the reps at each value of f; the band is the
            # 10th to 90th percentile of single runs there (replication and other factors).
            g = ok.groupby(f, sort=True)[output]
            keys = list(g.groups)
            mean = g.mean().to_numpy(dtype=float)
            p10, p90 = g.quantile(0.1).to_numpy(dtype=float), g.quantile(0.9).to_numpy(dtype=float)
            numeric = all(isinstance(k, (int, float, np.number)) and not isinstance(k, bool)
                          for k in keys) and len(keys) > 2
            x = np.asarray(keys, dtype=float) if numeric else np.arange(len(keys))
            ax.plot(x, mean, marker="o")
            ax.fill_between(x, p10, p90, alpha=0.25, label="10-90% of runs")
            if not numeric:
                ax.set_xticks(x, [_label(k) for k in keys], rotation=20, fontsize=8)
            ax.set_xlabel(f, fontsize=8)
            ax.set_ylabel(output, fontsize=8)
        for ax in list(axes.flat)[len(factors):]:
            ax.set_visible(False)
        axes.flat[0].legend(fontsize=7)
        fig.suptitle(f"{output}: mean over runs, band 10-90% of runs")
        fig.tight_layout()
        figs[f"{output}_by_factor.png"] = fig
        if len(factors) >= 2:
            a, b = factors[0], factors[1]
            piv = ok.pivot_table(index=a, columns=b, values=output, aggfunc="mean")
            fig, ax = subplots(figsize=(1.2 * piv.shape[1] + 3, 0.6 * piv.shape[0] + 2))
            im = ax.imshow(piv.to_numpy(dtype=float), aspect="auto", cmap="viridis")
            ax.set_xticks(range(piv.shape[1]), [_label(c) for c in piv.columns], fontsize=8)
            ax.set_yticks(range(piv.shape[0]), [_label(i) for i in piv.index], fontsize=8)
            ax.set_xlabel(b)
            ax.set_ylabel(a)
            for (i, j), v in np.ndenumerate(piv.to_numpy(dtype=float)):
                ax.text(j, i, f"{v:,.3g}", ha="center", va="center", color="w", fontsize=7)
            fig.colorbar(im, ax=ax, label=f"mean {output}")
            fig.tight_layout()
            figs[f"{output}_heatmap.png"] = fig
    return figs


def write_sweep_figures(table: pd.DataFrame, factors: list[str], outputs: list[str],
                        folder) -> list[str]:
    from pathlib import Path


    out = Path(folder) / "figures"
    out.mkdir(exist_ok=True)
    written = []
    for name, fig in sweep_figures(table, factors, outputs).items():
        fig.savefig(out / name, dpi=100)
        written.append(f"figures/{name}")
    return written


def calibration_figures(result: dict[str, Any], cal: Any) -> dict[str, Any]:
    """``prior_posterior.png``: each factor's prior range, every run point and the accepted
    ones against the largest implausibility; ``targets.png``: each target output, every point
    against the accepted ones, with the observation and its total sd."""
    import matplotlib.ticker as mticker

    from sim.show.plots import subplots

    rep, pts, acc = result["report"], result["points"], result["accepted"]
    names = rep["factors"]
    figs: dict[str, Any] = {}
    ncol = 4
    nrow = int(np.ceil(len(names) / ncol))
    fig, axes = subplots(nrow, ncol, figsize=(3.6 * ncol, 2.6 * nrow), squeeze=False)
    cut = rep["cutoff"]
    for ax, n in zip(axes.flat, names):
        lo, hi = rep["posterior"][n]["prior"]
        ax.axvspan(lo, hi, color="0.92", zorder=0, label="prior range")
        ax.scatter(pts[n], pts["I_max"], s=8, color="0.55", label="run points")
        if len(acc):
            ax.scatter(acc[n], acc["I_max"], s=14, color="tab:red", label="accepted")
        ax.axvline(rep["chosen"][n], color="tab:blue", lw=1.2, label="calibrated")
        ax.axhline(cut, color="k", lw=0.8, ls="--")
        ax.set_yscale("log")
        # plain numbers at a few round values, no crowded minor labels
        ax.yaxis.set_major_locator(mticker.FixedLocator([0.1, 0.3, 1, 3, 10, 30, 100]))
        ax.yaxis.set_major_formatter(mticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(mticker.NullFormatter())
        ax.set_title(n.split(".")[-1] if n.count(".") else n, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(mticker.MaxNLocator(4))  # thousands need room: few ticks
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].set_ylabel("largest implausibility", fontsize=8)
    axes.flat[0].legend(fontsize=6, loc="upper right")
    fig.suptitle(f"{rep['name']}: prior range (grey), run points, accepted points (red, "
                 f"largest implausibility < {cut}), calibrated value (blue); "
                 f"{rep['accepted']} of {rep['points_run']} points accepted", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / (2.6 * nrow)))  # room for the title
    figs["prior_posterior.png"] = fig

    targets = rep["targets"]
    jitter = np.random.default_rng(0)  # horizontal spread of the dots only (no model draw)
    fig, axes = subplots(1, len(targets), figsize=(3.2 * len(targets), 3.6), squeeze=False)
    for ax, t in zip(axes.flat, targets):
        o = t["output"]
        ax.scatter(jitter.uniform(-0.15, 0.15, len(pts)), pts[o], s=8, color="0.55",
                   label="run points")
        if len(acc):
            ax.scatter(1 + jitter.uniform(-0.15, 0.15, len(acc)), acc[o], s=12,
                       color="tab:red", label="accepted")
        z, sd = t["observed"], t["total_sd"]
        if t["kind"] == "value":
            ax.axhspan(z - cut * sd, z + cut * sd, color="tab:green", alpha=0.15,
                       label=f"observed +- {cut:g} sd")
        elif t["kind"] == "at_most":
            ax.axhspan(ax.get_ylim()[0], z, color="tab:green", alpha=0.15, label="allowed")
        else:
            ax.axhspan(z, ax.get_ylim()[1], color="tab:green", alpha=0.15, label="allowed")
        ax.axhline(z, color="tab:green", lw=1.5)
        f = rep["final_check"][t["name"]]
        ax.errorbar([2], [f["mean"]], yerr=[[f["mean"] - f["range_2_5_97_5"][0]],
                                            [f["range_2_5_97_5"][1] - f["mean"]]],
                    fmt="o", color="tab:blue", capsize=3,
                    label=f"calibrated ({cal.final_reps} reps)")
        ax.set_xticks([0, 1, 2], ["all", "accepted", "final"], fontsize=8)
        ax.set_title(f"{t['name']}\n{o}", fontsize=8)
        ax.tick_params(labelsize=7)
        _axis_format(ax, o)
    axes.flat[0].legend(fontsize=6)
    fig.suptitle(f"{rep['name']}: each target, observed (green) against the model", fontsize=10)
    fig.tight_layout()
    figs["targets.png"] = fig

    # inflow against the stock: the parameters that move the March 2024 stock most
    pair = rep.get("tradeoff_pair")
    stock = targets[0]["output"]
    if pair and all(n in pts for n in pair):
        a, b = pair
        fig, ax = subplots(figsize=(7.5, 5.2))
        sc = ax.scatter(pts[a], pts[b], c=pts[stock], cmap="viridis", s=22,
                        edgecolors=np.where(pts["I_max"] < cut, "tab:red", "none"),
                        linewidths=1.0)
        fig.colorbar(sc, ax=ax, label=f"{stock} (mean of a point's replications)")
        ax.scatter([rep["chosen"][a]], [rep["chosen"][b]], marker="*", s=220, color="tab:red",
                   edgecolors="k", label="calibrated set")
        ax.set_xlabel(a)
        ax.set_ylabel(b)
        ax.legend(fontsize=8, loc="upper right")
        ax.set_title(f"{rep['name']}: the two parameters that move {stock} most "
                     f"(screening);\nred ring = accepted. Many pairs give the same stock: the "
                     f"data cannot tell them apart", fontsize=9)
        fig.tight_layout()
        figs["tradeoff.png"] = fig
    return figs
