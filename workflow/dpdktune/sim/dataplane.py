"""What the data plane measures in its own loop, derived from a simulated run.

A DPDK application sees only its counters: `rte_eth_stats` (ipackets, opackets, imissed),
what each `rte_eth_rx_burst` call returns, the TSC, and `rte_eth_rx_queue_count`. This module
turns one simulated run into those observations, from quantities the simulator already
computes, so the tuner is trained on exactly what csrc/l2fwd_tune can feed it:

- rx_mpps: packets the cores took off the rings. Cycle accounting (DPDK programmer's guide,
  poll mode driver: cores busy-poll, every cycle is a packet, a burst call or an empty poll):
  busy cycles = useful_cycles_fraction x hz x cores x window = received x cycles_per_packet.
- tx_drop_rate: (received - sent) / offered, what rte_eth_tx_burst refused. imissed_rate: the
  rest of the run's drops, the NIC's with the ring or its buffer full (`imissed`); the two add
  up to the run's drop_rate (packets still in a ring at the window's end are neither).
- rx_burst_fill: mean packets per non-empty rx_burst / the configured burst; the packets a
  loop gathers are arrival rate x loop period (cpu.average_burst), so it grows with load.
- empty_poll_share: share of rx_burst calls that return nothing. The idle cycles,
  (1 - utilisation) x hz x cores, go to empty polls of `empty_poll_cycles` each; the
  non-empty polls are received / mean burst. (The empty-poll count is DPDK's own load signal:
  l3fwd-power and the power library's empty-poll heuristic.)
- rx_ring_occupancy: mean descriptors in use / rx_desc, from the simulated ring occupancy
  (what `rte_eth_rx_queue_count` reports, sampled).

Assumption: the simulator's cycle accounting is complete (busy + empty-poll cycles = all
cycles); drops count against the offered load of the run's window.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dpdktune.hardware import HardwareProfile

DATAPLANE_METRICS = (
    "rx_mpps",
    "imissed_rate",
    "tx_drop_rate",
    "rx_burst_fill",
    "empty_poll_share",
    "rx_ring_occupancy",
)


def dataplane_metrics(out, hw: HardwareProfile) -> dict[str, float]:
    """The data plane's own observations of one simulated run (`sim.SimOutput`)."""
    m, applied = out.metrics, out.applied
    offered, sent = float(m["offered_mpps"]), float(m["throughput_mpps"])
    util, cpp = float(m["useful_cycles_fraction"]), float(m["cycles_per_packet"])
    hz = hw.cpu_ghz * 1e9
    received = util * hz * applied.cores / cpp / 1e6 if cpp > 0 else sent
    received = min(max(received, sent), offered) if offered > 0 else 0.0
    if received - sent <= 1e-9 * offered:  # floating-point residue of the cycle accounting, not a drop
        received = sent
    avg_burst = float(out.extra.get("avg_burst", applied.burst))
    avg_burst = min(max(avg_burst, 1.0), float(applied.burst))
    tx_drop = max(received - sent, 0.0) / offered if offered > 0 else 0.0
    nonempty = received * 1e6 / avg_burst
    empty = (1.0 - util) * hz * applied.cores / hw.empty_poll_cycles
    ring = np.asarray(out.timeseries.get("ring_occupancy", []), float)
    occupancy = float(np.mean(ring)) / applied.rx_desc if ring.size else math.nan
    return {
        "rx_mpps": received,
        "imissed_rate": max(float(m["drop_rate"]) - tx_drop, 0.0),
        "tx_drop_rate": tx_drop,
        "rx_burst_fill": avg_burst / applied.burst if received > 0 else 0.0,
        "empty_poll_share": empty / (empty + nonempty) if empty + nonempty > 0 else 1.0,
        "rx_ring_occupancy": min(max(occupancy, 0.0), 1.0),
    }


def with_dataplane_metrics(metrics: dict[str, Any], out, hw: HardwareProfile) -> dict[str, Any]:
    """`metrics` plus the data plane's observations (the record a sim run yields)."""
    return {**metrics, **dataplane_metrics(out, hw)}
