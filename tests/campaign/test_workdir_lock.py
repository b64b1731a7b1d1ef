"""Two real `snakemake characterize` runs in one directory: the second refuses and touches nothing."""

import json
import subprocess
import time

import pyarrow.parquet as pq
import pytest
from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.campaign.workdir_lock import WorkdirBusy, acquire
from dpdktune.config import load_config
from snakemake_helpers import run_snakemake, snakemake_cmd, workdir

# 2 workloads x 4 configs x 40 trials: a few seconds per batch, long enough to start a second run.
CAMPAIGN = {
    "workloads": ["flood64", "bursty"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 40,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 4, "burst": 32},
}


def test_a_second_holder_is_refused_until_the_first_lets_go(tmp_path):
    path = tmp_path / "run.lock"
    held = acquire(path)
    with pytest.raises(WorkdirBusy, match="another snakemake run"):
        acquire(path)
    held.close()
    acquire(path).close()


def _lines(journal_dir):
    return {p.stem: p.read_text().count("\n") for p in journal_dir.glob("*.jsonl")}


@pytest.mark.slow
def test_a_second_run_in_the_same_directory_refuses_and_the_first_finishes_intact(tmp_path):
    work = workdir(tmp_path, CAMPAIGN)
    config = load_config(work / "override.yaml")
    journal_dir = work / "results" / "characterize" / "journal" / campaign_id(config)
    first = subprocess.Popen(
        snakemake_cmd(work, "--cores", "1", "characterize"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 120
    while not (journal_dir.exists() and sum(_lines(journal_dir).values())) and time.monotonic() < deadline:
        time.sleep(0.01)  # the first run is inside its first batch
    assert first.poll() is None, "the first run ended before the second could start"

    second = run_snakemake(work, "--cores", "1", "characterize", timeout=300)
    out = second.stdout + second.stderr
    assert second.returncode != 0, out
    refusal = [line for line in out.splitlines() if "another snakemake run" in line]
    assert len(refusal) == 1 and str(work) in refusal[0], out
    assert "Traceback" not in out and "Error in rule" not in out, out
    assert first.poll() is None, "the first run must still be going when the second has given up"

    log, _ = first.communicate(timeout=300)
    assert first.returncode == 0, log
    per_workload = expected_runs(config) // 2
    assert _lines(journal_dir) == {"flood64": per_workload, "bursty": per_workload}, "a run was repeated"
    dataset = pq.read_table(work / "results/characterize/dataset.parquet")
    assert dataset.num_rows == len(set(dataset["run_id"].to_pylist())) == expected_runs(config)
    manifest = json.loads((work / "results/characterize/manifest.json").read_text())
    assert manifest["done_runs"] == expected_runs(config)
    for batch in ("flood64", "bursty"):
        assert pq.read_table(work / f"results/characterize/batches/{batch}.parquet").num_rows == per_workload
    assert (work / "results/characterize/archived.json").exists()
