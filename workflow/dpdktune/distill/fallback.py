"""The fast path's fallback: the safe default, and a novelty gate calibrated on held-out states.

- Safe default: the one config with the best worst case over the training workloads (the
  Phase-1 baseline "static, best worst-case"), so a fallback never runs an untuned default.
- Novelty gate: an input outside its leaf's training box, widened by `margin` x the training
  std, falls back. The margin is the smallest candidate whose false-fallback rate on held-out
  in-distribution states (recorded trials the boxes were not built from) is at most the target;
  inputs outside the training range always fall back (the boxes are clipped to the global bounds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

MARGINS = (0.0, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def safe_default(objective_table: np.ndarray) -> int:
    """Index of the config with the best minimum relative objective (workloads x configs table)."""
    from dpdktune.baselines import StaticBest

    Y = np.asarray(objective_table, float)
    return int(StaticBest("worst").fit(Y, Y).config_index_)


def fallback_mask(table: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Per row of X (raw features, tree order): does fp_decide fall back (novel input, invalid
    input, or a leaf below the confidence threshold)? Uses the bit-exact twin of the C code."""
    from dpdktune.treelayout import compile_table, inside_leaf_box, walk

    tree = compile_table(table)
    X = np.asarray(X, np.float32)
    slot = walk(tree, np.nan_to_num(X, nan=0.0))
    leaf = tree.leaf_of[slot]
    novel = ~inside_leaf_box(tree, X, leaf)
    conf = np.array([table["nodes"][int(i)]["confidence"] for i in tree.source_index[slot]])
    return novel | (conf < table["confidence_threshold"])


def in_range(table: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Per row of X: inside the table's global bounds on every feature (what the range check passes)."""
    lo, hi = np.asarray(table["bounds"]["min"], float), np.asarray(table["bounds"]["max"], float)
    X = np.asarray(X, float)
    return np.all((X >= lo) & (X <= hi), axis=1)


def out_of_range(X: np.ndarray, bounds: dict[str, Sequence[float]], seed: int) -> np.ndarray:
    """Each row with one random feature pushed 0.5-2 training ranges above the training maximum."""
    rng = np.random.default_rng(seed)
    lo, hi = np.asarray(bounds["min"], float), np.asarray(bounds["max"], float)
    span = np.where(hi > lo, hi - lo, np.maximum(np.abs(hi), 1.0))
    X = np.array(X, float)
    j = rng.integers(X.shape[1], size=len(X))
    X[np.arange(len(X)), j] = hi[j] + span[j] * rng.uniform(0.5, 2.0, len(X))
    return X


def calibrate(
    build: Callable[[float], dict[str, Any]],
    held_out: np.ndarray,
    target: float,
    seed: int,
    margins: Sequence[float] = MARGINS,
) -> dict[str, Any]:
    """The smallest margin whose novelty false-fallback rate on `held_out` is <= `target`.

    `build(margin)` returns tree.json's dict with boxes from the fitting rows only. Returns the
    margin and both rates: false fallbacks on held-out in-distribution states, and fallbacks on
    the same states pushed outside the training range (which must stay at 1.0)."""
    rates = {}
    chosen = margins[-1]
    for margin in margins:
        table = {**build(margin), "confidence_threshold": 0.0}  # the gate alone
        rates[margin] = float(np.mean(fallback_mask(table, held_out))) if len(held_out) else 0.0
        if rates[margin] <= target:
            chosen = margin
            break
    table = {**build(chosen), "confidence_threshold": 0.0}
    far = out_of_range(held_out, table["bounds"], seed)
    return {
        "margin": float(chosen),
        "target_false_fallback": float(target),
        "held_out_states": int(len(held_out)),
        "false_fallback_rate": rates[chosen],
        "out_of_range_fallback_rate": float(np.mean(fallback_mask(table, far))) if len(far) else 1.0,
        "tried": {str(k): v for k, v in rates.items()},
    }


def calibrate_on_workloads(
    build: Callable[[np.ndarray, float], dict[str, Any]],
    folds: Sequence[tuple],
    target: float,
    seed: int,
    margins: Sequence[float] = MARGINS,
) -> dict[str, Any]:
    """As `calibrate`, with held-out workloads instead of held-out trials: fold i builds the
    bounds and boxes from `folds[i][0]` (the rows of every other training workload) and counts
    fallbacks on `folds[i][1]` (the rows of the workload left out). The question it answers is
    the deployed one: how much of a workload's traffic the boxes let through when its rows did
    not shape them. `build(rows, margin)` returns tree.json's dict with boxes from `rows`.

    Only held-out rows inside the other workloads' range count as in-distribution: a row outside
    it falls back at any margin, as the range check must make it, so it is reported apart
    (`held_out_out_of_range_share`) instead of widening the boxes for nothing."""
    folds = [(fit, held) for fit, held in folds if len(held) and len(fit)]
    inside: list[np.ndarray] = []  # per fold; the bounds do not depend on the margin
    rates = {}
    chosen = margins[-1]
    for margin in margins:
        tables = [{**build(fit, margin), "confidence_threshold": 0.0} for fit, _ in folds]
        inside = inside or [in_range(table, held) for table, (_, held) in zip(tables, folds)]
        masks = [fallback_mask(table, held[keep]) for table, (_, held), keep in zip(tables, folds, inside)]
        rates[margin] = float(np.mean(np.concatenate(masks))) if masks else 0.0
        if rates[margin] <= target:
            chosen = margin
            break
    every = np.vstack(folds[0])  # fold 0's rows plus the workload it left out: every row
    table = {**build(every, chosen), "confidence_threshold": 0.0}
    far = out_of_range(every, table["bounds"], seed)
    return {
        "margin": float(chosen),
        "calibrated_on": "held-out workloads",
        "target_false_fallback": float(target),
        "held_out_states": int(sum(keep.sum() for keep in inside)),
        "held_out_out_of_range_share": float(np.mean(~np.concatenate(inside))) if inside else 0.0,
        "false_fallback_rate": rates[chosen],
        "out_of_range_fallback_rate": float(np.mean(fallback_mask(table, far))) if len(far) else 1.0,
        "tried": {str(k): v for k, v in rates.items()},
    }
