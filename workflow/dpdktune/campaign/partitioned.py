"""Write a campaign dataset as a hive-partitioned Parquet directory, one batch at a time.

A 100k-run campaign does not fit comfortably in one table, so with `output.partitioned: true`
`characterize` writes `<dir>/workload=<name>/part-<n>.parquet`; `dpdktune.dataset` reads it
lazily, like the single-file `dataset.parquet`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dpdktune.atomic import replacing_dir
from dpdktune.dataset import COMMON_METADATA, PARTITION_KEY
from dpdktune.metrics.parquet import READ_OPTIONS, WRITE_OPTIONS, naming_damage, stamped


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
        self.file_schema = stamped(schema.remove(schema.get_field_index(PARTITION_KEY)), provenance)
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

    def __enter__(self) -> PartitionedWriter:
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
    files: Sequence[str | Path],
    out_dir: str | Path,
    schema: pa.Schema,
    provenance: dict[str, str],
    read: Callable[[str | Path], pa.Table] = read_batch,
) -> int:
    """Stream Parquet files (one batch each, read by `read`) into a partitioned dataset; returns
    the row count."""
    with PartitionedWriter(out_dir, schema, provenance) as writer:
        for f in files:  # one batch in memory at a time
            writer.write(read(f))
    return writer.rows
