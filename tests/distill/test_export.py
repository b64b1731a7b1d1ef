from dataclasses import replace

import numpy as np
import pytest
from dpdktune.distill.export import (
    _top_layout,
    draw_top,
    fit_deployed,
    leaf_agreement,
    rules_in_words,
    top_levels,
    tree_table,
)
from dpdktune.fingerprint import FINGERPRINT_FEATURES
from dpdktune.treefile import read_tree_json, write_tree_json


def test_the_deployed_tree_round_trips_through_tree_json(teacher, landscape, env_settings, ds, tmp_path):
    setting = {"method": "extract", "depth": 4, "min_samples_leaf": 1, "top_k": 0}
    tree = fit_deployed(teacher, landscape, env_settings, ds, setting, 3)
    table = tree_table(tree, teacher, landscape, ds, "extract", {"dataset": "tiny"})
    path = write_tree_json(table, tmp_path / "tree.json")
    back = read_tree_json(path)
    assert back["features"] == list(FINGERPRINT_FEATURES)
    rel = landscape.mean_objective() / landscape.oracle()[:, None]
    assert back["safe_default"] == int(np.argmax(np.nan_to_num(rel).min(axis=0)))  # best worst case
    assert back["fallback"]["safe_default_config"] == back["configs"][back["safe_default"]]
    assert back["feature_set"] == {
        "name": "dataplane",
        "hardware_counters": [],
        "measured_by_the_data_plane": list(FINGERPRINT_FEATURES),
    }
    from dpdktune.codegen.render import render_tree

    header = render_tree(back).split("*/")[0]  # the generated C header names the safe default and why
    safe = back["configs"][back["safe_default"]]
    assert (
        f" * input safe_default: {back['safe_default']} = rx_desc {safe['rx_desc']}, tx_desc {safe['tx_desc']}, "
        f"cores {safe['cores']}, burst {safe['burst']} (static config with the best worst case)"
    ) in header
    assert " * input feature_set: dataplane" in header
    assert back["confidence_threshold"] == ds.confidence_threshold
    assert back["normalization"] == teacher.normalizer.to_dict()
    assert all("box" in n for n in back["nodes"] if n["left"] == -1)
    assert len(back["nodes"]) == tree.tree_.node_count
    X = teacher.normalizer.impute(landscape.all_feature_rows())
    assert leaf_agreement(tree, back, X) == 1.0
    assert np.all(np.array(back["bounds"]["min"]) <= X.min(axis=0) + 1e-9)
    rules = rules_in_words(back)
    assert len(rules) == tree.get_n_leaves()
    assert all(r.startswith("If ") and "rx_desc=" in r for r in rules)
    top = top_levels(back, levels=2)
    assert top[0].endswith("?") and any("run rx_desc=" in line for line in top)
    boxes, edges = _top_layout(back, levels=2)
    root, leaves = boxes[-1], [b for b in boxes if b["kind"] == "leaf"]
    assert root["label"].startswith(f"{back['features'][back['nodes'][0]['feature']]} <= ")
    assert len(edges) == 2 * (len(boxes) - len(leaves)) and max(-b["y"] for b in boxes) == 2
    # every training state ends in exactly one drawn box (a deeper subtree shows its majority)
    assert sum(int(b["label"].split("\n")[1].split()[0]) for b in leaves) == back["nodes"][0]["samples"]
    svg = draw_top(back, tmp_path / "top.svg", levels=2)
    assert svg.read_text().lstrip().startswith("<?xml") and "<svg" in svg.read_text()


def test_the_novelty_gate_is_calibrated_on_held_out_trials(teacher, landscape, env_settings, ds):
    from dpdktune.distill.fallback import fallback_mask, out_of_range

    setting = {"method": "extract", "depth": 4, "min_samples_leaf": 1, "top_k": 0}
    tree = fit_deployed(teacher, landscape, env_settings, ds, setting, 3)
    table = tree_table(tree, teacher, landscape, ds, "extract", {"dataset": "tiny"}, held_out="trials")
    gate = table["fallback"]
    assert gate["false_fallback_rate"] <= ds.max_false_fallback
    assert gate["out_of_range_fallback_rate"] == 1.0
    assert table["novelty"]["margin"] == gate["margin"]
    # the smaller margins it tried were too tight on the held-out trials
    assert all(rate > ds.max_false_fallback for m, rate in gate["tried"].items() if float(m) < gate["margin"])
    held = teacher.normalizer.impute(landscape.features[:, :, -1].reshape(-1, landscape.features.shape[-1]))
    assert fallback_mask(table, held).mean() <= ds.max_false_fallback  # boxes now hold every row
    assert fallback_mask(table, out_of_range(held, table["bounds"], 1)).all()


def test_a_one_leaf_tree_draws_its_single_config(tmp_path):
    table = {
        "nodes": [{"left": -1, "right": -1, "feature": -2, "threshold": -2.0, "samples": 5, "action": 0}],
        "features": ["a"],
        "configs": [{"rx_desc": 256, "tx_desc": 512, "cores": 1, "burst": 32}],
    }
    boxes, edges = _top_layout(table, levels=3)
    assert edges == [] and [b["label"] for b in boxes] == ["run 256/512/1c/32b\n5 states"]
    assert draw_top(table, tmp_path / "top.svg").read_text().lstrip().startswith("<?xml")


def test_a_gate_calibrated_on_held_out_workloads_lets_more_of_a_new_workload_through(
    teacher, landscape, env_settings, ds
):
    from dpdktune.distill.fallback import fallback_mask

    setting = {"method": "extract", "depth": 4, "min_samples_leaf": 1, "top_k": 0}
    tree = fit_deployed(teacher, landscape, env_settings, ds, setting, 3)
    trials = tree_table(tree, teacher, landscape, ds, "extract", {}, held_out="trials")
    wide = tree_table(tree, teacher, landscape, ds, "extract", {}, held_out="workloads")
    gate = wide["fallback"]
    assert gate["calibrated_on"] == "held-out workloads"
    assert gate["margin"] >= trials["fallback"]["margin"]
    assert gate["out_of_range_fallback_rate"] == 1.0
    # rows of a left-out workload outside the others' range fall back at any margin: they are
    # reported apart and do not count as false fallbacks of the boxes
    every = len(landscape.all_feature_rows())
    assert 0 < gate["held_out_out_of_range_share"] < 1
    assert gate["held_out_states"] == round(every * (1 - gate["held_out_out_of_range_share"]))
    # the smaller margins it tried let too little of a left-out workload through
    assert all(rate > ds.max_false_fallback for m, rate in gate["tried"].items() if float(m) < gate["margin"])
    X = teacher.normalizer.impute(landscape.all_feature_rows())
    assert fallback_mask(wide, X).mean() <= fallback_mask(trials, X).mean()
    with pytest.raises(ValueError, match="held_out"):
        tree_table(tree, teacher, landscape, ds, "extract", {}, held_out="trial")
    # distill.novelty_held_out is what the deployed tree's gate is calibrated on
    by_setting = tree_table(tree, teacher, landscape, replace(ds, novelty_held_out="trials"), "extract", {})
    assert by_setting["fallback"] == trials["fallback"]
    assert tree_table(tree, teacher, landscape, ds, "extract", {})["fallback"] == gate  # the default
