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


def test_bigger_burst_adds_latency_at_low_load(run):
    small = run("lowrate", 512, 512, 1, burst=8).metrics["latency_p50_us"]
    big = run("lowrate", 512, 512, 1, burst=64).metrics["latency_p50_us"]
    assert big > small * 1.2
