"""Offline RL: d3rlpy DiscreteCQL and DiscreteBCQ on the replayed dataset."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dpdktune.rl.algos import make_algo, seed_everything
from dpdktune.rl.settings import OFFLINE, RLSettings


def train_offline(
    name: str, dataset, settings: RLSettings, evaluate: Callable[[object], dict[str, float]]
) -> tuple[object, pd.DataFrame]:
    """Fit `name` for `offline_steps` gradient steps; `evaluate(algo)` gives each curve point.

    Nothing is logged to disk (d3rlpy's NoopAdapter): models are saved by the caller.
    """
    import d3rlpy

    if name not in OFFLINE:
        raise ValueError(f"rl.algorithms: {name!r} is not an offline algorithm; expected one of {OFFLINE}")
    seed_everything(settings.seed, settings.threads)
    algo = make_algo(name, settings)
    algo.build_with_dataset(dataset)
    curve = [{"step": 0, **evaluate(algo)}]
    every = min(settings.eval_every, settings.offline_steps)
    for epoch, metrics in algo.fitter(
        dataset,
        n_steps=settings.offline_steps,
        n_steps_per_epoch=every,
        logger_adapter=d3rlpy.logging.NoopAdapterFactory(),
        show_progress=False,
        save_interval=10**9,
    ):
        curve.append({"step": epoch * every, "loss": float(metrics.get("loss", float("nan"))), **evaluate(algo)})
    return algo, pd.DataFrame(curve)
