import os

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
