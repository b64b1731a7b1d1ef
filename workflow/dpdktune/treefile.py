"""tree.json: the distilled policy as a flat node table, written by distill, read by codegen and runtime.

`from_sklearn` is the single producer of the format; `read_tree_json` validates on read and
names the bad key. The tree works on the raw float32 feature vector: `x[f] <= threshold` goes
left, as in scikit-learn (which casts X to float32 and keeps float64 thresholds).

Novelty (format 2): each leaf carries the bounding box of the training rows that reached it
(`box`: per-feature min/max). At run time an input is novel when it lies outside its own
leaf's box widened by `novelty.margin * novelty.scale` (a fraction of the training std) and
clipped to the global training `bounds`; a leaf no training row reached (`box: null`) is
always novel. Format 1 (k-means centroids, no `format_version`) is refused with a clear error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dpdktune import __version__
from dpdktune.atomic import write_text
from dpdktune.knobs import Knobs

KNOB_KEYS = ("rx_desc", "tx_desc", "cores", "burst")
MAX_FEATURES = 255  # the C node packs the feature index in 8 bits
MAX_NODES = 1 << 24  # ... and the child index in the other 24
FORMAT_VERSION = 2
# Leaf boxes widen by this fraction of each feature's training std. 0.5 keeps ~92 % of held-out
# in-distribution rows inside their leaf's box at depth 10 (benchmarks/fastpath_bench.py data).
DEFAULT_LEAF_MARGIN = 0.5


class TreeFormatError(ValueError):
    """tree.json is malformed; the message names the bad key."""


def fit_bounds(X: np.ndarray) -> dict[str, list[float]]:
    """Per-feature training bounds in raw units (NaN-free columns required)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError("fit_bounds: X must be a finite 2-D array")
    return {"min": X.min(axis=0).tolist(), "max": X.max(axis=0).tolist()}


def leaf_boxes(tree, X: np.ndarray) -> dict[int, dict[str, list[float]] | None]:
    """Per leaf node id: min/max per feature of the rows of X that reach it (None: no row does)."""
    X = np.asarray(X, dtype=np.float32)  # what the tree (and the C code) compares
    if X.ndim != 2 or len(X) == 0 or not np.all(np.isfinite(X)):
        raise ValueError("leaf_boxes: X_train must be a finite, non-empty 2-D array")
    reached = tree.apply(X)
    boxes: dict[int, dict[str, list[float]] | None] = {}
    for i in np.flatnonzero(tree.tree_.children_left == -1):
        rows = X[reached == i].astype(np.float64)
        boxes[int(i)] = {"min": rows.min(0).tolist(), "max": rows.max(0).tolist()} if len(rows) else None
    return boxes


def _config_dict(config: Knobs | Mapping[str, int], where: str) -> dict[str, int]:
    mapping = config.as_dict() if isinstance(config, Knobs) else dict(config)
    missing = [k for k in KNOB_KEYS if k not in mapping]
    if missing:
        raise TreeFormatError(f"{where}: missing {missing}")
    return {k: int(mapping[k]) for k in KNOB_KEYS}


def from_sklearn(
    tree,
    features: Sequence[str],
    configs: Sequence[Knobs | Mapping[str, int]],
    bounds: Mapping[str, Sequence[float]],
    X_train: np.ndarray | None,
    safe_default: int,
    confidence_threshold: float,
    *,
    leaf_margin: float = DEFAULT_LEAF_MARGIN,
    method: str = "tree",
    inputs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Flatten a fitted DecisionTreeClassifier into the tree.json dict (validated).

    The classifier's classes must be action indices into `configs`. `bounds` is fit_bounds(X).
    `X_train` (the training rows, raw features) gives every leaf its box and the scale of the
    margin (`leaf_margin` x per-feature std); None: no leaf boxes, only the global bounds.
    """
    t = tree.tree_
    classes = np.asarray(tree.classes_)
    if tree.n_outputs_ != 1:
        raise TreeFormatError("from_sklearn: only single-output classifiers are supported")
    if t.n_features != len(features):
        raise TreeFormatError(f"features: tree uses {t.n_features} features, {len(features)} names given")
    if isinstance(leaf_margin, bool) or not (isinstance(leaf_margin, (int, float)) and 0 <= leaf_margin < math.inf):
        raise TreeFormatError(f"leaf_margin: must be a finite number >= 0, got {leaf_margin!r}")
    n = len(features)
    boxes = leaf_boxes(tree, X_train) if X_train is not None else {}
    scale = np.asarray(X_train, dtype=np.float64).std(axis=0).tolist() if X_train is not None else [0.0] * n
    nodes = []
    for i in range(t.node_count):
        value = np.asarray(t.value[i][0], dtype=np.float64)
        leaf = t.children_left[i] == -1
        total = value.sum()
        nodes.append(
            {
                "feature": -1 if leaf else int(t.feature[i]),
                "threshold": 0.0 if leaf else float(t.threshold[i]),
                "left": int(t.children_left[i]),
                "right": int(t.children_right[i]),
                "action": int(classes[int(np.argmax(value))]) if leaf else -1,
                "samples": int(t.n_node_samples[i]),
                "confidence": float(value.max() / total) if leaf and total > 0 else 0.0,
            }
        )
        if leaf and X_train is not None:
            nodes[-1]["box"] = boxes[i]
    table = {
        "format_version": FORMAT_VERSION,
        "generator": f"dpdktune {__version__} distill/{method}",
        "inputs": dict(inputs or {}),
        "features": list(features),
        "configs": [_config_dict(c, f"configs[{i}]") for i, c in enumerate(configs)],
        "safe_default": int(safe_default),
        "confidence_threshold": float(confidence_threshold),
        "bounds": {"min": [float(v) for v in bounds["min"]], "max": [float(v) for v in bounds["max"]]},
        "novelty": {"method": "leaf_box", "margin": float(leaf_margin), "scale": [float(v) for v in scale]},
        "nodes": nodes,
    }
    validate(table)
    return table


def _fail(key: str, why: str) -> None:
    raise TreeFormatError(f"tree.json: key '{key}' {why}")


def _vector(table: dict, section: str, key: str, n: int) -> list[float]:
    values = table[section].get(key) if isinstance(table[section], dict) else None
    if not isinstance(values, list) or len(values) != n:
        _fail(f"{section}.{key}", f"must be a list of {n} numbers (one per feature)")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            _fail(f"{section}.{key}[{i}]", f"must be a finite number, got {v!r}")
    return values


def _int(value: Any, key: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value < hi:
        _fail(key, f"must be an integer in [{lo}, {hi}), got {value!r}")
    return value


def validate(table: Any) -> None:
    """Raise TreeFormatError naming the first bad key; return None when the table is well formed."""
    if not isinstance(table, dict):
        raise TreeFormatError("tree.json: top level must be an object")
    if "format_version" not in table:
        _fail(
            "format_version",
            f"is missing: an older dpdktune wrote this file (format 1, centroid novelty); "
            f"regenerate it (snakemake distill_tree) to get format {FORMAT_VERSION} (per-leaf boxes)",
        )
    if table["format_version"] != FORMAT_VERSION:
        _fail("format_version", f"must be {FORMAT_VERSION}, got {table['format_version']!r}")
    required = (
        "generator",
        "inputs",
        "features",
        "configs",
        "safe_default",
        "confidence_threshold",
        "bounds",
        "novelty",
        "nodes",
    )
    for key in required:
        if key not in table:
            _fail(key, "is missing")
    if not isinstance(table["generator"], str):
        _fail("generator", "must be a string")
    if not isinstance(table["inputs"], dict):
        _fail("inputs", "must be an object")
    features = table["features"]
    if not isinstance(features, list) or not 1 <= len(features) <= MAX_FEATURES:
        _fail("features", f"must be a list of 1..{MAX_FEATURES} names")
    if not all(isinstance(f, str) and f and "," not in f for f in features) or len(set(features)) != len(features):
        _fail("features", "must hold unique, non-empty names without commas")
    n = len(features)
    configs = table["configs"]
    if not isinstance(configs, list) or not configs:
        _fail("configs", "must be a non-empty list")
    for i, c in enumerate(configs):
        if not isinstance(c, dict):
            _fail(f"configs[{i}]", "must be an object")
        for k in KNOB_KEYS:
            _int(c.get(k), f"configs[{i}].{k}", 1, 1 << 31)
    _int(table["safe_default"], "safe_default", 0, len(configs))
    ct = table["confidence_threshold"]
    if isinstance(ct, bool) or not isinstance(ct, (int, float)) or not 0.0 <= ct <= 1.0:
        _fail("confidence_threshold", f"must be a number in [0, 1], got {ct!r}")
    for section in ("bounds", "novelty"):
        if not isinstance(table[section], dict):
            _fail(section, "must be an object")
    lo = _vector(table, "bounds", "min", n)
    hi = _vector(table, "bounds", "max", n)
    for i in range(n):
        if lo[i] > hi[i]:
            _fail(f"bounds.min[{i}]", f"exceeds bounds.max[{i}] ({lo[i]} > {hi[i]})")
    if table["novelty"].get("method") != "leaf_box":
        _fail("novelty.method", f"must be 'leaf_box', got {table['novelty'].get('method')!r}")
    margin = table["novelty"].get("margin")
    if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 <= margin < math.inf:
        _fail("novelty.margin", f"must be a finite number >= 0, got {margin!r}")
    for i, s in enumerate(_vector(table, "novelty", "scale", n)):
        if s < 0:
            _fail(f"novelty.scale[{i}]", f"must be >= 0, got {s}")
    _validate_nodes(table["nodes"], n, len(configs))


def _validate_nodes(nodes: Any, n_features: int, n_configs: int) -> None:
    if not isinstance(nodes, list) or not 1 <= len(nodes) < MAX_NODES:
        _fail("nodes", f"must be a list of 1..{MAX_NODES - 1} nodes")
    m = len(nodes)
    for i, node in enumerate(nodes):
        key = f"nodes[{i}]"
        if not isinstance(node, dict):
            _fail(key, "must be an object")
        for field in ("feature", "threshold", "left", "right", "action", "samples", "confidence"):
            if field not in node:
                _fail(f"{key}.{field}", "is missing")
        if node["left"] == -1 and node["right"] == -1:
            _int(node["action"], f"{key}.action", 0, n_configs)
            c = node["confidence"]
            if isinstance(c, bool) or not isinstance(c, (int, float)) or not 0.0 <= c <= 1.0:
                _fail(f"{key}.confidence", f"must be a number in [0, 1], got {c!r}")
            _validate_box(node.get("box"), f"{key}.box", n_features)
        else:
            _int(node["feature"], f"{key}.feature", 0, n_features)
            t = node["threshold"]
            if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
                _fail(f"{key}.threshold", f"must be a finite number, got {t!r}")
            _int(node["left"], f"{key}.left", 1, m)
            _int(node["right"], f"{key}.right", 1, m)
    # Every node reachable exactly once from the root: a tree, no cycles or shared children.
    seen = [False] * m
    stack = [0]
    seen[0] = True
    while stack:
        i = stack.pop()
        if nodes[i]["left"] == -1:
            continue
        for side in ("left", "right"):
            child = nodes[i][side]
            if seen[child]:
                _fail(f"nodes[{i}].{side}", f"points at node {child}, which already has a parent")
            seen[child] = True
            stack.append(child)
    if not all(seen):
        _fail(f"nodes[{seen.index(False)}]", "is unreachable from the root")


def _validate_box(box: Any, key: str, n: int) -> None:
    """A leaf's training box: absent (global bounds only), null (no training row) or {min, max}."""
    if box is None:
        return
    if not isinstance(box, dict):
        _fail(key, "must be an object {min, max} or null")
    values = {}
    for side in ("min", "max"):
        v = box.get(side)
        if not isinstance(v, list) or len(v) != n:
            _fail(f"{key}.{side}", f"must be a list of {n} numbers (one per feature)")
        for i, x in enumerate(v):
            if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
                _fail(f"{key}.{side}[{i}]", f"must be a finite number, got {x!r}")
        values[side] = v
    for i in range(n):
        if values["min"][i] > values["max"][i]:
            _fail(f"{key}.min[{i}]", f"exceeds {key}.max[{i}]")


def write_tree_json(table: dict[str, Any], path: str | Path) -> Path:
    """Validate, then write atomically (temp file + rename)."""
    validate(table)
    return write_text(json.dumps(table, indent=1) + "\n", path)  # repr-exact float64 thresholds


def read_tree_json(path: str | Path) -> dict[str, Any]:
    """Read and validate tree.json; errors name the file and the bad key."""
    path = Path(path)
    try:
        table = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TreeFormatError(f"{path}: not valid JSON: {exc}") from exc
    try:
        validate(table)
    except TreeFormatError as exc:
        raise TreeFormatError(f"{path}: {exc}") from exc
    return table
