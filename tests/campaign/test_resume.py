"""kill -9 in the middle of a real `snakemake characterize`, rerun, and lose or repeat nothing."""

import json
import os
import signal
import subprocess
import time

import pyarrow.parquet as pq
import pytest
from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.config import load_config
from snakemake_helpers import run_snakemake, snakemake_cmd, workdir

pytestmark = pytest.mark.slow  # runs the real Snakemake

# 2 workloads x 8 configs x 40 trials: long enough (~seconds per batch) to be killed mid-batch.
RESUME_CAMPAIGN = {
    "workloads": ["flood64", "bursty"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [16, 32]},
    "trials": 40,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 4, "burst": 32},
}


def _journal_lines(journal_dir):
    return {p.stem: p.read_text().count("\n") for p in journal_dir.glob("*.jsonl")}


def test_kill_9_mid_sweep_then_rerun_finishes_without_repeats_or_losses(tmp_path):
    work = workdir(tmp_path, RESUME_CAMPAIGN)
    config = load_config(work / "override.yaml")
    journal_dir = work / "results" / "characterize" / "journal" / campaign_id(config)
    per_workload = expected_runs(config) // 2

    proc = subprocess.Popen(
        snakemake_cmd(work, "--cores", "2", "characterize"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until some, but not all, runs are journaled
        lines = _journal_lines(journal_dir) if journal_dir.exists() else {}
        if sum(lines.values()) >= 20:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = _journal_lines(journal_dir)
    assert 0 < sum(killed_at.values()) < expected_runs(config), "the kill must land mid-sweep"
    assert not (work / "results/characterize/dataset.parquet").exists()

    result = run_snakemake(work, "--cores", "2", "characterize")
    assert result.returncode == 0, result.stdout + result.stderr

    final = _journal_lines(journal_dir)
    assert final == {"flood64": per_workload, "bursty": per_workload}, "a run was repeated or lost"
    dataset = pq.read_table(work / "results/characterize/dataset.parquet")
    assert dataset.num_rows == expected_runs(config)
    assert len(set(dataset["run_id"].to_pylist())) == dataset.num_rows
    manifest = json.loads((work / "results/characterize/manifest.json").read_text())
    assert manifest["expected_runs"] == manifest["done_runs"] == expected_runs(config)
    assert manifest["failed_runs"] == 0
    archive = work / "results" / "archive" / campaign_id(config)
    assert (archive / "dataset.parquet").exists() and (archive / "config.yaml").exists()
    assert not os.access(archive / "dataset.parquet", os.W_OK) or os.geteuid() == 0
    assert not (archive / "dataset.parquet").stat().st_mode & 0o222, "the archive must be read-only"
