from dpdktune.campaign.plan import campaign_id, campaign_workloads, expected_runs, load_campaign_hardware, workload_runs
from dpdktune.config import deep_merge


def test_runs_cover_the_grid_times_trials_with_unique_ids_and_seeds(small_config):
    workload = campaign_workloads(small_config)[0]
    specs = workload_runs(small_config, workload, load_campaign_hardware(small_config))
    assert len(specs) == 8 * 2
    assert len({s.run_id for s in specs}) == len(specs)
    assert len({s.seed for s in specs}) == len(specs), "trials of one config must differ in seed"
    assert expected_runs(small_config) == 2 * len(specs)


def test_campaign_id_follows_what_is_measured_not_how_it_is_analysed(small_config):
    assert campaign_id(small_config) == campaign_id(deep_merge(small_config, {"analysis": {"x": 1}}))
    assert campaign_id(small_config) != campaign_id(deep_merge(small_config, {"trials": 3}))
    assert campaign_id(small_config) != campaign_id(deep_merge(small_config, {"sim": {"noise_cv": 0.05}}))


def test_seeds_are_stable_across_calls(small_config):
    hw = load_campaign_hardware(small_config)
    w = campaign_workloads(small_config)[1]
    assert [s.seed for s in workload_runs(small_config, w, hw)] == [s.seed for s in workload_runs(small_config, w, hw)]
