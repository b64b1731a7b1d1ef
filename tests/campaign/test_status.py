from dpdktune.campaign.journal import Journal
from dpdktune.campaign.plan import expected_runs
from dpdktune.campaign.status import format_progress, journal_dir, progress


def test_progress_counts_done_failed_and_remaining_with_a_measured_eta(small_config, tmp_path):
    folder = journal_dir(small_config, tmp_path)
    with Journal(folder / "flood64.jsonl") as journal:
        journal.append({"run_id": "a", "status": "ok", "duration_s": 0.5, "failure_reason": None}, {})
        journal.append({"run_id": "b", "status": "ok", "duration_s": 1.5, "failure_reason": None}, {})
        journal.append({"run_id": "c", "status": "failed", "duration_s": 9.0, "failure_reason": "link flap"}, {})
    p = progress(small_config, tmp_path)
    assert (p.done, p.failed, p.remaining) == (2, 1, expected_runs(small_config) - 3)
    assert p.mean_run_s == 1.0
    assert p.eta_s(parallel_jobs=2) == p.remaining * 1.0 / 2
    text = format_progress(p, parallel_jobs=2)
    assert "2 done, 1 failed" in text and "c: link flap" in text
