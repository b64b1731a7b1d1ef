"""One simulated run: compose wire, PCIe, cache, CPU, RSS, traffic, queueing and noise.

Pipeline of one run (all constants from the hardware profile):
1. apply the knobs (clip to NIC and CPU limits);
2. offered load per port, capped by the wire (wire.py), modulated over time (traffic.py);
3. RSS shares per queue (rss.py); per-queue service rate = the tightest of the core's
   forwarding rate (cpu.py, with L2 and DDIO stalls from cache.py), the queue's share of the
   NIC, PCIe (pcie.py) and DRAM limits, the NIC's per-queue limit and the RX descriptor window;
4. the stepped finite-buffer queue per RX queue (queueing.py) with OS stalls, then the TX
   descriptor window (Little's law: in-flight descriptors / completion latency);
5. metrics and a time series on one clock from the same steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dpdktune.hardware import HardwareProfile
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import KNOB_NAMES, METRIC_NAMES, TIMESERIES_METRICS
from dpdktune.sim import cache, cpu, pcie, queueing, rss, traffic, wire
from dpdktune.sim.noise import speed_factor
from dpdktune.workloads import Workload

#: coarse step of the queue simulation; finer for short ON periods or MMPP sojourns
TARGET_STEP_US = 10.0


@dataclass
class SimOutput:
    metrics: dict[str, Any]
    applied: Knobs
    timeseries: dict[str, np.ndarray]
    extra: dict[str, Any] = field(default_factory=dict)


def apply_knobs(hw: HardwareProfile, knobs: Knobs) -> Knobs:
    """The knobs as the NIC and CPU accept them: rings within the NIC's descriptor limits,
    cores within the CPU, burst within the RX ring."""
    for name in KNOB_NAMES:
        value = getattr(knobs, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"knobs.{name}: must be a positive integer, got {value!r}")
    rx = min(max(int(knobs.rx_desc), hw.nic_min_desc), hw.nic_max_desc)
    tx = min(max(int(knobs.tx_desc), hw.nic_min_desc), hw.nic_max_desc)
    return Knobs(rx_desc=rx, tx_desc=tx, cores=min(int(knobs.cores), hw.cores), burst=min(int(knobs.burst), rx))


def _step_us(workload: Workload, sample_us: float) -> tuple[float, int]:
    """Step length dividing the sample interval, fine enough for the arrival process."""
    target = TARGET_STEP_US
    arrival = workload.arrival
    if arrival.process == "onoff" and arrival.on_us > 0:
        target = min(target, arrival.on_us / 4.0)
    if arrival.process == "mmpp" and arrival.mmpp_sojourn_us:
        target = min(target, min(arrival.mmpp_sojourn_us) / 4.0)
    target = max(target, 1.0)
    per_sample = max(1, math.ceil(sample_us / target))
    return sample_us / per_sample, per_sample


def _stall_time(events: np.ndarray, length_us: float, dt_us: float) -> np.ndarray:
    """Microseconds of each step lost to stalls of `length_us` starting at `events`; a stall
    longer than a step spills into the following steps."""
    full, rest = int(length_us // dt_us), length_us % dt_us
    counts = np.cumsum(events, axis=0, dtype=float)
    lost = np.zeros_like(counts)
    lost += rest * _shift(events.astype(float), full)
    if full:
        lost += dt_us * (counts - _shift(counts, full))
    return lost


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """x delayed by k steps along axis 0 (zeros shifted in)."""
    if k == 0:
        return x
    out = np.zeros_like(x)
    out[k:] = x[:-k]
    return out


def simulate(
    workload: Workload,
    hw: HardwareProfile,
    knobs: Knobs,
    seed: int,
    *,
    window_ms: float = 10.0,
    sample_interval_ms: float = 0.5,
    noise_cv: float = 0.0,
) -> SimOutput:
    """Simulate one run of `workload` under `knobs` on `hw`; the same seed gives the same output."""
    if window_ms <= 0 or sample_interval_ms <= 0:
        raise ValueError("sim.window_ms and sim.sample_interval_ms: must be > 0")
    applied = apply_knobs(hw, knobs)
    rx, tx, n_cores, burst = applied.rx_desc, applied.tx_desc, applied.cores, applied.burst
    rng = np.random.default_rng(seed)
    hz = hw.cpu_ghz * 1e9
    line = hw.cache_line_bytes

    # --- steps on one clock
    sample_us = sample_interval_ms * 1e3
    n_samples = max(1, int(round(window_ms / sample_interval_ms)))
    dt_us, per_sample = _step_us(workload, sample_us)
    steps = n_samples * per_sample
    dt_s = dt_us * 1e-6
    window_s = steps * dt_s

    # --- (a) offered load, capped by the wire
    sizes = np.asarray(workload.sizes, float)
    weights = np.asarray(workload.size_weights, float)
    weights = weights / weights.sum()
    mean_size = float(np.dot(sizes, weights))
    rx_ports = 2 if workload.direction == "bidir" else 1
    line_pps = wire.line_rate_pps(hw.link_gbps, mean_size)
    if workload.offered_mpps is not None:
        wanted = float(workload.offered_mpps) * 1e6
    else:
        wanted = workload.line_fraction * line_pps * rx_ports
    port_mean = min(wanted / rx_ports, line_pps)
    # config-independent draws first (speed, traffic), so configs share the same packets
    speed = speed_factor(rng, noise_cv)
    rate = traffic.rate_profile(workload.arrival, port_mean, line_pps, steps, dt_us, rng)
    port_counts = traffic.port_arrivals(rate, rx_ports, dt_us, workload.arrival.process, rng)
    # OS jitter on every core of the machine: short frequent and rare long stalls
    short_stalls = rng.poisson(hw.stall_rate_hz * dt_s, size=(steps, hw.cores))
    long_stalls = rng.poisson(hw.long_stall_rate_hz * dt_s, size=(steps, hw.cores))

    # --- (b) RSS: queue i of every RX port is served by core i
    port_share = rss.queue_shares(workload.name, workload.flows, workload.zipf_s, hw.rss_reta_size, n_cores)
    share = np.tile(port_share, rx_ports)
    lam_port = float(rate.mean())
    lam = lam_port * share  # mean pps per RX queue
    lam_total = float(lam.sum())

    # --- (d) caches: DDIO working set over all active rings, L2 working set per core
    data_lines = float(np.dot(weights, np.ceil(sizes / line)))
    touches_data = workload.app_cycles > 0
    cpu_lines = hw.mbuf_header_lines + (1.0 if touches_data else 0.0) + 0.0
    wb_lines = hw.desc_wb_bytes / line
    dma_lines = data_lines + wb_lines
    queues = rx_ports * n_cores
    ws_io = cache.io_working_set_bytes(hw, queues, queues, rx, tx, data_lines)
    hit = cache.ddio_hit_rate(hw, ws_io)
    ws_core = cache.core_working_set_bytes(hw, rx, tx, rx_ports, cpu_lines)
    l2_miss = cache.l2_miss_fraction(hw, ws_core)
    cpu_dma_lines = wb_lines + (1.0 if touches_data else 0.0)

    # --- (b, c) CPU: cycles per packet and per burst, inflated by core contention and noise
    # idle-polling cores (no flow hashed to them) add no contention on the shared data path
    active_cores = max(int(np.count_nonzero(port_share)), 1)
    inflate = cpu.contention(hw, active_cores) * speed
    stall = cpu.miss_stall_cycles(hw, l2_miss, cpu_lines, cpu_dma_lines * (1.0 - hit))
    c_pkt = (hw.fwd_base_cycles + workload.app_cycles + stall) * inflate
    c_burst = hw.per_burst_cycles * inflate
    idle_cycles = max(hw.ports - rx_ports, 0) * hw.empty_poll_cycles
    mu_core = cpu.full_rate_pps(c_pkt, c_burst, idle_cycles, burst, rx_ports, hz)
    lam_core_queue = lam_port * port_share  # per core, per loaded queue
    mu_cpu = np.tile(np.maximum(mu_core / rx_ports, mu_core - (rx_ports - 1) * lam_core_queue), rx_ports)
    core_rate = rx_ports * lam_core_queue
    spare = hz - core_rate * c_pkt
    with np.errstate(divide="ignore", invalid="ignore"):
        n_loop = np.where(spare > 0, core_rate * (rx_ports * c_burst + idle_cycles) / spare, np.inf)
    avg_burst = np.tile(np.clip(n_loop / rx_ports, 1.0, burst), rx_ports)
    mean_burst = float(np.dot(avg_burst, share) / share.sum())
    # bursts at the peak of the arrival process (where the PCIe limit can bind)
    peak_core = np.minimum(rx_ports * float(rate.max()) * port_share, mu_core)
    peak_spare = hz - peak_core * c_pkt
    with np.errstate(divide="ignore", invalid="ignore"):
        peak_loop = np.where(peak_spare > 0, peak_core * (rx_ports * c_burst + idle_cycles) / peak_spare, np.inf)
    peak_burst = float(np.dot(np.clip(peak_loop / rx_ports, 1.0, burst), port_share))

    # --- (f) PCIe, NIC and DRAM limits, shared by the queues in proportion to their load
    cost = pcie.packet_bytes(hw, sizes, weights, mean_burst)
    pcie_cap = pcie.capacity_pps(hw, pcie.packet_bytes(hw, sizes, weights, peak_burst))
    nic_cap = hw.nic_max_mpps * 1e6
    dram_bytes = (1.0 - hit) * dma_lines * line * 2.0
    dram_cap = hw.dram_gbps * 1e9 / 8.0 / dram_bytes if dram_bytes > 0 else math.inf
    load_share = lam / lam_total if lam_total > 0 else share / share.sum()
    read_lat_s = hw.pcie_read_latency_ns * 1e-9
    rx_window = max(rx - hw.rx_free_thresh - burst, 1) / read_lat_s
    mu_nic = np.minimum(np.minimum(hw.queue_max_mpps * 1e6, min(nic_cap, pcie_cap) * load_share), rx_window)
    mu_host = mu_cpu if math.isinf(dram_cap) else np.minimum(mu_cpu, dram_cap * load_share)
    mu = np.maximum(np.minimum(mu_nic, mu_host), 1.0)
    host_bound = mu_host < mu_nic

    # --- (e, g) finite buffers: the ring (if the host is the bottleneck) plus the NIC's share
    cell = hw.nic_buffer_cell_bytes
    nic_pkts = hw.nic_rx_buffer_kb * 1024.0 / float(np.dot(weights, np.ceil(sizes / cell) * cell))
    ring_eff = max(rx - hw.rx_free_thresh, 1)
    # host-bound queues back up into the ring, and into the NIC buffer only if the NIC holds
    # frames for a full ring; NIC/PCIe-bound queues wait in the NIC buffer
    nic_used = (~host_bound) | hw.nic_buffer_on_ring_full
    capacity = ring_eff + np.where(nic_used, nic_pkts * share, 0.0)
    # a stalled core serves nothing; its ring must absorb the arrivals meanwhile
    stalled_us = (_stall_time(short_stalls[:, :n_cores], hw.stall_us, dt_us)
                  + _stall_time(long_stalls[:, :n_cores], hw.long_stall_us, dt_us))
    lost = np.tile(np.minimum(1.0, stalled_us / dt_us), (1, rx_ports))
    service = np.minimum(mu_nic, mu_host * (1.0 - lost)) * dt_s
    arrivals = traffic.queue_arrivals(port_counts, port_share)
    q0 = np.where(lam > mu, capacity, 0.0)
    occ = queueing.clamp_scan(arrivals - service, capacity, q0)
    prev = np.vstack([q0[None, :], occ[:-1]])
    dropped = np.maximum(prev + arrivals - service - capacity, 0.0)
    served = np.maximum(prev + arrivals - occ - dropped, 0.0)
    # TX descriptor window (Little's law): descriptors stay busy for two PCIe reads, plus the
    # RS batch and the free threshold; what tx_burst cannot enqueue is dropped.
    tx_window = max(tx - burst - hw.tx_rs_thresh - hw.tx_free_thresh, 1) / (2.0 * read_lat_s)
    sent = np.minimum(served, tx_window * dt_s)
    tx_dropped = served - sent

    # --- metrics
    total_in = float(arrivals.sum())
    total_sent = float(sent.sum())
    total_served = float(served.sum())
    total_drop = float(dropped.sum() + tx_dropped.sum())
    busy_per_pkt = c_pkt + c_burst / avg_burst  # per queue
    busy_cycles = float(np.dot(served.sum(axis=0), busy_per_pkt))
    served_pps = total_served / window_s
    sent_pps = total_sent / window_s

    coarse_us = occ / mu * 1e6
    rho = np.minimum(lam / mu, 0.98)
    wait_us = np.zeros_like(rho) if workload.arrival.process == "cbr" else np.minimum(
        rho / (2.0 * mu * (1.0 - rho)) * 1e6, dt_us)
    busy = float(np.dot(load_share, rho))
    mdl_mean = float(np.dot(load_share, wait_us)) / busy if busy > 0 else 0.0
    batch_us = float(np.dot(load_share, avg_burst * c_pkt / hz * 1e6))
    gather_us = 0.0
    if hw.tx_drain_us > 0:
        with np.errstate(divide="ignore"):
            gather = np.minimum((burst - 1) / (2.0 * np.maximum(lam, 1e-9)) * 1e6, hw.tx_drain_us / 2.0)
        gather_us = float(np.dot(load_share, gather))
    base_us = (2.0 * wire.serialization_us(hw.link_gbps, mean_size) + 2.0 * hw.nic_latency_ns * 1e-3
               + 2.5 * hw.pcie_read_latency_ns * 1e-3
               # the NIC's TX read of a leaked line is served from DRAM, not the LLC
               + (1.0 - hit) * hw.dram_latency_ns * 1e-3)
    p50, p99, p999 = base_us + queueing.latency_percentiles(coarse_us, sent, mdl_mean, busy, batch_us, gather_us)
    if total_sent <= 0:
        p50 = p99 = p999 = float("nan")

    metrics = {
        "throughput_mpps": sent_pps / 1e6,
        "throughput_gbps": sent_pps * mean_size * 8.0 / 1e9,
        "offered_mpps": total_in / window_s / 1e6,
        "drop_rate": total_drop / total_in if total_in > 0 else 0.0,
        "latency_p50_us": float(p50),
        "latency_p99_us": float(p99),
        "latency_p999_us": float(p999),
        "cpu_util": [1.0] * n_cores,  # busy polling: /proc/stat shows every core at 100 %
        "useful_cycles_fraction": min(1.0, busy_cycles / (hz * window_s * n_cores)),
        "cycles_per_packet": busy_cycles / total_served if total_served > 0 else c_pkt + c_burst,
        "llc_misses_per_packet": dma_lines * (1.0 - hit),
        "pcie_rd_gbps": cost.dma_read * sent_pps * 8.0 / 1e9,
        "pcie_wr_gbps": (cost.rx_write * served_pps + (cost.dma_write - cost.rx_write) * sent_pps) * 8.0 / 1e9,
        "dram_gbps": dram_bytes * served_pps * 8.0 / 1e9,
        "ddio_hit_rate": hit,
    }
    assert tuple(metrics) == METRIC_NAMES

    # --- time series on the shared clock
    def per_sample_sum(x: np.ndarray) -> np.ndarray:
        return x.reshape(n_samples, per_sample, -1).sum(axis=(1, 2))

    interval_s = sample_us * 1e-6
    sent_s = per_sample_sum(sent)
    served_s = per_sample_sum(served)
    weighted_lat = per_sample_sum(coarse_us * sent)
    busy_s = per_sample_sum(served * busy_per_pkt)
    timeseries = {
        "t_s": np.arange(n_samples) * interval_s,
        "offered_mpps": per_sample_sum(arrivals) / interval_s / 1e6,
        "throughput_mpps": sent_s / interval_s / 1e6,
        "dropped_mpps": per_sample_sum(dropped + tx_dropped) / interval_s / 1e6,
        "ring_occupancy": per_sample_sum(np.minimum(occ, rx)) / (per_sample * queues),
        "latency_us": np.where(sent_s > 0, base_us + mdl_mean * busy + batch_us / 2 + gather_us
                               + weighted_lat / np.maximum(sent_s, 1e-12), np.nan),
        "cpu_busy_fraction": np.minimum(1.0, busy_s / (hz * interval_s * n_cores)),
        "pcie_wr_gbps": (cost.rx_write * served_s + (cost.dma_write - cost.rx_write) * sent_s) * 8.0
        / interval_s / 1e9,
        "dram_gbps": dram_bytes * served_s * 8.0 / interval_s / 1e9,
    }
    assert tuple(timeseries)[1:] == TIMESERIES_METRICS

    limits = {
        "offered": lam_total,
        "cpu": float(mu_cpu.sum()),
        "rss": float(mu_cpu.min() / share.max()) * rx_ports if lam_total > 0 else math.inf,
        "nic": nic_cap,
        "pcie": pcie_cap,
        "dram": dram_cap,
        "queue": hw.queue_max_mpps * 1e6 / share.max() * rx_ports,
        "tx_ring": tx_window / share.max() * rx_ports,
        "rx_ring": rx_window / share.max() * rx_ports,
    }
    extra = {
        "bound": min(limits, key=lambda k: (limits[k], k != "offered")),
        "limits_mpps": {k: round(v / 1e6, 3) for k, v in limits.items() if math.isfinite(v)},
        "line_mpps": line_pps * rx_ports / 1e6,
        "io_working_set_mb": ws_io / 2**20,
        "l2_miss_fraction": l2_miss,
        "avg_burst": mean_burst,
        "core_mpps": mu_core / 1e6,
        "step_us": dt_us,
    }
    return SimOutput(metrics=metrics, applied=applied, timeseries=timeseries, extra=extra)
