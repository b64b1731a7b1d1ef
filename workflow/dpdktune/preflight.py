"""`dpdktune preflight`: check each real testbed before a sweep starts, one line per problem.

For the local host, or each SSH testbed: the host key (against its known_hosts only; an unknown
or changed key fails, it is never added), the testpmd program and its DPDK version, hugepages
(or `no_huge`), the CPUs the grid's cores need, the PCI ports (present, bound to a driver DPDK
can use) and the traffic generator. Checks that do not apply say why they were skipped. The
same shell commands run locally and over SSH, through the runners the backends use.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dpdktune.backends import testpmd
from dpdktune.backends.base import RunFailed
from dpdktune.sections import section

#: kernel drivers a DPDK port can be bound to: the userspace-I/O ones, and the bifurcated
#: Mellanox/NVIDIA drivers whose PMD works beside the kernel driver (DPDK linux_gsg, mlx5 guide)
DPDK_DRIVERS = ("vfio-pci", "uio_pci_generic", "igb_uio", "mlx5_core", "mlx4_core")
LOCAL_DEADLINE_S = 30.0

Run = Callable[[str, float], "tuple[int, str, str]"]


@dataclass(frozen=True)
class Check:
    target: str  # "local" or the testbed's name
    item: str  # host key, testpmd, hugepages, cores, pci, generator
    status: str  # ok | problem | warning | skipped
    detail: str

    def line(self) -> str:
        return f"{self.target}: {self.item}: {self.detail}"


# ------------------------------------------------------------------ checks on one host


def check_testpmd(run: Run, program: str, deadline_s: float, key: str) -> tuple[str, str]:
    """(status, detail): the program is there, runs, and prints a DPDK version."""
    q = shlex.quote(program)
    rc, out, err = run(f'p=$(command -v {q}) && [ -x "$p" ] && echo "$p"', deadline_s)
    path = out.strip()
    if rc != 0 or not path:
        return "problem", f"{key} {program!r} not found or not executable"
    from dpdktune.backends.testpmd import new_file_prefix

    prefix = new_file_prefix()
    argv = testpmd.version_argv(path, prefix)
    rc, out, err = run(
        f"{shlex.join(argv)} 2>&1; rm -rf {shlex.quote('/var/run/dpdk/' + prefix)} "
        f'"${{XDG_RUNTIME_DIR:-/tmp}}/dpdk/{prefix}"',
        deadline_s,
    )
    version = testpmd.parse_version(out)
    if "unknown" in version:
        tail = " | ".join(out.strip().splitlines()[-2:])[-300:]
        return "problem", f"{key} {path} ran but printed no DPDK version ({tail or 'no output'})"
    return "ok", f"{version} at {path}"


def check_hugepages(run: Run, no_huge: bool, memory_mb: int, deadline_s: float, key: str) -> tuple[str, str]:
    if no_huge:
        return "skipped", f"{key}.no_huge is set: testpmd runs with --no-huge (unlike a tuned deployment)"
    rc, out, _ = run("cat /proc/meminfo", deadline_s)
    info = {}
    for line in out.splitlines():
        name, _, value = line.partition(":")
        if value.split() and value.split()[0].isdigit():
            info[name.strip()] = int(value.split()[0])
    free_mb = info.get("HugePages_Free", 0) * info.get("Hugepagesize", 0) // 1024
    if rc != 0 or "HugePages_Free" not in info:
        return "problem", "cannot read hugepages from /proc/meminfo"
    if free_mb < memory_mb:
        return "problem", (
            f"{free_mb} MB of hugepages free, {key}.memory_mb is {memory_mb}: reserve more "
            f"(dpdk-hugepages.py --setup 2G) or set {key}.no_huge: true"
        )
    return "ok", f"{free_mb} MB of hugepages free (needs {memory_mb})"


def check_cores(run: Run, grid_cores: list[int], deadline_s: float) -> tuple[str, str]:
    # GNU nproc obeys OMP_NUM_THREADS, which Snakemake sets to the job's threads
    rc, out, _ = run("env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc", deadline_s)
    if rc != 0 or not out.strip().isdigit():
        return "problem", "cannot count CPUs (nproc failed)"
    cpus = int(out.strip())
    need = max(grid_cores) + 1  # one main lcore beside the forwarding cores
    if cpus < 2:
        return "problem", f"{cpus} CPU: testpmd needs a main lcore and at least one forwarding core"
    if need > cpus:
        clipped = sorted(c for c in grid_cores if c + 1 > cpus)
        return "warning", (
            f"{cpus} CPUs; grid.cores {clipped} need up to {need} (forwarding + main lcore) "
            f"and will run clipped to {cpus - 1} (recorded as clipped)"
        )
    return "ok", f"{cpus} CPUs, grid needs at most {need}"


def check_pci(run: Run, addresses: tuple[str, ...], deadline_s: float) -> tuple[str, str]:
    """Each address exists and is bound to a driver DPDK can use."""
    script = "; ".join(
        f"a={shlex.quote(a)}; if [ -e /sys/bus/pci/devices/$a ]; then "
        f'echo "$a $(basename "$(readlink /sys/bus/pci/devices/$a/driver 2>/dev/null)")"; '
        f'else echo "$a -"; fi'
        for a in addresses
    )
    rc, out, _ = run(script, deadline_s)
    found = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    bad = []
    for addr in addresses:
        driver = found.get(addr, "-").strip()
        if driver == "-":
            bad.append(f"{addr} does not exist")
        elif driver not in DPDK_DRIVERS:
            bad.append(
                f"{addr} is bound to {driver or 'no driver'}, not one of {', '.join(DPDK_DRIVERS)} "
                "(dpdk-devbind.py -b vfio-pci ...)"
            )
    if bad:
        return "problem", "; ".join(bad)
    return "ok", ", ".join(f"{a} ({found[a].strip()})" for a in addresses)


def check_program(run: Run, path: str, what: str, deadline_s: float) -> tuple[str, str]:
    if not path:
        return "problem", f"{what}: no path configured"
    q = shlex.quote(path)
    rc, out, _ = run(f'p=$(command -v {q}) && [ -x "$p" ] && echo "$p"', deadline_s)
    if rc != 0 or not out.strip():
        return "problem", f"{what} {path!r} not found or not executable"
    return "ok", f"{what} at {out.strip()}"


# ------------------------------------------------------------------ local host


def _local_run(command: str, deadline_s: float) -> tuple[int, str, str]:
    from dpdktune.backends.local import LocalHost

    try:
        return LocalHost().run(command, deadline_s)
    except OSError as exc:
        return 127, "", str(exc)


def check_local(config: dict[str, Any]) -> list[Check]:
    from dpdktune.backends.local import machine_cpus

    settings = section(config, "local")
    grid_cores = list(config["grid"]["cores"])
    out = [Check("local", "host key", "skipped", "local host: no SSH connection")]

    def add(item: str, result: tuple[str, str]) -> None:
        out.append(Check("local", item, *result))

    add("testpmd", check_testpmd(_local_run, settings.testpmd, LOCAL_DEADLINE_S, "local.testpmd"))
    add("hugepages", check_hugepages(_local_run, settings.no_huge, settings.memory_mb, LOCAL_DEADLINE_S, "local"))
    add("cores", check_cores(_local_run, grid_cores, LOCAL_DEADLINE_S))
    add(
        "pci",
        (
            "skipped",
            "the local backend runs on virtual devices (net_pcap, net_null, net_memif)"
            + (" with --no-pci" if settings.no_pci else ""),
        ),
    )
    if settings.topology == "pcap_null":
        add("generator", ("skipped", "topology pcap_null: testpmd replays the workload from pcap files itself"))
    elif settings.generator == "pktgen":
        add("generator", check_program(_local_run, settings.pktgen, "memif generator pktgen", LOCAL_DEADLINE_S))
    else:
        add("generator", ("ok", "memif generator: testpmd txonly, the same program as the DUT"))
    if settings.topology == "memif" and not settings.memif_oversubscribe and machine_cpus() < testpmd.MEMIF_MIN_CPUS:
        add(
            "cores",
            (
                "warning",
                f"topology memif needs {testpmd.MEMIF_MIN_CPUS} CPUs, this host has "
                f"{machine_cpus()}: runs fall back to pcap_null (recorded)",
            ),
        )
    return out


# ------------------------------------------------------------------ ssh testbeds


def _connect(target: str, role: str, runner) -> Check | None:
    """None when the host key checks out and we are logged in; else the failing check."""
    ep = runner.endpoint
    for field, path in (("known_hosts", ep.known_hosts), ("key_file", ep.key_file)):
        if not Path(path).expanduser().is_file():
            return Check(target, f"{role} host key", "problem", f"{field} file {path} does not exist")
    try:
        runner.connect()
    except RunFailed as exc:
        reason = exc.reason
        if "not found in known_hosts" in reason:
            reason = (
                f"{ep.host}:{ep.port} has a host key that {ep.known_hosts} does not hold: refused "
                f"(check its fingerprint, then add it with ssh-keyscan -p {ep.port} {ep.host})"
            )
        return Check(target, f"{role} host key", "problem", reason)
    return None


def check_testbed(config: dict[str, Any], bed, key: str) -> list[Check]:
    from dpdktune.backends.remote import RemoteRunner

    name, deadline = bed.name, bed.command_deadline_s
    out: list[Check] = []
    dut = RemoteRunner(bed.dut)
    gen = RemoteRunner(bed.generator) if bed.generator else None
    try:
        failed = _connect(name, "dut", dut)
        if failed:  # nothing more to learn about the DUT; the generator host may still be checked
            out.append(failed)
        else:
            out += _check_dut(config, bed, dut.run, key)
        out += _check_generator(name, bed, gen, deadline, key)
    except RunFailed as exc:
        out.append(Check(name, "connection", "problem", exc.reason))
    finally:
        dut.close()
        if gen is not None:
            gen.close()
    return out


def _check_dut(config: dict[str, Any], bed, run: Run, key: str) -> list[Check]:
    name, deadline = bed.name, bed.command_deadline_s
    out = [
        Check(name, "dut host key", "ok", f"{bed.dut.host}:{bed.dut.port} matches {bed.dut.known_hosts}"),
        Check(name, "testpmd", *check_testpmd(run, bed.dpdk["testpmd"], deadline, f"{key}.dpdk.testpmd")),
        Check(name, "hugepages", *check_hugepages(run, bed.no_huge, bed.memory_mb, deadline, key)),
        Check(name, "cores", *check_cores(run, list(config["grid"]["cores"]), deadline)),
    ]
    if bed.pci["dut"]:
        out.append(Check(name, "pci", *check_pci(run, bed.pci["dut"], deadline)))
    else:
        out.append(Check(name, "pci", "skipped", "no pci.dut: the DUT replays pcaps on virtual devices"))
    return out


def _check_generator(name: str, bed, gen, deadline: float, key: str) -> list[Check]:
    app = bed.generator_app
    if gen is None:
        why = (
            "pci.dut is set and no generator host: traffic comes from an external generator (not checked)"
            if bed.pci["dut"]
            else "no generator host: the DUT replays the workload from pcap files"
        )
        return [Check(name, "generator", "skipped", why)]
    failed = _connect(name, "generator", gen)
    if failed:
        return [failed]
    out = [
        Check(
            name,
            "generator host key",
            "ok",
            f"{bed.generator.host}:{bed.generator.port} matches {bed.generator.known_hosts}",
        )
    ]
    if app is None:
        out.append(Check(name, "generator", "skipped", "generator host given without generator_app"))
    elif app == "testpmd-txonly":
        out.append(
            Check(name, "generator", *check_testpmd(gen.run, bed.dpdk["testpmd"], deadline, f"{key}.dpdk.testpmd"))
        )
    elif app == "pktgen-dpdk":
        out.append(Check(name, "generator", *check_program(gen.run, bed.dpdk["pktgen_dpdk"], "pktgen-dpdk", deadline)))
    elif app == "csrc-pktgen":
        out.append(Check(name, "generator", *check_program(gen.run, bed.dpdk["csrc_pktgen"], "csrc pktgen", deadline)))
    elif app == "trex":
        files = [f"{bed.dpdk['trex_dir']}/t-rex-64", bed.dpdk["trex_cfg"], bed.dpdk["trex_profile"]]
        script = "; ".join(f"[ -e {shlex.quote(f)} ] || echo {shlex.quote(f)}" for f in files)
        rc, missing, _ = gen.run(script, deadline)
        status = "problem" if missing.strip() or not all(files) else "ok"
        detail = (
            f"TRex files missing: {', '.join(missing.split())}"
            if status == "problem"
            else f"TRex in {bed.dpdk['trex_dir']}"
        )
        out.append(Check(name, "generator", status, detail))
    elif not Path(app).expanduser().is_file():
        out.append(Check(name, "generator", "problem", f"generator template {app} does not exist"))
    else:
        out.append(Check(name, "generator", "ok", f"custom template {app}"))
    if bed.pci["generator"]:
        out.append(Check(name, "generator pci", *check_pci(gen.run, bed.pci["generator"], deadline)))
    return out


# ------------------------------------------------------------------ entry points


def preflight(config: dict[str, Any]) -> list[Check]:
    """Every check of the config's backend; the simulator has nothing to check."""
    backend = config["backend"]
    if backend == "sim":
        return [Check("sim", "backend", "skipped", "the simulator needs no testbed")]
    if backend == "local":
        return check_local(config)
    from dpdktune.backends.ssh import parse_testbeds

    beds = parse_testbeds(config.get("ssh") or {})
    if not beds:
        return [Check("ssh", "testbeds", "problem", "backend is ssh but ssh.testbeds is empty")]
    return [check for i, bed in enumerate(beds) for check in check_testbed(config, bed, f"ssh.testbeds[{i}]")]


def problems(checks: list[Check]) -> list[Check]:
    return [c for c in checks if c.status == "problem"]


def report(checks: list[Check], backend: str) -> dict[str, Any]:
    return {"backend": backend, "passed": not problems(checks), "checks": [asdict(c) for c in checks]}


def format_checks(checks: list[Check]) -> str:
    width = max(len(c.target) for c in checks)
    item = max(len(c.item) for c in checks)
    return "\n".join(f"{c.status:<8} {c.target:<{width}}  {c.item:<{item}}  {c.detail}" for c in checks)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "preflight",
        help="check the testbeds (host key, testpmd, hugepages, cores, PCI, generator)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--configfile",
        action="append",
        default=[],
        metavar="FILE",
        help="config overrides, as for snakemake (repeatable)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the checks as JSON here")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from dpdktune.atomic import write_json
    from dpdktune.config import load_config

    config = load_config(*args.configfile)
    checks = preflight(config)
    bad = problems(checks)
    if len(bad) < len(checks):  # the rest as a table; each problem once, as one line on stderr
        print(format_checks([c for c in checks if c not in bad]))
    if args.json:
        write_json(report(checks, config["backend"]), args.json)
    for check in bad:
        print(f"dpdktune preflight: {check.line()}", file=sys.stderr)
    return 1 if bad else 0
