import json

import pandas as pd
import pytest
from dpdktune.metrics.parquet import write_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
from dpdktune.validation.stage import gate, run
from dpdktune.validation.validate import ValidationFailed


def _write(records, tmp_path):
    import pyarrow as pa

    path = tmp_path / "dataset.parquet"
    write_table(pa.Table.from_pandas(records, preserve_index=False), path, EXPERIMENT_SCHEMA, {"campaign": "t"})
    (tmp_path / "manifest.json").write_text(json.dumps({"campaign_id": "t", "expected_runs": 216}))
    return path, tmp_path / "manifest.json"


def test_stage_writes_outputs_and_gate_stops_on_errors(records, config, tmp_path):
    dataset, manifest = _write(records.drop(index=[1]), tmp_path)
    out = {
        k: str(tmp_path / "v" / n)
        for k, n in [
            ("issues", "issues.parquet"),
            ("groups", "groups.parquet"),
            ("rerun", "rerun.parquet"),
            ("summary", "summary.json"),
        ]
    }
    summary = run(dataset, manifest, config, config["workloads"], out)
    assert summary["counts"]["missing"] == 1
    assert len(pd.read_parquet(out["rerun"])) == 1
    assert json.loads(open(out["summary"]).read())["manifest"]["campaign_id"] == "t"
    gate(out["summary"], config, tmp_path / "gate.json")
    assert json.loads((tmp_path / "gate.json").read_text())["passed"] is False
    config["validate"]["fail_on_error"] = True
    with pytest.raises(ValidationFailed):
        gate(out["summary"], config, tmp_path / "gate2.json")
    assert not (tmp_path / "gate2.json").exists()
