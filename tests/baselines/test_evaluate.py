import numpy as np
import pytest
from dpdktune.baselines.evaluate import (
    BASELINES,
    STATIC_MEAN,
    oracle_selection,
    score_baselines,
    score_policy,
    splits_for,
)
from dpdktune.fingerprint import fingerprints
from dpdktune.objective import objective_table, trial_table


@pytest.fixture
def data(records, config):
    X = fingerprints(records, config)
    return X, objective_table(records, config), splits_for(config, config["workloads"])


def test_constant_policy_gap_is_its_table_loss(data):
    X, table, splits = data
    scores = score_policy(lambda x, y: lambda xt: np.full(len(xt), 5), X, table, splits, "const")
    for row in scores.itertuples():
        best = table.loc[row.workload].max()
        assert row.achieved == table.at[row.workload, 5]
        assert row.gap == pytest.approx((best - row.achieved) / best)


def test_policies_never_train_on_test_workloads(data):
    X, table, splits = data
    seen = []

    def fit(x_train, y_train):
        seen.append(set(x_train.index.get_level_values("workload")))
        assert y_train.shape == (len(x_train), table.shape[1])
        return lambda xt: np.zeros(len(xt), dtype=int)

    scores = score_policy(fit, X, table, splits, "spy")
    for (train, test), trained in zip(splits, seen):
        assert trained == set(train) and not trained & set(test)
    assert set(scores.split) == set(range(len(splits)))


def test_oracle_has_zero_gap_and_others_do_not_beat_it(data, config):
    X, table, _ = data
    scores = score_baselines(X, table, config)
    assert (scores[scores.policy == "Oracle"].gap.abs() < 1e-12).all()
    assert (scores.gap >= -1e-12).all()
    assert (scores.inference_us > 0).all()
    assert set(scores.policy) == set(BASELINES)


def test_cross_fitted_oracle_is_chosen_on_the_other_trials_and_scored_on_its_own(records, config):
    config["trials"] = 2
    X = fingerprints(records, config)
    table, trials = objective_table(records, config), trial_table(records, config)
    scores = score_baselines(X, table, config, trials)
    oracle = scores[scores.policy == "Oracle"]
    assert len(oracle) > 0
    for row in oracle.itertuples():
        other = trials.loc[(row.workload, 1 - row.trial)]
        assert row.config_index == int(other.idxmax())
        assert row.achieved == pytest.approx(trials.loc[(row.workload, row.trial), row.config_index])
    static = scores[scores.policy == STATIC_MEAN]
    for row in static.itertuples():
        assert row.achieved == pytest.approx(trials.loc[(row.workload, row.trial), row.config_index])
        best_other = int(trials.loc[(row.workload, 1 - row.trial)].idxmax())
        assert row.oracle == pytest.approx(trials.loc[(row.workload, row.trial), best_other])
    assert oracle_selection(trials).startswith("cross-fitted") and oracle_selection(None).startswith("in-sample")
