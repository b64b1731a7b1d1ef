import json

import numpy as np
import pytest

from dpdktune.validation import checks


def test_clean_campaign_has_no_missing_or_failed_points(records, config):
    workloads = config["workloads"]
    assert checks.missing_points(records, config, workloads).empty
    assert checks.failed_runs(records).empty


def test_missing_points_names_the_dropped_runs(records, config):
    dropped = records.iloc[[3, 40]]
    found = checks.missing_points(records.drop(index=dropped.index), config, config["workloads"])
    assert len(found) == 2
    got = {(r.workload, r.rx_desc, r.tx_desc, r.cores, r.trial) for r in found.itertuples()}
    want = {(r.workload, r.rx_desc, r.tx_desc, r.cores, r.trial) for r in dropped.itertuples()}
    assert got == want
    assert set(found.severity) == {"error"}


def test_missing_points_counts_a_workload_with_no_records(records, config):
    found = checks.missing_points(records, config, [*config["workloads"], "ghost"])
    assert (found.workload == "ghost").sum() == 18 * config["trials"]


def test_failed_runs_carry_their_reason(records):
    records.loc[5, ["status", "failure_reason"]] = ["failed", "testpmd did not start"]
    found = checks.failed_runs(records)
    assert list(found.run_id) == [records.at[5, "run_id"]]
    assert found.detail.iloc[0] == "testpmd did not start"


@pytest.mark.parametrize(
    "metric, value, detail",
    [("drop_rate", 1.5, "outside"), ("ddio_hit_rate", -0.1, "outside"), ("throughput_mpps", -1.0, "outside"),
     ("latency_p50_us", 1e9, "latency_p50_us > latency_p99_us")],
)
def test_range_violations_flag_bad_values(records, metric, value, detail):
    records.loc[7, metric] = value
    found = checks.range_violations(records)
    hit = found[found.run_id == records.at[7, "run_id"]]
    assert len(hit) >= 1 and any(detail in d for d in hit.detail)


def test_cpu_util_above_one_is_a_range_violation(records):
    records.at[9, "cpu_util"] = np.array([0.5, 1.7])
    found = checks.range_violations(records)
    assert list(found[found.metric == "cpu_util"].run_id) == [records.at[9, "run_id"]]


def test_null_metric_needs_a_missing_reason(records):
    records.loc[[11, 12], "dram_gbps"] = np.nan
    records.at[12, "missing_reasons"] = json.dumps({"dram_gbps": "perf counters not supported"})
    found = checks.range_violations(records)
    assert list(found.run_id) == [records.at[11, "run_id"]]
    assert "no missing_reasons" in found.detail.iloc[0]


def test_clean_campaign_is_in_range(records):
    assert checks.range_violations(records).empty


def test_planted_outlier_is_found_and_noise_is_not(records):
    base = checks.outliers(records, z_max=3.5)
    assert len(base[base.metric == "throughput_mpps"]) <= 0.05 * len(records)
    i = records.index[records.workload == "flood64"][10]
    records.loc[i, "throughput_mpps"] *= 2.0
    found = checks.outliers(records, z_max=3.5)
    hit = found[(found.metric == "throughput_mpps") & (found.run_id == records.at[i, "run_id"])]
    assert len(hit) == 1 and set(hit.severity) == {"warning"}


def test_reproducibility_cv_is_std_over_mean_and_flags_above_threshold(records, config):
    config["validate"]["cv_threshold"] = 0.05
    config["objective"] = "throughput_mpps"
    group = records[(records.workload == "imix") & (records.rx_desc == 512) & (records.tx_desc == 256) & (records.cores == 4)]
    records.loc[group.index[0], "throughput_mpps"] *= 1.5
    stats = checks.reproducibility(records, config)
    row = stats[(stats.workload == "imix") & (stats.rx_desc == 512) & (stats.tx_desc == 256) & (stats.cores == 4)].iloc[0]
    values = records.loc[group.index, "throughput_mpps"]
    assert row.cv == pytest.approx(values.std() / values.mean())
    assert row.cv_flagged
    flagged = checks.irreproducible(stats, 0.05)
    assert len(flagged) == stats.cv_flagged.sum() >= 1
