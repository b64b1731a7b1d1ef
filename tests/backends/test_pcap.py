"""Workload pcaps: the size mix, the flows, one file per queue with each flow in one queue."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from dpdktune.backends.pcap import FCS_BYTES, draw_packets, trace_pcaps, workload_pcaps
from scapy.layers.inet import IP, UDP
from scapy.utils import rdpcap

from .backend_helpers import workload

REPO = Path(__file__).resolve().parents[2]


def test_pcap_has_the_workloads_sizes_and_mix(tmp_path):
    wl = workload(sizes=(64, 1500), weights=(3.0, 1.0))
    (path,) = workload_pcaps(wl, 1, tmp_path, count=800)
    packets = rdpcap(str(path))
    assert len(packets) == 800
    sizes = Counter(len(p) + FCS_BYTES for p in packets)
    assert set(sizes) == {64, 1500}
    assert sizes[64] / 800 == pytest.approx(0.75, abs=0.06)
    assert all(UDP in p for p in packets)


def test_each_flow_lands_in_exactly_one_queue(tmp_path):
    wl = workload()
    paths = workload_pcaps(wl, 3, tmp_path, count=300)
    assert len(paths) == 3
    owner = {}
    total = 0
    for q, path in enumerate(paths):
        for p in rdpcap(str(path)):
            key = (p[IP].src, p[UDP].sport)
            assert owner.setdefault(key, q) == q
            total += 1
    assert total >= 300  # an empty queue gets one packet so that net_pcap can replay it
    assert len(owner) <= wl.flows


def test_files_are_reused_and_named_safely(tmp_path):
    wl = workload(name="a b;$(x)/y")
    first = workload_pcaps(wl, 1, tmp_path, count=64)
    mtime = first[0].stat().st_mtime_ns
    again = workload_pcaps(wl, 1, tmp_path, count=64)
    assert again == first and again[0].stat().st_mtime_ns == mtime
    assert first[0].parent == tmp_path
    assert all(c.isalnum() or c in "_.-" for c in first[0].name)


def test_zipf_skew_concentrates_flows():
    flat = draw_packets(workload(), 5000, 0)[1]
    skewed_wl = workload()
    skewed_wl = type(skewed_wl)(**{**skewed_wl.__dict__, "zipf_s": 2.0})
    skewed = draw_packets(skewed_wl, 5000, 0)[1]
    assert Counter(skewed).most_common(1)[0][1] > Counter(flat).most_common(1)[0][1]


# ---------------------------------------------------------------- workloads from pcap traces


def _trace(tmp_path, rate_pps: float = 1e5, count: int = 2000, flows: int = 12):
    """A Poisson trace made with scapy at `rate_pps`, and its workload (fitted from the file)."""
    import numpy as np
    from dpdktune.traces import trace_workload
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import PcapWriter

    rng = np.random.default_rng(5)
    times = 1000.0 + np.cumsum(rng.exponential(1 / rate_pps, count))
    writer = PcapWriter(str(tmp_path / "trace.pcap"), linktype=1, nano=True, sync=False)
    for i, t in enumerate(times):
        flow = int(rng.integers(flows))
        pkt = (
            Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / IP(src=f"10.9.0.{flow}", dst="10.8.0.1")
            / UDP(sport=2000 + flow, dport=53)
            / Raw(b"\x01" * (100 if i % 3 else 900))
        )
        pkt.time = float(t)
        writer.write(pkt)
    writer.close()
    return trace_workload("tr", {"pcap": str(tmp_path / "trace.pcap")}), times


def test_trace_pcaps_replay_the_traces_own_packets_one_queue_per_flow(tmp_path):
    wl, times = _trace(tmp_path)
    paths = workload_pcaps(wl, 3, tmp_path / "out", count=1500)
    assert len(paths) == 3
    owner, seen = {}, []
    for q, path in enumerate(paths):
        for p in rdpcap(str(path)):
            assert owner.setdefault(p[UDP].sport, q) == q
            seen.append(float(p.time))
    assert len(seen) == 1500
    # the first 1500 packets, with their recorded timestamps (ns pcap) and sizes
    assert sorted(seen) == pytest.approx(sorted(times[:1500]), abs=1e-6)
    again = trace_pcaps(wl, 3, tmp_path / "out", count=1500)
    assert again == paths and all(wl.trace_sha256[:16] in p.name for p in paths)


@pytest.mark.slow
@pytest.mark.testpmd
def test_local_replays_a_trace_and_says_it_is_unpaced_on_pcap_null(tmp_path):
    from conftest import require_program
    from dpdktune.backends.local import LocalBackend
    from dpdktune.knobs import Knobs

    from .backend_helpers import FAST_RUN, spec

    require_program("dpdk-testpmd", "the local backend runs real DPDK testpmd")
    wl, _ = _trace(tmp_path)
    backend = LocalBackend({**FAST_RUN, "topology": "pcap_null", "workdir": str(tmp_path / "w")})
    try:
        r = backend.run(spec(Knobs(256, 256, 1, 32), wl))
    finally:
        backend.close()
    assert r.metrics["throughput_mpps"] > 0
    pacing = r.extra["topology"]["pacing"]
    assert pacing.startswith("unpaced: DPDK 22.11's net_pcap has no option that honours pcap timestamps")
    assert all(wl.trace_sha256[:16] in name for name in r.extra["pcaps"])


@pytest.fixture(scope="module")
def pktgen_binary(tmp_path_factory):
    from conftest import require_program

    require_program("make", "builds csrc/pktgen")
    require_program("pkg-config", "finds libdpdk for csrc/pktgen")
    build = tmp_path_factory.mktemp("pktgen")
    out = subprocess.run(
        ["make", "-C", str(REPO / "csrc" / "pktgen"), f"BUILD={build}"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return build / "dpdktune-pktgen"


@pytest.mark.slow
@pytest.mark.testpmd
def test_pktgen_over_memif_replays_a_trace_at_its_recorded_rate(tmp_path, pktgen_binary):
    """Paced replay: the generator offers the trace's mean rate, not what a core can push.
    (On a small machine generator and DUT share CPUs: the rate holds, per-packet timing may lag.)"""
    from conftest import require_program
    from dpdktune.backends.local import LocalBackend
    from dpdktune.knobs import Knobs

    from .backend_helpers import FAST_RUN, spec

    require_program("dpdk-testpmd", "the local backend runs real DPDK testpmd")
    wl, times = _trace(tmp_path, rate_pps=1e5)
    backend = LocalBackend(
        {
            **FAST_RUN,
            "topology": "memif",
            "memif_oversubscribe": True,
            "generator": "pktgen",
            "pktgen": str(pktgen_binary),
            "workdir": str(tmp_path / "w"),
        }
    )
    try:
        r = backend.run(spec(Knobs(256, 256, 1, 32), wl))
    finally:
        backend.close()
    assert "--pcap=" in r.extra["generator_command"]
    assert r.extra["topology"]["pacing"].startswith("csrc/pktgen: replays the pcap trace")
    gen = r.extra["generator"]
    assert gen["report"]["trace_packets"] == len(times)
    offered_mpps = gen["offered_packets"] / gen["elapsed_s"] / 1e6
    assert offered_mpps == pytest.approx(wl.offered_mpps, rel=0.15)
    assert r.metrics["throughput_mpps"] > 0
