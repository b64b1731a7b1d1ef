"""(a) Line rate: what the Ethernet wire can carry.

Source: IEEE 802.3 framing. Each frame costs 20 B on the wire beyond its length
(7 B preamble, 1 B SFD, 12 B inter-frame gap); the frame length already includes the FCS,
so pps <= link_bps / ((size + 20) * 8): 14.88 Mpps at 10G/64 B, 148.8 Mpps at 100G/64 B.
"""

from __future__ import annotations

#: preamble + SFD + inter-frame gap, bytes per frame (IEEE 802.3 clause 4)
ETHERNET_GAP_BYTES = 20


def line_rate_pps(link_gbps: float, mean_frame_bytes: float) -> float:
    """Frames per second one port carries at the mean frame size (mean time per frame)."""
    return link_gbps * 1e9 / ((mean_frame_bytes + ETHERNET_GAP_BYTES) * 8.0)


def serialization_us(link_gbps: float, frame_bytes: float) -> float:
    """Time to clock one frame onto the wire."""
    return (frame_bytes + ETHERNET_GAP_BYTES) * 8.0 / (link_gbps * 1e3)
