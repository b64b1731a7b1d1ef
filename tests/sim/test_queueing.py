import numpy as np
import pytest
from dpdktune.sim import queueing


def _reference(x, cap, q0):
    q, out = q0.copy(), []
    for row in x:
        q = np.minimum(cap, np.maximum(0.0, q + row))
        out.append(q.copy())
    return np.array(out)


@pytest.mark.parametrize("steps", [1, 2, 7, 64, 1000])
def test_clamp_scan_matches_lindley_loop(steps):
    rng = np.random.default_rng(steps)
    x = rng.normal(0, 50, size=(steps, 5))
    cap = np.array([10.0, 100.0, 1e9, 1.0, 300.0])
    q0 = np.array([0.0, 100.0, 5.0, 1.0, 150.0])
    np.testing.assert_allclose(queueing.clamp_scan(x, cap, q0), _reference(x, cap, q0), atol=1e-6)


def test_latency_percentiles_are_ordered_and_shift_with_delay():
    coarse = np.array([[1.0, 2.0], [3.0, 50.0]])
    weights = np.array([[100.0, 100.0], [100.0, 1.0]])
    p = queueing.latency_percentiles(coarse, weights, 1.0, 0.5, 0.2, 0.0)
    assert p[0] <= p[1] <= p[2]
    later = queueing.latency_percentiles(coarse + 10.0, weights, 1.0, 0.5, 0.2, 0.0)
    np.testing.assert_allclose(later - p, 10.0, atol=0.5)


def test_bursts_overflow_small_rings(run):
    small = run("bursty", 128, 512, 2).metrics
    large = run("bursty", 2048, 512, 2).metrics
    assert small["drop_rate"] > large["drop_rate"] + 0.05
    assert large["throughput_mpps"] > small["throughput_mpps"]


def test_overload_bufferbloat_grows_with_ring(run):
    p99 = [run("flood64", rx, 512, 1).metrics["latency_p99_us"] for rx in (256, 1024, 4096)]
    assert p99[0] < p99[1] < p99[2]
    # the ring's share grows with rx_desc; the NIC buffer's share ahead of it is fixed
    assert p99[2] > 2 * p99[0]


def test_underload_latency_near_base(run):
    m = run("highrate", 1024, 1024, 4).metrics
    assert m["drop_rate"] < 1e-6  # the soft ring limit leaves a vanishing loss far below it
    assert m["latency_p50_us"] < 20.0
    assert m["latency_p50_us"] <= m["latency_p99_us"] <= m["latency_p999_us"]


def test_mmpp_surges_raise_tail_latency(run, catalogue):
    from dataclasses import replace

    mmpp = catalogue["mmpp"]
    steady = replace(mmpp, arrival=replace(mmpp.arrival, process="poisson"))
    surging = run(mmpp, 1024, 1024, 2).metrics["latency_p99_us"]
    assert surging > 1.5 * run(steady, 1024, 1024, 2).metrics["latency_p99_us"]


@pytest.mark.parametrize("drift, start", [(-5.0, 0.0), (5.0, 1.0), (0.0, 0.5)])
def test_clamp_scan_fast_paths_match_loop(drift, start):
    # never full / never empty / both: each path of clamp_scan against the plain loop
    rng = np.random.default_rng(1)
    x = rng.normal(drift, 3.0, size=(300, 4))
    cap = np.array([50.0, 200.0, 400.0, 1000.0])
    q0 = cap * start
    np.testing.assert_allclose(queueing.clamp_scan(x, cap, q0), _reference(x, cap, q0), atol=1e-6)
