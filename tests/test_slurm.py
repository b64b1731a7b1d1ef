"""`snakemake --profile profiles/slurm characterize` on a real one-node SLURM cluster (localhost).

The cluster is Debian's slurmctld + slurmd + munge, started by .ci/slurm-up.sh and stopped at
the end unless it was already running. It has no slurmdbd, as many lab clusters: the profile
polls squeue instead of sacct.
"""

import os
import re
import subprocess

import pyarrow.parquet as pq
import pytest
from conftest import IN_CI, require_program
from snakemake_helpers import REPO, snakemake_cmd, workdir

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

CAMPAIGN = {
    "workloads": ["flood64", "bursty"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 1,
    "seed": 7,
}
#: wall-clock facts of each run, not measurements: they differ between any two runs
TIMING = ["finished_at", "duration_s"]


def _cluster_up() -> bool:
    try:
        result = subprocess.run(["sinfo", "-h", "-o", "%a"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and "up" in result.stdout.split()


def _default_partition() -> str:
    out = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, timeout=10).stdout
    marked = [p.rstrip("*") for p in out.split() if p.endswith("*")]
    return marked[0] if marked else out.split()[0]


@pytest.fixture(scope="module")
def slurm_cluster():
    why = "the SLURM test needs Debian's slurmctld slurmd slurm-client munge"
    for program in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"):
        require_program(program, why)
    started = False
    if not _cluster_up():
        if os.geteuid() != 0:
            message = "no SLURM cluster is running, and starting one on localhost needs root"
            pytest.fail(message) if IN_CI else pytest.skip(message)
        up = subprocess.run([str(REPO / ".ci/slurm-up.sh")], capture_output=True, text=True, timeout=120)
        assert up.returncode == 0, f".ci/slurm-up.sh failed:\n{up.stdout}\n{up.stderr}"
        started = True
    try:
        yield _default_partition()
    finally:
        if started:
            subprocess.run([str(REPO / ".ci/slurm-down.sh")], capture_output=True, timeout=120)


def _snakemake(work, *args, env=None):
    result = subprocess.run(
        snakemake_cmd(work, *args),
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"PYTHONUNBUFFERED": "1"} | (env or {}),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout + result.stderr


def _job_state(job_id: str) -> dict[str, str]:
    out = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0, f"SLURM does not know job {job_id}: {out.stderr}"
    return dict(kv.split("=", 1) for kv in out.stdout.split() if "=" in kv)


def test_the_slurm_profile_runs_the_campaign_through_slurm_and_matches_a_local_run(slurm_cluster, tmp_path):
    (tmp_path / "local").mkdir()
    (tmp_path / "slurm").mkdir()
    local = workdir(tmp_path / "local", CAMPAIGN)
    _snakemake(local, "--cores", "2", "characterize")

    remote = workdir(tmp_path / "slurm", CAMPAIGN)
    log = _snakemake(
        remote,
        "--profile",
        str(REPO / "profiles/slurm"),
        "--slurm-init-seconds-before-status-checks",
        "1",
        "characterize",
        env={"DPDKTUNE_SLURM_PARTITION": slurm_cluster},
    )

    # Every batch went through sbatch: Snakemake names the SLURM job, SLURM knows it finished,
    # and the job's own log (named by its id) holds that batch's progress lines.
    submitted = re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)", log)
    batch_jobs = {}
    for job_id, job_log in submitted:
        match = re.search(r"/rule_run_batch/([^/]+)/(\d+)\.log$", job_log)
        if match:
            assert match.group(2) == job_id
            batch_jobs[match.group(1)] = (job_id, job_log)
    assert sorted(batch_jobs) == sorted(CAMPAIGN["workloads"]), log[-4000:]
    for workload, (job_id, job_log) in batch_jobs.items():
        state = _job_state(job_id)
        assert state["JobState"] == "COMPLETED", state
        assert state["Partition"] == slurm_cluster
        assert os.path.realpath(state["WorkDir"]) == os.path.realpath(remote)
        text = open(job_log).read()
        assert f"{workload}: " in text and "runs/s" in text, text[-2000:]

    # Same seed, same dataset, wherever it ran.
    got = pq.read_table(remote / "results/characterize/dataset.parquet").sort_by("run_id")
    want = pq.read_table(local / "results/characterize/dataset.parquet").sort_by("run_id")
    assert got.num_rows == want.num_rows == 2 * 4
    assert got.drop_columns(TIMING).equals(want.drop_columns(TIMING))
