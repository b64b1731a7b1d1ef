"""RL settings: one frozen dataclass built from the config's `rl:` section (serialised beside models)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

ALGORITHMS = ("cql", "bcq", "dqn", "double_dqn", "ppo")
OFFLINE = ("cql", "bcq")
ONLINE = ("dqn", "double_dqn")
Q_ALGORITHMS = OFFLINE + ONLINE


@dataclass(frozen=True)
class RLSettings:
    device: str = "auto"              # auto | cpu | cuda | cuda:N
    seed: int = 0
    algorithms: tuple[str, ...] = ("cql", "bcq", "double_dqn", "ppo")
    offline_steps: int = 1000         # gradient steps (CQL, BCQ)
    online_steps: int = 2000          # environment steps (DQN, PPO)
    eval_every: int = 500             # steps between learning-curve points
    eval_decisions: int = 5           # closed-loop decisions per evaluation episode
    split_repeats: int = 10           # the first N of the baselines' leave-workload-out splits
    seeds: int = 3                    # training seeds per split (the evaluation's spread)
    dataset_episodes: int = 60
    behaviour_epsilon: float = 0.3
    online_env: str = "sim"           # sim | replay: what DQN and PPO interact with
    batch_size: int = 64
    hidden: tuple[int, ...] = (64, 64)
    learning_rate: float = 3e-4
    gamma: float = 0.9
    threads: int = 1

    def __post_init__(self):
        bad = [a for a in self.algorithms if a not in ALGORITHMS]
        if bad:
            raise ValueError(f"rl.algorithms: unknown {bad}; expected a subset of {ALGORITHMS}")
        for key in ("offline_steps", "online_steps", "eval_every", "eval_decisions", "split_repeats", "seeds",
                    "dataset_episodes", "batch_size", "threads"):
            if getattr(self, key) < 1:
                raise ValueError(f"rl.{key}: {getattr(self, key)} must be >= 1")
        if self.online_env not in ("sim", "replay"):
            raise ValueError(f"rl.online_env: {self.online_env!r}; expected sim or replay")
        if not 0.0 <= self.gamma < 1.0:
            raise ValueError(f"rl.gamma: {self.gamma} must lie in [0, 1)")
        if not 0.0 <= self.behaviour_epsilon <= 1.0:
            raise ValueError(f"rl.behaviour_epsilon: {self.behaviour_epsilon} must lie in [0, 1]")
        if not (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")):
            raise ValueError(f"rl.device: {self.device!r}; expected auto, cpu, cuda or cuda:N")

    @classmethod
    def from_config(cls, rl: dict[str, Any]) -> "RLSettings":
        names = {f.name for f in fields(cls)}
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in rl.items() if k in names}
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_device(device: str) -> str:
    """d3rlpy's device string: `auto` is CUDA when present, else CPU."""
    import torch

    if device == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu:0"
    if device == "cpu":
        return "cpu:0"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"rl.device: {device!r} requested but CUDA is not available")
        return "cuda:0" if device == "cuda" else device
    raise ValueError(f"rl.device: {device!r}; expected auto, cpu, cuda or cuda:N")
