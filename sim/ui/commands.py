"""The ``jambi-sim`` commands that run or check scenarios: ``run``, ``whatif``, ``compare``,
``validate``, ``params``, ``odd``, ``evidence`` and ``bench`` (the studies' commands are in
:mod:`sim.ui.study_commands`, the dashboard's in :mod:`sim.ui.serve`)."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from sim.ui.common import EXIT_USAGE, UsageError, printable


# ------------------------------------------------------------------------ run
def cmd_run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.runner.replications import RepResult, check_memory, run
    from sim.runner.staging import StagedOutput, check_out_dir
    from sim.scenario import Scenario
    from sim.scenario.source import read_bytes

    data = read_bytes(args.scenario)  # read once: hashed and simulated, never re-read
    scenario = Scenario.from_bytes(data, origin=printable(str(args.scenario)))
    out = args.out or Path("runs") / args.scenario.stem
    say = (lambda *a: None) if args.quiet else print
    warn = (lambda *a: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    workers = min(args.workers, args.reps)
    note = check_memory(scenario, workers)  # refuses (exit 2) before anything is written
    if note:
        warn(f"jambi-sim: warning: {note}")
    if workers > (os.cpu_count() or 1):
        warn(f"jambi-sim: warning: {workers} workers on {os.cpu_count()} cores is no faster "
             f"than {os.cpu_count()}, and each worker holds its own model in memory.")
    check_out_dir(out)  # before tidying anything near it
    _remove_abandoned(out, args.quiet)
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    staged = StagedOutput(out, note=f"command: {command}")
    args.staging = staged.staging
    from sim.show.i18n import tr

    say(tr("c_running", args.lang, name=printable(scenario.name),
           file=printable(str(args.scenario)), reps=args.reps, seed=args.seed, workers=workers))

    def sink(res: RepResult) -> None:  # tables go straight to disk, rep by rep
        staged.append_csv("timeseries.csv", res.timeseries)
        if not args.no_cases:
            staged.append_csv("cases.csv", res.cases)
            staged.append_csv("journey.csv", res.journey)

    t0 = time.perf_counter()
    with tqdm(total=args.reps, unit="rep", disable=args.quiet or None, file=sys.stderr) as bar:
        result = run(scenario, reps=args.reps, seed=args.seed, workers=workers,
                     progress=bar.update, sink=sink)
    elapsed = time.perf_counter() - t0
    staged.finish_csv("timeseries.csv")
    if not args.no_cases:
        staged.finish_csv("cases.csv")
        staged.finish_csv("journey.csv")
    if not args.no_figures:
        from sim.show.plots import all_figures, save_figures

        save_figures(staged, all_figures(result, args.lang))
    from sim.runner.attribution import CAUSES, attribute_gap, default_reps
    from sim.show.gap import console_lines, write_gap

    attribution, n = None, args.attribution_reps or default_reps(args.reps)
    if not args.no_attribution:  # paired runs, one cause removed at a time
        with tqdm(total=n * len(CAUSES), unit="rep", disable=args.quiet or None,
                  file=sys.stderr, desc=tr("tab_attribution", args.lang)) as bar:
            attribution = attribute_gap(scenario, n, args.seed, workers=args.workers,
                                        baseline=result.per_rep, progress=bar.update)
    write_gap(staged, result, attribution, args.lang, figures=not args.no_figures)
    summary = dict(result.summary, **({"gap_attribution": attribution.summary()}
                                      if attribution is not None else {}))
    summary["provenance"] = _provenance(args.scenario, data, command, elapsed, staged.files)
    staged.write_json("summary.json", summary)
    final = staged.finish()
    args.staging = None
    say(report(summary, args.lang) + "\n" + console_lines(summary, attribution, args.lang))
    say(tr("c_wrote", args.lang, dir=final) + ": summary.json, timeseries.csv"
        + ("" if args.no_cases else ", cases.csv, journey.csv") + ", accounting.csv"
        + ("" if attribution is None else ", attribution.csv")
        + ("" if args.no_figures else ", figures/") + f" ({elapsed:.1f} s).")
    return 0


def _pool(workers: int, reps: int) -> Any:
    """One warm pool for a command's several runs (each value or scenario), owned by the
    command and closed with it; none for a single worker."""
    import contextlib

    from sim.runner.replications import WorkerPool

    n = min(workers, reps)
    return WorkerPool(n) if n > 1 else contextlib.nullcontext()


def _remove_abandoned(out: Path, quiet: bool) -> None:
    """Remove staging folders of earlier runs into ``out`` that surely ended (they hold
    jambi-sim's own marker, and their process is gone); leave anything else alone."""
    from sim.runner.staging import abandoned, stale_attempts

    for old in stale_attempts(out):
        if abandoned(old):
            if not quiet:
                print(f"Removing an earlier run's incomplete attempt: {old}", file=sys.stderr)
            shutil.rmtree(old, ignore_errors=True)


def _provenance(scenario_path: Path, data: bytes, command: str, elapsed: float,
                files: dict[str, Any]) -> dict[str, Any]:
    """Provenance of a run; ``data`` are the scenario bytes that were simulated."""
    import mesa
    import numpy

    from sim._version import __version__

    return {"package_version": __version__, "command": command,
            "scenario_file": str(scenario_path),
            "scenario_sha256": hashlib.sha256(data).hexdigest(),
            "python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": numpy.__version__, "wall_time_s": round(elapsed, 3), "files": files}


def report(s: dict[str, Any], lang: str = "en") -> str:
    """The short summary printed after a run, in English or Bahasa Indonesia."""
    from sim.show.i18n import console_summary

    return console_summary(s, lang)


# ----------------------------------------------------------- whatif, compare
def _workshop_output(args: argparse.Namespace, default: Path):
    from sim.runner.staging import StagedOutput

    out = args.out or default
    _remove_abandoned(out, args.quiet)
    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    return StagedOutput(out, note=f"command: {command}"), command


def _finish_workshop(args, staged, command: str, files: dict[str, str], elapsed: float,
                     table: str) -> int:
    """``files``: the sha256 of each scenario's bytes as read at the start (what ran)."""
    from sim._version import __version__

    staged.write_json("summary.json", {
        "command": args.command, "reps": args.reps, "seed": args.seed,
        "provenance": {"package_version": __version__, "command": command,
                       "scenario_files": files,
                       "wall_time_s": round(elapsed, 3), "files": staged.files}})
    final = staged.finish()
    if not args.quiet:
        from sim.show.i18n import tr

        print(table, end="")
        print(tr("c_wrote", args.lang, dir=final) + f" ({elapsed:.1f} s).")
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.studies.workshop import (
        WorkshopError,
        canonical_values,
        check_param,
        parse_values,
        whatif,
        write_whatif,
    )
    from sim.ui.inputs import hashes, read_scenario

    source = read_scenario(args.scenario)  # read once: validated, simulated and hashed
    scenario = source.scenario
    try:
        values = canonical_values(args.param, parse_values(args.values))
        check_param(scenario, args.param, values)  # before any folder or run
    except WorkshopError as exc:
        raise UsageError(str(exc)) from None
    staged, command = _workshop_output(
        args, Path("runs") / f"whatif_{args.scenario.stem}_{args.param}")
    t0 = time.perf_counter()
    with tqdm(total=args.reps * len(values), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar, _pool(args.workers, args.reps) as pool:
        results = whatif(scenario, args.param, values, args.reps, args.seed, args.workers,
                         bar.update, pool)
    table = write_whatif(staged, scenario, args.param, values, results, args.reps, args.seed,
                         args.lang)
    return _finish_workshop(args, staged, command, hashes([source]),
                            time.perf_counter() - t0, table)


def cmd_compare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from sim.runner.replications import run
    from sim.studies.workshop import labels_for, write_compare
    from sim.ui.inputs import hashes, read_scenario

    if len(args.scenarios) < 2:
        raise UsageError("compare: give at least two scenario files, e.g. "
                         "scenarios/online_2021.toml scenarios/manual_only.toml.")
    sources = [read_scenario(p) for p in args.scenarios]  # read once, checked before running
    scenarios = [s.scenario for s in sources]
    staged, command = _workshop_output(args, Path("runs") / ("compare_" + "_".join(
        p.stem for p in args.scenarios[:3])))
    t0 = time.perf_counter()
    with tqdm(total=args.reps * len(scenarios), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar, _pool(args.workers, args.reps) as pool:
        results = [run(sc, reps=args.reps, seed=args.seed, workers=args.workers,
                       progress=bar.update, pool=pool) for sc in scenarios]
    table = write_compare(staged, results, labels_for(results, args.scenarios), args.lang)
    return _finish_workshop(args, staged, command, hashes(sources),
                            time.perf_counter() - t0, table)


def cmd_odd(args: argparse.Namespace) -> int:
    from sim.show.odd import ODD, OddError, check, update

    path = args.file or ODD
    if not path.is_file():
        raise UsageError(f"--file {printable(str(path))}: no such file.")
    try:
        if args.check:
            if check(path):
                print(f"{printable(str(path))}: the parameter table matches the code.")
                return 0
            print(f"{printable(str(path))}: the parameter table differs from the code; run "
                  f"'jambi-sim odd' and commit it.")
            return 1
        changed = update(path)
    except OddError as exc:
        raise UsageError(f"{printable(str(path))}: {exc}") from None
    print(f"{'Updated' if changed else 'Unchanged:'} {printable(str(path))}")
    return 0


# ------------------------------------------------------------------- others
def cmd_validate(args: argparse.Namespace) -> int:
    """Check every file; report each bad one (not just the first); exit 2 if any is bad."""
    from sim.scenario import Scenario, ScenarioError

    bad = 0
    for path in args.files:
        try:
            sc = Scenario.from_toml(path)
        except ScenarioError as exc:
            print(f"jambi-sim: error: {exc}", file=sys.stderr)
            bad += 1
            continue
        print(f"{printable(str(path))}: ok ({printable(sc.name)})")
    if bad and len(args.files) > 1:
        print(f"jambi-sim: {bad} of {len(args.files)} files are not valid.", file=sys.stderr)
    return EXIT_USAGE if bad else 0


def cmd_params(args: argparse.Namespace) -> int:
    from sim.scenario import parameter_table

    rows = parameter_table()
    if args.format == "csv":
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return 0
    from sim.show.odd import parameters_markdown

    print(parameters_markdown(rows))
    return 0


def cmd_evidence(args: argparse.Namespace) -> int:
    from sim.studies.evidence import EvidenceError, build

    mapping = args.mapping or args.file.parent / "mapping.toml"
    out = args.out or Path("runs") / f"evidence_{args.file.stem}"
    try:
        res = build(args.file, mapping, out)
    except EvidenceError as exc:
        raise UsageError(str(exc)) from None
    for row in res["triangulation"]:
        flag = f"  [{row['flags']}]" if row["flags"] else ""
        print(f"{row['item']:<36} {row['rating']:<8} sources {row['sources'] or '-':<10} "
              f"{row['kinds'] or '-'}{flag}")
    for param, p in sorted(res["prior"].items()):
        print(f"{param} in [{p['lo']:.4g}, {p['hi']:.4g}] from {', '.join(p['evidence'])}")
    print(f"Wrote {out}/ (scenario, prior, experiment, triangulation).")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    import benchmarks  # top-level package beside sim/; the model never imports it

    command = " ".join(shlex.quote(a) for a in ["jambi-sim", *args.argv])
    try:
        return benchmarks.main(quick=args.quick, out=args.out, json_path=args.json,
                               command=command)
    except benchmarks.BenchError as exc:
        raise UsageError(str(exc)) from None
