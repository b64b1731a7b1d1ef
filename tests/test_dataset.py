"""The one home for reading the campaign dataset: records and provenance, from a file or a directory."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataset_layouts import PROVENANCE
from dpdktune.dataset import RECORD_COLUMNS, dataset_provenance, read_records


def test_read_records_reads_either_layout_alike(layouts):
    records, single, parted = layouts.records, layouts.single, layouts.parted
    key = ["workload", "rx_desc", "cores"]
    whole = read_records(single).sort_values(key, ignore_index=True)
    split = read_records(parted).sort_values(key, ignore_index=True)
    assert tuple(whole.columns) == RECORD_COLUMNS
    assert len(whole) == records.num_rows
    assert split[list(RECORD_COLUMNS)].equals(whole)


def test_provenance_reads_the_same_from_either_layout(layouts):
    single, parted = layouts.single, layouts.parted
    assert dataset_provenance(single) == dataset_provenance(parted) == PROVENANCE


def test_a_file_without_provenance_is_named(tmp_path):
    bare = tmp_path / "bare.parquet"
    pq.write_table(pa.table({"x": [1]}), bare)
    with pytest.raises(ValueError, match="bare.parquet: no dpdktune provenance"):
        dataset_provenance(bare)
