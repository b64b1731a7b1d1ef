"""The campaign dataset, read: one Parquet file or a hive-partitioned directory, and its provenance.

Every stage that reads measured records goes through here. `open_dataset` reads the single-file
`dataset.parquet` and the partitioned directory alike, with the record schema (the `workload`
column comes back from the directory names).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from dpdktune.metrics.parquet import parquet_format, read_provenance, read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, KNOB_NAMES, METRIC_NAMES

PARTITION_KEY = "workload"
#: Holds the schema and provenance; dataset discovery skips names starting with "_".
COMMON_METADATA = "_common_metadata"
#: what the learning stages need (cpu_util lists, logs and provenance stay on disk)
RECORD_COLUMNS = (
    "workload",
    "trial",
    "status",
    *KNOB_NAMES,
    "applied_cores",
    *(m for m in METRIC_NAMES if m != "cpu_util"),
)


def _partitioning() -> ds.Partitioning:
    return ds.partitioning(pa.schema([pa.field(PARTITION_KEY, pa.string())]), flavor="hive")


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
    return read_provenance(path / COMMON_METADATA if path.is_dir() else path)


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


def read_records(path: str | Path) -> pd.DataFrame:
    """The `RECORD_COLUMNS` of a dataset (file or partitioned directory) for the learning stages."""
    path = Path(path)
    if path.is_dir():
        return read_columns(path, RECORD_COLUMNS).to_pandas()
    return read_table(path, EXPERIMENT_SCHEMA).select(list(RECORD_COLUMNS)).to_pandas()
