"""Studies too large to run directly: a Gaussian-process emulator on a space-filling design.

A Sobol' study of 20 parameters at N = 512 with 5 replications is about 107,000 runs, days on
two cores. Instead: run a Latin hypercube (``design = "lhs"``, a few hundred points), fit a
Gaussian process (scikit-learn) to the per-point means, check it on held-out points, and
compute the Sobol' indices from the emulator's mean, which costs nothing to evaluate. The
held-out error (R^2 and RMSE, in the output's unit) is reported beside the indices: indices
from a poor emulator describe the emulator, not the model. Needs ``scikit-learn``
(``pip install -e '.[surrogate]'``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sim.studies.design import Design
from sim.studies.sensitivity import report_head
from sim.studies.spec import Experiment, ExperimentError

EMULATOR_N = 1024     # Sobol' base samples drawn from the emulator
HOLDOUT_SHARE = 0.2   # points kept out of the fit to measure the emulator's error


def _gp(seed: int):
    try:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    except ImportError:
        raise ExperimentError("the surrogate path needs scikit-learn: pip install -e "
                              "'.[surrogate]'.") from None

    def make(dim: int):
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * \
            Matern(length_scale=np.full(dim, 0.5), length_scale_bounds=(1e-2, 1e2), nu=2.5) + \
            WhiteKernel(1e-2, (1e-8, 1.0))
        return GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=1,
                                        random_state=seed)
    return make


def fit_emulator(X: np.ndarray, y: np.ndarray, lo: np.ndarray, hi: np.ndarray, seed: int):
    """A fitted GP on inputs scaled to [0, 1]; returns predict(X) -> mean."""
    import warnings

    make = _gp(seed)
    from threadpoolctl import threadpool_limits

    # One BLAS thread: on a busy 2-core machine, threaded BLAS on these small matrices made
    # the fit about seven times slower.
    with warnings.catch_warnings(), threadpool_limits(1):
        # a noise level at its bound is an answer, not a fault
        warnings.filterwarnings("ignore", message=".*close to the specified")
        gp = make(X.shape[1]).fit((X - lo) / (hi - lo), y)
    return lambda Z: gp.predict((np.atleast_2d(Z) - lo) / (hi - lo)), gp


def analyse_surrogate(exp: Experiment, design: Design, table: pd.DataFrame) -> dict[str, Any]:
    """Held-out check and emulator Sobol' indices for every output (the sensitivity.json)."""
    from SALib import ProblemSpec

    from sim.studies.sensitivity import _list, noise_warning, point_means

    if exp.design != "lhs":
        raise ExperimentError("the surrogate path needs a space-filling design: design = 'lhs'")
    from sim.studies.sensitivity import MIN_LHS_POINTS

    if len(design.points) < MIN_LHS_POINTS:
        raise ExperimentError(f"experiment '{exp.name}': an emulator needs at least "
                              f"{MIN_LHS_POINTS} points (some to fit it, some held out to "
                              f"check it); samples = {exp.samples}. Raise 'samples'.")
    X = design.X
    bounds = np.array(design.problem["bounds"], dtype=float)
    lo, hi = bounds[:, 0], bounds[:, 1]
    rng = np.random.default_rng(np.random.SeedSequence(exp.seed, spawn_key=(1,)))
    order = rng.permutation(len(X))
    n_test = max(2, int(round(HOLDOUT_SHARE * len(X))))
    test, train = order[:n_test], order[n_test:]
    report = report_head(exp, design, emulator={
        "kind": "Gaussian process (Matern 5/2 + white noise)", "train_points": len(train),
        "test_points": n_test, "sobol_base_samples": EMULATOR_N})
    report["design"] = "surrogate"
    for output in exp.outputs:
        y, noise = point_means(exp, table, output)
        entry: dict[str, Any] = {"noise_share": noise}
        if noise_warning(output, noise):  # the emulator is fitted to these point means
            report["warnings"].append(noise_warning(output, noise))
        if np.isnan(y).any() or np.nanvar(y) == 0:
            msg = f"{output}: missing or constant values; no emulator for it."
            report["warnings"].append(msg)
            entry["error"] = msg
            report["outputs"][output] = entry
            continue
        predict, _ = fit_emulator(X[train], y[train], lo, hi, exp.seed)
        pred = predict(X[test])
        resid = y[test] - pred
        r2 = 1.0 - float(np.sum(resid ** 2) / np.sum((y[test] - y[test].mean()) ** 2))
        entry["holdout_r2"] = round(r2, 4)
        entry["holdout_rmse"] = float(np.sqrt(np.mean(resid ** 2)))
        entry["output_sd"] = float(np.std(y))
        predict, gp = fit_emulator(X, y, lo, hi, exp.seed)  # refit on every point
        entry["kernel"] = str(gp.kernel_)
        sp = ProblemSpec({"names": design.names, "bounds": bounds.tolist(), "outputs": [output]})
        sp.sample_sobol(EMULATOR_N, calc_second_order=exp.second_order, seed=exp.seed)
        sp.set_results(predict(sp.samples))
        sp.analyze_sobol(calc_second_order=exp.second_order, num_resamples=200,
                         conf_level=0.95, seed=exp.seed)
        a = sp.analysis
        entry.update({k: _list(a[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")})
        if exp.second_order:
            entry["S2"], entry["S2_conf"] = _list(a["S2"]), _list(a["S2_conf"])
        entry["convergence"] = []
        if r2 < 0.8:
            report["warnings"].append(
                f"{output}: the emulator explains only {r2:.0%} of the variance of held-out "
                f"points (RMSE {entry['holdout_rmse']:.4g}); its indices describe the emulator, "
                f"not the model: add points ('samples') or reps.")
        report["outputs"][output] = entry
    return report
