from dpdktune.metrics.parquet import read_table
from dpdktune.metrics.schema import EXPERIMENT_SCHEMA
from dpdktune.validation.rerun import rerun
from dpdktune.validation.validate import rerun_points, validate


def test_rerun_runs_exactly_the_listed_points(records, config, tmp_path):
    records.loc[4, ["status", "failure_reason"]] = ["failed", "generator hang"]
    issues, _, _ = validate(records.drop(index=[50]), config, config["workloads"])
    points = rerun_points(issues)
    ok = rerun(points, config, tmp_path / "rerun.parquet")
    again = read_table(tmp_path / "rerun.parquet", EXPERIMENT_SCHEMA).to_pandas()
    assert sorted(again.run_id) == sorted([records.at[4, "run_id"], records.at[50, "run_id"]])
    assert ok == 2 and set(again.status) == {"ok"}
