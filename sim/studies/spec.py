"""Experiment files: TOML in ``experiments/``, validated like scenarios.

An experiment names the base scenario, the factors (parameter names as ``sim.run`` accepts
them, each with values or a range; an empty table ``{}`` takes the schema's plausible range),
the design (grid, lhs, sobol, morris), the sample size, the replications per point, the root
seed and the outputs of interest from ``sim.runner.catalogue.OUTPUTS``. Mistakes raise
:class:`ExperimentError` (a ScenarioError: the CLI prints one paragraph and exits with 2).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.runner.catalogue import YEARLY_PREFIXES, is_output, output_names
from sim.scenario import ScenarioError
from sim.scenario.errors import _clean, explain

DESIGNS = ("grid", "lhs", "sobol", "morris")
SCENARIO, SET = "scenario", "set"  # factors that are not scenario parameters
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"  # a name that makes a folder name
NAME_RULE = ("it names the folder runs/<name>, so it takes letters, digits, '_', '-' and '.' "
             "only, starts with a letter or digit and has at most 100 characters")


def folder_name(**kw: Any) -> Any:
    """The ``name`` field of a study file: NAME_PATTERN, refused in the words of NAME_RULE
    (sim.scenario.errors.explain shows a field's ``allowed`` instead of the pattern)."""
    return Field(min_length=1, pattern=NAME_PATTERN, json_schema_extra={"allowed": NAME_RULE},
                 **kw)
MODELS = ("jambi", "ishigami")


class ExperimentError(ScenarioError):
    """An experiment file is wrong; the message is one paragraph for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)


class Factor(_Strict):
    """One factor: ``values = [...]`` (grid), or ``range = [lo, hi]`` (with ``levels`` for a
    grid); neither means the parameter's plausible range from the schema."""

    values: list[Any] | None = Field(None, min_length=1, description="The values to run (grid).")
    range: tuple[float, float] | None = Field(
        None, strict=False, description="Lowest and highest value sampled (default: the plausible range).")
    levels: int | None = Field(None, ge=2, le=1000,
                               description="Evenly spaced values over the range (grid only).")

    @model_validator(mode="after")
    def _one_kind(self) -> Factor:
        if self.values is not None and (self.range is not None or self.levels is not None):
            raise ValueError("a factor takes either 'values' or 'range' (with 'levels'), "
                             "not both")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"a factor's range must be [lo, hi] with lo < hi, got "
                             f"{list(self.range)}")
        return self


class Experiment(_Strict):
    # a folder name: letters, digits, '_', '-', '.', so runs/<name> stays inside runs/
    name: str = folder_name(description="Short name (letters, digits, _ - .); default output "
                                        "folder runs/<name>.")
    description: str = Field("", description="What the experiment asks.")
    scenario: str | None = Field(
        None, description="Base scenario file, relative to the experiment file (default: the "
                          "historical baseline).")
    model: Literal["jambi", "ishigami"] = Field(
        "jambi", description="'jambi': the simulation; 'ishigami': SALib's Ishigami test "
                             "function, to check the pipeline against analytic indices.")
    design: Literal["grid", "lhs", "sobol", "morris"] = Field(
        description="grid: every combination of the factors' values; lhs: Latin hypercube of "
                    "'samples' points; sobol: Saltelli/Sobol' sample, samples * (2D + 2) "
                    "points; morris: 'samples' trajectories of D + 1 points.")
    samples: int = Field(16, ge=1, le=1_000_000, description="Sample size N (not for grid).")
    reps: int = Field(1, ge=1, le=10_000, description="Replications per design point.")
    seed: int = Field(20240331, ge=0, le=2**32 - 1, description="Root seed.")
    outputs: list[str] = Field(min_length=1, description="Outputs from sim.runner.catalogue.OUTPUTS.")
    factors: dict[str, Factor] = Field(min_length=1, description="Parameters to vary.")
    fixed: dict[str, Any] = Field(default_factory=dict,
                                  description="Overrides applied to the base scenario in every run.")
    morris_levels: int = Field(4, ge=2, le=100, description="Grid levels of a Morris design.")
    second_order: bool = Field(True, description="Sobol: also second-order indices.")
    noise_sd: float = Field(0.0, ge=0, description="ishigami only: sd of added noise per rep.")
    discover: dict[str, Any] | None = Field(
        None, description="Scenario discovery (jambi-sim discover): outcome, threshold, "
                          "direction and PRIM's settings; see sim.studies.discover.")

    @model_validator(mode="after")
    def _check(self) -> Experiment:
        if self.discover is not None:  # its names checked at load, before any run
            from sim.studies.discover import Discover

            Discover.parse(self.discover, model=self.model)
        bad = [o for o in self.outputs if not is_output(o) and self.model == "jambi"]
        if bad:
            raise ValueError(f"outputs: unknown {', '.join(map(repr, bad))}; allowed: "
                             f"{', '.join(output_names())}, and per year: "
                             f"{', '.join(p + '<year>' for p in YEARLY_PREFIXES)}")
        if self.model == "ishigami" and self.outputs != ["y"]:
            raise ValueError("outputs: the ishigami model has one output, 'y'")
        for name, f in self.factors.items():
            if name == SET and self.model == "jambi":
                _check_set_factor(f, self.design)
                continue
            if self.design == "grid" and f.values is None and f.levels is None:
                raise ValueError(f"factors.{name}: a grid needs 'values' or 'range' with "
                                 f"'levels'")
            if self.design != "grid" and (f.values is not None or f.levels is not None):
                raise ValueError(f"factors.{name}: a {self.design} design samples a range; "
                                 f"give 'range = [lo, hi]' or {{}} for the plausible range, not "
                                 f"'values' or 'levels'")
            if name == SCENARIO and f.values is None:
                raise ValueError("factors.scenario takes 'values', a list of scenario files")
        if self.design in ("sobol", "morris") and len(self.factors) < 2:
            raise ValueError(f"a {self.design} design needs at least two factors")
        return self


def _check_set_factor(f: Factor, design: str) -> None:
    """The ``set`` factor picks a set of the base scenario's calibrated ensemble: ``{}``
    the interactive sets, ``range = [lo, hi]`` the sets lo to hi, or (a grid only)
    ``values = [...]``, set numbers."""
    if f.levels is not None:
        raise ValueError("factors.set: takes {} (the ensemble's interactive sets), 'range = "
                         "[lo, hi]' (set numbers lo to hi) or, in a grid, 'values', not "
                         "'levels'")
    if f.values is not None:
        if design != "grid":
            raise ValueError(f"factors.set: a {design} design samples the sets: give {{}} "
                             f"(the interactive sets) or 'range = [lo, hi]', not 'values'")
        bad = [v for v in f.values if isinstance(v, bool) or not isinstance(v, int) or v < 0]
        if bad:
            raise ValueError(f"factors.set: values must be set numbers (whole numbers from 0), "
                             f"got {bad[0]!r}")
        if len(set(f.values)) != len(f.values):
            raise ValueError("factors.set: a set number is given twice")
    if f.range is not None and not all(float(v).is_integer() and v >= 0 for v in f.range):
        raise ValueError(f"factors.set: range must be two set numbers (whole numbers from 0), "
                         f"got {list(f.range)}")


def parameter_factors(exp: Experiment) -> list[str]:
    """The factors that are scenario parameters (not ``scenario`` or ``set``)."""
    return [n for n in exp.factors if n not in (SCENARIO, SET)]


M = TypeVar("M", bound=BaseModel)


def _fail(path: Path | str, msg: str) -> ExperimentError:
    return ExperimentError(f"{path}: {msg}")


def read_spec(path: Path, schema: type[M], missing: str,
              read: Callable[[Path], bytes] | None = None) -> M:
    """A TOML file checked against ``schema``; every mistake an ExperimentError naming the
    file (``missing`` says what to use when the file does not exist). ``read``: how to get
    the file's bytes (a command's reader, which reads each file once and records its
    hash); default: the file as it is now."""
    try:
        data = read(path) if read is not None else path.read_bytes()
        data = tomllib.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise _fail(path, missing) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read the file ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"not valid TOML ({_clean(str(exc))}).") from None
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(explain(exc, str(path), schema)) from None


class Bases:
    """The base scenarios of a study, each file read once, when first asked for: the
    outputs are checked and the runs made from the same bytes (what is hashed is what
    ran). ``bases(file)``: the Scenario of ``file`` as an experiment names it, relative to
    ``folder`` (None: the schema's defaults); ``sha256[file]``: the hash of its bytes.
    ``read``: how to get a file's bytes (a command's reader, which reads each file once;
    default: :func:`sim.scenario.source.read_bytes`)."""

    def __init__(self, folder: Path, read: Callable[[Path], bytes] | None = None):
        self.folder = Path(folder)
        self._read = read
        self._scenarios: dict[str | None, Any] = {}
        self._ensembles: dict[str | None, Any] = {}
        self.sha256: dict[str, str] = {}

    def __call__(self, file: str | None) -> Any:
        from sim.scenario import Scenario
        from sim.scenario.source import read_bytes

        if file not in self._scenarios:
            if file is None:
                self._scenarios[file] = Scenario()
            else:
                path = self.folder / str(file)
                try:
                    data = (self._read or read_bytes)(path)
                except FileNotFoundError:
                    raise ScenarioError(f"{_clean(str(path))}: no such scenario file.") from None
                self._scenarios[file] = Scenario.from_bytes(data, origin=_clean(str(path)))
                self.sha256[str(file)] = hashlib.sha256(data).hexdigest()
        return self._scenarios[file]

    def ensemble(self, file: str | None) -> Any:
        """The calibrated ensemble (:class:`sim.runner.ensemble.Ensemble`) that the base
        scenario ``file`` names, read once (its hash in ``sha256``, keyed by its path);
        ScenarioError if the scenario names none or the file cannot be read."""
        from sim.runner.ensemble import ensemble_path, read_ensemble
        from sim.scenario.source import read_bytes

        if file not in self._ensembles:
            sc = self(file)
            what = _clean(str(self.folder / str(file))) if file is not None else \
                "the schema's defaults (no 'scenario')"
            where = None if file is None else ensemble_path(sc, self.folder / str(file))
            if where is None:
                raise ScenarioError(f"factors.set: {what} names no calibrated ensemble (its "
                                    f"key 'ensemble'), so there are no sets to pick; use a "
                                    f"calibrated scenario such as scenarios/online_2021.toml.")
            try:
                if not where.exists():
                    raise FileNotFoundError(2, "No such file", str(where))
                data = (self._read or read_bytes)(where)
            except FileNotFoundError:
                raise ScenarioError(f"{what}: key 'ensemble': no such file "
                                    f"{_clean(str(where))} (written by 'jambi-sim calibrate "
                                    f"... --apply').") from None
            except (OSError, ScenarioError) as exc:
                raise ScenarioError(f"{what}: key 'ensemble': {_clean(str(where))} cannot be "
                                    f"read ({_clean(str(exc))}).") from None
            self._ensembles[file] = read_ensemble(data, _clean(str(where)), base=sc)
            self.sha256[_clean(str(where))] = hashlib.sha256(data).hexdigest()
        return self._ensembles[file]

    def __repr__(self) -> str:
        return f"Bases({str(self.folder)!r})"


def load_experiment(path: str | Path, read: Callable[[Path], bytes] | None = None
                    ) -> tuple[Experiment, Bases]:
    """Load and check an experiment file; returns it and its base scenarios (read once,
    relative to the file's folder), which :func:`sim.studies.sweep` runs. ``read``: see
    :class:`Bases`."""
    path = Path(path)
    exp = read_spec(path, Experiment, "no such experiment file. Shipped experiments are in "
                                      "experiments/ (for example experiments/pathways.toml).",
                    read)
    check_names(exp, path)
    bases = Bases(path.resolve().parent, read)
    check_outputs_exist(exp, path, bases)
    return exp, bases


def check_outputs_exist(exp: Experiment, path: Path | str, bases: Bases) -> None:
    """Every output must exist for every base scenario (a yearly output within its
    simulated years): refused at load, not found NaN after every run."""
    if exp.model != "jambi":
        return
    from sim.runner.catalogue import check_outputs
    from sim.scenario.schema import _resolve

    if any(_resolve(n)[0] == "time" for n in parameter_factors(exp)):
        check_outputs(exp.outputs)  # the simulated years vary: names only
        return
    files = exp.factors["scenario"].values if "scenario" in exp.factors else [exp.scenario]
    for file in files:
        try:
            check_outputs(exp.outputs, bases(file).with_overrides(**exp.fixed))
        except ScenarioError as exc:
            raise _fail(path, str(exc)) from None


def check_names(exp: Experiment, path: Path | str) -> None:
    """Every factor and fixed name must be one ``sim.run`` accepts, with a usable range."""
    if exp.model != "jambi":
        for name, f in exp.factors.items():
            if f.range is None and f.values is None:
                raise _fail(path, f"factors.{name}: the {exp.model} model has no schema: give "
                                  f"'range = [lo, hi]'.")
        return
    from sim.scenario.names import resolve_all
    from sim.scenario.schema import Scenario, bounds

    for table, names in (("fixed", exp.fixed), ("factors", exp.factors)):
        try:
            resolve_all(Scenario, [n for n in names if not (table == "factors"
                                                            and n in (SCENARIO, SET))],
                        f"{table}: names")
        except ScenarioError as exc:
            raise _fail(path, f"{exc}") from None
    # a parameter both fixed and varied: the factor would silently replace the fixed value
    try:
        resolve_all(Scenario, [*exp.fixed, *parameter_factors(exp)],
                    "fixed and factors: names")
    except ScenarioError as exc:
        raise _fail(path, f"{exc}") from None
    for name, f in exp.factors.items():
        if name not in (SCENARIO, SET) and f.values is None:
            try:
                b = bounds([name], kind="plausible" if f.range is None else "validation")[name]
            except ScenarioError as exc:
                raise _fail(path, f"factors.{name}: {exc}") from None
            if f.range is not None and not (b.lo <= f.range[0] and f.range[1] <= b.hi):
                raise _fail(path, f"factors.{name}: range {list(f.range)} is outside the "
                                  f"allowed range {b.lo} to {b.hi}.")


def experiment_hash(exp: Experiment) -> str:
    # the [discover] table reads the runs and does not change them: it is left out, so a
    # file without one keeps the hash it had before the table existed
    return hashlib.sha256(json.dumps(exp.model_dump(mode="json", exclude={"discover"}),
                                     sort_keys=True).encode()).hexdigest()[:16]
