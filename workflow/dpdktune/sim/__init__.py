"""The embedded DPDK performance simulator behind backend `sim`.

One module per mechanism (wire, pcie, cache, cpu, rings, rss, traffic, queueing, noise);
`model.simulate` composes them into one run. Every constant comes from the hardware
profile (config/hardware/*.yaml); each mechanism's docstring names its source.
"""

from dpdktune.sim.model import SimOutput, apply_knobs, simulate

__all__ = ["SimOutput", "apply_knobs", "simulate"]
