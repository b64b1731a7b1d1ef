"""Leave-workload-out scoring of any tuning policy, on shared seeded splits.

A policy is scored by `score_policy(fit_policy, X, table, splits)`. `fit_policy(X_train,
Y_train)` trains on the training workloads only and returns `choose(X_test) -> config
indices`. X is the fingerprint frame (index (workload, trial), FINGERPRINT_FEATURES
columns, from `fingerprint.fingerprints`); table is `objective.objective_table` (workload x
config index, mean objective over trials). The achieved objective of a decision is the
table's value for the test workload at the chosen config (a config that failed every
trial counts as 0). The RL policy (issue #5) is scored with the same function and splits.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.base import clone

from dpdktune.baselines import LinearBaseline, LookupTable, Oracle, RuleBased, StaticBest, TreeBaseline
from dpdktune.knobs import expand_grid
from dpdktune.splits import workload_splits

Choose = Callable[[pd.DataFrame], np.ndarray]
FitPolicy = Callable[[pd.DataFrame, np.ndarray], Choose]

#: Baseline display names, in report column order (Oracle last).
BASELINES = ("Static-avg", "Static-worst", "Rules", "Lookup", "Linear", "DT-5", "Oracle")
SCORE_COLUMNS = ("policy", "split", "workload", "trial", "config_index", "achieved", "oracle", "gap", "inference_us")


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


def score_policy(fit_policy: FitPolicy, X: pd.DataFrame, table: pd.DataFrame, splits, name: str) -> pd.DataFrame:
    """One row per test decision per split: chosen config, achieved objective, oracle, gap."""
    values = table.fillna(0.0)
    oracle = values.max(axis=1)
    workloads = X.index.get_level_values("workload")
    parts = []
    for split, (train, test) in enumerate(splits):
        x_train, x_test = X[workloads.isin(train)], X[workloads.isin(test)]
        if x_test.empty or x_train.empty:
            continue
        choose = fit_policy(x_train, targets(x_train, table))
        chosen = np.asarray(choose(x_test), dtype=int)
        test_names = x_test.index.get_level_values("workload")
        achieved = values.to_numpy()[values.index.get_indexer(test_names), chosen]
        best = oracle.loc[test_names].to_numpy()
        parts.append(pd.DataFrame({
            "policy": name,
            "split": split,
            "workload": test_names,
            "trial": x_test.index.get_level_values("trial").astype(int),
            "config_index": chosen,
            "achieved": achieved,
            "oracle": best,
            "gap": np.divide(best - achieved, best, out=np.zeros_like(best), where=best > 0),
            "inference_us": _time_per_decision(choose, x_test),
        }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(SCORE_COLUMNS))


def estimator_policy(estimator) -> FitPolicy:
    """A `FitPolicy` from a baseline estimator (fit on a fresh clone each split)."""
    def fit(x_train: pd.DataFrame, y_train: np.ndarray) -> Choose:
        model = clone(estimator).fit(x_train, y_train)
        return model.predict
    return fit


def make_baselines(config: dict[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    """The plan's baselines with their settings from the `baselines` config section."""
    opts = config.get("baselines") or {}
    grid = expand_grid(config["grid"])
    seed = int(config["seed"])
    return {
        "Static-avg": StaticBest("mean"),
        "Static-worst": StaticBest("worst"),
        "Rules": RuleBased(grid, max_rules=opts.get("max_rules", 4), n_features=opts.get("rule_features", 5)),
        "Lookup": LookupTable(grid, n_entries=opts.get("lookup_entries", 16),
                              n_key_features=opts.get("lookup_key_features", 4), random_state=seed),
        "Linear": LinearBaseline(grid, alpha=opts.get("ridge_alpha", 1.0)),
        "DT-5": TreeBaseline(max_depth=opts.get("tree_depth", 5), random_state=seed),
        "Oracle": Oracle(table),
    }


def splits_for(config: dict[str, Any], workloads) -> list:
    """The shared leave-workload-out splits (seeded by the config's `seed`)."""
    opts = config.get("baselines") or {}
    return workload_splits(list(workloads), int(opts.get("split_repeats", 10)),
                           float(opts.get("test_fraction", 0.3)), int(config["seed"]))


def score_baselines(X: pd.DataFrame, table: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Every baseline scored on the same splits."""
    splits = splits_for(config, sorted(set(X.index.get_level_values("workload"))))
    return pd.concat(
        [score_policy(estimator_policy(est), X, table, splits, name) for name, est in make_baselines(config, table).items()],
        ignore_index=True,
    )
