import numpy as np
import pandas as pd
import pytest
from dpdktune.rl.env import EnvSettings, restarts
from dpdktune.rl.evaluate import closed_loop, inference_us, lwo_summary, steps_to_fraction


class Constant:
    def __init__(self, action):
        self.action = action

    def predict(self, x):
        return np.full(len(x), self.action)


def test_a_constant_policy_scores_its_configs_normalized_objective(landscape, normalizer):
    settings = EnvSettings(restart_cost_s=1.0, decision_interval_s=2.0)
    for a in (0, landscape.default_action):
        frame = closed_loop(Constant(a), landscape, normalizer, 4, settings)
        expected = landscape.normalized_mean()[:, a]
        assert np.allclose(frame["first"], expected) and np.allclose(frame["final"], expected)
        moved = restarts(landscape.grid, landscape.default_action, a)
        assert (frame.restarts == int(moved)).all()
        assert np.allclose(frame.reward, expected * (1 - 0.5 * moved / 4))


def test_steps_to_95_percent_is_the_first_step_reaching_it():
    curve = pd.DataFrame({"step": [0, 100, 200, 300], "train_final": [0.2, 0.9, 0.97, 1.0]})
    assert steps_to_fraction(curve) == 200


def test_lwo_summary_averages_test_scores_per_split():
    scores = pd.DataFrame(
        {
            "method": "m",
            "split": ["0", "0", "1", "1", "0"],
            "part": ["test"] * 4 + ["train"],
            "first": [1.0, 0.8, 0.6, 0.6, 0.0],
            "final": [1.0, 1.0, 0.8, 0.8, 0.0],
        }
    )
    row = lwo_summary(scores).iloc[0]
    assert row["first"] == pytest.approx(0.75) and row["final"] == pytest.approx(0.9) and row.splits == 2


def test_inference_time_is_positive(landscape, normalizer):
    assert inference_us(Constant(0), normalizer.transform(landscape.all_feature_rows()), repeats=10) > 0
