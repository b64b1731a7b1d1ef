"""How good a policy is: closed-loop scores vs the oracle, learning-curve summaries, CIs, latency.

A policy is anything with `predict(observations) -> actions` over a batch of normalized states
(d3rlpy algorithms, `ppo.PPO`, `distill.TreePolicy`). Evaluation is deterministic: each
workload starts at the default config, the policy sees the trial-mean features under the
current config, and picks the next config, `decisions` times.

- ``first``: objective of the first pick / oracle. The policy saw only the default config's
  fingerprint, exactly what the Phase-1 baselines see: the zero-shot score on an unseen workload.
- ``final``: objective of the config it holds after `decisions` picks / oracle (closed loop).
- ``reward``: mean reward over the picks, port-restart losses included.
"""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np
import pandas as pd

from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.rl.env import EnvSettings, restarts
from dpdktune.splits import mean_ci


class Policy(Protocol):
    def predict(self, x: np.ndarray) -> np.ndarray: ...


def closed_loop(
    policy: Policy, landscape: Landscape, normalizer: Normalizer, decisions: int, settings: EnvSettings
) -> pd.DataFrame:
    """One row per workload: first, final, reward, restarts and the configs picked."""
    values = landscape.normalized_mean()
    feats = landscape.mean_features()
    n = len(landscape.workloads)
    rows = np.arange(n)
    current = np.full(n, landscape.default_action)
    first = None
    reward = np.zeros(n)
    n_restarts = np.zeros(n, int)
    for step in range(decisions):
        obs = normalizer.transform(feats[rows, current])
        picked = np.asarray(policy.predict(obs), int).reshape(-1)
        moved = np.array([restarts(landscape.grid, a, b) for a, b in zip(current, picked)])
        reward += values[rows, picked] * np.where(moved, settings.restart_factor, 1.0)
        n_restarts += moved
        current = picked
        if step == 0:
            first = picked.copy()
    return pd.DataFrame(
        {
            "workload": list(landscape.workloads),
            "first": values[rows, first],
            "final": values[rows, current],
            "reward": reward / decisions,
            "restarts": n_restarts,
            "first_action": first,
            "final_action": current,
        }
    )


def steps_to_fraction(curve: pd.DataFrame, column: str = "train_final", fraction: float = 0.95) -> float:
    """Sample efficiency: the first step whose score reaches `fraction` of the final score."""
    curve = curve.sort_values("step")
    final = float(curve[column].iloc[-1])
    reached = curve[curve[column] >= fraction * final]
    return float(reached["step"].iloc[0]) if len(reached) else float("nan")


def inference_us(policy: Policy, observations: np.ndarray, repeats: int = 200) -> float:
    """Median wall time of one single-state decision, in microseconds."""
    obs = np.asarray(observations, np.float32)
    times = []
    for i in range(repeats):
        x = obs[i % len(obs)][None, :]
        t0 = time.perf_counter()
        policy.predict(x)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e6)


def lwo_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean and 95 % CI over (split, training seed) runs of the run-mean test scores."""
    units = ["method", "split"] + (["seed"] if "seed" in scores else [])
    per_split = scores[scores.part == "test"].groupby(units)[["first", "final"]].mean()
    rows = []
    for method, group in per_split.groupby(level="method"):
        row = {
            "method": method,
            "splits": group.index.get_level_values("split").nunique(),
            "seeds": group.index.get_level_values("seed").nunique() if "seed" in scores else 1,
            "runs": len(group),
        }
        for col in ("first", "final"):
            row[col], row[f"{col}_lo"], row[f"{col}_hi"] = mean_ci(group[col])
        rows.append(row)
    return pd.DataFrame(rows)
