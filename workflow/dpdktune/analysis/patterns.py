"""Pattern discovery: metric/objective correlations, mutual information, and reversals.

A reversal ("counter-intuitive pattern") is a knob whose effect on the objective changes
sign with a workload trait: e.g. "when LLC misses are high, a smaller rx ring is better;
when they are low, a larger one is". Traits are the fingerprint features (seen under the
default config); a knob's effect on one workload is the Spearman correlation between the
knob's log2 value and the objective over that workload's grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.feature_selection import mutual_info_regression

from dpdktune.metrics.schema import KNOB_NAMES, METRIC_NAMES
from dpdktune.objective import objective_values

#: Metrics the objective is computed from: they correlate with it by definition.
DEFINITIONAL = {"throughput_mpps", "throughput_gbps"}


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
    mi = mutual_info_regression(x.to_numpy(), frame.objective.to_numpy(), random_state=seed)
    rho = [stats.spearmanr(frame[m], frame.objective, nan_policy="omit").statistic for m in metrics]
    out = pd.DataFrame({"metric": metrics, "spearman": rho, "mutual_info": mi})
    out["definitional"] = out.metric.isin(DEFINITIONAL)
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


def reversals(
    effects: pd.DataFrame, traits: pd.DataFrame, objective: str, min_effect: float = 0.1, min_group: int = 2
) -> pd.DataFrame:
    """Knob effects whose sign flips between workloads with a high vs low trait (split at the median).

    `traits`: one row per workload (mean fingerprint). Support: how many workloads in each
    group share their group's sign. `p_value`: Mann-Whitney U test of high vs low rhos.
    """
    rows = []
    for knob, eff in effects.groupby("knob"):
        rho = eff.set_index("workload").rho
        for trait in traits.columns:
            values = traits[trait].reindex(rho.index).dropna()
            if values.nunique() < 2:
                continue
            threshold = float(values.median())
            high = rho[values.index[values > threshold]]
            low = rho[values.index[values <= threshold]]
            if len(high) < min_group or len(low) < min_group:
                continue
            mh, ml = float(high.mean()), float(low.mean())
            if np.sign(mh) == np.sign(ml) or min(abs(mh), abs(ml)) < min_effect:
                continue
            agree_h = int((np.sign(high) == np.sign(mh)).sum())
            agree_l = int((np.sign(low) == np.sign(ml)).sum())
            p = float(stats.mannwhitneyu(high, low).pvalue)
            rows.append(dict(
                knob=knob, trait=trait, threshold=threshold, rho_high=mh, rho_low=ml,
                support_high=agree_h, n_high=len(high), support_low=agree_l, n_low=len(low),
                support=(agree_h + agree_l) / (len(high) + len(low)), p_value=p, strength=abs(mh - ml),
                statement=_statement(knob, trait, threshold, objective, mh, ml, agree_h, len(high), agree_l, len(low)),
            ))
    columns = ["knob", "trait", "threshold", "rho_high", "rho_low", "support_high", "n_high", "support_low",
               "n_low", "support", "p_value", "strength", "statement"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["p_value", "strength"], ascending=[True, False], ignore_index=True)


def _statement(knob, trait, thr, objective, mh, ml, ah, nh, al, nl) -> str:
    def way(rho: float) -> str:
        return f"larger {knob} is better" if rho > 0 else f"smaller {knob} is better"

    return (
        f"When {trait} is high (> {thr:.3g}), {way(mh)} for {objective} "
        f"(mean rho {mh:+.2f}, {ah}/{nh} workloads); when it is low, {way(ml)} "
        f"(mean rho {ml:+.2f}, {al}/{nl} workloads)."
    )
