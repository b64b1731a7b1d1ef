import numpy as np
import pandas as pd
import pytest
from dpdktune.analysis import landscape_tables
from dpdktune.fingerprint import fingerprints
from dpdktune.objective import objective_values


@pytest.fixture
def perf(records, config):
    return landscape_tables.performance(records, config)


def test_performance_is_the_mean_objective_over_trials(records, config, perf):
    ok = records.assign(objective=objective_values(records, config))
    want = ok.groupby(["workload", "rx_desc", "tx_desc", "cores"]).objective.mean()
    got = perf.set_index(["workload", "rx_desc", "tx_desc", "cores"]).objective
    assert np.allclose(got.sort_index(), want.sort_index())
    assert len(perf) == 6 * 18
    assert np.allclose(perf.groupby("workload").relative.max(), 1.0)


def test_dynamic_range_is_best_over_worst_and_classified(perf):
    ranges = landscape_tables.dynamic_range(perf, high=2.0, low=1.3)
    for row in ranges.itertuples():
        values = perf[perf.workload == row.workload].objective
        assert row.ratio == pytest.approx(values.max() / values.min())
        assert row.sensitivity == ("high" if row.ratio > 2 else "low" if row.ratio < 1.3 else "medium")
    assert list(ranges.ratio) == sorted(ranges.ratio, reverse=True)


def test_zero_worst_gives_infinite_range():
    perf = pd.DataFrame({"workload": ["a", "a"], "objective": [0.0, 5.0]})
    assert np.isinf(landscape_tables.dynamic_range(perf, 2.0, 1.3).ratio.iloc[0])


def test_top_configs_are_ranked_best_first(perf):
    top = landscape_tables.top_configs(perf, k=3)
    assert (top.groupby("workload").size() == 3).all()
    for workload, group in top.groupby("workload"):
        assert group.objective.iloc[0] == perf[perf.workload == workload].objective.max()
        assert list(group.objective) == sorted(group.objective, reverse=True)
        assert group.gap_to_best.iloc[0] == 0


def test_penalty_matrix_diagonal_is_zero_and_bounded(perf):
    penalty = landscape_tables.penalty_matrix(perf)
    assert len(penalty) == 36
    assert (penalty[penalty.workload == penalty.config_of].penalty.abs() < 1e-12).all()
    assert penalty.penalty.between(0, 1).all()
    div = landscape_tables.diversity(landscape_tables.top_configs(perf))
    assert 1 <= div["distinct_best"] <= 6


def test_clusters_cover_every_workload(records, config, perf):
    frame, agreement = landscape_tables.clusters(perf, fingerprints(records, config), n_clusters=3)
    assert sorted(frame.workload) == sorted(config["workloads"])
    assert frame.cluster_by_config.nunique() <= 3
    assert -1 <= agreement["adjusted_rand_index"] <= 1
