"""The fast tier's process, whichever machine it runs on: l2fwd_tune's reports and its control channel.

l2fwd_tune decides once per interval on its own counters (`--interval-ms`) and prints one JSON
line per interval. A new tree reaches it through a control file and SIGHUP (`--control`): the
app fp_loads the .fpt and publishes it with fp_swap while its workers keep forwarding, then
answers with a `swap` line naming the request's seq. At exit it prints one statistics line.

This class holds what does not depend on where the app runs: the command line, the parsing of
its output into queues (reader threads feed `take_line`), the swap protocol and the app log.
A subclass starts the process and moves files and signals: runtime/local_app.py (subprocess on
this machine), runtime/ssh_app.py (paramiko on a testbed's DUT).
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from pathlib import Path
from typing import Any

#: how long the app may take to leave after SIGTERM (EAL clean-up) before it is killed
STOP_DEADLINE_S = 5.0  # Ctrl-C must not keep a user waiting; a killed app leaves no exit statistics
#: a reader thread ends at the EOF the app's exit gives; waiting longer would only hide a leak
READER_JOIN_S = 2.0
#: how long a swap may take to be answered (fp_load of a small file plus one grace period)
SWAP_DEADLINE_S = 10.0


class AppError(RuntimeError):
    """The app failed to build, start, answer or keep running (one line, with the log's tail)."""


def lcore_map(cpus: list[int], workers: int) -> str:
    """`--lcores`: the main lcore (it sleeps between intervals) on the first CPU, the workers
    spread over the others (all on the first on a one-CPU machine)."""
    rest = cpus[1:] or cpus[:1]
    return ",".join([f"0@{cpus[0]}"] + [f"{w + 1}@{rest[w % len(rest)]}" for w in range(workers)])


def new_prefix() -> str:
    """A run's own EAL --file-prefix: no two app processes (a killed run's and its rerun's) share
    EAL runtime files or shared memory."""
    return f"dpdktune_rt_{uuid.uuid4().hex[:8]}"


class AppDriver:
    """One l2fwd_tune process: its interval lines, its swap answers, its final statistics."""

    #: names the backend in error messages
    where = "app"

    def __init__(self, out_dir: Path, workers: int, interval_s: float, duration_s: float):
        self.out_dir = Path(out_dir)
        self.workers = workers
        self.interval_s = interval_s
        self.duration_s = duration_s
        self.log_path = self.out_dir / "app.log"
        self.prefix = new_prefix()
        self.intervals: queue.Queue = queue.Queue()
        self.answers: queue.Queue = queue.Queue()
        self.final: dict[str, Any] | None = None
        self.returncode: int | None = None
        self._seq = 0
        self.log = None
        self._threads: list[threading.Thread] = []

    # -- what the subclass provides ------------------------------------------------------------------
    def start(self) -> AppDriver:
        raise NotImplementedError

    def stop(self) -> int | None:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def _publish(self, seq: int, fpt: Path | None) -> None:
        """Put the tree where the app can fp_load it, replace the control file atomically, SIGHUP."""
        raise NotImplementedError

    def exit_code(self) -> int | None:
        raise NotImplementedError

    def _read_stdout(self) -> None:
        """Feed each line of the app's stdout to `take_line`, then call `end_of_output`."""
        raise NotImplementedError

    def _read_stderr(self) -> None:
        """Feed each line of the app's stderr to `take_log`."""
        raise NotImplementedError

    # -- the command line ----------------------------------------------------------------------------
    def eal_args(self, cpus: list[int], memory_mb: int, no_huge: bool = True) -> list[str]:
        return [
            *(["--no-huge"] if no_huge else []),
            "-m",
            str(memory_mb),
            "--no-pci",
            "--vdev=net_null0",
            "--vdev=net_null1",
            f"--file-prefix={self.prefix}",
            "--lcores",
            lcore_map(cpus, self.workers),
            "--log-level=lib.eal:error",
        ]

    def app_args(self, control: str) -> list[str]:
        return [
            "--interval-ms",
            str(max(1, int(round(self.interval_s * 1000)))),
            "--control",
            control,
            "--apply-rings",
            "--duration",
            f"{self.duration_s:.3f}",
        ]

    # -- output --------------------------------------------------------------------------------------
    def open_log(self, command: str) -> None:
        """app.log, appended to: a resumed run keeps the killed run's log above its own."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "a")
        self.log.write("$ " + command + "\n")
        self.log.flush()

    def take_line(self, line: str) -> None:
        """One line of the app's stdout."""
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            self.take_log(line)
            return
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "interval":
            self.intervals.put(msg)
        elif kind in ("swap", "status"):  # answers to the control channel
            self.answers.put(msg)
        elif isinstance(msg, dict):
            self.final = msg  # the statistics line the app prints at exit

    def start_readers(self) -> None:
        """One thread per output stream of the app (`_read_stdout`, `_read_stderr`)."""
        for target in (self._read_stdout, self._read_stderr):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)

    def join_readers(self) -> None:
        for t in self._threads:
            t.join(timeout=READER_JOIN_S)

    def end_of_output(self) -> None:
        self.intervals.put(None)  # the app has exited

    def take_log(self, line: str) -> None:
        try:
            self.log.write(line if line.endswith("\n") else line + "\n")
            self.log.flush()
        except (ValueError, AttributeError):  # closed after stop
            pass

    def close_log(self) -> None:
        if self.log is not None and not self.log.closed:
            self.log.close()

    def log_tail(self, n: int = 3) -> str:
        """The last lines the app wrote in this start (the command line excluded)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        lines = [x for x in text.rsplit("\n$ ", 1)[-1].splitlines()[1:] if x.strip()]
        return " | ".join(lines[-n:])

    def __enter__(self) -> AppDriver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the data plane's reports and the control channel ----------------------------------------------
    def next_interval(self, timeout: float) -> dict[str, Any] | None:
        """The next interval line; None when the app has exited; AppError when none comes in time."""
        try:
            return self.intervals.get(timeout=timeout)
        except queue.Empty:
            raise AppError(
                f"{self.where}: l2fwd_tune sent no interval report in {timeout:.0f} s ({self.log_tail()})"
            ) from None

    def swap(self, fpt: str | Path | None) -> dict[str, Any]:
        """Publish `fpt` in the running app (None: its compiled-in safe default); the app's answer,
        with `answer_ms` from the request to the answer (file transfer and signal included)."""
        if not self.alive():
            raise AppError(f"{self.where}: l2fwd_tune is not running ({self.log_tail()})")
        self._seq += 1
        seq = self._seq
        t0 = time.perf_counter()
        self._publish(seq, None if fpt is None else Path(fpt))
        deadline = t0 + SWAP_DEADLINE_S
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise AppError(f"{self.where}: l2fwd_tune did not answer swap {seq} in {SWAP_DEADLINE_S:.0f} s")
            try:
                answer = self.answers.get(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.alive():
                    raise AppError(f"{self.where}: l2fwd_tune exited during a swap ({self.log_tail()})") from None
                continue
            if answer.get("seq") == seq:
                answer["answer_ms"] = (time.perf_counter() - t0) * 1e3
                return answer
