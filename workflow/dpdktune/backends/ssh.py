"""The SSH backend: testpmd on a remote DUT (and optionally a generator host), over paramiko.

A testbed (config/testbeds.example.yaml) names its hosts, key, known_hosts, remote DPDK paths,
PCI addresses and the Jinja command templates of its DUT app and generator. Every config value
is validated, and every value a template prints is shell-quoted. The DUT is driven and read
exactly as the local backend does it (backends/measure.py), so both give the same record.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shlex
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from dpdktune.backends import collectors, measure, testpmd
from dpdktune.backends import host as host_probe
from dpdktune.backends.base import RunFailed, RunResult, RunSpec
from dpdktune.backends.pcap import pcap_null_vdevs, workload_pcaps
from dpdktune.backends.remote import Endpoint, RemoteProcess, RemoteRunner, cleanup_stale_command
from dpdktune.backends.testpmd import LATENCY_REASON, new_file_prefix, record_extra

log = logging.getLogger("dpdktune.backends.ssh")
TEMPLATES = Path(__file__).with_name("templates")
DUT_PRESETS = ("testpmd",)
GENERATOR_PRESETS = ("testpmd-txonly", "pktgen-dpdk", "trex", "csrc-pktgen")
COLLECTORS = ("perf", "pcm", "proc_stat")

_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|[0-9A-Fa-f:]+)$")
_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
_PCI = re.compile(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_DPDK_PATHS = {
    "testpmd": "dpdk-testpmd",
    "stdbuf": "stdbuf",
    "perf": "perf",
    "pcm": "",
    "csrc_pktgen": "",
    "pktgen_dpdk": "",
    "trex_dir": "",
    "trex_cfg": "",
    "trex_profile": "",
}


class ShellArgs(str):
    """Arguments already quoted item by item (shlex.join); printed by templates as they are."""


def _quote(value: Any) -> str:
    if isinstance(value, ShellArgs):
        return value
    if isinstance(value, bool):
        raise TypeError("a template printed a boolean; use it in {% if %} instead")
    return shlex.quote(str(value))


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    finalize=_quote,
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
)


def render(role: str, app: str, **context: Any) -> str:
    """Render a preset (by name, for `role` "dut" or "generator") or a template file (by path)
    into one command line."""
    if app in DUT_PRESETS + GENERATOR_PRESETS:
        tpl = _ENV.get_template(f"{role}/{app}.sh.j2")
    else:
        path = Path(app).expanduser()
        if not path.is_file():
            raise ValueError(f"{role} template {app!r} is neither a preset nor a file")
        tpl = _ENV.from_string(path.read_text())
    return " ".join(tpl.render(**context).split("\n")).strip()


# ------------------------------------------------------------------ testbed config


def _check(pattern: re.Pattern[str], value: Any, key: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ValueError(f"{key}: {value!r} is not a valid value (must match {pattern.pattern})")
    return value


def _path(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value or any(c in value for c in "\0\n\r"):
        raise ValueError(f"{key}: {value!r} is not a valid path")
    return value


@dataclass(frozen=True)
class Testbed:
    name: str
    dut: Endpoint
    generator: Endpoint | None
    workdir: str
    dpdk: dict[str, str]
    pci: dict[str, tuple[str, ...]]
    dut_app: str = "testpmd"
    generator_app: str | None = None
    collectors: tuple[str, ...] = COLLECTORS
    no_huge: bool = False
    memory_mb: int = 2048
    #: deadline of one run on the remote side (testpmd start + warm-up + window + stop)
    run_deadline_s: float = 120.0
    #: deadline of every short remote command (cleanup, /proc/stat, upload checks)
    command_deadline_s: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)


def _endpoint(raw: Any, key: str, defaults: Mapping[str, Any]) -> Endpoint:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{key}: expected a mapping with host, user, key_file")
    merged = {**defaults, **raw}
    unknown = sorted(set(raw) - {"host", "port", "user", "key_file"})
    if unknown:
        raise ValueError(f"{key}: unknown keys {unknown}")
    for need in ("host", "user", "key_file"):
        if need not in merged:
            raise ValueError(f"{key}.{need}: required")
    port = merged.get("port", 22)
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"{key}.port: {port!r} is not a TCP port")
    return Endpoint(
        host=_check(_HOST, merged["host"], f"{key}.host"),
        port=port,
        user=_check(_USER, merged["user"], f"{key}.user"),
        key_file=_path(merged["key_file"], f"{key}.key_file"),
        known_hosts=_path(merged["known_hosts"], f"{key}.known_hosts"),
        connect_timeout_s=float(merged.get("connect_timeout_s", Endpoint.connect_timeout_s)),
    )


def parse_testbed(raw: Mapping[str, Any], key: str) -> Testbed:
    """A validated testbed; every error names its key path, e.g. ssh.testbeds[0].dut.host."""
    allowed = {
        "name",
        "dut",
        "generator",
        "known_hosts",
        "workdir",
        "dpdk",
        "pci",
        "dut_app",
        "generator_app",
        "collectors",
        "no_huge",
        "memory_mb",
        "run_deadline_s",
        "command_deadline_s",
        "connect_timeout_s",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{key}: unknown keys {unknown}; known: {sorted(allowed)}")
    name = _check(_NAME, raw.get("name"), f"{key}.name")
    if "known_hosts" not in raw:
        raise ValueError(f"{key}.known_hosts: required (host keys are never accepted blindly)")
    defaults = {
        "known_hosts": raw["known_hosts"],
        "connect_timeout_s": raw.get("connect_timeout_s", Endpoint.connect_timeout_s),
    }
    dut = _endpoint(raw.get("dut"), f"{key}.dut", defaults)
    gen = _endpoint(raw["generator"], f"{key}.generator", defaults) if raw.get("generator") else None
    dpdk_raw = raw.get("dpdk") or {}
    unknown = sorted(set(dpdk_raw) - set(_DPDK_PATHS))
    if unknown:
        raise ValueError(f"{key}.dpdk: unknown keys {unknown}; known: {sorted(_DPDK_PATHS)}")
    dpdk = {k: _path(dpdk_raw[k], f"{key}.dpdk.{k}") if k in dpdk_raw else v for k, v in _DPDK_PATHS.items()}
    pci_raw = raw.get("pci") or {}
    pci = {
        role: tuple(_check(_PCI, a, f"{key}.pci.{role}[{i}]") for i, a in enumerate(pci_raw.get(role, [])))
        for role in ("dut", "generator")
    }
    dut_app = raw.get("dut_app", Testbed.dut_app)
    if dut_app not in DUT_PRESETS:
        _path(dut_app, f"{key}.dut_app")
    gen_app = raw.get("generator_app")
    if gen_app is not None and gen_app not in GENERATOR_PRESETS:
        _path(gen_app, f"{key}.generator_app")
    if gen_app and gen is None:
        raise ValueError(f"{key}.generator_app: set, but {key}.generator names no host")
    cols = tuple(raw.get("collectors", COLLECTORS))
    bad = [c for c in cols if c not in COLLECTORS]
    if bad:
        raise ValueError(f"{key}.collectors: unknown {bad}; known: {COLLECTORS}")
    workdir = _path(raw.get("workdir", f"/tmp/dpdktune-{name}"), f"{key}.workdir")
    if "," in workdir:
        raise ValueError(f"{key}.workdir: {workdir!r} cannot hold ',' (it goes into vdev arguments)")
    return Testbed(
        name=name,
        dut=dut,
        generator=gen,
        workdir=workdir,
        dpdk=dpdk,
        pci=pci,
        dut_app=dut_app,
        generator_app=gen_app,
        collectors=cols,
        no_huge=bool(raw.get("no_huge", Testbed.no_huge)),
        memory_mb=int(raw.get("memory_mb", Testbed.memory_mb)),
        run_deadline_s=float(raw.get("run_deadline_s", Testbed.run_deadline_s)),
        command_deadline_s=float(raw.get("command_deadline_s", Testbed.command_deadline_s)),
    )


def parse_testbeds(section: Mapping[str, Any]) -> list[Testbed]:
    raw = section.get("testbeds") or []
    if not isinstance(raw, list):
        raise ValueError("ssh.testbeds: expected a list of testbeds")
    beds = [parse_testbed(tb, f"ssh.testbeds[{i}]") for i, tb in enumerate(raw)]
    names = [b.name for b in beds]
    if len(set(names)) != len(names):
        raise ValueError(f"ssh.testbeds: duplicate names in {names}")
    return beds


# ------------------------------------------------------------------ generators


def _rate_fraction(spec: RunSpec) -> float:
    """The workload's offered load as a fraction of the profile's line rate at its mean size."""
    w = spec.workload
    if w.offered_mpps is None:
        return w.line_fraction
    line_mpps = spec.hardware.link_gbps * 1e3 / ((w.mean_size + 20) * 8)
    return min(1.0, w.offered_mpps / line_mpps)


def pktgen_lua(context: Mapping[str, Any]) -> str:
    """pktgen-dpdk script: one port, the workload's mean frame size, its rate; run, stop, quit."""
    size = max(64, int(context["frame_bytes"]))
    pct = max(0.001, min(100.0, float(context["rate_pct"])))
    ms = int(context["duration_s"]) * 1000
    return (
        f'pktgen.set("0", "size", {size});\npktgen.set("0", "rate", {pct});\n'
        f'pktgen.set("0", "count", 0);\npktgen.start("0");\npktgen.delay({ms});\n'
        'pktgen.stop("0");\npktgen.quit();\n'
    )


# ------------------------------------------------------------------ backend


class RemoteHost:
    """Collectors' view of a remote host."""

    def __init__(self, runner: RemoteRunner, cpus: int, deadline_s: float):
        self.runner = runner
        self.cpus = cpus
        self.deadline_s = deadline_s

    def run(self, command: str, deadline_s: float) -> tuple[int, str, str]:
        return self.runner.run(command, deadline_s)

    def proc_stat(self) -> str:
        status, out, err = self.runner.run("cat /proc/stat", self.deadline_s)
        return out if status == 0 else ""


class SshBackend:
    name = "ssh"

    def __init__(self, config: Mapping[str, Any] | None = None, testbed: str | None = None):
        section = dict(config or {})
        unknown = sorted(set(section) - {"testbeds", "run"})
        if unknown:
            raise ValueError(f"ssh: unknown keys {unknown}; known: ['run', 'testbeds']")
        beds = parse_testbeds(section)
        if not beds:
            raise ValueError("ssh.testbeds: no testbed configured (see config/testbeds.example.yaml)")
        by_name = {b.name: b for b in beds}
        if testbed is not None and testbed not in by_name:
            raise ValueError(f"ssh: testbed {testbed!r} is not in ssh.testbeds {sorted(by_name)}")
        self.testbed = by_name[testbed] if testbed else beds[0]
        self.settings = testpmd.TestpmdSettings.from_config(section.get("run") or {}, key="ssh.run")
        self._dut = RemoteRunner(self.testbed.dut)
        self._gen = RemoteRunner(self.testbed.generator) if self.testbed.generator else None
        self._cpus: int | None = None
        self._version: str | None = None
        self._dpdk: dict[str, str] = {}
        self._host: dict[str, str] | None = None
        self._host_tried = False
        self._closed = False
        self._live: set[RemoteProcess] = set()
        self._pcap_dir: Path | None = None

    # ------------------------------------------------------------------ protocol
    def version(self) -> str:
        """ "DPDK 22.11.4 on <testbed>", or why the DUT's testpmd did not say (probed again next time)."""
        if self._version is None:
            tb = self.testbed
            with self._reconnected():
                version, why = host_probe.dpdk_version(self._dut.run, tb.dpdk["testpmd"], tb.command_deadline_s)
            self._dpdk = {"dpdk_version": version} | ({"dpdk_version_error": why} if why else {})
            if why is not None:
                log.warning("ssh %s: %s", tb.name, why)
                return f"dpdk-testpmd on {tb.name} (version unknown: {why})"
            self._version = f"{version} on {tb.name}"
        return self._version

    def host(self) -> dict[str, str]:
        """The DUT as provenance: CPU, cores, sockets, NUMA, kernel, DPDK, and its NIC ports'
        driver and model (or the virtual devices a pcap_null testbed forwards between)."""
        if self._host is None:
            tb = self.testbed
            with self._reconnected():
                info = host_probe.probe(
                    self._dut.run, tb.command_deadline_s, tb.pci["dut"], nic_note=host_probe.PCAP_NULL_NIC
                )
                if "host_probe_error" not in info:  # an unreachable DUT: one timeout is enough
                    self.version()
            info.update(self._dpdk, testbed=tb.name, host_address=f"{tb.dut.user}@{tb.dut.host}:{tb.dut.port}")
            info["hardware"] = f"testbed {tb.name}: {host_probe.summary(info)}"  # two testbeds may share a host
            if "host_probe_error" in info:  # a later call probes again
                return info
            self._host = info
        return dict(self._host)

    @contextlib.contextmanager
    def _reconnected(self) -> Iterator[None]:
        """Probes after close() (the runner asks for version and host last) reconnect, then close again."""
        try:
            yield
        finally:
            if self._closed:
                self._dut.close()

    def run(self, spec: RunSpec) -> RunResult:
        self._closed = False
        if not self._host_tried:  # probe while connected, not after close(); once, so that an
            self._host_tried = True  # unreachable DUT costs each retry one timeout, not three
            self.host()
        self._cleanup()
        try:
            result = self._run(spec)
        except BaseException:
            # keep the run's own failure (and its log tail), not a cleanup error after it
            try:
                self._cleanup()
            except RunFailed as exc:
                log.warning("ssh %s: cleanup after a failed run failed too: %s", self.testbed.name, exc.reason)
            raise
        self._cleanup()
        return result

    def close(self) -> None:
        for proc in list(self._live):
            proc.kill()
        self._live.clear()
        try:
            self._cleanup()
        except RunFailed as exc:
            log.warning("ssh %s: cleanup of stale DPDK processes on close failed: %s", self.testbed.name, exc.reason)
        self._dut.close()
        if self._gen:
            self._gen.close()
        self._closed = True
        if self._pcap_dir is not None:
            shutil.rmtree(self._pcap_dir, ignore_errors=True)
            self._pcap_dir = None

    # ------------------------------------------------------------------ internals
    def _cleanup(self) -> None:
        """Kill stale DPDK processes of ours (a killed earlier run) on every host."""
        for runner in filter(None, (self._dut, self._gen)):
            status, _, err = runner.run(cleanup_stale_command(self.testbed.workdir), self.testbed.command_deadline_s)
            if status != 0:
                log.warning(
                    "ssh %s: cleanup on %s exited %d: %s",
                    self.testbed.name,
                    runner.endpoint.host,
                    status,
                    err.strip()[-500:],
                )

    def cpus(self) -> int:
        if self._cpus is None:
            status, out, err = self._dut.run("nproc", self.testbed.command_deadline_s)
            if status != 0 or not out.strip().isdigit():
                raise RunFailed(f"nproc failed on {self.testbed.dut.host}", err)
            self._cpus = int(out.strip())
        return self._cpus

    def _upload_pcaps(self, spec: RunSpec, queues: int) -> list[str]:
        if self._pcap_dir is None:
            self._pcap_dir = Path(tempfile.mkdtemp(prefix="dpdktune-ssh-pcap-"))
        local = workload_pcaps(spec.workload, queues, self._pcap_dir, self.settings.packets_per_pcap)
        remote_dir = f"{self.testbed.workdir}/pcaps"
        self._dut.run(f"mkdir -p {shlex.quote(remote_dir)}", self.testbed.command_deadline_s)
        out = []
        for path in local:
            remote = f"{remote_dir}/{path.name}"
            self._dut.put(path, remote)
            out.append(remote)
        return out

    def _run(self, spec: RunSpec) -> RunResult:
        tb = self.testbed
        cpus = self.cpus()
        cores = testpmd.clip_cores(spec.knobs.cores, cpus)
        if tb.pci["dut"]:
            vdevs, sources = [], [0]
            topo = {
                "requested": "testbed",
                "applied": "pci",
                "ports": f"DUT ports {list(tb.pci['dut'])}, generator {tb.generator_app or 'external'}",
            }
        else:
            remote_pcaps = self._upload_pcaps(spec, cores)
            vdevs, sources, topo = pcap_null_vdevs(spec, [Path(p) for p in remote_pcaps])
            topo = {"requested": "pcap_null", **topo, "applied": "pcap_null"}
        prefix = new_file_prefix()
        settings = self.settings
        cmd = testpmd.dut_command(settings, spec.knobs, cpus, prefix, vdevs, max(spec.workload.sizes))
        context = self._context(spec, cmd, prefix, vdevs)
        dut_line = render("dut", tb.dut_app, **context)
        extra = record_extra(spec, cmd, settings, cpus, topo)
        extra.update(command=dut_line, testbed=tb.name, dut_host=tb.dut.host)

        pidfile = f"{tb.workdir}/pids/{prefix}.pid"
        start = time.monotonic()
        proc = RemoteProcess(self._dut, dut_line, tb.run_deadline_s, pidfile)
        self._live.add(proc)
        gen = None
        try:
            session = measure.Session(proc, start + min(settings.deadline_s, tb.run_deadline_s))
            session.wait_prompt()
            extra["startup_s"] = time.monotonic() - start
            if tb.generator_app:
                gen = self._start_generator(spec, context, extra)
            host = RemoteHost(self._dut, cpus, tb.command_deadline_s)
            pid = self._testpmd_pid(proc, prefix) if "perf" in tb.collectors else None
            pcm: dict[str, Any] = {}
            hooks = [lambda: self._start_pcm(prefix, pcm)] if "pcm" in tb.collectors and tb.dpdk["pcm"] else []
            # /proc/stat is read at the window's ends only: per-sample reads would each cost a
            # round trip and skew the port-stats clock
            window = measure.measure_window(session, host, settings, pid, sample_cpu=False, on_start=hooks)
            measure.stop(session)
        except RunFailed:
            raise
        except Exception as exc:
            raise RunFailed(f"ssh run on {tb.name} failed: {exc!r}", proc.output.tail()) from exc
        finally:
            proc.kill()
            self._live.discard(proc)
            if gen is not None:
                gen.kill()
                self._live.discard(gen)
        extra["run_s"] = time.monotonic() - start
        unmeasured = {m: LATENCY_REASON for m in ("latency_p50_us", "latency_p99_us", "latency_p999_us")}
        pcm_metrics = self._finish_pcm(pcm) if "pcm" in tb.collectors and tb.dpdk["pcm"] else {}
        for m in ("pcie_rd_gbps", "pcie_wr_gbps", "dram_gbps", "ddio_hit_rate"):
            unmeasured[m] = pcm_metrics.pop(f"{m}_missing", None) or (
                "Intel PCM not configured on this testbed (dpdk.pcm / collectors)"
                if not pcm_metrics
                else "PCM does not report it"
            )
        result = measure.assemble(window, cmd.applied, list(range(cmd.applied.cores + 1)), sources, unmeasured, extra)
        for name, value in pcm_metrics.items():
            if value is not None and name in result.metrics:
                result.metrics[name] = value
                result.missing_reasons.pop(name, None)
        if "proc_stat" not in tb.collectors:
            result.metrics["cpu_util"] = None
            result.missing_reasons["cpu_util"] = "proc_stat collector disabled on this testbed"
        result.log_tail = proc.output.tail()
        return result

    def _context(self, spec: RunSpec, cmd: testpmd.TestpmdCommand, prefix: str, vdevs: list[str]) -> dict[str, Any]:
        tb = self.testbed
        w = spec.workload
        return {
            "dpdk": tb.dpdk,
            "pci": {k: list(v) for k, v in tb.pci.items()},
            "lcores": f"0-{cmd.applied.cores}",
            "memory_mb": tb.memory_mb,
            "no_huge": tb.no_huge,
            "file_prefix": prefix,
            "vdevs": vdevs,
            "app_args": ShellArgs(shlex.join(cmd.app)),
            "gen_lcores": "0-1",
            "gen_vdevs": [],
            "gen_burst": 32,
            "gen_port_map": "[1].0",
            "gen_script": f"{tb.workdir}/gen-{prefix}.lua",
            "gen_profile": f"{tb.workdir}/gen-{prefix}.py",
            "frame_bytes": round(w.mean_size),
            "flows": w.flows,
            "offered_mpps": w.offered_mpps if w.offered_mpps is not None else 0,
            "offered_pps": round((w.offered_mpps or 0) * 1e6),
            "rate_pct": round(_rate_fraction(spec) * 100, 3),
            "rate_multiplier": round(_rate_fraction(spec), 4),
            "on_us": w.arrival.on_us,
            "off_us": w.arrival.off_us,
            "duration_s": round(self.settings.warmup_s + self.settings.measure_s + 5),
        }

    def _start_generator(self, spec: RunSpec, context: dict[str, Any], extra: dict[str, Any]) -> RemoteProcess:
        tb = self.testbed
        gen_prefix = new_file_prefix()
        if tb.generator_app == "pktgen-dpdk":
            self._gen.write_text(context["gen_script"], pktgen_lua(context), tb.command_deadline_s)
        line = render("generator", tb.generator_app, **{**context, "file_prefix": gen_prefix})
        extra["generator_command"] = line
        gen = RemoteProcess(self._gen, line, tb.run_deadline_s, f"{tb.workdir}/pids/{gen_prefix}.pid")
        self._live.add(gen)
        return gen

    def _testpmd_pid(self, proc: RemoteProcess, prefix: str) -> int | None:
        """The newest process in the run's group whose command line carries its file-prefix."""
        status, out, _ = self._dut.run(
            f'pgrep -n -g "$(cat {shlex.quote(proc.pidfile)})" -f -- {shlex.quote("--file-prefix=" + prefix)}',
            self.testbed.command_deadline_s,
        )
        return int(out.split()[0]) if status == 0 and out.split() and out.split()[0].isdigit() else None

    def _start_pcm(self, prefix: str, pcm: dict[str, Any]) -> None:
        tb = self.testbed
        csv_path = f"{tb.workdir}/pcm-{prefix}.csv"
        pcm["csv"] = csv_path

        def run() -> None:
            try:
                pcm["status"] = self._dut.run(
                    collectors.pcm_command(tb.dpdk["pcm"], self.settings.measure_s, csv_path),
                    self.settings.measure_s + 30,
                )
            except RunFailed as exc:
                pcm["error"] = exc.reason

        pcm["thread"] = threading.Thread(target=run, daemon=True)
        pcm["thread"].start()

    def _finish_pcm(self, pcm: dict[str, Any]) -> dict[str, Any]:
        if "thread" not in pcm:
            return {}
        pcm["thread"].join(timeout=self.settings.measure_s + 35)
        if "error" in pcm:
            return {
                f"{m}_missing": f"PCM failed: {pcm['error']}" for m in ("pcie_rd_gbps", "pcie_wr_gbps", "dram_gbps")
            }
        status, out, err = self._dut.run(f"cat {shlex.quote(pcm['csv'])}", self.testbed.command_deadline_s)
        parsed = collectors.parse_pcm_csv(out) if status == 0 else {}
        return {k: v for k, v in parsed.items() if k in ("pcie_rd_gbps", "pcie_wr_gbps", "dram_gbps")}
