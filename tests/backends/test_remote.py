"""The paramiko runner against a real OpenSSH sshd on 127.0.0.1 (fails under CI=true without sshd)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from .backend_helpers import sshd  # noqa: F401
from dpdktune.backends.base import RunFailed
from dpdktune.backends.remote import Endpoint, RemoteRunner, cleanup_stale_command

pytestmark = pytest.mark.sshd


def _endpoint(s, known_hosts: Path | None = None) -> Endpoint:
    return Endpoint("127.0.0.1", s.port, s.user, str(s.key_file), str(known_hosts or s.known_hosts), 10.0)


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_runs_a_command_and_drains_large_stdout_and_stderr(sshd):
    """Megabytes on both streams at once: a runner that read them in turn would deadlock."""
    runner = RemoteRunner(_endpoint(sshd))
    try:
        status, out, err = runner.run("head -c 3000000 /dev/zero | tr '\\0' a; "
                                      "head -c 3000000 /dev/zero | tr '\\0' b >&2; exit 3", 30)
    finally:
        runner.close()
    assert status == 3
    assert len(out) == 3_000_000 and set(out) == {"a"}
    assert len(err) == 3_000_000 and set(err) == {"b"}


def test_unknown_host_key_is_refused(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    runner = RemoteRunner(_endpoint(sshd, empty))
    with pytest.raises(RunFailed) as err:
        runner.run("true", 10)
    assert not err.value.retryable
    assert "known_hosts" in err.value.reason


def test_changed_host_key_is_refused(sshd, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True, timeout=30)
    algo, key = (tmp_path / "other.pub").read_text().split()[:2]
    forged = tmp_path / "known_hosts"
    forged.write_text(f"[127.0.0.1]:{sshd.port} {algo} {key}\n")
    runner = RemoteRunner(_endpoint(sshd, forged))
    with pytest.raises(RunFailed) as err:
        runner.run("touch /should/never/run", 10)
    assert not err.value.retryable
    assert "does not match" in err.value.reason


def test_a_command_past_its_deadline_is_killed_and_fails(sshd, tmp_path):
    pidfile = tmp_path / "slow.pid"
    runner = RemoteRunner(_endpoint(sshd))
    start = time.monotonic()
    try:
        with pytest.raises(RunFailed) as err:
            runner.run("sleep 30", 1, pidfile=str(pidfile))
    finally:
        runner.close()
    assert time.monotonic() - start < 10
    assert "deadline" in err.value.reason
    pid = int(pidfile.read_text())
    end = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert not _alive(pid)


def test_stale_cleanup_kills_our_process_groups_and_nothing_else(sshd, tmp_path):
    workdir = tmp_path / "remote"
    (workdir / "pids").mkdir(parents=True)
    decoy = subprocess.Popen(["sleep", "60"], start_new_session=True)
    runner = RemoteRunner(_endpoint(sshd))
    try:
        # a stale "DPDK" group left by a killed run: its leader's command line carries our prefix
        stale = subprocess.Popen(
            ["sh", "-c", "sleep 60; true", "--file-prefix=dpdktune_stale_1"], start_new_session=True)
        (workdir / "pids" / "dpdktune_stale_1.pid").write_text(f"{stale.pid}\n")
        # a pidfile naming someone else's process (a recycled pid): must survive
        (workdir / "pids" / "dpdktune_decoy.pid").write_text(f"{decoy.pid}\n")
        status, _, err = runner.run(cleanup_stale_command(str(workdir)), 20)
        assert status == 0, err
        stale.wait(timeout=5)
        assert stale.returncode == -9
        assert decoy.poll() is None
        assert not list((workdir / "pids").glob("dpdktune_*.pid"))
    finally:
        runner.close()
        decoy.kill()
        decoy.wait()
