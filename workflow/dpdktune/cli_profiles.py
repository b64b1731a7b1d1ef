"""`dpdktune profiles`: the simulator's hardware profiles in config/hardware/, with CPU and NIC.

Name one in the config's `hardware:` key. A profile only matters for `backend: sim`; a real
backend measures its own host.
"""

from __future__ import annotations

import argparse

from dpdktune.cli_workloads import table
from dpdktune.hardware import HARDWARE_DIR, load_hardware


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "profiles",
        help="list the hardware profiles (CPU, NIC) for backend: sim",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    out = [["name", "CPU", "NIC", "PCIe", "descriptors"]]
    for path in sorted(HARDWARE_DIR.glob("*.yaml")):
        hw = load_hardware(path)
        out.append(
            [
                hw.name,
                f"{hw.cores} cores @ {hw.cpu_ghz:g} GHz, LLC {hw.llc_mb:g} MB",
                f"{hw.ports}x{hw.link_gbps:g}G, {hw.nic_max_mpps:g} Mpps max",
                f"gen{hw.pcie_gen} x{hw.pcie_lanes}",
                f"{hw.nic_min_desc}..{hw.nic_max_desc}",
            ]
        )
    print(table(out))
    print()
    for row in out[1:]:
        print(f"{row[0]}: {load_hardware(HARDWARE_DIR / (row[0] + '.yaml')).description}")
    return 0
