"""Online RL: d3rlpy DQN / DoubleDQN through `fit_online` on a tuning environment."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dpdktune.rl.algos import make_algo, seed_everything
from dpdktune.rl.settings import ONLINE, RLSettings


def train_online(
    name: str, env, settings: RLSettings, evaluate: Callable[[object], dict[str, float]]
) -> tuple[object, pd.DataFrame]:
    """Interact with `env` for `online_steps` steps (epsilon 1.0 -> 0.05 over the first half)."""
    import d3rlpy

    if name not in ONLINE:
        raise ValueError(f"rl.algorithms: {name!r} is not an online algorithm; expected one of {ONLINE}")
    seed_everything(settings.seed, settings.threads)
    env.reset(seed=settings.seed)
    env.action_space.seed(settings.seed)
    algo = make_algo(name, settings)
    algo.build_with_env(env)
    buffer = d3rlpy.dataset.create_fifo_replay_buffer(limit=max(settings.online_steps, 1000), env=env)
    explorer = d3rlpy.algos.LinearDecayEpsilonGreedy(1.0, 0.05, max(1, settings.online_steps // 2))
    every = min(settings.eval_every, settings.online_steps)
    curve = [{"step": 0, **evaluate(algo)}]

    def on_step(algo, epoch: int, total_step: int) -> None:
        if total_step % every == 0:
            curve.append({"step": total_step, **evaluate(algo)})

    algo.fit_online(
        env,
        buffer,
        explorer,
        n_steps=settings.online_steps,
        n_steps_per_epoch=every,
        update_start_step=settings.batch_size,
        logger_adapter=d3rlpy.logging.NoopAdapterFactory(),
        show_progress=False,
        save_interval=10**9,
        callback=on_step,
    )
    return algo, pd.DataFrame(curve)
