"""A campaign dataset as a hive-partitioned Parquet directory, written one batch at a time.

A 100k-run campaign does not fit comfortably in one table, so with `output.partitioned: true`
`characterize` writes `<dir>/workload=<name>/part-<n>.parquet` and readers open it lazily.
`open_dataset` reads the single-file `dataset.parquet` and the directory alike, with the
record schema (the `workload` column comes back from the directory names).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from dpdktune.atomic import replacing_dir
from dpdktune.metrics.parquet import PROVENANCE_KEY, READ_OPTIONS, WRITE_OPTIONS, naming_damage, parquet_format
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA

PARTITION_KEY = "workload"
#: Holds the schema and provenance; dataset discovery skips names starting with "_".
COMMON_METADATA = "_common_metadata"


def _partitioning() -> ds.Partitioning:
    return ds.partitioning(pa.schema([pa.field(PARTITION_KEY, pa.string())]), flavor="hive")


def _stamped(schema: pa.Schema, provenance: dict[str, str]) -> pa.Schema:
    meta = dict(schema.metadata or {})
    meta[PROVENANCE_KEY] = json.dumps(provenance, sort_keys=True).encode()
    return schema.with_metadata(meta)


class PartitionedWriter:
    """Write tables into `<out_dir>/workload=<w>/part-<n>.parquet`; the directory appears at close.

    Files go to a temporary sibling directory that replaces `out_dir` only when `close()`
    succeeds, so a killed run never leaves a half dataset. Memory holds one batch at a time.
    """

    def __init__(self, out_dir: str | Path, schema: pa.Schema, provenance: dict[str, str]):
        if PARTITION_KEY not in schema.names:
            raise ValueError(f"schema has no {PARTITION_KEY!r} column to partition by")
        self.out_dir = Path(out_dir)
        self.schema = schema
        self.provenance = provenance
        #: the files' schema: the partition column lives in the directory names
        self.file_schema = _stamped(schema.remove(schema.get_field_index(PARTITION_KEY)), provenance)
        self._replacing = replacing_dir(self.out_dir)  # the dataset appears whole, or not at all
        self._tmp = self._replacing.__enter__()
        self._parts: dict[str, int] = {}
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        """Append a table (any number of workloads) to the dataset."""
        table = table.select(self.schema.names).cast(self.schema)
        for workload in pc.unique(table[PARTITION_KEY]).to_pylist():
            part = table.filter(pc.equal(table[PARTITION_KEY], workload)).drop_columns([PARTITION_KEY])
            n = self._parts.get(workload, 0)
            self._parts[workload] = n + 1
            directory = self._tmp / f"{PARTITION_KEY}={workload}"
            directory.mkdir(exist_ok=True)
            pq.write_table(part.cast(self.file_schema), directory / f"part-{n}.parquet", **WRITE_OPTIONS)
            self.rows += part.num_rows

    def close(self) -> None:
        """Move the finished dataset into place, replacing any older one."""
        pq.write_metadata(self.file_schema, self._tmp / COMMON_METADATA)
        self._replacing.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop what was written; an older dataset stays as it was."""
        aborted = RuntimeError("partitioned write aborted")
        self._replacing.__exit__(type(aborted), aborted, None)

    def __enter__(self) -> "PartitionedWriter":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_batch(path: str | Path) -> pa.Table:
    """One batch file as written, page checksums verified (no partition discovery from the path)."""
    with naming_damage(path):
        return pq.ParquetFile(path, **READ_OPTIONS).read()


def write_partitioned(
    files: Sequence[str | Path], out_dir: str | Path, schema: pa.Schema, provenance: dict[str, str],
    read: Callable[[str | Path], pa.Table] = read_batch,
) -> int:
    """Stream Parquet files (one batch each, read by `read`) into a partitioned dataset; returns
    the row count."""
    with PartitionedWriter(out_dir, schema, provenance) as writer:
        for f in files:  # one batch in memory at a time
            writer.write(read(f))
    return writer.rows


def merge_partitioned(
    config: dict[str, Any],
    batches: Any,
    record_files: Sequence[str | Path],
    timeseries_files: Sequence[str | Path],
    dataset_out: str | Path,
    timeseries_out: str | Path,
    manifest_out: str | Path,
) -> dict[str, Any]:
    """`merge.merge_batches` for `output.partitioned: true`: batches (read through
    `merge.Batches`) stream into two partitioned datasets, and the manifest reads back only the
    columns it needs."""
    from dpdktune.atomic import write_json
    from dpdktune.campaign.merge import manifest
    from dpdktune.metrics.schema import TIMESERIES_SCHEMA

    provenance = batches.provenance
    write_partitioned(record_files, dataset_out, EXPERIMENT_SCHEMA, provenance, read=batches.read)
    write_partitioned(timeseries_files, timeseries_out, TIMESERIES_SCHEMA, provenance, read=batches.read)
    outcomes = read_columns(dataset_out, ["run_id", "workload", "status", "failure_reason", "attempts"])
    summary = manifest(config, outcomes, provenance)
    write_json(summary, manifest_out)
    return summary


def open_dataset(path: str | Path, schema: pa.Schema = EXPERIMENT_SCHEMA) -> ds.Dataset:
    """A lazy dataset over a single Parquet file or a partitioned directory, with `schema`."""
    path = Path(path)
    if path.is_dir():
        if not (path / COMMON_METADATA).exists():
            raise ValueError(f"{path}: not a dpdktune partitioned dataset (no {COMMON_METADATA})")
        return ds.dataset(path, schema=schema, format=parquet_format(), partitioning=_partitioning())
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such dataset")
    return ds.dataset(path, schema=schema, format=parquet_format())


def dataset_provenance(path: str | Path) -> dict[str, str]:
    """The provenance stamped on a dataset, file or directory."""
    path = Path(path)
    meta = pq.read_schema(path / COMMON_METADATA if path.is_dir() else path).metadata or {}
    if PROVENANCE_KEY not in meta:
        raise ValueError(f"{path}: no dpdktune provenance in the Parquet metadata")
    return json.loads(meta[PROVENANCE_KEY])


def workloads(path: str | Path, schema: pa.Schema = EXPERIMENT_SCHEMA) -> list[str]:
    """The workload names in a dataset, sorted, reading only the workload column."""
    table = open_dataset(path, schema).to_table(columns=[PARTITION_KEY])
    return sorted(pc.unique(table[PARTITION_KEY]).to_pylist())


def iter_workloads(
    path: str | Path,
    columns: Sequence[str] | None = None,
    filter: Any = None,
    schema: pa.Schema = EXPERIMENT_SCHEMA,
) -> Iterator[tuple[str, pa.Table]]:
    """(workload, table) for each workload in turn: one workload's rows in memory at a time."""
    dataset = open_dataset(path, schema)
    for name in workloads(path, schema):
        expr = pc.field(PARTITION_KEY) == name
        if filter is not None:
            expr = expr & filter
        yield name, dataset.to_table(columns=list(columns) if columns else None, filter=expr)


def read_columns(
    path: str | Path,
    columns: Sequence[str],
    filter: Any = None,
    schema: pa.Schema = EXPERIMENT_SCHEMA,
) -> pa.Table:
    """Only `columns` (and only rows matching `filter`) of a dataset, without reading the rest."""
    return open_dataset(path, schema).to_table(columns=list(columns), filter=filter)


#: Per-run text the analysis stages never read; skipping it keeps large campaigns small in memory.
_BULKY_COLUMNS = ("extra", "log_tail")


def read_measurements(path: str | Path) -> pd.DataFrame:
    """The records of a dataset (file or partitioned directory) for the analysis stages: read
    through the lazy dataset with the bulky per-run text columns left on disk."""
    columns = [name for name in EXPERIMENT_SCHEMA.names if name not in _BULKY_COLUMNS]
    return read_columns(path, columns).to_pandas()
