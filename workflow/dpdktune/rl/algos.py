"""d3rlpy algorithm construction, seeding and (atomic) model files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dpdktune.atomic import replacing
from dpdktune.rl.settings import RLSettings, resolve_device


def quiet_d3rlpy() -> None:
    """d3rlpy logs every epoch and parameter set at INFO through structlog; keep warnings only."""
    import logging

    import structlog

    from dpdktune.logs import colour_only_on_terminals

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    colour_only_on_terminals()


def seed_everything(seed: int, threads: int) -> None:
    """Seeded and deterministic: numpy, torch and d3rlpy draw from `seed`."""
    import d3rlpy
    import torch

    quiet_d3rlpy()
    np.random.seed(seed)
    d3rlpy.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)


def make_algo(name: str, settings: RLSettings):
    """A fresh d3rlpy Q-learning algorithm (`cql`, `bcq`, `dqn` or `double_dqn`) on the device."""
    import d3rlpy

    configs = {
        "cql": d3rlpy.algos.DiscreteCQLConfig,
        "bcq": d3rlpy.algos.DiscreteBCQConfig,
        "dqn": d3rlpy.algos.DQNConfig,
        "double_dqn": d3rlpy.algos.DoubleDQNConfig,
    }
    if name not in configs:
        raise ValueError(f"rl.algorithms: {name!r} is not a d3rlpy algorithm here; expected {sorted(configs)}")
    extra = {"alpha": settings.cql_alpha} if name == "cql" else {}
    config = configs[name](
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        gamma=settings.gamma,
        target_update_interval=max(100, settings.eval_every // 2),
        encoder_factory=d3rlpy.models.VectorEncoderFactory(list(settings.hidden)),
        **extra,
    )
    return config.create(device=resolve_device(settings.device))


def save_algo(algo, path: str | Path) -> Path:
    """Write a d3rlpy model file (config + weights) atomically."""
    with replacing(path) as tmp:
        algo.save(str(tmp))
    return Path(path)


def load_algo(path: str | Path, device: str = "auto"):
    import d3rlpy

    return d3rlpy.load_learnable(str(path), device=resolve_device(device))


def q_values(algo, observations: np.ndarray) -> np.ndarray:
    """(states, actions) Q-values of a d3rlpy discrete Q-learner."""
    obs = np.asarray(observations, np.float32)
    n_actions = algo.action_size
    rep = np.repeat(obs, n_actions, axis=0)
    acts = np.tile(np.arange(n_actions), len(obs))
    out = []
    for start in range(0, len(rep), 65536):
        out.append(algo.predict_value(rep[start : start + 65536], acts[start : start + 65536]))
    return np.concatenate(out).reshape(len(obs), n_actions)
