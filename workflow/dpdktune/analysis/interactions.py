"""Knob interactions: two-way ANOVA of rx_desc x cores, sweet spots and cliffs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dpdktune.metrics.schema import KNOB_NAMES


def _rss(y: np.ndarray, *factors: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares and model rank of OLS on the dummy coding of `factors`."""
    columns = [np.ones((len(y), 1))]
    for f in factors:
        columns.append((f[:, None] == np.unique(f)[None, 1:]).astype(float))
    x = np.hstack(columns)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    return float(resid @ resid), int(np.linalg.matrix_rank(x))


def two_way_anova(frame: pd.DataFrame, a: str, b: str, value: str = "objective") -> pd.DataFrame:
    """Sequential (type I) two-way ANOVA with interaction; equals type II/III when balanced."""
    data = frame.dropna(subset=[value])
    y = data[value].to_numpy(float)
    fa, fb = data[a].to_numpy(), data[b].to_numpy()
    cell = np.array([f"{x}|{z}" for x, z in zip(fa, fb)])
    steps = [("null", ()), (a, (fa,)), (b, (fa, fb)), (f"{a}:{b}", (cell,))]
    fits = [_rss(y, *fs) for _, fs in steps]
    rss_full, rank_full = fits[-1]
    df_err = len(y) - rank_full
    ss_total = fits[0][0]
    if ss_total <= 1e-12 * max(float(y @ y), 1e-300):  # a flat landscape: nothing to partition
        fits = [(0.0, r) for _, r in fits]
        rss_full, ss_total = 0.0, 0.0
    rows = []
    for (name, _), (rss0, r0), (rss1, r1) in zip(steps[1:], fits[:-1], fits[1:]):
        ss, df = rss0 - rss1, r1 - r0
        f = (ss / df) / (rss_full / df_err) if df > 0 and df_err > 0 and rss_full > 0 else np.nan
        p = float(stats.f.sf(f, df, df_err)) if np.isfinite(f) else np.nan
        rows.append((name, df, ss, f, p, ss / ss_total if ss_total > 0 else np.nan))
    rows.append(("residual", df_err, rss_full, np.nan, np.nan, rss_full / ss_total if ss_total > 0 else np.nan))
    return pd.DataFrame(rows, columns=["effect", "df", "sum_sq", "F", "p_value", "eta_sq"])


def anova_by_workload(
    records: pd.DataFrame, fixed: dict[str, int], a: str = "rx_desc", b: str = "cores"
) -> pd.DataFrame:
    """`two_way_anova` of each workload's trials, the other knobs held at `fixed`."""
    mask = records.status == "ok"
    for knob, level in fixed.items():
        mask &= records[knob] == level
    parts = []
    for workload, group in records[mask].groupby("workload"):
        table = two_way_anova(group, a, b)
        parts.append(table.assign(workload=workload, **{f"fixed_{k}": v for k, v in fixed.items()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def variance_decomposition(records: pd.DataFrame, value: str = "objective") -> pd.DataFrame:
    """Per workload, the share of the objective's variance over the whole grid (trials as
    replicates) explained by each knob and each two-knob interaction: eta^2 = SS / SS_total.

    Sequential (type I) sums of squares, main effects first; on a full balanced grid they
    equal type II. `residual` is the trial-to-trial noise plus higher-order interactions.
    """
    rows = []
    ok = records[records.status == "ok"].dropna(subset=[value])
    for workload, group in ok.groupby("workload"):
        knobs = [k for k in KNOB_NAMES if group[k].nunique() > 1]
        y = group[value].to_numpy(float)
        ss_total = float(((y - y.mean()) ** 2).sum())
        terms = [(k, (group[k].to_numpy(),)) for k in knobs]
        terms += [
            (f"{a}:{b}", (np.array([f"{x}|{z}" for x, z in zip(group[a], group[b])]),))
            for i, a in enumerate(knobs)
            for b in knobs[i + 1 :]
        ]
        factors: list[np.ndarray] = []
        rss0, rank0 = _rss(y)
        for name, fs in terms:
            factors.extend(fs)
            rss1, rank1 = _rss(y, *factors)
            eta = (rss0 - rss1) / ss_total if ss_total > 0 else np.nan
            rows.append((workload, name, rank1 - rank0, rss0 - rss1, eta))
            rss0, rank0 = rss1, rank1
        rows.append((workload, "residual", len(y) - rank0, rss0, rss0 / ss_total if ss_total > 0 else np.nan))
    return pd.DataFrame(rows, columns=["workload", "effect", "df", "sum_sq", "eta_sq"])


def eta_summary(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Per effect: median, min and max eta^2 over workloads, largest median first."""
    if decomposition.empty:
        return pd.DataFrame(columns=["effect", "median", "min", "max"])
    out = decomposition.groupby("effect").eta_sq.agg(median="median", min="min", max="max").reset_index()
    return out.sort_values("median", ascending=False, ignore_index=True)


def knob_levels(perf: pd.DataFrame) -> pd.DataFrame:
    """Per workload, knob and level: the objective relative to the workload's best, with the
    other knobs at their best for that level (the curve an operator tuning one knob sees)."""
    rows = []
    for knob in _axes(perf):
        best = perf.groupby(["workload", knob], as_index=False).relative.max()
        rows.append(best.rename(columns={knob: "level"}).assign(knob=knob))
    return (
        pd.concat(rows, ignore_index=True).loc[:, ["workload", "knob", "level", "relative"]]
        if rows
        else pd.DataFrame(columns=["workload", "knob", "level", "relative"])
    )


def _axes(perf: pd.DataFrame) -> list[str]:
    return [k for k in KNOB_NAMES if perf[k].nunique() > 1]


def sweet_spots(perf: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Interior optima: along each knob, others at the workload's best, both ends fall > `margin`."""
    rows = []
    for workload, group in perf.dropna(subset=["objective"]).groupby("workload"):
        best = group.loc[group.objective.idxmax()]
        for axis in _axes(perf):
            others = [k for k in KNOB_NAMES if k != axis]
            line = group[(group[others] == best[others]).all(axis=1)].sort_values(axis)
            values = line.objective.to_numpy()
            if len(values) < 3:
                continue
            peak = int(np.argmax(values))
            if values[peak] <= 0:
                continue
            low_end, high_end = 1 - values[0] / values[peak], 1 - values[-1] / values[peak]
            if 0 < peak < len(values) - 1 and min(low_end, high_end) > margin:
                rows.append((workload, axis, int(line[axis].iloc[peak]), low_end, high_end))
    return pd.DataFrame(rows, columns=["workload", "knob", "best_value", "loss_at_min", "loss_at_max"])


def cliffs(perf: pd.DataFrame, drop: float) -> pd.DataFrame:
    """Adjacent grid steps along one knob where the objective changes by > `drop` of the workload's best."""
    rows = []
    for workload, group in perf.dropna(subset=["objective"]).groupby("workload"):
        best = group.objective.max()
        for axis in _axes(perf):
            others = [k for k in KNOB_NAMES if k != axis]
            for key, line in group.groupby(others):
                line = line.sort_values(axis)
                v, x = line.objective.to_numpy(), line[axis].to_numpy()
                for i in range(len(v) - 1):
                    change = (v[i + 1] - v[i]) / best if best > 0 else 0.0
                    if abs(change) > drop:
                        at = ", ".join(f"{k}={int(v)}" for k, v in zip(others, key))
                        rows.append((workload, axis, int(x[i]), int(x[i + 1]), at, change))
    columns = ["workload", "knob", "from_value", "to_value", "at", "change"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.reindex(frame.change.abs().sort_values(ascending=False).index).reset_index(drop=True)


def summary(anova: pd.DataFrame, sweet: pd.DataFrame, cliff: pd.DataFrame, alpha: float = 0.05) -> dict[str, Any]:
    inter = anova[anova.effect.str.contains(":")] if len(anova) else anova
    return {
        "workloads_tested": int(inter.workload.nunique()) if len(inter) else 0,
        "workloads_significant_interaction": int((inter.p_value < alpha).sum()) if len(inter) else 0,
        "median_interaction_eta_sq": float(inter.eta_sq.median()) if len(inter) else 0.0,
        "sweet_spots": int(len(sweet)),
        "cliffs": int(len(cliff)),
        "workloads_with_cliffs": int(cliff.workload.nunique()) if len(cliff) else 0,
    }
