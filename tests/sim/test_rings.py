"""Descriptor rings: RX refill, TX completion and the mbuf pool, as the shapes of public
measurements (not their absolute numbers)."""

from dataclasses import replace

import numpy as np
import pytest
from dpdktune.hardware import load_hardware
from dpdktune.sim import rings


@pytest.fixture(scope="module")
def cpu64(catalogue):
    """One flow of 64 B frames with a little per-packet work: one core is the bottleneck."""
    return replace(catalogue["flood64"], name="cpu64", flows=1, app_cycles=60)


@pytest.mark.parametrize("profile", ["xeon6140-cx5-100g", "xeon8180-xl710-40g"])
def test_small_rx_rings_lose_throughput_well_before_32_descriptors(run, cpu64, profile):
    """DPDK poll mode driver guide ("Rx/Tx queue configuration": rx_free_thresh batches) and
    the DTS nic_single_core_perf plan, which tunes --rxd/--txd per NIC because small rings cost
    single-core throughput: the refill batch, the burst in hand and the PCIe read that brings a
    returned descriptor to the NIC all hold descriptors, so 64 already starves the NIC."""
    hw = load_hardware(profile)
    mpps = {rx: run(cpu64, rx, 512, 1, hw=hw).metrics["throughput_mpps"] for rx in (64, 128, 512)}
    assert mpps[64] < 0.8 * mpps[512]
    assert mpps[128] > 0.95 * mpps[512]
    assert run(cpu64, 64, 512, 1, hw=hw).extra["binding_limit"] == "rx-refill"


def test_intel_tx_ring_has_an_interior_optimum(run, cpu64):
    """i40e/ixgbe free sent mbufs only below tx_free_thresh free descriptors, so a big TX ring
    stays full of cold mbufs (the core's mbuf cycle outgrows L2), while a small one runs out of
    completed descriptors (DPDK PMD guide, tx_rs_thresh / tx_free_thresh). The DTS single-core
    plans measure at moderate rings (512) rather than at either end."""
    hw = load_hardware("xeon8180-xl710-40g")
    sizes = (64, 128, 256, 512, 1024, 2048, 4096)
    mpps = [run(cpu64, 512, tx, 1, hw=hw).metrics["throughput_mpps"] for tx in sizes]
    best = sizes[int(np.argmax(mpps))]
    assert 128 < best < 2048
    assert mpps[0] < 0.6 * max(mpps) and mpps[-1] < 0.97 * max(mpps)


def test_failed_transmits_waste_cycles(run, cpu64):
    """What rte_eth_tx_burst refuses, testpmd's io engine and l3fwd's send_burst free: the
    core spent its receive cycles on those packets and pays the free on top."""
    hw = load_hardware("xeon8180-xl710-40g")
    small = run(cpu64, 512, 64, 1, hw=hw)
    roomy = run(cpu64, 512, 512, 1, hw=hw)
    assert small.extra["binding_limit"] == "tx-completion"
    assert small.metrics["cycles_per_packet"] > roomy.metrics["cycles_per_packet"] + 5
    assert small.metrics["drop_rate"] > roomy.metrics["drop_rate"] + 0.2


def test_mlx5_frees_at_once_so_big_tx_rings_cost_nothing(run, cpu64):
    """mlx5 frees completed mbufs on every tx_burst: its TX backlog is the in-flight part only."""
    hw = load_hardware("xeon6140-cx5-100g")
    a, b = (run(cpu64, 512, tx, 1, hw=hw).metrics["throughput_mpps"] for tx in (512, 4096))
    assert b == pytest.approx(a, rel=0.01)


def test_small_pool_leaves_rx_descriptors_without_mbufs(run, catalogue):
    """Every RX descriptor of every configured queue holds an mbuf: 2 ports x 16 queues x 2048
    descriptors need 65,536 mbufs, twice testpmd's --total-num-mbufs of the local backend. The
    PMD posts what the pool gives (rx_nombuf), so bursts overflow the shorter ring."""
    short = run("bursty", 2048, 2048, 16, mbuf_pool=32768)
    ample = run("bursty", 2048, 2048, 16, mbuf_pool=1 << 18)
    assert short.extra["rx_desc_filled"] < 1024 <= ample.extra["rx_desc_filled"]
    assert short.extra["binding_limit"] == "mbufs"
    assert short.metrics["drop_rate"] > ample.metrics["drop_rate"]


def test_thresholds_fit_the_ring_and_softmin_is_below_both():
    assert rings.threshold(32, 32) == 16 and rings.threshold(32, 512) == 32
    lo = rings.softmin(np.array([10.0, 10.0, 10.0]), np.array([10.0, 20.0, 1000.0]))
    assert np.all(lo < 10.0)
    np.testing.assert_allclose(lo, [10 * 2**-0.25, 10 * (1 + 2.0**-4) ** -0.25, 10.0], rtol=1e-6)
