"""The file and the report of ``jambi-sim discover`` (the method is in
:mod:`sim.studies.discover`): the experiment file with its ``[discover]`` table, each
factor's full range, and the output folder's tables, README and figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.studies.discover import (
    DIRECTIONS,
    Discover,
    Discovery,
    _number,
    _numeric_pair,
    in_box,
)


# ------------------------------------------------------------------ the experiment file
def load_discovery(path: Any, read: Any = None) -> tuple[Any, Any, Discover]:
    """An experiment file with a ``[discover]`` table: the experiment (its outputs with the
    outcome added), its base scenarios (read once, as :func:`load_experiment` reads them)
    and the checked table. Every mistake is an ExperimentError (a ValueError) naming the
    file, the key and what is allowed, raised before any run."""
    from pathlib import Path

    from sim.studies.spec import ExperimentError, check_outputs_exist, load_experiment

    path = Path(path)
    exp, bases = load_experiment(path, read)
    if exp.discover is None:
        raise ExperimentError(f"{path}: has no [discover] table; add one with outcome (a name "
                              f"from sim.OUTPUTS), threshold (a number) and direction "
                              f"({' or '.join(map(repr, DIRECTIONS))}).")
    spec = Discover.parse(exp.discover, exp.model)  # checked by the schema already
    try:  # a yearly outcome must be within the simulated years of every base scenario
        check_outputs_exist(exp.model_copy(update={"outputs": [spec.outcome]}), path, bases)
    except ExperimentError as exc:
        raise ExperimentError(str(exc).replace(f"{path}: outputs:",
                                               f"{path}: discover.outcome:", 1)) from None
    if spec.outcome not in exp.outputs:
        exp = exp.model_copy(update={"outputs": [*exp.outputs, spec.outcome]})
    return exp, bases, spec


def factor_ranges(exp: Any) -> dict[str, Any]:
    """Each factor's full range in the design: (lo, hi) of a range or of numeric values,
    else the tuple of its values."""
    from sim.studies.design import factor_bounds

    out: dict[str, Any] = {}
    sampled = [n for n, f in exp.factors.items() if f.values is None and n != "set"]
    fb = factor_bounds(exp.model_copy(update={"factors": {n: exp.factors[n]
                                                          for n in sampled}})) \
        if sampled else {}
    for name, f in exp.factors.items():
        if name == "set":  # PRIM sees the sets' values (with_set_values), not their numbers
            out[name] = None
        elif f.values is None:
            out[name] = (fb[name][0], fb[name][1])
        elif all(_number(v) for v in f.values):
            out[name] = (min(f.values), max(f.values))
        else:
            out[name] = tuple(sorted(set(f.values), key=str))
    return out


# ------------------------------------------------------------------ the report
def _word(en: str, id_: str) -> str:
    return f"{en} / {id_}"


COVERAGE = _word("coverage", "cakupan")
DENSITY = _word("density", "kepadatan")
MASS = _word("mass", "massa")


def _fmt(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if _number(v):
        v = float(v)
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
    return str(v)


def _rule(spec: Discover) -> str:
    return f"{spec.outcome} {'≥' if spec.direction == 'at_least' else '≤'} " \
           f"{_fmt(spec.threshold)}"


def figures(found: Discovery, spec: Discover, sub: str) -> dict[str, Any]:
    """``tradeoff``: coverage against density along the trajectory, the chosen box
    marked; ``box``: the chosen box's ranges against the full ranges (each factor scaled
    to its full range)."""
    import matplotlib

    from sim.show.plots import OI, RC, subplots

    figs: dict[str, Any] = {}
    t = found.trajectory
    with matplotlib.rc_context(RC):
        fig, ax = subplots(figsize=(8.5, 6.2))
        top = max(1, int(t["restricted"].max()))
        cmap = matplotlib.colormaps["viridis"].resampled(top + 1)
        sc = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap=cmap, s=36,
                        zorder=3, vmin=-0.5, vmax=top + 0.5)
        ax.plot(t["coverage"], t["density"], color=OI["grey"], lw=0.8, zorder=2)
        ax.axhline(found.threshold_density, color=OI["vermillion"], ls="--", lw=1.2,
                   label=_word(f"density threshold {found.threshold_density:g}",
                               f"ambang kepadatan {found.threshold_density:g}"))
        if found.chosen is not None:
            c = t.iloc[found.chosen]
            ax.scatter([c["coverage"]], [c["density"]], s=260, facecolors="none",
                       edgecolors=OI["vermillion"], linewidths=2.2, zorder=4,
                       label=_word("chosen box", "kotak terpilih"))
            left = c["coverage"] > 0.55  # the note on the side with room
            ax.annotate(f"{COVERAGE} {c['coverage']:.2f}\n{DENSITY} {c['density']:.2f}",
                        (c["coverage"], c["density"]), xytext=(-16 if left else 16, -40),
                        textcoords="offset points", fontsize=10, color=OI["vermillion"],
                        ha="right" if left else "left")
        if found.n_interest == 0:
            ax.text(0.5, 0.5, f"no point has {_rule(spec)} /\n"
                              f"tidak ada titik dengan {_rule(spec)}",
                    ha="center", va="center", transform=ax.transAxes)
        bar = fig.colorbar(sc, ax=ax, label=_word("restricted factors", "faktor dibatasi"))
        bar.set_ticks(range(top + 1))
        ax.set_xlabel(COVERAGE)
        ax.set_ylabel(DENSITY)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.05)
        ax.grid(alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower left", fontsize=10)
        fig.suptitle(_word(f"Where {_rule(spec)}: the PRIM trade-off",
                           "trade-off PRIM"), x=0.01, ha="left", fontweight="bold")
        ax.set_title(sub, fontsize=10, loc="left", color="#444444")
        fig.tight_layout()
        figs["tradeoff"] = fig

        rows = found.box()
        names = list(rows["factor"])
        fig, ax = subplots(figsize=(9, 1.9 + 0.9 * max(1, len(names))))
        for i, r in enumerate(rows.to_dict("records")):
            ax.barh(i, 1.0, left=0, color="#DDDDDD", height=0.4)
            if r["values"]:  # a nominal factor: the values kept, written on the bar
                ax.barh(i, 1.0, left=0, color=OI["blue"], height=0.4, alpha=0.85)
                ax.text(0.5, i, r["values"], ha="center", va="center", color="white",
                        fontsize=10, fontweight="bold")
                continue
            lo, hi = float(r["full_lower"]), float(r["full_upper"])
            span = (hi - lo) or 1.0
            a, b = (float(r["lower"]) - lo) / span, (float(r["upper"]) - lo) / span
            ax.barh(i, b - a, left=a, color=OI["blue"], height=0.4)
            # the box's bounds above the bar, the full range's below it
            ax.text(a, i - 0.24, _fmt(r["lower"]), ha="center", va="bottom", fontsize=10,
                    color=OI["blue"], fontweight="bold")
            ax.text(b, i - 0.24, _fmt(r["upper"]), ha="center", va="bottom", fontsize=10,
                    color=OI["blue"], fontweight="bold")
            ax.text(0, i + 0.24, _fmt(lo), ha="left", va="top", fontsize=9, color="#666666")
            ax.text(1, i + 0.24, _fmt(hi), ha="right", va="top", fontsize=9,
                    color="#666666")
        ax.set_yticks(range(len(names)), names)
        ax.set_ylim(max(1, len(names)) - 0.4, -0.7)
        ax.set_xlim(-0.03, 1.03)
        ax.set_xticks([0, 0.5, 1], ["min", "", "max"])
        ax.set_xlabel(_word("share of the factor's full range", "bagian dari rentang penuh"))
        ax.spines[["top", "right"]].set_visible(False)
        if found.chosen is None:
            ax.text(0.5, 0.5, _word(f"no box reaches density {found.threshold_density:g}",
                                    f"tidak ada kotak dengan kepadatan "
                                    f"{found.threshold_density:g}"),
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_yticks([])
        else:
            c = found.trajectory.iloc[found.chosen]
            ax.set_title(f"{sub}\n{COVERAGE} {c['coverage']:.2f} · {DENSITY} "
                         f"{c['density']:.2f} · {MASS} {c['mass']:.2f} · n {int(c['n'])}",
                         fontsize=10, loc="left", color="#444444")
        fig.suptitle(_word(f"The box where {_rule(spec)}", "kotak skenario"), x=0.01,
                     ha="left", fontweight="bold")
        fig.tight_layout()
        figs["box"] = fig
    return figs


def readme(exp: Any, spec: Discover, found: Discovery, dropped: int, runs: int,
           failed: int) -> str:
    """The short bilingual report (README.md of the output folder)."""
    lines = [f"# {exp.name}: scenario discovery / penemuan skenario", ""]
    if exp.description:
        lines += [exp.description, ""]
    share = found.share
    lines += [
        "## Question / Pertanyaan", "",
        f"Under which combinations of the factors is **{_rule(spec)}**? "
        f"/ Pada kombinasi faktor apa **{_rule(spec)}**?", "",
        f"- points / titik: {found.n} ({exp.design}, {exp.reps} rep(s) / replikasi each, "
        f"seed {exp.seed}); runs / jalannya: {runs}, failed / gagal: {failed}; points left "
        f"out (no finished run) / titik dikeluarkan: {dropped}",
        "- each point's outcome is its mean over its replications / hasil tiap titik adalah "
        "rata-rata replikasinya",
        "- fixed by the experiment file / ditetapkan oleh berkas eksperimen: " + (
            ", ".join(f"`{k}`" + (f" = {v}" if not isinstance(v, list) else
                                  f" ({len(v)} values / nilai)")
                      for k, v in exp.model_dump(mode="json")["fixed"].items())
            or "nothing / tidak ada"),
        *(["- `set`: each point runs one calibrated set; PRIM sees its values as the "
           "columns `set: <parameter>` / setiap titik menjalankan satu set terkalibrasi; "
           "PRIM melihat nilainya sebagai kolom `set: <parameter>`"]
          if "set" in exp.factors else []),
        f"- points meeting it / titik yang memenuhi: {found.n_interest} of / dari {found.n} "
        f"({100 * share:.0f}%)" if found.n else "- no points / tidak ada titik",
        "",
        "## Chosen box / Kotak terpilih", ""]
    if found.chosen is None:
        top = found.trajectory["density"].max() if len(found.trajectory) else float("nan")
        lines += [f"No box on PRIM's trajectory reaches density {found.threshold_density:g} "
                  f"(the densest: {top:.2f}). / Tidak ada kotak yang mencapai kepadatan "
                  f"{found.threshold_density:g} (tertinggi: {top:.2f}).", ""]
    else:
        t = found.trajectory.iloc[found.chosen]
        lines += [f"{COVERAGE}: **{t['coverage']:.2f}** · {DENSITY}: **{t['density']:.2f}** "
                  f"· {MASS}: {t['mass']:.2f} · n: {int(t['n'])} (step / langkah "
                  f"{found.chosen} of / dari {len(found.trajectory) - 1})", ""]
        box = found.box()
        if box.empty:
            lines += ["The whole design: no factor is restricted. / Seluruh desain: tidak ada "
                      "faktor yang dibatasi.", ""]
        else:
            lines += ["| factor / faktor | box / kotak | full range / rentang penuh |",
                      "|---|---|---|"]
            for r in box.to_dict("records"):
                inside = r["values"] or f"{_fmt(r['lower'])} – {_fmt(r['upper'])}"
                full = found.ranges[r["factor"]]
                whole = f"{_fmt(full[0])} – {_fmt(full[1])}" if _numeric_pair(full) \
                    else " | ".join(map(str, full))
                lines.append(f"| `{r['factor']}` | {inside} | {whole} |")
            lines.append("")
    lines += [
        "## Reading it / Cara membaca", "",
        f"- **{COVERAGE}**: the share of all points meeting the threshold that lie in the "
        f"box / bagian dari semua titik yang memenuhi ambang yang berada di dalam kotak.",
        f"- **{DENSITY}**: the share of the points in the box that meet the threshold / "
        f"bagian titik di dalam kotak yang memenuhi ambang.",
        f"- **{MASS}**: the share of all points in the box / bagian semua titik di dalam "
        f"kotak.",
        f"- The chosen box has the highest coverage among the boxes with density ≥ "
        f"{found.threshold_density:g} / Kotak terpilih memiliki cakupan tertinggi di antara "
        f"kotak dengan kepadatan ≥ {found.threshold_density:g}.",
        "- A box describes the model's runs, not a guarantee: every input after March 2024 "
        "is an assumption. / Kotak menggambarkan hasil model, bukan jaminan.", "",
        "## Files / Berkas", "",
        "- `boxes.csv`: the chosen box, a row per restricted factor / kotak terpilih",
        "- `trajectory.csv`: coverage, density and mass at each PRIM step / lintasan PRIM",
        "- `points.csv`: each point's factors, mean outcome, whether it meets the threshold "
        "and lies in the box / tiap titik",
        "- `figures/tradeoff.png`, `figures/box.png`", "- `summary.json`: settings, the "
        "box and the inputs' hashes / pengaturan dan hash masukan", ""]
    return "\n".join(lines)


def write_discovery(staged: Any, exp: Any, spec: Discover, found: Discovery,
                    points: pd.DataFrame, dropped: int, runs: int, failed: int,
                    draw: bool = True) -> tuple[dict[str, Any], list[str]]:
    """boxes.csv, trajectory.csv, points.csv, README.md and the figures into a staged
    folder; returns the summary (without provenance) and the files written."""
    files = ["boxes.csv", "trajectory.csv", "points.csv", "README.md"]
    staged.write_csv("boxes.csv", found.box())
    staged.write_csv("trajectory.csv", found.trajectory)
    pts = points.copy()
    pts["in_box"] = in_box(pts, found)
    staged.write_csv("points.csv", pts)
    text = readme(exp, spec, found, dropped, runs, failed)
    if "set" in pts and found.chosen is not None:  # what the box means in sets
        kept = sorted(set(pts.loc[pts["in_box"], "set"]))
        n_sets = pts["set"].nunique()
        meets = pts.groupby("set")["meets"].mean()
        text += (f"\n## The box in sets / Kotak dalam set\n\nThe box keeps {len(kept)} of the "
                 f"{n_sets} sets the design drew / kotak memuat {len(kept)} dari {n_sets} set. "
                 f"Sets left out / set di luar kotak: "
                 f"{', '.join(str(int(i)) for i in sorted(set(pts['set'])) if i not in kept) or '-'}"
                 f". Share of each set's points meeting the threshold / bagian titik tiap set "
                 f"yang memenuhi ambang: median {meets.median():.2f}, {int((meets >= 0.5).sum())} "
                 f"of / dari {n_sets} sets at 0.5 or more.\n")
    staged.write_text("README.md", text)
    if draw:
        from sim.show.plots import save_figures

        sub = f"{exp.name} · {found.n} points × {exp.reps} rep(s) · seed {exp.seed}"
        files += save_figures(staged, figures(found, spec, sub))
    dumped = exp.model_dump(mode="json")
    summary = {
        "command": "discover", "experiment": exp.name, "description": exp.description,
        "scenario": exp.scenario, "design": exp.design, "samples": exp.samples,
        "reps": exp.reps, "seed": exp.seed, "runs": runs, "runs_failed": failed,
        "points_left_out": dropped,
        "outcome": spec.outcome, "threshold": spec.threshold, "direction": spec.direction,
        "label": "the outcome's mean over each point's finished replications",
        "factors": {n: list(r) for n, r in found.ranges.items()},
        "fixed": dumped["fixed"],
        **found.summary()}
    return summary, files
