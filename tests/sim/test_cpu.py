from dataclasses import replace

import pytest


def test_more_app_cycles_fewer_mpps(run, catalogue):
    base = catalogue["highrate"]
    light = run(replace(base, app_cycles=0), 512, 512, 1).metrics["throughput_mpps"]
    heavy = run(replace(base, app_cycles=400), 512, 512, 1).metrics["throughput_mpps"]
    assert heavy < 0.6 * light


def test_bigger_burst_amortises_per_burst_cost(run):
    small = run("flood64", 512, 512, 1, burst=8).metrics
    big = run("flood64", 512, 512, 1, burst=64).metrics
    assert small["cycles_per_packet"] > big["cycles_per_packet"] + 20
    assert small["throughput_mpps"] < big["throughput_mpps"]


def test_cores_scale_sublinearly(run):
    one = run("reqheavy", 512, 512, 1).metrics["throughput_mpps"]
    eight = run("reqheavy", 512, 512, 8).metrics["throughput_mpps"]
    assert 3.0 * one < eight < 8.0 * one


def test_elephant_flow_cannot_use_more_cores(run):
    one = run("elephant", 512, 512, 1).metrics
    many = run("elephant", 512, 512, 8).metrics
    assert many["throughput_mpps"] == pytest.approx(one["throughput_mpps"], rel=0.02)
    assert many["useful_cycles_fraction"] < one["useful_cycles_fraction"] / 4


def test_low_load_raises_cycles_per_packet_and_empty_polls(run):
    busy = run("flood64", 512, 512, 1).metrics
    idle = run("lowrate", 512, 512, 1).metrics
    assert idle["useful_cycles_fraction"] < 0.5 < busy["useful_cycles_fraction"]
    assert idle["cpu_util"] == [1.0]  # busy polling shows 100 % whatever the load


def test_burst_adds_latency_at_low_load_only_with_a_buffered_tx(run, catalogue, cx5):
    """testpmd sends each received burst at once, so at low load the burst size does not
    change latency; l3fwd's rte_eth_tx_buffer waits for a full burst or its 100 us drain
    timer (examples/l3fwd BURST_TX_DRAIN_US), so a big burst adds tens of microseconds."""
    immediate = [run("lowrate", 512, 512, 2, burst=b).metrics["latency_p99_us"] for b in (1, 128)]
    assert immediate[1] < 1.2 * immediate[0] and immediate[1] < 10.0
    l3fwd = replace(cx5, app_tx_mode="buffered")
    buffered = [run("lowrate", 512, 512, 2, burst=b, hw=l3fwd).metrics["latency_p99_us"] for b in (1, 128)]
    assert buffered[1] > 5 * buffered[0] and buffered[1] > 50.0
    tagged = replace(catalogue["lowrate"], tags=("tx-buffered",))
    assert run(tagged, 512, 512, 2, burst=128).metrics["latency_p99_us"] == pytest.approx(buffered[1])
