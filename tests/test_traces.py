"""Workloads from pcap traces: planted rate, size mix, flows, skew and burstiness come back out."""

from __future__ import annotations

import numpy as np
import pytest
from dpdktune.config import ConfigError, load_config
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.sim.model import simulate
from dpdktune.traces import fit_trace, read_pcap, size_mix, zipf_exponent
from dpdktune.workloads import workloads_of
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import RawPcapWriter

SIZES = (64, 576, 1500)  # frames incl. FCS
SIZE_WEIGHTS = (0.5, 0.3, 0.2)
FLOWS = 48
ZIPF_S = 1.1


def _times(kind: str, rng: np.random.Generator) -> np.ndarray:
    """Arrival times (s) of a planted process, ~20k packets."""
    if kind == "onoff":  # ON 200 us at 1 Mpps, OFF 600 us: mean 0.25 Mpps
        starts = np.arange(0.0, 0.08, 800e-6)
        return np.sort(np.concatenate([s + rng.uniform(0, 200e-6, rng.poisson(200)) for s in starts]))
    if kind == "mmpp":  # 0.2 Mpps for 300 us, 1 Mpps for 100 us (mean 0.4 Mpps)
        t, state, out = 0.0, 0, []
        while t < 0.05:
            d = rng.exponential((300e-6, 100e-6)[state])
            out.append(t + np.sort(rng.uniform(0, d, rng.poisson((2e5, 1e6)[state] * d))))
            t, state = t + d, 1 - state
        return np.concatenate(out)
    if kind == "poisson":
        return np.cumsum(rng.exponential(1 / 4e5, 20000))
    return np.arange(20000) / 4e5  # cbr


def write_trace(path, kind: str, seed: int = 0) -> np.ndarray:
    """A pcap made with scapy: planted sizes, Zipf flows (UDP and TCP 5-tuples), arrival times."""
    rng = np.random.default_rng(seed)
    times = _times(kind, rng)
    n = len(times)
    sizes = rng.choice(SIZES, size=n, p=SIZE_WEIGHTS)
    p = np.arange(1, FLOWS + 1, dtype=float) ** -ZIPF_S
    flows = rng.choice(FLOWS, size=n, p=p / p.sum())
    templates = {}
    writer = RawPcapWriter(str(path), linktype=1, nano=True)
    writer.write_header(None)
    for t, size, flow in zip(times, sizes, flows):
        key = (int(size), int(flow))
        if key not in templates:
            l4 = (UDP if flow % 2 else TCP)(sport=1000 + int(flow), dport=80)
            head = Ether() / IP(src=f"10.0.0.{flow}", dst="10.1.0.1") / l4
            templates[key] = bytes(head / Raw(b"\x00" * (int(size) - 4 - len(head))))
        sec = int(t)
        writer.write_packet(templates[key], sec=sec, usec=int(round((t - sec) * 1e9)))
    writer.close()
    return times


@pytest.mark.parametrize("kind", ["onoff", "mmpp", "poisson", "cbr"])
def test_fit_recovers_the_planted_traffic(tmp_path, kind):
    times = write_trace(tmp_path / "t.pcap", kind)
    fit = fit_trace(tmp_path / "t.pcap")
    planted_mpps = (len(times) - 1) / (times[-1] - times[0]) / 1e6
    assert fit.packets == len(times)
    assert fit.mean_mpps == pytest.approx(planted_mpps, rel=1e-6)
    assert fit.sizes == SIZES
    assert np.allclose(fit.size_weights, SIZE_WEIGHTS, atol=0.02)
    assert fit.flows == FLOWS
    assert fit.zipf_s == pytest.approx(ZIPF_S, abs=0.1)
    assert fit.arrival.process == kind
    if kind == "onoff":
        assert fit.arrival.on_us == pytest.approx(200, rel=0.15)
        assert fit.arrival.off_us == pytest.approx(600, rel=0.15)
    if kind == "mmpp":
        assert fit.arrival.mmpp_sojourn_us[0] == pytest.approx(300, rel=0.25)
        assert fit.arrival.mmpp_sojourn_us[1] == pytest.approx(100, rel=0.25)
        rates = np.asarray(fit.facts["mmpp_rates_pps"])
        assert rates == pytest.approx([2e5, 1e6], rel=0.2)


def test_size_bins_keep_the_mean_frame_size():
    frames = np.random.default_rng(1).integers(64, 1519, 50_000)
    sizes, weights = size_mix(frames, 8)
    assert len(sizes) == 8 and sum(weights) == pytest.approx(1.0)
    assert np.dot(sizes, weights) == pytest.approx(frames.mean(), abs=1.0)


@pytest.mark.parametrize("s", [0.0, 0.7, 1.5])
def test_zipf_exponent_is_recovered(s):
    rng = np.random.default_rng(2)
    p = np.arange(1, 201, dtype=float) ** -s
    counts = np.bincount(rng.choice(200, 100_000, p=p / p.sum()), minlength=200)
    assert zipf_exponent(counts) == pytest.approx(s, abs=0.05)


def test_a_config_names_a_trace_workload_and_the_simulator_offers_its_rate(tmp_path):
    write_trace(tmp_path / "t.pcap", "onoff")
    config = load_config(
        overrides={
            "workload_defs": {"mytrace": {"pcap": str(tmp_path / "t.pcap"), "app_cycles": 100}},
            "workloads": ["mytrace"],
        }
    )
    (workload,) = workloads_of(config)
    assert workload.trace == str(tmp_path / "t.pcap") and workload.arrival.process == "onoff"
    assert workload.app_cycles == 100 and "trace" in workload.tags
    out = simulate(workload, load_hardware(config["hardware"]), Knobs(1024, 1024, 4, 32), seed=0, window_ms=20.0)
    assert out.metrics["offered_mpps"] == pytest.approx(workload.offered_mpps, rel=0.1)


def test_a_changed_trace_changes_the_campaign(tmp_path):
    from dpdktune.campaign.plan import campaign_id

    write_trace(tmp_path / "t.pcap", "poisson", seed=0)
    overrides = {"workload_defs": {"mytrace": {"pcap": str(tmp_path / "t.pcap")}}, "workloads": ["mytrace"]}
    before = campaign_id(load_config(overrides=overrides))
    write_trace(tmp_path / "t.pcap", "poisson", seed=1)
    assert campaign_id(load_config(overrides=overrides)) != before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not a pcap file"),
        (b"\x0a\x0d\x0d\x0a" + b"\x00" * 40, "pcapng is not supported"),
        (b"\xd4\xc3\xb2\xa1" + b"\x00" * 16 + b"\x71\x00\x00\x00", "link type 113"),
    ],
)
def test_bad_traces_get_one_line_naming_the_key(tmp_path, content, message):
    (tmp_path / "bad.pcap").write_bytes(content)
    with pytest.raises(ConfigError, match=f"workload_defs.tr.pcap: .*bad.pcap.*{message}") as err:
        load_config(overrides={"workload_defs": {"tr": {"pcap": str(tmp_path / "bad.pcap")}}, "workloads": ["tr"]})
    assert "\n" not in str(err.value)


def test_a_trace_entry_refuses_fields_it_measures(tmp_path):
    write_trace(tmp_path / "t.pcap", "cbr")
    with pytest.raises(ConfigError, match="workload_defs.tr.flows: not a field of a pcap workload"):
        load_config(
            overrides={"workload_defs": {"tr": {"pcap": str(tmp_path / "t.pcap"), "flows": 3}}, "workloads": ["tr"]}
        )


def test_read_pcap_keys_flows_by_five_tuple(tmp_path):
    write_trace(tmp_path / "t.pcap", "cbr")
    packets, records = read_pcap(tmp_path / "t.pcap", keep_records=True)
    assert len(np.unique(packets.flow)) == FLOWS and len(records) == len(packets.time_s)
    assert packets.nanosecond  # the writer above stores nanosecond timestamps


def test_flow_keys_see_through_vlans_and_cover_ipv6_and_non_ip(tmp_path):
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP, Dot1Q
    from scapy.utils import wrpcap

    packets = [
        Ether() / Dot1Q(vlan=5) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2),
        Ether() / Dot1Q(vlan=5) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=1, dport=2) / Raw(b"x" * 300),
        Ether() / Dot1Q(vlan=5) / IP(src="10.0.0.1", dst="10.0.0.2") / UDP(sport=9, dport=2),
        Ether() / IPv6(src="fe80::1", dst="fe80::2") / TCP(sport=5, dport=6),
        Ether() / IPv6(src="fe80::1", dst="fe80::2") / TCP(sport=5, dport=6),
        Ether(src="02:00:00:00:00:09") / ARP(),
    ]
    for i, p in enumerate(packets):
        p.time = 1.0 + i * 1e-3
    wrpcap(str(tmp_path / "mixed.pcap"), packets)
    read, _ = read_pcap(tmp_path / "mixed.pcap")
    assert list(read.flow[[0, 3]] == read.flow[[1, 4]]) == [True, True]
    assert len(np.unique(read.flow)) == 4
    assert list(read.wire_len) == [len(p) for p in packets]
