"""Atomic writes of the Phase-2 tables (Parquet, without provenance: they derive from files that carry it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dpdktune.atomic import replacing


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    with replacing(path) as tmp:
        frame.reset_index(drop=True).to_parquet(tmp, index=False)
    return Path(path)
