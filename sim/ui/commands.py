"""The ``jambi-sim`` commands that run or check scenarios: ``run``, ``whatif``, ``compare``,
``validate``, ``params``, ``odd``, ``evidence`` and ``bench`` (the studies' commands are in
:mod:`sim.ui.study_commands`, the dashboard's in :mod:`sim.ui.serve`)."""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path
from typing import Any

from sim.ui.command import Command, entry
from sim.ui.common import EXIT_USAGE, UsageError, printable


# ------------------------------------------------------------------------ run
@entry
def cmd_run(cmd: Command) -> int:
    from tqdm import tqdm

    from sim.runner.replications import RepResult, run
    from sim.show.i18n import tr

    args = cmd.args
    scenario = cmd.scenario(args.scenario)  # read once: hashed and simulated, never re-read
    workers = cmd.check_memory(scenario, min(args.workers, args.reps))  # before any folder
    staged = cmd.stage(args.out or Path("runs") / args.scenario.stem)
    cmd.say(tr("c_running", args.lang, name=printable(scenario.name),
               file=printable(str(args.scenario)), reps=args.reps, seed=args.seed,
               workers=workers))

    def sink(res: RepResult) -> None:  # tables go straight to disk, rep by rep
        staged.append_csv("timeseries.csv", res.timeseries)
        if not args.no_cases:
            staged.append_csv("cases.csv", res.cases)
            staged.append_csv("journey.csv", res.journey)

    t0 = time.perf_counter()
    pool = cmd.pool(workers, args.reps + (0 if args.no_attribution else 2))  # run, attribution
    with tqdm(total=args.reps, unit="rep", disable=args.quiet or None, file=sys.stderr) as bar:
        result = run(scenario, reps=args.reps, seed=args.seed, workers=workers,
                     progress=bar.update, sink=sink, pool=pool)
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
    if not args.no_attribution:  # paired runs, one cause removed at a time, on the same pool
        with tqdm(total=n * len(CAUSES), unit="rep", disable=args.quiet or None,
                  file=sys.stderr, desc=tr("tab_attribution", args.lang)) as bar:
            attribution = attribute_gap(scenario, n, args.seed, workers=workers, pool=pool,
                                        baseline=result.per_rep, progress=bar.update)
    write_gap(staged, result, attribution, args.lang, figures=not args.no_figures)
    summary = dict(result.summary, **({"gap_attribution": attribution.summary()}
                                      if attribution is not None else {}))
    final = cmd.finish(staged, summary, **_provenance(cmd, args.scenario), wall_time_s=round(
        elapsed, 3))
    cmd.say(report(summary, args.lang) + "\n" + console_lines(summary, attribution, args.lang))
    cmd.say(tr("c_wrote", args.lang, dir=final) + ": summary.json, timeseries.csv"
            + ("" if args.no_cases else ", cases.csv, journey.csv") + ", accounting.csv"
            + ("" if attribution is None else ", attribution.csv")
            + ("" if args.no_figures else ", figures/") + f" ({elapsed:.1f} s).")
    return 0


def _provenance(cmd: Command, scenario_path: Path) -> dict[str, Any]:
    """What a run's provenance adds: the scenario file, its hash and the library versions."""
    import mesa
    import numpy

    return {"scenario_file": str(scenario_path), "scenario_sha256": cmd.sha256(scenario_path),
            "python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": numpy.__version__}


def report(s: dict[str, Any], lang: str = "en") -> str:
    """The short summary printed after a run, in English or Bahasa Indonesia."""
    from sim.show.i18n import console_summary

    return console_summary(s, lang)


# ----------------------------------------------------------- whatif, compare
def _finish_workshop(cmd: Command, staged: Any, paths: list[Path], table: str) -> int:
    args = cmd.args
    final = cmd.finish(staged, {"command": args.command, "reps": args.reps, "seed": args.seed},
                       scenario_files={str(p): cmd.sha256(p) for p in paths})
    if not args.quiet:
        from sim.show.i18n import tr

        print(table, end="")
        print(tr("c_wrote", args.lang, dir=final) +
              f" ({time.perf_counter() - cmd.t0:.1f} s).")
    return 0


@entry
def cmd_whatif(cmd: Command) -> int:
    from tqdm import tqdm

    from sim.studies.workshop import (
        canonical_values,
        check_param,
        parse_values,
        whatif,
        write_whatif,
    )

    args = cmd.args
    scenario = cmd.scenario(args.scenario)  # read once: validated, simulated and hashed
    values = canonical_values(args.param, parse_values(args.values))
    for sc in check_param(scenario, args.param, values):  # before any folder or run
        cmd.check_memory(sc, min(args.workers, args.reps))
    staged = cmd.stage(args.out or Path("runs") / f"whatif_{args.scenario.stem}_{args.param}")
    with tqdm(total=args.reps * len(values), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar:
        results = whatif(scenario, args.param, values, args.reps, args.seed, args.workers,
                         bar.update, cmd.pool(args.workers, args.reps))
    table = write_whatif(staged, scenario, args.param, values, results, args.reps, args.seed,
                         args.lang)
    return _finish_workshop(cmd, staged, [args.scenario], table)


@entry
def cmd_compare(cmd: Command) -> int:
    from tqdm import tqdm

    from sim.runner.replications import run
    from sim.studies.workshop import labels_for, write_compare

    args = cmd.args
    if len(args.scenarios) < 2:
        raise UsageError("compare: give at least two scenario files, e.g. "
                         "scenarios/online_2021.toml scenarios/manual_only.toml.")
    scenarios = [cmd.scenario(p) for p in args.scenarios]  # read once, checked before running
    for sc in scenarios:
        cmd.check_memory(sc, min(args.workers, args.reps))
    staged = cmd.stage(args.out or Path("runs") / ("compare_" + "_".join(
        p.stem for p in args.scenarios[:3])))
    pool = cmd.pool(args.workers, args.reps)
    with tqdm(total=args.reps * len(scenarios), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar:
        results = [run(sc, reps=args.reps, seed=args.seed, workers=args.workers,
                       progress=bar.update, pool=pool) for sc in scenarios]
    table = write_compare(staged, results, labels_for(results, args.scenarios), args.lang)
    return _finish_workshop(cmd, staged, args.scenarios, table)


@entry
def cmd_odd(cmd: Command) -> int:
    from sim.show.odd import ODD, OddError, check, update

    path = cmd.args.file or ODD
    if not path.is_file():
        raise UsageError(f"--file {printable(str(path))}: no such file.")
    try:
        if cmd.args.check:
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
@entry
def cmd_validate(cmd: Command) -> int:
    """Check every file; report each bad one (not just the first); exit 2 if any is bad."""
    from sim.scenario import ScenarioError

    files = cmd.args.files
    bad = 0
    for path in files:
        try:
            sc = cmd.scenario(path)
        except ScenarioError as exc:
            print(f"jambi-sim: error: {exc}", file=sys.stderr)
            bad += 1
            continue
        print(f"{printable(str(path))}: ok ({printable(sc.name)})")
    if bad and len(files) > 1:
        print(f"jambi-sim: {bad} of {len(files)} files are not valid.", file=sys.stderr)
    return EXIT_USAGE if bad else 0


@entry
def cmd_params(cmd: Command) -> int:
    from sim.scenario import parameter_table

    rows = parameter_table()
    if cmd.args.format == "csv":
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
        return 0
    from sim.show.odd import parameters_markdown

    print(parameters_markdown(rows))
    return 0


@entry
def cmd_evidence(cmd: Command) -> int:
    from sim.studies.evidence import build

    args = cmd.args
    mapping = args.mapping or args.file.parent / "mapping.toml"
    staged = cmd.stage(args.out or Path("runs") / f"evidence_{args.file.stem}")
    res = build(args.file, mapping, staged, read=cmd.read)  # each file read once
    final = cmd.done(staged)
    for row in res["triangulation"]:
        flag = f"  [{row['flags']}]" if row["flags"] else ""
        print(f"{row['item']:<36} {row['rating']:<8} sources {row['sources'] or '-':<10} "
              f"{row['kinds'] or '-'}{flag}")
    for param, p in sorted(res["prior"].items()):
        print(f"{param} in [{p['lo']:.4g}, {p['hi']:.4g}] from {', '.join(p['evidence'])}")
    print(f"Wrote {final}/ (scenario, prior, experiment, triangulation).")
    return 0


@entry
def cmd_bench(cmd: Command) -> int:
    import benchmarks  # top-level package beside sim/; the model never imports it

    args = cmd.args
    try:
        return benchmarks.main(quick=args.quick, out=args.out, json_path=args.json,
                               command=cmd.line)
    except benchmarks.BenchError as exc:
        raise UsageError(str(exc)) from None
