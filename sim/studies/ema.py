"""The simulation as an EMA Workbench model (optional: ``pip install ema_workbench``).

The model's function, :func:`run_point`, is a module-level function of this importable
module, so EMA's ``MultiprocessingEvaluator`` can send it to processes started with spawn.
Uncertainties are the parameters' plausible ranges (integers as IntegerParameter); outcomes
are catalogue scalars, each the mean over ``reps`` replications with common random numbers.
"""

from __future__ import annotations

from typing import Any

BARRIERS = ["specialization", "power", "performance_management", "turf", "beliefs",
            "politics", "accountability"]


def run_point(_reps: int = 1, _seed: int = 0, _scenario: Any = None,
              _outputs: tuple[str, ...] = ("gap_to_target",), **params: Any) -> dict[str, float]:
    """One EMA experiment: the parameters as ``sim.run`` names, the means of the outputs."""
    from sim.studies.sensitivity import evaluate

    names = list(params)
    y = evaluate([[params[n] for n in names]] if names else [[]], names, list(_outputs),
                 reps=_reps, seed=_seed, scenario=_scenario)[0]
    return dict(zip(_outputs, map(float, y)))


def ema_model(name: str = "jambi", names: list[str] | None = None,
              outputs: list[str] | None = None, reps: int = 1, seed: int = 0,
              scenario: str | None = None):
    """An EMA Workbench model over the plausible ranges (needs ``ema_workbench``). Its
    function, :func:`run_point`, lives in this importable module, so EMA's multiprocessing
    evaluator works under spawn. The arguments are checked as :func:`sim.evaluate` checks
    them, before the model is made: a mistake is an error naming it, not NaN outcomes
    from every experiment EMA runs later."""
    names, outputs, reps, seed, base = _checked(names, outputs, reps, seed, scenario)
    try:
        from ema_workbench import Constant, IntegerParameter, Model, RealParameter, ScalarOutcome
    except ImportError:
        raise ImportError("ema_model() needs the EMA Workbench: pip install ema_workbench") \
            from None
    from sim.scenario import bounds

    model = Model(name, function=run_point)
    model.uncertainties = [
        IntegerParameter(n, int(b.lo), int(b.hi)) if b.integer else
        RealParameter(n, float(b.lo), float(b.hi)) for n, b in bounds(names).items()]
    model.outcomes = [ScalarOutcome(o) for o in outputs]
    # the scenario as read and checked here (a file is not read again by every run)
    model.constants = [Constant("_reps", reps), Constant("_seed", seed),
                       Constant("_scenario", None if scenario is None else base),
                       Constant("_outputs", tuple(outputs))]
    return model


def _checked(names: Any, outputs: Any, reps: Any, seed: Any, scenario: Any
             ) -> tuple[list[str], list[str], int, int, Any]:
    """The arguments of :func:`ema_model` as :func:`sim.evaluate` checks them: reps and
    seed in range, names a list of parameters (one name each), outputs a list of catalogue
    outputs within the scenario's years; and the scenario, loaded."""
    from sim import checks
    from sim.runner.catalogue import check_outputs
    from sim.scenario import load_scenario
    from sim.scenario.schema import parameter_names

    reps = checks.whole_number("reps", reps, 1, 10_000)
    seed = checks.whole_number("seed", seed, 0, checks.MAX_SEED)
    names = parameter_names(list(BARRIERS) if names is None else names)
    base = load_scenario(scenario)
    outputs = check_outputs(["gap_to_target"] if outputs is None else outputs, base)
    return names, outputs, reps, seed, base
