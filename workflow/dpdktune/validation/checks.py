"""The individual validation checks. Each returns issue rows in one shape (ISSUE_COLUMNS).

Errors (missing points, failed runs, out-of-range or unexplained-null metrics) make the
dataset untrustworthy; warnings (outliers, irreproducible groups) are worth a look.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dpdktune.knobs import expand_grid
from dpdktune.metrics.schema import KNOB_NAMES, METRIC_NAMES
from dpdktune.objective import objective_values, slo

ISSUE_COLUMNS = ("check", "severity", "workload", *KNOB_NAMES, "trial", "run_id", "metric", "value", "detail")
GROUP = ["workload", *KNOB_NAMES]

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


#: Share of the pooled deviations that may be contaminated without moving the noise scale.
_SCALE_QUANTILE = 0.95
#: Fewest non-median deviations a pool needs for its own 95th percentile (about 2 above it).
MIN_POOL = 40


@lru_cache(maxsize=16)
def _deviation_quantile(n: int, q: float) -> float:
    """The q-quantile of |x - group median| over the non-median members of normal groups of
    `n` trials, in units of sigma: turns pooled deviations of small groups into a consistent
    sigma (with 3 trials one deviation per group is 0 by construction). Fixed seed."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20000, n))
    dev = np.abs(x - np.median(x, axis=1, keepdims=True))
    return float(np.quantile(dev[dev > 1e-12], q))


def _pooled_quantile(spread: pd.Series, pool: list, workload: pd.Series) -> pd.Series:
    """Per run, the `_SCALE_QUANTILE` of the non-median deviations of its pool; a pool with
    fewer than MIN_POOL of them borrows the quantile of its whole workload instead."""
    by_pool = spread.groupby(pool, observed=True)
    q = by_pool.transform(lambda v: v.quantile(_SCALE_QUANTILE))
    small = by_pool.transform("count") < MIN_POOL
    wide = spread.groupby(workload, observed=True).transform(lambda v: v.quantile(_SCALE_QUANTILE))
    return q.where(~small, wide).fillna(0.0)


def outliers(records: pd.DataFrame, z_max: float) -> pd.DataFrame:
    """Trials far from their (workload, config) group, against a noise scale pooled over the
    workload's configs at the same core count.

    Three trials cannot estimate their own spread, so each metric's scale is pooled: sigma is
    the 95th percentile of |x - group median| over the pool's non-median members (other
    groups only), divided by the same quantile for normal noise. Pooling per core count keeps configs of one regime
    together (a CPU-bound core jitters by percents, a wire-bound one barely; a pool with too
    few configs borrows the scale of its workload), and the high
    quantile follows the heavy tails of burst and stall effects on latency instead of the
    quietest configs, while up to 5 % of contaminated points cannot move it. A metric positive
    everywhere in the pool is compared on a log scale. `z_max` is the per-run false-alarm
    level of normal noise: each metric is tested at the threshold that keeps the family of
    metrics of one run at that level (Bonferroni), so adding metrics does not add alarms.
    """
    ok = records[records.status == "ok"]
    metrics = [m for m in METRIC_NAMES if m != "cpu_util"]
    per_metric_z = float(stats.norm.isf(stats.norm.sf(z_max) / len(metrics)))
    trials = ok.groupby([ok[c] for c in GROUP], observed=True).size()
    scale = _deviation_quantile(max(2, int(trials.median()) if len(trials) else 2), _SCALE_QUANTILE)
    pool = [ok.workload, ok.cores]
    group = [ok[c] for c in GROUP]
    parts = []
    for metric in metrics:
        values = ok[metric].astype(float)
        logged = (values > 0).groupby(pool, observed=True).transform("all") & values.notna()
        with np.errstate(divide="ignore", invalid="ignore"):
            y = pd.Series(np.where(logged, np.log(values.where(values > 0)), values), index=values.index)
        dev = y - y.groupby(group, observed=True).transform("median")
        spread = dev.abs().where(dev.abs() > 1e-12)
        q = _pooled_quantile(spread, pool, ok.workload) / scale
        typical = values.abs().groupby(pool, observed=True).transform("median")
        floor = np.where(logged, 1e-3, 1e-3 * typical.where(typical > 0, values.abs().groupby(pool, observed=True)
                                                                  .transform("max")).fillna(1.0).replace(0.0, 1.0))
        z = (dev / np.maximum(q, floor)).fillna(0.0)
        bad = z.abs() > per_metric_z
        frame = ok.loc[bad, [*GROUP, "trial", "run_id"]].assign(
            metric=metric, value=values[bad],
            detail=[f"z = {v:+.1f}, beyond ±{per_metric_z:.2f} (scale pooled over the workload at this core count)"
                    for v in z[bad]]
        )
        parts.append(_issues(frame, check="outlier", severity="warning"))
    return pd.concat(parts, ignore_index=True)


def slo_verdicts(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Per (workload, config): how many trials pass the SLO as a pass/fail verdict (loss <=
    slo.loss and p99 <= slo.p99_us), and whether the trials disagree (`verdict_flip`)."""
    s = slo(config)
    ok = records[records.status == "ok"]
    passed = (ok.drop_rate <= s["loss"]) & (ok.latency_p99_us <= s["p99_us"])
    grouped = passed.groupby([ok[c] for c in GROUP], observed=True)
    out = grouped.agg(slo_pass="sum", slo_trials="count").reset_index()
    out["verdict_flip"] = (out.slo_pass > 0) & (out.slo_pass < out.slo_trials)
    return out


def objective_stability(records: pd.DataFrame, groups: pd.DataFrame, config: dict[str, Any]) -> dict[str, Any]:
    """How far the continuous objective moves between the trials of one config, next to the
    pass/fail verdict: max/min ratio quantiles over configs (all, and where the verdict flips),
    and how many configs rank in their workload's top 10 % on one trial but bottom half on another."""
    ok = records[records.status == "ok"].assign(objective=objective_values(records, config))
    grouped = ok.groupby(GROUP, observed=True).objective
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (grouped.max() / grouped.min()).replace([np.inf, -np.inf], np.nan).dropna()
    flipped = groups.set_index(GROUP).verdict_flip.reindex(ratio.index).fillna(False).astype(bool)
    rank = ok.groupby(["workload", "trial"]).objective.rank(pct=True)
    spread = rank.groupby([ok[c] for c in GROUP], observed=True).agg(["min", "max"])
    q = ratio.quantile([0.5, 0.99]) if len(ratio) else pd.Series([np.nan, np.nan], index=[0.5, 0.99])
    return {
        "objective": config["objective"],
        "median_max_min_ratio": float(q.loc[0.5]), "p99_max_min_ratio": float(q.loc[0.99]),
        "max_max_min_ratio": float(ratio.max()) if len(ratio) else float("nan"),
        "flipped_median_max_min_ratio": float(ratio[flipped].median()) if flipped.any() else float("nan"),
        "top_to_bottom_half": int(((spread["max"] >= 0.9) & (spread["min"] <= 0.5)).sum()),
        "configs": int(len(spread)),
    }


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
