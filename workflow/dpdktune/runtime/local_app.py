"""The fast tier on `--backend local`: the real DPDK app csrc/l2fwd_tune as a child process.

The app is built against the system DPDK (pkg-config libdpdk) with the safe default compiled in
(a one-leaf tree: `fp_swap(NULL)` in the app is the fallback). It runs on virtual devices
(`--no-huge --no-pci --vdev=net_null0 --vdev=net_null1`); its reports and swap protocol are
runtime/app_driver.py's.

Stdout and stderr are read by threads while the app runs (a full pipe never stalls it), and
the app is always stopped: `stop()` (SIGTERM, then SIGKILL of its process group after a
deadline) runs on exit from the `with` block, on errors and on Ctrl-C; the kernel kills it
too if this process dies first (PR_SET_PDEATHSIG). Its pid and file prefix are recorded in
app.json, so that a rerun after a kill -9 can make sure no app of the killed run is left.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from dpdktune.codegen.render import CSRC
from dpdktune.runtime.app_driver import STOP_DEADLINE_S, AppDriver, AppError

__all__ = ["APP_DIR", "AppError", "LocalApp", "build_app", "check_toolchain", "eal_runtime_dir"]

APP_DIR = CSRC / "l2fwd_tune"


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the parent dies, so a killed runtime leaves no app."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def check_toolchain(cc: str = "cc") -> None:
    """One-line error naming what is missing to build l2fwd_tune."""
    for program, why in (("pkg-config", "finds libdpdk"), ("make", "builds l2fwd_tune"), (cc, "compiles it")):
        if not shutil.which(program):
            raise AppError(
                f"local: {program} not found ({why}; install it, e.g. apt-get install build-essential "
                f"pkg-config dpdk-dev)"
            )
    if subprocess.run(["pkg-config", "--exists", "libdpdk"], timeout=30).returncode != 0:
        raise AppError("local: libdpdk not found by pkg-config (install dpdk-dev / libdpdk-dev)")


def build_app(table: dict[str, Any], out_dir: Path, cc: str = "cc") -> Path:
    """out_dir/l2fwd_tune with `table` compiled in (kept when the tree's C has not changed)."""
    from dpdktune.codegen import build

    check_toolchain(cc)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = build.generate(table, out_dir)
    proc = subprocess.run(
        [
            "make",
            "-C",
            str(APP_DIR),
            f"BUILD={out_dir.resolve()}",
            f"CC={cc}",
            f"FASTPATH_TREE={Path(files['source']).resolve()}",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise AppError(f"local: building l2fwd_tune failed: {tail}")
    return out_dir / "l2fwd_tune"


def eal_runtime_dir(prefix: str) -> Path:
    """Where EAL keeps a --file-prefix's runtime files (its config, its sockets)."""
    if os.geteuid() == 0:
        return Path("/var/run/dpdk") / prefix
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / "dpdk" / prefix


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def reap_stale(record: dict[str, Any]) -> bool:
    """Kill the app a killed run left (app.json's pid, if its command line still carries that run's
    file prefix: a recycled pid is never touched) and drop its EAL runtime folder; whether one was."""
    pid, prefix = record.get("pid"), record.get("prefix")
    if not isinstance(pid, int) or not isinstance(prefix, str) or not prefix.startswith("dpdktune_rt_"):
        return False
    found = f"--file-prefix={prefix}" in _cmdline(pid)
    if found:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + STOP_DEADLINE_S
        while f"--file-prefix={prefix}" in _cmdline(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    shutil.rmtree(eal_runtime_dir(prefix), ignore_errors=True)
    return found


class LocalApp(AppDriver):
    """l2fwd_tune as a child process of this one."""

    where = "local"

    def __init__(
        self, app: Path, out_dir: Path, workers: int, interval_s: float, duration_s: float, memory_mb: int = 1024
    ):
        super().__init__(out_dir, workers, interval_s, duration_s)
        self.app = Path(app)
        self.control = self.out_dir / "control"
        cpus = sorted(os.sched_getaffinity(0))
        self.cmd = [str(self.app), *self.eal_args(cpus, memory_mb), "--", *self.app_args(str(self.control))]
        self.proc: subprocess.Popen | None = None

    def record(self) -> dict[str, Any]:
        """What a rerun needs to find this app if this process is killed (app.json)."""
        return {"backend": "local", "pid": self.proc.pid if self.proc else None, "prefix": self.prefix}

    def start(self) -> LocalApp:
        from dpdktune.atomic import write_json

        self.open_log(" ".join(self.cmd))
        self.proc = subprocess.Popen(
            self.cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            env={**os.environ, "FP_RCU_FENCE": os.environ.get("FP_RCU_FENCE", "0")},
        )
        write_json(self.record(), self.out_dir / "app.json")
        self.start_readers()
        return self

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            self.take_line(line)
        self.end_of_output()

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.take_log(line)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_code(self) -> int | None:
        return self.proc.poll() if self.proc else None

    def stop(self) -> int | None:
        """Stop the app (SIGTERM; SIGKILL to its process group after STOP_DEADLINE_S); its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=STOP_DEADLINE_S)
        self.join_readers()
        self.returncode = self.proc.returncode
        shutil.rmtree(eal_runtime_dir(self.prefix), ignore_errors=True)  # --in-memory refuses --no-huge
        self.close_log()
        return self.returncode

    def _publish(self, seq: int, fpt: Path | None) -> None:
        from dpdktune.atomic import write_bytes

        path = "default" if fpt is None else str(fpt.resolve())
        write_bytes(f"seq {seq}\ntree {path}\n".encode(), self.control)
        self.proc.send_signal(signal.SIGHUP)
