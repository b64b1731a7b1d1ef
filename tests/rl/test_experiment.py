import json

import numpy as np
import pandas as pd
import pytest

from dpdktune.baselines.evaluate import splits_for
from dpdktune.rl.evaluate import closed_loop
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.experiment import ALL, load_model, lwo_splits


def test_splits_are_the_baselines_splits(config, landscape):
    assert lwo_splits(config, landscape.workloads, 2) == splits_for(config, landscape.workloads)[:2]


def test_each_algorithm_is_scored_on_held_out_workloads_only(trained, config, landscape):
    for path in trained["scores"]:
        scores = pd.read_parquet(path)
        for k, (train, test) in enumerate(lwo_splits(config, landscape.workloads, 2)):
            split = scores[scores.split == str(k)]
            assert sorted(split[split.part == "test"].workload) == sorted(test)
            assert sorted(split[split.part == "train"].workload) == sorted(train)
        assert set(scores[scores.split == ALL].part) == {"train"}
        assert scores[["first", "final"]].le(1.0 + 1e-9).all().all()
        assert scores[["first", "final"]].ge(0.0).all().all()


@pytest.mark.parametrize("algorithm", ["cql", "double_dqn", "ppo"])
def test_saved_models_reload_and_reproduce_their_scores(algorithm, trained, config, landscape):
    model, normalizer, meta = load_model(trained["model_dir"] / algorithm / "0.json", "cpu")
    assert meta["algorithm"] == algorithm and meta["split"] == "0"
    frame = closed_loop(model, landscape.subset(meta["test"]), normalizer, config["rl"]["eval_decisions"],
                        EnvSettings.from_config(config["rl"]))
    scores = pd.read_parquet(trained["model_dir"].parent / algorithm / "scores.parquet")
    recorded = scores[(scores.split == "0") & (scores.part == "test")].set_index("workload")
    assert np.allclose(frame.set_index("workload").loc[recorded.index, "final"], recorded["final"])


def test_learning_curves_and_timings_are_recorded(trained):
    for curve_path, timing_path in zip(trained["curves"], trained["timing"]):
        curve = pd.read_parquet(curve_path)
        assert set(curve.split) == {"0", "1", ALL}
        assert curve.groupby("split").step.max().eq(curve.step.max()).all()
        assert curve["train_final"].between(0, 1).all()
        timing = json.loads(timing_path.read_text())
        assert timing["inference_us"] > 0 and set(timing["splits"]) == {"0", "1", ALL}
