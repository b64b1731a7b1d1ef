"""One simulated run: compose wire, PCIe, cache, CPU, rings, RSS, traffic, queueing and noise.

Pipeline of one run (all constants from the hardware profile):
1. apply the knobs (clip to NIC and CPU limits);
2. offered load per port, capped by the wire (wire.py), modulated over time (traffic.py);
3. RSS shares per queue (rss.py); the rings' thresholds, TX backlog and what the mbuf pool
   fills (rings.py); per-queue service rate = the tightest of the core's forwarding rate
   (cpu.py, on its placement, with L2 and DDIO stalls from cache.py and load-dependent
   contention), the queue's share of the NIC, PCIe (pcie.py) and DRAM limits, the NIC's
   per-queue limit and the RX refill limit (soft near its mean value);
4. the stepped finite-buffer queue per RX queue (queueing.py) with OS stalls, then the TX
   completion limit (what tx_burst refuses is freed);
5. metrics, the binding limit and a time series on one clock from the same steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dpdktune.hardware import APP_TX_MODES, HardwareProfile
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import KNOB_NAMES
from dpdktune.sim import cache, cpu, pcie, queueing, rings, rss, traffic, wire
from dpdktune.sim.noise import speed_factor
from dpdktune.workloads import Workload

#: coarse step of the queue simulation; finer for short ON periods or MMPP sojourns
TARGET_STEP_US = 20.0


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
    return Knobs(rx_desc=rx, tx_desc=tx, cores=min(int(knobs.cores), hw.max_lcores), burst=min(int(knobs.burst), rx))


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


def _stall_events(
    rng: np.random.Generator, per_core_mean: float, steps: int, cores: int
) -> tuple[np.ndarray, np.ndarray]:
    """Stall starts as (step, core) pairs: a Poisson count over all cores, placed uniformly."""
    count = int(rng.poisson(per_core_mean * cores))
    return rng.integers(steps, size=count), rng.integers(cores, size=count)


def _stall_time(
    events: tuple[np.ndarray, np.ndarray], length_us: float, dt_us: float, steps: int, cores: int, into: np.ndarray
) -> None:
    """Add to `into` (steps, cores) the microseconds of each step lost to stalls of
    `length_us`; a stall longer than a step spills into the following steps."""
    step, core = events
    keep = core < cores
    step, core = step[keep], core[keep]
    if step.size == 0:
        return
    whole, rest = int(length_us // dt_us), length_us % dt_us
    spans = [(k, dt_us) for k in range(whole)] + ([(whole, rest)] if rest > 0 else [])
    for offset, lost in spans:
        at = step + offset
        ok = at < steps
        np.add.at(into, (at[ok], core[ok]), lost)


def _fixed_path_us(hw: HardwareProfile, mean_size: float, ddio_hit: float) -> float:
    """Latency every packet pays: serialisation in and out, the NIC pipeline each way, the
    RX DMA write and the TX descriptor and data reads (2.5 PCIe read latencies), and DRAM
    instead of the LLC for the TX read of a leaked line."""
    return (
        2.0 * wire.serialization_us(hw.link_gbps, mean_size)
        + 2.0 * hw.nic_latency_ns * 1e-3
        + 2.5 * hw.pcie_read_latency_ns * 1e-3
        + (1.0 - ddio_hit) * hw.dram_latency_ns * 1e-3
    )


def _finite_queue(
    arrivals: np.ndarray, service: np.ndarray, capacity: np.ndarray, start_full: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Occupancy, drops and departures per step of a finite buffer. The window opens in steady
    state: where the same traffic leaves the buffer after one window (a warm-up pass from full
    for an overloaded queue, from empty otherwise). A buffer that an OFF phase drains therefore
    does not open the window full, and the window loses no more packets than arrive in it."""
    increments = arrivals - service
    q0 = queueing.clamp_scan(increments, capacity, np.where(start_full, capacity, 0.0))[-1]
    occ = queueing.clamp_scan(increments, capacity, q0)
    offered = np.vstack([q0[None, :], occ[:-1]]) + arrivals
    dropped = np.maximum(offered - service - capacity, 0.0)
    return occ, dropped, np.maximum(offered - occ - dropped, 0.0)


def simulate(
    workload: Workload,
    hw: HardwareProfile,
    knobs: Knobs,
    seed: int,
    *,
    window_ms: float = 10.0,
    sample_interval_ms: float = 0.5,
    noise_cv: float = 0.0,
    mbuf_pool: int | None = None,
) -> SimOutput:
    """Simulate one run of `workload` under `knobs` on `hw`; the same seed gives the same output.

    Queue arrays have one column per core: the RX queue that core serves on one port. A
    bidirectional workload loads the same-index queue of the other port identically
    (assumption: both directions carry the same packet counts), so totals count it twice.
    `mbuf_pool` overrides the profile's pool size (testpmd --total-num-mbufs).
    """
    if window_ms <= 0 or sample_interval_ms <= 0:
        raise ValueError("sim.window_ms and sim.sample_interval_ms: must be > 0")
    applied = apply_knobs(hw, knobs)
    rx, tx, n_cores, burst = applied.rx_desc, applied.tx_desc, applied.cores, applied.burst
    pool = int(mbuf_pool if mbuf_pool is not None else hw.mbuf_pool)
    rng = np.random.default_rng(seed)
    hz = cpu.clock_hz(hw, n_cores)
    line = hw.cache_line_bytes
    cap = hw.rx_burst_cap

    # --- steps on one clock
    sample_us = sample_interval_ms * 1e3
    n_samples = max(1, int(round(window_ms / sample_interval_ms)))
    dt_us, steps_per_sample = _step_us(workload, sample_us)
    steps = n_samples * steps_per_sample
    dt_s = dt_us * 1e-6
    window_s = steps * dt_s

    # --- (a) offered load per RX port, capped by the wire
    sizes = np.asarray(workload.sizes, float)
    weights = np.asarray(workload.size_weights, float)
    weights = weights / weights.sum()
    mean_size = float(np.dot(sizes, weights))
    ports = 2 if workload.direction == "bidir" else 1  # RX ports carrying traffic
    line_pps = wire.line_rate_pps(hw.link_gbps, mean_size)
    if workload.offered_mpps is not None:
        wanted = float(workload.offered_mpps) * 1e6
    else:
        wanted = workload.line_fraction * line_pps * ports
    port_mean = min(wanted / ports, line_pps)
    # config-independent draws first (speed, traffic, OS jitter), so that every config of a
    # seed sees the same packets and the same stalls: configs differ by physics, not by draws
    speed = speed_factor(rng, noise_cv)
    rate = traffic.rate_profile(workload.arrival, port_mean, line_pps, steps, dt_us, rng)
    port_counts = traffic.port_arrivals(rate, 1, dt_us, workload.arrival.process, rng)
    short_stalls = _stall_events(rng, hw.stall_rate_hz * window_s, steps, hw.max_lcores)
    long_stalls = _stall_events(rng, hw.long_stall_rate_hz * window_s, steps, hw.max_lcores)

    # --- (b) RSS: queue i of every RX port is served by core i
    share = rss.queue_shares(workload.name, workload.flows, workload.zipf_s, hw.rss_reta_size, n_cores)
    lam_port = float(rate.mean())
    lam = lam_port * share  # mean pps per RX queue (and per TX queue: the other port's)
    lam_total = float(lam.sum()) * ports
    weight = share / share.sum()  # each queue's share of the packets
    loaded = share > 0
    n_loaded = max(int(np.count_nonzero(loaded)), 1)

    # --- (e') rings: thresholds as the PMD accepts them, TX backlog, what the mbuf pool fills
    rx_free = rings.threshold(hw.rx_free_thresh, rx)
    tx_rs, tx_free = rings.threshold(hw.tx_rs_thresh, tx), rings.threshold(hw.tx_free_thresh, tx)
    frame_s = wire.serialization_us(hw.link_gbps, mean_size) * 1e-6
    tx_lat_s = rings.tx_latency_s(hw, tx_rs, frame_s)
    lam_cap = np.minimum(lam, hw.queue_max_mpps * 1e6)
    tx_held = rings.tx_held_mbufs(tx, tx_free, tx_rs, burst, lam_cap, tx_lat_s)
    rx_fill = rings.rx_filled_desc(hw, pool, rx, n_cores, burst, float(tx_held.sum()) * ports)
    mbuf_short = rx_fill < rx

    # --- (d) caches, counting only the lines really touched. L2: the mbuf cycle of one core
    # (rings, TX backlog, mempool cache). DDIO: lines DMA-written but not yet consumed
    data_lines = float(np.dot(weights, np.ceil(sizes / line)))
    touches_data = workload.app_cycles > 0  # io forwarding never reads the payload
    cpu_lines = hw.mbuf_header_lines + (1.0 if touches_data else 0.0)
    wb_lines = hw.desc_wb_bytes / line
    dma_lines = data_lines + wb_lines
    footprint = ports * (rx_fill + tx_held) + hw.mempool_cache  # mbufs one loaded core cycles through
    ws_core = cache.core_working_set_bytes(hw, float(footprint.max()), cpu_lines)
    l2_miss = cache.l2_miss_fraction(hw, ws_core)
    cpu_dma_lines = wb_lines + (1.0 if touches_data else 0.0)

    # --- (b, c) CPU: cycles per packet and per internal receive call, on each core's placement
    smt, remote = cpu.placement(hw, n_cores)
    hz_ns = hz * 1e-9
    idle_cycles = max(hw.ports - ports, 0) * hw.empty_poll_cycles
    base0 = (hw.fwd_base_cycles + workload.app_cycles) * smt * speed
    burst0 = hw.per_burst_cycles * smt * speed
    n0 = np.clip(
        cpu.average_burst(ports * lam, base0, ports * burst0 + idle_cycles, burst, hz, burst0, cap) / ports, 1.0, burst
    )
    in_flight = np.minimum(hw.line_fill_buffers, n0)
    stall = cpu.miss_stall_cycles(hw.llc_hit_cycles, l2_miss * cpu_lines, hw.miss_overlap, in_flight) + (
        np.where(
            remote, cpu.miss_stall_cycles(hw.numa_remote_ns * hz_ns, cpu_dma_lines, hw.miss_overlap, in_flight), 0.0
        )
        if remote.any()
        else 0.0
    )
    mu_q0 = cpu.full_rate_pps(base0 + stall * smt * speed, burst0, idle_cycles, burst, ports, hz, cap) / ports
    # DDIO: packets waiting in the rings (full when the core is overloaded, half full when only
    # the arrival peaks overload it, else a burst plus the M/D/1 mean queue) hold the lines
    # written since; assumption: mean occupancies stand for the distribution
    ring_eff = max(rx_fill - rx_free, 1.0)
    rho = lam / mu_q0
    waiting = np.where(
        rho >= 1.0,
        ring_eff,
        np.where(
            float(rate.max()) * share > mu_q0, ring_eff / 2.0, n0 + rho * rho / (2.0 * np.maximum(1.0 - rho, 1e-9))
        ),
    )
    ws_io = cache.io_working_set_bytes(hw, ports * float(np.minimum(waiting, ring_eff)[loaded].sum()), dma_lines)
    hit = cache.ddio_hit_rate(hw, ws_io)
    stall = stall + cpu.miss_stall_cycles(
        hw.dram_latency_ns * hz_ns, cpu_dma_lines * (1.0 - hit), hw.miss_overlap, in_flight
    )
    # what tx_burst cannot enqueue is freed: its receive cycles are spent, plus the free
    mu_tx = rings.tx_completion_pps(tx, tx_free, tx_rs, n0, tx_lat_s)
    mu0 = cpu.full_rate_pps(base0 + stall * smt * speed, burst0, idle_cycles, burst, ports, hz, cap)
    tx_rate = np.minimum(lam, mu0 / ports)
    tx_lost = 1.0 - rings.passed_share(tx_rate, mu_tx)
    # contention only where the shared uncore is loaded: scales with the cores' utilisation
    util = float(np.dot(weight, np.minimum(1.0, ports * lam / mu0)))
    inflate = cpu.contention(hw, n_loaded, util)
    c_pkt = (base0 + (stall + tx_lost * hw.tx_drop_cycles) * smt * speed) * inflate
    c_burst = burst0 * inflate
    loop_fixed = ports * c_burst + idle_cycles
    mu_core = cpu.full_rate_pps(c_pkt, c_burst, idle_cycles, burst, ports, hz, cap)
    # round-robin polling: a queue gets at least its turn, and whatever the others leave
    mu_cpu = np.maximum(mu_core / ports, mu_core - (ports - 1) * lam)
    avg_burst = cpu.average_burst(ports * lam, c_pkt, loop_fixed, burst, hz, c_burst, cap) / ports
    avg_burst = np.clip(avg_burst, 1.0, burst)
    mean_burst = float(np.dot(avg_burst, weight))
    # bursts at the peak of the arrival process, where the PCIe limit can bind
    peak = np.minimum(ports * float(rate.max()) * share, mu_core)
    peak_burst = float(
        np.dot(np.clip(cpu.average_burst(peak, c_pkt, loop_fixed, burst, hz, c_burst, cap) / ports, 1.0, burst), weight)
    )

    # --- (f) PCIe, NIC and DRAM limits, shared by the queues in proportion to their load
    cost = pcie.packet_bytes(hw, sizes, weights, mean_burst)
    pcie_cap = pcie.capacity_pps(hw, pcie.packet_bytes(hw, sizes, weights, peak_burst))
    nic_cap = hw.nic_max_mpps * 1e6
    dram_bytes = (1.0 - hit) * dma_lines * line * 2.0  # each leaked line: DRAM write + read
    dram_cap = hw.dram_gbps * 1e9 / 8.0 / dram_bytes if dram_bytes > 0 else math.inf
    load_share = weight / ports  # of all packets through the NIC
    read_lat_s = hw.pcie_read_latency_ns * 1e-9
    burst_s = (c_burst * cpu.chunks(avg_burst, cap) + avg_burst * c_pkt) / hz
    mu_refill = rings.rx_refill_pps(rx_fill, rx_free, avg_burst, read_lat_s, burst_s)
    mu_host = mu_cpu if math.isinf(dram_cap) else np.minimum(mu_cpu, dram_cap * load_share)
    # near the ring's mean-value limit a busy core finds fewer packets than it could take (soft
    # minimum), and an underloaded queue loses the frames that arrive while the ring runs dry
    mu_host = rings.softmin(mu_host, mu_refill)
    mu_nic = np.minimum(np.minimum(hw.queue_max_mpps * 1e6, min(nic_cap, pcie_cap) * load_share), mu_refill)
    mu = np.maximum(np.minimum(mu_nic, mu_host), 1.0)
    demand = np.maximum(np.minimum(lam, mu), 1e-9)
    soft = (lam < mu) & (demand > rings.NEGLIGIBLE * mu_refill)
    rx_keep = np.where(soft, rings.passed_share(demand, mu_refill), 1.0)

    # --- (e, g) finite buffers: the NIC's on-chip buffer (its share per queue) ahead of the ring
    cell = hw.nic_buffer_cell_bytes
    nic_pkts = hw.nic_rx_buffer_kb * 1024.0 / float(np.dot(weights, np.ceil(sizes / cell) * cell)) * weight
    # a stalled core serves nothing; its ring absorbs the arrivals meanwhile
    stalled_us = np.zeros((steps, n_cores))
    _stall_time(short_stalls, hw.stall_us, dt_us, steps, n_cores, stalled_us)
    _stall_time(long_stalls, hw.long_stall_us, dt_us, steps, n_cores, stalled_us)
    host_service = mu_host * (1.0 - np.minimum(1.0, stalled_us / dt_us)) * dt_s
    offered_q = port_counts * share
    arrivals = offered_q * rx_keep if (rx_keep < 1.0).any() else offered_q
    if hw.nic_buffer_on_ring_full:
        # the NIC holds frames while the ring is full: one queue of ring + NIC buffer,
        # drained at the slower of the NIC side and the host side
        occ, dropped, served = _finite_queue(
            arrivals, np.minimum(mu_nic * dt_s, host_service), ring_eff + nic_pkts, lam > mu
        )
        coarse_us = occ * (1e6 / mu)
    else:
        # a full ring drops at once (rx_out_of_buffer): the NIC buffer only absorbs what the
        # NIC/PCIe side cannot take; tandem queues, NIC buffer then ring
        nic_occ, nic_dropped, delivered = _finite_queue(
            arrivals, np.broadcast_to(mu_nic * dt_s, arrivals.shape), nic_pkts, lam > mu_nic
        )
        occ, ring_dropped, served = _finite_queue(
            delivered, host_service, np.full(n_cores, float(ring_eff)), np.minimum(lam, mu_nic) > mu_host
        )
        dropped = nic_dropped + ring_dropped
        coarse_us = nic_occ * (1e6 / np.maximum(mu_nic, 1.0)) + occ * (1e6 / np.maximum(mu_host, 1.0))
    # TX descriptors: the soft-limited share of what the core served leaves, the rest is freed
    if (served.max(axis=0) / dt_s > rings.NEGLIGIBLE * mu_tx).any():
        sent = served * rings.passed_share(served / dt_s, mu_tx)
        lost = dropped + (served - sent)
    else:
        sent, lost = served, dropped
    if arrivals is not offered_q:
        lost = lost + (offered_q - arrivals)

    # --- metrics (one port's queues, counted for every loaded port)
    total_in = float(offered_q.sum()) * ports
    total_sent = float(sent.sum()) * ports
    served_q = served.sum(axis=0) * ports
    total_served = float(served_q.sum())
    total_lost = float(lost.sum()) * ports
    busy_per_pkt = c_pkt + c_burst * cpu.chunks(avg_burst, cap) / avg_burst
    busy_cycles = float(np.dot(served_q, busy_per_pkt))
    served_pps = total_served / window_s
    sent_pps = total_sent / window_s

    mdl_mean, busy = queueing.within_step_wait(lam, mu, weight, dt_us, random=workload.arrival.process != "cbr")
    batch_us = float(np.dot(weight, avg_burst * c_pkt / hz * 1e6))  # waiting for its own burst
    gather_us = float(np.dot(weight, cpu.tx_gather_us(burst, lam, hw.tx_drain_us, tx_mode(hw, workload))))
    base_us = _fixed_path_us(hw, mean_size, hit)
    p50, p99, p999 = base_us + queueing.latency_percentiles(coarse_us, sent, mdl_mean, busy, batch_us, gather_us)
    if total_sent <= 0:
        p50 = p99 = p999 = float("nan")

    metrics = {
        "throughput_mpps": sent_pps / 1e6,
        "throughput_gbps": sent_pps * mean_size * 8.0 / 1e9,
        "offered_mpps": total_in / window_s / 1e6,
        "drop_rate": total_lost / total_in if total_in > 0 else 0.0,
        "latency_p50_us": float(p50),
        "latency_p99_us": float(p99),
        "latency_p999_us": float(p999),
        "cpu_util": [1.0] * n_cores,  # busy polling: /proc/stat shows every core at 100 %
        "useful_cycles_fraction": min(1.0, busy_cycles / (hz * window_s * n_cores)),
        "cycles_per_packet": busy_cycles / total_served if total_served > 0 else float(np.max(c_pkt + c_burst)),
        "llc_misses_per_packet": dma_lines * (1.0 - hit),
        "pcie_rd_gbps": cost.dma_read * sent_pps * 8.0 / 1e9,
        "pcie_wr_gbps": (cost.rx_write * served_pps + (cost.dma_write - cost.rx_write) * sent_pps) * 8.0 / 1e9,
        "dram_gbps": dram_bytes * served_pps * 8.0 / 1e9,
        "ddio_hit_rate": hit,
    }

    # --- time series on the shared clock, from the same steps
    def per_sample(x: np.ndarray) -> np.ndarray:
        return x.reshape(n_samples, -1).sum(axis=1)

    interval_s = sample_us * 1e-6
    sent_s = per_sample(sent) * ports
    served_s = per_sample(served) * ports
    timeseries = {
        "t_s": np.arange(n_samples) * interval_s,
        "offered_mpps": per_sample(offered_q) * ports / interval_s / 1e6,
        "throughput_mpps": sent_s / interval_s / 1e6,
        "dropped_mpps": per_sample(lost) * ports / interval_s / 1e6,
        "ring_occupancy": per_sample(np.minimum(occ, rx)) / (steps_per_sample * n_cores),
        "latency_us": np.where(
            sent_s > 0,
            base_us
            + mdl_mean * busy
            + batch_us / 2
            + gather_us
            + per_sample(coarse_us * sent) * ports / np.maximum(sent_s, 1e-12),
            np.nan,
        ),
        "cpu_busy_fraction": np.minimum(1.0, per_sample(served * busy_per_pkt) * ports / (hz * interval_s * n_cores)),
        "pcie_wr_gbps": (cost.rx_write * served_s + (cost.dma_write - cost.rx_write) * sent_s) * 8.0 / interval_s / 1e9,
        "dram_gbps": dram_bytes * served_s * 8.0 / interval_s / 1e9,
    }

    hot = int(np.argmax(share))
    limits = {
        "offered": lam_total,
        "wire": line_pps * ports,
        "cpu": float(mu_cpu.sum()) * ports,
        "rss": float(mu_cpu[hot] / share[hot]) * ports,
        "nic": min(nic_cap, hw.queue_max_mpps * 1e6 / share[hot] * ports),
        "pcie": pcie_cap,
        "ddio/dram": dram_cap,
        "rx-refill": float(mu_refill[hot] / share[hot]) * ports,
        "tx-completion": float(mu_tx[hot] / share[hot]) * ports,
    }
    bound = _binding_limit(limits, float(rate.max()) * ports)
    name = bound.split("@")[0]
    ring_loss = float(dropped.sum()) > 0.001 * max(total_in / ports, 1.0)
    if mbuf_short and (name == "rx-refill" or (name in ("offered", "wire") or "@" in bound) and ring_loss):
        # the ring the NIC sees is short of buffers: the pool, not the ring size, binds
        name, bound = "mbufs", bound.replace(name, "mbufs")
    extra = {
        "bound": bound,
        "binding_limit": name,
        "limits_mpps": {k: round(float(v) / 1e6, 3) for k, v in limits.items() if math.isfinite(v)},
        "line_mpps": line_pps * ports / 1e6,
        "io_working_set_mb": ws_io / 2**20,
        "l2_miss_fraction": l2_miss,
        "avg_burst": mean_burst,
        "core_mpps": mu_core / 1e6,
        "rx_desc_filled": rx_fill,
        "clock_ghz": hz / 1e9,
        "step_us": dt_us,
    }
    return SimOutput(metrics=metrics, applied=applied, timeseries=timeseries, extra=extra)


def tx_mode(hw: HardwareProfile, workload: Workload) -> str:
    """The application's TX mode: a workload tagged `tx-buffered` or `tx-immediate` sets its
    own, otherwise the profile's `app_tx_mode` (testpmd-like immediate by default)."""
    for mode in APP_TX_MODES:
        if f"tx-{mode}" in workload.tags:
            return mode
    return hw.app_tx_mode


def _binding_limit(limits: dict[str, float], peak: float) -> str:
    """The limit that binds: "offered" ("wire" at line rate) when the DUT keeps up with the
    load (2 % margin), "<limit>@peak" when it keeps up with the mean but not with the arrival
    peaks, "rss" when the hottest queue saturates well before the cores as a whole."""
    candidates = {k: v for k, v in limits.items() if k not in ("offered", "wire")}
    if limits["rss"] >= 0.98 * limits["cpu"]:
        del candidates["rss"]
    tightest = min(candidates, key=candidates.get)
    if limits["offered"] > 0.98 * candidates[tightest]:
        return tightest
    if peak > candidates[tightest]:
        return f"{tightest}@peak"
    return "wire" if limits["offered"] >= 0.98 * limits["wire"] else "offered"
