import numpy as np
import pandas as pd
import pytest
from dpdktune.objective import OBJECTIVES, check_objective_config, compliance, objective_values

GRID = {"rx_desc": [128, 2048], "tx_desc": [128, 2048], "cores": [1, 2, 4, 16], "burst": [32]}
CONFIG = {"objective": "cores_at_slo", "grid": GRID, "slo": {"loss": 0.001, "p99_us": 100.0}}


def runs(*rows) -> pd.DataFrame:
    """Records from (cores, drop_rate, p99, rx, tx) tuples at 10 Mpps offered."""
    frame = pd.DataFrame(rows, columns=["cores", "drop_rate", "latency_p99_us", "rx_desc", "tx_desc"])
    return frame.assign(offered_mpps=10.0, throughput_mpps=10.0 * (1 - frame.drop_rate), status="ok", burst=32)


def value(name="cores_at_slo", **over):
    return objective_values(runs(*over.pop("rows")), {**CONFIG, **over}, name).to_numpy()


def test_within_the_slo_the_ratio_of_values_is_the_inverse_ratio_of_cores():
    v = value(rows=[(2, 0.0, 20.0, 128, 128), (4, 0.0, 20.0, 128, 128), (16, 0.0, 20.0, 128, 128)])
    assert v[1] / v[0] == pytest.approx(0.5)
    assert v[2] / v[0] == pytest.approx(2 / 16)


def test_carrying_the_load_on_the_most_cores_beats_one_core_that_drops_most_packets():
    v = value(rows=[(16, 0.0, 90.0, 2048, 2048), (1, 0.8, 20.0, 128, 128), (1, 0.05, 20.0, 128, 128)])
    assert v[0] > v[1] and v[0] > v[2]


def test_one_stall_costs_a_run_some_value_but_never_drops_it_below_a_config_that_misses_the_slo():
    clean, stalled, missing = value(
        rows=[(2, 0.0, 30.0, 128, 128), (2, 0.003, 30.0, 128, 128), (2, 0.3, 30.0, 128, 128)]
    )
    assert 0.5 * clean < stalled < clean
    assert stalled > 3 * missing


def test_where_no_config_carries_the_load_the_ratio_is_the_goodput_ratio():
    a, b = value(rows=[(16, 0.30, 30.0, 128, 128), (1, 0.35, 30.0, 128, 128)])
    assert b / a == pytest.approx(0.65 / 0.70, rel=0.02)


def test_ties_on_cores_go_to_lower_p99_then_smaller_rings_and_never_outweigh_a_core_step():
    v = value(
        rows=[
            (4, 0.0, 10.0, 128, 128),
            (4, 0.0, 80.0, 128, 128),
            (4, 0.0, 10.0, 2048, 2048),
            (2, 0.0, 99.0, 2048, 2048),
        ]
    )
    assert v[0] > v[2] > v[1]
    assert v[3] > v[0]


def test_value_moves_continuously_with_the_loss_across_the_slo():
    losses = np.linspace(0, 0.02, 201)
    v = value(rows=[(2, d, 30.0, 128, 128) for d in losses])
    assert np.all(np.diff(v) <= 1e-12)
    assert np.max(np.abs(np.diff(v))) / v[0] < 0.03  # 0.01 % more loss costs under 3 %


def test_slo_goodput_per_core_gives_nothing_for_a_core_that_drops_most_packets():
    v = value("slo_goodput_per_core", rows=[(1, 0.8, 20.0, 128, 128), (4, 0.0, 20.0, 128, 128)])
    assert v[0] == 0.0 and v[1] == pytest.approx(10.0 / 4)


def test_compliance_is_one_within_the_slo_and_1_over_e_at_one_tolerance():
    c = compliance([0.0, 0.001, 0.011], [50.0, 100.0, 100.0], {"slo": {"loss": 0.001, "p99_us": 100.0}})
    assert c == pytest.approx([1.0, 1.0, np.exp(-1)])


@pytest.mark.parametrize("name", OBJECTIVES)
def test_failed_runs_give_nan(name):
    frame = runs((1, 0.0, 20.0, 128, 128)).assign(status="failed")
    assert objective_values(frame, CONFIG, name).isna().all()


@pytest.mark.parametrize("key, replacement", [("slo_p99_us", "slo.p99_us"), ("zero_loss_drop_rate", "slo.loss")])
def test_a_replaced_key_fails_with_one_line_naming_its_replacement(key, replacement):
    from dpdktune.config import ConfigError, load_config

    with pytest.raises(ValueError, match=f"^{key}: replaced by {replacement}"):
        check_objective_config({**CONFIG, key: 1.0})
    with pytest.raises(ConfigError, match=f"{key}: 'replaced by {replacement}' was expected"):
        load_config(overrides={key: 1.0})


def test_the_old_mpps_per_core_objective_names_its_replacement():
    with pytest.raises(ValueError, match="^objective: mpps_per_core was replaced by slo_goodput_per_core$"):
        check_objective_config({**CONFIG, "objective": "mpps_per_core"})
    from dpdktune.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="objective: 'replaced by slo_goodput_per_core' was expected"):
        load_config(overrides={"objective": "mpps_per_core"})
