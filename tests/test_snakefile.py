"""The workflow itself: lint-clean, resolvable, and config errors stop it before any rule runs."""

import pytest
from snakemake_helpers import run_snakemake, workdir


@pytest.mark.slow
def test_lint_is_clean(tmp_path):
    result = run_snakemake(workdir(tmp_path), "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


@pytest.mark.slow
def test_dry_run_resolves_characterize_with_one_batch_per_workload(tmp_path):
    result = run_snakemake(workdir(tmp_path), "-n", "--cores", "2", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "run_batch" in out and "merge_dataset" in out and "archive_campaign" in out
    # the job-count table lists 15 run_batch jobs for the 15 default workloads
    assert any(line.split()[:2] == ["run_batch", "15"] for line in out.splitlines()), out


@pytest.mark.slow
def test_a_working_directory_with_only_config_resolves_the_fast_path_build(tmp_path):
    """The C sources ship with dpdktune: a campaign folder needs its config/, not csrc/."""
    work = workdir(tmp_path)
    (work / "csrc").unlink()
    (work / "profiles").unlink()
    result = run_snakemake(work, "-n", "--cores", "2", "fastpath.so")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "render_fastpath" in out and "build_fastpath" in out


@pytest.mark.slow
def test_a_bad_config_value_stops_the_workflow_and_names_the_key(tmp_path):
    result = run_snakemake(workdir(tmp_path, {"grid": {"cores": [0]}}), "-n", "--cores", "1", "characterize")
    assert result.returncode != 0
    assert "cores" in result.stdout + result.stderr
    assert not (tmp_path / "work" / "results").exists()


@pytest.mark.slow
def test_a_one_workload_campaign_characterizes_but_report_stops_before_any_job(tmp_path):
    """One workload is a landscape worth measuring, but the baselines hold workloads out: the
    report's DAG stops with one line naming both keys, before anything runs."""
    work = workdir(tmp_path, {"workloads": ["flood64"]})
    char = run_snakemake(work, "-n", "--cores", "1", "characterize")
    assert char.returncode == 0, char.stdout + char.stderr
    assert any(line.split()[:2] == ["run_batch", "1"] for line in char.stdout.splitlines()), char.stdout
    report = run_snakemake(work, "--cores", "1", "report.html")
    assert report.returncode != 0
    lines = [line for line in report.stderr.splitlines() if line.startswith("dpdktune:")]
    assert len(lines) == 1 and "workloads: 1 workload" in lines[0] and "baselines.test_fraction=0.3" in lines[0]
    assert "Traceback" not in report.stdout + report.stderr
    assert not (work / "results").exists(), "no job ran"


@pytest.mark.slow
def test_a_real_backend_stops_the_report_on_objectives_it_cannot_measure(tmp_path):
    """local and ssh measure no latency: latency-based objectives would be NaN for every run."""
    work = workdir(tmp_path, {"backend": "local", "workloads": ["flood64", "imix"]})
    assert run_snakemake(work, "-n", "--cores", "1", "characterize").returncode == 0
    report = run_snakemake(work, "-n", "--cores", "1", "report.html")
    lines = [line for line in report.stderr.splitlines() if line.startswith("dpdktune:")]
    assert report.returncode != 0 and len(lines) == 1, report.stderr[-2000:]
    assert lines[0].startswith("dpdktune: objective and decision.objectives: cores_at_slo") and "local" in lines[0]
    assert "Traceback" not in report.stdout + report.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("device", "gpu"), [("cpu", 0), ("cuda", 1)])
def test_rl_training_declares_the_threads_torch_uses_and_a_gpu_on_cuda(tmp_path, device, gpu):
    result = run_snakemake(
        workdir(tmp_path, {"rl": {"device": device, "threads": 3}}),
        "-n",
        "--cores",
        "4",
        "results/rl/deployed/cql.timing.json",
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    job = out[out.index("rule train_rl_deployed:") :]
    job = job[: job.index("\n\n")] if "\n\n" in job else job
    assert "threads: 3" in job, job
    assert f"gpu={gpu}," in job, job
