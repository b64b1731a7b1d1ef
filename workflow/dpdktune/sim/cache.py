"""(d) Leaky DMA / DDIO, and the core-private L2 working set.

DDIO (ResQ, Tootoonchian et al. NSDI'18; Farshin et al., "Reexamining Direct Cache Access to
Optimize I/O Intensive Applications for Multi-hundred-gigabit Networks", ATC'20): the NIC
writes into `ddio_ways` of the LLC's `llc_ways`. The I/O working set is every buffer that
the rings keep live: (RX queues * rx_desc + TX queues * tx_desc) buffers, each touching
ceil(frame/64) data lines plus the mbuf header lines (not the full 2 KB mbuf). Beyond the
DDIO capacity, DMA writes evict lines not yet read (leaky DMA): the hit rate falls as
(capacity / working set) ** ddio_leak_exponent, an LRU-like assumption.

L2 working set (DPDK mbuf recycling; "Make the Most out of Last Level Cache in Intel
Processors", EuroSys'19 for the cache sizes): mbufs cycle through the RX ring, the TX ring and
the mempool cache, so a core touches (rx_desc + tx_desc) * rings + mempool_cache distinct
mbufs, each its header lines plus descriptors. The part beyond the usable L2 misses to the
LLC. Assumption: misses are spread uniformly (miss fraction = 1 - L2 / working set).
"""

from __future__ import annotations

from dpdktune.hardware import HardwareProfile


def io_working_set_bytes(
    hw: HardwareProfile, rx_queues: int, tx_queues: int, rx_desc: int, tx_desc: int, data_lines: float
) -> float:
    """Bytes of buffers live between DMA and consumption, over all active rings."""
    buffers = rx_queues * rx_desc + tx_queues * tx_desc
    return buffers * (data_lines + hw.mbuf_header_lines) * hw.cache_line_bytes


def ddio_hit_rate(hw: HardwareProfile, working_set_bytes: float) -> float:
    """Share of DMA-written lines still in the LLC when consumed."""
    if working_set_bytes <= hw.ddio_bytes:
        return 1.0
    return float((hw.ddio_bytes / working_set_bytes) ** hw.ddio_leak_exponent)


def core_working_set_bytes(
    hw: HardwareProfile, rx_desc: int, tx_desc: int, ring_pairs: int, cpu_lines: float
) -> float:
    """Bytes of mbuf headers and descriptors one forwarding core cycles through."""
    mbufs = ring_pairs * (rx_desc + tx_desc) + hw.mempool_cache
    per_mbuf = cpu_lines * hw.cache_line_bytes + hw.desc_fetch_bytes
    return mbufs * per_mbuf


def l2_miss_fraction(hw: HardwareProfile, working_set_bytes: float) -> float:
    """Share of a core's mbuf/descriptor accesses that miss L2 and go to the LLC."""
    usable = hw.l2_kb * 1024.0 * hw.l2_usable_fraction
    return max(0.0, 1.0 - usable / working_set_bytes)
