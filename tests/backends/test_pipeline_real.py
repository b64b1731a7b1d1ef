"""The user's commands on real backends: `snakemake --cores 1 characterize`, then `report.html`,
with `backend: local` (real testpmd) and `backend: ssh` (a real sshd on 127.0.0.1 whose DUT is
this machine's real testpmd)."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pandas as pd
import pytest
import yaml
from dpdktune.metrics.parquet import read_provenance
from snakemake_helpers import REPO, run_snakemake, workdir

from .backend_helpers import children, pids_with, wait_until

pytestmark = [pytest.mark.slow]

PROFILE = "xeon6140-cx5-100g"
#: 2 workloads x 2 configs x 1 trial, short windows: a few seconds of testpmd per run
CAMPAIGN = {
    "hardware": PROFILE,
    "workloads": ["flood64", "imix"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1], "burst": [32]},
    "trials": 1,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 1, "burst": 32},
    # Phase 2 learns for minutes; this checks that Phase 1's report builds on real data
    "report": {"phase2": "never"},
    "output": {"csv": True},
    # neither real backend measures latency: rank configs on what they measure
    "objective": "throughput_mpps",
    "decision": {"objectives": ["throughput_mpps", "zero_loss_mpps"]},
}
RUN = {"warmup_s": 0.3, "measure_s": 0.8, "sample_interval_s": 0.2, "deadline_s": 40.0, "mbufs": 16384}


def _example() -> dict:
    return yaml.safe_load((REPO / "config" / "testbeds.example.yaml").read_text())


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return ""


def _characterize_and_report(work: Path) -> tuple[pd.DataFrame, dict[str, str], str]:
    for target in ("characterize", "report.html"):
        result = run_snakemake(work, "--cores", "1", target, timeout=300)
        assert result.returncode == 0, f"{target}:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    dataset = work / "results" / "characterize" / "dataset.parquet"
    csv = (work / "results" / "characterize" / "dataset.csv").read_text()
    assert PROFILE not in csv and _cpu_model() in csv  # the CSV export names the host as well
    return pd.read_parquet(dataset), read_provenance(dataset), (work / "report.html").read_text()


def _assert_real_host(records: pd.DataFrame, prov: dict[str, str], report: str, backend: str) -> None:
    assert len(records) == 2 * 2 * 1
    assert (records.status == "ok").all(), records.failure_reason.tolist()
    assert (records.throughput_mpps > 0).all()
    assert set(records.backend) == {backend}
    assert prov["backend"] == backend and prov["backend_version"].startswith("DPDK ")
    # the host is this machine, probed: its name, CPU model and CPU count
    assert prov["host"] == socket.gethostname()
    assert prov["host_cpu"] == _cpu_model()
    assert int(prov["host_cpus"]) == os.cpu_count()
    assert int(prov["host_sockets"]) >= 1 and int(prov["host_cores"]) >= 1
    assert prov["host_kernel"].startswith(f"Linux {os.uname().release}")
    assert prov["dpdk_version"].startswith("DPDK ") and "net_null" in prov["host_nic"]
    named = socket.gethostname() if backend == "local" else f"testbed loopback: {socket.gethostname()}"
    assert prov["hardware"].startswith(named) and PROFILE not in prov["hardware"]
    assert prov["hardware_source"].startswith("probed")
    # every record names the probed host too
    assert set(records.hardware) == {prov["hardware"]}
    # the report names the probed host as its hardware, and no simulator profile anywhere
    setup = report[report.index('id="setup"') : report.index('id="validation"')]
    assert "Hardware (probed host)" in setup and _cpu_model() in setup
    assert PROFILE not in report


@pytest.mark.testpmd
def test_local_backend_through_snakemake(tmp_path, monkeypatch, testpmd_program):
    # testpmd's pcap paths live under this TMPDIR: they mark this test's processes
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    work = workdir(
        tmp_path, {**CAMPAIGN, "backend": "local", "local": {**RUN, "testpmd": testpmd_program, "memory_mb": 512}}
    )
    records, prov, report = _characterize_and_report(work)
    _assert_real_host(records, prov, report, "local")
    assert wait_until(lambda: not pids_with(str(tmp))), f"testpmd left behind: {pids_with(str(tmp))}"


@pytest.mark.sshd
@pytest.mark.testpmd
def test_ssh_backend_through_snakemake(tmp_path, sshd, testpmd_program):
    remote = tmp_path / "remote"
    # the example's single-host testbed, pointed at the loopback sshd and this machine's testpmd
    box2 = next(tb for tb in _example()["ssh"]["testbeds"] if tb["name"] == "box2")
    loopback = sshd.testbed()
    testbed = {
        **box2,
        "name": "loopback",
        "known_hosts": loopback["known_hosts"],
        "dut": loopback["dut"],
        "workdir": str(remote),
        "dpdk": {**box2["dpdk"], "testpmd": testpmd_program},
        "memory_mb": 512,
    }
    work = workdir(tmp_path, {**CAMPAIGN, "backend": "ssh", "ssh": {"run": RUN, "testbeds": [testbed]}})
    records, prov, report = _characterize_and_report(work)
    _assert_real_host(records, prov, report, "ssh")
    assert prov["testbed"] == "loopback" and prov["host_address"] == f"root@127.0.0.1:{sshd.port}"
    assert prov["backend_version"].endswith("on loopback")
    # every run came through the testbed, and its remote side left no process, pidfile or connection
    assert {json.loads(e)["testbed"] for e in records.extra} == {"loopback"}
    assert not list((remote / "pids").glob("*.pid"))
    assert wait_until(lambda: not pids_with(str(remote))), f"testpmd left behind: {pids_with(str(remote))}"
    assert wait_until(lambda: not children(sshd.pid)), f"ssh sessions left open: {children(sshd.pid)}"


def test_testbeds_example_resolves_in_a_dry_run(tmp_path):
    """config/testbeds.example.yaml as the user passes it: every batch planned, none run."""
    result = run_snakemake(workdir(tmp_path, _example()), "-n", "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert re.search(r"^run_batch\s+15$", out, re.M), out[-3000:]
    assert not (tmp_path / "work" / "results").exists()


@pytest.mark.sshd
@pytest.mark.testpmd
def test_an_ssh_campaign_over_two_testbeds_names_both_hosts(tmp_path, sshd, testpmd_program):
    """Two testbeds (both this machine's testpmd behind the loopback sshd), one batch on each: the
    dataset's provenance lists both hosts and its hardware names both testbeds."""
    import fcntl

    beds = [
        sshd.testbed(name=name, workdir=str(tmp_path / name), dpdk={"testpmd": testpmd_program})
        for name in ("bed1", "bed2")
    ]
    work = workdir(tmp_path, {**CAMPAIGN, "backend": "ssh", "ssh": {"run": RUN, "testbeds": beds}})
    locks = work / "results" / ".locks"
    locks.mkdir(parents=True)
    # while bed1 is taken, flood64's batch runs on bed2; then imix's gets bed1, the first free one
    with open(locks / "testbed-bed1.lock", "w") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)
        first = run_snakemake(work, "--cores", "1", "results/characterize/batches/flood64.parquet", timeout=300)
        fcntl.flock(busy, fcntl.LOCK_UN)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-6000:]
    result = run_snakemake(work, "--cores", "1", "characterize", timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    dataset = work / "results" / "characterize" / "dataset.parquet"
    records, prov = pd.read_parquet(dataset), read_provenance(dataset)
    ran_on = {w: {json.loads(e)["testbed"] for e in records[records.workload == w].extra} for w in ("flood64", "imix")}
    assert ran_on == {"flood64": {"bed2"}, "imix": {"bed1"}}
    # each record names its testbed's host; the provenance lists both, whichever job wrote the batch files
    assert {w: set(records[records.workload == w].hardware.str.split(":").str[0]) for w in ran_on} == {
        "flood64": {"testbed bed2"},
        "imix": {"testbed bed1"},
    }
    hosts = json.loads(prov["hosts"])
    assert sorted(h["hardware"].split(":")[0] for h in hosts) == ["testbed bed1", "testbed bed2"]
    assert all(socket.gethostname() in h["hardware"] and _cpu_model() in h["hardware"] for h in hosts)
    assert prov["hardware"].startswith("2 hosts: ") and "testbed" not in prov
    assert (records.status == "ok").all() and PROFILE not in set(records.hardware)
