"""Experiments: sweeps and sensitivity analysis over the scenario schema.

    from sim.studies import load_experiment, sweep
    exp, folder = load_experiment("experiments/pathways.toml")
    result = sweep(exp, folder, out="runs/pathways", workers=2)   # result.table: a run a row

See :mod:`sim.studies.sweeps` (seeds, resuming, clusters) and
:mod:`sim.studies.sensitivity` (SALib).
"""

from sim.studies.design import Design, build_design, salib_problem
from sim.studies.spec import Experiment, ExperimentError, load_experiment
from sim.studies.sweeps import SweepResult, sweep, write_table

__all__ = ["Design", "Experiment", "ExperimentError", "SweepResult", "build_design",
           "load_experiment", "salib_problem", "sweep", "write_table"]
