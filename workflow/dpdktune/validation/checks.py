"""The individual validation checks. Each returns issue rows in one shape (ISSUE_COLUMNS).

Errors (missing points, failed runs, out-of-range or unexplained-null metrics) make the
dataset untrustworthy; warnings (outliers, irreproducible groups) are worth a look.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dpdktune.knobs import expand_grid
from dpdktune.metrics.schema import KNOB_NAMES, METRIC_NAMES
from dpdktune.objective import objective_values

ISSUE_COLUMNS = ("check", "severity", "workload", *KNOB_NAMES, "trial", "run_id", "metric", "value", "detail")
GROUP = ["workload", *KNOB_NAMES]
MIN_OWN_SCALE = 3  # trials needed before a group's own MAD says anything about its spread

#: Physical bounds of each metric (inclusive); None = unbounded on that side.
METRIC_RANGES: dict[str, tuple[float | None, float | None]] = {
    "throughput_mpps": (0.0, None),
    "throughput_gbps": (0.0, None),
    "offered_mpps": (0.0, None),
    "drop_rate": (0.0, 1.0),
    "latency_p50_us": (0.0, None),
    "latency_p99_us": (0.0, None),
    "latency_p999_us": (0.0, None),
    "cpu_util": (0.0, 1.0),
    "useful_cycles_fraction": (0.0, 1.0),
    "cycles_per_packet": (0.0, None),
    "llc_misses_per_packet": (0.0, None),
    "pcie_rd_gbps": (0.0, None),
    "pcie_wr_gbps": (0.0, None),
    "dram_gbps": (0.0, None),
    "ddio_hit_rate": (0.0, 1.0),
}
#: Orderings that must hold between metrics of one run: (smaller, larger, slack factor).
METRIC_ORDER = (
    ("latency_p50_us", "latency_p99_us", 1.0),
    ("latency_p99_us", "latency_p999_us", 1.0),
    ("throughput_mpps", "offered_mpps", 1.05),  # noise on both counters
)


def _issues(frame: pd.DataFrame, **fixed: Any) -> pd.DataFrame:
    out = frame.assign(**fixed) if len(frame) else pd.DataFrame(columns=list(ISSUE_COLUMNS))
    for col in ISSUE_COLUMNS:
        if col not in out:
            out[col] = None
    return out.loc[:, list(ISSUE_COLUMNS)]


def missing_points(records: pd.DataFrame, config: dict[str, Any], workloads: list[str]) -> pd.DataFrame:
    """Expected (workload, config, trial) points with no record at all, ok or failed."""
    grid = pd.DataFrame([k.as_dict() for k in expand_grid(config["grid"])])
    expected = (
        pd.DataFrame({"workload": workloads})
        .merge(grid, how="cross")
        .merge(pd.DataFrame({"trial": range(config["trials"])}), how="cross")
    )
    keys = [*GROUP, "trial"]
    seen = records.loc[:, keys].drop_duplicates().assign(_seen=True)
    merged = expected.merge(seen.astype(expected.dtypes.to_dict()), on=keys, how="left")
    missing = merged[merged["_seen"].isna()].drop(columns="_seen")
    return _issues(missing, check="missing", severity="error", detail="no record for this grid point")


def failed_runs(records: pd.DataFrame) -> pd.DataFrame:
    """Runs recorded as failed, with the backend's reason."""
    failed = records[records.status != "ok"]
    frame = failed.loc[:, [*GROUP, "trial", "run_id"]].assign(
        detail=failed.failure_reason.fillna("no reason recorded").astype(str)
    )
    return _issues(frame, check="failed", severity="error")


def range_violations(records: pd.DataFrame) -> pd.DataFrame:
    """Metrics outside their physical range, broken orderings, and nulls with no stated reason."""
    ok = records[records.status == "ok"]
    parts = []
    for metric, (low, high) in METRIC_RANGES.items():
        if metric == "cpu_util":  # a per-core list: its extremes must be in range
            lists = ok[metric].map(lambda v: None if v is None or len(v) == 0 else np.asarray(v, float))
            lo = lists.map(lambda v: np.nan if v is None else v.min()).astype(float)
            hi = lists.map(lambda v: np.nan if v is None else v.max()).astype(float)
            values = hi.where(~(lo < low), lo)
        else:
            lo = hi = values = ok[metric].astype(float)
        bad = pd.Series(False, index=ok.index)
        if low is not None:
            bad |= lo < low
        if high is not None:
            bad |= hi > high
        bad |= np.isinf(values)
        frame = ok.loc[bad, [*GROUP, "trial", "run_id"]].assign(metric=metric, value=values[bad])
        parts.append(_issues(frame, check="range", severity="error", detail=f"outside [{low}, {high}]"))
        nulls = ok.loc[values.isna(), [*GROUP, "trial", "run_id", "missing_reasons"]]
        unexplained = nulls[np.array([metric not in json.loads(m if isinstance(m, str) and m else "{}") for m in nulls.missing_reasons], dtype=bool)]
        parts.append(
            _issues(
                unexplained.drop(columns="missing_reasons").assign(metric=metric),
                check="range", severity="error", detail="null with no missing_reasons entry",
            )
        )
    for small, large, slack in METRIC_ORDER:
        bad = ok[small] > ok[large] * slack
        frame = ok.loc[bad, [*GROUP, "trial", "run_id"]].assign(metric=small, value=ok.loc[bad, small])
        parts.append(_issues(frame, check="range", severity="error", detail=f"{small} > {large}"))
    return pd.concat(parts, ignore_index=True)


def outliers(records: pd.DataFrame, z_max: float) -> pd.DataFrame:
    """Trials whose robust z-score within their (workload, config) group exceeds `z_max`.

    z = (x - group median) / sigma, where sigma is the metric's trial-to-trial spread pooled
    over all groups: the median within-group std (relative to the mean, and absolute for
    metrics near zero), unbiased for the trial count, or the group's own spread (1.4826 MAD)
    if larger. So one trial far from agreeing others is an outlier, while evenly spread trials
    are not (the reproducibility check flags those). The MAD needs MIN_OWN_SCALE trials: with
    two, both sit at the same distance from their median, so both are flagged.
    """
    ok = records[records.status == "ok"]
    keys = [ok[c] for c in GROUP]
    parts = []
    trials = ok.groupby(keys, observed=True).size()
    dof = max(1, int(trials.median()) - 1) if len(trials) else 1
    unbias = stats.chi.median(dof) / np.sqrt(dof)  # median sample std / sigma
    for metric in (m for m in METRIC_NAMES if m != "cpu_util"):
        values = ok[metric].astype(float)
        grouped = values.groupby(keys, observed=True)
        median = grouped.transform("median")
        mad = (values - median).abs().groupby(keys, observed=True).transform("median")
        std, mean = grouped.std(), grouped.mean().abs()
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.nanmedian((std / mean).replace(np.inf, np.nan)) / unbias if std.notna().any() else 0.0
            absolute = np.nanmedian(std) / unbias if std.notna().any() else 0.0
        sigma = np.maximum(np.nan_to_num(rel) * median.abs(), np.nan_to_num(absolute))
        sigma = np.where(grouped.transform("count") >= MIN_OWN_SCALE, np.maximum(sigma, 1.4826 * mad), sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = pd.Series(np.where(sigma > 0, (values - median) / sigma, 0.0), index=values.index)
        bad = z.abs() > z_max
        frame = ok.loc[bad, [*GROUP, "trial", "run_id"]].assign(
            metric=metric, value=values[bad], detail=[f"robust z = {v:+.1f}" for v in z[bad]]
        )
        parts.append(_issues(frame, check="outlier", severity="warning"))
    return pd.concat(parts, ignore_index=True)


def reproducibility(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Per (workload, config) group: trials, mean, std and CV of the objective across trials."""
    ok = records[records.status == "ok"].assign(objective=objective_values(records, config))
    stats = ok.groupby(GROUP, observed=True)["objective"].agg(n_ok="count", mean="mean", std="std").reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        stats["cv"] = (stats["std"] / stats["mean"].abs()).where(stats["mean"].abs() > 0, 0.0)
    stats["cv_flagged"] = stats["cv"] > config["validate"]["cv_threshold"]
    return stats


def irreproducible(groups: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Issue rows for the groups whose CV across trials exceeds `threshold`."""
    flagged = groups[groups.cv_flagged]
    frame = flagged.loc[:, GROUP].assign(
        metric="objective", value=flagged.cv, detail=[f"CV {v:.1%} > {threshold:.0%} over {n} trials" for v, n in zip(flagged.cv, flagged.n_ok)]
    )
    return _issues(frame, check="reproducibility", severity="warning")
