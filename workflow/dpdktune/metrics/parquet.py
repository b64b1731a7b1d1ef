"""Atomic Parquet writes with provenance, and reads that check the schema.

Every file is written with a CRC-32 per data page and read back with the CRCs verified, so a
damaged batch or dataset fails loudly, naming the file (DamagedFile), instead of feeding wrong
numbers into the analysis.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from dpdktune.atomic import replacing

PROVENANCE_KEY = b"dpdktune.provenance"

#: keyword arguments of every Parquet writer here (pq.write_table, pq.ParquetWriter)
WRITE_OPTIONS: dict[str, Any] = {"compression": "zstd", "write_page_checksum": True}
#: keyword arguments of every Parquet reader here (pq.read_table, pq.ParquetFile)
READ_OPTIONS: dict[str, Any] = {"page_checksum_verification": True}


class DamagedFile(OSError):
    """A Parquet file that cannot be read back intact; the message names the file."""


@contextlib.contextmanager
def naming_damage(path: str | Path) -> Iterator[None]:
    """Re-raise a read failure (pyarrow names no file) as DamagedFile naming `path`."""
    try:
        yield
    except (OSError, pa.ArrowInvalid) as exc:
        if isinstance(exc, (DamagedFile, FileNotFoundError)):
            raise
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DamagedFile(f"{path}: damaged Parquet file ({reason})") from exc


def parquet_format() -> ds.ParquetFileFormat:
    """The dataset format for lazy reads, with page checksums verified."""
    return ds.ParquetFileFormat(default_fragment_scan_options=ds.ParquetFragmentScanOptions(**READ_OPTIONS))


def stamped(schema: pa.Schema, provenance: dict[str, str]) -> pa.Schema:
    """`schema` with `provenance` in its metadata, as every dpdktune Parquet file carries it."""
    meta = dict(schema.metadata or {})
    meta[PROVENANCE_KEY] = json.dumps(provenance, sort_keys=True).encode()
    return schema.with_metadata(meta)


def write_table(table: pa.Table, path: str | Path, schema: pa.Schema, provenance: dict[str, str]) -> None:
    """Cast `table` to `schema`, stamp provenance, and write it atomically (temp + rename)."""
    table = table.select(schema.names).cast(schema)
    table = table.replace_schema_metadata(stamped(table.schema, provenance).metadata)
    with replacing(path) as tmp:
        pq.write_table(table, tmp, **WRITE_OPTIONS)


def rows_to_table(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    """Build a table from row dicts; absent keys become null."""
    rows = list(rows)
    columns = {f.name: [row.get(f.name) for row in rows] for f in schema}
    return pa.table(columns, schema=schema)


def read_table(path: str | Path, schema: pa.Schema) -> pa.Table:
    """Read a file written by `write_table`, failing loudly if it is damaged or its schema drifted."""
    with naming_damage(path):
        table = pq.read_table(path, **READ_OPTIONS)
    missing = [n for n in schema.names if n not in table.schema.names]
    if missing:
        raise ValueError(f"{path}: columns missing from the record schema: {missing}")
    return table.select(schema.names).cast(schema)


def read_provenance(path: str | Path) -> dict[str, str]:
    with naming_damage(path):
        meta = pq.read_schema(path).metadata or {}
    if PROVENANCE_KEY not in meta:
        raise ValueError(f"{path}: no dpdktune provenance in the Parquet metadata")
    return json.loads(meta[PROVENANCE_KEY])


def write_frame(frame: pd.DataFrame, path: str | Path, provenance: dict[str, str]) -> Path:
    """A derived table (its index as columns when named), atomically, stamped with `provenance`."""
    named = [n for n in frame.index.names if n is not None]
    table = pa.Table.from_pandas(frame.reset_index() if named else frame, preserve_index=False)
    write_table(table, path, table.schema, provenance)
    return Path(path)
