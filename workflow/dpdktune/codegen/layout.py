"""The node table compiled to what the C fast path runs, and a NumPy twin of `fp_decide`.

Layout: both children of a node sit side by side, so one step is
`i = child[i] + (x[feature[i]] > thr[i])` with no branch. A leaf points at itself with
threshold +inf, so the walk runs exactly `depth` steps. Thresholds are the largest float32
<= the float64 threshold, so `x <= t32` equals scikit-learn's `(double)x <= t` for every float32 x.
Every float the C code uses is fixed here once; the NumPy twin does the same float32 operations
in the same order, so the two agree bit for bit.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from dpdktune.codegen.tree_table import KNOB_KEYS, validate


def float32_at_most(values) -> np.ndarray:
    """The largest float32 <= each float64 value (the cast rounds to nearest, so step down)."""
    v64 = np.asarray(values, dtype=np.float64)
    v32 = v64.astype(np.float32)
    up = v32.astype(np.float64) > v64
    v32[up] = np.nextafter(v32[up], np.float32(-np.inf))
    return v32


def float32_at_least(values) -> np.ndarray:
    """The smallest float32 >= each float64 value."""
    v64 = np.asarray(values, dtype=np.float64)
    v32 = v64.astype(np.float32)
    down = v32.astype(np.float64) < v64
    v32[down] = np.nextafter(v32[down], np.float32(np.inf))
    return v32


def feature_hash(features) -> int:
    """A 64-bit id of the feature order; fp_load refuses a tree built for another input vector."""
    return int.from_bytes(hashlib.sha256(",".join(features).encode()).digest()[:8], "little")


@dataclass(frozen=True)
class CompiledTree:
    features: tuple[str, ...]
    configs: np.ndarray  # (n_configs, 4) int32, KNOB_KEYS order
    safe_default: int
    depth: int  # steps of the walk: the longest root-to-leaf path
    lo: np.ndarray  # float32, rounded outward
    hi: np.ndarray
    mean: np.ndarray  # float32
    inv_scale: np.ndarray  # float32 1/scale
    centroids: np.ndarray  # (k, n_features) float32, k may be 0
    max_d2: np.float32  # squared novelty radius
    thr: np.ndarray  # (m,) float32; +inf at leaves
    feature: np.ndarray  # (m,) int32; 0 at leaves
    child: np.ndarray  # (m,) int32; first child, or the leaf itself
    action: np.ndarray  # (m,) int32; leaf action, safe_default where confidence is too low
    source_index: np.ndarray  # (m,) original tree.json node index

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def size_bytes(self) -> int:
        """Bytes of the tables the decision reads (what the C data section holds)."""
        nf, m = self.n_features, len(self.thr)
        return 4 * (4 * nf + self.centroids.size + 2 * m + m) + self.configs.nbytes


def compile_table(table: dict[str, Any]) -> CompiledTree:
    """Validate tree.json and lay it out for the C fast path."""
    validate(table)
    nodes = table["nodes"]
    order: list[int] = []
    slot = {0: 0}
    depth_of = {0: 0}
    queue = deque([0])
    next_free = 1
    while queue:  # breadth first: siblings get consecutive slots
        i = queue.popleft()
        order.append(i)
        if nodes[i]["left"] != -1:
            for offset, side in enumerate(("left", "right")):
                c = nodes[i][side]
                slot[c] = next_free + offset
                depth_of[c] = depth_of[i] + 1
                queue.append(c)
            next_free += 2
    m = len(nodes)
    thr = np.full(m, np.inf, dtype=np.float32)
    feature = np.zeros(m, dtype=np.int32)
    child = np.zeros(m, dtype=np.int32)
    action = np.zeros(m, dtype=np.int32)
    source = np.zeros(m, dtype=np.int64)
    conf_min = table["confidence_threshold"]
    safe = table["safe_default"]
    for i in order:
        s = slot[i]
        node = nodes[i]
        source[s] = i
        if node["left"] == -1:
            child[s] = s
            action[s] = node["action"] if node["confidence"] >= conf_min else safe
        else:
            thr[s] = float32_at_most(node["threshold"])
            feature[s] = node["feature"]
            child[s] = slot[node["left"]]
            assert slot[node["right"]] == child[s] + 1
            action[s] = safe
    norm, nov = table["normalization"], table["novelty"]
    n = len(table["features"])
    centroids = np.asarray(nov["centroids"], dtype=np.float32).reshape(-1, n)
    return CompiledTree(
        features=tuple(table["features"]),
        configs=np.asarray([[c[k] for k in KNOB_KEYS] for c in table["configs"]], dtype=np.int32),
        safe_default=safe,
        depth=max(depth_of.values()),
        lo=float32_at_most(table["bounds"]["min"]),
        hi=float32_at_least(table["bounds"]["max"]),
        mean=np.asarray(norm["mean"], dtype=np.float32),
        inv_scale=(1.0 / np.asarray(norm["scale"], dtype=np.float64)).astype(np.float32),
        centroids=centroids,
        max_d2=np.float32(float(nov["max_distance"]) ** 2),
        thr=thr,
        feature=feature,
        child=child,
        action=action,
        source_index=source,
    )


def walk(tree: CompiledTree, X: np.ndarray) -> np.ndarray:
    """The leaf slot each row reaches (no checks)."""
    X = np.asarray(X, dtype=np.float32)
    rows = np.arange(len(X))
    i = np.zeros(len(X), dtype=np.int64)
    for _ in range(tree.depth):
        i = tree.child[i] + (X[rows, tree.feature[i]] > tree.thr[i])
    return i


def novelty_d2(tree: CompiledTree, X: np.ndarray) -> np.ndarray:
    """Squared normalized distance to the nearest centroid, in the C code's float32 order."""
    X = np.asarray(X, dtype=np.float32)
    k = len(tree.centroids)
    lanes = np.zeros((4, len(X), k), dtype=np.float32)  # feature f adds into lane f % 4, as in C
    with np.errstate(invalid="ignore", over="ignore"):
        for f in range(tree.n_features):
            z = (X[:, f] - tree.mean[f]) * tree.inv_scale[f]
            t = z[:, None] - tree.centroids[None, :, f]
            lanes[f & 3] = lanes[f & 3] + t * t
        d = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    return d.min(axis=1) if k else np.zeros(len(X), dtype=np.float32)


def decide(tree: CompiledTree, X: np.ndarray) -> np.ndarray:
    """What fp_decide returns for each row of X (float32, n_features columns)."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != tree.n_features:
        return np.full(len(X) if X.ndim else 1, tree.safe_default, dtype=np.int32)
    with np.errstate(invalid="ignore"):
        inside = np.all((X >= tree.lo) & (X <= tree.hi), axis=1)  # NaN fails both
    near = novelty_d2(tree, X) <= tree.max_d2 if len(tree.centroids) else np.ones(len(X), dtype=bool)
    leaf = walk(tree, X)
    return np.where(inside & near, tree.action[leaf], tree.safe_default).astype(np.int32)
