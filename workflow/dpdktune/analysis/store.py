"""Atomic writes of derived tables (Parquet, with the dataset's provenance) and JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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


def write_json(data: Any, path: str | Path) -> None:
    """Atomic JSON write (temp + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)
