"""Drive an interactive testpmd through a warm-up and a measurement window, and turn what it
printed into a `RunResult`. The process may be local or remote: both give an `OutputBuffer`
that a reader thread fills while the program runs, and a `write` for its stdin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from dpdktune.backends import collectors, testpmd
from dpdktune.backends.base import RunFailed, RunResult
from dpdktune.knobs import Knobs
from dpdktune.metrics.schema import METRIC_NAMES, TIMESERIES_METRICS

FCS_BYTES = 4
TAIL_LINES = 40


class OutputBuffer:
    """Text a reader thread appends to while the program runs; waiters block on a condition."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._text = ""
        self._cond = threading.Condition()
        self.closed = False

    def append(self, data: str) -> None:
        with self._cond:
            self._parts.append(data)
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    @property
    def text(self) -> str:
        with self._cond:
            if self._parts:
                self._text += "".join(self._parts)
                self._parts.clear()
            return self._text

    def wait_for(self, needle: str, start: int, deadline: float) -> int:
        """Index just past the first `needle` at or after `start`; raises TimeoutError at the
        monotonic `deadline` and EOFError when the stream closed without it."""
        while True:
            text = self.text
            i = text.find(needle, start)
            if i >= 0:
                return i + len(needle)
            with self._cond:
                if self._parts:
                    continue
                if self.closed:
                    raise EOFError(needle)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(needle)
                self._cond.wait(min(left, 0.5))

    def tail(self, lines: int = TAIL_LINES) -> str:
        return "\n".join(self.text.splitlines()[-lines:])


class DpdkProcess(Protocol):
    output: OutputBuffer

    def write(self, text: str) -> None: ...

    def returncode(self) -> int | None: ...

    def kill(self) -> None: ...


class Host(Protocol):
    """Where the process runs: local or remote. `run` has a deadline and never raises for a
    non-zero exit; it raises RunFailed only when the command could not be run or timed out."""

    cpus: int

    def run(self, command: str, deadline_s: float) -> tuple[int, str, str]: ...

    def proc_stat(self) -> str: ...


class Session:
    """testpmd's interactive prompt: send a command, get the text it printed before the next prompt."""

    def __init__(self, proc: DpdkProcess, deadline: float):
        self.proc = proc
        self.deadline = deadline
        self._pos = 0

    def _fail(self, what: str) -> RunFailed:
        end = time.monotonic() + 1.0
        rc = self.proc.returncode()
        while rc is None and self.proc.output.closed and time.monotonic() < end:
            time.sleep(0.02)  # output closes a moment before the exit status is there
            rc = self.proc.returncode()
        state = f"exited with status {rc}" if rc is not None else "still running"
        return RunFailed(f"testpmd {what} ({state})", self.proc.output.tail())

    def wait_prompt(self) -> str:
        try:
            end = self.proc.output.wait_for(testpmd.PROMPT, self._pos, self.deadline)
        except TimeoutError:
            raise self._fail("did not answer before the run's deadline") from None
        except EOFError:
            raise self._fail("closed its output") from None
        text = self.proc.output.text[self._pos : end]
        self._pos = end
        return text

    def command(self, line: str) -> str:
        if self.proc.returncode() is not None:
            raise self._fail(f"died before {line!r}")
        try:
            self.proc.write(line + "\n")
        except OSError as exc:
            raise self._fail(f"stdin closed before {line!r}: {exc}") from None
        return self.wait_prompt()

    def sleep(self, seconds: float) -> None:
        """Sleep, but notice a process that died meanwhile."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self.proc.returncode() is not None:
                raise self._fail("died during the run")
            time.sleep(min(left, 0.05))


@dataclass
class Window:
    """Raw readings of one measurement window, all on the clock that starts at the window."""

    elapsed_s: float
    xstats_before: dict[int, dict[str, int]]
    xstats_after: dict[int, dict[str, int]]
    fwd: dict[str, Any]
    samples: list[tuple[float, dict[int, dict[str, int]], str | None]] = field(default_factory=list)
    proc_before: str = ""
    proc_after: str = ""
    perf_out: str | None = None
    perf_error: str = ""


def measure_window(
    session: Session,
    host: Host,
    settings: testpmd.TestpmdSettings,
    perf_pid: int | None,
    sample_cpu: bool,
    on_start: list[Callable[[], None]] | None = None,
) -> Window:
    """After the first prompt: warm up, clear, sample port stats, then read fwd stats and xstats."""
    session.sleep(settings.warmup_s)
    xs0 = testpmd.parse_xstats(session.command("show port xstats all"))
    session.command("clear fwd stats all")
    t0 = time.monotonic()
    # read /proc/stat beside the window's start: on a remote host that takes a round trip
    proc0_box: dict[str, str] = {}
    proc0_thread = threading.Thread(target=lambda: proc0_box.update(text=host.proc_stat()), daemon=True)
    proc0_thread.start()
    if sample_cpu:
        proc0_thread.join()
    samples = [
        (time.monotonic() - t0, testpmd.parse_port_stats(session.command("show port stats all")), proc0_box.get("text"))
    ]

    perf: dict[str, Any] = {"out": None, "error": "perf pid unknown"}

    def run_perf() -> None:
        try:
            rc, out, err = host.run(
                collectors.perf_command(settings.perf, perf_pid, settings.measure_s), settings.measure_s + 10
            )
            perf["out"], perf["error"] = (err, "") if rc == 0 else (None, f"exit {rc}: {err.strip()[-300:]}")
        except RunFailed as exc:
            perf["error"] = exc.reason

    perf_thread = threading.Thread(target=run_perf, daemon=True) if perf_pid else None
    if perf_thread:
        perf_thread.start()
    for hook in on_start or []:
        hook()  # other collectors (PCM) start on the same clock

    interval = settings.sample_interval_s
    next_t = interval
    while interval > 0 and next_t <= settings.measure_s + 1e-9:
        session.sleep(max(0.0, t0 + next_t - time.monotonic()))
        stats = testpmd.parse_port_stats(session.command("show port stats all"))
        samples.append((time.monotonic() - t0, stats, host.proc_stat() if sample_cpu else None))
        next_t += interval
    session.sleep(max(0.0, t0 + settings.measure_s - time.monotonic()))
    fwd = testpmd.parse_fwd_stats(session.command("show fwd stats all"))
    xs1 = testpmd.parse_xstats(session.command("show port xstats all"))
    elapsed = time.monotonic() - t0
    proc1 = host.proc_stat()
    proc0_thread.join(timeout=30)
    proc0 = proc0_box.get("text", "")
    if perf_thread:
        perf_thread.join(timeout=15)
    return Window(elapsed, xs0, xs1, fwd, samples, proc0, proc1, perf["out"], perf["error"])


def stop(session: Session, grace_s: float = 5.0) -> None:
    """Ask testpmd to stop and quit; the caller kills the process group afterwards anyway."""
    try:
        session.proc.write("stop\nquit\n")
    except OSError:
        return
    end = time.monotonic() + grace_s
    while session.proc.returncode() is None and time.monotonic() < end:
        time.sleep(0.05)


def _delta(before: dict[int, dict[str, int]], after: dict[int, dict[str, int]], key: str) -> dict[int, int]:
    return {p: after[p].get(key, 0) - before.get(p, {}).get(key, 0) for p in after}


def assemble(
    window: Window,
    applied: Knobs,
    cpus_used: list[int],
    source_ports: list[int],
    unmeasured: dict[str, str],
    extra: dict[str, Any],
    offered: tuple[int, int] | None = None,
) -> RunResult:
    """Metrics from the window's readings; every metric not measured is None with its reason.

    `offered`: (packets offered, packets dropped before the DUT saw them) when a generator
    counted them; otherwise what reached the source ports is what was offered."""
    el = window.elapsed_s
    tx = _delta(window.xstats_before, window.xstats_after, "tx_good_packets")
    rx = _delta(window.xstats_before, window.xstats_after, "rx_good_packets")
    rx_bytes = _delta(window.xstats_before, window.xstats_after, "rx_good_bytes")
    missed = _delta(window.xstats_before, window.xstats_after, "rx_missed_errors")
    nombuf = _delta(window.xstats_before, window.xstats_after, "rx_mbuf_allocation_errors")
    tx_dropped = sum(p.get("tx_dropped", 0) for p in window.fwd["ports"].values())
    forwarded = sum(tx.values())
    dropped = sum(missed[p] + nombuf[p] for p in source_ports) + tx_dropped
    if offered is None:
        offered_pkts = sum(rx[p] + missed[p] + nombuf[p] for p in source_ports)
    else:
        offered_pkts, before_dut = offered
        dropped += before_dut
    # net_null counts no bytes: the mean frame comes from the ports that do
    counted = [p for p in source_ports if rx_bytes.get(p, 0) > 0]
    src_rx = sum(rx[p] for p in counted)
    src_bytes = sum(rx_bytes[p] for p in counted)

    metrics: dict[str, Any] = {name: None for name in METRIC_NAMES}
    missing: dict[str, str] = {}
    metrics["throughput_mpps"] = forwarded / el / 1e6
    if src_rx > 0 and src_bytes > 0:
        frame = src_bytes / src_rx + FCS_BYTES
        metrics["throughput_gbps"] = forwarded * frame * 8 / el / 1e9
        extra["mean_frame_bytes"] = frame
    else:
        missing["throughput_gbps"] = "the source port counted no bytes"
    metrics["offered_mpps"] = offered_pkts / el / 1e6
    metrics["drop_rate"] = min(1.0, dropped / offered_pkts) if offered_pkts > 0 else None
    if offered_pkts <= 0:
        missing["drop_rate"] = "nothing was offered in the window"
    else:  # the data plane's own counters that port stats give directly
        metrics["rx_mpps"] = sum(rx[p] for p in source_ports) / el / 1e6
        metrics["imissed_rate"] = min(1.0, sum(missed[p] for p in source_ports) / offered_pkts)
        metrics["tx_drop_rate"] = min(1.0, tx_dropped / offered_pkts)

    fwd = window.fwd
    if "cycles_per_packet" in fwd and fwd.get("total_packets", 0) > 0:
        metrics["cycles_per_packet"] = fwd["cycles_per_packet"]
        busy = fwd["total_cycles"] / (el * fwd["tsc_mhz"] * 1e6 * applied.cores)
        metrics["useful_cycles_fraction"] = min(1.0, busy)
    else:
        for m in ("cycles_per_packet", "useful_cycles_fraction"):
            missing[m] = "testpmd printed no CPU cycles/packet line (no packets forwarded?)"

    if window.proc_before and window.proc_after:
        util = collectors.cpu_utilisation(window.proc_before, window.proc_after, cpus_used)
        metrics["cpu_util"] = [float(u) if u is not None else float("nan") for u in util]
    else:
        missing["cpu_util"] = "/proc/stat could not be read"

    llc, why = collectors.llc_misses(window.perf_out, window.perf_error, forwarded)
    metrics["llc_misses_per_packet"] = llc
    if why:
        missing["llc_misses_per_packet"] = why
    bursts = testpmd.burst_distribution(fwd, source_ports)
    if bursts.get("polls") and bursts.get("mean_per_nonempty_poll") is not None:
        metrics["rx_burst_fill"] = min(1.0, bursts["mean_per_nonempty_poll"] / applied.burst)
        metrics["empty_poll_share"] = bursts["empty_poll_fraction"]
    for name, reason in unmeasured.items():
        if metrics.get(name) is None:
            missing[name] = reason
    for name in METRIC_NAMES:
        if metrics[name] is None and name not in missing:
            missing[name] = "not measured by this backend"

    extra.update(
        window_s=el,
        packets={
            "forwarded": forwarded,
            "offered": offered_pkts,
            "imissed": sum(missed.values()),
            "rx_nombuf": sum(nombuf.values()),
            "tx_dropped": tx_dropped,
        },
        burst_distribution=bursts,
        fwd_stats=fwd,
        xstats_delta={
            p: {k: v - window.xstats_before.get(p, {}).get(k, 0) for k, v in s.items()}
            for p, s in window.xstats_after.items()
        },
        cpus_measured=cpus_used,
    )
    if fwd.get("tsc_mhz"):
        extra["tsc_mhz"] = fwd["tsc_mhz"]
    return RunResult(
        metrics=metrics,
        applied=applied,
        missing_reasons=missing,
        timeseries=_timeseries(window, source_ports, cpus_used[1:]),
        extra=extra,
    )


def _timeseries(window: Window, source_ports: list[int], fwd_cpus: list[int]) -> dict[str, np.ndarray]:
    """Rates between consecutive port-stats samples, stamped at each interval's midpoint."""
    points = window.samples
    if not points:
        return {}
    cols: dict[str, list[float]] = {"t_s": [], **{m: [] for m in TIMESERIES_METRICS}}
    prev_t, prev_stats, prev_proc = points[0]
    for t, stats, proc in points[1:]:
        if t > prev_t:
            dt = t - prev_t
            d = {k: _delta(prev_stats, stats, k) for k in ("tx_packets", "rx_packets", "rx_missed", "rx_nombuf")}
            off = sum(d["rx_packets"][p] + d["rx_missed"][p] + d["rx_nombuf"][p] for p in source_ports)
            drop = sum(d["rx_missed"][p] + d["rx_nombuf"][p] for p in source_ports)
            cols["t_s"].append((t + prev_t) / 2)
            cols["throughput_mpps"].append(sum(d["tx_packets"].values()) / dt / 1e6)
            cols["offered_mpps"].append(off / dt / 1e6)
            cols["dropped_mpps"].append(drop / dt / 1e6)
            busy = (
                [u for u in collectors.cpu_utilisation(prev_proc, proc, fwd_cpus) if u is not None]
                if prev_proc and proc
                else []
            )
            cols["cpu_busy_fraction"].append(float(np.mean(busy)) if busy else np.nan)
            for m in ("ring_occupancy", "latency_us", "pcie_wr_gbps", "dram_gbps"):
                cols[m].append(np.nan)
        prev_t, prev_stats, prev_proc = t, stats, proc
    return {k: np.asarray(v, dtype=float) for k, v in cols.items()}
