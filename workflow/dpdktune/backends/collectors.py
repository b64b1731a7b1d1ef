"""Collectors run around the measurement window: /proc/stat per core, `perf stat`, Intel PCM.

Each returns numbers it really read, or None with the reason it could not.
"""

from __future__ import annotations

import csv
import io
import shlex
from typing import Any

#: perf events for LLC misses; on VMs without a PMU perf prints `<not supported>`
PERF_EVENTS = ("LLC-load-misses", "LLC-store-misses")


def parse_proc_stat(text: str) -> dict[int, tuple[int, int]]:
    """/proc/stat -> {cpu: (busy jiffies, total jiffies)}; idle and iowait count as not busy."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("cpu") or parts[0] == "cpu":
            continue
        values = [int(v) for v in parts[1:]]
        # guest time is already inside user; leave it out of the total
        total = sum(values[:8])
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        out[int(parts[0][3:])] = (total - idle, total)
    return out


def cpu_utilisation(before: str, after: str, cpus: list[int]) -> list[float | None]:
    """Busy fraction of each CPU in `cpus` between two /proc/stat snapshots."""
    a, b = parse_proc_stat(before), parse_proc_stat(after)
    out: list[float | None] = []
    for cpu in cpus:
        if cpu not in a or cpu not in b:
            out.append(None)
            continue
        busy = b[cpu][0] - a[cpu][0]
        total = b[cpu][1] - a[cpu][1]
        out.append(busy / total if total > 0 else None)
    return out


def perf_command(perf: str, pid: int, seconds: float, events: tuple[str, ...] = PERF_EVENTS) -> str:
    """`perf stat` in CSV mode on process `pid` for `seconds` (perf's own clock, our window)."""
    return f"{shlex.quote(perf)} stat -x, -e {shlex.quote(','.join(events))} -p {int(pid)} -- sleep {seconds:.3f}"


def parse_perf_csv(text: str) -> tuple[dict[str, float], dict[str, str]]:
    """`perf stat -x,` output -> ({event: count}, {event: why it has no count})."""
    counts: dict[str, float] = {}
    missing: dict[str, str] = {}
    for row in csv.reader(io.StringIO(text)):
        if len(row) < 3 or not row[2]:
            continue
        value, event = row[0].strip(), row[2].strip()
        if value.startswith("<"):
            missing[event] = f"perf stat reported {value} for {event} on this machine"
            continue
        try:
            counts[event] = float(value)
        except ValueError:
            continue
    return counts, missing


def llc_misses(perf_out: str | None, perf_error: str, packets: int) -> tuple[float | None, str | None]:
    """LLC misses per packet from perf, or None and the reason."""
    if perf_out is None:
        return None, f"perf stat did not run: {perf_error}"
    counts, missing = parse_perf_csv(perf_out)
    if any(e not in counts for e in PERF_EVENTS):
        reasons = [missing.get(e, f"perf stat printed no {e} count") for e in PERF_EVENTS]
        return None, "; ".join(reasons)
    if packets <= 0:
        return None, "no packets forwarded in the window"
    return sum(counts[e] for e in PERF_EVENTS) / packets, None


def pcm_command(pcm: str, seconds: float, csv_path: str) -> str:
    """Intel PCM (`pcm` / `pcm-memory` / `pcm-pcie` share the `-csv=` and interval syntax)."""
    return f"{shlex.quote(pcm)} 1 -csv={shlex.quote(csv_path)} -i={max(1, round(seconds))}"


def parse_pcm_csv(text: str) -> dict[str, Any]:
    """Mean of PCM's system-level read/write columns: DRAM GB/s, PCIe rd/wr GB/s, L3 misses.

    PCM's CSV has two header rows (group, then column); columns are matched by name so
    that PCM versions with more or fewer columns still parse.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 3:
        return {}
    names = [f"{g.strip()}:{c.strip()}" for g, c in zip(rows[0], rows[1])]
    data = [r for r in rows[2:] if len(r) == len(names)]

    def mean(*keys: str) -> float | None:
        cols = [i for i, n in enumerate(names) if any(n.endswith(k) or n == k for k in keys)]
        values = []
        for r in data:
            try:
                values.append(sum(float(r[i]) for i in cols))
            except ValueError:
                continue
        return sum(values) / len(values) if cols and values else None

    return {
        "dram_gbps": mean("System:Memory", "System:READ", "System:WRITE"),
        "pcie_rd_gbps": mean("PCIe Rd (B)"),
        "pcie_wr_gbps": mean("PCIe Wr (B)"),
        "l3_misses": mean("System:L3MISS"),
    }
