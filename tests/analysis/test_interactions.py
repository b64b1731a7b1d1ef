import numpy as np
import pandas as pd
import pytest
from dpdktune.analysis import interactions


def _design(interaction: float, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for a in (1, 2, 3):
        for b in (1, 2, 3, 4):
            for _ in range(3):
                rows.append({"a": a, "b": b, "objective": a + 0.5 * b + interaction * a * b + rng.normal(0, 0.1)})
    return pd.DataFrame(rows)


def test_anova_detects_a_planted_interaction_and_not_an_absent_one():
    with_inter = interactions.two_way_anova(_design(1.0), "a", "b").set_index("effect")
    without = interactions.two_way_anova(_design(0.0), "a", "b").set_index("effect")
    assert with_inter.at["a:b", "p_value"] < 1e-6
    assert without.at["a:b", "p_value"] > 0.001
    assert without.at["a", "p_value"] < 1e-6
    assert list(with_inter.df) == [2, 3, 6, 24]


def test_anova_sums_of_squares_add_up():
    data = _design(0.3)
    table = interactions.two_way_anova(data, "a", "b")
    total = ((data.objective - data.objective.mean()) ** 2).sum()
    assert table.sum_sq.sum() == pytest.approx(total)
    assert table.eta_sq.sum() == pytest.approx(1.0)


def _line(values, knob="rx_desc"):
    grid = [128, 256, 512, 1024, 2048]
    return pd.DataFrame(
        {"workload": "w", "rx_desc": grid, "tx_desc": 512, "cores": 4, "burst": 32, "objective": values}
    )


def test_sweet_spot_is_an_interior_optimum():
    spots = interactions.sweet_spots(_line([5.0, 8.0, 10.0, 8.0, 6.0]), margin=0.05)
    assert list(spots.best_value) == [512]
    assert spots.loss_at_min.iloc[0] == pytest.approx(0.5)
    assert interactions.sweet_spots(_line([5.0, 6.0, 7.0, 8.0, 10.0]), margin=0.05).empty


def test_cliff_is_a_big_single_step():
    found = interactions.cliffs(_line([10.0, 9.8, 9.7, 4.0, 3.9]), drop=0.3)
    assert len(found) == 1
    assert (found.from_value.iloc[0], found.to_value.iloc[0]) == (512, 1024)
    assert found.change.iloc[0] == pytest.approx(-0.57)


def test_anova_by_workload_on_campaign(records, config):
    from dpdktune.objective import objective_values

    table = interactions.anova_by_workload(
        records.assign(objective=objective_values(records, config)), {"tx_desc": 1024, "burst": 32}
    )
    assert set(table.workload) == set(config["workloads"])
    assert set(table.effect) == {"rx_desc", "cores", "rx_desc:cores", "residual"}
