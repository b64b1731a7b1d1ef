import numpy as np
import pytest
from dpdktune.distill.fit import fit_tree, top_k


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    y = (X[:, 2] > 0).astype(int) + 2 * (X[:, 4] > 0.5)
    return X, y, np.ones(n)


def test_top_k_keeps_the_informative_features():
    X, y, w = _data()
    mask = top_k(X, y, w, 2, seed=0)
    assert np.flatnonzero(mask).tolist() == [2, 4]
    assert top_k(X, y, w, 0, seed=0).all()


@pytest.mark.parametrize("depth,leaf", [(1, 1), (3, 5), (6, 20)])
def test_a_masked_tree_never_splits_on_unselected_features(depth, leaf):
    X, y, w = _data()
    mask = np.array([True, False, False, True, True, False])
    tree = fit_tree(X, y, w, depth, leaf, mask, seed=0)
    used = set(tree.tree_.feature[tree.tree_.feature >= 0].tolist())
    assert used <= {0, 3, 4}
    assert tree.get_depth() <= depth
    assert tree.tree_.n_node_samples[tree.tree_.children_left == -1].min() >= leaf
    assert tree.n_features_in_ == 6, "the node table still indexes the full feature vector"


def test_a_value_tree_leaf_runs_the_best_mean_value_not_the_most_frequent_argmax():
    from dpdktune.distill.fit import fit_value_tree

    # one region: 60 % of states prefer action 0 by a hair, 40 % lose everything with it;
    # action 1 is near-best everywhere. An argmax classifier picks 0, the mean value picks 1.
    rng = np.random.default_rng(0)
    X = rng.random((500, 2))
    values = np.zeros((500, 3))
    hair = np.arange(500) < 300
    values[hair] = [1.0, 0.97, 0.1]
    values[~hair] = [0.0, 0.95, 0.1]
    argmax_tree = fit_tree(X, values.argmax(axis=1), None, 1, 50, None, 0)
    assert np.bincount(argmax_tree.predict(X.astype(np.float32))).argmax() == 0
    tree = fit_value_tree(X, values, 1, 50, None, 0)
    assert set(tree.predict(X.astype(np.float32))) == {1}
    assert list(tree.classes_) == [0, 1, 2]
    # confidence: the share of the leaf's states for which its action is near-best
    assert tree.predict_proba(X[:1].astype(np.float32))[0].max() == pytest.approx(1.0)


def test_a_value_tree_splits_where_the_best_action_changes_and_flattens_to_tree_json():
    from dpdktune.distill.fit import fit_value_tree
    from dpdktune.knobs import Knobs
    from dpdktune.treefile import fit_bounds, from_sklearn

    rng = np.random.default_rng(1)
    X = rng.random((400, 3))
    values = np.stack([X[:, 1], 1 - X[:, 1], np.full(400, 0.4)], axis=1)
    tree = fit_value_tree(X, values, 2, 5, np.array([True, True, False]), 0)
    picked = tree.predict(X.astype(np.float32))
    assert np.mean(picked == values.argmax(axis=1)) > 0.95
    assert 2 not in set(tree.tree_.feature[tree.tree_.feature >= 0])  # masked out
    configs = [Knobs(128, 128, c, 32) for c in (1, 2, 4)]
    table = from_sklearn(tree, ["a", "b", "c"], configs, fit_bounds(X), X, 2, 0.0)
    leaves = [n for n in table["nodes"] if n["left"] == -1]
    assert {n["action"] for n in leaves} <= {0, 1}
    assert all(0 < n["confidence"] <= 1 for n in leaves)


@pytest.mark.parametrize("leaf, smallest", [(0.25, 100), (1.0, 1), (40, 40)])
def test_a_leaf_size_below_one_is_a_share_of_the_training_rows(leaf, smallest):
    from dpdktune.distill.fit import fit_value_tree

    X, y, w = _data()
    values = np.eye(4)[y]
    for tree in (fit_tree(X, y, w, 8, leaf, None, 0), fit_value_tree(X, values, 8, leaf, None, 0)):
        sizes = tree.tree_.n_node_samples[tree.tree_.children_left == -1]
        assert sizes.min() >= smallest
        assert len(sizes) <= 400 // smallest


def test_a_leaf_share_survives_the_deployed_setting_and_the_config_schema():
    from dpdktune.config import ConfigError, load_config
    from dpdktune.distill.sweep import setting_of

    assert setting_of({"method": "recorded", "depth": 8.0, "min_samples_leaf": 0.12, "top_k": 0}) == {
        "method": "recorded",
        "depth": 8,
        "min_samples_leaf": 0.12,
        "top_k": 0,
    }
    assert setting_of({"method": "viper", "depth": 8, "min_samples_leaf": 5.0, "top_k": 0})["min_samples_leaf"] == 5
    deploy = {"method": "recorded", "depth": 8, "min_samples_leaf": 0.12, "top_k": 0}
    load_config(overrides={"distill": {"deploy": deploy, "min_samples_leaf": [1, 0.1]}})
    with pytest.raises(ConfigError, match="distill.deploy.min_samples_leaf"):
        load_config(overrides={"distill": {"deploy": {**deploy, "min_samples_leaf": 0}}})
