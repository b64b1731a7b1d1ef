"""The fast tier on `--backend ssh`: l2fwd_tune on a testbed's DUT, over paramiko.

The DUT is reached as the campaign's ssh backend reaches it (backends/remote.py: host keys only
from the testbed's known_hosts, every command under the remote `timeout`, in its own process
group recorded in a pidfile under the testbed's workdir). The app's sources and the generated
tree's C are uploaded into a folder named after their content and built there with the DUT's
DPDK (make, cc, pkg-config libdpdk); a second run with the same sources reuses the binary.

While it runs, its stdout (the interval and swap lines) and stderr come back over the SSH
channel, read by threads. A swap uploads the .fpt (content-named) and replaces the control file
through one SFTP session (a temp name, then rename), then asks the remote shell that started the
app to send it SIGHUP (CONTROLLER). If this process dies, the channel closes and that shell
stops the app; a rerun also stops whatever a killed run left (app.json names its pidfile).
"""

from __future__ import annotations

import hashlib
import shlex
import time
from pathlib import Path
from typing import Any

import paramiko

from dpdktune.backends.base import RunFailed
from dpdktune.backends.remote import RemoteRunner, deadline_wrapped, kill_pidfile_command
from dpdktune.codegen.render import CSRC
from dpdktune.runtime.app_driver import STOP_DEADLINE_S, AppDriver, AppError

#: l2fwd_tune's sources under csrc/, uploaded with the tree's C
SOURCES = ("l2fwd_tune/Makefile", "l2fwd_tune/l2fwd_tune.c", "fastpath_runtime.c", "fastpath.h", "fastpath_internal.h")
#: building l2fwd_tune on a slow DUT (one C file against DPDK's headers and libraries)
BUILD_DEADLINE_S = 600.0
_NEEDS = (
    ("make", "builds l2fwd_tune"),
    ("pkg-config", "finds libdpdk"),
    ("timeout", "bounds every remote command"),
)


def connect(runner: RemoteRunner, key: str) -> None:
    """Connect, or one line naming the testbed key at fault (`key` is e.g. ssh.testbeds[0])."""
    ep = runner.endpoint
    where = f"{ep.user}@{ep.host}:{ep.port}"
    for path, name in ((ep.known_hosts, f"{key}.known_hosts"), (ep.key_file, f"{key}.dut.key_file")):
        if not Path(path).expanduser().is_file():
            raise AppError(f"{name}: {path} does not exist")
    try:
        runner.connect()
    except RunFailed as exc:
        reason = exc.reason
        if "known_hosts" in reason or "host key" in reason:
            raise AppError(f"{key}.known_hosts: {ep.known_hosts} does not vouch for {where} ({reason})") from None
        if "Authentication" in reason or "private key" in reason.lower() or "Invalid key" in reason:
            raise AppError(f"{key}.dut.key_file: {ep.key_file} is not accepted by {where} ({reason})") from None
        raise AppError(f"{key}.dut.host: cannot reach {where} ({reason})") from None
    except Exception as exc:  # noqa: BLE001 - paramiko raises ValueError and others on a malformed key
        runner.close()
        raise AppError(f"{key}.dut.key_file: {ep.key_file} cannot be used as a private key ({exc})") from None


def _run(runner: RemoteRunner, command: str, deadline_s: float, what: str) -> tuple[int, str, str]:
    try:
        return runner.run(command, deadline_s)
    except RunFailed as exc:
        raise AppError(f"ssh: {what} on {runner.endpoint.host} failed: {exc.reason}") from None


def remote_cpus(runner: RemoteRunner, deadline_s: float) -> list[int]:
    """The CPUs a command on the DUT may run on (its affinity list)."""
    status, out, err = _run(runner, "grep Cpus_allowed_list: /proc/self/status", deadline_s, "reading the CPU list")
    cpus: list[int] = []
    try:
        for item in out.split(":", 1)[1].strip().split(","):
            lo, _, hi = item.partition("-")
            cpus.extend(range(int(lo), int(hi or lo) + 1))
    except (IndexError, ValueError):
        raise AppError(
            f"ssh: cannot read the CPU list of {runner.endpoint.host} ({out.strip() or err.strip()})"
        ) from None
    return cpus


def remote_build(runner: RemoteRunner, workdir: str, key: str, tree_c: Path, cc: str, deadline_s: float) -> str:
    """The path of l2fwd_tune on the DUT, built there from the project's sources and `tree_c`."""
    blobs = {f"csrc/{rel}": CSRC / rel for rel in SOURCES} | {"fastpath_tree.c": tree_c}
    digest = hashlib.sha256()
    for name in sorted(blobs):
        digest.update(name.encode() + b"\0" + blobs[name].read_bytes() + b"\0" + cc.encode())
    folder = f"{workdir}/l2fwd_tune-{digest.hexdigest()[:16]}"
    app = f"{folder}/build/l2fwd_tune"
    q = shlex.quote
    if _run(runner, f"test -x {q(app)}", deadline_s, "looking for l2fwd_tune")[0] == 0:
        return app
    needs = dict(_NEEDS) | {cc: "compiles l2fwd_tune"}
    check = "; ".join(f"command -v {q(p)} >/dev/null || {{ echo {q(p)}; exit 3; }}" for p in needs)
    status, out, _ = _run(
        runner,
        f"{check}; pkg-config --exists libdpdk || {{ echo libdpdk; exit 3; }}",
        deadline_s,
        "checking the build tools",
    )
    if status != 0:
        host, missing = runner.endpoint.host, out.strip()
        install = "install build-essential, pkg-config and dpdk-dev there"
        if missing == cc:
            raise AppError(f"codegen.cc: {cc} not found on the DUT of {key} ({host}; it compiles l2fwd_tune there)")
        if missing in needs:
            raise AppError(f"{key}.dut: {missing} not found on {host} ({needs[missing]}; {install})")
        if missing == "libdpdk":
            raise AppError(
                f"{key}.dut: libdpdk not found by pkg-config on {host} (l2fwd_tune is built there; {install})"
            )
        raise AppError(f"{key}.dut: checking the build tools on {host} exited {status} ({missing})")
    _run(runner, f"mkdir -p {q(folder + '/csrc/l2fwd_tune')}", deadline_s, "creating the build folder")
    try:
        for name, local in blobs.items():
            runner.put(local, f"{folder}/{name}")
    except RunFailed as exc:
        raise AppError(f"ssh: uploading l2fwd_tune's sources failed: {exc.reason}") from None
    status, out, err = _run(
        runner,
        f"make -C {q(folder + '/csrc/l2fwd_tune')} BUILD={q(folder + '/build')} CC={q(cc)} "
        f"FASTPATH_TREE={q(folder + '/fastpath_tree.c')}",
        BUILD_DEADLINE_S,
        "building l2fwd_tune",
    )
    if status != 0:
        tail = " | ".join((err.strip() or out.strip()).splitlines()[-3:])
        raise AppError(f"ssh: building l2fwd_tune on {runner.endpoint.host} failed: {tail}")
    return app


#: the app under a small remote shell that holds the SSH channel's stdin: each `hup` line sends
#: the app SIGHUP at once (an exec per swap costs a new SSH session: 150-400 ms here), and the
#: channel's end (a stop, or this process killed) sends it SIGTERM, so that an app never
#: outlives its controller; the shell exits with the app's status
CONTROLLER = (
    "exec 3<&0; {app} </dev/null & p=$!; "
    "(while read -r c; do case $c in hup) kill -HUP $p;; esac; done; kill -TERM $p 2>/dev/null) <&3 & r=$!; "
    "exec 3<&-; wait $p; s=$?; kill $r 2>/dev/null; exit $s"
)


def reap_stale(runner: RemoteRunner, record: dict[str, Any], deadline_s: float) -> bool:
    """Kill the app a killed run left on the DUT (its process group, if it still runs that run's
    file prefix), drop its EAL runtime folder and its run folder; whether its pidfile was there."""
    pidfile, prefix, rundir = record.get("pidfile"), record.get("prefix"), record.get("rundir")
    if not all(isinstance(v, str) for v in (pidfile, prefix, rundir)) or not prefix.startswith("dpdktune_rt_"):
        return False
    q = shlex.quote
    found = _run(runner, f"test -e {q(pidfile)}", deadline_s, "looking for a stale app")[0] == 0
    _run(runner, kill_pidfile_command(pidfile, f"--file-prefix={prefix}"), deadline_s, "stopping a stale app")
    _run(runner, f"rm -rf {q(rundir)}", deadline_s, "removing a stale run folder")
    return found


class SshApp(AppDriver):
    """l2fwd_tune on the DUT, driven over one SSH connection."""

    where = "ssh"

    def __init__(
        self,
        runner: RemoteRunner,
        workdir: str,
        app: str,
        out_dir: Path,
        workers: int,
        interval_s: float,
        duration_s: float,
        cpus: list[int],
        memory_mb: int,
        no_huge: bool,
        command_deadline_s: float,
    ):
        super().__init__(out_dir, workers, interval_s, duration_s)
        self.runner, self.workdir, self.app = runner, workdir, app
        self.deadline_s = command_deadline_s
        self.rundir = f"{workdir}/rt/{self.prefix}"
        self.control = f"{self.rundir}/control"
        self.trees = f"{workdir}/rt/trees"
        # where the campaign backend's clean-up finds it too (a pidfile per DPDK process group)
        self.pidfile = f"{workdir}/pids/{self.prefix}.pid"
        self.cmd = [app, *self.eal_args(cpus, memory_mb, no_huge), "--", *self.app_args(self.control)]
        self.chan = None
        self.sftp = None

    def record(self) -> dict[str, Any]:
        """What a rerun needs to find this app if this process is killed (app.json)."""
        ep = self.runner.endpoint
        return {
            "backend": "ssh",
            "dut": f"{ep.user}@{ep.host}:{ep.port}",
            "prefix": self.prefix,
            "pidfile": self.pidfile,
            "rundir": self.rundir,
        }

    def start(self) -> SshApp:
        from dpdktune.atomic import write_json

        q = shlex.quote
        _run(
            self.runner,
            f"mkdir -p {q(self.rundir)} {q(self.trees)} {q(self.workdir + '/pids')}",
            self.deadline_s,
            "creating the run folder",
        )
        line = CONTROLLER.format(app=f"env FP_RCU_FENCE=0 {shlex.join(self.cmd)}")
        self.open_log(line)
        write_json(self.record(), self.out_dir / "app.json")  # first: no app runs that app.json does not name
        try:
            self.chan = self.runner.exec(deadline_wrapped(line, self.duration_s + 60, self.pidfile))
        except RunFailed as exc:
            raise AppError(f"ssh: starting l2fwd_tune on {self.runner.endpoint.host} failed: {exc.reason}") from None
        self.start_readers()
        return self

    # bytes, decoded here: a stray byte in a log line must not end the reader
    def _read_stdout(self) -> None:
        try:
            for line in self.chan.makefile("rb"):
                self.take_line(line.decode(errors="replace"))
        except (OSError, EOFError, paramiko.SSHException):
            pass
        finally:
            self.end_of_output()

    def _read_stderr(self) -> None:
        try:
            for line in self.chan.makefile_stderr("rb"):
                self.take_log(line.decode(errors="replace"))
        except (OSError, EOFError, paramiko.SSHException):
            pass

    def alive(self) -> bool:
        return self.chan is not None and not self.chan.exit_status_ready() and not self.chan.closed

    def exit_code(self) -> int | None:
        if self.chan is not None and self.chan.exit_status_ready():
            return self.chan.recv_exit_status()
        return None

    def stop(self) -> int | None:
        """End the channel's input (the remote shell sends SIGTERM; the app prints its statistics),
        then SIGKILL its process group after STOP_DEADLINE_S; the pidfile, the EAL runtime folder
        and the run folder are removed."""
        if self.chan is None:
            return None
        q = shlex.quote
        try:
            if self.alive():
                self.chan.shutdown_write()
                deadline = time.monotonic() + STOP_DEADLINE_S
                while not self.chan.exit_status_ready() and time.monotonic() < deadline:
                    time.sleep(0.05)
            self.runner.run(kill_pidfile_command(self.pidfile, f"--file-prefix={self.prefix}"), self.deadline_s)
            self.runner.run(f"rm -rf {q(self.rundir)}", self.deadline_s)
        except (
            RunFailed,
            OSError,
            EOFError,
            paramiko.SSHException,
        ) as exc:  # the remote `timeout` still ends it; a rerun cleans up
            why = exc.reason if isinstance(exc, RunFailed) else repr(exc)
            self.take_log(f"dpdktune: stopping l2fwd_tune on {self.runner.endpoint.host} failed: {why}")
        self.join_readers()
        self.returncode = self.chan.recv_exit_status() if self.chan.exit_status_ready() else None
        self.chan.close()
        if self.sftp is not None:
            self.sftp.close()
        self.close_log()
        return self.returncode

    def _sftp(self) -> paramiko.SFTPClient:
        """One SFTP session for the run's swaps (a new one per swap would cost its handshake each time)."""
        if self.sftp is None:
            try:
                self.sftp = paramiko.SFTPClient.from_transport(self.runner.connect().get_transport())
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise RunFailed(f"sftp {self.runner.endpoint.host}: {exc}") from None
            self.sftp.get_channel().settimeout(self.deadline_s)
        return self.sftp

    def _put(self, data: bytes, remote: str) -> None:
        """Write `remote` atomically: a temp name, then rename over it."""
        sftp = self._sftp()
        try:
            with sftp.open(f"{remote}.tmp", "wb") as fh:
                fh.write(data)
            sftp.posix_rename(f"{remote}.tmp", remote)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            self.sftp = None  # a broken session is opened again at the next swap
            raise RunFailed(f"sftp write {self.runner.endpoint.host}:{remote}: {exc}") from None

    def _publish(self, seq: int, fpt: Path | None) -> None:
        host = self.runner.endpoint.host
        try:
            if fpt is None:
                path = "default"
            else:
                data = fpt.read_bytes()
                path = f"{self.trees}/{hashlib.sha256(data).hexdigest()[:16]}.fpt"  # content-named
                self._put(data, path)
            self._put(f"seq {seq}\ntree {path}\n".encode(), self.control)
        except RunFailed as exc:
            raise AppError(f"ssh: publishing a tree on {host} failed: {exc.reason}") from None
        try:
            self.chan.sendall(b"hup\n")
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise AppError(f"ssh: l2fwd_tune on {host} could not be signalled ({exc!r})") from None
