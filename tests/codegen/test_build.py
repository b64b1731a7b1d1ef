"""fastpath.so decides exactly like the Python tree, and falls back to the safe default."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from dpdktune import treelayout
from dpdktune.codegen import build

from .codegen_helpers import FEATURES, FastPath, hard_inputs, make_table


def test_identical_to_python_on_test_inputs(built10, depth10, data):
    files, fp = built10
    clf, table = depth10
    X, _ = data
    tree = treelayout.compile_table(table)
    c = fp.decide(X)
    assert np.array_equal(c, treelayout.decide(tree, X))
    # Where the checks pass, the decision is scikit-learn's own prediction. Training rows sit
    # inside their leaf's box, so only low-confidence leaves fall back on them.
    passed = c != table["safe_default"]
    assert passed.mean() > 0.5
    assert np.all(treelayout.inside_leaf_box(tree, X, tree.leaf_of[treelayout.walk(tree, X)]))
    assert np.array_equal(c[passed], clf.predict(X[passed]))


@pytest.fixture(scope="module", params=["table", "nested"])
def built_walk(request, built10, depth10, tmp_path_factory):
    if request.param == "table":
        return built10[1]
    out = tmp_path_factory.mktemp("fastpath_nested")
    return FastPath(build.build_fastpath(depth10[1], out, out / "fastpath.so", walk="nested")["library"])


def test_identical_to_python_on_100k_hard_inputs(built_walk, depth10, data):
    fp = built_walk
    _, table = depth10
    X, _ = data
    rows = hard_inputs(table, X, 100_000, seed=7)
    assert np.isnan(rows).any() and np.isinf(rows).any()
    c = fp.decide(rows)
    py = treelayout.decide(treelayout.compile_table(table), rows)
    assert np.array_equal(c, py), f"{np.sum(c != py)} of {len(rows)} decisions differ"
    assert np.all(c[~np.all(np.isfinite(rows), axis=1)] == table["safe_default"])


@pytest.mark.parametrize(("depth", "confidence"), [(1, 0.0), (2, 0.0), (3, 0.0), (3, 0.6)])
def test_flat_walk_is_identical_to_python_on_hard_inputs(tmp_path, data, depth, confidence):
    """The branch-free walk for few leaves: same decision as the NumPy twin on 30k hard rows (NaN,
    inf, threshold-adjacent, outside every box), with and without low-confidence leaves."""
    X, y = data
    _, table = make_table(X, y, depth, confidence=confidence)
    tree = treelayout.compile_table(table)
    assert tree.n_leaves <= 8
    files = build.build_fastpath(table, tmp_path, tmp_path / "fastpath.so", walk="flat")
    assert "walk flat" in files["source"].read_text().split("*/", 1)[0]
    rows = hard_inputs(table, X, 30_000, seed=depth)
    c = FastPath(files["library"]).decide(rows)
    assert np.array_equal(c, treelayout.decide(tree, rows))
    if confidence == 0.0:  # every leaf keeps its config: many rows get one
        assert np.mean(c != table["safe_default"]) > 0.1


# sklearn's input check reduces over +-FLT_MAX rows and overflows; harmless here.
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduce:RuntimeWarning")
@pytest.mark.parametrize("depth", [5, 20])
def test_checks_off_equals_sklearn_predict(tmp_path, data, depth):
    X, y = data
    clf, table = make_table(X, y, depth, confidence=0.0, novelty=False, wide_bounds=True)
    fp = FastPath(build.build_fastpath(table, tmp_path, tmp_path / f"fp{depth}.so")["library"])
    rows = hard_inputs(table, X, 30_000, seed=depth)
    rows = rows[np.all(np.isfinite(rows), axis=1)]
    assert np.array_equal(fp.decide(rows), clf.predict(rows))


def test_novel_input_gets_the_safe_default(built10, depth10, data):
    _, fp = built10
    _, table = depth10
    X, _ = data
    tree = treelayout.compile_table(table)
    safe = table["safe_default"]
    inside = X[fp.decide(X) != safe][:50]
    assert len(inside) == 50
    above = inside.copy()
    above[:, 3] = np.nextafter(treelayout.float32_at_least(table["bounds"]["max"])[3], np.float32(np.inf))
    assert np.all(fp.decide(above) == safe)
    # Inside the global bounds but outside the reached leaf's own training box.
    # Each row: every feature in turn just below its leaf's box floor; keep the moves that stay
    # inside the global bounds and on the same leaf (off the path's thresholds).
    g_lo = treelayout.float32_at_most(table["bounds"]["min"])
    leaf = tree.leaf_of[treelayout.walk(tree, inside)]
    away = []
    for r, lf in zip(inside, leaf):
        for f in range(len(r)):
            moved = r.copy()
            moved[f] = np.nextafter(tree.box_lo[lf, f], np.float32(-np.inf))
            if moved[f] >= g_lo[f] and tree.leaf_of[treelayout.walk(tree, moved[None])[0]] == lf:
                away.append(moved)
    assert len(away) >= 20
    assert np.all(fp.decide(np.array(away)) == safe)
    # Low-confidence leaves: the C result is the safe default exactly where the leaf's is.
    slot = treelayout.walk(tree, X)
    conf = np.array([table["nodes"][s]["confidence"] for s in tree.source_index[slot]])
    c = fp.decide(X)
    low = conf < table["confidence_threshold"]
    assert low.any() and np.all(c[low] == safe)


def test_wrong_n_and_null_get_the_safe_default(built10, data):
    _, fp = built10
    X, _ = data
    row = np.ascontiguousarray(X[:1])
    safe = fp.lib.fp_safe_default()
    for n in (0, -1, len(FEATURES) - 1, len(FEATURES) + 1):
        assert fp.decide(row, n=n)[0] == safe
    assert fp.lib.fp_decide(None, len(FEATURES)) == safe


def test_exports_describe_the_library(built10, depth10):
    _, fp = built10
    _, table = depth10
    lib = fp.lib
    assert lib.fp_n_features() == len(FEATURES)
    assert [lib.fp_feature_name(i).decode() for i in range(len(FEATURES))] == FEATURES
    assert lib.fp_feature_name(len(FEATURES)) is None
    assert lib.fp_n_configs() == len(table["configs"]) == 125
    configs = (ctypes.c_int32 * (4 * 125)).in_dll(lib, "fp_configs")
    got = np.frombuffer(configs, dtype=np.int32).reshape(125, 4)
    want = [[c[k] for k in ("rx_desc", "tx_desc", "cores", "burst")] for c in table["configs"]]
    assert got.tolist() == want
    assert lib.fp_tree_bytes() == treelayout.compile_table(table).size_bytes


def test_build_error_carries_the_compiler_message(tmp_path):
    src = tmp_path / "broken.c"
    src.write_text("int f(void) { return undeclared; }\n")
    with pytest.raises(build.BuildError, match="undeclared"):
        build.compile_c([src], tmp_path / "broken.so")
    assert not (tmp_path / "broken.so").exists()
    with pytest.raises(build.BuildError, match="codegen.cc"):
        build.compile_c([src], tmp_path / "x.so", cc="no-such-cc")


def test_many_copies_load_in_one_process(built10, tmp_path, data):
    """No initial-exec TLS: dlopen() must not run out of static TLS (ctypes next to torch)."""
    import shutil

    files, _ = built10
    libs = []
    for i in range(24):
        copy = tmp_path / f"fp{i}.so"
        shutil.copy(files["library"], copy)
        libs.append(FastPath(copy))
    X = data[0][:20]
    assert all(np.array_equal(lib.decide(X), libs[0].decide(X)) for lib in libs)
