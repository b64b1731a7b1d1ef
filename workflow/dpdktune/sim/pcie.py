"""(f) PCIe transaction overheads (Neugebauer et al., "Understanding PCIe performance for
end host networking", SIGCOMM'18).

Per forwarded packet the NIC: fetches the RX descriptor (batched), DMA-writes the frame
(one TLP per MPS bytes), writes back the RX completion (batched); for TX it fetches the
descriptor, issues read requests for the frame (one per MRRS bytes) whose completions come
back in MPS-sized TLPs, and writes a TX completion every `tx_rs_thresh` packets. The CPU
writes the RX tail once per refill batch and the TX tail once per burst. Every TLP carries
`pcie_tlp_overhead_bytes`, and ACK/flow-control DLLPs take `pcie_dllp_overhead` of the link.

Assumptions: upstream (device -> host: DMA writes and read requests) and downstream
(host -> device: read completions and doorbells) are separate full-duplex budgets; the
tighter one caps the packet rate. Completions are split at MPS (not a 64 B RCB).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dpdktune.hardware import HardwareProfile


@dataclass(frozen=True)
class PcieBytes:
    """Bytes on the link per forwarded packet, TLP overheads included."""

    upstream: float  # device -> host link direction (DMA writes + read requests)
    downstream: float  # host -> device (read completions + doorbells)
    dma_write: float  # of upstream: the DMA writes (reported as pcie_wr_gbps)
    dma_read: float  # of downstream: the read completions (reported as pcie_rd_gbps)
    rx_write: float  # of dma_write: the RX part (paid also by packets dropped at TX)


def link_gbps(hw: HardwareProfile) -> float:
    """Usable TLP bandwidth of one direction of the link."""
    return hw.pcie_lane_gbps * hw.pcie_lanes * (1.0 - hw.pcie_dllp_overhead)


def packet_bytes(hw: HardwareProfile, sizes: np.ndarray, weights: np.ndarray, avg_burst: float) -> PcieBytes:
    """PCIe bytes per forwarded packet for a size mix; doorbells amortise over `avg_burst`."""
    ovh = hw.pcie_tlp_overhead_bytes
    data_tlps = np.ceil(sizes / hw.pcie_mps_bytes)
    read_reqs = np.ceil(sizes / hw.pcie_mrrs_bytes)
    rx_data = float(np.dot(weights, sizes + data_tlps * ovh))
    tx_data = rx_data  # completions come back MPS-sized, like the writes
    tx_read_req = float(np.dot(weights, read_reqs)) * ovh
    desc_fetch = (hw.desc_fetch_bytes * hw.desc_fetch_batch + ovh) / hw.desc_fetch_batch
    desc_fetch_req = ovh / hw.desc_fetch_batch
    rx_wb = (hw.desc_wb_bytes * hw.desc_wb_batch + ovh) / hw.desc_wb_batch
    tx_wb = (hw.desc_wb_bytes + ovh) / hw.tx_rs_thresh
    # the RX tail moves once per rx_free_thresh refill, the TX tail once per tx_burst
    doorbells = (hw.doorbell_bytes + ovh) * (1.0 / hw.rx_free_thresh + 1.0 / max(avg_burst, 1.0))
    dma_write = rx_data + rx_wb + tx_wb
    dma_read = 2.0 * desc_fetch + tx_data
    return PcieBytes(
        upstream=dma_write + 2.0 * desc_fetch_req + tx_read_req,
        downstream=dma_read + doorbells,
        dma_write=dma_write,
        dma_read=dma_read,
        rx_write=rx_data + rx_wb,
    )


def capacity_pps(hw: HardwareProfile, cost: PcieBytes) -> float:
    """Packets per second the link carries before either direction saturates."""
    return link_gbps(hw) * 1e9 / 8.0 / max(cost.upstream, cost.downstream)
