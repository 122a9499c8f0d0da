"""Designs: the points an experiment runs, in a fixed order.

``grid`` is every combination of the factors' values (the first factor varies slowest);
``lhs``, ``sobol`` and ``morris`` are drawn with SALib's ProblemSpec samplers from the root
seed, so the same file always gives the same points. Integer parameters are rounded to the
nearest whole number before a run (the sample matrix ``X`` keeps the sampled values, which is
what SALib's analysers expect).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.studies.spec import SCENARIO, SET, Bases, Experiment, ExperimentError


@dataclass
class Design:
    names: list[str]                  # factor names as written in the file
    points: list[dict[str, Any]]      # one dict of factor values per point, in design order
    X: np.ndarray | None              # the sample matrix (None for a grid)
    problem: Any | None               # the SALib ProblemSpec that drew X (None for a grid)
    integer: dict[str, bool]


def factor_bounds(exp: Experiment) -> dict[str, tuple[float, float, bool]]:
    """(lo, hi, integer) of each sampled factor: its range, or the plausible range."""
    out = {}
    for name, f in exp.factors.items():
        if name == SET and exp.model == "jambi":
            continue  # its numbers come from the ensemble: set_choices
        if exp.model != "jambi":
            out[name] = (float(f.range[0]), float(f.range[1]), False)
            continue
        from sim.scenario import bounds

        b = bounds([name])[name] if f.range is None else \
            bounds([name], kind="validation")[name]
        lo, hi = (b.lo, b.hi) if f.range is None else f.range
        out[name] = (float(lo), float(hi), b.integer)
    return out


def set_choices(exp: Experiment, bases: Bases | None) -> list[int]:
    """The set numbers the ``set`` factor picks from: ``{}`` the ensemble's interactive
    sets, ``range = [lo, hi]`` the sets lo to hi, ``values`` those sets. Every base
    scenario (one, or each of a ``scenario`` factor's) must name an ensemble of the same
    number of sets; a set number beyond it is refused with the valid ones."""
    f = exp.factors[SET]
    if bases is None:
        raise ExperimentError(f"experiment '{exp.name}': factors.set needs the base "
                              f"scenarios' ensembles (give the loaded Bases).")
    files = exp.factors[SCENARIO].values if SCENARIO in exp.factors else [exp.scenario]
    from sim.scenario import ScenarioError

    try:
        ensembles = [bases.ensemble(file) for file in files]
    except ScenarioError as exc:
        raise ExperimentError(f"experiment '{exp.name}': {exc}") from None
    sizes = {len(e) for e in ensembles}
    if len(sizes) > 1:
        raise ExperimentError(f"experiment '{exp.name}': factors.set: the base scenarios' "
                              f"ensembles hold different numbers of sets "
                              f"({', '.join(map(str, sorted(sizes)))}); a set number must mean "
                              f"the same row in each.")
    ens = ensembles[0]
    if f.values is not None:
        wanted = list(f.values)
    elif f.range is not None:
        wanted = list(range(int(f.range[0]), int(f.range[1]) + 1))
    else:
        return ens.pick("interactive")
    bad = [i for i in wanted if i >= len(ens)]
    if bad:
        raise ExperimentError(f"experiment '{exp.name}': factors.set: no set {bad[0]} in "
                              f"{ens.origin}; its sets are numbered 0 to {len(ens) - 1}.")
    return wanted


def salib_problem(names: list[str], outputs: list[str] | None = None,
                  ranges: dict[str, tuple[float, float]] | None = None):
    """A SALib ProblemSpec over parameters named as ``sim.run`` accepts them, with their
    plausible ranges (or ``ranges[name]`` where given)."""
    from SALib import ProblemSpec

    from sim.runner.catalogue import check_outputs
    from sim.scenario import bounds
    from sim.scenario.schema import parameter_names

    names = parameter_names(names)
    if outputs is not None:
        outputs = check_outputs(outputs)
    ranges = dict(ranges or {})
    missing = [n for n in names if n not in ranges]
    b = bounds(missing) if missing else {}
    spec: dict[str, Any] = {"names": list(names),
                            "bounds": [list(map(float, ranges.get(n, b.get(n, (0, 1)))))
                                       for n in names]}
    if outputs:
        spec["outputs"] = list(outputs)
    return ProblemSpec(spec)


def _round(value: float, integer: bool) -> Any:
    return int(round(value)) if integer else float(value)


# Rough bytes a study holds in the parent, measured on the simulation (a Scenario per
# point: about 27 kB; per run: its job, its stored record and its row of the table).
POINT_BYTES_JAMBI, POINT_BYTES_PER_FACTOR = 32_000, 120
RUN_BYTES, RUN_BYTES_PER_COLUMN = 1_500, 150
PARENT_BYTES = 400 * 2**20


def study_size(exp: Experiment, n_sets: int | None = None) -> tuple[int, int, int]:
    """(points, runs, bytes): the design's size and the memory the parent needs for it,
    computed from the file alone, before any point is drawn (``n_sets``: how many sets a
    grid's ``set`` factor picks, from :func:`set_choices`)."""
    D = len(exp.factors)
    if exp.design == "grid":
        points = 1
        for name, f in exp.factors.items():
            if name == SET and exp.model == "jambi":
                points *= n_sets if n_sets is not None else (
                    len(f.values) if f.values is not None else
                    int(f.range[1] - f.range[0] + 1) if f.range is not None else 1)
                continue
            points *= len(f.values) if f.values is not None else int(f.levels or 1)
    elif exp.design == "sobol":
        points = exp.samples * ((2 * D + 2) if exp.second_order else (D + 2))
    elif exp.design == "morris":
        points = exp.samples * (D + 1)
    else:
        points = exp.samples
    runs = points * exp.reps
    per_point = (POINT_BYTES_JAMBI if exp.model == "jambi" else 0) + POINT_BYTES_PER_FACTOR * D
    need = PARENT_BYTES + points * per_point + \
        runs * (RUN_BYTES + RUN_BYTES_PER_COLUMN * (D + len(exp.outputs)))
    return points, runs, need


def size_refusal(what: str, count: str, runs: int, need: int, use: str) -> str | None:
    """The one paragraph that refuses a study of ``runs`` runs needing about ``need`` bytes
    in this process when more than the available memory: ``what`` the study, ``count`` how
    its runs are counted, how many would fit, and ``use`` what to reduce. None when it fits
    (or the available memory is unknown). Every study's size check says it this way."""
    from sim.runner.replications import available_memory

    have = available_memory()
    if have is None or need <= have:
        return None
    fit = max(1, int((have - PARENT_BYTES) / max(1, need - PARENT_BYTES) * runs))
    return (f"{what}: {count} = {runs:,} run(s) would need about {need / 2**30:,.1f} GiB of "
            f"memory to plan and keep, but {have / 2**30:.1f} GiB is available; about "
            f"{fit:,} runs fit. Use {use}.")


def check_size(exp: Experiment, n_sets: int | None = None) -> tuple[int, int, int]:
    """Refuse (ExperimentError, exit 2) a design the machine cannot hold, with what to
    change; return :func:`study_size`."""
    points, runs, need = study_size(exp, n_sets)
    what = ("fewer levels or values per factor" if exp.design == "grid" else
            f"a smaller 'samples' (now {exp.samples:,})")
    refusal = size_refusal(f"experiment '{exp.name}'",
                           f"{points:,} point(s) x {exp.reps:,} rep(s)", runs, need,
                           f"{what} or fewer 'reps', or split the study into several "
                           f"experiments")
    if refusal:
        raise ExperimentError(refusal)
    return points, runs, need


def build_design(exp: Experiment, bases: Bases | None = None) -> Design:
    """The experiment's points. A ``set`` factor (a set of the base scenario's calibrated
    ensemble, :func:`set_choices`) is a column of set numbers: in a grid, one level per set;
    in a sampled design, a uniform draw over [0, n) mapped to the n sets (so it is a
    discrete factor with equal weights; ``X`` keeps the draw)."""
    choices = set_choices(exp, bases) if SET in exp.factors and exp.model == "jambi" \
        else None
    # before any point is drawn: a huge design is refused, not a MemoryError
    check_size(exp, None if choices is None else len(choices))
    names = list(exp.factors)
    if exp.design == "grid":
        axes = []
        integer = {}
        for name, f in exp.factors.items():
            if choices is not None and name == SET:
                axes.append(list(choices))
                integer[name] = True
            elif f.values is not None:
                axes.append(list(f.values))
                integer[name] = all(isinstance(v, int) and not isinstance(v, bool)
                                    for v in f.values)
            else:
                lo, hi, is_int = factor_bounds(exp)[name] if f.range is None else \
                    (*f.range, factor_bounds(exp)[name][2])
                axes.append([_round(v, is_int) for v in np.linspace(lo, hi, f.levels)])
                integer[name] = is_int
        points = [dict(zip(names, combo)) for combo in itertools.product(*axes)]
        return Design(names, points, None, None, integer)
    fb = factor_bounds(exp)
    if choices is not None:
        fb[SET] = (0.0, float(len(choices)), True)
    from SALib import ProblemSpec

    sp = ProblemSpec({"names": names, "bounds": [[fb[n][0], fb[n][1]] for n in names],
                      "outputs": list(exp.outputs)})
    if exp.design == "sobol":
        sp.sample_sobol(exp.samples, calc_second_order=exp.second_order, seed=exp.seed)
    elif exp.design == "morris":
        sp.sample_morris(exp.samples, num_levels=exp.morris_levels, seed=exp.seed)
    else:
        sp.sample_latin(exp.samples, seed=exp.seed)
    X = np.asarray(sp.samples, dtype=float)
    integer = {n: fb[n][2] for n in names}

    def value(n: str, x: float) -> Any:
        if choices is not None and n == SET:
            return choices[min(int(x), len(choices) - 1)]
        return _round(x, integer[n])

    points = [{n: value(n, x) for n, x in zip(names, row)} for row in X]
    return Design(names, points, X, sp, integer)
