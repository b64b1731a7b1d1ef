"""Backend `sim`: the embedded simulator (dpdktune.sim) behind the Backend protocol."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

from dpdktune.backends.base import RunFailed, RunResult, RunSpec
from dpdktune.sections import SimSettings
from dpdktune.sim import simulate
from dpdktune.sim.noise import injected_fault

SIM_VERSION = "0.1.0"


class SimBackend:
    """Runs experiments in the simulator; `sim_config` is config["sim"].

    Fault injection draws from (seed, attempt): the backend counts attempts per run_id, so
    the runner's retry of a failed run gets a fresh draw and can succeed.
    """

    name = "sim"

    def __init__(self, sim_config: dict[str, Any] | None = None):
        self.config = asdict(SimSettings.from_config(sim_config))
        self._attempts: Counter[str] = Counter()

    def version(self) -> str:
        return f"dpdktune-sim {SIM_VERSION}"

    def host(self) -> dict[str, str]:
        """None to probe: the simulated hardware is the profile each RunSpec carries."""
        return {}

    def run(self, spec: RunSpec) -> RunResult:
        self._attempts[spec.run_id] += 1
        attempt = self._attempts[spec.run_id]
        fault = injected_fault(spec.seed, attempt, self.config["failure_prob"])
        if fault is not None:
            raise RunFailed(
                f"injected fault: {fault} (attempt {attempt})",
                log_tail=f"sim: injected fault on {spec.run_id} attempt {attempt}",
            )
        out = simulate(
            spec.workload,
            spec.hardware,
            spec.knobs,
            spec.seed,
            window_ms=self.config["window_ms"],
            sample_interval_ms=self.config["sample_interval_ms"],
            noise_cv=self.config["noise_cv"],
        )
        return RunResult(metrics=out.metrics, applied=out.applied, timeseries=out.timeseries, extra=out.extra)

    def close(self) -> None:
        """Nothing to release: the simulator holds no processes."""
