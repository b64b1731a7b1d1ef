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


@pytest.mark.parametrize(("profile", "cap"), [("xeon6140-cx5-100g", 64), ("xeon8180-xl710-40g", 32)])
def test_burst_saturates_at_the_vector_receive_cap(run, catalogue, profile, cap):
    """Vector PMDs split rx_burst into internal calls of RTE_I40E_VPMD_RX_BURST = 32 (i40e) or
    MLX5_VPMD_RX_MAX_BURST = 64 (mlx5) packets: per-call savings stop at the cap."""
    from dpdktune.hardware import load_hardware

    hw = load_hardware(profile)
    work = replace(catalogue["flood64"], flows=1, app_cycles=60)
    mpps = {b: run(work, 2048, 1024, 1, burst=b, hw=hw).metrics["throughput_mpps"] for b in (8, cap, 1024)}
    assert mpps[cap] > 1.1 * mpps[8]
    assert mpps[1024] < 1.01 * mpps[cap]


def test_idle_cores_add_no_contention(run):
    """At 0.5 Mpps nothing shared is loaded: cycles per packet stay flat from 1 to 16 cores."""
    one = run("lowrate", 512, 512, 1).metrics["cycles_per_packet"]
    sixteen = run("lowrate", 512, 512, 16).metrics["cycles_per_packet"]
    assert sixteen == pytest.approx(one, rel=0.05)


def test_scaling_is_near_linear_without_nic_limits(catalogue, cx5):
    """FD.io CSIT multi-core speedup reports: DPDK/VPP forwarding scales close to linearly on
    physical cores (2t2c, 4t4c vs 1t1c) where no NIC or PCIe limit binds."""
    from dpdktune.knobs import Knobs
    from dpdktune.sim import simulate

    free = replace(cx5, nic_max_mpps=1e5, queue_max_mpps=1e5, pcie_lane_gbps=1e5, link_gbps=1e5)
    flood = replace(catalogue["flood64"], offered_mpps=5000.0)
    mpps = {c: simulate(flood, free, Knobs(512, 512, c, 32), 0).metrics["throughput_mpps"] for c in (1, 4, 8)}
    assert mpps[4] / (4 * mpps[1]) > 0.95
    assert 0.85 < mpps[8] / (8 * mpps[1]) < 1.0


def test_siblings_remote_cores_and_turbo_are_not_free(catalogue, cx5):
    """Two hyperthreads share one core's pipeline (DTS pmd plan and Intel NIC reports list
    1C/2T apart from 2C/1T); a core on the other socket reaches the NIC's DMA lines over UPI;
    with turbo on, more busy cores lower the clock (Intel turbo frequency tables)."""
    from dpdktune.knobs import Knobs
    from dpdktune.sim import cpu, simulate

    small = replace(cx5, cores=4, nic_max_mpps=1e5, queue_max_mpps=1e5, pcie_lane_gbps=1e5, link_gbps=1e5)
    flood = replace(catalogue["flood64"], offered_mpps=5000.0)
    mpps = {c: simulate(flood, small, Knobs(512, 512, c, 32), 0).metrics["throughput_mpps"] for c in (4, 8, 16)}
    assert mpps[8] < 1.3 * mpps[4]  # the four extra lcores are siblings
    share, remote = cpu.placement(small, 16)
    assert remote.sum() == 8 and (share > 1).sum() == 8
    assert mpps[16] - mpps[8] < 8 / 4 * mpps[4]  # remote cores forward less than local ones
    turbo = replace(cx5, turbo=True)
    assert cpu.clock_hz(turbo, 1) > cpu.clock_hz(turbo, 16) > cpu.clock_hz(cx5, 16)
