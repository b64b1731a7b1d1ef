"""(b, c) CPU cost per packet, burst amortisation, core placement and scaling.

Cost model (DPDK programmer's guide, "poll mode driver": bursts amortise per-call costs):
cycles/packet = fwd_base + app_cycles + per-call cost / avg_burst + cache-miss stalls, where
avg_burst is what rx_burst actually returns. At low load polls return few packets, so the
per-call cost is spread over fewer packets and cycles/packet rises.

Receive-path burst cap: vector PMDs work through a burst in internal calls of a fixed size
(RTE_I40E_VPMD_RX_BURST and RTE_IXGBE_MAX_RX_BURST are 32, mlx5's MLX5_VPMD_RX_MAX_BURST
64; their TX paths likewise split at tx_rs_thresh), so the per-call cost is paid once per
`rx_burst_cap` packets and a burst beyond the cap saves nothing more.

Miss stalls: a miss the core cannot hide costs its latency less what out-of-order execution
overlaps (`miss_overlap`); while working through a burst the PMD prefetches the next
packets, so up to min(line_fill_buffers, burst) misses are in flight at once (memory-level
parallelism; Intel 64 and IA-32 Optimization Reference Manual, L1D fill buffers).

Core scaling: cores interfere only through what they share, and only while it is loaded.
Per-packet work inflates by 1 + core_contention * (N - 1) * u, with N the cores RSS gives
traffic and u their mean utilisation (the uncore mesh and LLC traffic grow with the packet
rate, not with the core count). FD.io CSIT's multi-core speedup reports show DPDK and VPP
forwarding scaling close to linearly on physical cores until a NIC or PCIe limit binds. The
shared DDIO, DRAM, PCIe and NIC limits are modelled where they arise (cache.py, pcie.py).

Placement: lcores fill the NIC socket's physical cores first, then their hyperthread
siblings (two threads share one core's pipeline and caches: together they forward
1 + smt_gain times one thread), then the other socket's cores, which reach the NIC's DMA
lines in the NIC socket's LLC across the socket interconnect (numa_remote_ns per line).
With turbo on, the clock falls from the one-core to the all-core turbo frequency as more
physical cores run (Intel Xeon Scalable specification update, turbo frequency tables).
"""

from __future__ import annotations

import numpy as np

from dpdktune.hardware import HardwareProfile


def placement(hw: HardwareProfile, lcores: int) -> tuple[np.ndarray, np.ndarray]:
    """Per lcore: (cycle multiplier from sharing a core with a sibling, True if on the remote socket)."""
    local = hw.cores
    if lcores <= local:  # the common case: every lcore has a local physical core to itself
        return np.ones(lcores), np.zeros(lcores, bool)
    siblings = local * (hw.smt_threads - 1)
    index = np.arange(lcores)
    # lcores beyond the local physical cores pair with local cores as siblings
    paired = np.zeros(lcores, bool)
    n_sib = int(np.clip(lcores - local, 0, siblings))
    if n_sib:
        paired[local : local + n_sib] = True
        paired[:n_sib] = True
    share = np.where(paired, 2.0 / (1.0 + hw.smt_gain), 1.0)
    remote = index >= local + siblings
    return share, remote


def clock_hz(hw: HardwareProfile, lcores: int) -> float:
    """Core clock with `lcores` forwarding lcores busy-polling."""
    if not hw.turbo:
        return hw.cpu_ghz * 1e9
    physical = min(lcores, hw.cores)
    frac = (physical - 1) / max(hw.cores - 1, 1)
    return (hw.turbo_1core_ghz + frac * (hw.turbo_allcore_ghz - hw.turbo_1core_ghz)) * 1e9


def contention(hw: HardwareProfile, cores: int, utilisation: float) -> float:
    """Inflation of per-packet work on `cores` loaded cores at mean utilisation `utilisation`."""
    return 1.0 + hw.core_contention * (cores - 1) * min(max(utilisation, 0.0), 1.0)


def miss_stall_cycles(latency_cycles: float, misses: float, overlap: float, in_flight) -> np.ndarray:
    """Cycles per packet lost to `misses` per packet of `latency_cycles` each, with `in_flight`
    misses overlapping (memory-level parallelism) and `overlap` hidden by out-of-order execution."""
    return misses * latency_cycles * (1.0 - overlap) / np.maximum(in_flight, 1.0)


def chunks(n, cap: int):
    """Internal receive calls for a burst of n packets (at least one per poll)."""
    return np.maximum(1.0, np.ceil(np.asarray(n, float) / cap))


def full_rate_pps(
    packet_cycles, burst_cycles, idle_poll_cycles: float, burst: int, loaded_queues: int, hz: float, cap: int
):
    """Packets per second one core forwards when every poll returns a full burst."""
    loop = loaded_queues * (burst_cycles * chunks(burst, cap) + burst * packet_cycles) + idle_poll_cycles
    return hz * loaded_queues * burst / loop


def tx_gather_us(burst: int, rate_pps: np.ndarray, drain_us: float, mode: str) -> np.ndarray:
    """Mean wait in the application's TX path. "immediate" (testpmd: tx_burst right after each
    rx_burst) adds none; "buffered" (l3fwd: rte_eth_tx_buffer flushes when `burst` packets
    are in or when the drain timer fires) waits about min((burst - 1) / (2 * rate), drain / 2)."""
    if mode != "buffered" or drain_us <= 0:
        return np.zeros_like(rate_pps, dtype=float)
    with np.errstate(divide="ignore"):
        return np.minimum((burst - 1) / (2.0 * np.maximum(rate_pps, 1e-9)) * 1e6, drain_us / 2.0)


def average_burst(
    rate_pps, packet_cycles, loop_fixed_cycles, burst: int, hz: float, chunk_cycles=0.0, cap: int = 1 << 30
):
    """Packets one poll loop gathers when its core is offered `rate_pps` (array or scalar).

    The loop takes fixed + n*packet cycles and n = rate * loop time, so
    n = rate*fixed / (hz - rate*packet), capped at the configured burst (and the full burst
    when the core cannot keep up). Beyond the receive cap every `cap` packets add one more
    internal call of `chunk_cycles`.
    """
    rate = np.asarray(rate_pps, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spare = hz - rate * packet_cycles
        n = np.where(spare > 0, rate * loop_fixed_cycles / spare, np.inf)
        spare_big = hz - rate * (packet_cycles + np.asarray(chunk_cycles) / cap)
        n_big = np.where(spare_big > 0, rate * loop_fixed_cycles / spare_big, np.inf)
    return np.minimum(np.where(n > cap, n_big, n), burst)
