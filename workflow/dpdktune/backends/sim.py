"""Backend `sim`: the embedded simulator (dpdktune.sim) behind the Backend protocol."""

from __future__ import annotations

from collections import Counter
from typing import Any

from dpdktune.backends.base import RunFailed, RunResult, RunSpec
from dpdktune.sim import simulate
from dpdktune.sim.noise import injected_fault

SIM_VERSION = "0.1.0"
_DEFAULTS = {"noise_cv": 0.02, "failure_prob": 0.0, "window_ms": 10.0, "sample_interval_ms": 0.5}


class SimBackend:
    """Runs experiments in the simulator; `sim_config` is config["sim"].

    Fault injection draws from (seed, attempt): the backend counts attempts per run_id, so
    the runner's retry of a failed run gets a fresh draw and can succeed.
    """

    name = "sim"

    def __init__(self, sim_config: dict[str, Any] | None = None):
        config = dict(_DEFAULTS)
        for key, value in (sim_config or {}).items():
            if key not in _DEFAULTS:
                raise ValueError(f"sim.{key}: unknown key; expected one of {sorted(_DEFAULTS)}")
            config[key] = float(value)
        if not 0.0 <= config["failure_prob"] <= 1.0:
            raise ValueError(f"sim.failure_prob: must be within [0, 1], got {config['failure_prob']}")
        if config["noise_cv"] < 0:
            raise ValueError(f"sim.noise_cv: must be >= 0, got {config['noise_cv']}")
        for key in ("window_ms", "sample_interval_ms"):
            if config[key] <= 0:
                raise ValueError(f"sim.{key}: must be > 0, got {config[key]}")
        self.config = config
        self._attempts: Counter[str] = Counter()

    def version(self) -> str:
        return f"dpdktune-sim {SIM_VERSION}"

    def run(self, spec: RunSpec) -> RunResult:
        self._attempts[spec.run_id] += 1
        attempt = self._attempts[spec.run_id]
        fault = injected_fault(spec.seed, attempt, self.config["failure_prob"])
        if fault is not None:
            raise RunFailed(f"injected fault: {fault} (attempt {attempt})",
                            log_tail=f"sim: injected fault on {spec.run_id} attempt {attempt}")
        out = simulate(
            spec.workload, spec.hardware, spec.knobs, spec.seed,
            window_ms=self.config["window_ms"],
            sample_interval_ms=self.config["sample_interval_ms"],
            noise_cv=self.config["noise_cv"],
        )
        return RunResult(metrics=out.metrics, applied=out.applied, timeseries=out.timeseries, extra=out.extra)

    def close(self) -> None:
        """Nothing to release: the simulator holds no processes."""
