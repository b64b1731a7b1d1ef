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
APP_TX_MODES = ("immediate", "buffered")


@dataclass(frozen=True)
class HardwareProfile:
    name: str
    description: str
    # CPU and caches
    cpu_ghz: float
    #: physical cores on the NIC's socket
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
    #: inflation of per-packet work per extra loaded core at full utilisation (shared uncore)
    core_contention: float
    #: TX buffer flush timer of the application (l3fwd-style rte_eth_tx_buffer)
    tx_drain_us: float
    # OS jitter on the forwarding cores
    stall_rate_hz: float
    stall_us: float
    long_stall_rate_hz: float
    long_stall_us: float
    mbuf_bytes: int = 2176
    mempool_cache: int = 256
    #: mbufs in the pool the rings, the TX backlog and the per-lcore caches draw from
    mbuf_pool: int = 32768
    #: packets the vector receive path handles per internal call; bigger bursts are split
    rx_burst_cap: int = 32
    #: cycles to free an mbuf that tx_burst could not send (testpmd and l3fwd drop it)
    tx_drop_cycles: float = 20.0
    #: "immediate" (testpmd: tx_burst after every rx_burst) or "buffered" (l3fwd: tx_buffer + drain timer)
    app_tx_mode: str = "immediate"
    #: L1D line-fill buffers: cache misses one core keeps in flight while it works through a burst
    line_fill_buffers: int = 10
    l2_ways: int = 16
    # placement beyond the NIC socket's physical cores, and the clock
    sockets: int = 1
    smt_threads: int = 1
    #: throughput of two hyperthreads on one core relative to one thread alone, minus one
    smt_gain: float = 0.0
    #: load-to-use latency of a line in the other socket's cache or memory
    numa_remote_ns: float = 0.0
    turbo: bool = False
    turbo_1core_ghz: float = 0.0
    turbo_allcore_ghz: float = 0.0
    #: field name -> citation or measurement the value comes from
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def ddio_bytes(self) -> float:
        return self.llc_mb * 2**20 * self.ddio_ways / self.llc_ways

    @property
    def max_lcores(self) -> int:
        """Forwarding lcores the machine offers: every hyperthread of every socket."""
        return self.cores * self.sockets * self.smt_threads


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
        f.name
        for f in fields(HardwareProfile)
        if f.name not in raw and f.default is MISSING and f.default_factory is MISSING
    )
    if missing:
        raise ValueError(f"hardware profile {path.name}: missing keys {missing}")
    if raw.get("app_tx_mode", "immediate") not in APP_TX_MODES:
        raise ValueError(
            f"hardware profile {path.name}: app_tx_mode must be one of {APP_TX_MODES}, got {raw['app_tx_mode']!r}"
        )
    return HardwareProfile(**raw)
