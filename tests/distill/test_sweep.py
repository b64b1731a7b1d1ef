import pandas as pd
import pytest
from dpdktune.distill.policy import Teacher
from dpdktune.distill.sweep import select, sweep_split
from dpdktune.rl.experiment import load_model


def test_sweep_covers_every_setting_with_bounded_metrics(trained, landscape, env_settings, ds):
    model, normalizer, meta = load_model(trained["model_dir"] / "cql" / "0.json", "cpu")
    teacher = Teacher(model, normalizer, "cql")
    frame = sweep_split(
        teacher, landscape.subset(meta["train"]), landscape.subset(meta["test"]), env_settings, ds, decisions=3, seed=0
    )
    assert len(frame) == len(ds.methods) * len(ds.depths) * len(ds.min_samples_leaf) * len(ds.top_k_features)
    assert frame.fidelity.between(0, 1).all() and frame["final"].between(0, 1).all()
    assert (frame.near_fidelity >= frame.fidelity).all()
    assert (frame.fitted_depth <= frame.depth).all()
    assert (frame.walk_ns > 0).all()
    deeper = frame.groupby("depth").nodes.max()
    assert deeper.loc[4] >= deeper.loc[2]


def test_select_picks_the_best_held_out_score_within_the_depth_limit():
    sweep = pd.DataFrame(
        {
            "method": ["bc", "viper", "extract"],
            "depth": [5, 10, 20],
            "min_samples_leaf": 1,
            "top_k": 0,
            "final": [0.8, 0.9, 0.95],
            "fidelity": [0.7, 0.8, 0.9],
            "nodes": [9, 99, 999],
        }
    )
    assert select(sweep, 10) == {"method": "viper", "depth": 10, "min_samples_leaf": 1, "top_k": 0}
    with pytest.raises(ValueError, match="distill.deploy_max_depth"):
        select(sweep, 3)


def test_near_agreement_counts_near_ties():
    import numpy as np
    from dpdktune.distill.sweep import near_agreement

    q = np.array([[1.0, 0.99, 0.0], [1.0, 0.5, 0.0]])
    assert near_agreement(q, np.array([1, 1])) == 0.5
    assert near_agreement(q, np.array([0, 0])) == 1.0
    assert np.isnan(near_agreement(np.zeros((2, 1)), np.array([0, 0])))
