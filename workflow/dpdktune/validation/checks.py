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
from scipy import optimize, stats

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
        unexplained = nulls[
            np.array(
                [metric not in json.loads(m if isinstance(m, str) and m else "{}") for m in nulls.missing_reasons],
                dtype=bool,
            )
        ]
        parts.append(
            _issues(
                unexplained.drop(columns="missing_reasons").assign(metric=metric),
                check="range",
                severity="error",
                detail="null with no missing_reasons entry",
            )
        )
    for small, large, slack in METRIC_ORDER:
        bad = ok[small] > ok[large] * slack
        frame = ok.loc[bad, [*GROUP, "trial", "run_id"]].assign(metric=small, value=ok.loc[bad, small])
        parts.append(_issues(frame, check="range", severity="error", detail=f"{small} > {large}"))
    return pd.concat(parts, ignore_index=True)


#: Fewest non-median deviations a pool needs for its own scale; a smaller pool borrows its workload's.
MIN_POOL = 40
#: The tail of a metric's normalized deviations is fitted (generalized Pareto) between these two
#: quantiles of its nonzero |z|; what lies above the upper one counts only by number (censored),
#: so corrupted trials cannot inflate the fitted tail until they fill it. A corrupted trial is
#: never its group's median, so 1 % of corrupted runs is 1.5 % of the nonzero deviations of
#: 3-trial groups: censoring above 98.5 % tolerates the 1 % of flagged runs the report accepts.
TAIL_QUANTILE = 0.9
CENSOR_QUANTILE = 0.985
#: Fewest exceedances for a maximum-likelihood shape; fewer fit an exponential tail (shape 0).
MIN_TAIL = 50


@lru_cache(maxsize=16)
def _deviation_quantile(n: int, q: float) -> float:
    """The q-quantile of |x - group median| over the non-median members of normal groups of
    `n` trials, in units of sigma: turns pooled deviations of small groups into a consistent
    sigma (with 3 trials one deviation per group is 0 by construction). Fixed seed."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20000, n))
    dev = np.abs(x - np.median(x, axis=1, keepdims=True))
    return float(np.quantile(dev[dev > 1e-12], q))


def _pooled_median(spread: pd.Series, pool: list, workload: pd.Series) -> pd.Series:
    """Per run, the median of the non-median deviations of its pool; a pool with fewer than
    MIN_POOL of them borrows the median of its whole workload instead."""
    by_pool = spread.groupby(pool, observed=True)
    small = by_pool.transform("count") < MIN_POOL
    wide = spread.groupby(workload, observed=True).transform("median")
    return by_pool.transform("median").where(~small, wide).fillna(0.0)


def tail_threshold(z: np.ndarray, alpha: float) -> tuple[float, float]:
    """(threshold, shape): the |z| that noise like `z`'s exceeds with probability `alpha`.

    Peaks over threshold: the exceedances of the TAIL_QUANTILE of the nonzero |z| follow a
    generalized Pareto distribution for almost any noise (light tails with shape 0, power
    laws with shape > 0). Its shape and scale are fitted by maximum likelihood, censored at
    CENSOR_QUANTILE, and the tail is extrapolated to `alpha`, a share of all of `z`. With
    fewer than MIN_TAIL exceedances the shape is fixed at 0 (exponential tail)."""
    z = np.abs(np.asarray(z, float))
    z = z[np.isfinite(z)]
    nonzero = z[z > 0]
    if len(nonzero) == 0:
        return float("inf"), 0.0
    u, top = (float(v) for v in np.quantile(nonzero, [TAIL_QUANTILE, CENSOR_QUANTILE]))
    share = float((nonzero > u).sum()) / len(z)
    if share <= alpha or top <= u:
        return float(nonzero.max()), 0.0
    excess = nonzero[(nonzero > u) & (nonzero <= top)] - u
    censored, c = int((nonzero > top).sum()), top - u
    shape, sigma = 0.0, (excess.sum() + censored * c) / max(1, len(excess))
    if len(excess) + censored >= MIN_TAIL:

        def nll(theta: np.ndarray) -> float:
            xi, s = theta[0], np.exp(theta[1])
            with np.errstate(all="ignore"):
                ll = stats.genpareto.logpdf(excess, xi, scale=s).sum() + censored * stats.genpareto.logsf(
                    c, xi, scale=s
                )
            return -ll if np.isfinite(ll) else np.inf

        fit = optimize.minimize(nll, np.array([0.1, np.log(sigma)]), method="Nelder-Mead")
        if fit.success and np.isfinite(fit.fun):
            shape, sigma = float(fit.x[0]), float(np.exp(fit.x[1]))
    ratio = share / alpha
    grow = np.log(ratio) if abs(shape) < 1e-9 else (ratio**shape - 1.0) / shape
    return float(u + sigma * grow), shape


def outliers(records: pd.DataFrame, z_max: float, flipped: pd.DataFrame | None = None) -> pd.DataFrame:
    """Trials inconsistent with their metric's noise, at a stated false-alarm rate.

    Three trials cannot estimate their own spread, so each metric's deviation from its
    (workload, config) group median is divided by a scale pooled over the workload's configs
    at the same core count: the median of the pool's non-median deviations (a pooled MAD),
    made consistent for normal noise. The noise of these metrics is not normal (OS stalls,
    bursts and capacity knees give heavy tails), so the threshold is not a normal quantile but
    the quantile of the metric's own fitted tail (tail_threshold), at the per-run false-alarm
    rate of a two-sided `z_max` test split over the metrics (Bonferroni). A metric positive
    everywhere in the pool is compared on a log scale.

    With `flipped` (slo_verdicts' table), a flagged trial of a config whose SLO verdict flips
    between trials says so in `detail`: such configs sit on a knee, where trials differ by
    regime; they stay tested, since a corrupted trial can flip a verdict too.
    """
    ok = records[records.status == "ok"]
    metrics = [m for m in METRIC_NAMES if m != "cpu_util"]
    alpha = 2.0 * float(stats.norm.sf(z_max)) / len(metrics)
    trials = ok.groupby([ok[c] for c in GROUP], observed=True).size()
    scale = _deviation_quantile(max(2, int(trials.median()) if len(trials) else 2), 0.5)
    flips = pd.Series(False, index=ok.index)
    if flipped is not None and len(ok):
        keys = flipped.loc[flipped.verdict_flip.fillna(False).astype(bool), GROUP].assign(_flip=True)
        flips = pd.Series(ok.loc[:, GROUP].merge(keys, on=GROUP, how="left")._flip.notna().to_numpy(), index=ok.index)
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
        q = _pooled_median(spread, pool, ok.workload) / scale
        typical = values.abs().groupby(pool, observed=True).transform("median")
        floor = np.where(
            logged,
            1e-3,
            1e-3
            * typical.where(typical > 0, values.abs().groupby(pool, observed=True).transform("max"))
            .fillna(1.0)
            .replace(0.0, 1.0),
        )
        z = (dev / np.maximum(q, floor)).fillna(0.0)
        limit, shape = tail_threshold(z.to_numpy(), alpha)
        bad = z.abs() > limit
        frame = ok.loc[bad, [*GROUP, "trial", "run_id"]].assign(
            metric=metric,
            value=values[bad],
            detail=[
                f"z = {v:+.1f}, beyond ±{limit:.1f}, which noise with this metric's tail (shape {shape:.2f}) "
                f"exceeds in {alpha:.1e} of runs{'; the SLO verdict flips between trials' if f else ''}"
                for v, f in zip(z[bad], flips[bad])
            ],
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
        "median_max_min_ratio": float(q.loc[0.5]),
        "p99_max_min_ratio": float(q.loc[0.99]),
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
        metric="objective",
        value=flagged.cv,
        detail=[f"CV {v:.1%} > {threshold:.0%} over {n} trials" for v, n in zip(flagged.cv, flagged.n_ok)],
    )
    return _issues(frame, check="reproducibility", severity="warning")
