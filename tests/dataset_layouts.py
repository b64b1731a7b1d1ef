"""One small simulator campaign written in each dataset layout, for the dataset-reader and
partitioned-dataset tests (the `layouts` fixture in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

#: 3 workloads x 4 configs x 1 trial on the simulator.
CAMPAIGN = {
    "workloads": ["flood64", "bursty", "imix"],
    "grid": {"rx_desc": [256, 1024], "tx_desc": [512], "cores": [1, 4], "burst": [32]},
    "trials": 1,
    "seed": 11,
}
PROVENANCE = {"seed": "11", "backend": "sim"}


@dataclass(frozen=True)
class Layouts:
    records: pa.Table
    series: pa.Table
    batches: list[Path]  # one file per workload, as characterize's batches
    single: Path  # every record in one file
    parted: Path  # the batches as a hive-partitioned directory


def write_layouts(base: Path) -> Layouts:
    from dpdktune.campaign.partitioned import write_partitioned
    from dpdktune.campaign.runner import run_inline
    from dpdktune.config import load_config
    from dpdktune.metrics.parquet import write_table
    from dpdktune.metrics.schema import EXPERIMENT_SCHEMA

    records, series = run_inline(load_config(overrides=CAMPAIGN), base / "run")
    batches = []
    for name in CAMPAIGN["workloads"]:
        path = base / f"{name}.parquet"
        write_table(records.filter(pc.equal(records["workload"], name)), path, EXPERIMENT_SCHEMA, PROVENANCE)
        batches.append(path)
    single = base / "dataset.parquet"
    write_table(records, single, EXPERIMENT_SCHEMA, PROVENANCE)
    write_partitioned(batches, base / "parted", EXPERIMENT_SCHEMA, PROVENANCE)
    return Layouts(records, series, batches, single, base / "parted")
