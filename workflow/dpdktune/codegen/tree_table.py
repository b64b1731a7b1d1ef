"""tree.json: the distilled policy as a flat node table, the one format codegen reads.

`from_sklearn` is the single producer of the format; `read_tree_json` validates on read and
names the bad key. The tree works on the raw float32 feature vector: `x[f] <= threshold` goes
left, as in scikit-learn (which casts X to float32 and keeps float64 thresholds).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from dpdktune import __version__
from dpdktune.knobs import Knobs

KNOB_KEYS = ("rx_desc", "tx_desc", "cores", "burst")
MAX_FEATURES = 255  # the C node packs the feature index in 8 bits
MAX_NODES = 1 << 24  # ... and the child index in the other 24


class TreeFormatError(ValueError):
    """tree.json is malformed; the message names the bad key."""


def fit_bounds(X: np.ndarray) -> dict[str, list[float]]:
    """Per-feature training bounds in raw units (NaN-free columns required)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or not np.all(np.isfinite(X)):
        raise ValueError("fit_bounds: X must be a finite 2-D array")
    return {"min": X.min(axis=0).tolist(), "max": X.max(axis=0).tolist()}


def fit_novelty(X: np.ndarray, n_centroids: int = 4, margin: float = 1.25, seed: int = 0) -> dict[str, Any]:
    """Normalization + k-means centroids; novel = nearest-centroid distance > margin * training max.

    Returns {"mean", "scale", "centroids", "max_distance"}, the `novelty` argument of from_sklearn.
    """
    from sklearn.cluster import KMeans

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) == 0 or not np.all(np.isfinite(X)):
        raise ValueError("fit_novelty: X must be a finite, non-empty 2-D array")
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale <= 0] = 1.0  # a constant feature carries no distance
    Z = (X - mean) / scale
    k = max(1, min(n_centroids, len(np.unique(Z, axis=0))))
    centroids = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(Z).cluster_centers_
    nearest = np.sqrt(((Z[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "centroids": centroids.tolist(),
        "max_distance": float(max(nearest.max(), 1e-6) * margin),
    }


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
    novelty: Mapping[str, Any] | None,
    safe_default: int,
    confidence_threshold: float,
    *,
    method: str = "tree",
    inputs: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Flatten a fitted DecisionTreeClassifier into the tree.json dict (validated).

    The classifier's classes must be action indices into `configs`. `bounds` is fit_bounds(X),
    `novelty` is fit_novelty(X) or None (no distance check).
    """
    t = tree.tree_
    classes = np.asarray(tree.classes_)
    if tree.n_outputs_ != 1:
        raise TreeFormatError("from_sklearn: only single-output classifiers are supported")
    if t.n_features != len(features):
        raise TreeFormatError(f"features: tree uses {t.n_features} features, {len(features)} names given")
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
    n = len(features)
    if novelty is None:
        novelty = {"mean": [0.0] * n, "scale": [1.0] * n, "centroids": [], "max_distance": 1.0}
    table = {
        "generator": f"dpdktune {__version__} distill/{method}",
        "inputs": dict(inputs or {}),
        "features": list(features),
        "configs": [_config_dict(c, f"configs[{i}]") for i, c in enumerate(configs)],
        "safe_default": int(safe_default),
        "confidence_threshold": float(confidence_threshold),
        "bounds": {"min": [float(v) for v in bounds["min"]], "max": [float(v) for v in bounds["max"]]},
        "normalization": {
            "mean": [float(v) for v in novelty["mean"]],
            "scale": [float(v) for v in novelty["scale"]],
        },
        "novelty": {
            "centroids": [[float(v) for v in c] for c in novelty["centroids"]],
            "max_distance": float(novelty["max_distance"]),
        },
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
    required = ("generator", "inputs", "features", "configs", "safe_default", "confidence_threshold",
                "bounds", "normalization", "novelty", "nodes")
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
    for section in ("bounds", "normalization", "novelty"):
        if not isinstance(table[section], dict):
            _fail(section, "must be an object")
    lo = _vector(table, "bounds", "min", n)
    hi = _vector(table, "bounds", "max", n)
    for i in range(n):
        if lo[i] > hi[i]:
            _fail(f"bounds.min[{i}]", f"exceeds bounds.max[{i}] ({lo[i]} > {hi[i]})")
    _vector(table, "normalization", "mean", n)
    for i, s in enumerate(_vector(table, "normalization", "scale", n)):
        if s <= 0:
            _fail(f"normalization.scale[{i}]", f"must be > 0, got {s}")
    centroids = table["novelty"].get("centroids")
    if not isinstance(centroids, list):
        _fail("novelty.centroids", "must be a list (empty = no distance check)")
    for k, c in enumerate(centroids):
        if not isinstance(c, list) or len(c) != n or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in c
        ):
            _fail(f"novelty.centroids[{k}]", f"must be a list of {n} finite numbers")
    md = table["novelty"].get("max_distance")
    if isinstance(md, bool) or not isinstance(md, (int, float)) or not (math.isfinite(md) and md > 0):
        _fail("novelty.max_distance", f"must be a finite number > 0, got {md!r}")
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


def write_tree_json(table: dict[str, Any], path: str | Path) -> Path:
    """Validate, then write atomically (temp file + rename)."""
    validate(table)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(table, fh, indent=1)  # repr-exact float64 thresholds
            fh.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


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
