"""Gap analysis and the go/no-go decision: comparison, significance, opportunity.

All numbers derive from the per-decision scores of `evaluate.score_policy`. A workload's
value for a policy is the mean over its test decisions (every split it was held out in,
every trial). Gap = (oracle - achieved) / oracle of that workload.

The opportunity, everywhere in the outputs and the report, is one number: the mean over
held-out workloads of that gap, for the baseline with the lowest mean gap.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

DECISIONS = ("GO", "MAYBE", "NO-GO")


def per_workload(scores: pd.DataFrame) -> pd.DataFrame:
    """Long frame: (policy, workload) -> mean achieved, oracle, gap, and how often it was tested."""
    grouped = scores.groupby(["policy", "workload"], sort=False)
    frame = grouped.agg(
        achieved=("achieved", "mean"), oracle=("oracle", "mean"), decisions=("gap", "size")
    ).reset_index()
    frame["gap"] = np.where(
        frame.oracle > 0, (frame.oracle - frame.achieved) / frame.oracle.where(frame.oracle > 0, 1.0), 0.0
    )
    return frame


def comparison(per_wl: pd.DataFrame, order) -> pd.DataFrame:
    """Wide table: one row per workload; <policy>_value (mean objective) and <policy>_gap columns, in `order`."""
    value = per_wl.pivot(index="workload", columns="policy", values="achieved")
    gap = per_wl.pivot(index="workload", columns="policy", values="gap")
    cols = [p for p in order if p in value.columns]
    wide = pd.concat({f"{p}_value": value[p] for p in cols} | {f"{p}_gap": gap[p] for p in cols}, axis=1)
    return wide.loc[:, [f"{p}_{m}" for p in cols for m in ("value", "gap")]].sort_index().reset_index()


def bootstrap_ci(values: np.ndarray, n_boot: int, seed: int, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean."""
    values = np.asarray(values, float)
    if len(values) == 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def aggregates(per_wl: pd.DataFrame, scores: pd.DataFrame, order, n_boot: int, seed: int) -> pd.DataFrame:
    """Per policy: mean achieved, mean/worst/std gap over workloads, 95% bootstrap CI, inference time."""
    rows = []
    for policy in [p for p in order if p in set(per_wl.policy)]:
        g = per_wl[per_wl.policy == policy]
        low, high = bootstrap_ci(g.gap.to_numpy(), n_boot, seed)
        rows.append(
            dict(
                policy=policy,
                workloads=len(g),
                mean_value=g.achieved.mean(),
                mean_gap=g.gap.mean(),
                worst_gap=g.gap.max(),
                std_gap=g.gap.std(ddof=1) if len(g) > 1 else 0.0,
                gap_ci_low=low,
                gap_ci_high=high,
                inference_us=float(scores.loc[scores.policy == policy, "inference_us"].median()),
            )
        )
    return pd.DataFrame(rows)


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down; NaN stays NaN)."""
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    order = valid[np.argsort(p[valid], kind="stable")]
    m, running = len(order), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def significance(per_wl: pd.DataFrame, order, alpha: float = 0.05) -> pd.DataFrame:
    """Paired t-tests of per-workload gaps between every pair of non-oracle policies, with
    Holm-adjusted p-values over the family of pairs (`significant` uses the adjusted one)."""
    gap = per_wl.pivot(index="workload", columns="policy", values="gap")
    names = [p for p in order if p in gap.columns and p != "Oracle"]
    rows = []
    for a, b in combinations(names, 2):
        both = gap[[a, b]].dropna()
        diff = both[a] - both[b]
        if len(both) > 1 and diff.std() > 0:
            t, p = stats.ttest_rel(both[a], both[b])
        else:
            t, p = np.nan, np.nan
        rows.append(
            dict(
                policy_a=a,
                policy_b=b,
                workloads=len(both),
                mean_gap_diff=float(diff.mean()),
                t=float(t),
                p_value=float(p),
            )
        )
    columns = ["policy_a", "policy_b", "workloads", "mean_gap_diff", "t", "p_value", "p_holm", "significant"]
    frame = pd.DataFrame(rows, columns=columns[:-2])
    frame["p_holm"] = holm(frame.p_value) if len(frame) else []
    frame["significant"] = frame.p_holm < alpha
    return frame.loc[:, columns]


def classify(opportunity: float, go: float, maybe: float) -> str:
    """GO above `go`, MAYBE from `maybe` to `go`, NO-GO below `maybe`."""
    if opportunity > go:
        return "GO"
    if opportunity >= maybe:
        return "MAYBE"
    return "NO-GO"


def bar_verdict(gain: float, low: float, bar: float) -> str:
    """Phase 2's goal, a gain over static of at least `bar` (half of Phase 1's opportunity), in
    words: met or not, and whether the interval's lower bound `low` reaches it too."""
    if gain < bar:
        return "is not met."
    return "is met (its lower bound is below the bar)." if low < bar else "is met."


def decide(aggs: pd.DataFrame, thresholds: dict[str, float], validation_passed: bool = True) -> dict[str, Any]:
    """Opportunity = mean over workloads of (oracle - best baseline) / oracle, for the baseline
    with the lowest mean gap; the decision, and a confidence level from its bootstrap CI."""
    candidates = aggs[aggs.policy != "Oracle"]
    best = candidates.loc[candidates.mean_gap.idxmin()]
    go, maybe = float(thresholds["go"]), float(thresholds["maybe"])
    opportunity = float(best.mean_gap)
    decision = classify(opportunity, go, maybe)
    low_dec, high_dec = classify(best.gap_ci_low, go, maybe), classify(best.gap_ci_high, go, maybe)
    spread = abs(DECISIONS.index(low_dec) - DECISIONS.index(high_dec))
    levels = ("high", "medium", "low")
    confidence = levels[min(2, spread + (0 if validation_passed else 1))]
    reasons = [
        f"the 95% bootstrap CI of the opportunity over workloads, [{best.gap_ci_low:.1%}, {best.gap_ci_high:.1%}], "
        + ("lies within one decision band" if spread == 0 else f"spans {spread + 1} decision bands")
    ]
    if not validation_passed:
        reasons.append("validation found errors in the dataset (lowered one level)")
    return {
        "decision": decision,
        "opportunity": opportunity,
        "opportunity_ci": [float(best.gap_ci_low), float(best.gap_ci_high)],
        "best_baseline": str(best.policy),
        # the baseline's mean share of the oracle over workloads, 1 - opportunity: the same number
        "best_baseline_share_of_oracle": 1.0 - opportunity,
        "thresholds": {"go": go, "maybe": maybe},
        "confidence": confidence,
        "confidence_reasons": reasons,
    }


def objective_row(
    aggs: pd.DataFrame, thresholds: dict[str, float], scores: pd.DataFrame | None = None
) -> dict[str, Any]:
    """The decision.json entry of one objective: opportunity, its CI, decision, best baseline,
    and the same baseline's opportunity against the in-sample oracle (the upward-biased bracket)."""
    d = decide(aggs, thresholds)
    row = {
        "opportunity": d["opportunity"],
        "ci_low": d["opportunity_ci"][0],
        "ci_high": d["opportunity_ci"][1],
        "decision": d["decision"],
        "best_baseline": d["best_baseline"],
    }
    if scores is not None and {"achieved_mean", "oracle_mean"} <= set(scores.columns):
        row["opportunity_in_sample"] = in_sample_opportunity(scores, d["best_baseline"])
    return row


def in_sample_opportunity(scores: pd.DataFrame, policy: str) -> float:
    """Mean gap over workloads when the oracle is chosen and scored on the same trial means."""
    part = scores[scores.policy == policy]
    means = part.groupby("workload")[["achieved_mean", "oracle_mean"]].mean()
    ok = means.oracle_mean > 0
    gaps = np.where(ok, (means.oracle_mean - means.achieved_mean) / means.oracle_mean.where(ok, 1.0), 0.0)
    return float(np.mean(gaps)) if len(gaps) else float("nan")


def failure_modes(
    per_wl: pd.DataFrame, scores: pd.DataFrame, traits: pd.DataFrame, grid, fail_gap: float, atypical_z: float = 1.5
) -> pd.DataFrame:
    """Workloads where a baseline's gap exceeds `fail_gap`, with a hypothesis from the metrics.

    The hypothesis names the config it mostly chose vs the oracle's, and the fingerprint
    traits in which the workload is most atypical (z-score against all workloads): a
    workload unlike the training ones is where a simple policy extrapolates worst.
    """
    z = (traits - traits.mean()) / traits.std().replace(0, np.nan)
    oracle_cfg = scores[scores.policy == "Oracle"].groupby("workload").config_index.agg(lambda s: s.mode().iloc[0])
    rows = []
    failing = per_wl[(per_wl.policy != "Oracle") & (per_wl.gap > fail_gap)].sort_values(
        ["policy", "gap"], ascending=[True, False]
    )
    for _, r in failing.iterrows():
        chosen = scores[(scores.policy == r.policy) & (scores.workload == r.workload)].config_index.mode().iloc[0]
        atyp = (
            z.loc[r.workload].dropna().abs().sort_values(ascending=False).head(2)
            if r.workload in z.index
            else pd.Series(dtype=float)
        )
        c, o = grid[int(chosen)], grid[_oracle_index(oracle_cfg, r.workload, chosen)]
        differs = [
            f"{k} {getattr(c, k)} vs {getattr(o, k)}"
            for k in ("rx_desc", "tx_desc", "cores", "burst")
            if getattr(c, k) != getattr(o, k)
        ]
        if len(atyp) and atyp.iloc[0] >= atypical_z:
            why = (
                "the workload is atypical in "
                + " and ".join(f"{n} ({z.at[r.workload, n]:+.1f} sd)" for n in atyp.index)
                + ": the policy extrapolates beyond the training workloads"
            )
        else:
            why = (
                f"its fingerprint is typical (no trait beyond {atypical_z:g} sd), so workloads that look alike "
                "under the default config need different configs: the fingerprint does not separate them"
            )
        rows.append(
            dict(
                policy=r.policy,
                workload=r.workload,
                gap=r.gap,
                chosen_config=int(chosen),
                oracle_config=int(_oracle_index(oracle_cfg, r.workload, chosen)),
                hypothesis=f"mostly chose {', '.join(differs) or 'the oracle config'} (chosen vs best); {why}",
            )
        )
    return pd.DataFrame(rows, columns=["policy", "workload", "gap", "chosen_config", "oracle_config", "hypothesis"])


def _oracle_index(oracle_cfg: pd.Series, workload: str, fallback: int) -> int:
    return int(oracle_cfg.get(workload, fallback))


def phase1_note(decision_path) -> tuple[str, bool]:
    """(the Phase-1 decision in one line, did it say GO?) from decision.json, for Phase 2's outputs."""
    import json
    from pathlib import Path

    d = json.loads(Path(decision_path).read_text())
    low, high = d["opportunity_ci"]
    text = (
        f"Phase 1 decided {d['decision']} for objective {d.get('headline_objective', '?')} "
        f"(opportunity {100 * d['opportunity']:.1f} %, 95 % CI {100 * low:.1f} % to {100 * high:.1f} %, "
        f"best baseline {d['best_baseline']})"
    )
    return text, d["decision"] == "GO"
