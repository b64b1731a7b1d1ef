"""Helpers and fixtures for the real-program backend tests (import them into a test module):
a throwaway OpenSSH sshd on 127.0.0.1, short-window settings, workloads and run specs."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import IN_CI, require_program
from dpdktune.backends.base import RunSpec
from dpdktune.hardware import load_hardware
from dpdktune.knobs import Knobs
from dpdktune.workloads import Arrival, Workload

#: short windows keep each real testpmd run to a few seconds
FAST_RUN = {"warmup_s": 0.3, "measure_s": 0.8, "sample_interval_s": 0.2, "deadline_s": 40.0,
            "memory_mb": 512, "mbufs": 16384}


def workload(name: str = "imix", sizes=(64, 576, 1500), weights=(7.0, 4.0, 1.0), direction="uni") -> Workload:
    return Workload(name=name, description="test", sizes=tuple(sizes), size_weights=tuple(weights),
                    offered_mpps=None, line_fraction=1.0, arrival=Arrival(), flows=16, zipf_s=0.8,
                    app_cycles=0.0, direction=direction)


def spec(knobs: Knobs, wl: Workload | None = None, run_id: str = "t") -> RunSpec:
    return RunSpec(run_id=run_id, workload=wl or workload(), hardware=load_hardware("xeon6140-cx5-100g"),
                   knobs=knobs, trial=0, seed=1)


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

    def testbed(self, **over) -> dict:
        tb = {"name": "loopback", "known_hosts": str(self.known_hosts),
              "dut": {"host": "127.0.0.1", "port": self.port, "user": self.user, "key_file": str(self.key_file)},
              "workdir": str(self.dir / "remote"), "no_huge": True, "memory_mb": FAST_RUN["memory_mb"],
              "run_deadline_s": 60, "command_deadline_s": 20}
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
    proc = subprocess.Popen([sshd_bin, "-D", "-e", "-f", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
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
        yield Sshd(port, "root", d / "user_key", d / "known_hosts", d / "host_key.pub", d)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
