"""(b, c) CPU cost per packet, burst amortisation and core scaling.

Cost model (DPDK programmer's guide, "poll mode driver": bursts amortise per-call costs):
cycles/packet = fwd_base + app_cycles + per_burst / avg_burst + cache-miss stalls, where
avg_burst is what rx_burst actually returns. At low load polls return few packets, so the
per-burst cost is spread over fewer packets and cycles/packet rises. A bigger burst
amortises more but adds latency at low load: the application's TX buffer (DPDK l3fwd,
BURST_TX_DRAIN_US) waits for a full burst or for its timer.

Core scaling follows the Universal Scalability Law (Gunther): per-packet cycles inflate by
1 + core_contention*(N-1) + core_coherence*N*(N-1), fitted to testpmd io/net_null
44/66/126/240 Mpps at 1/2/4/8 cores. N counts the cores RSS gives traffic to: a core that
only polls empty queues does not touch the shared data path. Shared DDIO, DRAM and PCIe add
their own limits (cache.py, pcie.py), so throughput grows sublinearly with cores.
"""

from __future__ import annotations

import numpy as np

from dpdktune.hardware import HardwareProfile


def contention(hw: HardwareProfile, cores: int) -> float:
    """USL inflation of per-packet work on `cores` cores sharing the data path."""
    return 1.0 + hw.core_contention * (cores - 1) + hw.core_coherence * cores * (cores - 1)


def miss_stall_cycles(hw: HardwareProfile, l2_miss: float, cpu_lines: float, ddio_miss_lines: float) -> float:
    """Cycles per packet lost to L2 misses (served by the LLC) and DDIO misses (DRAM)."""
    hidden = 1.0 - hw.miss_overlap
    llc = l2_miss * cpu_lines * hw.llc_hit_cycles
    dram = ddio_miss_lines * hw.dram_latency_ns * hw.cpu_ghz
    return (llc + dram) * hidden


def full_rate_pps(packet_cycles: float, burst_cycles: float, idle_poll_cycles: float, burst: int,
                  loaded_queues: int, hz: float) -> float:
    """Packets per second one core forwards when every poll returns a full burst."""
    loop = loaded_queues * (burst_cycles + burst * packet_cycles) + idle_poll_cycles
    return hz * loaded_queues * burst / loop


def tx_gather_us(burst: int, rate_pps: np.ndarray, drain_us: float) -> np.ndarray:
    """Mean wait in an l3fwd-style TX buffer (rte_eth_tx_buffer): it flushes when `burst`
    packets are in or when the `drain_us` timer fires, so a packet waits about
    min((burst - 1) / (2 * rate), drain_us / 2). Zero for immediate TX (drain_us = 0)."""
    if drain_us <= 0:
        return np.zeros_like(rate_pps, dtype=float)
    with np.errstate(divide="ignore"):
        return np.minimum((burst - 1) / (2.0 * np.maximum(rate_pps, 1e-9)) * 1e6, drain_us / 2.0)


def average_burst(rate_pps, packet_cycles: float, loop_fixed_cycles: float, burst: int, hz: float):
    """Packets one poll loop gathers when its core is offered `rate_pps` (array or scalar).

    The loop takes fixed + n*packet cycles and n = rate * loop time, so
    n = rate*fixed / (hz - rate*packet), capped at the configured burst (and the full burst
    when the core cannot keep up).
    """
    rate = np.asarray(rate_pps, float)
    spare = hz - rate * packet_cycles
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(spare > 0, rate * loop_fixed_cycles / spare, np.inf)
    return np.minimum(n, burst)
