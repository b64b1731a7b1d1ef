"""The hive-partitioned campaign dataset: streamed writes, lazy reads, and `output.partitioned`."""

import json

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dataset_layouts import CAMPAIGN, PROVENANCE
from dpdktune.campaign.partitioned import PartitionedWriter, write_partitioned
from dpdktune.dataset import (
    dataset_provenance,
    iter_workloads,
    open_dataset,
    read_columns,
    read_measurements,
    workloads,
)
from dpdktune.metrics.parquet import read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, TIMESERIES_SCHEMA
from snakemake_helpers import run_snakemake, workdir


def test_partitioned_and_single_file_datasets_read_back_the_same_records(layouts, tmp_path):
    records, batches, single = layouts.records, layouts.batches, layouts.single
    rows = write_partitioned(batches, tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE)
    assert rows == records.num_rows
    assert sorted(p.name for p in (tmp_path / "dataset").iterdir() if p.is_dir()) == sorted(
        f"workload={w}" for w in CAMPAIGN["workloads"]
    )
    parted = open_dataset(tmp_path / "dataset").to_table().sort_by("run_id")
    whole = open_dataset(single).to_table().sort_by("run_id")
    assert parted.schema == EXPERIMENT_SCHEMA
    assert parted.equals(whole)
    assert dataset_provenance(tmp_path / "dataset") == dataset_provenance(single) == PROVENANCE


def test_the_eager_record_reader_also_reads_a_partitioned_directory(layouts, tmp_path):
    """Stages that still load the whole table (metrics.parquet.read_table) keep working."""
    records, batches = layouts.records, layouts.batches
    write_partitioned(batches, tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE)
    table = read_table(tmp_path / "dataset", EXPERIMENT_SCHEMA).sort_by("run_id")
    assert table.schema == EXPERIMENT_SCHEMA
    assert table.equals(records.sort_by("run_id"))


def test_the_analysis_stages_read_the_same_measurements_from_either_layout(layouts, tmp_path):
    records, batches, single = layouts.records, layouts.batches, layouts.single
    write_partitioned(batches, tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE)
    parted = read_measurements(tmp_path / "dataset").sort_values("run_id", ignore_index=True)
    whole = read_measurements(single).sort_values("run_id", ignore_index=True)
    assert "log_tail" not in parted.columns and "extra" not in parted.columns
    assert "throughput_mpps" in parted.columns and len(parted) == records.num_rows
    assert parted.equals(whole)


def test_files_leave_the_partition_column_to_the_directory_names(layouts, tmp_path):
    batches = layouts.batches
    write_partitioned(batches, tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE)
    part = next((tmp_path / "dataset" / "workload=bursty").glob("*.parquet"))
    assert "workload" not in pq.read_schema(part).names


def test_lazy_readers_return_one_workload_or_only_the_asked_columns(layouts, tmp_path):
    records, batches = layouts.records, layouts.batches
    write_partitioned(batches, tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE)
    assert workloads(tmp_path / "dataset") == sorted(CAMPAIGN["workloads"])
    seen = {}
    for name, table in iter_workloads(tmp_path / "dataset", ["run_id", "throughput_mpps"]):
        assert table.column_names == ["run_id", "throughput_mpps"]
        assert all(r.startswith(f"{name}-") for r in table["run_id"].to_pylist())
        seen[name] = table.num_rows
    per_config = len(records) // len(CAMPAIGN["workloads"])
    assert seen == {w: per_config for w in CAMPAIGN["workloads"]}
    fast = read_columns(tmp_path / "dataset", ["run_id"], filter=pc.field("cores") == 4)
    assert fast.num_rows == records.filter(pc.equal(records["cores"], 4)).num_rows > 0


def test_a_failed_write_keeps_the_previous_dataset_and_leaves_no_temporary(layouts, tmp_path):
    records, batches = layouts.records, layouts.batches
    write_partitioned(batches[:1], tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE)
    with pytest.raises(RuntimeError), PartitionedWriter(tmp_path / "dataset", EXPERIMENT_SCHEMA, PROVENANCE) as w:
        w.write(records)
        raise RuntimeError("killed mid-campaign")
    assert workloads(tmp_path / "dataset") == [CAMPAIGN["workloads"][0]]
    assert [p.name for p in tmp_path.iterdir()] == ["dataset"]


@pytest.mark.parametrize(
    "make, error",
    [
        (lambda p: p / "nothing.parquet", FileNotFoundError),
        (lambda p: p, ValueError),  # a directory that is not a dataset
    ],
)
def test_opening_something_that_is_not_a_dataset_says_so(tmp_path, make, error):
    with pytest.raises(error, match=str(tmp_path)):
        open_dataset(make(tmp_path))


@pytest.mark.slow
def test_the_partitioned_switch_makes_characterize_write_directories(layouts, tmp_path):
    records, series = layouts.records, layouts.series
    work = workdir(tmp_path, CAMPAIGN | {"output": {"partitioned": True}})
    result = run_snakemake(work, "--cores", "2", "characterize")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = work / "results/characterize"
    assert (out / "dataset").is_dir() and not (out / "dataset.parquet").exists()
    got = open_dataset(out / "dataset").to_table().sort_by("run_id")
    want = records.sort_by("run_id")
    timing = ["finished_at", "duration_s"]  # wall-clock facts of each run, not measurements
    assert got.drop_columns(timing).equals(want.drop_columns(timing).cast(got.drop_columns(timing).schema))
    ts = open_dataset(out / "timeseries", TIMESERIES_SCHEMA).to_table()
    assert ts.num_rows == series.num_rows
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["recorded_runs"] == manifest["expected_runs"] == records.num_rows
    archived = next((work / "results/archive").iterdir())
    assert workloads(archived / "dataset") == sorted(CAMPAIGN["workloads"])
