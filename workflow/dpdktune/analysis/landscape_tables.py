"""The performance landscape: dynamic range, top configs, penalties, and workload clusters."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from dpdktune.knobs import expand_grid
from dpdktune.metrics.schema import KNOB_NAMES
from dpdktune.objective import objective_table


def performance(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Long frame: one row per (workload, config index) with its knobs and mean objective."""
    table = objective_table(records, config)
    grid = pd.DataFrame([k.as_dict() for k in expand_grid(config["grid"])])
    grid.index.name = "config_index"
    long = table.stack(future_stack=True).rename("objective").reset_index()
    long = long.merge(grid.reset_index(), on="config_index", how="left")
    long["relative"] = long.objective / long.groupby("workload").objective.transform("max")
    return long.loc[:, ["workload", "config_index", *KNOB_NAMES, "objective", "relative"]]


def dynamic_range(perf: pd.DataFrame, high: float, low: float) -> pd.DataFrame:
    """max/min of the objective per workload (inf when some config scores 0), and its class."""
    stats = perf.groupby("workload").objective.agg(best="max", worst="min", mean="mean").reset_index()
    with np.errstate(divide="ignore"):
        stats["ratio"] = np.where(stats.worst > 0, stats.best / stats.worst.where(stats.worst > 0, 1.0), np.inf)
    stats["sensitivity"] = np.select([stats.ratio > high, stats.ratio < low], ["high", "low"], "medium")
    return stats.sort_values("ratio", ascending=False, ignore_index=True)


def top_configs(perf: pd.DataFrame, k: int = 3) -> pd.DataFrame:
    """The k best configs of each workload, with the gap of each to the workload's best."""
    ranked = perf.dropna(subset=["objective"]).sort_values(
        ["workload", "objective", "config_index"], ascending=[True, False, True]
    )
    top = ranked.groupby("workload").head(k).copy()
    top["rank"] = top.groupby("workload").cumcount() + 1
    top["gap_to_best"] = 1.0 - top.relative
    return top.loc[:, ["workload", "rank", "config_index", *KNOB_NAMES, "objective", "gap_to_best"]].reset_index(
        drop=True
    )


def _knob_distance(a: pd.Series, b: pd.Series) -> float:
    """L1 distance between two configs in log2 steps (one grid step of a power-of-two axis = 1)."""
    return float(sum(abs(np.log2(a[k]) - np.log2(b[k])) for k in KNOB_NAMES))


def diversity(top: pd.DataFrame) -> dict[str, Any]:
    """How different the workloads' optima are."""
    best = top[top["rank"] == 1]
    pairs = [_knob_distance(a, b) for (_, a), (_, b) in combinations(best.iterrows(), 2)]
    return {
        "workloads": int(len(best)),
        "distinct_best": int(best.config_index.nunique()),
        "distinct_top": int(top.config_index.nunique()),
        "mean_pairwise_log2_distance": float(np.mean(pairs)) if pairs else 0.0,
        "share_of_workloads_with_unique_best": float(
            (best.config_index.map(best.config_index.value_counts()) == 1).mean()
        )
        if len(best)
        else 0.0,
    }


def penalty_matrix(perf: pd.DataFrame) -> pd.DataFrame:
    """Long frame: workload i run under workload j's best config; penalty = 1 - obj_i(best_j)/obj_i(best_i)."""
    wide = perf.pivot(index="workload", columns="config_index", values="objective")
    best = wide.idxmax(axis=1)
    rows = []
    for i in wide.index:
        for j in wide.index:
            achieved, own = wide.at[i, best[j]], wide.loc[i].max()
            rows.append((i, j, int(best[j]), achieved, 1.0 - achieved / own if own > 0 else 0.0))
    return pd.DataFrame(rows, columns=["workload", "config_of", "config_index", "objective", "penalty"])


def clusters(perf: pd.DataFrame, fingerprints: pd.DataFrame, n_clusters: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Ward clusters of workloads by optimal config (log2 knobs) and by mean fingerprint."""
    best = perf.loc[perf.dropna(subset=["objective"]).groupby("workload").objective.idxmax()].set_index("workload")
    names = sorted(set(best.index) & set(fingerprints.index.get_level_values("workload")))
    by_config = np.log2(best.loc[names, list(KNOB_NAMES)].astype(float).to_numpy())
    fp = fingerprints.groupby(level="workload").mean().loc[names]
    fp = fp.loc[:, fp.std() > 0]
    by_fp = ((fp - fp.mean()) / fp.std()).fillna(0.0).to_numpy()
    k = max(1, min(n_clusters, len(names) - 1))
    labels = {}
    for key, x in (("by_config", by_config), ("by_fingerprint", by_fp)):
        labels[key] = (
            fcluster(linkage(x, "ward"), k, criterion="maxclust")
            if len(names) > 2 and x.shape[1]
            else np.ones(len(names), int)
        )
    frame = pd.DataFrame(
        {
            "workload": names,
            "cluster_by_config": labels["by_config"],
            "cluster_by_fingerprint": labels["by_fingerprint"],
        }
    )
    agreement = {
        "n_clusters": k,
        "adjusted_rand_index": float(adjusted_rand_score(labels["by_config"], labels["by_fingerprint"])),
    }
    return frame, agreement
