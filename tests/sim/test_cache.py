from dataclasses import replace

import numpy as np
from dpdktune.sim import cache


def test_set_associative_hit_rate_is_smooth_and_tends_to_capacity_over_footprint(cx5):
    """A line survives its reuse distance in a hashed set-associative cache while fewer than
    `ways` newer lines land in its set: no step at the capacity (conflict misses start early),
    and far above it the hit rate approaches capacity / footprint (ResQ, NSDI'18)."""
    cap = cx5.ddio_bytes
    ws = cap * np.array([0.05, 0.25, 0.5, 1.0, 2.0, 8.0])
    hits = [cache.ddio_hit_rate(cx5, w) for w in ws]
    assert all(a > b for a, b in zip(hits, hits[1:]))
    assert hits[0] > 0.99 and 0.6 < hits[2] < 0.98 and hits[3] < 0.6
    assert hits[-1] < 2.0 / 8.0


def test_more_ddio_ways_hold_more(cx5):
    ws = cache.io_working_set_bytes(cx5, 8 * 1024, 24)
    assert cache.ddio_hit_rate(replace(cx5, ddio_ways=8), ws) > cache.ddio_hit_rate(cx5, ws)


def test_l2_working_set_slows_cpu_bound_core(run):
    # one core, small packets: big rings make the mbuf cycle outgrow L2 (L2 -> LLC)
    small = run("elephant", 256, 256, 1).metrics
    big = run("elephant", 4096, 4096, 1).metrics
    assert big["cycles_per_packet"] > small["cycles_per_packet"] * 1.05
    assert big["throughput_mpps"] < small["throughput_mpps"]


def test_memory_bound_throughput_falls(run, cx5, catalogue):
    # a CPU-bound reader keeps its rings full: the leaked lines cost DRAM bandwidth
    reader = replace(catalogue["large1500"], app_cycles=2000)
    starved = replace(cx5, dram_gbps=5.0)
    full = run(reader, 4096, 2048, 1).metrics["throughput_mpps"]
    out = run(reader, 4096, 2048, 1, hw=starved)
    assert out.metrics["throughput_mpps"] < 0.8 * full
    assert out.extra["binding_limit"] == "ddio/dram"


def test_idle_rings_do_not_leak(run, catalogue):
    """Only lines written and not yet consumed count: at low load the rings are nearly empty,
    so even big rings on many cores keep DDIO hits (ATC'20: leaky DMA needs a backlog)."""
    m = run("lowrate", 2048, 2048, 16).metrics
    assert m["ddio_hit_rate"] > 0.98


def test_bigger_rx_rings_cost_a_cpu_bound_core_a_few_percent_and_its_tail_several_fold(run, catalogue):
    """Farshin et al., "Reexamining Direct Cache Access...", ATC'20: with 1024 B packets,
    going from 256 to 2048/4096 RX descriptors costs a CPU-bound core a few percent of
    throughput (more DMA lines leak from DDIO, but burst prefetching hides most of each miss)
    while the 99th percentile latency grows several-fold (the full ring is a longer queue)."""
    reader = replace(catalogue["large1500"], name="r1024", sizes=(1024,), app_cycles=300, offered_mpps=50.0)
    out = {rx: run(reader, rx, 256, 1) for rx in (256, 2048, 4096)}
    mpps = {rx: o.metrics["throughput_mpps"] for rx, o in out.items()}
    p99 = {rx: o.metrics["latency_p99_us"] for rx, o in out.items()}
    assert 0.9 < mpps[2048] / mpps[256] < 0.995
    assert 0.85 < mpps[4096] / mpps[256] < mpps[2048] / mpps[256]
    assert p99[2048] > 3 * p99[256] and p99[4096] > p99[2048]
    assert out[4096].metrics["ddio_hit_rate"] < out[256].metrics["ddio_hit_rate"] - 0.2
