"""A compact PPO (clipped surrogate, GAE) for a discrete action space, in plain torch.

stable-baselines3 pins a gymnasium that conflicts with d3rlpy's, so this is the small version:
one actor-critic MLP, `rollout_steps` environment steps per update, `epochs` passes of
minibatches over them. Follows the scikit-learn contract: `fit(env, n_steps)` returns self.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dpdktune.atomic import replacing
from dpdktune.sections import RLSettings


@dataclass(frozen=True)
class PPOSettings:
    """PPO's hyperparameters; those the `rl:` section sets default to its values (one source)."""

    hidden: tuple[int, ...] = RLSettings.hidden
    learning_rate: float = RLSettings.learning_rate
    gamma: float = RLSettings.gamma
    gae_lambda: float = 0.95
    clip: float = 0.2
    entropy_coef: float = 0.01
    value_coef: float = 0.5
    rollout_steps: int = 256
    epochs: int = 4
    minibatch: int = 64
    max_grad_norm: float = 0.5
    seed: int = 0
    device: str = "cpu:0"


def _mlp(sizes, torch):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])


class PPO:
    def __init__(self, settings: PPOSettings = PPOSettings()):
        self.settings = settings

    def _build(self, obs_dim: int, n_actions: int) -> None:
        import torch

        s = self.settings
        torch.manual_seed(s.seed)
        self.device_ = torch.device(s.device)
        self.actor_ = _mlp((obs_dim, *s.hidden, n_actions), torch).to(self.device_)
        self.critic_ = _mlp((obs_dim, *s.hidden, 1), torch).to(self.device_)
        params = list(self.actor_.parameters()) + list(self.critic_.parameters())
        self.optimizer_ = torch.optim.Adam(params, lr=s.learning_rate)
        self.obs_dim_, self.n_actions_ = int(obs_dim), int(n_actions)

    def fit(self, env, n_steps: int, callback: Callable[[PPO, int], None] | None = None) -> PPO:
        """Interact with `env` for `n_steps` steps; `callback(self, step)` after each update."""
        import torch

        s = self.settings
        self._build(env.observation_space.shape[0], env.action_space.n)
        rng = torch.Generator(device="cpu").manual_seed(s.seed)
        obs, _ = env.reset(seed=s.seed)
        done_steps = 0
        while done_steps < n_steps:
            horizon = min(s.rollout_steps, n_steps - done_steps)
            buf_obs = np.zeros((horizon, self.obs_dim_), np.float32)
            buf_act = np.zeros(horizon, np.int64)
            buf_rew = np.zeros(horizon, np.float32)
            buf_end = np.zeros(horizon, np.float32)  # episode boundary after this step
            buf_term = np.zeros(horizon, np.float32)  # true terminal (no bootstrap)
            buf_logp = np.zeros(horizon, np.float32)
            buf_val = np.zeros(horizon + 1, np.float32)
            boot = np.zeros(horizon, np.float32)  # value of the state a truncation cut off
            for t in range(horizon):
                x = torch.as_tensor(obs, device=self.device_)[None]
                with torch.no_grad():
                    logits = self.actor_(x)[0]
                    probs = torch.softmax(logits, -1).cpu()
                    a = int(torch.multinomial(probs, 1, generator=rng))
                    buf_val[t] = float(self.critic_(x)[0, 0])
                buf_logp[t] = float(torch.log(probs[a] + 1e-12))
                buf_obs[t], buf_act[t] = obs, a
                obs, r, terminated, truncated, _ = env.step(a)
                buf_rew[t] = r
                if terminated or truncated:
                    buf_end[t], buf_term[t] = 1.0, float(terminated)
                    if truncated and not terminated:
                        with torch.no_grad():
                            boot[t] = float(self.critic_(torch.as_tensor(obs, device=self.device_)[None])[0, 0])
                    obs, _ = env.reset()
            with torch.no_grad():
                buf_val[horizon] = float(self.critic_(torch.as_tensor(obs, device=self.device_)[None])[0, 0])
            adv = np.zeros(horizon, np.float32)
            last = 0.0
            for t in reversed(range(horizon)):
                next_v = boot[t] if buf_end[t] else buf_val[t + 1]
                next_v *= 1.0 - buf_term[t]
                delta = buf_rew[t] + s.gamma * next_v - buf_val[t]
                last = delta + s.gamma * s.gae_lambda * (1.0 - buf_end[t]) * last
                adv[t] = last
            self._update(buf_obs, buf_act, buf_logp, adv, adv + buf_val[:horizon], rng)
            done_steps += horizon
            if callback:
                callback(self, done_steps)
        return self

    def _update(self, obs, act, logp_old, adv, ret, rng) -> None:
        import torch

        s = self.settings
        dev = self.device_
        obs_t, act_t = torch.as_tensor(obs, device=dev), torch.as_tensor(act, device=dev)
        logp_t, ret_t = torch.as_tensor(logp_old, device=dev), torch.as_tensor(ret, device=dev)
        adv_t = torch.as_tensor((adv - adv.mean()) / (adv.std() + 1e-8), device=dev)
        for _ in range(s.epochs):
            order = torch.randperm(len(obs), generator=rng).to(dev)
            for start in range(0, len(obs), s.minibatch):
                idx = order[start : start + s.minibatch]
                dist = torch.distributions.Categorical(logits=self.actor_(obs_t[idx]))
                ratio = torch.exp(dist.log_prob(act_t[idx]) - logp_t[idx])
                clipped = torch.clamp(ratio, 1 - s.clip, 1 + s.clip)
                policy_loss = -torch.min(ratio * adv_t[idx], clipped * adv_t[idx]).mean()
                value_loss = ((self.critic_(obs_t[idx])[:, 0] - ret_t[idx]) ** 2).mean()
                loss = policy_loss + s.value_coef * value_loss - s.entropy_coef * dist.entropy().mean()
                self.optimizer_.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(
                    list(self.actor_.parameters()) + list(self.critic_.parameters()), s.max_grad_norm
                )
                self.optimizer_.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The greedy action (argmax of the policy's logits) for each state."""
        import torch

        with torch.no_grad():
            logits = self.actor_(torch.as_tensor(np.asarray(x, np.float32), device=self.device_))
        return logits.argmax(-1).cpu().numpy()

    def save(self, path: str | Path) -> Path:
        import torch

        with replacing(path) as tmp:
            torch.save(
                {
                    "settings": json.dumps(asdict(self.settings)),
                    "obs_dim": self.obs_dim_,
                    "n_actions": self.n_actions_,
                    "actor": self.actor_.state_dict(),
                    "critic": self.critic_.state_dict(),
                },
                tmp,
            )
        return Path(path)

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu:0") -> PPO:
        import torch

        blob = torch.load(path, map_location="cpu", weights_only=True)
        saved = json.loads(blob["settings"])
        settings = PPOSettings(**{**saved, "hidden": tuple(saved["hidden"]), "device": device})
        model = cls(settings)
        model._build(blob["obs_dim"], blob["n_actions"])
        model.actor_.load_state_dict(blob["actor"])
        model.critic_.load_state_dict(blob["critic"])
        return model
