"""Read the characterization dataset (one Parquet file or a hive-partitioned directory)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dpdktune.metrics.schema import EXPERIMENT_SCHEMA, KNOB_NAMES, METRIC_NAMES

#: only what the landscape needs (cpu_util lists, logs and provenance stay on disk)
COLUMNS = ("workload", "trial", "status", *KNOB_NAMES, "applied_cores",
           *(m for m in METRIC_NAMES if m != "cpu_util"))


def read_records(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if path.is_dir():
        from dpdktune.dataset import read_columns

        return read_columns(path, COLUMNS).to_pandas()
    from dpdktune.metrics.parquet import read_table

    return read_table(path, EXPERIMENT_SCHEMA).select(list(COLUMNS)).to_pandas()
