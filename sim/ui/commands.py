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
    scenario, ens, sets, single = ensemble_choice(cmd, args.scenario, scenario)
    if args.attribution_sets and ens is None:
        raise UsageError(f"--attribution-sets: {printable(str(args.scenario))} is run on "
                            f"its own values (no ensemble, --sets none or --set N); it needs "
                            f"the ensemble's sets.")
    total = args.reps + (0 if args.no_attribution else 2) + len(sets) * args.ensemble_reps
    workers = _check_memory(cmd, [scenario], ens, sets, min(args.workers, total))
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
    pool = cmd.pool(workers, total)  # the run, the attribution and the ensemble
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
    from sim.show.ensemble import run_lines
    from sim.show.equity import write_equity

    write_equity(staged, result)  # cost and visits by distance band and DTKS listing

    block = single or {"sets": [], "n_sets": 0}
    by_set = None
    if ens is not None:  # every headline over the accepted sets, on the same pool
        from sim.runner.ensemble import run_block, run_ensemble
        from sim.show.ensemble import accounts_markdown, causes_markdown, causes_table

        with tqdm(total=len(sets) * args.ensemble_reps, unit="rep", file=sys.stderr,
                  disable=args.quiet or None, desc="ensemble") as bar:
            scalars = run_ensemble(scenario, ens, sets, args.ensemble_reps, args.seed, pool,
                                   bar.update)
        block = run_block(scenario, ens, sets, args.ensemble_reps, args.seed,
                          scalars=scalars)
        text = run_lines(block, args.lang) + "\n\n" + accounts_markdown(
            block, scenario.time.end.isoformat(), args.lang)
        if args.attribution_sets:  # the gap by cause in every set, paired with its runs
            from sim.runner.attribution import attribute_over_sets

            with tqdm(total=len(CAUSES) * len(sets) * args.ensemble_reps, unit="rep",
                      file=sys.stderr, disable=args.quiet or None,
                      desc=tr("tab_attribution", args.lang)) as bar:
                by_set = attribute_over_sets(scenario, ens, sets, args.ensemble_reps,
                                             args.seed, scalars, pool, progress=bar.update)
            staged.write_csv("attribution_sets.csv", causes_table(by_set))
            text += "\n" + causes_markdown(by_set, args.lang)
        staged.write_text("ensemble.md", text)
    summary = dict(result.summary, ensemble=block,
                   **({"gap_attribution_sets": by_set} if by_set is not None else {}),
                   **({"gap_attribution": attribution.summary()}
                      if attribution is not None else {}))
    final = cmd.finish(staged, summary, **_provenance(cmd, args.scenario), wall_time_s=round(
        time.perf_counter() - t0, 3))
    cmd.say(run_lines(block, args.lang) + "\n" + report(summary, args.lang) + "\n"
            + console_lines(summary, attribution, args.lang))
    cmd.say(tr("c_wrote", args.lang, dir=final) + ": summary.json, timeseries.csv"
            + ("" if args.no_cases else ", cases.csv, journey.csv") + ", accounting.csv"
            + ("" if attribution is None else ", attribution.csv")
            + ", equity.csv" + ("" if ens is None else ", ensemble.md")
            + ("" if by_set is None else ", attribution_sets.csv")
            + ("" if args.no_figures else ", figures/") + f" ({elapsed:.1f} s).")
    return 0


def ensemble_choice(cmd: Command, path: Path, scenario: Any) -> tuple[Any, Any, list[int],
                                                                      dict[str, Any] | None]:
    """Which of a scenario's calibrated ensemble a command answers from (--sets, --set):
    (the scenario to run in detail, the ensemble or None, its sets, the note of a single
    set or None). Read and checked before any folder or run."""
    args = cmd.args
    if args.sets == "none" and args.set is None:
        return scenario, None, [], None
    ens = cmd.ensemble(path, scenario)
    if ens is None:
        if args.set is not None:
            raise UsageError(f"--set {args.set}: {printable(str(path))} names no ensemble "
                             f"(its key 'ensemble' is empty); drop --set, or use a "
                             f"calibrated scenario such as scenarios/online_2021.toml.")
        return scenario, None, [], None
    if args.set is not None:
        i = ens.check_set(args.set)
        return ens.scenario(scenario, i), None, [], {
            "single_set": True, "set": i, "file": ens.origin, "sha256": ens.sha256,
            "sets": [i], "n_sets": 1}
    return scenario, ens, ens.pick(args.sets), None


def own_values(scenarios: list[Any], ens: Any) -> list[dict[str, Any]]:
    """What each compared file sets differently from the first among the ensemble's
    columns: applied after each set's values, so a set never erases the difference being
    compared (the first file takes the set's values)."""
    from sim.runner.ensemble import changes

    out: list[dict[str, Any]] = [{}]
    for sc in scenarios[1:]:
        diff = changes(sc, scenarios[0])
        out.append({k: v for k, v in diff.items() if k in ens.columns})
    return out


def _check_memory(cmd: Command, scenarios: list[Any], ens: Any, sets: list[int],
                  workers: int) -> int:
    """The memory check of every scenario a command will run, the ensemble's sets
    included; returns the workers to use."""
    for sc in scenarios:
        workers = cmd.check_memory(sc, workers)
    for i in sets if ens is not None else []:  # refuses what cannot be held; notes said once
        cmd.check_memory(ens.scenario(scenarios[0], i), workers, notes=False)
    return workers


def _check_kept(cmd: Command, what: str, scenarios: list[Any], label: str, ens_runs: int,
                use: list[str]) -> None:
    """whatif and compare keep every replication's tables until their figures are drawn,
    and the ensemble's runs as scalars: refuse, before any run, what this process cannot
    hold (``use``: what to reduce; fewer ensemble runs too, when there are any)."""
    from sim.runner.replications import SCALARS_BYTES, kept_bytes
    from sim.studies.design import PARENT_BYTES

    reps = cmd.args.reps
    runs = len(scenarios) * reps + ens_runs
    need = PARENT_BYTES + sum(reps * kept_bytes(sc) for sc in scenarios) + \
        ens_runs * SCALARS_BYTES
    count = f"{len(scenarios)} {label} x {reps:,} rep(s)" + \
        (f" + {ens_runs:,} run(s) of the ensemble's sets" if ens_runs else "")
    if ens_runs:
        use = [*use, "fewer --ensemble-reps", "--sets none"]
    cmd.check_study(what, count, runs, need, ", ".join(use[:-1]) + " or " + use[-1])


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
def _finish_workshop(cmd: Command, staged: Any, paths: list[Path], table: str,
                     block: dict[str, Any] | None = None) -> int:
    args = cmd.args
    from sim.show.ensemble import diff_markdown, run_lines

    if block is not None and block.get("variants") is not None:
        text = diff_markdown(block, args.lang)
        staged.write_text("ensemble.md", text)
        table = table + "\n" + text
    elif block is not None:
        table = table + "\n" + run_lines(block, args.lang) + "\n"
    final = cmd.finish(staged, {"command": args.command, "reps": args.reps, "seed": args.seed,
                                "ensemble": block or {"sets": [], "n_sets": 0}},
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
    scenario, ens, sets, single = ensemble_choice(cmd, args.scenario, scenario)
    values = canonical_values(args.param, parse_values(args.values))
    variants = check_param(scenario, args.param, values)  # before any folder or run
    if ens is not None:  # every set with every value gives a valid scenario
        for i in sets:
            check_param(ens.scenario(scenario, i), args.param, values)
    total = args.reps + len(sets) * args.ensemble_reps
    _check_kept(cmd, "whatif", variants, "value(s)",
                len(sets) * args.ensemble_reps * len(values),
                [f"fewer --reps (now {args.reps:,})", f"fewer --values (now {len(values)})"])
    workers = _check_memory(cmd, variants, ens, sets, min(args.workers, total))
    staged = cmd.stage(args.out or Path("runs") / f"whatif_{args.scenario.stem}_{args.param}")
    pool = cmd.pool(workers, total)
    with tqdm(total=args.reps * len(values), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar:
        results = whatif(scenario, args.param, values, args.reps, args.seed, workers,
                         bar.update, pool)
    table = write_whatif(staged, scenario, args.param, values, results, args.reps, args.seed,
                         args.lang)
    block = single
    if ens is not None:  # the same change under every set, paired within each set
        from sim.runner.ensemble import compare_block
        from sim.show.ensemble import COMPARED
        from sim.studies.workshop import value_labels

        labels = [f"{args.param} = {v}" for v in value_labels(values, args.lang)]
        with tqdm(total=len(sets) * args.ensemble_reps * len(values), unit="rep",
                  file=sys.stderr, disable=args.quiet or None, desc="ensemble") as bar:
            block = compare_block([scenario] * len(values), labels, ens, sets,
                                  args.ensemble_reps, args.seed, COMPARED, pool, bar.update,
                                  overrides=[{args.param: v} for v in values])
    return _finish_workshop(cmd, staged, [args.scenario], table, block)



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
    chosen = [ensemble_choice(cmd, p, sc) for p, sc in zip(args.scenarios, scenarios)]
    scenarios = [c[0] for c in chosen]
    ens, sets, block = chosen[0][1], chosen[0][2], chosen[0][3]
    # paired over sets only if every file answers from the same ones
    hashes = {(c[1].sha256 if c[1] is not None else (c[3] or {}).get("sha256")) for c in chosen}
    if args.set is not None and len(hashes) > 1:
        raise UsageError(f"--set {args.set}: the files name different ensembles (or none), so "
                         f"set {args.set} would be a different parameter set in each; compare "
                         f"files calibrated together, or drop --set.")
    if len(hashes) > 1:
        cmd.warn("the files name different ensembles (or not all name one): the comparison "
                 "rests on each file's own values (one set each).")
        ens, sets, block = None, [], None
    total = args.reps + len(sets) * args.ensemble_reps
    _check_kept(cmd, "compare", scenarios, "scenario(s)",
                len(sets) * args.ensemble_reps * len(scenarios),
                [f"fewer --reps (now {args.reps:,})", "fewer scenario files"])
    workers = _check_memory(cmd, scenarios, ens, sets, min(args.workers, total))
    staged = cmd.stage(args.out or Path("runs") / ("compare_" + "_".join(
        p.stem for p in args.scenarios[:3])))
    pool = cmd.pool(workers, total)
    with tqdm(total=args.reps * len(scenarios), unit="rep", disable=args.quiet or None,
              file=sys.stderr) as bar:
        results = [run(sc, reps=args.reps, seed=args.seed, workers=workers,
                       progress=bar.update, pool=pool) for sc in scenarios]
    labels = labels_for(results, args.scenarios)
    table = write_compare(staged, results, labels, args.lang)
    if ens is not None:  # every scenario under every set, paired within each set
        from sim.runner.ensemble import compare_block
        from sim.show.ensemble import COMPARED

        with tqdm(total=len(sets) * args.ensemble_reps * len(scenarios), unit="rep",
                  file=sys.stderr, disable=args.quiet or None, desc="ensemble") as bar:
            block = compare_block(scenarios, labels, ens, sets, args.ensemble_reps,
                                  args.seed, COMPARED, pool, bar.update,
                                  overrides=own_values(scenarios, ens))
    return _finish_workshop(cmd, staged, args.scenarios, table, block)


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
    from sim.studies.evidence import prepare, write_evidence

    args = cmd.args
    mapping = args.mapping or args.file.parent / "mapping.toml"
    checked = prepare(args.file, mapping, read=cmd.read)  # each file read once, before --out
    staged = cmd.stage(args.out or Path("runs") / f"evidence_{args.file.stem}")
    res = write_evidence(checked, staged, provenance=cmd.provenance())
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
