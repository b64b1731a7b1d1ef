"""Helpers and fixtures for the real-program backend tests (import them into a test module):
a throwaway OpenSSH sshd on 127.0.0.1, an SSH server that hangs, short-window settings,
workloads and run specs."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest
from conftest import IN_CI, require_program
from dpdktune.backends.base import RunSpec
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.workloads import Arrival, Workload

#: short windows keep each real testpmd run to a few seconds
FAST_RUN = {
    "warmup_s": 0.3,
    "measure_s": 0.8,
    "sample_interval_s": 0.2,
    "deadline_s": 40.0,
    "memory_mb": 512,
    "mbufs": 16384,
}


def workload(name: str = "imix", sizes=(64, 576, 1500), weights=(7.0, 4.0, 1.0), direction="uni") -> Workload:
    return Workload(
        name=name,
        description="test",
        sizes=tuple(sizes),
        size_weights=tuple(weights),
        offered_mpps=None,
        line_fraction=1.0,
        arrival=Arrival(),
        flows=16,
        zipf_s=0.8,
        app_cycles=0.0,
        direction=direction,
    )


def spec(knobs: Knobs, wl: Workload | None = None, run_id: str = "t") -> RunSpec:
    return RunSpec(
        run_id=run_id,
        workload=wl or workload(),
        hardware=load_hardware("xeon6140-cx5-100g"),
        knobs=knobs,
        trial=0,
        seed=1,
    )


def pids_with(marker: str) -> list[int]:
    """Processes whose command line contains `marker` (to prove none outlived its run)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                out.append(int(entry.name))
        except OSError:
            continue
    return out


def eal_started(pid: int) -> bool:
    """Whether a DPDK process is past rte_eal_init: EAL has started its interrupt and multi-process
    threads, so the process has more than one thread."""
    try:
        return len(os.listdir(f"/proc/{pid}/task")) > 1
    except OSError:
        return False


def children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (an sshd's per-connection servers)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry.name))
    return out


def wait_until(condition, timeout_s: float = 10.0, interval_s: float = 0.05) -> bool:
    """Poll `condition` until it is true or `timeout_s` passed; its last value."""
    deadline = time.monotonic() + timeout_s
    while not (ok := condition()) and time.monotonic() < deadline:
        time.sleep(interval_s)
    return bool(ok)


@pytest.fixture
def testpmd_program() -> str:
    return require_program("dpdk-testpmd", "the local and ssh backends run real DPDK testpmd")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Sshd:
    port: int
    user: str
    key_file: Path
    known_hosts: Path
    host_pub: Path
    dir: Path
    #: the listening sshd; each connection is served by a child of it
    pid: int = 0

    def testbed(self, **over) -> dict:
        tb = {
            "name": "loopback",
            "known_hosts": str(self.known_hosts),
            "dut": {"host": "127.0.0.1", "port": self.port, "user": self.user, "key_file": str(self.key_file)},
            "workdir": str(self.dir / "remote"),
            "no_huge": True,
            "memory_mb": FAST_RUN["memory_mb"],
            "run_deadline_s": 60,
            "command_deadline_s": 20,
        }
        tb.update(over)
        return tb


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory) -> Sshd:
    """A real sshd on a free port of 127.0.0.1 with a throwaway host key and user key."""
    sshd_bin = require_program("sshd", "the ssh backend tests talk to a real OpenSSH server")
    require_program("ssh-keygen", "keys for the throwaway sshd")
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("sshd's privilege separation needs root: run the CI tests as root")
        pytest.skip("sshd's privilege separation needs root (CI runs as root)")
    d = tmp_path_factory.mktemp("sshd")
    _keygen(d / "host_key")
    _keygen(d / "user_key")
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    port = _free_port()
    cfg = d / "sshd_config"
    cfg.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPidFile {d / 'sshd.pid'}\n"
        "StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\nLogLevel ERROR\n"
    )
    algo, key = (d / "host_key.pub").read_text().split()[:2]
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {algo} {key}\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = open(d / "sshd.log", "w")
    proc = subprocess.Popen(
        [sshd_bin, "-D", "-e", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"sshd exited: {(d / 'sshd.log').read_text()}")
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("sshd did not listen within 15 s")
    try:
        yield Sshd(port, "root", d / "user_key", d / "known_hosts", d / "host_key.pub", d, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class _StallingServer(paramiko.ServerInterface):
    """Accepts our key and opens sessions, then holds every exec or subsystem request unanswered."""

    def __init__(self, user_key: paramiko.PKey, release: threading.Event):
        self.user_key = user_key
        self.release = release

    def get_allowed_auths(self, username):
        return "publickey"

    def check_auth_publickey(self, username, key):
        return paramiko.AUTH_SUCCESSFUL if key == self.user_key else paramiko.AUTH_FAILED

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel, command):
        self.release.wait(STALL_S)
        return False

    def check_channel_subsystem_request(self, channel, name):
        self.release.wait(STALL_S)
        return False


#: how long the stalling server holds a request (a client without a deadline waits this long)
STALL_S = 30.0


@pytest.fixture
def stalling_sshd(tmp_path):
    """A real SSH server (paramiko's) on 127.0.0.1 that never answers exec or sftp requests:
    a hung sshd. Yields an Sshd whose `pid` is 0 (it runs in this process)."""
    require_program("ssh-keygen", "keys for the stalling server")
    _keygen(tmp_path / "host_key")
    _keygen(tmp_path / "user_key")
    host_key = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "host_key"))
    user_key = paramiko.Ed25519Key.from_private_key_file(str(tmp_path / "user_key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key.get_name()} {host_key.get_base64()}\n")
    release = threading.Event()
    transports: list[paramiko.Transport] = []

    listener.settimeout(0.1)  # a closed listener does not wake a blocked accept()

    def serve() -> None:
        while not release.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = paramiko.Transport(sock)
            t.add_server_key(host_key)
            transports.append(t)
            t.start_server(server=_StallingServer(user_key, release))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield Sshd(port, "root", tmp_path / "user_key", tmp_path / "known_hosts", tmp_path / "host_key.pub", tmp_path)
    finally:
        release.set()
        thread.join(timeout=5)
        listener.close()
        for t in transports:
            t.close()
