"""Commands on a remote host over paramiko, each with a deadline on both ends.

Host keys come only from the testbed's known_hosts file; unknown or changed keys are refused
(RejectPolicy, no AutoAdd). Output is drained from stdout and stderr while a command runs,
since a full channel window otherwise blocks the remote side forever (paramiko #448, #1778).
Every command runs under the remote `timeout -s KILL`, in its own process group, so that it
dies at its deadline even if this side is gone.
"""

from __future__ import annotations

import logging
import select
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paramiko

from dpdktune.backends import measure
from dpdktune.backends.base import RunFailed

#: exit statuses of a command `timeout` stopped: 124 after its signal was handled, 128+9
#: after SIGKILL, and -1 (no status, an exit signal) when the KILL to its group took
#: `timeout` itself down
TIMEOUT_STATUSES = (124, 137, -1)
log = logging.getLogger("dpdktune.backends.remote")


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    user: str
    key_file: str
    known_hosts: str
    connect_timeout_s: float = 10.0


def deadline_wrapped(command: str, deadline_s: float, pidfile: str | None = None) -> str:
    """`command` under the remote `timeout`, recording its process-group id in `pidfile`.

    `timeout` (without --foreground) makes its own process group and signals all of it.
    """
    inner = f"exec timeout -s KILL {max(1, round(deadline_s))} sh -c {shlex.quote(command)}"
    if pidfile:
        inner = f"echo $$ > {shlex.quote(pidfile)} && {inner}"
    return f"sh -c {shlex.quote(inner)}"


class RemoteRunner:
    """One SSH connection to one host."""

    def __init__(self, endpoint: Endpoint):
        self.endpoint = endpoint
        self._client: paramiko.SSHClient | None = None

    def connect(self) -> paramiko.SSHClient:
        if self._client is not None and self._client.get_transport() and self._client.get_transport().is_active():
            return self._client
        ep = self.endpoint
        if not Path(ep.known_hosts).expanduser().is_file():
            raise RunFailed(f"known_hosts file {ep.known_hosts} does not exist", retryable=False)
        client = paramiko.SSHClient()
        client.load_host_keys(str(Path(ep.known_hosts).expanduser()))
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                ep.host,
                port=ep.port,
                username=ep.user,
                key_filename=str(Path(ep.key_file).expanduser()),
                timeout=ep.connect_timeout_s,
                banner_timeout=ep.connect_timeout_s,
                auth_timeout=ep.connect_timeout_s,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise RunFailed(
                f"host key of {ep.host}:{ep.port} does not match {ep.known_hosts}: refusing to connect ({exc})",
                retryable=False,
            ) from None
        except paramiko.SSHException as exc:
            client.close()
            # RejectPolicy raises a plain SSHException for an unknown key: never retry that
            unknown = "not found in known_hosts" in str(exc)
            raise RunFailed(f"ssh {ep.user}@{ep.host}:{ep.port}: {exc}", retryable=not unknown) from None
        except OSError as exc:
            client.close()
            raise RunFailed(f"ssh {ep.user}@{ep.host}:{ep.port}: {exc}") from None
        self._client = client
        return client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _session(self) -> paramiko.Channel:
        transport = self.connect().get_transport()
        try:
            return transport.open_session(timeout=self.endpoint.connect_timeout_s)
        except paramiko.SSHException as exc:
            raise RunFailed(f"ssh {self.endpoint.host}: cannot open a channel: {exc}") from None

    def _request(self, chan: paramiko.Channel, what: str, send: Callable[[], None]) -> None:
        """Send a channel request (exec, subsystem) and wait at most connect_timeout_s for the reply.

        paramiko waits for the reply without a timeout, so a server that takes the request and
        never answers would hang the batch; closing the channel wakes that wait.
        """
        timeout = self.endpoint.connect_timeout_s
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            try:
                chan.close()
            except (paramiko.SSHException, EOFError, OSError):
                pass  # the transport is gone already; the wait is woken either way

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
        try:
            send()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            chan.close()
            if expired.is_set():
                raise RunFailed(
                    f"ssh {self.endpoint.host}: no reply to the {what} request within {timeout:g} s"
                ) from None
            raise RunFailed(f"ssh {self.endpoint.host}: {what} request refused: {exc}") from None
        finally:
            timer.cancel()
        if expired.is_set():  # the timer fired just as the reply came
            chan.close()
            raise RunFailed(f"ssh {self.endpoint.host}: no reply to the {what} request within {timeout:g} s")

    def exec(self, command: str) -> paramiko.Channel:
        """A new channel running `command`, or RunFailed when the server does not start it in time."""
        chan = self._session()
        self._request(chan, "exec", lambda: chan.exec_command(command))
        return chan

    def _sftp(self, timeout_s: float) -> paramiko.SFTPClient:
        chan = self._session()
        self._request(chan, "sftp subsystem", lambda: chan.invoke_subsystem("sftp"))
        chan.settimeout(timeout_s)
        try:
            return paramiko.SFTPClient(chan)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            chan.close()
            raise RunFailed(f"sftp {self.endpoint.host}: {exc}") from None

    def run(self, command: str, deadline_s: float, pidfile: str | None = None) -> tuple[int, str, str]:
        """Run `command` (already quoted) with a deadline; returns (status, stdout, stderr).

        Past the deadline the remote `timeout` kills the process group; should the channel
        still be open a few seconds later, this side closes it. Either way: RunFailed.
        """
        chan = self.exec(deadline_wrapped(command, deadline_s, pidfile))
        chan.shutdown_write()
        out, err = bytearray(), bytearray()
        start = time.monotonic()
        hard_stop = start + deadline_s + 5
        try:
            while True:
                select.select([chan], [], [], 0.02)
                while chan.recv_ready():
                    out += chan.recv(65536)
                while chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                # sshd may send the exit status before the last output: wait for EOF too
                if (
                    chan.exit_status_ready()
                    and (chan.eof_received or chan.closed)
                    and not chan.recv_ready()
                    and not chan.recv_stderr_ready()
                ):
                    break
                if time.monotonic() > hard_stop:
                    raise RunFailed(
                        f"remote command passed its {deadline_s:.0f} s deadline and was abandoned: {command}",
                        err.decode(errors="replace")[-4000:],
                    )
            status = chan.recv_exit_status()
        finally:
            chan.close()
        elapsed = time.monotonic() - start
        if status in TIMEOUT_STATUSES and elapsed >= deadline_s - 0.5:
            raise RunFailed(
                f"remote command passed its {deadline_s:.0f} s deadline and was killed: {command}",
                err.decode(errors="replace")[-4000:],
            )
        return status, out.decode(errors="replace"), err.decode(errors="replace")

    def put(self, local: Path, remote: str) -> None:
        """Copy a file unless the remote one already has its size (files here are content-named)."""
        sftp = self._sftp(self.endpoint.connect_timeout_s * 6)
        try:
            try:
                if sftp.stat(remote).st_size == local.stat().st_size:
                    return
            except FileNotFoundError:
                pass
            tmp = f"{remote}.tmp"
            sftp.put(str(local), tmp)
            sftp.posix_rename(tmp, remote)
        except (OSError, paramiko.SSHException) as exc:
            raise RunFailed(f"sftp {local} -> {self.endpoint.host}:{remote}: {exc}") from None
        finally:
            sftp.close()

    def write_text(self, remote: str, text: str, deadline_s: float) -> None:
        """Write a small file (a generator script) atomically on the remote side."""
        sftp = self._sftp(deadline_s)
        try:
            with sftp.open(f"{remote}.tmp", "w") as fh:
                fh.write(text)
            sftp.posix_rename(f"{remote}.tmp", remote)
        except (OSError, paramiko.SSHException) as exc:
            raise RunFailed(f"sftp write {self.endpoint.host}:{remote}: {exc}") from None
        finally:
            sftp.close()

    def start(self, command: str, deadline_s: float, pidfile: str) -> RemoteProcess:
        return RemoteProcess(self, command, deadline_s, pidfile)


class RemoteProcess:
    """A long-running remote program whose stdin we write and whose output a thread drains."""

    def __init__(self, runner: RemoteRunner, command: str, deadline_s: float, pidfile: str):
        self.runner = runner
        self.pidfile = pidfile
        self.output = measure.OutputBuffer()
        self._chan = runner.exec(deadline_wrapped(command, deadline_s, pidfile))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        chan = self._chan
        try:
            while True:
                select.select([chan], [], [], 0.2)
                got = False
                while chan.recv_ready():
                    self.output.append(chan.recv(65536).decode(errors="replace"))
                    got = True
                while chan.recv_stderr_ready():
                    self.output.append(chan.recv_stderr(65536).decode(errors="replace"))
                    got = True
                if not got and ((chan.exit_status_ready() and chan.eof_received) or chan.closed):
                    break
        except (OSError, EOFError, paramiko.SSHException):
            pass
        finally:
            self.output.close()

    def write(self, text: str) -> None:
        try:
            self._chan.sendall(text.encode())
        except (paramiko.SSHException, EOFError) as exc:
            raise OSError(str(exc)) from None

    def returncode(self) -> int | None:
        if self._chan.exit_status_ready():
            return self._chan.recv_exit_status()
        if self._chan.closed:
            return -1
        return None

    def kill(self) -> None:
        """Kill the remote process group (by the id in its pidfile), then drop the channel.

        A kill that fails is logged: the remote `timeout` still ends the group at its deadline,
        and the next run's cleanup tries again, but until then the DUT may be busy.
        """
        host = self.runner.endpoint.host
        try:
            status, _, err = self.runner.run(kill_pidfile_command(self.pidfile), KILL_DEADLINE_S)
            if status != 0:
                log.warning(
                    "ssh %s: kill of the group in %s exited %d: %s", host, self.pidfile, status, err.strip()[-500:]
                )
        except RunFailed as exc:
            log.warning(
                "ssh %s: could not kill the group in %s (its remote deadline still ends it): %s",
                host,
                self.pidfile,
                exc.reason,
            )
        self._chan.close()
        self._reader.join(timeout=5)


#: SIGKILL the group $p; a group that is gone already is no failure, any other refusal is (s=1)
_KILL_GROUP = (
    'env kill -s KILL -- -$p 2>/dev/null || { [ -d /proc/$p ] && { echo "kill -KILL -$p failed" >&2; s=1; }; }'
)
#: the kill is a quick command; a hung one is given up and logged
KILL_DEADLINE_S = 15


def kill_pidfile_command(pidfile: str, must_contain: str = "--file-prefix=dpdktune_") -> str:
    """Kill the process group named in `pidfile` if its leader is still one of ours; drop the
    file and the EAL runtime directory of the prefix it is named after."""
    q = shlex.quote(pidfile)
    marker = shlex.quote(must_contain)
    prefix = Path(pidfile).name.removesuffix(".pid")
    runtime = ""
    if prefix.startswith("dpdktune_"):
        runtime = f' {shlex.quote("/var/run/dpdk/" + prefix)} "${{XDG_RUNTIME_DIR:-/tmp}}/dpdk/"{shlex.quote(prefix)}'
    return (
        f"s=0; p=$(cat {q} 2>/dev/null); "
        f"case \"$p\" in ''|*[!0-9]*) ;; *) "
        f"if tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF -- {marker}; then "
        f"{_KILL_GROUP}; fi;; esac; rm -rf {q}{runtime} || s=1; exit $s"
    )


def cleanup_stale_command(workdir: str) -> str:
    """Kill every DPDK process group a pidfile in `workdir/pids` names, and remove its runtime dir.

    Only groups whose leader's command line carries our file-prefix are killed: a recycled
    pid never takes another program down.
    """
    pids = shlex.quote(f"{workdir}/pids")
    return (
        f's=0; mkdir -p {pids} || exit 1; for f in {pids}/dpdktune_*.pid; do [ -e "$f" ] || continue; '
        f'n=$(basename "$f" .pid); p=$(cat "$f"); '
        f"case \"$p\" in ''|*[!0-9]*) ;; *) "
        f"if tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF -- \"--file-prefix=$n\"; then "
        f"{_KILL_GROUP}; fi;; esac; "
        f'rm -rf "/var/run/dpdk/$n" "${{XDG_RUNTIME_DIR:-/tmp}}/dpdk/$n" "$f" || s=1; done; exit $s'
    )
