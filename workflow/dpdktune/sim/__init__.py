"""The embedded DPDK performance simulator behind backend `sim`.

One module per mechanism (wire, pcie, cache, cpu, rings, rss, traffic, queueing, noise);
`model.simulate` composes them into one run. Every constant comes from the hardware
profile (config/hardware/*.yaml); each mechanism's docstring names its source.
"""

from dataclasses import replace

from dpdktune.sim.dataplane import with_dataplane_metrics
from dpdktune.sim.model import SimOutput, apply_knobs
from dpdktune.sim.model import simulate as simulate_physics

__all__ = ["SimOutput", "apply_knobs", "simulate"]


def simulate(workload, hw, knobs, seed, **options) -> SimOutput:
    """`model.simulate`, plus what the data plane counts in its own loop (`sim.dataplane`)."""
    out = simulate_physics(workload, hw, knobs, seed, **options)
    return replace(out, metrics=with_dataplane_metrics(out.metrics, out, hw))
