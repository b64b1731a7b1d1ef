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


@pytest.fixture(scope="module")
def three_trials(tmp_path_factory, campaign):
    """Two workloads of the shared campaign's grid with three trials, the design the detector is for."""
    from dpdktune.campaign.runner import run_inline
    from dpdktune.config import load_config

    config = load_config(overrides={"workloads": ["flood64", "kv"], "trials": 3, "grid": campaign[0]["grid"],
                                    "default_config": campaign[0]["default_config"]})
    return run_inline(config, tmp_path_factory.mktemp("three"))[0].to_pandas()


@pytest.mark.parametrize("factor", [2.0, 0.6])
def test_planted_outlier_is_found_and_noise_is_not(three_trials, factor):
    records = three_trials.copy()
    base = checks.outliers(records, z_max=3.5)  # the noise-alone rate is test_noise_alone_flags_...'s subject
    i = records.index[records.workload == "flood64"][10]
    records.loc[i, "throughput_mpps"] *= factor
    found = checks.outliers(records, z_max=3.5)
    hit = found[(found.metric == "throughput_mpps") & (found.run_id == records.at[i, "run_id"])]
    assert len(hit) == 1 and set(hit.severity) == {"warning"}
    assert len(found[found.metric == "throughput_mpps"]) == len(base[base.metric == "throughput_mpps"]) + 1


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


@pytest.mark.xfail(strict=True, reason="goal not met on the current simulator: trials near a capacity knee are "
                   "bimodal in latency and the derived data-plane counters, and 1.9 % of the default campaign's "
                   "runs are flagged (2.8 % here)")
def test_noise_alone_flags_at_most_one_percent_of_runs(records):
    found = checks.outliers(records, z_max=3.5)
    assert found.run_id.nunique() <= 0.01 * (records.status == "ok").sum()


def test_slo_verdicts_count_passing_trials_and_mark_flips(records, config):
    config["slo"] = {"loss": 0.001, "p99_us": 100.0}
    i, j = records.index[(records.workload == "large1500")][:2]
    group = records[(records.workload == "large1500") & (records.rx_desc == records.at[i, "rx_desc"])
                    & (records.tx_desc == records.at[i, "tx_desc"]) & (records.cores == records.at[i, "cores"])]
    records.loc[group.index, "drop_rate"] = 0.0
    records.loc[group.index, "latency_p99_us"] = 10.0
    records.loc[group.index[0], "drop_rate"] = 0.01  # one trial misses the loss SLO
    verdicts = checks.slo_verdicts(records, config)
    row = verdicts[(verdicts.workload == "large1500") & (verdicts.rx_desc == records.at[i, "rx_desc"])
                   & (verdicts.tx_desc == records.at[i, "tx_desc"])
                   & (verdicts.cores == records.at[i, "cores"])].iloc[0]
    assert row.slo_trials == len(group) and row.slo_pass == len(group) - 1 and row.verdict_flip
    assert not verdicts[(verdicts.slo_pass == 0) | (verdicts.slo_pass == verdicts.slo_trials)].verdict_flip.any()
