import numpy as np
import pytest
from dpdktune.baselines.evaluate import SCORE_COLUMNS
from dpdktune.rl import summarize


def test_summary_has_cis_sample_efficiency_and_the_best_q_learner(trained):
    scores, curves, summary = summarize.summarize(trained["scores"], trained["curves"], trained["timing"])
    table = summarize.lwo_table(summary).set_index("method")
    assert set(table.index) == {"cql", "double_dqn", "ppo"}
    assert (table.final_lo <= table.final + 1e-12).all() and (table.final <= table.final_hi + 1e-12).all()
    assert table.loc["cql", "splits"] == 2
    assert table.steps_to_95.notna().all()
    assert summary["best_q_algorithm"] in ("cql", "double_dqn")
    best = table.loc[["cql", "double_dqn"]].final.max()
    assert table.loc[summary["best_q_algorithm"], "final"] == best


def test_rl_decisions_are_scored_in_the_baselines_format(trained, records, config):
    decisions = summarize.baseline_format(records, config, trained["model_dir"])
    assert list(decisions.columns) == [*SCORE_COLUMNS, "seed"]  # the baselines' columns plus the training seed
    assert set(decisions.policy) == {"RL-cql", "RL-double_dqn", "RL-ppo"} and set(decisions.seed) == {0}
    assert set(decisions.split) == {0, 1}
    assert (decisions.achieved <= decisions.oracle + 1e-9).all()
    assert np.allclose(decisions.gap, 1 - decisions.achieved / decisions.oracle)


def test_a_model_from_other_splits_is_refused(trained, records, config):
    other = {**config, "seed": config["seed"] + 1}
    with pytest.raises(ValueError, match="differ from the baselines' split"):
        summarize.baseline_format(records, other, trained["model_dir"])
