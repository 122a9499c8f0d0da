"""Experiments: sweeps and sensitivity analysis over the scenario schema.

    from sim.experiments import load_experiment, sweep
    exp, folder = load_experiment("experiments/pathways.toml")
    result = sweep(exp, folder, out="runs/pathways", workers=2)   # result.table: a run a row

See :mod:`sim.experiments.engine` (seeds, resuming, clusters) and
:mod:`sim.experiments.sensitivity` (SALib).
"""

from sim.experiments.design import Design, build_design, salib_problem
from sim.experiments.engine import SweepResult, sweep, write_table
from sim.experiments.spec import Experiment, ExperimentError, load_experiment

__all__ = ["Design", "Experiment", "ExperimentError", "SweepResult", "build_design",
           "load_experiment", "salib_problem", "sweep", "write_table"]
