from dataclasses import replace

from dpdktune.sim import cache


def test_working_set_beyond_ddio_leaks(run, catalogue):
    # an application that reads its packets (app cycles > 0) stalls on leaked lines
    reader = replace(catalogue["large1500"], app_cycles=100)
    small = run(reader, 128, 128, 2).metrics
    big = run(reader, 2048, 2048, 2).metrics
    assert small["ddio_hit_rate"] == 1.0
    assert big["ddio_hit_rate"] < 0.5
    assert big["llc_misses_per_packet"] > small["llc_misses_per_packet"] + 5
    assert big["dram_gbps"] > small["dram_gbps"] + 50
    assert big["cycles_per_packet"] > small["cycles_per_packet"] + 20
    assert big["latency_p99_us"] > small["latency_p99_us"]


def test_more_ddio_ways_hold_more(cx5):
    ws = cache.io_working_set_bytes(cx5, 8, 8, 1024, 1024, 24)
    assert cache.ddio_hit_rate(replace(cx5, ddio_ways=8), ws) > cache.ddio_hit_rate(cx5, ws)


def test_l2_working_set_slows_cpu_bound_core(run):
    # one core, small packets, no DDIO leak: big rings still cost cycles (L2 -> LLC)
    small = run("flood64", 128, 128, 1).metrics
    big = run("flood64", 2048, 2048, 1).metrics
    assert big["ddio_hit_rate"] == 1.0
    assert big["cycles_per_packet"] > small["cycles_per_packet"] * 1.1
    assert big["throughput_mpps"] < small["throughput_mpps"]


def test_memory_bound_throughput_falls(run, cx5):
    starved = replace(cx5, dram_gbps=20.0)
    full = run("large1500", 2048, 2048, 8).metrics["throughput_mpps"]
    assert run("large1500", 2048, 2048, 8, hw=starved).metrics["throughput_mpps"] < 0.8 * full
