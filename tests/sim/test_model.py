"""Properties every run must satisfy, over generated workloads and every hardware profile."""

import math

import numpy as np
import pytest
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import BINDING_LIMITS, METRIC_NAMES, TIMESERIES_METRICS
from dpdktune.sim import simulate, wire
from dpdktune.workloads import generate

PROFILES = ["xeon6140-cx5-100g", "xeon8180-xl710-40g", "xeon8180-82599-10g", "xeon8180-cx4lx-25g"]
CONFIGS = [Knobs(128, 128, 1, 8), Knobs(4096, 512, 16, 64)]


@pytest.mark.parametrize("profile", PROFILES)
def test_generated_workloads_give_physical_records(profile):
    hw = load_hardware(profile)
    for i, workload in enumerate(generate(50, seed=5)):
        for knobs in CONFIGS:
            out = simulate(workload, hw, knobs, seed=i, noise_cv=0.02)
            m = out.metrics
            assert tuple(m) == METRIC_NAMES
            ports = 2 if workload.direction == "bidir" else 1
            line = wire.line_rate_pps(hw.link_gbps, workload.mean_size) * ports / 1e6
            assert 0 <= m["throughput_mpps"] <= m["offered_mpps"] * (1 + 1e-9) + 1e-9
            assert m["offered_mpps"] <= line * 1.02  # Poisson counts may exceed the mean slightly
            assert m["throughput_mpps"] <= hw.nic_max_mpps * 1.001
            assert 0 <= m["drop_rate"] <= 1
            assert 0 < m["ddio_hit_rate"] <= 1
            assert 0 <= m["useful_cycles_fraction"] <= 1
            assert m["cycles_per_packet"] >= 0.9 * (hw.fwd_base_cycles + workload.app_cycles)  # noise ~2 %
            if m["throughput_mpps"] > 0:
                assert 0 < m["latency_p50_us"] <= m["latency_p99_us"] <= m["latency_p999_us"]
            assert all(math.isfinite(m[k]) for k in ("pcie_rd_gbps", "pcie_wr_gbps", "dram_gbps"))
            assert set(out.timeseries) == {"t_s", *TIMESERIES_METRICS}
            assert out.extra["binding_limit"] in BINDING_LIMITS


def test_zero_offered_load_forwards_nothing(cx5, catalogue):
    from dataclasses import replace

    idle = replace(catalogue["flood64"], line_fraction=0.0)
    m = simulate(idle, cx5, Knobs(512, 512, 2, 32), 0).metrics
    assert m["throughput_mpps"] == 0 and m["drop_rate"] == 0
    assert math.isnan(m["latency_p50_us"])


def test_timeseries_share_one_clock_and_add_up(run):
    out = run("bursty", 1024, 512, 4, window_ms=4.0, sample_interval_ms=0.1)
    ts = out.timeseries
    assert len(ts["t_s"]) == 40
    np.testing.assert_allclose(np.diff(ts["t_s"]), 1e-4)
    np.testing.assert_allclose(ts["offered_mpps"].mean(), out.metrics["offered_mpps"], rtol=1e-9)
    # what came in either left, was dropped, or still waits in a buffer at the end
    backlog = np.cumsum(ts["offered_mpps"] - ts["throughput_mpps"] - ts["dropped_mpps"]) * 100.0  # packets
    assert backlog.min() > -1e-6 and backlog[-1] < 4 * 4096
    assert ts["offered_mpps"].max() > 2 * ts["offered_mpps"].min()  # on/off shows in the series


def test_a_buffer_an_off_phase_drains_does_not_open_the_window_full(run):
    """A 1 ms burst every 10 ms, far above one core's service: the NIC buffer and the ring fill in
    the burst and drain in the gap, so the window must not open with them full (that counted
    their backlog as the window's own losses: drop rate 1.008)."""
    from dpdktune.workloads import Arrival, Workload

    burst = Workload(
        name="onoff-1-9",
        description="1 ms on, 9 ms off",
        sizes=(64,),
        size_weights=(1.0,),
        offered_mpps=None,
        line_fraction=0.8,
        arrival=Arrival(process="onoff", on_us=1000.0, off_us=9000.0, mmpp_rate_factors=(), mmpp_sojourn_us=()),
        flows=16,
        zipf_s=0.0,
        app_cycles=1500.0,
        direction="uni",
        tags=(),
        trace=None,
        trace_sha256=None,
    )
    m = run(burst, 256, 128, 1, seed=1).metrics
    assert 0.9 < m["drop_rate"] <= 1.0
    lost = m["offered_mpps"] - m["throughput_mpps"]
    assert m["drop_rate"] * m["offered_mpps"] <= lost * (1 + 1e-9)  # no more lost than arrived minus sent


def test_finite_queue_loses_no_more_than_arrives_when_the_queue_drains_in_the_window():
    from dpdktune.sim.model import _finite_queue

    arrivals = np.array([[50.0]] * 10 + [[0.0]] * 90)  # a burst, then silence
    service = np.full((100, 1), 5.0)
    capacity = np.array([100.0])
    occ, dropped, served = _finite_queue(arrivals, service, capacity, np.array([True]))
    assert occ[-1, 0] == 0.0  # drained by the window's end, so it opened empty too
    assert served.sum() + dropped.sum() == pytest.approx(arrivals.sum())
