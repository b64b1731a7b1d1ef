import json

import pandas as pd
import pytest
from dpdktune.distill import pipeline
from dpdktune.distill.settings import DistillSettings
from dpdktune.treefile import validate


def test_sweep_then_export_gives_a_valid_tree_from_the_best_q_learner(records, config, rl_summary, trained):
    sweep = pipeline.run_sweep(records, config, rl_summary, trained["model_dir"])
    assert set(sweep.split) == {"0", "1"}
    assert set(sweep.teacher) == {rl_summary["best_q_algorithm"]} == {"cql"}
    out = pipeline.export(records, config, rl_summary, trained["deployed_dir"], sweep, {"dataset": "tiny"})
    validate(out["table"])
    s = out["summary"]
    assert s["setting"]["depth"] <= config["distill"]["deploy_max_depth"]
    assert s["table_matches_sklearn"] == 1.0
    assert 0 <= s["fidelity_all_states"] <= 1
    assert 0 <= s["low_confidence_state_share"] <= 1 and s["largest_leaf"]["samples"] >= 1
    assert out["table"]["inputs"]["teacher"] == "cql/all"
    json.dumps(s)
    depth = pipeline.depth_table(sweep)
    assert set(depth.method) == set(config["distill"].get("methods", ["bc", "viper", "extract"]))


def test_a_ppo_teacher_is_allowed_but_auto_needs_a_q_learner():
    with pytest.raises(ValueError, match="distill.teacher"):
        pipeline.teacher_algorithm(DistillSettings(teacher="auto"), {"best_q_algorithm": None})
    assert pipeline.teacher_algorithm(DistillSettings(teacher="ppo"), {}) == "ppo"


def test_sweep_parts_joined_match_one_sweep(records, config, rl_summary, trained):
    """distill_sweep_part jobs: every split has its own seed, so parts change no number (the
    walk timings aside, which are measured)."""
    whole = pipeline.run_sweep(records, config, rl_summary, trained["model_dir"])
    parts = [pipeline.run_sweep(records, config, rl_summary, trained["model_dir"], part=p, parts=2) for p in (1, 0)]
    joined = pipeline.merge_sweep_parts([parts[1], parts[0]])
    pd.testing.assert_frame_equal(joined.drop(columns="walk_ns"), whole.drop(columns="walk_ns"))


def test_the_deployed_fast_path_is_rebuilt_per_split_and_scored_on_its_held_out_workloads(
    records, config, rl_summary, trained
):
    from dpdktune.rl.experiment import lwo_splits
    from dpdktune.score import score

    deploy = {"method": "recorded", "depth": 4, "min_samples_leaf": 0.25, "top_k": 0}
    cfg = {**config, "distill": {**config["distill"], "deploy": deploy}}
    scores = pipeline.score_deployed_splits(records, cfg, rl_summary, trained["model_dir"], None)
    assert sorted(scores.split.unique()) == [0, 1]
    assert (scores.groupby("split").policy.apply(sorted) == pd.Series([["fastpath.so", "static"]] * 2)).all()
    assert scores.fraction_of_oracle.between(0, 1).all() and scores.fallback_rate.between(0, 1).all()
    # static is the config fitted on the split's training workloads, scored on its held-out ones
    splits = lwo_splits(cfg, sorted(records.workload.unique()), 2)
    for k, (train, test) in enumerate(splits):
        static = score(
            "static", records[records.workload.isin(test)], cfg, campaign_records=records[records.workload.isin(train)]
        )
        row = scores[(scores.split == k) & (scores.policy == "static")].iloc[0]
        assert row.fraction_of_oracle == pytest.approx(static["fraction_of_oracle"])
        assert row.test_workloads == len(test)
    with pytest.raises(ValueError, match="distill.deploy: auto"):
        pipeline.score_deployed_splits(
            records, {**cfg, "distill": {**cfg["distill"], "deploy": "auto"}}, rl_summary, trained["model_dir"], None
        )
