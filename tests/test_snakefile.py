"""The workflow itself: lint-clean, resolvable, and config errors stop it before any rule runs."""

from snakemake_helpers import run_snakemake, workdir


def test_lint_is_clean(tmp_path):
    result = run_snakemake(workdir(tmp_path), "--lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations" in result.stdout + result.stderr


def test_dry_run_resolves_characterize_with_one_batch_per_workload(tmp_path):
    result = run_snakemake(workdir(tmp_path), "-n", "--cores", "2", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "run_batch" in out and "merge_dataset" in out and "archive_campaign" in out
    # the job-count table lists 15 run_batch jobs for the 15 default workloads
    assert any(line.split()[:2] == ["run_batch", "15"] for line in out.splitlines()), out


def test_a_bad_config_value_stops_the_workflow_and_names_the_key(tmp_path):
    result = run_snakemake(workdir(tmp_path, {"grid": {"cores": [0]}}), "-n", "--cores", "1", "characterize")
    assert result.returncode != 0
    assert "cores" in result.stdout + result.stderr
    assert not (tmp_path / "work" / "results").exists()
