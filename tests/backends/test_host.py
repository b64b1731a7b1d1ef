"""The host probe: parsed from lscpu, /proc/cpuinfo and sysfs as a real host prints them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from dpdktune.backends import host
from dpdktune.backends.local import LocalBackend, LocalHost

#: lscpu of a two-socket Xeon Gold 6140 with hyper-threading (LC_ALL=C, trimmed)
LSCPU_XEON = """\
Architecture:                    x86_64
CPU(s):                          72
Model name:                      Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz
Thread(s) per core:              2
Core(s) per socket:              18
Socket(s):                       2
NUMA node(s):                    2
"""


def _probe_output(lscpu: str = "", cpuinfo: str = "", pci: dict[str, str] | None = None) -> str:
    parts = [
        "== hostname",
        "dut1",
        "== kernel",
        "Linux 5.15.0-91-generic x86_64",
        "== lscpu",
        lscpu.rstrip(),
        "== cpuinfo",
        cpuinfo.rstrip(),
        "== numa",
        "2",
        "== hugepages",
        "HugePages_Total:    1024",
        "HugePages_Free:     1000",
        "Hugepagesize:       2048 kB",
    ]
    for addr, body in (pci or {}).items():
        parts += [f"== pci {addr}", body]
    return "\n".join(p for p in parts if p) + "\n"


def test_lscpu_gives_model_sockets_cores_cpus_and_numa():
    info = host.parse_probe(_probe_output(LSCPU_XEON), nic_note=host.PCAP_NULL_NIC)
    assert info["host"] == "dut1" and info["host_kernel"] == "Linux 5.15.0-91-generic x86_64"
    assert info["host_cpu"] == "Intel(R) Xeon(R) Gold 6140 CPU @ 2.30GHz"
    assert (info["host_sockets"], info["host_cores"], info["host_cpus"], info["host_numa_nodes"]) == (
        "2",
        "36",
        "72",
        "2",
    )
    assert info["host_hugepages"] == "1024 total, 1000 free, 2048 kB each"
    assert info["host_nic"] == host.PCAP_NULL_NIC
    assert "host_virtualization" not in info


def test_without_lscpu_cpuinfo_counts_sockets_and_physical_cores():
    # 2 sockets x 2 cores x 2 threads
    cpuinfo = "".join(
        f"processor\t: {i}\nmodel name\t: Some CPU\nphysical id\t: {i // 4}\ncore id\t\t: {(i // 2) % 2}\n"
        for i in range(8)
    )
    info = host.parse_probe(_probe_output(cpuinfo=cpuinfo))
    assert (info["host_cpu"], info["host_sockets"], info["host_cores"], info["host_cpus"]) == (
        "Some CPU",
        "2",
        "4",
        "8",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "driver mlx5_core\nids 0x15b3 0x1017 \nnuma 0\n"
            "lspci 3b:00.0 Ethernet controller: Mellanox Technologies MT27800 Family [ConnectX-5]",
            "0000:3b:00.0: Mellanox Technologies MT27800 Family [ConnectX-5], driver mlx5_core, NUMA node 0",
        ),
        (
            "driver vfio-pci\nids 0x8086 0x1592 \nnuma -1\nlspci ",
            "0000:3b:00.0: PCI ids 0x8086 0x1592, driver vfio-pci",
        ),
        (
            "driver \nids 0x8086 0x1592 \nnuma 1\nlspci ",
            "0000:3b:00.0: PCI ids 0x8086 0x1592, driver no driver bound, NUMA node 1",
        ),
        ("absent", "0000:3b:00.0: not present on the host"),
    ],
)
def test_a_pci_nic_is_named_by_model_driver_and_numa_node(body, expected):
    info = host.parse_probe(_probe_output(LSCPU_XEON, pci={"0000:3b:00.0": body}), pci=["0000:3b:00.0"])
    assert info["host_nic"] == expected


def test_the_probe_on_this_machine_matches_what_the_kernel_says():
    pci = sorted(p.name for p in Path("/sys/bus/pci/devices").iterdir())[:1] if Path("/sys/bus/pci").is_dir() else []
    info = host.probe(LocalHost().run, 30, pci=pci)
    assert "host_probe_error" not in info
    assert info["host"] == socket.gethostname()
    assert int(info["host_cpus"]) == os.cpu_count()
    assert info["host_kernel"].startswith(f"Linux {os.uname().release}")
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        None,
    )
    if model:
        assert info["host_cpu"] == model
    if pci:
        link = Path(f"/sys/bus/pci/devices/{pci[0]}/driver")
        driver = os.path.basename(os.readlink(link)) if link.exists() else "no driver bound"
        assert info["host_nic"].startswith(f"{pci[0]}: ") and f"driver {driver}" in info["host_nic"]


def test_a_probe_that_cannot_run_keeps_its_reason():
    from dpdktune.backends.base import RunFailed

    def unreachable(command: str, deadline_s: float):
        raise RunFailed("ssh dut1:22: [Errno 111] Connection refused")

    info = host.probe(unreachable, 5)
    assert info == {"host_probe_error": "ssh dut1:22: [Errno 111] Connection refused"}
    assert host.summary(info) == "unknown host (probe failed: ssh dut1:22: [Errno 111] Connection refused)"


@pytest.mark.slow
@pytest.mark.testpmd
def test_local_backend_reports_this_machine_and_its_dpdk(testpmd_program):
    backend = LocalBackend({"testpmd": testpmd_program})
    info = backend.host()
    assert info["dpdk_version"] == backend.version() and info["dpdk_version"].startswith("DPDK ")
    assert "net_null" in info["host_nic"] and info["hardware"] == host.summary(info)


def test_local_backend_keeps_why_the_version_is_unknown():
    backend = LocalBackend({"testpmd": "/nonexistent/dpdk-testpmd"})
    assert "not found" in backend.version() and "exit status 127" in backend.version()
    info = backend.host()
    assert info["dpdk_version"] == "unknown" and "/nonexistent/dpdk-testpmd" in info["dpdk_version_error"]
    assert "DPDK version unknown" in info["hardware"]
