import json

import numpy as np
import pytest
from dpdktune.atomic import replacing, write_bytes, write_json, write_text


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    write_text("old\n", target)
    with pytest.raises(RuntimeError):
        with replacing(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_the_temporary_keeps_the_suffix_and_lands_in_place(tmp_path):
    target = tmp_path / "sub" / "figure.png"
    with replacing(target) as tmp:
        assert tmp.suffix == ".png" and tmp.parent == target.parent and tmp != target
        tmp.write_bytes(b"png")
    assert target.read_bytes() == b"png" and not tmp.exists()
    assert write_bytes(b"x", target).read_bytes() == b"x"


def test_json_turns_numpy_values_into_plain_ones(tmp_path):
    path = write_json({"a": np.float32(1.5), "b": np.arange(3)}, tmp_path / "d.json")
    assert json.loads(path.read_text()) == {"a": 1.5, "b": [0, 1, 2]}


def test_stale_temporaries_of_a_path_are_removed_and_nothing_else(tmp_path):
    from dpdktune.atomic import remove_stale_temporaries

    target = tmp_path / "batch.parquet"
    target.write_bytes(b"good")
    stale = [
        tmp_path / ".batch.tmp-999999.parquet",
        tmp_path / ".batch.parquet.tmp-42",
        tmp_path / ".batch.parquet.old-7",
    ]
    stale[0].write_bytes(b"half")
    for folder in stale[1:]:
        folder.mkdir()
        (folder / "part-0.parquet").write_bytes(b"x")
    others = [
        tmp_path / "other.parquet",
        tmp_path / ".other.tmp-1.parquet",
        tmp_path / "batch.timeseries.parquet",
        tmp_path / ".batch.tmp-12.csv",
        tmp_path / ".batch.timeseries.tmp-3.parquet",
    ]
    for p in others:
        p.write_bytes(b"keep")
    assert sorted(remove_stale_temporaries(target)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in [target, *others])
