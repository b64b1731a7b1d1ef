"""Hardware profiles: every constant the simulator uses, with its source, in config/hardware/*.yaml."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

import yaml

from dpdktune.paths import project_file, project_files

#: where profiles live in a project; resolved per call (the working directory's, else the packaged)
HARDWARE_SUBDIR = "config/hardware"
#: the profile folder as seen at import (where `dpdktune calibrate` writes a new profile)
HARDWARE_DIR = project_file(HARDWARE_SUBDIR)


@dataclass(frozen=True)
class HardwareProfile:
    name: str
    description: str
    # CPU and caches
    cpu_ghz: float
    cores: int
    l2_kb: float
    llc_mb: float
    llc_ways: int
    ddio_ways: int
    llc_hit_cycles: float
    dram_latency_ns: float
    #: sustained DRAM bandwidth in gigabits/s (all `_gbps` values in dpdktune are Gb/s)
    dram_gbps: float
    cache_line_bytes: int
    mbuf_header_lines: int
    #: share of L2 left for mbuf headers and descriptors
    l2_usable_fraction: float
    #: share of a cache miss's latency hidden by prefetch and out-of-order execution
    miss_overlap: float
    ddio_leak_exponent: float
    # PCIe
    pcie_gen: int
    pcie_lanes: int
    #: usable Gb/s per lane after line encoding
    pcie_lane_gbps: float
    pcie_tlp_overhead_bytes: float
    #: share of link bandwidth taken by ACK and flow-control DLLPs
    pcie_dllp_overhead: float
    pcie_mps_bytes: int
    pcie_mrrs_bytes: int
    pcie_read_latency_ns: float
    desc_fetch_bytes: int
    desc_fetch_batch: int
    desc_wb_bytes: int
    desc_wb_batch: int
    doorbell_bytes: int
    # NIC and link
    link_gbps: float
    ports: int
    #: packet-rate limit of the whole NIC (all ports)
    nic_max_mpps: float
    queue_max_mpps: float
    nic_min_desc: int
    nic_max_desc: int
    #: on-chip RX packet buffer per port
    nic_rx_buffer_kb: float
    nic_buffer_cell_bytes: int
    #: whether the on-chip buffer holds packets while a host ring is full (else they drop at once)
    nic_buffer_on_ring_full: bool
    nic_latency_ns: float
    rss_reta_size: int
    # PMD thresholds
    rx_free_thresh: int
    tx_free_thresh: int
    tx_rs_thresh: int
    # software costs (testpmd io forwarding), fitted by `dpdktune calibrate`
    fwd_base_cycles: float
    per_burst_cycles: float
    empty_poll_cycles: float
    #: Universal Scalability Law coefficients of the forwarding software across cores
    core_contention: float
    core_coherence: float
    #: TX buffer flush timer of the application (l3fwd-style rte_eth_tx_buffer)
    tx_drain_us: float
    # OS jitter on the forwarding cores
    stall_rate_hz: float
    stall_us: float
    long_stall_rate_hz: float
    long_stall_us: float
    mbuf_bytes: int = 2176
    mempool_cache: int = 256
    #: field name -> citation or measurement the value comes from
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def ddio_bytes(self) -> float:
        return self.llc_mb * 2**20 * self.ddio_ways / self.llc_ways


def load_hardware(name_or_path: str | Path) -> HardwareProfile:
    """Load a profile by name (config/hardware/NAME.yaml of the project) or by path; unknown keys
    are errors."""
    path = Path(name_or_path)
    if not path.suffix:
        path = project_file(f"{HARDWARE_SUBDIR}/{name_or_path}.yaml")
    if not path.exists():
        known = sorted(Path(n).stem for n in project_files(HARDWARE_SUBDIR, "*.yaml"))
        raise ValueError(f"hardware: unknown profile {str(name_or_path)!r}; known profiles: {known}")
    raw = yaml.safe_load(path.read_text())
    allowed = {f.name for f in fields(HardwareProfile)}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"hardware profile {path.name}: unknown keys {unknown}")
    missing = sorted(
        f.name for f in fields(HardwareProfile)
        if f.name not in raw and f.default is MISSING and f.default_factory is MISSING
    )
    if missing:
        raise ValueError(f"hardware profile {path.name}: missing keys {missing}")
    return HardwareProfile(**raw)
