from dataclasses import replace

import numpy as np
import pytest
from dpdktune.sim import pcie, wire


def _cap(hw, size):
    return pcie.capacity_pps(hw, pcie.packet_bytes(hw, np.array([float(size)]), np.array([1.0]), 32.0))


def test_small_packets_hit_pcie_before_line_rate(cx5):
    # Neugebauer et al.: per-packet TLP and descriptor overheads keep 64 B below 100G line rate
    assert _cap(cx5, 64) < wire.line_rate_pps(cx5.link_gbps, 64)
    assert _cap(cx5, 1500) > wire.line_rate_pps(cx5.link_gbps, 1500)


def test_overheads_lower_the_cap(cx5):
    heavier = replace(cx5, pcie_tlp_overhead_bytes=cx5.pcie_tlp_overhead_bytes * 2)
    assert _cap(heavier, 64) < _cap(cx5, 64)
    unbatched = replace(cx5, desc_wb_batch=1, desc_fetch_batch=1)
    assert _cap(unbatched, 64) < _cap(cx5, 64)


def test_flood64_is_pcie_bound_with_many_cores(run, cx5):
    out = run("flood64", 512, 512, 16)
    assert out.extra["bound"] == "pcie"
    assert out.metrics["throughput_mpps"] == pytest.approx(_cap(cx5, 64) / 1e6, rel=0.05)
    assert out.metrics["throughput_mpps"] < 0.8 * out.metrics["offered_mpps"]


def test_pcie_bandwidth_reported_includes_overheads(run):
    m = run("large1500", 512, 512, 2).metrics
    assert m["pcie_wr_gbps"] > m["throughput_gbps"]
    assert m["pcie_rd_gbps"] > m["throughput_gbps"]
