"""The one home for reading the campaign dataset: records and provenance, from a file or a directory."""

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from dpdktune.campaign.partitioned import write_partitioned
from dpdktune.campaign.runner import run_inline
from dpdktune.config import load_config
from dpdktune.dataset import RECORD_COLUMNS, dataset_provenance, read_records
from dpdktune.metrics.parquet import write_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA

CAMPAIGN = {
    "workloads": ["flood64", "imix"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 1,
    "seed": 5,
}
PROVENANCE = {"seed": "5", "backend": "sim"}


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    """The same simulator campaign as one file and as a partitioned directory."""
    base = tmp_path_factory.mktemp("dataset")
    records, _ = run_inline(load_config(overrides=CAMPAIGN), base / "run")
    single = base / "dataset.parquet"
    write_table(records, single, EXPERIMENT_SCHEMA, PROVENANCE)
    batches = []
    for name in CAMPAIGN["workloads"]:
        batch = base / f"{name}.parquet"
        write_table(records.filter(pc.equal(records["workload"], name)), batch, EXPERIMENT_SCHEMA, PROVENANCE)
        batches.append(batch)
    write_partitioned(batches, base / "parted", EXPERIMENT_SCHEMA, PROVENANCE)
    return records, single, base / "parted"


def test_read_records_reads_either_layout_alike(layouts):
    records, single, parted = layouts
    key = ["workload", "rx_desc", "cores"]
    whole = read_records(single).sort_values(key, ignore_index=True)
    split = read_records(parted).sort_values(key, ignore_index=True)
    assert tuple(whole.columns) == RECORD_COLUMNS
    assert len(whole) == records.num_rows
    assert split[list(RECORD_COLUMNS)].equals(whole)


def test_provenance_reads_the_same_from_either_layout(layouts):
    _, single, parted = layouts
    assert dataset_provenance(single) == dataset_provenance(parted) == PROVENANCE


def test_a_file_without_provenance_is_named(tmp_path):
    bare = tmp_path / "bare.parquet"
    pq.write_table(pa.table({"x": [1]}), bare)
    with pytest.raises(ValueError, match="bare.parquet: no dpdktune provenance"):
        dataset_provenance(bare)
