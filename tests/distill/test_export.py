import numpy as np

from dpdktune.codegen.tree_table import read_tree_json, write_tree_json
from dpdktune.distill.export import (draw_top, fit_deployed, leaf_agreement, rules_in_words, top_levels,
                                     tree_table)
from dpdktune.fingerprint import FINGERPRINT_FEATURES


def test_the_deployed_tree_round_trips_through_tree_json(teacher, landscape, env_settings, ds, tmp_path):
    setting = {"method": "extract", "depth": 4, "min_samples_leaf": 1, "top_k": 0}
    tree = fit_deployed(teacher, landscape, env_settings, ds, setting, 3)
    table = tree_table(tree, teacher, landscape, ds, "extract", {"dataset": "tiny"})
    path = write_tree_json(table, tmp_path / "tree.json")
    back = read_tree_json(path)
    assert back["features"] == list(FINGERPRINT_FEATURES)
    assert back["safe_default"] == landscape.default_action
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
    svg = draw_top(tree, back, tmp_path / "top.svg", levels=2)
    assert svg.read_text().lstrip().startswith("<?xml")
