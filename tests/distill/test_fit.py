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
