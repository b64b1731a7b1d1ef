"""The local backend: Debian's dpdk-testpmd on this machine, over virtual devices.

Topology `pcap_null`: one testpmd forwards the workload, replayed from pcap files by net_pcap
(`infinite_rx=1`), to a net_null sink. Topology `memif` (generator + DUT over net_memif)
needs MEMIF_MIN_CPUS CPUs; on a smaller machine the run falls back to `pcap_null` and the
record says so. No testpmd outlives its run: each runs in its own process group, killed on
every exit path, with PR_SET_PDEATHSIG so that a killed parent takes it down too.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dpdktune.backends import host as host_probe
from dpdktune.backends import measure, testpmd
from dpdktune.backends.base import RunFailed, RunResult, RunSpec
from dpdktune.backends.pcap import pcap_null_vdevs, workload_pcaps
from dpdktune.backends.process import LocalProcess, die_with_parent
from dpdktune.backends.testpmd import LATENCY_REASON, new_file_prefix, record_extra, runtime_dir

#: testpmd's version banner and the host probe are quick; this bounds a hung one
VERSION_DEADLINE_S = 30.0
log = logging.getLogger("dpdktune.backends.local")

PCM_REASON = (
    "net_pcap/net_null are virtual devices with no PCIe DMA or DDIO; DRAM/PCIe/DDIO "
    "counters need Intel PCM on bare metal (ssh backend)"
)


def machine_cpus() -> int:
    return len(os.sched_getaffinity(0))


class LocalHost:
    """Collectors' view of this machine."""

    def __init__(self) -> None:
        self.cpus = machine_cpus()

    def run(self, command: str, deadline_s: float) -> tuple[int, str, str]:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            out, err = proc.communicate(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RunFailed(f"command passed its {deadline_s:.0f} s deadline: {command}") from None
        return proc.returncode, out, err

    def proc_stat(self) -> str:
        return Path("/proc/stat").read_text()


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
        """ "DPDK 22.11.11", or why testpmd did not say (a failure is probed again next time)."""
        if self._version is not None:
            return self._version
        version, why = host_probe.dpdk_version(LocalHost().run, self.settings.testpmd, VERSION_DEADLINE_S)
        self._dpdk = {"dpdk_version": version} if why is None else {"dpdk_version": version, "dpdk_version_error": why}
        if why is not None:
            return f"dpdk-testpmd (version unknown: {why})"
        self._version = version
        return version

    def host(self) -> dict[str, str]:
        """This machine as provenance: CPU, cores, sockets, NUMA, kernel, DPDK, and the virtual NIC."""
        if self._host is None:
            memif = self.settings.topology == "memif" and (
                machine_cpus() >= testpmd.MEMIF_MIN_CPUS or self.settings.memif_oversubscribe
            )
            info = host_probe.probe(
                LocalHost().run,
                VERSION_DEADLINE_S,
                nic_note=host_probe.MEMIF_NIC if memif else host_probe.PCAP_NULL_NIC,
            )
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
            topo["fallback_reason"] = (
                f"memif (generator + DUT) needs >= {testpmd.MEMIF_MIN_CPUS} CPUs; "
                f"this machine has {cpus}, so the single-process pcap_null ran "
                "(set local.memif_oversubscribe to share CPUs: functional, not timing)"
            )
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

    def run_dut(
        self, cmd: testpmd.TestpmdCommand, sources: list[int], extra: dict[str, Any], generator: Any = None
    ) -> RunResult:
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
            window = measure.measure_window(
                session, LocalHost(), self.settings, proc.pid, sample_cpu=True, on_start=hooks
            )
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
        result = measure.assemble(
            window,
            cmd.applied,
            lcores,
            sources,
            {
                "latency_p50_us": LATENCY_REASON,
                "latency_p99_us": LATENCY_REASON,
                "latency_p999_us": LATENCY_REASON,
                "pcie_rd_gbps": PCM_REASON,
                "pcie_wr_gbps": PCM_REASON,
                "dram_gbps": PCM_REASON,
                "ddio_hit_rate": PCM_REASON,
            },
            extra,
            offered=_generator_counts(offered, window.elapsed_s),
        )
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
