"""Workload pcaps: the size mix, the flows, one file per queue with each flow in one queue."""

from __future__ import annotations

from collections import Counter

import pytest
from scapy.layers.inet import IP, UDP
from scapy.utils import rdpcap

from .backend_helpers import workload
from dpdktune.backends.pcap import FCS_BYTES, draw_packets, workload_pcaps


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
