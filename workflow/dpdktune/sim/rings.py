"""(e') Descriptor rings: RX refill, TX completion and the mbuf pool.

RX refill (DPDK poll mode driver guide, "Rx/Tx queue configuration" thresholds; i40e/ixgbe
vector rearm): the PMD hands consumed descriptors back to the NIC in batches of
`rx_free_thresh`, with one tail doorbell per batch, and the NIC can use a returned descriptor
only after fetching it, one PCIe read later. Meanwhile the core holds the burst it works on.
By Little's law a queue needs (rx_free_thresh + burst) / 2 + rate * (read latency + burst
time) descriptors on average; what the ring lacks, the NIC lacks, so the ring caps the rate.

TX completion: a TX descriptor stays busy while the NIC fetches it and then the frame (two
PCIe reads) and until its RS batch of `tx_rs_thresh` descriptors has left the wire and been
written back. Intel PMDs free sent mbufs only once fewer than `tx_free_thresh` descriptors
are free, so their rings stay full of sent mbufs down to that reserve; mlx5 frees completed
mbufs on every tx_burst (tx_free_thresh 0 here). What tx_burst cannot enqueue, testpmd and
l3fwd free: the core spent its receive cycles on it, plus `tx_drop_cycles`.

Both limits are mean values; the number of descriptors in use swings by a refill batch and
a burst around its mean, so a queue starts losing before the mean-value limit. A soft
minimum (p-norm with p = SOFTMIN_P) of the demanded and the ring-limited rate stands for
that (assumption; it loses ~1.5 % where the ring allows twice the demand, ~16 % where they
are equal).

Mbuf pool: every RX descriptor of every configured queue holds an mbuf, the TX rings hold
their unfreed ones, each lcore's mempool cache holds about its size and each core one
burst. A pool smaller than that leaves RX descriptors without buffers (the PMD counts
rx_nombuf and posts what it can): the ring the NIC sees shrinks. Assumption: a pool too
small to fill the rings at start is treated the same way, though a real testpmd would fail
to start the port.
"""

from __future__ import annotations

import numpy as np

from dpdktune.hardware import HardwareProfile

#: exponent of the soft minimum between a demanded rate and a ring's mean-value limit
SOFTMIN_P = 4.0
#: below this share of a ring's limit the soft loss (< 2e-6) is taken as none
NEGLIGIBLE = 0.05


def threshold(value: int, ring: int) -> int:
    """A PMD threshold as the driver accepts it on `ring` descriptors (below the ring size;
    assumption: a threshold that does not fit is halved to the ring's half)."""
    return int(min(value, ring // 2))


def softmin(a, b):
    """Soft minimum of two positive rates (p-norm of their reciprocals)."""
    a = np.maximum(np.asarray(a, float), 1e-300)
    b = np.maximum(np.asarray(b, float), 1e-300)
    lo = np.minimum(a, b)
    return lo * (1.0 + (lo / np.maximum(a, b)) ** SOFTMIN_P) ** (-1.0 / SOFTMIN_P)


def passed_share(demand, limit) -> np.ndarray:
    """softmin(demand, limit) / demand: the share of a demanded rate a soft limit lets through."""
    x = np.asarray(demand, float) / limit
    x *= x  # x ** SOFTMIN_P by two squarings (SOFTMIN_P = 4): this runs on every step of every queue
    x *= x
    return (1.0 + x) ** (-1.0 / SOFTMIN_P)


def rx_refill_pps(rx_desc: float, rx_free: int, burst_n, read_latency_s: float, burst_time_s):
    """Mean-value rate limit of one RX queue from its descriptors."""
    # a ring too small for the mean works in lockstep: about a quarter of it per round trip
    usable = np.maximum(rx_desc - (rx_free + np.asarray(burst_n, float)) / 2.0, rx_desc / 4.0)
    return usable / (read_latency_s + np.asarray(burst_time_s, float))


def tx_latency_s(hw: HardwareProfile, tx_rs: int, frame_s: float) -> float:
    """How long a TX descriptor stays busy: descriptor and data reads, then its RS batch on the wire."""
    return 2.0 * hw.pcie_read_latency_ns * 1e-9 + tx_rs * frame_s


def tx_completion_pps(tx_desc: int, tx_free: int, tx_rs: int, burst_n, latency_s: float):
    """Mean-value rate limit of one TX queue from its descriptors."""
    # a ring too small for the mean works in lockstep: half its non-reserved part per round trip
    usable = np.maximum(tx_desc - tx_free - (tx_rs + np.asarray(burst_n, float)) / 2.0, (tx_desc - tx_free) / 2.0)
    return usable / latency_s


def tx_held_mbufs(tx_desc: int, tx_free: int, tx_rs: int, burst: int, rate_pps, latency_s: float):
    """Sent-but-unfreed mbufs per TX queue: the ring down to the free reserve on Intel PMDs,
    the in-flight ones plus an RS batch where completions free at once (tx_free 0)."""
    if tx_free > 0:
        return np.full_like(np.asarray(rate_pps, float), float(tx_desc - tx_free))
    return np.minimum(float(tx_desc), np.asarray(rate_pps, float) * latency_s + tx_rs + burst)


def rx_filled_desc(hw: HardwareProfile, pool: int, rx_desc: int, cores: int, burst: int, tx_held_total: float) -> float:
    """RX descriptors per queue that hold an mbuf, on the `hw.ports * cores` configured queues."""
    others = cores * (hw.mempool_cache + burst) + tx_held_total
    per_queue = (pool - others) / (hw.ports * cores)
    return float(min(rx_desc, max(per_queue, 1.0)))
