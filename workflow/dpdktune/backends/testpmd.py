"""dpdk-testpmd: the command line a config maps to, and parsers for what testpmd prints.

Shared by the local and the SSH backend, so that both run and read the very same program.
"""

from __future__ import annotations

import os
import re
import shlex
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from dpdktune.knobs import Knobs
from dpdktune.sections import Section

if TYPE_CHECKING:
    from dpdktune.backends.base import RunSpec

TOPOLOGIES = ("pcap_null", "memif")
FORWARD_MODES = ("io", "mac")
#: the smallest machine on which the generator + DUT topology gets its own cores:
#: generator main + tx lcore, DUT main + forwarding lcore
MEMIF_MIN_CPUS = 4
PROMPT = "testpmd> "


@dataclass(frozen=True)
class TestpmdSettings(Section):
    """The `local:` config section: how testpmd runs on this machine (schema: config/schema.yaml)."""

    name: ClassVar[str] = "local"

    testpmd: str = "dpdk-testpmd"
    topology: str = "pcap_null"
    forward_mode: str = "io"
    mbufs: int = 32768
    mbuf_cache: int = 256
    memory_mb: int = 1024
    warmup_s: float = 1.0
    measure_s: float = 2.0
    deadline_s: float = 60.0
    sample_interval_s: float = 0.25
    no_huge: bool = True
    no_pci: bool = True
    perf: str = "perf"
    #: generator for the memif topology: "testpmd" (txonly) or "pktgen" (csrc/pktgen, paced)
    generator: str = "testpmd"
    #: run memif on fewer than MEMIF_MIN_CPUS CPUs, generator and DUT sharing CPUs
    #: (exercises the topology; its numbers are not a measurement of anything)
    memif_oversubscribe: bool = False
    pktgen: str = "csrc/pktgen/build/dpdktune-pktgen"
    packets_per_pcap: int = 1024
    #: the run directory; None = a fresh temporary one per backend
    workdir: str | None = None
    #: worker lcores l2fwd_tune starts under `dpdktune run --backend local`
    runtime_workers: int = 2

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def clip_cores(requested: int, cpus: int) -> int:
    """Forwarding cores testpmd can really get: one CPU stays the main lcore."""
    return max(1, min(requested, cpus - 1))


@dataclass(frozen=True)
class TestpmdCommand:
    """One testpmd invocation: EAL arguments, then `--`, then the application's."""

    program: str
    eal: tuple[str, ...]
    app: tuple[str, ...]
    #: the knobs really applied (cores clipped) and how each maps to a flag
    applied: Knobs
    flags: dict[str, str] = field(default_factory=dict)
    first_lcore: int = 0

    @property
    def file_prefix(self) -> str:
        return next(a.split("=", 1)[1] for a in self.eal if a.startswith("--file-prefix="))

    @property
    def argv(self) -> list[str]:
        return [self.program, *self.eal, "--", *self.app]

    def shell(self) -> str:
        """The argv as one shell-quoted string (the exact command recorded and sent over SSH)."""
        return shlex.join(self.argv)


def dut_command(
    settings: TestpmdSettings,
    knobs: Knobs,
    cpus: int,
    file_prefix: str,
    vdevs: list[str],
    max_frame: int,
    first_lcore: int = 0,
) -> TestpmdCommand:
    """The DUT testpmd: main lcore `first_lcore`, forwarding lcores after it, interactive
    with auto-start so that the driver can clear, sample and read stats over stdin."""
    cores = clip_cores(knobs.cores, cpus)
    applied = Knobs(knobs.rx_desc, knobs.tx_desc, cores, knobs.burst)
    lcores = f"{first_lcore}-{first_lcore + cores}"
    eal = ["-l", lcores, "-m", str(settings.memory_mb), f"--file-prefix={file_prefix}", "--log-level=lib.eal:error"]
    if settings.no_huge:
        eal.append("--no-huge")
    if settings.no_pci:
        eal.append("--no-pci")
    eal += [f"--vdev={v}" for v in vdevs]
    flags = {
        "rx_desc": f"--rxd={knobs.rx_desc}",
        "tx_desc": f"--txd={knobs.tx_desc}",
        "cores": f"--nb-cores={cores} (-l {lcores})",
        "burst": f"--burst={knobs.burst}",
        "mbufs": f"--total-num-mbufs={settings.mbufs}",
        "mbuf_cache": f"--mbcache={settings.mbuf_cache}",
        "forward_mode": f"--forward-mode={settings.forward_mode}",
    }
    app = [
        "-i",
        "--auto-start",
        "--no-flush-rx",
        f"--nb-cores={cores}",
        f"--rxq={cores}",
        f"--txq={cores}",
        f"--rxd={knobs.rx_desc}",
        f"--txd={knobs.tx_desc}",
        f"--burst={knobs.burst}",
        f"--total-num-mbufs={settings.mbufs}",
        f"--mbcache={settings.mbuf_cache}",
        f"--forward-mode={settings.forward_mode}",
        "--record-core-cycles",
        "--record-burst-stats",
    ]
    if max_frame > 1518:
        # jumbo frames need mbufs that hold them whole
        app += [f"--mbuf-size={max_frame + 256}", f"--max-pkt-len={max_frame}"]
        flags["max_pkt_len"] = f"--max-pkt-len={max_frame}"
    return TestpmdCommand(settings.testpmd, tuple(eal), tuple(app), applied, flags, first_lcore)


def new_file_prefix() -> str:
    """An EAL --file-prefix unique to this process and run (runtime dirs and pidfiles are named by it)."""
    return f"dpdktune_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def version_argv(program: str, file_prefix: str) -> list[str]:
    """testpmd that prints EAL's version banner and its usage, then exits without ports."""
    return [program, "-v", "--no-huge", "--no-pci", "-m", "64", f"--file-prefix={file_prefix}", "--", "--help"]


# --------------------------------------------------------------------------- parsing


def parse_version(text: str) -> str:
    m = re.search(r"RTE Version: '([^']+)'", text)
    return m.group(1) if m else "dpdk-testpmd (version unknown)"


_PORT_HEADER = re.compile(r"NIC statistics for port (\d+)")
_XSTATS_HEADER = re.compile(r"NIC extended statistics for port (\d+)")
_PORT_FIELDS = {
    "rx_packets": r"RX-packets:\s*(\d+)",
    "rx_missed": r"RX-missed:\s*(\d+)",
    "rx_bytes": r"RX-bytes:\s*(\d+)",
    "rx_errors": r"RX-errors:\s*(\d+)",
    "rx_nombuf": r"RX-nombuf:\s*(\d+)",
    "tx_packets": r"TX-packets:\s*(\d+)",
    "tx_errors": r"TX-errors:\s*(\d+)",
    "tx_bytes": r"TX-bytes:\s*(\d+)",
}


def _blocks(text: str, header: re.Pattern[str]) -> dict[int, str]:
    """Split `text` at each port header into {port: the text up to the next header}."""
    marks = list(header.finditer(text))
    return {
        int(m.group(1)): text[m.end() : marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        for i, m in enumerate(marks)
    }


def parse_port_stats(text: str) -> dict[int, dict[str, int]]:
    """`show port stats all` -> {port: {rx_packets, rx_missed, ..., tx_bytes}}."""
    out = {}
    for port, body in _blocks(text, _PORT_HEADER).items():
        stats = {}
        for name, pattern in _PORT_FIELDS.items():
            m = re.search(pattern, body)
            if m:
                stats[name] = int(m.group(1))
        out[port] = stats
    return out


def parse_xstats(text: str) -> dict[int, dict[str, int]]:
    """`show port xstats all` -> {port: {xstat name: value}}."""
    return {
        port: {m.group(1): int(m.group(2)) for m in re.finditer(r"^\s*([A-Za-z0-9_]+):\s*(\d+)\s*$", body, re.M)}
        for port, body in _blocks(text, _XSTATS_HEADER).items()
    }


_BURST = re.compile(r"(RX|TX)-bursts\s*:\s*(\d+)\s*\[([^\]]*)\]")
_FWD_PORT = re.compile(r"Forward statistics for port (\d+)")
_CYCLES = re.compile(r"CPU cycles/packet=([\d.]+) \(total cycles=(\d+) / total \w+ packets=(\d+)\) at (\d+) MHz")


def parse_bursts(line_body: str, total: int) -> dict[str, Any]:
    """The inside of `[0% of 0 pkts + 90% of 32 pkts + 10% of other]` -> shares by burst size."""
    shares = {int(size): int(pct) / 100 for pct, size in re.findall(r"(\d+)% of (\d+) pkts", line_body)}
    other = re.search(r"(\d+)% of other", line_body)
    return {
        "bursts": total,
        "share_by_size": {str(k): v for k, v in sorted(shares.items())},
        "share_other": int(other.group(1)) / 100 if other else 0.0,
    }


def parse_fwd_stats(text: str) -> dict[str, Any]:
    """`show fwd stats all` (with --record-core-cycles/--record-burst-stats) -> per-port
    counters, burst-size distributions and the cycles-per-packet line."""
    ports: dict[int, dict[str, Any]] = {}
    for port, body in _blocks(text, _FWD_PORT).items():
        body = body.split("+++", 1)[0]
        entry: dict[str, Any] = {}
        for key, pattern in (
            ("rx_packets", r"RX-packets:\s*(\d+)"),
            ("rx_dropped", r"RX-dropped:\s*(\d+)"),
            ("tx_packets", r"TX-packets:\s*(\d+)"),
            ("tx_dropped", r"TX-dropped:\s*(\d+)"),
        ):
            m = re.search(pattern, body)
            if m:
                entry[key] = int(m.group(1))
        for m in _BURST.finditer(body):
            entry[f"{m.group(1).lower()}_bursts"] = parse_bursts(m.group(3), int(m.group(2)))
        ports[port] = entry
    out: dict[str, Any] = {"ports": ports}
    m = _CYCLES.search(text)
    if m:
        out.update(
            cycles_per_packet=float(m.group(1)),
            total_cycles=int(m.group(2)),
            total_packets=int(m.group(3)),
            tsc_mhz=int(m.group(4)),
        )
    return out


def burst_distribution(fwd: dict[str, Any], ports: list[int]) -> dict[str, Any]:
    """The RX burst-size distribution over `ports` (those that receive the workload), weighted
    by each port's poll count, with the mean burst per poll and per non-empty poll."""
    polls = 0
    rx_packets = 0
    weighted: dict[str, float] = {}
    other = 0.0
    for port in ports:
        entry = fwd["ports"].get(port, {})
        b = entry.get("rx_bursts")
        if not b:
            continue
        polls += b["bursts"]
        rx_packets += entry.get("rx_packets", 0)
        for size, share in b["share_by_size"].items():
            weighted[size] = weighted.get(size, 0.0) + share * b["bursts"]
        other += b["share_other"] * b["bursts"]
    if polls == 0:
        return {"polls": 0}
    empty = weighted.get("0", 0.0) / polls
    nonempty = {int(k): v / polls for k, v in weighted.items() if k != "0"}
    if other == 0 and nonempty:
        # testpmd prints integer percentages; the sizes it names give a sharper mean
        per_nonempty = sum(k * v for k, v in nonempty.items()) / sum(nonempty.values())
    else:
        per_nonempty = rx_packets / (polls * (1 - empty)) if empty < 1 else 0.0
    return {
        "polls": polls,
        "share_by_size": {k: v / polls for k, v in sorted(weighted.items(), key=lambda kv: int(kv[0]))},
        "share_other": other / polls,
        "empty_poll_fraction": empty,
        "mean_per_poll": rx_packets / polls,
        "mean_per_nonempty_poll": per_nonempty,
    }


LATENCY_REASON = (
    "testpmd io/mac forwarding timestamps no packets; latency needs a timestamping generator or NIC hardware timestamps"
)


def runtime_dir(file_prefix: str) -> Path:
    """Where EAL keeps this prefix's runtime files (eal_common_options.c: root vs. user)."""
    base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return Path(base) / "dpdk" / file_prefix


def record_extra(
    spec: RunSpec, cmd: TestpmdCommand, settings: TestpmdSettings, cpus: int, topo: dict[str, Any]
) -> dict[str, Any]:
    """What the record keeps beside the metrics: exact command, requested vs applied, flags."""
    return {
        "command": cmd.shell(),
        "requested": spec.knobs.as_dict(),
        "applied": cmd.applied.as_dict(),
        "clipped": (
            {
                "cores": f"requested {spec.knobs.cores}, machine has {cpus} CPUs "
                f"(1 main lcore + {cmd.applied.cores} forwarding)"
            }
            if cmd.applied.cores != spec.knobs.cores
            else {}
        ),
        "flags": cmd.flags,
        "mempool": {"mbufs": settings.mbufs, "mbuf_cache": settings.mbuf_cache},
        "forward_mode": settings.forward_mode,
        "topology": topo,
        "machine_cpus": cpus,
        "windows": {
            "warmup_s": settings.warmup_s,
            "measure_s": settings.measure_s,
            "sample_interval_s": settings.sample_interval_s,
        },
    }
