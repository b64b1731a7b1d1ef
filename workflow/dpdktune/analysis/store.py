"""Atomic writes of derived tables (Parquet, with the dataset's provenance)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from dpdktune.metrics.parquet import write_table


def write_frame(frame: pd.DataFrame, path: str | Path, provenance: dict[str, str]) -> None:
    """Write `frame` (its index as columns when named) atomically, stamped with `provenance`."""
    named = [n for n in frame.index.names if n is not None]
    table = pa.Table.from_pandas(frame.reset_index() if named else frame, preserve_index=False)
    write_table(table, path, table.schema, provenance)


def read_frame(path: str | Path) -> pd.DataFrame:
    return pd.read_parquet(path)
