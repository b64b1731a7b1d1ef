from dpdktune.campaign.journal import Journal, read_journal


def _record(run_id: str) -> dict:
    return {"run_id": run_id, "status": "ok"}


def test_entries_survive_reopening(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append(_record("a"), {"t_s": [0.0]})
        journal.append(_record("b"), {})
    reopened = Journal(path)
    assert "a" in reopened and "b" in reopened and "c" not in reopened
    assert reopened.entries["a"]["timeseries"] == {"t_s": [0.0]}
    reopened.close()


def test_a_torn_last_line_is_dropped_and_appends_continue_cleanly(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append(_record("a"), {})
    with open(path, "a") as fh:
        fh.write('{"record": {"run_id": "b", "sta')  # killed mid-write
    with Journal(path) as journal:
        assert "b" not in journal
        journal.append(_record("c"), {})
    assert [e["record"]["run_id"] for e in read_journal(path)] == ["a", "c"]


def test_a_rerun_entry_replaces_the_earlier_one(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.append({"run_id": "a", "status": "failed"}, {})
        journal.append({"run_id": "a", "status": "ok"}, {})
    with Journal(path) as journal:
        assert journal.entries["a"]["record"]["status"] == "ok"


def test_a_second_writer_of_the_same_batch_is_refused(tmp_path):
    import pytest

    path = tmp_path / "j.jsonl"
    with Journal(path):
        with pytest.raises(RuntimeError, match="another process is running this batch"):
            Journal(path)
    Journal(path).close()  # free again once the first writer is done
