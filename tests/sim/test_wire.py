from dataclasses import replace

import pytest
from dpdktune.hardware import load_hardware
from dpdktune.sim import wire


@pytest.mark.parametrize("gbps, size, mpps", [(10, 64, 14.88), (100, 64, 148.81), (10, 1500, 0.8224), (40, 64, 59.52)])
def test_line_rate_formula(gbps, size, mpps):
    assert wire.line_rate_pps(gbps, size) / 1e6 == pytest.approx(mpps, rel=1e-3)


def test_sim_never_exceeds_line_rate_at_64b_10g(run, catalogue):
    hw = load_hardware("xeon8180-82599-10g")
    out = run("flood64", 512, 512, 8, hw=hw)
    assert out.metrics["offered_mpps"] == pytest.approx(14.88, rel=1e-3)
    assert out.metrics["throughput_mpps"] <= 14.881


def test_nic_max_pps_caps_throughput(run, catalogue):
    # an XL710 cannot forward 64 B at 40G line rate: its packet-rate limit binds first
    hw = load_hardware("xeon8180-xl710-40g")
    out = run("flood64", 1024, 1024, 16, hw=hw)
    assert out.metrics["offered_mpps"] == pytest.approx(59.52, rel=1e-3)
    assert out.metrics["throughput_mpps"] <= hw.nic_max_mpps * 1.001
    lifted = replace(hw, nic_max_mpps=1000.0, pcie_lanes=16)  # PCIe x8 would bind next
    assert run("flood64", 1024, 1024, 16, hw=lifted).metrics["throughput_mpps"] > hw.nic_max_mpps * 1.05
