"""Topology `memif`: a generator process feeds the DUT testpmd over net_memif shared memory.

The DUT forwards memif (port 0, server) to a net_null sink (port 1). The generator is testpmd
txonly (unpaced: it offers what one core can push) or dpdktune's paced generator in
csrc/pktgen (offered rate and on/off bursts as the workload says). Each gets its own CPUs;
with `memif_oversubscribe` they share them, which exercises the path but measures nothing.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpdktune.backends import measure, testpmd
from dpdktune.backends.base import RunFailed, RunResult, RunSpec
from dpdktune.backends.process import LocalProcess
from dpdktune.backends.testpmd import new_file_prefix, record_extra, runtime_dir
from dpdktune.paths import project_file

if TYPE_CHECKING:
    from dpdktune.backends.local import LocalBackend

#: generator lcores: one main, one that transmits
GENERATOR_CPUS = 2


class _Generator:
    """A generator process: started after the DUT is up, counted over the DUT's window."""

    def __init__(self, argv: list[str], prefix: str, interactive: bool):
        self.argv = argv
        self.prefix = prefix
        self.interactive = interactive
        self.proc: LocalProcess | None = None
        self.session: measure.Session | None = None
        self.t0 = 0.0

    def start(self, deadline: float) -> None:
        self.proc = LocalProcess(["stdbuf", "-oL", "-eL", *self.argv])
        self.session = measure.Session(self.proc, deadline)
        if self.interactive:
            self.session.wait_prompt()
        else:
            try:
                self.proc.output.wait_for("dpdktune-pktgen: sending", 0, deadline)
            except (TimeoutError, EOFError):
                raise RunFailed("the paced generator did not start", self.proc.output.tail()) from None

    def on_window_start(self) -> None:
        if self.interactive:
            self.session.command("clear fwd stats all")
        else:
            self.proc.write("mark\n")
        self.t0 = time.monotonic()

    def finish(self) -> dict[str, Any]:
        """Packets offered and dropped at the generator since `on_window_start`."""
        if self.interactive:
            fwd = testpmd.parse_fwd_stats(self.session.command("show fwd stats all"))
            elapsed = time.monotonic() - self.t0
            sent = sum(p.get("tx_packets", 0) for p in fwd["ports"].values())
            dropped = sum(p.get("tx_dropped", 0) for p in fwd["ports"].values())
            return {
                "tool": "testpmd txonly (unpaced)",
                "elapsed_s": elapsed,
                "offered_packets": sent + dropped,
                "dropped_packets": dropped,
            }
        start = len(self.proc.output.text)
        self.proc.write("report\n")
        end = self.proc.output.wait_for("}\n", start, time.monotonic() + 5)
        report = json.loads(self.proc.output.text[start:end].strip().splitlines()[-1])
        return {
            "tool": "csrc/pktgen (paced)",
            "elapsed_s": report["elapsed_s"],
            "offered_packets": report["sent"] + report["tx_full"],
            "dropped_packets": report["tx_full"],
            "report": report,
        }

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
        shutil.rmtree(runtime_dir(self.prefix), ignore_errors=True)


def pktgen_path(settings: testpmd.TestpmdSettings) -> Path:
    """local.pktgen, a relative path taken from the project (the working directory, else packaged)."""
    return project_file(settings.pktgen)


def _generator_argv(
    backend: LocalBackend, spec: RunSpec, lcores: str, socket: Path, queues: int, oversubscribed: bool
) -> tuple[list[str], str, bool]:
    s = backend.settings
    prefix = new_file_prefix()
    vdev = f"net_memif0,role=client,socket={socket},id=0"
    eal = [
        "-l",
        lcores,
        "-m",
        str(min(s.memory_mb, 512)),
        f"--file-prefix={prefix}",
        "--no-pci",
        "--log-level=lib.eal:error",
        f"--vdev={vdev}",
    ] + (["--no-huge"] if s.no_huge else [])
    frame = max(60, round(spec.workload.mean_size))
    if s.generator == "testpmd":
        app = [
            "-i",
            "--auto-start",
            "--forward-mode=txonly",
            f"--txpkts={frame - measure.FCS_BYTES}",
            "--txonly-multi-flow",
            "--nb-cores=1",
            f"--rxq={queues}",
            f"--txq={queues}",
            "--total-num-mbufs=8192",
            "--burst=32",
        ]
        return [s.testpmd, *eal, "--", *app], prefix, True
    w = spec.workload
    if w.trace:
        app = [f"--pcap={w.trace}", "--burst=32", f"--duration-s={s.deadline_s:g}"]
        return [str(pktgen_path(s)), *eal, "--", *app], prefix, False
    rate = w.offered_mpps if w.offered_mpps is not None else 0.0  # 0: as fast as it can
    sizes = ",".join(str(x - measure.FCS_BYTES) for x in w.sizes)
    weights = ",".join(f"{x:g}" for x in w.size_weights)
    app = [
        f"--rate-mpps={rate:g}",
        f"--sizes={sizes}",
        f"--weights={weights}",
        f"--flows={w.flows}",
        f"--on-us={w.arrival.on_us:g}",
        f"--off-us={w.arrival.off_us:g}",
        "--burst=32",
        f"--duration-s={s.deadline_s:g}",
        f"--seed={spec.seed % 2**31}",
    ]
    return [str(pktgen_path(s)), *eal, "--", *app], prefix, False


def run_memif(backend: LocalBackend, spec: RunSpec, cpus: int, topo: dict[str, Any]) -> RunResult:
    s = backend.settings
    oversubscribed = cpus < testpmd.MEMIF_MIN_CPUS
    if s.generator == "pktgen" and not pktgen_path(s).exists():
        raise RunFailed(f"local.pktgen: {pktgen_path(s)} not built (make -C csrc/pktgen)", retryable=False)
    # the DUT may use what the generator leaves: cpus - GENERATOR_CPUS, one of them its main lcore
    dut_cpus = cpus if oversubscribed else cpus - GENERATOR_CPUS
    prefix = new_file_prefix()
    socket = backend.workdir() / f"memif-{prefix}.sock"
    if "," in str(socket):
        raise RunFailed(f"memif socket path {socket} cannot hold ','", retryable=False)
    vdevs = [f"net_memif0,role=server,socket={socket},id=0", "net_null0,no-rx=1"]
    cmd = testpmd.dut_command(s, spec.knobs, dut_cpus, prefix, vdevs, max(spec.workload.sizes))
    first = cmd.applied.cores + 1
    gen_lcores = "0-1" if oversubscribed else f"{first}-{first + GENERATOR_CPUS - 1}"
    gen_argv, gen_prefix, interactive = _generator_argv(
        backend, spec, gen_lcores, socket, cmd.applied.cores, oversubscribed
    )
    topo.update(
        applied="memif", ports="generator --memif--> port0 (server) -> port1 net_null (sink)", generator=s.generator
    )
    if oversubscribed:
        topo["oversubscribed"] = (
            f"{cpus} CPUs shared by generator and DUT: the run exercises the "
            "topology, its numbers are not a measurement"
        )
    if s.generator == "testpmd":
        topo["pacing"] = "testpmd txonly: unpaced, one frame size (the workload's mean)"
    else:
        process = spec.workload.arrival.process
        if spec.workload.trace:
            topo["pacing"] = (
                "csrc/pktgen: replays the pcap trace, each packet at its recorded time "
                "(looped); the generator report's max_lag_us says how late it ran"
            )
        elif not spec.workload.offered_mpps:
            topo["pacing"] = (
                "csrc/pktgen: unpaced (the workload gives a line fraction, and virtual devices have no line rate)"
            )
        elif process == "onoff":
            topo["pacing"] = "csrc/pktgen: on/off at the workload's mean rate"
        else:
            topo["pacing"] = f"csrc/pktgen: constant rate at the workload's mean ({process} arrivals not modelled)"
    extra = record_extra(spec, cmd, s, cpus, topo)
    extra["generator_command"] = " ".join(gen_argv)
    gen = _Generator(gen_argv, gen_prefix, interactive)
    try:
        return backend.run_dut(cmd, [0], extra, generator=gen)
    finally:
        socket.unlink(missing_ok=True)
