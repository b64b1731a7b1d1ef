"""The paramiko runner against a real OpenSSH sshd on 127.0.0.1 (fails under CI=true without sshd)."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from dpdktune.backends.base import RunFailed
from dpdktune.backends.remote import Endpoint, RemoteProcess, RemoteRunner, cleanup_stale_command

from .backend_helpers import wait_until

pytestmark = [pytest.mark.sshd, pytest.mark.slow]


def _endpoint(s, known_hosts: Path | None = None, timeout_s: float = 10.0) -> Endpoint:
    return Endpoint("127.0.0.1", s.port, s.user, str(s.key_file), str(known_hosts or s.known_hosts), timeout_s)


def _dead_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        status, out, err = runner.run(
            "head -c 3000000 /dev/zero | tr '\\0' a; head -c 3000000 /dev/zero | tr '\\0' b >&2; exit 3", 30
        )
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
            ["sh", "-c", "sleep 60; true", "--file-prefix=dpdktune_stale_1"], start_new_session=True
        )
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


@pytest.mark.parametrize("request_kind", ["run", "start", "put"])
def test_a_request_the_server_never_answers_fails_at_its_deadline(stalling_sshd, tmp_path, request_kind):
    """A hung sshd takes the exec (or sftp) request and never replies: the runner gives up after
    connect_timeout_s instead of blocking the batch."""
    runner = RemoteRunner(_endpoint(stalling_sshd, timeout_s=1.5))
    local = tmp_path / "f.bin"
    local.write_bytes(b"x" * 10)
    calls = {
        "run": lambda: runner.run("true", 5),
        "start": lambda: RemoteProcess(runner, "sleep 5", 10, str(tmp_path / "p.pid")),
        "put": lambda: runner.put(local, str(tmp_path / "remote.bin")),
    }
    start = time.monotonic()
    try:
        with pytest.raises(RunFailed, match="no reply to the (exec|sftp subsystem) request within 1.5 s"):
            calls[request_kind]()
    finally:
        runner.close()
    assert time.monotonic() - start < 10


def test_a_kill_that_cannot_reach_the_host_is_logged(sshd, tmp_path, caplog):
    pidfile = tmp_path / "p.pid"
    runner = RemoteRunner(_endpoint(sshd, timeout_s=3))
    proc = runner.start("sleep 60", 90, str(pidfile))
    assert wait_until(lambda: pidfile.exists() and pidfile.read_text().strip().isdigit())
    group = int(pidfile.read_text())
    try:
        runner.close()  # the host becomes unreachable before the kill
        runner.endpoint = dataclasses.replace(runner.endpoint, port=_dead_port())
        with caplog.at_level(logging.WARNING, logger="dpdktune.backends.remote"):
            proc.kill()
        assert any(
            "could not kill the group" in r.getMessage() and str(pidfile) in r.getMessage() for r in caplog.records
        ), caplog.text
    finally:
        os.killpg(group, signal.SIGKILL)


def test_a_cleanup_that_fails_on_the_host_says_so(sshd, tmp_path):
    """A workdir that cannot be created makes the cleanup command exit non-zero with the reason."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    runner = RemoteRunner(_endpoint(sshd))
    try:
        status, _, err = runner.run(cleanup_stale_command(str(blocker / "w")), 20)
    finally:
        runner.close()
    assert status != 0
    assert "Not a directory" in err
