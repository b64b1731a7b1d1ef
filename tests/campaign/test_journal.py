import json
import logging

import pytest
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
    path = tmp_path / "j.jsonl"
    with Journal(path):
        with pytest.raises(RuntimeError, match="another process is running this batch"):
            Journal(path)
    Journal(path).close()  # free again once the first writer is done


def _lines(path):
    return path.read_bytes().split(b"\n")


def _damage(path, how):
    """Damage the journal the way a crash or a bad disk does; returns the run ids it destroyed."""
    lines = path.read_bytes().splitlines(keepends=True)
    if how == "middle":  # one line in the middle garbled
        gone = [json.loads(lines[2])["record"]["run_id"]]
        lines[2] = b'{"record": {"run_id": "x", "sta\x07tus": \xff}\n'
    elif how == "nul_tail":  # the last two lines' blocks zero-filled after a crash (ends with a newline)
        gone = [json.loads(line)["record"]["run_id"] for line in lines[-2:]]
        lines[-2:] = [b"\0" * (len(lines[-2]) + len(lines[-1]) - 1) + b"\n"]
    elif how == "nul_tail_torn":  # the same without the final newline
        gone = [json.loads(line)["record"]["run_id"] for line in lines[-2:]]
        lines[-2:] = [b"\0" * (len(lines[-2]) + len(lines[-1]))]
    else:
        raise AssertionError(how)
    path.write_bytes(b"".join(lines))
    return gone


@pytest.mark.parametrize("how", ["middle", "nul_tail", "nul_tail_torn"])
def test_damaged_lines_are_named_skipped_and_only_their_runs_are_missing(tmp_path, caplog, how):
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        for i in range(6):
            journal.append(_record(f"r{i}"), {"t_s": [float(i)]})
    gone = _damage(path, how)
    with caplog.at_level(logging.WARNING, logger="dpdktune.campaign"):
        with Journal(path) as journal:
            assert sorted(journal.entries) == sorted(set(f"r{i}" for i in range(6)) - set(gone))
            assert bool(journal.damaged_lines) == (how != "nul_tail_torn")  # numbers of the skipped lines
            for run_id in gone:
                journal.append(_record(run_id), {})
    if how != "nul_tail_torn":  # a torn tail is cut, not reported as damage
        assert str(path) in caplog.text and "line" in caplog.text
    assert sorted(e["record"]["run_id"] for e in read_journal(path)) == [f"r{i}" for i in range(6)]


def test_read_journal_skips_a_damaged_line_instead_of_raising(tmp_path):
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        for i in range(3):
            journal.append(_record(f"r{i}"), {})
    _damage(path, "middle")
    assert [e["record"]["run_id"] for e in read_journal(path)] == ["r0", "r1"]


@pytest.mark.parametrize("how", ["middle", "nul_tail"])
def test_a_batch_with_a_damaged_journal_redoes_exactly_the_damaged_runs(small_config, tmp_path, how):
    from dpdktune.campaign.runner import run_workload

    journal = tmp_path / "journal.jsonl"
    workload = small_config["workloads"][0]
    first, _ = run_workload(small_config, workload, journal, tmp_path / "locks")
    before = dict(zip(first["run_id"].to_pylist(), first["finished_at"].to_pylist()))
    gone = _damage(journal, how)
    again, _ = run_workload(small_config, workload, journal, tmp_path / "locks")
    assert again["run_id"].to_pylist() == first["run_id"].to_pylist()
    after = dict(zip(again["run_id"].to_pylist(), again["finished_at"].to_pylist()))
    redone = sorted(r for r in after if after[r] != before[r])
    assert redone == sorted(gone), "only the damaged runs are run again"
    appended = [e["record"]["run_id"] for e in read_journal(journal)][len(before) - len(gone) :]
    assert sorted(appended) == sorted(gone)
