"""``jambi-sim sweep``, ``sensitivity`` and ``calibrate``: the command-line side of experiments."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.studies.spec import ExperimentError


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

def _run(args: argparse.Namespace) -> tuple[Any, Any, Any, Path]:
    from tqdm import tqdm

    from sim.studies.design import build_design, study_size
    from sim.studies.spec import load_experiment
    from sim.studies.sweeps import sweep, write_table

    exp, folder = load_experiment(args.experiment)
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://",
                                                         "ucx://")):
        raise ExperimentError(f"--scheduler {args.scheduler}: give a Dask scheduler address "
                              f"such as tcp://127.0.0.1:8786.")
    out = args.out or Path("runs") / exp.name
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    design = build_design(exp)
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else \
        f"{args.workers} local worker(s)"
    _, _, need = study_size(exp)  # checked against the machine by build_design
    say(f"Experiment '{exp.name}' ({args.experiment}): {exp.design} design, "
        f"{len(design.points)} point(s) x {exp.reps} rep(s) = {len(design.points) * exp.reps} "
        f"run(s), seed {exp.seed}, on {where}; about {need / 2**20:,.0f} MiB of memory in this "
        f"process; runs kept in {out}/runs.jsonl.")
    bar = tqdm(total=0, unit="run", disable=args.quiet or None, file=sys.stderr,
               smoothing=0.1)

    def total(n: int) -> None:
        bar.total = n
        bar.refresh()

    with _resumable(bar, f"{out}/runs.jsonl"):
        res = sweep(exp, folder, out, workers=args.workers, scheduler=args.scheduler,
                    progress=bar.update, retry_failed=args.retry_failed, total=total)
    path = write_table(res.table, res.folder, args.format)
    say(f"{res.runs} run(s): {res.ran} run now, {res.reused} found from an earlier attempt, "
        f"{res.failed} failed ({res.wall_s:.1f} s). Table: {path}")
    if res.failed:
        errors = res.table.loc[res.table["status"] != "ok", "error"].value_counts()
        for err, n in errors.head(3).items():
            say(f"  {n} x {err.splitlines()[-1] if err else 'missing'}")
    return exp, design, res, out


def cmd_sweep(args: argparse.Namespace) -> int:
    exp, design, res, out = _run(args)
    if exp.design == "grid" and not args.no_figures:
        from sim.studies.plots import write_sweep_figures

        files = write_sweep_figures(res.table, design.names, exp.outputs, out)
        if files and not args.quiet:
            print(f"Figures: {out}/figures/ ({len(files)} files)")
    return 1 if res.failed else 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.studies.sensitivity import (
        MIN_LHS_POINTS,
        analyse,
        has_indices,
        summary_text,
        write_report,
    )
    from sim.studies.spec import load_experiment

    exp, _ = load_experiment(args.experiment)
    if exp.design not in ("sobol", "morris", "lhs"):
        raise ExperimentError(f"{args.experiment}: sensitivity needs design = 'sobol', "
                              f"'morris' or 'lhs' (an emulator), not '{exp.design}'; run it "
                              f"with 'jambi-sim sweep'.")
    if exp.design == "lhs" and exp.samples < MIN_LHS_POINTS:  # refused before any run
        raise ExperimentError(f"{args.experiment}: an emulator needs at least "
                              f"{MIN_LHS_POINTS} points (some to fit it, some held out to "
                              f"check it); samples = {exp.samples}. Raise 'samples'.")
    exp, design, res, out = _run(args)
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


def cmd_calibrate(args: argparse.Namespace) -> int:
    import shlex

    from tqdm import tqdm

    from sim.runner.staging import check_out_dir
    from sim.studies.calibrate import calibrate, load_calibration
    from sim.studies.calibration_report import apply_calibration, check_apply, write_calibration

    cal, folder = load_calibration(args.calibration)
    out = args.out or Path("runs") / cal.name / "report"
    runs = args.runs or Path("runs") / cal.name
    check_out_dir(Path(out))  # refuse a bad --out or --apply before hours of runs
    check_apply(list(args.apply))
    if args.scheduler and not args.scheduler.startswith(("tcp://", "tls://", "inproc://",
                                                         "ucx://")):
        raise ExperimentError(f"--scheduler {args.scheduler}: give a Dask scheduler address "
                              f"such as tcp://127.0.0.1:8786.")
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    planned = sum(w.samples * w.reps for w in cal.waves) + cal.final_reps
    say(f"Calibration '{cal.name}' ({args.calibration}): {len(cal.waves)} wave(s), "
        f"{len(cal.factors)} factors, {len(cal.targets)} targets, {planned:,} run(s) "
        f"planned; runs kept in {runs}/, report in {out}/.")
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    bar = tqdm(total=None, unit="run", disable=args.quiet or None, file=sys.stderr)
    with _resumable(bar, f"{runs}/"):
        result = calibrate(cal, folder, Path(runs), workers=args.workers,
                           scheduler=args.scheduler, progress=bar.update,
                           say=lambda m: (bar.write(m) if not args.quiet else None))
    files = write_calibration(result, cal, Path(out), command, draw=not args.no_figures)
    rep = result["report"]
    say(f"{rep['accepted']} of {rep['points_run']} points non-implausible "
        f"({rep['runs_total']} runs, {rep['runs_reused']} of them found from an earlier "
        f"attempt of the same model; {rep['wall_s'] / 60:.1f} min). Calibrated set:")
    for k, v in rep["chosen"].items():
        say(f"  {k} = {v:.6g}")
    for name, f in rep["final_check"].items():
        say(f"  {name}: {f['output']} {f['mean']:.6g} (observed {f['observed']:.6g}, "
            f"I = {f['implausibility']:.2f})")
    say(f"Wrote {out}/: {', '.join(files)}")
    source = f"{out} (jambi-sim calibrate {args.calibration})"
    for path in args.apply:
        changed = apply_calibration(Path(path), rep["chosen"], source)
        say(f"{'Updated' if changed else 'Unchanged:'} {path} (the calibrated set)")
    return 0


def cmd_heldout(args: argparse.Namespace) -> int:
    import shlex

    from tqdm import tqdm

    from sim.studies.heldout import heldout, load_heldout

    spec, scenario = load_heldout(args.file)
    out = args.out or Path("runs") / spec.name
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    reps = args.reps or spec.reps
    with tqdm(total=reps, unit="rep", disable=args.quiet or None, file=sys.stderr) as bar:
        table = heldout(spec, scenario, Path(out), command, workers=min(args.workers, reps),
                        reps=reps, progress=bar.update, draw=not args.no_figures)
    if not args.quiet:
        for r in table.itertuples():
            print(f"{r.pattern:<26} {r.result:<5} mean {r.simulated_mean:.4g} "
                  f"(range {r.accepted_range}; observed: {r.observed})")
        print(f"Wrote {out}/ (table.md, table.csv, summary.json"
              f"{'' if args.no_figures else ', patterns.png, curve.png'}).")
    return 0


def cmd_sustainability(args: argparse.Namespace) -> int:
    """Both variants of each scenario, written into a staged folder like ``run``'s."""
    import time

    from sim._version import __version__
    from sim.runner.staging import StagedOutput
    from sim.studies.sustainability import check_inputs, write_study
    from sim.ui.inputs import hashes, read_scenario

    sources = [read_scenario(p) for p in args.scenarios]  # read once: run and hashed
    scenarios, sets, ignored = check_inputs([s.scenario for s in sources], args.reps,
                                            args.workers, args.sets, args.max_sets)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    if ignored:
        say(f"{args.sets}: ignoring column(s) that name no parameter: {', '.join(ignored)}")
    if sets is not None:
        say(f"{len(sets)} parameter set(s) from {args.sets}")
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    staged = StagedOutput(args.out or Path("runs") / "sustainability",
                          note=f"command: {command}")
    args.staging = staged.staging
    t0 = time.perf_counter()
    table = write_study(staged, scenarios, args.reps, args.seed, args.workers, sets, say)
    staged.write_json("summary.json", {
        "command": "sustainability", "reps": args.reps, "seed": args.seed,
        "sets": len(sets) if sets else None,
        "provenance": {"package_version": __version__, "command": command,
                       "scenario_files": hashes(sources),
                       "sets_file": str(args.sets) if args.sets else None,
                       "wall_time_s": round(time.perf_counter() - t0, 3),
                       "files": staged.files}})
    final = staged.finish()
    args.staging = None
    say(table.to_string(index=False))
    say(f"Wrote {final}/ (indicators.csv, indicators.md, summary.json and one figure per "
        f"scenario).")
    return 0
