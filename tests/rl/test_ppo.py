import gymnasium as gym
import numpy as np
from dpdktune.rl.ppo import PPO, PPOSettings


class Bandit(gym.Env):
    """A contextual bandit: the context (+1 or -1) says which of 3 actions pays 1."""

    def __init__(self):
        self.observation_space = gym.spaces.Box(-1, 1, (2,), np.float32)
        self.action_space = gym.spaces.Discrete(3)
        self._t = 0

    def _obs(self):
        self._ctx = int(self.np_random.integers(2))
        return np.array([1.0 if self._ctx else -1.0, 0.5], np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self._t = 0
        return self._obs(), {}

    def step(self, action):
        reward = 1.0 if action == (2 if self._ctx else 0) else 0.0
        self._t += 1
        return self._obs(), reward, False, self._t >= 100, {}


def test_ppo_learns_a_contextual_bandit():
    model = PPO(PPOSettings(hidden=(16,), learning_rate=3e-3, seed=0)).fit(Bandit(), 3000)
    picks = model.predict(np.array([[1.0, 0.5], [-1.0, 0.5]], np.float32))
    assert picks.tolist() == [2, 0]


def test_ppo_is_seeded_and_saves_losslessly(tmp_path):
    steps = []
    a = PPO(PPOSettings(hidden=(8,), seed=3, rollout_steps=64)).fit(
        Bandit(), 200, callback=lambda m, s: steps.append(s)
    )
    b = PPO(PPOSettings(hidden=(8,), seed=3, rollout_steps=64)).fit(Bandit(), 200)
    assert steps == [64, 128, 192, 200]
    x = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    for pa, pb in zip(a.actor_.parameters(), b.actor_.parameters()):
        assert np.array_equal(pa.detach().numpy(), pb.detach().numpy())
    loaded = PPO.load(a.save(tmp_path / "ppo.pt"))
    assert np.array_equal(loaded.predict(x), a.predict(x))
