"""VIPER-style Q-DAgger (Bastani et al. 2018): the tree learns where its own mistakes would cost.

Iteration 0 rolls out the teacher; each later iteration rolls out the current tree, so the
data aggregates the states the tree itself visits. Every state is labelled with the teacher's
action and weighted by its Q-value gap, max_a Q(s, a) - min_a Q(s, a). The returned tree is
the iterate with the best closed-loop reward on the training workloads.
"""

from __future__ import annotations

import numpy as np

from dpdktune.distill.fit import fit_tree
from dpdktune.distill.policy import Teacher, TreePolicy, rollout_states
from dpdktune.rl.env import EnvSettings, ReplayEnv
from dpdktune.rl.evaluate import closed_loop
from dpdktune.rl.landscape import Landscape


def fit_viper(teacher: Teacher, landscape: Landscape, settings: EnvSettings, depth: int, min_samples_leaf: int,
              mask: np.ndarray | None, iterations: int, episodes: int, decisions: int, seed: int):
    """Returns (best tree, per-iteration closed-loop rewards)."""
    env = ReplayEnv(landscape, teacher.normalizer, settings)
    X = np.empty((0, len(teacher.normalizer.mean)))
    y = np.empty(0, int)
    w = np.empty(0)
    act = teacher.act_raw
    best, best_reward, history = None, -np.inf, []
    for i in range(iterations):
        raw = rollout_states(env, act, episodes, seed + i)
        X = np.vstack([X, teacher.normalizer.impute(raw)])
        y = np.concatenate([y, teacher.act_raw(raw)])
        w = np.concatenate([w, teacher.weights_raw(raw)])
        tree = fit_tree(X, y, w, depth, min_samples_leaf, mask, seed)
        student = TreePolicy(tree, teacher.normalizer)
        reward = float(closed_loop(student, landscape, teacher.normalizer, decisions, settings)["reward"].mean())
        history.append(reward)
        if reward > best_reward:
            best, best_reward = tree, reward
        act = student.predict_raw
    return best, history
