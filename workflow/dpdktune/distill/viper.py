"""VIPER-style Q-DAgger (Bastani et al. 2018): the tree learns where its own mistakes would cost.

The data start with every recorded state of the training workloads (each config and trial:
the coverage a replay can give), optionally `dense_states` of extract's states between them
(interpolated and jittered: where unseen traffic's states fall), plus the teacher's roll-outs
from random start configs and workloads; each later iteration adds the current tree's own
roll-outs (DAgger), so the data aggregate the states the tree itself visits. Every state is
labelled with the teacher's action. Following VIPER, each fit draws its training set from the aggregate with probability
proportional to the state's Q gap, max_a Q(s, a) - min_a Q(s, a) (what a wrong action can
cost there), rather than weighting. The returned tree is the iterate with the best
closed-loop reward on the training workloads.
"""

from __future__ import annotations

import numpy as np

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.extract import dense_states as between_recorded
from dpdktune.distill.fit import fit_tree
from dpdktune.distill.policy import Teacher, TreePolicy, rollout_states
from dpdktune.rl.env import EnvSettings, ReplayEnv
from dpdktune.rl.evaluate import closed_loop


def q_weighted_sample(n: int, weights: np.ndarray, seed: int) -> np.ndarray:
    """`n` indices drawn with replacement, with probability proportional to `weights`."""
    p = np.clip(np.asarray(weights, float), 0.0, None)
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
    return np.random.default_rng(seed).choice(len(p), size=n, replace=True, p=p)


def fit_viper(
    teacher: Teacher,
    landscape: Landscape,
    settings: EnvSettings,
    depth: int,
    min_samples_leaf: float,
    mask: np.ndarray | None,
    iterations: int,
    episodes: int,
    decisions: int,
    seed: int,
    dense_states: int = 0,
):
    """Returns (best tree, per-iteration closed-loop rewards)."""
    env = ReplayEnv(landscape, teacher.normalizer, settings)
    X = between_recorded(landscape, teacher.normalizer, dense_states, seed)  # the recorded states first
    y = teacher.act_raw(X)
    w = teacher.weights_raw(X)
    act = teacher.act_raw
    best, best_reward, history = None, -np.inf, []
    for i in range(iterations):
        raw = rollout_states(env, act, episodes, seed + i)
        X = np.vstack([X, teacher.normalizer.impute(raw)])
        y = np.concatenate([y, teacher.act_raw(raw)])
        w = np.concatenate([w, teacher.weights_raw(raw)])
        pick = q_weighted_sample(len(X), w, seed + 1000 + i)
        tree = fit_tree(X[pick], y[pick], None, depth, min_samples_leaf, mask, seed)
        student = TreePolicy(tree, teacher.normalizer)
        reward = float(closed_loop(student, landscape, teacher.normalizer, decisions, settings)["reward"].mean())
        history.append(reward)
        if reward > best_reward:
            best, best_reward = tree, reward
        act = student.predict_raw
    return best, history
