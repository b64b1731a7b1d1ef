"""campaign/merge.py: a damaged batch is rebuilt from its journal; a failed merge keeps the last good dataset."""

import json

import pyarrow.parquet as pq
import pytest

from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.config import load_config
from dpdktune.metrics.parquet import read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
from snakemake_helpers import run_snakemake, workdir

CAMPAIGN = {
    "workloads": ["flood64", "bursty"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 3,
    "default_config": {"rx_desc": 1024, "tx_desc": 512, "cores": 4, "burst": 32},
}


def _damage(path):
    """Flip one byte in the middle of the run_id column's page (the page checksum notices)."""
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(EXPERIMENT_SCHEMA.get_field_index("run_id"))
    data = bytearray(path.read_bytes())
    data[chunk.data_page_offset + chunk.total_compressed_size // 2] ^= 0x10
    path.write_bytes(bytes(data))


@pytest.fixture
def characterized(tmp_path):
    work = workdir(tmp_path, CAMPAIGN)
    result = run_snakemake(work, "--cores", "1", "characterize")
    assert result.returncode == 0, result.stdout + result.stderr
    return work


@pytest.mark.slow
def test_a_damaged_batch_is_named_and_rebuilt_from_its_journal(characterized):
    work = characterized
    results = work / "results" / "characterize"
    before = pq.read_table(results / "dataset.parquet")
    batch = results / "batches" / "flood64.parquet"
    _damage(batch)

    result = run_snakemake(work, "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"{batch}" in out or "batches/flood64.parquet" in out, "the damaged file is named"
    after = pq.read_table(results / "dataset.parquet")
    assert after.sort_by("run_id").equals(before.sort_by("run_id")), "same records, from the journal"
    assert read_table(batch, EXPERIMENT_SCHEMA).num_rows == expected_runs(load_config(work / "override.yaml")) // 2


@pytest.mark.slow
def test_a_merge_that_cannot_repair_a_batch_fails_naming_it_and_keeps_the_last_good_dataset(characterized):
    work = characterized
    results = work / "results" / "characterize"
    config = load_config(work / "override.yaml")
    good = {name: (results / name).read_bytes() for name in ("dataset.parquet", "timeseries.parquet",
                                                             "manifest.json")}
    batch = results / "batches" / "flood64.parquet"
    _damage(batch)
    (results / "journal" / campaign_id(config) / "flood64.jsonl").unlink()  # nothing to rebuild from

    result = run_snakemake(work, "--cores", "1", "characterize")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    named = [line for line in out.splitlines() if "batches/flood64.parquet" in line and "damaged" in line]
    assert named, out
    for name, data in good.items():
        assert (results / name).read_bytes() == data, f"{name}: the last good output must be kept"
    assert json.loads(good["manifest.json"])["done_runs"] == expected_runs(config)
