"""Merge the per-workload batches into the campaign dataset, its time series and its manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dpdktune.atomic import replacing, write_json
from dpdktune.campaign.plan import campaign_id, expected_runs
from dpdktune.metrics.parquet import read_provenance, read_table, write_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, TIMESERIES_SCHEMA


def manifest(config: dict[str, Any], records: pa.Table, provenance: dict[str, str]) -> dict[str, Any]:
    """Expected, done and failed counts, every failed run with its reason, and provenance."""
    failed = records.filter(pc.equal(records["status"], "failed"))
    return {
        "campaign_id": campaign_id(config),
        "expected_runs": expected_runs(config),
        "recorded_runs": records.num_rows,
        "done_runs": records.num_rows - failed.num_rows,
        "failed_runs": failed.num_rows,
        "failures": [
            {"run_id": r, "workload": w, "reason": why, "attempts": a}
            for r, w, why, a in zip(
                failed["run_id"].to_pylist(), failed["workload"].to_pylist(),
                failed["failure_reason"].to_pylist(), failed["attempts"].to_pylist(),
            )
        ],
        "provenance": provenance,
    }


def merge_batches(
    config: dict[str, Any],
    record_files: Sequence[str | Path],
    timeseries_files: Sequence[str | Path],
    dataset_out: str | Path,
    timeseries_out: str | Path,
    manifest_out: str | Path,
) -> dict[str, Any]:
    if config["output"].get("partitioned"):  # stream batch by batch: bounded memory
        from dpdktune.campaign.partitioned import merge_partitioned

        return merge_partitioned(config, record_files, timeseries_files, dataset_out, timeseries_out,
                                 manifest_out)
    provenance = read_provenance(record_files[0])
    records = pa.concat_tables(read_table(f, EXPERIMENT_SCHEMA) for f in record_files)
    write_table(records, dataset_out, EXPERIMENT_SCHEMA, provenance)
    stamped = _stamped(TIMESERIES_SCHEMA, provenance)
    with replacing(timeseries_out) as tmp, pq.ParquetWriter(tmp, stamped, compression="zstd") as writer:
        for f in timeseries_files:  # one batch at a time keeps memory flat
            writer.write_table(read_table(f, TIMESERIES_SCHEMA).cast(writer.schema))
    summary = manifest(config, records, provenance)
    write_json(summary, manifest_out)
    return summary


def _stamped(schema: pa.Schema, provenance: dict[str, str]) -> pa.Schema:
    from dpdktune.metrics.parquet import PROVENANCE_KEY

    return schema.with_metadata({PROVENANCE_KEY: json.dumps(provenance, sort_keys=True).encode()})


def export_csv(dataset: str | Path, csv_out: str | Path) -> None:
    """The plan's "single CSV with all metrics"; per-core `cpu_util` becomes "u0;u1;..."."""
    from dpdktune.campaign.partitioned import open_dataset  # a file or a partitioned directory

    records = open_dataset(dataset, EXPERIMENT_SCHEMA).to_table()
    per_core = pc.binary_join(pc.cast(records["cpu_util"], pa.list_(pa.string())), ";")
    index = records.schema.get_field_index("cpu_util")
    records = records.set_column(index, "cpu_util", per_core)
    with replacing(csv_out) as tmp:
        pacsv.write_csv(records, tmp)
