"""The tuning environment, in the gymnasium API.

- State: the fingerprint features (`fingerprint.FINGERPRINT_FEATURES`) observed under the
  config the DUT runs now, standardised by a `Normalizer`.
- Action: an index into the config grid (`knobs.expand_grid` order).
- Reward: the objective of the run under the chosen config divided by the workload's oracle
  (1.0 = the best config on the grid). Changing a ring size restarts the port, which a real DUT
  pays as lost forwarding time: a step that changes rx_desc or tx_desc loses
  `restart_cost_s` of its `decision_interval_s`, so its reward is scaled by
  1 - restart_cost_s / decision_interval_s.
- Episodes are time limits (`truncated`), never terminal: tuning has no end state. The workload
  changes every `workload_change_every` steps.

`ReplayEnv` replays the characterization dataset: a step returns a recorded trial of
(workload, config). `SimEnv` runs the simulator backend for every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from dpdktune.dataset_arrays import Landscape, Normalizer
from dpdktune.fingerprint import FINGERPRINT_FEATURES, feature_names
from dpdktune.knobs import Knobs
from dpdktune.sections import RLSettings


@dataclass(frozen=True)
class EnvSettings:
    """The environment's part of the `rl:` section; its defaults are RLSettings' (one source)."""

    episode_steps: int = RLSettings.episode_steps
    workload_change_every: int = RLSettings.workload_change_every
    restart_cost_s: float = RLSettings.restart_cost_s
    decision_interval_s: float = RLSettings.decision_interval_s

    @classmethod
    def from_config(cls, rl: dict[str, Any]) -> EnvSettings:
        keys = {k: rl[k] for k in asdict(cls()) if k in rl}
        return cls(**keys)

    @classmethod
    def from_settings(cls, rl: RLSettings) -> EnvSettings:
        return cls(**{k: getattr(rl, k) for k in RLSettings.ENV_KEYS})

    @property
    def restart_factor(self) -> float:
        """The fraction of a step's time still forwarding after a port restart."""
        return 1.0 - self.restart_cost_s / self.decision_interval_s


def restarts(grid: Sequence[Knobs], before: int, after: int) -> bool:
    """Whether moving from config `before` to `after` changes a ring size (a port restart)."""
    a, b = grid[before], grid[after]
    return a.rx_desc != b.rx_desc or a.tx_desc != b.tx_desc


class _TuningEnv(gym.Env):
    """The step/episode logic shared by the replay and simulator environments."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        workloads: Sequence[str],
        grid: Sequence[Knobs],
        default_action: int,
        normalizer: Normalizer,
        settings: EnvSettings,
    ):
        if not workloads:
            raise ValueError("workloads: the environment needs at least one workload")
        self.workload_names = tuple(workloads)
        self.grid = tuple(grid)
        self.default_action = default_action
        self.normalizer = normalizer
        self.settings = settings
        self.n_features = len(normalizer.mean)  # the feature set the normalizer was fitted on
        self.observation_space = gym.spaces.Box(-10.0, 10.0, (self.n_features,), np.float32)
        self.action_space = gym.spaces.Discrete(len(self.grid))
        self._rng = np.random.default_rng(0)
        self.workload = self.workload_names[0]
        self.action = default_action
        self.steps = 0
        self._raw = np.full(self.n_features, np.nan)

    # -- what a subclass measures -------------------------------------------------------------
    def _measure(self, workload: str, action: int) -> tuple[np.ndarray, float]:
        """(raw features, objective / oracle) of one run; NaN features and 0 for a failed run."""
        raise NotImplementedError

    # -- gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        options = options or {}
        self.workload = options.get("workload") or self._rng.choice(self.workload_names)
        if self.workload not in self.workload_names:
            raise ValueError(f"options.workload: {self.workload!r} is not one of this env's workloads")
        self.action = int(options.get("action", self.default_action))
        self.steps = 0
        self._raw, _ = self._measure(self.workload, self.action)
        return self.observe(), {"workload": self.workload, "config": self.action}

    def observe(self) -> np.ndarray:
        """The normalized features last observed under the current config."""
        return self.normalizer.transform(self._raw)

    def observe_raw(self) -> np.ndarray:
        """The same observation in raw units (NaN where a metric is missing): a tree's input."""
        return self._raw.copy()

    def step(self, action):
        action = int(action)
        if not 0 <= action < len(self.grid):
            raise ValueError(f"action: {action} is outside the grid 0..{len(self.grid) - 1}")
        restart = restarts(self.grid, self.action, action)
        self._raw, value = self._measure(self.workload, action)
        reward = value * (self.settings.restart_factor if restart else 1.0)
        info = {"workload": self.workload, "config": action, "normalized_objective": value, "restart": restart}
        self.action = action
        self.steps += 1
        if self.steps % self.settings.workload_change_every == 0 and len(self.workload_names) > 1:
            others = [w for w in self.workload_names if w != self.workload]
            self.workload = str(self._rng.choice(others))
            self._raw, _ = self._measure(self.workload, self.action)
        truncated = self.steps >= self.settings.episode_steps
        return self.observe(), float(reward), False, truncated, info


class ReplayEnv(_TuningEnv):
    """Steps replay recorded trials: the state is a trial of (workload, current config)."""

    def __init__(self, landscape: Landscape, normalizer: Normalizer, settings: EnvSettings):
        super().__init__(landscape.workloads, landscape.grid, landscape.default_action, normalizer, settings)
        self.landscape = landscape
        self._value = landscape.objective / landscape.oracle()[:, None, None]
        self._slots = [
            [np.flatnonzero(~np.isnan(landscape.objective[w, a])) for a in range(len(landscape.grid))]
            for w in range(len(landscape.workloads))
        ]

    def _measure(self, workload: str, action: int) -> tuple[np.ndarray, float]:
        w = self.landscape.workloads.index(workload)
        slots = self._slots[w][action]
        if slots.size == 0:  # every trial of this config failed
            return np.full(self.n_features, np.nan), 0.0
        s = int(self._rng.choice(slots))
        return self.landscape.features[w, action, s], float(self._value[w, action, s])


class SimEnv(_TuningEnv):
    """Every step is a fresh run of `backend` (the simulator), seeded from the episode's generator."""

    def __init__(
        self,
        backend,
        hardware,
        workloads: Sequence,
        grid: Sequence[Knobs],
        default_action: int,
        normalizer: Normalizer,
        settings: EnvSettings,
        oracle: dict[str, float],
        config: dict[str, Any],
    ):
        super().__init__([w.name for w in workloads], grid, default_action, normalizer, settings)
        missing = sorted(w.name for w in workloads if not oracle.get(w.name, 0) > 0)
        if missing:
            raise ValueError(f"oracle: no positive oracle objective for workloads {missing}")
        self.backend = backend
        self.hardware = hardware
        self._workloads = {w.name: w for w in workloads}
        self.oracle = dict(oracle)
        self.config = config
        self._runs = 0

    def _measure(self, workload: str, action: int) -> tuple[np.ndarray, float]:
        from dpdktune.backends.base import RunFailed, RunSpec

        self._runs += 1
        spec = RunSpec(
            run_id=f"rl-{self._runs}",
            workload=self._workloads[workload],
            hardware=self.hardware,
            knobs=self.grid[action],
            trial=self._runs % 32768,
            seed=int(self._rng.integers(2**62)),
        )  # reproducible from reset(seed)
        try:
            result = self.backend.run(spec)
        except RunFailed:
            return np.full(self.n_features, np.nan), 0.0
        raw = run_features(result.metrics, feature_names(self.config))
        value = run_objective(result.metrics, self.grid[action], result.applied, self.config) / self.oracle[workload]
        return raw, value if np.isfinite(value) else 0.0


def run_features(metrics: dict[str, Any], names=FINGERPRINT_FEATURES) -> np.ndarray:
    """`fingerprint.feature_frame` of one run's metrics without a DataFrame (a step costs ~1 ms
    less); tests/rl/test_env.py checks that the two agree."""
    m = {k: (np.nan if v is None else v) for k, v in metrics.items()}
    mpps = m.get("throughput_mpps", np.nan)
    m["mean_frame_bytes"] = m.get("throughput_gbps", np.nan) * 125.0 / mpps if mpps else np.nan
    return np.array([float(m.get(f, np.nan)) for f in names])


def run_objective(metrics: dict[str, Any], knobs: Knobs, applied: Knobs, config: dict[str, Any]) -> float:
    """`objective.objective_values` of one successful run (checked equal in tests/rl/test_env.py)."""
    from dpdktune.objective import values

    cores = applied.cores or knobs.cores
    return float(values(config["objective"], metrics, cores, knobs.rx_desc, knobs.tx_desc, config))
