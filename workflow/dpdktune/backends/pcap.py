"""A workload as pcap files for testpmd's net_pcap replay: frame sizes, flows and their skew.

One file per RX queue: packets of a flow always land in the same queue, as RSS would put them.
A workload measured on a trace replays the trace's own packets (its first `count`), split the
same way, with their headers and timestamps as recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from dpdktune.atomic import replacing
from dpdktune.backends.base import RunFailed, RunSpec
from dpdktune.workloads import Workload

FCS_BYTES = 4
_HEADERS = 14 + 20 + 8  # Ethernet + IPv4 + UDP


def _flow_tuple(flow: int) -> tuple[str, str, int, int]:
    return (
        f"10.{(flow >> 16) & 0xFF}.{(flow >> 8) & 0xFF}.{flow & 0xFF}",
        "192.168.0.1",
        1024 + flow % 60000,
        5000 + flow // 60000,
    )


def draw_packets(workload: Workload, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(frame sizes incl. FCS, flow ids) of `count` packets: sizes from the mix, flows Zipf(s)."""
    rng = np.random.default_rng(seed)
    weights = np.asarray(workload.size_weights, float)
    sizes = rng.choice(np.asarray(workload.sizes), size=count, p=weights / weights.sum())
    ranks = np.arange(1, workload.flows + 1, dtype=float)
    flow_p = ranks**-workload.zipf_s
    flow_p /= flow_p.sum()
    flows = rng.choice(workload.flows, size=count, p=flow_p)
    return sizes.astype(int), flows.astype(int)


def _write(path: Path, sizes: np.ndarray, flows: np.ndarray) -> None:
    # scapy is imported lazily: it is slow to import and only this path needs it
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import wrpcap

    packets = []
    for size, flow in zip(sizes, flows):
        src, dst, sport, dport = _flow_tuple(int(flow))
        payload = max(0, int(size) - FCS_BYTES - _HEADERS)
        packets.append(
            Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
            / IP(src=src, dst=dst)
            / UDP(sport=sport, dport=dport)
            / Raw(b"\x00" * payload)
        )
    with replacing(path) as tmp:
        wrpcap(str(tmp), packets)


def workload_pcaps(workload: Workload, queues: int, directory: Path, count: int = 1024, seed: int = 0) -> list[Path]:
    """Write (or reuse) one pcap per RX queue for `workload` under `directory`.

    Files are named by a hash of everything that shapes them, so reruns reuse them.
    A queue that no flow hashes to still gets the most common packet, since net_pcap
    cannot replay an empty file. A workload measured on a trace replays the trace's packets.
    """
    if workload.trace:
        return trace_pcaps(workload, queues, directory, count)
    key = json.dumps(
        [workload.sizes, workload.size_weights, workload.flows, workload.zipf_s, count, seed, queues], sort_keys=True
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sizes, flows = draw_packets(workload, count, seed)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", workload.name)[:40]
    paths = []
    for q in range(queues):
        path = directory / f"{safe}-{digest}-q{q}of{queues}.pcap"
        if not path.exists():
            mine = flows % queues == q
            if not mine.any():
                mine = np.zeros_like(mine)
                mine[0] = True
            _write(path, sizes[mine], flows[mine])
        paths.append(path)
    return paths


def trace_pcaps(workload: Workload, queues: int, directory: Path, count: int = 1024) -> list[Path]:
    """Write (or reuse) one pcap per RX queue holding the first `count` packets of the workload's
    trace, each flow in one queue; named by the trace's sha256, so reruns reuse them."""
    from dpdktune.traces import read_pcap

    packets, records = read_pcap(workload.trace, keep_records=True)
    flows, records = packets.flow[:count], records[:count]
    # a flow's queue: RSS-like, by flow, so that one flow never spreads over queues
    queue_of = flows % queues
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", workload.name)[:40]
    magic = 0xA1B23C4D if packets.nanosecond else 0xA1B2C3D4
    header = struct.pack(packets.endian + "IHHiIII", magic, 2, 4, 0, 0, 262144, packets.linktype)
    paths = []
    for q in range(queues):
        path = directory / f"{safe}-{workload.trace_sha256[:16]}-n{count}-q{q}of{queues}.pcap"
        if not path.exists():
            mine = [r for r, owner in zip(records, queue_of) if owner == q] or [records[0]]
            with replacing(path) as tmp:
                Path(tmp).write_bytes(header + b"".join(mine))
        paths.append(path)
    return paths


def pcap_null_vdevs(spec: RunSpec, pcaps: list[Path]) -> tuple[list[str], list[int], dict[str, Any]]:
    """vdev strings, the ports that receive the workload, and a description for the record."""
    for p in pcaps:
        if "," in str(p) or "=" in p.name:
            raise RunFailed(f"pcap path {p} cannot be a vdev argument (',' or '=')", retryable=False)
    source = "net_pcap0," + ",".join(f"rx_pcap={p}" for p in pcaps) + ",infinite_rx=1"
    if spec.workload.direction == "bidir":
        # the reverse direction: net_null makes fixed-size frames of the workload's mean size
        size = max(60, round(spec.workload.mean_size) - FCS_BYTES)
        sink = f"net_null0,size={size}"
        note = f"port0 net_pcap replays the workload; port1 net_null sends {size} B frames back"
        sources = [0, 1]
    else:
        sink = "net_null0,no-rx=1"
        note = "port0 net_pcap replays the workload -> port1 net_null (sink, no-rx)"
        sources = [0]
    pacing = (
        "unpaced: net_pcap replays as fast as the forwarding core polls, so the workload's "
        "offered rate and arrival process are not applied (sizes, mix and flows are)"
    )
    if spec.workload.trace:
        pacing = (
            f"unpaced: DPDK 22.11's net_pcap has no option that honours pcap timestamps (its only "
            f"arguments are rx_pcap, tx_pcap, rx_iface, rx_iface_in, tx_iface, iface, phy_mac and "
            f"infinite_rx), so the trace's first local.packets_per_pcap packets replay, looped, as "
            f"fast as the forwarding core polls: their sizes, headers and flows are the trace's, its "
            f"recorded {spec.workload.offered_mpps:.4g} Mpps and timing are not. Paced replay: "
            f"topology memif with generator pktgen"
        )
    return [source, sink], sources, {"ports": note, "pacing": pacing}
