"""What a real backend ran on: CPU, cores, sockets, NUMA, NIC, DPDK version and kernel.

One shell script probes a host, so that the local backend (on this machine) and the ssh
backend (on its DUT) read the same sources the same way: `lscpu` with /proc/cpuinfo as a
fallback, `uname`, sysfs for NUMA nodes and each configured PCI address (driver, ids, NUMA
node; `lspci` for the model name where it is installed), /proc/meminfo for hugepages. The
DPDK version comes from testpmd's EAL banner. A value the host does not show says so; a
failed probe is kept with its reason, never replaced by a simulator profile.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence

from dpdktune.backends import testpmd
from dpdktune.backends.base import RunFailed

#: `run(command, deadline_s) -> (status, stdout, stderr)`: LocalHost.run or RemoteRunner.run
Runner = Callable[[str, float], tuple[int, str, str]]

#: what a pcap_null run forwards between (no physical NIC is involved)
PCAP_NULL_NIC = "virtual devices: net_pcap vdev (workload replay) -> net_null vdev (sink); no physical NIC"
MEMIF_NIC = "virtual devices: net_memif vdev between a generator and the DUT testpmd; no physical NIC"

_SECTION = re.compile(r"^== (\S+)(?: (\S+))?$")


def probe_script(pci: Sequence[str] = ()) -> str:
    """A POSIX shell script printing `== name` sections; PCI addresses are validated by the caller."""
    lines = [
        "echo '== hostname'; cat /proc/sys/kernel/hostname 2>/dev/null || hostname",
        "echo '== kernel'; uname -srm",
        "echo '== lscpu'; LC_ALL=C lscpu 2>/dev/null",
        "echo '== cpuinfo'; grep -E '^(processor|model name|physical id|core id)[[:space:]]*:' /proc/cpuinfo",
        "echo '== numa'; ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l",
        "echo '== hugepages'; grep -E '^(HugePages_Total|HugePages_Free|Hugepagesize):' /proc/meminfo",
    ]
    for addr in pci:
        q = shlex.quote(addr)
        d = shlex.quote(f"/sys/bus/pci/devices/{addr}")
        lines.append(
            f"echo '== pci '{q}; if [ -e {d} ]; then "
            f'echo "driver $(basename "$(readlink {d}/driver)" 2>/dev/null)"; '
            f"echo \"ids $(cat {d}/vendor {d}/device 2>/dev/null | tr '\\n' ' ')\"; "
            f'echo "numa $(cat {d}/numa_node 2>/dev/null)"; '
            f"echo \"lspci $(lspci -s {q} 2>/dev/null)\"; else echo 'absent'; fi"
        )
    return "; ".join(lines) + "; true"


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = _SECTION.match(line.strip())
        if m:
            current = m.group(1) if m.group(2) is None else f"{m.group(1)} {m.group(2)}"
            out[current] = []
        elif current is not None:
            out[current].append(line.rstrip())
    return out


def _fields(lines: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip(), value.strip())
    return out


def _cpu(sections: dict[str, list[str]]) -> dict[str, str]:
    """Model, sockets, physical cores, logical CPUs and NUMA nodes: lscpu first, then /proc/cpuinfo."""
    lscpu = _fields(sections.get("lscpu", []))
    procs = [_fields([line]) for line in sections.get("cpuinfo", [])]
    model = lscpu.get("Model name") or next((p["model name"] for p in procs if "model name" in p), "")
    cpus = lscpu.get("CPU(s)") or str(sum("processor" in p for p in procs) or "")
    sockets = lscpu.get("Socket(s)")
    physical = {p["physical id"] for p in procs if "physical id" in p}
    if not sockets or not sockets.isdigit():
        sockets = str(len(physical)) if physical else ""
    per_socket = lscpu.get("Core(s) per socket", "")
    if per_socket.isdigit() and sockets.isdigit():
        cores = str(int(per_socket) * int(sockets))
    else:  # a (physical id, core id) pair is one core
        ids, pid = set(), None
        for p in procs:
            pid = p.get("physical id", pid)
            if "core id" in p:
                ids.add((pid, p["core id"]))
        cores = str(len(ids)) if ids else ""
    numa = lscpu.get("NUMA node(s)") or "".join(sections.get("numa", [])).strip()
    out = {
        "host_cpu": model or "unknown (neither lscpu nor /proc/cpuinfo names it)",
        "host_cpus": cpus or "unknown",
        "host_cores": cores or "unknown",
        "host_sockets": sockets or "unknown",
        "host_numa_nodes": numa if numa and numa != "0" else "unknown",
    }
    if lscpu.get("Hypervisor vendor"):
        out["host_virtualization"] = f"virtual machine ({lscpu['Hypervisor vendor']})"
    return out


def _pci_nic(addr: str, lines: list[str]) -> str:
    if not lines or lines[0].strip() == "absent":
        return f"{addr}: not present on the host"
    info = dict(line.partition(" ")[::2] for line in lines)
    driver = info.get("driver", "").strip() or "no driver bound"
    lspci = info.get("lspci", "").strip()
    # `lspci -s` prints "3b:00.0 Ethernet controller: Mellanox ... [ConnectX-5]"
    model = lspci.split(": ", 1)[1] if ": " in lspci else f"PCI ids {info.get('ids', '').strip() or 'unknown'}"
    numa = info.get("numa", "").strip()
    return f"{addr}: {model}, driver {driver}" + (f", NUMA node {numa}" if numa not in ("", "-1") else "")


def parse_probe(text: str, pci: Sequence[str] = (), nic_note: str = "") -> dict[str, str]:
    """Provenance keys from the probe script's output (every value a string)."""
    s = _sections(text)
    out = {
        "host": "".join(s.get("hostname", [])).strip() or "unknown",
        "host_kernel": "".join(s.get("kernel", [])).strip() or "unknown",
    }
    out.update(_cpu(s))
    huge = _fields(s.get("hugepages", []))
    if huge:
        out["host_hugepages"] = (
            f"{huge.get('HugePages_Total', '?')} total, {huge.get('HugePages_Free', '?')} free, "
            f"{huge.get('Hugepagesize', '?')} each"
        )
    nics = [_pci_nic(a, s.get(f"pci {a}", [])) for a in pci]
    out["host_nic"] = "; ".join(nics) if nics else (nic_note or "unknown")
    return out


def dpdk_version(run: Runner, program: str, deadline_s: float) -> tuple[str, str | None]:
    """("DPDK 22.11.4", None), or ("unknown", why) when testpmd does not print its version."""
    prefix = testpmd.new_file_prefix()
    runtime = f'{shlex.quote("/var/run/dpdk/" + prefix)} "${{XDG_RUNTIME_DIR:-/tmp}}/dpdk/"{shlex.quote(prefix)}'
    # the exit status is testpmd's; the EAL runtime directory goes either way
    command = f"{shlex.join(testpmd.version_argv(program, prefix))} 2>&1; s=$?; rm -rf {runtime}; exit $s"
    try:
        status, out, err = run(command, deadline_s)
    except RunFailed as exc:
        return "unknown", f"{program}: {exc.reason}"
    version = testpmd.parse_version(out)
    if "version unknown" not in version:
        return version, None
    tail = " | ".join(line.strip() for line in (out + err).strip().splitlines()[-2:]) or "no output"
    return "unknown", f"{program} printed no 'RTE Version' (exit status {status}): {tail}"


def probe(run: Runner, deadline_s: float, pci: Sequence[str] = (), nic_note: str = "") -> dict[str, str]:
    """The host keys, or `host_probe_error` with the reason when the probe itself failed."""
    try:
        status, out, err = run(probe_script(pci), deadline_s)
    except RunFailed as exc:
        return {"host_probe_error": exc.reason}
    info = parse_probe(out, pci, nic_note)
    if status != 0:
        info["host_probe_error"] = f"probe exited {status}: {err.strip()[-300:]}"
    return info


def summary(info: dict[str, str]) -> str:
    """One line for the report's hardware: the host, never a simulator profile."""
    if "host_cpu" not in info:
        return f"unknown host (probe failed: {info.get('host_probe_error', 'not probed')})"
    virt = f", {info['host_virtualization']}" if "host_virtualization" in info else ""
    dpdk = info.get("dpdk_version", "unknown")
    dpdk = "DPDK version unknown" if dpdk == "unknown" else dpdk
    return (
        f"{info['host']}: {info['host_cpu']}, {info['host_sockets']} socket(s), {info['host_cores']} cores, "
        f"{info['host_cpus']} CPUs, {info['host_numa_nodes']} NUMA node(s){virt}; NIC {info['host_nic']}; "
        f"{info['host_kernel']}; {dpdk}"
    )
