"""The two sides of distillation: the RL teacher and the tree student, plus rollouts in replay.

The student works on raw features (what the C fast path reads), with missing values imputed
by the training mean; the teacher works on normalized features. Both expose
`predict(normalized observations)` so `rl.evaluate.closed_loop` scores them the same way.
"""

from __future__ import annotations

import numpy as np

from dpdktune.dataset_arrays import Normalizer


class Teacher:
    """An RL model and the normalizer it was trained with, queried on raw features."""

    def __init__(self, model, normalizer: Normalizer, algorithm: str):
        self.model = model
        self.normalizer = normalizer
        self.algorithm = algorithm

    @property
    def has_q(self) -> bool:
        return self.algorithm != "ppo"

    def predict(self, obs: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(np.asarray(obs, np.float32)), int)

    def act_raw(self, raw: np.ndarray) -> np.ndarray:
        return self.predict(self.normalizer.transform(raw))

    def q_raw(self, raw: np.ndarray) -> np.ndarray:
        """(states, actions) Q-values; a policy-gradient teacher has none (all zeros)."""
        from dpdktune.rl.algos import q_values

        raw = np.asarray(raw, float)
        if not self.has_q:
            return np.zeros((len(raw), 1))
        return q_values(self.model, self.normalizer.transform(raw))

    def weights_raw(self, raw: np.ndarray) -> np.ndarray:
        """VIPER's sample weight: how much choosing wrongly costs, max_a Q - min_a Q."""
        q = self.q_raw(raw)
        gap = q.max(axis=1) - q.min(axis=1)
        return gap if np.any(gap > 0) else np.ones(len(raw))


class TreePolicy:
    """A fitted scikit-learn tree over raw (imputed) features, behind the normalized interface."""

    def __init__(self, tree, normalizer: Normalizer):
        self.tree = tree
        self.normalizer = normalizer

    def predict(self, obs: np.ndarray) -> np.ndarray:
        raw = self.normalizer.inverse(np.asarray(obs, float))
        return self.predict_raw(raw)

    def predict_raw(self, raw: np.ndarray) -> np.ndarray:
        X = self.normalizer.impute(np.atleast_2d(raw)).astype(np.float32)
        return np.asarray(self.tree.predict(X), int)


def rollout_states(env, act, episodes: int, seed: int, diverse: bool = True) -> np.ndarray:
    """Raw states visited when `act(raw_state) -> action` drives `env` for `episodes` episodes.

    `diverse`: each episode starts at a random config (and, as always, a random workload), so the
    roll-outs cover states away from the default config that a deployed policy meets after a
    workload change, not the same few states of one start over and over."""
    rng = np.random.default_rng(seed)
    states = []
    for _ in range(episodes):
        options = {"action": int(rng.integers(env.action_space.n))} if diverse else None
        env.reset(seed=int(rng.integers(2**31)), options=options)
        done = False
        while not done:
            raw = env.observe_raw()
            states.append(raw)
            _, _, terminated, truncated, _ = env.step(int(act(raw[None, :])[0]))
            done = terminated or truncated
    return np.asarray(states, float)
