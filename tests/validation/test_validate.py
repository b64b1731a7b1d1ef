import pytest
from dpdktune.validation.validate import ValidationFailed, enforce, rerun_points, validate


def test_summary_counts_each_check(records, config):
    records.loc[2, ["status", "failure_reason"]] = ["failed", "link flap"]
    records = records.drop(index=[30])
    issues, groups, summary = validate(records, config, config["workloads"])
    assert summary["counts"]["failed"] == 1
    assert summary["counts"]["missing"] == 1
    assert summary["errors"] == (issues.severity == "error").sum() >= 2
    assert summary["passed"] is False
    assert summary["expected_runs"] == 6 * 18 * 2
    assert summary["groups"] == len(groups)


def test_clean_campaign_passes(records, config):
    _, _, summary = validate(records, config, config["workloads"])
    assert summary["passed"] and summary["errors"] == 0


def test_rerun_points_are_the_failed_and_missing_ones(records, config):
    records.loc[2, ["status", "failure_reason"]] = ["failed", "link flap"]
    gone = records.loc[30]
    issues, _, _ = validate(records.drop(index=[30]), config, config["workloads"])
    points = rerun_points(issues)
    assert len(points) == 2
    assert set(points.check) == {"failed", "missing"}
    assert ((points.workload == gone.workload) & (points.rx_desc == gone.rx_desc) & (points.trial == gone.trial)).any()


@pytest.mark.parametrize("fail_on_error", [True, False])
def test_fail_on_error_switch(records, config, fail_on_error):
    config["validate"]["fail_on_error"] = fail_on_error
    _, _, summary = validate(records.drop(index=[0]), config, config["workloads"])
    if fail_on_error:
        with pytest.raises(ValidationFailed, match="validate.fail_on_error"):
            enforce(summary, config)
    else:
        enforce(summary, config)


def test_summary_reports_the_outlier_share_and_verdict_flips(records, config):
    issues, groups, summary = validate(records, config, config["workloads"])
    flagged = issues[issues.check == "outlier"].run_id.nunique()
    assert summary["outlier_share"] == flagged / (records.status == "ok").sum()
    flips = summary["verdict_flips"]
    assert flips["groups"] == len(groups) and flips["flipped"] == int(groups.verdict_flip.sum())
    assert 0.0 <= flips["share"] <= 1.0


def test_objective_stability_bounds_how_far_a_config_moves_between_trials(records, config):
    _, groups, summary = validate(records, config, config["workloads"])
    st = summary["objective_stability"]
    assert 1.0 <= st["median_max_min_ratio"] <= st["p99_max_min_ratio"] <= st["max_max_min_ratio"]
    assert st["configs"] == len(groups) and 0 <= st["top_to_bottom_half"] <= st["configs"]
    from dpdktune.objective import objective_values

    ok = records.assign(v=objective_values(records, config))
    ratios = ok.groupby(["workload", "rx_desc", "tx_desc", "cores", "burst"]).v.agg(lambda v: v.max() / v.min())
    assert st["max_max_min_ratio"] == pytest.approx(ratios.max())


def test_an_outlier_in_a_config_whose_verdict_flips_is_labelled_and_counted(records, config):
    config["slo"] = {**config["slo"], "loss": 0.001, "p99_us": 100.0}
    group = records[
        (records.workload == "flood64") & (records.rx_desc == 512) & (records.tx_desc == 256) & (records.cores == 4)
    ].index
    records.loc[group, ["drop_rate", "latency_p99_us"]] = [0.0, 10.0]
    records.loc[group[0], "drop_rate"] = 0.01  # the trials disagree on the SLO verdict
    records.loc[group[0], "throughput_mpps"] *= 3.0  # and that trial's counter is off
    issues, _, summary = validate(records, config, config["workloads"])
    hit = issues[
        (issues.check == "outlier")
        & (issues.run_id == records.at[group[0], "run_id"])
        & (issues.metric == "throughput_mpps")
    ]
    assert len(hit) == 1 and "verdict flips" in hit.detail.iloc[0]
    labelled = issues[(issues.check == "outlier") & issues.detail.str.contains("verdict flips")].run_id.nunique()
    assert summary["outlier_runs_in_verdict_flips"] == labelled >= 1
