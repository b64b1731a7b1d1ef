"""sim/dataplane.py: the data plane's own counters, derived from a simulated run."""

import pytest
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import METRIC_NAMES
from dpdktune.sim import simulate
from dpdktune.sim.dataplane import DATAPLANE_METRICS
from dpdktune.workloads import load_catalogue

HW = load_hardware("xeon6140-cx5-100g")
CAT = load_catalogue()


def run(workload, rx=1024, cores=4, burst=32):
    return simulate(CAT[workload], HW, Knobs(rx, 1024, cores, burst), seed=3, noise_cv=0.0).metrics


@pytest.mark.parametrize("workload", ["flood64", "lowrate", "bursty", "imix", "rpc"])
@pytest.mark.parametrize("cores", [1, 4, 16])
def test_counters_conserve_packets_and_stay_in_range(workload, cores):
    m = run(workload, cores=cores)
    assert set(DATAPLANE_METRICS) <= set(m) and list(m) == list(METRIC_NAMES)
    assert m["throughput_mpps"] - 1e-9 <= m["rx_mpps"] <= m["offered_mpps"] + 1e-9
    assert m["imissed_rate"] + m["tx_drop_rate"] == pytest.approx(m["drop_rate"], abs=1e-6)
    for name in ("imissed_rate", "tx_drop_rate", "rx_burst_fill", "empty_poll_share", "rx_ring_occupancy"):
        assert 0.0 <= m[name] <= 1.0, name


def test_overload_fills_bursts_and_rings_and_light_load_polls_empty():
    hot, idle = run("flood64", cores=1), run("lowrate", cores=16)
    assert hot["imissed_rate"] > 0.5 and hot["rx_burst_fill"] == 1.0 and hot["rx_ring_occupancy"] > 0.5
    assert idle["imissed_rate"] == 0.0 and idle["rx_burst_fill"] < 0.1 and idle["rx_ring_occupancy"] < 0.01
    assert idle["empty_poll_share"] > 0.99 > hot["empty_poll_share"]


def test_a_bigger_ring_holds_more_under_overload():
    assert (
        run("flood64", rx=2048, cores=1)["rx_ring_occupancy"] * 2048
        > run("flood64", rx=256, cores=1)["rx_ring_occupancy"] * 256
    )
