import json

import numpy as np
import pandas as pd
import pytest
from dpdktune.baselines.evaluate import splits_for
from dpdktune.rl.env import EnvSettings
from dpdktune.rl.evaluate import closed_loop
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
        assert ALL not in set(scores.split) and set(scores.seed) == {0}  # the evaluation only
        assert scores[["first", "final"]].le(1.0 + 1e-9).all().all()
        assert scores[["first", "final"]].ge(0.0).all().all()


@pytest.mark.parametrize("algorithm", ["cql", "double_dqn", "ppo"])
def test_saved_models_reload_and_reproduce_their_scores(algorithm, trained, config, landscape):
    model, normalizer, meta = load_model(trained["model_dir"] / algorithm / "0.json", "cpu")
    assert meta["algorithm"] == algorithm and meta["split"] == "0"
    frame = closed_loop(
        model,
        landscape.subset(meta["test"]),
        normalizer,
        config["rl"]["eval_decisions"],
        EnvSettings.from_config(config["rl"]),
    )
    scores = pd.read_parquet(trained["model_dir"].parent / algorithm / "scores.parquet")
    recorded = scores[(scores.split == "0") & (scores.part == "test")].set_index("workload")
    assert np.allclose(frame.set_index("workload").loc[recorded.index, "final"], recorded["final"])


def test_learning_curves_and_timings_are_recorded(trained):
    for curve_path, timing_path in zip(trained["curves"], trained["timing"]):
        curve = pd.read_parquet(curve_path)
        assert set(curve.split) == {"0", "1"}
        assert curve.groupby("split").step.max().eq(curve.step.max()).all()
        assert curve["train_final"].between(0, 1).all()
        timing = json.loads(timing_path.read_text())
        assert timing["inference_us"] > 0 and set(timing["splits"]) == {"0", "1"}


def test_the_deployed_model_sees_every_workload(trained, landscape):
    for algorithm in ("cql", "double_dqn", "ppo"):
        _, _, meta = load_model(trained["deployed_dir"] / algorithm / f"{ALL}.json", "cpu")
        assert meta["split"] == ALL and sorted(meta["train"]) == sorted(landscape.workloads) and meta["test"] == []


def test_every_split_is_trained_with_each_seed_and_logs_an_eta(config, records, tmp_path, caplog):
    import logging

    from dpdktune.config import deep_merge
    from dpdktune.rl import experiment

    cfg = deep_merge(config, {"rl": {"algorithms": ["cql"], "seeds": 2, "offline_steps": 10, "eval_every": 10}})
    with caplog.at_level(logging.INFO, logger="dpdktune.rl"):
        scores, _, timing = experiment.run("cql", records, cfg, tmp_path, threads=1)
    assert set(timing["splits"]) == {"0", "0-s1", "1", "1-s1"}
    assert scores.groupby(["split", "seed"]).ngroups == 4
    seeds = {json.loads((tmp_path / f"{t}.json").read_text())["seed"] for t in timing["splits"]}
    assert len(seeds) == 4  # a distinct training seed per run
    etas = [r.getMessage() for r in caplog.records if "ETA" in r.getMessage()]
    assert len(etas) == 4 and etas[-1].startswith("cql: 4/4 trainings done") and etas[-1].endswith("ETA 0 s")


@pytest.mark.parametrize("algorithm", ["cql", "double_dqn"])
def test_parts_run_as_separate_jobs_give_the_same_models_and_scores(algorithm, config, records, tmp_path):
    """The train_rl_part jobs: each training seeds itself, so running the splits in round-robin
    parts (each part after the others, as in separate processes) changes no number."""
    from dpdktune.config import deep_merge
    from dpdktune.rl import experiment

    cfg = deep_merge(
        config,
        {"rl": {"algorithms": [algorithm], "seeds": 2, "offline_steps": 10, "online_steps": 20, "eval_every": 10}},
    )
    whole = experiment.run(algorithm, records, cfg, tmp_path / "whole", threads=1)
    parts = [
        experiment.run(algorithm, records, cfg, tmp_path / f"part{p}", threads=1, part=p, parts=3) for p in (2, 0, 1)
    ]  # another order than the merge's
    scores, curves, timing = experiment.merge_parts([parts[1], parts[2], parts[0]])
    pd.testing.assert_frame_equal(scores, whole[0])
    pd.testing.assert_frame_equal(curves, whole[1])
    assert list(timing["splits"]) == list(whole[2]["splits"])
    files = sorted(p.name for d in ("part0", "part1", "part2") for p in (tmp_path / d).iterdir())
    assert files == sorted(p.name for p in (tmp_path / "whole").iterdir())
