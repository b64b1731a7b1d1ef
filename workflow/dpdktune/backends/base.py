"""The one seam between the campaign runner and whatever runs an experiment.

The simulator, local testpmd and the SSH testbed all implement `Backend`. A backend
measures one run; the runner owns retries, journaling and Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from dpdktune.hardware import HardwareProfile
from dpdktune.knobs import Knobs
from dpdktune.workloads import Workload


@dataclass(frozen=True)
class RunSpec:
    """One experiment: a workload under a config on a hardware profile, trial `trial`."""

    run_id: str
    workload: Workload
    hardware: HardwareProfile
    knobs: Knobs
    trial: int
    seed: int


@dataclass
class RunResult:
    """What a backend measured. Metric keys are `metrics.schema.METRIC_NAMES`; a metric the
    backend could not measure is None and `missing_reasons[name]` says why."""

    metrics: dict[str, Any]
    applied: Knobs
    missing_reasons: dict[str, str] = field(default_factory=dict)
    #: time series on one shared clock: "t_s" plus `metrics.schema.TIMESERIES_METRICS`
    timeseries: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    log_tail: str = ""


class RunFailed(Exception):
    """A run that did not produce a measurement; `log_tail` keeps the evidence."""

    def __init__(self, reason: str, log_tail: str = "", retryable: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.log_tail = log_tail
        self.retryable = retryable


@runtime_checkable
class Backend(Protocol):
    name: str

    def version(self) -> str:
        """What ran the experiments, e.g. "dpdktune-sim 0.1.0" or "DPDK 22.11.4"."""
        ...

    def host(self) -> dict[str, str]:
        """What ran the experiments, as provenance keys (backends/host.py): {} on the simulator,
        whose hardware is its profile; on a real backend the probed CPU, NIC, DPDK and kernel."""
        ...

    def run(self, spec: RunSpec) -> RunResult:
        """Run one experiment, or raise `RunFailed`."""
        ...

    def close(self) -> None:
        """Release processes and connections; called once per batch, also on failure."""
        ...
