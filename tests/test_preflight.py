"""Pre-flight checks against the real programs: testpmd on this host, a real sshd on loopback,
the host's real sysfs, and the real Snakemake pipeline stopping before its first run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from backends.backend_helpers import FAST_RUN
from dpdktune.cli import main
from dpdktune.config import load_config
from dpdktune.preflight import DPDK_DRIVERS, preflight, problems
from snakemake_helpers import run_snakemake, workdir

#: one run of one workload: a real local sweep in seconds
ONE_RUN = {
    "workloads": ["flood64"],
    "trials": 1,
    "grid": {"rx_desc": [256], "tx_desc": [256], "cores": [1], "burst": [32]},
    "default_config": {"rx_desc": 256, "tx_desc": 256, "cores": 1, "burst": 32},
}
LOCAL = {**ONE_RUN, "backend": "local", "local": {k: v for k, v in FAST_RUN.items()}}


def _by_item(checks) -> dict[str, object]:
    return {c.item: c for c in checks}


# ------------------------------------------------------------------ local


@pytest.mark.slow
@pytest.mark.testpmd
def test_local_host_with_real_testpmd_passes(testpmd_program):
    checks = _by_item(preflight(load_config(overrides=LOCAL)))
    assert problems(list(checks.values())) == []
    assert checks["testpmd"].status == "ok" and checks["testpmd"].detail.startswith("DPDK ")
    assert checks["cores"].status == "ok"
    assert checks["hugepages"].status == "skipped" and "no_huge" in checks["hugepages"].detail
    assert checks["pci"].status == "skipped" and checks["generator"].status == "skipped"


@pytest.mark.slow
@pytest.mark.testpmd
def test_a_bad_testpmd_path_fails_with_one_line(tmp_path, capsys, testpmd_program):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**LOCAL, "local": {**LOCAL["local"], "testpmd": "/opt/none/dpdk-testpmd"}}))
    assert main(["preflight", "--configfile", str(path), "--json", str(tmp_path / "r.json")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "dpdktune preflight: local: testpmd: local.testpmd '/opt/none/dpdk-testpmd' not found or not executable"
    ]
    assert json.loads((tmp_path / "r.json").read_text())["passed"] is False


def test_hugepages_are_checked_unless_no_huge():
    config = load_config(overrides={**LOCAL, "local": {**LOCAL["local"], "no_huge": False, "memory_mb": 1 << 20}})
    huge = _by_item(preflight(config))["hugepages"]
    assert huge.status == "problem" and "local.memory_mb is 1048576" in huge.detail


def test_a_grid_asking_more_cores_than_the_host_has_is_flagged():
    import os

    cpus = len(os.sched_getaffinity(0))
    config = load_config(overrides={**LOCAL, "grid": {**LOCAL["grid"], "cores": [1, cpus + 3]}})
    cores = _by_item(preflight(config))["cores"]
    assert cores.status == "warning" and f"grid.cores [{cpus + 3}]" in cores.detail


def test_the_simulator_has_nothing_to_check():
    assert [c.status for c in preflight(load_config(overrides=ONE_RUN))] == ["skipped"]


# ------------------------------------------------------------------ ssh


def _ssh_config(s, **testbed) -> dict:
    return load_config(
        overrides={**ONE_RUN, "backend": "ssh", "ssh": {"testbeds": [s.testbed(**testbed)], "run": {"warmup_s": 0.3}}}
    )


@pytest.mark.slow
@pytest.mark.sshd
@pytest.mark.testpmd
def test_ssh_testbed_with_a_known_host_key_passes(sshd, testpmd_program):
    checks = _by_item(
        preflight(
            _ssh_config(
                sshd,
                generator={"host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "key_file": str(sshd.key_file)},
                generator_app="testpmd-txonly",
            )
        )
    )
    assert problems(list(checks.values())) == []
    assert checks["dut host key"].status == "ok" and checks["generator host key"].status == "ok"
    assert checks["testpmd"].detail.startswith("DPDK ") and checks["generator"].detail.startswith("DPDK ")
    assert checks["cores"].status in ("ok", "warning") and checks["pci"].status == "skipped"


@pytest.mark.slow
@pytest.mark.sshd
def test_an_unknown_host_key_is_refused_and_never_added(sshd, tmp_path):
    other = tmp_path / "known_hosts"
    # a valid known_hosts entry for this address, but of another key
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "k")], check=True, timeout=30)
    algo, key = (tmp_path / "k.pub").read_text().split()[:2]
    for text in ("", f"[127.0.0.1]:{sshd.port} {algo} {key}\n"):
        other.write_text(text)
        checks = preflight(_ssh_config(sshd, known_hosts=str(other)))
        assert [(c.item, c.status) for c in checks] == [("dut host key", "problem"), ("generator", "skipped")]
        assert other.read_text() == text  # nothing was added
    assert "does not match" in checks[0].detail


@pytest.mark.slow
@pytest.mark.sshd
def test_unknown_key_message_names_the_fix(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    check = preflight(_ssh_config(sshd, known_hosts=str(empty)))[0]
    assert "does not hold: refused" in check.detail and f"ssh-keyscan -p {sshd.port} 127.0.0.1" in check.detail


@pytest.mark.slow
@pytest.mark.sshd
def test_pci_addresses_are_checked_on_the_remote_sysfs(sshd, testpmd_program):
    present = sorted(
        p.name for p in Path("/sys/bus/pci/devices").glob("*") if Path(p, "driver").resolve().name not in DPDK_DRIVERS
    )[:1]
    addresses = [*present, "0000:ff:1f.7"]
    checks = _by_item(preflight(_ssh_config(sshd, pci={"dut": addresses})))
    pci = checks["pci"]
    assert pci.status == "problem" and "0000:ff:1f.7 does not exist" in pci.detail
    if present:
        assert f"{present[0]} is bound to" in pci.detail and "dpdk-devbind.py" in pci.detail


@pytest.mark.slow
@pytest.mark.sshd
def test_a_missing_generator_program_is_a_problem(sshd):
    gen = {"host": "127.0.0.1", "port": sshd.port, "user": sshd.user, "key_file": str(sshd.key_file)}
    checks = _by_item(
        preflight(
            _ssh_config(sshd, generator=gen, generator_app="pktgen-dpdk", dpdk={"pktgen_dpdk": "/opt/none/pktgen"})
        )
    )
    assert checks["generator"].status == "problem" and "/opt/none/pktgen" in checks["generator"].detail


# ------------------------------------------------------------------ the pipeline


@pytest.mark.slow
def test_the_simulator_pipeline_has_no_preflight_job(tmp_path):
    result = run_snakemake(workdir(tmp_path, ONE_RUN), "-n", "--cores", "1", "characterize", timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "preflight" not in result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.testpmd
def test_the_pipeline_stops_at_preflight_before_any_run(tmp_path, testpmd_program):
    bad = {**LOCAL, "local": {**LOCAL["local"], "testpmd": "/opt/none/dpdk-testpmd"}}
    work = workdir(tmp_path, bad)
    result = run_snakemake(work, "--cores", "1", "characterize", timeout=300)
    assert result.returncode != 0
    lines = [x for x in result.stderr.splitlines() if "local.testpmd '/opt/none/dpdk-testpmd' not found" in x]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert not (work / "results/characterize/journal").exists() and not (work / "results/characterize/batches").exists()


@pytest.mark.slow
@pytest.mark.testpmd
def test_the_pipeline_runs_after_a_passing_preflight(tmp_path, testpmd_program):
    work = workdir(tmp_path, LOCAL)
    result = run_snakemake(work, "--cores", "1", "characterize", timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "rule preflight" in result.stderr + result.stdout
    assert (work / "results/characterize/dataset.parquet").exists()
    log = (work / "results/logs/characterize/preflight.log").read_text()
    assert "ok" in log and "DPDK " in log
    # the report is temporary: the next sweep that has runs to do checks again, a finished one does not
    assert not (work / "results/characterize/preflight.json").exists()
    again = run_snakemake(work, "-n", "--cores", "1", "characterize", timeout=120)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr, again.stderr[-2000:]


@pytest.mark.slow
def test_an_ssh_sweep_with_a_missing_known_hosts_stops_before_any_run(tmp_path):
    """Formerly every run was recorded as failed and snakemake exited 0."""
    (tmp_path / "key").write_text("")
    bed = {
        "name": "lab",
        "known_hosts": str(tmp_path / "absent_known_hosts"),
        "dut": {"host": "127.0.0.1", "port": 1, "user": "dpdk", "key_file": str(tmp_path / "key")},
    }
    work = workdir(tmp_path, {**ONE_RUN, "backend": "ssh", "ssh": {"testbeds": [bed]}})
    result = run_snakemake(work, "--cores", "1", "characterize", timeout=300)
    assert result.returncode != 0
    needle = f"lab: dut host key: known_hosts file {tmp_path}/absent_known_hosts does not exist"
    assert sum(needle in line for line in result.stderr.splitlines()) == 1, result.stderr[-3000:]
    assert not (work / "results/characterize/journal").exists()
