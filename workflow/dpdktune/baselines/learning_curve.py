"""How the learned baselines' held-out score grows with the number of training workloads.

Each leave-workload-out split keeps its held-out workloads and trains on a nested subsample of
its training workloads (a seeded order per split; the first ceil(f x n) for each fraction f),
scored by the same `score_policy` as Phase 1. A curve still rising at the full training set
says that more characterised workloads would likely raise what a learner realises, so part of
Phase 1's opportunity is a shortage of training traffic rather than a landscape no learner can
follow (the learning-curve diagnostic: Perlich, Provost and Simonoff, "Tree induction vs.
logistic regression: a learning-curve analysis", JMLR 4, 2003). The converse does not hold: a
curve flat up to the campaign's size says nothing about many more workloads (measured on the
simulator: flat from 6 to 11 training workloads on two generated 15-workload campaigns, while
the same generator's 30-workload campaigns gave Rules +0.21 over static instead of +0.06-0.08).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from dpdktune.baselines.evaluate import STATIC_WORST, estimator_policy, make_baselines, score_policy, splits_for
from dpdktune.splits import mean_ci

FRACTIONS = (0.25, 0.5, 0.75, 1.0)
LEARNED = ("Rules", "Lookup", "Linear", "DT-5")
#: Fewer training workloads than this fit nothing worth plotting (k-means keys, 4-rule lists).
MIN_TRAINING_WORKLOADS = 3


def nested_subsets(train: list[str], fractions, seed: int) -> dict[float, list[str]]:
    """For each fraction, the first ceil(f x n) of `train` in one seeded order: each subset holds
    the smaller ones, so a step along the curve only adds workloads."""
    order = [train[i] for i in np.random.default_rng(seed).permutation(len(train))]
    return {f: sorted(order[: max(1, math.ceil(f * len(order)))]) for f in fractions}


def learning_curve(
    X: pd.DataFrame,
    table: pd.DataFrame,
    config: dict[str, Any],
    trials: pd.DataFrame | None,
    fractions=FRACTIONS,
    phase1_scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (policy, fraction, split): training workloads used and the share of the oracle
    (1 - mean gap over the held-out workloads), for the best worst-case static config and each
    learned baseline. Fractions leaving fewer than MIN_TRAINING_WORKLOADS are skipped. The full
    training set is Phase 1's own scoring: given `phase1_scores` (`score_baselines` on the same
    X, table and trials), its point is read from them instead of refitted."""
    splits = splits_for(config, sorted(set(X.index.get_level_values("workload"))))
    seed = int(config["seed"])
    subsets = [nested_subsets(list(train), fractions, seed + k) for k, (train, _) in enumerate(splits)]
    models = make_baselines(config, table, trials)
    rows = []
    for fraction in fractions:
        reduced = [(subsets[k][fraction], test) for k, (_, test) in enumerate(splits)]
        if min(len(train) for train, _ in reduced) < MIN_TRAINING_WORKLOADS:
            continue
        for name in (STATIC_WORST, *LEARNED):
            if fraction == 1.0 and phase1_scores is not None:
                scores = phase1_scores[phase1_scores.policy == name]
            else:
                scores = score_policy(estimator_policy(models[name]), X, table, reduced, name, trials)
            per_split = scores.groupby(["split", "workload"]).gap.mean().groupby("split").mean()
            rows += [
                {
                    "policy": name,
                    "fraction": fraction,
                    "training_workloads": len(reduced[split][0]),
                    "split": int(split),
                    "share_of_oracle": 1.0 - float(gap),
                }
                for split, gap in per_split.items()
            ]
    return pd.DataFrame(rows, columns=["policy", "fraction", "training_workloads", "split", "share_of_oracle"])


def summarize(curve: pd.DataFrame) -> dict[str, Any] | None:
    """The best learned baseline at the full training set, its score at half of it, and the gain
    between the two paired over splits (95 % t interval); `rising` when the interval is above 0.
    None when the curve has no half-size point."""
    learned = curve[curve.policy.isin(LEARNED)]
    if learned.empty or not {0.5, 1.0} <= set(learned.fraction):
        return None
    full = learned[learned.fraction == 1.0].groupby("policy").share_of_oracle.mean()
    best = str(full.idxmax())
    mine = learned[learned.policy == best].pivot(index="split", columns="fraction", values="share_of_oracle")
    gain = (mine[1.0] - mine[0.5]).to_numpy()
    mean, low, high = mean_ci(gain) if len(gain) > 1 else (float(gain.mean()), -math.inf, math.inf)
    sizes = learned.groupby("fraction").training_workloads.mean()
    return {
        "policy": best,
        "half_workloads": float(sizes[0.5]),
        "full_workloads": float(sizes[1.0]),
        "half_share": float(mine[0.5].mean()),
        "full_share": float(mine[1.0].mean()),
        "gain": mean,
        "ci": [low, high],
        "rising": bool(low > 0),
    }


def verdict(summary: dict[str, Any] | None) -> str:
    """The learning curve in a few sentences for the report ("" without a half-size point)."""
    if summary is None:
        return ""
    s = summary
    text = (
        f"Learning curve: the best learned baseline at the full training set, {s['policy']}, scores "
        f"{s['half_share']:.3f} of the oracle with {s['half_workloads']:.0f} training workloads per split and "
        f"{s['full_share']:.3f} with {s['full_workloads']:.0f} ({s['gain']:+.3f}, 95 % interval over splits "
        f"{s['ci'][0]:+.3f} to {s['ci'][1]:+.3f})."
    )
    if s["rising"]:
        text += (
            " Still rising: more characterised workloads would likely raise what a learner realises, so part of "
            "the opportunity below may be a shortage of training traffic."
        )
    elif s["gain"] > 0:
        text += " It rises, but within the noise across splits."
    else:
        text += f" No rise from {s['half_workloads']:.0f} to {s['full_workloads']:.0f} workloads."
    return text + f" A curve that ends at {s['full_workloads']:.0f} workloads cannot show what many more would give."


def curve_figure(curve: pd.DataFrame, path) -> None:
    """Mean share of the oracle over splits against the training workloads, one line per policy."""
    from plotnine import aes, geom_hline, geom_line, geom_point, ggplot, labs, scale_color_manual, scale_x_continuous

    from dpdktune.analysis.figures import PALETTE, readable, save_figure

    mean = curve.groupby(["policy", "fraction"], as_index=False).agg(
        training_workloads=("training_workloads", "mean"), share_of_oracle=("share_of_oracle", "mean")
    )
    order = [p for p in (STATIC_WORST, *LEARNED) if p in set(mean.policy)]
    mean["policy"] = pd.Categorical(mean.policy, order)
    plot = (
        ggplot(mean, aes("training_workloads", "share_of_oracle", color="policy"))
        + geom_line(size=1)
        + geom_point(size=2.5)
        + geom_hline(yintercept=1.0, linetype="dashed")
        + scale_color_manual(values=dict(zip(order, PALETTE)))
        + scale_x_continuous(breaks=sorted(mean.training_workloads.round(1).unique()))
        + labs(x="training workloads per split", y="share of the oracle, held-out workloads", color="")
        + readable()
    )
    save_figure(plot, path, 9, 5)
