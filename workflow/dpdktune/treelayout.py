"""tree.json's node table compiled to what the C fast path runs, and a NumPy twin of `fp_decide`.

Neutral ground beside treefile.py: codegen renders this layout into C, distill calibrates the
novelty gate with the twin, and the runtime decides with it when no fastpath.so is loaded.

Layout: both children of a node sit side by side, so one step is
`i = child[i] + (x[feature[i]] > thr[i])` with no branch. A leaf points at itself with
threshold +inf, so the walk runs exactly `depth` steps. Thresholds are the largest float32
<= the float64 threshold, so `x <= t32` equals scikit-learn's `(double)x <= t` for every float32 x.

The decision walks first, then checks the input against the reached leaf's box only:
`box_lo[leaf] <= x <= box_hi[leaf]` for every feature (NaN fails; +-inf fails the finite box).
The box is the leaf's training box widened by margin * scale and clipped to the global bounds,
rounded outward to float32, so the global bounds check is implied. Leaves below the confidence
threshold get action = safe_default here (no run-time compare). The comparisons are exact, so
the NumPy twin and the C code agree bit for bit.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from dpdktune.treefile import KNOB_KEYS, validate


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
    thr: np.ndarray  # (m,) float32; +inf at leaves
    feature: np.ndarray  # (m,) int32; 0 at leaves
    child: np.ndarray  # (m,) int32; first child, or the leaf itself
    leaf_of: np.ndarray  # (m,) int32; the slot's leaf index (0 at internal slots, never read there)
    leaf_action: np.ndarray  # (n_leaves,) int32; safe_default where confidence is too low
    box_lo: np.ndarray  # (n_leaves, n_features) float32, rounded down; +inf: leaf never valid
    box_hi: np.ndarray  # (n_leaves, n_features) float32, rounded up; -inf: leaf never valid
    source_index: np.ndarray  # (m,) original tree.json node index

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def n_leaves(self) -> int:
        return len(self.leaf_action)

    @property
    def size_bytes(self) -> int:
        """Bytes of the tables the decision reads (what the C data section holds)."""
        m = len(self.thr)
        return 4 * (3 * m + self.n_leaves + self.box_lo.size + self.box_hi.size) + self.configs.nbytes


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
    m, nf = len(nodes), len(table["features"])
    thr = np.full(m, np.inf, dtype=np.float32)
    feature = np.zeros(m, dtype=np.int32)
    child = np.zeros(m, dtype=np.int32)
    leaf_of = np.zeros(m, dtype=np.int32)
    source = np.zeros(m, dtype=np.int64)
    conf_min = table["confidence_threshold"]
    safe = table["safe_default"]
    g_lo = np.asarray(table["bounds"]["min"], dtype=np.float64)
    g_hi = np.asarray(table["bounds"]["max"], dtype=np.float64)
    widen = table["novelty"]["margin"] * np.asarray(table["novelty"]["scale"], dtype=np.float64)
    actions, lows, highs = [], [], []
    by_slot = sorted(order, key=lambda i: slot[i])  # leaf indices rise with slots
    for i in by_slot:
        s_ = slot[i]
        node = nodes[i]
        source[s_] = i
        if node["left"] == -1:
            child[s_] = s_
            leaf_of[s_] = len(actions)
            actions.append(node["action"] if node["confidence"] >= conf_min else safe)
            if "box" not in node:  # no training box: the global bounds alone
                lows.append(g_lo)
                highs.append(g_hi)
            elif node["box"] is None:  # no training row reached this leaf: always novel
                lows.append(np.full(nf, np.inf))
                highs.append(np.full(nf, -np.inf))
            else:
                lows.append(np.maximum(g_lo, np.asarray(node["box"]["min"], dtype=np.float64) - widen))
                highs.append(np.minimum(g_hi, np.asarray(node["box"]["max"], dtype=np.float64) + widen))
        else:
            thr[s_] = float32_at_most(node["threshold"])
            feature[s_] = node["feature"]
            child[s_] = slot[node["left"]]
            assert slot[node["right"]] == child[s_] + 1
    lo64, hi64 = np.asarray(lows).reshape(-1, nf), np.asarray(highs).reshape(-1, nf)
    return CompiledTree(
        features=tuple(table["features"]),
        configs=np.asarray([[c[k] for k in KNOB_KEYS] for c in table["configs"]], dtype=np.int32),
        safe_default=safe,
        depth=max(depth_of.values()),
        thr=thr,
        feature=feature,
        child=child,
        leaf_of=leaf_of,
        leaf_action=np.asarray(actions, dtype=np.int32),
        box_lo=float32_at_most(lo64),
        box_hi=float32_at_least(hi64),
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


def inside_leaf_box(tree: CompiledTree, X: np.ndarray, leaf: np.ndarray) -> np.ndarray:
    """Whether each row lies inside the box of its leaf index (NaN and +-inf never do)."""
    X = np.asarray(X, dtype=np.float32)
    with np.errstate(invalid="ignore"):
        return np.all((X >= tree.box_lo[leaf]) & (X <= tree.box_hi[leaf]), axis=1)


def decide(tree: CompiledTree, X: np.ndarray) -> np.ndarray:
    """What fp_decide returns for each row of X (float32, n_features columns)."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or X.shape[1] != tree.n_features:
        return np.full(len(X) if X.ndim else 1, tree.safe_default, dtype=np.int32)
    leaf = tree.leaf_of[walk(tree, X)]
    ok = inside_leaf_box(tree, X, leaf)
    return np.where(ok, tree.leaf_action[leaf], tree.safe_default).astype(np.int32)
