"""Workloads measured on a pcap trace: size mix, mean rate, flows and skew, and burstiness.

What is fitted, and onto which workload fields (the ones the simulator's traffic model reads):
- sizes/size_weights: the frame sizes on the wire (captured length + 4 B FCS, at least 64 B),
  grouped into at most `size_bins` bins of equal packet share, each at its mean size, so the
  mean frame size is kept.
- offered_mpps: packets over the trace's duration (first to last timestamp).
- flows: distinct 5-tuples (IPv4/IPv6 with TCP/UDP ports; other frames by MAC pair and type).
- zipf_s: the maximum-likelihood Zipf exponent of the flows' packet counts over their ranks
  (Clauset, Shalizi & Newman, SIAM Review 2009, for the discrete power-law likelihood).
- arrival: a 2-state Markov-modulated Poisson process fitted by Baum-Welch to packet counts
  in short bins (a Poisson hidden Markov model; Fischer & Meier-Hellstern, Perf. Eval. 1993,
  for MMPP). A quiet state under 5 % of the busy one becomes `onoff`; two states within
  a factor 1.5, or a likelihood gain that BIC does not pay for, fall back to `cbr` (inter-arrival
  CV under 0.2) or `poisson`. Assumption: modulation slower than a few bins (the bins hold ~4
  packets on average); bursts shorter than that only show as the inter-arrival CV.
The trace is classic pcap (microsecond or nanosecond, either byte order) of Ethernet or raw IP;
pcapng gets a clear error (convert with `editcap -F pcap in.pcapng out.pcap`).
"""

from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import gammaln

from dpdktune.workloads import Arrival, Workload, check

FCS_BYTES = 4
MIN_FRAME = 64
_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_PCAPNG = b"\x0a\x0d\x0d\x0a"
_LINK_ETHERNET, _LINK_RAW = 1, (101, 12, 14)
#: a quiet state below this share of the busy state's rate is OFF
ONOFF_QUIET_SHARE = 0.05
#: states closer than this rate ratio are one state
MODULATION_MIN_RATIO = 1.5
CBR_MAX_CV = 0.2
#: mean packets per bin of the count HMM
PACKETS_PER_BIN = 4.0
#: bins fitted at most (the start of a longer trace)
MAX_BINS = 50_000


class TraceError(ValueError):
    """A trace that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Packets:
    """Per packet: timestamp (s), wire length without FCS, flow index; and the records' raw bytes."""

    time_s: np.ndarray
    wire_len: np.ndarray
    flow: np.ndarray
    linktype: int
    nanosecond: bool
    endian: str


def read_pcap(path: str | Path, keep_records: bool = False) -> tuple[Packets, list[bytes]]:
    """Parse a classic pcap. With `keep_records`, also each record (header + data) as bytes."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TraceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if data[:4] == _PCAPNG:
        raise TraceError(f"{path}: pcapng is not supported; convert it: editcap -F pcap {path.name} out.pcap")
    if len(data) < 24 or data[:4] not in _MAGIC:
        raise TraceError(f"{path}: not a pcap file (bad magic number)")
    endian, tick = _MAGIC[data[:4]]
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0x0FFFFFFF
    if linktype != _LINK_ETHERNET and linktype not in _LINK_RAW:
        raise TraceError(f"{path}: link type {linktype} is not supported (Ethernet or raw IP)")
    record = struct.Struct(endian + "IIII")
    starts, heads = [], []
    offset = 24
    while offset + 16 <= len(data):
        head = record.unpack_from(data, offset)
        if offset + 16 + head[2] > len(data):
            break  # a capture cut off mid-record: keep what is whole
        starts.append(offset)
        heads.append(head)
        offset += 16 + head[2]
    if len(starts) < 2:
        raise TraceError(f"{path}: needs at least 2 packets, has {len(starts)}")
    heads_np = np.asarray(heads, dtype=np.int64)
    times = heads_np[:, 0] + heads_np[:, 1] * tick
    starts_np = np.asarray(starts, dtype=np.int64)
    flow = _flows(np.frombuffer(data, np.uint8), starts_np + 16, heads_np[:, 2], linktype == _LINK_ETHERNET)
    order = np.argsort(times, kind="stable")
    packets = Packets(
        time_s=times[order],
        wire_len=heads_np[order, 3],
        flow=flow[order],
        linktype=linktype,
        nanosecond=tick == 1e-9,
        endian=endian,
    )
    records = [data[starts[i] : starts[i] + 16 + heads[i][2]] for i in order] if keep_records else []
    return packets, records


#: header bytes read per packet: Ethernet, two VLAN tags, IPv4 with options (or IPv6), and ports
_HEADER_BYTES = 14 + 8 + 60 + 4


def _flows(
    data: np.ndarray, starts: np.ndarray, caplen: np.ndarray, ethernet: bool, chunk: int = 1 << 20
) -> np.ndarray:
    """A flow index per packet: its 5-tuple (IPv4/IPv6 with TCP/UDP/SCTP ports, no ports on
    fragments), or MACs and EtherType for anything else; vectorised over chunks of packets."""
    keys = []
    padded = np.concatenate([data, np.zeros(_HEADER_BYTES, np.uint8)])
    span = np.arange(_HEADER_BYTES)
    for lo in range(0, len(starts), chunk):
        h = padded[starts[lo : lo + chunk, None] + span]
        h[span[None, :] >= caplen[lo : lo + chunk, None]] = 0  # bytes past the capture are not this packet's
        keys.append(_flow_keys(h, ethernet))
    keys = np.concatenate(keys)
    _, inverse = np.unique(keys.view(np.dtype((np.void, keys.shape[1]))).ravel(), return_inverse=True)
    return inverse.ravel()


def _flow_keys(h: np.ndarray, ethernet: bool) -> np.ndarray:
    n, rows = len(h), np.arange(len(h))
    ip_at = np.zeros(n, np.int64)
    ethertype = np.full(n, 0x0800, np.int64)
    if ethernet:
        ip_at += 14
        ethertype = h[:, 12].astype(np.int64) << 8 | h[:, 13]
        for _ in range(2):  # up to two VLAN tags
            tagged = (ethertype == 0x8100) | (ethertype == 0x88A8)
            inner = h[rows, np.minimum(ip_at + 2, _HEADER_BYTES - 2)].astype(np.int64) << 8 | h[rows, ip_at + 3]
            ethertype = np.where(tagged, inner, ethertype)
            ip_at = ip_at + 4 * tagged

    def at(offset):
        return h[rows[:, None], np.minimum(ip_at[:, None] + offset, _HEADER_BYTES - 1)]

    first = at(np.arange(1))[:, 0]
    version = first >> 4
    v4 = (version == 4) & ((ethertype == 0x0800) | (not ethernet))
    v6 = (version == 6) & ((ethertype == 0x86DD) | (not ethernet))
    proto = np.where(v4, at(np.array([9]))[:, 0], np.where(v6, at(np.array([6]))[:, 0], 0))
    addresses = np.where(v4[:, None], np.pad(at(np.arange(12, 20)), ((0, 0), (0, 24))), at(np.arange(8, 40)))
    fragment = v4 & (((at(np.array([6]))[:, 0].astype(np.int64) & 0x1F) << 8 | at(np.array([7]))[:, 0]) != 0)
    l4 = np.where(v4, (first & 0x0F).astype(np.int64) * 4, 40)
    ports = h[rows[:, None], np.minimum(ip_at[:, None] + l4[:, None] + np.arange(4), _HEADER_BYTES - 1)]
    ports = np.where(((proto == 6) | (proto == 17) | (proto == 132))[:, None] & ~fragment[:, None], ports, 0)
    ip = v4 | v6
    key = np.zeros((n, 2 + 32 + 4 + 14), np.uint8)
    key[:, 0] = np.where(ip, version, 0)
    key[:, 1] = proto
    key[ip, 2:34] = addresses[ip]
    key[ip, 34:38] = ports[ip]
    if ethernet:  # anything but IP: MAC pair and EtherType
        other = ~ip
        key[other, 38:50] = h[other, :12]
        key[other, 50] = (ethertype[other] >> 8).astype(np.uint8)
        key[other, 51] = (ethertype[other] & 0xFF).astype(np.uint8)
    return key


# ---------------------------------------------------------------- fits


def size_mix(frames: np.ndarray, bins: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """At most `bins` (size, share) pairs: exact when the trace has that few sizes, else bins of
    equal packet share at their mean size (so the mean frame size is kept)."""
    sizes, counts = np.unique(frames, return_counts=True)
    if len(sizes) <= bins:
        return tuple(int(s) for s in sizes), tuple(float(c / counts.sum()) for c in counts)
    cum = np.cumsum(counts) / counts.sum()
    group = np.minimum((cum * bins - 1e-9).astype(int), bins - 1)
    out_sizes, out_weights = [], []
    for g in np.unique(group):
        mine = group == g
        share = counts[mine].sum()
        out_sizes.append(int(round(float(np.dot(sizes[mine], counts[mine]) / share))))
        out_weights.append(float(share / counts.sum()))
    return tuple(out_sizes), tuple(out_weights)


def zipf_exponent(counts: np.ndarray, max_s: float = 5.0) -> float:
    """Maximum-likelihood s of P(rank r) = r^-s / H(N, s) over the flows' packet counts."""
    counts = np.sort(np.asarray(counts, float))[::-1]
    if len(counts) < 2:
        return 0.0
    log_rank = np.log(np.arange(1, len(counts) + 1))
    weighted, total = float(np.dot(counts, log_rank)), float(counts.sum())

    def negative_loglik(s: float) -> float:
        return s * weighted + total * float(np.log(np.exp(-s * log_rank).sum()))

    return float(minimize_scalar(negative_loglik, bounds=(0.0, max_s), method="bounded").x)


@dataclass(frozen=True)
class MmppFit:
    """A 2-state Poisson HMM on counts per bin: rates (packets/s) and mean sojourns (us)."""

    rates_pps: tuple[float, float]
    sojourn_us: tuple[float, float]
    bin_us: float
    loglik: float
    poisson_loglik: float
    bins: int

    @property
    def bic_gain(self) -> float:
        """BIC of one Poisson rate minus BIC of the 2-state model (3 more parameters)."""
        return 2 * (self.loglik - self.poisson_loglik) - 3 * np.log(self.bins)


def bin_counts(time_s: np.ndarray) -> tuple[np.ndarray, float]:
    """Packets per bin of ~PACKETS_PER_BIN packets (at most MAX_BINS bins), and the bin width (s)."""
    t = time_s - time_s[0]
    bin_s = PACKETS_PER_BIN * float(t[-1]) / (len(t) - 1)
    nbins = int(min(max(float(t[-1]) / bin_s, 2), MAX_BINS))
    t = t[t < nbins * bin_s]
    return np.bincount((t / bin_s).astype(int), minlength=nbins)[:nbins].astype(float), bin_s


def fit_mmpp(time_s: np.ndarray, iterations: int = 100) -> MmppFit:
    """Baum-Welch for a 2-state Poisson HMM on packet counts in bins of ~PACKETS_PER_BIN packets.

    The forward and backward passes are prefix products of the 2x2 step matrices, computed by a
    doubling scan (log2(bins) vectorised steps) instead of a Python loop over bins. At most
    MAX_BINS bins (the trace's start) are fitted: the process is assumed stationary."""
    counts, bin_s = bin_counts(time_s)
    nbins = len(counts)
    log_fact = gammaln(counts + 1)
    lam = np.maximum(np.array([np.quantile(counts, 0.25), np.quantile(counts, 0.9) + 1e-3]), 1e-6)
    trans = np.array([[0.9, 0.1], [0.1, 0.9]])
    prior = np.array([0.5, 0.5])
    loglik = -np.inf
    for _ in range(iterations):
        log_emit = counts[:, None] * np.log(lam)[None, :] - lam[None, :] - log_fact[:, None]
        row_max = log_emit.max(axis=1)
        emit = np.exp(log_emit - row_max[:, None])
        steps = trans[None, :, :] * emit[1:, None, :]  # P_i = trans @ diag(emit_i), i >= 1
        alpha, alpha_log = _scan(steps, forward=True)  # P_1 ... P_i
        beta, beta_log = _scan(steps, forward=False)  # P_i ... P_T
        first = prior * emit[0]
        a = np.vstack([first, np.einsum("j,tjk->tk", first, alpha)])  # forward vectors, up to scale
        b = np.vstack([beta.sum(axis=2), np.ones((1, 2))])  # backward vectors, up to scale
        new = float(np.log((a[-1]).sum()) + alpha_log[-1] + row_max.sum())
        gamma = a * b
        gamma /= gamma.sum(axis=1, keepdims=True)
        xi = a[:-1, :, None] * steps * b[1:, None, :]
        xi /= xi.sum(axis=(1, 2), keepdims=True)
        trans = xi.sum(axis=0) / xi.sum(axis=(0, 2))[:, None]
        prior = gamma[0]
        lam = np.maximum((gamma * counts[:, None]).sum(axis=0) / np.maximum(gamma.sum(axis=0), 1e-300), 1e-9)
        if new - loglik < 1e-7 * abs(new):
            loglik = max(new, loglik)
            break
        loglik = new
    order = np.argsort(lam)
    lam, trans = lam[order], trans[np.ix_(order, order)]
    stay = np.clip(np.diag(trans), 0.0, 1 - 1e-12)
    mean_count = counts.mean()
    poisson = float((counts * np.log(max(mean_count, 1e-300)) - mean_count - log_fact).sum())
    return MmppFit(
        rates_pps=(float(lam[0] / bin_s), float(lam[1] / bin_s)),
        sojourn_us=(float(bin_s * 1e6 / (1 - stay[0])), float(bin_s * 1e6 / (1 - stay[1]))),
        bin_us=bin_s * 1e6,
        loglik=loglik,
        poisson_loglik=poisson,
        bins=nbins,
    )


def _scan(steps: np.ndarray, forward: bool) -> tuple[np.ndarray, np.ndarray]:
    """Prefix (forward) or suffix products of 2x2 matrices, each scaled to max 1, with log scales."""
    q = steps.copy()
    scale = q.max(axis=(1, 2))
    q /= scale[:, None, None]
    log_scale = np.log(scale)
    k = 1
    while k < len(q):
        # forward: q[i] <- q[i-k] @ q[i]; backward: q[i] <- q[i] @ q[i+k] (the same pairs)
        prod = np.einsum("tij,tjk->tik", q[:-k], q[k:])
        norm = prod.max(axis=(1, 2))
        prod /= norm[:, None, None]
        logs = log_scale[:-k] + log_scale[k:] + np.log(norm)
        if forward:
            q[k:], log_scale[k:] = prod, logs
        else:
            q[:-k], log_scale[:-k] = prod, logs
        k *= 2
    return q, log_scale


def arrival_process(time_s: np.ndarray) -> tuple[Arrival, dict[str, Any]]:
    """The arrival process the simulator reads, and the fit behind it."""
    iat = np.diff(time_s)
    cv = float(iat.std() / iat.mean()) if iat.mean() > 0 else 0.0
    counts, _ = bin_counts(time_s)
    # index of dispersion: 1 for Poisson counts, (n-1)*D ~ chi2(n-1), so its sd is ~sqrt(2/n)
    dispersion = float(counts.var() / counts.mean())
    facts: dict[str, Any] = {"iat_cv": cv, "count_dispersion": dispersion}
    if dispersion < 1 + 4 * np.sqrt(2 / len(counts)):
        return Arrival(process="cbr" if cv < CBR_MAX_CV else "poisson"), facts
    fit = fit_mmpp(time_s)
    low, high = fit.rates_pps
    facts.update(
        {
            "mmpp_rates_pps": list(fit.rates_pps),
            "mmpp_sojourn_us": list(fit.sojourn_us),
            "mmpp_bin_us": fit.bin_us,
            "mmpp_bic_gain": fit.bic_gain,
        }
    )
    modulated = fit.bic_gain > 0 and high > MODULATION_MIN_RATIO * max(low, 1e-9) and min(fit.sojourn_us) > fit.bin_us
    if not modulated:
        return Arrival(process="cbr" if cv < CBR_MAX_CV else "poisson"), facts
    if low < ONOFF_QUIET_SHARE * high:
        return Arrival(process="onoff", on_us=round(fit.sojourn_us[1], 3), off_us=round(fit.sojourn_us[0], 3)), facts
    mean = (low * fit.sojourn_us[0] + high * fit.sojourn_us[1]) / sum(fit.sojourn_us)
    return Arrival(
        process="mmpp",
        mmpp_rate_factors=(round(low / mean, 4), round(high / mean, 4)),
        mmpp_sojourn_us=tuple(round(s, 3) for s in fit.sojourn_us),
    ), facts


# ---------------------------------------------------------------- workloads


@dataclass(frozen=True)
class TraceFit:
    """Everything measured on one trace."""

    packets: int
    duration_s: float
    mean_mpps: float
    sizes: tuple[int, ...]
    size_weights: tuple[float, ...]
    mean_frame_bytes: float
    flows: int
    zipf_s: float
    arrival: Arrival
    facts: dict[str, Any]
    sha256: str


def fit_trace(path: str | Path, size_bins: int = 8) -> TraceFit:
    """Read and fit one trace (cached per file content and size_bins)."""
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except OSError as exc:
        raise TraceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return _fit_cached(str(path), stat.st_size, stat.st_mtime_ns, size_bins)


@functools.lru_cache(maxsize=64)
def _fit_cached(path: str, size: int, mtime_ns: int, size_bins: int) -> TraceFit:
    packets, _ = read_pcap(path)
    duration = float(packets.time_s[-1] - packets.time_s[0])
    if duration <= 0:
        raise TraceError(f"{path}: all packets share one timestamp; the rate is unknown")
    frames = np.maximum(packets.wire_len + FCS_BYTES, MIN_FRAME)
    sizes, weights = size_mix(frames, size_bins)
    arrival, facts = arrival_process(packets.time_s)
    flow_counts = np.bincount(packets.flow)
    return TraceFit(
        packets=len(frames),
        duration_s=duration,
        mean_mpps=(len(frames) - 1) / duration / 1e6,
        sizes=sizes,
        size_weights=weights,
        mean_frame_bytes=float(frames.mean()),
        flows=int((flow_counts > 0).sum()),
        zipf_s=zipf_exponent(flow_counts[flow_counts > 0]),
        arrival=arrival,
        facts=facts,
        sha256=hashlib.sha256(Path(path).read_bytes()).hexdigest(),
    )


def trace_workload(name: str, raw: dict[str, Any], where: str = "workload_defs") -> Workload:
    """A workload entry `{pcap: PATH, ...}`: the traffic fields measured on the trace."""
    key = f"{where}.{name}"
    pcap = raw["pcap"]
    if not isinstance(pcap, str) or not pcap:
        raise ValueError(f"{key}.pcap: expected a file path, got {pcap!r}")
    bins = raw.get("size_bins", 8)
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 16:
        raise ValueError(f"{key}.size_bins: expected an integer within 1..16, got {bins!r}")
    cycles = raw.get("app_cycles", 0)
    if isinstance(cycles, bool) or not isinstance(cycles, (int, float)):
        raise ValueError(f"{key}.app_cycles: expected a number, got {cycles!r}")
    try:
        fit = fit_trace(pcap, bins)
    except TraceError as exc:
        raise ValueError(f"{key}.pcap: {exc}") from None
    sizes = tuple(min(max(s, 60), 9018) for s in fit.sizes)
    workload = Workload(
        name=name,
        description=str(
            raw.get(
                "description",
                f"pcap trace {Path(pcap).name}: {fit.packets} packets, {fit.mean_mpps:.3g} Mpps, {fit.flows} flows",
            )
        ),
        sizes=sizes,
        size_weights=fit.size_weights,
        offered_mpps=fit.mean_mpps,
        line_fraction=1.0,
        arrival=fit.arrival,
        flows=fit.flows,
        zipf_s=round(fit.zipf_s, 4),
        app_cycles=float(cycles),
        direction=str(raw.get("direction", "uni")),
        tags=("trace", *map(str, raw.get("tags", []))),
        trace=str(Path(pcap).resolve()),
        trace_sha256=fit.sha256,
    )
    check(workload, where)
    return workload
