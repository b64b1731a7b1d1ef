"""The offline RL dataset: d3rlpy `MDPDataset` episodes replayed from the characterization Parquet.

The dataset records every (workload, config, trial), so any policy can be replayed over it
(`ReplayEnv`). Transitions come from three behaviour policies, one per episode in turn:

- ``random``: a uniformly random config each step (coverage of the whole grid).
- ``local_search``: move one knob one grid step up or down from the current config, as a
  hill-climbing operator would (dense coverage near wherever the DUT is).
- ``epsilon_oracle``: the workload's best config with probability 1 - epsilon, else a random
  one (what a good hand-tuner's logs look like; epsilon = `rl.behaviour_epsilon`).

Episodes end by time limit only, so `terminals` is all zero and `timeouts` marks each
episode's last step. `action_space` and `action_size` are passed explicitly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.rl.env import EnvSettings, ReplayEnv

BEHAVIOURS = ("random", "local_search", "epsilon_oracle")


def neighbours(grid) -> list[list[int]]:
    """For each config, the configs one grid step along one knob axis from it."""
    axes = {f: sorted({getattr(k, f) for k in grid}) for f in ("rx_desc", "tx_desc", "cores", "burst")}
    index = {k: i for i, k in enumerate(grid)}
    table = []
    for here in grid:
        out = []
        for f, values in axes.items():
            pos = values.index(getattr(here, f))
            for step in (-1, 1):
                if 0 <= pos + step < len(values):
                    out.append(index[type(here)(**(here.as_dict() | {f: values[pos + step]}))])
        table.append(out or [index[here]])
    return table


def behaviour_policy(name: str, env: ReplayEnv, rng: np.random.Generator, epsilon: float) -> Callable[[], int]:
    """A zero-argument callable giving the next action of behaviour `name` in `env`."""
    n = env.action_space.n
    if name == "random":
        return lambda: int(rng.integers(n))
    if name == "local_search":
        table = neighbours(env.grid)
        return lambda: int(rng.choice(table[env.action]))
    if name == "epsilon_oracle":
        best = np.argmax(env.landscape.normalized_mean(), axis=1)

        def act() -> int:
            if rng.random() < epsilon:
                return int(rng.integers(n))
            return int(best[env.landscape.workloads.index(env.workload)])

        return act
    raise ValueError(f"rl.behaviours: unknown behaviour {name!r}; expected one of {BEHAVIOURS}")


def collect(
    landscape: Landscape,
    normalizer: Normalizer,
    settings: EnvSettings,
    episodes: int,
    seed: int,
    behaviours=BEHAVIOURS,
    epsilon: float = 0.3,
) -> dict[str, np.ndarray]:
    """Replay `episodes` episodes, behaviours taken in turn; returns the transition arrays."""
    env = ReplayEnv(landscape, normalizer, settings)
    rng = np.random.default_rng(seed)
    obs, acts, rews, terms, touts, behav = [], [], [], [], [], []
    for e in range(episodes):
        name = behaviours[e % len(behaviours)]
        o, _ = env.reset(seed=int(rng.integers(2**31)))
        act = behaviour_policy(name, env, rng, epsilon)
        done = False
        while not done:
            a = act()
            nxt, r, terminated, truncated, _ = env.step(a)
            obs.append(o)
            acts.append(a)
            rews.append(r)
            terms.append(float(terminated))
            touts.append(float(truncated and not terminated))
            behav.append(name)
            o, done = nxt, terminated or truncated
    return {
        "observations": np.asarray(obs, np.float32),
        "actions": np.asarray(acts, np.int64),
        "rewards": np.asarray(rews, np.float32),
        "terminals": np.asarray(terms, np.float32),
        "timeouts": np.asarray(touts, np.float32),
        "behaviour": np.asarray(behav),
    }


def to_mdp_dataset(arrays: dict[str, np.ndarray], action_size: int):
    """A d3rlpy MDPDataset over a discrete action space of `action_size` configs."""
    import d3rlpy

    from dpdktune.rl.algos import quiet_d3rlpy

    quiet_d3rlpy()
    return d3rlpy.dataset.MDPDataset(
        observations=arrays["observations"],
        actions=arrays["actions"],
        rewards=arrays["rewards"],
        terminals=arrays["terminals"],
        timeouts=arrays["timeouts"],
        action_space=d3rlpy.ActionSpace.DISCRETE,
        action_size=action_size,
    )


def build(
    landscape: Landscape, normalizer: Normalizer, settings: EnvSettings, episodes: int, seed: int, epsilon: float = 0.3
):
    """The MDPDataset and its raw arrays for `landscape` (one split's training workloads)."""
    arrays = collect(landscape, normalizer, settings, episodes, seed, epsilon=epsilon)
    return to_mdp_dataset(arrays, landscape.n_actions), arrays
