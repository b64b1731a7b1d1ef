"""tree.json: the node-table format, its single producer and its validation."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from dpdktune import treefile
from dpdktune.treefile import TreeFormatError


def test_from_sklearn_keeps_the_tree(depth10):
    clf, table = depth10
    t = clf.tree_
    assert len(table["nodes"]) == t.node_count
    for i, node in enumerate(table["nodes"]):
        assert node["left"] == t.children_left[i] and node["right"] == t.children_right[i]
        if node["left"] != -1:
            assert node["threshold"] == t.threshold[i]  # float64, exactly
            assert node["feature"] == t.feature[i]
        else:
            assert node["action"] == clf.classes_[np.argmax(t.value[i][0])]
            assert 0 < node["confidence"] <= 1
    assert table["generator"].startswith("dpdktune ") and table["generator"].endswith("distill/tree")
    assert table["configs"][62] == {"rx_desc": 512, "tx_desc": 512, "cores": 4, "burst": 32}


def test_write_read_round_trip_is_exact(depth10, tmp_path):
    _, table = depth10
    path = treefile.write_tree_json(table, tmp_path / "sub" / "tree.json")
    assert treefile.read_tree_json(path) == table
    assert not list(path.parent.glob(".*tmp"))  # no temp file left behind


def test_leaf_boxes_hold_exactly_their_training_rows(depth10, data):
    clf, table = depth10
    X, _ = data
    reached = clf.apply(X)
    leaves = [i for i, n in enumerate(table["nodes"]) if n["left"] == -1]
    assert all(table["nodes"][i]["box"] is not None for i in leaves)  # fitted on X: every leaf has rows
    for i in leaves[:40]:
        rows = X[reached == i].astype(np.float64)
        box = table["nodes"][i]["box"]
        assert box["min"] == rows.min(0).tolist() and box["max"] == rows.max(0).tolist()
    assert table["format_version"] == treefile.FORMAT_VERSION
    assert table["novelty"]["margin"] == treefile.DEFAULT_LEAF_MARGIN
    assert np.allclose(table["novelty"]["scale"], X.astype(np.float64).std(0))


def test_a_leaf_no_training_row_reaches_gets_a_null_box(data):
    from sklearn.tree import DecisionTreeClassifier

    X, y = data
    clf = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    some = X[clf.apply(X) != clf.apply(X[:1])[0]]  # leave out every row of the first row's leaf
    boxes = treefile.leaf_boxes(clf, some)
    assert boxes[int(clf.apply(X[:1])[0])] is None
    assert sum(b is None for b in boxes.values()) >= 1


def test_format_1_files_get_a_clear_error(depth10):
    _, table = depth10
    old = copy.deepcopy(table)
    del old["format_version"]
    with pytest.raises(TreeFormatError, match="'format_version' is missing: an older dpdktune"):
        treefile.validate(old)
    old["format_version"] = 1
    with pytest.raises(TreeFormatError, match="'format_version' must be 2"):
        treefile.validate(old)


def _set(table, path, value):
    obj = table
    for key in path[:-1]:
        obj = obj[key]
    if value is _DELETE:
        del obj[path[-1]]
    else:
        obj[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    "path,value,named",
    [
        (("nodes",), _DELETE, "'nodes' is missing"),
        (("safe_default",), 125, "'safe_default'"),
        (("confidence_threshold",), 1.5, "'confidence_threshold'"),
        (("features",), ["a", "a"], "'features'"),
        (("bounds", "min"), [0.0], "'bounds.min'"),
        (("bounds", "max", 2), float("nan"), "'bounds.max[2]'"),
        (("novelty", "scale", 0), -1.0, "'novelty.scale[0]'"),
        (("novelty", "margin"), float("inf"), "'novelty.margin'"),
        (("novelty", "method"), "centroids", "'novelty.method'"),
        (("nodes", 9, "box", "min"), [0.0], "'nodes[9].box.min'"),
        (("nodes", 9, "box", "max", 3), float("nan"), "'nodes[9].box.max[3]'"),
        (("configs", 3, "cores"), "4", "'configs[3].cores'"),
        (("nodes", 0, "feature"), 13, "'nodes[0].feature'"),
        (("nodes", 0, "threshold"), float("inf"), "'nodes[0].threshold'"),
        (("nodes", 0, "left"), 0, "'nodes[0].left'"),
    ],
)
def test_validation_names_the_bad_key(depth10, tmp_path, path, value, named):
    _, table = depth10
    bad = copy.deepcopy(table)
    _set(bad, path, value)
    with pytest.raises(TreeFormatError, match=named.replace("[", r"\[").replace("]", r"\]")):
        treefile.validate(bad)
    f = tmp_path / "tree.json"
    f.write_text(json.dumps(bad))
    with pytest.raises(TreeFormatError, match=str(f)):
        treefile.read_tree_json(f)


def test_validation_rejects_shared_children_and_bad_leaf_actions(depth10):
    _, table = depth10
    bad = copy.deepcopy(table)
    root = bad["nodes"][0]
    root["right"] = root["left"]
    with pytest.raises(TreeFormatError, match="already has a parent"):
        treefile.validate(bad)
    bad = copy.deepcopy(table)
    leaf = next(i for i, n in enumerate(bad["nodes"]) if n["left"] == -1)
    bad["nodes"][leaf]["action"] = 999
    with pytest.raises(TreeFormatError, match=rf"'nodes\[{leaf}\].action'"):
        treefile.validate(bad)


def test_read_rejects_non_json(tmp_path):
    f = tmp_path / "tree.json"
    f.write_text("{not json")
    with pytest.raises(TreeFormatError, match="not valid JSON"):
        treefile.read_tree_json(f)
