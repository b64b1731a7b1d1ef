"""The SSH backend: real testpmd through a real sshd on 127.0.0.1 (fails under CI=true without them)."""

from __future__ import annotations

import logging
import os
import re
import shlex
import signal
import socket
import threading
import time
from pathlib import Path

import pytest
from dpdktune.backends.base import RunFailed
from dpdktune.backends.ssh import GENERATOR_PRESETS, ShellArgs, SshBackend, render
from dpdktune.campaign.runner import run_with_retry
from dpdktune.knobs import Knobs

from .backend_helpers import FAST_RUN, eal_started, pids_with, spec, wait_until, workload

pytestmark = [pytest.mark.sshd, pytest.mark.testpmd]


def _backend(s, **testbed) -> SshBackend:
    return SshBackend({"testbeds": [s.testbed(**testbed)], "run": FAST_RUN})


@pytest.mark.slow
def test_runs_real_testpmd_through_sshd(sshd, testpmd_program):
    backend = _backend(sshd)
    try:
        assert backend.version().startswith("DPDK ")
        r = backend.run(spec(Knobs(512, 256, 3, 32)))
    finally:
        backend.close()
    assert r.metrics["throughput_mpps"] > 0
    assert r.metrics["cycles_per_packet"] > 0
    assert "--rxd=512" in r.extra["command"] and "--txd=256" in r.extra["command"]
    assert r.extra["requested"]["cores"] == 3 and r.applied.cores <= 3
    assert r.extra["testbed"] == "loopback"
    # the remote run left neither a process nor a pidfile
    workdir = Path(sshd.testbed()["workdir"])
    assert not list((workdir / "pids").glob("*.pid"))
    assert pids_with(str(workdir)) == []


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (("dut", "host"), "127.0.0.1; touch /tmp/pwned", "ssh.testbeds[0].dut.host"),
        (("dut", "host"), "$(reboot)", "ssh.testbeds[0].dut.host"),
        (("dut", "user"), "root`id`", "ssh.testbeds[0].dut.user"),
        (("name",), "bed;rm", "ssh.testbeds[0].name"),
        (("pci",), {"dut": ["0000:3b:00.0 -a x"]}, "ssh.testbeds[0].pci.dut[0]"),
        (("workdir",), "/tmp/a,b", "ssh.testbeds[0].workdir"),
        (("dpdk",), {"testpmd": "x\ny"}, "ssh.testbeds[0].dpdk.testpmd"),
        (("collectors",), ["perf", "tcpdump"], "ssh.testbeds[0].collectors"),
    ],
)
@pytest.mark.slow
def test_unsafe_config_values_are_rejected_by_key(sshd, path, value, key):
    tb = sshd.testbed()
    target = tb
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=re.escape(key)):
        SshBackend({"testbeds": [tb]})


@pytest.mark.slow
def test_known_hosts_is_required(sshd):
    tb = sshd.testbed()
    del tb["known_hosts"]
    with pytest.raises(ValueError, match=r"ssh.testbeds\[0\].known_hosts"):
        SshBackend({"testbeds": [tb]})


@pytest.mark.slow
def test_shell_metacharacters_in_values_are_quoted_never_executed(sshd, testpmd_program, tmp_path):
    """A workdir and a workload name full of shell syntax: the run works, nothing is executed."""
    marker = tmp_path / "pwned"
    workdir = f"{tmp_path}/w $(touch {marker}) `touch {marker}`; touch {marker} &"
    backend = _backend(sshd, workdir=workdir)
    try:
        r = backend.run(spec(Knobs(256, 256, 1, 32), workload(f"x'; touch {marker}; echo '$(touch {marker})")))
    finally:
        backend.close()
    assert r.metrics["throughput_mpps"] > 0
    assert not marker.exists()
    assert Path(workdir, "pcaps").is_dir()


@pytest.mark.parametrize("preset", GENERATOR_PRESETS)
def test_generator_presets_quote_every_value(preset):
    evil = "$(touch /tmp/x); `id` | y"
    context = {
        "dpdk": {k: evil for k in ("testpmd", "csrc_pktgen", "pktgen_dpdk", "trex_dir", "trex_cfg", "trex_profile")},
        "pci": {"dut": [], "generator": ["0000:3b:00.0"]},
        "gen_lcores": "0-1",
        "memory_mb": 1024,
        "file_prefix": "dpdktune_x",
        "no_huge": True,
        "gen_vdevs": [evil],
        "gen_burst": 32,
        "gen_port_map": evil,
        "gen_script": evil,
        "gen_profile": evil,
        "frame_bytes": 64,
        "flows": 4,
        "offered_mpps": 1.5,
        "offered_pps": 1500000,
        "on_us": 0,
        "off_us": 0,
        "duration_s": 5,
        "rate_pct": 12.5,
        "rate_multiplier": 0.125,
    }
    line = render("generator", preset, **context)
    tokens = shlex.split(line)
    # the evil value survives only as whole, quoted tokens (possibly behind a --flag=)
    assert any(evil in t for t in tokens)
    assert all(t == evil or t.endswith(evil) or "$(" not in t for t in tokens)
    assert "0000:3b:00.0" in tokens or preset == "trex"


def test_pktgen_lua_script_carries_size_and_rate():
    from dpdktune.backends.ssh import pktgen_lua

    lua = pktgen_lua({"frame_bytes": 512, "rate_pct": 12.5, "duration_s": 7})
    assert 'pktgen.set("0", "size", 512)' in lua and 'pktgen.set("0", "rate", 12.5)' in lua
    assert "pktgen.delay(7000)" in lua and lua.rstrip().endswith("pktgen.quit();")


def test_dut_template_keeps_prequoted_arguments_intact():
    line = render(
        "dut",
        "testpmd",
        dpdk={"stdbuf": "stdbuf", "testpmd": "dpdk-testpmd"},
        lcores="0-1",
        memory_mb=64,
        file_prefix="dpdktune_a",
        no_huge=True,
        pci={"dut": [], "generator": []},
        vdevs=["net_null0,no-rx=1"],
        app_args=ShellArgs(shlex.join(["-i", "--rxd=512"])),
    )
    assert shlex.split(line)[-3:] == ["--", "-i", "--rxd=512"]


@pytest.mark.slow
def test_killed_remote_testpmd_is_retried_and_the_sweep_finishes(sshd, testpmd_program):
    """Kill the remote testpmd mid-run: that attempt fails, the runner retries, both runs finish."""
    backend = _backend(sshd)
    pids_dir = Path(sshd.testbed()["workdir"]) / "pids"
    killed: list[int] = []
    prefixes: list[str] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for pidfile in pids_dir.glob("dpdktune_*.pid"):
                prefix = pidfile.stem
                victims = [
                    p
                    for p in pids_with(f"--file-prefix={prefix}")
                    if "dpdk-testpmd" in Path(f"/proc/{p}/comm").read_text(errors="replace")
                ]
                if victims:
                    prefixes.append(prefix)
                    # a run under way
                    wait_until(lambda victims=victims: all(eal_started(p) for p in victims), timeout_s=30)
                    for p in victims:
                        os.kill(p, signal.SIGKILL)
                    killed.extend(victims)
                    return
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    specs = [spec(Knobs(256, 256, 1, 32), run_id="sweep-0"), spec(Knobs(512, 512, 1, 16), run_id="sweep-1")]
    try:
        records = [run_with_retry(backend, s, {"attempts": 3, "backoff_s": 0.1})[0] for s in specs]
    finally:
        thread.join(timeout=5)
        backend.close()
    assert killed, "the killer never found the remote testpmd"
    assert [r["status"] for r in records] == ["ok", "ok"]
    assert records[0]["attempts"] == 2
    assert records[1]["attempts"] == 1
    assert all(r["throughput_mpps"] > 0 for r in records)
    assert not list(pids_dir.glob("*.pid"))
    assert not Path("/var/run/dpdk", prefixes[0]).exists()


@pytest.mark.slow
def test_an_unknown_testbed_name_is_an_error(sshd):
    with pytest.raises(ValueError, match="not in ssh.testbeds"):
        SshBackend({"testbeds": [sshd.testbed()]}, testbed="nope")


@pytest.mark.slow
def test_a_run_past_its_remote_deadline_fails(sshd, testpmd_program):
    backend = SshBackend({"testbeds": [sshd.testbed(run_deadline_s=4)], "run": {**FAST_RUN, "measure_s": 30}})
    start = time.monotonic()
    try:
        with pytest.raises(RunFailed):
            backend.run(spec(Knobs(256, 256, 1, 32)))
    finally:
        backend.close()
    assert time.monotonic() - start < 20


@pytest.mark.slow
def test_a_failed_version_probe_keeps_its_reason_in_provenance(sshd):
    from dpdktune.metrics.provenance import provenance

    backend = _backend(sshd, dpdk={"testpmd": "/nonexistent/dpdk-testpmd"})
    try:
        version = backend.version()
        host = backend.host()
    finally:
        backend.close()
    assert "not found" in version and "exit status 127" in version
    prov = provenance(config={}, backend="ssh", backend_version=version, hardware="p", seed=1, host=host)
    assert prov["dpdk_version"] == "unknown"
    assert "/nonexistent/dpdk-testpmd" in prov["dpdk_version_error"] and "127" in prov["dpdk_version_error"]
    # the rest of the host was still probed
    assert prov["host"] == socket.gethostname() and prov["host_cpus"] == str(os.cpu_count())


@pytest.mark.slow
def test_a_cleanup_on_close_that_fails_is_logged(sshd, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    backend = _backend(sshd, workdir=str(blocker / "w"))
    with caplog.at_level(logging.WARNING, logger="dpdktune.backends.ssh"):
        backend.close()
    assert any("cleanup" in r.getMessage() and "Not a directory" in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.slow
def test_a_cleanup_on_close_that_cannot_connect_is_logged(sshd, tmp_path, caplog):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    tb = sshd.testbed(connect_timeout_s=2)
    tb["dut"]["port"] = dead
    backend = SshBackend({"testbeds": [tb], "run": FAST_RUN})
    with caplog.at_level(logging.WARNING, logger="dpdktune.backends.ssh"):
        backend.close()
    assert any("cleanup" in r.getMessage() and str(dead) in r.getMessage() for r in caplog.records), caplog.text


@pytest.mark.slow
def test_host_names_the_dut_nic_by_pci_address(sshd):
    """A PCI address the DUT does not have is reported as such (the probe reads sysfs)."""
    backend = _backend(sshd, pci={"dut": ["0000:ff:1f.7"]})
    try:
        host = backend.host()
    finally:
        backend.close()
    assert host["host_nic"] == "0000:ff:1f.7: not present on the host"
    assert host["testbed"] == "loopback" and host["hardware"].startswith(f"testbed loopback: {socket.gethostname()}")
