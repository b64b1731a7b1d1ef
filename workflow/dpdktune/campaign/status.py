"""Sweep progress from the journals: done, failed and remaining runs, and an ETA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpdktune.campaign.journal import read_journal
from dpdktune.campaign.plan import campaign_id, campaign_workloads, expected_runs
from dpdktune.sections import section

#: wall seconds per run before any has finished. sim: the default campaign's 5,625 runs in
#: 20.1 s, Snakemake and Parquet included; local: testpmd start-up and stop around the window
#: took 2.3-3.3 s per run on the VM (docs/benchmarks.md). ssh adds round trips (an assumption).
SIM_RUN_S = 0.0036
TESTPMD_OVERHEAD_S = {"local": 2.5, "ssh": 3.0}


def estimated_run_s(config: dict[str, Any]) -> float:
    """Seconds one run is expected to take, from the config alone (warm-up + window + overhead)."""
    backend = config["backend"]
    if backend == "sim":
        return SIM_RUN_S
    run = section(config, "local") if backend == "local" else section(config, "ssh").run
    return run.warmup_s + run.measure_s + TESTPMD_OVERHEAD_S[backend]


def eta_s(runs: int, run_s: float, parallel_jobs: int = 1) -> float:
    """The cost model of `dpdktune status` and `check-config`: runs x seconds per run / jobs."""
    return runs * run_s / max(1, parallel_jobs)


@dataclass(frozen=True)
class Progress:
    campaign_id: str
    expected: int
    done: int
    failed: int
    mean_run_s: float | None
    failures: list[tuple[str, str]]
    #: the config's estimate, used until a run has finished
    estimated_run_s: float | None = None

    @property
    def remaining(self) -> int:
        return self.expected - self.done - self.failed

    def eta_s(self, parallel_jobs: int = 1) -> float | None:
        """Remaining runs times the measured (else estimated) run duration, over the parallel jobs."""
        run_s = self.mean_run_s if self.mean_run_s is not None else self.estimated_run_s
        return None if run_s is None else eta_s(self.remaining, run_s, parallel_jobs)


def journal_dir(config: dict[str, Any], results: str | Path = "results") -> Path:
    return Path(results) / "characterize" / "journal" / campaign_id(config)


def progress(config: dict[str, Any], results: str | Path = "results") -> Progress:
    done = failed = 0
    durations: list[float] = []
    failures: list[tuple[str, str]] = []
    folder = journal_dir(config, results)
    for workload in campaign_workloads(config):
        for entry in read_journal(folder / f"{workload.name}.jsonl"):
            record = entry["record"]
            if record["status"] == "ok":
                done += 1
                durations.append(record["duration_s"])
            else:
                failed += 1
                failures.append((record["run_id"], record["failure_reason"]))
    return Progress(
        campaign_id=campaign_id(config),
        expected=expected_runs(config),
        done=done,
        failed=failed,
        mean_run_s=sum(durations) / len(durations) if durations else None,
        failures=failures,
        estimated_run_s=estimated_run_s(config),
    )


def format_progress(p: Progress, parallel_jobs: int = 1, max_failures: int = 10) -> str:
    share = 100.0 * (p.done + p.failed) / p.expected if p.expected else 100.0
    eta = p.eta_s(parallel_jobs)
    lines = [
        f"campaign  {p.campaign_id}",
        f"runs      {p.done + p.failed}/{p.expected} recorded ({share:.1f} %): "
        f"{p.done} done, {p.failed} failed, {p.remaining} remaining",
        "mean run  " + (f"{p.mean_run_s * 1000:.2f} ms (measured)" if p.mean_run_s is not None else "n/a"),
        "ETA       "
        + (
            f"{format_duration(eta)} at {parallel_jobs} parallel job(s)"
            + ("" if p.mean_run_s is not None else ", estimated from the config (no run finished yet)")
            if eta is not None
            else "unknown (no finished run yet)"
        ),
    ]
    for run_id, reason in p.failures[:max_failures]:
        lines.append(f"failed    {run_id}: {reason}")
    if len(p.failures) > max_failures:
        lines.append(f"failed    ... and {len(p.failures) - max_failures} more (see the manifest)")
    return "\n".join(lines)


def format_duration(seconds: float) -> str:
    """ "42 s", "3.5 h" or "12.3 days": the unit that keeps the number short."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
