"""``jambi-sim sweep``, ``sensitivity``, ``discover`` and ``calibrate``: the command-line side
of experiments."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.studies.spec import ExperimentError
from sim.ui.command import Command, entry


@contextlib.contextmanager
def _resumable(bar: Any, kept: str) -> Iterator[None]:
    """Run a resumable study: the progress bar closes however it ends, and Ctrl-C says
    where the finished runs are kept and exits 130 (the same command goes on from there)."""
    try:
        yield
    except KeyboardInterrupt:
        bar.close()
        print(f"jambi-sim: interrupted; the finished runs are kept in {kept}: run the same "
              f"command to go on.", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        bar.close()

def _check_scheduler(address: str | None) -> None:
    if address and not address.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise ExperimentError(f"--scheduler {address}: give a Dask scheduler address such as "
                              f"tcp://127.0.0.1:8786.")


def _run(cmd: Command, exp: Any, bases: Any, out: Path | None = None
         ) -> tuple[Any, Any, Path]:
    """Run a loaded experiment's sweep (the design sized before it is drawn), its runs kept
    in ``out`` (default: --out, else runs/<name>)."""
    from tqdm import tqdm

    from sim.studies.design import build_design, study_size
    from sim.studies.sweeps import sweep, write_table

    args = cmd.args
    _check_scheduler(args.scheduler)
    out = out or args.out or Path("runs") / exp.name
    design = build_design(exp, bases)  # refuses a design too big to hold, before drawing it
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else \
        f"{args.workers} local worker(s)"
    sets = sorted({p["set"] for p in design.points}) if "set" in exp.factors else None
    _, _, need = study_size(exp, None if sets is None else len(sets))
    cmd.say(f"Experiment '{exp.name}' ({args.experiment}): {exp.design} design, "
            f"{len(design.points)} point(s) x {exp.reps} rep(s) = "
            f"{len(design.points) * exp.reps} run(s), seed {exp.seed}, on {where}; about "
            f"{need / 2**20:,.0f} MiB of memory in this process; runs kept in "
            f"{out}/runs.jsonl.")
    if sets is not None:
        cmd.say(f"Factor 'set': {len(sets)} set(s) of the calibrated ensemble; each point "
                f"runs its set's values, then [fixed], then its other factors.")
    elif exp.model == "jambi" and _names_ensemble(bases, exp):
        cmd.say("The base scenario names a calibrated ensemble; this study runs the "
                "scenario's own values (one set). Add the factor 'set = {}' to span the "
                "ensemble's interactive sets.")
    bar = tqdm(total=0, unit="run", disable=args.quiet or None, file=sys.stderr,
               smoothing=0.1)

    def total(n: int) -> None:
        bar.total = n
        bar.refresh()

    with _resumable(bar, f"{out}/runs.jsonl"):
        res = sweep(exp, bases, out, workers=args.workers, scheduler=args.scheduler,
                    progress=bar.update, retry_failed=args.retry_failed, total=total,
                    design=design, pool=None if args.scheduler else cmd.pool(args.workers),
                    inputs=cmd.inputs)
    path = write_table(res.table, res.folder, args.format)
    cmd.say(f"{res.runs} run(s): {res.ran} run now, {res.reused} found from an earlier "
            f"attempt, {res.failed} failed ({res.wall_s:.1f} s). Table: {path}")
    if res.failed:
        errors = res.table.loc[res.table["status"] != "ok", "error"].value_counts()
        for err, n in errors.head(3).items():
            cmd.say(f"  {n} x {err.splitlines()[-1] if err else 'missing'}")
    return design, res, out


def _names_ensemble(bases: Any, exp: Any) -> bool:
    files = exp.factors["scenario"].values if "scenario" in exp.factors else [exp.scenario]
    return any(f is not None and bases(f).ensemble for f in files)


@entry
def cmd_sweep(cmd: Command) -> int:
    from sim.studies.spec import load_experiment

    args = cmd.args
    exp, bases = load_experiment(args.experiment, read=cmd.read)  # every file read once
    design, res, out = _run(cmd, exp, bases)
    if exp.design == "grid" and not args.no_figures:
        from sim.studies.plots import write_sweep_figures

        files = write_sweep_figures(res.table, design.names, exp.outputs, out)
        if files:
            cmd.say(f"Figures: {out}/figures/ ({len(files)} files)")
    return 1 if res.failed else 0


@entry
def cmd_sensitivity(cmd: Command) -> int:
    from sim.studies.sensitivity import (
        MIN_LHS_POINTS,
        analyse,
        has_indices,
        summary_text,
        write_report,
    )
    from sim.studies.spec import load_experiment

    args = cmd.args
    exp, bases = load_experiment(args.experiment, read=cmd.read)  # every file read once
    if exp.design not in ("sobol", "morris", "lhs"):
        raise ExperimentError(f"{args.experiment}: sensitivity needs design = 'sobol', "
                              f"'morris' or 'lhs' (an emulator), not '{exp.design}'; run it "
                              f"with 'jambi-sim sweep'.")
    if exp.design == "lhs" and exp.samples < MIN_LHS_POINTS:  # refused before any run
        raise ExperimentError(f"{args.experiment}: an emulator needs at least "
                              f"{MIN_LHS_POINTS} points (some to fit it, some held out to "
                              f"check it); samples = {exp.samples}. Raise 'samples'.")
    design, res, out = _run(cmd, exp, bases)
    if exp.design == "lhs":
        from sim.studies.surrogate import analyse_surrogate

        report = analyse_surrogate(exp, design, res.table)
    else:
        report = analyse(exp, design, res.table)
    files = write_report(report, Path(out), draw=not args.no_figures)
    if not args.quiet:
        print(summary_text(report))
        print(f"Wrote {out}/: {', '.join(files)}")
    elif report["warnings"]:  # what the study cannot support is said even when quiet
        print("\n".join(f"jambi-sim: warning: {w}" for w in report["warnings"]),
              file=sys.stderr)
    if not has_indices(report):
        print(f"jambi-sim: error: no output has indices (see the warnings above and "
              f"{out}/); the study's result is empty.", file=sys.stderr)
        return 1
    return 0


@entry
def cmd_discover(cmd: Command) -> int:
    """The sweep of an experiment file with a [discover] table, then PRIM on its points
    (sim.studies.discover); the runs are kept in --runs, the report staged into --out."""
    from sim.studies.discover import find_boxes, point_table, with_set_values
    from sim.studies.discover_report import factor_ranges, load_discovery, write_discovery

    args = cmd.args
    exp, bases, spec = load_discovery(args.experiment, read=cmd.read)  # every name checked
    runs = Path(args.runs or Path("runs") / exp.name)
    out = Path(args.out or runs / "discovery")
    if out.resolve() == runs.resolve() or out.resolve() in runs.resolve().parents:
        raise ExperimentError(f"--out {out}: would hold the run store --runs {runs}, which "
                              f"the report replaces; give another --out (default "
                              f"{runs / 'discovery'}) or --runs.")
    cmd.check_out(out)  # a bad --out is refused before any run
    ranges = factor_ranges(exp)
    import importlib.util

    if importlib.util.find_spec("ema_workbench") is None:  # said before the runs
        raise ExperimentError("jambi-sim discover needs the EMA Workbench: pip install -e "
                              "'.[ema]'.")
    design, res, _ = _run(cmd, exp, bases, runs)
    points, dropped = point_table(res.table, design.names, spec)
    if points.empty:
        raise ExperimentError(f"{args.experiment}: no point has a finished run "
                              f"({res.failed} failed); see {runs}/runs.jsonl.")
    points, seen = with_set_values(points, bases.ensemble, design.names, exp.scenario)
    ranges.pop("set", None)
    for col in seen:  # a set's value: its range over the sets the design drew
        if col not in ranges:
            ranges[col] = (float(points[col].min()), float(points[col].max()))
    found = find_boxes(points[seen], points["meets"].to_numpy(), ranges=ranges,
                       **{k: v for k, v in spec.prim_settings().items()})
    staged = cmd.stage(out)
    summary, files = write_discovery(staged, exp, spec, found, points, dropped, res.runs,
                                     res.failed, draw=not args.no_figures)
    final = cmd.finish(staged, summary, experiment_file=str(args.experiment),
                       runs_folder=str(runs))
    word = "at least" if spec.direction == "at_least" else "at most"
    cmd.say(f"{found.n_interest} of {found.n} point(s) ({100 * found.share:.0f}%) have "
            f"{spec.outcome} {word} {spec.threshold:,.6g}.")
    box = summary["box"]
    if box is None:
        cmd.say(f"No box reaches density {spec.threshold_density:g} (the densest: "
                f"{summary['max_density']:.2f}).")
    else:
        cmd.say(f"Chosen box: coverage {box['coverage']:.2f}, density {box['density']:.2f}, "
                f"{box['n']} point(s):")
        for name, r in box["restrictions"].items():
            cmd.say(f"  {name}: " + (", ".join(map(str, r["values"])) if "values" in r
                                     else f"{r['lower']:.6g} to {r['upper']:.6g}"))
        if not box["restrictions"]:
            cmd.say("  (no factor restricted: the whole design)")
    cmd.say(f"Wrote {final}/: {', '.join(['summary.json', *files])}")
    return 1 if res.failed else 0


@entry
def cmd_calibrate(cmd: Command) -> int:
    from tqdm import tqdm

    from sim.studies.calibrate import calibrate, load_calibration
    from sim.studies.calibration_report import (
        ENSEMBLE_FILE,
        apply_calibration,
        check_apply,
        write_calibration,
    )

    args = cmd.args
    cal, bases = load_calibration(args.calibration, read=cmd.read)  # sized, read once
    out = args.out or Path("runs") / cal.name / "report"
    if args.redraw:  # nothing run: the report rewritten from its own tables
        from sim.studies.calibration_report import read_calibration

        if args.apply or args.no_figures:
            raise ExperimentError("--redraw rewrites a report's figures; it takes neither "
                                  "--apply nor --no-figures.")
        result = read_calibration(Path(out))
        result["report"]["redrawn_by"] = cmd.line
        staged = cmd.stage(Path(out))
        files = write_calibration(result, cal, staged, result["report"].get("command", ""),
                                  provenance={"inputs": cmd.inputs})
        cmd.done(staged)
        cmd.say(f"Redrew {out}/ from its own tables: {', '.join(files)}")
        return 0
    runs = args.runs or Path("runs") / cal.name
    cmd.check_out(Path(out))  # refuse a bad --out or --apply before hours of runs
    check_apply(list(args.apply))
    _check_scheduler(args.scheduler)
    planned = sum(w.samples * w.reps for w in cal.waves) + cal.final_reps
    cmd.say(f"Calibration '{cal.name}' ({args.calibration}): {len(cal.waves)} wave(s), "
            f"{len(cal.factors)} factors, {len(cal.targets)} targets, {planned:,} run(s) "
            f"planned; runs kept in {runs}/, report in {out}/.")
    bar = tqdm(total=None, unit="run", disable=args.quiet or None, file=sys.stderr)
    with _resumable(bar, f"{runs}/"):
        result = calibrate(cal, bases, Path(runs), workers=args.workers,
                           scheduler=args.scheduler, progress=bar.update,
                           say=lambda m: (bar.write(m) if not args.quiet else None),
                           pool=None if args.scheduler else cmd.pool(args.workers))
    staged = cmd.stage(Path(out))
    files = write_calibration(result, cal, staged, cmd.line, draw=not args.no_figures,
                              provenance={"inputs": cmd.inputs})
    final = cmd.done(staged)
    rep = result["report"]
    cmd.say(f"{rep['accepted']} of {rep['points_run']} points non-implausible "
            f"({rep['runs_total']} runs, {rep['runs_reused']} of them found from an earlier "
            f"attempt of the same model; {rep['wall_s'] / 60:.1f} min). Calibrated set:")
    for k, v in rep["chosen"].items():
        cmd.say(f"  {k} = {v:.6g}")
    for name, f in rep["final_check"].items():
        cmd.say(f"  {name}: {f['output']} {f['mean']:.6g} (observed {f['observed']:.6g}, "
                f"I = {f['implausibility']:.2f})")
    cmd.say(f"Wrote {out}/: {', '.join(files)}")
    source = f"{out} (jambi-sim calibrate {args.calibration})"
    for path in args.apply:
        changed = apply_calibration(Path(path), rep["chosen"], source,
                                    ensemble=Path(final) / ENSEMBLE_FILE
                                    if len(result["ensemble"]) else None)
        cmd.say(f"{'Updated' if changed else 'Unchanged:'} {path} (the calibrated set)")
    return 0


@entry
def cmd_heldout(cmd: Command) -> int:
    from tqdm import tqdm

    from sim.studies.heldout import heldout, load_heldout

    args = cmd.args
    spec, scenario = load_heldout(args.file, read=cmd.read)  # every file read once
    reps = args.reps or spec.reps
    sc = cmd.scenario(scenario)
    ens = None if args.sets == "none" else cmd.ensemble(scenario, sc)
    sets = ens.pick(args.sets) if ens is not None else []
    workers = cmd.check_memory(sc, min(args.workers, reps))
    staged = cmd.stage(args.out or Path("runs") / spec.name)
    total = reps + len(sets) * args.ensemble_reps
    with tqdm(total=total, unit="rep", disable=args.quiet or None, file=sys.stderr) as bar:
        table = heldout(spec, scenario, staged, cmd.line, workers=workers, reps=reps,
                        progress=bar.update, draw=not args.no_figures, read=cmd.read,
                        pool=cmd.pool(workers, total), provenance={"inputs": cmd.inputs},
                        ensemble=ens, sets=sets, ensemble_reps=args.ensemble_reps)
    final = cmd.done(staged)
    if not args.quiet:
        for r in table.itertuples():
            over = (f"; passes under {r.sets_pass} of {r.sets} sets"
                    if "sets_pass" in table else "")
            print(f"{r.pattern:<26} {r.result:<5} mean {r.simulated_mean:.4g} "
                  f"(range {r.accepted_range}; observed: {r.observed}{over})")
        print(f"Wrote {final}/ (table.md, table.csv, summary.json"
              f"{'' if args.no_figures else ', patterns.png, curve.png'}).")
    return 0


@entry
def cmd_sustainability(cmd: Command) -> int:
    """Both variants of each scenario, written into a staged folder like ``run``'s."""
    from sim.studies.sustainability import check_inputs, study_size, write_study

    args = cmd.args
    sources = [cmd.scenario(p) for p in args.scenarios]  # read once: run and hashed
    scenarios, sets, ignored = check_inputs(sources, args.reps, args.workers, args.sets,
                                            args.max_sets, read=cmd.read_sets)
    n_sets = len(sets) if sets else 1
    runs, need = study_size(scenarios, args.reps, n_sets)
    cmd.check_study("sustainability", f"{len(scenarios)} scenario(s) x 2 variants x "
                    f"{n_sets:,} parameter set(s) x {args.reps:,} rep(s)", runs, need,
                    f"fewer --reps (now {args.reps:,})"
                    + (f", a smaller --max-sets (now {args.max_sets:,})" if sets else "")
                    + " or fewer scenario files")
    for sc in scenarios:
        cmd.check_memory(sc, min(args.workers, args.reps))
    if ignored:
        cmd.say(f"{args.sets}: ignoring column(s) that name no parameter: "
                f"{', '.join(ignored)}")
    if sets is not None:
        cmd.say(f"{len(sets)} parameter set(s) from {args.sets}")
    staged = cmd.stage(args.out or Path("runs") / "sustainability")
    table = write_study(staged, scenarios, args.reps, args.seed, args.workers, sets, cmd.say,
                        cmd.pool(args.workers, args.reps))
    final = cmd.finish(staged, {"command": "sustainability", "reps": args.reps,
                                "seed": args.seed, "sets": len(sets) if sets else None},
                       scenario_files={str(p): cmd.sha256(p) for p in args.scenarios},
                       sets_file=str(args.sets) if args.sets else None)
    cmd.say(table.to_string(index=False))
    cmd.say(f"Wrote {final}/ (indicators.csv, indicators.md, summary.json and one figure "
            f"per scenario).")
    return 0
