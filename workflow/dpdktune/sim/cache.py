"""(d) Leaky DMA / DDIO, and the core-private L2 working set.

Both caches see a cyclic footprint: mbufs cycle through the RX ring, the TX backlog and the
per-lcore mempool cache, so a line is touched again only after the whole footprint has
passed. Only the lines really touched count: for DDIO the DMA-written data lines of the
frame (ceil(frame / 64), not the 2 KB buffer) and the descriptor write-backs of the loaded
queues; for L2 the mbuf header lines, the descriptors and, when the application reads the
payload, the first data line.

Hit rate of a set-associative cache with hashed set mapping (Intel's LLC slice hash and set
index; "Make the Most out of Last Level Cache in Intel Processors", EuroSys'19): the lines
written to a line's set before it is reused are Poisson with mean m = ways * footprint /
capacity, and the line survives if fewer than `ways` of them arrive:
hit = P(Poisson(m) <= ways - 1). With DDIO's 2 ways this is smooth: conflict misses start
well below the DDIO capacity and the hit rate tends to capacity / footprint far above it
(ResQ, NSDI'18; Farshin et al., "Reexamining Direct Cache Access to Optimize I/O Intensive
Applications for Multi-hundred-gigabit Networks", ATC'20, whose leaky-DMA measurements grow
smoothly with the RX ring). Assumption: reuse order is FIFO within the footprint.
"""

from __future__ import annotations

import math

from dpdktune.hardware import HardwareProfile


def set_assoc_hit_rate(footprint_bytes: float, capacity_bytes: float, ways: int) -> float:
    """P(Poisson(ways * footprint / capacity) <= ways - 1): a line survives its reuse distance."""
    if footprint_bytes <= 0 or capacity_bytes <= 0:
        return 1.0 if footprint_bytes <= 0 else 0.0
    m = ways * footprint_bytes / capacity_bytes
    term = total = math.exp(-m)
    for k in range(1, ways):
        term *= m / k
        total += term
    return min(1.0, total)


def io_working_set_bytes(hw: HardwareProfile, footprint_mbufs: float, dma_lines: float) -> float:
    """Bytes DMA writes cycle through: every mbuf of the loaded queues' footprint, its
    written data lines and descriptor write-back."""
    return footprint_mbufs * dma_lines * hw.cache_line_bytes


def ddio_hit_rate(hw: HardwareProfile, working_set_bytes: float) -> float:
    """Share of DMA-written lines still in the LLC's DDIO ways when consumed."""
    return set_assoc_hit_rate(working_set_bytes, hw.ddio_bytes, hw.ddio_ways)


def core_working_set_bytes(hw: HardwareProfile, footprint_mbufs: float, cpu_lines: float) -> float:
    """Bytes of mbuf lines and descriptors one forwarding core cycles through."""
    return footprint_mbufs * (cpu_lines * hw.cache_line_bytes + hw.desc_fetch_bytes)


def l2_miss_fraction(hw: HardwareProfile, working_set_bytes: float) -> float:
    """Share of a core's mbuf/descriptor accesses that miss L2 and go to the LLC."""
    usable = hw.l2_kb * 1024.0 * hw.l2_usable_fraction
    return 1.0 - set_assoc_hit_rate(working_set_bytes, usable, hw.l2_ways)
