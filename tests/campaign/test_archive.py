import os

import pytest
import yaml
from dpdktune.campaign.archive import archive_campaign


def test_archive_is_a_read_only_copy_with_config_and_run_logs(tmp_path):
    (tmp_path / "dataset.parquet").write_bytes(b"data")
    journal = tmp_path / "journal"
    journal.mkdir()
    (journal / "w.jsonl").write_text('{"record": {}}\n')
    target = tmp_path / "archive" / "c-1"
    archive_campaign({"seed": 3}, [tmp_path / "dataset.parquet"], journal, target)
    assert (target / "dataset.parquet").read_bytes() == b"data"
    assert (target / "runs" / "w.jsonl").exists()
    assert yaml.safe_load((target / "config.yaml").read_text()) == {"seed": 3}
    for path in [target, *target.rglob("*")]:
        assert not path.stat().st_mode & 0o222, path
    # archiving the same campaign again replaces the copy
    (tmp_path / "dataset.parquet").write_bytes(b"new")
    archive_campaign({"seed": 3}, [tmp_path / "dataset.parquet"], journal, target)
    assert (target / "dataset.parquet").read_bytes() == b"new"
    assert not os.path.exists(str(target) + ".tmp")


def _sources(tmp_path, data: bytes):
    (tmp_path / "dataset.parquet").write_bytes(data)
    journal = tmp_path / "journal"
    journal.mkdir(exist_ok=True)
    (journal / "w.jsonl").write_text('{"record": {}}\n')
    return [tmp_path / "dataset.parquet"], journal


def test_another_archivers_temporary_folder_is_left_alone(tmp_path):
    files, journal = _sources(tmp_path, b"data")
    target = tmp_path / "archive" / "c-1"
    theirs = tmp_path / "archive" / "c-1.tmp"  # the name a fixed temporary folder would take
    theirs.mkdir(parents=True)
    (theirs / "dataset.parquet").write_bytes(b"half written by another run")
    archive_campaign({"seed": 3}, files, journal, target)
    assert (theirs / "dataset.parquet").read_bytes() == b"half written by another run"
    assert (target / "dataset.parquet").read_bytes() == b"data"
    assert sorted(p.name for p in target.parent.iterdir()) == ["c-1", "c-1.tmp"], "no temporary left"


def test_a_failed_re_archive_keeps_the_old_archive(tmp_path):
    files, journal = _sources(tmp_path, b"old")
    target = tmp_path / "archive" / "c-1"
    archive_campaign({"seed": 3}, files, journal, target)
    (tmp_path / "dataset.parquet").write_bytes(b"new")
    missing = tmp_path / "no-such-journal"
    with pytest.raises(FileNotFoundError):
        archive_campaign({"seed": 3}, files, missing, target)
    assert (target / "dataset.parquet").read_bytes() == b"old"
    assert (target / "runs" / "w.jsonl").exists()
    assert [p.name for p in target.parent.iterdir()] == ["c-1"], "the failed attempt left nothing behind"
