"""Helpers for codegen tests: synthetic trees, hard inputs and fastpath.so through ctypes."""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
from dpdktune import treefile
from dpdktune.codegen import synthetic
from sklearn.tree import DecisionTreeClassifier

FEATURES = list(synthetic.FEATURES)
SAFE = 62
FLT_MAX = float(np.finfo(np.float32).max)


def make_table(
    X, y, depth: int, *, confidence: float = 0.6, novelty: bool = True, wide_bounds: bool = False, features=None
):
    clf = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)
    bounds = {"min": [-FLT_MAX] * X.shape[1], "max": [FLT_MAX] * X.shape[1]} if wide_bounds else treefile.fit_bounds(X)
    table = treefile.from_sklearn(
        clf,
        features or FEATURES,
        synthetic.configs(),
        bounds,
        X if novelty else None,
        SAFE,
        confidence,
        inputs={"dataset": "synthetic.dataset(4000, seed=1)", "config_hash": "test"},
    )
    return clf, table


class FastPath:
    """fastpath.so through ctypes."""

    def __init__(self, path: Path):
        self.lib = lib = ctypes.CDLL(str(path))
        lib.fp_decide.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.fp_tree_decide.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        lib.fp_load.argtypes = [ctypes.c_char_p]
        lib.fp_load.restype = ctypes.c_void_p
        lib.fp_swap.argtypes = [ctypes.c_void_p]
        lib.fp_tree_free.argtypes = [ctypes.c_void_p]
        lib.fp_last_error.restype = ctypes.c_char_p
        lib.fp_feature_name.restype = ctypes.c_char_p
        lib.fp_tree_bytes.restype = ctypes.c_long
        self.path = path

    def decide(self, X: np.ndarray, n: int | None = None, tree=None) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        n = X.shape[1] if n is None else n
        base, stride = X.ctypes.data, X.strides[0]
        if tree is None:
            f = self.lib.fp_decide
            return np.fromiter((f(base + i * stride, n) for i in range(len(X))), dtype=np.int32, count=len(X))
        f = self.lib.fp_tree_decide
        return np.fromiter((f(tree, base + i * stride, n) for i in range(len(X))), dtype=np.int32, count=len(X))

    def load(self, path: Path):
        tree = self.lib.fp_load(str(path).encode())
        return tree, self.lib.fp_last_error().decode()


def hard_inputs(table: dict, X: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n float32 rows: data-like, box-uniform, threshold-adjacent, extremes, NaN and inf."""
    rng = np.random.default_rng(seed)
    nf = X.shape[1]
    rows = X[rng.integers(0, len(X), n)].copy()
    kind = rng.integers(0, 5, n)
    lo, hi = X.min(0), X.max(0)
    span = hi - lo
    box = kind == 1
    rows[box] = (lo - 0.1 * span + rng.random((box.sum(), nf)) * 1.2 * span).astype(np.float32)
    internal = [nd for nd in table["nodes"] if nd["left"] != -1]
    edge = np.flatnonzero(kind == 2)
    picks = rng.integers(0, len(internal), (len(edge), 3))
    for r, pick in zip(edge, picks):
        for p in pick:  # put three features right at their thresholds
            nd = internal[p]
            t32 = np.float32(nd["threshold"])
            choices = [t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf))]
            rows[r, nd["feature"]] = choices[rng.integers(0, 3)]
    special = np.array(
        [np.finfo(np.float32).max, -np.finfo(np.float32).max, np.finfo(np.float32).tiny, 1e-45, 0.0, -0.0, 1e30, -1e30],
        dtype=np.float32,
    )
    ext = kind == 3
    mask = rng.random((ext.sum(), nf)) < 0.3
    vals = special[rng.integers(0, len(special), (ext.sum(), nf))]
    sub = rows[ext]
    sub[mask] = vals[mask]
    rows[ext] = sub
    bad = np.flatnonzero(kind == 4)
    cols = rng.integers(0, nf, len(bad))
    rows[bad, cols] = np.array([np.nan, np.inf, -np.inf], dtype=np.float32)[rng.integers(0, 3, len(bad))]
    return rows.astype(np.float32)


def permuted(table: dict, shift: int = 1) -> dict:
    """The same tree with every leaf's action moved by `shift`: a second, distinguishable tree."""
    import copy

    other = copy.deepcopy(table)
    n = len(other["configs"])
    for node in other["nodes"]:
        if node["left"] == -1:
            node["action"] = (node["action"] + shift) % n
    return other
