import json

import pandas as pd

from dpdktune.analysis.analyze import FIGURES, TABLES, run


def test_run_writes_every_table_figure_and_summary(records, config, tmp_path):
    summary = run(records, config, tmp_path, {"campaign": "test"})
    for name in TABLES:
        assert (tmp_path / f"{name}.parquet").exists(), name
    for name in FIGURES:
        data = (tmp_path / "figures" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
    assert json.loads((tmp_path / "summary.json").read_text())["workloads"] == 6 == summary["workloads"]
    ranges = pd.read_parquet(tmp_path / "dynamic_range.parquet")
    assert sum(summary["sensitivity_counts"].values()) == len(ranges) == 6
