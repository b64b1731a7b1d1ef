import numpy as np
import pytest
from dpdktune.baselines import StaticBest

# rows: samples; cols: configs. Config 0 is best on average, config 1 is best in the worst case.
Y = np.array([[10.0, 7.0, 1.0], [10.0, 7.0, 1.0], [1.0, 6.0, 10.0]])


@pytest.mark.parametrize("criterion, want", [("mean", 0), ("worst", 1)])
def test_static_picks_by_criterion(criterion, want):
    model = StaticBest(criterion).fit(np.zeros((3, 2)), Y)
    assert model.config_index_ == want
    assert list(model.predict(np.zeros((5, 2)))) == [want] * 5


def test_failed_configs_count_as_zero():
    y = Y.copy()
    y[:, 0] = np.nan
    assert StaticBest("mean").fit(np.zeros((3, 2)), y).config_index_ == 1


def test_bad_criterion_is_named():
    with pytest.raises(ValueError, match="criterion"):
        StaticBest("median").fit(np.zeros((3, 2)), Y)


def test_worst_case_ignores_workloads_that_no_config_serves_instead_of_falling_back_to_config_0():
    y = np.vstack([Y, [0.0, 0.0, 0.0], [np.nan, np.nan, np.nan]])
    model = StaticBest("worst").fit(np.zeros((5, 2)), y)
    assert model.config_index_ == 1 and model.unserved_samples_ == 2


def test_worst_case_ties_go_to_the_better_mean():
    y = np.array([[1.0, 10.0, 10.0], [10.0, 1.0, 10.0], [10.0, 10.0, 1.0], [0.0, 0.0, 0.0]]) + np.array([0.0, 0.0, 0.5])
    assert StaticBest("worst").fit(np.zeros((4, 1)), y).config_index_ == 2
