"""Sweep progress from the journals: done, failed and remaining runs, and an ETA."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dpdktune.campaign.journal import read_journal
from dpdktune.campaign.plan import campaign_id, campaign_workloads, expected_runs


@dataclass(frozen=True)
class Progress:
    campaign_id: str
    expected: int
    done: int
    failed: int
    mean_run_s: float | None
    failures: list[tuple[str, str]]

    @property
    def remaining(self) -> int:
        return self.expected - self.done - self.failed

    def eta_s(self, parallel_jobs: int = 1) -> float | None:
        """Remaining runs times the measured mean run duration, spread over the parallel jobs."""
        if self.mean_run_s is None:
            return None
        return self.remaining * self.mean_run_s / max(1, parallel_jobs)


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
    )


def format_progress(p: Progress, parallel_jobs: int = 1, max_failures: int = 10) -> str:
    share = 100.0 * (p.done + p.failed) / p.expected if p.expected else 100.0
    eta = p.eta_s(parallel_jobs)
    lines = [
        f"campaign  {p.campaign_id}",
        f"runs      {p.done + p.failed}/{p.expected} recorded ({share:.1f} %): "
        f"{p.done} done, {p.failed} failed, {p.remaining} remaining",
        "mean run  " + (f"{p.mean_run_s * 1000:.2f} ms (measured)" if p.mean_run_s is not None else "n/a"),
        "ETA       " + (f"{eta:.0f} s at {parallel_jobs} parallel job(s)" if eta is not None else "unknown (no finished run yet)"),
    ]
    for run_id, reason in p.failures[:max_failures]:
        lines.append(f"failed    {run_id}: {reason}")
    if len(p.failures) > max_failures:
        lines.append(f"failed    ... and {len(p.failures) - max_failures} more (see the manifest)")
    return "\n".join(lines)
