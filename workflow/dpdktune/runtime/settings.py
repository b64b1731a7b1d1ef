"""The `runtime` config section with its defaults, checked with one-line errors."""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "decision_interval_s": 1.0,
    "load_levels": [0.1, 0.2, 0.35, 0.5, 0.7, 1.0],
    "twin_trials": 2,
    "background_learning": True,
    "distill_every_s": 600.0,
    "slow_tier_latency_s": 5.0,
    "buffer_intervals": 3600,
    "shadow_window_s": 120.0,
    "shadow_decisions": 5,
    "shadow_min_gain": 0.01,
    "max_fresh_cells": 64,
    "tree_depth": 8,
    "min_samples_leaf": 5,
    "confidence_threshold": 0.0,
    "leaf_margin": 0.5,
    "novelty": True,
    "novelty_max_false_fallback": 0.05,
    "novelty_trigger_intervals": 3,
    "rollback_k": 3,
    "rollback_tolerance": 0.02,
    "probation_s": 300.0,
    "checkpoint_every_s": 600.0,
    "ring_confirm_intervals": 2,
    "guard": True,
    "guard_tolerance": 0.01,
    "surprise_tolerance": 0.1,
    "label_tie_share": 0.02,
}
#: the evaluation's own keys (`snakemake evaluation`), in the same section
EVAL_DEFAULTS: dict[str, Any] = {"eval_novel_workloads": ["video", "microburst", "reqheavy"], "eval_seeds": 2,
                                 "eval_static_s": 120.0, "eval_dynamic_s": 7200.0, "eval_day_s": 86400.0}
POSITIVE = ("decision_interval_s", "twin_trials", "distill_every_s", "buffer_intervals", "shadow_window_s",
            "shadow_decisions", "max_fresh_cells", "tree_depth", "min_samples_leaf", "rollback_k",
            "checkpoint_every_s", "novelty_trigger_intervals", "ring_confirm_intervals")


def runtime_settings(config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    own = {k: v for k, v in (config.get("runtime") or {}).items() if k not in EVAL_DEFAULTS}
    raw = {**DEFAULTS, **own, **{k: v for k, v in overrides.items() if v is not None}}
    unknown = sorted(set(raw) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"runtime.{unknown[0]}: unknown key (known: {sorted(DEFAULTS)})")
    for key in POSITIVE:
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"runtime.{key}: must be a number > 0, got {value!r}")
    for key in ("slow_tier_latency_s", "shadow_min_gain", "confidence_threshold", "leaf_margin",
                "rollback_tolerance", "probation_s", "guard_tolerance", "surprise_tolerance", "label_tie_share"):
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"runtime.{key}: must be a number >= 0, got {value!r}")
    for key in ("novelty", "guard", "background_learning"):
        if not isinstance(raw[key], bool):
            raise ValueError(f"runtime.{key}: must be true or false, got {raw[key]!r}")
    share = raw["novelty_max_false_fallback"]
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
        raise ValueError(f"runtime.novelty_max_false_fallback: must be a number in [0, 1], got {share!r}")
    levels = raw["load_levels"]
    if not isinstance(levels, list) or not levels or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in levels):
        raise ValueError(f"runtime.load_levels: must be a non-empty list of numbers > 0, got {levels!r}")
    return raw
