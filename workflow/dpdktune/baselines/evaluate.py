"""Leave-workload-out scoring of any tuning policy, on shared seeded splits.

A policy is scored by `score_policy(fit_policy, X, table, splits)`. `fit_policy(X_train,
Y_train)` trains on the training workloads only and returns `choose(X_test) -> config
indices`. X is the fingerprint frame (index (workload, trial), FINGERPRINT_FEATURES
columns, from `fingerprint.fingerprints`); table is `objective.objective_table` (workload x
config index, mean objective over trials). The RL policy is scored with the same function
and splits.

Oracle bias. The best of many noisy means is biased upward (the winner's curse), and more so
where trials disagree most. Given the per-trial table (`objective.trial_table`), every test
decision on trial t is scored on trial t alone, and the oracle of that decision is the config
best on the workload's *other* trials (cross-fitting): choice and score never share a trial.
Without it (one trial, or `trials=None`), the oracle is chosen and scored on the same means.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from dpdktune.baselines import LinearBaseline, LookupTable, Oracle, RuleBased, StaticBest, TreeBaseline
from dpdktune.knobs import expand_grid
from dpdktune.sections import section
from dpdktune.splits import workload_splits

Choose = Callable[[pd.DataFrame], np.ndarray]
FitPolicy = Callable[[pd.DataFrame, np.ndarray], Choose]

STATIC_MEAN, STATIC_WORST = "Static (best mean)", "Static (best worst-case)"
#: Baseline display names, in report column order (Oracle last).
BASELINES = (STATIC_MEAN, STATIC_WORST, "Rules", "Lookup", "Linear", "DT-5", "Oracle")
SCORE_COLUMNS = (
    "policy",
    "split",
    "workload",
    "trial",
    "config_index",
    "achieved",
    "oracle",
    "gap",
    "inference_us",
    "achieved_mean",
    "oracle_mean",
)
CROSS_FITTED = "cross-fitted: the oracle is chosen on a workload's other trials and scored on the held-out trial"
IN_SAMPLE = "in-sample: the oracle is chosen and scored on the same trial means (biased upward)"


def targets(X: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    """Y for `X`: each sample's row of the objective table (n_samples x n_configs)."""
    return table.loc[X.index.get_level_values("workload")].to_numpy(dtype=float)


def _time_per_decision(choose: Choose, X: pd.DataFrame, repeats: int = 5) -> float:
    """Median wall time of one single-sample decision, in microseconds."""
    rows = [X.iloc[[i % len(X)]] for i in range(repeats)]
    times = []
    for row in rows:
        start = time.perf_counter()
        choose(row)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e6)


def _cross_fitted(trials: pd.DataFrame | None) -> bool:
    return trials is not None and trials.index.get_level_values("trial").nunique() >= 2


def _held_out(table: pd.DataFrame, trials: pd.DataFrame | None):
    """(values, oracle config) per (workload, trial) for scoring: cross-fitted when possible."""
    if not _cross_fitted(trials):
        return None
    mean = table.reindex(trials.index.get_level_values("workload")).to_numpy(float)
    values = trials.to_numpy(float)
    values = np.where(np.isnan(values), mean, values)  # a failed trial: the workload's mean over trials
    sums = trials.groupby(level="workload").transform("sum").to_numpy(float)
    counts = trials.notna().groupby(level="workload").transform("sum").to_numpy(float)
    own = np.nan_to_num(trials.to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        others = (np.nan_to_num(sums) - own) / (counts - trials.notna().to_numpy())
    others = np.where(np.isfinite(others), others, -np.inf)
    oracle = pd.Series(others.argmax(axis=1), index=trials.index)
    return pd.DataFrame(np.nan_to_num(values), index=trials.index, columns=trials.columns), oracle


def oracle_selection(trials: pd.DataFrame | None) -> str:
    """How the oracle was chosen and scored (for the report)."""
    return CROSS_FITTED if _cross_fitted(trials) else IN_SAMPLE


def score_policy(
    fit_policy: FitPolicy, X: pd.DataFrame, table: pd.DataFrame, splits, name: str, trials: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per test decision per split: chosen config, achieved objective, oracle, gap.

    With `trials` (index (workload, trial)), decisions are scored on their own trial and the
    oracle is cross-fitted (module docstring); a gap can then be slightly negative.
    """
    values = table.fillna(0.0)
    oracle = values.max(axis=1)
    held = _held_out(table, trials) if trials is not None else None
    workloads = X.index.get_level_values("workload")
    parts = []
    for split, (train, test) in enumerate(splits):
        x_train, x_test = X[workloads.isin(train)], X[workloads.isin(test)]
        if x_test.empty or x_train.empty:
            continue
        choose = fit_policy(x_train, targets(x_train, table))
        chosen = np.asarray(choose(x_test), dtype=int)
        test_names = x_test.index.get_level_values("workload")
        test_trials = x_test.index.get_level_values("trial").astype(int)
        rows_mean = values.index.get_indexer(test_names)
        achieved_mean = values.to_numpy()[rows_mean, chosen]  # in-sample: the same means the oracle is chosen on
        oracle_mean = oracle.loc[test_names].to_numpy()
        if held is None:
            achieved, best = achieved_mean, oracle_mean
        else:
            trial_values, trial_oracle = held
            rows = trial_values.index.get_indexer(pd.MultiIndex.from_arrays([test_names, test_trials]))
            if (rows < 0).any():
                raise ValueError(f"score_policy: fingerprints of {name} have no trial in the objective table")
            achieved = trial_values.to_numpy()[rows, chosen]
            best = trial_values.to_numpy()[rows, trial_oracle.to_numpy()[rows]]
        parts.append(
            pd.DataFrame(
                {
                    "policy": name,
                    "split": split,
                    "workload": test_names,
                    "trial": test_trials,
                    "config_index": chosen,
                    "achieved": achieved,
                    "oracle": best,
                    "gap": np.divide(best - achieved, best, out=np.zeros_like(best), where=best > 0),
                    "inference_us": _time_per_decision(choose, x_test),
                    "achieved_mean": achieved_mean,
                    "oracle_mean": oracle_mean,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(SCORE_COLUMNS))


def estimator_policy(estimator) -> FitPolicy:
    """A `FitPolicy` from a baseline estimator (fit on a fresh clone each split)."""

    def fit(x_train: pd.DataFrame, y_train: np.ndarray) -> Choose:
        model = clone(estimator).fit(x_train, y_train)
        return model.predict

    return fit


def make_baselines(config: dict[str, Any], table: pd.DataFrame, trials: pd.DataFrame | None = None) -> dict[str, Any]:
    """The plan's baselines with their settings from the `baselines` config section."""
    opts = section(config, "baselines")
    grid = expand_grid(config["grid"])
    seed = int(config["seed"])
    return {
        STATIC_MEAN: StaticBest("mean"),
        STATIC_WORST: StaticBest("worst"),
        "Rules": RuleBased(grid, max_rules=opts.max_rules, n_features=opts.rule_features),
        "Lookup": LookupTable(
            grid, n_entries=opts.lookup_entries, n_key_features=opts.lookup_key_features, random_state=seed
        ),
        "Linear": LinearBaseline(grid, alpha=opts.ridge_alpha),
        "DT-5": TreeBaseline(max_depth=opts.tree_depth, random_state=seed),
        "Oracle": Oracle(table, trials),
    }


def splits_for(config: dict[str, Any], workloads) -> list:
    """The shared leave-workload-out splits (seeded by the config's `seed`)."""
    opts = section(config, "baselines")
    return workload_splits(list(workloads), opts.split_repeats, opts.test_fraction, int(config["seed"]))


def score_baselines(
    X: pd.DataFrame, table: pd.DataFrame, config: dict[str, Any], trials: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every baseline scored on the same splits (cross-fitted when `trials` is given)."""
    splits = splits_for(config, sorted(set(X.index.get_level_values("workload"))))
    return pd.concat(
        [
            score_policy(estimator_policy(est), X, table, splits, name, trials)
            for name, est in make_baselines(config, table, trials).items()
        ],
        ignore_index=True,
    )
