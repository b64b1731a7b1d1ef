"""Behavioural cloning: a tree imitates the RL policy on the states the RL policy itself visits."""

from __future__ import annotations

import numpy as np

from dpdktune.dataset_arrays import Landscape
from dpdktune.distill.policy import Teacher, rollout_states
from dpdktune.rl.env import EnvSettings, ReplayEnv


def bc_data(
    teacher: Teacher, landscape: Landscape, settings: EnvSettings, episodes: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(raw imputed states, teacher actions, unit weights) from the teacher's replay rollouts."""
    env = ReplayEnv(landscape, teacher.normalizer, settings)
    raw = rollout_states(env, teacher.act_raw, episodes, seed)
    return teacher.normalizer.impute(raw), teacher.act_raw(raw), np.ones(len(raw))
