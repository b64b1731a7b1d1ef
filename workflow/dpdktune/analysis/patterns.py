"""Pattern discovery: metric/objective correlations, mutual information, and reversals.

A reversal ("counter-intuitive pattern") is a knob whose effect on the objective changes
sign with an operating condition: e.g. "when LLC misses are high, a smaller rx ring is
better; when they are low, a larger one is". A knob's effect is measured along each grid
line (the other knobs fixed) as the Spearman rho of its log2 value vs the objective; the
condition is a metric's mean along that line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.feature_selection import mutual_info_regression

from dpdktune.metrics.schema import KNOB_NAMES, METRIC_NAMES
from dpdktune.objective import objective_values

#: Metrics that follow from the forwarded packet rate by definition: bytes moved per second
#: are packets per second times the frame size (PCIe reads fetch every TX frame, writes deliver
#: every RX frame), so they "inform" about any rate-based objective without saying anything new.
DEFINITIONAL = {"throughput_mpps", "throughput_gbps", "pcie_rd_gbps", "pcie_wr_gbps"}
#: ... and the metrics each objective is computed from.
_INPUTS = {
    "cores_at_slo": {"offered_mpps", "drop_rate", "latency_p99_us"},
    "slo_goodput_per_core": {"offered_mpps", "drop_rate", "latency_p99_us"},
    "zero_loss_mpps": {"drop_rate"},
    "p99_slo_mpps": {"latency_p99_us"},
}


def definitional(objective: str) -> set[str]:
    """The metrics that follow from `objective` by definition (never ranked as informative)."""
    return DEFINITIONAL | _INPUTS.get(objective, set())


def _metric_frame(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    ok = records[records.status == "ok"]
    frame = ok.loc[:, [m for m in METRIC_NAMES if m != "cpu_util"]].astype(float)
    frame["cpu_util_mean"] = ok.cpu_util.map(lambda v: float(np.mean(v)) if v is not None and len(v) else np.nan)
    frame["objective"] = objective_values(ok, config)
    return frame.loc[:, frame.notna().any() & (frame.std() > 0)]


def correlation_matrix(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """Spearman correlations among the metrics and the objective, over every successful run (long)."""
    corr = _metric_frame(records, config).corr(method="spearman")
    corr.index.name, corr.columns.name = "metric", "other"
    return corr.stack().rename("spearman").reset_index()


def metric_importance(records: pd.DataFrame, config: dict[str, Any], seed: int, max_rows: int = 4000) -> pd.DataFrame:
    """Each metric's Spearman rho and mutual information (nats) with the objective, ranked.

    Ranked by MI, which also sees non-linear dependence; `nonlinear` marks metrics whose MI
    rank is in the top half while |rho| < 0.3. Definitional metrics are listed but not ranked.
    """
    frame = _metric_frame(records, config).dropna(subset=["objective"])
    if len(frame) > max_rows:
        frame = frame.sample(max_rows, random_state=seed)
    metrics = [c for c in frame.columns if c != "objective"]
    x = frame[metrics].fillna(frame[metrics].median())
    # the k-NN estimator needs more runs than neighbours: a first campaign of 2-3 runs uses fewer
    neighbours = min(3, len(frame) - 1)
    mi = (
        mutual_info_regression(x.to_numpy(), frame.objective.to_numpy(), n_neighbors=neighbours, random_state=seed)
        if neighbours >= 1 and metrics
        else np.full(len(metrics), np.nan)
    )
    rho = [stats.spearmanr(frame[m], frame.objective, nan_policy="omit").statistic for m in metrics]
    out = pd.DataFrame({"metric": metrics, "spearman": rho, "mutual_info": mi})
    out["definitional"] = out.metric.isin(definitional(config["objective"]))
    ranked = out[~out.definitional].sort_values("mutual_info", ascending=False)
    out["rank"] = pd.Series(range(1, len(ranked) + 1), index=ranked.index).reindex(out.index)
    half = len(ranked) / 2
    out["nonlinear"] = (out["rank"] <= half) & (out.spearman.abs() < 0.3)
    return out.sort_values(["definitional", "rank"], ignore_index=True)


def knob_effects(perf: pd.DataFrame) -> pd.DataFrame:
    """Per (workload, knob): Spearman rho of log2(knob) vs objective over the workload's grid."""
    rows = []
    for workload, group in perf.dropna(subset=["objective"]).groupby("workload"):
        for knob in KNOB_NAMES:
            if group[knob].nunique() < 2 or group.objective.std() == 0:
                continue
            rho = stats.spearmanr(np.log2(group[knob]), group.objective).statistic
            rows.append((workload, knob, float(rho)))
    return pd.DataFrame(rows, columns=["workload", "knob", "rho"])


def slice_effects(records: pd.DataFrame, config: dict[str, Any]) -> pd.DataFrame:
    """The effect of each knob along each grid line (other knobs fixed), with the line's mean metrics.

    One row per (workload, knob, line): rho = Spearman of log2(knob) vs mean objective along
    the line, plus the mean of every metric over the line's runs (the operating condition).
    """
    ok = records[records.status == "ok"].assign(objective=objective_values(records, config))
    conditions = [m for m in METRIC_NAMES if m != "cpu_util" and m not in definitional(config["objective"])]
    cells = ok.groupby(["workload", *KNOB_NAMES], as_index=False)[["objective", *conditions]].mean()
    rows = []
    for knob in KNOB_NAMES:
        if cells[knob].nunique() < 3:
            continue
        others = [k for k in KNOB_NAMES if k != knob]
        for key, line in cells.groupby(["workload", *others]):
            if len(line) < 3 or line.objective.std() == 0:
                continue
            rho = stats.spearmanr(np.log2(line[knob]), line.objective).statistic
            row = {
                "workload": key[0],
                "knob": knob,
                "at": ", ".join(f"{k}={v}" for k, v in zip(others, key[1:])),
                "rho": float(rho),
            }
            row.update(line[conditions].mean().to_dict())
            rows.append(row)
    return pd.DataFrame(rows, columns=["workload", "knob", "at", "rho", *conditions])


def reversals(
    slices: pd.DataFrame, objective: str, min_effect: float = 0.1, min_workloads: int = 0, split: float = 1 / 3
) -> pd.DataFrame:
    """Knob effects whose sign flips with an operating condition (a metric's top vs bottom tercile).

    For each knob and condition metric, grid lines in the condition's top `split` quantile
    (high) are contrasted with those in its bottom `split` quantile (low; the middle is left out);
    a reversal is reported when the mean rho has opposite signs (each at least `min_effect`
    in size; and seen within at least `min_workloads`). Support counts the workloads that show the
    same flip on their own lines (they need lines on both sides); `p_value` is a Mann-Whitney U
    test of high vs low rhos.
    """
    rows = []
    conditions = [c for c in slices.columns if c not in ("workload", "knob", "at", "rho")]
    for knob, lines in slices.groupby("knob"):
        for cond in conditions:
            values = lines[cond]
            if values.nunique() < 2:
                continue
            threshold, low_cut = float(values.quantile(1 - split)), float(values.quantile(split))
            high = lines[values > threshold]
            low = lines[values <= low_cut]
            if high.empty or low.empty:
                continue
            mh, ml = float(high.rho.mean()), float(low.rho.mean())
            if np.sign(mh) == np.sign(ml) or min(abs(mh), abs(ml)) < min_effect:
                continue
            per_wl_h, per_wl_l = high.groupby("workload").rho.mean(), low.groupby("workload").rho.mean()
            both = per_wl_h.index.intersection(per_wl_l.index)
            agree = [w for w in both if np.sign(per_wl_h[w]) == np.sign(mh) and np.sign(per_wl_l[w]) == np.sign(ml)]
            if len(agree) < min_workloads:
                continue
            p = float(stats.mannwhitneyu(high.rho, low.rho).pvalue)
            rows.append(
                dict(
                    knob=knob,
                    condition=cond,
                    threshold=threshold,
                    low_threshold=low_cut,
                    rho_high=mh,
                    rho_low=ml,
                    lines_high=len(high),
                    lines_low=len(low),
                    workloads_both=len(both),
                    workloads_support=len(agree),
                    support=len(agree) / len(both) if len(both) else 0.0,
                    supporting=", ".join(sorted(agree)),
                    p_value=p,
                    strength=abs(mh - ml),
                    statement=_statement(knob, cond, threshold, low_cut, objective, mh, ml, len(agree), len(both)),
                )
            )
    columns = [
        "knob",
        "condition",
        "threshold",
        "low_threshold",
        "rho_high",
        "rho_low",
        "lines_high",
        "lines_low",
        "workloads_both",
        "workloads_support",
        "support",
        "supporting",
        "p_value",
        "strength",
        "statement",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["workloads_support", "strength"], ascending=[False, False], ignore_index=True)


def _statement(knob, cond, thr, low_thr, objective, mh, ml, n_agree, n_both) -> str:
    def way(rho: float) -> str:
        return f"a larger {knob} is better" if rho > 0 else f"a smaller {knob} is better"

    return (
        f"When {cond} is high (> {thr:.3g}), {way(mh)} for {objective} (mean rho {mh:+.2f}); "
        f"when it is low (<= {low_thr:.3g}), {way(ml)} (mean rho {ml:+.2f}). Holds within {n_agree} of the {n_both} "
        f"workloads that operate on both sides."
    )
