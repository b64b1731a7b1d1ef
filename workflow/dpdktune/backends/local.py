"""The local backend: Debian's dpdk-testpmd on this machine, over virtual devices.

Topology `pcap_null`: one testpmd forwards the workload, replayed from pcap files by net_pcap
(`infinite_rx=1`), to a net_null sink. Topology `memif` (generator + DUT over net_memif)
needs MEMIF_MIN_CPUS CPUs; on a smaller machine the run falls back to `pcap_null` and the
record says so. No testpmd outlives its run: each runs in its own process group, killed on
every exit path, with PR_SET_PDEATHSIG so that a killed parent takes it down too.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Mapping

from dpdktune.backends import host as host_probe
from dpdktune.backends import measure, testpmd
from dpdktune.backends.base import RunFailed, RunResult, RunSpec
from dpdktune.backends.pcap import workload_pcaps
from dpdktune.backends.testpmd import new_file_prefix

_PR_SET_PDEATHSIG = 1
#: testpmd's version banner and the host probe are quick; this bounds a hung one
VERSION_DEADLINE_S = 30.0
log = logging.getLogger("dpdktune.backends.local")

LATENCY_REASON = ("testpmd io/mac forwarding timestamps no packets; latency needs a timestamping "
                  "generator or NIC hardware timestamps")
PCM_REASON = ("net_pcap/net_null are virtual devices with no PCIe DMA or DDIO; DRAM/PCIe/DDIO "
              "counters need Intel PCM on bare metal (ssh backend)")


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: SIGKILL it when the parent dies."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def machine_cpus() -> int:
    return len(os.sched_getaffinity(0))


class LocalProcess:
    """A child in its own process group whose merged stdout/stderr a thread reads as it comes."""

    def __init__(self, argv: list[str]):
        self.output = measure.OutputBuffer()
        self._popen = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        self.pid = self._popen.pid
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        fd = self._popen.stdout.fileno()
        while chunk := os.read(fd, 65536):
            self.output.append(chunk.decode(errors="replace"))
        self.output.close()

    def write(self, text: str) -> None:
        self._popen.stdin.write(text.encode())
        self._popen.stdin.flush()

    def returncode(self) -> int | None:
        return self._popen.poll()

    def kill(self) -> None:
        """SIGKILL the whole process group, reap it, and close the pipes."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self._popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._reader.join(timeout=2)
        for pipe in (self._popen.stdin, self._popen.stdout):
            try:
                pipe.close()
            except OSError:
                pass


class LocalHost:
    """Collectors' view of this machine."""

    def __init__(self) -> None:
        self.cpus = machine_cpus()

    def run(self, command: str, deadline_s: float) -> tuple[int, str, str]:
        proc = subprocess.Popen(["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True, preexec_fn=_die_with_parent)
        try:
            out, err = proc.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RunFailed(f"command passed its {deadline_s:.0f} s deadline: {command}") from None
        return proc.returncode, out, err

    def proc_stat(self) -> str:
        return Path("/proc/stat").read_text()


def runtime_dir(file_prefix: str) -> Path:
    """Where EAL keeps this prefix's runtime files (eal_common_options.c: root vs. user)."""
    base = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
    return Path(base) / "dpdk" / file_prefix


def pcap_null_vdevs(spec: RunSpec, pcaps: list[Path]) -> tuple[list[str], list[int], dict[str, Any]]:
    """vdev strings, the ports that receive the workload, and a description for the record."""
    for p in pcaps:
        if "," in str(p) or "=" in p.name:
            raise RunFailed(f"pcap path {p} cannot be a vdev argument (',' or '=')", retryable=False)
    source = "net_pcap0," + ",".join(f"rx_pcap={p}" for p in pcaps) + ",infinite_rx=1"
    if spec.workload.direction == "bidir":
        # the reverse direction: net_null makes fixed-size frames of the workload's mean size
        size = max(60, round(spec.workload.mean_size) - measure.FCS_BYTES)
        sink = f"net_null0,size={size}"
        note = f"port0 net_pcap replays the workload; port1 net_null sends {size} B frames back"
        sources = [0, 1]
    else:
        sink = "net_null0,no-rx=1"
        note = "port0 net_pcap replays the workload -> port1 net_null (sink, no-rx)"
        sources = [0]
    pacing = ("unpaced: net_pcap replays as fast as the forwarding core polls, so the workload's "
              "offered rate and arrival process are not applied (sizes, mix and flows are)")
    if spec.workload.trace:
        pacing = (f"unpaced: DPDK 22.11's net_pcap has no option that honours pcap timestamps (its only "
                  f"arguments are rx_pcap, tx_pcap, rx_iface, rx_iface_in, tx_iface, iface, phy_mac and "
                  f"infinite_rx), so the trace's first local.packets_per_pcap packets replay, looped, as "
                  f"fast as the forwarding core polls: their sizes, headers and flows are the trace's, its "
                  f"recorded {spec.workload.offered_mpps:.4g} Mpps and timing are not. Paced replay: "
                  f"topology memif with generator pktgen")
    return [source, sink], sources, {"ports": note, "pacing": pacing}


class LocalBackend:
    name = "local"

    def __init__(self, config: Mapping[str, Any] | None = None):
        section = dict(config or {})
        self._workdir_given = section.pop("workdir", None)
        self.settings = testpmd.TestpmdSettings.from_config(section)
        self._workdir: Path | None = Path(self._workdir_given) if self._workdir_given else None
        self._version: str | None = None
        self._dpdk: dict[str, str] = {}
        self._host: dict[str, str] | None = None
        self._live: set[LocalProcess] = set()
        stale = remove_stale_runtime_dirs()
        if stale:
            log.info("local: removed %d stale EAL runtime dirs of killed runs", len(stale))

    # ------------------------------------------------------------------ protocol
    def version(self) -> str:
        """"DPDK 22.11.11", or why testpmd did not say (a failure is probed again next time)."""
        if self._version is not None:
            return self._version
        version, why = host_probe.dpdk_version(LocalHost().run, self.settings.testpmd, VERSION_DEADLINE_S)
        self._dpdk = {"dpdk_version": version} if why is None else {"dpdk_version": version,
                                                                    "dpdk_version_error": why}
        if why is not None:
            return f"dpdk-testpmd (version unknown: {why})"
        self._version = version
        return version

    def host(self) -> dict[str, str]:
        """This machine as provenance: CPU, cores, sockets, NUMA, kernel, DPDK, and the virtual NIC."""
        if self._host is None:
            memif = self.settings.topology == "memif" and (
                machine_cpus() >= testpmd.MEMIF_MIN_CPUS or self.settings.memif_oversubscribe)
            info = host_probe.probe(LocalHost().run, VERSION_DEADLINE_S,
                                    nic_note=host_probe.MEMIF_NIC if memif else host_probe.PCAP_NULL_NIC)
            self.version()
            info.update(self._dpdk)
            info["hardware"] = host_probe.summary(info)
            self._host = info
        return dict(self._host)

    def run(self, spec: RunSpec) -> RunResult:
        if shutil.which(self.settings.testpmd) is None and not os.access(self.settings.testpmd, os.X_OK):
            raise RunFailed(f"local.testpmd: {self.settings.testpmd!r} not found", retryable=False)
        cpus = machine_cpus()
        topo = {"requested": self.settings.topology}
        if self.settings.topology == "memif":
            if cpus >= testpmd.MEMIF_MIN_CPUS or self.settings.memif_oversubscribe:
                from dpdktune.backends.memif import run_memif

                return run_memif(self, spec, cpus, topo)
            topo["fallback_reason"] = (f"memif (generator + DUT) needs >= {testpmd.MEMIF_MIN_CPUS} CPUs; "
                                       f"this machine has {cpus}, so the single-process pcap_null ran "
                                       "(set local.memif_oversubscribe to share CPUs: functional, not timing)")
            log.warning("local: %s", topo["fallback_reason"])
        return self._run_pcap_null(spec, cpus, topo)

    def close(self) -> None:
        for proc in list(self._live):
            proc.kill()
        self._live.clear()
        if self._workdir is not None and not self._workdir_given:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # ------------------------------------------------------------------ internals
    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="dpdktune-local-"))
        return self._workdir

    def _run_pcap_null(self, spec: RunSpec, cpus: int, topo: dict[str, Any]) -> RunResult:
        cores = testpmd.clip_cores(spec.knobs.cores, cpus)
        # the pcap is the workload's, not the trial's: every trial replays the same packets
        pcaps = workload_pcaps(spec.workload, cores, self.workdir(), self.settings.packets_per_pcap)
        vdevs, sources, desc = pcap_null_vdevs(spec, pcaps)
        prefix = new_file_prefix()
        cmd = testpmd.dut_command(self.settings, spec.knobs, cpus, prefix, vdevs, max(spec.workload.sizes))
        topo.update(desc, applied="pcap_null")
        extra = record_extra(spec, cmd, self.settings, cpus, topo)
        extra["pcaps"] = [p.name for p in pcaps]
        return self.run_dut(cmd, sources, extra)

    def run_dut(self, cmd: testpmd.TestpmdCommand, sources: list[int], extra: dict[str, Any],
                generator: Any = None) -> RunResult:
        """Start testpmd (and the generator, if any), measure one window, and always kill
        their process groups. `generator` has start(), on_window_start(), finish() and kill()."""
        start = time.monotonic()
        proc = LocalProcess(["stdbuf", "-oL", "-eL", *cmd.argv])
        self._live.add(proc)
        offered = None
        try:
            session = measure.Session(proc, start + self.settings.deadline_s)
            session.wait_prompt()
            extra["startup_s"] = time.monotonic() - start
            hooks = []
            if generator is not None:
                generator.start(start + self.settings.deadline_s)
                hooks.append(generator.on_window_start)
            window = measure.measure_window(session, LocalHost(), self.settings, proc.pid, sample_cpu=True,
                                            on_start=hooks)
            if generator is not None:
                offered = generator.finish()
                extra["generator"] = offered
            measure.stop(session)
        except RunFailed:
            raise
        except Exception as exc:  # a parse error must still be recorded as a failed run
            raise RunFailed(f"local run failed: {exc!r}", proc.output.tail()) from exc
        finally:
            if generator is not None:
                generator.kill()
            proc.kill()
            self._live.discard(proc)
            shutil.rmtree(runtime_dir(cmd.file_prefix), ignore_errors=True)
        extra["run_s"] = time.monotonic() - start
        lcores = list(range(cmd.first_lcore, cmd.first_lcore + cmd.applied.cores + 1))
        result = measure.assemble(window, cmd.applied, lcores, sources,
                                  {"latency_p50_us": LATENCY_REASON, "latency_p99_us": LATENCY_REASON,
                                   "latency_p999_us": LATENCY_REASON, "pcie_rd_gbps": PCM_REASON,
                                   "pcie_wr_gbps": PCM_REASON, "dram_gbps": PCM_REASON,
                                   "ddio_hit_rate": PCM_REASON}, extra,
                                  offered=_generator_counts(offered, window.elapsed_s))
        result.log_tail = proc.output.tail()
        return result


def _generator_counts(report: dict[str, Any] | None, window_s: float) -> tuple[int, int] | None:
    """The generator's (offered, dropped) rescaled to the DUT's window: the clocks start ms apart."""
    if not report:
        return None
    scale = window_s / report["elapsed_s"] if report.get("elapsed_s") else 1.0
    return round(report["offered_packets"] * scale), round(report["dropped_packets"] * scale)


def remove_stale_runtime_dirs() -> list[str]:
    """EAL runtime dirs of our prefixes whose owning Python process is gone (a killed run)."""
    removed = []
    base = runtime_dir("x").parent
    for path in base.glob("dpdktune_*_*") if base.is_dir() else []:
        pid = path.name.split("_")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def record_extra(spec: RunSpec, cmd: testpmd.TestpmdCommand, settings: testpmd.TestpmdSettings,
                 cpus: int, topo: dict[str, Any]) -> dict[str, Any]:
    """What the record keeps beside the metrics: exact command, requested vs applied, flags."""
    return {
        "command": cmd.shell(),
        "requested": spec.knobs.as_dict(),
        "applied": cmd.applied.as_dict(),
        "clipped": ({"cores": f"requested {spec.knobs.cores}, machine has {cpus} CPUs "
                               f"(1 main lcore + {cmd.applied.cores} forwarding)"}
                    if cmd.applied.cores != spec.knobs.cores else {}),
        "flags": cmd.flags,
        "mempool": {"mbufs": settings.mbufs, "mbuf_cache": settings.mbuf_cache},
        "forward_mode": settings.forward_mode,
        "topology": topo,
        "machine_cpus": cpus,
        "windows": {"warmup_s": settings.warmup_s, "measure_s": settings.measure_s,
                    "sample_interval_s": settings.sample_interval_s},
    }
