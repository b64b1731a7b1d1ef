"""The zero-shot set: new workloads simulated for the report, and its figures in words."""

import pandas as pd
import pytest
from dpdktune.config import ConfigError, load_config
from dpdktune.distill import zero_shot
from dpdktune.workloads import generate
from rl_data import tiny_config


def test_a_zero_shot_seed_that_draws_the_campaigns_own_workloads_is_refused():
    clash = {"workloads": {"generate": {"count": 4, "seed": 9}}, "report": {"zero_shot_seed": 9}}
    with pytest.raises(ConfigError, match=r"^report.zero_shot_seed: 9 is the seed the campaign's workloads"):
        load_config(overrides=clash)
    load_config(overrides={**clash, "report": {"zero_shot_seed": 9, "zero_shot_workloads": 0}})  # no set: fine
    load_config(overrides={**clash, "report": {"zero_shot_seed": 10}})


def test_a_zero_shot_dataset_that_is_not_there_is_refused(tmp_path):
    missing = tmp_path / "other.parquet"
    with pytest.raises(ConfigError, match=rf"^report.zero_shot_dataset: {missing} does not exist$"):
        load_config(overrides={"report": {"zero_shot_dataset": str(missing)}})


def test_a_zero_shot_dataset_sharing_a_workload_with_the_campaign_is_named():
    problem = zero_shot.shared_workloads_problem(["imix", "gen000", "imix"], ["flood64", "imix"])
    assert (
        problem == "report.zero_shot_dataset: workloads ['imix'] are in the campaign too; a zero-shot set must be new"
    )
    assert zero_shot.shared_workloads_problem(["gen000"], ["flood64", "imix"]) is None


def test_simulate_measures_the_generated_workloads_on_the_campaigns_grid(tmp_path):
    config = tiny_config(trials=1, report={"zero_shot_workloads": 2, "zero_shot_seed": 5})
    records = zero_shot.simulate(config, tmp_path).to_pandas()
    assert sorted(records.workload.unique()) == sorted(w.name for w in generate(2, 5))
    grid = config["grid"]
    n_configs = len(grid["rx_desc"]) * len(grid["tx_desc"]) * len(grid["cores"]) * len(grid["burst"])
    assert records.groupby("workload").size().tolist() == [n_configs] * 2


SOURCE = "generated from seed 1001 and simulated"


def comparison(fast: float, static: float, low: float) -> pd.DataFrame:
    rows = [
        (zero_shot.DEPLOYED, f"15 new workloads, {SOURCE}; fallback rate 6.7%", fast, fast - 0.1, fast + 0.1),
        (zero_shot.STATIC, f"15 new workloads, {SOURCE}; fallback rate 0.0%", static, static - 0.1, static + 0.1),
        (zero_shot.DEPLOYED_MINUS_STATIC, "paired difference over workloads", fast - static, low, 0.5),
    ]
    return pd.DataFrame(rows, columns=["policy", "decision", "score_vs_oracle", "ci_low", "ci_high"])


@pytest.mark.parametrize(
    "fast, low, bar, verdict",
    [
        (0.80, 0.20, 0.15, "On them Phase 1's goal (+0.150) is met."),
        (0.80, 0.10, 0.15, "is met (its lower bound is below the bar)."),
        (0.70, 0.05, 0.15, "is not met."),
    ],
)
def test_words_state_the_gain_over_static_against_phase_1s_bar(fast, low, bar, verdict):
    text = zero_shot.words(comparison(fast, 0.55, low), bar)
    assert text.startswith(f"On 15 new workloads, {SOURCE}, that no model saw, the deployed fastpath.so itself")
    assert f"scores {fast:.3f}" in text and "fallback rate 6.7%" in text and f"{fast - 0.55:+.3f}" in text
    assert text.endswith(verdict)
    assert "Phase 1's goal" not in zero_shot.words(comparison(fast, 0.55, low), None)  # NO-GO: no bar


def test_no_zero_shot_rows_no_words():
    assert zero_shot.words(comparison(0.8, 0.5, 0.1).iloc[3:], 0.1) == ""
