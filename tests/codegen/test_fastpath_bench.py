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
    for walk in bench.WALKS:
        got = np.fromfile(work / f"decisions_{walk}.i32", dtype="<i4").reshape(len(bench.VARIANTS), len(Xtest))
        by = dict(zip(bench.VARIANTS, got))
        assert np.all(by["null"] == 0)
        assert np.array_equal(by["fastpath"], twin)
        assert np.array_equal(by["fastpath_loaded"], twin)
        for other in ("emlearn_tree", "emlearn_predict", "m2cgen"):
            assert np.array_equal(by[other], sk), other


def test_timing_json_has_every_set_variant_and_method(bundle):
    bench, work, _, _ = bundle
    for walk in bench.WALKS:
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
