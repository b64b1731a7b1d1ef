"""The fast tier on `--backend local`: the real DPDK app csrc/l2fwd_tune as a child process.

The app is built against the system DPDK (pkg-config libdpdk) with the safe default compiled in
(a one-leaf tree: `fp_swap(NULL)` in the app is the fallback). It runs on virtual devices
(`--no-huge --no-pci --vdev=net_null0 --vdev=net_null1`), decides once per interval on its own
counters (`--interval-ms`) and prints one JSON line per interval. A new tree reaches it through
a control file and SIGHUP (`--control`): the app fp_loads the .fpt and publishes it with
fp_swap while its workers keep forwarding, then answers with a `swap` line naming the request.

Stdout and stderr are read by threads while the app runs (a full pipe never stalls it), and
the app is always stopped: `stop()` (SIGTERM, then SIGKILL of its process group after a
deadline) runs on exit from the `with` block, on errors and on Ctrl-C; the kernel kills it
too if this process dies first (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from dpdktune.codegen.render import CSRC

APP_DIR = CSRC / "l2fwd_tune"
#: how long the app may take to leave after SIGTERM (EAL clean-up) before it is killed
STOP_DEADLINE_S = 5.0  # Ctrl-C must not keep a user waiting; a killed app leaves no exit statistics
#: a reader thread ends at the EOF the app's exit gives; waiting longer would only hide a leak
READER_JOIN_S = 2.0
#: how long a swap may take to be answered (fp_load of a small file plus one grace period)
SWAP_DEADLINE_S = 10.0


class AppError(RuntimeError):
    """The app failed to build, start, answer or keep running (one line, with the log's tail)."""


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


def lcores(workers: int) -> str:
    """`--lcores`: the main lcore (it sleeps between intervals) on CPU 0, the workers spread over
    the other CPUs (all on CPU 0 on a one-CPU machine)."""
    cpus = sorted(os.sched_getaffinity(0))
    rest = cpus[1:] or cpus[:1]
    return ",".join([f"0@{cpus[0]}"] + [f"{w + 1}@{rest[w % len(rest)]}" for w in range(workers)])


def eal_runtime_dir(prefix: str) -> Path:
    """Where EAL keeps a --file-prefix's runtime files (its config, its sockets)."""
    if os.geteuid() == 0:
        return Path("/var/run/dpdk") / prefix
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / "dpdk" / prefix


class LocalApp:
    """One l2fwd_tune process: its interval lines, its swap answers, its final statistics."""

    def __init__(
        self, app: Path, out_dir: Path, workers: int, interval_s: float, duration_s: float, memory_mb: int = 1024
    ):
        self.app = Path(app)
        self.out_dir = Path(out_dir)
        self.control = self.out_dir / "control"
        self.log_path = self.out_dir / "app.log"
        self.prefix = f"dpdktune_rt_{uuid.uuid4().hex[:8]}"  # this run's own EAL runtime folder
        self.cmd = [
            str(self.app),
            "--no-huge",
            "-m",
            str(memory_mb),
            "--no-pci",
            "--vdev=net_null0",
            "--vdev=net_null1",
            f"--file-prefix={self.prefix}",
            "--lcores",
            lcores(workers),
            "--log-level=lib.eal:error",
            "--",
            "--interval-ms",
            str(max(1, int(round(interval_s * 1000)))),
            "--control",
            str(self.control),
            "--apply-rings",
            "--duration",
            f"{duration_s:.3f}",
        ]
        self.proc: subprocess.Popen | None = None
        self.intervals: queue.Queue = queue.Queue()
        self.answers: queue.Queue = queue.Queue()
        self.final: dict[str, Any] | None = None
        self.returncode: int | None = None
        self._seq = 0
        self._threads: list[threading.Thread] = []

    # -- life cycle ------------------------------------------------------------------------------------
    def start(self) -> LocalApp:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "w")
        self.log.write("$ " + " ".join(self.cmd) + "\n")
        self.log.flush()
        self.proc = subprocess.Popen(
            self.cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=_die_with_parent,
            env={**os.environ, "FP_RCU_FENCE": os.environ.get("FP_RCU_FENCE", "0")},
        )
        for target in (self._read_stdout, self._read_stderr):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def __enter__(self) -> LocalApp:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                self._log(line)
                continue
            kind = msg.get("type") if isinstance(msg, dict) else None
            if kind == "interval":
                self.intervals.put(msg)
            elif kind == "swap":
                self.answers.put(msg)
            elif isinstance(msg, dict):
                self.final = msg  # the statistics line the app prints at exit
        self.intervals.put(None)  # end of output: the app has exited

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self._log(line)

    def _log(self, line: str) -> None:
        try:
            self.log.write(line if line.endswith("\n") else line + "\n")
            self.log.flush()
        except ValueError:  # closed after stop
            pass

    def log_tail(self, n: int = 3) -> str:
        try:
            lines = [x for x in self.log_path.read_text(errors="replace").splitlines()[1:] if x.strip()]
        except OSError:
            return ""
        return " | ".join(lines[-n:])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

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
        for t in self._threads:
            t.join(timeout=READER_JOIN_S)
        self.returncode = self.proc.returncode
        shutil.rmtree(eal_runtime_dir(self.prefix), ignore_errors=True)  # --in-memory refuses --no-huge
        if not self.log.closed:
            self.log.close()
        return self.returncode

    # -- the data plane's reports and the control channel ----------------------------------------------
    def next_interval(self, timeout: float) -> dict[str, Any] | None:
        """The next interval line; None when the app has exited; AppError when none comes in time."""
        try:
            return self.intervals.get(timeout=timeout)
        except queue.Empty:
            raise AppError(
                f"local: l2fwd_tune sent no interval report in {timeout:.0f} s ({self.log_tail()})"
            ) from None

    def swap(self, fpt: str | Path | None) -> dict[str, Any]:
        """Publish `fpt` in the running app (None: its compiled-in safe default); the app's answer.
        The control file is replaced atomically, then SIGHUP; the answer names the request's seq."""
        from dpdktune.atomic import write_bytes

        if not self.alive():
            raise AppError(f"local: l2fwd_tune is not running ({self.log_tail()})")
        self._seq += 1
        seq = self._seq
        path = "default" if fpt is None else str(Path(fpt).resolve())
        write_bytes(f"seq {seq}\ntree {path}\n".encode(), self.control)
        t0 = time.perf_counter()
        self.proc.send_signal(signal.SIGHUP)
        deadline = t0 + SWAP_DEADLINE_S
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise AppError(f"local: l2fwd_tune did not answer swap {seq} in {SWAP_DEADLINE_S:.0f} s")
            try:
                answer = self.answers.get(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.alive():
                    raise AppError(f"local: l2fwd_tune exited during a swap ({self.log_tail()})") from None
                continue
            if answer.get("seq") == seq:
                answer["answer_ms"] = (time.perf_counter() - t0) * 1e3
                return answer
