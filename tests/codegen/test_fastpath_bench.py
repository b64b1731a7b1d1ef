"""benchmarks/fastpath_bench.py: its input sets, its C harness and its goal verdicts.

Timings are not asserted (they belong to the benchmark); what is asserted is that every timed
variant decides what it should on the same rows, so a fast figure cannot come from a wrong answer.
"""

from __future__ import annotations

import importlib.util
import json
import shutil

import numpy as np
import pytest
from dpdktune import treelayout
from dpdktune.codegen import synthetic
from dpdktune.paths import project_file

# find_spec, not an import: importing emlearn sets numpy's error mode to "raise" process-wide,
# which would break other tests collected in the same session.
pytestmark = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("emlearn", "m2cgen")),
    reason="the benchmark compares against emlearn's and m2cgen's generated C; install them",
)


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("fastpath_bench", project_file("benchmarks/fastpath_bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bundle(bench, tmp_path_factory):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc)")
    X, y = synthetic.dataset(4000 + 500 + 20000, seed=3)
    X, Xtest, Xpool, y = X[:4000], X[4000:4500], X[4500:], y[:4000]
    work = tmp_path_factory.mktemp("bench") / "d4"
    work.mkdir()
    prepared = bench.prepare_depth(4, X, y, Xtest, Xpool, work, n_set=300)
    bench.run_bundle(work, 256, work)
    return bench, work, prepared, Xtest


def test_input_sets_split_accepted_from_fallback(bundle):
    _, work, prepared, _ = bundle
    clf, table = prepared["clf"], prepared["table"]
    tree = treelayout.compile_table(table)
    for name in ("accepted", "fallback", "steady"):
        rows = np.fromfile(work / f"{name}.f32", dtype="<f4").reshape(-1, len(synthetic.FEATURES))
        assert len(rows) == prepared["set_rows"][name] > 0
        got = treelayout.decide(tree, rows)
        if name == "fallback":
            assert np.all(got == table["safe_default"])
        else:  # accepted rows get scikit-learn's own prediction
            assert np.array_equal(got, clf.predict(rows))


def test_every_variant_decides_like_its_model_on_the_same_rows(bundle):
    bench, work, prepared, Xtest = bundle
    clf, table = prepared["clf"], prepared["table"]
    twin = treelayout.decide(treelayout.compile_table(table), Xtest)
    sk = clf.predict(Xtest)
    for walk in prepared["walks"]:
        got = np.fromfile(work / f"decisions_{walk}.i32", dtype="<i4").reshape(len(bench.VARIANTS), len(Xtest))
        by = dict(zip(bench.VARIANTS, got))
        assert np.all(by["null"] == 0)
        assert np.array_equal(by["fastpath"], twin)
        assert np.array_equal(by["fastpath_loaded"], twin)
        for other in ("emlearn_tree", "emlearn_predict", "m2cgen"):
            assert np.array_equal(by[other], sk), other


def test_timing_json_has_every_set_variant_and_method(bundle):
    bench, work, prepared, _ = bundle
    for walk in prepared["walks"]:
        run = json.loads((work / f"timing_{walk}.json").read_text())
        assert run["tsc_step_cycles"] >= 1 and run["batch"] == 32
        assert set(run["sets"]) == {"all", "accepted", "fallback", "steady"}
        for one in run["sets"].values():
            assert list(one["variants"]) == list(bench.VARIANTS)
            for figures in one["variants"].values():
                assert {
                    "single_median_ns",
                    "single_p99_ns",
                    "fenced_median_ns",
                    "fenced_p99_ns",
                    "thru_median_ns",
                } <= set(figures)
                assert figures["fenced_p99_ns"] >= figures["fenced_median_ns"]


def test_numpy_error_mode_survives_the_benchmark(bundle):
    assert np.geterr()["invalid"] != "raise"


def _figures(fenced: float, p99: float) -> dict:
    return {"fenced_median_ns": fenced, "single_p99_ns": p99}


@pytest.mark.parametrize(
    ("fp", "em", "expect"),
    [
        ((6.0, 10.0), (10.0, 20.0), [True, True, True]),  # 0.6x emlearn
        ((8.0, 30.0), (10.0, 20.0), [True, False, False]),  # p99 over, 0.8x emlearn
        ((12.0, 20.0), (20.0, 20.0), [False, True, True]),
    ],
)
def test_verdicts_judge_fenced_median_single_p99_and_ratio(bench, fp, em, expect):
    results = {
        5: {
            "depth": 5,
            "sets": {"accepted": {"variants": {"fastpath_shipped": _figures(*fp), "emlearn_tree": _figures(*em)}}},
        },
        12: {
            "depth": 12,
            "sets": {
                "accepted": {
                    "variants": {  # deeper than the goals: not judged
                        "fastpath_shipped": _figures(99.0, 99.0),
                        "emlearn_tree": _figures(1.0, 1.0),
                    }
                }
            },
        },
    }
    assert [ok for _, ok, _ in bench.verdicts(results)] == expect


# --tree: the deployed tree, timed on a campaign's own feature vectors


def test_the_sklearn_twin_is_the_tree_json_tree(bench, data, depth10):
    clf, table = depth10
    X, _ = data
    twin = bench.sklearn_twin(table)
    assert twin.tree_.node_count == clf.tree_.node_count
    assert twin.get_depth() == clf.get_depth()
    assert np.array_equal(twin.predict(X), clf.predict(X))


def test_dataset_rows_are_the_data_planes_feature_vectors(bench, campaign):
    from dpdktune.fingerprint import feature_frame, feature_names

    config, records = campaign
    names = list(feature_names(config))
    rows = bench.dataset_rows({"features": names}, records, config)
    ok = records[records.status == "ok"]
    expected = feature_frame(ok, names).to_numpy(np.float32)
    assert rows.shape == expected.shape and not np.isnan(rows).any()
    assert np.array_equal(np.unique(rows, axis=0), np.unique(expected, axis=0))
    reversed_rows = bench.dataset_rows({"features": names[::-1]}, records, config)
    assert np.array_equal(np.unique(reversed_rows[:, ::-1], axis=0), np.unique(rows, axis=0))


def test_a_deployed_tree_bundle_decides_like_its_twin(bench, campaign, tmp_path):
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc)")
    from dpdktune import treefile
    from dpdktune.fingerprint import feature_names
    from dpdktune.knobs import expand_grid
    from sklearn.tree import DecisionTreeClassifier

    config, records = campaign
    names = list(feature_names(config))
    X = bench.dataset_rows({"features": names}, records, config)
    grid = expand_grid(config["grid"])
    labels = (X[:, 0] > np.median(X[:, 0])).astype(int) * 5 + (X[:, -1] > np.median(X[:, -1]))
    clf = DecisionTreeClassifier(max_depth=3, max_leaf_nodes=4, random_state=0).fit(X, labels)
    table = treefile.from_sklearn(clf, names, grid, treefile.fit_bounds(X), X, 0, 0.0)
    twin = bench.sklearn_twin(table)
    novel = X[:5].copy()
    novel[:, 0] = 1e30  # far outside the training range: the safe default (0)
    rows = np.vstack([X, novel])
    prepared = bench.prepare(twin, table, X, twin.predict(X), rows, rows, tmp_path, n_set=300)
    bench.run_bundle(tmp_path, 256, tmp_path)
    accepted, _ = bench.split_rows(table, rows)
    assert accepted[: len(X)].all() and not accepted[len(X) :].any()
    assert prepared["set_rows"]["accepted"] == len(X) and prepared["set_rows"]["fallback"] == 5
    assert prepared["walks"] == ["table", "nested", "flat"]  # four leaves: flat compiles too
    expected = twin.predict(rows)
    for walk in prepared["walks"]:
        got = np.fromfile(tmp_path / f"decisions_{walk}.i32", dtype="<i4").reshape(len(bench.VARIANTS), len(rows))
        by = dict(zip(bench.VARIANTS, got))
        assert np.array_equal(by["emlearn_tree"], expected)
        assert np.array_equal(by["fastpath"][: len(X)], expected[: len(X)]), walk
        assert np.all(by["fastpath"][len(X) :] == 0), walk
