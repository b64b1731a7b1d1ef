"""The float32 layout: exact thresholds and a NumPy twin that walks like scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from codegen.codegen_helpers import hard_inputs, make_table
from dpdktune import treelayout


def test_float32_at_most_is_the_largest_float32_not_above():
    rng = np.random.default_rng(0)
    t = np.concatenate([rng.normal(0, 100, 20000), [0.1, -0.1, 1e-40, 3.0, 1e38]])
    t32 = treelayout.float32_at_most(t)
    assert np.all(t32.astype(np.float64) <= t)
    assert np.all(np.nextafter(t32, np.float32(np.inf)).astype(np.float64) > t)
    assert np.sum(t.astype(np.float32).astype(np.float64) > t) > 1000  # plain casting would misroute
    lo = treelayout.float32_at_least(t)
    assert np.all(lo.astype(np.float64) >= t)


def test_siblings_are_side_by_side_and_leaves_loop(depth10):
    _, table = depth10
    tree = treelayout.compile_table(table)
    leaves = np.isinf(tree.thr)
    assert np.all(tree.child[leaves] == np.flatnonzero(leaves))
    internal = np.flatnonzero(~leaves)
    src = tree.source_index
    for s in internal:
        node = table["nodes"][src[s]]
        assert src[tree.child[s]] == node["left"] and src[tree.child[s] + 1] == node["right"]
    assert tree.depth == 10


# sklearn's input check reduces over +-FLT_MAX rows and overflows; harmless here.
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
@pytest.mark.parametrize("depth", [5, 20])
def test_walk_matches_sklearn_predict_on_hard_inputs(data, depth):
    X, y = data
    clf, table = make_table(X, y, depth, confidence=0.0, novelty=False, wide_bounds=True)
    tree = treelayout.compile_table(table)
    rows = hard_inputs(table, X, 20000, seed=depth)
    rows = rows[np.all(np.isfinite(rows), axis=1)]
    leaf = tree.source_index[treelayout.walk(tree, rows)]
    assert np.array_equal(leaf, clf.apply(rows))
    assert np.array_equal(treelayout.decide(tree, rows), clf.predict(rows))


def test_decide_falls_back_on_invalid_and_novel(depth10, data):
    X, _ = data
    _, table = depth10
    tree = treelayout.compile_table(table)
    base = X[:1].copy()
    assert treelayout.decide(tree, base)[0] == treelayout.decide(tree, X[:1])[0]
    nan = base.copy()
    nan[0, 4] = np.nan
    inf = base.copy()
    inf[0, 0] = np.inf
    out = base.copy()
    out[0, 2] = np.nextafter(treelayout.float32_at_least(table["bounds"]["max"])[2], np.float32(np.inf))
    safe = table["safe_default"]
    assert treelayout.decide(tree, np.vstack([nan, inf, out])).tolist() == [safe] * 3
    assert treelayout.decide(tree, X[:, :5])[0] == safe  # wrong n
