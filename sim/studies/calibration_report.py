"""The calibration's report and the calibrated set written back into scenario files.

``write_calibration`` writes ``accepted.csv``, ``points.csv``, ``README.md`` (the report:
targets, what the data narrowed, the chosen set), figures and ``summary.json`` into a
staged folder; ``apply_calibration`` replaces the marked block of a scenario file with the
chosen set (``jambi-sim calibrate --apply``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from sim.studies.calibrate import Calibration
from sim.studies.spec import ExperimentError

# ------------------------------------------------------------------ writing
ENSEMBLE_FILE = "ensemble.csv"


def write_calibration(result: dict[str, Any], cal: Calibration, out: Any,
                      command: str, draw: bool = True,
                      provenance: dict[str, Any] | None = None) -> list[str]:
    """accepted.csv, points.csv, README.md, figures and summary.json (the report, with the
    files' checksums), written atomically into ``out``: a failed run never leaves half a
    report, and an edited file is never overwritten (see :mod:`sim.runner.staging`)."""
    from sim._version import __version__
    from sim.runner.staging import StagedOutput

    staged = out if isinstance(out, StagedOutput) else \
        StagedOutput(out, note=f"command: {command}")  # or the one its caller made
    rep = result["report"] | {"command": command}
    names = rep["factors"]
    keep = ["wave", "point", "reps", *names, *[c for c in result["points"] if c.startswith("I_")],
            *cal.outputs()]
    pts = result["points"][keep].round(6)
    staged.write_text("points.csv", pts.to_csv(index=False))
    staged.write_text("accepted.csv", result["accepted"][keep].round(6).to_csv(index=False))
    # full precision: a set runs exactly as it was accepted
    staged.write_text(ENSEMBLE_FILE, result["ensemble"].to_csv(index=False))
    staged.write_text("README.md", report_markdown(rep, cal))
    if draw:

        from sim.studies.plots import calibration_figures

        for name, fig in calibration_figures(result, cal).items():
            staged.save_figure(name, fig)
    rep["provenance"] = {"package_version": __version__, "command": command,
                         **(provenance or {}), "files": dict(staged.files)}
    staged.write_json("summary.json", rep)
    staged.finish()  # summary.json is now among staged.files
    return sorted(staged.files)


REPORT_TABLES = ("summary.json", "points.csv", "accepted.csv", ENSEMBLE_FILE)


def read_calibration(folder: Path) -> dict[str, Any]:
    """A finished calibration's report folder as :func:`write_calibration` takes it (the
    ``result``), read from its own files: what ``calibrate --redraw`` rewrites."""
    import json

    import pandas as pd

    from sim.studies.spec import ExperimentError

    folder = Path(folder)
    missing = [n for n in REPORT_TABLES if not (folder / n).is_file()]
    if missing:
        raise ExperimentError(f"--out {folder}: not a finished calibration report (missing "
                              f"{', '.join(missing)}); --redraw rewrites the folder a "
                              f"calibration wrote (e.g. results/calibration).")
    try:
        rep = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        tables = {n: pd.read_csv(folder / n)
                  for n in REPORT_TABLES[1:]}
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"--out {folder}: cannot read the report ({exc}).") from None
    if not isinstance(rep, dict) or "factors" not in rep or "cutoff" not in rep:
        raise ExperimentError(f"--out {folder}/summary.json: not a calibration's summary "
                              f"(no 'factors' or 'cutoff').")
    rep.pop("provenance", None)
    return {"report": rep, "points": tables["points.csv"],
            "accepted": tables["accepted.csv"], "ensemble": tables[ENSEMBLE_FILE]}


def _fmt(x: float) -> str:
    """A report's number (sim.show.ensemble.num), money in rupiah."""
    from sim.show.ensemble import num

    return ("Rp" if x is not None and abs(x) >= 1e8 else "") + num(x)


def report_markdown(rep: dict[str, Any], cal: Calibration) -> str:
    L = [f"# Calibration: {rep['name']}", "",
         f"Regenerate: `{rep.get('command', 'jambi-sim calibrate experiments/calibration.toml')}`"
         f" ({rep['wall_s'] / 60:.1f} min on {rep['workers']} worker(s) of a "
         f"{rep['cpu_count']}-core machine; {rep['runs_total']} runs). Method: history "
         f"matching in {len(rep['waves'])} wave(s) with a Gaussian-process emulator per "
         f"target, common random numbers, cut-off {rep['cutoff']} on the largest "
         f"implausibility; see `sim/studies/calibrate.py` and `docs/observations.md`."
         + (f" Report and figures redrawn from these tables, without runs, by "
            f"`{rep['redrawn_by']}`." if rep.get("redrawn_by") else ""),
         "", "## Targets and the calibrated set (final check)", "",
         "| target | output | observed | sd (obs, definition, discrepancy) | calibrated mean "
         "| 95% CI of the mean | 2.5-97.5% of runs | I |", "|---|---|---|---|---|---|---|---|"]
    by_name = {t["name"]: t for t in rep["targets"]}
    for name, f in rep["final_check"].items():
        t = by_name[name]
        obs = {"value": "", "at_most": "at most ", "at_least": "at least "}[t["kind"]] + \
            _fmt(t["observed"])
        L.append(f"| {name} | `{f['output']}` | {obs} | {_fmt(t['total_sd'])} "
                 f"({_fmt(t['obs_sd'])}, {_fmt(t['definition_sd'])}, "
                 f"{_fmt(t['discrepancy_sd'])}) | {_fmt(f['mean'])} | "
                 f"{_fmt(f['ci95'][0])} to {_fmt(f['ci95'][1])} | "
                 f"{_fmt(f['range_2_5_97_5'][0])} to {_fmt(f['range_2_5_97_5'][1])} | "
                 f"{f['implausibility']:.2f} |")
    L += ["", "What the model computes for each target:", ""]
    for t in rep["targets"]:
        L.append(f"- **{t['name']}** (`{t['output']}`): {t['computes']} Source: {t['source']}")
    L += ["", "## Waves", "", "| wave | points | reps | runs | reused | wall (s) | emulator: "
          "non-implausible share of the prior box |", "|---|---|---|---|---|---|---|"]
    for w in rep["waves"]:
        L.append(f"| {w['wave']} | {w['points']} | {w['reps']} | {w['runs']} | "
                 f"{w.get('reused', '-')} | {w['wall_s']} | "
                 f"{w.get('emulated_non_implausible_share', '-')} |")
    L += ["", f"Points run: {rep['points_run']}; accepted (largest implausibility below "
          f"{rep['cutoff']} on the simulator): **{rep['accepted']}** "
          f"(`accepted.csv`, all points in `points.csv`).",
          "", (f"Sensitivity case, {rep['alternative']['label'] or 'the other reading'} "
               f"(`{rep['alternative']['output']}` in place of the output of target "
               f"`{rep['alternative']['target']}`): **{rep['accepted_reading_b']}** of the same "
               f"points are non-implausible." if rep.get("alternative") else ""),
          "", "Emulator held-out R^2 (wave 1): " + ", ".join(
              f"`{k}` {v}" for k, v in rep["emulator_holdout_r2"].items()) + ".", "",
          "## Calibrated set", "", "| parameter | prior range | accepted range | accepted mean "
          "| sd ratio (accepted / prior) | calibrated value |", "|---|---|---|---|---|---|"]
    for n in rep["factors"]:
        p = rep["posterior"][n]
        L.append(f"| `{n}` | {_fmt(p['prior'][0])} to {_fmt(p['prior'][1])} | "
                 f"{_fmt(p['accepted_min'])} to {_fmt(p['accepted_max'])} | "
                 f"{_fmt(p['accepted_mean'])} | {p['sd_ratio'] if p['sd_ratio'] is not None else '-'}"
                 f" | {_fmt(rep['chosen'][n])} |")
    L += ["", "An sd ratio near 1 means the accepted values spread as widely as the prior: the "
          "targets do not identify that parameter. Near 0.6 or below: the data narrow it.", "",
          "## Screening: Sobol' total indices of each target output (wave-1 emulator)", "",
          "| parameter | " + " | ".join(f"`{o}`" for o in rep["screening_total_sobol"]) + " |",
          "|---|" + "---|" * len(rep["screening_total_sobol"])]
    for n in rep["factors"]:
        L.append(f"| `{n}` | " + " | ".join(f"{v[n]:.2f}" for v in
                                            rep["screening_total_sobol"].values()) + " |")
    L += ["", "## What the data cannot tell apart", "",
          "Correlations |r| >= 0.4 between parameters among the accepted sets (a trade-off the "
          "targets leave open):", ""]
    L += [f"- `{c['a']}` and `{c['b']}`: r = {c['r']}" for c in rep["correlations"]] or \
        [f"- none at |r| >= 0.4 among the {rep['accepted']} accepted sets: the accepted region "
         f"is nearly the whole prior box, so no pair is tied together."]
    st = rep["screening_total_sobol"]
    first = rep["targets"][0]["output"]
    if first in st:
        idx = st[first]
        ranked = sorted(idx, key=lambda n: -idx[n])
        L += ["", f"What moves `{first}` (total Sobol' index from the emulator): " +
              ", ".join(f"`{n}` {idx[n]:.2f}" for n in ranked[:6]) + ". Parameters with an "
              "index near 0 for every target cannot be informed by these targets at all; "
              "those with a large index but an sd ratio near 1 are informed only jointly "
              "(a higher one is offset by another: see `tradeoff.png`)."]
    ident = [n for n in rep["factors"] if (rep["posterior"][n]["sd_ratio"] or 1) < 0.8]
    L += ["", "Identified (sd ratio below 0.8): " + (", ".join(f"`{n}`" for n in ident)
                                                       if ident else "none") + "."]
    ens = rep.get("ensemble")
    if ens:
        L += ["", "## The ensemble", "",
              f"`ensemble.csv`: {ens['sets']} sets (asked {ens['asked']}), a seeded random "
              f"sample of the points accepted on at least {ens['min_reps']} replications; "
              f"the first {ens['interactive']} are the interactive subsample. Each input's "
              f"5-95% range across the ensemble, and its width over the prior's (a uniform "
              f"prior gives 0.90: the targets do not narrow an input whose ratio is near it):",
              "", "| input | prior | 5% | 95% | width / prior |", "|---|---|---|---|---|"]
        for n, v in sorted(ens["spread"].items(), key=lambda kv: kv[1]["width_over_prior"]):
            pr = rep["posterior"][n]["prior"]
            L.append(f"| `{n}` | {_fmt(pr[0])} to {_fmt(pr[1])} | {_fmt(v['p5'])} | "
                     f"{_fmt(v['p95'])} | {v['width_over_prior']:.2f} |")
    L += ["", "Figures: `prior_posterior.png` (each parameter: prior range, run points and "
          "accepted points), `targets.png` (each target: all points against accepted ones and "
          "the observation with its total sd), `tradeoff.png` (the two parameters that move the "
          "first target most, coloured by it).", ""]
    return "\n".join(L)


# ------------------------------------------------------------------ applying the set
BEGIN_SET = "# BEGIN CALIBRATED SET"
END_SET = "# END CALIBRATED SET"




def calibrated_block(chosen: dict[str, Any], source: str, ensemble: str = "") -> str:
    """The marked block of top-level dotted keys that holds a calibrated set in a scenario
    file (TOML dotted keys, so it must come before the file's first [table] header), and
    where its ensemble is (``ensemble``: a path relative to the scenario file)."""
    def fmt(v: Any) -> str:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else repr(float(v))

    shown = " ".join(source.split())  # one comment line whatever --out holds
    lines = [f"{BEGIN_SET}: written by 'jambi-sim calibrate --apply' from {shown};",
             "# do not edit by hand (tests/test_calibration.py checks it against the report).",
             f"calibrated_by = {json.dumps(source)}"]  # a TOML basic string, escaped
    if ensemble:
        lines.append(f"ensemble = {json.dumps(ensemble)}")
    lines += [f"{k} = {fmt(v)}" for k, v in chosen.items()]
    lines.append(END_SET)
    return "\n".join(lines)


def check_apply(paths: list[Path]) -> None:
    """Before any run: every --apply file exists, can be rewritten (the file, or the file
    a link points to, and its folder) and holds the marker block at the top level."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ExperimentError(f"--apply {path}: cannot read it ({why}).") from None
        _check_block(path, text)
        target = path.resolve()
        # the mode, not only access(): root may write anything, but a file marked
        # read-only was marked so by someone who did not want it rewritten
        if not os.access(target, os.W_OK) or not target.stat().st_mode & 0o200:
            raise ExperimentError(f"--apply {path}: the file is read-only; make it writable "
                                  f"(chmod u+w) or leave it out of --apply.")
        if not os.access(target.parent, os.W_OK | os.X_OK):
            raise ExperimentError(f"--apply {path}: its folder {target.parent} is not "
                                  f"writable; the file is replaced through a new file there.")


def _check_block(path: Path, text: str) -> tuple[int, int]:
    """Where the marker block is; it must be there, once, before the first [table]."""
    i, j = text.find(BEGIN_SET), text.find(END_SET)
    if i < 0 or j < i:
        raise ExperimentError(f"--apply {path}: the file has no '{BEGIN_SET}' ... "
                              f"'{END_SET}' block; add the two marker lines (top level, "
                              f"before the first [table]) where the set goes.")
    header = re.search(r"(?m)^[ \t]*\[", text[:i])
    if header is not None:
        line = text[:header.start()].count("\n") + 1
        raise ExperimentError(f"--apply {path}: the '{BEGIN_SET}' block comes after the "
                              f"table header at line {line}, so its dotted keys would belong "
                              f"to that table; move the block above the first [table].")
    return i, j


def apply_calibration(path: Path, chosen: dict[str, Any], source: str,
                      ensemble: Path | None = None) -> bool:
    """Rewrite the calibrated block of one scenario file; True if it changed. The file must
    hold the two marker lines (see ``calibrated_block``); the result must still load.
    ``ensemble``: the ensemble file, written into the block relative to the scenario."""
    from sim.scenario import Scenario

    check_apply([path])
    text = path.read_text(encoding="utf-8")
    i, j = _check_block(path, text)
    rel = ""
    if ensemble is not None:
        rel = Path(os.path.relpath(Path(ensemble).resolve(), path.resolve().parent)).as_posix()
    new = text[:i] + calibrated_block(chosen, source, rel) + text[j + len(END_SET):]
    Scenario.from_bytes(new.encode("utf-8"), origin=str(path))  # refuse a broken result
    if new != text:
        # the file a link points to is rewritten (the link stays a link), with its mode
        target = path.resolve()
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        tmp.write_text(new, encoding="utf-8")
        os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    return new != text
