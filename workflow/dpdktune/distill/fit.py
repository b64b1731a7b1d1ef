"""Fitting one student tree: depth, min samples per leaf and top-K feature selection.

Top-K keeps the full feature vector (the node table always indexes the whole feature set)
and makes the unselected columns constant, so the tree can never split on them.
"""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier


def top_k(X: np.ndarray, y: np.ndarray, w: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Boolean mask of the `k` most important features (0 = all) by an unrestricted tree's importance."""
    n = X.shape[1]
    if k <= 0 or k >= n:
        return np.ones(n, bool)
    full = DecisionTreeClassifier(random_state=seed).fit(X, y, sample_weight=w)
    order = np.argsort(-full.feature_importances_, kind="stable")
    mask = np.zeros(n, bool)
    mask[order[:k]] = True
    return mask


def fit_tree(X: np.ndarray, y: np.ndarray, w: np.ndarray | None, depth: int, min_samples_leaf: int,
             mask: np.ndarray | None, seed: int) -> DecisionTreeClassifier:
    """A tree on raw float32 features (missing imputed upstream); masked-out columns held at 0."""
    X = np.asarray(X, np.float32).copy()
    if mask is not None:
        X[:, ~mask] = 0.0
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=min_samples_leaf, random_state=seed)
    return tree.fit(X, y, sample_weight=w)
