"""Rendering: exact float literals, a header naming generator and inputs, a golden snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from dpdktune import treefile
from dpdktune.codegen import render

GOLDEN = Path(__file__).parent / "golden" / "fastpath_tree.c"


def golden_table() -> dict:
    """A hand-written three-feature tree; 0.1 and 1e-3 round up in float32, so they step down.
    Leaf boxes: two from training rows, one null (always novel), one absent (global bounds)."""

    def leaf(action, conf):
        return {
            "feature": -1,
            "threshold": 0.0,
            "left": -1,
            "right": -1,
            "action": action,
            "samples": 10,
            "confidence": conf,
        }

    nodes = [
        {"feature": 0, "threshold": 12.5, "left": 1, "right": 2, "action": -1, "samples": 40, "confidence": 0.0},
        {"feature": 1, "threshold": 0.1, "left": 3, "right": 4, "action": -1, "samples": 20, "confidence": 0.0},
        {"feature": 2, "threshold": 1e-3, "left": 5, "right": 6, "action": -1, "samples": 20, "confidence": 0.0},
        leaf(0, 0.9),
        leaf(1, 0.5),
        leaf(2, 1.0),
        leaf(3, 0.7),
    ]
    nodes[3]["box"] = {"min": [1.0, 0.0, 64.0], "max": [12.5, 0.05, 900.0]}
    nodes[4]["box"] = {"min": [0.5, 0.2, 100.0], "max": [10.0, 0.5, 1518.0]}
    nodes[5]["box"] = None  # no training row reached it
    table = {
        "format_version": 2,
        "generator": "dpdktune 0.1.0 distill/golden",
        "inputs": {"dataset": "tests/codegen/test_render.py", "config_hash": "0000000000000000"},
        "features": ["offered_mpps", "drop_rate", "mean_frame_bytes"],
        "configs": [{"rx_desc": r, "tx_desc": 512, "cores": c, "burst": 32} for r in (256, 1024) for c in (1, 4)],
        "safe_default": 2,
        "confidence_threshold": 0.6,
        "bounds": {"min": [0.0, 0.0, 64.0], "max": [150.0, 0.5, 1518.0]},
        "novelty": {"method": "leaf_box", "margin": 0.25, "scale": [30.0, 0.05, 400.0]},
        "nodes": nodes,
    }
    treefile.validate(table)
    return table


@pytest.mark.parametrize("walk", render.WALKS)
def test_generated_source_matches_golden(walk):
    text = render.render_tree(golden_table(), walk=walk)
    golden = GOLDEN if walk == "table" else GOLDEN.with_name(f"fastpath_tree_{walk}.c")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert text == golden.read_text(), "generated C changed; rerun with UPDATE_GOLDEN=1 and review the diff"


def test_table_walk_prints_each_threshold_once_with_plain_compiler_names():
    """Readable C: each split's float32 literal appears once (no float64 expansion in a comment),
    the config count has a name like the feature count, GCC extensions sit behind macros."""
    text = render.render_tree(golden_table(), walk="table")
    for literal in ("12.5f", "0.099999994f", "0.000999999931f"):
        assert text.count(literal) == 1, literal
    assert "0.09999999403953552" not in text and "0.0009999999310821295" not in text
    assert "#define FP_NC 4u" in text and "fp_configs[FP_NC]" in text
    assert "__attribute__" not in text and "__builtin_expect" not in text


def test_unknown_walk_is_refused():
    with pytest.raises(ValueError, match="codegen.walk"):
        render.render_tree(golden_table(), walk="spiral")


def test_header_names_generator_and_inputs():
    table = golden_table()
    head = render.render_tree(table).split("*/", 1)[0]
    assert "generator: dpdktune.codegen.render" in head
    assert "tree:      dpdktune 0.1.0 distill/golden" in head
    assert "input config_hash: 0000000000000000" in head
    assert render.table_sha256(table) in head


def test_thresholds_step_down_and_round_trip():
    text = render.render_tree(golden_table())
    assert "{ 0.099999994f, FP_LINK(3, 1) }" in text  # float32(0.1) > 0.1: one step down
    assert "{ 12.5f, FP_LINK(1, 0) }" in text  # exact in float32: unchanged


@pytest.mark.parametrize("value", [0.1, -0.1, 1e-45, 3.4028234663852886e38, 12.5, 0.0, -0.0, 1 / 3])
def test_c_float_round_trips(value):
    v = np.float32(value)
    text = render.c_float(v)
    assert text.endswith("f") and np.float32(text[:-1]) == v


def test_c_float_rejects_nan():
    with pytest.raises(ValueError, match="NaN"):
        render.c_float(float("nan"))


def test_auto_walk_is_flat_for_a_few_leaves_and_nested_above(depth10):
    assert render.render_tree(golden_table(), walk="auto") == render.render_tree(golden_table(), walk="flat")
    assert "walk nested" in render.render_tree(depth10[1], walk="auto").split("*/", 1)[0]


@pytest.mark.parametrize(
    ("leaves", "features", "walk"),
    [
        (3, 9, "flat"),
        (4, 12, "flat"),
        (3, 14, "flat"),
        (4, 13, "nested"),
        (8, 5, "nested"),
        (8, 4, "flat"),
        (1, 40, "flat"),
    ],
)
def test_auto_walk_counts_the_box_steps_of_checking_every_leaf(leaves, features, walk):
    assert render.resolve_walk("auto", leaves, features) == walk


def test_flat_walk_refuses_a_tree_with_too_many_leaves(depth10):
    with pytest.raises(ValueError, match=r"^codegen.walk: flat compiles trees of at most 8 leaves, this one has"):
        render.render_tree(depth10[1], walk="flat")
